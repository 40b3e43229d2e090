// The Job controller (upstream's pkg/controller/job): runs a Job's pods to completion.
//
// - Watches Jobs and Pods; keys are "namespace/name" of Jobs (and "pod:namespace/name" of
//   orphaned pods whose tracking finalizer must go), synced by `concurrent_job_syncs` workers.
// - Pods come from the template with the Job's controllerRef, the controller-uid/job-name
//   labels (and legacy names), generateName "<job>-" and the batch.kubernetes.io/job-tracking
//   finalizer. NonIndexed: min(parallelism, completions - succeeded) active pods; Indexed: one
//   pod per pending index (annotation/label batch.kubernetes.io/job-completion-index, hostname
//   "<job>-<index>"), status.completedIndexes.
// - Finished pods are counted through status.uncountedTerminatedPods: a pod's uid is recorded
//   there, then its finalizer is removed, then it moves to status.succeeded/failed — so a pod
//   deleted at any moment is counted exactly once.
// - Failure: failed > backoffLimit (BackoffLimitExceeded), activeDeadlineSeconds
//   (DeadlineExceeded), a podFailurePolicy FailJob rule (PodFailurePolicy); Ignore rules do not
//   count. Success: completions reached. Both first write the interim FailureTarget /
//   SuccessCriteriaMet condition, delete the active pods, and once no pod remains to count
//   write Failed / Complete (+ completionTime).
// - Failed pods are re-created after an exponential back-off (10 s doubling, at most 6 min).
// - suspend: active pods are deleted, Suspended condition; resuming resets startTime.
// - Events (component "job-controller"): SuccessfulCreate, FailedCreate, SuccessfulDelete,
//   Completed, BackoffLimitExceeded, DeadlineExceeded, PodFailurePolicy, Suspended, Resumed.
//
// Threading: see controller.h. Everything the factory receives must outlive the controller.
#pragma once

#include <memory>

#include "base/clock.h"
#include "controller/controller.h"
#include "controller/job/job_logic.h"

namespace kubepp::controller {

// Settings of the Job controller that are not flags upstream (tests shorten them).
struct JobControllerOptions {
  Clock::Duration pod_failure_backoff = job::kDefaultPodFailureBackoff;  // first back-off
  Clock::Duration max_pod_failure_backoff = job::kMaxPodFailureBackoff;  // cap
};

// Makes the Job controller ("job-controller"; alias "job").
std::unique_ptr<Controller> NewJobController(const ControllerContext& ctx);
std::unique_ptr<Controller> NewJobController(const ControllerContext& ctx,
                                             JobControllerOptions opts);

}  // namespace kubepp::controller
