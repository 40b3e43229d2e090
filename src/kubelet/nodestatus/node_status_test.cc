// The kubelet's Node: the pure builders (labels, capacity/allocatable, conditions) and the
// manager against an in-process API server (registration, re-registration after a restart,
// status posted on change, the heartbeat Lease).
#include "kubelet/nodestatus/node_status.h"

#include <gtest/gtest.h>

#include "client/testing/api_server_fixture.h"
#include "client/typed.h"

namespace kubepp::kubelet {
namespace {

using namespace std::chrono_literals;

MachineInfo Machine() {
  MachineInfo m;
  m.num_cores = 2;
  m.memory_capacity_bytes = 8LL * 1024 * 1024 * 1024;
  m.fs_capacity_bytes = 100LL * 1024 * 1024 * 1024;
  m.machine_id = "m-1";
  m.system_uuid = "uuid-1";
  m.boot_id = "boot-1";
  m.kernel_version = "6.1.0";
  m.os_image = "Debian GNU/Linux 12 (bookworm)";
  m.architecture = "amd64";
  return m;
}

NodeStatusOptions Options() {
  NodeStatusOptions o;
  o.node_name = "node-1";
  o.hostname = "node-1";
  o.node_ip = "198.18.255.1";
  o.node_labels = {{"tier", "edge"}};
  o.register_with_taints = {api::Taint{.effect = "NoSchedule", .key = "dedicated", .value = "x"}};
  o.pod_cidr = "198.18.1.0/24";
  return o;
}

const api::NodeCondition* Find(const api::Node& n, const std::string& type) {
  for (const auto& c : n.status.conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

TEST(NodeStatusTest, InitialNodeHasUpstreamLabelsAnnotationTaintsAndCidr) {
  api::Node n = InitialNode(Options(), Machine());
  EXPECT_EQ(n.metadata.name, "node-1");
  EXPECT_EQ(n.metadata.labels.at("kubernetes.io/hostname"), "node-1");
  EXPECT_EQ(n.metadata.labels.at("kubernetes.io/os"), "linux");
  EXPECT_EQ(n.metadata.labels.at("kubernetes.io/arch"), "amd64");
  EXPECT_EQ(n.metadata.labels.at("beta.kubernetes.io/arch"), "amd64");
  EXPECT_EQ(n.metadata.labels.at("tier"), "edge");
  EXPECT_EQ(n.metadata.annotations.at("volumes.kubernetes.io/controller-managed-attach-detach"),
            "true");
  ASSERT_EQ(n.spec.taints.size(), 1U);
  EXPECT_EQ(n.spec.podCIDR, "198.18.1.0/24");
  EXPECT_EQ(n.spec.podCIDRs, std::vector<std::string>{"198.18.1.0/24"});
}

TEST(NodeStatusTest, CapacityAllocatableAddressesAndInfo) {
  api::Node n = InitialNode(Options(), Machine());
  RuntimeState rt{.ready = true, .version = "containerd://1.6.20", .message = ""};
  SetNodeStatus(n, Options(), Machine(), rt, Clock::WallTime{} + 1000s);
  const auto& s = n.status;
  EXPECT_EQ(s.capacity.at("cpu").text, "2");
  EXPECT_EQ(s.capacity.at("memory").text, "8388608Ki");
  EXPECT_EQ(s.capacity.at("pods").text, "110");
  EXPECT_EQ(s.capacity.at("ephemeral-storage").text, "104857600Ki");
  EXPECT_EQ(s.capacity.at("hugepages-2Mi").text, "0");
  EXPECT_EQ(s.allocatable.at("memory").text, "8286208Ki");  // minus 100Mi
  EXPECT_EQ(s.allocatable.at("ephemeral-storage").text,
            std::to_string(100LL * 1024 * 1024 * 1024 * 9 / 10));
  EXPECT_EQ(s.allocatable.at("cpu").text, "2");
  ASSERT_EQ(s.addresses.size(), 2U);
  EXPECT_EQ(s.addresses[0].type, "InternalIP");
  EXPECT_EQ(s.addresses[0].address, "198.18.255.1");
  EXPECT_EQ(s.addresses[1].type, "Hostname");
  EXPECT_EQ(s.daemonEndpoints->kubeletEndpoint->Port, 10250);
  EXPECT_EQ(s.nodeInfo->containerRuntimeVersion, "containerd://1.6.20");
  EXPECT_EQ(s.nodeInfo->kubeletVersion, "v1.32.0");
  EXPECT_EQ(s.nodeInfo->operatingSystem, "linux");
  EXPECT_EQ(s.nodeInfo->bootID, "boot-1");
  ASSERT_EQ(s.conditions.size(), 4U);
  EXPECT_EQ(s.conditions[0].type, "MemoryPressure");
  EXPECT_EQ(s.conditions[0].reason, "KubeletHasSufficientMemory");
  EXPECT_EQ(s.conditions[1].message, "kubelet has no disk pressure");
  EXPECT_EQ(s.conditions[2].reason, "KubeletHasSufficientPID");
  EXPECT_EQ(s.conditions[3].type, "Ready");
  EXPECT_EQ(s.conditions[3].status, "True");
  EXPECT_EQ(s.conditions[3].message, "kubelet is posting ready status");
}

TEST(NodeStatusTest, TransitionTimeMovesOnlyWhenStatusChanges) {
  api::Node n = InitialNode(Options(), Machine());
  RuntimeState ready{.ready = true, .version = "containerd://1.6.20", .message = ""};
  SetNodeStatus(n, Options(), Machine(), ready, Clock::WallTime{} + 1000s);
  api::Node later = n;
  SetNodeStatus(later, Options(), Machine(), ready, Clock::WallTime{} + 2000s);
  const auto* r1 = Find(n, "Ready");
  const auto* r2 = Find(later, "Ready");
  EXPECT_EQ(r2->lastTransitionTime, r1->lastTransitionTime);
  EXPECT_NE(r2->lastHeartbeatTime, r1->lastHeartbeatTime);
  EXPECT_FALSE(NodeStatusChanged(n.status, later.status));  // heartbeats only
  later.status.capacity["memory"] = api::Quantity{"8Gi"};   // as the API server writes it back
  EXPECT_FALSE(NodeStatusChanged(n.status, later.status));

  RuntimeState down{.ready = false, .version = "", .message = "container runtime is down"};
  api::Node broken = later;
  SetNodeStatus(broken, Options(), Machine(), down, Clock::WallTime{} + 3000s);
  const auto* r3 = Find(broken, "Ready");
  EXPECT_EQ(r3->status, "False");
  EXPECT_EQ(r3->reason, "KubeletNotReady");
  EXPECT_NE(r3->lastTransitionTime, r2->lastTransitionTime);
  EXPECT_TRUE(NodeStatusChanged(later.status, broken.status));
  // Conditions of others survive.
  broken.status.conditions.push_back(api::NodeCondition{.status = "False", .type = "Custom"});
  SetNodeStatus(broken, Options(), Machine(), ready, Clock::WallTime{} + 4000s);
  EXPECT_NE(Find(broken, "Custom"), nullptr);
}

TEST(NodeStatusTest, ReconcileExistingNodeAddsDefaultsOnly) {
  api::Node want = InitialNode(Options(), Machine());
  api::Node existing;
  existing.metadata.name = "node-1";
  existing.metadata.labels = {{"kubernetes.io/arch", "arm64"}, {"admin", "label"}};
  EXPECT_TRUE(ReconcileExistingNode(want, existing));
  EXPECT_EQ(existing.metadata.labels.at("kubernetes.io/arch"), "amd64");
  EXPECT_EQ(existing.metadata.labels.at("admin"), "label");
  EXPECT_FALSE(existing.metadata.labels.contains("tier"));  // --node-labels: registration only
  EXPECT_FALSE(ReconcileExistingNode(want, existing));
}

TEST(MachineInfoTest, ReadsThisMachine) {
  auto m = ReadMachineInfo("/tmp");
  ASSERT_TRUE(m.IsOk()) << m.status().ToString();
  EXPECT_GE(m->num_cores, 1);
  EXPECT_GT(m->memory_capacity_bytes, 0);
  EXPECT_GT(m->fs_capacity_bytes, 0);
  EXPECT_FALSE(m->kernel_version.empty());
  EXPECT_FALSE(m->boot_id.empty());
  EXPECT_EQ(GoArch("x86_64"), "amd64");
  EXPECT_EQ(GoArch("aarch64"), "arm64");
  EXPECT_FALSE(ReadMachineInfo("/no/such/dir").IsOk());
}

// ---- against the API server

class NodeStatusManagerTest : public client::testing::ApiServerFixture {
 protected:
  NodeStatusOptions FastOptions() {
    NodeStatusOptions o = Options();
    o.status_update_frequency = 50ms;
    o.status_report_frequency = 10s;
    o.lease_renew_interval = 50ms;
    return o;
  }
  std::unique_ptr<NodeStatusManager> StartManager() {
    auto m =
        std::make_unique<NodeStatusManager>(runtime_, *client_, FastOptions(), Machine(), [this] {
          std::lock_guard lock(mu_);
          return runtime_state_;
        });
    m->Start();
    return m;
  }
  std::optional<api::Node> GetNode() {
    client::TypedClient<api::Node> nodes(*client_);
    auto r = Run(nodes.Get("node-1"));
    if (!r.IsOk()) return std::nullopt;
    return *r;
  }
  std::optional<api::Lease> GetLease() {
    client::TypedClient<api::Lease> leases(*client_, kNodeLeaseNamespace);
    auto r = Run(leases.Get("node-1"));
    if (!r.IsOk()) return std::nullopt;
    return *r;
  }
  void SetRuntime(RuntimeState s) {
    std::lock_guard lock(mu_);
    runtime_state_ = std::move(s);
  }

  std::mutex mu_;
  RuntimeState runtime_state_{.ready = true, .version = "containerd://1.6.20", .message = ""};
};

TEST_F(NodeStatusManagerTest, RegistersHeartbeatsAndFollowsTheRuntime) {
  auto m = StartManager();
  ASSERT_TRUE(Eventually([&] { return m->Registered(); }));
  auto node = GetNode();
  ASSERT_TRUE(node.has_value());
  EXPECT_EQ(node->metadata.labels.at("kubernetes.io/hostname"), "node-1");
  // The API server canonicalizes quantities (8388608Ki is 8Gi), as upstream.
  EXPECT_EQ(node->status.capacity.at("memory").text, "8Gi");
  ASSERT_NE(Find(*node, "Ready"), nullptr);
  EXPECT_EQ(Find(*node, "Ready")->status, "True");

  // The Lease: held by the node, owned by the Node, renewed.
  std::optional<api::Lease> lease;
  ASSERT_TRUE(Eventually([&] { return (lease = GetLease()).has_value(); }));
  EXPECT_EQ(lease->spec.holderIdentity, "node-1");
  EXPECT_EQ(lease->spec.leaseDurationSeconds, 40);
  ASSERT_EQ(lease->metadata.ownerReferences.size(), 1U);
  EXPECT_EQ(lease->metadata.ownerReferences[0].kind, "Node");
  EXPECT_EQ(lease->metadata.ownerReferences[0].uid, node->metadata.uid);
  const std::string first_renew = lease->spec.renewTime;
  EXPECT_TRUE(Eventually([&] {
    auto l = GetLease();
    return l.has_value() && l->spec.renewTime != first_renew;
  }));

  // The runtime goes away: Ready=False is posted without waiting for the report period.
  SetRuntime({.ready = false, .version = "containerd://1.6.20", .message = "runtime down"});
  EXPECT_TRUE(Eventually([&] {
    auto n = GetNode();
    const auto* r = n ? Find(*n, "Ready") : nullptr;
    return r != nullptr && r->status == "False" && r->message == "runtime down";
  }));
  m->Stop();
}

TEST_F(NodeStatusManagerTest, ARestartReconcilesTheExistingNode) {
  std::string uid;
  {
    auto m = StartManager();
    ASSERT_TRUE(Eventually([&] { return m->Registered(); }));
    m->Stop();
    auto node = GetNode();
    ASSERT_TRUE(node.has_value());
    uid = node->metadata.uid;
    // Someone changed a default label meanwhile.
    node->metadata.labels["kubernetes.io/os"] = "windows";
    client::TypedClient<api::Node> nodes(*client_);
    ASSERT_TRUE(Run(nodes.Update(*node)).IsOk());
  }
  auto m = StartManager();
  ASSERT_TRUE(Eventually([&] { return m->Registered(); }));
  auto node = GetNode();
  ASSERT_TRUE(node.has_value());
  EXPECT_EQ(node->metadata.uid, uid);  // the same Node
  EXPECT_EQ(node->metadata.labels.at("kubernetes.io/os"), "linux");
  m->Stop();
}

}  // namespace
}  // namespace kubepp::kubelet
