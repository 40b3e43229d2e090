// The disruption controller's decisions as pure functions (upstream's
// pkg/controller/disruption/disruption.go and component-helpers/apps/poddisruptionbudget):
// which pods a PodDisruptionBudget covers, the expected pod count from the pods' controllers,
// desiredHealthy from minAvailable / maxUnavailable, currentHealthy, the disruptedPods that
// are still pending, and the status with its DisruptionAllowed condition.
//
// Thread-safe (stateless); time comes in as `now`.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/selector.h"
#include "api/types.h"
#include "base/clock.h"
#include "base/status.h"

namespace kubepp::controller::disruption {

// How long a pod in status.disruptedPods is expected to take to be deleted (upstream's
// DeletionTimeout); after that it counts again (and the entry is dropped).
inline constexpr std::chrono::minutes kDeletionTimeout{2};
// The condition and its reasons (upstream's policy/v1 constants).
inline constexpr char kDisruptionAllowedCondition[] = "DisruptionAllowed";
inline constexpr char kSufficientPodsReason[] = "SufficientPods";
inline constexpr char kInsufficientPodsReason[] = "InsufficientPods";
inline constexpr char kSyncFailedReason[] = "SyncFailed";
// A pod's DisruptionTarget condition (True: an eviction or preemption is about to delete it)
// that no deletion followed is reset to False after this long (upstream's
// stalePodDisruptionTimeout).
inline constexpr std::chrono::minutes kStalePodDisruptionTimeout{2};
inline constexpr char kDisruptionTargetCondition[] = "DisruptionTarget";
// The kubelet's reason, never stale (the pod may take arbitrarily long to terminate).
inline constexpr char kTerminationByKubeletReason[] = "TerminationByKubelet";
// The field manager of the reset (upstream's).
inline constexpr char kFieldManager[] = "DisruptionController";

// Upstream's intstr.GetScaledValueFromIntOrPercent: an int as is, "N%" of `total` rounded up
// (or down). BadRequest with upstream's messages for anything else.
Result<int> ScaledValue(const api::IntOrString& value, int total, bool round_up);

// The PDB's selector; nullopt when it selects nothing (no selector at all, as upstream's
// LabelSelectorAsSelector(nil)). Invalid when the selector does not parse.
Result<std::optional<api::Selector>> PdbSelector(const api::PodDisruptionBudget& pdb);

// A controller's uid and its wanted replicas.
struct ControllerScale {
  std::string uid;    // the controller's uid (pods of one controller count it once)
  int32_t scale = 0;  // its spec.replicas
};

// The workloads a controllerRef can point at, by namespace and name (nullptr when absent).
struct Workloads {
  std::function<std::shared_ptr<const api::ReplicationController>(const std::string& ns,
                                                                  const std::string& name)>
      replication_controller;
  std::function<std::shared_ptr<const api::ReplicaSet>(const std::string& ns,
                                                       const std::string& name)>
      replica_set;
  std::function<std::shared_ptr<const api::Deployment>(const std::string& ns,
                                                       const std::string& name)>
      deployment;
  std::function<std::shared_ptr<const api::StatefulSet>(const std::string& ns,
                                                        const std::string& name)>
      stateful_set;
};

// Upstream's finders in order: a ReplicationController; a ReplicaSet's Deployment; a
// ReplicaSet not controlled by a Deployment; a StatefulSet (uids must match). nullopt when none
// applies.
std::optional<ControllerScale> FindControllerScale(const api::OwnerReference& ref,
                                                   const std::string& ns, const Workloads& w);

// Upstream's getExpectedPodCount.
struct ExpectedCount {
  int32_t expected = 0;                // expectedPods
  int32_t desired_healthy = 0;         // desiredHealthy
  std::vector<std::string> unmanaged;  // pods without a controllerRef (names)
};
// maxUnavailable: expected = sum of the controllers' scales, desired = max(0, expected -
// maxUnavailable (rounded up)). minAvailable int: desired = it, expected = #pods. minAvailable
// percent: expected = sum of scales, desired = percent of it rounded up. Errors: a pod whose
// controller is unknown ("found no controllers for pod \"NAME\""), a bad IntOrString.
Result<ExpectedCount> GetExpectedPodCount(const api::PodDisruptionBudget& pdb,
                                          const std::vector<const api::Pod*>& pods,
                                          const Workloads& w);

// Upstream's buildDisruptedPodMap: the entries of status.disruptedPods that still wait for
// their pod's deletion (the pod is covered, not yet being deleted, and the entry is younger
// than kDeletionTimeout). `recheck` gets the earliest expiry of those kept; `expired` the pods
// whose entry ran out (upstream emits NotDeleted for them).
std::map<std::string, std::string> BuildDisruptedPodMap(const api::PodDisruptionBudget& pdb,
                                                        const std::vector<const api::Pod*>& pods,
                                                        Clock::WallTime now,
                                                        std::optional<Clock::WallTime>* recheck,
                                                        std::vector<const api::Pod*>* expired);

// Ready pods, not being deleted, not pending disruption (upstream's countHealthyPods).
int32_t CountHealthyPods(const std::vector<const api::Pod*>& pods,
                         const std::map<std::string, std::string>& disrupted, Clock::WallTime now);

// Upstream's meta.SetStatusCondition: adds or updates the condition of `cond.type`;
// lastTransitionTime moves (to `now` when cond has none) only when the status changes.
void SetStatusCondition(std::vector<api::Condition>& conditions, api::Condition cond,
                        Clock::WallTime now);

// Upstream's updatePdbStatus: nullopt when the stored status already says all this (counts,
// disruptedPods, observedGeneration and an up to date DisruptionAllowed condition), else the
// status to write (disruptionsAllowed = currentHealthy - desiredHealthy, 0 when negative or no
// pods are expected; the condition SufficientPods / InsufficientPods).
std::optional<api::PodDisruptionBudgetStatus> NextStatus(
    const api::PodDisruptionBudget& pdb, int32_t current_healthy, int32_t desired_healthy,
    int32_t expected, const std::map<std::string, std::string>& disrupted, Clock::WallTime now);

// Upstream's failSafe: the stored status with disruptionsAllowed 0 and DisruptionAllowed False
// (SyncFailed, `message`).
api::PodDisruptionBudgetStatus FailSafeStatus(const api::PodDisruptionBudget& pdb,
                                              const std::string& message, Clock::WallTime now);

// Upstream's nonTerminatingPodHasStaleDisruptionCondition: nullopt unless the pod (not being
// deleted, not terminal) has DisruptionTarget True with a reason other than the kubelet's;
// else how long until it is stale (zero: now).
std::optional<Clock::Duration> StaleDisruptionWait(const api::Pod& pod, Clock::WallTime now,
                                                   Clock::Duration timeout);
// The server-side apply body of pods/status that sets DisruptionTarget False (with the pod's
// resourceVersion as a precondition).
std::string ResetDisruptionTargetApply(const api::Pod& pod, Clock::WallTime now);

}  // namespace kubepp::controller::disruption
