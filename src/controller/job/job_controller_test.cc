// The Job, CronJob and ttl-after-finished controllers against a real in-process API server.
// There is no kubelet: the test plays it by writing pod phases through the status subresource.
#include "controller/job/job_controller.h"

#include <gtest/gtest.h>

#include <set>

#include "api/codec.h"
#include "api/types.h"
#include "base/log.h"
#include "client/informer.h"
#include "client/testing/api_server_fixture.h"
#include "client/typed.h"
#include "controller/job/job_logic.h"

namespace kubepp::controller {
namespace {

using client::TypedClient;

constexpr char kNs[] = "default";

class JobControllerTest : public client::testing::ApiServerFixture {
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
    ctx.clock = &Clock::Real();
    JobControllerOptions jopts;
    jopts.pod_failure_backoff = std::chrono::milliseconds(10);
    jopts.max_pod_failure_backoff = std::chrono::milliseconds(40);
    controllers_.push_back(NewJobController(ctx, jopts));
    informers_->Start();
    ASSERT_TRUE(informers_->WaitForCacheSync(std::chrono::seconds(20)));
    for (auto& c : controllers_) c->Start();
  }
  void TearDown() override {
    for (auto& c : controllers_) c->Stop();
    controllers_.clear();
    if (informers_) informers_->Stop();
    informers_.reset();
    ApiServerFixture::TearDown();
  }

  static api::Job MakeJob(const std::string& name, int32_t completions, int32_t parallelism) {
    api::Job j;
    j.metadata.name = name;
    j.spec.completions = completions;
    j.spec.parallelism = parallelism;
    j.spec.template_.spec.restartPolicy = "Never";
    j.spec.template_.spec.containers.resize(1);
    j.spec.template_.spec.containers[0].name = "c";
    j.spec.template_.spec.containers[0].image = "busybox";
    return j;
  }

  api::Job Create(const api::Job& j) {
    TypedClient<api::Job> jobs(*client_, kNs);
    auto r = Run(jobs.Create(j));
    EXPECT_TRUE(r.IsOk()) << r.status().ToString();
    return r.IsOk() ? *r : j;
  }

  std::optional<api::Job> GetJob(const std::string& name) {
    TypedClient<api::Job> jobs(*client_, kNs);
    auto r = Run(jobs.Get(name));
    if (!r.IsOk()) return std::nullopt;
    return *r;
  }

  // Pods controlled by the Job with `uid`, not being deleted.
  std::vector<api::Pod> Active(const std::string& uid) {
    TypedClient<api::Pod> pods(*client_, kNs);
    client::ListOptions opts;
    auto r = Run(pods.List(opts));
    std::vector<api::Pod> out;
    if (!r.IsOk()) return out;
    for (auto& p : r->items) {
      if (p.metadata.ownerReferences.empty() || p.metadata.ownerReferences[0].uid != uid) continue;
      if (!p.metadata.deletionTimestamp.empty()) continue;
      if (p.status.phase == "Succeeded" || p.status.phase == "Failed") continue;
      out.push_back(std::move(p));
    }
    return out;
  }

  // Plays the kubelet: the pod ends in `phase` (its container exits with `exit_code`).
  void Finish(const std::string& name, const std::string& phase, int exit_code) {
    TypedClient<api::Pod> pods(*client_, kNs);
    for (int i = 0; i < 20; ++i) {
      auto pod = Run(pods.Get(name));
      ASSERT_TRUE(pod.IsOk()) << pod.status().ToString();
      pod->status.phase = phase;
      api::ContainerStatus cs;
      cs.name = "c";
      cs.state.emplace();
      cs.state->terminated.emplace();
      cs.state->terminated->exitCode = exit_code;
      pod->status.containerStatuses = {cs};
      auto r = Run(pods.UpdateStatus(*pod));
      if (r.IsOk()) return;
      ASSERT_TRUE(r.status().IsConflict()) << r.status().ToString();
    }
    FAIL() << "could not finish " << name;
  }

