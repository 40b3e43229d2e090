#include "base/duration.h"

#include <gtest/gtest.h>

namespace kubepp {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

TEST(GoDuration, ParsesGoSyntax) {
  EXPECT_EQ(*ParseGoDuration("15s"), seconds(15));
  EXPECT_EQ(*ParseGoDuration("1m30s"), seconds(90));
  EXPECT_EQ(*ParseGoDuration("500ms"), milliseconds(500));
  EXPECT_EQ(*ParseGoDuration("1.5h"), seconds(5400));
  EXPECT_EQ(*ParseGoDuration("2h45m"), seconds(9900));
  EXPECT_EQ(*ParseGoDuration("10us"), nanoseconds(10'000));
  EXPECT_EQ(*ParseGoDuration("0"), nanoseconds(0));
  EXPECT_EQ(*ParseGoDuration("-3s"), seconds(-3));
  EXPECT_EQ(*ParseGoDuration(".5s"), milliseconds(500));
}

TEST(GoDuration, RejectsWithGoMessages) {
  EXPECT_EQ(ParseGoDuration("").status().Message(), "time: invalid duration \"\"");
  EXPECT_EQ(ParseGoDuration("15").status().Message(), "time: missing unit in duration \"15\"");
  EXPECT_EQ(ParseGoDuration("3x").status().Message(),
            "time: unknown unit \"x\" in duration \"3x\"");
  EXPECT_FALSE(ParseGoDuration("s").IsOk());
  EXPECT_FALSE(ParseGoDuration("1.s5").IsOk());
}

TEST(GoDuration, FormatsAsGo) {
  EXPECT_EQ(FormatGoDuration(seconds(15)), "15s");
  EXPECT_EQ(FormatGoDuration(seconds(90)), "1m30s");
  EXPECT_EQ(FormatGoDuration(seconds(3600)), "1h0m0s");
  EXPECT_EQ(FormatGoDuration(milliseconds(1500)), "1.5s");
  EXPECT_EQ(FormatGoDuration(milliseconds(250)), "250ms");
  EXPECT_EQ(FormatGoDuration(nanoseconds(0)), "0s");
  EXPECT_EQ(FormatGoDuration(nanoseconds(12)), "12ns");
}

}  // namespace
}  // namespace kubepp
