// The decisions of the node lifecycle controller and of taint-based eviction, free of I/O so
// that they are unit-tested with a FakeClock (upstream's pkg/controller/nodelifecycle
// tryUpdateNodeHealth / doNoScheduleTaintingPass / doNoExecuteTaintingPass and
// pkg/controller/tainteviction's getMinTolerationTime).
//
// Heartbeats are observed on the controller's own clock: the Ready condition's
// lastHeartbeatTime or the node Lease's renewTime *changing* counts as a heartbeat at the
// moment this controller sees the change; the writers' clocks are never compared with ours.
// Thread-compatible: a NodeHealthTracker belongs to one monitoring loop.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/types.h"
#include "base/clock.h"

namespace kubepp::controller::node {

inline constexpr char kTaintUnreachable[] = "node.kubernetes.io/unreachable";
inline constexpr char kTaintNotReady[] = "node.kubernetes.io/not-ready";
inline constexpr char kTaintMemoryPressure[] = "node.kubernetes.io/memory-pressure";
inline constexpr char kTaintDiskPressure[] = "node.kubernetes.io/disk-pressure";
inline constexpr char kTaintPidPressure[] = "node.kubernetes.io/pid-pressure";
inline constexpr char kTaintNetworkUnavailable[] = "node.kubernetes.io/network-unavailable";
inline constexpr char kTaintUnschedulable[] = "node.kubernetes.io/unschedulable";
inline constexpr char kEffectNoExecute[] = "NoExecute";
inline constexpr char kEffectNoSchedule[] = "NoSchedule";
inline constexpr char kLeaseNamespace[] = "kube-node-lease";
inline constexpr char kReasonNodeStatusUnknown[] = "NodeStatusUnknown";
inline constexpr char kMessageNodeStatusUnknown[] = "Kubelet stopped posting node status.";
inline constexpr char kReasonNodeStatusNeverUpdated[] = "NodeStatusNeverUpdated";
inline constexpr char kMessageNodeStatusNeverUpdated[] = "Kubelet never posted node status.";

// The node's condition of `type`, nullptr when absent.
const api::NodeCondition* FindCondition(const api::Node& node, const std::string& type);

// What the controller remembers of one node (upstream's nodeHealthData).
struct NodeHealth {
  Clock::TimePoint probe_timestamp{};             // our time of the last heartbeat seen
  Clock::TimePoint ready_transition_timestamp{};  // our time of the last Ready status change
  std::optional<api::NodeCondition> ready;        // the Ready condition last seen or written
  std::string lease_renew_time;                   // the Lease renewTime last seen
};

// The outcome of looking at one node.
struct HealthDecision {
  bool update_status = false;  // `node` carries conditions to write (status update)
  api::Node node;              // the node with its conditions as they should be
  std::string ready_status;    // the Ready status after this decision ("" when none)
};

// Tracks heartbeats of every node and decides when a silent node turns Unknown.
class NodeHealthTracker {
 public:
  NodeHealthTracker(Clock::Duration grace_period, Clock::Duration startup_grace_period)
      : grace_period_(grace_period), startup_grace_period_(startup_grace_period) {}

  // Looks at `node` (and its Lease, nullptr when absent) at `now`. When the heartbeat is older
  // than the grace period, the Ready condition (and MemoryPressure / DiskPressure / PIDPressure
  // when present) become Unknown; a node that never posted a Ready condition gets one (Unknown,
  // NodeStatusNeverUpdated) after the startup grace period.
  HealthDecision Observe(const api::Node& node, const api::Lease* lease, Clock::TimePoint now,
                         Clock::WallTime wall_now);
  // Records the conditions actually written (after a successful status update).
  void Written(const api::Node& node);
  // Forgets a deleted node.
  void Forget(const std::string& name) { health_.erase(name); }
  const NodeHealth* Get(const std::string& name) const;

 private:
  Clock::Duration grace_period_;              // --node-monitor-grace-period
  Clock::Duration startup_grace_period_;      // --node-startup-grace-period
  std::map<std::string, NodeHealth> health_;  // by node name
};

// The node's taints as the controller wants them: the NoExecute unreachable/not-ready taint
// from the Ready status (upstream's taint-based eviction marking, with timeAdded), and the
// NoSchedule taints from its conditions and spec.unschedulable (TaintNodesByCondition). Other
// taints are kept as they are; a taint already present keeps its timeAdded.
std::vector<api::Taint> DesiredTaints(const api::Node& node, Clock::WallTime wall_now);
// Whether two taint lists hold the same taints (order ignored, timeAdded ignored).
bool SameTaints(const std::vector<api::Taint>& a, const std::vector<api::Taint>& b);

// Whether `toleration` tolerates `taint` (upstream's Toleration.ToleratesTaint).
bool ToleratesTaint(const api::Toleration& toleration, const api::Taint& taint);

// When a pod on a node with these NoExecute taints must go (upstream's taint manager).
struct EvictionDecision {
  bool evict_now = false;             // some taint is not tolerated, or time is up
  std::optional<Clock::WallTime> at;  // evict at this time (tolerated for a while)
};
// `first_seen` gives a time for taints without timeAdded (the caller's first observation).
EvictionDecision DecideEviction(const std::vector<api::Toleration>& tolerations,
                                const std::vector<api::Taint>& no_execute_taints,
                                Clock::WallTime wall_now, Clock::WallTime first_seen);

// The node's NoExecute taints.
std::vector<api::Taint> NoExecuteTaints(const api::Node& node);

// Sets the pod's Ready condition to False (upstream's MarkPodsNotReady); false when it already
// was False or the pod has no Ready condition.
bool MarkPodNotReady(api::Pod& pod, Clock::WallTime wall_now);

}  // namespace kubepp::controller::node
