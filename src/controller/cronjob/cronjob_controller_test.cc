// The CronJob controller against a real in-process API server, with a FakeClock the test
// moves from one schedule time to the next. No Job controller runs: the test finishes Jobs by
// writing their Complete condition through jobs/status. Fake time does not fire the queue's
// timers, so after moving the clock the test "pokes" the CronJob (an annotation update), which
// makes the controller look at it again.
#include "controller/cronjob/cronjob_controller.h"

#include <gtest/gtest.h>

#include <set>

#include "api/types.h"
#include "base/log.h"
#include "client/informer.h"
#include "client/testing/api_server_fixture.h"
#include "client/typed.h"
#include "controller/cronjob/cronjob_logic.h"
#include "controller/cronjob/time_zone.h"
#include "controller/replicaset/replicaset_logic.h"

namespace kubepp::controller {
namespace {

using client::TypedClient;
using std::chrono::seconds;

constexpr char kNs[] = "default";

class CronJobControllerTest : public client::testing::ApiServerFixture {
 protected:
  void SetUp() override {
    if (const char* v = std::getenv("KUBEPP_TEST_V")) SetLogVerbosity(std::atoi(v));
    ApiServerFixture::SetUp();
    client::InformerOptions opts;
    opts.backoff.initial = std::chrono::milliseconds(50);
    opts.backoff.max = std::chrono::milliseconds(500);
    informers_ = std::make_unique<client::SharedInformerFactory>(*client_, runtime_.Executor(),
                                                                 opts, Clock::Real());
    ControllerContext ctx;
    ctx.client = client_.get();
    ctx.informers = informers_.get();
    ctx.executor = runtime_.Executor();
    ctx.clock = &clock_;
    controller_ = NewCronJobController(ctx);
    informers_->Start();
    ASSERT_TRUE(informers_->WaitForCacheSync(std::chrono::seconds(20)));
    controller_->Start();
  }
  void TearDown() override {
    if (controller_) controller_->Stop();
    controller_.reset();
    if (informers_) informers_->Stop();
    informers_.reset();
    ApiServerFixture::TearDown();
  }

  api::CronJob CreateCronJob(const std::string& name, const std::string& policy,
                             const std::string& tz = "") {
    api::CronJob c;
    c.metadata.name = name;
    c.spec.schedule = "* * * * *";
    c.spec.concurrencyPolicy = policy;
    c.spec.timeZone = tz;
    c.spec.jobTemplate.metadata.labels = {{"app", name}};
    auto& spec = c.spec.jobTemplate.spec.template_.spec;
    spec.restartPolicy = "Never";
    spec.containers.resize(1);
    spec.containers[0].name = "c";
    spec.containers[0].image = "busybox";
    TypedClient<api::CronJob> cronjobs(*client_, kNs);
    auto r = Run(cronjobs.Create(c));
    EXPECT_TRUE(r.IsOk()) << r.status().ToString();
    if (!r.IsOk()) return c;
    created_ = *replicaset::ParseTime(r->metadata.creationTimestamp);
    return *r;
  }

  std::optional<api::CronJob> GetCronJob(const std::string& name) {
    TypedClient<api::CronJob> cronjobs(*client_, kNs);
    auto r = Run(cronjobs.Get(name));
    if (!r.IsOk()) return std::nullopt;
    return *r;
  }

  // The `n`th minute boundary after the CronJob's creation.
  Clock::WallTime Minute(int n) const {
    return std::chrono::floor<std::chrono::minutes>(created_) + std::chrono::minutes(n);
  }
  // Moves the fake clock to `t` (forward only).
  void MoveClockTo(Clock::WallTime t) {
    auto d = t - clock_.WallNow();
    ASSERT_GT(d.count(), 0);
    clock_.Advance(std::chrono::duration_cast<Clock::Duration>(d));
  }
  // Makes the controller look at the CronJob again (a metadata update).
  void Poke(const std::string& name) {
    TypedClient<api::CronJob> cronjobs(*client_, kNs);
    for (int i = 0; i < 20; ++i) {
      auto c = Run(cronjobs.Get(name));
      ASSERT_TRUE(c.IsOk()) << c.status().ToString();
      c->metadata.annotations["test/poke"] = std::to_string(++pokes_);
      auto r = Run(cronjobs.Update(*c));
      if (r.IsOk()) return;
      ASSERT_TRUE(r.status().IsConflict()) << r.status().ToString();
    }
    FAIL() << "could not poke " << name;
  }
  // The clock at schedule minute `n` (+1 s), and a poke.
  void Tick(const std::string& name, int n) {
    MoveClockTo(Minute(n) + seconds(1));
    Poke(name);
  }

