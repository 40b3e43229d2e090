// The in-tree filter and score plugins (upstream's pkg/scheduler/framework/plugins), with
// upstream's names, reasons and scores:
//   NodeName, NodeUnschedulable, NodePorts, TaintToleration, NodeAffinity, NodeResourcesFit,
//   NodeResourcesBalancedAllocation, ImageLocality, PodTopologySpread, InterPodAffinity,
//   VolumeBinding (claims must exist and be bound; bound volumes' node affinity), and the
//   PostFilter DefaultPreemption.
// Each is built through its factory (also registered by NewInTreeRegistry) and used through the
// framework interfaces (FilterPlugin, ScorePlugin, ...). Filter/Score are const, thread-safe and
// allocate nothing on success; per-pod work happens in PreFilter/PreScore.
#pragma once

#include <memory>
#include <string_view>

#include "base/status.h"
#include "scheduler/framework/config.h"
#include "scheduler/framework/interface.h"
#include "scheduler/framework/registry.h"

namespace kubepp::scheduler::plugins {

inline constexpr std::string_view kNodeName = "NodeName";
inline constexpr std::string_view kNodeUnschedulable = "NodeUnschedulable";
inline constexpr std::string_view kNodePorts = "NodePorts";
inline constexpr std::string_view kTaintToleration = "TaintToleration";
inline constexpr std::string_view kNodeAffinity = "NodeAffinity";
inline constexpr std::string_view kNodeResourcesFit = "NodeResourcesFit";
inline constexpr std::string_view kNodeResourcesBalancedAllocation =
    "NodeResourcesBalancedAllocation";
inline constexpr std::string_view kImageLocality = "ImageLocality";
inline constexpr std::string_view kPodTopologySpread = "PodTopologySpread";
inline constexpr std::string_view kInterPodAffinity = "InterPodAffinity";
inline constexpr std::string_view kVolumeBinding = "VolumeBinding";
inline constexpr std::string_view kDefaultPreemption = "DefaultPreemption";

// Upstream's rejection reasons.
inline constexpr std::string_view kErrReasonNodeName =
    "node(s) didn't match the requested node name";
inline constexpr std::string_view kErrReasonUnschedulable = "node(s) were unschedulable";
inline constexpr std::string_view kErrReasonNodePorts =
    "node(s) didn't have free ports for the requested pod ports";
inline constexpr std::string_view kErrReasonNodeAffinity =
    "node(s) didn't match Pod's node affinity/selector";
inline constexpr std::string_view kErrReasonAffinityConflict = "pod affinity terms conflict";
inline constexpr std::string_view kErrReasonTooManyPods = "Too many pods";
inline constexpr std::string_view kTaintNodeUnschedulable = "node.kubernetes.io/unschedulable";
// PodTopologySpread: a DoNotSchedule constraint's skew would exceed maxSkew (Unschedulable), or
// the node lacks a constraint's topology key (UnschedulableAndUnresolvable).
inline constexpr std::string_view kErrReasonConstraintsNotMatch =
    "node(s) didn't match pod topology spread constraints";
inline constexpr std::string_view kErrReasonNodeLabelNotMatch =
    "node(s) didn't match pod topology spread constraints (missing required label)";
// InterPodAffinity: the pod's required affinity (UnschedulableAndUnresolvable), its required
// anti-affinity, and existing pods' required anti-affinity (both Unschedulable).
inline constexpr std::string_view kErrReasonAffinityRulesNotMatch =
    "node(s) didn't match pod affinity rules";
inline constexpr std::string_view kErrReasonAntiAffinityRulesNotMatch =
    "node(s) didn't match pod anti-affinity rules";
inline constexpr std::string_view kErrReasonExistingAntiAffinityRulesNotMatch =
    "node(s) didn't satisfy existing pods anti-affinity rules";

// Factories (PluginFactory). NodeResourcesFit, NodeResourcesBalancedAllocation, PodTopologySpread
// and InterPodAffinity take args (NodeResourcesFitArgs, NodeResourcesBalancedAllocationArgs,
// PodTopologySpreadArgs, InterPodAffinityArgs; monostate = defaults); wrong or invalid args:
// Invalid. PodTopologySpread and InterPodAffinity keep `handle` for the snapshot and
// Handle::Listers() (owners of a pod, namespaces); the handle must outlive the plugin.
Result<std::unique_ptr<Plugin>> NewNodeName(const PluginArgs& args, Handle& handle);
Result<std::unique_ptr<Plugin>> NewNodeUnschedulable(const PluginArgs& args, Handle& handle);
Result<std::unique_ptr<Plugin>> NewNodePorts(const PluginArgs& args, Handle& handle);
Result<std::unique_ptr<Plugin>> NewTaintToleration(const PluginArgs& args, Handle& handle);
Result<std::unique_ptr<Plugin>> NewNodeAffinity(const PluginArgs& args, Handle& handle);
Result<std::unique_ptr<Plugin>> NewNodeResourcesFit(const PluginArgs& args, Handle& handle);
Result<std::unique_ptr<Plugin>> NewNodeResourcesBalancedAllocation(const PluginArgs& args,
                                                                   Handle& handle);
Result<std::unique_ptr<Plugin>> NewImageLocality(const PluginArgs& args, Handle& handle);
Result<std::unique_ptr<Plugin>> NewPodTopologySpread(const PluginArgs& args, Handle& handle);
Result<std::unique_ptr<Plugin>> NewInterPodAffinity(const PluginArgs& args, Handle& handle);
// VolumeBinding reads claims and volumes through Handle::Listers().
Result<std::unique_ptr<Plugin>> NewVolumeBinding(const PluginArgs& args, Handle& handle);
// DefaultPreemption (args: DefaultPreemptionArgs) simulates through the handle's runners, reads
// PodDisruptionBudgets through Handle::Listers() and acts through Handle::Preemption().
Result<std::unique_ptr<Plugin>> NewDefaultPreemption(const PluginArgs& args, Handle& handle);

// Every plugin above under its name.
Registry NewInTreeRegistry();

// Upstream's default profile (getDefaultPlugins: multiPoint with TaintToleration 3,
// NodeAffinity 2, NodeResourcesFit 1, VolumeBinding, PodTopologySpread 2, InterPodAffinity 2,
// DefaultPreemption, NodeResourcesBalancedAllocation 1, ImageLocality 1), limited
// to the plugins above, in upstream's order. The caller adds PrioritySort, DefaultBinder, ... of
// its own.
KubeSchedulerProfile DefaultProfile();

}  // namespace kubepp::scheduler::plugins
