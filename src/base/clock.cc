#include "base/clock.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

namespace kubepp {

Clock& Clock::Real() {
  static RealClock clock;
  return clock;
}

FakeClock::FakeClock()
    : start_(std::chrono::steady_clock::time_point(std::chrono::hours(1000))),
      // 2024-01-01T00:00:00Z: a fixed, readable epoch for tests.
      wall_start_(std::chrono::system_clock::time_point(std::chrono::seconds(1704067200))) {}

Clock::TimePoint FakeClock::Now() const {
  return start_ + Duration(offset_ns_.load(std::memory_order_relaxed));
}

Clock::WallTime FakeClock::WallNow() const {
  return wall_start_ + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                           Duration(offset_ns_.load(std::memory_order_relaxed)));
}

std::string FormatRfc3339(Clock::WallTime t) {
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", std::chrono::floor<std::chrono::seconds>(t));
}

std::string FormatRfc3339Micro(Clock::WallTime t) {
  auto secs = std::chrono::floor<std::chrono::seconds>(t);
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(t - secs).count();
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:06d}Z", secs, micros);
}

}  // namespace kubepp
