#include "controller/replicaset/replicaset_logic.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/parse.hpp>

namespace kubepp::controller::replicaset {
namespace {

using std::chrono::seconds;

Clock::WallTime T0() { return *ParseTime("2024-01-01T00:00:00Z"); }

api::Pod MakePod(std::string name, std::string phase = "Pending") {
  api::Pod p;
  p.metadata.name = std::move(name);
  p.metadata.namespace_ = "ns";
  p.metadata.uid = "uid-" + p.metadata.name;
  p.metadata.labels = {{"app", "web"}};
  p.metadata.creationTimestamp = "2024-01-01T00:00:00Z";
  p.status.phase = std::move(phase);
  return p;
}

void SetReady(api::Pod& p, const std::string& since) {
  api::PodCondition c;
  c.type = "Ready";
  c.status = "True";
  c.lastTransitionTime = since;
  p.status.conditions.push_back(c);
}

api::ReplicaSet MakeRs(int32_t replicas) {
  api::ReplicaSet rs;
  rs.metadata.name = "web";
  rs.metadata.namespace_ = "ns";
  rs.metadata.uid = "rs-uid";
  rs.metadata.generation = 3;
  rs.spec.replicas = replicas;
  rs.spec.selector.matchLabels = {{"app", "web"}};
  rs.spec.template_.metadata.labels = {{"app", "web"}, {"tier", "front"}};
  return rs;
}

api::Selector Sel(const api::ReplicaSet& rs) {
  return *api::Selector::FromLabelSelector(rs.spec.selector);
}

TEST(ParseTimeTest, Formats) {
  auto t = ParseTime("2024-01-02T03:04:05Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(FormatRfc3339(*t), "2024-01-02T03:04:05Z");
  EXPECT_EQ(*ParseTime("2024-01-02T05:04:05+02:00"), *t);
  EXPECT_EQ(*ParseTime("2024-01-02T03:04:05.5Z") - *t, std::chrono::milliseconds(500));
  EXPECT_FALSE(ParseTime(""));
  EXPECT_FALSE(ParseTime("2024-13-02T03:04:05Z"));
  EXPECT_FALSE(ParseTime("2024-01-02T03:04:05"));
}

TEST(PodStateTest, ActiveReadyAvailable) {
  auto p = MakePod("a");
  EXPECT_TRUE(IsPodActive(p));
  EXPECT_FALSE(IsPodReady(p));
  p.status.phase = "Succeeded";
  EXPECT_FALSE(IsPodActive(p));
  p.status.phase = "Failed";
  EXPECT_FALSE(IsPodActive(p));
  p.status.phase = "Running";
  p.metadata.deletionTimestamp = "2024-01-01T00:00:00Z";
  EXPECT_FALSE(IsPodActive(p));

  auto r = MakePod("r", "Running");
  SetReady(r, "2024-01-01T00:00:00Z");
  EXPECT_TRUE(IsPodReady(r));
  EXPECT_TRUE(IsPodAvailable(r, 0, T0()));
  EXPECT_FALSE(IsPodAvailable(r, 10, T0() + seconds(10)));
  EXPECT_TRUE(IsPodAvailable(r, 10, T0() + seconds(11)));
}

TEST(PodFromTemplateTest, CopiesTemplateAndOwns) {
  auto rs = MakeRs(1);
  rs.spec.template_.metadata.annotations = {{"a", "b"}};
  rs.spec.template_.spec.containers.resize(1);
  rs.spec.template_.spec.containers[0].name = "c";
  auto pod = PodFromTemplate(rs);
  EXPECT_EQ(pod.metadata.generateName, "web-");
  EXPECT_EQ(pod.metadata.namespace_, "ns");
  EXPECT_EQ(pod.metadata.labels, rs.spec.template_.metadata.labels);
  EXPECT_EQ(pod.metadata.annotations, rs.spec.template_.metadata.annotations);
  EXPECT_EQ(pod.spec, rs.spec.template_.spec);
  ASSERT_EQ(pod.metadata.ownerReferences.size(), 1U);
  const auto& ref = pod.metadata.ownerReferences[0];
  EXPECT_EQ(ref.apiVersion, "apps/v1");
  EXPECT_EQ(ref.kind, "ReplicaSet");
  EXPECT_EQ(ref.name, "web");
  EXPECT_EQ(ref.uid, "rs-uid");
  EXPECT_EQ(ref.controller, true);
  EXPECT_EQ(ref.blockOwnerDeletion, true);
  EXPECT_EQ(GetControllerOf(pod.metadata), &pod.metadata.ownerReferences[0]);
}

TEST(ClaimTest, Decisions) {
  auto rs = MakeRs(1);
  auto sel = Sel(rs);
  auto ours = PodFromTemplate(rs);
  EXPECT_EQ(DecideClaim(rs, sel, ours), ClaimAction::kKeep);
  auto orphan = MakePod("o");
  EXPECT_EQ(DecideClaim(rs, sel, orphan), ClaimAction::kAdopt);
  auto other_ns = orphan;
  other_ns.metadata.namespace_ = "elsewhere";
  EXPECT_EQ(DecideClaim(rs, sel, other_ns), ClaimAction::kIgnore);
  auto deleting_orphan = orphan;
  deleting_orphan.metadata.deletionTimestamp = "2024-01-01T00:00:00Z";
  EXPECT_EQ(DecideClaim(rs, sel, deleting_orphan), ClaimAction::kIgnore);
  auto nonmatching = orphan;
  nonmatching.metadata.labels = {{"app", "db"}};
  EXPECT_EQ(DecideClaim(rs, sel, nonmatching), ClaimAction::kIgnore);
  auto ours_changed = ours;
  ours_changed.metadata.labels = {{"app", "db"}};
  EXPECT_EQ(DecideClaim(rs, sel, ours_changed), ClaimAction::kRelease);
  auto someone_elses = orphan;
  someone_elses.metadata.ownerReferences.push_back(ControllerRefFor(rs));
  someone_elses.metadata.ownerReferences[0].uid = "other";
  EXPECT_EQ(DecideClaim(rs, sel, someone_elses), ClaimAction::kIgnore);
  // A non-controller owner reference leaves the pod an orphan.
  auto weak_owned = orphan;
  weak_owned.metadata.ownerReferences.push_back(ControllerRefFor(rs));
  weak_owned.metadata.ownerReferences[0].controller = false;
  EXPECT_EQ(DecideClaim(rs, sel, weak_owned), ClaimAction::kAdopt);

  // A ReplicaSet being deleted neither adopts nor releases.
  rs.metadata.deletionTimestamp = "2024-01-01T00:00:00Z";
  EXPECT_EQ(DecideClaim(rs, sel, orphan), ClaimAction::kIgnore);
  EXPECT_EQ(DecideClaim(rs, sel, ours_changed), ClaimAction::kIgnore);
  EXPECT_EQ(DecideClaim(rs, sel, ours), ClaimAction::kKeep);
}

TEST(ClaimTest, Patches) {
  auto rs = MakeRs(1);
  auto pod = MakePod("p");
  EXPECT_EQ(boost::json::parse(AdoptPatch(rs, pod)),
            boost::json::parse(R"({"metadata":{"ownerReferences":[{"apiVersion":"apps/v1",
              "kind":"ReplicaSet","name":"web","uid":"rs-uid","controller":true,
              "blockOwnerDeletion":true}],"uid":"uid-p"}})"));
  EXPECT_EQ(boost::json::parse(ReleasePatch(rs, pod)),
            boost::json::parse(R"({"metadata":{"ownerReferences":[{"$patch":"delete",
              "uid":"rs-uid"}],"uid":"uid-p"}})"));
}

