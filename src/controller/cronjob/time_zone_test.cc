// TimeZone against the real tzdata (/usr/share/zoneinfo) and hand-made TZif files.
#include "controller/cronjob/time_zone.h"

#include <gtest/gtest.h>

#include <string>

namespace kubepp::controller::cronjob {
namespace {

int64_t At(int y, int mo, int d, int h, int mi, int s = 0) {
  return UnixFromCivil(y, mo, d, h, mi, s);
}

TimeZone MustLoad(const std::string& name) {
  auto tz = TimeZone::Load(name);
  EXPECT_TRUE(tz.IsOk()) << name << ": " << tz.status().ToString();
  return tz.IsOk() ? std::move(*tz) : TimeZone();
}

// A v2 TZif file with no transitions, one type and a footer (what zic -b slim writes).
std::string SlimTzif(const std::string& abbrev, int32_t offset, const std::string& footer) {
  std::string block;
  auto be32 = [&block](uint32_t v) {
    for (int i = 3; i >= 0; --i) block += static_cast<char>((v >> (8 * i)) & 0xff);
  };
  be32(static_cast<uint32_t>(offset));
  block += '\0';  // isdst
  block += '\0';  // desigidx
  block += abbrev;
  block += '\0';
  std::string header = "TZif2";
  header.append(15, '\0');
  std::string counts;
  auto c32 = [&counts](uint32_t v) {
    for (int i = 3; i >= 0; --i) counts += static_cast<char>((v >> (8 * i)) & 0xff);
  };
  for (uint32_t v : {0U, 0U, 0U, 0U, 1U, static_cast<uint32_t>(abbrev.size() + 1)}) c32(v);
  return header + counts + block + header + counts + block + "\n" + footer + "\n";
}

TEST(TimeZoneTest, UtcNames) {
  for (const char* name : {"", "UTC", "Etc/UTC"}) {
    auto tz = TimeZone::Load(name);
    ASSERT_TRUE(tz.IsOk()) << name;
    EXPECT_EQ(tz->OffsetAt(At(2024, 7, 1, 0, 0)), 0);
    EXPECT_EQ(tz->LocalToUnix(At(2024, 7, 1, 0, 0)), At(2024, 7, 1, 0, 0));
  }
}

TEST(TimeZoneTest, UnknownZone) {
  for (const char* name : {"Mars/Olympus", "Local", "../etc/passwd", "/etc/localtime"}) {
    auto tz = TimeZone::Load(name);
    ASSERT_FALSE(tz.IsOk()) << name;
    EXPECT_TRUE(tz.status().IsNotFound());
    EXPECT_EQ(tz.status().Message(), std::string("unknown time zone ") + name);
  }
}

TEST(TimeZoneTest, NewYorkTransitions) {
  TimeZone ny = MustLoad("America/New_York");
  // 2024-03-10 02:00 EST -> 03:00 EDT (07:00Z).
  EXPECT_EQ(ny.OffsetAt(At(2024, 3, 10, 6, 59, 59)), -5 * 3600);
  EXPECT_EQ(ny.OffsetAt(At(2024, 3, 10, 7, 0)), -4 * 3600);
  EXPECT_EQ(ny.Lookup(At(2024, 3, 10, 7, 0)).abbrev, "EDT");
  // 2024-11-03 02:00 EDT -> 01:00 EST (06:00Z).
  EXPECT_EQ(ny.OffsetAt(At(2024, 11, 3, 5, 59, 59)), -4 * 3600);
  EXPECT_EQ(ny.OffsetAt(At(2024, 11, 3, 6, 0)), -5 * 3600);
  // Far beyond the last transition: the footer rules.
  EXPECT_EQ(ny.OffsetAt(At(2100, 7, 1, 0, 0)), -4 * 3600);
  EXPECT_EQ(ny.OffsetAt(At(2100, 1, 1, 0, 0)), -5 * 3600);
  // Before the first transition: local mean time.
  EXPECT_EQ(ny.OffsetAt(At(1850, 1, 1, 0, 0)), -(4 * 3600 + 56 * 60 + 2));
}

TEST(TimeZoneTest, NewYorkLocalTimesAsGoDate) {
  TimeZone ny = MustLoad("America/New_York");
  EXPECT_EQ(ny.LocalToUnix(At(2024, 1, 15, 12, 0)), At(2024, 1, 15, 17, 0));
  EXPECT_EQ(ny.LocalToUnix(At(2024, 7, 15, 12, 0)), At(2024, 7, 15, 16, 0));
  // In the spring gap (02:30 does not exist): the offset after the gap, as Go's time.Date.
  EXPECT_EQ(ny.LocalToUnix(At(2024, 3, 10, 2, 30)), At(2024, 3, 10, 6, 30));
  // In the autumn overlap (01:30 happens twice): the first one (EDT).
  EXPECT_EQ(ny.LocalToUnix(At(2024, 11, 3, 1, 30)), At(2024, 11, 3, 5, 30));
  EXPECT_EQ(FormatRfc3339In(At(2024, 3, 10, 6, 30), ny), "2024-03-10T01:30:00-05:00");
  EXPECT_EQ(FormatRfc3339In(At(2024, 7, 15, 16, 0), ny), "2024-07-15T12:00:00-04:00");
}

TEST(TimeZoneTest, Berlin) {
  TimeZone berlin = MustLoad("Europe/Berlin");
  EXPECT_EQ(berlin.OffsetAt(At(2024, 3, 31, 0, 59, 59)), 3600);
  EXPECT_EQ(berlin.OffsetAt(At(2024, 3, 31, 1, 0)), 7200);
  EXPECT_EQ(berlin.Lookup(At(2024, 3, 31, 1, 0)).abbrev, "CEST");
  EXPECT_TRUE(berlin.Lookup(At(2024, 3, 31, 1, 0)).is_dst);
  EXPECT_EQ(berlin.OffsetAt(At(2024, 10, 27, 1, 0)), 3600);
  EXPECT_EQ(berlin.OffsetAt(At(2090, 8, 1, 0, 0)), 7200);
}

TEST(TimeZoneTest, KolkataHalfHour) {
  TimeZone kolkata = MustLoad("Asia/Kolkata");
  EXPECT_EQ(kolkata.OffsetAt(At(2024, 6, 1, 0, 0)), 5 * 3600 + 1800);
  EXPECT_EQ(kolkata.Lookup(At(2024, 6, 1, 0, 0)).abbrev, "IST");
  EXPECT_EQ(FormatRfc3339In(At(2024, 1, 1, 0, 0), kolkata), "2024-01-01T05:30:00+05:30");
  EXPECT_EQ(kolkata.LocalToUnix(At(2024, 1, 1, 5, 30)), At(2024, 1, 1, 0, 0));
}

TEST(TimeZoneTest, LordHoweHalfHourDst) {
  TimeZone lh = MustLoad("Australia/Lord_Howe");
  // +11 in summer, +10:30 in winter; DST ends 2024-04-07 02:00 local (+11) = 04-06 15:00Z.
  EXPECT_EQ(lh.OffsetAt(At(2024, 1, 1, 0, 0)), 11 * 3600);
  EXPECT_EQ(lh.OffsetAt(At(2024, 4, 6, 14, 59, 59)), 11 * 3600);
  EXPECT_EQ(lh.OffsetAt(At(2024, 4, 6, 15, 0)), 10 * 3600 + 1800);
  // Starts 2024-10-06 02:00 local (+10:30) = 10-05 15:30Z.
  EXPECT_EQ(lh.OffsetAt(At(2024, 10, 5, 15, 29, 59)), 10 * 3600 + 1800);
  EXPECT_EQ(lh.OffsetAt(At(2024, 10, 5, 15, 30)), 11 * 3600);
  EXPECT_EQ(lh.OffsetAt(At(2095, 1, 1, 0, 0)), 11 * 3600);
  EXPECT_EQ(lh.OffsetAt(At(2095, 7, 1, 0, 0)), 10 * 3600 + 1800);
  // The half-hour gap: 02:15 on 2024-10-06 does not exist.
  EXPECT_EQ(lh.LocalToUnix(At(2024, 10, 6, 2, 15)), At(2024, 10, 5, 15, 45));
}

TEST(TimeZoneTest, FooterOnlyFiles) {
  auto us = TimeZone::FromTzif("x", SlimTzif("EST", -5 * 3600, "EST5EDT,M3.2.0,M11.1.0"));
  ASSERT_TRUE(us.IsOk()) << us.status().ToString();
  EXPECT_EQ(us->OffsetAt(At(2024, 1, 1, 0, 0)), -5 * 3600);
  EXPECT_EQ(us->OffsetAt(At(2024, 7, 1, 0, 0)), -4 * 3600);
  EXPECT_EQ(us->OffsetAt(At(2024, 3, 10, 6, 59, 59)), -5 * 3600);
  EXPECT_EQ(us->OffsetAt(At(2024, 3, 10, 7, 0)), -4 * 3600);
  EXPECT_EQ(us->Lookup(At(2024, 7, 1, 0, 0)).abbrev, "EDT");

  auto south =
      TimeZone::FromTzif("y", SlimTzif("+1030", 37800, "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0"));
  ASSERT_TRUE(south.IsOk()) << south.status().ToString();
  EXPECT_EQ(south->OffsetAt(At(2024, 1, 1, 0, 0)), 11 * 3600);
  EXPECT_EQ(south->OffsetAt(At(2024, 7, 1, 0, 0)), 37800);

  auto fixed = TimeZone::FromTzif("z", SlimTzif("IST", 19800, "IST-5:30"));
  ASSERT_TRUE(fixed.IsOk());
  EXPECT_EQ(fixed->OffsetAt(At(2024, 7, 1, 0, 0)), 19800);

  EXPECT_FALSE(TimeZone::FromTzif("bad", "not a tzif file at all, no").IsOk());
}

TEST(TimeZoneTest, CivilHelpers) {
  EXPECT_EQ(At(1970, 1, 1, 0, 0), 0);
  EXPECT_EQ(UnixFromCivil(2024, 13, 1, 0, 0, 0), At(2025, 1, 1, 0, 0));
  EXPECT_EQ(UnixFromCivil(2024, 2, 30, 0, 0, 0), At(2024, 3, 1, 0, 0));
  CivilTime c = CivilFromUnix(At(2024, 2, 29, 23, 59, 58));
  EXPECT_EQ(c.year, 2024);
  EXPECT_EQ(c.month, 2);
  EXPECT_EQ(c.day, 29);
  EXPECT_EQ(c.weekday, 4);  // a Thursday
  EXPECT_EQ(c.second, 58);
}

}  // namespace
}  // namespace kubepp::controller::cronjob
