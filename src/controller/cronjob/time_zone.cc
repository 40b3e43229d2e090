#include "controller/cronjob/time_zone.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <limits>

namespace kubepp::controller::cronjob {

namespace {

constexpr int64_t kSecondsPerDay = 86400;
constexpr int64_t kOmega = std::numeric_limits<int64_t>::max();
constexpr int64_t kAlpha = std::numeric_limits<int64_t>::min();

// Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysIn(int month, int64_t year) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && IsLeap(year)) return 29;
  return kDays[month - 1];
}

// Big-endian readers over the file bytes.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool Has(size_t n) const { return data_.size() - pos_ >= n; }
  bool Skip(size_t n) {
    if (!Has(n)) return false;
    pos_ += n;
    return true;
  }
  uint64_t Be(size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(data_[pos_ + i]);
    pos_ += n;
    return v;
  }
  std::string_view Rest() const { return data_.substr(pos_); }
  size_t Pos() const { return pos_; }

 private:
  std::string_view data_;  // the file
  size_t pos_ = 0;         // next byte
};

// The six counts of a TZif header.
struct Counts {
  uint64_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

bool ReadHeader(Reader& r, int& version, Counts& c) {
  if (!r.Has(44)) return false;
  std::string_view magic = r.Rest().substr(0, 4);
  if (magic != "TZif") return false;
  r.Skip(4);
  const auto v = static_cast<char>(r.Be(1));
  version = v == 0 ? 1 : v - '0';
  r.Skip(15);
  c.isutcnt = r.Be(4);
  c.isstdcnt = r.Be(4);
  c.leapcnt = r.Be(4);
  c.timecnt = r.Be(4);
  c.typecnt = r.Be(4);
  c.charcnt = r.Be(4);
  return c.typecnt > 0;
}

uint64_t BlockSize(const Counts& c, size_t time_size) {
  return c.timecnt * time_size + c.timecnt + c.typecnt * 6 + c.charcnt +
         c.leapcnt * (time_size + 4) + c.isstdcnt + c.isutcnt;
}

// POSIX TZ string pieces.
class PosixParser {
 public:
  explicit PosixParser(std::string_view s) : s_(s) {}
  bool Done() const { return pos_ >= s_.size(); }
  bool Peek(char c) const { return pos_ < s_.size() && s_[pos_] == c; }
  bool Eat(char c) {
    if (!Peek(c)) return false;
    ++pos_;
    return true;
  }
  // A zone name: 3+ letters, or <...> with letters, digits, + and -.
  bool Name(std::string& out) {
    if (Eat('<')) {
      auto close = s_.find('>', pos_);
      if (close == std::string_view::npos) return false;
      out = std::string(s_.substr(pos_, close - pos_));
      pos_ = close + 1;
      return !out.empty();
    }
    size_t start = pos_;
    while (pos_ < s_.size() && std::isalpha(static_cast<unsigned char>(s_[pos_])) != 0) ++pos_;
    out = std::string(s_.substr(start, pos_ - start));
    return out.size() >= 3;
  }
  bool Number(int& out, int max) {
    size_t start = pos_;
    int64_t v = 0;
    while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_])) != 0) {
      v = v * 10 + (s_[pos_] - '0');
      if (v > max) return false;
      ++pos_;
    }
    out = static_cast<int>(v);
    return pos_ > start;
  }
  // [+-]hh[:mm[:ss]] in seconds (hours up to 167, RFC 8536's extension).
  bool Offset(int& out) {
    int sign = 1;
    if (Eat('-')) {
      sign = -1;
    } else {
      Eat('+');
    }
    int h = 0;
    int m = 0;
    int sec = 0;
    if (!Number(h, 167)) return false;
    if (Eat(':')) {
      if (!Number(m, 59)) return false;
      if (Eat(':') && !Number(sec, 59)) return false;
    }
    out = sign * (h * 3600 + m * 60 + sec);
    return true;
  }

 private:
  std::string_view s_;  // the string
  size_t pos_ = 0;      // next char
};

}  // namespace

