// DefaultPreemption through a real Framework: SchedulePod fails, then RunPostFilterPlugins picks
// a node and its victims. Fakes stand in for the PDB lister, the nominator and the API calls.
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "scheduler/framework/framework.h"
#include "scheduler/framework/schedule_one.h"
#include "scheduler/plugins/plugins.h"
#include "scheduler/plugins/testing/fakes.h"

namespace kubepp::scheduler::plugins {
namespace {

using fakes::FakeClusterLister;

using Labels = std::map<std::string, std::string>;

class FakeNominator : public PodNominator {
 public:
  std::vector<std::shared_ptr<const PodInfo>> NominatedPodsForNode(
      std::string_view node) const override {
    auto it = by_node.find(std::string(node));
    return it == by_node.end() ? std::vector<std::shared_ptr<const PodInfo>>{} : it->second;
  }
  std::map<std::string, std::vector<std::shared_ptr<const PodInfo>>> by_node;  // node -> pods
};

class FakePreemptionActions : public PreemptionActions {
 public:
  kubepp::Status PreemptPod(const api::Pod& preemptor, const api::Pod& victim,
                            const std::string& node) override {
    if (!fail_with.empty()) return kubepp::Status::Internal(fail_with);
    preempted.push_back(preemptor.metadata.name + ">" + victim.metadata.name + "@" + node);
    return {};
  }
  kubepp::Status ClearNominatedNodeName(const api::Pod& pod) override {
    cleared.push_back(pod.metadata.name);
    return {};
  }
  std::vector<std::string> preempted;  // "preemptor>victim@node", in call order
  std::vector<std::string> cleared;    // pods whose nomination was cleared
  std::string fail_with;               // PreemptPod fails with this message when set
};

std::shared_ptr<api::Node> MakeNode(const std::string& name, const std::string& cpu,
                                    Labels labels = {}) {
  auto n = std::make_shared<api::Node>();
  n->metadata.name = name;
  n->metadata.labels = std::move(labels);
  n->status.allocatable = {{"cpu", {cpu}}, {"memory", {"8Gi"}}, {"pods", {"110"}}};
  return n;
}

// A pod of `priority` asking for `cpu` ("" for none), on `node` when given.
std::shared_ptr<api::Pod> MakePod(const std::string& name, int32_t priority, const std::string& cpu,
                                  const std::string& node = "", Labels labels = {}) {
  auto p = std::make_shared<api::Pod>();
  p->metadata.name = name;
  p->metadata.namespace_ = "default";
  p->metadata.uid = "uid-" + name;
  p->metadata.labels = std::move(labels);
  p->spec.nodeName = node;
  p->spec.priority = priority;
  p->status.startTime = "2024-01-01T00:00:00Z";
  api::Container c;
  c.name = "c";
  c.image = "nginx";
  if (!cpu.empty()) {
    c.resources = api::ResourceRequirements{};
    c.resources->requests = {{"cpu", {cpu}}};
  }
  p->spec.containers.push_back(std::move(c));
  return p;
}

std::shared_ptr<api::PodDisruptionBudget> MakePdb(const std::string& name, Labels selector,
                                                  int32_t allowed) {
  auto pdb = std::make_shared<api::PodDisruptionBudget>();
  pdb->metadata.name = name;
  pdb->metadata.namespace_ = "default";
  api::LabelSelector s;
  s.matchLabels = std::move(selector);
  pdb->spec.selector = std::move(s);
  pdb->status.disruptionsAllowed = allowed;
  return pdb;
}

class DefaultPreemptionTest : public ::testing::Test {
 protected:
  // Builds the framework (NodeResourcesFit + DefaultPreemption, plus `extra` plugins) over a
  // snapshot of `pods` and `nodes`.
  void Init(const std::vector<std::shared_ptr<const api::Pod>>& pods,
            const std::vector<std::shared_ptr<const api::Node>>& nodes,
            std::vector<std::string> extra = {}, PluginArgs args = {}, bool with_actions = true) {
    KubeSchedulerProfile profile;
    for (auto& e : extra) profile.plugins.multi_point.enabled.push_back({std::move(e), 0});
    profile.plugins.multi_point.enabled.push_back({std::string(kNodeResourcesFit), 0});
    profile.plugins.multi_point.enabled.push_back({std::string(kDefaultPreemption), 0});
    profile.plugin_config.push_back({std::string(kDefaultPreemption), std::move(args)});
    auto fw = Framework::New(registry_, profile, &lister_, &nominator_,
                             with_actions ? &actions_ : nullptr);
    ASSERT_TRUE(fw.IsOk()) << fw.status().ToString();
    fw_ = std::move(fw.value());
    snapshot_ = std::make_unique<Snapshot>(Snapshot::FromObjects(pods, nodes));
    fw_->SetSnapshot(snapshot_.get());
  }

