// The CronJob controller's decisions as pure functions (no server, no clock of their own):
// which scheduled time is due, when to look again, the Job a CronJob creates, its active list
// and which finished Jobs the history limits remove. Upstream: pkg/controller/cronjob/utils.go
// and the decision parts of cronjob_controllerv2.go.
//
// Thread-safe (stateless).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/types.h"
#include "base/clock.h"
#include "base/status.h"
#include "controller/cronjob/cron_schedule.h"
#include "controller/cronjob/time_zone.h"

namespace kubepp::controller::cronjob {

inline constexpr char kScheduledTimestampAnnotation[] =
    "batch.kubernetes.io/cronjob-scheduled-timestamp";
// Upstream's nextScheduleDelta: requeue a little after the schedule time.
inline constexpr std::chrono::milliseconds kNextScheduleDelta{100};
// More missed start times than this: TooManyMissedTimes.
inline constexpr int64_t kManyMissedThreshold = 100;

enum class Missed { kNone, kFew, kMany };

// What mostRecentScheduleTime finds.
struct ScheduleTimes {
  Clock::WallTime earliest;                    // where the search started
  std::optional<Clock::WallTime> most_recent;  // latest schedule time <= now after earliest
  Missed missed = Missed::kNone;               // how many were missed
  Status error;                                // the schedule is unusable
};

// Upstream's mostRecentScheduleTime: from lastScheduleTime (else creationTimestamp), moved up
// to now - startingDeadlineSeconds when `include_deadline`.
ScheduleTimes MostRecentScheduleTime(const api::CronJob& cj, Clock::WallTime now,
                                     const CronSchedule& sched, const TimeZone& tz,
                                     bool include_deadline);
// Upstream's nextScheduleTimeDuration: how long until the schedule time after the most recent
// one (plus kNextScheduleDelta); nullopt when the schedule has no next time.
std::optional<Clock::Duration> NextScheduleTimeDuration(const api::CronJob& cj, Clock::WallTime now,
                                                        const CronSchedule& sched,
                                                        const TimeZone& tz);

// "<cronjob>-<scheduled time in minutes since the epoch>".
std::string JobName(const api::CronJob& cj, Clock::WallTime scheduled);
// The Job for `scheduled`: the template's labels, annotations and spec, the scheduled-timestamp
// annotation (RFC 3339 in `tz`), the controllerRef (batch/v1 CronJob).
api::Job JobFromTemplate(const api::CronJob& cj, Clock::WallTime scheduled, const TimeZone& tz);
// An ObjectReference to a Job, as the active list holds it.
api::ObjectReference JobReference(const api::Job& job);

// "Complete" or "Failed" when that condition is True, else "".
std::string FinishedCondition(const api::Job& job);
bool InActiveList(const api::CronJob& cj, std::string_view uid);
bool InActiveListByName(const api::CronJob& cj, std::string_view name);
// Removes the entry with `uid`; returns whether there was one.
bool DeleteFromActiveList(api::CronJob& cj, std::string_view uid);

using JobPtr = std::shared_ptr<const api::Job>;
// Finished Jobs past successfulJobsHistoryLimit / failedJobsHistoryLimit, oldest (by
// status.startTime, Jobs without one last, then name) first. Nothing when neither limit is set.
std::vector<JobPtr> JobsBeyondHistoryLimits(const api::CronJob& cj,
                                            const std::vector<JobPtr>& jobs);

}  // namespace kubepp::controller::cronjob
