#include "async/runtime.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

#include "async/timer.h"

namespace kubepp::async {
namespace {

using namespace std::chrono_literals;

Task<int> AddOnPool(BlockingPool& pool, int a, int b) {
  auto io_thread = std::this_thread::get_id();
  std::thread::id pool_thread;
  auto add = [a, b, &pool_thread] {
    pool_thread = std::this_thread::get_id();
    return a + b;
  };
  int sum = co_await RunBlocking(pool, std::move(add));
  // The blocking work ran elsewhere, and we are back on an io thread.
  EXPECT_NE(pool_thread, io_thread);
  co_return sum;
}

TEST(RuntimeTest, RunBlockingReturnsValue) {
  Runtime rt(1);
  rt.Start();
  BlockingPool pool(2);
  EXPECT_EQ(BlockOn(rt.Executor(), AddOnPool(pool, 2, 3)), 5);
  rt.Stop();
}

Task<void> Bump(BlockingPool& pool, std::atomic<int>& n) {
  auto bump = [&n] { n.fetch_add(1); };
  co_await RunBlocking(pool, std::move(bump));
}

TEST(RuntimeTest, RunBlockingVoid) {
  Runtime rt(2);
  rt.Start();
  BlockingPool pool(2);
  std::atomic<int> n{0};
  for (int i = 0; i < 10; ++i) BlockOn(rt.Executor(), Bump(pool, n));
  EXPECT_EQ(n.load(), 10);
}

Task<bool> SleepFor(std::chrono::milliseconds d) { co_return co_await Sleep(d); }

Task<std::string> Concat(BlockingPool& pool, std::string a, std::string b) {
  // Captures with destructors (heap strings): the case GCC 12 mishandles in async_initiate.
  auto join = [a = std::move(a), b = std::move(b)] { return a + "/" + b; };
  std::string out = co_await RunBlocking(pool, std::move(join));
  co_return out;
}

TEST(RuntimeTest, RunBlockingWithNonTrivialCaptures) {
  Runtime rt(2);
  rt.Start();
  BlockingPool pool(2);
  std::string a(100, 'a');
  std::string b(100, 'b');
  for (int i = 0; i < 200; ++i) {
    EXPECT_EQ(BlockOn(rt.Executor(), Concat(pool, a, b)), a + "/" + b);
  }
}

TEST(RuntimeTest, SleepCompletes) {
  Runtime rt(1);
  rt.Start();
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(BlockOn(rt.Executor(), SleepFor(20ms)));
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 20ms);
}

TEST(RuntimeTest, StopEndsWaitForSignal) {
  Runtime rt(1);
  rt.Start();
  std::thread stopper([&rt] {
    std::this_thread::sleep_for(10ms);
    rt.Stop();
  });
  EXPECT_EQ(rt.WaitForSignal(), 0);
  stopper.join();
}

TEST(RuntimeTest, SignalEndsWaitForSignal) {
  Runtime rt(1);
  rt.Start();
  std::thread sender([] {
    std::this_thread::sleep_for(50ms);
    ::raise(SIGTERM);
  });
  EXPECT_EQ(rt.WaitForSignal(), SIGTERM);
  sender.join();
}

}  // namespace
}  // namespace kubepp::async
