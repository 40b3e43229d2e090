// Framework: one profile's plugins, run extension point by extension point (upstream's
// frameworkImpl in framework/runtime). Built from a Registry and a KubeSchedulerProfile; a
// plugin instance is shared by every extension point it is enabled at.
//
// Threading: one scheduling loop drives a Framework. RunFilterPlugins and the per-node part of
// RunScorePlugins are const and may be called concurrently for different nodes; everything else
// runs on the scheduling thread. SetSnapshot must not be called while a cycle runs.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "scheduler/framework/config.h"
#include "scheduler/framework/interface.h"
#include "scheduler/framework/registry.h"

namespace kubepp::scheduler {

// One node's weighted total over all score plugins.
struct NodePluginScores {
  const NodeInfo* node = nullptr;  // the node (from the snapshot)
  int64_t total_score = 0;         // sum of weight * normalized score
};

class Framework : public Handle {
 public:
  // Instantiates the profile's plugins from `registry`. Invalid (kubepp::Status) for an
  // unknown plugin, a plugin enabled at a point it does not implement, more than 64 Filter or
  // Score plugins, or a factory error.
  // `listers` (borrowed, may be null) is what Handle::Listers() returns; it must outlive the
  // framework.
  // `nominator` and `preemption` (borrowed, may be null) are what Handle::Nominator() and
  // Handle::Preemption() return; they must outlive the framework too.
  static Result<std::unique_ptr<Framework>> New(const Registry& registry,
                                                const KubeSchedulerProfile& profile,
                                                const ClusterLister* listers = nullptr,
                                                const PodNominator* nominator = nullptr,
                                                PreemptionActions* preemption = nullptr);

  const std::string& ProfileName() const { return profile_name_; }
  std::optional<int32_t> PercentageOfNodesToScore() const { return percentage_; }

  // The snapshot plugins see through SnapshotSharedLister(); the caller keeps it alive for the
  // cycle.
  void SetSnapshot(const Snapshot* snapshot) { snapshot_ = snapshot; }
  // Handle
  const Snapshot& SnapshotSharedLister() const override;
  const ClusterLister* Listers() const override { return listers_; }
  const PodNominator* Nominator() const override { return nominator_; }
  PreemptionActions* Preemption() const override { return preemption_; }

  bool HasFilterPlugins() const { return !filter_.empty(); }
  bool HasPostFilterPlugins() const { return !post_filter_.empty(); }
  bool HasScorePlugins() const { return !score_.empty(); }
  // The enabled plugins' names per extension point ("PreFilter", "Filter", "Score", ...), in
  // run order; Score entries read "Name:weight". For tests and logs.
  std::vector<std::pair<std::string, std::vector<std::string>>> ListPlugins() const;
  // The plugin instance named `name`, or nullptr.
  Plugin* GetPlugin(std::string_view name) const;

  // Runs every PreFilter plugin in order. Skip marks the plugin's Filter as skipped in `state`.
  // A rejection returns at once (plugin recorded in the status), as does an Error. `result`
  // gets the intersection of the plugins' node sets; an empty intersection is
  // UnschedulableAndUnresolvable. `unschedulable_plugins` (optional) gets the plugins that
  // rejected or restricted nodes.
  Status RunPreFilterPlugins(CycleState& state, const PodInfo& pod,
                             std::span<const NodeInfo* const> nodes, PreFilterResult& result,
                             std::set<std::string>* unschedulable_plugins = nullptr);
  // Runs the Filter plugins (not skipped) on one node; stops at the first that rejects. A
  // non-rejection failure becomes Error. The failing plugin's name is in Status::Plugin().
  Status RunFilterPlugins(const CycleState& state, const PodInfo& pod, const NodeInfo& node) const;
  // Handle's runners (see interface.h).
  Status RunFilterPluginsWithNominatedPods(const CycleState& state, const PodInfo& pod,
                                           const NodeInfo& node) const override;
  Status RunPreFilterExtensionAddPod(CycleState& state, const PodInfo& pod,
                                     const PodInfo& pod_to_add,
                                     const NodeInfo& node) const override;
  Status RunPreFilterExtensionRemovePod(CycleState& state, const PodInfo& pod,
                                        const PodInfo& pod_to_remove,
                                        const NodeInfo& node) const override;
  // Runs the PostFilter plugins until one succeeds or fails with something other than
  // Unschedulable.
  Status RunPostFilterPlugins(CycleState& state, const PodInfo& pod, const NodeToStatus& filtered,
                              PostFilterResult& result);
  Status RunPreScorePlugins(CycleState& state, const PodInfo& pod,
                            std::span<const NodeInfo* const> nodes);
  // Scores every node with every (not skipped) Score plugin, normalizes per plugin, checks the
  // 0..100 range, applies weights. `out` gets one entry per node, in `nodes` order.
  Status RunScorePlugins(const CycleState& state, const PodInfo& pod,
                         std::span<const NodeInfo* const> nodes,
                         std::vector<NodePluginScores>& out) const;
  // Reserve in order; on failure the caller runs RunReservePluginsUnreserve.
  Status RunReservePluginsReserve(CycleState& state, const PodInfo& pod, const std::string& node);
  // Unreserve in reverse order.
  void RunReservePluginsUnreserve(CycleState& state, const PodInfo& pod, const std::string& node);
  // Success, a rejection, or Wait with `timeout` the smallest timeout asked for (capped at 15
  // minutes as upstream). Waiting itself is the caller's.
  Status RunPermitPlugins(CycleState& state, const PodInfo& pod, const std::string& node,
                          std::chrono::milliseconds& timeout);
  Status RunPreBindPlugins(CycleState& state, const PodInfo& pod, const std::string& node);
  // Bind plugins in order until one does not Skip; all Skip: Skip.
  Status RunBindPlugins(CycleState& state, const PodInfo& pod, const std::string& node);
  void RunPostBindPlugins(CycleState& state, const PodInfo& pod, const std::string& node);

 private:
  template <typename T>
  struct Entry {
    T* plugin = nullptr;  // borrowed from plugins_
    int64_t weight = 1;   // Score only
  };

  Framework() = default;

  std::string profile_name_;                      // schedulerName
  std::optional<int32_t> percentage_;             // profile's percentageOfNodesToScore
  std::vector<std::unique_ptr<Plugin>> plugins_;  // every instance, owned
  std::vector<Entry<PreFilterPlugin>> pre_filter_;
  std::vector<Entry<FilterPlugin>> filter_;
  std::vector<Entry<PostFilterPlugin>> post_filter_;
  std::vector<Entry<PreScorePlugin>> pre_score_;
  std::vector<Entry<ScorePlugin>> score_;
  std::vector<Entry<ReservePlugin>> reserve_;
  std::vector<Entry<PermitPlugin>> permit_;
  std::vector<Entry<PreBindPlugin>> pre_bind_;
  std::vector<Entry<BindPlugin>> bind_;
  std::vector<Entry<PostBindPlugin>> post_bind_;
  std::vector<int> pre_filter_to_filter_;    // PreFilter index -> Filter index of that plugin, -1
  std::vector<int> pre_score_to_score_;      // PreScore index -> Score index of that plugin, -1
  const Snapshot* snapshot_ = nullptr;       // the current cycle's snapshot, borrowed
  const ClusterLister* listers_ = nullptr;   // other cluster objects, borrowed (may be null)
  const PodNominator* nominator_ = nullptr;  // nominated pods, borrowed (may be null)
  PreemptionActions* preemption_ = nullptr;  // preemption's API calls, borrowed (may be null)
};

}  // namespace kubepp::scheduler
