// The DaemonSet controller against a real in-process API server. The test makes the Node
// objects and plays the scheduler and the kubelet: it binds daemon pods through pods/binding to
// the node their required affinity names, and writes Running + Ready through pods/status.
#include "controller/daemonset/daemonset_controller.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <map>
#include <set>

#include "api/codec.h"
#include "api/types.h"
#include "base/log.h"
#include "client/informer.h"
#include "client/resource.h"
#include "client/testing/api_server_fixture.h"
#include "client/typed.h"
#include "controller/daemonset/daemonset_logic.h"

namespace kubepp::controller {
namespace {

using client::TypedClient;

constexpr char kNs[] = "default";

class DaemonSetControllerTest : public client::testing::ApiServerFixture {
 protected:
  void SetUp() override {
    if (const char* v = std::getenv("KUBEPP_TEST_V")) SetLogVerbosity(std::atoi(v));
    ApiServerFixture::SetUp();
    client::InformerOptions opts;
    opts.backoff.initial = std::chrono::milliseconds(50);
    opts.backoff.max = std::chrono::milliseconds(500);
    informers_ = std::make_unique<client::SharedInformerFactory>(*client_, runtime_.Executor(),
                                                                 opts, Clock::Real());
    ControllerContext ctx;
    ctx.client = client_.get();
    ctx.informers = informers_.get();
    ctx.executor = runtime_.Executor();
    ctx.clock = &Clock::Real();
    DaemonSetControllerOptions dopts;
    dopts.failed_pod_backoff = std::chrono::milliseconds(10);
    dopts.max_failed_pod_backoff = std::chrono::milliseconds(40);
    controller_ = NewDaemonSetController(ctx, dopts);
    informers_->Start();
    ASSERT_TRUE(informers_->WaitForCacheSync(std::chrono::seconds(20)));
    controller_->Start();
  }
  void TearDown() override {
    if (controller_) controller_->Stop();
    controller_.reset();
    if (informers_) informers_->Stop();
    informers_.reset();
    ApiServerFixture::TearDown();
  }

  void CreateNode(const std::string& name, std::map<std::string, std::string> labels,
                  std::vector<api::Taint> taints = {}) {
    api::Node n;
    n.metadata.name = name;
    n.metadata.labels = std::move(labels);
    n.spec.taints = std::move(taints);
    TypedClient<api::Node> nodes(*client_);
    auto r = Run(nodes.Create(n));
    ASSERT_TRUE(r.IsOk()) << r.status().ToString();
  }

  void SetNodeLabels(const std::string& name, const std::map<std::string, std::string>& labels) {
    TypedClient<api::Node> nodes(*client_);
    for (int i = 0; i < 20; ++i) {
      auto n = Run(nodes.Get(name));
      ASSERT_TRUE(n.IsOk()) << n.status().ToString();
      n->metadata.labels = labels;
      auto r = Run(nodes.Update(*n));
      if (r.IsOk()) return;
      ASSERT_TRUE(r.status().IsConflict()) << r.status().ToString();
    }
    FAIL() << "could not relabel " << name;
  }

  void SetNodeTaints(const std::string& name, const std::vector<api::Taint>& taints) {
    TypedClient<api::Node> nodes(*client_);
    for (int i = 0; i < 20; ++i) {
      auto n = Run(nodes.Get(name));
      ASSERT_TRUE(n.IsOk()) << n.status().ToString();
      n->spec.taints = taints;
      auto r = Run(nodes.Update(*n));
      if (r.IsOk()) return;
      ASSERT_TRUE(r.status().IsConflict()) << r.status().ToString();
    }
    FAIL() << "could not taint " << name;
  }

  // Reasons of the events about the object named `name`.
  std::multiset<std::string> EventReasons(const std::string& name) {
    TypedClient<api::Event> events(*client_, kNs);
    auto r = Run(events.List(client::ListOptions{}));
    std::multiset<std::string> out;
    if (!r.IsOk()) return out;
    for (const auto& e : r->items) {
      if (e.involvedObject.name == name) out.insert(e.reason);
    }
    return out;
  }

