#include "scheduler/framework/framework.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "scheduler/framework/schedule_one.h"

namespace kubepp::scheduler {
namespace {

api::Container MakeContainer(std::map<std::string, api::Quantity> requests,
                             std::string restart_policy = "") {
  api::Container c;
  c.name = "c";
  c.resources = api::ResourceRequirements{};
  c.resources->requests = std::move(requests);
  c.restartPolicy = std::move(restart_policy);
  return c;
}

std::shared_ptr<api::Node> MakeNode(const std::string& name, const std::string& cpu,
                                    const std::string& memory, const std::string& pods = "110") {
  auto n = std::make_shared<api::Node>();
  n->metadata.name = name;
  n->status.allocatable = {{"cpu", {cpu}}, {"memory", {memory}}, {"pods", {pods}}};
  return n;
}

TEST(ResourceTest, PodRequestsSumsContainersAndTakesMaxOfInit) {
  api::Pod pod;
  pod.spec.containers = {MakeContainer({{"cpu", {"100m"}}, {"memory", {"1Gi"}}}),
                         MakeContainer({{"cpu", {"200m"}}, {"example.com/gpu", {"1"}}})};
  pod.spec.initContainers = {MakeContainer({{"cpu", {"500m"}}, {"memory", {"100Mi"}}})};
  pod.spec.overhead = {{"cpu", {"10m"}}};
  Resource r = PodRequests(pod);
  EXPECT_EQ(r.milli_cpu, 510);  // max(300, 500) + 10
  EXPECT_EQ(r.memory, 1024LL * 1024 * 1024);
  EXPECT_EQ(r.Scalar("example.com/gpu"), 1);
}

TEST(ResourceTest, SidecarsAddToAppsAndToLaterInitContainers) {
  api::Pod pod;
  pod.spec.initContainers = {MakeContainer({{"cpu", {"100m"}}}, "Always"),
                             MakeContainer({{"cpu", {"1"}}})};
  pod.spec.containers = {MakeContainer({{"cpu", {"200m"}}})};
  // apps + sidecar = 300m; the second init container runs beside the sidecar: 1100m.
  EXPECT_EQ(PodRequests(pod).milli_cpu, 1100);
  pod.spec.initContainers[1] = MakeContainer({{"cpu", {"50m"}}});
  EXPECT_EQ(PodRequests(pod).milli_cpu, 300);
}

TEST(ResourceTest, NonZeroRequestsDefaultMissingCpuAndMemory) {
  api::Pod pod;
  pod.spec.containers = {MakeContainer({}), MakeContainer({{"cpu", {"0"}}})};
  Resource r = PodNonZeroRequests(pod);
  EXPECT_EQ(r.milli_cpu, 100);  // an explicit 0 stays 0
  EXPECT_EQ(r.memory, 2 * kDefaultMemoryRequest);
  EXPECT_TRUE(PodRequests(pod).IsEmptyRequest());
}

TEST(ResourceTest, ScalarNames) {
  EXPECT_TRUE(IsScalarResourceName("example.com/gpu"));
  EXPECT_TRUE(IsScalarResourceName("hugepages-2Mi"));
  EXPECT_TRUE(IsExtendedResourceName("example.com/gpu"));
  EXPECT_FALSE(IsExtendedResourceName("kubernetes.io/foo"));
  EXPECT_FALSE(IsScalarResourceName("cpu"));
}

TEST(NodeInfoTest, AddAndRemovePodKeepSums) {
  NodeInfo ni(MakeNode("n1", "4", "8Gi"));
  EXPECT_EQ(ni.Allocatable().milli_cpu, 4000);
  EXPECT_EQ(ni.Allocatable().allowed_pod_number, 110);
  auto pod = std::make_shared<api::Pod>();
  pod->metadata.uid = "u1";
  pod->spec.containers = {MakeContainer({{"cpu", {"1"}}})};
  api::ContainerPort port;
  port.containerPort = 80;
  port.hostPort = 8080;
  pod->spec.containers[0].ports = {port};
  const int64_t g0 = ni.Generation();
  ni.AddPod(PodInfo::Make(pod));
  EXPECT_GT(ni.Generation(), g0);
  EXPECT_EQ(ni.Requested().milli_cpu, 1000);
  EXPECT_EQ(ni.NonZeroRequested().milli_cpu, 1000);
  EXPECT_EQ(ni.NonZeroRequested().memory, kDefaultMemoryRequest);
  EXPECT_TRUE(ni.UsedPorts().CheckConflict({"0.0.0.0", "TCP", 8080}));
  EXPECT_TRUE(ni.UsedPorts().CheckConflict({"10.0.0.1", "TCP", 8080}));
  EXPECT_FALSE(ni.UsedPorts().CheckConflict({"0.0.0.0", "UDP", 8080}));
  EXPECT_TRUE(ni.RemovePod("u1"));
  EXPECT_FALSE(ni.RemovePod("u1"));
  EXPECT_EQ(ni.Requested().milli_cpu, 0);
  EXPECT_EQ(ni.NonZeroRequested().memory, 0);
  EXPECT_EQ(ni.UsedPorts().Size(), 0U);
  EXPECT_TRUE(ni.Pods().empty());
}

TEST(NodeInfoTest, PodAffinityListsAndImages) {
  auto node = MakeNode("n1", "1", "1Gi");
  node->status.images = {{{"nginx:1.25", "docker.io/library/nginx:1.25"}, 100}};
  auto pod = std::make_shared<api::Pod>();
  pod->metadata.name = "p";
  pod->metadata.namespace_ = "default";
  pod->metadata.labels = {{"app", "web"}};
  pod->spec.nodeName = "n1";
  api::PodAffinityTerm term;
  term.labelSelector = api::LabelSelector{};
  term.labelSelector->matchLabels = {{"app", "web"}};
  term.topologyKey = "kubernetes.io/hostname";
  pod->spec.affinity = api::Affinity{};
  pod->spec.affinity->podAntiAffinity = api::PodAntiAffinity{};
  pod->spec.affinity->podAntiAffinity->requiredDuringSchedulingIgnoredDuringExecution = {term};
  Snapshot snap = Snapshot::FromObjects({pod}, {node, MakeNode("n2", "1", "1Gi")});
  ASSERT_EQ(snap.NumNodes(), 2U);
  const NodeInfo* n1 = snap.Get("n1");
  ASSERT_NE(n1, nullptr);
  EXPECT_EQ(n1->PodsWithRequiredAntiAffinity().size(), 1U);
  EXPECT_EQ(snap.HavePodsWithRequiredAntiAffinity().size(), 1U);
  const auto& info = *n1->Pods()[0];
  EXPECT_EQ(info.key, "default/p");
  ASSERT_EQ(info.required_anti_affinity_terms.size(), 1U);
  EXPECT_TRUE(info.required_anti_affinity_terms[0].Matches(*pod));
  EXPECT_EQ(n1->ImageStates().at("nginx:1.25").size, 100);
  EXPECT_EQ(n1->ImageStates().at("nginx:1.25").num_nodes, 1);
  EXPECT_EQ(NormalizedImageName("nginx"), "nginx:latest");
  EXPECT_EQ(NormalizedImageName("localhost:5000/nginx"), "localhost:5000/nginx:latest");
  EXPECT_EQ(NormalizedImageName("nginx:1.25"), "nginx:1.25");
}

TEST(StatusTest, CodesAndMessage) {
  Status s = Status::Unschedulable("Insufficient cpu");
  s.AppendReason("Insufficient memory");
  EXPECT_TRUE(s.IsRejected());
  EXPECT_EQ(s.Message(), "Insufficient cpu, Insufficient memory");
  EXPECT_EQ(StatusCodeName(StatusCode::kUnschedulableAndUnresolvable),
            "UnschedulableAndUnresolvable");
  EXPECT_TRUE(Status().IsSuccess());
  EXPECT_FALSE(Status::Error("x").IsRejected());
}

TEST(ScheduleOneTest, NumFeasibleNodesToFind) {
  EXPECT_EQ(NumFeasibleNodesToFind(std::nullopt, 0, 50), 50);
  EXPECT_EQ(NumFeasibleNodesToFind(std::nullopt, 0, 100), 100);
  EXPECT_EQ(NumFeasibleNodesToFind(std::nullopt, 0, 1000), 420);   // 50 - 8 = 42%
  EXPECT_EQ(NumFeasibleNodesToFind(std::nullopt, 0, 5000), 500);   // 50 - 40 = 10%
  EXPECT_EQ(NumFeasibleNodesToFind(std::nullopt, 0, 6000), 300);   // 2% -> at least 5%
  EXPECT_EQ(NumFeasibleNodesToFind(std::nullopt, 0, 150), 100);    // at least 100
  EXPECT_EQ(NumFeasibleNodesToFind(std::nullopt, 30, 1000), 300);  // global
  EXPECT_EQ(NumFeasibleNodesToFind(20, 30, 1000), 200);            // profile wins
  EXPECT_EQ(NumFeasibleNodesToFind(100, 0, 5000), 5000);
}

TEST(ScheduleOneTest, SelectHostPicksHighestAndBreaksTiesAtRandom) {
  NodeInfo a(MakeNode("a", "1", "1Gi"));
  NodeInfo b(MakeNode("b", "1", "1Gi"));
  NodeInfo c(MakeNode("c", "1", "1Gi"));
  std::mt19937_64 rng(1);
  std::vector<NodePluginScores> scores = {{&a, 10}, {&b, 30}, {&c, 20}};
  EXPECT_EQ(SelectHost(scores, rng), &b);
  scores = {{&a, 30}, {&b, 30}, {&c, 20}};
  std::map<const NodeInfo*, int> seen;
  for (int i = 0; i < 200; ++i) ++seen[SelectHost(scores, rng)];
  EXPECT_GT(seen[&a], 50);
  EXPECT_GT(seen[&b], 50);
  EXPECT_EQ(seen[&c], 0);
}

TEST(ScheduleOneTest, FitErrorMessage) {
  FitError e;
  e.num_all_nodes = 3;
  e.diagnosis.node_to_status.Set("n1", Status::Unschedulable("Insufficient cpu"));
  e.diagnosis.node_to_status.Set("n2", Status::UnschedulableAndUnresolvable(
                                           "node(s) didn't match Pod's node affinity/selector"));
  e.diagnosis.node_to_status.Set("n3", Status::UnschedulableAndUnresolvable(
                                           "node(s) didn't match Pod's node affinity/selector"));
  EXPECT_EQ(e.Error(),
            "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node "
            "affinity/selector.");
  e.diagnosis.post_filter_msg =
      "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling";
  EXPECT_EQ(e.Error(),
            "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node "
            "affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not "
            "helpful for scheduling.");
  FitError pre;
  pre.num_all_nodes = 2;
  pre.diagnosis.pre_filter_msg = "pod affinity terms conflict";
  EXPECT_EQ(pre.Error(), "0/2 nodes are available: pod affinity terms conflict.");
}

// A configurable fake plugin: Filter rejects nodes by name, Score returns a per-node number.
class FakePlugin : public PreFilterPlugin,
                   public FilterPlugin,
                   public PreScorePlugin,
                   public ScorePlugin,
                   public ScoreExtensions,
                   public ReservePlugin,
                   public BindPlugin {
 public:
  explicit FakePlugin(std::string name) : name_(std::move(name)) {}
  std::string_view Name() const override { return name_; }
  Status PreFilter(CycleState& /*state*/, const PodInfo& /*pod*/,
                   std::span<const NodeInfo* const> /*nodes*/, PreFilterResult& r) override {
    ++pre_filter_calls;
    r.node_names = pre_filter_nodes;
    return pre_filter_status;
  }
  Status Filter(const CycleState& /*state*/, const PodInfo& /*pod*/,
                const NodeInfo& node) const override {
    ++filter_calls;
    auto it = reject.find(node.NodeName());
    return it == reject.end() ? Status() : it->second;
  }
  Status PreScore(CycleState& /*state*/, const PodInfo& /*pod*/,
                  std::span<const NodeInfo* const> /*nodes*/) override {
    return pre_score_status;
  }
  Status Score(const CycleState& /*state*/, const PodInfo& /*pod*/, const NodeInfo& node,
               int64_t& score) const override {
    auto it = scores.find(node.NodeName());
    score = it == scores.end() ? 0 : it->second;
    return {};
  }
  const ScoreExtensions* GetScoreExtensions() const override { return normalize ? this : nullptr; }
  Status NormalizeScore(const CycleState& /*state*/, const PodInfo& /*pod*/,
                        std::span<NodeScore> s) const override {
    DefaultNormalizeScore(kMaxNodeScore, false, s);
    return {};
  }
  Status Reserve(CycleState& /*state*/, const PodInfo& /*pod*/, const std::string& node) override {
    log->push_back(name_ + ".Reserve " + node);
    return reserve_status;
  }
  void Unreserve(CycleState& /*state*/, const PodInfo& /*pod*/, const std::string& node) override {
    log->push_back(name_ + ".Unreserve " + node);
  }
  Status Bind(CycleState& /*state*/, const PodInfo& /*pod*/, const std::string& node) override {
    log->push_back(name_ + ".Bind " + node);
    return bind_status;
  }

  std::string name_;
  Status pre_filter_status;
  std::optional<std::set<std::string>> pre_filter_nodes;
  Status pre_score_status;
  std::map<std::string, Status> reject;
  std::map<std::string, int64_t> scores;
  bool normalize = false;
  Status reserve_status;
  Status bind_status;
  std::vector<std::string>* log = nullptr;
  int pre_filter_calls = 0;
  mutable int filter_calls = 0;
};

// A score-only plugin, to check that multiPoint places plugins only where they fit.
class ScoreOnly : public ScorePlugin {
 public:
  std::string_view Name() const override { return "ScoreOnly"; }
  Status Score(const CycleState& /*state*/, const PodInfo& /*pod*/, const NodeInfo& /*node*/,
               int64_t& score) const override {
    score = 7;
    return {};
  }
};

class FrameworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"A", "B"}) {
      // Each framework gets fresh instances; fakes_ points at the latest ones.
      ASSERT_TRUE(registry_
                      .Register(name,
                                [this, name](const PluginArgs&,
                                             Handle&) -> Result<std::unique_ptr<Plugin>> {
                                  auto p = std::make_unique<FakePlugin>(name);
                                  p->log = &log_;
                                  fakes_[name] = p.get();
                                  return std::unique_ptr<Plugin>(std::move(p));
                                })
                      .IsOk());
    }
    ASSERT_TRUE(registry_
                    .Register("ScoreOnly",
                              [](const PluginArgs&, Handle&) -> Result<std::unique_ptr<Plugin>> {
                                return std::unique_ptr<Plugin>(std::make_unique<ScoreOnly>());
                              })
                    .IsOk());
    for (int i = 0; i < 4; ++i) nodes_.push_back(MakeNode("n" + std::to_string(i), "1", "1Gi"));
    snapshot_ = Snapshot::FromObjects({}, nodes_);
    auto pod = std::make_shared<api::Pod>();
    pod->metadata.name = "p";
    pod->metadata.namespace_ = "default";
    pod_ = PodInfo::Make(pod);
  }

  std::unique_ptr<Framework> Make(KubeSchedulerProfile profile) {
    auto fw = Framework::New(registry_, profile);
    KUBEPP_CHECK(fw.IsOk(), "{}", fw.status().ToString());
    return std::move(fw.value());
  }

  static KubeSchedulerProfile MultiPoint(std::vector<PluginRef> refs) {
    KubeSchedulerProfile p;
    p.plugins.multi_point.enabled = std::move(refs);
    return p;
  }

  Registry registry_;
  std::map<std::string, FakePlugin*> fakes_;
  std::vector<std::string> log_;
  std::vector<std::shared_ptr<const api::Node>> nodes_;
  Snapshot snapshot_;
  std::shared_ptr<const PodInfo> pod_;
};