  // The Job and its pods as JSON (failure messages).
  std::string Dump(const std::string& name) {
    std::string out;
    if (auto j = GetJob(name)) out += boost::json::serialize(api::ToJson(j->status)) + "\n";
    TypedClient<api::Pod> pods(*client_, kNs);
    client::ListOptions opts;
    auto r = Run(pods.List(opts));
    if (r.IsOk()) {
      for (const auto& p : r->items) {
        out += p.metadata.name + " " + p.status.phase + " del=" + p.metadata.deletionTimestamp +
               " fin=" + std::to_string(p.metadata.finalizers.size()) + "\n";
      }
    }
    return out;
  }

  static bool HasCondition(const api::Job& j, const std::string& type, const std::string& reason) {
    const auto* c = job::FindTrueCondition(j, type);
    return c != nullptr && (reason.empty() || c->reason == reason);
  }

  std::unique_ptr<client::SharedInformerFactory> informers_;  // shared informers
  std::vector<std::unique_ptr<Controller>> controllers_;      // under test
};

TEST_F(JobControllerTest, CompletionsWithParallelism) {
  auto j = Create(MakeJob("work", 3, 2));
  const std::string uid = j.metadata.uid;
  ASSERT_TRUE(Eventually([&] { return Active(uid).size() == 2; }));
  auto first = Active(uid);
  for (const auto& p : first) {
    EXPECT_EQ(p.metadata.generateName, "work-");
    EXPECT_EQ(p.metadata.labels.at(job::kControllerUidLabel), uid);
    EXPECT_EQ(p.metadata.labels.at(job::kJobNameLabel), "work");
    EXPECT_EQ(p.metadata.labels.at("job-name"), "work");
    ASSERT_EQ(p.metadata.finalizers.size(), 1U);
    EXPECT_EQ(p.metadata.finalizers[0], job::kTrackingFinalizer);
  }
  ASSERT_TRUE(Eventually([&] {
    auto cur = GetJob("work");
    return cur && cur->status.active == 2 && !cur->status.startTime.empty();
  }));
  // One succeeds: one more is created (3 - 1 = 2 still wanted).
  Finish(first[0].metadata.name, "Succeeded", 0);
  ASSERT_TRUE(Eventually([&] {
    auto cur = GetJob("work");
    return cur && cur->status.succeeded == 1 && Active(uid).size() == 2;
  })) << Dump("work");
  for (const auto& p : Active(uid)) Finish(p.metadata.name, "Succeeded", 0);
  ASSERT_TRUE(Eventually([&] {
    auto cur = GetJob("work");
    return cur && HasCondition(*cur, job::kJobComplete, "");
  }));
  auto done = GetJob("work");
  EXPECT_EQ(done->status.succeeded, 3);
  EXPECT_EQ(done->status.failed.value_or(0), 0);
  EXPECT_EQ(done->status.active.value_or(0), 0);
  EXPECT_FALSE(done->status.completionTime.empty());
  EXPECT_TRUE(HasCondition(*done, job::kJobSuccessCriteriaMet, job::kReasonCompletionsReached));
  // Counted pods keep no finalizer.
  ASSERT_TRUE(Eventually([&] {
    TypedClient<api::Pod> pods(*client_, kNs);
    client::ListOptions opts;
    auto r = Run(pods.List(opts));
    if (!r.IsOk()) return false;
    for (const auto& p : r->items) {
      if (!p.metadata.finalizers.empty()) return false;
    }
    return r->items.size() == 3;
  }));
}

TEST_F(JobControllerTest, BackoffLimitExceeded) {
  auto spec = MakeJob("flaky", 1, 1);
  spec.spec.backoffLimit = 2;
  auto j = Create(spec);
  const std::string uid = j.metadata.uid;
  // Fail three pods (backoffLimit 2): the third failure fails the Job.
  std::set<std::string> failed;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Eventually([&] {
      auto a = Active(uid);
      return a.size() == 1 && !failed.contains(a[0].metadata.name);
    })) << "attempt "
        << i;
    const std::string name = Active(uid).at(0).metadata.name;
    failed.insert(name);
    Finish(name, "Failed", 1);
  }
  ASSERT_TRUE(Eventually([&] {
    auto cur = GetJob("flaky");
    return cur && HasCondition(*cur, job::kJobFailed, job::kReasonBackoffLimitExceeded);
  }));
  auto done = GetJob("flaky");
  EXPECT_EQ(done->status.failed, 3);
  EXPECT_EQ(done->status.active.value_or(0), 0);
  EXPECT_TRUE(HasCondition(*done, job::kJobFailureTarget, job::kReasonBackoffLimitExceeded));
  EXPECT_EQ(job::FindTrueCondition(*done, job::kJobFailed)->message,
            "Job has reached the specified backoff limit");
  EXPECT_TRUE(Active(uid).empty());
}

