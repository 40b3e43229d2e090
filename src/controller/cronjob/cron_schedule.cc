#include "controller/cronjob/cron_schedule.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <vector>

namespace kubepp::controller::cronjob {

namespace {

constexpr uint64_t kStar = uint64_t{1} << 63;

// The bounds (and names) of one field.
struct Bounds {
  int min;
  int max;
  std::vector<std::string_view> names;  // names[i] is value min + i (lower case)
};

const Bounds& MinuteBounds() {
  static const Bounds kBounds{0, 59, {}};
  return kBounds;
}
const Bounds& HourBounds() {
  static const Bounds kBounds{0, 23, {}};
  return kBounds;
}
const Bounds& DomBounds() {
  static const Bounds kBounds{1, 31, {}};
  return kBounds;
}
const Bounds& MonthBounds() {
  static const Bounds kBounds{
      1, 12, {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}};
  return kBounds;
}
const Bounds& DowBounds() {
  static const Bounds kBounds{0, 6, {"sun", "mon", "tue", "wed", "thu", "fri", "sat"}};
  return kBounds;
}

uint64_t Bits(int min, int max, int step) {
  uint64_t bits = 0;
  for (int i = min; i <= max; i += step) bits |= uint64_t{1} << i;
  return bits;
}

uint64_t All(const Bounds& b) { return Bits(b.min, b.max, 1) | kStar; }

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    auto pos = s.find(sep, start);
    out.emplace_back(s.substr(start, pos == std::string_view::npos ? pos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

// robfig's mustParseInt.
Status ParseInt(const std::string& s, int& out) {
  const auto syntax = [&s] {
    return Status::Invalid(fmt::format(
        "failed to parse int from {}: strconv.Atoi: parsing \"{}\": invalid syntax", s, s));
  };
  size_t i = 0;
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    i = 1;
  }
  if (i >= s.size()) return syntax();
  int64_t v = 0;
  for (; i < s.size(); ++i) {
    if (std::isdigit(static_cast<unsigned char>(s[i])) == 0) return syntax();
    v = v * 10 + (s[i] - '0');
    if (v > 1'000'000'000) {
      return Status::Invalid(fmt::format(
          "failed to parse int from {}: strconv.Atoi: parsing \"{}\": value out of range", s, s));
    }
  }
  if (neg) v = -v;
  if (v < 0) return Status::Invalid(fmt::format("negative number ({}) not allowed: {}", v, s));
  out = static_cast<int>(v);
  return Status::Ok();
}

Status ParseIntOrName(const std::string& s, const Bounds& b, int& out) {
  std::string lower;
  for (char c : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (size_t i = 0; i < b.names.size(); ++i) {
    if (lower == b.names[i]) {
      out = b.min + static_cast<int>(i);
      return Status::Ok();
    }
  }
  return ParseInt(s, out);
}

// robfig's getRange.
Status ParseRange(const std::string& expr, const Bounds& b, uint64_t& bits) {
  auto range_and_step = Split(expr, '/');
  auto low_and_high = Split(range_and_step[0], '-');
  const bool single = low_and_high.size() == 1;
  int start = 0;
  int end = 0;
  int step = 1;
  uint64_t extra = 0;
  if (low_and_high[0] == "*" || low_and_high[0] == "?") {
    start = b.min;
    end = b.max;
    extra = kStar;
  } else {
    if (Status s = ParseIntOrName(low_and_high[0], b, start); !s.IsOk()) return s;
    if (low_and_high.size() == 1) {
      end = start;
    } else if (low_and_high.size() == 2) {
      if (Status s = ParseIntOrName(low_and_high[1], b, end); !s.IsOk()) return s;
    } else {
      return Status::Invalid("too many hyphens: " + expr);
    }
  }
  if (range_and_step.size() == 2) {
    if (Status s = ParseInt(range_and_step[1], step); !s.IsOk()) return s;
    if (single) end = b.max;
    if (step > 1) extra = 0;
  } else if (range_and_step.size() > 2) {
    return Status::Invalid("too many slashes: " + expr);
  }
  if (start < b.min) {
    return Status::Invalid(
        fmt::format("beginning of range ({}) below minimum ({}): {}", start, b.min, expr));
  }
  if (end > b.max) {
    return Status::Invalid(
        fmt::format("end of range ({}) above maximum ({}): {}", end, b.max, expr));
  }
  if (start > end) {
    return Status::Invalid(
        fmt::format("beginning of range ({}) beyond end of range ({}): {}", start, end, expr));
  }
  if (step == 0) return Status::Invalid("step of range should be a positive number: " + expr);
  bits |= Bits(start, end, step) | extra;
  return Status::Ok();
}

Status ParseField(const std::string& field, const Bounds& b, uint64_t& bits) {
  bits = 0;
  for (const auto& expr : Split(field, ',')) {
    if (Status s = ParseRange(expr, b, bits); !s.IsOk()) return s;
  }
  return Status::Ok();
}

// Go's time.ParseDuration, to whole nanoseconds (enough for @every).
std::optional<double> ParseGoDuration(std::string_view s) {
  if (s.empty()) return std::nullopt;
  double sign = 1;
  if (s[0] == '-' || s[0] == '+') {
    sign = s[0] == '-' ? -1 : 1;
    s.remove_prefix(1);
  }
  if (s == "0") return 0.0;
  if (s.empty()) return std::nullopt;
  double total = 0;
  while (!s.empty()) {
    size_t i = 0;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) != 0 || s[i] == '.')) {
      ++i;
    }
    if (i == 0) return std::nullopt;
    const std::string num(s.substr(0, i));
    if (num == "." || std::count(num.begin(), num.end(), '.') > 1) return std::nullopt;
    const double v = std::stod(num);
    s.remove_prefix(i);
    size_t u = 0;
    while (u < s.size() && s[u] != '.' && std::isdigit(static_cast<unsigned char>(s[u])) == 0) {
      ++u;
    }
    const std::string_view unit = s.substr(0, u);
    s.remove_prefix(u);
    double scale = 0;
    if (unit == "ns") {
      scale = 1;
    } else if (unit == "us" || unit == "\xc2\xb5s" || unit == "\xce\xbcs") {
      scale = 1e3;
    } else if (unit == "ms") {
      scale = 1e6;
    } else if (unit == "s") {
      scale = 1e9;
    } else if (unit == "m") {
      scale = 60e9;
    } else if (unit == "h") {
      scale = 3600e9;
    } else {
      return std::nullopt;
    }
    total += v * scale;
  }
  return sign * total;
}

}  // namespace

