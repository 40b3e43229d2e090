// The node lifecycle decisions with a FakeClock: the grace-period state machine, taints and
// toleration timing.
#include "controller/node/node_lifecycle.h"

#include <gtest/gtest.h>

#include "base/rfc3339.h"

namespace kubepp::controller::node {
namespace {

using std::chrono::seconds;

api::Node ReadyNode(const std::string& name, const std::string& status,
                    const std::string& heartbeat) {
  api::Node n;
  n.metadata.name = name;
  api::NodeCondition c;
  c.type = "Ready";
  c.status = status;
  c.lastHeartbeatTime = heartbeat;
  n.status.conditions.push_back(c);
  api::NodeCondition mp;
  mp.type = "MemoryPressure";
  mp.status = "False";
  n.status.conditions.push_back(mp);
  return n;
}

const api::NodeCondition& Cond(const api::Node& n, const std::string& type) {
  const auto* c = FindCondition(n, type);
  EXPECT_NE(c, nullptr) << type;
  return *c;
}

TEST(NodeHealthTrackerTest, SilentNodeTurnsUnknownAfterGracePeriod) {
  FakeClock clock;
  NodeHealthTracker tracker(seconds(40), seconds(60));
  api::Node n = ReadyNode("n1", "True", "2024-01-01T00:00:00Z");
  auto d = tracker.Observe(n, nullptr, clock.Now(), clock.WallNow());
  EXPECT_FALSE(d.update_status);
  EXPECT_EQ(d.ready_status, "True");
  clock.Advance(seconds(40));
  d = tracker.Observe(n, nullptr, clock.Now(), clock.WallNow());
  EXPECT_FALSE(d.update_status) << "exactly the grace period is still fine";
  clock.Advance(seconds(1));
  d = tracker.Observe(n, nullptr, clock.Now(), clock.WallNow());
  ASSERT_TRUE(d.update_status);
  EXPECT_EQ(d.ready_status, "Unknown");
  EXPECT_EQ(Cond(d.node, "Ready").status, "Unknown");
  EXPECT_EQ(Cond(d.node, "Ready").reason, kReasonNodeStatusUnknown);
  EXPECT_EQ(Cond(d.node, "Ready").message, "Kubelet stopped posting node status.");
  EXPECT_EQ(Cond(d.node, "Ready").lastHeartbeatTime, "2024-01-01T00:00:00Z");
  EXPECT_EQ(Cond(d.node, "MemoryPressure").status, "Unknown");
  tracker.Written(d.node);
  // Written and seen again: nothing more to write.
  d = tracker.Observe(d.node, nullptr, clock.Now(), clock.WallNow());
  EXPECT_FALSE(d.update_status);
  EXPECT_EQ(d.ready_status, "Unknown");
}

TEST(NodeHealthTrackerTest, HeartbeatChangesKeepTheNodeReady) {
  FakeClock clock;
  NodeHealthTracker tracker(seconds(40), seconds(60));
  for (int i = 0; i < 10; ++i) {
    api::Node n = ReadyNode("n1", "True", "2024-01-01T00:00:" + std::to_string(10 + i) + "Z");
    auto d = tracker.Observe(n, nullptr, clock.Now(), clock.WallNow());
    EXPECT_FALSE(d.update_status) << i;
    clock.Advance(seconds(30));
  }
}

TEST(NodeHealthTrackerTest, LeaseRenewalCountsAsHeartbeat) {
  FakeClock clock;
  NodeHealthTracker tracker(seconds(40), seconds(60));
  api::Node n = ReadyNode("n1", "True", "2024-01-01T00:00:00Z");
  api::Lease lease;
  for (int i = 0; i < 5; ++i) {
    lease.spec.renewTime = "2024-01-01T00:01:0" + std::to_string(i) + ".000000Z";
    auto d = tracker.Observe(n, &lease, clock.Now(), clock.WallNow());
    EXPECT_FALSE(d.update_status) << i;
    clock.Advance(seconds(30));
  }
  // The lease stops: 40 s later the node is Unknown.
  clock.Advance(seconds(20));
  auto d = tracker.Observe(n, &lease, clock.Now(), clock.WallNow());
  EXPECT_TRUE(d.update_status);
}

TEST(NodeHealthTrackerTest, RemoteClocksAreNotCompared) {
  // A heartbeat far in the past by our wall clock is still a heartbeat when it changes.
  FakeClock clock;
  NodeHealthTracker tracker(seconds(40), seconds(60));
  auto d = tracker.Observe(ReadyNode("n1", "True", "1999-01-01T00:00:00Z"), nullptr, clock.Now(),
                           clock.WallNow());
  EXPECT_FALSE(d.update_status);
}

TEST(NodeHealthTrackerTest, NeverPostedUsesStartupGracePeriod) {
  FakeClock clock;
  NodeHealthTracker tracker(seconds(40), seconds(60));
  api::Node n;
  n.metadata.name = "n1";
  n.metadata.creationTimestamp = "2024-01-01T00:00:00Z";
  auto d = tracker.Observe(n, nullptr, clock.Now(), clock.WallNow());
  EXPECT_FALSE(d.update_status);
  clock.Advance(seconds(50));
  d = tracker.Observe(n, nullptr, clock.Now(), clock.WallNow());
  EXPECT_FALSE(d.update_status);
  clock.Advance(seconds(11));
  d = tracker.Observe(n, nullptr, clock.Now(), clock.WallNow());
  ASSERT_TRUE(d.update_status);
  EXPECT_EQ(Cond(d.node, "Ready").status, "Unknown");
  EXPECT_EQ(Cond(d.node, "Ready").reason, kReasonNodeStatusNeverUpdated);
}

TEST(NodeHealthTrackerTest, RecoveredNodeIsReadyAgain) {
  FakeClock clock;
  NodeHealthTracker tracker(seconds(40), seconds(60));
  api::Node n = ReadyNode("n1", "True", "2024-01-01T00:00:00Z");
  (void)tracker.Observe(n, nullptr, clock.Now(), clock.WallNow());
  clock.Advance(seconds(41));
  auto d = tracker.Observe(n, nullptr, clock.Now(), clock.WallNow());
  ASSERT_TRUE(d.update_status);
  tracker.Written(d.node);
  // The kubelet is back.
  auto d2 = tracker.Observe(ReadyNode("n1", "True", "2024-01-01T00:05:00Z"), nullptr, clock.Now(),
                            clock.WallNow());
  EXPECT_FALSE(d2.update_status);
  EXPECT_EQ(d2.ready_status, "True");
}

TEST(TaintsTest, FollowReadyCondition) {
  FakeClock clock;
  api::Node n = ReadyNode("n1", "Unknown", "");
  api::Taint other;
  other.key = "example.com/x";
  other.effect = "NoSchedule";
  n.spec.taints.push_back(other);
  auto taints = DesiredTaints(n, clock.WallNow());
  ASSERT_EQ(taints.size(), 3u);
  EXPECT_EQ(taints[0].key, "example.com/x");
  EXPECT_EQ(taints[1].key, kTaintUnreachable);
  EXPECT_EQ(taints[1].effect, "NoExecute");
  EXPECT_EQ(taints[1].timeAdded, FormatRfc3339(clock.WallNow()));
  EXPECT_EQ(taints[2].key, kTaintUnreachable);
  EXPECT_EQ(taints[2].effect, "NoSchedule");

  // Kept (with their timeAdded) while still wanted.
  n.spec.taints = taints;
  clock.Advance(seconds(5));
  auto again = DesiredTaints(n, clock.WallNow());
  EXPECT_TRUE(SameTaints(again, taints));
  EXPECT_EQ(again[1].timeAdded, taints[1].timeAdded);

  // Ready=False: not-ready replaces unreachable.
  n.status.conditions[0].status = "False";
  auto not_ready = DesiredTaints(n, clock.WallNow());
  ASSERT_EQ(not_ready.size(), 3u);
  EXPECT_EQ(not_ready[1].key, kTaintNotReady);
  EXPECT_EQ(not_ready[2].key, kTaintNotReady);

  // Ready again: only the foreign taint stays.
  n.status.conditions[0].status = "True";
  auto ready = DesiredTaints(n, clock.WallNow());
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].key, "example.com/x");
}