  std::vector<api::Job> Jobs(const std::string& owner_uid) {
    TypedClient<api::Job> jobs(*client_, kNs);
    client::ListOptions opts;
    auto r = Run(jobs.List(opts));
    std::vector<api::Job> out;
    if (!r.IsOk()) return out;
    for (auto& j : r->items) {
      const auto* ref = replicaset::GetControllerOf(j.metadata);
      if (ref == nullptr || ref->uid != owner_uid || !j.metadata.deletionTimestamp.empty()) {
        continue;
      }
      out.push_back(std::move(j));
    }
    return out;
  }
  std::set<std::string> JobNames(const std::string& owner_uid) {
    std::set<std::string> out;
    for (const auto& j : Jobs(owner_uid)) out.insert(j.metadata.name);
    return out;
  }
  std::string JobNameAt(const std::string& cronjob, int n) const {
    return cronjob + "-" +
           std::to_string(
               std::chrono::floor<std::chrono::minutes>(Minute(n).time_since_epoch()).count());
  }

  // Plays the Job controller: the Job finished (Complete or Failed) now.
  void Finish(const std::string& name, const std::string& type) {
    TypedClient<api::Job> jobs(*client_, kNs);
    for (int i = 0; i < 20; ++i) {
      auto j = Run(jobs.Get(name));
      ASSERT_TRUE(j.IsOk()) << j.status().ToString();
      const std::string now = FormatRfc3339(clock_.WallNow());
      if (j->status.startTime.empty()) j->status.startTime = now;
      api::JobCondition c;
      c.type = type;
      c.status = "True";
      c.lastTransitionTime = now;
      j->status.conditions.push_back(c);
      if (type == "Complete") j->status.completionTime = now;
      auto r = Run(jobs.UpdateStatus(*j));
      if (r.IsOk()) return;
      ASSERT_TRUE(r.status().IsConflict()) << r.status().ToString();
    }
    FAIL() << "could not finish " << name;
  }

  std::multiset<std::string> EventReasons() {
    TypedClient<api::Event> events(*client_, kNs);
    client::ListOptions opts;
    auto r = Run(events.List(opts));
    std::multiset<std::string> out;
    if (!r.IsOk()) return out;
    for (const auto& e : r->items) out.insert(e.reason);
    return out;
  }
  bool HasEvent(const std::string& reason) { return EventReasons().contains(reason); }

