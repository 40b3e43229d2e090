// The ReplicaSet controller's decisions as pure functions (no server, no clock of their own):
// pod activity/readiness/availability, controllerRefs, claim (adopt/release) decisions, the
// slow-start batch sizes, the deletion ranking (upstream's ActivePodsWithRanks) and the status
// computation (upstream's calculateStatus). Upstream: pkg/controller/controller_utils.go,
// pkg/controller/replicaset/replica_set_utils.go, pkg/api/v1/pod/util.go.
//
// Thread-safe (stateless).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/selector.h"
#include "api/types.h"
#include "base/clock.h"

namespace kubepp::controller::replicaset {

// Upstream's burstReplicas: at most this many creations or deletions per sync.
inline constexpr int kBurstReplicas = 500;
// Upstream's SlowStartInitialBatchSize.
inline constexpr int kSlowStartInitialBatchSize = 1;
// The condition type written when creating or deleting pods fails.
inline constexpr char kReplicaFailure[] = "ReplicaFailure";
// Annotation ordering scale-down (upstream's PodDeletionCost, on by default).
inline constexpr char kPodDeletionCostAnnotation[] = "controller.kubernetes.io/pod-deletion-cost";

// Parses a metav1.Time ("2024-01-02T03:04:05Z", fractions and offsets accepted).
std::optional<Clock::WallTime> ParseTime(std::string_view text);

// Not Succeeded, not Failed, not being deleted (upstream's IsPodActive).
bool IsPodActive(const api::Pod& pod);
// The Ready condition is True.
bool IsPodReady(const api::Pod& pod);
// Ready for at least `min_ready_seconds` at `now` (by the Ready condition's
// lastTransitionTime; with 0, ready is available).
bool IsPodAvailable(const api::Pod& pod, int32_t min_ready_seconds, Clock::WallTime now);

// The owner reference with controller=true, or nullptr.
const api::OwnerReference* GetControllerOf(const api::ObjectMeta& meta);
// The controllerRef a ReplicaSet puts on its pods (apps/v1, controller and blockOwnerDeletion).
api::OwnerReference ControllerRefFor(const api::ReplicaSet& rs);
// The pod the ReplicaSet creates from its template (generateName "<rs>-").
api::Pod PodFromTemplate(const api::ReplicaSet& rs);
// "namespace/name".
std::string KeyOf(const api::ObjectMeta& meta);

// What ClaimPods does with one pod (upstream's ControllerRefManager.ClaimObject).
enum class ClaimAction {
  kKeep,     // ours and matching
  kIgnore,   // someone else's, or not ours to take / give back
  kAdopt,    // a matching orphan: patch our controllerRef onto it
  kRelease,  // ours but no longer matching: patch our ownerReference away
};
ClaimAction DecideClaim(const api::ReplicaSet& rs, const api::Selector& selector,
                        const api::Pod& pod);
// The strategic merge patches of adoption and release; the pod's uid rides along as upstream's
// precondition.
std::string AdoptPatch(const api::ReplicaSet& rs, const api::Pod& pod);
std::string ReleasePatch(const api::ReplicaSet& rs, const api::Pod& pod);
// The same patches for any owner and dependent (upstream's ControllerRefManager bodies): the
// controllerRef `ref` added, or the reference to `owner_uid` deleted, with the dependent's uid
// as a precondition.
std::string AdoptPatch(const api::OwnerReference& ref, std::string_view dependent_uid);
std::string ReleasePatch(std::string_view owner_uid, std::string_view dependent_uid);

// The batch sizes of upstream's slowStartBatch: initial, 2*initial, ... capped by what remains.
std::vector<int> SlowStartBatches(int count, int initial_batch_size);

// ActivePodsWithRanks.Less: whether `a` is deleted before `b`. `rank_*` counts related active
// pods on the pod's node (more is deleted first); `now` drives the logarithmic age buckets.
bool PodDeletedBefore(const api::Pod& a, int rank_a, const api::Pod& b, int rank_b,
                      Clock::WallTime now);
// The `diff` pods of `pods` to delete: ranked (with `related` giving the per-node counts) when
// fewer than all are deleted.
std::vector<const api::Pod*> PodsToDelete(const std::vector<const api::Pod*>& pods,
                                          const std::vector<const api::Pod*>& related, int diff,
                                          Clock::WallTime now);

// upstream's calculateStatus: counts over the active, claimed pods; the ReplicaFailure
// condition is set (reason FailedCreate/FailedDelete, `manage_error` as message) when
// manage_error is non-empty and removed when it is empty. observedGeneration is left as is.
api::ReplicaSetStatus CalculateStatus(const api::ReplicaSet& rs,
                                      const std::vector<const api::Pod*>& pods,
                                      const std::string& manage_error, Clock::WallTime now);

// Whether the status differs from what is stored (upstream's equality test before a write).
bool StatusNeedsUpdate(const api::ReplicaSet& rs, const api::ReplicaSetStatus& status);

}  // namespace kubepp::controller::replicaset