TEST(TaintsTest, ConditionsAndUnschedulable) {
  FakeClock clock;
  api::Node n = ReadyNode("n1", "True", "");
  n.status.conditions[1].status = "True";  // MemoryPressure
  n.spec.unschedulable = true;
  auto taints = DesiredTaints(n, clock.WallNow());
  ASSERT_EQ(taints.size(), 2u);
  EXPECT_EQ(taints[0].key, kTaintMemoryPressure);
  EXPECT_EQ(taints[1].key, kTaintUnschedulable);
  EXPECT_TRUE(taints[0].timeAdded.empty());
}

api::Taint Unreachable(const std::string& added) {
  api::Taint t;
  t.key = kTaintUnreachable;
  t.effect = "NoExecute";
  t.timeAdded = added;
  return t;
}

api::Toleration Tolerate(const std::string& key, std::optional<int64_t> secs) {
  api::Toleration t;
  t.key = key;
  t.operator_ = "Exists";
  t.effect = "NoExecute";
  t.tolerationSeconds = secs;
  return t;
}

TEST(EvictionTest, NotToleratedGoesAtOnce) {
  FakeClock clock;
  auto now = clock.WallNow();
  std::vector<api::Taint> taints = {Unreachable(FormatRfc3339(now))};
  auto d = DecideEviction({Tolerate(kTaintNotReady, std::nullopt)}, taints, now, now);
  EXPECT_TRUE(d.evict_now);
}