CivilTime CivilFromUnix(int64_t secs) {
  const int64_t days = FloorDiv(secs, kSecondsPerDay);
  const int64_t rem = secs - days * kSecondsPerDay;
  // Hinnant's civil_from_days.
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  CivilTime c;
  c.year = static_cast<int>(yoe + era * 400 + (m <= 2 ? 1 : 0));
  c.month = static_cast<int>(m);
  c.day = static_cast<int>(d);
  c.hour = static_cast<int>(rem / 3600);
  c.minute = static_cast<int>(rem % 3600 / 60);
  c.second = static_cast<int>(rem % 60);
  int64_t wd = (days + 4) % 7;  // 1970-01-01 was a Thursday
  if (wd < 0) wd += 7;
  c.weekday = static_cast<int>(wd);
  return c;
}

int64_t UnixFromCivil(int64_t year, int64_t month, int64_t day, int64_t hour, int64_t minute,
                      int64_t second) {
  // Months carry into years; everything below the day is plain seconds.
  const int64_t m0 = month - 1;
  year += FloorDiv(m0, 12);
  month = m0 - FloorDiv(m0, 12) * 12 + 1;
  const int64_t days = DaysFromCivil(year, month, 1) + (day - 1);
  return days * kSecondsPerDay + hour * 3600 + minute * 60 + second;
}

std::string FormatRfc3339In(int64_t secs, const TimeZone& tz) {
  const int32_t off = tz.OffsetAt(secs);
  const CivilTime c = CivilFromUnix(secs + off);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d", c.year, c.month, c.day, c.hour,
                c.minute, c.second);
  std::string out = buf;
  if (off == 0) return out + "Z";
  const int32_t a = off < 0 ? -off : off;
  std::snprintf(buf, sizeof(buf), "%c%02d:%02d", off < 0 ? '-' : '+', a / 3600, a % 3600 / 60);
  return out + buf;
}

TimeZone::TimeZone() : name_("UTC"), types_{Type{0, false, "UTC"}} {}

Result<TimeZone> TimeZone::Load(std::string_view name, std::string_view zoneinfo_dir) {
  if (name.empty() || name == "UTC" || name == "Etc/UTC") {
    TimeZone utc;
    if (!name.empty()) utc.name_ = std::string(name);
    return utc;
  }
  const std::string n(name);
  if (n == "Local" || n.front() == '/' || n.find("..") != std::string::npos ||
      n.find('\\') != std::string::npos) {
    return Status::NotFound("unknown time zone " + n);
  }
  std::ifstream in(std::string(zoneinfo_dir) + "/" + n, std::ios::binary);
  if (!in) return Status::NotFound("unknown time zone " + n);
  std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto tz = FromTzif(n, data);
  if (!tz.IsOk()) return Status::NotFound("unknown time zone " + n);
  return tz;
}

