// The Deployment controller with the ReplicaSet controller against a real in-process API
// server. There is no kubelet: the test marks pods Ready through the status subresource.
#include "controller/deployment/deployment_controller.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "api/types.h"
#include "client/informer.h"
#include "client/testing/api_server_fixture.h"
#include "client/typed.h"
#include "controller/deployment/deployment_util.h"
#include "controller/replicaset/replicaset_controller.h"
#include "controller/replicaset/replicaset_logic.h"

namespace kubepp::controller {
namespace {

using client::TypedClient;
namespace du = deployment;

constexpr char kNs[] = "default";

class DeploymentControllerTest : public client::testing::ApiServerFixture {
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
    rs_controller_ = NewReplicaSetController(ctx);
    controller_ = NewDeploymentController(ctx);
    informers_->Start();
    ASSERT_TRUE(informers_->WaitForCacheSync(std::chrono::seconds(20)));
    rs_controller_->Start();
    controller_->Start();
  }
  void TearDown() override {
    if (controller_) controller_->Stop();
    if (rs_controller_) rs_controller_->Stop();
    controller_.reset();
    rs_controller_.reset();
    if (informers_) informers_->Stop();
    informers_.reset();
    ApiServerFixture::TearDown();
  }

  api::Deployment CreateDeployment(const std::string& name, int32_t replicas,
                                   const std::string& strategy = "RollingUpdate") {
    api::Deployment d;
    d.metadata.name = name;
    d.spec.replicas = replicas;
    d.spec.selector.matchLabels = {{"app", name}};
    d.spec.template_.metadata.labels = {{"app", name}};
    d.spec.template_.spec.containers.resize(1);
    d.spec.template_.spec.containers[0].name = "c";
    d.spec.template_.spec.containers[0].image = "nginx:1";
    d.spec.strategy = api::DeploymentStrategy{};
    d.spec.strategy->type = strategy;
    TypedClient<api::Deployment> ds(*client_, kNs);
    auto r = Run(ds.Create(d));
    EXPECT_TRUE(r.IsOk()) << r.status().ToString();
    if (!r.IsOk()) return d;
    return *r;
  }

  std::optional<api::Deployment> GetDeployment(const std::string& name) {
    TypedClient<api::Deployment> ds(*client_, kNs);
    auto r = Run(ds.Get(name));
    if (!r.IsOk()) return std::nullopt;
    return *r;
  }

  // Changes the Deployment's spec (retrying conflicts with the controller's writes).
  template <typename F>
  void Mutate(const std::string& name, F fn) {
    TypedClient<api::Deployment> ds(*client_, kNs);
    for (int i = 0; i < 50; ++i) {
      auto d = GetDeployment(name);
      ASSERT_TRUE(d);
      fn(*d);
      auto r = Run(ds.Update(*d));
      if (r.IsOk()) return;
      ASSERT_TRUE(r.status().IsConflict()) << r.status().ToString();
    }
    FAIL() << "could not update " << name;
  }

  // ReplicaSets controlled by the Deployment `uid`, by name.
  std::map<std::string, api::ReplicaSet> Owned(const std::string& uid) {
    TypedClient<api::ReplicaSet> rss(*client_, kNs);
    client::ListOptions opts;
    auto r = Run(rss.List(opts));
    std::map<std::string, api::ReplicaSet> out;
    if (!r.IsOk()) return out;
    for (auto& rs : r->items) {
      const auto* ref = replicaset::GetControllerOf(rs.metadata);
      if (ref != nullptr && ref->uid == uid) out[rs.metadata.name] = rs;
    }
    return out;
  }

  std::vector<api::Pod> Pods() {
    TypedClient<api::Pod> pods(*client_, kNs);
    client::ListOptions opts;
    auto r = Run(pods.List(opts));
    if (!r.IsOk()) return {};
    return r->items;
  }

