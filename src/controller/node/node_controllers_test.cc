// The node controllers against an in-process API server. The test plays kubelet: it creates
// Nodes, posts their Ready conditions and renews their Leases.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "api/types.h"
#include "base/rfc3339.h"
#include "client/testing/api_server_fixture.h"
#include "client/typed.h"
#include "controller/controller.h"
#include "controller/node/node_ipam_controller.h"
#include "controller/node/node_lifecycle.h"
#include "controller/node/node_lifecycle_controller.h"
#include "controller/node/pod_gc_controller.h"

namespace kubepp::controller {
namespace {

using std::chrono::milliseconds;

class NodeControllersTest : public client::testing::ApiServerFixture {
 protected:
  void StartController(const ControllerFactory& factory, const ControllerOptions& options) {
    factory_ = std::make_unique<client::SharedInformerFactory>(*client_, runtime_.Executor());
    ControllerContext ctx;
    ctx.client = client_.get();
    ctx.informers = factory_.get();
    ctx.executor = runtime_.Executor();
    ctx.clock = &Clock::Real();
    ctx.options = options;
    controller_ = factory(ctx);
    factory_->Start();
    controller_->Start();
  }
  void TearDown() override {
    stop_renewing_ = true;
    if (renewer_.joinable()) renewer_.join();
    if (controller_) controller_->Stop();
    if (factory_) factory_->Stop();
    controller_.reset();
    factory_.reset();
    ApiServerFixture::TearDown();
  }

  void CreateNamespace(const std::string& name) {
    client::TypedClient<api::Namespace> namespaces(*client_);
    api::Namespace ns;
    ns.metadata.name = name;
    auto r = Run(namespaces.Create(ns));
    ASSERT_TRUE(r.IsOk() || r.status().IsAlreadyExists()) << r.status().ToString();
  }

  // Creates a node and posts Ready=True as its kubelet would.
  void CreateReadyNode(const std::string& name) {
    client::TypedClient<api::Node> nodes(*client_);
    api::Node n;
    n.metadata.name = name;
    auto created = Run(nodes.Create(n));
    ASSERT_TRUE(created.IsOk()) << created.status().ToString();
    PostReady(name, "True");
  }
  void PostReady(const std::string& name, const std::string& status) {
    client::TypedClient<api::Node> nodes(*client_);
    for (int attempt = 0; attempt < 10; ++attempt) {
      auto got = Run(nodes.Get(name));
      ASSERT_TRUE(got.IsOk()) << got.status().ToString();
      api::Node n = *got;
      std::string now = FormatRfc3339Micro(Clock::Real().WallNow());
      bool found = false;
      for (auto& c : n.status.conditions) {
        if (c.type != "Ready") continue;
        found = true;
        if (c.status != status) c.lastTransitionTime = now;
        c.status = status;
        c.reason = "KubeletReady";
        c.message = "kubelet is posting ready status";
        c.lastHeartbeatTime = now;
      }
      if (!found) {
        api::NodeCondition c;
        c.type = "Ready";
        c.status = status;
        c.reason = "KubeletReady";
        c.lastHeartbeatTime = now;
        c.lastTransitionTime = now;
        n.status.conditions.push_back(c);
      }
      auto r = Run(nodes.UpdateStatus(n));
      if (r.IsOk()) return;
      ASSERT_TRUE(r.status().IsConflict()) << r.status().ToString();
    }
    FAIL() << "could not post status of " << name;
  }
  // Renews the node's Lease in kube-node-lease every 100 ms until the test ends.
  void StartRenewingLease(const std::string& node_name) {
    CreateNamespace(node::kLeaseNamespace);
    renewer_ = std::thread([this, node_name] {
      client::TypedClient<api::Lease> leases(*client_, node::kLeaseNamespace);
      while (!stop_renewing_) {
        auto got = Run(leases.Get(node_name));
        api::Lease l;
        if (got.IsOk()) l = *got;
        l.metadata.name = node_name;
        l.metadata.namespace_ = node::kLeaseNamespace;
        l.spec.holderIdentity = node_name;
        l.spec.leaseDurationSeconds = 40;
        l.spec.renewTime = FormatRfc3339Micro(Clock::Real().WallNow());
        if (got.IsOk()) {
          (void)Run(leases.Update(l));
        } else {
          (void)Run(leases.Create(l));
        }
        std::this_thread::sleep_for(milliseconds(100));
      }
    });
  }

