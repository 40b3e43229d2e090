// The StatefulSet controller against a real in-process API server. There is no kubelet: the
// test plays it by writing pod status (Running + Ready) through the status subresource.
#include "controller/statefulset/statefulset_controller.h"

#include <gtest/gtest.h>

#include <set>

#include "api/codec.h"
#include "api/types.h"
#include "base/log.h"
#include "client/informer.h"
#include "client/testing/api_server_fixture.h"
#include "client/typed.h"
#include "controller/history/history.h"
#include "controller/statefulset/statefulset_logic.h"

namespace kubepp::controller {
namespace {

using client::TypedClient;

constexpr char kNs[] = "default";

class StatefulSetControllerTest : public client::testing::ApiServerFixture {
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
    controller_ = NewStatefulSetController(ctx);
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

  static api::StatefulSet MakeSet(const std::string& name, int32_t replicas) {
    api::StatefulSet s;
    s.metadata.name = name;
    s.spec.replicas = replicas;
    s.spec.serviceName = name;
    s.spec.selector.matchLabels = {{"app", name}};
    s.spec.template_.metadata.labels = {{"app", name}};
    s.spec.template_.spec.containers.resize(1);
    s.spec.template_.spec.containers[0].name = "c";
    s.spec.template_.spec.containers[0].image = "nginx:1";
    return s;
  }

  api::StatefulSet Create(const api::StatefulSet& s) {
    TypedClient<api::StatefulSet> sets(*client_, kNs);
    auto r = Run(sets.Create(s));
    EXPECT_TRUE(r.IsOk()) << r.status().ToString();
    return r.IsOk() ? *r : s;
  }

  std::optional<api::StatefulSet> GetSet(const std::string& name) {
    TypedClient<api::StatefulSet> sets(*client_, kNs);
    auto r = Run(sets.Get(name));
    if (!r.IsOk()) return std::nullopt;
    return *r;
  }

  // Changes the set's spec with `fn` (retrying conflicts).
  template <typename F>
  void Mutate(const std::string& name, F fn) {
    TypedClient<api::StatefulSet> sets(*client_, kNs);
    for (int i = 0; i < 20; ++i) {
      auto cur = GetSet(name);
      ASSERT_TRUE(cur);
      fn(*cur);
      auto r = Run(sets.Update(*cur));
      if (r.IsOk()) return;
      ASSERT_TRUE(r.status().IsConflict()) << r.status().ToString();
    }
    FAIL() << "could not update " << name;
  }

  std::optional<api::Pod> GetPod(const std::string& name) {
    TypedClient<api::Pod> pods(*client_, kNs);
    auto r = Run(pods.Get(name));
    if (!r.IsOk()) return std::nullopt;
    return *r;
  }

  // Names of the pods (not being deleted), sorted.
  std::set<std::string> PodNames() {
    TypedClient<api::Pod> pods(*client_, kNs);
    client::ListOptions opts;
    auto r = Run(pods.List(opts));
    std::set<std::string> out;
    if (!r.IsOk()) return out;
    for (const auto& p : r->items) {
      if (p.metadata.deletionTimestamp.empty()) out.insert(p.metadata.name);
    }
    return out;
  }

  // Plays the kubelet: the pod is Running, Ready (or failed).
  void SetPhase(const std::string& name, const std::string& phase, bool ready) {
    TypedClient<api::Pod> pods(*client_, kNs);
    for (int i = 0; i < 20; ++i) {
      auto pod = Run(pods.Get(name));
      ASSERT_TRUE(pod.IsOk()) << name << ": " << pod.status().ToString();
      pod->status.phase = phase;
      api::PodCondition c;
      c.type = "Ready";
      c.status = ready ? "True" : "False";
      c.lastTransitionTime = "2024-01-01T00:00:00Z";
      pod->status.conditions = {c};
      auto r = Run(pods.UpdateStatus(*pod));
      if (r.IsOk()) return;
      ASSERT_TRUE(r.status().IsConflict()) << r.status().ToString();
    }
    FAIL() << "could not set status of " << name;
  }
  void MakeReady(const std::string& name) { SetPhase(name, "Running", true); }

  // Plays the kubelet finishing a graceful deletion: pods being deleted are removed at once.
  void ReapTerminating() {
    TypedClient<api::Pod> pods(*client_, kNs);
    client::ListOptions opts;
    auto r = Run(pods.List(opts));
    if (!r.IsOk()) return;
    for (const auto& p : r->items) {
      if (p.metadata.deletionTimestamp.empty()) continue;
      client::DeleteOptions del;
      del.grace_period_seconds = 0;
      std::string name = p.metadata.name;
      (void)Run(pods.Delete(name, del));
    }
  }

