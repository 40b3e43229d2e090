// The garbage collector against a real in-process API server: background cascade, foreground
// deletion held by a blocking dependent, orphaning, a dependent with two owners, and a
// dependent of an owner that never existed.
#include "controller/garbagecollector/garbage_collector.h"

#include <gtest/gtest.h>

#include "api/types.h"
#include "client/testing/api_server_fixture.h"
#include "client/typed.h"

namespace kubepp::controller {
namespace {

using std::chrono::milliseconds;

constexpr char kHold[] = "test.kubepp.io/hold";  // a finalizer nobody removes but the test

class GarbageCollectorTest : public client::testing::ApiServerFixture {
 protected:
  void SetUp() override {
    ApiServerFixture::SetUp();
    ControllerContext ctx;
    ctx.client = client_.get();
    ctx.executor = runtime_.Executor();
    ctx.clock = &Clock::Real();
    GarbageCollectorOptions opts;
    opts.workers = 4;
    opts.discovery_period = milliseconds(500);
    opts.informer.backoff.initial = milliseconds(50);
    opts.informer.backoff.max = milliseconds(500);
    gc_ = std::make_unique<GarbageCollector>(ctx, opts);
    gc_->Start();
    ASSERT_TRUE(Eventually([&] { return gc_->Synced(); }));
  }
  void TearDown() override {
    gc_->Stop();
    gc_.reset();
    ApiServerFixture::TearDown();
  }

  static api::OwnerReference RefTo(const api::ConfigMap& owner, bool block = false) {
    api::OwnerReference r;
    r.apiVersion = "v1";
    r.kind = "ConfigMap";
    r.name = owner.metadata.name;
    r.uid = owner.metadata.uid;
    if (block) r.blockOwnerDeletion = true;
    return r;
  }
  api::ConfigMap CreateConfigMap(const std::string& name,
                                 std::vector<api::OwnerReference> owners = {},
                                 std::vector<std::string> finalizers = {}) {
    client::TypedClient<api::ConfigMap> cms(*client_, "default");
    api::ConfigMap cm;
    cm.metadata.name = name;
    cm.metadata.ownerReferences = std::move(owners);
    cm.metadata.finalizers = std::move(finalizers);
    auto r = Run(cms.Create(cm));
    EXPECT_TRUE(r.IsOk()) << r.status().ToString();
    return r.IsOk() ? *r : cm;
  }
  api::Secret CreateSecret(const std::string& name, std::vector<api::OwnerReference> owners) {
    client::TypedClient<api::Secret> secrets(*client_, "default");
    api::Secret s;
    s.metadata.name = name;
    s.metadata.ownerReferences = std::move(owners);
    auto r = Run(secrets.Create(s));
    EXPECT_TRUE(r.IsOk()) << r.status().ToString();
    return r.IsOk() ? *r : s;
  }
  std::optional<api::ConfigMap> GetConfigMap(const std::string& name) {
    client::TypedClient<api::ConfigMap> cms(*client_, "default");
    auto r = Run(cms.Get(name));
    if (!r.IsOk()) {
      EXPECT_TRUE(r.status().IsNotFound()) << r.status().ToString();
      return std::nullopt;
    }
    return *r;
  }
  bool SecretExists(const std::string& name) {
    client::TypedClient<api::Secret> secrets(*client_, "default");
    auto r = Run(secrets.Get(name));
    return r.IsOk();
  }
  void DeleteConfigMap(const std::string& name, const std::string& policy) {
    client::TypedClient<api::ConfigMap> cms(*client_, "default");
    client::DeleteOptions opts;
    opts.propagation_policy = policy;
    Status s = Run(cms.Delete(name, opts));
    ASSERT_TRUE(s.IsOk()) << s.ToString();
  }
  void RemoveFinalizers(const std::string& name) {
    client::TypedClient<api::ConfigMap> cms(*client_, "default");
    for (int attempt = 0; attempt < 10; ++attempt) {
      auto cm = GetConfigMap(name);
      ASSERT_TRUE(cm.has_value());
      cm->metadata.finalizers.clear();
      auto r = Run(cms.Update(*cm));
      if (r.IsOk()) return;
      ASSERT_TRUE(r.status().IsConflict()) << r.status().ToString();
    }
    FAIL() << "could not remove the finalizers of " << name;
  }