TEST(SlowStartTest, Batches) {
  EXPECT_EQ(SlowStartBatches(0, 1), std::vector<int>{});
  EXPECT_EQ(SlowStartBatches(1, 1), std::vector<int>{1});
  EXPECT_EQ(SlowStartBatches(3, 1), (std::vector<int>{1, 2}));
  EXPECT_EQ(SlowStartBatches(10, 1), (std::vector<int>{1, 2, 4, 3}));
  EXPECT_EQ(SlowStartBatches(500, 1), (std::vector<int>{1, 2, 4, 8, 16, 32, 64, 128, 245}));
}

// Sorts by PodDeletedBefore and returns the names in deletion order.
std::vector<std::string> Order(std::vector<api::Pod> pods, Clock::WallTime now,
                               std::vector<int> ranks = {}) {
  ranks.resize(pods.size(), 0);
  std::vector<size_t> idx(pods.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
    return PodDeletedBefore(pods[a], ranks[a], pods[b], ranks[b], now);
  });
  std::vector<std::string> out;
  out.reserve(idx.size());
  for (size_t i : idx) out.push_back(pods[i].metadata.name);
  return out;
}

TEST(RankingTest, UpstreamOrder) {
  const auto now = T0() + std::chrono::hours(24);
  auto assigned = MakePod("assigned", "Running");
  assigned.spec.nodeName = "n1";
  auto unassigned = MakePod("unassigned", "Running");
  EXPECT_EQ(Order({assigned, unassigned}, now),
            (std::vector<std::string>{"unassigned", "assigned"}));

  auto running = MakePod("running", "Running");
  auto unknown = MakePod("unknown", "Unknown");
  auto pending = MakePod("pending", "Pending");
  EXPECT_EQ(Order({running, unknown, pending}, now),
            (std::vector<std::string>{"pending", "unknown", "running"}));

  auto ready = MakePod("ready", "Running");
  SetReady(ready, "2024-01-01T00:00:00Z");
  auto not_ready = MakePod("notready", "Running");
  EXPECT_EQ(Order({ready, not_ready}, now), (std::vector<std::string>{"notready", "ready"}));

  auto cheap = MakePod("cheap", "Running");
  cheap.metadata.annotations[kPodDeletionCostAnnotation] = "-5";
  auto dear = MakePod("dear", "Running");
  dear.metadata.annotations[kPodDeletionCostAnnotation] = "100";
  EXPECT_EQ(Order({dear, running, cheap}, now),
            (std::vector<std::string>{"cheap", "running", "dear"}));

  // More related pods on the node goes first.
  EXPECT_EQ(Order({MakePod("alone", "Running"), MakePod("crowded", "Running")}, now, {1, 3}),
            (std::vector<std::string>{"crowded", "alone"}));

  // Ready for less time goes first (different log2 buckets: 1 minute vs 23 hours).
  auto old_ready = MakePod("oldready", "Running");
  SetReady(old_ready, "2024-01-01T01:00:00Z");
  auto new_ready = MakePod("newready", "Running");
  SetReady(new_ready, "2024-01-01T23:59:00Z");
  EXPECT_EQ(Order({old_ready, new_ready}, now), (std::vector<std::string>{"newready", "oldready"}));

  auto restarts = MakePod("restarts", "Running");
  restarts.status.containerStatuses.resize(1);
  restarts.status.containerStatuses[0].restartCount = 4;
  EXPECT_EQ(Order({running, restarts}, now), (std::vector<std::string>{"restarts", "running"}));

  // Empty creation time < newer < older.
  auto older = MakePod("older", "Running");
  older.metadata.creationTimestamp = "2024-01-01T00:00:00Z";
  auto newer = MakePod("newer", "Running");
  newer.metadata.creationTimestamp = "2024-01-01T23:59:50Z";
  auto none = MakePod("none", "Running");
  none.metadata.creationTimestamp.clear();
  EXPECT_EQ(Order({older, newer, none}, now), (std::vector<std::string>{"none", "newer", "older"}));
}