TEST_F(FrameworkTest, MultiPointExpandsToImplementedExtensionPoints) {
  auto fw = Make(MultiPoint({{"A", 2}, {"ScoreOnly", 0}}));
  auto list = fw->ListPlugins();
  std::map<std::string, std::vector<std::string>> by_point(list.begin(), list.end());
  EXPECT_EQ(by_point["Filter"], std::vector<std::string>({"A"}));
  EXPECT_EQ(by_point["Score"], std::vector<std::string>({"A:2", "ScoreOnly:1"}));
  EXPECT_EQ(by_point["Bind"], std::vector<std::string>({"A"}));
  EXPECT_EQ(fw->GetPlugin("ScoreOnly")->Name(), "ScoreOnly");
}

TEST_F(FrameworkTest, ExplicitPointsDisableAndErrors) {
  KubeSchedulerProfile p = MultiPoint({{"A", 0}, {"B", 0}});
  p.plugins.filter.disabled = {{"A", 0}};
  p.plugins.score.disabled = {{"*", 0}};
  p.plugins.score.enabled = {{"B", 5}};
  auto fw = Make(p);
  auto list = fw->ListPlugins();
  std::map<std::string, std::vector<std::string>> by_point(list.begin(), list.end());
  EXPECT_EQ(by_point["Filter"], std::vector<std::string>({"B"}));
  EXPECT_EQ(by_point["Score"], std::vector<std::string>({"B:5"}));

  KubeSchedulerProfile unknown = MultiPoint({{"Nope", 0}});
  auto bad = Framework::New(registry_, unknown);
  ASSERT_FALSE(bad.IsOk());
  EXPECT_EQ(bad.status().Message(), "plugin \"Nope\" does not exist");

  KubeSchedulerProfile wrong;
  wrong.plugins.filter.enabled = {{"ScoreOnly", 0}};
  auto bad2 = Framework::New(registry_, wrong);
  ASSERT_FALSE(bad2.IsOk());
  EXPECT_EQ(bad2.status().Message(), "plugin \"ScoreOnly\" does not extend Filter plugin");
}