  void UpdateImage(const std::string& name, const std::string& image) {
    TypedClient<api::DaemonSet> dss(*client_, kNs);
    for (int i = 0; i < 20; ++i) {
      auto cur = Run(dss.Get(name));
      ASSERT_TRUE(cur.IsOk());
      cur->spec.template_.spec.containers[0].image = image;
      auto r = Run(dss.Update(*cur));
      if (r.IsOk()) return;
      ASSERT_TRUE(r.status().IsConflict()) << r.status().ToString();
    }
    FAIL() << "could not update " << name;
  }

  static api::Taint Taint(const std::string& key, const std::string& effect) {
    api::Taint t;
    t.key = key;
    t.effect = effect;
    return t;
  }

  static api::DaemonSet MakeDs(const std::string& name) {
    api::DaemonSet ds;
    ds.metadata.name = name;
    ds.spec.selector.matchLabels = {{"app", name}};
    ds.spec.template_.metadata.labels = {{"app", name}};
    ds.spec.template_.spec.restartPolicy = "Always";
    // Deleted bound pods go at once: there is no kubelet to finish a graceful deletion.
    ds.spec.template_.spec.terminationGracePeriodSeconds = 0;
    ds.spec.template_.spec.containers.resize(1);
    ds.spec.template_.spec.containers[0].name = "c";
    ds.spec.template_.spec.containers[0].image = "busybox";
    return ds;
  }

  api::DaemonSet Create(const api::DaemonSet& ds) {
    TypedClient<api::DaemonSet> dss(*client_, kNs);
    auto r = Run(dss.Create(ds));
    EXPECT_TRUE(r.IsOk()) << r.status().ToString();
    return r.IsOk() ? *r : ds;
  }

  std::optional<api::DaemonSet> GetDs(const std::string& name) {
    TypedClient<api::DaemonSet> dss(*client_, kNs);
    auto r = Run(dss.Get(name));
    if (!r.IsOk()) return std::nullopt;
    return *r;
  }

  // Pods controlled by the DaemonSet with `uid`, not being deleted.
  std::vector<api::Pod> Pods(const std::string& uid) {
    TypedClient<api::Pod> pods(*client_, kNs);
    client::ListOptions opts;
    auto r = Run(pods.List(opts));
    std::vector<api::Pod> out;
    if (!r.IsOk()) return out;
    for (auto& p : r->items) {
      if (p.metadata.ownerReferences.empty() || p.metadata.ownerReferences[0].uid != uid) continue;
      if (!p.metadata.deletionTimestamp.empty()) continue;
      out.push_back(std::move(p));
    }
    return out;
  }

  // The target node of each pod of the DaemonSet (from its affinity or nodeName).
  std::multiset<std::string> PodNodes(const std::string& uid) {
    std::multiset<std::string> out;
    for (const auto& p : Pods(uid)) out.insert(daemonset::TargetNodeName(p).value_or("?"));
    return out;
  }

  // Plays the scheduler and the kubelet: binds the pod to the node its affinity names and
  // reports it Running and Ready.
  void BindAndRun(const api::Pod& pod) {
    auto node = daemonset::TargetNodeName(pod);
    ASSERT_TRUE(node.has_value());
    if (pod.spec.nodeName.empty()) {
      boost::json::object target{{"apiVersion", "v1"}, {"kind", "Node"}, {"name", *node}};
      boost::json::object meta{{"name", pod.metadata.name}};
      boost::json::object binding{
          {"apiVersion", "v1"}, {"kind", "Binding"}, {"metadata", meta}, {"target", target}};
      client::ObjectPath path{client::ResourceOf<api::Pod>(), kNs, pod.metadata.name, "binding"};
      auto r = Run(client_->Create(path, boost::json::value(binding), client::WriteOptions{}));
      ASSERT_TRUE(r.IsOk()) << r.status().ToString();
    }
    TypedClient<api::Pod> pods(*client_, kNs);
    for (int i = 0; i < 20; ++i) {
      auto cur = Run(pods.Get(pod.metadata.name));
      ASSERT_TRUE(cur.IsOk()) << cur.status().ToString();
      cur->status.phase = "Running";
      api::PodCondition ready;
      ready.type = "Ready";
      ready.status = "True";
      ready.lastTransitionTime = FormatRfc3339(Clock::Real().WallNow());
      cur->status.conditions = {ready};
      auto r = Run(pods.UpdateStatus(*cur));
      if (r.IsOk()) return;
      ASSERT_TRUE(r.status().IsConflict()) << r.status().ToString();
    }
    FAIL() << "could not run " << pod.metadata.name;
  }

