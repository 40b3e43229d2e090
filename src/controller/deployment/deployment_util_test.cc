// The Deployment controller's pure decisions: hash, surge/unavailable arithmetic, revisions,
// rolling and proportional scaling plans, status and conditions (cases from upstream's
// deployment_util_test.go, rolling_test.go and sync_test.go).
#include "controller/deployment/deployment_util.h"

#include <gtest/gtest.h>

#include <memory>

namespace kubepp::controller::deployment {
namespace {

using api::IntOrString;

api::Deployment MakeDeployment(int32_t replicas, IntOrString surge, IntOrString unavailable) {
  api::Deployment d;
  d.metadata.name = "web";
  d.metadata.namespace_ = "default";
  d.metadata.uid = "d-uid";
  d.metadata.generation = 1;
  d.spec.replicas = replicas;
  d.spec.selector.matchLabels = {{"app", "web"}};
  d.spec.template_.metadata.labels = {{"app", "web"}};
  d.spec.template_.spec.containers.resize(1);
  d.spec.template_.spec.containers[0].name = "c";
  d.spec.template_.spec.containers[0].image = "nginx:1";
  d.spec.strategy = api::DeploymentStrategy{};
  d.spec.strategy->type = "RollingUpdate";
  d.spec.strategy->rollingUpdate = api::RollingUpdateDeployment{};
  d.spec.strategy->rollingUpdate->maxSurge = surge;
  d.spec.strategy->rollingUpdate->maxUnavailable = unavailable;
  d.spec.progressDeadlineSeconds = 600;
  d.spec.revisionHistoryLimit = 10;
  return d;
}

api::ReplicaSet MakeRs(const std::string& name, int32_t replicas, int32_t available,
                       const std::string& created) {
  api::ReplicaSet rs;
  rs.metadata.name = name;
  rs.metadata.uid = name + "-uid";
  rs.metadata.creationTimestamp = created;
  rs.spec.replicas = replicas;
  rs.status.replicas = replicas;
  rs.status.readyReplicas = available;
  rs.status.availableReplicas = available;
  return rs;
}

TEST(DeploymentUtilTest, HashIsStableAndDependsOnTemplateAndCollisions) {
  auto d = MakeDeployment(3, IntOrString::FromInt(1), IntOrString::FromInt(0));
  const std::string h1 = ComputeHash(d.spec.template_, std::nullopt);
  EXPECT_EQ(h1, ComputeHash(d.spec.template_, std::nullopt));
  EXPECT_FALSE(h1.empty());
  for (char c : h1)
    EXPECT_NE(std::string("bcdfghjklmnpqrstvwxz2456789").find(c), std::string::npos);
  EXPECT_NE(h1, ComputeHash(d.spec.template_, 1));
  EXPECT_NE(ComputeHash(d.spec.template_, 1), ComputeHash(d.spec.template_, 2));
  auto other = d.spec.template_;
  other.spec.containers[0].image = "nginx:2";
  EXPECT_NE(h1, ComputeHash(other, std::nullopt));
  // As upstream: each byte modulo 27 ('0' is 48 → 21 → '4').
  EXPECT_EQ(SafeEncodeString("0123456789"), "456789bcdf");
}

TEST(DeploymentUtilTest, NewReplicaSetCarriesHashLabelSelectorAndOwner) {
  auto d = MakeDeployment(3, IntOrString::FromInt(1), IntOrString::FromInt(0));
  auto rs = NewReplicaSetFor(d);
  const std::string hash = ComputeHash(d.spec.template_, std::nullopt);
  EXPECT_EQ(rs.metadata.name, "web-" + hash);
  EXPECT_EQ(rs.spec.selector.matchLabels.at(kPodTemplateHashLabel), hash);
  EXPECT_EQ(rs.spec.template_.metadata.labels.at(kPodTemplateHashLabel), hash);
  EXPECT_EQ(rs.metadata.labels.at("app"), "web");
  ASSERT_EQ(rs.metadata.ownerReferences.size(), 1U);
  EXPECT_EQ(rs.metadata.ownerReferences[0].kind, "Deployment");
  EXPECT_EQ(rs.metadata.ownerReferences[0].controller, true);
  EXPECT_TRUE(EqualIgnoreHash(rs.spec.template_, d.spec.template_));
}

TEST(DeploymentUtilTest, FencepostsRoundSurgeUpAndUnavailableDown) {
  auto f = ResolveFenceposts(IntOrString::FromString("25%"), IntOrString::FromString("25%"), 10);
  ASSERT_TRUE(f.IsOk());
  EXPECT_EQ(f->max_surge, 3);
  EXPECT_EQ(f->max_unavailable, 2);
  f = ResolveFenceposts(IntOrString::FromString("0%"), IntOrString::FromString("0%"), 10);
  ASSERT_TRUE(f.IsOk());
  EXPECT_EQ(f->max_surge, 0);
  EXPECT_EQ(f->max_unavailable, 1);
  f = ResolveFenceposts(IntOrString::FromInt(0), IntOrString::FromInt(0), 3);
  EXPECT_EQ(f->max_unavailable, 1);
  f = ResolveFenceposts(IntOrString::FromString("25%"), IntOrString::FromString("25%"), 3);
  EXPECT_EQ(f->max_surge, 1);
  EXPECT_EQ(f->max_unavailable, 0);
  EXPECT_FALSE(ResolveFenceposts(IntOrString::FromString("x"), IntOrString::FromInt(1), 3).IsOk());

  auto d = MakeDeployment(2, IntOrString::FromInt(1), IntOrString::FromInt(5));
  EXPECT_EQ(MaxUnavailable(d), 2);  // capped at replicas
  EXPECT_EQ(MaxSurge(d), 1);
  d.spec.strategy->type = "Recreate";
  EXPECT_EQ(MaxSurge(d), 0);
  EXPECT_EQ(MaxUnavailable(d), 0);
}

TEST(DeploymentUtilTest, NewRSNewReplicasRespectsSurge) {
  auto d = MakeDeployment(10, IntOrString::FromInt(2), IntOrString::FromInt(0));
  auto old_rs = MakeRs("old", 10, 10, "2024-01-01T00:00:00Z");
  auto new_rs = MakeRs("new", 0, 0, "2024-01-02T00:00:00Z");
  std::vector<api::ReplicaSet*> all = {&old_rs, &new_rs};
  EXPECT_EQ(*NewRSNewReplicas(d, all, new_rs), 2);
  new_rs.spec.replicas = 2;
  EXPECT_EQ(*NewRSNewReplicas(d, all, new_rs), 2);  // at max total already
  old_rs.spec.replicas = 1;
  EXPECT_EQ(*NewRSNewReplicas(d, all, new_rs), 10);  // capped at desired
  d.spec.strategy->type = "Recreate";
  EXPECT_EQ(*NewRSNewReplicas(d, all, new_rs), 10);
}

TEST(DeploymentUtilTest, OldScaleDownCleansUnhealthyFirstThenOldest) {
  // 10 desired, maxUnavailable 2: the old ones have 8 available of 10.
  auto d = MakeDeployment(10, IntOrString::FromInt(2), IntOrString::FromInt(2));
  auto older = MakeRs("older", 4, 2, "2024-01-01T00:00:00Z");
  auto old = MakeRs("old", 6, 6, "2024-01-02T00:00:00Z");
  auto new_rs = MakeRs("new", 2, 0, "2024-01-03T00:00:00Z");
  std::vector<api::ReplicaSet*> all = {&older, &old, &new_rs};
  auto plan = PlanOldScaleDown(d, all, {&old, &older}, new_rs);
  // maxScaledDown = 12 - 8 - 2 = 2: older's 2 unavailable go; availability 8 = min: no more.
  ASSERT_EQ(plan.size(), 1U);
  EXPECT_EQ(plan[0].rs, &older);
  EXPECT_EQ(plan[0].replicas, 2);

  // New one available: old ones go down oldest first as far as availability allows.
  new_rs.status.availableReplicas = 2;
  older.status.availableReplicas = 4;
  plan = PlanOldScaleDown(d, all, {&old, &older}, new_rs);
  // available 12, min 8 → 4 may go: all of older.
  ASSERT_EQ(plan.size(), 1U);
  EXPECT_EQ(plan[0].rs, &older);
  EXPECT_EQ(plan[0].replicas, 0);

  // Nothing when availability is at the minimum.
  auto d2 = MakeDeployment(3, IntOrString::FromInt(1), IntOrString::FromInt(0));
  auto o = MakeRs("o", 3, 3, "2024-01-01T00:00:00Z");
  auto n = MakeRs("n", 1, 0, "2024-01-02T00:00:00Z");
  std::vector<api::ReplicaSet*> all2 = {&o, &n};
  EXPECT_TRUE(PlanOldScaleDown(d2, all2, {&o}, n).empty());
  n.status.availableReplicas = 1;
  plan = PlanOldScaleDown(d2, all2, {&o}, n);
  ASSERT_EQ(plan.size(), 1U);
  EXPECT_EQ(plan[0].replicas, 2);
}

TEST(DeploymentUtilTest, ProportionalScalingFollowsMaxReplicasAnnotation) {
  // Mid-rollout 10 → 15 (maxSurge 3): old 8 and new 5, annotated max 13.
  auto d = MakeDeployment(15, IntOrString::FromInt(3), IntOrString::FromInt(2));
  auto old = MakeRs("old", 8, 8, "2024-01-01T00:00:00Z");
  auto new_rs = MakeRs("new", 5, 0, "2024-01-02T00:00:00Z");
  SetReplicasAnnotations(old, 10, 13);
  SetReplicasAnnotations(new_rs, 10, 13);
  EXPECT_EQ(FindActiveOrLatest(&new_rs, {&old}), nullptr);
  EXPECT_FALSE(IsSaturated(d, &new_rs));
  auto plan = PlanProportionalScale(d, &new_rs, {&old});
  ASSERT_EQ(plan.size(), 2U);
  int32_t total = 0;
  for (const auto& r : plan) total += r.replicas;
  EXPECT_EQ(total, 18);  // 15 + surge 3
  // 8 * 18/13 = 11.07 → 11; 5 * 18/13 = 6.9 → 7.
  EXPECT_EQ(plan[0].rs, &old);
  EXPECT_EQ(plan[0].replicas, 11);
  EXPECT_EQ(plan[1].replicas, 7);
}

TEST(DeploymentUtilTest, RevisionsAndRollbackHistory) {
  auto d = MakeDeployment(3, IntOrString::FromInt(1), IntOrString::FromInt(0));
  d.metadata.annotations["team"] = "a";
  d.metadata.annotations[kRevisionAnnotation] = "7";
  auto rs = NewReplicaSetFor(d);
  EXPECT_TRUE(SetNewReplicaSetAnnotations(d, rs, "1", false));
  EXPECT_EQ(rs.metadata.annotations.at(kRevisionAnnotation), "1");
  EXPECT_EQ(rs.metadata.annotations.at("team"), "a");
  EXPECT_EQ(rs.metadata.annotations.at(kDesiredReplicasAnnotation), "3");
  EXPECT_EQ(rs.metadata.annotations.at(kMaxReplicasAnnotation), "4");
  EXPECT_EQ(rs.metadata.annotations.count(kRevisionHistoryAnnotation), 0U);
  EXPECT_FALSE(SetNewReplicaSetAnnotations(d, rs, "1", true));
  // Rolled back to: the next revision, the old one kept in the history.
  EXPECT_TRUE(SetNewReplicaSetAnnotations(d, rs, "3", true));
  EXPECT_EQ(rs.metadata.annotations.at(kRevisionAnnotation), "3");
  EXPECT_EQ(rs.metadata.annotations.at(kRevisionHistoryAnnotation), "1");
  EXPECT_TRUE(SetNewReplicaSetAnnotations(d, rs, "5", true));
  EXPECT_EQ(rs.metadata.annotations.at(kRevisionHistoryAnnotation), "1,3");
  EXPECT_EQ(Revision(rs), 5);
  EXPECT_TRUE(SetDeploymentRevision(d, "5"));
  EXPECT_FALSE(SetDeploymentRevision(d, "5"));
}

TEST(DeploymentUtilTest, FindNewAndCleanup) {
  auto d = MakeDeployment(3, IntOrString::FromInt(1), IntOrString::FromInt(0));
  d.spec.revisionHistoryLimit = 1;
  auto cur = NewReplicaSetFor(d);
  cur.metadata.uid = "cur";
  cur.metadata.creationTimestamp = "2024-01-03T00:00:00Z";
  auto a = MakeRs("a", 0, 0, "2024-01-01T00:00:00Z");
  a.spec.template_.metadata.labels = {{"app", "web"}, {kPodTemplateHashLabel, "x"}};
  a.metadata.annotations[kRevisionAnnotation] = "1";
  auto b = MakeRs("b", 0, 0, "2024-01-02T00:00:00Z");
  b.metadata.annotations[kRevisionAnnotation] = "2";
  std::vector<api::ReplicaSet*> all = {&a, &b, &cur};
  EXPECT_EQ(FindNewReplicaSet(d, all), &cur);
  auto olds = FindOldReplicaSets(all, &cur);
  ASSERT_EQ(olds.size(), 2U);
  EXPECT_EQ(MaxRevision(olds), 2);
  auto doomed = ReplicaSetsToCleanUp(d, olds);
  ASSERT_EQ(doomed.size(), 1U);
  EXPECT_EQ(doomed[0], &a);
  a.spec.replicas = 1;
  EXPECT_TRUE(ReplicaSetsToCleanUp(d, olds).empty());
}

TEST(DeploymentUtilTest, StatusAndConditions) {
  const Clock::WallTime now = Clock::WallTime(std::chrono::seconds(1700000000));
  auto d = MakeDeployment(3, IntOrString::FromInt(1), IntOrString::FromInt(0));
  auto rs = NewReplicaSetFor(d);
  rs.spec.replicas = 3;
  rs.status.replicas = 3;
  std::vector<api::ReplicaSet*> all = {&rs};
  auto s = RolloutStatus(d, all, &rs, now);
  EXPECT_EQ(s.replicas, 3);
  EXPECT_EQ(s.updatedReplicas, 3);
  EXPECT_EQ(s.unavailableReplicas, 3);
  EXPECT_EQ(s.observedGeneration, 1);
  const auto* avail = GetCondition(s, kAvailable);
  ASSERT_NE(avail, nullptr);
  EXPECT_EQ(avail->status, "False");
  EXPECT_EQ(avail->reason, kMinimumReplicasUnavailable);
  EXPECT_EQ(avail->message, "Deployment does not have minimum availability.");
  const auto* prog = GetCondition(s, kProgressing);
  ASSERT_NE(prog, nullptr);  // more updated replicas than before: progressing
  EXPECT_EQ(prog->reason, kReplicaSetUpdatedReason);
  EXPECT_EQ(prog->message, "ReplicaSet \"" + rs.metadata.name + "\" is progressing.");
  d.status = s;

  rs.status.readyReplicas = 3;
  rs.status.availableReplicas = 3;
  s = RolloutStatus(d, all, &rs, now + std::chrono::seconds(5));
  avail = GetCondition(s, kAvailable);
  EXPECT_EQ(avail->status, "True");
  EXPECT_EQ(avail->reason, kMinimumReplicasAvailable);
  EXPECT_EQ(avail->message, "Deployment has minimum availability.");
  prog = GetCondition(s, kProgressing);
  EXPECT_EQ(prog->status, "True");
  EXPECT_EQ(prog->reason, kNewRSAvailableReason);
  EXPECT_EQ(prog->message, "ReplicaSet \"" + rs.metadata.name + "\" has successfully progressed.");
  EXPECT_TRUE(DeploymentComplete(d, s));
  d.status = s;
  // Stable: nothing new to write.
  EXPECT_EQ(RolloutStatus(d, all, &rs, now + std::chrono::seconds(9)), d.status);
  EXPECT_FALSE(StuckRequeueAfter(d, d.status, now).has_value());
}

TEST(DeploymentUtilTest, ProgressDeadlineAndPause) {
  const Clock::WallTime now = Clock::WallTime(std::chrono::seconds(1700000000));
  auto d = MakeDeployment(3, IntOrString::FromInt(1), IntOrString::FromInt(0));
  d.spec.progressDeadlineSeconds = 10;
  auto rs = NewReplicaSetFor(d);
  rs.spec.replicas = 3;
  std::vector<api::ReplicaSet*> all = {&rs};
  SetCondition(d.status, NewCondition(kProgressing, "True", kNewReplicaSetReason, "Created", now));
  auto s = RolloutStatus(d, all, &rs, now + std::chrono::seconds(5));
  EXPECT_EQ(GetCondition(s, kProgressing)->reason, kNewReplicaSetReason);
  auto after = StuckRequeueAfter(d, s, now + std::chrono::seconds(5));
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(*after).count(), 6);
  s = RolloutStatus(d, all, &rs, now + std::chrono::seconds(11));
  const auto* prog = GetCondition(s, kProgressing);
  EXPECT_EQ(prog->status, "False");
  EXPECT_EQ(prog->reason, kTimedOutReason);
  EXPECT_EQ(prog->message, "ReplicaSet \"" + rs.metadata.name + "\" has timed out progressing.");

