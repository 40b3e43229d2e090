// The CronJob controller's decisions with fixed times: which schedule time is due, when to look
// again, the Job it creates, the active list and the history limits.
#include "controller/cronjob/cronjob_logic.h"

#include <gtest/gtest.h>

namespace kubepp::controller::cronjob {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

Clock::WallTime At(int y, int mo, int d, int h, int mi, int s = 0) {
  return Clock::WallTime(seconds(UnixFromCivil(y, mo, d, h, mi, s)));
}

api::CronJob MakeCronJob(const std::string& schedule) {
  api::CronJob c;
  c.metadata.name = "hello";
  c.metadata.namespace_ = "default";
  c.metadata.uid = "cj-uid";
  c.metadata.creationTimestamp = "2024-01-01T10:00:00Z";
  c.spec.schedule = schedule;
  c.spec.concurrencyPolicy = "Allow";
  c.spec.jobTemplate.metadata.labels = {{"app", "hello"}};
  c.spec.jobTemplate.metadata.annotations = {{"note", "x"}};
  c.spec.jobTemplate.spec.backoffLimit = 2;
  return c;
}

CronSchedule Sched(const std::string& spec) {
  auto s = CronSchedule::Parse(spec);
  EXPECT_TRUE(s.IsOk()) << s.status().ToString();
  return *s;
}

TEST(CronJobLogicTest, NothingDueYet) {
  auto c = MakeCronJob("* * * * *");
  const auto now = At(2024, 1, 1, 10, 0, 30);
  auto t = MostRecentScheduleTime(c, now, Sched("* * * * *"), TimeZone(), true);
  EXPECT_TRUE(t.error.IsOk());
  EXPECT_FALSE(t.most_recent);
  EXPECT_EQ(t.missed, Missed::kNone);
  auto next = NextScheduleTimeDuration(c, now, Sched("* * * * *"), TimeZone());
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, std::chrono::duration_cast<Clock::Duration>(seconds(30) + kNextScheduleDelta));
}

TEST(CronJobLogicTest, OneDue) {
  auto c = MakeCronJob("* * * * *");
  const auto now = At(2024, 1, 1, 10, 1, 10);
  auto t = MostRecentScheduleTime(c, now, Sched("* * * * *"), TimeZone(), true);
  ASSERT_TRUE(t.most_recent);
  EXPECT_EQ(*t.most_recent, At(2024, 1, 1, 10, 1));
  EXPECT_EQ(t.missed, Missed::kNone);
  // Look again at 10:02:00.1.
  auto next = NextScheduleTimeDuration(c, now, Sched("* * * * *"), TimeZone());
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, std::chrono::duration_cast<Clock::Duration>(seconds(50) + kNextScheduleDelta));
}

TEST(CronJobLogicTest, SeveralMissedTakesTheLatest) {
  auto c = MakeCronJob("*/5 * * * *");
  c.status.lastScheduleTime = "2024-01-01T10:05:00Z";
  const auto now = At(2024, 1, 1, 10, 32);
  auto t = MostRecentScheduleTime(c, now, Sched("*/5 * * * *"), TimeZone(), true);
  ASSERT_TRUE(t.most_recent);
  EXPECT_EQ(*t.most_recent, At(2024, 1, 1, 10, 30));
  EXPECT_EQ(t.missed, Missed::kFew);
  EXPECT_EQ(t.earliest, At(2024, 1, 1, 10, 5));
}

TEST(CronJobLogicTest, IrregularScheduleMostRecent) {
  auto c = MakeCronJob("30 6-16/4 * * 1-5");
  c.metadata.creationTimestamp = "2024-01-01T00:00:00Z";  // a Monday
  const auto now = At(2024, 1, 3, 12, 0);                 // Wednesday noon
  auto t = MostRecentScheduleTime(c, now, Sched("30 6-16/4 * * 1-5"), TimeZone(), true);
  ASSERT_TRUE(t.most_recent);
  EXPECT_EQ(*t.most_recent, At(2024, 1, 3, 10, 30));
}

TEST(CronJobLogicTest, TooManyMissed) {
  auto c = MakeCronJob("* * * * *");
  const auto now = At(2024, 1, 1, 13, 0);  // 180 minutes later
  auto t = MostRecentScheduleTime(c, now, Sched("* * * * *"), TimeZone(), true);
  ASSERT_TRUE(t.most_recent);
  EXPECT_EQ(*t.most_recent, At(2024, 1, 1, 13, 0));
  EXPECT_EQ(t.missed, Missed::kMany);
  // A starting deadline bounds the search: few missed then.
  c.spec.startingDeadlineSeconds = 200;
  t = MostRecentScheduleTime(c, now, Sched("* * * * *"), TimeZone(), true);
  ASSERT_TRUE(t.most_recent);
  EXPECT_EQ(*t.most_recent, At(2024, 1, 1, 13, 0));
  EXPECT_EQ(t.missed, Missed::kFew);
  EXPECT_EQ(t.earliest, now - seconds(200));
}

TEST(CronJobLogicTest, ImpossibleScheduleIsNotDue) {
  auto c = MakeCronJob("0 0 30 2 *");
  auto t = MostRecentScheduleTime(c, At(2025, 1, 1, 0, 0), Sched("0 0 30 2 *"), TimeZone(), true);
  EXPECT_TRUE(t.error.IsOk());
  EXPECT_FALSE(t.most_recent);
  EXPECT_FALSE(NextScheduleTimeDuration(c, At(2025, 1, 1, 0, 0), Sched("0 0 30 2 *"), TimeZone()));
}

