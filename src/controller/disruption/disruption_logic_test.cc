#include "controller/disruption/disruption_logic.h"

#include <gtest/gtest.h>

namespace kubepp::controller::disruption {
namespace {

const Clock::WallTime kNow = Clock::WallTime(std::chrono::seconds(1'700'000'000));

api::Pod MakePod(const std::string& name, bool ready) {
  api::Pod p;
  p.metadata.name = name;
  p.metadata.namespace_ = "ns";
  p.metadata.labels = {{"app", "web"}};
  api::PodCondition c;
  c.type = "Ready";
  c.status = ready ? "True" : "False";
  p.status.conditions = {c};
  return p;
}

api::OwnerReference Ref(const std::string& api_version, const std::string& kind,
                        const std::string& name, const std::string& uid) {
  api::OwnerReference r;
  r.apiVersion = api_version;
  r.kind = kind;
  r.name = name;
  r.uid = uid;
  r.controller = true;
  return r;
}

api::PodDisruptionBudget MakePdb() {
  api::PodDisruptionBudget pdb;
  pdb.metadata.name = "pdb";
  pdb.metadata.namespace_ = "ns";
  pdb.metadata.generation = 3;
  pdb.spec.selector.emplace();
  pdb.spec.selector->matchLabels = {{"app", "web"}};
  return pdb;
}

// Workloads over fixed objects.
struct Fake {
  std::map<std::string, std::shared_ptr<const api::ReplicaSet>> rs;
  std::map<std::string, std::shared_ptr<const api::Deployment>> deployments;
  std::map<std::string, std::shared_ptr<const api::StatefulSet>> sets;
  std::map<std::string, std::shared_ptr<const api::ReplicationController>> rcs;

  Workloads Get() const {
    Workloads w;
    w.replica_set = [this](const std::string& /*ns*/, const std::string& n) {
      auto it = rs.find(n);
      return it == rs.end() ? nullptr : it->second;
    };
    w.deployment = [this](const std::string& /*ns*/, const std::string& n) {
      auto it = deployments.find(n);
      return it == deployments.end() ? nullptr : it->second;
    };
    w.stateful_set = [this](const std::string& /*ns*/, const std::string& n) {
      auto it = sets.find(n);
      return it == sets.end() ? nullptr : it->second;
    };
    w.replication_controller = [this](const std::string& /*ns*/, const std::string& n) {
      auto it = rcs.find(n);
      return it == rcs.end() ? nullptr : it->second;
    };
    return w;
  }
};

TEST(DisruptionLogicTest, ScaledValue) {
  EXPECT_EQ(*ScaledValue(api::IntOrString::FromInt(3), 10, true), 3);
  EXPECT_EQ(*ScaledValue(api::IntOrString::FromString("50%"), 3, true), 2);
  EXPECT_EQ(*ScaledValue(api::IntOrString::FromString("50%"), 3, false), 1);
  EXPECT_EQ(*ScaledValue(api::IntOrString::FromString("0%"), 3, true), 0);
  auto bad = ScaledValue(api::IntOrString::FromString("50"), 3, true);
  ASSERT_FALSE(bad.IsOk());
  EXPECT_EQ(bad.status().Message(),
            "invalid value for IntOrString: invalid type: string is not a percentage");
  EXPECT_FALSE(ScaledValue(api::IntOrString::FromString("x%"), 3, true).IsOk());
}

TEST(DisruptionLogicTest, SelectorNilSelectsNothing) {
  auto pdb = MakePdb();
  pdb.spec.selector.reset();
  auto sel = PdbSelector(pdb);
  ASSERT_TRUE(sel.IsOk());
  EXPECT_FALSE(sel->has_value());
  pdb.spec.selector.emplace();  // empty: everything
  sel = PdbSelector(pdb);
  ASSERT_TRUE(sel.IsOk() && sel->has_value());
  EXPECT_TRUE((*sel)->Matches({{"x", "y"}}));
}

TEST(DisruptionLogicTest, ExpectedCountFromControllers) {
  Fake fake;
  auto d = std::make_shared<api::Deployment>();
  d->metadata.name = "web";
  d->metadata.uid = "d-uid";
  d->spec.replicas = 4;
  fake.deployments["web"] = d;
  auto rs = std::make_shared<api::ReplicaSet>();
  rs->metadata.name = "web-1";
  rs->metadata.uid = "rs-uid";
  rs->spec.replicas = 2;  // the Deployment's scale wins
  rs->metadata.ownerReferences = {Ref("apps/v1", "Deployment", "web", "d-uid")};
  fake.rs["web-1"] = rs;
  auto lone = std::make_shared<api::ReplicaSet>();
  lone->metadata.name = "lone";
  lone->metadata.uid = "lone-uid";
  lone->spec.replicas = 3;
  fake.rs["lone"] = lone;
  auto ss = std::make_shared<api::StatefulSet>();
  ss->metadata.name = "db";
  ss->metadata.uid = "ss-uid";
  ss->spec.replicas = 5;
  fake.sets["db"] = ss;
  const auto w = fake.Get();

  auto a = MakePod("a", true);
  a.metadata.ownerReferences = {Ref("apps/v1", "ReplicaSet", "web-1", "rs-uid")};
  auto b = MakePod("b", true);
  b.metadata.ownerReferences = a.metadata.ownerReferences;
  auto c = MakePod("c", true);
  c.metadata.ownerReferences = {Ref("apps/v1", "ReplicaSet", "lone", "lone-uid")};
  auto e = MakePod("e", true);
  e.metadata.ownerReferences = {Ref("apps/v1", "StatefulSet", "db", "ss-uid")};
  auto loose = MakePod("loose", true);

  auto pdb = MakePdb();
  pdb.spec.maxUnavailable = api::IntOrString::FromString("50%");
  auto count = GetExpectedPodCount(pdb, {&a, &b, &c, &e}, w);
  ASSERT_TRUE(count.IsOk()) << count.status().ToString();
  EXPECT_EQ(count->expected, 4 + 3 + 5);
  EXPECT_EQ(count->desired_healthy, 12 - 6);

  // Unmanaged pods are reported, not an error.
  count = GetExpectedPodCount(pdb, {&a, &loose}, w);
  ASSERT_TRUE(count.IsOk());
  EXPECT_EQ(count->expected, 4);
  EXPECT_EQ(count->unmanaged, std::vector<std::string>{"loose"});

  // A controller nobody knows (or a stale uid) is an error.
  auto stale = MakePod("stale", true);
  stale.metadata.ownerReferences = {Ref("apps/v1", "ReplicaSet", "lone", "other-uid")};
  count = GetExpectedPodCount(pdb, {&stale}, w);
  ASSERT_FALSE(count.IsOk());
  EXPECT_EQ(count.status().Message(), "found no controllers for pod \"stale\"");

  // minAvailable int: expected = pods, no controller needed.
  pdb.spec.maxUnavailable.reset();
  pdb.spec.minAvailable = api::IntOrString::FromInt(2);
  count = GetExpectedPodCount(pdb, {&stale, &loose}, w);
  ASSERT_TRUE(count.IsOk());
  EXPECT_EQ(count->expected, 2);
  EXPECT_EQ(count->desired_healthy, 2);

  // minAvailable percent: of the scale, rounded up.
  pdb.spec.minAvailable = api::IntOrString::FromString("30%");
  count = GetExpectedPodCount(pdb, {&e}, w);
  ASSERT_TRUE(count.IsOk());
  EXPECT_EQ(count->expected, 5);
  EXPECT_EQ(count->desired_healthy, 2);
}

TEST(DisruptionLogicTest, DisruptedPodsExpire) {
  auto pdb = MakePdb();
  auto a = MakePod("a", true);
  auto b = MakePod("b", true);
  auto c = MakePod("c", true);
  auto gone = MakePod("gone", true);
  gone.metadata.deletionTimestamp = FormatRfc3339(kNow);
  pdb.status.disruptedPods = {
      {"a", FormatRfc3339(kNow - std::chrono::seconds(30))},    // pending
      {"b", FormatRfc3339(kNow - std::chrono::minutes(3))},     // expired
      {"gone", FormatRfc3339(kNow - std::chrono::seconds(5))},  // being deleted
      {"missing", FormatRfc3339(kNow)},                         // not covered
  };
  std::optional<Clock::WallTime> recheck;
  std::vector<const api::Pod*> expired;
  auto kept = BuildDisruptedPodMap(pdb, {&a, &b, &c, &gone}, kNow, &recheck, &expired);
  ASSERT_EQ(kept.size(), 1U);
  EXPECT_TRUE(kept.contains("a"));
  ASSERT_TRUE(recheck.has_value());
  EXPECT_EQ(*recheck, kNow - std::chrono::seconds(30) + kDeletionTimeout);
  ASSERT_EQ(expired.size(), 1U);
  EXPECT_EQ(expired[0]->metadata.name, "b");
  // a is pending, gone is being deleted: b and c are healthy.
  EXPECT_EQ(CountHealthyPods({&a, &b, &c, &gone}, kept, kNow), 2);
}

TEST(DisruptionLogicTest, StatusAndCondition) {
  auto pdb = MakePdb();
  auto next = NextStatus(pdb, 3, 2, 3, {}, kNow);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->disruptionsAllowed, 1);
  EXPECT_EQ(next->observedGeneration, 3);
  ASSERT_EQ(next->conditions.size(), 1U);
  EXPECT_EQ(next->conditions[0].type, kDisruptionAllowedCondition);
  EXPECT_EQ(next->conditions[0].status, "True");
  EXPECT_EQ(next->conditions[0].reason, kSufficientPodsReason);
  EXPECT_EQ(next->conditions[0].lastTransitionTime, FormatRfc3339(kNow));
  // Written: the same inputs need no write.
  pdb.status = *next;
  EXPECT_FALSE(NextStatus(pdb, 3, 2, 3, {}, kNow + std::chrono::seconds(5)).has_value());
  // One pod becomes unready: nothing allowed, InsufficientPods, transition time moves.
  const auto later = kNow + std::chrono::seconds(10);
  next = NextStatus(pdb, 2, 2, 3, {}, later);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->disruptionsAllowed, 0);
  EXPECT_EQ(next->conditions[0].status, "False");
  EXPECT_EQ(next->conditions[0].reason, kInsufficientPodsReason);
  EXPECT_EQ(next->conditions[0].lastTransitionTime, FormatRfc3339(later));
  // No expected pods: never allowed.
  EXPECT_EQ(NextStatus(pdb, 3, 0, 0, {}, kNow)->disruptionsAllowed, 0);
  // A new generation alone is a change.
  pdb.metadata.generation = 4;
  next = NextStatus(pdb, 3, 2, 3, {}, kNow);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->observedGeneration, 4);
  EXPECT_EQ(next->conditions[0].observedGeneration, 4);
}

TEST(DisruptionLogicTest, FailSafe) {
  auto pdb = MakePdb();
  pdb.status = *NextStatus(pdb, 3, 2, 3, {}, kNow);
  auto safe = FailSafeStatus(pdb, "found no controllers for pod \"x\"", kNow);
  EXPECT_EQ(safe.disruptionsAllowed, 0);
  EXPECT_EQ(safe.currentHealthy, 3);
  ASSERT_EQ(safe.conditions.size(), 1U);
  EXPECT_EQ(safe.conditions[0].status, "False");
  EXPECT_EQ(safe.conditions[0].reason, kSyncFailedReason);
  EXPECT_EQ(safe.conditions[0].message, "found no controllers for pod \"x\"");
}

TEST(DisruptionLogicTest, StaleDisruptionTarget) {
  using std::chrono::seconds;
  const Clock::Duration timeout = std::chrono::minutes(2);
  auto pod = MakePod("a", true);
  EXPECT_FALSE(StaleDisruptionWait(pod, kNow, timeout).has_value());
  api::PodCondition target;
  target.type = kDisruptionTargetCondition;
  target.status = "True";
  target.reason = "EvictionByEvictionAPI";
  target.lastTransitionTime = FormatRfc3339(kNow - seconds(30));
  pod.status.conditions.push_back(target);
  auto wait = StaleDisruptionWait(pod, kNow, timeout);
  ASSERT_TRUE(wait.has_value());
  EXPECT_EQ(*wait, std::chrono::duration_cast<Clock::Duration>(seconds(90)));
  EXPECT_EQ(StaleDisruptionWait(pod, kNow + seconds(200), timeout), Clock::Duration::zero());
  // Not stale: being deleted, terminal, or the kubelet's own reason.
  auto deleting = pod;
  deleting.metadata.deletionTimestamp = FormatRfc3339(kNow);
  EXPECT_FALSE(StaleDisruptionWait(deleting, kNow, timeout).has_value());
  auto failed = pod;
  failed.status.phase = "Failed";
  EXPECT_FALSE(StaleDisruptionWait(failed, kNow, timeout).has_value());
  auto kubelet = pod;
  kubelet.status.conditions.back().reason = kTerminationByKubeletReason;
  EXPECT_FALSE(StaleDisruptionWait(kubelet, kNow, timeout).has_value());

  pod.metadata.resourceVersion = "42";
  EXPECT_EQ(ResetDisruptionTargetApply(pod, kNow),
            R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"a","namespace":"ns",)"
            R"("resourceVersion":"42"},"status":{"conditions":[{"type":"DisruptionTarget",)"
            R"("status":"False","lastTransitionTime":")" +
                FormatRfc3339(kNow) + R"("}]}})");
}

}  // namespace
}  // namespace kubepp::controller::disruption
