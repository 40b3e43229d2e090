#include "scheduler/plugins/plugins.h"

#include <gtest/gtest.h>

#include <map>

#include "scheduler/framework/framework.h"
#include "scheduler/framework/schedule_one.h"
#include "scheduler/plugins/helpers.h"
#include "scheduler/plugins/testing/fakes.h"

namespace kubepp::scheduler::plugins {
namespace {

using fakes::FakeHandle;

std::shared_ptr<api::Node> MakeNode(const std::string& name, const std::string& cpu = "4",
                                    const std::string& memory = "8Gi",
                                    const std::string& pods = "110") {
  auto n = std::make_shared<api::Node>();
  n->metadata.name = name;
  n->status.allocatable = {{"cpu", {cpu}}, {"memory", {memory}}, {"pods", {pods}}};
  return n;
}

std::shared_ptr<api::Pod> MakePod(const std::string& name,
                                  std::map<std::string, api::Quantity> requests = {}) {
  auto p = std::make_shared<api::Pod>();
  p->metadata.name = name;
  p->metadata.namespace_ = "default";
  p->metadata.uid = "uid-" + name;
  api::Container c;
  c.name = "c";
  c.image = "nginx";
  if (!requests.empty()) {
    c.resources = api::ResourceRequirements{};
    c.resources->requests = std::move(requests);
  }
  p->spec.containers.push_back(std::move(c));
  return p;
}

// Builds a plugin by name through the in-tree registry.
std::unique_ptr<Plugin> Build(std::string_view name, Handle& handle, const PluginArgs& args = {}) {
  Registry r = NewInTreeRegistry();
  const PluginFactory* f = r.Find(name);
  KUBEPP_CHECK(f != nullptr, "no plugin {}", name);
  auto p = (*f)(args, handle);
  KUBEPP_CHECK(p.IsOk(), "{}", p.status().ToString());
  return std::move(p.value());
}

// Runs PreFilter (when implemented) then Filter.
Status RunFilter(Plugin& plugin, const PodInfo& pod, const NodeInfo& node) {
  CycleState state;
  if (auto* pre = dynamic_cast<PreFilterPlugin*>(&plugin)) {
    PreFilterResult r;
    std::vector<const NodeInfo*> nodes = {&node};
    Status s = pre->PreFilter(state, pod, nodes, r);
    if (s.IsSkip()) return {};
    if (!s.IsSuccess()) return s;
  }
  return dynamic_cast<FilterPlugin&>(plugin).Filter(state, pod, node);
}

// PreScore + Score + NormalizeScore over `nodes`; scores by node name. A PreScore Skip gives
// an empty map.
std::map<std::string, int64_t> RunScore(Plugin& plugin, const PodInfo& pod,
                                        const std::vector<const NodeInfo*>& nodes) {
  CycleState state;
  if (auto* pre = dynamic_cast<PreScorePlugin*>(&plugin)) {
    Status s = pre->PreScore(state, pod, nodes);
    if (s.IsSkip()) return {};
    KUBEPP_CHECK(s.IsSuccess(), "{}", s.ToString());
  }
  auto& score = dynamic_cast<ScorePlugin&>(plugin);
  std::vector<NodeScore> scores;
  for (const NodeInfo* n : nodes) {
    int64_t v = 0;
    Status s = score.Score(state, pod, *n, v);
    KUBEPP_CHECK(s.IsSuccess(), "{}", s.ToString());
    scores.push_back({n->NodeName(), v});
  }
  if (const auto* ext = score.GetScoreExtensions()) {
    KUBEPP_CHECK(ext->NormalizeScore(state, pod, scores).IsSuccess(), "normalize");
  }
  std::map<std::string, int64_t> out;
  for (const auto& s : scores) out[std::string(s.name)] = s.score;
  return out;
}

TEST(NodeNameTest, FitsOnlyTheNamedNode) {
  FakeHandle h;
  auto pl = Build(kNodeName, h);
  auto pod = MakePod("p");
  NodeInfo n1(MakeNode("n1"));
  EXPECT_TRUE(RunFilter(*pl, *PodInfo::Make(pod), n1).IsSuccess());
  pod->spec.nodeName = "n1";
  EXPECT_TRUE(RunFilter(*pl, *PodInfo::Make(pod), n1).IsSuccess());
  pod->spec.nodeName = "n2";
  Status s = RunFilter(*pl, *PodInfo::Make(pod), n1);
  EXPECT_EQ(s.Code(), StatusCode::kUnschedulableAndUnresolvable);
  EXPECT_EQ(s.Message(), "node(s) didn't match the requested node name");
}

TEST(NodeUnschedulableTest, CordonedNodeUnlessTolerated) {
  FakeHandle h;
  auto pl = Build(kNodeUnschedulable, h);
  auto node = MakeNode("n1");
  node->spec.unschedulable = true;
  NodeInfo ni(node);
  auto pod = MakePod("p");
  Status s = RunFilter(*pl, *PodInfo::Make(pod), ni);
  EXPECT_EQ(s.Code(), StatusCode::kUnschedulableAndUnresolvable);
  EXPECT_EQ(s.Message(), "node(s) were unschedulable");
  api::Toleration t;
  t.key = "node.kubernetes.io/unschedulable";
  t.operator_ = "Exists";
  t.effect = "NoSchedule";
  pod->spec.tolerations = {t};
  EXPECT_TRUE(RunFilter(*pl, *PodInfo::Make(pod), ni).IsSuccess());
  EXPECT_TRUE(RunFilter(*pl, *PodInfo::Make(MakePod("q")), NodeInfo(MakeNode("n2"))).IsSuccess());
}

TEST(NodePortsTest, ConflictingHostPorts) {
  FakeHandle h;
  auto pl = Build(kNodePorts, h);
  auto with_port = [](const std::string& name, int32_t port, const std::string& ip,
                      const std::string& protocol) {
    auto p = MakePod(name);
    api::ContainerPort cp;
    cp.containerPort = 80;
    cp.hostPort = port;
    cp.hostIP = ip;
    cp.protocol = protocol;
    p->spec.containers[0].ports = {cp};
    return p;
  };
  NodeInfo ni(MakeNode("n1"));
  ni.AddPod(PodInfo::Make(with_port("existing", 8080, "127.0.0.1", "TCP")));
  EXPECT_TRUE(RunFilter(*pl, *PodInfo::Make(MakePod("none")), ni).IsSuccess());
  EXPECT_TRUE(RunFilter(*pl, *PodInfo::Make(with_port("a", 8081, "", "")), ni).IsSuccess());
  EXPECT_TRUE(
      RunFilter(*pl, *PodInfo::Make(with_port("b", 8080, "127.0.0.2", "TCP")), ni).IsSuccess());
  EXPECT_TRUE(RunFilter(*pl, *PodInfo::Make(with_port("c", 8080, "", "UDP")), ni).IsSuccess());
  Status s = RunFilter(*pl, *PodInfo::Make(with_port("d", 8080, "", "")), ni);  // 0.0.0.0/TCP
  EXPECT_EQ(s.Code(), StatusCode::kUnschedulable);
  EXPECT_EQ(s.Message(), "node(s) didn't have free ports for the requested pod ports");
}

api::Taint MakeTaint(const std::string& key, const std::string& value, const std::string& effect) {
  api::Taint t;
  t.key = key;
  t.value = value;
  t.effect = effect;
  return t;
}

TEST(TaintTolerationTest, FilterOnNoScheduleAndNoExecute) {
  FakeHandle h;
  auto pl = Build(kTaintToleration, h);
  auto node = MakeNode("n1");
  node->spec.taints = {MakeTaint("dedicated", "gpu", "NoSchedule"),
                       MakeTaint("soft", "x", "PreferNoSchedule")};
  NodeInfo ni(node);
  auto pod = MakePod("p");
  Status s = RunFilter(*pl, *PodInfo::Make(pod), ni);
  EXPECT_EQ(s.Code(), StatusCode::kUnschedulableAndUnresolvable);
  EXPECT_EQ(s.Message(), "node(s) had untolerated taint {dedicated: gpu}");
  api::Toleration t;
  t.key = "dedicated";
  t.operator_ = "Equal";
  t.value = "gpu";
  pod->spec.tolerations = {t};
  EXPECT_TRUE(RunFilter(*pl, *PodInfo::Make(pod), ni).IsSuccess());
  t.value = "cpu";
  pod->spec.tolerations = {t};
  EXPECT_FALSE(RunFilter(*pl, *PodInfo::Make(pod), ni).IsSuccess());
  api::Toleration all;
  all.operator_ = "Exists";  // empty key + Exists tolerates everything
  pod->spec.tolerations = {all};
  EXPECT_TRUE(RunFilter(*pl, *PodInfo::Make(pod), ni).IsSuccess());
}

TEST(TaintTolerationTest, ScoreCountsIntolerablePreferNoScheduleReversed) {
  FakeHandle h;
  auto pl = Build(kTaintToleration, h);
  auto clean = MakeNode("clean");
  auto one = MakeNode("one");
  one->spec.taints = {MakeTaint("a", "1", "PreferNoSchedule")};
  auto two = MakeNode("two");
  two->spec.taints = {MakeTaint("a", "1", "PreferNoSchedule"),
                      MakeTaint("b", "1", "PreferNoSchedule")};
  NodeInfo n0(clean), n1(one), n2(two);
  auto scores = RunScore(*pl, *PodInfo::Make(MakePod("p")), {&n0, &n1, &n2});
  EXPECT_EQ(scores["clean"], 100);
  EXPECT_EQ(scores["one"], 50);
  EXPECT_EQ(scores["two"], 0);
  auto pod = MakePod("q");
  api::Toleration t;
  t.key = "b";
  t.operator_ = "Exists";
  t.effect = "PreferNoSchedule";
  pod->spec.tolerations = {t};
  scores = RunScore(*pl, *PodInfo::Make(pod), {&n0, &n1, &n2});
  EXPECT_EQ(scores["two"], 0);  // one intolerable taint, the max
  EXPECT_EQ(scores["one"], 0);
  EXPECT_EQ(scores["clean"], 100);
}

api::NodeSelectorRequirement Req(const std::string& key, const std::string& op,
                                 std::vector<std::string> values) {
  api::NodeSelectorRequirement r;
  r.key = key;
  r.operator_ = op;
  r.values = std::move(values);
  return r;
}

void SetRequired(api::Pod& pod, std::vector<api::NodeSelectorTerm> terms) {
  pod.spec.affinity = api::Affinity{};
  pod.spec.affinity->nodeAffinity = api::NodeAffinity{};
  pod.spec.affinity->nodeAffinity->requiredDuringSchedulingIgnoredDuringExecution =
      api::NodeSelector{std::move(terms)};
}

TEST(NodeAffinityTest, NodeSelectorAndRequiredTerms) {
  FakeHandle h;
  auto pl = Build(kNodeAffinity, h);
  auto node = MakeNode("n1");
  node->metadata.labels = {{"zone", "a"}, {"cores", "8"}, {"gpu", "yes"}};
  NodeInfo ni(node);
  auto pod = MakePod("p");
  pod->spec.nodeSelector = {{"zone", "a"}};
  EXPECT_TRUE(RunFilter(*pl, *PodInfo::Make(pod), ni).IsSuccess());
  pod->spec.nodeSelector = {{"zone", "b"}};
  Status s = RunFilter(*pl, *PodInfo::Make(pod), ni);
  EXPECT_EQ(s.Code(), StatusCode::kUnschedulableAndUnresolvable);
  EXPECT_EQ(s.Message(), "node(s) didn't match Pod's node affinity/selector");
  pod->spec.nodeSelector.clear();

  struct Case {
    std::vector<api::NodeSelectorRequirement> exprs;
    bool fits;
  };
  std::vector<Case> cases = {
      {{Req("zone", "In", {"a", "b"})}, true},
      {{Req("zone", "NotIn", {"a"})}, false},
      {{Req("missing", "NotIn", {"a"})}, true},
      {{Req("gpu", "Exists", {})}, true},
      {{Req("gpu", "DoesNotExist", {})}, false},
      {{Req("cores", "Gt", {"4"})}, true},
      {{Req("cores", "Lt", {"4"})}, false},
      {{Req("cores", "Gt", {"x"})}, false},  // invalid: the term matches nothing
      {{Req("zone", "In", {})}, false},      // invalid
      {{Req("zone", "In", {"a"}), Req("gpu", "DoesNotExist", {})}, false},  // ANDed
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    api::NodeSelectorTerm term;
    term.matchExpressions = cases[i].exprs;
    SetRequired(*pod, {term});
    EXPECT_EQ(RunFilter(*pl, *PodInfo::Make(pod), ni).IsSuccess(), cases[i].fits) << "case " << i;
  }
  // Terms are ORed; an empty term matches nothing.
  api::NodeSelectorTerm bad;
  bad.matchExpressions = {Req("zone", "In", {"z"})};
  api::NodeSelectorTerm good;
  good.matchExpressions = {Req("zone", "In", {"a"})};
  SetRequired(*pod, {bad, good});
  EXPECT_TRUE(RunFilter(*pl, *PodInfo::Make(pod), ni).IsSuccess());
  SetRequired(*pod, {api::NodeSelectorTerm{}});
  EXPECT_FALSE(RunFilter(*pl, *PodInfo::Make(pod), ni).IsSuccess());
}

TEST(NodeAffinityTest, MatchFieldsNameRestrictsPreFilterResult) {
  FakeHandle h;
  auto pl = Build(kNodeAffinity, h);
  auto& pre = dynamic_cast<PreFilterPlugin&>(*pl);
  auto pod = MakePod("p");
  api::NodeSelectorTerm t1;
  t1.matchFields = {Req("metadata.name", "In", {"n1"})};
  api::NodeSelectorTerm t2;
  t2.matchFields = {Req("metadata.name", "In", {"n2"})};
  SetRequired(*pod, {t1, t2});
  CycleState state;
  PreFilterResult r;
  ASSERT_TRUE(pre.PreFilter(state, *PodInfo::Make(pod), {}, r).IsSuccess());
  ASSERT_FALSE(r.AllNodes());
  EXPECT_EQ(*r.node_names, (std::set<std::string>{"n1", "n2"}));
  NodeInfo n1(MakeNode("n1")), n3(MakeNode("n3"));
  EXPECT_TRUE(RunFilter(*pl, *PodInfo::Make(pod), n1).IsSuccess());
  EXPECT_FALSE(RunFilter(*pl, *PodInfo::Make(pod), n3).IsSuccess());
  // Conflicting names within one term.
  t1.matchFields.push_back(Req("metadata.name", "In", {"n2"}));
  SetRequired(*pod, {t1});
  CycleState state2;
  Status s = pre.PreFilter(state2, *PodInfo::Make(pod), {}, r);
  EXPECT_EQ(s.Code(), StatusCode::kUnschedulableAndUnresolvable);
  EXPECT_EQ(s.Message(), "pod affinity terms conflict");
  // No selector at all: Skip.
  CycleState state3;
  EXPECT_TRUE(pre.PreFilter(state3, *PodInfo::Make(MakePod("q")), {}, r).IsSkip());
}

TEST(NodeAffinityTest, PreferredTermsScoredByWeight) {
  FakeHandle h;
  auto pl = Build(kNodeAffinity, h);
  auto a = MakeNode("a");
  a->metadata.labels = {{"zone", "a"}, {"disk", "ssd"}};
  auto b = MakeNode("b");
  b->metadata.labels = {{"zone", "a"}};
  auto c = MakeNode("c");
  NodeInfo na(a), nb(b), nc(c);
  auto pod = MakePod("p");
  pod->spec.affinity = api::Affinity{};
  pod->spec.affinity->nodeAffinity = api::NodeAffinity{};
  api::PreferredSchedulingTerm zone;
  zone.weight = 2;
  zone.preference.matchExpressions = {Req("zone", "In", {"a"})};
  api::PreferredSchedulingTerm ssd;
  ssd.weight = 6;
  ssd.preference.matchExpressions = {Req("disk", "In", {"ssd"})};
  pod->spec.affinity->nodeAffinity->preferredDuringSchedulingIgnoredDuringExecution = {zone, ssd};
  auto scores = RunScore(*pl, *PodInfo::Make(pod), {&na, &nb, &nc});
  EXPECT_EQ(scores["a"], 100);  // 8 of 8
  EXPECT_EQ(scores["b"], 25);   // 2 of 8
  EXPECT_EQ(scores["c"], 0);
  EXPECT_TRUE(RunScore(*pl, *PodInfo::Make(MakePod("q")), {&na}).empty());  // Skip
}

TEST(NodeResourcesFitTest, FitsAndInsufficientReasons) {
  FakeHandle h;
  auto pl = Build(kNodeResourcesFit, h);
  auto node = MakeNode("n1", "2", "4Gi", "2");
  node->status.allocatable["example.com/gpu"] = {"1"};
  NodeInfo ni(node);
  ni.AddPod(PodInfo::Make(MakePod("existing", {{"cpu", {"1500m"}}, {"memory", {"1Gi"}}})));
  EXPECT_TRUE(RunFilter(*pl, *PodInfo::Make(MakePod("fits", {{"cpu", {"500m"}}})), ni).IsSuccess());
  Status s =
      RunFilter(*pl, *PodInfo::Make(MakePod("big", {{"cpu", {"1"}}, {"memory", {"4Gi"}}})), ni);
  EXPECT_EQ(s.Code(), StatusCode::kUnschedulable);
  EXPECT_EQ(s.Reasons(), (std::vector<std::string>{"Insufficient cpu", "Insufficient memory"}));
  s = RunFilter(*pl, *PodInfo::Make(MakePod("gpus", {{"example.com/gpu", {"2"}}})), ni);
  EXPECT_EQ(s.Message(), "Insufficient example.com/gpu");
  EXPECT_TRUE(
      RunFilter(*pl, *PodInfo::Make(MakePod("gpu", {{"example.com/gpu", {"1"}}})), ni).IsSuccess());
  // Ignored extended resources.
  NodeResourcesFitArgs args;
  args.ignored_resource_groups = {"example.com"};
  auto ignoring = Build(kNodeResourcesFit, h, args);
  EXPECT_TRUE(
      RunFilter(*ignoring, *PodInfo::Make(MakePod("gpus", {{"example.com/gpu", {"2"}}})), ni)
          .IsSuccess());
  // Pod count.
  ni.AddPod(PodInfo::Make(MakePod("second")));
  s = RunFilter(*pl, *PodInfo::Make(MakePod("third")), ni);
  EXPECT_EQ(s.Message(), "Too many pods");
}

TEST(NodeResourcesFitTest, LeastAndMostAllocatedScores) {
  FakeHandle h;
  NodeInfo empty(MakeNode("empty", "4", "8Gi"));
  NodeInfo half(MakeNode("half", "4", "8Gi"));
  half.AddPod(PodInfo::Make(MakePod("e", {{"cpu", {"2"}}, {"memory", {"4Gi"}}})));
  auto pod = PodInfo::Make(MakePod("p", {{"cpu", {"1"}}, {"memory", {"2Gi"}}}));
  auto least = Build(kNodeResourcesFit, h);
  auto scores = RunScore(*least, *pod, {&empty, &half});
  EXPECT_EQ(scores["empty"], 75);  // (4-1)/4 and (8-2)/8
  EXPECT_EQ(scores["half"], 25);
  NodeResourcesFitArgs most_args;
  most_args.scoring_strategy.type = "MostAllocated";
  auto most = Build(kNodeResourcesFit, h, most_args);
  scores = RunScore(*most, *pod, {&empty, &half});
  EXPECT_EQ(scores["empty"], 25);
  EXPECT_EQ(scores["half"], 75);
  // A pod without requests counts 100m / 200Mi.
  scores = RunScore(*least, *PodInfo::Make(MakePod("be")), {&empty});
  EXPECT_EQ(scores["empty"], ((4000 - 100) * 100 / 4000 + (8192 - 200) * 100 / 8192) / 2);
}

TEST(NodeResourcesFitTest, RequestedToCapacityRatio) {
  FakeHandle h;
  NodeResourcesFitArgs args;
  args.scoring_strategy.type = "RequestedToCapacityRatio";
  args.scoring_strategy.shape = {{0, 0}, {100, 10}};  // bin packing
  auto pl = Build(kNodeResourcesFit, h, args);
  NodeInfo empty(MakeNode("empty", "4", "8Gi"));
  NodeInfo half(MakeNode("half", "4", "8Gi"));
  half.AddPod(PodInfo::Make(MakePod("e", {{"cpu", {"2"}}, {"memory", {"4Gi"}}})));
  auto pod = PodInfo::Make(MakePod("p", {{"cpu", {"1"}}, {"memory", {"2Gi"}}}));
  auto scores = RunScore(*pl, *pod, {&empty, &half});
  EXPECT_EQ(scores["empty"], 25);
  EXPECT_EQ(scores["half"], 75);
  NodeResourcesFitArgs bad;
  bad.scoring_strategy.type = "RequestedToCapacityRatio";
  Registry r = NewInTreeRegistry();
  EXPECT_FALSE((*r.Find(kNodeResourcesFit))(bad, h).IsOk());
  bad.scoring_strategy.type = "Nope";
  EXPECT_FALSE((*r.Find(kNodeResourcesFit))(bad, h).IsOk());
}

TEST(BalancedAllocationTest, PrefersBalancedNodes) {
  FakeHandle h;
  auto pl = Build(kNodeResourcesBalancedAllocation, h);
  NodeInfo balanced(MakeNode("balanced", "4", "8Gi"));
  NodeInfo skewed(MakeNode("skewed", "4", "8Gi"));
  skewed.AddPod(PodInfo::Make(MakePod("e", {{"cpu", {"3"}}})));
  auto pod = PodInfo::Make(MakePod("p", {{"cpu", {"1"}}, {"memory", {"2Gi"}}}));
  auto scores = RunScore(*pl, *pod, {&balanced, &skewed});
  EXPECT_EQ(scores["balanced"], 100);  // 25% cpu, 25% memory
  EXPECT_EQ(scores["skewed"], 62);     // 100% cpu, 25% memory: 1 - 0.375
  // Best-effort pods are not scored.
  EXPECT_TRUE(RunScore(*pl, *PodInfo::Make(MakePod("be")), {&balanced}).empty());
}

TEST(ImageLocalityTest, ScoresBySizeAndSpread) {
  FakeHandle h;
  auto with = MakeNode("with");
  with->status.images = {{{"nginx:latest"}, 500LL * 1024 * 1024}};
  auto without = MakeNode("without");
  h.snapshot = Snapshot::FromObjects({}, {with, without});
  auto pl = Build(kImageLocality, h);
  auto pod = PodInfo::Make(MakePod("p"));  // image "nginx"
  std::vector<const NodeInfo*> nodes = {h.snapshot.Get("with"), h.snapshot.Get("without")};
  auto scores = RunScore(*pl, *pod, nodes);
  // 500Mi spread over 1 of 2 nodes = 250Mi; (250 - 23) * 100 / (1000 - 23).
  EXPECT_EQ(scores["with"], (250 - 23) * 100 / (1000 - 23));
  EXPECT_EQ(scores["without"], 0);
}

TEST(DefaultProfileTest, SchedulesLikeUpstream) {
  Registry registry = NewInTreeRegistry();
  auto fw_or = Framework::New(registry, DefaultProfile());
  ASSERT_TRUE(fw_or.IsOk()) << fw_or.status().ToString();
  auto& fw = *fw_or.value();
  auto list = fw.ListPlugins();
  std::map<std::string, std::vector<std::string>> by_point(list.begin(), list.end());
  EXPECT_EQ(by_point["Filter"],
            (std::vector<std::string>{"NodeUnschedulable", "NodeName", "TaintToleration",
                                      "NodeAffinity", "NodePorts", "NodeResourcesFit",
                                      "VolumeBinding", "PodTopologySpread", "InterPodAffinity"}));
  EXPECT_EQ(by_point["PostFilter"], (std::vector<std::string>{"DefaultPreemption"}));
  EXPECT_EQ(by_point["Score"],
            (std::vector<std::string>{"TaintToleration:3", "NodeAffinity:2", "NodeResourcesFit:1",
                                      "PodTopologySpread:2", "InterPodAffinity:2",
                                      "NodeResourcesBalancedAllocation:1", "ImageLocality:1"}));

  auto small = MakeNode("small", "500m", "1Gi");
  auto other_zone = MakeNode("other-zone", "8", "16Gi");
  other_zone->metadata.labels = {{"zone", "b"}};
  auto big = MakeNode("big", "8", "16Gi");
  big->metadata.labels = {{"zone", "a"}};
  auto bigger = MakeNode("bigger", "16", "32Gi");
  bigger->metadata.labels = {{"zone", "a"}};
  Snapshot snap = Snapshot::FromObjects({}, {small, other_zone, big, bigger});
  auto pod = MakePod("p", {{"cpu", {"1"}}, {"memory", {"1Gi"}}});
  pod->spec.nodeSelector = {{"zone", "a"}};
  std::mt19937_64 rng(3);
  NodeCursor cursor;
  ScheduleResult result;
  std::optional<FitError> fit;
  CycleState state;
  Status s = SchedulePod(fw, state, *PodInfo::Make(pod), snap, 0, cursor, rng, result, fit);
  ASSERT_TRUE(s.IsSuccess()) << s.ToString();
  EXPECT_EQ(result.suggested_host, "bigger");  // least allocated
  EXPECT_EQ(result.feasible_nodes, 2);

  auto huge = MakePod("huge", {{"cpu", {"20"}}});
  huge->spec.nodeSelector = {{"zone", "a"}};
  CycleState state2;
  s = SchedulePod(fw, state2, *PodInfo::Make(huge), snap, 0, cursor, rng, result, fit);
  EXPECT_EQ(s.Code(), StatusCode::kUnschedulable);
  ASSERT_TRUE(fit.has_value());
  EXPECT_EQ(fit->Error(),
            "0/4 nodes are available: 2 Insufficient cpu, 2 node(s) didn't match Pod's node "
            "affinity/selector.");
}

}  // namespace
}  // namespace kubepp::scheduler::plugins
