#include "scheduler/queue/scheduling_queue.h"

#include <gtest/gtest.h>

#include <thread>

namespace kubepp::scheduler {
namespace {

using namespace std::chrono_literals;

std::shared_ptr<const api::Pod> MakePod(const std::string& name, int32_t priority = 0,
                                        std::vector<std::string> gates = {}) {
  auto pod = std::make_shared<api::Pod>();
  pod->metadata.namespace_ = "ns";
  pod->metadata.name = name;
  pod->spec.priority = priority;
  for (auto& g : gates) pod->spec.schedulingGates.push_back(api::PodSchedulingGate{.name = g});
  return pod;
}

std::string PopName(SchedulingQueue& q) {
  auto qpi = q.TryPop();
  return qpi ? qpi->pod->metadata.name : "";
}

// A pod rejected by `plugin` in the last cycle goes back to the queue.
void Fail(SchedulingQueue& q, QueuedPodInfo qpi, const std::string& plugin) {
  if (!plugin.empty()) qpi.unschedulable_plugins.insert(plugin);
  q.AddUnschedulableIfNotPresent(std::move(qpi), q.SchedulingCycle());
}

SchedulingQueueOptions Options() {
  SchedulingQueueOptions o;
  o.plugin_events["NodeResourcesFit"] = {
      NodeAddEvent(), {EventResource::kNode, kUpdateNodeAllocatable, ""}, AssignedPodDeleteEvent()};
  o.plugin_events["TaintToleration"] = {NodeAddEvent(),
                                        {EventResource::kNode, kUpdateNodeTaint, ""}};
  return o;
}

TEST(SchedulingQueueTest, ActiveOrderIsPriorityThenAge) {
  FakeClock clock;
  SchedulingQueue q(clock);
  q.Add(MakePod("low-old", 0));
  clock.Advance(1ms);
  q.Add(MakePod("high", 100));
  clock.Advance(1ms);
  q.Add(MakePod("low-new", 0));
  EXPECT_EQ(PopName(q), "high");
  EXPECT_EQ(PopName(q), "low-old");
  EXPECT_EQ(PopName(q), "low-new");
  EXPECT_EQ(PopName(q), "");
  EXPECT_EQ(q.SchedulingCycle(), 3);
}

TEST(SchedulingQueueTest, UnschedulableMovesOnlyOnInterestingEvents) {
  FakeClock clock;
  SchedulingQueue q(clock, Options());
  q.Add(MakePod("a"));
  auto qpi = q.TryPop();
  ASSERT_TRUE(qpi);
  Fail(q, std::move(*qpi), "TaintToleration");
  EXPECT_EQ(q.Sizes().unschedulable, 1U);

  // An assigned pod deleted frees resources, not taints: stays.
  q.MoveAllToActiveOrBackoffQueue(AssignedPodDeleteEvent());
  EXPECT_EQ(q.Sizes().unschedulable, 1U);
  // A node's taints changed: moves; its 1 s back-off has passed → active.
  clock.Advance(2s);
  q.MoveAllToActiveOrBackoffQueue({EventResource::kNode, kUpdateNodeTaint, "NodeTaintChange"});
  EXPECT_EQ(q.Sizes().unschedulable, 0U);
  EXPECT_EQ(q.Sizes().active, 1U);
  EXPECT_EQ(PopName(q), "a");
}

TEST(SchedulingQueueTest, MovedWhileBackingOffGoesToBackoffThenActive) {
  FakeClock clock;
  SchedulingQueue q(clock, Options());
  q.Add(MakePod("a"));
  auto qpi = q.TryPop();
  Fail(q, std::move(*qpi), "NodeResourcesFit");
  q.MoveAllToActiveOrBackoffQueue(NodeAddEvent());
  EXPECT_EQ(q.Sizes().backoff, 1U);
  q.FlushBackoffCompleted();
  EXPECT_EQ(q.Sizes().backoff, 1U);  // 1 s not over
  clock.Advance(1s);
  q.FlushBackoffCompleted();
  EXPECT_EQ(q.Sizes().active, 1U);
}

TEST(SchedulingQueueTest, BackoffDoublesToTheCap) {
  FakeClock clock;
  SchedulingQueue q(clock);
  QueuedPodInfo qpi;
  qpi.pod = MakePod("a");
  qpi.timestamp = clock.Now();
  std::vector<Clock::Duration> want = {1s, 2s, 4s, 8s, 10s, 10s};
  for (size_t i = 0; i < want.size(); ++i) {
    qpi.attempts = static_cast<int>(i) + 1;
    EXPECT_EQ(q.BackoffExpiry(qpi) - qpi.timestamp, want[i]) << "attempt " << qpi.attempts;
  }
}

TEST(SchedulingQueueTest, FailureDuringAMoveRequestGoesToBackoff) {
  FakeClock clock;
  SchedulingQueue q(clock, Options());
  q.Add(MakePod("a"));
  auto qpi = q.TryPop();
  int64_t cycle = q.SchedulingCycle();
  // A node arrives while "a" is being scheduled; "a" then fails: it must not wait in
  // unschedulable for an event that already happened.
  q.MoveAllToActiveOrBackoffQueue(NodeAddEvent());
  qpi->unschedulable_plugins.insert("NodeResourcesFit");
  q.AddUnschedulableIfNotPresent(std::move(*qpi), cycle);
  EXPECT_EQ(q.Sizes().unschedulable, 0U);
  EXPECT_EQ(q.Sizes().backoff, 1U);
}

TEST(SchedulingQueueTest, ErrorsGoToBackoff) {
  FakeClock clock;
  SchedulingQueue q(clock, Options());
  q.Add(MakePod("a"));
  auto qpi = q.TryPop();
  Fail(q, std::move(*qpi), "");
  EXPECT_EQ(q.Sizes().backoff, 1U);
}

TEST(SchedulingQueueTest, GatedPodsWaitUntilTheLastGateGoes) {
  FakeClock clock;
  SchedulingQueue q(clock, Options());
  auto gated = MakePod("g", 0, {"example.com/one", "example.com/two"});
  q.Add(gated);
  EXPECT_EQ(q.Sizes().gated, 1U);
  EXPECT_EQ(q.Sizes().unschedulable, 0U);
  // Cluster events and the leftover flush do not move gated pods.
  q.MoveAllToActiveOrBackoffQueue(UnschedulableTimeoutEvent());
  clock.Advance(10min);
  q.FlushUnschedulableLeftover();
  EXPECT_EQ(q.Sizes().gated, 1U);

  auto one_gate = MakePod("g", 0, {"example.com/two"});
  q.Update(gated, one_gate);
  EXPECT_EQ(q.Sizes().gated, 1U);
  auto open = MakePod("g", 0);
  q.Update(one_gate, open);
  EXPECT_EQ(q.Sizes().gated, 0U);
  EXPECT_EQ(PopName(q), "g");
}

TEST(SchedulingQueueTest, UpdatesOfUnschedulablePods) {
  FakeClock clock;
  SchedulingQueue q(clock, Options());
  auto pod = MakePod("a");
  q.Add(pod);
  auto qpi = q.TryPop();
  Fail(q, std::move(*qpi), "TaintToleration");

  // A status-only change keeps it where it is.
  auto status_only = std::make_shared<api::Pod>(*pod);
  status_only->status.phase = "Pending";
  q.Update(pod, status_only);
  EXPECT_EQ(q.Sizes().unschedulable, 1U);

  // A spec change (a new toleration) may make it fit: back-off, then active.
  auto tolerating = std::make_shared<api::Pod>(*status_only);
  tolerating->spec.tolerations.push_back(api::Toleration{.key = "k", .operator_ = "Exists"});
  q.Update(status_only, tolerating);
  EXPECT_EQ(q.Sizes().backoff, 1U);
  clock.Advance(1s);
  q.FlushBackoffCompleted();
  auto next = q.TryPop();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->pod->spec.tolerations.size(), 1U);
  EXPECT_EQ(next->attempts, 2);
}

TEST(SchedulingQueueTest, LeftoverUnschedulablePodsMoveAfterFiveMinutes) {
  FakeClock clock;
  SchedulingQueue q(clock, Options());
  q.Add(MakePod("a"));
  auto qpi = q.TryPop();
  Fail(q, std::move(*qpi), "TaintToleration");
  clock.Advance(4min);
  q.FlushUnschedulableLeftover();
  EXPECT_EQ(q.Sizes().unschedulable, 1U);
  clock.Advance(61s);
  q.FlushUnschedulableLeftover();
  EXPECT_EQ(q.Sizes().active, 1U);
}

TEST(SchedulingQueueTest, DeleteRemovesFromEverySubQueue) {
  FakeClock clock;
  SchedulingQueue q(clock, Options());
  q.Add(MakePod("active"));
  q.Add(MakePod("gated", 0, {"g"}));
  q.Add(MakePod("failed"));
  auto qpi = q.TryPop();         // "active" (older)
  Fail(q, std::move(*qpi), "");  // → back-off
  q.Delete(*MakePod("active"));
  q.Delete(*MakePod("gated"));
  q.Delete(*MakePod("failed"));
  QueueSizes s = q.Sizes();
  EXPECT_EQ(s.active + s.backoff + s.unschedulable + s.gated, 0U);
  EXPECT_TRUE(q.PendingPods().empty());
}

TEST(SchedulingQueueTest, AlreadyQueuedPodIsNotAddedTwice) {
  FakeClock clock;
  SchedulingQueue q(clock, Options());
  auto pod = MakePod("a");
  q.Add(pod);
  auto qpi = q.TryPop();
  q.Update(pod, pod);  // an update re-added it while it was being scheduled
  Fail(q, std::move(*qpi), "TaintToleration");
  EXPECT_EQ(q.Sizes().active, 1U);
  EXPECT_EQ(q.Sizes().unschedulable, 0U);
}

TEST(SchedulingQueueTest, PopBlocksUntilAPodOrClose) {
  FakeClock clock;
  SchedulingQueue q(clock);
  std::optional<QueuedPodInfo> got;
  std::thread t([&] { got = q.Pop(); });
  q.Add(MakePod("a"));
  t.join();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->pod->metadata.name, "a");
  std::thread t2([&] { got = q.Pop(); });
  q.Close();
  t2.join();
  EXPECT_FALSE(got);
}