TEST(EvictionTest, TolerationSecondsCountFromTimeAdded) {
  FakeClock clock;
  auto added = *ParseRfc3339(FormatRfc3339(clock.WallNow()));
  std::vector<api::Taint> taints = {Unreachable(FormatRfc3339(added))};
  std::vector<api::Toleration> tols = {Tolerate(kTaintUnreachable, 30)};
  auto d = DecideEviction(tols, taints, added + seconds(10), added);
  EXPECT_FALSE(d.evict_now);
  ASSERT_TRUE(d.at.has_value());
  EXPECT_EQ(*d.at, added + seconds(30));
  d = DecideEviction(tols, taints, added + seconds(30), added);
  EXPECT_TRUE(d.evict_now);
  // The smallest of several matching tolerations wins.
  tols.push_back(Tolerate("", 5));
  d = DecideEviction(tols, taints, added + seconds(1), added);
  ASSERT_TRUE(d.at.has_value());
  EXPECT_EQ(*d.at, added + seconds(5));
}

TEST(EvictionTest, ToleratedForever) {
  FakeClock clock;
  auto now = clock.WallNow();
  std::vector<api::Taint> taints = {Unreachable(FormatRfc3339(now))};
  auto d = DecideEviction({Tolerate(kTaintUnreachable, std::nullopt)}, taints,
                          now + seconds(1000000), now);
  EXPECT_FALSE(d.evict_now);
  EXPECT_FALSE(d.at.has_value());
}

TEST(EvictionTest, MissingTimeAddedUsesFirstSeen) {
  FakeClock clock;
  auto seen = clock.WallNow();
  std::vector<api::Taint> taints = {Unreachable("")};
  auto d = DecideEviction({Tolerate(kTaintUnreachable, 3)}, taints, seen + seconds(1), seen);
  ASSERT_TRUE(d.at.has_value());
  EXPECT_EQ(*d.at, seen + seconds(3));
}

TEST(TolerationTest, Matching) {
  api::Taint t;
  t.key = "k";
  t.value = "v";
  t.effect = "NoExecute";
  api::Toleration eq;
  eq.key = "k";
  eq.value = "v";
  EXPECT_TRUE(ToleratesTaint(eq, t));
  eq.value = "w";
  EXPECT_FALSE(ToleratesTaint(eq, t));
  api::Toleration all;
  all.operator_ = "Exists";
  EXPECT_TRUE(ToleratesTaint(all, t));
  all.effect = "NoSchedule";
  EXPECT_FALSE(ToleratesTaint(all, t));
}

TEST(MarkPodNotReadyTest, OnlyWhenReady) {
  FakeClock clock;
  api::Pod p;
  EXPECT_FALSE(MarkPodNotReady(p, clock.WallNow()));
  api::PodCondition c;
  c.type = "Ready";
  c.status = "True";
  p.status.conditions.push_back(c);
  EXPECT_TRUE(MarkPodNotReady(p, clock.WallNow()));
  EXPECT_EQ(p.status.conditions[0].status, "False");
  EXPECT_FALSE(MarkPodNotReady(p, clock.WallNow()));
}

}  // namespace
}  // namespace kubepp::controller::node
