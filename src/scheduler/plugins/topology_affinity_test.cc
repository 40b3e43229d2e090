// PodTopologySpread and InterPodAffinity: filter reasons, scores and preemption updates, on
// snapshots built from objects and a fake ClusterLister.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "scheduler/framework/framework.h"
#include "scheduler/framework/schedule_one.h"
#include "scheduler/plugins/plugins.h"
#include "scheduler/plugins/testing/fakes.h"

namespace kubepp::scheduler::plugins {
namespace {

using fakes::FakeClusterLister;
using fakes::FakeHandle;

using Labels = std::map<std::string, std::string>;

constexpr const char* kZone = "topology.kubernetes.io/zone";
constexpr const char* kHostname = "kubernetes.io/hostname";

std::shared_ptr<api::Node> MakeNode(const std::string& name, Labels labels) {
  auto n = std::make_shared<api::Node>();
  n->metadata.name = name;
  n->metadata.labels = std::move(labels);
  n->metadata.labels[kHostname] = name;
  n->status.allocatable = {{"cpu", {"4"}}, {"memory", {"8Gi"}}, {"pods", {"110"}}};
  return n;
}

std::shared_ptr<api::Pod> MakePod(const std::string& name, Labels labels,
                                  const std::string& node = "", const std::string& ns = "default") {
  auto p = std::make_shared<api::Pod>();
  p->metadata.name = name;
  p->metadata.namespace_ = ns;
  p->metadata.uid = "uid-" + ns + "-" + name;
  p->metadata.labels = std::move(labels);
  p->spec.nodeName = node;
  api::Container c;
  c.name = "c";
  c.image = "nginx";
  p->spec.containers.push_back(std::move(c));
  return p;
}

api::LabelSelector MatchLabels(Labels labels) {
  api::LabelSelector s;
  s.matchLabels = std::move(labels);
  return s;
}

api::TopologySpreadConstraint Spread(const std::string& key, int32_t max_skew,
                                     const std::string& when, Labels selector) {
  api::TopologySpreadConstraint c;
  c.topologyKey = key;
  c.maxSkew = max_skew;
  c.whenUnsatisfiable = when;
  c.labelSelector = MatchLabels(std::move(selector));
  return c;
}

api::PodAffinityTerm Term(Labels selector, const std::string& key) {
  api::PodAffinityTerm t;
  t.labelSelector = MatchLabels(std::move(selector));
  t.topologyKey = key;
  return t;
}

api::PodAffinity& PodAffinityOf(api::Pod& p) {
  if (!p.spec.affinity.has_value()) p.spec.affinity.emplace();
  if (!p.spec.affinity->podAffinity.has_value()) p.spec.affinity->podAffinity.emplace();
  return *p.spec.affinity->podAffinity;
}

api::PodAntiAffinity& PodAntiAffinityOf(api::Pod& p) {
  if (!p.spec.affinity.has_value()) p.spec.affinity.emplace();
  if (!p.spec.affinity->podAntiAffinity.has_value()) p.spec.affinity->podAntiAffinity.emplace();
  return *p.spec.affinity->podAntiAffinity;
}

std::unique_ptr<Plugin> Build(std::string_view name, Handle& handle, const PluginArgs& args = {}) {
  Registry r = NewInTreeRegistry();
  const PluginFactory* f = r.Find(name);
  KUBEPP_CHECK(f != nullptr, "no plugin {}", name);
  auto p = (*f)(args, handle);
  KUBEPP_CHECK(p.IsOk(), "{}", p.status().ToString());
  return std::move(p.value());
}

std::vector<const NodeInfo*> AllNodes(const Snapshot& snap) {
  std::vector<const NodeInfo*> out;
  for (const auto& n : snap.NodeInfos()) out.push_back(n.get());
  return out;
}

// PreFilter over every node of the handle's snapshot, then Filter on each: node -> status. A
// PreFilter Skip gives every node Success; a PreFilter rejection is returned under "*".
std::map<std::string, Status> RunFilters(Plugin& plugin, const FakeHandle& h, const PodInfo& pod,
                                         CycleState& state) {
  std::map<std::string, Status> out;
  PreFilterResult r;
  auto nodes = AllNodes(h.snapshot);
  Status s = dynamic_cast<PreFilterPlugin&>(plugin).PreFilter(state, pod, nodes, r);
  if (!s.IsSuccess() && !s.IsSkip()) {
    out["*"] = s;
    return out;
  }
  for (const NodeInfo* n : nodes) {
    out[n->NodeName()] =
        s.IsSkip() ? Status() : dynamic_cast<FilterPlugin&>(plugin).Filter(state, pod, *n);
  }
  return out;
}

std::map<std::string, Status> RunFilters(Plugin& plugin, const FakeHandle& h, const PodInfo& pod) {
  CycleState state;
  return RunFilters(plugin, h, pod, state);
}

// PreScore + Score + NormalizeScore over every node of the snapshot. PreScore Skip: empty map.
std::map<std::string, int64_t> RunScores(Plugin& plugin, const FakeHandle& h, const PodInfo& pod) {
  CycleState state;
  auto nodes = AllNodes(h.snapshot);
  Status s = dynamic_cast<PreScorePlugin&>(plugin).PreScore(state, pod, nodes);
  if (s.IsSkip()) return {};
  KUBEPP_CHECK(s.IsSuccess(), "{}", s.ToString());
  auto& score = dynamic_cast<ScorePlugin&>(plugin);
  std::vector<NodeScore> scores;
  for (const NodeInfo* n : nodes) {
    int64_t v = 0;
    Status ss = score.Score(state, pod, *n, v);
    KUBEPP_CHECK(ss.IsSuccess(), "{}", ss.ToString());
    scores.push_back({n->NodeName(), v});
  }
  KUBEPP_CHECK(score.GetScoreExtensions()->NormalizeScore(state, pod, scores).IsSuccess(), "norm");
  std::map<std::string, int64_t> out;
  for (const auto& ns : scores) out[std::string(ns.name)] = ns.score;
  return out;
}

const Status kSpreadUnschedulable(StatusCode::kUnschedulable,
                                  "node(s) didn't match pod topology spread constraints");

// ---------------------------------------------------------------------------------------------
// PodTopologySpread

// Zone a: a1 (2 web pods), a2; zone b: b1.
FakeHandle ZonedCluster(const std::vector<std::shared_ptr<const api::Pod>>& extra = {}) {
  FakeHandle h;
  std::vector<std::shared_ptr<const api::Pod>> pods = {MakePod("w1", {{"app", "web"}}, "a1"),
                                                       MakePod("w2", {{"app", "web"}}, "a1")};
  pods.insert(pods.end(), extra.begin(), extra.end());
  h.snapshot =
      Snapshot::FromObjects(pods, {MakeNode("a1", {{kZone, "a"}}), MakeNode("a2", {{kZone, "a"}}),
                                   MakeNode("b1", {{kZone, "b"}})});
  return h;
}

TEST(PodTopologySpreadTest, ZoneSpreadMaxSkewOne) {
  FakeHandle h = ZonedCluster();
  auto pl = Build(kPodTopologySpread, h);
  auto pod = MakePod("p", {{"app", "web"}});
  pod->spec.topologySpreadConstraints = {Spread(kZone, 1, "DoNotSchedule", {{"app", "web"}})};
  auto got = RunFilters(*pl, h, *PodInfo::Make(pod));
  EXPECT_EQ(got["a1"], kSpreadUnschedulable);  // 2 + 1 - 0 > 1
  EXPECT_EQ(got["a2"], kSpreadUnschedulable);  // the zone counts, not the node
  EXPECT_TRUE(got["b1"].IsSuccess()) << got["b1"].ToString();

  // maxSkew 3 allows zone a.
  pod->spec.topologySpreadConstraints[0].maxSkew = 3;
  got = RunFilters(*pl, h, *PodInfo::Make(pod));
  EXPECT_TRUE(got["a1"].IsSuccess());

  // A pod not matching its own selector adds nothing: 2 + 0 - 0 > 1 still.
  pod->spec.topologySpreadConstraints[0].maxSkew = 1;
  pod->metadata.labels = {{"app", "other"}};
  got = RunFilters(*pl, h, *PodInfo::Make(pod));
  EXPECT_EQ(got["a1"], kSpreadUnschedulable);
  EXPECT_TRUE(got["b1"].IsSuccess());
}

TEST(PodTopologySpreadTest, SkipsTerminatingAndOtherNamespaces) {
  auto terminating = MakePod("t", {{"app", "web"}}, "b1");
  terminating->metadata.deletionTimestamp = "2024-01-01T00:00:00Z";
  auto other_ns = MakePod("o", {{"app", "web"}}, "b1", "other");
  FakeHandle h = ZonedCluster({terminating, other_ns});
  auto pl = Build(kPodTopologySpread, h);
  auto pod = MakePod("p", {{"app", "web"}});
  pod->spec.topologySpreadConstraints = {Spread(kZone, 2, "DoNotSchedule", {{"app", "web"}})};
  auto got = RunFilters(*pl, h, *PodInfo::Make(pod));
  EXPECT_EQ(got["a1"], kSpreadUnschedulable);  // 2 + 1 - 0 > 2: b1's pods are not counted
  EXPECT_TRUE(got["b1"].IsSuccess());
}

TEST(PodTopologySpreadTest, MissingLabelIsUnresolvable) {
  FakeHandle h;
  h.snapshot = Snapshot::FromObjects({}, {MakeNode("a1", {{kZone, "a"}}), MakeNode("x", {})});
  auto pl = Build(kPodTopologySpread, h);
  auto pod = MakePod("p", {{"app", "web"}});
  pod->spec.topologySpreadConstraints = {Spread(kZone, 1, "DoNotSchedule", {{"app", "web"}})};
  auto got = RunFilters(*pl, h, *PodInfo::Make(pod));
  EXPECT_TRUE(got["a1"].IsSuccess());
  EXPECT_EQ(got["x"], Status(StatusCode::kUnschedulableAndUnresolvable,
                             "node(s) didn't match pod topology spread constraints (missing "
                             "required label)"));
}

TEST(PodTopologySpreadTest, MinDomains) {
  FakeHandle h;
  h.snapshot = Snapshot::FromObjects(
      {MakePod("w1", {{"app", "web"}}, "a1"), MakePod("w2", {{"app", "web"}}, "b1")},
      {MakeNode("a1", {{kZone, "a"}}), MakeNode("b1", {{kZone, "b"}})});
  auto pl = Build(kPodTopologySpread, h);
  auto pod = MakePod("p", {{"app", "web"}});
  pod->spec.topologySpreadConstraints = {Spread(kZone, 1, "DoNotSchedule", {{"app", "web"}})};
  auto got = RunFilters(*pl, h, *PodInfo::Make(pod));
  EXPECT_TRUE(got["a1"].IsSuccess());  // 1 + 1 - 1 <= 1
  // Fewer domains (2) than minDomains (3): the global minimum is 0.
  pod->spec.topologySpreadConstraints[0].minDomains = 3;
  got = RunFilters(*pl, h, *PodInfo::Make(pod));
  EXPECT_EQ(got["a1"], kSpreadUnschedulable);
  EXPECT_EQ(got["b1"], kSpreadUnschedulable);
  pod->spec.topologySpreadConstraints[0].minDomains = 2;
  got = RunFilters(*pl, h, *PodInfo::Make(pod));
  EXPECT_TRUE(got["a1"].IsSuccess());
}

TEST(PodTopologySpreadTest, NodeInclusionPolicies) {
  // Zone b's node has no disk=ssd: with nodeAffinityPolicy Honor (default) zone b is not a
  // domain, so zone a's minimum is its own count.
  FakeHandle h;
  auto b1 = MakeNode("b1", {{kZone, "b"}});
  h.snapshot = Snapshot::FromObjects({MakePod("w1", {{"app", "web"}}, "a1")},
                                     {MakeNode("a1", {{kZone, "a"}, {"disk", "ssd"}}),
                                      MakeNode("a2", {{kZone, "a"}, {"disk", "ssd"}}), b1});
  auto pl = Build(kPodTopologySpread, h);
  auto pod = MakePod("p", {{"app", "web"}});
  pod->spec.nodeSelector = {{"disk", "ssd"}};
  pod->spec.topologySpreadConstraints = {Spread(kZone, 1, "DoNotSchedule", {{"app", "web"}})};
  auto got = RunFilters(*pl, h, *PodInfo::Make(pod));
  EXPECT_TRUE(got["a1"].IsSuccess());  // 1 + 1 - 1
  pod->spec.topologySpreadConstraints[0].nodeAffinityPolicy = "Ignore";
  got = RunFilters(*pl, h, *PodInfo::Make(pod));
  EXPECT_EQ(got["a1"], kSpreadUnschedulable);  // 1 + 1 - 0

  // nodeTaintsPolicy Honor: a tainted zone-b node is no domain either.
  auto tainted = MakeNode("b1", {{kZone, "b"}});
  tainted->spec.taints = {api::Taint{.effect = "NoSchedule", .key = "dedicated", .value = "x"}};
  h.snapshot = Snapshot::FromObjects({MakePod("w1", {{"app", "web"}}, "a1")},
                                     {MakeNode("a1", {{kZone, "a"}}), tainted});
  pod->spec.nodeSelector.clear();
  pod->spec.topologySpreadConstraints[0].nodeAffinityPolicy = "";
  got = RunFilters(*pl, h, *PodInfo::Make(pod));
  EXPECT_EQ(got["a1"], kSpreadUnschedulable);  // taints ignored by default
  pod->spec.topologySpreadConstraints[0].nodeTaintsPolicy = "Honor";
  got = RunFilters(*pl, h, *PodInfo::Make(pod));
  EXPECT_TRUE(got["a1"].IsSuccess());
}

TEST(PodTopologySpreadTest, MatchLabelKeysNarrowTheSelector) {
  FakeHandle h = ZonedCluster();  // w1, w2 have no version label
  auto pl = Build(kPodTopologySpread, h);
  auto pod = MakePod("p", {{"app", "web"}, {"version", "v2"}});
  auto c = Spread(kZone, 1, "DoNotSchedule", {{"app", "web"}});
  c.matchLabelKeys = {"version"};
  pod->spec.topologySpreadConstraints = {c};
  auto got = RunFilters(*pl, h, *PodInfo::Make(pod));
  EXPECT_TRUE(got["a1"].IsSuccess());  // no v2 pod anywhere
  EXPECT_TRUE(got["b1"].IsSuccess());
}

TEST(PodTopologySpreadTest, SkipsPodsWithoutHardConstraints) {
  FakeHandle h = ZonedCluster();
  auto pl = Build(kPodTopologySpread, h);
  auto pod = MakePod("p", {{"app", "web"}});
  CycleState state;
  PreFilterResult r;
  auto nodes = AllNodes(h.snapshot);
  auto& pre = dynamic_cast<PreFilterPlugin&>(*pl);
  EXPECT_TRUE(pre.PreFilter(state, *PodInfo::Make(pod), nodes, r).IsSkip());
  pod->spec.topologySpreadConstraints = {Spread(kZone, 1, "ScheduleAnyway", {{"app", "web"}})};
  EXPECT_TRUE(pre.PreFilter(state, *PodInfo::Make(pod), nodes, r).IsSkip());
}

TEST(PodTopologySpreadTest, AddAndRemovePod) {
  FakeHandle h = ZonedCluster();
  auto pl = Build(kPodTopologySpread, h);
  auto pod = MakePod("p", {{"app", "web"}});
  pod->spec.topologySpreadConstraints = {Spread(kZone, 2, "DoNotSchedule", {{"app", "web"}})};
  auto info = PodInfo::Make(pod);
  CycleState state;
  auto got = RunFilters(*pl, h, *info, state);
  EXPECT_EQ(got["a1"], kSpreadUnschedulable);  // 2 + 1 - 0 > 2
  const auto* ext = dynamic_cast<PreFilterPlugin&>(*pl).GetPreFilterExtensions();
  ASSERT_NE(ext, nullptr);
  auto& filter = dynamic_cast<FilterPlugin&>(*pl);
  const NodeInfo& a1 = *h.snapshot.Get("a1");
  const NodeInfo& b1 = *h.snapshot.Get("b1");

  // A web pod added in zone b raises the minimum to 1.
  auto added = PodInfo::Make(MakePod("n", {{"app", "web"}}, "b1"));
  ASSERT_TRUE(ext->AddPod(state, *info, *added, b1).IsSuccess());
  EXPECT_TRUE(filter.Filter(state, *info, a1).IsSuccess());
  // A clone is independent (preemption simulates on copies).
  auto copy = state.Clone();
  ASSERT_TRUE(ext->RemovePod(*copy, *info, *added, b1).IsSuccess());
  EXPECT_EQ(filter.Filter(*copy, *info, a1), kSpreadUnschedulable);
  EXPECT_TRUE(filter.Filter(state, *info, a1).IsSuccess());
  // Removing a zone-a pod also helps.
  ASSERT_TRUE(ext->RemovePod(*copy, *info, *a1.Pods()[0], a1).IsSuccess());
  EXPECT_TRUE(filter.Filter(*copy, *info, a1).IsSuccess());
  // Pods of other namespaces or not selected change nothing.
  auto other = PodInfo::Make(MakePod("x", {{"app", "web"}}, "b1", "other"));
  auto unselected = PodInfo::Make(MakePod("y", {{"app", "db"}}, "b1"));
  CycleState fresh;
  RunFilters(*pl, h, *info, fresh);
  ASSERT_TRUE(ext->AddPod(fresh, *info, *other, b1).IsSuccess());
  ASSERT_TRUE(ext->AddPod(fresh, *info, *unselected, b1).IsSuccess());
  EXPECT_EQ(filter.Filter(fresh, *info, a1), kSpreadUnschedulable);
}

TEST(PodTopologySpreadTest, ScoresZoneSpread) {
  FakeHandle h = ZonedCluster();
  auto pl = Build(kPodTopologySpread, h);
  auto pod = MakePod("p", {{"app", "web"}});
  pod->spec.topologySpreadConstraints = {Spread(kZone, 1, "ScheduleAnyway", {{"app", "web"}})};
  // Raw: zone a 2 pods * log(2 + 2) = 2.77 -> 3; zone b 0. Reversed: 0, 0, 100.
  auto got = RunScores(*pl, h, *PodInfo::Make(pod));
  EXPECT_EQ(got, (std::map<std::string, int64_t>{{"a1", 0}, {"a2", 0}, {"b1", 100}}));

  // No soft constraint: Skip.
  pod->spec.topologySpreadConstraints = {Spread(kZone, 1, "DoNotSchedule", {{"app", "web"}})};
  EXPECT_TRUE(RunScores(*pl, h, *PodInfo::Make(pod)).empty());
}

TEST(PodTopologySpreadTest, ScoresHostnameAndIgnoresNodesWithoutKey) {
  FakeHandle h;
  h.snapshot = Snapshot::FromObjects(
      {MakePod("w1", {{"app", "web"}}, "n1"), MakePod("w2", {{"app", "web"}}, "n1"),
       MakePod("w3", {{"app", "web"}}, "n2")},
      {MakeNode("n1", {{kZone, "a"}}), MakeNode("n2", {{kZone, "a"}}),
       MakeNode("n3", {{kZone, "a"}}), MakeNode("nozone", {})});
  auto pl = Build(kPodTopologySpread, h);
  auto pod = MakePod("p", {{"app", "web"}});
  pod->spec.topologySpreadConstraints = {Spread(kHostname, 1, "ScheduleAnyway", {{"app", "web"}}),
                                         Spread(kZone, 1, "ScheduleAnyway", {{"app", "web"}})};
  // Hostname weight log(3 + 2) = 1.609 per pod on the node; zone weight log(1 + 2) = 1.099 * 3.
  // n1: 3.22 + 3.30 = 6.5 -> 7 (llround); n2: 1.61 + 3.30 = 4.9 -> 5; n3: 3.3 -> 3.
  // Reversed with max 7, min 3: n1 100*3/7 = 42, n2 100*5/7 = 71, n3 100; nozone ignored: 0.
  auto got = RunScores(*pl, h, *PodInfo::Make(pod));
  EXPECT_EQ(got,
            (std::map<std::string, int64_t>{{"n1", 42}, {"n2", 71}, {"n3", 100}, {"nozone", 0}}));
}

TEST(PodTopologySpreadTest, SystemDefaultsSelectByService) {
  FakeClusterLister lister;
  auto svc = std::make_shared<api::Service>();
  svc->metadata.name = "web";
  svc->metadata.namespace_ = "default";
  svc->spec.selector = {{"app", "web"}};
  lister.services.push_back(svc);
  FakeHandle h;
  h.snapshot = Snapshot::FromObjects(
      {MakePod("w1", {{"app", "web"}}, "n1"), MakePod("w2", {{"app", "web"}}, "n1")},
      {MakeNode("n1", {{kZone, "a"}}), MakeNode("n2", {{kZone, "b"}})});
  h.listers = &lister;
  auto pl = Build(kPodTopologySpread, h);
  auto pod = MakePod("p", {{"app", "web"}, {"pod-template-hash", "x"}});
  auto info = PodInfo::Make(pod);
  // System defaults are ScheduleAnyway: no filtering.
  CycleState state;
  PreFilterResult r;
  auto nodes = AllNodes(h.snapshot);
  EXPECT_TRUE(dynamic_cast<PreFilterPlugin&>(*pl).PreFilter(state, *info, nodes, r).IsSkip());
  // Zone (maxSkew 5) and hostname (maxSkew 3), both weight log(2 + 2):
  // n1: 2*1.386 + 4 + 2*1.386 + 2 = 11.5 -> 12; n2: 4 + 2 = 6. Reversed: n1 100*6/12, n2 100.
  auto got = RunScores(*pl, h, *info);
  EXPECT_EQ(got, (std::map<std::string, int64_t>{{"n1", 50}, {"n2", 100}}));

  // A pod no service selects (and without owner) gets no default constraints.
  EXPECT_TRUE(RunScores(*pl, h, *PodInfo::Make(MakePod("q", {{"app", "db"}}))).empty());
  // Without listers neither.
  h.listers = nullptr;
  EXPECT_TRUE(RunScores(*pl, h, *info).empty());
  // Own constraints replace the defaults.
  h.listers = &lister;
  pod->spec.topologySpreadConstraints = {Spread(kZone, 1, "DoNotSchedule", {{"app", "web"}})};
  EXPECT_TRUE(RunScores(*pl, h, *PodInfo::Make(pod)).empty());
}

TEST(PodTopologySpreadTest, ListDefaultsSelectByReplicaSet) {
  FakeClusterLister lister;
  auto rs = std::make_shared<api::ReplicaSet>();
  rs->metadata.name = "web-1";
  rs->metadata.namespace_ = "default";
  rs->spec.selector = MatchLabels({{"app", "web"}});
  lister.replica_sets.push_back(rs);
  FakeHandle h = ZonedCluster();
  h.listers = &lister;
  PodTopologySpreadArgs args;
  args.defaulting_type = "List";
  args.default_constraints = {{1, kZone, "DoNotSchedule"}};
  auto pl = Build(kPodTopologySpread, h, args);
  auto pod = MakePod("p", {{"app", "web"}});
  api::OwnerReference ref;
  ref.apiVersion = "apps/v1";
  ref.kind = "ReplicaSet";
  ref.name = "web-1";
  ref.controller = true;
  pod->metadata.ownerReferences = {ref};
  auto got = RunFilters(*pl, h, *PodInfo::Make(pod));
  EXPECT_EQ(got["a1"], kSpreadUnschedulable);
  EXPECT_TRUE(got["b1"].IsSuccess());
  // Not a controller reference: no selector, no constraint.
  pod->metadata.ownerReferences[0].controller = false;
  got = RunFilters(*pl, h, *PodInfo::Make(pod));
  EXPECT_TRUE(got["a1"].IsSuccess());
}

TEST(PodTopologySpreadTest, ValidatesArgs) {
  FakeHandle h;
  Registry r = NewInTreeRegistry();
  const PluginFactory* f = r.Find(kPodTopologySpread);
  ASSERT_NE(f, nullptr);
  PodTopologySpreadArgs system_with_list;
  system_with_list.default_constraints = {{1, kZone, "DoNotSchedule"}};
  auto res = (*f)(system_with_list, h);
  ASSERT_FALSE(res.IsOk());
  EXPECT_EQ(res.status().Message(),
            "defaultingType: Invalid value: \"System\": when .defaultConstraints are not empty");

  PodTopologySpreadArgs bad;
  bad.defaulting_type = "List";
  bad.default_constraints = {{0, kZone, "DoNotSchedule"}};
  res = (*f)(bad, h);
  ASSERT_FALSE(res.IsOk());
  EXPECT_EQ(res.status().Message(),
            "defaultConstraints[0].maxSkew: Invalid value: 0: not in valid range (0, inf)");

  bad.default_constraints = {{1, kZone, "Maybe"}, {1, kZone, "Maybe"}};
  res = (*f)(bad, h);
  ASSERT_FALSE(res.IsOk());
  EXPECT_NE(res.status().Message().find("Unsupported value: \"Maybe\""), std::string::npos);
  EXPECT_NE(res.status().Message().find("defaultConstraints[1]: Duplicate value"),
            std::string::npos);

  PodTopologySpreadArgs unknown;
  unknown.defaulting_type = "Other";
  EXPECT_FALSE((*f)(unknown, h).IsOk());
  EXPECT_FALSE((*f)(InterPodAffinityArgs{}, h).IsOk());
}

// ---------------------------------------------------------------------------------------------
// InterPodAffinity

const Status kAffinityUnresolvable(StatusCode::kUnschedulableAndUnresolvable,
                                   "node(s) didn't match pod affinity rules");
const Status kAntiAffinity(StatusCode::kUnschedulable,
                           "node(s) didn't match pod anti-affinity rules");
const Status kExistingAntiAffinity(StatusCode::kUnschedulable,
                                   "node(s) didn't satisfy existing pods anti-affinity rules");

FakeHandle AffinityCluster(const std::vector<std::shared_ptr<const api::Pod>>& pods) {
  FakeHandle h;
  h.snapshot =
      Snapshot::FromObjects(pods, {MakeNode("a1", {{kZone, "a"}}), MakeNode("a2", {{kZone, "a"}}),
                                   MakeNode("b1", {{kZone, "b"}}), MakeNode("nozone", {})});
  return h;
}

TEST(InterPodAffinityTest, RequiredAffinity) {
  FakeHandle h = AffinityCluster({MakePod("db", {{"app", "db"}}, "a1")});
  auto pl = Build(kInterPodAffinity, h);
  auto pod = MakePod("p", {{"app", "web"}});
  PodAffinityOf(*pod).requiredDuringSchedulingIgnoredDuringExecution = {
      Term({{"app", "db"}}, kZone)};
  auto got = RunFilters(*pl, h, *PodInfo::Make(pod));
  EXPECT_TRUE(got["a1"].IsSuccess());
  EXPECT_TRUE(got["a2"].IsSuccess());  // same zone
  EXPECT_EQ(got["b1"], kAffinityUnresolvable);
  EXPECT_EQ(got["nozone"], kAffinityUnresolvable);

  // The db pod lives in another namespace: the term (own namespace) does not see it.
  FakeHandle other = AffinityCluster({MakePod("db", {{"app", "db"}}, "a1", "other")});
  auto pl2 = Build(kInterPodAffinity, other);
  got = RunFilters(*pl2, other, *PodInfo::Make(pod));
  EXPECT_EQ(got["a1"], kAffinityUnresolvable);
}

TEST(InterPodAffinityTest, FirstPodOfAGroup) {
  FakeHandle h = AffinityCluster({});
  auto pl = Build(kInterPodAffinity, h);
  // Affinity to its own kind, none exists yet: allowed on nodes that have the key.
  auto pod = MakePod("p", {{"app", "web"}});
  PodAffinityOf(*pod).requiredDuringSchedulingIgnoredDuringExecution = {
      Term({{"app", "web"}}, kZone)};
  auto got = RunFilters(*pl, h, *PodInfo::Make(pod));
  EXPECT_TRUE(got["a1"].IsSuccess());
  EXPECT_TRUE(got["b1"].IsSuccess());
  EXPECT_EQ(got["nozone"], kAffinityUnresolvable);
  // Affinity to something else that does not exist: nowhere.
  PodAffinityOf(*pod).requiredDuringSchedulingIgnoredDuringExecution = {
      Term({{"app", "db"}}, kZone)};
  got = RunFilters(*pl, h, *PodInfo::Make(pod));
  EXPECT_EQ(got["a1"], kAffinityUnresolvable);
}

TEST(InterPodAffinityTest, AntiAffinityBothDirections) {
  // Incoming pod's anti-affinity to web pods per hostname.
  FakeHandle h = AffinityCluster({MakePod("w", {{"app", "web"}}, "a1")});
  auto pl = Build(kInterPodAffinity, h);
  auto pod = MakePod("p", {{"app", "web"}});
  PodAntiAffinityOf(*pod).requiredDuringSchedulingIgnoredDuringExecution = {
      Term({{"app", "web"}}, kHostname)};
  auto got = RunFilters(*pl, h, *PodInfo::Make(pod));
  EXPECT_EQ(got["a1"], kAntiAffinity);
  EXPECT_TRUE(got["a2"].IsSuccess());
  EXPECT_TRUE(got["nozone"].IsSuccess());

  // An existing pod's anti-affinity per zone against the incoming pod.
  auto guard = MakePod("guard", {{"app", "guard"}}, "a1");
  PodAntiAffinityOf(*guard).requiredDuringSchedulingIgnoredDuringExecution = {
      Term({{"app", "web"}}, kZone)};
  FakeHandle h2 = AffinityCluster({guard});
  auto pl2 = Build(kInterPodAffinity, h2);
  got = RunFilters(*pl2, h2, *PodInfo::Make(MakePod("q", {{"app", "web"}})));
  EXPECT_EQ(got["a1"], kExistingAntiAffinity);
  EXPECT_EQ(got["a2"], kExistingAntiAffinity);
  EXPECT_TRUE(got["b1"].IsSuccess());
  EXPECT_TRUE(got["nozone"].IsSuccess());
  // A pod it does not select: PreFilter skips.
  got = RunFilters(*pl2, h2, *PodInfo::Make(MakePod("r", {{"app", "db"}})));
  EXPECT_TRUE(got["a1"].IsSuccess());
}

TEST(InterPodAffinityTest, NamespaceSelector) {
  FakeClusterLister lister;
  lister.AddNamespace("default", {{"team", "web"}});
  lister.AddNamespace("prod", {{"team", "x"}});
  lister.AddNamespace("dev", {});
  FakeHandle h = AffinityCluster({MakePod("w1", {{"app", "web"}}, "a1", "prod"),
                                  MakePod("w2", {{"app", "web"}}, "b1", "dev")});
  h.listers = &lister;
  auto pl = Build(kInterPodAffinity, h);
  auto pod = MakePod("p", {{"app", "web"}});
  auto term = Term({{"app", "web"}}, kHostname);
  term.namespaceSelector = MatchLabels({{"team", "x"}});
  PodAntiAffinityOf(*pod).requiredDuringSchedulingIgnoredDuringExecution = {term};
  auto got = RunFilters(*pl, h, *PodInfo::Make(pod));
  EXPECT_EQ(got["a1"], kAntiAffinity);  // prod is team=x
  EXPECT_TRUE(got["b1"].IsSuccess());   // dev is not
  // An empty namespaceSelector selects every namespace.
  PodAntiAffinityOf(*pod).requiredDuringSchedulingIgnoredDuringExecution[0].namespaceSelector =
      api::LabelSelector{};
  got = RunFilters(*pl, h, *PodInfo::Make(pod));
  EXPECT_EQ(got["a1"], kAntiAffinity);
  EXPECT_EQ(got["b1"], kAntiAffinity);

  // An existing pod's term selecting namespaces by label, evaluated on the incoming pod's
  // namespace (default: team=web).
  auto guard = MakePod("guard", {{"app", "guard"}}, "a1", "prod");
  auto gterm = Term({{"app", "web"}}, kHostname);
  gterm.namespaceSelector = MatchLabels({{"team", "web"}});
  PodAntiAffinityOf(*guard).requiredDuringSchedulingIgnoredDuringExecution = {gterm};
  FakeHandle h2 = AffinityCluster({guard});
  h2.listers = &lister;
  auto pl2 = Build(kInterPodAffinity, h2);
  got = RunFilters(*pl2, h2, *PodInfo::Make(MakePod("q", {{"app", "web"}})));
  EXPECT_EQ(got["a1"], kExistingAntiAffinity);
  got = RunFilters(*pl2, h2, *PodInfo::Make(MakePod("q", {{"app", "web"}}, "", "dev")));
  EXPECT_TRUE(got["a1"].IsSuccess());
}

TEST(InterPodAffinityTest, AddAndRemovePod) {
  FakeHandle h = AffinityCluster({});
  auto pl = Build(kInterPodAffinity, h);
  auto pod = MakePod("p", {{"app", "web"}});
  PodAntiAffinityOf(*pod).requiredDuringSchedulingIgnoredDuringExecution = {
      Term({{"app", "web"}}, kZone)};
  PodAffinityOf(*pod).requiredDuringSchedulingIgnoredDuringExecution = {
      Term({{"app", "cache"}}, kHostname)};
  auto info = PodInfo::Make(pod);
  CycleState state;
  auto got = RunFilters(*pl, h, *info, state);
  EXPECT_EQ(got["a1"], kAffinityUnresolvable);  // no cache pod anywhere, and p is no cache
  const auto* ext = dynamic_cast<PreFilterPlugin&>(*pl).GetPreFilterExtensions();
  ASSERT_NE(ext, nullptr);
  auto& filter = dynamic_cast<FilterPlugin&>(*pl);
  const NodeInfo& a1 = *h.snapshot.Get("a1");
  const NodeInfo& a2 = *h.snapshot.Get("a2");
  auto cache = PodInfo::Make(MakePod("c", {{"app", "cache"}}, "a1"));
  ASSERT_TRUE(ext->AddPod(state, *info, *cache, a1).IsSuccess());
  EXPECT_TRUE(filter.Filter(state, *info, a1).IsSuccess());
  EXPECT_EQ(filter.Filter(state, *info, a2), kAffinityUnresolvable);
  auto web = PodInfo::Make(MakePod("w", {{"app", "web"}}, "a2"));
  ASSERT_TRUE(ext->AddPod(state, *info, *web, a2).IsSuccess());
  EXPECT_EQ(filter.Filter(state, *info, a1), kAntiAffinity);  // same zone as the web pod
  ASSERT_TRUE(ext->RemovePod(state, *info, *web, a2).IsSuccess());
  EXPECT_TRUE(filter.Filter(state, *info, a1).IsSuccess());

  // An added pod whose anti-affinity selects the incoming pod.
  auto guard = MakePod("g", {{"app", "guard"}}, "b1");
  PodAntiAffinityOf(*guard).requiredDuringSchedulingIgnoredDuringExecution = {
      Term({{"app", "web"}}, kHostname)};
  auto guard_info = PodInfo::Make(guard);
  const NodeInfo& b1 = *h.snapshot.Get("b1");
  ASSERT_TRUE(ext->AddPod(state, *info, *cache, b1).IsSuccess());
  EXPECT_TRUE(filter.Filter(state, *info, b1).IsSuccess());
  ASSERT_TRUE(ext->AddPod(state, *info, *guard_info, b1).IsSuccess());
  EXPECT_EQ(filter.Filter(state, *info, b1), kExistingAntiAffinity);
  ASSERT_TRUE(ext->RemovePod(state, *info, *guard_info, b1).IsSuccess());
  EXPECT_TRUE(filter.Filter(state, *info, b1).IsSuccess());
}

TEST(InterPodAffinityTest, PreferredScoresNormalised) {
  FakeHandle h = AffinityCluster({MakePod("db", {{"app", "db"}}, "a1")});
  auto pl = Build(kInterPodAffinity, h);
  auto pod = MakePod("p", {{"app", "web"}});
  PodAffinityOf(*pod).preferredDuringSchedulingIgnoredDuringExecution = {
      {Term({{"app", "db"}}, kZone), 10}};
  auto got = RunScores(*pl, h, *PodInfo::Make(pod));
  EXPECT_EQ(got,
            (std::map<std::string, int64_t>{{"a1", 100}, {"a2", 100}, {"b1", 0}, {"nozone", 0}}));

  // Anti-affinity: zone a gets -10, the others 0 -> min..max maps to 0..100.
  pod->spec.affinity.reset();
  PodAntiAffinityOf(*pod).preferredDuringSchedulingIgnoredDuringExecution = {
      {Term({{"app", "db"}}, kZone), 10}};
  got = RunScores(*pl, h, *PodInfo::Make(pod));
  EXPECT_EQ(got,
            (std::map<std::string, int64_t>{{"a1", 0}, {"a2", 0}, {"b1", 100}, {"nozone", 100}}));

  // Both: affinity 10 per hostname, anti-affinity 5 per zone: a1 10-5, a2 -5, b1 0.
  PodAffinityOf(*pod).preferredDuringSchedulingIgnoredDuringExecution = {
      {Term({{"app", "db"}}, kHostname), 10}};
  PodAntiAffinityOf(*pod).preferredDuringSchedulingIgnoredDuringExecution[0].weight = 5;
  got = RunScores(*pl, h, *PodInfo::Make(pod));
  EXPECT_EQ(got,
            (std::map<std::string, int64_t>{{"a1", 100}, {"a2", 0}, {"b1", 50}, {"nozone", 50}}));

  // Nothing matches anywhere: Skip.
  EXPECT_TRUE(RunScores(*pl, h, *PodInfo::Make(MakePod("q", {{"app", "web"}}))).empty());
}

TEST(InterPodAffinityTest, ExistingPodsTermsScore) {
  // An existing pod's required affinity to web pods (hardPodAffinityWeight) and preferred
  // anti-affinity.
  auto e1 = MakePod("e1", {{"app", "x"}}, "a1");
  PodAffinityOf(*e1).requiredDuringSchedulingIgnoredDuringExecution = {
      Term({{"app", "web"}}, kHostname)};
  auto e2 = MakePod("e2", {{"app", "y"}}, "b1");
  PodAntiAffinityOf(*e2).preferredDuringSchedulingIgnoredDuringExecution = {
      {Term({{"app", "web"}}, kZone), 3}};
  FakeHandle h = AffinityCluster({e1, e2});
  auto pod = PodInfo::Make(MakePod("p", {{"app", "web"}}));

  InterPodAffinityArgs args;
  args.hard_pod_affinity_weight = 6;
  auto pl = Build(kInterPodAffinity, h, args);
  // a1 +6, b1 -3: min -3, max 6 -> a1 100, a2 (0) 33, b1 0.
  auto got = RunScores(*pl, h, *pod);
  EXPECT_EQ(got,
            (std::map<std::string, int64_t>{{"a1", 100}, {"a2", 33}, {"b1", 0}, {"nozone", 33}}));

  // hardPodAffinityWeight 0 ignores required terms.
  args.hard_pod_affinity_weight = 0;
  pl = Build(kInterPodAffinity, h, args);
  got = RunScores(*pl, h, *pod);
  EXPECT_EQ(got,
            (std::map<std::string, int64_t>{{"a1", 100}, {"a2", 100}, {"b1", 0}, {"nozone", 100}}));

  // ignorePreferredTermsOfExistingPods: a pod without preferences of its own is not scored.
  args.ignore_preferred_terms_of_existing_pods = true;
  pl = Build(kInterPodAffinity, h, args);
  EXPECT_TRUE(RunScores(*pl, h, *pod).empty());
}

TEST(InterPodAffinityTest, ValidatesArgs) {
  FakeHandle h;
  Registry r = NewInTreeRegistry();
  const PluginFactory* f = r.Find(kInterPodAffinity);
  ASSERT_NE(f, nullptr);
  InterPodAffinityArgs args;
  args.hard_pod_affinity_weight = 101;
  auto res = (*f)(args, h);
  ASSERT_FALSE(res.IsOk());
  EXPECT_EQ(res.status().Message(),
            "hardPodAffinityWeight: Invalid value: 101: not in valid range [0, 100]");
  EXPECT_FALSE((*f)(PodTopologySpreadArgs{}, h).IsOk());
}

// ---------------------------------------------------------------------------------------------
// Through the framework with the default profile.

TEST(TopologyAffinityFrameworkTest, DefaultProfileSpreadsAndRejects) {
  Registry registry = NewInTreeRegistry();
  FakeClusterLister lister;
  auto fw_or = Framework::New(registry, DefaultProfile(), &lister);
  ASSERT_TRUE(fw_or.IsOk()) << fw_or.status().ToString();
  auto& fw = *fw_or.value();
  Snapshot snap = Snapshot::FromObjects(
      {MakePod("w1", {{"app", "web"}}, "a1"), MakePod("w2", {{"app", "web"}}, "a2")},
      {MakeNode("a1", {{kZone, "a"}}), MakeNode("a2", {{kZone, "a"}}),
       MakeNode("b1", {{kZone, "b"}})});
  fw.SetSnapshot(&snap);

  auto pod = MakePod("p", {{"app", "web"}});
  pod->spec.topologySpreadConstraints = {Spread(kZone, 1, "DoNotSchedule", {{"app", "web"}})};
  std::mt19937_64 rng(1);
  NodeCursor cursor;
  ScheduleResult result;
  std::optional<FitError> fit;
  CycleState state;
  Status s = SchedulePod(fw, state, *PodInfo::Make(pod), snap, 0, cursor, rng, result, fit);
  ASSERT_TRUE(s.IsSuccess()) << s.ToString();
  EXPECT_EQ(result.suggested_host, "b1");
  EXPECT_EQ(result.feasible_nodes, 1);

  // Anti-affinity to web pods per zone plus the spread constraint: nothing fits.
  PodAntiAffinityOf(*pod).requiredDuringSchedulingIgnoredDuringExecution = {
      Term({{"app", "web"}}, kZone)};
  auto w3 = MakePod("w3", {{"app", "web"}}, "b1");
  Snapshot snap2 = Snapshot::FromObjects(
      {MakePod("w1", {{"app", "web"}}, "a1"), MakePod("w2", {{"app", "web"}}, "a2"), w3},
      {MakeNode("a1", {{kZone, "a"}}), MakeNode("a2", {{kZone, "a"}}),
       MakeNode("b1", {{kZone, "b"}})});
  fw.SetSnapshot(&snap2);
  CycleState state2;
  s = SchedulePod(fw, state2, *PodInfo::Make(pod), snap2, 0, cursor, rng, result, fit);
  EXPECT_EQ(s.Code(), StatusCode::kUnschedulable);
  ASSERT_TRUE(fit.has_value());
  EXPECT_EQ(fit->Error(),
            "0/3 nodes are available: 1 node(s) didn't match pod anti-affinity rules, 2 node(s) "
            "didn't match pod topology spread constraints.");
}

}  // namespace
}  // namespace kubepp::scheduler::plugins
