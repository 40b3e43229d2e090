#include "cmd/kubepp/roles.h"

#include <array>

namespace kubepp::cmd {

std::span<const Role> Roles() {
  static constexpr std::array kRoles = {
      Role{"server", "control plane in one process: apiserver, scheduler, controllers, cloud",
           nullptr, "issue #9"},
      Role{"agent", "one worker node: kubelet + kube-proxy (+ its own containerd)", nullptr,
           "issue #9"},
      Role{"apiserver", "the Kubernetes API server (REST, watch, the store)", &ApiServerMain, ""},
      Role{"scheduler", "places pods on nodes", &SchedulerMain, ""},
      Role{"controller-manager", "control loops: namespaces, garbage collection, replicasets, ...",
           &ControllerManagerMain, ""},
      Role{"cloud-controller-manager", "routes, load balancers and node life for a provider",
           nullptr, "issue #9"},
      Role{"kubelet", "the node agent: runs pods through containerd over CRI", &KubeletMain, ""},
      Role{"proxy", "kube-proxy: Service addresses in the kernel (nftables/iptables)", nullptr,
           "issue #8"},
      Role{"kubectl", "a kubectl-compatible command-line client", nullptr, "issue #4"},
      Role{"start", "start a local cluster on this machine (like minikube/kind)", nullptr,
           "issue #9"},
      Role{"stop", "stop a local cluster and remove everything it made", nullptr, "issue #9"},
      Role{"status", "show the state of a local cluster", nullptr, "issue #9"},
      Role{"image", "build node images (pause, busybox) as OCI archives", &ImageMain, ""},
      Role{"version", "print the kubepp version and the Kubernetes API level", &VersionMain, ""},
  };
  return kRoles;
}

}  // namespace kubepp::cmd