  std::unique_ptr<GarbageCollector> gc_;  // the collector under test
};

TEST_F(GarbageCollectorTest, MonitorsDeletableResourcesOnly) {
  auto monitored = gc_->MonitoredResources();
  auto has = [&](const std::string& r) {
    return std::find(monitored.begin(), monitored.end(), r) != monitored.end();
  };
  EXPECT_TRUE(has("configmaps"));
  EXPECT_TRUE(has("secrets"));
  EXPECT_FALSE(has("events"));  // ignored, as upstream
}

TEST_F(GarbageCollectorTest, BackgroundDeletionCollectsDependents) {
  auto owner = CreateConfigMap("owner");
  CreateConfigMap("dep-cm", {RefTo(owner)});
  CreateSecret("dep-secret", {RefTo(owner)});
  auto grandchild_owner = GetConfigMap("dep-cm");
  ASSERT_TRUE(grandchild_owner.has_value());
  CreateConfigMap("grandchild", {RefTo(*grandchild_owner)});
  CreateConfigMap("unrelated");

  DeleteConfigMap("owner", "Background");
  EXPECT_FALSE(GetConfigMap("owner").has_value());  // Background deletes the owner at once
  EXPECT_TRUE(Eventually([&] {
    return !GetConfigMap("dep-cm") && !SecretExists("dep-secret") && !GetConfigMap("grandchild");
  }));
  EXPECT_TRUE(GetConfigMap("unrelated").has_value());
}

TEST_F(GarbageCollectorTest, ForegroundDeletionWaitsForBlockingDependents) {
  auto owner = CreateConfigMap("fg-owner");
  // The dependent holds a finalizer, so it stays (being deleted) until the test lets it go.
  auto dependent = CreateConfigMap("fg-dep", {RefTo(owner, true)}, {kHold});
  // (The collector acts on the dependents its graph knows: let it see this one first.)
  ASSERT_TRUE(Eventually([&] { return gc_->Observed(dependent.metadata.uid); }));

  DeleteConfigMap("fg-owner", "Foreground");
  auto deleting = GetConfigMap("fg-owner");
  ASSERT_TRUE(deleting.has_value());
  EXPECT_FALSE(deleting->metadata.deletionTimestamp.empty());

  // The collector deletes the dependent...
  ASSERT_TRUE(Eventually([&] {
    auto dep = GetConfigMap("fg-dep");
    return dep && !dep->metadata.deletionTimestamp.empty();
  }));
  // ...and the owner stays while the blocking dependent exists.
  auto still = GetConfigMap("fg-owner");
  ASSERT_TRUE(still.has_value());
  EXPECT_TRUE(gc::HasFinalizer(still->metadata, gc::kFinalizerDeleteDependents));

  RemoveFinalizers("fg-dep");
  EXPECT_TRUE(Eventually([&] { return !GetConfigMap("fg-dep") && !GetConfigMap("fg-owner"); }));
}

TEST_F(GarbageCollectorTest, ForegroundDeletionWithoutBlockingDependentsFinishes) {
  auto owner = CreateConfigMap("fg2-owner");
  auto dep = CreateConfigMap("fg2-dep", {RefTo(owner)});
  ASSERT_TRUE(Eventually([&] { return gc_->Observed(dep.metadata.uid); }));
  DeleteConfigMap("fg2-owner", "Foreground");
  EXPECT_TRUE(Eventually([&] { return !GetConfigMap("fg2-dep") && !GetConfigMap("fg2-owner"); }));
}

TEST_F(GarbageCollectorTest, ForegroundDeletionCascadesThroughDependentsWithDependents) {
  auto owner = CreateConfigMap("fg3-owner");
  auto child = CreateConfigMap("fg3-child", {RefTo(owner, true)});
  // The grandchild holds a finalizer: the child, deleted in the foreground, must wait for it.
  auto grandchild = CreateConfigMap("fg3-grandchild", {RefTo(child, true)}, {kHold});
  ASSERT_TRUE(Eventually(
      [&] { return gc_->Observed(child.metadata.uid) && gc_->Observed(grandchild.metadata.uid); }));

  DeleteConfigMap("fg3-owner", "Foreground");
  ASSERT_TRUE(Eventually([&] {
    auto g = GetConfigMap("fg3-grandchild");
    return g && !g->metadata.deletionTimestamp.empty();
  }));
  // The child was deleted in the foreground (it has a dependent), so it and the owner stay.
  auto c = GetConfigMap("fg3-child");
  ASSERT_TRUE(c.has_value());
  EXPECT_TRUE(gc::HasFinalizer(c->metadata, gc::kFinalizerDeleteDependents));
  EXPECT_TRUE(GetConfigMap("fg3-owner").has_value());

  RemoveFinalizers("fg3-grandchild");
  EXPECT_TRUE(Eventually([&] {
    return !GetConfigMap("fg3-grandchild") && !GetConfigMap("fg3-child") &&
           !GetConfigMap("fg3-owner");
  }));
}

TEST_F(GarbageCollectorTest, OrphanDeletionKeepsDependentsWithoutTheReference) {
  auto owner = CreateConfigMap("or-owner");
  auto cm = CreateConfigMap("or-dep", {RefTo(owner)});
  auto sec = CreateSecret("or-secret", {RefTo(owner)});
  // Orphaning acts on the dependents the graph knows (as upstream): let it see both first.
  ASSERT_TRUE(Eventually(
      [&] { return gc_->Observed(cm.metadata.uid) && gc_->Observed(sec.metadata.uid); }));

  DeleteConfigMap("or-owner", "Orphan");
  ASSERT_TRUE(Eventually([&] { return !GetConfigMap("or-owner"); }));
  auto dep = GetConfigMap("or-dep");
  ASSERT_TRUE(dep.has_value());
  EXPECT_TRUE(dep->metadata.ownerReferences.empty());
  client::TypedClient<api::Secret> secrets(*client_, "default");
  auto secret = Run(secrets.Get("or-secret"));
  ASSERT_TRUE(secret.IsOk()) << secret.status().ToString();
  EXPECT_TRUE(secret->metadata.ownerReferences.empty());
}

TEST_F(GarbageCollectorTest, DependentWithAnotherLiveOwnerStays) {
  auto a = CreateConfigMap("owner-a");
  auto b = CreateConfigMap("owner-b");
  CreateConfigMap("shared", {RefTo(a), RefTo(b)});

  DeleteConfigMap("owner-a", "Background");
  // The dangling reference to a is removed; the one to b stays, and so does the object.
  ASSERT_TRUE(Eventually([&] {
    auto dep = GetConfigMap("shared");
    return dep && dep->metadata.ownerReferences.size() == 1;
  }));
  auto dep = GetConfigMap("shared");
  ASSERT_TRUE(dep.has_value());
  EXPECT_EQ(dep->metadata.ownerReferences[0].uid, b.metadata.uid);

  // Now the last owner goes, and the dependent with it.
  DeleteConfigMap("owner-b", "Background");
  EXPECT_TRUE(Eventually([&] { return !GetConfigMap("shared"); }));
}

TEST_F(GarbageCollectorTest, DependentOfAnOwnerThatNeverExistedIsCollected) {
  api::OwnerReference ghost;
  ghost.apiVersion = "v1";
  ghost.kind = "ConfigMap";
  ghost.name = "ghost";
  ghost.uid = "00000000-0000-0000-0000-000000000001";
  CreateConfigMap("orphaned", {ghost});
  // A live object with the owner's name but another uid is not the owner.
  CreateConfigMap("ghost");
  EXPECT_TRUE(Eventually([&] { return !GetConfigMap("orphaned"); }));
  EXPECT_TRUE(GetConfigMap("ghost").has_value());
}

}  // namespace
}  // namespace kubepp::controller
