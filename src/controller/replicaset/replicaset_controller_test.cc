// The ReplicaSet controller against a real in-process API server: creation of owned pods,
// scale down, status from pod readiness, adoption of orphans, release of pods whose labels
// changed, replacement of deleted pods, events. There is no kubelet: pods stay Pending unless
// the test writes their status.
#include "controller/replicaset/replicaset_controller.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "api/types.h"
#include "client/informer.h"
#include "client/testing/api_server_fixture.h"
#include "client/typed.h"
#include "controller/replicaset/replicaset_logic.h"

namespace kubepp::controller {
namespace {

using client::TypedClient;

constexpr char kNs[] = "default";

class ReplicaSetControllerTest : public client::testing::ApiServerFixture {
 protected:
  void SetUp() override {
    ApiServerFixture::SetUp();
    client::InformerOptions opts;
    opts.backoff.initial = std::chrono::milliseconds(50);
    opts.backoff.max = std::chrono::milliseconds(500);
    informers_ = std::make_unique<client::SharedInformerFactory>(*client_, runtime_.Executor(),
                                                                 opts, Clock::Real());
    ControllerContext ctx;
    ctx.client = client_.get();
    ctx.informers = informers_.get();
    ctx.executor = runtime_.Executor();
    ctx.clock = &Clock::Real();
    controller_ = NewReplicaSetController(ctx);
    informers_->Start();
    ASSERT_TRUE(informers_->WaitForCacheSync(std::chrono::seconds(20)));
    controller_->Start();
  }
  void TearDown() override {
    if (controller_) controller_->Stop();
    controller_.reset();
    if (informers_) informers_->Stop();
    informers_.reset();
    ApiServerFixture::TearDown();
  }

  static api::PodSpec Spec() {
    api::PodSpec spec;
    spec.containers.resize(1);
    spec.containers[0].name = "c";
    spec.containers[0].image = "registry.k8s.io/pause:3.9";
    return spec;
  }

  api::ReplicaSet CreateRs(const std::string& name, const std::string& app, int32_t replicas) {
    api::ReplicaSet rs;
    rs.metadata.name = name;
    rs.spec.replicas = replicas;
    rs.spec.selector.matchLabels = {{"app", app}};
    rs.spec.template_.metadata.labels = {{"app", app}};
    rs.spec.template_.metadata.annotations = {{"note", "from-template"}};
    rs.spec.template_.spec = Spec();
    TypedClient<api::ReplicaSet> rss(*client_, kNs);
    auto r = Run(rss.Create(rs));
    EXPECT_TRUE(r.IsOk()) << r.status().ToString();
    if (!r.IsOk()) return rs;
    return *r;
  }

  std::optional<api::ReplicaSet> GetRs(const std::string& name) {
    TypedClient<api::ReplicaSet> rss(*client_, kNs);
    auto r = Run(rss.Get(name));
    if (!r.IsOk()) return std::nullopt;
    return *r;
  }

  // Sets spec.replicas (retrying conflicts with the controller's status writes).
  void Scale(const std::string& name, int32_t replicas) {
    TypedClient<api::ReplicaSet> rss(*client_, kNs);
    for (int i = 0; i < 20; ++i) {
      auto rs = GetRs(name);
      ASSERT_TRUE(rs);
      rs->spec.replicas = replicas;
      auto r = Run(rss.Update(*rs));
      if (r.IsOk()) return;
      ASSERT_TRUE(r.status().IsConflict()) << r.status().ToString();
    }
    FAIL() << "could not scale " << name;
  }

  std::vector<api::Pod> Pods(const std::string& selector) {
    TypedClient<api::Pod> pods(*client_, kNs);
    client::ListOptions opts;
    opts.label_selector = selector;
    auto r = Run(pods.List(opts));
    EXPECT_TRUE(r.IsOk()) << r.status().ToString();
    if (!r.IsOk()) return {};
    return r->items;
  }

  // Pods controlled by the ReplicaSet with `uid`.
  std::vector<api::Pod> Owned(const std::string& uid) {
    std::vector<api::Pod> out;
    for (auto& p : Pods("")) {
      const auto* ref = replicaset::GetControllerOf(p.metadata);
      if (ref != nullptr && ref->uid == uid) out.push_back(std::move(p));
    }
    return out;
  }

