// The plugin interfaces of the scheduling framework (upstream's framework/interface.go). A
// plugin derives from the interfaces of the extension points it implements and nothing else:
//
//   class NodeAffinity : public PreFilterPlugin, public FilterPlugin,
//                        public PreScorePlugin, public ScorePlugin { ... };
//
// Threading: within one scheduling cycle, PreFilter, PreScore, Reserve, Permit run on the
// scheduling thread; Filter and Score may run on several threads at once for different nodes,
// so they must only read the CycleState and the plugin. Filter/Score are the hot path: no
// allocation on success, no parsing.
//
// Ownership: the Framework owns its plugins; PodInfo/NodeInfo/Snapshot are borrowed for the call.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "scheduler/framework/cycle_state.h"
#include "scheduler/framework/node_info.h"
#include "scheduler/framework/snapshot.h"
#include "scheduler/framework/status.h"

namespace kubepp::scheduler {

inline constexpr int64_t kMaxNodeScore = 100;
inline constexpr int64_t kMinNodeScore = 0;
inline constexpr int64_t kMaxTotalScore = INT64_MAX;

// Which nodes PreFilter lets through: all (no value) or a set of names. Sets intersect.
struct PreFilterResult {
  std::optional<std::set<std::string>> node_names;  // nullopt: all nodes

  bool AllNodes() const { return !node_names.has_value(); }
  PreFilterResult Merge(const PreFilterResult& other) const;
};

// One node's score from one plugin.
struct NodeScore {
  std::string_view name;  // the node name (views the snapshot's Node)
  int64_t score = 0;
};

// The status of every node Filter rejected, plus one status for the nodes never looked at
// (upstream's NodeToStatus).
class NodeToStatus {
 public:
  NodeToStatus() : absent_(StatusCode::kUnschedulableAndUnresolvable) {}
  void Set(std::string node, Status status) { statuses_[std::move(node)] = std::move(status); }
  const Status* Get(const std::string& node) const;
  size_t Len() const { return statuses_.size(); }
  const std::unordered_map<std::string, Status>& Explicit() const { return statuses_; }
  const Status& AbsentNodesStatus() const { return absent_; }
  void SetAbsentNodesStatus(Status s) { absent_ = std::move(s); }

