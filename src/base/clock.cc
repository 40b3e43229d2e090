#include "base/clock.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <cctype>
#include <cstdio>
#include <string>

#include "base/rfc3339.h"

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

std::optional<Clock::WallTime> ParseRfc3339(std::string_view text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (text.size() < 20 || std::sscanf(std::string(text.substr(0, 19)).c_str(),
                                      "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s) != 6) {
    return std::nullopt;
  }
  size_t pos = 19;
  double frac = 0;
  if (pos < text.size() && text[pos] == '.') {
    size_t end = pos + 1;
    while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
    frac = std::stod("0" + std::string(text.substr(pos, end - pos)));
    pos = end;
  }
  int offset_secs = 0;
  if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int oh = 0, om = 0;
    if (std::sscanf(std::string(text.substr(pos + 1)).c_str(), "%2d:%2d", &oh, &om) != 2) {
      return std::nullopt;
    }
    offset_secs = (oh * 3600 + om * 60) * (text[pos] == '+' ? 1 : -1);
  } else if (pos >= text.size() || (text[pos] != 'Z' && text[pos] != 'z')) {
    return std::nullopt;
  }
  std::chrono::year_month_day ymd{std::chrono::year(y),
                                  std::chrono::month(static_cast<unsigned>(mo)),
                                  std::chrono::day(static_cast<unsigned>(d))};
  if (!ymd.ok()) return std::nullopt;
  auto tp = std::chrono::sys_days(ymd) + std::chrono::hours(h) + std::chrono::minutes(mi) +
            std::chrono::seconds(s) - std::chrono::seconds(offset_secs);
  constexpr int64_t kMaxAbsSeconds = 4'000'000'000;  // 1843..2096
  if (tp.time_since_epoch().count() > kMaxAbsSeconds ||
      tp.time_since_epoch().count() < -kMaxAbsSeconds) {
    return std::nullopt;
  }
  return std::chrono::time_point_cast<Clock::WallTime::duration>(tp) +
         std::chrono::duration_cast<Clock::WallTime::duration>(std::chrono::duration<double>(frac));
}

}  // namespace kubepp