  std::optional<api::Node> GetNode(const std::string& name) {
    client::TypedClient<api::Node> nodes(*client_);
    auto r = Run(nodes.Get(name));
    if (!r.IsOk()) return std::nullopt;
    return *r;
  }
  std::optional<api::Pod> GetPod(const std::string& name) {
    client::TypedClient<api::Pod> pods(*client_, "default");
    auto r = Run(pods.Get(name));
    if (!r.IsOk()) return std::nullopt;
    return *r;
  }
  // Deleted, or being deleted (a bound pod waits for its kubelet: graceful deletion).
  bool Evicted(const std::string& name) {
    auto p = GetPod(name);
    return !p.has_value() || !p->metadata.deletionTimestamp.empty();
  }
  static bool HasTaint(const api::Node& n, const std::string& key, const std::string& effect) {
    for (const auto& t : n.spec.taints) {
      if (t.key == key && t.effect == effect) return true;
    }
    return false;
  }
  static std::string PodReady(const api::Pod& p) {
    for (const auto& c : p.status.conditions) {
      if (c.type == "Ready") return c.status;
    }
    return "";
  }

  // A running, ready pod on `node_name`.
  api::Pod CreatePod(const std::string& name, const std::string& node_name,
                     std::vector<api::Toleration> tolerations) {
    client::TypedClient<api::Pod> pods(*client_, "default");
    api::Pod p;
    p.metadata.name = name;
    p.metadata.namespace_ = "default";
    api::Container c;
    c.name = "c";
    c.image = "img";
    p.spec.containers.push_back(c);
    p.spec.nodeName = node_name;
    p.spec.tolerations = std::move(tolerations);
    auto created = Run(pods.Create(p));
    EXPECT_TRUE(created.IsOk()) << created.status().ToString();
    if (!created.IsOk()) return p;
    api::Pod s = *created;
    s.status.phase = "Running";
    api::PodCondition ready;
    ready.type = "Ready";
    ready.status = "True";
    s.status.conditions.push_back(ready);
    auto updated = Run(pods.UpdateStatus(s));
    EXPECT_TRUE(updated.IsOk()) << updated.status().ToString();
    return updated.IsOk() ? *updated : s;
  }

  std::unique_ptr<client::SharedInformerFactory> factory_;  // the controller's informers
  std::unique_ptr<Controller> controller_;                  // under test
  std::thread renewer_;                                     // the fake kubelet's lease loop
  std::atomic<bool> stop_renewing_{false};                  // ends renewer_
};

api::Toleration Tolerate(const std::string& key, std::optional<int64_t> seconds) {
  api::Toleration t;
  t.key = key;
  t.operator_ = "Exists";
  t.effect = "NoExecute";
  t.tolerationSeconds = seconds;
  return t;
}

ControllerOptions FastLifecycle() {
  ControllerOptions o;
  o.node_monitor_period = milliseconds(100);
  o.node_monitor_grace_period = milliseconds(1500);
  o.node_startup_grace_period = milliseconds(1500);
  return o;
}

TEST_F(NodeControllersTest, SilentNodeIsTaintedItsPodsEvictedAndRecovers) {
  CreateReadyNode("silent");
  CreateReadyNode("alive");
  StartRenewingLease("alive");
  // The API server adds not-ready/unreachable tolerations of 300 s to pods that have none
  // (DefaultTolerationSeconds); a toleration of another value of the key keeps them off.
  api::Toleration other_value;
  other_value.key = node::kTaintUnreachable;
  other_value.operator_ = "Equal";
  other_value.value = "something-else";
  other_value.effect = "NoExecute";
  CreatePod("intolerant", "silent", {other_value});
  api::Pod defaulted = CreatePod("defaulted", "silent", {});
  ASSERT_EQ(defaulted.spec.tolerations.size(), 2u);
  EXPECT_EQ(defaulted.spec.tolerations[1].key, node::kTaintUnreachable);
  EXPECT_EQ(defaulted.spec.tolerations[1].tolerationSeconds, 300);
  CreatePod("tolerates-2s", "silent", {Tolerate(node::kTaintUnreachable, 2)});
  CreatePod("tolerates-forever", "silent", {Tolerate(node::kTaintUnreachable, std::nullopt)});
  CreatePod("on-alive", "alive", {});
  StartController(NewNodeLifecycleController, FastLifecycle());

  // The silent node turns Unknown and gets the unreachable taints.
  ASSERT_TRUE(Eventually([&] {
    auto n = GetNode("silent");
    return n && HasTaint(*n, node::kTaintUnreachable, "NoExecute") &&
           HasTaint(*n, node::kTaintUnreachable, "NoSchedule");
  }));
  auto silent = GetNode("silent");
  const auto* ready = node::FindCondition(*silent, "Ready");
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->status, "Unknown");
  EXPECT_EQ(ready->reason, "NodeStatusUnknown");
  EXPECT_EQ(ready->message, "Kubelet stopped posting node status.");
  std::string time_added;
  for (const auto& t : silent->spec.taints) {
    if (t.effect == "NoExecute") time_added = t.timeAdded;
  }
  ASSERT_TRUE(ParseRfc3339(time_added).has_value()) << time_added;