TEST_F(FrameworkTest, FilterStopsAtFirstRejectionAndNamesThePlugin) {
  auto fw = Make(MultiPoint({{"A", 0}, {"B", 0}}));
  fakes_["A"]->reject["n1"] = Status::Unschedulable("Insufficient cpu");
  fakes_["B"]->reject["n1"] = Status::Unschedulable("never reached");
  CycleState state;
  Status s = fw->RunFilterPlugins(state, *pod_, *snapshot_.Get("n1"));
  EXPECT_EQ(s.Code(), StatusCode::kUnschedulable);
  EXPECT_EQ(s.Plugin(), "A");
  EXPECT_EQ(s.Message(), "Insufficient cpu");
  EXPECT_EQ(fakes_["B"]->filter_calls, 0);
  fakes_["A"]->reject["n2"] = Status::Error("boom");
  s = fw->RunFilterPlugins(state, *pod_, *snapshot_.Get("n2"));
  EXPECT_TRUE(s.IsError());
  EXPECT_EQ(s.Message(), "running \"A\" filter plugin: boom");
}

TEST_F(FrameworkTest, PreFilterSkipSkipsFilterAndResultsIntersect) {
  auto fw = Make(MultiPoint({{"A", 0}, {"B", 0}}));
  fakes_["A"]->pre_filter_status = Status::Skip();
  fakes_["A"]->reject["n1"] = Status::Unschedulable("x");
  fakes_["B"]->pre_filter_nodes = std::set<std::string>{"n1", "n2"};
  CycleState state;
  PreFilterResult r;
  std::vector<const NodeInfo*> all;
  for (const auto& n : snapshot_.NodeInfos()) all.push_back(n.get());
  ASSERT_TRUE(fw->RunPreFilterPlugins(state, *pod_, all, r).IsSuccess());
  EXPECT_EQ(*r.node_names, (std::set<std::string>{"n1", "n2"}));
  EXPECT_TRUE(fw->RunFilterPlugins(state, *pod_, *snapshot_.Get("n1")).IsSuccess());

  fakes_["A"]->pre_filter_status = Status();
  fakes_["A"]->pre_filter_nodes = std::set<std::string>{"n3"};
  CycleState state2;
  Status s = fw->RunPreFilterPlugins(state2, *pod_, all, r);
  EXPECT_EQ(s.Code(), StatusCode::kUnschedulableAndUnresolvable);
  EXPECT_EQ(s.Message(), "node(s) didn't satisfy plugin(s) [A B] simultaneously");
}