  FakeClock clock_;                                           // the controller's time
  Clock::WallTime created_;                                   // the last CronJob's creation
  int pokes_ = 0;                                             // annotation counter
  std::unique_ptr<client::SharedInformerFactory> informers_;  // shared informers
  std::unique_ptr<Controller> controller_;                    // under test
};

TEST_F(CronJobControllerTest, FiresAtTheScheduleAndTracksTheJob) {
  auto c = CreateCronJob("hello", "Allow", "Asia/Kolkata");
  const std::string uid = c.metadata.uid;
  // Just after creation nothing is due.
  MoveClockTo(created_ + seconds(1));
  Poke("hello");
  // The first minute boundary: one Job.
  Tick("hello", 1);
  ASSERT_TRUE(Eventually([&] { return Jobs(uid).size() == 1; }));
  api::Job job = Jobs(uid)[0];
  EXPECT_EQ(job.metadata.name, JobNameAt("hello", 1));
  EXPECT_EQ(job.metadata.labels.at("app"), "hello");
  auto kolkata = cronjob::TimeZone::Load("Asia/Kolkata");
  ASSERT_TRUE(kolkata.IsOk());
  const int64_t m1 = std::chrono::floor<std::chrono::seconds>(Minute(1).time_since_epoch()).count();
  EXPECT_EQ(job.metadata.annotations.at(cronjob::kScheduledTimestampAnnotation),
            cronjob::FormatRfc3339In(m1, *kolkata));
  EXPECT_TRUE(
      job.metadata.annotations.at(cronjob::kScheduledTimestampAnnotation).ends_with("+05:30"));
  ASSERT_EQ(job.metadata.ownerReferences.size(), 1U);
  EXPECT_EQ(job.metadata.ownerReferences[0].kind, "CronJob");
  EXPECT_EQ(job.metadata.ownerReferences[0].uid, uid);
  ASSERT_TRUE(Eventually([&] {
    auto cur = GetCronJob("hello");
    return cur && cur->status.active.size() == 1 &&
           cur->status.active[0].name == job.metadata.name &&
           cur->status.lastScheduleTime == FormatRfc3339(Minute(1));
  }));
  EXPECT_TRUE(Eventually([&] { return HasEvent("SuccessfulCreate"); }));

  // The Job completes: out of the active list, lastSuccessfulTime set.
  Finish(job.metadata.name, "Complete");
  ASSERT_TRUE(Eventually([&] {
    auto cur = GetCronJob("hello");
    return cur && cur->status.active.empty() && !cur->status.lastSuccessfulTime.empty();
  }));
  EXPECT_TRUE(Eventually([&] { return HasEvent("SawCompletedJob"); }));

  // Allow: the next minute brings the next Job.
  Tick("hello", 2);
  ASSERT_TRUE(Eventually([&] { return Jobs(uid).size() == 2; }));
  EXPECT_TRUE(JobNames(uid).contains(JobNameAt("hello", 2)));
}

TEST_F(CronJobControllerTest, ForbidSkipsWhileAJobIsActive) {
  auto c = CreateCronJob("forbid", "Forbid");
  const std::string uid = c.metadata.uid;
  Tick("forbid", 1);
  ASSERT_TRUE(Eventually([&] { return Jobs(uid).size() == 1; }));
  ASSERT_TRUE(Eventually([&] {
    auto cur = GetCronJob("forbid");
    return cur && cur->status.active.size() == 1;
  }));
  // Minute 2 while the first Job runs: skipped.
  Tick("forbid", 2);
  ASSERT_TRUE(Eventually([&] { return HasEvent("JobAlreadyActive"); }));
  EXPECT_EQ(JobNames(uid), (std::set<std::string>{JobNameAt("forbid", 1)}));
  // The first Job finishes: minute 2 is still due and runs now.
  Finish(JobNameAt("forbid", 1), "Complete");
  ASSERT_TRUE(Eventually([&] { return JobNames(uid).contains(JobNameAt("forbid", 2)); }));
  ASSERT_TRUE(Eventually([&] {
    auto cur = GetCronJob("forbid");
    return cur && cur->status.active.size() == 1 &&
           cur->status.active[0].name == JobNameAt("forbid", 2);
  }));
}

TEST_F(CronJobControllerTest, ReplaceDeletesTheActiveJob) {
  auto c = CreateCronJob("replace", "Replace");
  const std::string uid = c.metadata.uid;
  Tick("replace", 1);
  ASSERT_TRUE(Eventually([&] { return Jobs(uid).size() == 1; }));
  ASSERT_TRUE(Eventually([&] {
    auto cur = GetCronJob("replace");
    return cur && cur->status.active.size() == 1;
  }));
  Tick("replace", 2);
  ASSERT_TRUE(
      Eventually([&] { return JobNames(uid) == std::set<std::string>{JobNameAt("replace", 2)}; }));
  EXPECT_TRUE(Eventually([&] { return HasEvent("SuccessfulDelete"); }));
  ASSERT_TRUE(Eventually([&] {
    auto cur = GetCronJob("replace");
    return cur && cur->status.active.size() == 1 &&
           cur->status.active[0].name == JobNameAt("replace", 2);
  }));
}

TEST_F(CronJobControllerTest, HistoryLimitsRemoveOldJobs) {
  api::CronJob c;
  c = CreateCronJob("history", "Allow");
  const std::string uid = c.metadata.uid;
  {
    TypedClient<api::CronJob> cronjobs(*client_, kNs);
    for (int i = 0; i < 20; ++i) {
      auto cur = Run(cronjobs.Get("history"));
      ASSERT_TRUE(cur.IsOk());
      cur->spec.successfulJobsHistoryLimit = 1;
      cur->spec.failedJobsHistoryLimit = 1;
      if (Run(cronjobs.Update(*cur)).IsOk()) break;
    }
  }
  for (int n = 1; n <= 3; ++n) {
    Tick("history", n);
    ASSERT_TRUE(Eventually([&] { return JobNames(uid).contains(JobNameAt("history", n)); }))
        << "minute " << n;
    Finish(JobNameAt("history", n), n == 2 ? "Failed" : "Complete");
  }
  // Minute 1's success is gone (minute 3 is newer); minute 2's failure stays (limit 1).
  ASSERT_TRUE(Eventually([&] {
    return JobNames(uid) == std::set<std::string>{JobNameAt("history", 2), JobNameAt("history", 3)};
  }));
  EXPECT_TRUE(Eventually([&] { return HasEvent("SuccessfulDelete"); }));
  ASSERT_TRUE(Eventually([&] {
    auto cur = GetCronJob("history");
    return cur && cur->status.active.empty();
  }));
}

TEST_F(CronJobControllerTest, SuspendedCronJobDoesNotFire) {
  api::CronJob c = CreateCronJob("sleepy", "Allow");
  const std::string uid = c.metadata.uid;
  {
    TypedClient<api::CronJob> cronjobs(*client_, kNs);
    for (int i = 0; i < 20; ++i) {
      auto cur = Run(cronjobs.Get("sleepy"));
      ASSERT_TRUE(cur.IsOk());
      cur->spec.suspend = true;
      if (Run(cronjobs.Update(*cur)).IsOk()) break;
    }
  }
  Tick("sleepy", 1);
  // Resume at minute 2: minute 2 runs (not minute 1, which was skipped while suspended).
  {
    TypedClient<api::CronJob> cronjobs(*client_, kNs);
    MoveClockTo(Minute(2) + seconds(1));
    for (int i = 0; i < 20; ++i) {
      auto cur = Run(cronjobs.Get("sleepy"));
      ASSERT_TRUE(cur.IsOk());
      cur->spec.suspend = false;
      if (Run(cronjobs.Update(*cur)).IsOk()) break;
    }
  }
  ASSERT_TRUE(Eventually([&] { return !Jobs(uid).empty(); }));
  EXPECT_EQ(JobNames(uid), (std::set<std::string>{JobNameAt("sleepy", 2)}));
}

}  // namespace
}  // namespace kubepp::controller
