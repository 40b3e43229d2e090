#include "controller/replicaset/expectations.h"

#include <gtest/gtest.h>

namespace kubepp::controller::replicaset {
namespace {

TEST(ExpectationsTest, UnknownKeyIsSatisfied) {
  FakeClock clock;
  Expectations e(clock);
  EXPECT_TRUE(e.Satisfied("ns/rs"));
}

TEST(ExpectationsTest, CreationsMustBeObserved) {
  FakeClock clock;
  Expectations e(clock);
  e.ExpectCreations("ns/rs", 2);
  EXPECT_FALSE(e.Satisfied("ns/rs"));
  e.CreationObserved("ns/rs");
  EXPECT_FALSE(e.Satisfied("ns/rs"));
  e.CreationObserved("ns/rs");
  EXPECT_TRUE(e.Satisfied("ns/rs"));
}

TEST(ExpectationsTest, DeletionsTrackPodKeys) {
  FakeClock clock;
  Expectations e(clock);
  e.ExpectDeletions("ns/rs", {"ns/a", "ns/b"});
  EXPECT_FALSE(e.Satisfied("ns/rs"));
  e.DeletionObserved("ns/rs", "ns/c");  // not expected: ignored
  e.DeletionObserved("ns/rs", "ns/a");
  e.DeletionObserved("ns/rs", "ns/a");  // twice counts once
  EXPECT_EQ(e.Pending("ns/rs"), std::make_pair(0, 1));
  EXPECT_FALSE(e.Satisfied("ns/rs"));
  e.DeletionObserved("ns/rs", "ns/b");
  EXPECT_TRUE(e.Satisfied("ns/rs"));
}

TEST(ExpectationsTest, ExpireAfterFiveMinutes) {
  FakeClock clock;
  Expectations e(clock);
  e.ExpectCreations("ns/rs", 1);
  clock.Advance(std::chrono::minutes(4));
  EXPECT_FALSE(e.Satisfied("ns/rs"));
  clock.Advance(std::chrono::minutes(2));
  EXPECT_TRUE(e.Satisfied("ns/rs"));
}

TEST(ExpectationsTest, DeleteForgets) {
  FakeClock clock;
  Expectations e(clock);
  e.ExpectCreations("ns/rs", 3);
  e.Delete("ns/rs");
  EXPECT_TRUE(e.Satisfied("ns/rs"));
  e.CreationObserved("ns/rs");  // no entry: nothing happens
  EXPECT_EQ(e.Pending("ns/rs"), std::make_pair(0, 0));
}

}  // namespace
}  // namespace kubepp::controller::replicaset
