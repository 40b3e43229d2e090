// The ttl-after-finished controller against a real in-process API server with a FakeClock.
// No Job controller runs: the test finishes Jobs by writing their condition through
// jobs/status. Fake time does not fire the queue's timers, so after moving the clock the test
// touches the Job (an annotation update) to have it looked at again. No garbage collector runs
// either, so a Foreground deletion leaves the Job with a deletionTimestamp and the
// foregroundDeletion finalizer.
#include "controller/ttlafterfinished/ttlafterfinished_controller.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "api/types.h"
#include "base/log.h"
#include "client/informer.h"
#include "client/testing/api_server_fixture.h"
#include "client/typed.h"

namespace kubepp::controller {
namespace {

using client::TypedClient;
using std::chrono::seconds;

constexpr char kNs[] = "default";

class TtlAfterFinishedControllerTest : public client::testing::ApiServerFixture {
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
    controller_ = NewTtlAfterFinishedController(ctx);
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

  void CreateJob(const std::string& name, std::optional<int32_t> ttl) {
    api::Job j;
    j.metadata.name = name;
    j.spec.ttlSecondsAfterFinished = ttl;
    j.spec.template_.spec.restartPolicy = "Never";
    j.spec.template_.spec.containers.resize(1);
    j.spec.template_.spec.containers[0].name = "c";
    j.spec.template_.spec.containers[0].image = "busybox";
    TypedClient<api::Job> jobs(*client_, kNs);
    auto r = Run(jobs.Create(j));
    ASSERT_TRUE(r.IsOk()) << r.status().ToString();
  }

  // Changes the Job through a metadata/spec update (retried on conflicts).
  template <typename F>
  void Mutate(const std::string& name, F fn) {
    TypedClient<api::Job> jobs(*client_, kNs);
    for (int i = 0; i < 20; ++i) {
      auto j = Run(jobs.Get(name));
      ASSERT_TRUE(j.IsOk()) << j.status().ToString();
      fn(*j);
      auto r = Run(jobs.Update(*j));
      if (r.IsOk()) return;
      ASSERT_TRUE(r.status().IsConflict()) << r.status().ToString();
    }
    FAIL() << "could not update " << name;
  }
  void Poke(const std::string& name) {
    Mutate(name,
           [this](api::Job& j) { j.metadata.annotations["test/poke"] = std::to_string(++pokes_); });
  }

  // Plays the Job controller: the Job finished now (fake time).
  void Finish(const std::string& name, const std::string& type) {
    TypedClient<api::Job> jobs(*client_, kNs);
    for (int i = 0; i < 20; ++i) {
      auto j = Run(jobs.Get(name));
      ASSERT_TRUE(j.IsOk()) << j.status().ToString();
      const std::string now = FormatRfc3339(clock_.WallNow());
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

  // Gone, or deleted in the foreground (deletionTimestamp + foregroundDeletion finalizer).
  bool Deleted(const std::string& name) {
    TypedClient<api::Job> jobs(*client_, kNs);
    auto j = Run(jobs.Get(name));
    if (j.status().IsNotFound()) return true;
    if (!j.IsOk() || j->metadata.deletionTimestamp.empty()) return false;
    const auto& f = j->metadata.finalizers;
    return std::find(f.begin(), f.end(), "foregroundDeletion") != f.end();
  }

  FakeClock clock_;                                           // the controller's time
  int pokes_ = 0;                                             // annotation counter
  std::unique_ptr<client::SharedInformerFactory> informers_;  // shared informers
  std::unique_ptr<Controller> controller_;                    // under test
};

TEST_F(TtlAfterFinishedControllerTest, DeletesFinishedJobsAfterTheirTtl) {
  CreateJob("done", 100);
  CreateJob("broken", 0);
  CreateJob("keep", std::nullopt);
  CreateJob("running", 10);
  Finish("done", "Complete");
  Finish("broken", "Failed");
  Finish("keep", "Complete");

  // ttl 0: deleted at once.
  ASSERT_TRUE(Eventually([&] { return Deleted("broken"); }));
  // 50 s later "done" still has 50 s to go.
  clock_.Advance(seconds(50));
  Poke("done");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(Deleted("done"));
  // Past its ttl: deleted; Jobs without a ttl or not finished stay.
  clock_.Advance(seconds(51));
  Poke("done");
  Poke("keep");
  Poke("running");
  ASSERT_TRUE(Eventually([&] { return Deleted("done"); }));
  EXPECT_FALSE(Deleted("keep"));
  EXPECT_FALSE(Deleted("running"));
}

TEST_F(TtlAfterFinishedControllerTest, ShortenedTtlTakesEffect) {
  CreateJob("pi", 3600);
  Finish("pi", "Complete");
  clock_.Advance(seconds(60));
  Poke("pi");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(Deleted("pi"));
  // ttlSecondsAfterFinished is mutable: 30 s has passed already.
  Mutate("pi", [](api::Job& j) { j.spec.ttlSecondsAfterFinished = 30; });
  ASSERT_TRUE(Eventually([&] { return Deleted("pi"); }));
}

}  // namespace
}  // namespace kubepp::controller
