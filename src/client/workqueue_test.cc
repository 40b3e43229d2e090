#include "client/workqueue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "client/rate_limiter.h"

namespace kubepp::client {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class WorkQueueTest : public ::testing::Test {
 protected:
  void SetUp() override { runtime_.Start(); }
  void TearDown() override { runtime_.Stop(); }
  std::unique_ptr<WorkQueue> NewQueue() {
    return std::make_unique<WorkQueue>(runtime_.Executor(), DefaultControllerRateLimiter(clock_),
                                       clock_);
  }
  async::Runtime runtime_{1};
  FakeClock clock_;
};

TEST_F(WorkQueueTest, DedupesAndNeverHandsOutAnItemTwice) {
  auto q = NewQueue();
  q->Add("a");
  q->Add("a");
  q->Add("b");
  EXPECT_EQ(q->Len(), 2u);
  EXPECT_EQ(q->TryGet(), "a");
  q->Add("a");  // dirty while processing: not queued again yet
  EXPECT_EQ(q->Len(), 1u);
  EXPECT_EQ(q->TryGet(), "b");
  EXPECT_EQ(q->TryGet(), std::nullopt);  // "a" is still being processed
  q->Add("a");                           // still just one pending re-run
  q->Done("a");
  EXPECT_EQ(q->Len(), 1u);
  EXPECT_EQ(q->TryGet(), "a");
  q->Done("a");
  q->Done("b");
  EXPECT_EQ(q->Len(), 0u);
}

TEST_F(WorkQueueTest, AddAfterWithFakeClock) {
  auto q = NewQueue();
  q->AddAfter("x", seconds(1));
  EXPECT_EQ(q->TryGet(), std::nullopt);
  EXPECT_EQ(q->Waiting(), 1u);
  clock_.Advance(milliseconds(999));
  EXPECT_EQ(q->TryGet(), std::nullopt);
  clock_.Advance(milliseconds(1));
  EXPECT_EQ(q->TryGet(), "x");
  q->Done("x");

  // The earlier of two AddAfters wins; a later one does not postpone.
  q->AddAfter("y", seconds(10));
  q->AddAfter("y", seconds(1));
  q->AddAfter("y", seconds(5));
  EXPECT_EQ(q->Waiting(), 1u);
  clock_.Advance(seconds(1));
  EXPECT_EQ(q->TryGet(), "y");
  q->Done("y");
  clock_.Advance(seconds(10));
  EXPECT_EQ(q->TryGet(), std::nullopt);
}

TEST_F(WorkQueueTest, RateLimitedRetriesBackOffPerItem) {
  auto q = NewQueue();
  q->AddRateLimited("a");  // 5 ms
  EXPECT_EQ(q->NumRequeues("a"), 1);
  clock_.Advance(milliseconds(4));
  EXPECT_EQ(q->TryGet(), std::nullopt);
  clock_.Advance(milliseconds(1));
  ASSERT_EQ(q->TryGet(), "a");
  q->AddRateLimited("a");  // 10 ms, while processing: becomes dirty after the delay
  q->Done("a");
  clock_.Advance(milliseconds(9));
  EXPECT_EQ(q->TryGet(), std::nullopt);
  clock_.Advance(milliseconds(1));
  ASSERT_EQ(q->TryGet(), "a");
  EXPECT_EQ(q->NumRequeues("a"), 2);
  q->Forget("a");
  EXPECT_EQ(q->NumRequeues("a"), 0);
  q->Done("a");
}

TEST(RateLimiterTest, ItemExponential) {
  ItemExponentialRateLimiter l(milliseconds(5), seconds(1000));
  EXPECT_EQ(l.When("a"), milliseconds(5));
  EXPECT_EQ(l.When("a"), milliseconds(10));
  EXPECT_EQ(l.When("a"), milliseconds(20));
  EXPECT_EQ(l.When("b"), milliseconds(5));
  EXPECT_EQ(l.NumRequeues("a"), 3);
  for (int i = 0; i < 100; ++i) (void)l.When("a");
  EXPECT_EQ(l.When("a"), seconds(1000));
  l.Forget("a");
  EXPECT_EQ(l.NumRequeues("a"), 0);
  EXPECT_EQ(l.When("a"), milliseconds(5));
}

TEST(RateLimiterTest, BucketAndDefault) {
  FakeClock clock;
  BucketRateLimiter bucket(10.0, 100, clock);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(bucket.When("x"), Clock::Duration(0)) << i;
  EXPECT_EQ(bucket.When("x"), milliseconds(100));
  EXPECT_EQ(bucket.When("x"), milliseconds(200));
  clock.Advance(seconds(1));  // +10 tokens: back to 8 available... minus the 2 reserved
  for (int i = 0; i < 8; ++i) EXPECT_EQ(bucket.When("x"), Clock::Duration(0)) << i;
  EXPECT_EQ(bucket.When("x"), milliseconds(100));

  auto def = DefaultControllerRateLimiter(clock);
  EXPECT_EQ(def->When("k"), milliseconds(5));
  EXPECT_EQ(def->When("k"), milliseconds(10));
  EXPECT_EQ(def->NumRequeues("k"), 2);
  def->Forget("k");
  EXPECT_EQ(def->NumRequeues("k"), 0);
}

TEST_F(WorkQueueTest, GetWaitsForAnItem) {
  auto q = NewQueue();
  std::optional<std::string> got;
  std::thread worker([&] { got = async::BlockOn(runtime_.Executor(), q->Get()); });
  std::this_thread::sleep_for(milliseconds(20));
  q->Add("wake");
  worker.join();
  EXPECT_EQ(got, "wake");
  q->Done("wake");
}

TEST_F(WorkQueueTest, DelayedItemsReachAWaitingGetOnTheRealClock) {
  WorkQueue q(runtime_.Executor(), DefaultControllerRateLimiter());
  q.AddAfter("later", milliseconds(20));
  auto got = async::BlockOn(runtime_.Executor(), q.Get());
  EXPECT_EQ(got, "later");
  q.Done("later");
}

TEST_F(WorkQueueTest, ShutDownHandsOutWhatIsQueuedThenEnds) {
  auto q = NewQueue();
  q->Add("a");
  q->Add("b");
  q->AddAfter("delayed", seconds(1));
  q->ShutDown();
  q->Add("c");  // ignored
  EXPECT_TRUE(q->ShuttingDown());
  EXPECT_EQ(async::BlockOn(runtime_.Executor(), q->Get()), "a");
  EXPECT_EQ(async::BlockOn(runtime_.Executor(), q->Get()), "b");
  EXPECT_EQ(async::BlockOn(runtime_.Executor(), q->Get()), std::nullopt);
  q->Done("a");
  q->Done("b");
}

TEST_F(WorkQueueTest, ShutDownWakesWaitingGets) {
  auto q = NewQueue();
  std::optional<std::string> got = "unset";
  std::thread worker([&] { got = async::BlockOn(runtime_.Executor(), q->Get()); });
  std::this_thread::sleep_for(milliseconds(20));
  q->ShutDown();
  worker.join();
  EXPECT_EQ(got, std::nullopt);
}

TEST_F(WorkQueueTest, ShutDownWithDrainWaitsForProcessing) {
  auto q = NewQueue();
  q->Add("a");
  ASSERT_EQ(q->TryGet(), "a");
  std::atomic<bool> drained{false};
  std::thread stopper([&] {
    q->ShutDownWithDrain();
    drained = true;
  });
  std::this_thread::sleep_for(milliseconds(20));
  EXPECT_FALSE(drained.load());
  q->Done("a");
  stopper.join();
  EXPECT_TRUE(drained.load());
}

TEST_F(WorkQueueTest, ManyWorkersNeverShareAKey) {
  auto q = NewQueue();
  std::mutex mu;
  std::set<std::string> in_flight;
  std::atomic<int> processed{0};
  std::atomic<bool> overlap{false};
  std::vector<std::thread> workers;
  workers.reserve(4);
  for (int w = 0; w < 4; ++w) {
    workers.emplace_back([&] {
      while (true) {
        auto key = async::BlockOn(runtime_.Executor(), q->Get());
        if (!key) return;
        {
          std::lock_guard lock(mu);
          if (!in_flight.insert(*key).second) overlap = true;
        }
        std::this_thread::yield();
        {
          std::lock_guard lock(mu);
          in_flight.erase(*key);
        }
        ++processed;
        q->Done(*key);
      }
    });
  }
  for (int i = 0; i < 2000; ++i) q->Add("k" + std::to_string(i % 7));
  while (q->Len() > 0) std::this_thread::sleep_for(milliseconds(1));
  q->ShutDownWithDrain();
  for (auto& t : workers) t.join();
  EXPECT_FALSE(overlap.load());
  EXPECT_GE(processed.load(), 7);
}

}  // namespace
}  // namespace kubepp::client
