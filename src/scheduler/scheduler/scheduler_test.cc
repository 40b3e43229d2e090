// The scheduler against a real in-process API server. There is no kubelet: the test creates the
// Node objects itself; the scheduler binds pods through pods/binding and the test reads the
// result back (spec.nodeName, the PodScheduled condition, events).
#include "scheduler/scheduler/scheduler.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "base/log.h"
#include "client/testing/api_server_fixture.h"
#include "client/typed.h"
#include "scheduler/scheduler/server.h"

namespace kubepp::scheduler {
namespace {

using client::TypedClient;

constexpr char kNs[] = "default";

class SchedulerTest : public client::testing::ApiServerFixture {
 protected:
  void SetUp() override {
    if (const char* v = std::getenv("KUBEPP_TEST_V")) SetLogVerbosity(std::atoi(v));
    ApiServerFixture::SetUp();
  }
  void TearDown() override {
    StopScheduler();
    ApiServerFixture::TearDown();
  }

  void StartScheduler(SchedulerOptions options = {}) {
    client::InformerOptions iopts;
    iopts.backoff.initial = std::chrono::milliseconds(50);
    iopts.backoff.max = std::chrono::milliseconds(500);
    informers_ = std::make_unique<client::SharedInformerFactory>(*client_, runtime_.Executor(),
                                                                 iopts, Clock::Real());
    options.pod_initial_backoff = std::chrono::milliseconds(100);
    options.pod_max_backoff = std::chrono::milliseconds(200);
    options.backoff_flush_period = std::chrono::milliseconds(50);
    auto s = Scheduler::New(runtime_, *client_, *informers_, std::move(options));
    ASSERT_TRUE(s.IsOk()) << s.status().ToString();
    scheduler_ = std::move(*s);
    informers_->Start();
    scheduler_->Start();
  }
  void StopScheduler() {
    if (scheduler_) scheduler_->Stop();
    scheduler_.reset();
    if (informers_) informers_->Stop();
    informers_.reset();
  }

  void CreateNode(const std::string& name, const std::string& cpu,
                  std::map<std::string, std::string> labels = {},
                  std::vector<api::Taint> taints = {}, bool unschedulable = false) {
    api::Node n;
    n.metadata.name = name;
    n.metadata.labels = std::move(labels);
    n.metadata.labels["kubernetes.io/hostname"] = name;
    n.spec.taints = std::move(taints);
    n.spec.unschedulable = unschedulable;
    n.status.allocatable = {{"cpu", {cpu}}, {"memory", {"8Gi"}}, {"pods", {"110"}}};
    n.status.capacity = n.status.allocatable;
    TypedClient<api::Node> nodes(*client_);
    auto r = Run(nodes.Create(n));
    ASSERT_TRUE(r.IsOk()) << r.status().ToString();
  }

  static api::Pod MakePod(const std::string& name, const std::string& cpu = "100m") {
    api::Pod p;
    p.metadata.name = name;
    api::Container c;
    c.name = "c";
    c.image = "nginx";
    c.resources = api::ResourceRequirements{};
    c.resources->requests = {{"cpu", {cpu}}};
    p.spec.containers.push_back(std::move(c));
    return p;
  }
  void CreatePod(const api::Pod& p) {
    TypedClient<api::Pod> pods(*client_, kNs);
    auto r = Run(pods.Create(p));
    ASSERT_TRUE(r.IsOk()) << r.status().ToString();
  }
  std::optional<api::Pod> GetPod(const std::string& name) {
    TypedClient<api::Pod> pods(*client_, kNs);
    auto r = Run(pods.Get(name));
    if (!r.IsOk()) return std::nullopt;
    return std::move(*r);
  }
  // The node the pod was bound to, once it is (or "" after the timeout).
  std::string WaitBound(const std::string& name,
                        std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    std::string node;
    Eventually(
        [&] {
          auto p = GetPod(name);
          if (p.has_value()) node = p->spec.nodeName;
          return !node.empty();
        },
        timeout);
    return node;
  }
  // The PodScheduled condition once it is False (nullopt after the timeout).
  std::optional<api::PodCondition> WaitUnschedulable(const std::string& name) {
    std::optional<api::PodCondition> out;
    Eventually([&] {
      auto p = GetPod(name);
      if (!p.has_value()) return false;
      for (const auto& c : p->status.conditions) {
        if (c.type == "PodScheduled" && c.status == "False") out = c;
      }
      return out.has_value();
    });
    return out;
  }
  std::vector<api::Event> EventsFor(const std::string& pod) {
    TypedClient<api::Event> events(*client_, kNs);
    client::ListOptions opts;
    auto r = Run(events.List(opts));
    std::vector<api::Event> out;
    if (!r.IsOk()) return out;
    for (auto& e : r->items) {
      if (e.involvedObject.name == pod) out.push_back(std::move(e));
    }
    return out;
  }
  bool HasEvent(const std::string& pod, const std::string& reason, const std::string& message) {
    for (const auto& e : EventsFor(pod)) {
      if (e.reason == reason && e.message == message) return true;
    }
    return false;
  }

