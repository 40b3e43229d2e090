// The Deployment controller's decisions as pure functions (no server; time is a parameter):
// the pod-template hash, revisions and annotations, surge/unavailable arithmetic, the rolling
// and proportional scaling plans, status and conditions. Upstream:
// pkg/controller/deployment/util/deployment_util.go, pkg/controller/deployment/{rolling,sync,
// progress}.go, pkg/util/hash, k8s.io/apimachinery/pkg/util/rand.SafeEncodeString.
//
// Thread-safe (stateless).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/types.h"
#include "base/clock.h"
#include "base/status.h"

namespace kubepp::controller::deployment {

// Label added to a ReplicaSet's selector, template and labels (upstream's
// DefaultDeploymentUniqueLabelKey).
inline constexpr char kPodTemplateHashLabel[] = "pod-template-hash";
inline constexpr char kRevisionAnnotation[] = "deployment.kubernetes.io/revision";
inline constexpr char kRevisionHistoryAnnotation[] = "deployment.kubernetes.io/revision-history";
inline constexpr char kDesiredReplicasAnnotation[] = "deployment.kubernetes.io/desired-replicas";
inline constexpr char kMaxReplicasAnnotation[] = "deployment.kubernetes.io/max-replicas";
// Upstream's maxRevHistoryLengthInChars.
inline constexpr size_t kMaxRevHistoryLengthInChars = 2000;

// Condition types and reasons (upstream's deployment util constants).
inline constexpr char kAvailable[] = "Available";
inline constexpr char kProgressing[] = "Progressing";
inline constexpr char kReplicaFailure[] = "ReplicaFailure";
inline constexpr char kMinimumReplicasAvailable[] = "MinimumReplicasAvailable";
inline constexpr char kMinimumReplicasUnavailable[] = "MinimumReplicasUnavailable";
inline constexpr char kNewReplicaSetReason[] = "NewReplicaSetCreated";
inline constexpr char kFoundNewRSReason[] = "FoundNewReplicaSet";
inline constexpr char kReplicaSetUpdatedReason[] = "ReplicaSetUpdated";
inline constexpr char kNewRSAvailableReason[] = "NewReplicaSetAvailable";
inline constexpr char kTimedOutReason[] = "ProgressDeadlineExceeded";
inline constexpr char kFailedRSCreateReason[] = "ReplicaSetCreateError";
inline constexpr char kPausedDeployReason[] = "DeploymentPaused";
inline constexpr char kResumedDeployReason[] = "DeploymentResumed";

// ---- hash

// FNV-32a of the template's JSON form (+ collisionCount as 4 little-endian bytes), rendered with
// SafeEncodeString (upstream's ComputeHash; stable, not bit-compatible with Go's spew form).
std::string ComputeHash(const api::PodTemplateSpec& tmpl, std::optional<int32_t> collision_count);
// k8s.io/apimachinery rand.SafeEncodeString: each byte to "bcdfghjklmnpqrstvwxz2456789".
std::string SafeEncodeString(std::string_view s);
// The templates are equal once the pod-template-hash label is dropped from both.
bool EqualIgnoreHash(const api::PodTemplateSpec& a, const api::PodTemplateSpec& b);

// ---- surge / unavailable

// An IntOrString scaled against `total`: ints as is, "N%" rounded up or down.
Result<int32_t> ScaledValue(const api::IntOrString& v, int32_t total, bool round_up);
struct Fenceposts {
  int32_t max_surge = 0;
  int32_t max_unavailable = 0;
};
// upstream's ResolveFenceposts: surge rounds up, unavailable down; both 0 → unavailable 1.
Result<Fenceposts> ResolveFenceposts(const std::optional<api::IntOrString>& max_surge,
                                     const std::optional<api::IntOrString>& max_unavailable,
                                     int32_t desired);
bool IsRollingUpdate(const api::Deployment& d);
int32_t Replicas(const api::Deployment& d);
int32_t Replicas(const api::ReplicaSet& rs);
// 0 unless RollingUpdate.
int32_t MaxSurge(const api::Deployment& d);
// 0 unless RollingUpdate (or replicas 0); never above replicas.
int32_t MaxUnavailable(const api::Deployment& d);

// ---- replica sets

// Creation order (timestamp, then name): upstream's ReplicaSetsByCreationTimestamp.
bool CreatedBefore(const api::ReplicaSet& a, const api::ReplicaSet& b);
void SortByCreation(std::vector<api::ReplicaSet*>& rss);
// The revision annotation as a number (0 when absent or malformed).
int64_t Revision(const api::ReplicaSet& rs);
int64_t MaxRevision(const std::vector<api::ReplicaSet*>& rss);
// The oldest ReplicaSet whose template equals the Deployment's (ignoring the hash), or nullptr.
api::ReplicaSet* FindNewReplicaSet(const api::Deployment& d,
                                   const std::vector<api::ReplicaSet*>& rss);
// Every ReplicaSet but `new_rs`.
std::vector<api::ReplicaSet*> FindOldReplicaSets(const std::vector<api::ReplicaSet*>& rss,
                                                 const api::ReplicaSet* new_rs);
// ReplicaSets with spec.replicas > 0 (nullptrs dropped).
std::vector<api::ReplicaSet*> FilterActive(const std::vector<api::ReplicaSet*>& rss);
int32_t SpecReplicaSum(const std::vector<api::ReplicaSet*>& rss);
int32_t ActualReplicaSum(const std::vector<api::ReplicaSet*>& rss);
int32_t ReadyReplicaSum(const std::vector<api::ReplicaSet*>& rss);
int32_t AvailableReplicaSum(const std::vector<api::ReplicaSet*>& rss);

// Copies the Deployment's own annotations, sets the revision (keeping revision-history on
// rollback) and, for a ReplicaSet being created, desired/max replicas. True when changed.
bool SetNewReplicaSetAnnotations(const api::Deployment& d, api::ReplicaSet& rs,
                                 const std::string& new_revision, bool exists);
bool ReplicasAnnotationsNeedUpdate(const api::ReplicaSet& rs, int32_t desired, int32_t max);
bool SetReplicasAnnotations(api::ReplicaSet& rs, int32_t desired, int32_t max);
std::optional<int32_t> DesiredReplicasAnnotation(const api::ReplicaSet& rs);
// Sets the Deployment's revision annotation; true when changed.
bool SetDeploymentRevision(api::Deployment& d, const std::string& revision);

// The ReplicaSet a Deployment creates for its current template (not yet named by the server:
// "<deploy>-<hash>"), with controllerRef, hash label/selector and spec.replicas 0.
api::ReplicaSet NewReplicaSetFor(const api::Deployment& d);
api::OwnerReference ControllerRefFor(const api::Deployment& d);

// upstream's NewRSNewReplicas: the new ReplicaSet's size in this step.
Result<int32_t> NewRSNewReplicas(const api::Deployment& d, const std::vector<api::ReplicaSet*>& all,
                                 const api::ReplicaSet& new_rs);
// Full size and desired/max annotations all at the Deployment's numbers, all available.
bool IsSaturated(const api::Deployment& d, const api::ReplicaSet* rs);

// One ReplicaSet resize decided by a plan.
struct Resize {
  api::ReplicaSet* rs = nullptr;  // which one
  int32_t replicas = 0;           // its new spec.replicas
};
// reconcileOldReplicaSets: unhealthy old replicas first (cleanupUnhealthyReplicas), then by age
// as long as availability allows (scaleDownOldReplicaSetsForRollingUpdate). `old_rss` are the
// active old ones.
std::vector<Resize> PlanOldScaleDown(const api::Deployment& d,
                                     const std::vector<api::ReplicaSet*>& all,
                                     std::vector<api::ReplicaSet*> old_rss,
                                     const api::ReplicaSet& new_rs);
// The one active ReplicaSet (or the newest when none is active), else nullptr
// (upstream's FindActiveOrLatest).
api::ReplicaSet* FindActiveOrLatest(api::ReplicaSet* new_rs, std::vector<api::ReplicaSet*> old_rss);
// upstream's scale() for several active ReplicaSets of a rolling Deployment: the proportional
// sizes (every active ReplicaSet listed, in decision order).
std::vector<Resize> PlanProportionalScale(const api::Deployment& d, api::ReplicaSet* new_rs,
                                          const std::vector<api::ReplicaSet*>& old_rss);
// Old ReplicaSets beyond revisionHistoryLimit that may be deleted (zero replicas, observed).
std::vector<api::ReplicaSet*> ReplicaSetsToCleanUp(const api::Deployment& d,
                                                   const std::vector<api::ReplicaSet*>& old_rss);

// ---- status and conditions

const api::DeploymentCondition* GetCondition(const api::DeploymentStatus& s, std::string_view type);
api::DeploymentCondition NewCondition(std::string type, std::string status, std::string reason,
                                      std::string message, Clock::WallTime now);
// Unchanged when status and reason are the same; lastTransitionTime kept when status is.
void SetCondition(api::DeploymentStatus& s, api::DeploymentCondition c);
void RemoveCondition(api::DeploymentStatus& s, std::string_view type);

bool HasProgressDeadline(const api::Deployment& d);
// upstream's calculateStatus (counts, collisionCount, the Available condition).
api::DeploymentStatus CalculateStatus(const api::Deployment& d,
                                      const std::vector<api::ReplicaSet*>& all,
                                      const api::ReplicaSet* new_rs, Clock::WallTime now);
bool DeploymentComplete(const api::Deployment& d, const api::DeploymentStatus& s);
bool DeploymentProgressing(const api::Deployment& d, const api::DeploymentStatus& s);
bool DeploymentTimedOut(const api::Deployment& d, const api::DeploymentStatus& s,
                        Clock::WallTime now);
// syncRolloutStatus's status: CalculateStatus plus the Progressing condition and ReplicaFailure
// carried over from the ReplicaSets.
api::DeploymentStatus RolloutStatus(const api::Deployment& d,
                                    const std::vector<api::ReplicaSet*>& all,
                                    const api::ReplicaSet* new_rs, Clock::WallTime now);
// requeueStuckDeployment: when to look again for a progress deadline (nullopt: no need).
std::optional<Clock::Duration> StuckRequeueAfter(const api::Deployment& d,
                                                 const api::DeploymentStatus& s,
                                                 Clock::WallTime now);
// checkPausedConditions: sets DeploymentPaused/DeploymentResumed; true when changed.
bool UpdatePausedCondition(api::Deployment& d, Clock::WallTime now);

}  // namespace kubepp::controller::deployment