Result<CronSchedule> CronSchedule::Parse(std::string_view spec_in) {
  // robfig trims surrounding spaces.
  std::string spec(spec_in);
  while (!spec.empty() && std::isspace(static_cast<unsigned char>(spec.front())) != 0) {
    spec.erase(spec.begin());
  }
  while (!spec.empty() && std::isspace(static_cast<unsigned char>(spec.back())) != 0) {
    spec.pop_back();
  }
  if (spec.empty()) return Status::Invalid("empty spec string");
  CronSchedule s;
  if (spec[0] == '@') {
    s.minute_ = uint64_t{1} << 0;
    s.hour_ = uint64_t{1} << 0;
    s.dom_ = All(DomBounds());
    s.month_ = All(MonthBounds());
    s.dow_ = All(DowBounds());
    if (spec == "@yearly" || spec == "@annually") {
      s.dom_ = uint64_t{1} << 1;
      s.month_ = uint64_t{1} << 1;
    } else if (spec == "@monthly") {
      s.dom_ = uint64_t{1} << 1;
    } else if (spec == "@weekly") {
      s.dow_ = uint64_t{1} << 0;
    } else if (spec == "@daily" || spec == "@midnight") {
      // as set above
    } else if (spec == "@hourly") {
      s.hour_ = All(HourBounds());
    } else if (spec.starts_with("@every ")) {
      const std::string d = spec.substr(7);
      auto ns = ParseGoDuration(d);
      if (!ns) {
        return Status::Invalid(
            fmt::format("failed to parse duration {}: time: invalid duration \"{}\"", spec, d));
      }
      auto secs = static_cast<int64_t>(std::floor(*ns / 1e9));
      s.every_ = std::max<int64_t>(secs, 1);
    } else {
      return Status::Invalid("unrecognized descriptor: " + spec);
    }
    return s;
  }
  std::vector<std::string> fields;
  {
    size_t i = 0;
    while (i < spec.size()) {
      while (i < spec.size() && std::isspace(static_cast<unsigned char>(spec[i])) != 0) ++i;
      size_t start = i;
      while (i < spec.size() && std::isspace(static_cast<unsigned char>(spec[i])) == 0) ++i;
      if (i > start) fields.push_back(spec.substr(start, i - start));
    }
  }
  if (fields.size() != 5) {
    std::string list;
    for (size_t i = 0; i < fields.size(); ++i) list += (i > 0 ? " " : "") + fields[i];
    return Status::Invalid(
        fmt::format("expected exactly 5 fields, found {}: [{}]", fields.size(), list));
  }
  if (Status st = ParseField(fields[0], MinuteBounds(), s.minute_); !st.IsOk()) return st;
  if (Status st = ParseField(fields[1], HourBounds(), s.hour_); !st.IsOk()) return st;
  if (Status st = ParseField(fields[2], DomBounds(), s.dom_); !st.IsOk()) return st;
  if (Status st = ParseField(fields[3], MonthBounds(), s.month_); !st.IsOk()) return st;
  if (Status st = ParseField(fields[4], DowBounds(), s.dow_); !st.IsOk()) return st;
  return s;
}

