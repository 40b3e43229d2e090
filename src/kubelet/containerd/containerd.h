// Containerd: a node's own containerd 1.6, configured and supervised by kubepp (or an existing
// one, only connected to).
//
// Start() writes everything under options.data_dir and nowhere else that kubepp controls:
//   <data_dir>/containerd.toml       config (version 2, see ContainerdConfigToml)
//   <data_dir>/root, <data_dir>/state containerd's root and state
//   <data_dir>/containerd.sock       the gRPC (CRI) socket; ttrpc at containerd.sock.ttrpc
//   <data_dir>/containerd.log        containerd's stdout and stderr
//   <data_dir>/cni/net.d/            the generated bridge conflist (see CniConflistJson)
//   <data_dir>/cni/networks/         host-local IPAM allocations
// then runs `containerd --config <file>` as a child in its own process group and waits until
// the socket answers the CRI Version RPC. Stop() sends SIGTERM, then SIGKILL after the grace
// period, by PID. Limits containerd 1.6 cannot move: shim sockets live in
// /run/containerd/s/<hash> (one per running sandbox) and CNI's portmap/bridge programme the
// node's iptables; tear down sandboxes (CRI StopPodSandbox + RemovePodSandbox) before Stop(),
// since the shims and their containers outlive containerd.
//
//   ContainerdOptions o{.data_dir = "/var/lib/kubepp/node-1", .pod_cidr = "198.18.1.0/24"};
//   KUBEPP_ASSIGN_OR_RETURN(auto containerd, Containerd::Start(o));
//   cri::CriClient cri({.endpoint = containerd->Endpoint()});
//   ...
//   KUBEPP_RETURN_IF_ERROR(containerd->Stop());
//
// Connect() attaches to a containerd that someone else runs (a socket path): nothing is
// written or started, and Stop() does nothing.
//
// Threading: not thread-safe; one owner starts and stops it. The destructor calls Stop().
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>

#include "base/status.h"

namespace kubepp::kubelet {

struct ContainerdOptions {
  // Directory holding everything containerd writes (created when missing). Keep it short:
  // the socket path must fit in 107 bytes.
  std::string data_dir;
  // The containerd binary.
  std::string containerd_binary = "/usr/bin/containerd";
  // CRI sandbox (pause) image; it must already be in containerd's k8s.io namespace.
  std::string sandbox_image = "localhost/pause:kubepp";
  // The node's pod range, handed out by host-local IPAM to sandboxes.
  std::string pod_cidr = "198.18.0.0/24";
  // Name of the CNI bridge on the node (its first address in pod_cidr is the pods' gateway).
  std::string bridge_name = "kubepp0";
  // Name of the CNI network in the conflist.
  std::string network_name = "kubepp";
  // Where the CNI plugins (bridge, host-local, portmap, loopback) are.
  std::string cni_bin_dir = "/usr/lib/cni";
  // containerd's --log-level ("info", "debug", ...).
  std::string log_level = "info";
  // How long Start() waits for the CRI Version RPC to answer.
  std::chrono::milliseconds start_timeout{std::chrono::seconds(30)};
  // How long Stop() waits after SIGTERM before SIGKILL.
  std::chrono::milliseconds stop_grace{std::chrono::seconds(10)};
  // Tests: containerd gets SIGKILL when the thread that started it dies (PR_SET_PDEATHSIG, which
  // follows the starting *thread*, so leave it off when Start() runs on a pool thread).
  bool kill_with_parent = false;
  // A mount namespace of its own (a slave of the host's, with a private tmpfs on /run):
  // shim sockets (/run/containerd/s), runc's and ctr's defaults and every sandbox mount stay
  // off the host, and vanish with containerd and its shims. Mounts made on the host later (the
  // kubelet's volumes) still propagate in.
  bool private_mounts = false;
  // A network namespace of its own with loopback up: the sandboxes' CNI bridge, veths and
  // iptables rules live there (a node of its own, as `kubepp start` makes) and go with it.
  bool new_network_namespace = false;
};

// The containerd config file (TOML, version 2) for `options`. Pure; see containerd.cc for why
// each key is set.
std::string ContainerdConfigToml(const ContainerdOptions& options);
// The CNI conflist (JSON) for `options`: bridge + host-local on pod_cidr, then portmap.
std::string CniConflistJson(const ContainerdOptions& options);

// Unmounts every mount point at or under `dir` (deepest first, lazily), as containerd leaves
// overlay rootfs and sandbox shm mounts under its root and state. For tests and node teardown.
Status UnmountUnder(const std::string& dir);

// A running containerd (owned or not) and where to reach it.
class Containerd {
 public:
  // Writes the config and CNI conflist, starts containerd and waits until it answers CRI
  // Version. ServiceUnavailable (with the tail of containerd.log) when it exits or does not
  // answer within start_timeout; the process is killed in that case. AlreadyExists when a
  // containerd already answers on the data dir's socket (use Connect, or stop it).
  static Result<std::unique_ptr<Containerd>> Start(ContainerdOptions options);
  // An existing containerd at `socket` (a path or "unix://path"), checked with CRI Version.
  static Result<std::unique_ptr<Containerd>> Connect(
      const std::string& socket, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~Containerd();
  Containerd(const Containerd&) = delete;
  Containerd& operator=(const Containerd&) = delete;

  // SIGTERM, SIGKILL after stop_grace, then reaps the process. Idempotent; does nothing for a
  // connected (not owned) containerd. Errors only when the process cannot be signalled.
  Status Stop();

  // The socket path.
  const std::string& Socket() const { return socket_; }
  // "unix://<socket>", for cri::CriClientOptions::endpoint.
  std::string Endpoint() const { return "unix://" + socket_; }
  // The child's PID while it runs; -1 when stopped or not owned.
  pid_t Pid() const { return pid_; }
  // True when Start() launched it (Stop() will end it).
  bool Owned() const { return owned_; }
  // The last `bytes` of containerd.log ("" when not owned).
  std::string LogTail(size_t bytes = 4000) const;

 private:
  Containerd(ContainerdOptions options, std::string socket, bool owned);
  Status Launch();
  Status WaitReady(std::chrono::milliseconds timeout);

  ContainerdOptions options_;  // how it was configured (only data_dir matters when connected)
  std::string socket_;         // the gRPC socket path
  bool owned_ = false;         // started by us: Stop() signals pid_
  pid_t pid_ = -1;             // the running child, -1 when none
};

}  // namespace kubepp::kubelet