// ---- the nominator

std::vector<std::string> NominatedNames(const SchedulingQueue& q, const std::string& node) {
  std::vector<std::string> out;
  for (const auto& p : q.GetNominator().NominatedPodsForNode(node)) {
    out.push_back(p->Pod().metadata.name);
  }
  return out;
}

std::shared_ptr<const api::Pod> WithNominated(std::shared_ptr<const api::Pod> pod,
                                              const std::string& node) {
  auto copy = std::make_shared<api::Pod>(*pod);
  copy->status.nominatedNodeName = node;
  return copy;
}

TEST(NominatorTest, FollowsStatusNominatedNodeName) {
  FakeClock clock;
  SchedulingQueue q(clock);
  auto a = WithNominated(MakePod("a", 10), "n1");
  q.Add(a);
  q.Add(MakePod("b"));
  EXPECT_EQ(NominatedNames(q, "n1"), std::vector<std::string>{"a"});
  EXPECT_TRUE(NominatedNames(q, "n2").empty());
  // Moved to another node, then cleared.
  auto a2 = WithNominated(a, "n2");
  q.Update(a, a2);
  EXPECT_TRUE(NominatedNames(q, "n1").empty());
  EXPECT_EQ(NominatedNames(q, "n2"), std::vector<std::string>{"a"});
  auto a3 = WithNominated(a2, "");
  q.Update(a2, a3);
  EXPECT_TRUE(NominatedNames(q, "n2").empty());
  EXPECT_EQ(q.GetNominator().NominatedNodeOf(*a3), "");
}

