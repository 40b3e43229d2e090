// CronSchedule: a CronJob's spec.schedule as robfig/cron v3's standard parser reads it (what
// upstream's CronJob controller uses through cron.ParseStandard), and its next activation
// time in a time zone.
//
// - Five fields: minute hour day-of-month month day-of-week; each a comma list of `*`, `?`,
//   N, N-M, with an optional /step (N/step means N-max/step); month names JAN-DEC and day names
//   SUN-SAT, case-insensitive. Day-of-week is 0-6 as robfig's (7 is out of range, as upstream's
//   validation says).
// - Day-of-month and day-of-week: when both are restricted (neither starts with `*` or `?`),
//   a day matches if either does (cron's OR rule); otherwise both must.
// - Descriptors @yearly @annually @monthly @weekly @daily @midnight @hourly, and
//   @every <Go duration> (robfig's ConstantDelaySchedule; upstream's validation accepts it).
// - Parse errors carry robfig's messages ("expected exactly 5 fields, found 1: [bad]").
//
// Thread-safe (immutable).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/status.h"
#include "controller/cronjob/time_zone.h"

namespace kubepp::controller::cronjob {

class CronSchedule {
 public:
  // Invalid (with robfig's message) when `spec` does not parse.
  static Result<CronSchedule> Parse(std::string_view spec);

  // The first activation strictly after `t` (robfig's Next: sub-seconds dropped, searched up
  // to five years ahead), evaluated in `tz`; nullopt when there is none (e.g. "0 0 30 2 *").
  std::optional<Clock::WallTime> Next(Clock::WallTime t, const TimeZone& tz) const;
  // Next on Unix seconds.
  std::optional<int64_t> NextUnix(int64_t t, const TimeZone& tz) const;

 private:
  bool DayMatches(const CivilTime& c) const;

  // Bit sets of allowed values (bit N = value N); kStar marks a field written `*` or `?`.
  uint64_t minute_ = 0;           // 0..59
  uint64_t hour_ = 0;             // 0..23
  uint64_t dom_ = 0;              // 1..31
  uint64_t month_ = 0;            // 1..12
  uint64_t dow_ = 0;              // 0..6
  std::optional<int64_t> every_;  // @every: the delay in seconds
};

}  // namespace kubepp::controller::cronjob
