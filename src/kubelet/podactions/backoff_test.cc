#include "kubelet/podactions/backoff.h"

#include <gtest/gtest.h>

#include <chrono>

#include "kubelet/kuberuntime/pod_config.h"

namespace kubepp::kubelet {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

const Backoff::Time kT0{seconds(1'700'000'000)};

TEST(BackoffTest, StartsAtTenSecondsDoublesAndCapsAtFiveMinutes) {
  Backoff b;
  EXPECT_EQ(b.Get("k"), Backoff::Duration::zero());
  Backoff::Time t = kT0;
  const seconds want[] = {seconds(10),  seconds(20),  seconds(40), seconds(80),
                          seconds(160), seconds(300), seconds(300)};
  for (auto w : want) {
    b.Next("k", t, t);
    EXPECT_EQ(b.Get("k"), w);
    t += seconds(1);
  }
}

TEST(BackoffTest, InBackOffUntilTheWindowSinceTheEventHasPassed) {
  Backoff b;
  EXPECT_FALSE(b.IsInBackOffSince("k", kT0, kT0));  // unknown key
  b.Next("k", kT0, kT0);                            // 10 s from the failure at kT0
  EXPECT_TRUE(b.IsInBackOffSince("k", kT0, kT0 + seconds(9)));
  EXPECT_FALSE(b.IsInBackOffSince("k", kT0, kT0 + seconds(10)));
  EXPECT_TRUE(b.IsInBackOffSinceUpdate("k", kT0 + seconds(9)));
  EXPECT_FALSE(b.IsInBackOffSinceUpdate("k", kT0 + seconds(10)));
}

TEST(BackoffTest, ResetsWhenTheFailureIsMoreThanTenMinutesAfterTheLastRestart) {
  Backoff b;
  for (int i = 0; i < 5; ++i) b.Next("k", kT0, kT0);
  EXPECT_EQ(b.Get("k"), seconds(160));
  // A container restarted at kT0 that failed 10 min later is still backed off from 160 s...
  EXPECT_TRUE(b.IsInBackOffSince("k", kT0 + minutes(10), kT0 + minutes(10) + seconds(1)));
  // ...one that ran for longer is not, and its next back-off is the initial one.
  const auto late = kT0 + minutes(10) + seconds(1);
  EXPECT_FALSE(b.IsInBackOffSince("k", late, late + seconds(1)));
  b.Next("k", late, late + seconds(1));
  EXPECT_EQ(b.Get("k"), seconds(10));
}

TEST(BackoffTest, GcDropsEntriesUntouchedForTenMinutes) {
  Backoff b;
  b.Next("old", kT0, kT0);
  b.Next("new", kT0 + minutes(5), kT0 + minutes(5));
  b.GC(kT0 + minutes(10));
  EXPECT_EQ(b.Size(), 2U);
  b.GC(kT0 + minutes(10) + seconds(1));
  EXPECT_EQ(b.Size(), 1U);
  EXPECT_EQ(b.Get("old"), Backoff::Duration::zero());
  b.Reset("new");
  EXPECT_EQ(b.Size(), 0U);
}

TEST(BackoffTest, CustomSettingsAsFlowcontrolNewBackOff) {
  Backoff b(seconds(1), seconds(4), seconds(8));
  b.Next("k", kT0, kT0);
  b.Next("k", kT0, kT0);
  b.Next("k", kT0, kT0);
  b.Next("k", kT0, kT0);
  EXPECT_EQ(b.Get("k"), seconds(4));
  b.Next("k", kT0 + seconds(9), kT0 + seconds(9));
  EXPECT_EQ(b.Get("k"), seconds(1));
}

TEST(BackoffTest, StableKeyHasPodContainerAndHash) {
  api::Pod pod;
  pod.metadata.name = "p";
  pod.metadata.namespace_ = "ns";
  pod.metadata.uid = "u1";
  api::Container c;
  c.name = "app";
  c.image = "busybox";
  EXPECT_EQ(GetStableKey(pod, c), "p_ns_u1_app_" + ContainerHash(c));
  api::Container changed = c;
  changed.image = "busybox:2";
  EXPECT_NE(GetStableKey(pod, c), GetStableKey(pod, changed));
}

}  // namespace
}  // namespace kubepp::kubelet