  // Plays kubelet: every pod not yet Ready becomes Running and Ready.
  void MarkAllReady() {
    TypedClient<api::Pod> pods(*client_, kNs);
    for (auto& pod : Pods()) {
      if (replicaset::IsPodReady(pod) || !pod.metadata.deletionTimestamp.empty()) continue;
      pod.status.phase = "Running";
      api::PodCondition ready;
      ready.type = "Ready";
      ready.status = "True";
      ready.lastTransitionTime = FormatRfc3339(Clock::Real().WallNow());
      pod.status.conditions = {ready};
      (void)Run(pods.UpdateStatus(pod));  // conflicts: the next round retries
    }
  }

  // Keeps marking pods ready until `cond` holds.
  template <typename F>
  bool ReadyUntil(F cond) {
    return Eventually([&] {
      MarkAllReady();
      return cond();
    });
  }

  static const api::DeploymentCondition* Cond(const api::Deployment& d, const char* type) {
    return du::GetCondition(d.status, type);
  }

  // The Deployment is fully rolled out at `replicas` with generation observed.
  bool Complete(const std::string& name, int32_t replicas) {
    auto d = GetDeployment(name);
    if (!d) return false;
    const auto* prog = Cond(*d, du::kProgressing);
    return d->status.observedGeneration == d->metadata.generation &&
           d->status.replicas.value_or(0) == replicas &&
           d->status.updatedReplicas.value_or(0) == replicas &&
           d->status.availableReplicas.value_or(0) == replicas &&
           d->status.readyReplicas.value_or(0) == replicas &&
           d->status.unavailableReplicas.value_or(0) == 0 && prog != nullptr &&
           prog->reason == du::kNewRSAvailableReason;
  }

  static std::string Revision(const api::ReplicaSet& rs) {
    auto it = rs.metadata.annotations.find(du::kRevisionAnnotation);
    return it == rs.metadata.annotations.end() ? "" : it->second;
  }

  // The owned ReplicaSet running `image`, or nullopt.
  std::optional<api::ReplicaSet> WithImage(const std::string& uid, const std::string& image) {
    for (auto& [name, rs] : Owned(uid)) {
      if (rs.spec.template_.spec.containers.at(0).image == image) return rs;
    }
    return std::nullopt;
  }

  // The owned ReplicaSets' sizes and annotations (failure messages).
  std::string Dump(const std::string& uid) {
    std::string out;
    for (const auto& [name, rs] : Owned(uid)) {
      out += name + " " + rs.spec.template_.spec.containers.at(0).image +
             " spec=" + std::to_string(rs.spec.replicas.value_or(-1)) +
             " status=" + std::to_string(rs.status.replicas) +
             " available=" + std::to_string(rs.status.availableReplicas.value_or(0));
      for (const auto& [k, v] : rs.metadata.annotations) out += " " + k + "=" + v;
      out += "\n";
    }
    return out;
  }

