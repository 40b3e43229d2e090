// TimeZone: an IANA time zone read from a TZif file (RFC 8536, versions 1 to 3) under
// /usr/share/zoneinfo, because GCC 12's libstdc++ has no std::chrono::locate_zone. Gives the
// UTC offset at an instant and converts local civil time to an instant the way Go's time.Date
// does (what upstream's CronJob controller relies on through time.LoadLocation).
//
// - Instants after the last transition follow the file's footer POSIX TZ string
//   ("EST5EDT,M3.2.0,M11.1.0").
// - Local times in a DST gap or overlap resolve as Go's time.Date: the offset in force at the
//   local time read as UTC, corrected once if the result falls outside that offset's period.
// - "", "UTC" and "Etc/UTC" are UTC without reading a file; an unknown name is NotFound
//   ("unknown time zone X", Go's message); "Local" is refused (upstream's validation).
//
// Thread-safe once built (immutable). Load() reads a file: callers cache the result.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace kubepp::controller::cronjob {

class TimeZone {
 public:
  // The period an instant falls in: its offset and the [start, end) it holds for (Unix s).
  struct Period {
    int32_t offset = 0;   // seconds east of UTC
    bool is_dst = false;  // daylight saving time
    std::string abbrev;   // "EST", "CEST", "+0530", ...
    int64_t start = 0;    // first second of the period (may be approximate far from changes)
    int64_t end = 0;      // first second after it
  };

  // UTC.
  TimeZone();
  // The zone called `name` from `zoneinfo_dir`.
  static Result<TimeZone> Load(std::string_view name,
                               std::string_view zoneinfo_dir = "/usr/share/zoneinfo");
  // A zone from the bytes of a TZif file.
  static Result<TimeZone> FromTzif(std::string name, std::string_view data);

  const std::string& Name() const { return name_; }
  // The period in force at Unix second `unix`.
  Period Lookup(int64_t unix) const;
  // The offset (seconds east of UTC) at `unix`.
  int32_t OffsetAt(int64_t unix) const { return Lookup(unix).offset; }
  // The instant of local civil time `local` (seconds since 1970-01-01T00:00 local, i.e. the
  // civil fields read as if they were UTC), as Go's time.Date resolves gaps and overlaps.
  int64_t LocalToUnix(int64_t local) const;

 private:
  // One local time type of the file (ttinfo).
  struct Type {
    int32_t offset = 0;   // utoff
    bool is_dst = false;  // isdst
    std::string abbrev;   // designation
  };
  // One transition: from `when` on, `type` holds.
  struct Transition {
    int64_t when = 0;  // Unix s
    int type = 0;      // index into types_
  };
  // A rule date of a POSIX TZ string (Jn, n or Mm.w.d) and the local time of day it takes effect.
  struct Rule {
    enum class Kind { kJulian, kDayOfYear, kMonthWeekDay } kind = Kind::kMonthWeekDay;
    int day = 0;      // Jn: 1..365; n: 0..365; Mm.w.d: d (0 = Sunday)
    int week = 0;     // Mm.w.d: w (1..5)
    int mon = 0;      // Mm.w.d: m (1..12)
    int time = 7200;  // seconds after local midnight (default 02:00)
  };
  // The parsed footer string.
  struct PosixTz {
    bool valid = false;    // a usable footer was present
    Type std_type;         // standard time
    bool has_dst = false;  // a DST part follows
    Type dst_type;         // daylight time
    Rule start;            // DST starts (local standard time)
    Rule end;              // DST ends (local daylight time)
  };

  static bool ParsePosixTz(std::string_view s, PosixTz& out);
  // Go's tzset: the period of `unix` under the footer rules.
  Period FooterLookup(int64_t unix, int64_t last_tx) const;
  // Seconds after the start of `year` (UTC) at which `rule` takes effect, for `offset`.
  static int64_t RuleTime(int year, const Rule& rule, int32_t offset);
  int FirstType() const;

  std::string name_;                     // as loaded ("America/New_York")
  std::vector<Type> types_;              // local time types
  std::vector<Transition> transitions_;  // ascending by `when`
  PosixTz footer_;                       // rules after the last transition
};

// Civil-time helpers (proleptic Gregorian, UTC fields).
struct CivilTime {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
  int hour = 0;
  int minute = 0;
  int second = 0;
  int weekday = 4;  // 0 = Sunday
};
// Fields of Unix second `secs` read in UTC.
CivilTime CivilFromUnix(int64_t secs);
// Seconds of the (possibly denormalized: month 13, day 0, hour 25, ...) civil time read as UTC;
// overflowing fields carry over as Go's time.Date does.
int64_t UnixFromCivil(int64_t year, int64_t month, int64_t day, int64_t hour, int64_t minute,
                      int64_t second);
// Unix second `secs` in `tz` as RFC 3339 ("2024-03-10T01:00:00-05:00"; "Z" for offset 0), as
// Go's time.RFC3339 formats it.
std::string FormatRfc3339In(int64_t secs, const TimeZone& tz);

}  // namespace kubepp::controller::cronjob