Result<TimeZone> TimeZone::FromTzif(std::string name, std::string_view data) {
  Reader r(data);
  int version = 0;
  Counts c{};
  if (!ReadHeader(r, version, c)) return Status::Invalid("not a TZif file");
  size_t time_size = 4;
  if (version >= 2) {
    // Skip the 32-bit block; the 64-bit one follows with its own header.
    if (!r.Skip(BlockSize(c, 4))) return Status::Invalid("truncated TZif file");
    int v2 = 0;
    if (!ReadHeader(r, v2, c)) return Status::Invalid("bad TZif v2 header");
    time_size = 8;
  }
  if (!r.Has(BlockSize(c, time_size))) return Status::Invalid("truncated TZif file");
  TimeZone tz;
  tz.name_ = std::move(name);
  tz.types_.clear();
  std::vector<int64_t> whens(c.timecnt);
  for (auto& w : whens) {
    const uint64_t raw = r.Be(time_size);
    w = time_size == 4 ? static_cast<int64_t>(static_cast<int32_t>(raw))
                       : static_cast<int64_t>(raw);
  }
  tz.transitions_.resize(c.timecnt);
  for (size_t i = 0; i < c.timecnt; ++i) {
    tz.transitions_[i].when = whens[i];
    tz.transitions_[i].type = static_cast<int>(r.Be(1));
    if (tz.transitions_[i].type >= static_cast<int>(c.typecnt)) {
      return Status::Invalid("bad TZif type index");
    }
  }
  std::vector<std::pair<Type, size_t>> raw_types(c.typecnt);
  for (auto& [t, idx] : raw_types) {
    t.offset = static_cast<int32_t>(static_cast<uint32_t>(r.Be(4)));
    t.is_dst = r.Be(1) != 0;
    idx = r.Be(1);
  }
  std::string_view chars = r.Rest().substr(0, c.charcnt);
  r.Skip(c.charcnt);
  for (auto& [t, idx] : raw_types) {
    if (idx < chars.size()) {
      auto end = chars.find('\0', idx);
      t.abbrev = std::string(chars.substr(idx, end == std::string_view::npos ? end : end - idx));
    }
    tz.types_.push_back(std::move(t));
  }
  r.Skip(c.leapcnt * (time_size + 4) + c.isstdcnt + c.isutcnt);
  if (version >= 2) {
    std::string_view rest = r.Rest();
    if (rest.size() >= 2 && rest[0] == '\n') {
      auto nl = rest.find('\n', 1);
      if (nl != std::string_view::npos) {
        std::string_view footer = rest.substr(1, nl - 1);
        if (!footer.empty()) tz.footer_.valid = ParsePosixTz(footer, tz.footer_);
      }
    }
  }
  return tz;
}

bool TimeZone::ParsePosixTz(std::string_view s, PosixTz& out) {
  PosixParser p(s);
  int off = 0;
  if (!p.Name(out.std_type.abbrev) || !p.Offset(off)) return false;
  out.std_type.offset = -off;  // POSIX offsets are west of Greenwich
  out.std_type.is_dst = false;
  if (p.Done()) return true;
  out.has_dst = true;
  if (!p.Name(out.dst_type.abbrev)) return false;
  out.dst_type.is_dst = true;
  out.dst_type.offset = out.std_type.offset + 3600;
  if (!p.Done() && !p.Peek(',')) {
    if (!p.Offset(off)) return false;
    out.dst_type.offset = -off;
  }
  if (p.Done()) {
    // Go's default: the US rules.
    out.start = Rule{Rule::Kind::kMonthWeekDay, 0, 2, 3, 7200};
    out.end = Rule{Rule::Kind::kMonthWeekDay, 0, 1, 11, 7200};
    return true;
  }
  auto rule = [&p](Rule& r) {
    if (!p.Eat(',')) return false;
    if (p.Eat('J')) {
      r.kind = Rule::Kind::kJulian;
      if (!p.Number(r.day, 365) || r.day < 1) return false;
    } else if (p.Eat('M')) {
      r.kind = Rule::Kind::kMonthWeekDay;
      if (!p.Number(r.mon, 12) || r.mon < 1 || !p.Eat('.') || !p.Number(r.week, 5) || r.week < 1 ||
          !p.Eat('.') || !p.Number(r.day, 6)) {
        return false;
      }
    } else {
      r.kind = Rule::Kind::kDayOfYear;
      if (!p.Number(r.day, 365)) return false;
    }
    r.time = 7200;
    if (p.Eat('/')) return p.Offset(r.time);
    return true;
  };
  return rule(out.start) && rule(out.end) && p.Done();
}

