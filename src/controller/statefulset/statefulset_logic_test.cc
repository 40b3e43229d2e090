#include "controller/statefulset/statefulset_logic.h"

#include <gtest/gtest.h>

namespace kubepp::controller::statefulset {
namespace {

constexpr char kCur[] = "web-cur";
constexpr char kUpd[] = "web-upd";

api::StatefulSet MakeSet(int32_t replicas) {
  api::StatefulSet set;
  set.metadata.name = "web";
  set.metadata.namespace_ = "default";
  set.metadata.uid = "set-uid";
  set.metadata.generation = 3;
  set.spec.replicas = replicas;
  set.spec.serviceName = "nginx";
  set.spec.selector.matchLabels = {{"app", "web"}};
  set.spec.template_.metadata.labels = {{"app", "web"}};
  set.spec.template_.spec.containers.resize(1);
  set.spec.template_.spec.containers[0].name = "c";
  set.spec.template_.spec.containers[0].image = "nginx:1";
  set.spec.podManagementPolicy = kOrderedReady;
  set.spec.updateStrategy.emplace();
  set.spec.updateStrategy->type = kRollingUpdate;
  set.spec.updateStrategy->rollingUpdate.emplace();
  set.spec.updateStrategy->rollingUpdate->partition = 0;
  return set;
}

// A pod of the set at `revision` in `phase`, ready or not.
api::Pod MakePod(const api::StatefulSet& set, int ordinal, const std::string& phase, bool ready,
                 const std::string& revision = kUpd) {
  api::Pod pod = NewStatefulSetPod(set, ordinal);
  pod.metadata.uid = "pod-uid-" + std::to_string(ordinal);
  pod.metadata.labels[kControllerRevisionHashLabel] = revision;
  pod.status.phase = phase;
  if (ready) {
    api::PodCondition c;
    c.type = "Ready";
    c.status = "True";
    c.lastTransitionTime = "2024-01-01T00:00:00Z";
    pod.status.conditions.push_back(c);
  }
  return pod;
}

Plan DoPlan(const api::StatefulSet& set, const std::vector<api::Pod>& pods,
            const api::StatefulSet* update_set = nullptr,
            std::map<std::string, api::PersistentVolumeClaim> claims = {}) {
  std::vector<const api::Pod*> raw;
  for (const auto& p : pods) raw.push_back(&p);
  auto lookup =
      [claims](const std::string& name) -> std::shared_ptr<const api::PersistentVolumeClaim> {
    auto it = claims.find(name);
    if (it == claims.end()) return nullptr;
    return std::make_shared<api::PersistentVolumeClaim>(it->second);
  };
  return PlanStatefulSet(set, set, update_set != nullptr ? *update_set : set, kCur, kUpd, 0, raw,
                         lookup, Clock::WallTime{} + std::chrono::hours(24 * 365 * 60));
}

std::vector<std::string> Describe(const Plan& plan) {
  std::vector<std::string> out;
  for (const auto& a : plan.actions) {
    std::string verb;
    switch (a.type) {
      case ActionType::kCreatePod:
        verb = "create";
        break;
      case ActionType::kDeletePod:
        verb = "delete";
        break;
      case ActionType::kUpdatePod:
        verb = "update";
        break;
      case ActionType::kCreateMissingClaims:
        verb = "claims";
        break;
      case ActionType::kUpdateClaims:
        verb = "claim-owners";
        break;
    }
    out.push_back(verb + " " + a.pod.metadata.name);
  }
  return out;
}

using Names = std::vector<std::string>;

TEST(StatefulSetLogicTest, OrdinalsAndIdentity) {
  auto set = MakeSet(3);
  api::Pod pod;
  pod.metadata.name = "web-12";
  EXPECT_EQ(ParentNameAndOrdinal(pod), (std::pair<std::string, int>{"web", 12}));
  pod.metadata.name = "my-web-x";
  EXPECT_EQ(Ordinal(pod), -1);
  pod.metadata.name = "web";
  EXPECT_EQ(Ordinal(pod), -1);
  EXPECT_EQ(StartOrdinal(set), 0);
  EXPECT_EQ(EndOrdinal(set), 2);
  set.spec.ordinals.emplace();
  set.spec.ordinals->start = 5;
  EXPECT_EQ(EndOrdinal(set), 7);

  api::Pod p = NewStatefulSetPod(set, 5);
  EXPECT_EQ(p.metadata.name, "web-5");
  EXPECT_EQ(p.metadata.namespace_, "default");
  EXPECT_EQ(p.metadata.labels.at(kStatefulSetPodNameLabel), "web-5");
  EXPECT_EQ(p.metadata.labels.at(kPodIndexLabel), "5");
  EXPECT_EQ(p.metadata.labels.at("app"), "web");
  EXPECT_EQ(p.spec.hostname, "web-5");
  EXPECT_EQ(p.spec.subdomain, "nginx");
  ASSERT_EQ(p.metadata.ownerReferences.size(), 1U);
  EXPECT_EQ(p.metadata.ownerReferences[0].kind, "StatefulSet");
  EXPECT_TRUE(p.metadata.ownerReferences[0].controller.value_or(false));
  EXPECT_TRUE(IdentityMatches(set, p));
  EXPECT_TRUE(PodInOrdinalRange(p, set));
  EXPECT_TRUE(IsMemberOf(set, p));
  p.metadata.labels.erase(kStatefulSetPodNameLabel);
  EXPECT_FALSE(IdentityMatches(set, p));
  UpdateIdentity(set, p);
  EXPECT_TRUE(IdentityMatches(set, p));
}

TEST(StatefulSetLogicTest, Storage) {
  auto set = MakeSet(1);
  api::PersistentVolumeClaim tmpl;
  tmpl.metadata.name = "data";
  tmpl.metadata.labels = {{"tier", "db"}};
  set.spec.volumeClaimTemplates.push_back(tmpl);
  api::Pod pod = NewStatefulSetPod(set, 0);
  auto claims = PersistentVolumeClaims(set, pod);
  ASSERT_EQ(claims.size(), 1U);
  const auto& claim = claims.at("data");
  EXPECT_EQ(claim.metadata.name, "data-web-0");
  EXPECT_EQ(claim.metadata.namespace_, "default");
  EXPECT_EQ(claim.metadata.labels.at("app"), "web");
  EXPECT_EQ(claim.metadata.labels.at("tier"), "db");
  ASSERT_EQ(pod.spec.volumes.size(), 1U);
  EXPECT_EQ(pod.spec.volumes[0].name, "data");
  EXPECT_EQ(pod.spec.volumes[0].persistentVolumeClaim->claimName, "data-web-0");
  EXPECT_TRUE(StorageMatches(set, pod));
  pod.spec.volumes[0].persistentVolumeClaim->claimName = "other";
  EXPECT_FALSE(StorageMatches(set, pod));
  api::Volume extra;
  extra.name = "cache";
  pod.spec.volumes.push_back(extra);
  UpdateStorage(set, pod);
  EXPECT_TRUE(StorageMatches(set, pod));
  EXPECT_EQ(pod.spec.volumes.size(), 2U);
}

TEST(StatefulSetLogicTest, RetentionPolicyOwners) {
  auto set = MakeSet(1);
  api::Pod in_range = MakePod(set, 0, "Running", true);
  api::Pod scaled = MakePod(set, 3, "Running", true);
  api::PersistentVolumeClaim claim;
  claim.metadata.name = "data-web-0";
  // Retain/Retain (default): no owners.
  EXPECT_TRUE(ClaimOwnerMatchesSetAndPod(claim, set, in_range));
  // whenDeleted=Delete: the set owns the claim.
  set.spec.persistentVolumeClaimRetentionPolicy.emplace();
  set.spec.persistentVolumeClaimRetentionPolicy->whenDeleted = kDelete;
  EXPECT_FALSE(ClaimOwnerMatchesSetAndPod(claim, set, in_range));
  EXPECT_TRUE(UpdateClaimOwnerRefForSetAndPod(claim, set, in_range));
  ASSERT_EQ(claim.metadata.ownerReferences.size(), 1U);
  EXPECT_EQ(claim.metadata.ownerReferences[0].uid, "set-uid");
  EXPECT_EQ(claim.metadata.ownerReferences[0].kind, "StatefulSet");
  EXPECT_TRUE(ClaimOwnerMatchesSetAndPod(claim, set, in_range));
  EXPECT_FALSE(UpdateClaimOwnerRefForSetAndPod(claim, set, in_range));
  // whenScaled=Delete too: a scaled-down pod's claim belongs to the pod only.
  set.spec.persistentVolumeClaimRetentionPolicy->whenScaled = kDelete;
  EXPECT_FALSE(ClaimOwnerMatchesSetAndPod(claim, set, scaled));
  EXPECT_TRUE(UpdateClaimOwnerRefForSetAndPod(claim, set, scaled));
  ASSERT_EQ(claim.metadata.ownerReferences.size(), 1U);
  EXPECT_EQ(claim.metadata.ownerReferences[0].uid, "pod-uid-3");
  EXPECT_EQ(claim.metadata.ownerReferences[0].kind, "Pod");
  // Back to Retain/Retain: every reference goes.
  set.spec.persistentVolumeClaimRetentionPolicy->whenScaled = kRetain;
  set.spec.persistentVolumeClaimRetentionPolicy->whenDeleted = kRetain;
  EXPECT_TRUE(UpdateClaimOwnerRefForSetAndPod(claim, set, scaled));
  EXPECT_TRUE(claim.metadata.ownerReferences.empty());
  // A claim naming an earlier pod of the same name is stale.
  claim.metadata.ownerReferences.push_back({});
  claim.metadata.ownerReferences[0].kind = "Pod";
  claim.metadata.ownerReferences[0].name = "web-0";
  claim.metadata.ownerReferences[0].uid = "old";
  EXPECT_TRUE(HasStaleOwnerRef(claim, in_range));
}

TEST(StatefulSetLogicTest, RevisionDataRoundTrips) {
  auto set = MakeSet(1);
  auto data = RevisionData(set);
  EXPECT_EQ(data.at("spec").at("template").at("$patch").as_string(), "replace");
  auto other = MakeSet(1);
  other.spec.template_.spec.containers[0].image = "nginx:2";
  auto applied = ApplyRevision(other, data);
  ASSERT_TRUE(applied.IsOk()) << applied.status().ToString();
  EXPECT_EQ(applied->spec.template_, set.spec.template_);
  EXPECT_FALSE(ApplyRevision(other, boost::json::object()).IsOk());
}

TEST(StatefulSetLogicTest, OrderedReadyCreatesOneAtATime) {
  auto set = MakeSet(3);
  auto plan = DoPlan(set, {});
  EXPECT_EQ(Describe(plan), (Names{"create web-0"}));
  EXPECT_EQ(plan.actions[0].pod.metadata.labels.at(kControllerRevisionHashLabel), kUpd);
  // web-0 created but not ready: wait.
  plan = DoPlan(set, {MakePod(set, 0, "Pending", false)});
  EXPECT_EQ(Describe(plan), (Names{"claims web-0"}));  // a pending pod's claims, then wait
  EXPECT_TRUE(plan.waiting);
  plan = DoPlan(set, {MakePod(set, 0, "Running", false)});
  EXPECT_EQ(Describe(plan), (Names{}));
  // Ready: the next one.
  plan = DoPlan(set, {MakePod(set, 0, "Running", true)});
  EXPECT_EQ(Describe(plan), (Names{"create web-1"}));
  EXPECT_EQ(plan.status.replicas, 1);
  EXPECT_EQ(plan.status.readyReplicas, 1);
  EXPECT_EQ(plan.status.updatedReplicas, 1);
  EXPECT_EQ(plan.status.observedGeneration, 3);
  EXPECT_EQ(plan.status.updateRevision, kUpd);
}

TEST(StatefulSetLogicTest, ParallelCreatesAll) {
  auto set = MakeSet(3);
  set.spec.podManagementPolicy = kParallel;
  auto plan = DoPlan(set, {MakePod(set, 1, "Pending", false)});
  EXPECT_EQ(Describe(plan), (Names{"create web-0", "claims web-1", "create web-2"}));
}

TEST(StatefulSetLogicTest, FailedPodIsDeleted) {
  auto set = MakeSet(2);
  auto plan = DoPlan(set, {MakePod(set, 0, "Failed", false), MakePod(set, 1, "Running", true)});
  EXPECT_EQ(Describe(plan), (Names{"delete web-0"}));
}

TEST(StatefulSetLogicTest, ScaleDownFromHighestOrdinal) {
  auto set = MakeSet(1);
  std::vector<api::Pod> pods = {MakePod(set, 0, "Running", true), MakePod(set, 1, "Running", true),
                                MakePod(set, 2, "Running", true)};
  EXPECT_EQ(Describe(DoPlan(set, pods)), (Names{"delete web-2"}));
  // web-2 terminating: wait for it.
  pods[2].metadata.deletionTimestamp = "2024-01-01T00:00:00Z";
  auto plan = DoPlan(set, pods);
  EXPECT_EQ(Describe(plan), (Names{}));
  EXPECT_TRUE(plan.waiting);
  pods.pop_back();
  EXPECT_EQ(Describe(DoPlan(set, pods)), (Names{"delete web-1"}));
  // Parallel deletes every condemned pod at once.
  set.spec.podManagementPolicy = kParallel;
  pods.push_back(MakePod(set, 2, "Running", true));
  EXPECT_EQ(Describe(DoPlan(set, pods)), (Names{"delete web-2", "delete web-1"}));
}

TEST(StatefulSetLogicTest, RollingUpdateWithPartition) {
  auto set = MakeSet(3);
  set.spec.updateStrategy->rollingUpdate->partition = 1;
  std::vector<api::Pod> pods = {MakePod(set, 0, "Running", true, kCur),
                                MakePod(set, 1, "Running", true, kCur),
                                MakePod(set, 2, "Running", true, kCur)};
  auto plan = DoPlan(set, pods);
  EXPECT_EQ(Describe(plan), (Names{"delete web-2"}));
  // Three at the current revision, one of them now going.
  EXPECT_EQ(plan.status.currentReplicas, 2);
}

TEST(StatefulSetLogicTest, RollingUpdateOrderAndOnDelete) {
  auto set = MakeSet(3);
  set.spec.updateStrategy->rollingUpdate->partition = 1;
  std::vector<api::Pod> pods = {MakePod(set, 0, "Running", true, kCur),
                                MakePod(set, 1, "Running", true, kCur),
                                MakePod(set, 2, "Running", true, kUpd)};
  // web-2 updated and healthy: web-1 next; web-0 is below the partition.
  EXPECT_EQ(Describe(DoPlan(set, pods)), (Names{"delete web-1"}));
  pods[1] = MakePod(set, 1, "Running", true, kUpd);
  EXPECT_EQ(Describe(DoPlan(set, pods)), (Names{}));
  // Partition 0: web-0 too; but not while web-2 is unhealthy.
  set.spec.updateStrategy->rollingUpdate->partition = 0;
  pods[2] = MakePod(set, 2, "Running", false, kUpd);
  auto plan = DoPlan(set, pods);
  EXPECT_EQ(Describe(plan), (Names{}));
  set.spec.podManagementPolicy = kParallel;  // readiness no longer blocks creation, still update
  EXPECT_EQ(Describe(DoPlan(set, pods)), (Names{}));
  pods[2] = MakePod(set, 2, "Running", true, kUpd);
  EXPECT_EQ(Describe(DoPlan(set, pods)), (Names{"delete web-0"}));
  set.spec.updateStrategy->type = kOnDelete;
  EXPECT_EQ(Describe(DoPlan(set, pods)), (Names{}));
}

TEST(StatefulSetLogicTest, StatusAndCompletion) {
  auto set = MakeSet(2);
  std::vector<api::Pod> pods = {MakePod(set, 0, "Running", true, kUpd),
                                MakePod(set, 1, "Running", true, kUpd)};
  auto plan = DoPlan(set, pods);
  EXPECT_EQ(plan.status.replicas, 2);
  EXPECT_EQ(plan.status.readyReplicas, 2);
  EXPECT_EQ(plan.status.availableReplicas, 2);
  EXPECT_EQ(plan.status.updatedReplicas, 2);
  EXPECT_EQ(plan.status.currentReplicas, 0);
  EXPECT_EQ(plan.status.currentRevision, kCur);
  CompleteRollingUpdate(set, plan.status);
  EXPECT_EQ(plan.status.currentRevision, kUpd);
  EXPECT_EQ(plan.status.currentReplicas, 2);
  EXPECT_TRUE(InconsistentStatus(set, plan.status));
  set.status = plan.status;
  EXPECT_FALSE(InconsistentStatus(set, plan.status));
}

TEST(StatefulSetLogicTest, RevisionsToTruncate) {
  auto set = MakeSet(1);
  set.spec.revisionHistoryLimit = 1;
  api::Pod pod = MakePod(set, 0, "Running", true, "r2");
  std::vector<const api::Pod*> pods = {&pod};
  EXPECT_EQ(RevisionsToTruncate(set, {"r0", "r1", "r2", "r3", "r4"}, pods, "r3", "r4"),
            (Names{"r0"}));
  set.spec.revisionHistoryLimit = 0;
  EXPECT_EQ(RevisionsToTruncate(set, {"r0", "r1", "r2", "r3", "r4"}, pods, "r3", "r4"),
            (Names{"r0", "r1"}));
}

}  // namespace
}  // namespace kubepp::controller::statefulset
