#include "async/gate.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace kubepp::async {
namespace {

TEST(GateTest, RefusesAfterClose) {
  Gate gate;
  {
    auto h = gate.TryEnter();
    EXPECT_TRUE(h);
    EXPECT_EQ(gate.InFlight(), 1);
  }
  EXPECT_EQ(gate.InFlight(), 0);
  gate.Close();
  EXPECT_TRUE(gate.IsClosed());
  EXPECT_FALSE(gate.TryEnter());
  gate.Wait();
}

TEST(GateTest, WaitDrainsInFlightWork) {
  Gate gate;
  std::atomic<bool> finished{false};
  auto h = gate.TryEnter();
  std::thread worker([&finished, hold = std::move(h)]() mutable {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    finished = true;
    hold.Release();
  });
  gate.Close();
  gate.Wait();
  EXPECT_TRUE(finished.load());
  worker.join();
}

TEST(GateTest, HolderMoveAssign) {
  Gate gate;
  Gate::Holder a = gate.TryEnter();
  Gate::Holder b;
  b = std::move(a);
  EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): testing the moved-from state
  EXPECT_TRUE(b);
  EXPECT_EQ(gate.InFlight(), 1);
  b.Release();
  EXPECT_EQ(gate.InFlight(), 0);
}

}  // namespace
}  // namespace kubepp::async