  std::unique_ptr<client::SharedInformerFactory> informers_;  // shared informers
  std::unique_ptr<Controller> rs_controller_;                 // makes the pods
  std::unique_ptr<Controller> controller_;                    // under test
};

TEST_F(DeploymentControllerTest, RollsOutRollsBackScalesAndPauses) {
  auto created = CreateDeployment("web", 3);
  const std::string uid = created.metadata.uid;
  ASSERT_FALSE(uid.empty());

  // A new ReplicaSet with the hash label and three pods.
  ASSERT_TRUE(Eventually([&] { return Owned(uid).size() == 1; }));
  api::ReplicaSet first = Owned(uid).begin()->second;
  const std::string hash = first.spec.selector.matchLabels.at(du::kPodTemplateHashLabel);
  EXPECT_EQ(first.metadata.name, "web-" + hash);
  EXPECT_EQ(first.spec.template_.metadata.labels.at(du::kPodTemplateHashLabel), hash);
  EXPECT_EQ(first.metadata.labels.at(du::kPodTemplateHashLabel), hash);
  EXPECT_EQ(Revision(first), "1");
  EXPECT_EQ(first.metadata.annotations.at(du::kDesiredReplicasAnnotation), "3");
  EXPECT_EQ(first.metadata.annotations.at(du::kMaxReplicasAnnotation), "4");  // 25% surge of 3
  ASSERT_TRUE(Eventually([&] { return Pods().size() == 3; }));
  {
    auto d = GetDeployment("web");
    ASSERT_TRUE(d);
    ASSERT_TRUE(Eventually([&] {
      d = GetDeployment("web");
      return d && Cond(*d, du::kAvailable) != nullptr && d->status.replicas.value_or(0) == 3;
    }));
    EXPECT_EQ(Cond(*d, du::kAvailable)->status, "False");
    EXPECT_EQ(Cond(*d, du::kAvailable)->reason, du::kMinimumReplicasUnavailable);
    EXPECT_EQ(d->metadata.annotations.at(du::kRevisionAnnotation), "1");
  }

  // Ready pods: available, complete.
  ASSERT_TRUE(ReadyUntil([&] { return Complete("web", 3); }));
  {
    auto d = GetDeployment("web");
    EXPECT_EQ(Cond(*d, du::kAvailable)->status, "True");
    EXPECT_EQ(Cond(*d, du::kAvailable)->reason, du::kMinimumReplicasAvailable);
    EXPECT_EQ(Cond(*d, du::kAvailable)->message, "Deployment has minimum availability.");
    EXPECT_EQ(Cond(*d, du::kProgressing)->message,
              "ReplicaSet \"" + first.metadata.name + "\" has successfully progressed.");
  }

  // A new image: a second ReplicaSet takes over; the first ends at 0; revision 2.
  Mutate("web", [](api::Deployment& d) { d.spec.template_.spec.containers[0].image = "nginx:2"; });
  ASSERT_TRUE(ReadyUntil([&] {
    auto second = WithImage(uid, "nginx:2");
    auto old = WithImage(uid, "nginx:1");
    return second && old && old->spec.replicas == 0 && Complete("web", 3) && Pods().size() == 3;
  }));
  {
    auto second = WithImage(uid, "nginx:2");
    EXPECT_EQ(Revision(*second), "2");
    EXPECT_NE(second->metadata.name, first.metadata.name);
    auto d = GetDeployment("web");
    EXPECT_EQ(d->metadata.annotations.at(du::kRevisionAnnotation), "2");
  }

  // Back to the first image: the first ReplicaSet is revived as revision 3.
  Mutate("web", [](api::Deployment& d) { d.spec.template_.spec.containers[0].image = "nginx:1"; });
  ASSERT_TRUE(ReadyUntil([&] {
    auto revived = WithImage(uid, "nginx:1");
    auto second = WithImage(uid, "nginx:2");
    return revived && second && revived->spec.replicas == 3 && second->spec.replicas == 0 &&
           Complete("web", 3);
  }));
  {
    EXPECT_EQ(Owned(uid).size(), 2U);
    auto revived = WithImage(uid, "nginx:1");
    EXPECT_EQ(revived->metadata.name, first.metadata.name);
    EXPECT_EQ(Revision(*revived), "3");
    EXPECT_EQ(revived->metadata.annotations.at(du::kRevisionHistoryAnnotation), "1");
    auto d = GetDeployment("web");
    EXPECT_EQ(d->metadata.annotations.at(du::kRevisionAnnotation), "3");
  }

  // Scale to 5: the active ReplicaSet follows, with its annotations.
  Mutate("web", [](api::Deployment& d) { d.spec.replicas = 5; });
  ASSERT_TRUE(ReadyUntil([&] { return Complete("web", 5); }));
  {
    auto active = WithImage(uid, "nginx:1");
    EXPECT_EQ(active->spec.replicas, 5);
    EXPECT_EQ(active->metadata.annotations.at(du::kDesiredReplicasAnnotation), "5");
    EXPECT_EQ(active->metadata.annotations.at(du::kMaxReplicasAnnotation), "7");  // ceil(1.25)
  }

  // Paused: a template change starts no rollout, the condition says so.
  Mutate("web", [](api::Deployment& d) {
    d.spec.paused = true;
    d.spec.template_.spec.containers[0].image = "nginx:3";
  });
  ASSERT_TRUE(Eventually([&] {
    auto d = GetDeployment("web");
    const auto* prog = d ? Cond(*d, du::kProgressing) : nullptr;
    return prog != nullptr && prog->reason == du::kPausedDeployReason &&
           d->status.observedGeneration == d->metadata.generation;
  }));
  EXPECT_EQ(Cond(*GetDeployment("web"), du::kProgressing)->message, "Deployment is paused");
  EXPECT_EQ(Cond(*GetDeployment("web"), du::kProgressing)->status, "Unknown");
  EXPECT_FALSE(WithImage(uid, "nginx:3").has_value());
  EXPECT_EQ(Owned(uid).size(), 2U);

  // Resumed: the rollout proceeds.
  Mutate("web", [](api::Deployment& d) { d.spec.paused = false; });
  ASSERT_TRUE(ReadyUntil([&] {
    auto third = WithImage(uid, "nginx:3");
    return third && third->spec.replicas == 5 && Complete("web", 5);
  }));
  EXPECT_EQ(Revision(*WithImage(uid, "nginx:3")), "4");
}

TEST_F(DeploymentControllerTest, ProportionalScalingMidRollout) {
  auto created = CreateDeployment("api", 10);
  const std::string uid = created.metadata.uid;
  ASSERT_TRUE(ReadyUntil([&] { return Complete("api", 10); }));

  // A new image whose pods never become ready: the rollout stalls at surge/unavailable limits
  // (25% of 10: surge 3, unavailable 2 → 13 pods, 8 of them old).
  Mutate("api", [](api::Deployment& d) { d.spec.template_.spec.containers[0].image = "nginx:2"; });
  ASSERT_TRUE(Eventually([&] {
    auto old = WithImage(uid, "nginx:1");
    auto cur = WithImage(uid, "nginx:2");
    return old && cur && old->spec.replicas == 8 && cur->spec.replicas == 5;
  }));
  // Scale to 15 mid-rollout: 19 allowed (surge ceil(3.75)), shared in proportion to the
  // annotated 13: 8 → round(11.7) = 12, 5 → round(7.3) = 7.
  Mutate("api", [](api::Deployment& d) { d.spec.replicas = 15; });
  ASSERT_TRUE(Eventually([&] {
    auto old = WithImage(uid, "nginx:1");
    auto cur = WithImage(uid, "nginx:2");
    return old && cur && old->spec.replicas == 12 && cur->spec.replicas == 7;
  })) << Dump(uid);
  for (const auto& [name, rs] : Owned(uid)) {
    EXPECT_EQ(rs.metadata.annotations.at(du::kDesiredReplicasAnnotation), "15") << name;
    EXPECT_EQ(rs.metadata.annotations.at(du::kMaxReplicasAnnotation), "19") << name;
  }
  // 8 available of 15 with at most 3 unavailable (floor(3.75)): below minimum availability.
  ASSERT_TRUE(Eventually([&] {
    auto d = GetDeployment("api");
    return d && d->status.replicas.value_or(0) == 19 && Cond(*d, du::kAvailable) != nullptr &&
           Cond(*d, du::kAvailable)->status == "False";
  }));
}

TEST_F(DeploymentControllerTest, RecreateScalesOldDownBeforeNewUp) {
  auto created = CreateDeployment("batch", 2, "Recreate");
  const std::string uid = created.metadata.uid;
  ASSERT_TRUE(ReadyUntil([&] { return Complete("batch", 2); }));
  Mutate("batch",
         [](api::Deployment& d) { d.spec.template_.spec.containers[0].image = "nginx:2"; });
  // While an old pod exists, no new ReplicaSet has pods.
  ASSERT_TRUE(ReadyUntil([&] {
    auto cur = WithImage(uid, "nginx:2");
    auto old = WithImage(uid, "nginx:1");
    if (cur && old && old->status.replicas > 0) {
      EXPECT_EQ(cur->spec.replicas.value_or(0), 0);
    }
    return cur && old && old->spec.replicas == 0 && Complete("batch", 2);
  }));
  EXPECT_EQ(Revision(*WithImage(uid, "nginx:2")), "2");
}

TEST_F(DeploymentControllerTest, CleansUpHistoryAndRecordsEvents) {
  auto created = CreateDeployment("hist", 1);
  const std::string uid = created.metadata.uid;
  Mutate("hist", [](api::Deployment& d) { d.spec.revisionHistoryLimit = 1; });
  ASSERT_TRUE(ReadyUntil([&] { return Complete("hist", 1); }));
  for (const char* image : {"nginx:2", "nginx:3"}) {
    std::string img = image;
    Mutate("hist", [&](api::Deployment& d) { d.spec.template_.spec.containers[0].image = img; });
    ASSERT_TRUE(ReadyUntil([&] {
      auto cur = WithImage(uid, img);
      return cur && cur->status.availableReplicas.value_or(0) == 1 && Complete("hist", 1);
    }));
  }
  // One old ReplicaSet kept (nginx:2), the oldest deleted.
  ASSERT_TRUE(Eventually([&] { return Owned(uid).size() == 2; })) << Dump(uid);
  EXPECT_FALSE(WithImage(uid, "nginx:1").has_value());
  EXPECT_TRUE(WithImage(uid, "nginx:2").has_value());

  // Scaling events on the Deployment, in upstream's words.
  ASSERT_TRUE(Eventually([&] {
    TypedClient<api::Event> events(*client_, kNs);
    client::ListOptions opts;
    auto r = Run(events.List(opts));
    if (!r.IsOk()) return false;
    bool up = false;
    bool down = false;
    for (const auto& e : r->items) {
      if (e.involvedObject.kind != "Deployment" || e.reason != "ScalingReplicaSet") continue;
      up = up || e.message.rfind("Scaled up replica set hist-", 0) == 0;
      down = down || e.message.rfind("Scaled down replica set hist-", 0) == 0;
    }
    return up && down;
  }));
}

TEST_F(DeploymentControllerTest, AdoptsMatchingOrphanReplicaSet) {
  // An orphan ReplicaSet whose template is the Deployment's: adopted and used as the new one.
  api::ReplicaSet rs;
  rs.metadata.name = "adopt-orphan";
  rs.metadata.labels = {{"app", "adopt"}};
  rs.spec.replicas = 0;
  rs.spec.selector.matchLabels = {{"app", "adopt"}};
  rs.spec.template_.metadata.labels = {{"app", "adopt"}};
  rs.spec.template_.spec.containers.resize(1);
  rs.spec.template_.spec.containers[0].name = "c";
  rs.spec.template_.spec.containers[0].image = "nginx:1";
  TypedClient<api::ReplicaSet> rss(*client_, kNs);
  ASSERT_TRUE(Run(rss.Create(rs)).IsOk());
  // Seen by the controller's cache first (else it makes its own, as upstream would).
  auto lister = informers_->For<api::ReplicaSet>().GetLister();
  ASSERT_TRUE(Eventually([&] { return lister.Get(kNs, "adopt-orphan") != nullptr; }));
  auto created = CreateDeployment("adopt", 2);
  const std::string uid = created.metadata.uid;
  ASSERT_TRUE(Eventually([&] { return Owned(uid).count("adopt-orphan") == 1; })) << Dump(uid);
  ASSERT_TRUE(ReadyUntil([&] { return Complete("adopt", 2); })) << Dump(uid);
  EXPECT_EQ(Owned(uid).size(), 1U);
  EXPECT_EQ(Owned(uid).at("adopt-orphan").spec.replicas, 2);
}

}  // namespace
}  // namespace kubepp::controller