TEST(NominatorTest, PreemptionNominationSurvivesUpdatesWithoutStatusUntilDeleted) {
  FakeClock clock;
  SchedulingQueue q(clock);
  auto a = MakePod("a", 10);
  q.Add(a);
  // The scheduler nominated it before the status patch came back.
  q.GetNominator().AddNominatedPod(PodInfo::Make(a), "n1");
  auto relabelled = std::make_shared<api::Pod>(*a);
  relabelled->metadata.labels["x"] = "y";
  q.Update(a, relabelled);
  auto pods = q.GetNominator().NominatedPodsForNode("n1");
  ASSERT_EQ(pods.size(), 1U);
  EXPECT_EQ(pods[0]->Pod().metadata.labels.at("x"), "y");  // the new pod is kept
  q.Delete(*relabelled);
  EXPECT_TRUE(NominatedNames(q, "n1").empty());
}

TEST(NominatorTest, ReNominationReplacesAndOrderIsKept) {
  Nominator n;
  auto a = MakePod("a");
  auto b = MakePod("b");
  n.AddNominatedPod(PodInfo::Make(a), "n1");
  n.AddNominatedPod(PodInfo::Make(b), "n1");
  n.AddNominatedPod(PodInfo::Make(a), "n1");  // again: now after b
  auto pods = n.NominatedPodsForNode("n1");
  ASSERT_EQ(pods.size(), 2U);
  EXPECT_EQ(pods[0]->Pod().metadata.name, "b");
  EXPECT_EQ(pods[1]->Pod().metadata.name, "a");
  n.AddNominatedPod(PodInfo::Make(a));  // no node given, none in the status: not nominated
  EXPECT_EQ(n.NominatedNodeOf(*a), "");
  n.DeleteNominatedPodIfExists(*b);
  EXPECT_TRUE(n.NominatedPodsForNode("n1").empty());
}

}  // namespace
}  // namespace kubepp::scheduler