TEST_F(FrameworkTest, ScoresAreNormalizedAndWeighted) {
  auto fw = Make(MultiPoint({{"A", 2}, {"ScoreOnly", 3}}));
  fakes_["A"]->scores = {{"n0", 5}, {"n1", 10}};
  fakes_["A"]->normalize = true;
  CycleState state;
  std::vector<const NodeInfo*> nodes = {snapshot_.Get("n0"), snapshot_.Get("n1"),
                                        snapshot_.Get("n2")};
  ASSERT_TRUE(fw->RunPreScorePlugins(state, *pod_, nodes).IsSuccess());
  std::vector<NodePluginScores> out;
  ASSERT_TRUE(fw->RunScorePlugins(state, *pod_, nodes, out).IsSuccess());
  ASSERT_EQ(out.size(), 3U);
  EXPECT_EQ(out[0].total_score, 50 * 2 + 7 * 3);
  EXPECT_EQ(out[1].total_score, 100 * 2 + 7 * 3);
  EXPECT_EQ(out[2].total_score, 0 * 2 + 7 * 3);

  // Out of range without normalization: an error.
  fakes_["A"]->normalize = false;
  fakes_["A"]->scores = {{"n0", 101}};
  Status s = fw->RunScorePlugins(state, *pod_, nodes, out);
  EXPECT_TRUE(s.IsError());
  // PreScore Skip skips the plugin's Score.
  fakes_["A"]->pre_score_status = Status::Skip();
  CycleState state2;
  ASSERT_TRUE(fw->RunPreScorePlugins(state2, *pod_, nodes).IsSuccess());
  ASSERT_TRUE(fw->RunScorePlugins(state2, *pod_, nodes, out).IsSuccess());
  EXPECT_EQ(out[0].total_score, 21);
}

