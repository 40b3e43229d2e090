// Kubelet: `kubepp kubelet`'s engine, assembled slice by slice (issue #7). Today: the node's
// container runtime (its own supervised containerd, or an existing one by socket), the CRI
// client, and the Node (registration, status whose Ready condition follows the runtime's CRI
// Status, heartbeat Lease). Pod workers come next; until then pods bound to the node are not
// run.
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
#include "kubelet/nodestatus/node_status.h"

namespace kubepp::kubelet {

struct KubeletOptions {
  NodeStatusOptions node;  // name, addresses, labels, taints, pod CIDR, frequencies
  std::string root_dir;    // everything the kubelet and its containerd write
  // An existing runtime's socket ("unix:///run/containerd/containerd.sock"); "" = start our own
  // containerd under <root_dir>/containerd with `containerd` below.
  std::string runtime_endpoint;
  ContainerdOptions containerd;  // data_dir and pod_cidr are filled from root_dir / node
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
};

}  // namespace kubepp::kubelet