bool CronSchedule::DayMatches(const CivilTime& c) const {
  const bool dom_match = (dom_ & (uint64_t{1} << c.day)) != 0;
  const bool dow_match = (dow_ & (uint64_t{1} << c.weekday)) != 0;
  if ((dom_ & kStar) != 0 || (dow_ & kStar) != 0) return dom_match && dow_match;
  return dom_match || dow_match;
}

std::optional<int64_t> CronSchedule::NextUnix(int64_t t, const TimeZone& tz) const {
  if (every_) return t + *every_;
  // robfig's SpecSchedule.Next, on whole seconds in `tz`.
  auto fields = [&tz](int64_t u) { return CivilFromUnix(u + tz.OffsetAt(u)); };
  auto date = [&tz](int64_t y, int64_t mo, int64_t d, int64_t h, int64_t mi, int64_t s) {
    return tz.LocalToUnix(UnixFromCivil(y, mo, d, h, mi, s));
  };
  t += 1;  // the upcoming second
  bool added = false;
  const int year_limit = fields(t).year + 5;
  while (true) {  // robfig's WRAP label
    CivilTime c = fields(t);
    if (c.year > year_limit) return std::nullopt;
    bool wrapped = false;
    while ((month_ & (uint64_t{1} << c.month)) == 0) {
      if (!added) {
        added = true;
        t = date(c.year, c.month, 1, 0, 0, 0);
        c = fields(t);
      }
      t = date(c.year, c.month + 1, c.day, c.hour, c.minute, c.second);  // AddDate(0, 1, 0)
      c = fields(t);
      if (c.month == 1) {
        wrapped = true;
        break;
      }
    }
    if (wrapped) continue;
    while (!DayMatches(c)) {
      if (!added) {
        added = true;
        t = date(c.year, c.month, c.day, 0, 0, 0);
        c = fields(t);
      }
      t = date(c.year, c.month, c.day + 1, c.hour, c.minute, c.second);  // AddDate(0, 0, 1)
      c = fields(t);
      // DST may have moved midnight: robfig nudges back to it.
      if (c.hour != 0) {
        if (c.hour > 12) {
          t += static_cast<int64_t>(24 - c.hour) * 3600;
        } else {
          t -= static_cast<int64_t>(c.hour) * 3600;
        }
        c = fields(t);
      }
      if (c.day == 1) {
        wrapped = true;
        break;
      }
    }
    if (wrapped) continue;
    while ((hour_ & (uint64_t{1} << c.hour)) == 0) {
      if (!added) {
        added = true;
        t = date(c.year, c.month, c.day, c.hour, 0, 0);
        c = fields(t);
      }
      t += 3600;
      c = fields(t);
      if (c.hour == 0) {
        wrapped = true;
        break;
      }
    }
    if (wrapped) continue;
    while ((minute_ & (uint64_t{1} << c.minute)) == 0) {
      if (!added) {
        added = true;
        t -= ((t % 60) + 60) % 60;  // Truncate(time.Minute)
        c = fields(t);
      }
      t += 60;
      c = fields(t);
      if (c.minute == 0) {
        wrapped = true;
        break;
      }
    }
    if (wrapped) continue;
    // Seconds: the standard parser fixes them at 0.
    while (c.second != 0) {
      if (!added) {
        added = true;
      }
      t += 1;
      c = fields(t);
      if (c.second == 0) {
        wrapped = true;
        break;
      }
    }
    if (wrapped) continue;
    return t;
  }
}

std::optional<Clock::WallTime> CronSchedule::Next(Clock::WallTime t, const TimeZone& tz) const {
  const auto secs = std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
  auto next = NextUnix(secs, tz);
  if (!next) return std::nullopt;
  return Clock::WallTime(std::chrono::seconds(*next));
}

}  // namespace kubepp::controller::cronjob
