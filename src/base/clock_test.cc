#include "base/clock.h"

#include <gtest/gtest.h>

namespace kubepp {
namespace {

using namespace std::chrono_literals;

TEST(ClockTest, FakeClockMovesOnlyWhenAdvanced) {
  FakeClock clock;
  auto t0 = clock.Now();
  auto w0 = clock.WallNow();
  EXPECT_EQ(clock.Now(), t0);
  clock.Advance(1500ms);
  EXPECT_EQ(clock.Now() - t0, 1500ms);
  EXPECT_EQ(clock.WallNow() - w0, 1500ms);
}

TEST(ClockTest, RealClockIsMonotonic) {
  auto& clock = Clock::Real();
  auto a = clock.Now();
  auto b = clock.Now();
  EXPECT_LE(a, b);
}

TEST(ClockTest, Rfc3339) {
  FakeClock clock;
  EXPECT_EQ(FormatRfc3339(clock.WallNow()), "2024-01-01T00:00:00Z");
  clock.Advance(3723s + 250us);
  EXPECT_EQ(FormatRfc3339(clock.WallNow()), "2024-01-01T01:02:03Z");
  EXPECT_EQ(FormatRfc3339Micro(clock.WallNow()), "2024-01-01T01:02:03.000250Z");
}

}  // namespace
}  // namespace kubepp