 private:
  std::unordered_map<std::string, Status> statuses_;  // node name -> why it was rejected
  Status absent_;                                     // for nodes not in statuses_
};

// What PostFilter (preemption) decided about the pod's nomination (upstream's NominatingInfo):
// kNoop leaves it as it is; kOverride sets status.nominatedNodeName to nominated_node_name ("":
// clears it, e.g. when preemption cannot help anywhere).
struct PostFilterResult {
  enum class Mode : uint8_t { kNoop, kOverride };
  Mode mode = Mode::kNoop;
  std::string nominated_node_name;  // with kOverride; "" clears
};

// Cluster objects some plugins read besides nodes and pods (upstream's SharedInformerFactory
// listers): the owners PodTopologySpread's default constraints select by, namespaces for
// InterPodAffinity's namespaceSelector, claims for VolumeBinding. The scheduler serves them from
// its informers; tests from fakes. Thread-safe; results are shared and immutable.
class ClusterLister {
 public:
  virtual ~ClusterLister() = default;
  virtual std::vector<std::shared_ptr<const api::Service>> Services(std::string_view ns) const = 0;
  virtual std::vector<std::shared_ptr<const api::ReplicationController>> ReplicationControllers(
      std::string_view ns) const = 0;
  virtual std::vector<std::shared_ptr<const api::ReplicaSet>> ReplicaSets(
      std::string_view ns) const = 0;
  virtual std::vector<std::shared_ptr<const api::StatefulSet>> StatefulSets(
      std::string_view ns) const = 0;
  // nullptr when absent.
  virtual std::shared_ptr<const api::Namespace> GetNamespace(std::string_view name) const = 0;
  virtual std::vector<std::shared_ptr<const api::Namespace>> Namespaces() const = 0;
  virtual std::shared_ptr<const api::PersistentVolumeClaim> GetPersistentVolumeClaim(
      std::string_view ns, std::string_view name) const = 0;
  // nullptr when absent.
  virtual std::shared_ptr<const api::PersistentVolume> GetPersistentVolume(
      std::string_view name) const = 0;
  // Every namespace's PodDisruptionBudgets (preemption prefers victims they do not protect).
  virtual std::vector<std::shared_ptr<const api::PodDisruptionBudget>> PodDisruptionBudgets()
      const = 0;
};

// The pods nominated to run on a node (upstream's PodNominator): preemptors waiting for their
// victims to leave, known from status.nominatedNodeName or from this scheduler's own
// preemption. Filter counts nominated pods of equal or higher priority as if they ran there
// (Handle::RunFilterPluginsWithNominatedPods). Thread-safe.
class PodNominator {
 public:
  virtual ~PodNominator() = default;
  // The pods nominated to `node`, in the order they were nominated; empty for most nodes, and
  // cheap then (called per node in Filter).
  virtual std::vector<std::shared_ptr<const PodInfo>> NominatedPodsForNode(
      std::string_view node) const = 0;
};

// What preemption does to the cluster (upstream's plugins use the clientset and the event
// recorder). Blocking: called on the scheduling thread, each call waits for the API server.
class PreemptionActions {
 public:
  virtual ~PreemptionActions() = default;
  // Preempts `victim` for `preemptor`, which is nominated to `node` (upstream's
  // prepareCandidate): adds the status condition DisruptionTarget=True (reason
  // PreemptionByScheduler, message "<preemptor's schedulerName>: preempting to accommodate a
  // higher priority pod") unless present, deletes the victim (its own grace period), and records
  // the event "Preempted" "Preempted by pod <preemptor uid> on node <node>" on the victim. A
  // victim already gone is success.
  virtual kubepp::Status PreemptPod(const api::Pod& preemptor, const api::Pod& victim,
                                    const std::string& node) = 0;
  // Clears status.nominatedNodeName of `pod` (a lower-priority pod nominated to the node the
  // preemptor takes). A pod gone is success.
  virtual kubepp::Status ClearNominatedNodeName(const api::Pod& pod) = 0;
};

// What plugins may ask of the framework (upstream's framework.Handle, the part we have).
class Handle {
 public:
  virtual ~Handle() = default;
  // The snapshot of the current cycle (empty before the first SetSnapshot).
  virtual const Snapshot& SnapshotSharedLister() const = 0;
  // The cluster's other objects; nullptr when the framework was built without them (plugins
  // then behave as if none exist).
  virtual const ClusterLister* Listers() const { return nullptr; }
  // The nominated pods; nullptr when the framework was built without a nominator (no pod is
  // nominated anywhere).
  virtual const PodNominator* Nominator() const { return nullptr; }
  // Preemption's API calls; nullptr when the framework was built without them (preemption then
  // fails with an Error status).
  virtual PreemptionActions* Preemption() const { return nullptr; }

