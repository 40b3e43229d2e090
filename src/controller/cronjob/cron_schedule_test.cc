// CronSchedule: robfig/cron v3's standard syntax, its error messages and Next in time zones.
#include "controller/cronjob/cron_schedule.h"

#include <gtest/gtest.h>

namespace kubepp::controller::cronjob {
namespace {

int64_t At(int y, int mo, int d, int h, int mi, int s = 0) {
  return UnixFromCivil(y, mo, d, h, mi, s);
}

std::string ParseError(const std::string& spec) {
  auto s = CronSchedule::Parse(spec);
  return s.IsOk() ? "" : s.status().Message();
}

int64_t NextOf(const std::string& spec, int64_t t, const TimeZone& tz = TimeZone()) {
  auto s = CronSchedule::Parse(spec);
  EXPECT_TRUE(s.IsOk()) << spec << ": " << s.status().ToString();
  if (!s.IsOk()) return -1;
  return s->NextUnix(t, tz).value_or(-1);
}

TEST(CronScheduleTest, ParseErrors) {
  EXPECT_EQ(ParseError(""), "empty spec string");
  EXPECT_EQ(ParseError("bad"), "expected exactly 5 fields, found 1: [bad]");
  EXPECT_EQ(ParseError("* * * * * *"), "expected exactly 5 fields, found 6: [* * * * * *]");
  EXPECT_EQ(ParseError("61 * * * *"), "end of range (61) above maximum (59): 61");
  EXPECT_EQ(ParseError("* * 0 * *"), "beginning of range (0) below minimum (1): 0");
  EXPECT_EQ(ParseError("* * * * 7"), "end of range (7) above maximum (6): 7");
  EXPECT_EQ(ParseError("5-1 * * * *"), "beginning of range (5) beyond end of range (1): 5-1");
  EXPECT_EQ(ParseError("*/0 * * * *"), "step of range should be a positive number: */0");
  EXPECT_EQ(ParseError("1-2-3 * * * *"), "too many hyphens: 1-2-3");
  EXPECT_EQ(ParseError("1/2/3 * * * *"), "too many slashes: 1/2/3");
  EXPECT_EQ(ParseError("x * * * *"),
            "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax");
  EXPECT_EQ(ParseError("@fortnightly"), "unrecognized descriptor: @fortnightly");
  EXPECT_EQ(ParseError("@every x"),
            "failed to parse duration @every x: time: invalid duration \"x\"");
  EXPECT_EQ(ParseError("0 0 * JAN-MAR MON"), "");
  EXPECT_EQ(ParseError("0 0 ? jan,Feb sun-SAT"), "");
  EXPECT_EQ(ParseError("  */5 * * * *  "), "");
}

TEST(CronScheduleTest, NextUtc) {
  EXPECT_EQ(NextOf("*/15 * * * *", At(2024, 1, 1, 10, 7, 30)), At(2024, 1, 1, 10, 15));
  EXPECT_EQ(NextOf("* * * * *", At(2024, 1, 1, 10, 7)), At(2024, 1, 1, 10, 8));
  EXPECT_EQ(NextOf("0 * * * *", At(2024, 12, 31, 23, 30)), At(2025, 1, 1, 0, 0));
  // 2024-01-06 is a Saturday.
  EXPECT_EQ(NextOf("0 9 * * mon-fri", At(2024, 1, 6, 12, 0)), At(2024, 1, 8, 9, 0));
  EXPECT_EQ(NextOf("5/20 * * * *", At(2024, 1, 1, 10, 6)), At(2024, 1, 1, 10, 25));
  EXPECT_EQ(NextOf("0 0 1,15 * *", At(2024, 1, 2, 0, 0)), At(2024, 1, 15, 0, 0));
  EXPECT_EQ(NextOf("0 0 29 2 *", At(2024, 3, 1, 0, 0)), At(2028, 2, 29, 0, 0));
  // Never: nothing within five years.
  EXPECT_EQ(NextOf("0 0 30 2 *", At(2024, 1, 1, 0, 0)), -1);
}

TEST(CronScheduleTest, DomDowOrSemantics) {
  // Both restricted: the 13th or any Friday (2024-01-05 is a Friday).
  EXPECT_EQ(NextOf("0 0 13 * FRI", At(2024, 1, 1, 0, 0)), At(2024, 1, 5, 0, 0));
  EXPECT_EQ(NextOf("0 0 13 * FRI", At(2024, 1, 12, 0, 0)), At(2024, 1, 13, 0, 0));
  // Day-of-week `*`: both must match, i.e. only the 13th.
  EXPECT_EQ(NextOf("0 0 13 * *", At(2024, 1, 1, 0, 0)), At(2024, 1, 13, 0, 0));
  // Day-of-month `?` behaves as `*`: only Fridays.
  EXPECT_EQ(NextOf("0 0 ? * 5", At(2024, 1, 6, 0, 0)), At(2024, 1, 12, 0, 0));
  // "*/2" is a restriction (robfig drops the star bit for steps > 1): OR semantics.
  EXPECT_EQ(NextOf("0 0 */10 * MON", At(2024, 1, 2, 0, 0)), At(2024, 1, 8, 0, 0));
}

TEST(CronScheduleTest, Descriptors) {
  const int64_t wed = At(2024, 1, 3, 10, 30);  // a Wednesday
  EXPECT_EQ(NextOf("@hourly", wed), At(2024, 1, 3, 11, 0));
  EXPECT_EQ(NextOf("@daily", wed), At(2024, 1, 4, 0, 0));
  EXPECT_EQ(NextOf("@midnight", wed), At(2024, 1, 4, 0, 0));
  EXPECT_EQ(NextOf("@weekly", wed), At(2024, 1, 7, 0, 0));
  EXPECT_EQ(NextOf("@monthly", wed), At(2024, 2, 1, 0, 0));
  EXPECT_EQ(NextOf("@yearly", wed), At(2025, 1, 1, 0, 0));
  EXPECT_EQ(NextOf("@annually", wed), At(2025, 1, 1, 0, 0));
  EXPECT_EQ(NextOf("@every 90s", wed), wed + 90);
  EXPECT_EQ(NextOf("@every 1h30m", wed), wed + 5400);
  EXPECT_EQ(NextOf("@every 10ms", wed), wed + 1);  // at least a second
}

TEST(CronScheduleTest, NextWithSubSeconds) {
  auto s = CronSchedule::Parse("* * * * *");
  ASSERT_TRUE(s.IsOk());
  const Clock::WallTime t = Clock::WallTime(std::chrono::seconds(At(2024, 1, 1, 10, 7, 59))) +
                            std::chrono::milliseconds(999);
  EXPECT_EQ(s->Next(t, TimeZone()), Clock::WallTime(std::chrono::seconds(At(2024, 1, 1, 10, 8))));
}

TEST(CronScheduleTest, TimeZones) {
  auto ny = TimeZone::Load("America/New_York");
  ASSERT_TRUE(ny.IsOk());
  // 09:00 New York in winter is 14:00Z, in summer 13:00Z.
  EXPECT_EQ(NextOf("0 9 * * *", At(2024, 1, 10, 0, 0), *ny), At(2024, 1, 10, 14, 0));
  EXPECT_EQ(NextOf("0 9 * * *", At(2024, 7, 10, 0, 0), *ny), At(2024, 7, 10, 13, 0));
  // 02:30 does not exist on 2024-03-10: robfig skips that day.
  EXPECT_EQ(NextOf("30 2 * * *", At(2024, 3, 9, 8, 0), *ny), At(2024, 3, 11, 6, 30));
  // 01:30 happens twice on 2024-11-03: robfig runs at both.
  EXPECT_EQ(NextOf("30 1 * * *", At(2024, 11, 3, 4, 0), *ny), At(2024, 11, 3, 5, 30));
  EXPECT_EQ(NextOf("30 1 * * *", At(2024, 11, 3, 5, 30), *ny), At(2024, 11, 3, 6, 30));
  EXPECT_EQ(NextOf("30 1 * * *", At(2024, 11, 3, 6, 30), *ny), At(2024, 11, 4, 6, 30));

  auto berlin = TimeZone::Load("Europe/Berlin");
  ASSERT_TRUE(berlin.IsOk());
  EXPECT_EQ(NextOf("0 12 * * *", At(2024, 3, 30, 12, 0), *berlin), At(2024, 3, 31, 10, 0));
  auto kolkata = TimeZone::Load("Asia/Kolkata");
  ASSERT_TRUE(kolkata.IsOk());
  EXPECT_EQ(NextOf("0 0 * * *", At(2024, 1, 1, 0, 0), *kolkata), At(2024, 1, 1, 18, 30));
  auto lh = TimeZone::Load("Australia/Lord_Howe");
  ASSERT_TRUE(lh.IsOk());
  EXPECT_EQ(NextOf("0 6 * * *", At(2024, 7, 1, 0, 0), *lh), At(2024, 7, 1, 19, 30));
  EXPECT_EQ(NextOf("0 6 * * *", At(2024, 1, 1, 0, 0), *lh), At(2024, 1, 1, 19, 0));
}

}  // namespace
}  // namespace kubepp::controller::cronjob
