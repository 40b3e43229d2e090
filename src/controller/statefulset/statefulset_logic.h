// The StatefulSet controller's decisions as pure functions (no server; time and the cluster's
// claims are parameters): pod identity (names, ordinals, labels, hostname), storage (claims from
// volumeClaimTemplates), revisions (the template patch a ControllerRevision holds), the
// PersistentVolumeClaim retention policy's owner references, the status, and one sync's plan
// (upstream's updateStatefulSet). Upstream: pkg/controller/statefulset/stateful_set_utils.go,
// stateful_set_control.go, stateful_pod_control.go.
//
// Thread-safe (stateless).
#pragma once

#include <boost/json/value.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/types.h"
#include "base/clock.h"
#include "base/status.h"

namespace kubepp::controller::statefulset {

// Labels (upstream's apps/v1 constants).
inline constexpr char kStatefulSetPodNameLabel[] = "statefulset.kubernetes.io/pod-name";
inline constexpr char kPodIndexLabel[] = "apps.kubernetes.io/pod-index";
inline constexpr char kControllerRevisionHashLabel[] = "controller-revision-hash";
// Policy and strategy values.
inline constexpr char kOrderedReady[] = "OrderedReady";
inline constexpr char kParallel[] = "Parallel";
inline constexpr char kRollingUpdate[] = "RollingUpdate";
inline constexpr char kOnDelete[] = "OnDelete";
inline constexpr char kRetain[] = "Retain";
inline constexpr char kDelete[] = "Delete";

// ---- identity

// "<set>-<ordinal>".
std::string PodName(const api::StatefulSet& set, int ordinal);
// The parent name and ordinal of a pod named "<parent>-<n>"; ordinal -1 when it is not so named.
std::pair<std::string, int> ParentNameAndOrdinal(const api::Pod& pod);
int Ordinal(const api::Pod& pod);
// spec.ordinals.start (0 when unset), and the last ordinal kept (start + replicas - 1).
int StartOrdinal(const api::StatefulSet& set);
int EndOrdinal(const api::StatefulSet& set);
int32_t Replicas(const api::StatefulSet& set);
bool PodInOrdinalRange(const api::Pod& pod, const api::StatefulSet& set);
// Named after the set (upstream's isMemberOf).
bool IsMemberOf(const api::StatefulSet& set, const api::Pod& pod);
// Name, namespace and pod-name label are the set's for the pod's ordinal.
bool IdentityMatches(const api::StatefulSet& set, const api::Pod& pod);
// Name, namespace, pod-name and pod-index labels (upstream's updateIdentity).
void UpdateIdentity(const api::StatefulSet& set, api::Pod& pod);

// ---- storage

// "<template>-<set>-<ordinal>".
std::string PersistentVolumeClaimName(const api::StatefulSet& set,
                                      const api::PersistentVolumeClaim& claim, int ordinal);
// The claims of the pod's ordinal by template name: the template, named, in the set's
// namespace, labelled with the selector's matchLabels.
std::map<std::string, api::PersistentVolumeClaim> PersistentVolumeClaims(
    const api::StatefulSet& set, const api::Pod& pod);
// Every template has a volume of that name on the pod naming the ordinal's claim.
bool StorageMatches(const api::StatefulSet& set, const api::Pod& pod);
// The template volumes replaced by volumes naming the ordinal's claims (others kept).
void UpdateStorage(const api::StatefulSet& set, api::Pod& pod);

// ---- claim retention (persistentVolumeClaimRetentionPolicy)

// whenDeleted / whenScaled, "Retain" when unset.
std::pair<std::string, std::string> RetentionPolicy(const api::StatefulSet& set);
// The claim's owner references are what the policy asks for the set and the pod.
bool ClaimOwnerMatchesSetAndPod(const api::PersistentVolumeClaim& claim,
                                const api::StatefulSet& set, const api::Pod& pod);
// Sets and removes the claim's references to the set and the pod as the policy asks; true when
// the claim changed.
bool UpdateClaimOwnerRefForSetAndPod(api::PersistentVolumeClaim& claim, const api::StatefulSet& set,
                                     const api::Pod& pod);
// The claim names a pod of this name with another uid (a claim of a deleted pod, kept for the
// policy's garbage collection; upstream's hasStaleOwnerRef).
bool HasStaleOwnerRef(const api::PersistentVolumeClaim& claim, const api::Pod& pod);

// ---- pods

api::OwnerReference ControllerRefFor(const api::StatefulSet& set);
// The pod of `ordinal` from the set's template: controllerRef, identity, hostname = pod name,
// subdomain = serviceName, claim volumes.
api::Pod NewStatefulSetPod(const api::StatefulSet& set, int ordinal);
// The pod of `ordinal` at the revision the update strategy asks for: the current set's below
// the partition (RollingUpdate), else the update set's; labelled with that revision.
api::Pod NewVersionedStatefulSetPod(const api::StatefulSet& current_set,
                                    const api::StatefulSet& update_set,
                                    const std::string& current_revision,
                                    const std::string& update_revision, int ordinal);
std::string PodRevision(const api::Pod& pod);

bool IsCreated(const api::Pod& pod);
bool IsPending(const api::Pod& pod);
bool IsFailed(const api::Pod& pod);
bool IsSucceeded(const api::Pod& pod);
bool IsTerminating(const api::Pod& pod);
bool IsPodReady(const api::Pod& pod);
bool IsRunningAndReady(const api::Pod& pod);
bool IsRunningAndAvailable(const api::Pod& pod, int32_t min_ready_seconds, Clock::WallTime now);
// Running and ready and not terminating.
bool IsHealthy(const api::Pod& pod);

// ---- revisions

// The revision data of the set: {"spec":{"template":{..., "$patch":"replace"}}}.
boost::json::value RevisionData(const api::StatefulSet& set);
// The set with its template replaced by the one `data` holds (upstream's ApplyRevision).
Result<api::StatefulSet> ApplyRevision(const api::StatefulSet& set, const boost::json::value& data);

// ---- status

// Counts over created pods (upstream's updateStatus / computeReplicaStatus): replicas,
// readyReplicas, availableReplicas, currentReplicas, updatedReplicas.
void CountReplicas(api::StatefulSetStatus& status, const std::vector<const api::Pod*>& pods,
                   int32_t min_ready_seconds, const std::string& current_revision,
                   const std::string& update_revision, Clock::WallTime now);
// RollingUpdate and every replica updated and ready: current = update.
void CompleteRollingUpdate(const api::StatefulSet& set, api::StatefulSetStatus& status);
// The computed status differs from the stored one (upstream's inconsistentStatus).
bool InconsistentStatus(const api::StatefulSet& set, const api::StatefulSetStatus& status);

// ---- one sync

// What a sync does, in order; execution stops at the first failure.
enum class ActionType {
  kCreatePod,            // create the pod's missing claims, the pod, then fix claim owners
  kDeletePod,            // delete the pod
  kUpdatePod,            // restore identity/storage/claim owners of an existing pod
  kCreateMissingClaims,  // a pending pod's claims that do not exist yet
  kUpdateClaims,         // a condemned pod's claim owners, as the retention policy asks
};
struct Action {
  ActionType type = ActionType::kCreatePod;  // what
  api::Pod pod;                              // the pod it is about (to create: the new pod)
};
struct Plan {
  std::vector<Action> actions;    // in order
  api::StatefulSetStatus status;  // the status to report (before CompleteRollingUpdate)
  bool waiting = false;           // monotonic progress is blocked on a pod (logs)
};

// Looks a claim of the set's namespace up by name (nullptr when absent).
using ClaimLookup =
    std::function<std::shared_ptr<const api::PersistentVolumeClaim>(const std::string& name)>;

// upstream's updateStatefulSet: `set` as stored, `current_set`/`update_set` with the current
// and update revisions' templates, `pods` the claimed pods.
Plan PlanStatefulSet(const api::StatefulSet& set, const api::StatefulSet& current_set,
                     const api::StatefulSet& update_set, const std::string& current_revision,
                     const std::string& update_revision, int32_t collision_count,
                     const std::vector<const api::Pod*>& pods, const ClaimLookup& claims,
                     Clock::WallTime now);

// Names of revisions to delete: those used by neither the current/update revision nor any pod,
// oldest first, beyond revisionHistoryLimit (`revisions` sorted oldest first).
std::vector<std::string> RevisionsToTruncate(const api::StatefulSet& set,
                                             const std::vector<std::string>& sorted_revisions,
                                             const std::vector<const api::Pod*>& pods,
                                             const std::string& current_revision,
                                             const std::string& update_revision);

}  // namespace kubepp::controller::statefulset