TEST_F(FrameworkTest, ReserveUnreserveAndBind) {
  auto fw = Make(MultiPoint({{"A", 0}, {"B", 0}}));
  CycleState state;
  fakes_["B"]->reserve_status = Status::Unschedulable("no");
  Status s = fw->RunReservePluginsReserve(state, *pod_, "n1");
  EXPECT_EQ(s.Plugin(), "B");
  fw->RunReservePluginsUnreserve(state, *pod_, "n1");
  fakes_["A"]->bind_status = Status::Skip();
  EXPECT_TRUE(fw->RunBindPlugins(state, *pod_, "n1").IsSuccess());
  EXPECT_EQ(log_, (std::vector<std::string>{"A.Reserve n1", "B.Reserve n1", "B.Unreserve n1",
                                            "A.Unreserve n1", "A.Bind n1", "B.Bind n1"}));
}

TEST_F(FrameworkTest, SchedulePodPicksBestAndReportsFitError) {
  auto fw = Make(MultiPoint({{"A", 1}}));
  fakes_["A"]->scores = {{"n2", 9}};
  fakes_["A"]->reject["n0"] = Status::Unschedulable("Insufficient cpu");
  std::mt19937_64 rng(7);
  NodeCursor cursor;
  ScheduleResult result;
  std::optional<FitError> fit;
  CycleState state;
  Status s = SchedulePod(*fw, state, *pod_, snapshot_, 0, cursor, rng, result, fit);
  ASSERT_TRUE(s.IsSuccess()) << s.ToString();
  EXPECT_EQ(result.suggested_host, "n2");
  EXPECT_EQ(result.feasible_nodes, 3);
  EXPECT_EQ(result.evaluated_nodes, 4);
  EXPECT_EQ(cursor.next_start_node_index, 0);  // 4 processed of 4

  for (const char* n : {"n1", "n2"}) {
    fakes_["A"]->reject[n] =
        Status::UnschedulableAndUnresolvable("node(s) didn't match Pod's node affinity/selector");
  }
  fakes_["A"]->reject["n3"] = Status::Unschedulable("Insufficient cpu");
  CycleState state2;
  s = SchedulePod(*fw, state2, *pod_, snapshot_, 0, cursor, rng, result, fit);
  EXPECT_EQ(s.Code(), StatusCode::kUnschedulable);
  ASSERT_TRUE(fit.has_value());
  EXPECT_EQ(fit->Error(),
            "0/4 nodes are available: 2 Insufficient cpu, 2 node(s) didn't match Pod's node "
            "affinity/selector.");
  EXPECT_EQ(s.Message(), fit->Error());
  EXPECT_EQ(fit->diagnosis.unschedulable_plugins, (std::set<std::string>{"A"}));
}

