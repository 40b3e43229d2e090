#include "controller/cronjob/cronjob_logic.h"

#include <algorithm>
#include <cmath>

#include "client/event_recorder.h"
#include "controller/replicaset/replicaset_logic.h"

namespace kubepp::controller::cronjob {

namespace {

int64_t UnixSeconds(Clock::WallTime t) {
  return std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

ScheduleTimes MostRecentScheduleTime(const api::CronJob& cj, Clock::WallTime now,
                                     const CronSchedule& sched, const TimeZone& tz,
                                     bool include_deadline) {
  ScheduleTimes out;
  out.earliest = replicaset::ParseTime(cj.metadata.creationTimestamp).value_or(Clock::WallTime{});
  if (auto last = replicaset::ParseTime(cj.status.lastScheduleTime)) out.earliest = *last;
  if (include_deadline && cj.spec.startingDeadlineSeconds) {
    // Nothing older than the deadline is scheduled any more.
    const auto deadline = now - std::chrono::seconds(*cj.spec.startingDeadlineSeconds);
    if (deadline > out.earliest) out.earliest = deadline;
  }
  const auto t1 = sched.Next(out.earliest, tz);
  if (!t1 || now < *t1) return out;
  const auto t2 = sched.Next(*t1, tz);
  if (!t2 || now < *t2) {
    out.most_recent = t1;
    return out;
  }
  // Roughly how many intervals fit between t1 and now, then walk the last few exactly.
  const int64_t between = UnixSeconds(*t2) - UnixSeconds(*t1);
  if (between < 1) {
    out.error = Status::Invalid("time difference between two schedules is less than 1 second");
    return out;
  }
  const int64_t elapsed = UnixSeconds(now) - UnixSeconds(*t1);
  const int64_t missed = elapsed / between + 1;
  const auto potential_earliest = *t1 + std::chrono::seconds((missed - 2) * between);
  std::optional<Clock::WallTime> most_recent;
  for (auto t = sched.Next(potential_earliest, tz); t && *t <= now; t = sched.Next(*t, tz)) {
    most_recent = t;
  }
  if (!most_recent) {
    // The estimate overshot (irregular schedules): walk from t1.
    for (auto t = t1; t && *t <= now; t = sched.Next(*t, tz)) most_recent = t;
  }
  out.most_recent = most_recent;
  out.missed = missed > kManyMissedThreshold ? Missed::kMany : Missed::kFew;
  return out;
}

std::optional<Clock::Duration> NextScheduleTimeDuration(const api::CronJob& cj, Clock::WallTime now,
                                                        const CronSchedule& sched,
                                                        const TimeZone& tz) {
  ScheduleTimes times = MostRecentScheduleTime(cj, now, sched, tz, false);
  if (!times.error.IsOk()) return std::nullopt;
  const Clock::WallTime from = times.most_recent.value_or(times.earliest);
  auto next = sched.Next(from, tz);
  if (!next) return std::nullopt;
  return std::chrono::duration_cast<Clock::Duration>(*next + kNextScheduleDelta - now);
}

std::string JobName(const api::CronJob& cj, Clock::WallTime scheduled) {
  return cj.metadata.name + "-" + std::to_string(UnixSeconds(scheduled) / 60);
}

api::Job JobFromTemplate(const api::CronJob& cj, Clock::WallTime scheduled, const TimeZone& tz) {
  api::Job job;
  job.metadata.name = JobName(cj, scheduled);
  job.metadata.namespace_ = cj.metadata.namespace_;
  job.metadata.labels = cj.spec.jobTemplate.metadata.labels;
  job.metadata.annotations = cj.spec.jobTemplate.metadata.annotations;
  job.metadata.annotations[kScheduledTimestampAnnotation] =
      FormatRfc3339In(UnixSeconds(scheduled), tz);
  api::OwnerReference ref;
  ref.apiVersion = "batch/v1";
  ref.kind = "CronJob";
  ref.name = cj.metadata.name;
  ref.uid = cj.metadata.uid;
  ref.controller = true;
  ref.blockOwnerDeletion = true;
  job.metadata.ownerReferences.push_back(std::move(ref));
  job.spec = cj.spec.jobTemplate.spec;
  return job;
}

api::ObjectReference JobReference(const api::Job& job) { return client::ReferenceTo(job); }

std::string FinishedCondition(const api::Job& job) {
  for (const auto& c : job.status.conditions) {
    if ((c.type == "Complete" || c.type == "Failed") && c.status == "True") return c.type;
  }
  return "";
}

bool InActiveList(const api::CronJob& cj, std::string_view uid) {
  return std::any_of(cj.status.active.begin(), cj.status.active.end(),
                     [uid](const api::ObjectReference& r) { return r.uid == uid; });
}

bool InActiveListByName(const api::CronJob& cj, std::string_view name) {
  return std::any_of(cj.status.active.begin(), cj.status.active.end(),
                     [name](const api::ObjectReference& r) { return r.name == name; });
}

bool DeleteFromActiveList(api::CronJob& cj, std::string_view uid) {
  auto& a = cj.status.active;
  const auto before = a.size();
  a.erase(std::remove_if(a.begin(), a.end(),
                         [uid](const api::ObjectReference& r) { return r.uid == uid; }),
          a.end());
  return a.size() != before;
}

std::vector<JobPtr> JobsBeyondHistoryLimits(const api::CronJob& cj,
                                            const std::vector<JobPtr>& jobs) {
  std::vector<JobPtr> out;
  if (!cj.spec.successfulJobsHistoryLimit && !cj.spec.failedJobsHistoryLimit) return out;
  std::vector<JobPtr> succeeded;
  std::vector<JobPtr> failed;
  for (const auto& j : jobs) {
    const std::string cond = FinishedCondition(*j);
    if (cond == "Complete") succeeded.push_back(j);
    if (cond == "Failed") failed.push_back(j);
  }
  auto oldest = [&out](std::vector<JobPtr> list, std::optional<int32_t> limit) {
    if (!limit || static_cast<int64_t>(list.size()) <= *limit) return;
    std::sort(list.begin(), list.end(), [](const JobPtr& a, const JobPtr& b) {
      auto ta = replicaset::ParseTime(a->status.startTime);
      auto tb = replicaset::ParseTime(b->status.startTime);
      if (ta.has_value() != tb.has_value()) return ta.has_value();  // no start time: last
      if (ta && *ta != *tb) return *ta < *tb;
      return a->metadata.name < b->metadata.name;
    });
    const size_t n = list.size() - static_cast<size_t>(std::max<int32_t>(*limit, 0));
    out.insert(out.end(), list.begin(), list.begin() + static_cast<std::ptrdiff_t>(n));
  };
  oldest(std::move(succeeded), cj.spec.successfulJobsHistoryLimit);
  oldest(std::move(failed), cj.spec.failedJobsHistoryLimit);
  return out;
}

}  // namespace kubepp::controller::cronjob
