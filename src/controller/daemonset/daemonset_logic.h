// The DaemonSet controller's decisions as pure functions (no server; time comes in as
// arguments): which nodes should run a daemon pod (upstream's NodeShouldRunDaemonPod, with the
// node-affinity matcher the scheduler reuses), the tolerations every daemon pod gets, the pod a
// DaemonSet creates for one node (bound through a required node affinity on metadata.name), what
// manage and the rolling update do per node, the status figures, the ControllerRevision data and
// history clean-up, and the back-off of failed daemon pods. Upstream:
// pkg/controller/daemon/{daemon_controller,update}.go,
// pkg/controller/daemon/util/daemonset_util.go,
// k8s.io/component-helpers/scheduling/corev1/nodeaffinity.
//
// Thread-safe: functions are stateless; FailedPodsBackoff guards itself with a mutex.
#pragma once

#include <boost/json/value.hpp>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "api/selector.h"
#include "api/types.h"
#include "base/clock.h"
#include "base/status.h"
#include "controller/replicaset/replicaset_logic.h"

namespace kubepp::controller::daemonset {

// Label carrying the hash of the DaemonSet revision a pod was made from
// (apps.DefaultDaemonSetUniqueLabelKey).
inline constexpr char kControllerRevisionHashLabel[] = "controller-revision-hash";
// Label carrying the template generation a pod was made from (DaemonSetTemplateGenerationKey).
inline constexpr char kPodTemplateGenerationLabel[] = "pod-template-generation";
// Annotation the API server keeps the template generation in (apps/v1).
inline constexpr char kTemplateGenerationAnnotation[] = "deprecated.daemonset.template.generation";
// The node field a required node affinity binds a daemon pod with (metav1.ObjectNameField).
inline constexpr char kObjectNameField[] = "metadata.name";
// At most this many creations or deletions per sync (upstream's BurstReplicas).
inline constexpr int kBurstReplicas = 250;
// Event reasons.
inline constexpr char kReasonFailedDaemonPod[] = "FailedDaemonPod";
inline constexpr char kReasonSelectingAll[] = "SelectingAll";
inline constexpr char kReasonSucceededDaemonPod[] = "SucceededDaemonPod";

// ---- node selection (reusable by the scheduler)

// Whether one requirement holds for `labels`: In, NotIn (also when the key is absent), Exists,
// DoesNotExist, Gt and Lt (one integer value compared with the label's integer value). Unknown
// operators never match.
bool NodeSelectorRequirementMatches(const api::NodeSelectorRequirement& req,
                                    const std::map<std::string, std::string>& labels);
// Whether one term holds for `node`: every matchExpressions requirement on its labels and every
// matchFields requirement (only metadata.name, In/NotIn) on its fields. A term with neither
// matches nothing.
bool NodeSelectorTermMatches(const api::NodeSelectorTerm& term, const api::Node& node);
// Whether any term of the selector matches (no terms: nothing matches).
bool NodeSelectorMatches(const api::NodeSelector& selector, const api::Node& node);
// The pod's required node affinity: spec.nodeSelector and
// affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution both hold
// (upstream's nodeaffinity.GetRequiredNodeAffinity(pod).Match(node)).
bool RequiredNodeAffinityMatches(const api::PodSpec& spec, const api::Node& node);

// The first taint of `taints` accepted by `filter` that no toleration tolerates.
template <typename Filter>
std::optional<api::Taint> FindUntoleratedTaint(const std::vector<api::Taint>& taints,
                                               const std::vector<api::Toleration>& tolerations,
                                               Filter filter);
// Whether `toleration` tolerates `taint` (upstream's Toleration.ToleratesTaint).
bool ToleratesTaint(const api::Toleration& toleration, const api::Taint& taint);

// Adds the tolerations every daemon pod carries (upstream's AddOrUpdateDaemonPodTolerations):
// not-ready and unreachable NoExecute (forever), disk-pressure, memory-pressure, pid-pressure
// and unschedulable NoSchedule, and network-unavailable NoSchedule with hostNetwork. A
// toleration with the same key, operator, value and effect is replaced.
void AddDaemonPodTolerations(api::PodSpec& spec);

// upstream's NodeShouldRunDaemonPod.
struct ShouldRun {
  bool should_run = false;               // a daemon pod should be created there
  bool should_continue_running = false;  // a daemon pod already there may stay
};
ShouldRun NodeShouldRunDaemonPod(const api::Node& node, const api::DaemonSet& ds);

// ---- pods

// The affinity binding a pod to `node_name`: the required node selector becomes the single term
// matchFields metadata.name In [node_name] (other required terms are replaced; preferred terms
// and pod (anti-)affinity are kept). upstream's ReplaceDaemonSetPodNodeNameNodeAffinity.
api::Affinity ReplaceNodeNameAffinity(const std::optional<api::Affinity>& affinity,
                                      const std::string& node_name);
// The node a daemon pod is for: spec.nodeName, else the metadata.name In [x] of its required
// node affinity; nullopt when neither says (upstream's GetTargetNodeName).
std::optional<std::string> TargetNodeName(const api::Pod& pod);

// The template generation from the annotation; nullopt when absent or not a number.
std::optional<int64_t> TemplateGeneration(const api::DaemonSet& ds);
// The controllerRef a DaemonSet puts on its pods and revisions.
api::OwnerReference ControllerRefFor(const api::DaemonSet& ds);
// The DaemonSet's template as pods are made from it (upstream's CreatePodTemplate): the daemon
// tolerations added, labels pod-template-generation (when known) and controller-revision-hash
// (when `hash` is not empty).
api::PodTemplateSpec DaemonPodTemplate(const api::DaemonSet& ds, std::optional<int64_t> generation,
                                       const std::string& hash);
// The pod to create on `node_name` from `tmpl`: generateName "<ds>-", the controllerRef, and the
// node affinity of ReplaceNodeNameAffinity (spec.nodeName stays empty: the scheduler binds it).
api::Pod NewDaemonPod(const api::DaemonSet& ds, const api::PodTemplateSpec& tmpl,
                      const std::string& node_name);
// Whether the pod runs the current template: its hash label is `hash`, or its generation label
// is the DaemonSet's template generation (upstream's IsPodUpdated).
bool IsPodUpdated(const api::Pod& pod, const std::string& hash, std::optional<int64_t> generation);
// upstream's podByCreationTimestampAndPhase: scheduled pods first, then older first, then name.
bool PodBefore(const api::Pod* a, const api::Pod* b);

// What ClaimPods / ClaimControllerRevisions does with one object of the namespace.
replicaset::ClaimAction DecideClaim(const api::DaemonSet& ds, const api::Selector& selector,
                                    const api::ObjectMeta& object);

// Daemon pods by the node they are for. Pods without a target node are left out; terminal pods
// being deleted too, unless `include_deleted_terminal`.
using NodeToPods = std::map<std::string, std::vector<const api::Pod*>>;
NodeToPods GroupPodsByNode(const std::vector<const api::Pod*>& pods, bool include_deleted_terminal);

// ---- failed pods back-off (upstream's failedPodsBackoff: 1 s doubling to 15 min)

class FailedPodsBackoff {
 public:
  FailedPodsBackoff(Clock::Duration initial, Clock::Duration max) : initial_(initial), max_(max) {}

