// Kubelet: `kubepp kubelet`'s engine (issue #7): the node's container runtime (its own
// supervised containerd with kubepp's built-in images imported, or an existing one by socket),
// the CRI client, the Node (registration, status whose Ready condition follows the runtime's
// CRI Status, heartbeat Lease) and the pod workers that run the pods bound to the node.
//
//   KubeletOptions o{.node = {.node_name = "node-1", ...}, .root_dir = "/var/lib/kubepp/node-1"};
//   auto k = Kubelet::Start(runtime, client, o);   // containerd up, node registering
//   ...
//   (*k)->Stop();                                  // heartbeats stop, containerd stops
//
// Threading: Start/Stop from a plain thread; the parts run on threads of their own.
#pragma once

#include <memory>
#include <string>

#include "async/runtime.h"
#include "base/status.h"
#include "client/rest_client.h"
#include "kubelet/containerd/containerd.h"
#include "kubelet/cri/cri_client.h"
#include "kubelet/kubelet/pod_workers.h"
#include "kubelet/nodestatus/node_status.h"

namespace kubepp::kubelet {

struct KubeletOptions {
  NodeStatusOptions node;  // name, addresses, labels, taints, pod CIDR, frequencies
  std::string root_dir;    // everything the kubelet and its containerd write
  // An existing runtime's socket ("unix:///run/containerd/containerd.sock"); "" = start our own
  // containerd under <root_dir>/containerd with `containerd` below.
  std::string runtime_endpoint;
  ContainerdOptions containerd;  // data_dir and pod_cidr are filled from root_dir / node
  // How pods become CRI configs (pod_logs_root, host IPs, allocatable are filled in).
  PodConfigOptions pods;
  // kubepp-pause for the built-in images imported into our own containerd at start
  // (localhost/pause:kubepp, localhost/busybox:1.35); "" = none imported.
  std::string pause_binary;
  std::string ctr_binary = "/usr/bin/ctr";
};

// What the runtime's CRI Status/Version say, as the node's Ready condition wants it (upstream's
// runtimeState errors: "container runtime is down", "container runtime not ready:
// RuntimeReady=false reason:... message:...", "container runtime network not ready: ...").
RuntimeState QueryRuntimeState(cri::CriClient& cri);

class Kubelet {
 public:
  static Result<std::unique_ptr<Kubelet>> Start(async::Runtime& runtime, client::RestClient& client,
                                                KubeletOptions options);
  ~Kubelet();
  Kubelet(const Kubelet&) = delete;
  Kubelet& operator=(const Kubelet&) = delete;

  // Stops the heartbeats, then our own containerd (an existing one is left alone). Idempotent.
  void Stop();
  bool Registered() const { return node_status_ != nullptr && node_status_->Registered(); }
  cri::CriClient& Cri() { return *cri_; }

 private:
  Kubelet() = default;

  std::unique_ptr<Containerd> containerd_;
  std::unique_ptr<cri::CriClient> cri_;
  std::unique_ptr<NodeStatusManager> node_status_;
  std::unique_ptr<PodWorkers> pod_workers_;
};

// Builds kubepp's built-in images (pause from `pause_binary`, busybox from /bin/busybox) into
// `dir` and imports those the runtime lacks with ctr (namespace k8s.io).
Status ImportBuiltinImages(cri::CriClient& cri, const std::string& socket,
                           const std::string& pause_binary, const std::string& ctr_binary,
                           const std::string& dir);

}  // namespace kubepp::kubelet