  static bool IsReady(const api::Pod& p) {
    for (const auto& c : p.status.conditions) {
      if (c.type == "Ready") return c.status == "True";
    }
    return false;
  }

  std::string Dump(const std::string& name, const std::string& uid) {
    std::string out;
    if (auto d = GetDs(name)) out += boost::json::serialize(api::ToJson(d->status)) + "\n";
    for (const auto& p : Pods(uid)) {
      out += p.metadata.name + " node=" + daemonset::TargetNodeName(p).value_or("?") +
             " phase=" + p.status.phase + " hash=" +
             (p.metadata.labels.contains("controller-revision-hash")
                  ? p.metadata.labels.at("controller-revision-hash")
                  : "") +
             "\n";
    }
    return out;
  }

  std::unique_ptr<client::SharedInformerFactory> informers_;  // shared informers
  std::unique_ptr<Controller> controller_;                    // under test
};

TEST_F(DaemonSetControllerTest, OnePodPerEligibleNode) {
  CreateNode("n1", {{"role", "worker"}});
  CreateNode("n2", {{"role", "worker"}}, {Taint("dedicated", "NoSchedule")});
  CreateNode("n3", {{"role", "other"}});
  auto spec = MakeDs("agent");
  spec.spec.template_.spec.nodeSelector = {{"role", "worker"}};
  auto ds = Create(spec);
  const std::string uid = ds.metadata.uid;
  ASSERT_TRUE(Eventually([&] { return PodNodes(uid) == std::multiset<std::string>{"n1"}; }))
      << Dump("agent", uid);
  auto pods = Pods(uid);
  ASSERT_EQ(pods.size(), 1U);
  const auto& pod = pods[0];
  // Bound through the affinity, not spec.nodeName.
  EXPECT_TRUE(pod.spec.nodeName.empty());
  const auto& terms = pod.spec.affinity->nodeAffinity
                          ->requiredDuringSchedulingIgnoredDuringExecution->nodeSelectorTerms;
  ASSERT_EQ(terms.size(), 1U);
  ASSERT_EQ(terms[0].matchFields.size(), 1U);
  EXPECT_EQ(terms[0].matchFields[0].key, "metadata.name");
  EXPECT_EQ(terms[0].matchFields[0].values, std::vector<std::string>{"n1"});
  EXPECT_EQ(pod.metadata.generateName, "agent-");
  EXPECT_FALSE(pod.metadata.labels.at("controller-revision-hash").empty());
  ASSERT_EQ(pod.metadata.ownerReferences.size(), 1U);
  EXPECT_EQ(pod.metadata.ownerReferences[0].kind, "DaemonSet");
  EXPECT_TRUE(pod.metadata.ownerReferences[0].controller.value_or(false));
  bool tolerates_unreachable = false;
  for (const auto& t : pod.spec.tolerations) {
    if (t.key == "node.kubernetes.io/unreachable" && t.effect == "NoExecute") {
      tolerates_unreachable = true;
    }
  }
  EXPECT_TRUE(tolerates_unreachable);

  // One ControllerRevision, whose hash the pod carries.
  TypedClient<api::ControllerRevision> revs(*client_, kNs);
  auto listed = Run(revs.List(client::ListOptions{}));
  ASSERT_TRUE(listed.IsOk());
  ASSERT_EQ(listed->items.size(), 1U);
  EXPECT_EQ(listed->items[0].metadata.labels.at("controller-revision-hash"),
            pod.metadata.labels.at("controller-revision-hash"));
  EXPECT_EQ(listed->items[0].revision, 1);

  // Status before and after the pod runs.
  ASSERT_TRUE(Eventually([&] {
    auto d = GetDs("agent");
    return d && d->status.desiredNumberScheduled == 1 && d->status.currentNumberScheduled == 1 &&
           d->status.numberReady == 0 && d->status.numberUnavailable == 1 &&
           d->status.updatedNumberScheduled == 1 && d->status.observedGeneration == 1;
  })) << Dump("agent", uid);
  BindAndRun(pod);
  ASSERT_TRUE(Eventually([&] {
    auto d = GetDs("agent");
    return d && d->status.numberReady == 1 && d->status.numberAvailable == 1 &&
           d->status.numberUnavailable.value_or(0) == 0 && d->status.numberMisscheduled == 0;
  })) << Dump("agent", uid);

  // A DaemonSet tolerating the taint runs on n2 as well.
  auto tolerant = MakeDs("tolerant");
  tolerant.spec.template_.spec.nodeSelector = {{"role", "worker"}};
  api::Toleration tol;
  tol.key = "dedicated";
  tol.operator_ = "Exists";
  tol.effect = "NoSchedule";
  tolerant.spec.template_.spec.tolerations = {tol};
  auto tds = Create(tolerant);
  ASSERT_TRUE(Eventually([&] {
    return PodNodes(tds.metadata.uid) == std::multiset<std::string>{"n1", "n2"};
  })) << Dump("tolerant", tds.metadata.uid);
}

TEST_F(DaemonSetControllerTest, FollowsNodes) {
  CreateNode("a", {{"role", "worker"}});
  auto spec = MakeDs("follow");
  spec.spec.template_.spec.nodeSelector = {{"role", "worker"}};
  auto ds = Create(spec);
  const std::string uid = ds.metadata.uid;
  ASSERT_TRUE(Eventually([&] { return PodNodes(uid) == std::multiset<std::string>{"a"}; }));
  // A node added: a pod for it.
  CreateNode("b", {{"role", "worker"}});
  ASSERT_TRUE(Eventually([&] {
    return PodNodes(uid) == std::multiset<std::string>{"a", "b"};
  })) << Dump("follow", uid);
  for (const auto& p : Pods(uid)) BindAndRun(p);
  ASSERT_TRUE(Eventually([&] {
    auto d = GetDs("follow");
    return d && d->status.desiredNumberScheduled == 2 && d->status.numberReady == 2;
  })) << Dump("follow", uid);
  // A node losing the label: its pod is deleted.
  SetNodeLabels("a", {{"role", "retired"}});
  ASSERT_TRUE(Eventually([&] { return PodNodes(uid) == std::multiset<std::string>{"b"}; }))
      << Dump("follow", uid);
  ASSERT_TRUE(Eventually([&] {
    auto d = GetDs("follow");
    return d && d->status.desiredNumberScheduled == 1 && d->status.currentNumberScheduled == 1 &&
           d->status.numberMisscheduled == 0 && d->status.numberAvailable == 1;
  })) << Dump("follow", uid);
}

TEST_F(DaemonSetControllerTest, FailedPodIsReplaced) {
  CreateNode("f1", {});
  auto ds = Create(MakeDs("phoenix"));
  const std::string uid = ds.metadata.uid;
  ASSERT_TRUE(Eventually([&] { return Pods(uid).size() == 1; }));
  auto first = Pods(uid)[0];
  BindAndRun(first);
  TypedClient<api::Pod> pods(*client_, kNs);
  auto cur = Run(pods.Get(first.metadata.name));
  ASSERT_TRUE(cur.IsOk());
  cur->status.phase = "Failed";
  ASSERT_TRUE(Run(pods.UpdateStatus(*cur)).IsOk());
  ASSERT_TRUE(Eventually([&] {
    auto now = Pods(uid);
    return now.size() == 1 && now[0].metadata.name != first.metadata.name &&
           now[0].status.phase != "Failed";
  })) << Dump("phoenix", uid);
  ASSERT_TRUE(Eventually([&] {
    auto reasons = EventReasons("phoenix");
    return reasons.contains("FailedDaemonPod") && reasons.count("SuccessfulCreate") == 2 &&
           reasons.contains("SuccessfulDelete");
  }));
}

TEST_F(DaemonSetControllerTest, TaintsAfterTheFact) {
  CreateNode("t1", {});
  auto ds = Create(MakeDs("stay"));
  const std::string uid = ds.metadata.uid;
  ASSERT_TRUE(Eventually([&] { return Pods(uid).size() == 1; }));
  auto pod = Pods(uid)[0];
  BindAndRun(pod);
  // NoSchedule: the pod stays, but the node no longer counts as desired.
  SetNodeTaints("t1", {Taint("maintenance", "NoSchedule")});
  ASSERT_TRUE(Eventually([&] {
    auto d = GetDs("stay");
    return d && d->status.desiredNumberScheduled == 0 && d->status.numberMisscheduled == 1 &&
           d->status.currentNumberScheduled == 0;
  })) << Dump("stay", uid);
  auto pods = Pods(uid);
  ASSERT_EQ(pods.size(), 1U);
  EXPECT_EQ(pods[0].metadata.name, pod.metadata.name);
  // NoExecute: it goes.
  SetNodeTaints("t1", {Taint("maintenance", "NoExecute")});
  ASSERT_TRUE(Eventually([&] { return Pods(uid).empty(); })) << Dump("stay", uid);
  ASSERT_TRUE(Eventually([&] {
    auto d = GetDs("stay");
    return d && d->status.numberMisscheduled == 0;
  })) << Dump("stay", uid);
}

TEST_F(DaemonSetControllerTest, RollingUpdateWithSurgeKeepsEveryNodeReady) {
  const std::vector<std::string> names = {"s1", "s2", "s3"};
  for (const auto& n : names) CreateNode(n, {});
  auto spec = MakeDs("surge");
  spec.spec.updateStrategy.emplace();
  spec.spec.updateStrategy->type = "RollingUpdate";
  spec.spec.updateStrategy->rollingUpdate.emplace();
  spec.spec.updateStrategy->rollingUpdate->maxSurge = api::IntOrString::FromString("34%");
  spec.spec.updateStrategy->rollingUpdate->maxUnavailable = api::IntOrString::FromInt(0);
  auto ds = Create(spec);
  const std::string uid = ds.metadata.uid;
  ASSERT_TRUE(Eventually([&] { return Pods(uid).size() == 3; })) << Dump("surge", uid);
  for (const auto& p : Pods(uid)) BindAndRun(p);
  ASSERT_TRUE(Eventually([&] {
    auto d = GetDs("surge");
    return d && d->status.numberAvailable == 3;
  })) << Dump("surge", uid);
  const std::string old_hash = Pods(uid)[0].metadata.labels.at("controller-revision-hash");
  UpdateImage("surge", "busybox:2");
  // Every node keeps a ready pod; 34% of 3 rounds up to 2 nodes surging at once at most.
  size_t min_ready_nodes = names.size();
  size_t max_pods = 0;
  bool done = Eventually(
      [&] {
        auto pods = Pods(uid);
        std::set<std::string> ready_nodes;
        bool all_new = pods.size() == names.size();
        for (const auto& p : pods) {
          if (IsReady(p)) ready_nodes.insert(daemonset::TargetNodeName(p).value_or("?"));
          if (p.metadata.labels.at("controller-revision-hash") == old_hash) all_new = false;
        }
        min_ready_nodes = std::min(min_ready_nodes, ready_nodes.size());
        max_pods = std::max(max_pods, pods.size());
        for (const auto& p : pods) {
          if (!IsReady(p)) BindAndRun(p);
        }
        return all_new && ready_nodes.size() == names.size();
      },
      std::chrono::seconds(60));
  ASSERT_TRUE(done) << Dump("surge", uid);
  EXPECT_EQ(min_ready_nodes, names.size());
  EXPECT_GT(max_pods, names.size());      // it surged
  EXPECT_LE(max_pods, names.size() + 2);  // by at most maxSurge
}

TEST_F(DaemonSetControllerTest, RollingUpdateRespectsMaxUnavailable) {
  const std::vector<std::string> names = {"r1", "r2", "r3", "r4"};
  for (const auto& n : names) CreateNode(n, {});
  auto spec = MakeDs("roll");
  spec.spec.revisionHistoryLimit = 1;
  auto ds = Create(spec);
  const std::string uid = ds.metadata.uid;
  ASSERT_TRUE(Eventually([&] { return Pods(uid).size() == 4; })) << Dump("roll", uid);
  for (const auto& p : Pods(uid)) BindAndRun(p);
  ASSERT_TRUE(Eventually([&] {
    auto d = GetDs("roll");
    return d && d->status.numberAvailable == 4 && d->status.updatedNumberScheduled == 4;
  })) << Dump("roll", uid);
  const std::string old_hash = Pods(uid)[0].metadata.labels.at("controller-revision-hash");

  // New template, maxUnavailable 1 (the default).
  TypedClient<api::DaemonSet> dss(*client_, kNs);
  for (int i = 0; i < 20; ++i) {
    auto cur = Run(dss.Get("roll"));
    ASSERT_TRUE(cur.IsOk());
    cur->spec.template_.spec.containers[0].image = "busybox:2";
    auto r = Run(dss.Update(*cur));
    if (r.IsOk()) break;
    ASSERT_TRUE(r.status().IsConflict()) << r.status().ToString();
  }
  // Play scheduler + kubelet, watching that at most one node is ever without a ready pod.
  int max_unready_nodes = 0;
  bool done = Eventually(
      [&] {
        auto pods = Pods(uid);
        std::set<std::string> ready_nodes;
        bool all_new = pods.size() == names.size();
        for (const auto& p : pods) {
          if (IsReady(p)) ready_nodes.insert(daemonset::TargetNodeName(p).value_or("?"));
          if (p.metadata.labels.at("controller-revision-hash") == old_hash) all_new = false;
        }
        max_unready_nodes =
            std::max(max_unready_nodes, static_cast<int>(names.size() - ready_nodes.size()));
        for (const auto& p : pods) {
          if (!IsReady(p)) BindAndRun(p);
        }
        return all_new && ready_nodes.size() == names.size();
      },
      std::chrono::seconds(60));
  ASSERT_TRUE(done) << Dump("roll", uid);
  EXPECT_LE(max_unready_nodes, 1);
  EXPECT_GE(max_unready_nodes, 1);  // it did roll
  ASSERT_TRUE(Eventually([&] {
    auto d = GetDs("roll");
    return d && d->status.updatedNumberScheduled == 4 && d->status.numberAvailable == 4 &&
           d->status.observedGeneration == d->metadata.generation;
  })) << Dump("roll", uid);
  // Two revisions; the limit of 1 keeps the old one (no live pod carries it any more, but the
  // limit allows one).
  TypedClient<api::ControllerRevision> revs(*client_, kNs);
  auto listed = Run(revs.List(client::ListOptions{}));
  ASSERT_TRUE(listed.IsOk());
  EXPECT_EQ(listed->items.size(), 2U);
  int64_t max_rev = 0;
  for (const auto& r : listed->items) max_rev = std::max(max_rev, r.revision);
  EXPECT_EQ(max_rev, 2);
}

TEST_F(DaemonSetControllerTest, OnDeleteLeavesOldPods) {
  CreateNode("o1", {});
  auto spec = MakeDs("ondelete");
  spec.spec.updateStrategy.emplace();
  spec.spec.updateStrategy->type = "OnDelete";
  auto ds = Create(spec);
  const std::string uid = ds.metadata.uid;
  ASSERT_TRUE(Eventually([&] { return Pods(uid).size() == 1; }));
  auto first = Pods(uid)[0];
  BindAndRun(first);
  TypedClient<api::DaemonSet> dss(*client_, kNs);
  for (int i = 0; i < 20; ++i) {
    auto cur = Run(dss.Get("ondelete"));
    ASSERT_TRUE(cur.IsOk());
    cur->spec.template_.spec.containers[0].image = "busybox:2";
    auto r = Run(dss.Update(*cur));
    if (r.IsOk()) break;
    ASSERT_TRUE(r.status().IsConflict()) << r.status().ToString();
  }
  ASSERT_TRUE(Eventually([&] {
    auto d = GetDs("ondelete");
    return d && d->status.observedGeneration == d->metadata.generation &&
           d->status.updatedNumberScheduled.value_or(-1) == 0;
  })) << Dump("ondelete", uid);
  auto pods = Pods(uid);
  ASSERT_EQ(pods.size(), 1U);
  EXPECT_EQ(pods[0].metadata.name, first.metadata.name);
}

}  // namespace
}  // namespace kubepp::controller