TEST_F(FrameworkTest, FeasibleSearchStopsEarlyAndRotates) {
  std::vector<std::shared_ptr<const api::Node>> many;
  for (int i = 0; i < 1000; ++i) many.push_back(MakeNode("m" + std::to_string(i), "1", "1Gi"));
  Snapshot big = Snapshot::FromObjects({}, many);
  auto fw = Make(MultiPoint({{"A", 0}}));
  NodeCursor cursor;
  std::vector<const NodeInfo*> feasible;
  Diagnosis d;
  CycleState state;
  ASSERT_TRUE(FindNodesThatFitPod(*fw, state, *pod_, big, 0, cursor, feasible, d).IsSuccess());
  EXPECT_EQ(feasible.size(), 420U);
  EXPECT_EQ(cursor.next_start_node_index, 420);
  EXPECT_EQ(feasible[0]->NodeName(), "m0");
  CycleState state2;
  ASSERT_TRUE(FindNodesThatFitPod(*fw, state2, *pod_, big, 0, cursor, feasible, d).IsSuccess());
  EXPECT_EQ(feasible[0]->NodeName(), "m420");
  EXPECT_EQ(cursor.next_start_node_index, 840);
}

// ---- nominated pods in Filter

// Rejects a node that already has a pod.
class MaxOnePod : public FilterPlugin {
 public:
  std::string_view Name() const override { return "MaxOnePod"; }
  Status Filter(const CycleState& /*state*/, const PodInfo& /*pod*/,
                const NodeInfo& node) const override {
    if (node.Pods().empty()) return {};
    return Status::Unschedulable("node(s) already have a pod");
  }
};

