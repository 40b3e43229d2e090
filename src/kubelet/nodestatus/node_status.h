// The kubelet's Node: registration, status and the heartbeat Lease (upstream's
// kubelet_node_status.go, nodestatus setters and the node lease controller, v1.32).
//
// - Registration: the Node is created with upstream's default labels (kubernetes.io/hostname,
//   kubernetes.io/os, kubernetes.io/arch and their beta.* twins, plus --node-labels), the
//   controller-managed attach/detach annotation, --register-with-taints, and a full status. When
//   it exists already (a restart, or an admin made it), the default labels and the annotation
//   are reconciled onto it instead.
// - Status: capacity (cpu, memory, pods, ephemeral-storage, hugepages-*) and allocatable
//   (capacity minus the hard eviction thresholds: memory.available 100Mi, nodefs.available 10%),
//   addresses (InternalIP, Hostname), the kubelet endpoint, nodeInfo, and the conditions
//   MemoryPressure, DiskPressure, PIDPressure, Ready with upstream's reasons and messages. Ready
//   follows the container runtime's state. Posted every status_update_frequency when it changed
//   (heartbeat times aside), and at least every status_report_frequency.
// - Lease: kube-node-lease/<node>, holder the node, 40 s, owned by the Node, renewed every
//   lease_renew_interval (10 s), which is what the node lifecycle controller watches.
//
//   NodeStatusManager m(runtime, client, options, machine, [&] { return runtime_state(); });
//   m.Start();           // registers (retrying), then heartbeats on its own thread
//   ...
//   m.Stop();
//
// Threading: SetNodeStatus/InitialNode are pure. NodeStatusManager runs one thread of its own
// that blocks on API calls (never on an io thread); Start/Stop from a plain thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/types.h"
#include "async/runtime.h"
#include "base/clock.h"
#include "client/rest_client.h"
#include "kubelet/nodestatus/machine_info.h"

namespace kubepp::kubelet {

inline constexpr char kNodeLeaseNamespace[] = "kube-node-lease";

struct NodeStatusOptions {
  std::string node_name;                           // metadata.name
  std::string hostname;                            // the Hostname address and hostname label
  std::string node_ip;                             // the InternalIP address ("" = none)
  std::map<std::string, std::string> node_labels;  // --node-labels, added at registration
  std::vector<api::Taint> register_with_taints;    // --register-with-taints
  std::string pod_cidr;                            // spec.podCIDR when given by flag ("" = none)
  int32_t max_pods = 110;                          // --max-pods
  int32_t kubelet_port = 10250;                    // status.daemonEndpoints
  Clock::Duration status_update_frequency = std::chrono::seconds(10);
  Clock::Duration status_report_frequency = std::chrono::minutes(1);
  int32_t lease_duration_seconds = 40;
  Clock::Duration lease_renew_interval = std::chrono::seconds(10);
};

// What the container runtime says of itself (from CRI Status/Version).
struct RuntimeState {
  bool ready = false;   // runtime and network ready
  std::string version;  // "containerd://1.6.20"
  std::string message;  // why not ready
};

// The Node to register: metadata (labels, annotation), spec (taints, podCIDR) — no status.
api::Node InitialNode(const NodeStatusOptions& options, const MachineInfo& machine);
// Fills node.status from the machine and runtime at `now`; conditions keep their
// lastTransitionTime unless their status changes, and get lastHeartbeatTime = now.
void SetNodeStatus(api::Node& node, const NodeStatusOptions& options, const MachineInfo& machine,
                   const RuntimeState& runtime, Clock::WallTime now);
// Whether two statuses differ in anything but the conditions' heartbeat times (upstream's
// nodeStatusHasChanged).
bool NodeStatusChanged(const api::NodeStatus& a, const api::NodeStatus& b);
// Adds the default labels and the attach/detach annotation `want` has to `existing`; true when
// it changed (upstream's reconcile of an existing Node at registration).
bool ReconcileExistingNode(const api::Node& want, api::Node& existing);

class NodeStatusManager {
 public:
  NodeStatusManager(async::Runtime& runtime, client::RestClient& client, NodeStatusOptions options,
                    MachineInfo machine, std::function<RuntimeState()> runtime_state,
                    const Clock& clock = Clock::Real());
  ~NodeStatusManager();
  NodeStatusManager(const NodeStatusManager&) = delete;
  NodeStatusManager& operator=(const NodeStatusManager&) = delete;

  void Start();
  // Stops the thread (the Lease is left to expire, as upstream).
  void Stop();
  bool Registered() const { return registered_.load(); }

 private:
  void Run();
  kubepp::Status Register();
  kubepp::Status UpdateStatus(bool force);
  kubepp::Status RenewLease();
  bool Sleep(Clock::Duration d);  // false when stopping

  async::Runtime& runtime_;
  client::RestClient& client_;
  NodeStatusOptions options_;
  MachineInfo machine_;
  std::function<RuntimeState()> runtime_state_;
  const Clock& clock_;
  std::optional<api::Node> last_;   // the Node as last written/read (status thread only)
  Clock::TimePoint last_report_{};  // when status was last posted
  std::atomic<bool> registered_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace kubepp::kubelet
