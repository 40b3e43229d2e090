// The Job controller's decisions as pure functions (no server, no clock of their own): the
// pods a Job creates, its completion indexes, pod failure policy matching, the pod
// re-creation back-off, conditions. Upstream: pkg/controller/job/{job_controller.go,
// indexed_job_utils.go, pod_failure_policy.go, backoff_utils.go}.
//
// Thread-safe (stateless).
#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "api/types.h"
#include "base/clock.h"

namespace kubepp::controller::job {

inline constexpr char kTrackingFinalizer[] = "batch.kubernetes.io/job-tracking";
inline constexpr char kCompletionIndexKey[] = "batch.kubernetes.io/job-completion-index";
inline constexpr char kControllerUidLabel[] = "batch.kubernetes.io/controller-uid";
inline constexpr char kJobNameLabel[] = "batch.kubernetes.io/job-name";
inline constexpr char kLegacyControllerUidLabel[] = "controller-uid";
inline constexpr char kLegacyJobNameLabel[] = "job-name";

// Condition types and reasons (upstream's batch/v1 constants).
inline constexpr char kJobComplete[] = "Complete";
inline constexpr char kJobFailed[] = "Failed";
inline constexpr char kJobSuspended[] = "Suspended";
inline constexpr char kJobFailureTarget[] = "FailureTarget";
inline constexpr char kJobSuccessCriteriaMet[] = "SuccessCriteriaMet";
inline constexpr char kReasonBackoffLimitExceeded[] = "BackoffLimitExceeded";
inline constexpr char kReasonDeadlineExceeded[] = "DeadlineExceeded";
inline constexpr char kReasonPodFailurePolicy[] = "PodFailurePolicy";
inline constexpr char kReasonCompletionsReached[] = "CompletionsReached";

// Upstream's DefaultJobPodFailureBackOff and MaxJobPodFailureBackOff.
inline constexpr std::chrono::seconds kDefaultPodFailureBackoff{10};
inline constexpr std::chrono::minutes kMaxPodFailureBackoff{6};

bool IsIndexed(const api::Job& job);
// The condition of `type` with status True, or nullptr.
const api::JobCondition* FindTrueCondition(const api::Job& job, std::string_view type);
// Complete or Failed is True (upstream's IsJobFinished).
bool IsJobFinished(const api::Job& job);
// Sets (or updates) a condition; lastTransitionTime changes only when the status does.
// Returns whether anything changed.
bool SetCondition(api::JobStatus& status, const std::string& type, const std::string& cond_status,
                  const std::string& reason, const std::string& message, Clock::WallTime now);

// The controllerRef a Job puts on its pods (batch/v1, controller and blockOwnerDeletion).
api::OwnerReference ControllerRefFor(const api::Job& job);
// The pod a Job creates: template labels/annotations, generateName "<job>-" (Indexed:
// "<job>-<index>-", hostname "<job>-<index>", index annotation and label, JOB_COMPLETION_INDEX
// env), the job-tracking finalizer and the controllerRef.
api::Pod PodFromTemplate(const api::Job& job, std::optional<int> index);

// The pod's completion index (annotation, else label), or nullopt when absent or malformed.
std::optional<int> PodIndex(const api::Pod& pod);
// "1,3-5" <-> {1,3,4,5} (upstream's completedIndexes format). Parse ignores bad parts and
// indexes >= `completions`.
std::set<int> ParseIndexes(std::string_view text, int completions);
std::string FormatIndexes(const std::set<int>& indexes);

// Not Succeeded, not Failed, not being deleted.
bool IsPodActive(const api::Pod& pod);
bool IsPodReady(const api::Pod& pod);
// Counted as failed (upstream's isPodFailed): phase Failed, or being deleted before it
// succeeded unless the Job replaces only Failed pods (podReplacementPolicy Failed or a
// podFailurePolicy).
bool IsPodFailed(const api::Pod& pod, const api::Job& job);

// What a podFailurePolicy says about a failed pod.
struct PolicyDecision {
  std::string action;   // "FailJob", "Ignore", "Count", "FailIndex" or "" (no rule matched)
  std::string message;  // for FailJob: the failure message (upstream's wording)
};
PolicyDecision MatchPodFailurePolicy(const api::Job& job, const api::Pod& pod);

// Upstream's back-off before re-creating pods after `failures` consecutive failures:
// base * 2^(failures-1), capped at `max`; zero with no failures.
Clock::Duration PodFailureBackoff(int failures, Clock::Duration base, Clock::Duration max);

}  // namespace kubepp::controller::job
