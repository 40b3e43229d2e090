// Clock: the one source of time for logic that depends on it.
//
// Everything that decides by time (back-off, leases, grace periods, ages) takes a Clock& so
// that tests drive time with FakeClock in microseconds instead of sleeping. Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <string>

namespace kubepp {

class Clock {
 public:
  using Duration = std::chrono::nanoseconds;
  using TimePoint = std::chrono::steady_clock::time_point;
  using WallTime = std::chrono::system_clock::time_point;

  virtual ~Clock() = default;
  // Monotonic time, for intervals and deadlines.
  virtual TimePoint Now() const = 0;
  // Wall-clock time, for timestamps written into objects (creationTimestamp, ...).
  virtual WallTime WallNow() const = 0;

  // The process-wide real clock.
  static Clock& Real();
};

class RealClock final : public Clock {
 public:
  // kubepp::Clock
  TimePoint Now() const override { return std::chrono::steady_clock::now(); }
  WallTime WallNow() const override { return std::chrono::system_clock::now(); }
};

// A clock that moves only when told to. Starts at an arbitrary fixed point.
class FakeClock final : public Clock {
 public:
  FakeClock();
  // kubepp::Clock
  TimePoint Now() const override;
  WallTime WallNow() const override;

  void Advance(Duration d) { offset_ns_.fetch_add(d.count(), std::memory_order_relaxed); }

 private:
  TimePoint start_;                    // monotonic time at offset zero
  WallTime wall_start_;                // wall time at offset zero
  std::atomic<int64_t> offset_ns_{0};  // how far the clock has been advanced
};

// RFC 3339 in UTC with second precision, as Kubernetes metav1.Time ("2024-01-02T03:04:05Z").
std::string FormatRfc3339(Clock::WallTime t);
// RFC 3339 with microseconds, as metav1.MicroTime ("2024-01-02T03:04:05.123456Z").
std::string FormatRfc3339Micro(Clock::WallTime t);

}  // namespace kubepp