  d.spec.paused = true;
  EXPECT_TRUE(UpdatePausedCondition(d, now));
  EXPECT_EQ(GetCondition(d.status, kProgressing)->reason, kPausedDeployReason);
  EXPECT_EQ(GetCondition(d.status, kProgressing)->message, "Deployment is paused");
  EXPECT_FALSE(UpdatePausedCondition(d, now));
  d.spec.paused = false;
  EXPECT_TRUE(UpdatePausedCondition(d, now));
  EXPECT_EQ(GetCondition(d.status, kProgressing)->reason, kResumedDeployReason);
  EXPECT_EQ(GetCondition(d.status, kProgressing)->status, "Unknown");
}

TEST(DeploymentUtilTest, SetConditionKeepsTransitionTimeForSameStatus) {
  api::DeploymentStatus s;
  const Clock::WallTime t0 = Clock::WallTime(std::chrono::seconds(1700000000));
  SetCondition(s, NewCondition(kAvailable, "True", "A", "m", t0));
  SetCondition(s, NewCondition(kAvailable, "True", "A", "m2", t0 + std::chrono::seconds(5)));
  EXPECT_EQ(GetCondition(s, kAvailable)->message, "m");  // same status and reason: unchanged
  SetCondition(s, NewCondition(kAvailable, "True", "B", "m3", t0 + std::chrono::seconds(5)));
  EXPECT_EQ(GetCondition(s, kAvailable)->lastTransitionTime, FormatRfc3339(t0));
  EXPECT_EQ(GetCondition(s, kAvailable)->lastUpdateTime,
            FormatRfc3339(t0 + std::chrono::seconds(5)));
  SetCondition(s, NewCondition(kAvailable, "False", "C", "m4", t0 + std::chrono::seconds(9)));
  EXPECT_EQ(GetCondition(s, kAvailable)->lastTransitionTime,
            FormatRfc3339(t0 + std::chrono::seconds(9)));
  EXPECT_EQ(s.conditions.size(), 1U);
}

}  // namespace
}  // namespace kubepp::controller::deployment
