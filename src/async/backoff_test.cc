#include "async/backoff.h"

#include <gtest/gtest.h>

namespace kubepp::async {
namespace {

using namespace std::chrono_literals;

TEST(BackoffTest, DoublesUpToCap) {
  FakeClock clock;
  Backoff b({.initial = 1s, .max = 10s, .factor = 2.0}, clock);
  EXPECT_EQ(b.Next(), 1s);
  EXPECT_EQ(b.Next(), 2s);
  EXPECT_EQ(b.Next(), 4s);
  EXPECT_EQ(b.Next(), 8s);
  EXPECT_EQ(b.Next(), 10s);
  EXPECT_EQ(b.Next(), 10s);
  EXPECT_EQ(b.Attempts(), 6);
  b.Reset();
  EXPECT_EQ(b.Next(), 1s);
}

TEST(BackoffTest, ResetsAfterQuietPeriod) {
  // The kubelet's crash back-off: 10 s doubling to 5 min, reset after 10 min.
  FakeClock clock;
  Backoff b({.initial = 10s, .max = 300s, .factor = 2.0, .reset_after = 600s}, clock);
  EXPECT_EQ(b.Next(), 10s);
  EXPECT_EQ(b.Next(), 20s);
  clock.Advance(599s);
  EXPECT_EQ(b.Next(), 40s);
  clock.Advance(600s);
  EXPECT_EQ(b.Next(), 10s);
}

TEST(BackoffTest, JitterStaysInRange) {
  FakeClock clock;
  Backoff b({.initial = 100ms, .max = 100ms, .factor = 1.0, .jitter = 0.5}, clock);
  for (int i = 0; i < 100; ++i) {
    auto d = b.Next();
    EXPECT_GE(d, 100ms);
    EXPECT_LE(d, 150ms);
  }
}

}  // namespace
}  // namespace kubepp::async