  // Pods: the intolerant one goes at once, the one with tolerationSeconds after that long,
  // the one tolerating forever stays and is marked not ready.
  ASSERT_TRUE(Eventually([&] { return Evicted("intolerant"); }));
  ASSERT_TRUE(Eventually([&] {
    auto p = GetPod("tolerates-forever");
    return p && PodReady(*p) == "False";
  }));
  ASSERT_TRUE(Eventually([&] { return Evicted("tolerates-2s"); }));
  EXPECT_GE(Clock::Real().WallNow(), *ParseRfc3339(time_added) + std::chrono::seconds(2));
  EXPECT_FALSE(Evicted("tolerates-forever"));
  EXPECT_FALSE(Evicted("defaulted")) << "tolerates unreachable for 300 s";

  // The node whose kubelet renews its Lease is left alone.
  auto alive = GetNode("alive");
  ASSERT_TRUE(alive.has_value());
  EXPECT_FALSE(HasTaint(*alive, node::kTaintUnreachable, "NoExecute"));
  EXPECT_EQ(node::FindCondition(*alive, "Ready")->status, "True");
  auto on_alive = GetPod("on-alive");
  ASSERT_TRUE(on_alive.has_value());
  EXPECT_EQ(PodReady(*on_alive), "True");

  // The kubelet comes back: the taints go.
  PostReady("silent", "True");
  ASSERT_TRUE(Eventually([&] {
    auto n = GetNode("silent");
    return n && !HasTaint(*n, node::kTaintUnreachable, "NoExecute") &&
           !HasTaint(*n, node::kTaintUnreachable, "NoSchedule");
  }));
  EXPECT_FALSE(Evicted("tolerates-forever"));
}

TEST_F(NodeControllersTest, NotReadyNodeGetsNotReadyTaints) {
  CreateReadyNode("sick");
  StartRenewingLease("sick");
  StartController(NewNodeLifecycleController, FastLifecycle());
  PostReady("sick", "False");
  ASSERT_TRUE(Eventually([&] {
    auto n = GetNode("sick");
    return n && HasTaint(*n, node::kTaintNotReady, "NoExecute") &&
           HasTaint(*n, node::kTaintNotReady, "NoSchedule");
  }));
  auto n = GetNode("sick");
  EXPECT_FALSE(HasTaint(*n, node::kTaintUnreachable, "NoExecute"));
  PostReady("sick", "True");
  ASSERT_TRUE(Eventually([&] {
    auto again = GetNode("sick");
    return again && again->spec.taints.empty();
  }));
}

// ---- node IPAM

ControllerOptions Ipam(const std::string& cluster_cidr) {
  ControllerOptions o;
  o.allocate_node_cidrs = true;
  o.cluster_cidr = cluster_cidr;
  o.node_cidr_mask_size = 24;
  return o;
}

TEST_F(NodeControllersTest, IpamAssignsSubnetsInOrder) {
  client::TypedClient<api::Node> nodes(*client_);
  api::Node pre;
  pre.metadata.name = "node-a";
  ASSERT_TRUE(Run(nodes.Create(pre)).IsOk());
  StartController(NewNodeIpamController, Ipam("198.18.0.0/16"));
  ASSERT_TRUE(Eventually([&] {
    auto n = GetNode("node-a");
    return n && !n->spec.podCIDR.empty();
  }));
  for (const char* name : {"node-b", "node-c"}) {
    api::Node n;
    n.metadata.name = name;
    ASSERT_TRUE(Run(nodes.Create(n)).IsOk());
    ASSERT_TRUE(Eventually([&] {
      auto got = GetNode(name);
      return got && !got->spec.podCIDR.empty();
    }));
  }
  EXPECT_EQ(GetNode("node-a")->spec.podCIDR, "198.18.0.0/24");
  auto b = GetNode("node-b");
  EXPECT_EQ(b->spec.podCIDR, "198.18.1.0/24");
  EXPECT_EQ(b->spec.podCIDRs, std::vector<std::string>{"198.18.1.0/24"});
  EXPECT_EQ(GetNode("node-c")->spec.podCIDR, "198.18.2.0/24");
}

TEST_F(NodeControllersTest, IpamKeepsExistingSubnetsAndReportsAFullRange) {
  client::TypedClient<api::Node> nodes(*client_);
  api::Node pre;
  pre.metadata.name = "has-cidr";
  pre.spec.podCIDR = "198.18.0.0/24";
  pre.spec.podCIDRs = {"198.18.0.0/24"};
  ASSERT_TRUE(Run(nodes.Create(pre)).IsOk());
  StartController(NewNodeIpamController, Ipam("198.18.0.0/23"));  // two subnets

  api::Node second;
  second.metadata.name = "second";
  ASSERT_TRUE(Run(nodes.Create(second)).IsOk());
  ASSERT_TRUE(Eventually([&] {
    auto n = GetNode("second");
    return n && n->spec.podCIDR == "198.18.1.0/24";
  }));

  // The range is full: the third node waits, with an event.
  api::Node third;
  third.metadata.name = "third";
  ASSERT_TRUE(Run(nodes.Create(third)).IsOk());
  client::TypedClient<api::Event> events(*client_, "default");
  ASSERT_TRUE(Eventually([&] {
    client::ListOptions opts;
    auto list = Run(events.List(opts));
    if (!list.IsOk()) return false;
    for (const auto& e : list->items) {
      if (e.reason == "CIDRNotAvailable" && e.involvedObject.name == "third") return true;
    }
    return false;
  }));
  EXPECT_TRUE(GetNode("third")->spec.podCIDR.empty());

  // A node goes away: its subnet is free again.
  ASSERT_TRUE(Run(nodes.Delete("has-cidr")).IsOk());
  ASSERT_TRUE(Eventually([&] {
    auto n = GetNode("third");
    return n && n->spec.podCIDR == "198.18.0.0/24";
  }));
}

// ---- pod GC

PodGcControllerOptions FastGc() {
  PodGcControllerOptions o;
  o.gc_check_period = milliseconds(100);
  o.quarantine = milliseconds(300);
  return o;
}

TEST_F(NodeControllersTest, PodGcDeletesPodsOfDeletedNodes) {
  CreateReadyNode("doomed");
  CreateReadyNode("stays");
  CreatePod("orphan-to-be", "doomed", {});
  CreatePod("kept", "stays", {});
  ControllerOptions options;
  StartController([](const ControllerContext& ctx) { return NewPodGcController(ctx, FastGc()); },
                  options);
  client::TypedClient<api::Node> nodes(*client_);
  ASSERT_TRUE(Run(nodes.Delete("doomed")).IsOk());
  ASSERT_TRUE(Eventually([&] { return !GetPod("orphan-to-be").has_value(); }));
  EXPECT_TRUE(GetPod("kept").has_value());
}

TEST_F(NodeControllersTest, PodGcDeletesOldestTerminatedPodsBeyondThreshold) {
  CreateReadyNode("worker");
  client::TypedClient<api::Pod> pods(*client_, "default");
  for (const char* name : {"done-1", "done-2", "done-3", "done-4"}) {
    api::Pod p = CreatePod(name, "worker", {});
    p.status.phase = "Succeeded";
    ASSERT_TRUE(Run(pods.UpdateStatus(p)).IsOk());
    std::this_thread::sleep_for(milliseconds(1100));  // distinct creationTimestamps (seconds)
  }
  CreatePod("running", "worker", {});
  ControllerOptions options;
  options.terminated_pod_gc_threshold = 2;
  StartController([](const ControllerContext& ctx) { return NewPodGcController(ctx, FastGc()); },
                  options);
  ASSERT_TRUE(
      Eventually([&] { return !GetPod("done-1").has_value() && !GetPod("done-2").has_value(); }));
  EXPECT_TRUE(GetPod("done-3").has_value());
  EXPECT_TRUE(GetPod("done-4").has_value());
  EXPECT_TRUE(GetPod("running").has_value());
}

}  // namespace
}  // namespace kubepp::controller
