// The ttl-after-finished decisions with fixed times.
#include "controller/ttlafterfinished/ttlafterfinished_logic.h"

#include <gtest/gtest.h>

namespace kubepp::controller::ttlafterfinished {
namespace {

using std::chrono::seconds;

// 2024-01-01T10:00:00Z.
const Clock::WallTime kFinished = Clock::WallTime(seconds(1704103200));

api::Job FinishedJob(const std::string& type, std::optional<int32_t> ttl) {
  api::Job j;
  j.metadata.name = "pi";
  j.metadata.namespace_ = "default";
  j.spec.ttlSecondsAfterFinished = ttl;
  api::JobCondition c;
  c.type = type;
  c.status = "True";
  c.lastTransitionTime = "2024-01-01T10:00:00Z";
  j.status.conditions.push_back(c);
  return j;
}

TEST(TtlAfterFinishedLogicTest, NeedsCleanup) {
  EXPECT_TRUE(NeedsCleanup(FinishedJob("Complete", 10)));
  EXPECT_TRUE(NeedsCleanup(FinishedJob("Failed", 0)));
  EXPECT_FALSE(NeedsCleanup(FinishedJob("Complete", std::nullopt)));
  EXPECT_FALSE(NeedsCleanup(FinishedJob("Suspended", 10)));
  auto j = FinishedJob("Complete", 10);
  j.status.conditions[0].status = "False";
  EXPECT_FALSE(NeedsCleanup(j));
}

TEST(TtlAfterFinishedLogicTest, TimeLeft) {
  auto j = FinishedJob("Complete", 100);
  auto left = TimeLeft(j, kFinished + seconds(30));
  ASSERT_TRUE(left.IsOk());
  EXPECT_EQ(*left, seconds(70));
  left = TimeLeft(j, kFinished + seconds(100));
  ASSERT_TRUE(left.IsOk());
  EXPECT_EQ(*left, seconds(0));
  left = TimeLeft(j, kFinished + seconds(130));
  ASSERT_TRUE(left.IsOk());
  EXPECT_EQ(*left, seconds(-30));
  // Failed Jobs too; ttl 0 expires at once.
  left = TimeLeft(FinishedJob("Failed", 0), kFinished);
  ASSERT_TRUE(left.IsOk());
  EXPECT_EQ(*left, seconds(0));
}

TEST(TtlAfterFinishedLogicTest, FinishTime) {
  auto j = FinishedJob("Complete", 100);
  auto t = FinishTime(j);
  ASSERT_TRUE(t.IsOk());
  EXPECT_EQ(*t, kFinished);
  // No transition time: completionTime.
  j.status.conditions[0].lastTransitionTime.clear();
  j.status.completionTime = "2024-01-01T10:00:05Z";
  t = FinishTime(j);
  ASSERT_TRUE(t.IsOk());
  EXPECT_EQ(*t, kFinished + seconds(5));
  // Neither: an error.
  j.status.completionTime.clear();
  t = FinishTime(j);
  ASSERT_FALSE(t.IsOk());
  EXPECT_EQ(t.status().Message(), "unable to find the time when the Job default/pi finished");
  EXPECT_FALSE(FinishTime(api::Job{}).IsOk());
  EXPECT_FALSE(TimeLeft(FinishedJob("Complete", std::nullopt), kFinished).IsOk());
}

}  // namespace
}  // namespace kubepp::controller::ttlafterfinished
