// The controller manager against a real in-process API server: leader election and the
// namespace controller.
#include "controller/manager/controller_manager.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "client/testing/api_server_fixture.h"
#include "client/typed.h"

namespace kubepp::controller {
namespace {

class ControllerManagerTest : public client::testing::ApiServerFixture {
 protected:
  ControllerManagerOptions Options(std::string identity) {
    ControllerManagerOptions o;
    o.controller_options.namespace_deletion_grace_period = std::chrono::milliseconds(50);
    o.leader_election.identity = std::move(identity);
    o.leader_election.lease_duration = std::chrono::milliseconds(1500);
    o.leader_election.renew_deadline = std::chrono::milliseconds(1000);
    o.leader_election.retry_period = std::chrono::milliseconds(200);
    return o;
  }

  void CreateNamespace(const std::string& name) {
    api::Namespace ns;
    ns.metadata.name = name;
    client::TypedClient<api::Namespace> nss(*client_);
    auto r = Run(nss.Create(std::move(ns)));
    ASSERT_TRUE(r.IsOk()) << r.status().ToString();
  }
  void CreateConfigMap(const std::string& ns, const std::string& name,
                       std::vector<std::string> finalizers = {}) {
    api::ConfigMap cm;
    cm.metadata.name = name;
    cm.metadata.finalizers = std::move(finalizers);
    cm.data["k"] = "v";
    client::TypedClient<api::ConfigMap> cms(*client_, ns);
    auto r = Run(cms.Create(std::move(cm)));
    ASSERT_TRUE(r.IsOk()) << r.status().ToString();
  }
  Status DeleteNamespace(const std::string& name) {
    client::TypedClient<api::Namespace> nss(*client_);
    return Run(nss.Delete(name));
  }
  Result<api::Namespace> GetNamespace(const std::string& name) {
    client::TypedClient<api::Namespace> nss(*client_);
    return Run(nss.Get(name));
  }
  bool NamespaceGone(const std::string& name) {
    auto ns = GetNamespace(name);
    return !ns.IsOk() && ns.status().IsNotFound();
  }
};

TEST_F(ControllerManagerTest, InvalidControllerNameIsRefused) {
  auto o = Options("a");
  o.controllers = {"*", "-nosuch"};
  ControllerManager cm(runtime_, *client_, o, DefaultControllers());
  Status s = cm.Start();
  EXPECT_TRUE(s.IsInvalid()) << s.ToString();
}

TEST_F(ControllerManagerTest, DeletedNamespaceIsEmptiedAndRemoved) {
  ControllerManager cm(runtime_, *client_, Options("cm-1"), DefaultControllers());
  ASSERT_TRUE(cm.Start().IsOk());
  ASSERT_TRUE(Eventually([&] { return cm.Leading(); }));
  // "*" runs every on-by-default controller of the table, in table order.
  std::vector<std::string> enabled;
  for (const auto& d : DefaultControllers()) {
    if (!d.disabled_by_default) enabled.emplace_back(d.name);
  }
  EXPECT_EQ(cm.Running(), enabled);
  EXPECT_NE(std::find(enabled.begin(), enabled.end(), "namespace-controller"), enabled.end());

  CreateNamespace("doomed");
  CreateConfigMap("doomed", "a");
  CreateConfigMap("doomed", "b");
  api::Pod pod;
  pod.metadata.name = "p";
  pod.spec.containers.push_back({.image = "busybox", .name = "c"});
  client::TypedClient<api::Pod> pods(*client_, "doomed");
  ASSERT_TRUE(Run(pods.Create(std::move(pod))).IsOk());

  ASSERT_TRUE(DeleteNamespace("doomed").IsOk());
  EXPECT_TRUE(Eventually([&] { return NamespaceGone("doomed"); }));
  client::TypedClient<api::ConfigMap> cms(*client_, "doomed");
  client::ListOptions all;
  auto left = Run(cms.List(all));
  ASSERT_TRUE(left.IsOk()) << left.status().ToString();
  EXPECT_TRUE(left->items.empty());
  cm.Stop();
  EXPECT_FALSE(cm.LostLeadership());
}

TEST_F(ControllerManagerTest, ContentWithFinalizersKeepsTheNamespaceUntilItGoes) {
  ControllerManager cm(runtime_, *client_, Options("cm-1"), DefaultControllers());
  ASSERT_TRUE(cm.Start().IsOk());
  CreateNamespace("held");
  CreateConfigMap("held", "kept", {"example.com/hold"});
  ASSERT_TRUE(DeleteNamespace("held").IsOk());

  auto condition = [&](std::string_view type) -> std::optional<api::NamespaceCondition> {
    auto ns = GetNamespace("held");
    if (!ns.IsOk()) return std::nullopt;
    for (const auto& c : ns->status.conditions) {
      if (c.type == type) return c;
    }
    return std::nullopt;
  };
  ASSERT_TRUE(Eventually([&] {
    auto c = condition("NamespaceFinalizersRemaining");
    return c && c->status == "True";
  }));
  auto fins = condition("NamespaceFinalizersRemaining");
  EXPECT_EQ(fins->message,
            "Some content in the namespace has finalizers remaining: example.com/hold in 1 "
            "resource instances");
  auto remaining = condition("NamespaceContentRemaining");
  ASSERT_TRUE(remaining);
  EXPECT_EQ(remaining->message,
            "Some resources are remaining: configmaps. has 1 resource instances");
  EXPECT_EQ(GetNamespace("held")->status.phase, "Terminating");

  // The finalizer's owner lets go: the configmap goes, then the namespace (the controller looks
  // again after estimate/2 + 1 = 8 s).
  client::TypedClient<api::ConfigMap> cms(*client_, "held");
  std::string patch = R"({"metadata":{"finalizers":null}})";
  ASSERT_TRUE(Run(cms.Patch("kept", client::PatchType::kMerge, patch)).IsOk());
  EXPECT_TRUE(Eventually([&] { return NamespaceGone("held"); }, std::chrono::seconds(30)));
  cm.Stop();
}

// The default table together: a namespace gets its `default` ServiceAccount, a ReplicaSet its
// pods, and deleting the ReplicaSet lets the garbage collector remove them.
TEST_F(ControllerManagerTest, DefaultControllersWorkTogether) {
  ControllerManager cm(runtime_, *client_, Options("cm-1"), DefaultControllers());
  ASSERT_TRUE(cm.Start().IsOk());
  CreateNamespace("team");
  client::TypedClient<api::ServiceAccount> sas(*client_, "team");
  EXPECT_TRUE(Eventually([&] { return Run(sas.Get("default")).IsOk(); }));

  api::ReplicaSet rs;
  rs.metadata.name = "web";
  rs.spec.replicas = 2;
  rs.spec.selector.matchLabels["app"] = "web";
  rs.spec.template_.metadata.labels["app"] = "web";
  rs.spec.template_.spec.containers.push_back({.image = "busybox", .name = "c"});
  client::TypedClient<api::ReplicaSet> rss(*client_, "team");
  ASSERT_TRUE(Run(rss.Create(std::move(rs))).IsOk());
  client::TypedClient<api::Pod> pods(*client_, "team");
  auto count_pods = [&] {
    client::ListOptions all;
    auto list = Run(pods.List(all));
    return list.IsOk() ? static_cast<int>(list->items.size()) : -1;
  };
  EXPECT_TRUE(Eventually([&] { return count_pods() == 2; }));
  client::DeleteOptions background;
  background.propagation_policy = "Background";
  ASSERT_TRUE(Run(rss.Delete("web", background)).IsOk());
  EXPECT_TRUE(Eventually([&] { return count_pods() == 0; }, std::chrono::seconds(30)));
  cm.Stop();
}

TEST_F(ControllerManagerTest, OneLeaderAndAStandbyThatTakesOver) {
  ControllerManager a(runtime_, *client_, Options("cm-a"), DefaultControllers());
  ASSERT_TRUE(a.Start().IsOk());
  ASSERT_TRUE(Eventually([&] { return a.Leading(); }));
  ControllerManager b(runtime_, *client_, Options("cm-b"), DefaultControllers());
  ASSERT_TRUE(b.Start().IsOk());
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_FALSE(b.Leading());
  a.Stop();  // releases the lease
  EXPECT_TRUE(Eventually([&] { return b.Leading(); }));
  // The standby does the work now.
  CreateNamespace("after-failover");
  ASSERT_TRUE(DeleteNamespace("after-failover").IsOk());
  EXPECT_TRUE(Eventually([&] { return NamespaceGone("after-failover"); }));
  b.Stop();
}

}  // namespace
}  // namespace kubepp::controller
