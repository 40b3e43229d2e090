#include "scheduler/cache/cache.h"

#include <gtest/gtest.h>

namespace kubepp::scheduler {
namespace {

std::shared_ptr<api::Node> MakeNode(const std::string& name, const std::string& zone = "") {
  auto n = std::make_shared<api::Node>();
  n->metadata.name = name;
  if (!zone.empty()) n->metadata.labels["topology.kubernetes.io/zone"] = zone;
  n->status.allocatable = {{"cpu", {"4"}}, {"memory", {"8Gi"}}, {"pods", {"110"}}};
  return n;
}

std::shared_ptr<api::Pod> MakePod(const std::string& name, const std::string& node = "",
                                  const std::string& cpu = "1") {
  auto p = std::make_shared<api::Pod>();
  p->metadata.name = name;
  p->metadata.namespace_ = "default";
  p->metadata.uid = "uid-" + name;
  p->spec.nodeName = node;
  api::Container c;
  c.name = "c";
  c.image = "nginx";
  c.resources = api::ResourceRequirements{};
  c.resources->requests = {{"cpu", {cpu}}};
  p->spec.containers.push_back(std::move(c));
  return p;
}

int64_t MilliCpu(const Snapshot& s, const std::string& node) {
  const NodeInfo* n = s.Get(node);
  return n == nullptr ? -1 : n->Requested().milli_cpu;
}

TEST(CacheTest, AssumeThenConfirmByTheInformer) {
  FakeClock clock;
  Cache cache(clock);
  cache.AddNode(MakeNode("n1"));
  Snapshot snap;
  cache.UpdateSnapshot(snap);
  EXPECT_EQ(MilliCpu(snap, "n1"), 0);

  auto pod = MakePod("p");
  auto info = PodInfo::Make(pod);
  ASSERT_TRUE(cache.AssumePod(info, "n1").IsOk());
  EXPECT_TRUE(cache.IsAssumedPod("uid-p"));
  EXPECT_EQ(cache.AssumePod(info, "n1").Code(), StatusCode::kAlreadyExists);
  cache.UpdateSnapshot(snap);
  EXPECT_EQ(MilliCpu(snap, "n1"), 1000);
  ASSERT_EQ(snap.Get("n1")->Pods().size(), 1U);
  EXPECT_EQ(snap.Get("n1")->Pods()[0]->Pod().spec.nodeName, "n1");  // the assumed copy
  EXPECT_EQ(pod->spec.nodeName, "");                                // the original untouched

  cache.FinishBinding("uid-p");
  cache.AddPod(MakePod("p", "n1"));  // the informer sees the bound pod
  EXPECT_FALSE(cache.IsAssumedPod("uid-p"));
  EXPECT_EQ(cache.Sizes().pods, 1U);
  cache.UpdateSnapshot(snap);
  EXPECT_EQ(MilliCpu(snap, "n1"), 1000);
  EXPECT_EQ(cache.ForgetPod("uid-p").Code(), StatusCode::kConflict);  // confirmed: stays

  cache.RemovePod(*MakePod("p", "n1"));
  cache.UpdateSnapshot(snap);
  EXPECT_EQ(MilliCpu(snap, "n1"), 0);
  EXPECT_EQ(cache.Sizes().pods, 0U);
}

TEST(CacheTest, ForgetUndoesAnAssume) {
  FakeClock clock;
  Cache cache(clock);
  cache.AddNode(MakeNode("n1"));
  Snapshot snap;
  ASSERT_TRUE(cache.AssumePod(PodInfo::Make(MakePod("p")), "n1").IsOk());
  cache.UpdateSnapshot(snap);
  EXPECT_EQ(MilliCpu(snap, "n1"), 1000);
  ASSERT_TRUE(cache.ForgetPod("uid-p").IsOk());
  EXPECT_EQ(cache.ForgetPod("uid-p").Code(), StatusCode::kNotFound);
  cache.UpdateSnapshot(snap);
  EXPECT_EQ(MilliCpu(snap, "n1"), 0);
}

TEST(CacheTest, ConfirmedOnAnotherNodeMovesThePod) {
  FakeClock clock;
  Cache cache(clock);
  cache.AddNode(MakeNode("n1"));
  cache.AddNode(MakeNode("n2"));
  ASSERT_TRUE(cache.AssumePod(PodInfo::Make(MakePod("p")), "n1").IsOk());
  cache.AddPod(MakePod("p", "n2"));
  Snapshot snap;
  cache.UpdateSnapshot(snap);
  EXPECT_EQ(MilliCpu(snap, "n1"), 0);
  EXPECT_EQ(MilliCpu(snap, "n2"), 1000);
  EXPECT_EQ(cache.NodeOf("uid-p"), "n2");
}

TEST(CacheTest, AssumedPodsExpireAfterTheTtlOnceBindingFinished) {
  FakeClock clock;
  Cache cache(clock, std::chrono::seconds(30));
  cache.AddNode(MakeNode("n1"));
  ASSERT_TRUE(cache.AssumePod(PodInfo::Make(MakePod("a")), "n1").IsOk());
  ASSERT_TRUE(cache.AssumePod(PodInfo::Make(MakePod("b")), "n1").IsOk());
  cache.FinishBinding("uid-a");  // b's binding still running: never expires
  clock.Advance(std::chrono::seconds(31));
  EXPECT_EQ(cache.CleanupExpiredAssumedPods(), 1U);
  EXPECT_FALSE(cache.IsAssumedPod("uid-a"));
  EXPECT_TRUE(cache.IsAssumedPod("uid-b"));

  Cache no_ttl(clock);
  no_ttl.AddNode(MakeNode("n1"));
  ASSERT_TRUE(no_ttl.AssumePod(PodInfo::Make(MakePod("a")), "n1").IsOk());
  no_ttl.FinishBinding("uid-a");
  clock.Advance(std::chrono::hours(1));
  EXPECT_EQ(no_ttl.CleanupExpiredAssumedPods(), 0U);
}

TEST(CacheTest, PodsBeforeTheirNodeAndNodesRemovedWithPods) {
  FakeClock clock;
  Cache cache(clock);
  cache.AddPod(MakePod("p", "n1"));  // the node is not known yet
  Snapshot snap;
  cache.UpdateSnapshot(snap);
  EXPECT_EQ(snap.NumNodes(), 0U);
  cache.AddNode(MakeNode("n1"));
  cache.UpdateSnapshot(snap);
  ASSERT_EQ(snap.NumNodes(), 1U);
  EXPECT_EQ(MilliCpu(snap, "n1"), 1000);

  cache.RemoveNode(*MakeNode("n1"));
  cache.UpdateSnapshot(snap);
  EXPECT_EQ(snap.NumNodes(), 0U);
  EXPECT_EQ(cache.Sizes().nodes, 0U);
  ASSERT_NE(cache.GetNodeInfo("n1"), nullptr);  // its pod is still known
  cache.RemovePod(*MakePod("p", "n1"));
  EXPECT_EQ(cache.GetNodeInfo("n1"), nullptr);
}

TEST(CacheTest, SnapshotsAreIncrementalAndIndependent) {
  FakeClock clock;
  Cache cache(clock);
  cache.AddNode(MakeNode("n1"));
  cache.AddNode(MakeNode("n2"));
  Snapshot snap;
  cache.UpdateSnapshot(snap);
  const NodeInfo* n2_before = snap.Get("n2");
  cache.AddPod(MakePod("p", "n1"));
  cache.UpdateSnapshot(snap);
  EXPECT_EQ(snap.Get("n2"), n2_before);  // untouched node not re-cloned
  EXPECT_EQ(MilliCpu(snap, "n1"), 1000);

  Snapshot old = snap;  // a cycle still reading the old state
  cache.AddPod(MakePod("q", "n1", "2"));
  cache.UpdateSnapshot(snap);
  EXPECT_EQ(MilliCpu(snap, "n1"), 3000);
  EXPECT_EQ(MilliCpu(old, "n1"), 1000);

  auto n1 = MakeNode("n1");
  n1->metadata.labels["x"] = "y";
  cache.UpdateNode(MakeNode("n1"), n1);
  cache.UpdateSnapshot(snap);
  EXPECT_EQ(snap.Get("n1")->Node()->metadata.labels.at("x"), "y");
  EXPECT_EQ(MilliCpu(snap, "n1"), 3000);
}

TEST(CacheTest, NodesAreListedZoneByZoneInTurn) {
  FakeClock clock;
  Cache cache(clock);
  for (const char* n : {"a1", "a2", "a3"}) cache.AddNode(MakeNode(n, "a"));
  for (const char* n : {"b1", "b2"}) cache.AddNode(MakeNode(n, "b"));
  cache.AddNode(MakeNode("c1", "c"));
  Snapshot snap;
  cache.UpdateSnapshot(snap);
  std::vector<std::string> order;
  for (const auto& n : snap.NodeInfos()) order.push_back(n->NodeName());
  EXPECT_EQ(order, (std::vector<std::string>{"a1", "b1", "c1", "a2", "b2", "a3"}));
  EXPECT_EQ(ZoneKey(*MakeNode("x", "z")), ":z");
  EXPECT_EQ(ZoneKey(*MakeNode("x")), "");
}

TEST(CacheTest, AffinityListsFollowPodChanges) {
  FakeClock clock;
  Cache cache(clock);
  cache.AddNode(MakeNode("n1"));
  Snapshot snap;
  cache.UpdateSnapshot(snap);
  EXPECT_TRUE(snap.HavePodsWithAffinity().empty());
  auto pod = MakePod("p", "n1");
  pod->spec.affinity = api::Affinity{};
  pod->spec.affinity->podAntiAffinity = api::PodAntiAffinity{};
  api::PodAffinityTerm term;
  term.topologyKey = "kubernetes.io/hostname";
  term.labelSelector = api::LabelSelector{};
  term.labelSelector->matchLabels = {{"app", "x"}};
  pod->spec.affinity->podAntiAffinity->requiredDuringSchedulingIgnoredDuringExecution.push_back(
      term);
  cache.AddPod(pod);
  cache.UpdateSnapshot(snap);
  EXPECT_EQ(snap.HavePodsWithAffinity().size(), 1U);
  EXPECT_EQ(snap.HavePodsWithRequiredAntiAffinity().size(), 1U);
  // Another pod on that node: the node is re-cloned and the lists must follow the new NodeInfo.
  cache.AddPod(MakePod("plain", "n1"));
  cache.UpdateSnapshot(snap);
  ASSERT_EQ(snap.HavePodsWithAffinity().size(), 1U);
  EXPECT_EQ(snap.HavePodsWithAffinity()[0], snap.Get("n1"));
  EXPECT_EQ(snap.HavePodsWithRequiredAntiAffinity()[0], snap.Get("n1"));
  EXPECT_EQ(snap.HavePodsWithAffinity()[0]->Pods().size(), 2U);
  cache.RemovePod(*pod);
  cache.UpdateSnapshot(snap);
  EXPECT_TRUE(snap.HavePodsWithRequiredAntiAffinity().empty());
  EXPECT_TRUE(snap.HavePodsWithAffinity().empty());
}

}  // namespace
}  // namespace kubepp::scheduler