  // upstream's failedPodsBackoffKey: "<ds uid>/<observedGeneration>/<node>".
  static std::string Key(const api::DaemonSet& ds, const std::string& node_name);
  // Whether `key` was moved on less than its current back-off before `now`.
  bool IsInBackOffSinceUpdate(const std::string& key, Clock::TimePoint now) const;
  // Moves `key` on: the back-off starts at `initial` (new or expired entry) or doubles, capped.
  void Next(const std::string& key, Clock::TimePoint now);
  // The current back-off of `key` (0 when unknown).
  Clock::Duration Get(const std::string& key) const;
  // Drops entries untouched for twice the maximum.
  void GC(Clock::TimePoint now);

 private:
  struct Entry {
    Clock::Duration backoff{};       // current delay
    Clock::TimePoint last_update{};  // when it was last moved on
  };
  Clock::Duration initial_;               // first delay
  Clock::Duration max_;                   // cap
  mutable std::mutex mu_;                 // guards entries_
  std::map<std::string, Entry> entries_;  // by Key()
};

// ---- manage (upstream's manage / podsShouldBeOnNode)

// What manage does.
struct ManagePlan {
  std::vector<std::string> nodes_needing_pods;   // create one daemon pod there
  std::vector<const api::Pod*> pods_to_delete;   // delete these
  std::vector<const api::Pod*> failed_pods;      // FailedDaemonPod events (also deleted)
  std::optional<Clock::Duration> requeue_after;  // a failed pod waits for its back-off
};
// `nodes` are every node of the cluster; `node_to_pods` the DaemonSet's pods by node (from
// GroupPodsByNode without deleted terminal pods). Failed pods are deleted unless their node's
// back-off runs (then requeue_after); with more than one running pod on a node the extras are
// deleted (without surge: all but the oldest; with surge: one old and one new are kept while the
// new one is not yet available); pods on nodes that should not run them are deleted; unbound
// pods for nodes that do not exist are deleted.
ManagePlan PlanManage(const api::DaemonSet& ds, const std::vector<const api::Node*>& nodes,
                      const NodeToPods& node_to_pods, const std::string& hash,
                      FailedPodsBackoff& backoff, Clock::TimePoint now, Clock::WallTime wall_now);

// ---- rolling update (upstream's rollingUpdate)

// An IntOrString scaled against `total`: ints as is, "N%" of total rounded up or down.
Result<int32_t> ScaledValue(const api::IntOrString& v, int32_t total, bool round_up);
// maxSurge / maxUnavailable of a RollingUpdate DaemonSet for `desired` nodes (0 for OnDelete),
// percentages rounded up (upstream's SurgeCount / UnavailableCount).
Result<int32_t> SurgeCount(const api::DaemonSet& ds, int32_t desired);
Result<int32_t> UnavailableCount(const api::DaemonSet& ds, int32_t desired);
// Whether the DaemonSet surges during a rolling update.
bool AllowsSurge(const api::DaemonSet& ds);

struct RollingPlan {
  std::vector<const api::Pod*> pods_to_delete;  // old pods to delete
  std::vector<std::string> nodes_to_create;     // nodes that get a new pod now (surge)
};
// One step of the rolling update: without surge, old pods are deleted while at most
// maxUnavailable nodes are unavailable (unavailable old pods are always replaced); with surge,
// new pods are created next to available old ones on at most maxSurge nodes, and an old pod is
// deleted once the new pod beside it is available.
Result<RollingPlan> PlanRollingUpdate(const api::DaemonSet& ds,
                                      const std::vector<const api::Node*>& nodes,
                                      const NodeToPods& node_to_pods, const std::string& hash,
                                      Clock::WallTime wall_now);

// ---- status (upstream's updateDaemonSetStatus)

// The figures of the status (observedGeneration, collisionCount and conditions are copied from
// ds.status).
api::DaemonSetStatus CalculateStatus(const api::DaemonSet& ds,
                                     const std::vector<const api::Node*>& nodes,
                                     const NodeToPods& node_to_pods, const std::string& hash,
                                     Clock::WallTime wall_now);
// Whether the figures differ from ds.status, or observedGeneration lags ds.metadata.generation.
bool StatusNeedsUpdate(const api::DaemonSet& ds, const api::DaemonSetStatus& status);

// ---- history

// The revision data of the DaemonSet (upstream's getPatch):
// {"spec":{"template":{<template>,"$patch":"replace"}}}.
boost::json::value RevisionData(const api::DaemonSet& ds);
// Whether the revision holds the DaemonSet's current template (upstream's Match).
bool RevisionMatches(const api::DaemonSet& ds, const api::ControllerRevision& rev);
// The revision to create for the DaemonSet's template (upstream's snapshot): name
// "<ds>-<hash>" with the collision count as probe, labels = template labels +
// controller-revision-hash, the DaemonSet's annotations, its controllerRef.
api::ControllerRevision NewRevision(const api::DaemonSet& ds, int64_t revision);
// The old revisions to delete beyond revisionHistoryLimit (default 10), oldest first, never one
// whose hash a live pod carries.
std::vector<const api::ControllerRevision*> RevisionsToDelete(
    const api::DaemonSet& ds, std::vector<const api::ControllerRevision*> old,
    const std::set<std::string>& live_hashes);

// ---- template definitions

template <typename Filter>
std::optional<api::Taint> FindUntoleratedTaint(const std::vector<api::Taint>& taints,
                                               const std::vector<api::Toleration>& tolerations,
                                               Filter filter) {
  for (const auto& taint : taints) {
    if (!filter(taint)) continue;
    bool tolerated = false;
    for (const auto& tol : tolerations) {
      if (ToleratesTaint(tol, taint)) {
        tolerated = true;
        break;
      }
    }
    if (!tolerated) return taint;
  }
  return std::nullopt;
}

}  // namespace kubepp::controller::daemonset