  // Schedules `pod` (which must not fit), then runs PostFilter on the filter statuses.
  Status Preempt(const std::shared_ptr<const api::Pod>& pod, PostFilterResult& result) {
    auto pi = PodInfo::Make(pod);
    CycleState state;
    std::mt19937_64 rng(1);
    NodeCursor cursor;
    ScheduleResult scheduled;
    std::optional<FitError> fit;
    Status s = SchedulePod(*fw_, state, *pi, *snapshot_, 0, cursor, rng, scheduled, fit);
    EXPECT_EQ(s.Code(), StatusCode::kUnschedulable) << s.ToString();
    if (!fit.has_value()) return Status::Error("no FitError");
    return fw_->RunPostFilterPlugins(state, *pi, fit->diagnosis.node_to_status, result);
  }

  Registry registry_ = NewInTreeRegistry();
  FakeClusterLister lister_;
  FakeNominator nominator_;
  FakePreemptionActions actions_;
  std::unique_ptr<Framework> fw_;
  std::unique_ptr<Snapshot> snapshot_;
};

using Strings = std::vector<std::string>;

TEST_F(DefaultPreemptionTest, PicksNodeWithLowestPriorityVictims) {
  Init({MakePod("a", 10, "2", "n1"), MakePod("b", 5, "2", "n2"), MakePod("c", 20, "2", "n3")},
       {MakeNode("n1", "2"), MakeNode("n2", "2"), MakeNode("n3", "2")});
  PostFilterResult result;
  Status s = Preempt(MakePod("p", 100, "2"), result);
  ASSERT_TRUE(s.IsSuccess()) << s.ToString();
  EXPECT_EQ(result.mode, PostFilterResult::Mode::kOverride);
  EXPECT_EQ(result.nominated_node_name, "n2");
  EXPECT_EQ(actions_.preempted, (Strings{"p>b@n2"}));
  EXPECT_TRUE(actions_.cleared.empty());
}

TEST_F(DefaultPreemptionTest, ReprievesAsManyPodsAsFit) {
  // Without all three the pod fits; adding back the most important first, only "a" must go.
  Init({MakePod("a", 1, "1", "n1"), MakePod("b", 2, "1", "n1"), MakePod("c", 3, "1", "n1")},
       {MakeNode("n1", "3")});
  PostFilterResult result;
  Status s = Preempt(MakePod("p", 100, "1"), result);
  ASSERT_TRUE(s.IsSuccess()) << s.ToString();
  EXPECT_EQ(result.nominated_node_name, "n1");
  EXPECT_EQ(actions_.preempted, (Strings{"p>a@n1"}));
}

TEST_F(DefaultPreemptionTest, VictimsAreMostImportantFirstAndOnlyLowerPriority) {
  auto hi = MakePod("hi", 200, "1", "n1");
  auto x = MakePod("x", 5, "1", "n1");
  auto y = MakePod("y", 7, "1", "n1");
  Init({hi, x, y}, {MakeNode("n1", "3")});
  PostFilterResult result;
  Status s = Preempt(MakePod("p", 100, "3"), result);
  // "hi" can never go, so 3 cpu never free up on n1.
  EXPECT_EQ(s.Code(), StatusCode::kUnschedulable);
  EXPECT_EQ(s.Message(), "preemption: 0/1 nodes are available: 1 Insufficient cpu.");
  EXPECT_TRUE(actions_.preempted.empty());

  actions_.preempted.clear();
  Status s2 = Preempt(MakePod("p2", 100, "2"), result);
  ASSERT_TRUE(s2.IsSuccess()) << s2.ToString();
  EXPECT_EQ(actions_.preempted, (Strings{"p2>y@n1", "p2>x@n1"}));
}

TEST_F(DefaultPreemptionTest, AvoidsPdbViolationsAcrossNodes) {
  // n1's victim has the lower priority but is protected: n2 is chosen.
  lister_.pdbs = {MakePdb("pdb", {{"app", "db"}}, 0)};
  Init({MakePod("db", 1, "2", "n1", {{"app", "db"}}),
        MakePod("web", 5, "2", "n2", {{"app", "web"}})},
       {MakeNode("n1", "2"), MakeNode("n2", "2")});
  PostFilterResult result;
  Status s = Preempt(MakePod("p", 100, "2"), result);
  ASSERT_TRUE(s.IsSuccess()) << s.ToString();
  EXPECT_EQ(result.nominated_node_name, "n2");
  EXPECT_EQ(actions_.preempted, (Strings{"p>web@n2"}));
}

TEST_F(DefaultPreemptionTest, PdbBudgetLeftOrDisruptedPodIsNoViolation) {
  // disruptionsAllowed 1, or the pod already listed in disruptedPods: no violation, so the
  // lower-priority victim on n1 wins again.
  auto pdb = MakePdb("pdb", {{"app", "db"}}, 1);
  lister_.pdbs = {pdb};
  Init({MakePod("db", 1, "2", "n1", {{"app", "db"}}),
        MakePod("web", 5, "2", "n2", {{"app", "web"}})},
       {MakeNode("n1", "2"), MakeNode("n2", "2")});
  PostFilterResult result;
  Status s = Preempt(MakePod("p", 100, "2"), result);
  ASSERT_TRUE(s.IsSuccess()) << s.ToString();
  EXPECT_EQ(result.nominated_node_name, "n1");

  pdb->status.disruptionsAllowed = 0;
  pdb->status.disruptedPods = {{"db", "2024-01-01T00:00:00Z"}};
  actions_.preempted.clear();
  s = Preempt(MakePod("p2", 100, "2"), result);
  ASSERT_TRUE(s.IsSuccess()) << s.ToString();
  EXPECT_EQ(result.nominated_node_name, "n1");
  EXPECT_EQ(actions_.preempted, (Strings{"p2>db@n1"}));
}

TEST_F(DefaultPreemptionTest, ProtectedPodsAreReprievedFirst) {
  // Same priority: "old" started first and is more important, so without a PDB it would stay
  // and "young" would go. "young" is protected, so it is added back first and "old" goes.
  auto old_pod = MakePod("old", 1, "1", "n1", {{"app", "a"}});
  auto young = MakePod("young", 1, "1", "n1", {{"app", "b"}});
  young->status.startTime = "2024-06-01T00:00:00Z";
  Init({old_pod, young}, {MakeNode("n1", "2")});
  PostFilterResult result;
  ASSERT_TRUE(Preempt(MakePod("p", 100, "1"), result).IsSuccess());
  EXPECT_EQ(actions_.preempted, (Strings{"p>young@n1"}));

  lister_.pdbs = {MakePdb("pdb", {{"app", "b"}}, 0)};
  actions_.preempted.clear();
  ASSERT_TRUE(Preempt(MakePod("p", 100, "1"), result).IsSuccess());
  EXPECT_EQ(actions_.preempted, (Strings{"p>old@n1"}));
}

TEST_F(DefaultPreemptionTest, ViolatesPdbWhenNothingElseHelps) {
  lister_.pdbs = {MakePdb("pdb", {{"app", "db"}}, 0)};
  Init({MakePod("db", 1, "2", "n1", {{"app", "db"}})}, {MakeNode("n1", "2")});
  PostFilterResult result;
  Status s = Preempt(MakePod("p", 100, "2"), result);
  ASSERT_TRUE(s.IsSuccess()) << s.ToString();
  EXPECT_EQ(result.nominated_node_name, "n1");
  EXPECT_EQ(actions_.preempted, (Strings{"p>db@n1"}));
}

TEST_F(DefaultPreemptionTest, TieBreakers) {
  // Lowest highest-priority victim beats fewer victims.
  Init({MakePod("a", 5, "2", "n1"), MakePod("b", 1, "1", "n2"), MakePod("c", 1, "1", "n2")},
       {MakeNode("n1", "2"), MakeNode("n2", "2")});
  PostFilterResult result;
  ASSERT_TRUE(Preempt(MakePod("p", 100, "2"), result).IsSuccess());
  EXPECT_EQ(result.nominated_node_name, "n2");

  // Negative priorities: the sum is offset per pod, so one victim beats two.
  actions_.preempted.clear();
  Init({MakePod("a", -10, "1", "n1"), MakePod("b", -10, "1", "n1"), MakePod("c", -10, "2", "n2")},
       {MakeNode("n1", "2"), MakeNode("n2", "2")});
  ASSERT_TRUE(Preempt(MakePod("p", 100, "2"), result).IsSuccess());
  EXPECT_EQ(result.nominated_node_name, "n2");
  EXPECT_EQ(actions_.preempted, (Strings{"p>c@n2"}));

  // All else equal: the node whose victim started last.
  actions_.preempted.clear();
  auto late = MakePod("late", 1, "2", "n2");
  late->status.startTime = "2024-06-01T00:00:00Z";
  Init({MakePod("early", 1, "2", "n1"), late}, {MakeNode("n1", "2"), MakeNode("n2", "2")});
  ASSERT_TRUE(Preempt(MakePod("p", 100, "2"), result).IsSuccess());
  EXPECT_EQ(result.nominated_node_name, "n2");
  EXPECT_EQ(actions_.preempted, (Strings{"p>late@n2"}));
}

TEST_F(DefaultPreemptionTest, RemovesVictimsFromPreFilterState) {
  // The pod's required anti-affinity to app=x per host: removing the x pod in the dry run must
  // update InterPodAffinity's PreFilter state (RemovePod), or no node would ever fit.
  constexpr const char* kHostname = "kubernetes.io/hostname";
  Init({MakePod("x1", 1, "", "n1", {{"app", "x"}}), MakePod("x2", 5, "", "n2", {{"app", "x"}})},
       {MakeNode("n1", "2", {{kHostname, "n1"}}), MakeNode("n2", "2", {{kHostname, "n2"}})},
       {std::string(kInterPodAffinity)});
  auto pod = MakePod("p", 100, "1");
  api::PodAffinityTerm term;
  term.labelSelector = api::LabelSelector{};
  term.labelSelector->matchLabels = {{"app", "x"}};
  term.topologyKey = kHostname;
  pod->spec.affinity.emplace();
  pod->spec.affinity->podAntiAffinity.emplace();
  pod->spec.affinity->podAntiAffinity->requiredDuringSchedulingIgnoredDuringExecution = {term};
  PostFilterResult result;
  Status s = Preempt(pod, result);
  ASSERT_TRUE(s.IsSuccess()) << s.ToString();
  EXPECT_EQ(result.nominated_node_name, "n1");
  EXPECT_EQ(actions_.preempted, (Strings{"p>x1@n1"}));
  // The dry run worked on copies.
  EXPECT_EQ(snapshot_->Get("n1")->Pods().size(), 1U);
  EXPECT_EQ(snapshot_->Get("n2")->Pods().size(), 1U);
}

TEST_F(DefaultPreemptionTest, PreemptionPolicyNever) {
  Init({MakePod("a", 1, "2", "n1")}, {MakeNode("n1", "2")});
  auto pod = MakePod("p", 100, "2");
  pod->spec.preemptionPolicy = "Never";
  PostFilterResult result;
  Status s = Preempt(pod, result);
  EXPECT_EQ(s.Code(), StatusCode::kUnschedulable);
  EXPECT_EQ(s.Message(), "preemption: not eligible due to preemptionPolicy=Never.");
  EXPECT_TRUE(actions_.preempted.empty());
}

TEST_F(DefaultPreemptionTest, NoLowerPriorityPods) {
  Init({MakePod("a", 100, "2", "n1"), MakePod("b", 200, "2", "n2")},
       {MakeNode("n1", "2"), MakeNode("n2", "2")});
  PostFilterResult result;
  Status s = Preempt(MakePod("p", 100, "2"), result);
  EXPECT_EQ(s.Code(), StatusCode::kUnschedulable);
  EXPECT_EQ(s.Message(),
            "preemption: 0/2 nodes are available: 2 No preemption victims found for incoming "
            "pod.");
  EXPECT_TRUE(actions_.preempted.empty());
}

TEST_F(DefaultPreemptionTest, UnresolvableNodesAreNeverCandidates) {
  // n1 has the cheapest victim but fails node affinity: n2 is chosen.
  Init({MakePod("a", 1, "2", "n1"), MakePod("b", 50, "2", "n2"), MakePod("c", 1, "2", "n3")},
       {MakeNode("n1", "2"), MakeNode("n2", "2", {{"zone", "a"}}), MakeNode("n3", "2")},
       {std::string(kNodeAffinity)});
  auto pod = MakePod("p", 100, "2");
  pod->spec.nodeSelector = {{"zone", "a"}};
  PostFilterResult result;
  Status s = Preempt(pod, result);
  ASSERT_TRUE(s.IsSuccess()) << s.ToString();
  EXPECT_EQ(result.nominated_node_name, "n2");
  EXPECT_EQ(actions_.preempted, (Strings{"p>b@n2"}));
}

TEST_F(DefaultPreemptionTest, NotHelpfulAnywhereClearsNomination) {
  Init({MakePod("a", 1, "2", "n1")}, {MakeNode("n1", "2"), MakeNode("n2", "2")},
       {std::string(kNodeAffinity)});
  auto pod = MakePod("p", 100, "2");
  pod->spec.nodeSelector = {{"zone", "nowhere"}};
  pod->status.nominatedNodeName = "n1";
  PostFilterResult result;
  Status s = Preempt(pod, result);
  EXPECT_EQ(s.Code(), StatusCode::kUnschedulable);
  EXPECT_EQ(s.Message(),
            "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.");
  // The scheduler clears the nomination (override with "").
  EXPECT_EQ(result.mode, PostFilterResult::Mode::kOverride);
  EXPECT_EQ(result.nominated_node_name, "");
  EXPECT_TRUE(actions_.cleared.empty());
  EXPECT_TRUE(actions_.preempted.empty());
}

TEST_F(DefaultPreemptionTest, TerminatingVictimOnNominatedNode) {
  auto victim = MakePod("v", 1, "2", "n1");
  victim->metadata.deletionTimestamp = "2024-01-01T00:00:10Z";
  api::PodCondition cond;
  cond.type = "DisruptionTarget";
  cond.status = "True";
  cond.reason = "PreemptionByScheduler";
  victim->status.conditions.push_back(cond);
  Init({victim}, {MakeNode("n1", "2")});
  auto pod = MakePod("p", 100, "2");
  pod->status.nominatedNodeName = "n1";
  PostFilterResult result;
  Status s = Preempt(pod, result);
  EXPECT_EQ(s.Code(), StatusCode::kUnschedulable);
  EXPECT_EQ(s.Message(),
            "preemption: not eligible due to a terminating pod on the nominated node.");
  EXPECT_TRUE(actions_.preempted.empty());

  // Being deleted for another reason does not count: preemption goes ahead.
  victim->status.conditions.clear();
  Init({victim}, {MakeNode("n1", "2")});
  s = Preempt(pod, result);
  ASSERT_TRUE(s.IsSuccess()) << s.ToString();
  EXPECT_EQ(actions_.preempted, (Strings{"p>v@n1"}));
}

TEST_F(DefaultPreemptionTest, ClearsLowerPriorityNominations) {
  nominator_.by_node["n1"] = {PodInfo::Make(MakePod("nom-low", 1, "")),
                              PodInfo::Make(MakePod("nom-high", 200, ""))};
  Init({MakePod("a", 1, "2", "n1")}, {MakeNode("n1", "2")});
  PostFilterResult result;
  Status s = Preempt(MakePod("p", 100, "2"), result);
  ASSERT_TRUE(s.IsSuccess()) << s.ToString();
  EXPECT_EQ(actions_.preempted, (Strings{"p>a@n1"}));
  EXPECT_EQ(actions_.cleared, (Strings{"nom-low"}));
}

TEST_F(DefaultPreemptionTest, NominatedHigherPriorityPodsKeepTheirRoom) {
  // Without "a", n1 would have room for the pod, but 3 of its 4 cpu are promised to a nominated
  // pod of higher priority: n1 cannot help, and n2's higher-priority victim is taken instead.
  nominator_.by_node["n1"] = {PodInfo::Make(MakePod("nom", 200, "3"))};
  Init({MakePod("a", 1, "3", "n1"), MakePod("b", 5, "2", "n2")},
       {MakeNode("n1", "4"), MakeNode("n2", "2")});
  PostFilterResult result;
  Status s = Preempt(MakePod("p", 100, "2"), result);
  ASSERT_TRUE(s.IsSuccess()) << s.ToString();
  EXPECT_EQ(result.nominated_node_name, "n2");
  EXPECT_EQ(actions_.preempted, (Strings{"p>b@n2"}));

  // Without the nomination, n1's lower-priority victim wins.
  nominator_.by_node.clear();
  actions_.preempted.clear();
  s = Preempt(MakePod("p", 100, "2"), result);
  ASSERT_TRUE(s.IsSuccess()) << s.ToString();
  EXPECT_EQ(result.nominated_node_name, "n1");
  EXPECT_EQ(actions_.preempted, (Strings{"p>a@n1"}));
}

TEST_F(DefaultPreemptionTest, ActionFailureAndMissingActions) {
  Init({MakePod("a", 1, "2", "n1")}, {MakeNode("n1", "2")});
  actions_.fail_with = "etcd is down";
  PostFilterResult result;
  Status s = Preempt(MakePod("p", 100, "2"), result);
  EXPECT_EQ(s.Code(), StatusCode::kError);
  EXPECT_EQ(s.Message(), "preemption: etcd is down");
  EXPECT_EQ(s.Plugin(), kDefaultPreemption);

  Init({MakePod("a", 1, "2", "n1")}, {MakeNode("n1", "2")}, {}, {}, /*with_actions=*/false);
  s = Preempt(MakePod("p", 100, "2"), result);
  EXPECT_EQ(s.Code(), StatusCode::kError);
  EXPECT_EQ(s.Message(), "preemption: preemption needs the API");
}

TEST_F(DefaultPreemptionTest, FewCandidatesStillPreemptOnOneNode) {
  // minCandidateNodesAbsolute 1: the dry run stops at the first node that works; whichever it
  // is, exactly its victim is preempted.
  Init({MakePod("a", 1, "2", "n1"), MakePod("b", 1, "2", "n2"), MakePod("c", 1, "2", "n3")},
       {MakeNode("n1", "2"), MakeNode("n2", "2"), MakeNode("n3", "2")}, {},
       DefaultPreemptionArgs{.min_candidate_nodes_percentage = 0,
                             .min_candidate_nodes_absolute = 1});
  PostFilterResult result;
  ASSERT_TRUE(Preempt(MakePod("p", 100, "2"), result).IsSuccess());
  const std::map<std::string, std::string> victim_of = {{"n1", "a"}, {"n2", "b"}, {"n3", "c"}};
  ASSERT_TRUE(victim_of.contains(result.nominated_node_name));
  EXPECT_EQ(actions_.preempted, (Strings{"p>" + victim_of.at(result.nominated_node_name) + "@" +
                                         result.nominated_node_name}));
}

TEST(DefaultPreemptionArgsTest, Validation) {
  Registry registry = NewInTreeRegistry();
  KubeSchedulerProfile profile;
  profile.plugins.post_filter.enabled.push_back({std::string(kDefaultPreemption), 0});
  auto ok = Framework::New(registry, profile);
  EXPECT_TRUE(ok.IsOk()) << ok.status().ToString();

  auto with_args = [&](PluginArgs args) {
    KubeSchedulerProfile p = profile;
    p.plugin_config.push_back({std::string(kDefaultPreemption), std::move(args)});
    return Framework::New(registry, p).status();
  };
  EXPECT_TRUE(with_args(DefaultPreemptionArgs{}).IsOk());
  kubepp::Status wrong = with_args(InterPodAffinityArgs{});
  EXPECT_TRUE(wrong.IsInvalid());
  EXPECT_NE(wrong.Message().find("want args to be of type DefaultPreemptionArgs"),
            std::string::npos)
      << wrong.Message();
  kubepp::Status pct = with_args(DefaultPreemptionArgs{.min_candidate_nodes_percentage = 101});
  EXPECT_TRUE(pct.IsInvalid());
  EXPECT_NE(pct.Message().find(
                "minCandidateNodesPercentage: Invalid value: 101: not in valid range [0, 100]"),
            std::string::npos)
      << pct.Message();
  kubepp::Status abs = with_args(DefaultPreemptionArgs{.min_candidate_nodes_absolute = -1});
  EXPECT_NE(abs.Message().find(
                "minCandidateNodesAbsolute: Invalid value: -1: not in valid range [0, inf)"),
            std::string::npos)
      << abs.Message();
  kubepp::Status zero = with_args(DefaultPreemptionArgs{.min_candidate_nodes_percentage = 0,
                                                        .min_candidate_nodes_absolute = 0});
  EXPECT_NE(zero.Message().find("cannot be zero at the same time as minCandidateNodesAbsolute"),
            std::string::npos)
      << zero.Message();
}

}  // namespace
}  // namespace kubepp::scheduler::plugins