TEST(CronJobLogicTest, ScheduleInTimeZone) {
  auto ny = TimeZone::Load("America/New_York");
  ASSERT_TRUE(ny.IsOk());
  auto c = MakeCronJob("0 9 * * *");
  c.spec.timeZone = "America/New_York";
  // 09:00 EST = 14:00Z.
  auto t = MostRecentScheduleTime(c, At(2024, 1, 1, 14, 0, 5), Sched("0 9 * * *"), *ny, true);
  ASSERT_TRUE(t.most_recent);
  EXPECT_EQ(*t.most_recent, At(2024, 1, 1, 14, 0));
}

TEST(CronJobLogicTest, JobFromTemplate) {
  auto c = MakeCronJob("* * * * *");
  const auto scheduled = At(2024, 1, 1, 10, 0);
  EXPECT_EQ(JobName(c, scheduled), "hello-28401720");
  auto ny = TimeZone::Load("America/New_York");
  ASSERT_TRUE(ny.IsOk());
  api::Job j = JobFromTemplate(c, scheduled, *ny);
  EXPECT_EQ(j.metadata.name, "hello-28401720");
  EXPECT_EQ(j.metadata.namespace_, "default");
  EXPECT_EQ(j.metadata.labels.at("app"), "hello");
  EXPECT_EQ(j.metadata.annotations.at("note"), "x");
  EXPECT_EQ(j.metadata.annotations.at(kScheduledTimestampAnnotation), "2024-01-01T05:00:00-05:00");
  EXPECT_EQ(JobFromTemplate(c, scheduled, TimeZone())
                .metadata.annotations.at(kScheduledTimestampAnnotation),
            "2024-01-01T10:00:00Z");
  ASSERT_EQ(j.metadata.ownerReferences.size(), 1U);
  EXPECT_EQ(j.metadata.ownerReferences[0].kind, "CronJob");
  EXPECT_EQ(j.metadata.ownerReferences[0].apiVersion, "batch/v1");
  EXPECT_EQ(j.metadata.ownerReferences[0].uid, "cj-uid");
  EXPECT_EQ(j.metadata.ownerReferences[0].controller, true);
  EXPECT_EQ(j.spec.backoffLimit, 2);
}

TEST(CronJobLogicTest, ActiveList) {
  auto c = MakeCronJob("* * * * *");
  api::Job j;
  j.metadata.name = "hello-1";
  j.metadata.namespace_ = "default";
  j.metadata.uid = "j1";
  c.status.active.push_back(JobReference(j));
  EXPECT_EQ(c.status.active[0].kind, "Job");
  EXPECT_EQ(c.status.active[0].apiVersion, "batch/v1");
  EXPECT_TRUE(InActiveList(c, "j1"));
  EXPECT_TRUE(InActiveListByName(c, "hello-1"));
  EXPECT_FALSE(InActiveList(c, "j2"));
  EXPECT_FALSE(DeleteFromActiveList(c, "j2"));
  EXPECT_TRUE(DeleteFromActiveList(c, "j1"));
  EXPECT_TRUE(c.status.active.empty());
}

TEST(CronJobLogicTest, HistoryLimits) {
  auto c = MakeCronJob("* * * * *");
  std::vector<JobPtr> jobs;
  auto add = [&jobs](const std::string& name, const std::string& cond, const std::string& start) {
    auto j = std::make_shared<api::Job>();
    j->metadata.name = name;
    j->status.startTime = start;
    if (!cond.empty()) {
      api::JobCondition jc;
      jc.type = cond;
      jc.status = "True";
      j->status.conditions.push_back(jc);
    }
    jobs.push_back(j);
  };
  add("ok-4", "Complete", "2024-01-01T10:04:00Z");
  add("ok-1", "Complete", "2024-01-01T10:01:00Z");
  add("ok-3", "Complete", "2024-01-01T10:03:00Z");
  add("ok-2", "Complete", "2024-01-01T10:02:00Z");
  add("ok-nostart", "Complete", "");
  add("bad-1", "Failed", "2024-01-01T10:01:00Z");
  add("bad-2", "Failed", "2024-01-01T10:02:00Z");
  add("running", "", "2024-01-01T10:00:00Z");
  EXPECT_TRUE(JobsBeyondHistoryLimits(c, jobs).empty());  // no limits set
  c.spec.successfulJobsHistoryLimit = 3;
  c.spec.failedJobsHistoryLimit = 1;
  std::vector<std::string> names;
  for (const auto& j : JobsBeyondHistoryLimits(c, jobs)) names.push_back(j->metadata.name);
  EXPECT_EQ(names, (std::vector<std::string>{"ok-1", "ok-2", "bad-1"}));
  c.spec.failedJobsHistoryLimit = 0;
  c.spec.successfulJobsHistoryLimit = 5;
  names.clear();
  for (const auto& j : JobsBeyondHistoryLimits(c, jobs)) names.push_back(j->metadata.name);
  EXPECT_EQ(names, (std::vector<std::string>{"bad-1", "bad-2"}));
}

}  // namespace
}  // namespace kubepp::controller::cronjob
