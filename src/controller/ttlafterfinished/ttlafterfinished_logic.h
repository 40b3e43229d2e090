// The ttl-after-finished controller's decisions as pure functions: whether a Job is subject to
// clean-up, when it finished and how long it has left. Upstream:
// pkg/controller/ttlafterfinished/ttlafterfinished_controller.go (needsCleanup, jobFinishTime,
// timeLeft).
//
// Thread-safe (stateless).
#pragma once

#include "api/types.h"
#include "base/clock.h"
#include "base/status.h"

namespace kubepp::controller::ttlafterfinished {

// spec.ttlSecondsAfterFinished is set and a Complete or Failed condition is True.
bool NeedsCleanup(const api::Job& job);
// When the Job finished: the lastTransitionTime of its True Complete/Failed condition (else
// status.completionTime). Invalid when the Job has not finished or the time is missing.
Result<Clock::WallTime> FinishTime(const api::Job& job);
// finish time + ttl - now (<= 0: expired). Errors as FinishTime; a Job that needs no clean-up
// is Invalid too.
Result<Clock::Duration> TimeLeft(const api::Job& job, Clock::WallTime now);

}  // namespace kubepp::controller::ttlafterfinished