int64_t TimeZone::RuleTime(int year, const Rule& rule, int32_t offset) {
  int64_t day = 0;  // days after January 1st
  switch (rule.kind) {
    case Rule::Kind::kJulian:
      day = rule.day - 1;
      if (IsLeap(year) && rule.day >= 60) ++day;
      break;
    case Rule::Kind::kDayOfYear:
      day = rule.day;
      break;
    case Rule::Kind::kMonthWeekDay: {
      const int64_t first = DaysFromCivil(year, rule.mon, 1);
      int64_t first_wd = (first + 4) % 7;
      if (first_wd < 0) first_wd += 7;
      int64_t d = rule.day - first_wd;  // day of month (0-based) of the first such weekday
      if (d < 0) d += 7;
      for (int i = 1; i < rule.week; ++i) {
        if (d + 7 >= DaysIn(rule.mon, year)) break;
        d += 7;
      }
      day = first + d - DaysFromCivil(year, 1, 1);
      break;
    }
  }
  return day * kSecondsPerDay + rule.time - offset;
}

TimeZone::Period TimeZone::FooterLookup(int64_t unix, int64_t last_tx) const {
  const auto& f = footer_;
  if (!f.has_dst) {
    return Period{f.std_type.offset, false, f.std_type.abbrev, last_tx, kOmega};
  }
  const CivilTime c = CivilFromUnix(unix);
  const int64_t year_start = DaysFromCivil(c.year, 1, 1) * kSecondsPerDay;
  const int64_t ysec = unix - year_start;
  int64_t start = RuleTime(c.year, f.start, f.std_type.offset);
  int64_t end = RuleTime(c.year, f.end, f.dst_type.offset);
  Type std_type = f.std_type;
  Type dst_type = f.dst_type;
  if (end < start) {
    // Southern hemisphere: DST spans the new year.
    std::swap(start, end);
    std::swap(std_type, dst_type);
  }
  if (ysec < start) {
    return Period{std_type.offset, std_type.is_dst, std_type.abbrev, year_start,
                  year_start + start};
  }
  if (ysec >= end) {
    return Period{std_type.offset, std_type.is_dst, std_type.abbrev, year_start + end,
                  year_start + 365 * kSecondsPerDay};
  }
  return Period{dst_type.offset, dst_type.is_dst, dst_type.abbrev, year_start + start,
                year_start + end};
}

int TimeZone::FirstType() const {
  // Go's lookupFirstZone.
  bool used = false;
  for (const auto& t : transitions_) used = used || t.type == 0;
  if (!used) return 0;
  if (!transitions_.empty() && types_[transitions_[0].type].is_dst) {
    for (int i = transitions_[0].type - 1; i >= 0; --i) {
      if (!types_[i].is_dst) return i;
    }
  }
  return 0;
}

TimeZone::Period TimeZone::Lookup(int64_t unix) const {
  if (transitions_.empty() || unix < transitions_.front().when) {
    if (transitions_.empty() && footer_.valid) return FooterLookup(unix, kAlpha);
    const Type& t = types_[FirstType()];
    return Period{t.offset, t.is_dst, t.abbrev, kAlpha,
                  transitions_.empty() ? kOmega : transitions_.front().when};
  }
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), unix,
                             [](int64_t u, const Transition& t) { return u < t.when; });
  --it;  // the last transition at or before `unix`
  if (std::next(it) == transitions_.end() && footer_.valid) {
    return FooterLookup(unix, it->when);
  }
  const Type& t = types_[it->type];
  const int64_t end = std::next(it) == transitions_.end() ? kOmega : std::next(it)->when;
  return Period{t.offset, t.is_dst, t.abbrev, it->when, end};
}

int64_t TimeZone::LocalToUnix(int64_t local) const {
  // Go's time.Date: the offset at `local` read as UTC; if the resulting instant is outside the
  // period that offset belongs to, the offset at that instant instead.
  const Period p = Lookup(local);
  int32_t offset = p.offset;
  if (offset != 0) {
    const int64_t utc = local - offset;
    if (utc < p.start || utc >= p.end) offset = Lookup(utc).offset;
  }
  return local - offset;
}

}  // namespace kubepp::controller::cronjob