class FakeNominator : public PodNominator {
 public:
  std::vector<std::shared_ptr<const PodInfo>> NominatedPodsForNode(
      std::string_view node) const override {
    auto it = pods.find(std::string(node));
    return it == pods.end() ? std::vector<std::shared_ptr<const PodInfo>>{} : it->second;
  }
  std::map<std::string, std::vector<std::shared_ptr<const PodInfo>>> pods;
};

std::shared_ptr<const PodInfo> PodWithPriority(const std::string& name, int32_t priority,
                                               const std::string& nominated = "") {
  auto pod = std::make_shared<api::Pod>();
  pod->metadata.name = name;
  pod->metadata.namespace_ = "default";
  pod->metadata.uid = "uid-" + name;
  pod->spec.priority = priority;
  pod->status.nominatedNodeName = nominated;
  return PodInfo::Make(pod);
}

TEST(NominatedPodsTest, FilterCountsNominatedPodsOfEqualOrHigherPriority) {
  Registry registry;
  ASSERT_TRUE(registry
                  .Register("MaxOnePod",
                            [](const PluginArgs&, Handle&) -> Result<std::unique_ptr<Plugin>> {
                              return std::unique_ptr<Plugin>(std::make_unique<MaxOnePod>());
                            })
                  .IsOk());
  KubeSchedulerProfile profile;
  profile.plugins.filter.enabled = {{"MaxOnePod", 0}};
  FakeNominator nominator;
  auto fw_or = Framework::New(registry, profile, nullptr, &nominator);
  ASSERT_TRUE(fw_or.IsOk()) << fw_or.status().ToString();
  Framework& fw = **fw_or;
  EXPECT_EQ(fw.Nominator(), &nominator);

  NodeInfo n0(MakeNode("n0", "1", "1Gi"));
  NodeInfo n1(MakeNode("n1", "1", "1Gi"));
  auto pod = PodWithPriority("p", 10);
  CycleState state;
  EXPECT_TRUE(fw.RunFilterPluginsWithNominatedPods(state, *pod, n0).IsSuccess());

  nominator.pods["n0"] = {PodWithPriority("higher", 20)};
  nominator.pods["n1"] = {PodWithPriority("lower", 5)};
  Status s = fw.RunFilterPluginsWithNominatedPods(state, *pod, n0);
  EXPECT_EQ(s.Code(), StatusCode::kUnschedulable);
  EXPECT_EQ(s.Plugin(), "MaxOnePod");
  EXPECT_TRUE(n0.Pods().empty());  // simulated on a copy
  EXPECT_TRUE(fw.RunFilterPluginsWithNominatedPods(state, *pod, n1).IsSuccess());
  nominator.pods["n1"] = {PodWithPriority("equal", 10)};
  EXPECT_FALSE(fw.RunFilterPluginsWithNominatedPods(state, *pod, n1).IsSuccess());
  // The pod itself nominated there does not count.
  nominator.pods["n1"] = {pod};
  EXPECT_TRUE(fw.RunFilterPluginsWithNominatedPods(state, *pod, n1).IsSuccess());

  // A pod nominated to n2 (status.nominatedNodeName) is tried there first.
  std::vector<std::shared_ptr<const api::Node>> nodes;
  for (int i = 0; i < 4; ++i) nodes.push_back(MakeNode("n" + std::to_string(i), "1", "1Gi"));
  Snapshot snapshot = Snapshot::FromObjects({}, nodes);
  nominator.pods.clear();
  for (int round = 0; round < 3; ++round) {
    NodeCursor cursor;
    cursor.next_start_node_index = round;
    std::mt19937_64 rng(static_cast<uint64_t>(round));
    ScheduleResult result;
    std::optional<FitError> fit_error;
    CycleState st;
    auto nominated = PodWithPriority("nominated", 10, "n2");
    ASSERT_TRUE(
        SchedulePod(fw, st, *nominated, snapshot, 0, cursor, rng, result, fit_error).IsSuccess());
    EXPECT_EQ(result.suggested_host, "n2");
    EXPECT_EQ(cursor.next_start_node_index, round);  // no search happened
  }
}

}  // namespace
}  // namespace kubepp::scheduler
