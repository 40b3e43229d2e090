// The disruption controller against a real in-process API server. There is no kubelet: the
// test writes pod readiness through pods/status.
#include "controller/disruption/disruption_controller.h"

#include <gtest/gtest.h>

#include "api/codec.h"
#include "api/types.h"
#include "base/log.h"
#include "client/informer.h"
#include "client/testing/api_server_fixture.h"
#include "client/typed.h"
#include "controller/disruption/disruption_logic.h"

namespace kubepp::controller {
namespace {

using client::TypedClient;

constexpr char kNs[] = "default";

class DisruptionControllerTest : public client::testing::ApiServerFixture {
 protected:
  void SetUp() override {
    if (const char* v = std::getenv("KUBEPP_TEST_V")) SetLogVerbosity(std::atoi(v));
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
    DisruptionControllerOptions dopts;
    dopts.stale_pod_disruption_timeout = std::chrono::milliseconds(300);
    controller_ = NewDisruptionController(ctx, dopts);
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

  void CreatePod(const std::string& name, const std::string& app,
                 std::optional<api::OwnerReference> owner = std::nullopt) {
    api::Pod pod;
    pod.metadata.name = name;
    pod.metadata.labels = {{"app", app}};
    if (owner) pod.metadata.ownerReferences = {*owner};
    api::Container c;
    c.name = "c";
    c.image = "busybox";
    pod.spec.containers = {c};
    TypedClient<api::Pod> pods(*client_, kNs);
    auto r = Run(pods.Create(pod));
    ASSERT_TRUE(r.IsOk()) << r.status().ToString();
  }

  // Plays the kubelet: the pod runs and is (not) Ready.
  void SetReady(const std::string& name, bool ready) {
    TypedClient<api::Pod> pods(*client_, kNs);
    for (int i = 0; i < 20; ++i) {
      auto pod = Run(pods.Get(name));
      ASSERT_TRUE(pod.IsOk()) << pod.status().ToString();
      pod->status.phase = "Running";
      api::PodCondition c;
      c.type = "Ready";
      c.status = ready ? "True" : "False";
      c.lastTransitionTime = FormatRfc3339(Clock::Real().WallNow());
      pod->status.conditions = {c};
      auto r = Run(pods.UpdateStatus(*pod));
      if (r.IsOk()) return;
      ASSERT_TRUE(r.status().IsConflict()) << r.status().ToString();
    }
    FAIL() << "could not set readiness of " << name;
  }

  api::PodDisruptionBudget CreatePdb(const std::string& name, const std::string& app,
                                     std::optional<api::IntOrString> min_available,
                                     std::optional<api::IntOrString> max_unavailable) {
    api::PodDisruptionBudget pdb;
    pdb.metadata.name = name;
    pdb.spec.selector.emplace();
    pdb.spec.selector->matchLabels = {{"app", app}};
    pdb.spec.minAvailable = std::move(min_available);
    pdb.spec.maxUnavailable = std::move(max_unavailable);
    TypedClient<api::PodDisruptionBudget> pdbs(*client_, kNs);
    auto r = Run(pdbs.Create(pdb));
    EXPECT_TRUE(r.IsOk()) << r.status().ToString();
    return r.IsOk() ? *r : pdb;
  }

  std::optional<api::PodDisruptionBudget> GetPdb(const std::string& name) {
    TypedClient<api::PodDisruptionBudget> pdbs(*client_, kNs);
    auto r = Run(pdbs.Get(name));
    if (!r.IsOk()) return std::nullopt;
    return *r;
  }

  std::string Dump(const std::string& name) {
    auto p = GetPdb(name);
    return p ? boost::json::serialize(api::ToJson(p->status)) : "<none>";
  }

  static const api::Condition* Allowed(const api::PodDisruptionBudget& pdb) {
    for (const auto& c : pdb.status.conditions) {
      if (c.type == disruption::kDisruptionAllowedCondition) return &c;
    }
    return nullptr;
  }

  std::unique_ptr<client::SharedInformerFactory> informers_;  // shared informers
  std::unique_ptr<Controller> controller_;                    // under test
};

TEST_F(DisruptionControllerTest, MinAvailableFollowsReadiness) {
  for (const char* n : {"web-a", "web-b", "web-c"}) CreatePod(n, "web");
  auto created = CreatePdb("web", "web", api::IntOrString::FromInt(2), std::nullopt);
  // No pod ready yet.
  ASSERT_TRUE(Eventually([&] {
    auto p = GetPdb("web");
    return p && p->status.expectedPods == 3 && p->status.desiredHealthy == 2 &&
           p->status.currentHealthy == 0 && Allowed(*p) != nullptr;
  })) << Dump("web");

  for (const char* n : {"web-a", "web-b", "web-c"}) SetReady(n, true);
  ASSERT_TRUE(Eventually([&] {
    auto p = GetPdb("web");
    return p && p->status.currentHealthy == 3 && p->status.disruptionsAllowed == 1;
  })) << Dump("web");
  auto p = GetPdb("web");
  EXPECT_EQ(p->status.observedGeneration, created.metadata.generation);
  const auto* cond = Allowed(*p);
  ASSERT_NE(cond, nullptr);
  EXPECT_EQ(cond->status, "True");
  EXPECT_EQ(cond->reason, disruption::kSufficientPodsReason);

  SetReady("web-b", false);
  ASSERT_TRUE(Eventually([&] {
    auto cur = GetPdb("web");
    if (!cur || cur->status.currentHealthy != 2 || cur->status.disruptionsAllowed != 0) {
      return false;
    }
    const auto* c = Allowed(*cur);
    return c != nullptr && c->status == "False" && c->reason == disruption::kInsufficientPodsReason;
  })) << Dump("web");

  // A spec change is observed (observedGeneration follows metadata.generation).
  auto cur = GetPdb("web");
  ASSERT_TRUE(cur.has_value());
  cur->spec.minAvailable = api::IntOrString::FromInt(1);
  TypedClient<api::PodDisruptionBudget> pdbs(*client_, kNs);
  auto updated = Run(pdbs.Update(*cur));
  ASSERT_TRUE(updated.IsOk()) << updated.status().ToString();
  ASSERT_TRUE(Eventually([&] {
    auto now = GetPdb("web");
    return now && now->status.observedGeneration == updated->metadata.generation &&
           now->status.desiredHealthy == 1 && now->status.disruptionsAllowed == 1;
  })) << Dump("web");
}

TEST_F(DisruptionControllerTest, MaxUnavailablePercentOverDeployment) {
  api::Deployment d;
  d.metadata.name = "api";
  d.spec.replicas = 4;
  d.spec.selector.matchLabels = {{"app", "api"}};
  d.spec.template_.metadata.labels = {{"app", "api"}};
  api::Container c;
  c.name = "c";
  c.image = "nginx";
  d.spec.template_.spec.containers = {c};
  TypedClient<api::Deployment> deployments(*client_, kNs);
  auto dep = Run(deployments.Create(d));
  ASSERT_TRUE(dep.IsOk()) << dep.status().ToString();

  api::ReplicaSet rs;
  rs.metadata.name = "api-1";
  rs.metadata.labels = {{"app", "api"}};
  api::OwnerReference dref;
  dref.apiVersion = "apps/v1";
  dref.kind = "Deployment";
  dref.name = "api";
  dref.uid = dep->metadata.uid;
  dref.controller = true;
  rs.metadata.ownerReferences = {dref};
  rs.spec.replicas = 4;
  rs.spec.selector.matchLabels = {{"app", "api"}};
  rs.spec.template_.metadata.labels = {{"app", "api"}};
  rs.spec.template_.spec.containers = {c};
  TypedClient<api::ReplicaSet> replicasets(*client_, kNs);
  auto made = Run(replicasets.Create(rs));
  ASSERT_TRUE(made.IsOk()) << made.status().ToString();

  api::OwnerReference rsref;
  rsref.apiVersion = "apps/v1";
  rsref.kind = "ReplicaSet";
  rsref.name = "api-1";
  rsref.uid = made->metadata.uid;
  rsref.controller = true;
  // Three of the four wanted pods exist and are ready.
  for (const char* n : {"api-a", "api-b", "api-c"}) {
    CreatePod(n, "api", rsref);
    SetReady(n, true);
  }
  CreatePdb("api", "api", std::nullopt, api::IntOrString::FromString("50%"));
  // expected = the Deployment's 4; desired = 4 - ceil(2) = 2; healthy 3 -> 1 allowed.
  ASSERT_TRUE(Eventually([&] {
    auto p = GetPdb("api");
    return p && p->status.expectedPods == 4 && p->status.desiredHealthy == 2 &&
           p->status.currentHealthy == 3 && p->status.disruptionsAllowed == 1;
  })) << Dump("api");

  // Scaling the Deployment moves expectedPods.
  auto cur = Run(deployments.Get("api"));
  ASSERT_TRUE(cur.IsOk());
  cur->spec.replicas = 6;
  auto scaled = Run(deployments.Update(*cur));
  ASSERT_TRUE(scaled.IsOk()) << scaled.status().ToString();
  ASSERT_TRUE(Eventually([&] {
    auto p = GetPdb("api");
    return p && p->status.expectedPods == 6 && p->status.desiredHealthy == 3 &&
           p->status.disruptionsAllowed == 0;
  })) << Dump("api");
}

TEST_F(DisruptionControllerTest, UnknownControllerFailsSafe) {
  api::OwnerReference ghost;
  ghost.apiVersion = "apps/v1";
  ghost.kind = "ReplicaSet";
  ghost.name = "ghost";
  ghost.uid = "ghost-uid";
  ghost.controller = true;
  CreatePod("orphan-a", "ghost", ghost);
  SetReady("orphan-a", true);
  CreatePdb("ghost", "ghost", std::nullopt, api::IntOrString::FromInt(0));
  ASSERT_TRUE(Eventually([&] {
    auto p = GetPdb("ghost");
    if (!p) return false;
    const auto* c = Allowed(*p);
    return c != nullptr && c->status == "False" && c->reason == disruption::kSyncFailedReason &&
           c->message == "found no controllers for pod \"orphan-a\"" &&
           p->status.disruptionsAllowed == 0;
  })) << Dump("ghost");
}

TEST_F(DisruptionControllerTest, StaleDisruptionTargetIsReset) {
  CreatePod("evictee", "solo");
  SetReady("evictee", true);
  TypedClient<api::Pod> pods(*client_, kNs);
  auto pod = Run(pods.Get("evictee"));
  ASSERT_TRUE(pod.IsOk());
  api::PodCondition target;
  target.type = disruption::kDisruptionTargetCondition;
  target.status = "True";
  target.reason = "EvictionByEvictionAPI";
  target.lastTransitionTime = FormatRfc3339(Clock::Real().WallNow());
  pod->status.conditions.push_back(target);
  auto r = Run(pods.UpdateStatus(*pod));
  ASSERT_TRUE(r.IsOk()) << r.status().ToString();
  // No deletion follows: the condition goes back to False; Ready is left alone.
  auto condition = [&](const std::string& type) -> std::string {
    auto cur = Run(pods.Get("evictee"));
    if (!cur.IsOk()) return "<error>";
    for (const auto& c : cur->status.conditions) {
      if (c.type == type) return c.status;
    }
    return "<absent>";
  };
  ASSERT_TRUE(Eventually([&] {
    return condition(disruption::kDisruptionTargetCondition) == "False";
  })) << condition(disruption::kDisruptionTargetCondition);
  EXPECT_EQ(condition("Ready"), "True");
}

}  // namespace
}  // namespace kubepp::controller
