#include "controller/daemonset/daemonset_logic.h"

#include <gtest/gtest.h>

#include "base/clock.h"

namespace kubepp::controller::daemonset {
namespace {

using std::chrono::seconds;

api::Node MakeNode(const std::string& name, std::map<std::string, std::string> labels = {}) {
  api::Node n;
  n.metadata.name = name;
  n.metadata.labels = std::move(labels);
  return n;
}

api::Taint MakeTaint(const std::string& key, const std::string& effect) {
  api::Taint t;
  t.key = key;
  t.effect = effect;
  return t;
}

api::DaemonSet MakeDs() {
  api::DaemonSet ds;
  ds.metadata.name = "ds";
  ds.metadata.namespace_ = "default";
  ds.metadata.uid = "ds-uid";
  ds.metadata.generation = 1;
  ds.spec.selector.matchLabels = {{"app", "d"}};
  ds.spec.template_.metadata.labels = {{"app", "d"}};
  ds.spec.template_.spec.containers.resize(1);
  ds.spec.template_.spec.containers[0].name = "c";
  ds.spec.template_.spec.containers[0].image = "img";
  api::DaemonSetUpdateStrategy us;
  us.type = "RollingUpdate";
  us.rollingUpdate.emplace();
  us.rollingUpdate->maxUnavailable = api::IntOrString::FromInt(1);
  us.rollingUpdate->maxSurge = api::IntOrString::FromInt(0);
  ds.spec.updateStrategy = us;
  return ds;
}

api::NodeSelectorRequirement Req(const std::string& key, const std::string& op,
                                 std::vector<std::string> values = {}) {
  api::NodeSelectorRequirement r;
  r.key = key;
  r.operator_ = op;
  r.values = std::move(values);
  return r;
}

void SetRequiredTerms(api::PodSpec& spec, std::vector<api::NodeSelectorTerm> terms) {
  spec.affinity.emplace();
  spec.affinity->nodeAffinity.emplace();
  api::NodeSelector sel;
  sel.nodeSelectorTerms = std::move(terms);
  spec.affinity->nodeAffinity->requiredDuringSchedulingIgnoredDuringExecution = sel;
}

// A daemon pod of `ds` for `node` with the given hash, ready since `ready_since` (unset: not
// ready).
api::Pod MakePod(const std::string& name, const std::string& node, const std::string& hash,
                 std::optional<std::string> ready_since, const std::string& created) {
  api::Pod p;
  p.metadata.name = name;
  p.metadata.namespace_ = "default";
  p.metadata.creationTimestamp = created;
  p.metadata.labels = {{"app", "d"}, {kControllerRevisionHashLabel, hash}};
  p.metadata.ownerReferences = {ControllerRefFor(MakeDs())};
  p.spec.affinity = ReplaceNodeNameAffinity(std::nullopt, node);
  p.status.phase = "Running";
  if (ready_since) {
    api::PodCondition c;
    c.type = "Ready";
    c.status = "True";
    c.lastTransitionTime = *ready_since;
    p.status.conditions = {c};
  }
  return p;
}

TEST(NodeAffinity, RequirementOperators) {
  std::map<std::string, std::string> labels = {{"zone", "a"}, {"cpus", "8"}};
  EXPECT_TRUE(NodeSelectorRequirementMatches(Req("zone", "In", {"a", "b"}), labels));
  EXPECT_FALSE(NodeSelectorRequirementMatches(Req("zone", "In", {"b"}), labels));
  EXPECT_TRUE(NodeSelectorRequirementMatches(Req("zone", "NotIn", {"b"}), labels));
  EXPECT_TRUE(NodeSelectorRequirementMatches(Req("missing", "NotIn", {"b"}), labels));
  EXPECT_FALSE(NodeSelectorRequirementMatches(Req("zone", "NotIn", {"a"}), labels));
  EXPECT_TRUE(NodeSelectorRequirementMatches(Req("zone", "Exists"), labels));
  EXPECT_FALSE(NodeSelectorRequirementMatches(Req("missing", "Exists"), labels));
  EXPECT_TRUE(NodeSelectorRequirementMatches(Req("missing", "DoesNotExist"), labels));
  EXPECT_FALSE(NodeSelectorRequirementMatches(Req("zone", "DoesNotExist"), labels));
  EXPECT_TRUE(NodeSelectorRequirementMatches(Req("cpus", "Gt", {"4"}), labels));
  EXPECT_FALSE(NodeSelectorRequirementMatches(Req("cpus", "Gt", {"8"}), labels));
  EXPECT_TRUE(NodeSelectorRequirementMatches(Req("cpus", "Lt", {"16"}), labels));
  EXPECT_FALSE(NodeSelectorRequirementMatches(Req("zone", "Gt", {"1"}), labels));  // not a number
  EXPECT_FALSE(NodeSelectorRequirementMatches(Req("missing", "Lt", {"1"}), labels));
  EXPECT_FALSE(NodeSelectorRequirementMatches(Req("zone", "Bogus", {"a"}), labels));
}

TEST(NodeAffinity, TermsAndFields) {
  api::Node n = MakeNode("n1", {{"zone", "a"}});
  api::NodeSelectorTerm empty;
  EXPECT_FALSE(NodeSelectorTermMatches(empty, n));
  api::NodeSelectorTerm by_name;
  by_name.matchFields = {Req(kObjectNameField, "In", {"n1"})};
  EXPECT_TRUE(NodeSelectorTermMatches(by_name, n));
  by_name.matchFields = {Req(kObjectNameField, "NotIn", {"n1"})};
  EXPECT_FALSE(NodeSelectorTermMatches(by_name, n));
  by_name.matchFields = {Req("metadata.uid", "In", {"n1"})};
  EXPECT_FALSE(NodeSelectorTermMatches(by_name, n));
  // Requirements of a term are ANDed, terms ORed.
  api::NodeSelectorTerm both;
  both.matchExpressions = {Req("zone", "In", {"a"})};
  both.matchFields = {Req(kObjectNameField, "In", {"n2"})};
  EXPECT_FALSE(NodeSelectorTermMatches(both, n));
  api::NodeSelectorTerm zone;
  zone.matchExpressions = {Req("zone", "In", {"a"})};
  api::NodeSelector sel;
  EXPECT_FALSE(NodeSelectorMatches(sel, n));
  sel.nodeSelectorTerms = {both, zone};
  EXPECT_TRUE(NodeSelectorMatches(sel, n));

  api::PodSpec spec;
  EXPECT_TRUE(RequiredNodeAffinityMatches(spec, n));
  spec.nodeSelector = {{"zone", "b"}};
  EXPECT_FALSE(RequiredNodeAffinityMatches(spec, n));
  spec.nodeSelector = {{"zone", "a"}};
  SetRequiredTerms(spec, {both});
  EXPECT_FALSE(RequiredNodeAffinityMatches(spec, n));
  SetRequiredTerms(spec, {both, zone});
  EXPECT_TRUE(RequiredNodeAffinityMatches(spec, n));
}

TEST(DaemonTolerations, AddedOnceAndReplaced) {
  api::PodSpec spec;
  api::Toleration mine;
  mine.key = "node.kubernetes.io/not-ready";
  mine.operator_ = "Exists";
  mine.effect = "NoExecute";
  mine.tolerationSeconds = 30;
  spec.tolerations = {mine};
  AddDaemonPodTolerations(spec);
  ASSERT_EQ(spec.tolerations.size(), 6U);
  EXPECT_EQ(spec.tolerations[0].key, "node.kubernetes.io/not-ready");
  EXPECT_FALSE(spec.tolerations[0].tolerationSeconds.has_value());  // replaced
  AddDaemonPodTolerations(spec);
  EXPECT_EQ(spec.tolerations.size(), 6U);
  spec.hostNetwork = true;
  AddDaemonPodTolerations(spec);
  ASSERT_EQ(spec.tolerations.size(), 7U);
  EXPECT_EQ(spec.tolerations.back().key, "node.kubernetes.io/network-unavailable");
  EXPECT_EQ(spec.tolerations.back().effect, "NoSchedule");
}

TEST(NodeShouldRun, SelectorAffinityAndTaints) {
  api::DaemonSet ds = MakeDs();
  api::Node plain = MakeNode("n1", {{"role", "edge"}});
  EXPECT_TRUE(NodeShouldRunDaemonPod(plain, ds).should_run);

  ds.spec.template_.spec.nodeSelector = {{"role", "core"}};
  auto r = NodeShouldRunDaemonPod(plain, ds);
  EXPECT_FALSE(r.should_run);
  EXPECT_FALSE(r.should_continue_running);
  ds.spec.template_.spec.nodeSelector.clear();

  ds.spec.template_.spec.nodeName = "other";
  EXPECT_FALSE(NodeShouldRunDaemonPod(plain, ds).should_run);
  ds.spec.template_.spec.nodeName.clear();

  // NoSchedule taint: no new pod, an existing one may stay.
  api::Node tainted = plain;
  tainted.spec.taints = {MakeTaint("dedicated", "NoSchedule")};
  r = NodeShouldRunDaemonPod(tainted, ds);
  EXPECT_FALSE(r.should_run);
  EXPECT_TRUE(r.should_continue_running);
  // NoExecute: neither.
  tainted.spec.taints = {MakeTaint("dedicated", "NoExecute")};
  r = NodeShouldRunDaemonPod(tainted, ds);
  EXPECT_FALSE(r.should_run);
  EXPECT_FALSE(r.should_continue_running);
  // PreferNoSchedule is ignored.
  tainted.spec.taints = {MakeTaint("dedicated", "PreferNoSchedule")};
  EXPECT_TRUE(NodeShouldRunDaemonPod(tainted, ds).should_run);
  // Tolerated.
  tainted.spec.taints = {MakeTaint("dedicated", "NoExecute")};
  api::Toleration tol;
  tol.key = "dedicated";
  tol.operator_ = "Exists";
  ds.spec.template_.spec.tolerations = {tol};
  EXPECT_TRUE(NodeShouldRunDaemonPod(tainted, ds).should_run);
  ds.spec.template_.spec.tolerations.clear();

  // The automatic tolerations: not-ready, unreachable, pressure, unschedulable.
  api::Node sick = plain;
  sick.spec.taints = {MakeTaint("node.kubernetes.io/not-ready", "NoExecute"),
                      MakeTaint("node.kubernetes.io/unreachable", "NoExecute"),
                      MakeTaint("node.kubernetes.io/disk-pressure", "NoSchedule"),
                      MakeTaint("node.kubernetes.io/memory-pressure", "NoSchedule"),
                      MakeTaint("node.kubernetes.io/pid-pressure", "NoSchedule"),
                      MakeTaint("node.kubernetes.io/unschedulable", "NoSchedule")};
  EXPECT_TRUE(NodeShouldRunDaemonPod(sick, ds).should_run);
  sick.spec.taints.push_back(MakeTaint("node.kubernetes.io/network-unavailable", "NoSchedule"));
  EXPECT_FALSE(NodeShouldRunDaemonPod(sick, ds).should_run);
  ds.spec.template_.spec.hostNetwork = true;
  EXPECT_TRUE(NodeShouldRunDaemonPod(sick, ds).should_run);

  // Required node affinity.
  ds = MakeDs();
  api::NodeSelectorTerm t;
  t.matchExpressions = {Req("role", "NotIn", {"edge"})};
  SetRequiredTerms(ds.spec.template_.spec, {t});
  EXPECT_FALSE(NodeShouldRunDaemonPod(plain, ds).should_run);
  EXPECT_TRUE(NodeShouldRunDaemonPod(MakeNode("n2"), ds).should_run);
}

TEST(DaemonPods, NewPodBoundByAffinity) {
  api::DaemonSet ds = MakeDs();
  ds.metadata.annotations[kTemplateGenerationAnnotation] = "3";
  api::NodeSelectorTerm t;
  t.matchExpressions = {Req("role", "In", {"edge"})};
  SetRequiredTerms(ds.spec.template_.spec, {t});
  auto tmpl = DaemonPodTemplate(ds, TemplateGeneration(ds), "abc");
  EXPECT_EQ(tmpl.metadata.labels.at(kPodTemplateGenerationLabel), "3");
  EXPECT_EQ(tmpl.metadata.labels.at(kControllerRevisionHashLabel), "abc");
  api::Pod pod = NewDaemonPod(ds, tmpl, "n7");
  EXPECT_EQ(pod.metadata.generateName, "ds-");
  EXPECT_TRUE(pod.spec.nodeName.empty());
  ASSERT_EQ(pod.metadata.ownerReferences.size(), 1U);
  EXPECT_EQ(pod.metadata.ownerReferences[0].kind, "DaemonSet");
  EXPECT_EQ(pod.metadata.ownerReferences[0].uid, "ds-uid");
  EXPECT_TRUE(pod.metadata.ownerReferences[0].controller.value_or(false));
  const auto& terms = pod.spec.affinity->nodeAffinity
                          ->requiredDuringSchedulingIgnoredDuringExecution->nodeSelectorTerms;
  ASSERT_EQ(terms.size(), 1U);
  EXPECT_TRUE(terms[0].matchExpressions.empty());
  ASSERT_EQ(terms[0].matchFields.size(), 1U);
  EXPECT_EQ(terms[0].matchFields[0].key, "metadata.name");
  EXPECT_EQ(terms[0].matchFields[0].operator_, "In");
  EXPECT_EQ(terms[0].matchFields[0].values, std::vector<std::string>{"n7"});
  EXPECT_EQ(TargetNodeName(pod), "n7");
  EXPECT_EQ(pod.spec.tolerations.size(), 6U);
  pod.spec.nodeName = "bound";
  EXPECT_EQ(TargetNodeName(pod), "bound");
  api::Pod bare;
  EXPECT_FALSE(TargetNodeName(bare).has_value());

  EXPECT_TRUE(IsPodUpdated(pod, "abc", std::nullopt));
  EXPECT_TRUE(IsPodUpdated(pod, "other", 3));
  EXPECT_FALSE(IsPodUpdated(pod, "other", 4));
}

TEST(Manage, CreatesDeletesAndBacksOff) {
  FakeClock clock;
  api::DaemonSet ds = MakeDs();
  ds.spec.template_.spec.nodeSelector = {{"run", "yes"}};
  api::Node a = MakeNode("a", {{"run", "yes"}});
  api::Node b = MakeNode("b", {{"run", "yes"}});
  api::Node c = MakeNode("c");  // should not run
  api::Node d = MakeNode("d", {{"run", "yes"}});
  std::vector<const api::Node*> nodes = {&a, &b, &c, &d};
  // b: two running pods (the younger goes); c: a pod that should not be there; d: failed.
  api::Pod b1 = MakePod("b1", "b", "h", std::nullopt, "2024-01-01T00:00:00Z");
  api::Pod b2 = MakePod("b2", "b", "h", std::nullopt, "2024-01-01T00:00:05Z");
  api::Pod c1 = MakePod("c1", "c", "h", std::nullopt, "2024-01-01T00:00:00Z");
  api::Pod d1 = MakePod("d1", "d", "h", std::nullopt, "2024-01-01T00:00:00Z");
  d1.status.phase = "Failed";
  api::Pod gone = MakePod("gone", "vanished", "h", std::nullopt, "2024-01-01T00:00:00Z");
  auto by_node = GroupPodsByNode({&b2, &b1, &c1, &d1, &gone}, false);
  FailedPodsBackoff backoff(seconds(1), seconds(900));
  auto plan = PlanManage(ds, nodes, by_node, "h", backoff, clock.Now(), clock.WallNow());
  EXPECT_EQ(plan.nodes_needing_pods, std::vector<std::string>{"a"});
  std::set<std::string> deleted;
  for (const auto* p : plan.pods_to_delete) deleted.insert(p->metadata.name);
  EXPECT_EQ(deleted, (std::set<std::string>{"b2", "c1", "d1", "gone"}));
  ASSERT_EQ(plan.failed_pods.size(), 1U);
  EXPECT_FALSE(plan.requeue_after.has_value());

  // Within the back-off the failed pod is left alone and the key comes back later.
  clock.Advance(std::chrono::milliseconds(500));
  plan = PlanManage(ds, nodes, by_node, "h", backoff, clock.Now(), clock.WallNow());
  EXPECT_TRUE(plan.failed_pods.empty());
  ASSERT_TRUE(plan.requeue_after.has_value());
  EXPECT_EQ(*plan.requeue_after, seconds(1));
  // After it, deleted again and the back-off doubles.
  clock.Advance(seconds(1));
  plan = PlanManage(ds, nodes, by_node, "h", backoff, clock.Now(), clock.WallNow());
  EXPECT_EQ(plan.failed_pods.size(), 1U);
  EXPECT_EQ(backoff.Get(FailedPodsBackoff::Key(ds, "d")), seconds(2));
}

TEST(Manage, SurgeKeepsOldReadyUntilNewAvailable) {
  FakeClock clock;
  api::DaemonSet ds = MakeDs();
  ds.spec.updateStrategy->rollingUpdate->maxSurge = api::IntOrString::FromInt(1);
  ds.spec.updateStrategy->rollingUpdate->maxUnavailable = api::IntOrString::FromInt(0);
  api::Node a = MakeNode("a");
  std::vector<const api::Node*> nodes = {&a};
  api::Pod old_pod = MakePod("old", "a", "h1", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z");
  api::Pod new_pod = MakePod("new", "a", "h2", std::nullopt, "2024-01-01T00:01:00Z");
  FailedPodsBackoff backoff(seconds(1), seconds(900));
  auto plan = PlanManage(ds, nodes, GroupPodsByNode({&old_pod, &new_pod}, false), "h2", backoff,
                         clock.Now(), clock.WallNow());
  EXPECT_TRUE(plan.pods_to_delete.empty());
  new_pod = MakePod("new", "a", "h2", "2024-01-01T00:02:00Z", "2024-01-01T00:01:00Z");
  plan = PlanManage(ds, nodes, GroupPodsByNode({&old_pod, &new_pod}, false), "h2", backoff,
                    clock.Now(), clock.WallNow());
  ASSERT_EQ(plan.pods_to_delete.size(), 1U);
  EXPECT_EQ(plan.pods_to_delete[0]->metadata.name, "old");
}

TEST(RollingUpdate, ScaledValues) {
  EXPECT_EQ(*ScaledValue(api::IntOrString::FromInt(3), 10, true), 3);
  EXPECT_EQ(*ScaledValue(api::IntOrString::FromString("25%"), 10, true), 3);
  EXPECT_EQ(*ScaledValue(api::IntOrString::FromString("25%"), 10, false), 2);
  EXPECT_FALSE(ScaledValue(api::IntOrString::FromString("25"), 10, true).IsOk());
  api::DaemonSet ds = MakeDs();
  ds.spec.updateStrategy->rollingUpdate->maxUnavailable = api::IntOrString::FromString("10%");
  EXPECT_EQ(*UnavailableCount(ds, 5), 1);  // rounded up
  EXPECT_EQ(*SurgeCount(ds, 5), 0);
  EXPECT_FALSE(AllowsSurge(ds));
  ds.spec.updateStrategy->type = "OnDelete";
  EXPECT_EQ(*UnavailableCount(ds, 5), 0);
}

TEST(RollingUpdate, MaxUnavailableLimitsDeletions) {
  api::DaemonSet ds = MakeDs();
  ds.spec.updateStrategy->rollingUpdate->maxUnavailable = api::IntOrString::FromInt(2);
  std::vector<api::Node> node_objs = {MakeNode("a"), MakeNode("b"), MakeNode("c"), MakeNode("d"),
                                      MakeNode("e")};
  std::vector<const api::Node*> nodes;
  nodes.reserve(node_objs.size());
  for (const auto& n : node_objs) nodes.push_back(&n);
  const std::string t = "2024-01-01T00:00:00Z";
  std::vector<api::Pod> pods = {MakePod("pa", "a", "old", t, t), MakePod("pb", "b", "old", t, t),
                                MakePod("pc", "c", "old", t, t), MakePod("pd", "d", "old", t, t),
                                MakePod("pe", "e", "old", std::nullopt, t)};
  std::vector<const api::Pod*> raw;
  raw.reserve(pods.size() + 1);
  for (const auto& p : pods) raw.push_back(&p);
  auto now = Clock::WallTime{} + std::chrono::hours(24 * 365 * 60);
  auto plan = PlanRollingUpdate(ds, nodes, GroupPodsByNode(raw, false), "new", now);
  ASSERT_TRUE(plan.IsOk());
  // e's old pod is unavailable: replaced at once and counted; one more may go.
  std::vector<std::string> names;
  for (const auto* p : plan->pods_to_delete) names.push_back(p->metadata.name);
  EXPECT_EQ(names, (std::vector<std::string>{"pe", "pa"}));
  EXPECT_TRUE(plan->nodes_to_create.empty());

  // a has a new, not yet available pod and b none: both unavailable, nothing more goes.
  pods[0] = MakePod("pa2", "a", "new", std::nullopt, t);
  raw.clear();
  for (size_t i = 0; i < 4; ++i) {
    if (i != 1) raw.push_back(&pods[i]);
  }
  plan = PlanRollingUpdate(ds, nodes, GroupPodsByNode(raw, false), "new", now);
  ASSERT_TRUE(plan.IsOk());
  EXPECT_TRUE(plan->pods_to_delete.empty());
}

TEST(RollingUpdate, SurgeCreatesBeforeDeleting) {
  api::DaemonSet ds = MakeDs();
  ds.spec.updateStrategy->rollingUpdate->maxSurge = api::IntOrString::FromString("50%");
  ds.spec.updateStrategy->rollingUpdate->maxUnavailable = api::IntOrString::FromInt(0);
  std::vector<api::Node> node_objs = {MakeNode("a"), MakeNode("b"), MakeNode("c")};
  std::vector<const api::Node*> nodes;
  nodes.reserve(node_objs.size());
  for (const auto& n : node_objs) nodes.push_back(&n);
  const std::string t = "2024-01-01T00:00:00Z";
  std::vector<api::Pod> pods = {MakePod("pa", "a", "old", t, t), MakePod("pb", "b", "old", t, t),
                                MakePod("pc", "c", "old", t, t)};
  std::vector<const api::Pod*> raw;
  raw.reserve(pods.size() + 1);
  for (const auto& p : pods) raw.push_back(&p);
  auto now = Clock::WallTime{} + std::chrono::hours(24 * 365 * 60);
  auto plan = PlanRollingUpdate(ds, nodes, GroupPodsByNode(raw, false), "new", now);
  ASSERT_TRUE(plan.IsOk());
  // 50% of 3 rounded up: two surge nodes, nothing deleted yet.
  EXPECT_EQ(plan->nodes_to_create, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(plan->pods_to_delete.empty());
  // The new pod on a is available: a's old pod goes.
  api::Pod na = MakePod("na", "a", "new", t, t);
  raw.push_back(&na);
  plan = PlanRollingUpdate(ds, nodes, GroupPodsByNode(raw, false), "new", now);
  ASSERT_TRUE(plan.IsOk());
  ASSERT_EQ(plan->pods_to_delete.size(), 1U);
  EXPECT_EQ(plan->pods_to_delete[0]->metadata.name, "pa");
}

TEST(Status, Figures) {
  api::DaemonSet ds = MakeDs();
  ds.spec.minReadySeconds = 60;
  ds.spec.template_.spec.nodeSelector = {{"run", "yes"}};
  api::Node a = MakeNode("a", {{"run", "yes"}});
  api::Node b = MakeNode("b", {{"run", "yes"}});
  api::Node c = MakeNode("c", {{"run", "yes"}});
  api::Node x = MakeNode("x");
  std::vector<const api::Node*> nodes = {&a, &b, &c, &x};
  auto now = *replicaset::ParseTime("2024-01-01T01:00:00Z");
  api::Pod pa = MakePod("pa", "a", "new", "2024-01-01T00:00:00Z", "2024-01-01T00:00:00Z");
  api::Pod pb = MakePod("pb", "b", "old", "2024-01-01T00:59:30Z", "2024-01-01T00:00:00Z");
  api::Pod px = MakePod("px", "x", "new", std::nullopt, "2024-01-01T00:00:00Z");
  auto st = CalculateStatus(ds, nodes, GroupPodsByNode({&pa, &pb, &px}, false), "new", now);
  EXPECT_EQ(st.desiredNumberScheduled, 3);
  EXPECT_EQ(st.currentNumberScheduled, 2);
  EXPECT_EQ(st.numberMisscheduled, 1);
  EXPECT_EQ(st.numberReady, 2);
  EXPECT_EQ(st.numberAvailable, 1);  // pb is ready for 30 s only
  EXPECT_EQ(st.numberUnavailable, 2);
  EXPECT_EQ(st.updatedNumberScheduled, 1);
  EXPECT_TRUE(StatusNeedsUpdate(ds, st));
  ds.status = st;
  ds.status.observedGeneration = 1;
  EXPECT_FALSE(StatusNeedsUpdate(ds, st));
  ds.metadata.generation = 2;
  EXPECT_TRUE(StatusNeedsUpdate(ds, st));
}

TEST(History, RevisionsAndCleanup) {
  api::DaemonSet ds = MakeDs();
  ds.metadata.annotations = {{"note", "x"}};
  api::ControllerRevision rev = NewRevision(ds, 1);
  EXPECT_EQ(rev.metadata.name.rfind("ds-", 0), 0U);
  const std::string hash = rev.metadata.labels.at(kControllerRevisionHashLabel);
  EXPECT_EQ(rev.metadata.name, "ds-" + hash);
  EXPECT_EQ(rev.metadata.labels.at("app"), "d");
  EXPECT_EQ(rev.metadata.annotations.at("note"), "x");
  EXPECT_EQ(rev.revision, 1);
  EXPECT_EQ(rev.data.at("spec").at("template").at("$patch"), "replace");
  EXPECT_TRUE(RevisionMatches(ds, rev));
  // Another collision count gives another name; another template does not match.
  ds.status.collisionCount = 1;
  EXPECT_NE(NewRevision(ds, 1).metadata.name, rev.metadata.name);
  ds.spec.template_.spec.containers[0].image = "img:2";
  EXPECT_FALSE(RevisionMatches(ds, rev));

  ds.spec.revisionHistoryLimit = 1;
  std::vector<api::ControllerRevision> old(3);
  for (int i = 0; i < 3; ++i) {
    old[i].metadata.name = "r" + std::to_string(i);
    old[i].revision = 3 - i;  // r2 is the oldest
    old[i].metadata.labels[kControllerRevisionHashLabel] = "h" + std::to_string(i);
  }
  std::vector<const api::ControllerRevision*> raw = {&old[0], &old[1], &old[2]};
  auto doomed = RevisionsToDelete(ds, raw, {"h2"});  // r2 still has a live pod
  ASSERT_EQ(doomed.size(), 2U);
  EXPECT_EQ(doomed[0]->metadata.name, "r1");
  EXPECT_EQ(doomed[1]->metadata.name, "r0");
  ds.spec.revisionHistoryLimit = 10;
  EXPECT_TRUE(RevisionsToDelete(ds, raw, {}).empty());
}

TEST(FailedPodsBackoff, DoublesAndExpires) {
  FakeClock clock;
  FailedPodsBackoff b(seconds(1), seconds(4));
  EXPECT_FALSE(b.IsInBackOffSinceUpdate("k", clock.Now()));
  b.Next("k", clock.Now());
  EXPECT_TRUE(b.IsInBackOffSinceUpdate("k", clock.Now()));
  for (int i = 0; i < 5; ++i) b.Next("k", clock.Now());
  EXPECT_EQ(b.Get("k"), seconds(4));
  clock.Advance(seconds(9));
  EXPECT_FALSE(b.IsInBackOffSinceUpdate("k", clock.Now()));
  b.GC(clock.Now());
  EXPECT_EQ(b.Get("k"), Clock::Duration{});
}

}  // namespace
}  // namespace kubepp::controller::daemonset