  std::unique_ptr<client::SharedInformerFactory> informers_;
  std::unique_ptr<Scheduler> scheduler_;
};

TEST_F(SchedulerTest, BindsToTheNodeWithRoomAndRecordsScheduled) {
  CreateNode("small", "1");
  CreateNode("big", "4");
  StartScheduler();
  CreatePod(MakePod("p", "3"));
  EXPECT_EQ(WaitBound("p"), "big");
  EXPECT_TRUE(Eventually(
      [&] { return HasEvent("p", "Scheduled", "Successfully assigned default/p to big"); }));
  EXPECT_TRUE(Eventually([&] { return scheduler_->Metrics().scheduled.load() == 1; }));
  // The cache holds the bound pod (confirmed by the informer), not an assumed one.
  EXPECT_TRUE(Eventually([&] {
    CacheSizes c = scheduler_->CacheCounts();
    return c.pods == 1 && c.assumed == 0;
  }));
}

TEST_F(SchedulerTest, AssumedPodsCountBeforeTheirBindIsSeen) {
  // Ten pods of 1 cpu on two 5-cpu nodes: every one fits only because the scheduler counts the
  // pods it placed before the watch shows them bound.
  CreateNode("a", "5");
  CreateNode("b", "5");
  for (int i = 0; i < 10; ++i) CreatePod(MakePod("p" + std::to_string(i), "1"));
  StartScheduler();
  std::map<std::string, int> per_node;
  for (int i = 0; i < 10; ++i) ++per_node[WaitBound("p" + std::to_string(i))];
  EXPECT_EQ(per_node["a"], 5);
  EXPECT_EQ(per_node["b"], 5);
  CreatePod(MakePod("extra", "1"));
  auto cond = WaitUnschedulable("extra");
  ASSERT_TRUE(cond.has_value());
  // Upstream's double period: the preemption message ends with one, FitError adds another.
  EXPECT_EQ(cond->message,
            "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 "
            "No preemption victims found for incoming pod..");
}

TEST_F(SchedulerTest, UnschedulablePodGetsTheConditionAndEventThenFitsWhenANodeComes) {
  CreateNode("n1", "1");
  CreateNode("n2", "1", {{"disk", "hdd"}});
  CreateNode("n3", "8", {{"disk", "hdd"}});
  StartScheduler();
  api::Pod p = MakePod("wants-ssd", "2");
  p.spec.nodeSelector = {{"disk", "ssd"}};
  CreatePod(p);
  auto cond = WaitUnschedulable("wants-ssd");
  ASSERT_TRUE(cond.has_value());
  EXPECT_EQ(cond->reason, "Unschedulable");
  const std::string msg =
      "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. "
      "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling..";
  EXPECT_EQ(cond->message, msg);
  EXPECT_TRUE(Eventually([&] { return HasEvent("wants-ssd", "FailedScheduling", msg); }));
  EXPECT_EQ(GetPod("wants-ssd")->spec.nodeName, "");

  CreateNode("fast", "4", {{"disk", "ssd"}});  // NodeAdd moves the pod back
  EXPECT_EQ(WaitBound("wants-ssd"), "fast");
}

TEST_F(SchedulerTest, MixedReasonsAreCountedPerNode) {
  CreateNode("tiny", "500m");
  CreateNode("tainted", "8", {},
             {api::Taint{.effect = "NoSchedule", .key = "dedicated", .value = "gpu"}});
  CreateNode("cordoned", "8", {}, {}, /*unschedulable=*/true);
  StartScheduler();
  CreatePod(MakePod("p", "1"));
  auto cond = WaitUnschedulable("p");
  ASSERT_TRUE(cond.has_value());
  EXPECT_EQ(cond->message,
            "0/3 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint "
            "{dedicated: gpu}, 1 node(s) were unschedulable. preemption: 0/3 nodes are "
            "available: 1 No preemption victims found for incoming pod, 2 Preemption is not "
            "helpful for scheduling..");

  // A toleration opens the tainted node.
  api::Pod tolerant = MakePod("tolerant", "1");
  tolerant.spec.tolerations.push_back(api::Toleration{
      .effect = "NoSchedule", .key = "dedicated", .operator_ = "Equal", .value = "gpu"});
  CreatePod(tolerant);
  EXPECT_EQ(WaitBound("tolerant"), "tainted");
}

TEST_F(SchedulerTest, GatedPodsWaitUntilTheLastGateGoes) {
  CreateNode("n1", "4");
  StartScheduler();
  api::Pod p = MakePod("gated");
  p.spec.schedulingGates.push_back(api::PodSchedulingGate{.name = "example.com/wait"});
  CreatePod(p);
  EXPECT_TRUE(Eventually([&] { return scheduler_->PendingPods().gated == 1; }));
  EXPECT_EQ(WaitBound("gated", std::chrono::milliseconds(500)), "");

  auto current = GetPod("gated");
  ASSERT_TRUE(current.has_value());
  ASSERT_EQ(current->status.conditions.size(), 1U);  // set by the API server on create
  EXPECT_EQ(current->status.conditions[0].reason, "SchedulingGated");
  EXPECT_EQ(current->status.conditions[0].message,
            "Scheduling is blocked due to non-empty scheduling gates");
  current->spec.schedulingGates.clear();
  TypedClient<api::Pod> pods(*client_, kNs);
  auto r = Run(pods.Update(*current));
  ASSERT_TRUE(r.IsOk()) << r.status().ToString();
  EXPECT_EQ(WaitBound("gated"), "n1");
}

TEST_F(SchedulerTest, PodsForAnotherSchedulerAreLeftAlone) {
  CreateNode("n1", "4");
  SchedulerOptions options;
  KubeSchedulerProfile mine = DefaultSchedulerProfile();
  mine.scheduler_name = "my-scheduler";
  options.profiles = {DefaultSchedulerProfile(), mine};
  StartScheduler(std::move(options));
  api::Pod other = MakePod("other");
  other.spec.schedulerName = "someone-else";
  CreatePod(other);
  api::Pod second = MakePod("second-profile");
  second.spec.schedulerName = "my-scheduler";
  CreatePod(second);
  EXPECT_EQ(WaitBound("second-profile"), "n1");
  CreatePod(MakePod("default"));
  EXPECT_EQ(WaitBound("default"), "n1");
  EXPECT_EQ(GetPod("other")->spec.nodeName, "");
  EXPECT_TRUE(GetPod("other")->status.conditions.empty());
}

TEST_F(SchedulerTest, DeletedPodsFreeTheirNode) {
  CreateNode("n1", "2");
  StartScheduler();
  CreatePod(MakePod("first", "2"));
  EXPECT_EQ(WaitBound("first"), "n1");
  CreatePod(MakePod("second", "2"));
  ASSERT_TRUE(WaitUnschedulable("second").has_value());
  TypedClient<api::Pod> pods(*client_, kNs);
  client::DeleteOptions opts;
  opts.grace_period_seconds = 0;
  std::string name = "first";
  ASSERT_TRUE(Run(pods.Delete(name, opts)).IsOk());
  EXPECT_EQ(WaitBound("second"), "n1");  // AssignedPodDelete moves it back
}

// ---- preemption

class PreemptionTest : public SchedulerTest {
 protected:
  void CreatePriorityClass(const std::string& name, int32_t value,
                           const std::string& preemption_policy = "") {
    api::PriorityClass pc;
    pc.metadata.name = name;
    pc.value = value;
    pc.preemptionPolicy = preemption_policy;
    TypedClient<api::PriorityClass> classes(*client_);
    auto r = Run(classes.Create(pc));
    ASSERT_TRUE(r.IsOk()) << r.status().ToString();
  }
  static api::Pod WithClass(api::Pod p, const std::string& cls) {
    p.spec.priorityClassName = cls;
    return p;
  }
  // Plays the kubelet: a pod being deleted goes away for good.
  void FinishDeletion(const std::string& name) {
    TypedClient<api::Pod> pods(*client_, kNs);
    client::DeleteOptions opts;
    opts.grace_period_seconds = 0;
    ASSERT_TRUE(Run(pods.Delete(name, opts)).IsOk());
  }
};

TEST_F(PreemptionTest, PreemptsTheLeastImportantVictimsAndNominates) {
  CreatePriorityClass("low", 10);
  CreatePriorityClass("mid", 500);
  CreatePriorityClass("high", 1000);
  CreateNode("n1", "2");
  CreateNode("n2", "2");
  StartScheduler();
  CreatePod(WithClass(MakePod("low-1", "2"), "low"));
  ASSERT_FALSE(WaitBound("low-1").empty());
  CreatePod(WithClass(MakePod("mid-1", "2"), "mid"));
  ASSERT_FALSE(WaitBound("mid-1").empty());
  const std::string low_node = GetPod("low-1")->spec.nodeName;

  CreatePod(WithClass(MakePod("high-1", "2"), "high"));
  std::optional<api::Pod> high;
  ASSERT_TRUE(Eventually([&] {
    high = GetPod("high-1");
    return high.has_value() && !high->status.nominatedNodeName.empty();
  }));
  EXPECT_EQ(high->status.nominatedNodeName, low_node);  // the lower-priority victim's node
  EXPECT_TRUE(high->spec.nodeName.empty());             // waits for the victim to leave

  // The victim: marked, deleted gracefully, told why.
  auto low = GetPod("low-1");
  ASSERT_TRUE(low.has_value());
  EXPECT_FALSE(low->metadata.deletionTimestamp.empty());
  bool marked = false;
  for (const auto& c : low->status.conditions) {
    if (c.type == "DisruptionTarget") {
      marked = c.status == "True" && c.reason == "PreemptionByScheduler" &&
               c.message == "default-scheduler: preempting to accommodate a higher priority pod";
    }
  }
  EXPECT_TRUE(marked);
  EXPECT_TRUE(Eventually([&] {
    return HasEvent("low-1", "Preempted",
                    "Preempted by pod " + high->metadata.uid + " on node " + low_node);
  }));
  auto mid = GetPod("mid-1");
  ASSERT_TRUE(mid.has_value());
  EXPECT_TRUE(mid->metadata.deletionTimestamp.empty());

  // A pod of lower priority than the nominated one must not take the room meanwhile.
  // Its own preemption finds n1 taken by the nominated pod and nothing below it on n2.
  CreatePod(WithClass(MakePod("mid-2", "2"), "mid"));
  auto cond = WaitUnschedulable("mid-2");
  ASSERT_TRUE(cond.has_value());
  EXPECT_EQ(cond->message,
            "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 1 "
            "Insufficient cpu, 1 No preemption victims found for incoming pod..");
  FinishDeletion("low-1");
  EXPECT_EQ(WaitBound("high-1"), low_node);
  auto mid2 = GetPod("mid-2");
  ASSERT_TRUE(mid2.has_value());
  EXPECT_TRUE(mid2->spec.nodeName.empty());
}

TEST_F(PreemptionTest, NoPreemptionForPolicyNeverOrWithoutVictims) {
  CreatePriorityClass("low", 10);
  CreatePriorityClass("polite", 1000, "Never");
  CreateNode("n1", "2");
  StartScheduler();
  CreatePod(WithClass(MakePod("low-1", "2"), "low"));
  ASSERT_EQ(WaitBound("low-1"), "n1");

  CreatePod(WithClass(MakePod("polite-1", "2"), "polite"));
  auto cond = WaitUnschedulable("polite-1");
  ASSERT_TRUE(cond.has_value());
  EXPECT_EQ(cond->message,
            "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to "
            "preemptionPolicy=Never..");
  // Same priority as everything there: nothing to preempt.
  CreatePod(WithClass(MakePod("low-2", "2"), "low"));
  cond = WaitUnschedulable("low-2");
  ASSERT_TRUE(cond.has_value());
  EXPECT_EQ(cond->message,
            "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 "
            "No preemption victims found for incoming pod..");
  auto low = GetPod("low-1");
  ASSERT_TRUE(low.has_value());
  EXPECT_TRUE(low->metadata.deletionTimestamp.empty());
}

TEST_F(SchedulerTest, BadProfilesAreRefused) {
  client::SharedInformerFactory f(*client_, runtime_.Executor());
  SchedulerOptions options;
  KubeSchedulerProfile p = DefaultSchedulerProfile();
  p.plugins.filter.enabled.push_back({"NoSuchPlugin", 0});
  options.profiles = {p};
  auto s = Scheduler::New(runtime_, *client_, f, options);
  ASSERT_FALSE(s.IsOk());
  EXPECT_NE(s.status().Message().find("\"NoSuchPlugin\" does not exist"), std::string::npos)
      << s.status().ToString();

  options.profiles = {DefaultSchedulerProfile(), DefaultSchedulerProfile()};
  s = Scheduler::New(runtime_, *client_, f, options);
  ASSERT_FALSE(s.IsOk());
  EXPECT_NE(s.status().Message().find("duplicate"), std::string::npos);
}

TEST_F(SchedulerTest, ServerTakesTheLeaseAndSchedules) {
  CreateNode("n1", "4");
  SchedulerServerOptions options;
  options.leader_election.lease_duration = std::chrono::milliseconds(1500);
  options.leader_election.renew_deadline = std::chrono::milliseconds(1000);
  options.leader_election.retry_period = std::chrono::milliseconds(200);
  options.port = 0;
  SchedulerServer server(runtime_, *client_, options);
  ASSERT_TRUE(server.Start().IsOk());
  EXPECT_TRUE(Eventually([&] { return server.Leading(); }));
  CreatePod(MakePod("p"));
  EXPECT_EQ(WaitBound("p"), "n1");
  // /healthz and /metrics on the server's port.
  ASSERT_GT(server.Port(), 0);
  client::RestConfig mc;
  mc.server = "http://127.0.0.1:" + std::to_string(server.Port());
  auto metrics_client = client::RestClient::Create(runtime_.Executor(), mc);
  ASSERT_TRUE(metrics_client.IsOk());
  client::HttpRequest health;
  health.target = "/healthz";
  auto h = Run((*metrics_client)->Do(health));
  ASSERT_TRUE(h.IsOk()) << h.status().ToString();
  EXPECT_EQ(h->status, 200);
  EXPECT_EQ(h->body, "ok");
  EXPECT_TRUE(Eventually([&] {
    client::HttpRequest m;
    m.target = "/metrics";
    auto r = Run((*metrics_client)->Do(m));
    return r.IsOk() &&
           r->body.find("leader_election_master_status{name=\"kube-scheduler\"} 1") !=
               std::string::npos &&
           r->body.find("result=\"scheduled\"} 1") != std::string::npos;
  }));
  TypedClient<api::Lease> leases(*client_, "kube-system");
  auto lease = Run(leases.Get("kube-scheduler"));
  ASSERT_TRUE(lease.IsOk()) << lease.status().ToString();
  EXPECT_FALSE(lease->spec.holderIdentity.empty());
  server.Stop();
}

TEST_F(SchedulerTest, MetricsText) {
  CreateNode("n1", "4");
  StartScheduler();
  CreatePod(MakePod("p"));
  EXPECT_EQ(WaitBound("p"), "n1");
  EXPECT_TRUE(Eventually([&] { return scheduler_->Metrics().scheduled.load() == 1; }));
  std::string text = scheduler_->MetricsText();
  EXPECT_NE(text.find("scheduler_schedule_attempts_total{result=\"scheduled\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("scheduler_pod_scheduling_sli_duration_seconds_count 1"), std::string::npos);
  EXPECT_NE(text.find("scheduler_pending_pods{queue=\"active\"} 0"), std::string::npos);
}

}  // namespace
}  // namespace kubepp::scheduler