  // Writes the Ready condition, as a kubelet would (status subresource).
  void MarkReady(const std::string& name) {
    TypedClient<api::Pod> pods(*client_, kNs);
    for (int i = 0; i < 20; ++i) {
      auto pod = Run(pods.Get(name));
      ASSERT_TRUE(pod.IsOk()) << pod.status().ToString();
      pod->status.phase = "Running";
      api::PodCondition ready;
      ready.type = "Ready";
      ready.status = "True";
      ready.lastTransitionTime = FormatRfc3339(Clock::Real().WallNow());
      pod->status.conditions = {ready};
      auto r = Run(pods.UpdateStatus(*pod));
      if (r.IsOk()) return;
      ASSERT_TRUE(r.status().IsConflict()) << r.status().ToString();
    }
    FAIL() << "could not mark " << name << " ready";
  }

  std::multiset<std::string> EventReasons() {
    TypedClient<api::Event> events(*client_, kNs);
    client::ListOptions opts;
    auto r = Run(events.List(opts));
    std::multiset<std::string> out;
    if (!r.IsOk()) return out;
    for (const auto& e : r->items) out.insert(e.reason);
    return out;
  }

  std::unique_ptr<client::SharedInformerFactory> informers_;  // shared informers
  std::unique_ptr<Controller> controller_;                    // under test
};

TEST_F(ReplicaSetControllerTest, CreatesScalesReportsAndReplaces) {
  auto rs = CreateRs("web", "web", 3);
  const std::string uid = rs.metadata.uid;
  ASSERT_FALSE(uid.empty());

  // Three owned pods from the template.
  ASSERT_TRUE(Eventually([&] { return Owned(uid).size() == 3; }));
  for (const auto& p : Owned(uid)) {
    EXPECT_EQ(p.metadata.generateName, "web-");
    EXPECT_EQ(p.metadata.name.rfind("web-", 0), 0U);
    EXPECT_EQ(p.metadata.labels.at("app"), "web");
    EXPECT_EQ(p.metadata.annotations.at("note"), "from-template");
    ASSERT_EQ(p.metadata.ownerReferences.size(), 1U);
    const auto& ref = p.metadata.ownerReferences[0];
    EXPECT_EQ(ref.apiVersion, "apps/v1");
    EXPECT_EQ(ref.kind, "ReplicaSet");
    EXPECT_EQ(ref.name, "web");
    EXPECT_EQ(ref.blockOwnerDeletion, true);
  }
  ASSERT_TRUE(Eventually([&] {
    auto cur = GetRs("web");
    return cur && cur->status.replicas == 3 && cur->status.fullyLabeledReplicas == 3 &&
           cur->status.readyReplicas.value_or(0) == 0 &&
           cur->status.observedGeneration == cur->metadata.generation;
  }));

  // Scale to 1: two deleted (unbound pods go at once).
  Scale("web", 1);
  ASSERT_TRUE(Eventually([&] { return Owned(uid).size() == 1; }));
  ASSERT_TRUE(Eventually([&] {
    auto cur = GetRs("web");
    return cur && cur->status.replicas == 1 &&
           cur->status.observedGeneration == cur->metadata.generation;
  }));

  // Ready as a kubelet would report it: ready and (minReadySeconds 0) available.
  const std::string survivor = Owned(uid).at(0).metadata.name;
  MarkReady(survivor);
  ASSERT_TRUE(Eventually([&] {
    auto cur = GetRs("web");
    return cur && cur->status.readyReplicas.value_or(0) == 1 &&
           cur->status.availableReplicas.value_or(0) == 1;
  }));

  // A deleted pod is replaced.
  TypedClient<api::Pod> pods(*client_, kNs);
  ASSERT_TRUE(Run(pods.Delete(survivor)).IsOk());
  ASSERT_TRUE(Eventually([&] {
    auto owned = Owned(uid);
    return owned.size() == 1 && owned[0].metadata.name != survivor;
  }));
  ASSERT_TRUE(Eventually([&] {
    auto cur = GetRs("web");
    return cur && cur->status.replicas == 1 && cur->status.readyReplicas.value_or(0) == 0;
  }));

  // Events: 3 + 1 creations, 2 deletions.
  ASSERT_TRUE(Eventually([&] {
    auto reasons = EventReasons();
    return reasons.count("SuccessfulCreate") >= 1 && reasons.count("SuccessfulDelete") >= 1;
  }));
}

TEST_F(ReplicaSetControllerTest, AdoptsOrphansAndReleasesChangedPods) {
  // An orphan that matches the selector, there before the ReplicaSet.
  TypedClient<api::Pod> pods(*client_, kNs);
  const std::string orphan_name = "orphan";
  api::Pod orphan;
  orphan.metadata.name = "orphan";
  orphan.metadata.labels = {{"app", "adopt"}};
  orphan.spec = Spec();
  ASSERT_TRUE(Run(pods.Create(orphan)).IsOk());

  auto rs = CreateRs("adopter", "adopt", 1);
  const std::string uid = rs.metadata.uid;
  ASSERT_TRUE(Eventually([&] {
    auto owned = Owned(uid);
    return owned.size() == 1 && owned[0].metadata.name == "orphan";
  }));
  auto adopted = Run(pods.Get(orphan_name));
  ASSERT_TRUE(adopted.IsOk());
  ASSERT_EQ(adopted->metadata.ownerReferences.size(), 1U);
  EXPECT_EQ(adopted->metadata.ownerReferences[0].controller, true);
  EXPECT_EQ(adopted->metadata.ownerReferences[0].blockOwnerDeletion, true);
  EXPECT_EQ(adopted->metadata.ownerReferences[0].name, "adopter");
  ASSERT_TRUE(Eventually([&] {
    auto cur = GetRs("adopter");
    return cur && cur->status.replicas == 1;
  }));
  // No pod was created for it.
  EXPECT_EQ(Pods("app=adopt").size(), 1U);

  // Its labels change: released (our reference removed) and replaced.
  for (int i = 0; i < 20; ++i) {
    auto cur = Run(pods.Get(orphan_name));
    ASSERT_TRUE(cur.IsOk());
    cur->metadata.labels = {{"app", "other"}};
    auto r = Run(pods.Update(*cur));
    if (r.IsOk()) break;
    ASSERT_TRUE(r.status().IsConflict()) << r.status().ToString();
  }
  ASSERT_TRUE(Eventually([&] {
    auto cur = Run(pods.Get(orphan_name));
    return cur.IsOk() && cur->metadata.ownerReferences.empty();
  }));
  ASSERT_TRUE(Eventually([&] {
    auto owned = Owned(uid);
    return owned.size() == 1 && owned[0].metadata.name != "orphan" &&
           owned[0].metadata.labels.at("app") == "adopt";
  }));
  // The released pod stays (nobody deletes it).
  EXPECT_TRUE(Run(pods.Get(orphan_name)).IsOk());
}

TEST_F(ReplicaSetControllerTest, AvailableAfterMinReadySeconds) {
  api::ReplicaSet rs;
  rs.metadata.name = "slow";
  rs.spec.replicas = 1;
  rs.spec.minReadySeconds = 1;
  rs.spec.selector.matchLabels = {{"app", "slow"}};
  rs.spec.template_.metadata.labels = {{"app", "slow"}};
  rs.spec.template_.spec = Spec();
  TypedClient<api::ReplicaSet> rss(*client_, kNs);
  auto created = Run(rss.Create(rs));
  ASSERT_TRUE(created.IsOk()) << created.status().ToString();
  const std::string uid = created->metadata.uid;
  ASSERT_TRUE(Eventually([&] { return Owned(uid).size() == 1; }));
  MarkReady(Owned(uid).at(0).metadata.name);
  ASSERT_TRUE(Eventually([&] {
    auto cur = GetRs("slow");
    return cur && cur->status.readyReplicas.value_or(0) == 1;
  }));
  // Nothing else happens to the pod: only the requeue after minReadySeconds makes it available.
  ASSERT_TRUE(Eventually([&] {
    auto cur = GetRs("slow");
    return cur && cur->status.availableReplicas.value_or(0) == 1;
  }));
}

TEST_F(ReplicaSetControllerTest, DoesNotAdoptWhileBeingDeleted) {
  auto rs = CreateRs("doomed", "doomed", 1);
  const std::string uid = rs.metadata.uid;
  ASSERT_TRUE(Eventually([&] { return Owned(uid).size() == 1; }));
  const std::string owned = Owned(uid).at(0).metadata.name;

  // Foreground deletion: the finalizer keeps it (no garbage collector runs here).
  TypedClient<api::ReplicaSet> rss(*client_, kNs);
  client::DeleteOptions del;
  del.propagation_policy = "Foreground";
  std::string name = "doomed";
  ASSERT_TRUE(Run(rss.Delete(name, del)).IsOk());
  ASSERT_TRUE(Eventually([&] {
    auto cur = GetRs("doomed");
    return cur && !cur->metadata.deletionTimestamp.empty();
  }));

  TypedClient<api::Pod> pods(*client_, kNs);
  const std::string orphan_name = "doomed-orphan";
  api::Pod orphan;
  orphan.metadata.name = orphan_name;
  orphan.metadata.labels = {{"app", "doomed"}};
  orphan.spec = Spec();
  ASSERT_TRUE(Run(pods.Create(orphan)).IsOk());
  // A later event on the owned pod forces a sync that has seen the orphan.
  MarkReady(owned);
  ASSERT_TRUE(Eventually([&] {
    auto cur = GetRs("doomed");
    return cur && cur->status.readyReplicas.value_or(0) == 1;
  }));
  auto after = Run(pods.Get(orphan_name));
  ASSERT_TRUE(after.IsOk());
  EXPECT_TRUE(after->metadata.ownerReferences.empty());
  EXPECT_EQ(GetRs("doomed")->status.replicas, 1);
}

TEST_F(ReplicaSetControllerTest, ScalesUpInBatchesAndDownToZero) {
  auto rs = CreateRs("many", "many", 20);
  const std::string uid = rs.metadata.uid;
  ASSERT_TRUE(Eventually([&] { return Owned(uid).size() == 20; }));
  ASSERT_TRUE(Eventually([&] {
    auto cur = GetRs("many");
    return cur && cur->status.replicas == 20;
  }));
  std::set<std::string> names;
  for (const auto& p : Owned(uid)) names.insert(p.metadata.name);
  EXPECT_EQ(names.size(), 20U);
  Scale("many", 0);
  ASSERT_TRUE(Eventually([&] { return Owned(uid).empty(); }));
  ASSERT_TRUE(Eventually([&] {
    auto cur = GetRs("many");
    return cur && cur->status.replicas == 0 &&
           cur->status.observedGeneration == cur->metadata.generation;
  }));
}

TEST_F(ReplicaSetControllerTest, FailedCreationSetsReplicaFailure) {
  // An image with surrounding spaces passes template validation but not pod validation, so
  // every creation fails.
  api::ReplicaSet rs;
  rs.metadata.name = "broken";
  rs.spec.replicas = 2;
  rs.spec.selector.matchLabels = {{"app", "broken"}};
  rs.spec.template_.metadata.labels = {{"app", "broken"}};
  rs.spec.template_.spec = Spec();
  rs.spec.template_.spec.containers[0].image = " pause ";
  TypedClient<api::ReplicaSet> rss(*client_, kNs);
  auto created = Run(rss.Create(rs));
  if (!created.IsOk()) GTEST_SKIP() << "template rejected: " << created.status().ToString();
  ASSERT_TRUE(Eventually([&] {
    auto cur = GetRs("broken");
    if (!cur) return false;
    for (const auto& c : cur->status.conditions) {
      if (c.type == "ReplicaFailure" && c.status == "True" && c.reason == "FailedCreate") {
        return true;
      }
    }
    return false;
  }));
  EXPECT_TRUE(Owned(created->metadata.uid).empty());
  ASSERT_TRUE(Eventually([&] { return EventReasons().count("FailedCreate") >= 1; }));

  // Fixed template: pods come, the condition goes.
  for (int i = 0; i < 20; ++i) {
    auto cur = GetRs("broken");
    ASSERT_TRUE(cur);
    cur->spec.template_.spec.containers[0].image = "pause";
    auto r = Run(rss.Update(*cur));
    if (r.IsOk()) break;
    ASSERT_TRUE(r.status().IsConflict()) << r.status().ToString();
  }
  ASSERT_TRUE(Eventually([&] {
    auto cur = GetRs("broken");
    return cur && cur->status.replicas == 2 && cur->status.conditions.empty();
  }));
}

}  // namespace
}  // namespace kubepp::controller