TEST_F(JobControllerTest, IndexedCompletion) {
  auto spec = MakeJob("idx", 3, 3);
  spec.spec.completionMode = "Indexed";
  auto j = Create(spec);
  const std::string uid = j.metadata.uid;
  ASSERT_TRUE(Eventually([&] { return Active(uid).size() == 3; }));
  std::map<int, std::string> by_index;
  for (const auto& p : Active(uid)) {
    auto idx = job::PodIndex(p);
    ASSERT_TRUE(idx);
    EXPECT_EQ(p.spec.hostname, "idx-" + std::to_string(*idx));
    EXPECT_EQ(p.metadata.labels.at(job::kCompletionIndexKey), std::to_string(*idx));
    by_index[*idx] = p.metadata.name;
  }
  ASSERT_EQ(by_index.size(), 3U);
  Finish(by_index[1], "Succeeded", 0);
  ASSERT_TRUE(Eventually([&] {
    auto cur = GetJob("idx");
    return cur && cur->status.completedIndexes == "1" && cur->status.succeeded == 1;
  }));
  // Index 0 fails: it is re-created with the same index.
  Finish(by_index[0], "Failed", 1);
  ASSERT_TRUE(Eventually([&] {
    for (const auto& p : Active(uid)) {
      if (job::PodIndex(p) == 0 && p.metadata.name != by_index[0]) return true;
    }
    return false;
  }));
  for (const auto& p : Active(uid)) Finish(p.metadata.name, "Succeeded", 0);
  ASSERT_TRUE(Eventually([&] {
    auto cur = GetJob("idx");
    return cur && HasCondition(*cur, job::kJobComplete, "");
  }));
  auto done = GetJob("idx");
  EXPECT_EQ(done->status.completedIndexes, "0-2");
  EXPECT_EQ(done->status.succeeded, 3);
  EXPECT_EQ(done->status.failed, 1);
}

TEST_F(JobControllerTest, PodFailurePolicyFailJobAndSuspend) {
  auto spec = MakeJob("policy", 2, 2);
  api::PodFailurePolicy policy;
  api::PodFailurePolicyRule rule;
  rule.action = "FailJob";
  rule.onExitCodes.emplace();
  rule.onExitCodes->operator_ = "In";
  rule.onExitCodes->values = {42};
  policy.rules = {rule};
  spec.spec.podFailurePolicy = policy;
  auto j = Create(spec);
  const std::string uid = j.metadata.uid;
  ASSERT_TRUE(Eventually([&] { return Active(uid).size() == 2; }));
  Finish(Active(uid).at(0).metadata.name, "Failed", 42);
  ASSERT_TRUE(Eventually([&] {
    auto cur = GetJob("policy");
    return cur && HasCondition(*cur, job::kJobFailed, job::kReasonPodFailurePolicy);
  }));
  // The other pod was deleted.
  ASSERT_TRUE(Eventually([&] { return Active(uid).empty(); }));

  auto s = MakeJob("sleepy", 1, 1);
  s.spec.suspend = true;
  auto sj = Create(s);
  ASSERT_TRUE(Eventually([&] {
    auto cur = GetJob("sleepy");
    return cur && HasCondition(*cur, job::kJobSuspended, "JobSuspended");
  }));
  EXPECT_TRUE(Active(sj.metadata.uid).empty());
}

}  // namespace
}  // namespace kubepp::controller