  std::vector<api::ControllerRevision> Revisions() {
    TypedClient<api::ControllerRevision> revs(*client_, kNs);
    client::ListOptions opts;
    auto r = Run(revs.List(opts));
    if (!r.IsOk()) return {};
    return r->items;
  }

  std::vector<api::Event> Events() {
    TypedClient<api::Event> events(*client_, kNs);
    client::ListOptions opts;
    auto r = Run(events.List(opts));
    if (!r.IsOk()) return {};
    return r->items;
  }

  std::string Dump(const std::string& name) {
    std::string out;
    if (auto s = GetSet(name)) out += boost::json::serialize(api::ToJson(s->status)) + "\n";
    TypedClient<api::Pod> pods(*client_, kNs);
    client::ListOptions opts;
    auto r = Run(pods.List(opts));
    if (r.IsOk()) {
      for (const auto& p : r->items) {
        out += p.metadata.name + " " + p.status.phase + " rev=" + statefulset::PodRevision(p) +
               " del=" + p.metadata.deletionTimestamp + "\n";
      }
    }
    return out;
  }

  std::unique_ptr<client::SharedInformerFactory> informers_;  // shared informers
  std::unique_ptr<Controller> controller_;                    // under test
};

TEST_F(StatefulSetControllerTest, OrderedCreationWaitsForReadiness) {
  auto created = Create(MakeSet("web", 3));
  ASSERT_TRUE(Eventually([&] { return GetPod("web-0").has_value(); }));
  auto pod = *GetPod("web-0");
  EXPECT_EQ(pod.spec.hostname, "web-0");
  EXPECT_EQ(pod.spec.subdomain, "web");
  EXPECT_EQ(pod.metadata.labels.at(statefulset::kStatefulSetPodNameLabel), "web-0");
  EXPECT_EQ(pod.metadata.labels.at(statefulset::kPodIndexLabel), "0");
  EXPECT_FALSE(statefulset::PodRevision(pod).empty());
  ASSERT_EQ(pod.metadata.ownerReferences.size(), 1U);
  EXPECT_EQ(pod.metadata.ownerReferences[0].uid, created.metadata.uid);
  // web-1 waits for web-0 to be Running and Ready.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(PodNames(), (std::set<std::string>{"web-0"}));
  MakeReady("web-0");
  ASSERT_TRUE(Eventually([&] { return GetPod("web-1").has_value(); }));
  EXPECT_FALSE(GetPod("web-2").has_value());
  MakeReady("web-1");
  ASSERT_TRUE(Eventually([&] { return GetPod("web-2").has_value(); }));
  MakeReady("web-2");
  ASSERT_TRUE(Eventually([&] {
    auto s = GetSet("web");
    return s && s->status.replicas == 3 && s->status.readyReplicas == 3 &&
           s->status.availableReplicas == 3 && s->status.updatedReplicas == 3 &&
           s->status.currentReplicas == 3 && s->status.observedGeneration == s->metadata.generation;
  })) << Dump("web");
  auto s = *GetSet("web");
  EXPECT_FALSE(s.status.updateRevision.empty());
  EXPECT_EQ(s.status.currentRevision, s.status.updateRevision);
  EXPECT_EQ(s.status.collisionCount.value_or(0), 0);
  // One ControllerRevision, owned by the set, named after its hash label.
  auto revs = Revisions();
  ASSERT_EQ(revs.size(), 1U);
  EXPECT_EQ(revs[0].metadata.name, s.status.updateRevision);
  EXPECT_EQ(revs[0].revision, 1);
  EXPECT_EQ(revs[0].metadata.name,
            "web-" + revs[0].metadata.labels.at(history::kControllerRevisionHashLabel));
  ASSERT_EQ(revs[0].metadata.ownerReferences.size(), 1U);
  EXPECT_EQ(revs[0].metadata.ownerReferences[0].uid, created.metadata.uid);
  EXPECT_EQ(statefulset::PodRevision(*GetPod("web-2")), s.status.updateRevision);
  ASSERT_TRUE(Eventually([&] {
    for (const auto& e : Events()) {
      if (e.reason == "SuccessfulCreate" &&
          e.message == "create Pod web-0 in StatefulSet web successful") {
        return true;
      }
    }
    return false;
  }));
}

TEST_F(StatefulSetControllerTest, ClaimsFromVolumeClaimTemplates) {
  auto spec = MakeSet("db", 2);
  api::PersistentVolumeClaim tmpl;
  tmpl.metadata.name = "data";
  tmpl.spec.accessModes = {"ReadWriteOnce"};
  tmpl.spec.resources.emplace();
  tmpl.spec.resources->requests["storage"] = api::Quantity{"1Gi"};
  spec.spec.volumeClaimTemplates.push_back(tmpl);
  spec.spec.persistentVolumeClaimRetentionPolicy.emplace();
  spec.spec.persistentVolumeClaimRetentionPolicy->whenDeleted = "Delete";
  auto created = Create(spec);
  ASSERT_TRUE(Eventually([&] { return GetPod("db-0").has_value(); }));
  TypedClient<api::PersistentVolumeClaim> pvcs(*client_, kNs);
  auto claim = Run(pvcs.Get("data-db-0"));
  ASSERT_TRUE(claim.IsOk()) << claim.status().ToString();
  EXPECT_EQ(claim->metadata.labels.at("app"), "db");
  auto pod = *GetPod("db-0");
  bool found = false;
  for (const auto& v : pod.spec.volumes) {
    if (v.name == "data" && v.persistentVolumeClaim &&
        v.persistentVolumeClaim->claimName == "data-db-0") {
      found = true;
    }
  }
  EXPECT_TRUE(found);
  // whenDeleted=Delete: the set owns its claims.
  ASSERT_TRUE(Eventually([&] {
    auto c = Run(pvcs.Get("data-db-0"));
    return c.IsOk() && c->metadata.ownerReferences.size() == 1 &&
           c->metadata.ownerReferences[0].uid == created.metadata.uid;
  }));
  MakeReady("db-0");
  ASSERT_TRUE(Eventually([&] { return Run(pvcs.Get("data-db-1")).IsOk(); }));
}

TEST_F(StatefulSetControllerTest, ScaleDownFromHighestOrdinal) {
  auto spec = MakeSet("web", 3);
  // Bound pods are deleted gracefully (they stay, terminating, until the "kubelet" reaps them).
  spec.spec.template_.spec.nodeName = "node-1";
  Create(spec);
  for (const char* name : {"web-0", "web-1", "web-2"}) {
    ASSERT_TRUE(Eventually([&] { return GetPod(name).has_value(); })) << name;
    MakeReady(name);
  }
  ASSERT_TRUE(Eventually([&] {
    auto s = GetSet("web");
    return s && s->status.readyReplicas == 3;
  }));
  Mutate("web", [](api::StatefulSet& s) { s.spec.replicas = 1; });
  // web-2 goes first; web-1 waits until web-2 is gone.
  ASSERT_TRUE(Eventually([&] { return !PodNames().contains("web-2"); })) << Dump("web");
  ASSERT_TRUE(GetPod("web-2").has_value());  // still terminating
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(PodNames(), (std::set<std::string>{"web-0", "web-1"})) << Dump("web");
  ASSERT_TRUE(Eventually([&] {
    ReapTerminating();
    return PodNames() == std::set<std::string>{"web-0"};
  })) << Dump("web");
  // Terminating pods still count as replicas until they are gone.
  ASSERT_TRUE(Eventually([&] {
    ReapTerminating();
    auto s = GetSet("web");
    return s && s->status.replicas == 1 && s->status.readyReplicas == 1;
  })) << Dump("web");
}

TEST_F(StatefulSetControllerTest, RollingUpdateWithPartition) {
  auto spec = MakeSet("web", 3);
  spec.spec.podManagementPolicy = "Parallel";
  Create(spec);
  ASSERT_TRUE(Eventually([&] { return PodNames().size() == 3; }));
  for (const char* name : {"web-0", "web-1", "web-2"}) MakeReady(name);
  ASSERT_TRUE(Eventually([&] {
    auto s = GetSet("web");
    return s && s->status.readyReplicas == 3 && s->status.currentReplicas == 3;
  }));
  const std::string rev1 = GetSet("web")->status.currentRevision;
  Mutate("web", [](api::StatefulSet& s) {
    s.spec.template_.spec.containers[0].image = "nginx:2";
    s.spec.updateStrategy->rollingUpdate->partition = 1;
  });
  std::string rev2;
  ASSERT_TRUE(Eventually([&] {
    auto s = GetSet("web");
    if (!s || s->status.updateRevision == rev1 || s->status.updateRevision.empty()) return false;
    rev2 = s->status.updateRevision;
    return true;
  }));
  // Highest ordinal first: web-2 is deleted and comes back at the update revision.
  ASSERT_TRUE(Eventually([&] {
    ReapTerminating();
    auto p = GetPod("web-2");
    return p && statefulset::PodRevision(*p) == rev2 && p->metadata.deletionTimestamp.empty();
  })) << Dump("web");
  EXPECT_EQ(GetPod("web-2")->spec.containers[0].image, "nginx:2");
  EXPECT_EQ(statefulset::PodRevision(*GetPod("web-1")), rev1);  // waits for web-2 to be ready
  MakeReady("web-2");
  ASSERT_TRUE(Eventually([&] {
    ReapTerminating();
    auto p = GetPod("web-1");
    return p && statefulset::PodRevision(*p) == rev2;
  })) << Dump("web");
  MakeReady("web-1");
  ASSERT_TRUE(Eventually([&] {
    auto s = GetSet("web");
    return s && s->status.updatedReplicas == 2 && s->status.currentReplicas == 1 &&
           s->status.readyReplicas == 3;
  })) << Dump("web");
  // web-0 is below the partition and stays at the old revision.
  auto p0 = *GetPod("web-0");
  EXPECT_EQ(statefulset::PodRevision(p0), rev1);
  EXPECT_EQ(p0.spec.containers[0].image, "nginx:1");
  EXPECT_EQ(GetSet("web")->status.currentRevision, rev1);
  // Partition 0: web-0 too, and the rollout completes.
  Mutate("web", [](api::StatefulSet& s) { s.spec.updateStrategy->rollingUpdate->partition = 0; });
  ASSERT_TRUE(Eventually([&] {
    ReapTerminating();
    auto p = GetPod("web-0");
    return p && statefulset::PodRevision(*p) == rev2;
  })) << Dump("web");
  MakeReady("web-0");
  ASSERT_TRUE(Eventually([&] {
    auto s = GetSet("web");
    return s && s->status.currentRevision == rev2 && s->status.updatedReplicas == 3 &&
           s->status.currentReplicas == 3;
  })) << Dump("web");
  EXPECT_EQ(Revisions().size(), 2U);
}

TEST_F(StatefulSetControllerTest, ParallelCreatesAllAndReplacesFailed) {
  auto spec = MakeSet("par", 3);
  spec.spec.podManagementPolicy = "Parallel";
  Create(spec);
  // All three without any of them being ready.
  ASSERT_TRUE(Eventually([&] {
    return PodNames() == std::set<std::string>{"par-0", "par-1", "par-2"};
  }));
  const std::string uid = GetPod("par-1")->metadata.uid;
  SetPhase("par-1", "Failed", false);
  ASSERT_TRUE(Eventually([&] {
    ReapTerminating();
    auto p = GetPod("par-1");
    return p && p->metadata.uid != uid;
  })) << Dump("par");
  ASSERT_TRUE(Eventually([&] {
    for (const auto& e : Events()) {
      if (e.reason == "SuccessfulDelete" &&
          e.message == "delete Pod par-1 in StatefulSet par successful") {
        return true;
      }
    }
    return false;
  }));
}

TEST_F(StatefulSetControllerTest, RevisionHistoryLimit) {
  auto spec = MakeSet("hist", 1);
  spec.spec.revisionHistoryLimit = 1;
  spec.spec.updateStrategy.emplace();
  spec.spec.updateStrategy->type = "OnDelete";
  Create(spec);
  ASSERT_TRUE(Eventually([&] { return GetPod("hist-0").has_value(); }));
  MakeReady("hist-0");
  for (const char* image : {"a:1", "a:2", "a:3"}) {
    Mutate("hist", [&](api::StatefulSet& s) { s.spec.template_.spec.containers[0].image = image; });
    ASSERT_TRUE(Eventually([&] {
      auto s = GetSet("hist");
      if (!s) return false;
      for (const auto& r : Revisions()) {
        if (r.metadata.name == s->status.updateRevision &&
            statefulset::ApplyRevision(*s, r.data)->spec.template_.spec.containers[0].image ==
                image) {
          return true;
        }
      }
      return false;
    })) << Dump("hist");
  }
  // Live: the pod's (first) revision and the update revision; one more kept by the limit.
  ASSERT_TRUE(Eventually([&] { return Revisions().size() == 3; })) << Revisions().size() << "\n"
                                                                   << Dump("hist");
  // OnDelete: the pod was not replaced.
  EXPECT_EQ(GetPod("hist-0")->spec.containers[0].image, "nginx:1");
}

}  // namespace
}  // namespace kubepp::controller