  // The framework's runners, for plugins that simulate (preemption). Filter with the nominated
  // pods of equal or higher priority (other than `pod`) added to a copy of `node` and `state`,
  // then, when that passed and pods were added, again without them (upstream's
  // RunFilterPluginsWithNominatedPods: a conservative answer for both resource and affinity
  // filters).
  virtual Status RunFilterPluginsWithNominatedPods(const CycleState& state, const PodInfo& pod,
                                                   const NodeInfo& node) const = 0;
  // Every PreFilter plugin's PreFilterExtensions::AddPod / RemovePod (plugins whose Filter is
  // skipped for `pod` are left out).
  virtual Status RunPreFilterExtensionAddPod(CycleState& state, const PodInfo& pod,
                                             const PodInfo& pod_to_add,
                                             const NodeInfo& node) const = 0;
  virtual Status RunPreFilterExtensionRemovePod(CycleState& state, const PodInfo& pod,
                                                const PodInfo& pod_to_remove,
                                                const NodeInfo& node) const = 0;
};

class Plugin {
 public:
  virtual ~Plugin() = default;
  // The upstream plugin name ("NodeResourcesFit").
  virtual std::string_view Name() const = 0;
};

// Optional incremental updates of PreFilter state, used when preemption adds/removes pods.
class PreFilterExtensions {
 public:
  virtual ~PreFilterExtensions() = default;
  virtual Status AddPod(CycleState& state, const PodInfo& pod_to_schedule,
                        const PodInfo& pod_to_add, const NodeInfo& node) const = 0;
  virtual Status RemovePod(CycleState& state, const PodInfo& pod_to_schedule,
                           const PodInfo& pod_to_remove, const NodeInfo& node) const = 0;
};

class PreFilterPlugin : public virtual Plugin {
 public:
  // Precomputes per-pod data into `state`; may restrict the nodes through `result`. Skip: this
  // plugin's Filter is not run for the pod. Unschedulable*: the pod fits nowhere.
  virtual Status PreFilter(CycleState& state, const PodInfo& pod,
                           std::span<const NodeInfo* const> nodes, PreFilterResult& result) = 0;
  virtual const PreFilterExtensions* GetPreFilterExtensions() const { return nullptr; }
};

class FilterPlugin : public virtual Plugin {
 public:
  // Success when `pod` fits on `node`; Unschedulable[AndUnresolvable] with upstream's reasons
  // otherwise. Thread-safe for concurrent calls.
  virtual Status Filter(const CycleState& state, const PodInfo& pod,
                        const NodeInfo& node) const = 0;
};

class PostFilterPlugin : public virtual Plugin {
 public:
  // Called when no node fits; may nominate a node (preemption).
  virtual Status PostFilter(CycleState& state, const PodInfo& pod,
                            const NodeToStatus& filtered_node_status, PostFilterResult& result) = 0;
};

class PreScorePlugin : public virtual Plugin {
 public:
  // Precomputes per-pod scoring data over the feasible nodes. Skip: Score is not run.
  virtual Status PreScore(CycleState& state, const PodInfo& pod,
                          std::span<const NodeInfo* const> nodes) = 0;
};

class ScoreExtensions {
 public:
  virtual ~ScoreExtensions() = default;
  // Rescales `scores` (one per feasible node) to kMinNodeScore..kMaxNodeScore.
  virtual Status NormalizeScore(const CycleState& state, const PodInfo& pod,
                                std::span<NodeScore> scores) const = 0;
};

class ScorePlugin : public virtual Plugin {
 public:
  // The node's raw score into `score`. Thread-safe for concurrent calls.
  virtual Status Score(const CycleState& state, const PodInfo& pod, const NodeInfo& node,
                       int64_t& score) const = 0;
  virtual const ScoreExtensions* GetScoreExtensions() const { return nullptr; }
};

class ReservePlugin : public virtual Plugin {
 public:
  virtual Status Reserve(CycleState& state, const PodInfo& pod, const std::string& node) = 0;
  // Must not fail; undoes Reserve (also for plugins whose Reserve was not reached).
  virtual void Unreserve(CycleState& state, const PodInfo& pod, const std::string& node) = 0;
};

class PermitPlugin : public virtual Plugin {
 public:
  // Success, Unschedulable (rejected), or Wait with `timeout` set.
  virtual Status Permit(CycleState& state, const PodInfo& pod, const std::string& node,
                        std::chrono::milliseconds& timeout) = 0;
};

// PreBind/Bind/PostBind are synchronous: an implementation that calls the API server runs on
// the binding thread (or blocking pool), never on an io thread.
class PreBindPlugin : public virtual Plugin {
 public:
  virtual Status PreBind(CycleState& state, const PodInfo& pod, const std::string& node) = 0;
};

class BindPlugin : public virtual Plugin {
 public:
  // Skip: not this plugin's pod, the next Bind plugin is asked.
  virtual Status Bind(CycleState& state, const PodInfo& pod, const std::string& node) = 0;
};

class PostBindPlugin : public virtual Plugin {
 public:
  virtual void PostBind(CycleState& state, const PodInfo& pod, const std::string& node) = 0;
};

// Upstream's helper.DefaultNormalizeScore: scales scores so the highest is `max_priority`;
// `reverse` flips them (max - score). All zero: all max_priority when reverse, else unchanged.
void DefaultNormalizeScore(int64_t max_priority, bool reverse, std::span<NodeScore> scores);

}  // namespace kubepp::scheduler