TEST(RankingTest, PodsToDelete) {
  const auto now = T0() + std::chrono::hours(1);
  auto a = MakePod("a", "Running");
  a.spec.nodeName = "n1";
  auto b = MakePod("b", "Pending");
  auto c = MakePod("c", "Running");
  c.spec.nodeName = "n2";
  auto d = MakePod("d", "Running");  // a related pod doubling up on n2
  d.spec.nodeName = "n2";
  std::vector<const api::Pod*> pods{&a, &b, &c};
  std::vector<const api::Pod*> related{&a, &b, &c, &d};
  auto out = PodsToDelete(pods, related, 2, now);
  ASSERT_EQ(out.size(), 2U);
  EXPECT_EQ(out[0]->metadata.name, "b");
  EXPECT_EQ(out[1]->metadata.name, "c");
  EXPECT_EQ(PodsToDelete(pods, related, 3, now).size(), 3U);
}

TEST(StatusTest, Counts) {
  auto rs = MakeRs(3);
  rs.spec.minReadySeconds = 30;
  auto full = PodFromTemplate(rs);
  SetReady(full, "2024-01-01T00:00:00Z");
  auto partial = MakePod("partial");  // lacks tier=front
  SetReady(partial, "2024-01-01T00:00:50Z");
  auto pending = PodFromTemplate(rs);
  std::vector<const api::Pod*> pods{&full, &partial, &pending};
  auto st = CalculateStatus(rs, pods, "", T0() + seconds(60));
  EXPECT_EQ(st.replicas, 3);
  EXPECT_EQ(st.fullyLabeledReplicas, 2);
  EXPECT_EQ(st.readyReplicas, 2);
  EXPECT_EQ(st.availableReplicas, 1);
  EXPECT_TRUE(st.conditions.empty());
  EXPECT_TRUE(StatusNeedsUpdate(rs, st));
  rs.status = st;
  rs.status.observedGeneration = 3;
  EXPECT_FALSE(StatusNeedsUpdate(rs, st));
  rs.metadata.generation = 4;
  EXPECT_TRUE(StatusNeedsUpdate(rs, st));
}

TEST(StatusTest, ReplicaFailureCondition) {
  auto rs = MakeRs(3);
  auto pod = PodFromTemplate(rs);
  std::vector<const api::Pod*> pods{&pod};
  auto st = CalculateStatus(rs, pods, "quota exceeded", T0());
  ASSERT_EQ(st.conditions.size(), 1U);
  EXPECT_EQ(st.conditions[0].type, "ReplicaFailure");
  EXPECT_EQ(st.conditions[0].status, "True");
  EXPECT_EQ(st.conditions[0].reason, "FailedCreate");
  EXPECT_EQ(st.conditions[0].message, "quota exceeded");
  EXPECT_EQ(st.conditions[0].lastTransitionTime, "2024-01-01T00:00:00Z");
  rs.status = st;
  // Kept while failing (not rewritten), removed once a sync succeeds.
  EXPECT_EQ(CalculateStatus(rs, pods, "other", T0() + seconds(5)).conditions, st.conditions);
  EXPECT_TRUE(CalculateStatus(rs, pods, "", T0()).conditions.empty());
  rs.spec.replicas = 0;
  rs.status.conditions.clear();
  EXPECT_EQ(CalculateStatus(rs, pods, "x", T0()).conditions[0].reason, "FailedDelete");
}

}  // namespace
}  // namespace kubepp::controller::replicaset
