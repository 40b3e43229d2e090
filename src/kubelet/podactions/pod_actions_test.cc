#include "kubelet/podactions/pod_actions.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

#include "base/duration.h"
#include "kubelet/kuberuntime/pod_config.h"

namespace kubepp::kubelet {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

constexpr int64_t kT0Seconds = 1'700'000'000;  // "now" of most tests

int64_t Ns(int64_t s) { return s * 1'000'000'000; }

api::Container Ctr(const std::string& name, const std::string& restart_policy = "") {
  api::Container c;
  c.name = name;
  c.image = "busybox";
  c.restartPolicy = restart_policy;
  return c;
}

api::Pod MakePod(const std::string& restart_policy, std::vector<api::Container> containers,
                 std::vector<api::Container> inits = {}) {
  api::Pod pod;
  pod.metadata.name = "p";
  pod.metadata.namespace_ = "ns";
  pod.metadata.uid = "uid1";
  pod.spec.restartPolicy = restart_policy;
  pod.spec.containers = std::move(containers);
  pod.spec.initContainers = std::move(inits);
  return pod;
}

cri::v1::PodSandboxStatus Sandbox(const std::string& id, bool ready, uint32_t attempt,
                                  int64_t created_s = kT0Seconds - 1000,
                                  const std::string& ip = "198.18.0.5", bool host_network = false) {
  cri::v1::PodSandboxStatus s;
  s.set_id(id);
  s.mutable_metadata()->set_name("p");
  s.mutable_metadata()->set_namespace_("ns");
  s.mutable_metadata()->set_uid("uid1");
  s.mutable_metadata()->set_attempt(attempt);
  s.set_state(ready ? cri::v1::SANDBOX_READY : cri::v1::SANDBOX_NOTREADY);
  s.set_created_at(Ns(created_s));
  s.mutable_network()->set_ip(ip);
  s.mutable_linux()->mutable_namespaces()->mutable_options()->set_network(
      host_network ? cri::v1::NODE : cri::v1::POD);
  return s;
}

// A container made from `spec` (its hash annotation), created at created_s.
cri::v1::ContainerStatus Running(const std::string& id, const api::Container& spec,
                                 int64_t created_s = kT0Seconds - 900) {
  cri::v1::ContainerStatus s;
  s.set_id(id);
  s.mutable_metadata()->set_name(spec.name);
  (*s.mutable_labels())[kContainerNameLabel] = spec.name;
  (*s.mutable_annotations())[kContainerHashAnnotation] = ContainerHash(spec);
  (*s.mutable_annotations())[kContainerRestartCountAnnotation] = "0";
  s.set_state(cri::v1::CONTAINER_RUNNING);
  s.set_created_at(Ns(created_s));
  s.set_started_at(Ns(created_s) + 1);
  return s;
}

cri::v1::ContainerStatus Exited(const std::string& id, const api::Container& spec, int exit_code,
                                int64_t finished_s = kT0Seconds - 800,
                                int64_t created_s = kT0Seconds - 900) {
  cri::v1::ContainerStatus s = Running(id, spec, created_s);
  s.set_state(cri::v1::CONTAINER_EXITED);
  s.set_exit_code(exit_code);
  s.set_reason(exit_code == 0 ? "Completed" : "Error");
  s.set_finished_at(Ns(finished_s));
  return s;
}

cri::v1::ContainerStatus WithState(cri::v1::ContainerStatus s, cri::v1::ContainerState state) {
  s.set_state(state);
  return s;
}

class PodActionsTest : public ::testing::Test {
 protected:
  PodActions Compute(const api::Pod& pod, const std::vector<cri::v1::PodSandboxStatus>& sandboxes,
                     const std::vector<cri::v1::ContainerStatus>& containers,
                     const ProbeResults& probes = {}) {
    return ComputePodActions(pod, sandboxes, containers, probes, backoff_, now_);
  }
  Backoff backoff_;
  Clock::WallTime now_{seconds(kT0Seconds)};
};

// ---- sandbox ----------------------------------------------------------------------------------

TEST_F(PodActionsTest, NewPodGetsASandboxAndAllContainers) {
  auto pod = MakePod("Always", {Ctr("a"), Ctr("b")});
  auto a = Compute(pod, {}, {});
  EXPECT_TRUE(a.kill_pod);
  EXPECT_TRUE(a.create_sandbox);
  EXPECT_EQ(a.attempt, 0U);
  EXPECT_EQ(a.sandbox_id, "");
  EXPECT_THAT(a.containers_to_start, ElementsAre(0, 1));
  EXPECT_THAT(a.init_containers_to_start, IsEmpty());
  EXPECT_THAT(a.backoff, IsEmpty());
}

TEST_F(PodActionsTest, NewPodWithInitContainersStartsTheFirstInitOnly) {
  auto pod = MakePod("Always", {Ctr("a")}, {Ctr("i1"), Ctr("i2")});
  auto a = Compute(pod, {}, {});
  EXPECT_TRUE(a.create_sandbox);
  EXPECT_THAT(a.init_containers_to_start, ElementsAre(0));
  EXPECT_THAT(a.containers_to_start, IsEmpty());
}

TEST_F(PodActionsTest, DeadSandboxIsReplacedWithTheNextAttempt) {
  auto pod = MakePod("Always", {Ctr("a")});
  auto a = Compute(pod, {Sandbox("s0", false, 0, kT0Seconds - 2000), Sandbox("s1", false, 1)},
                   {Exited("c1", pod.spec.containers[0], 137)});
  EXPECT_TRUE(a.kill_pod);
  EXPECT_TRUE(a.create_sandbox);
  EXPECT_EQ(a.attempt, 2U);
  EXPECT_EQ(a.sandbox_id, "s1");  // the newest
  EXPECT_THAT(a.containers_to_start, ElementsAre(0));
}

TEST_F(PodActionsTest, TwoReadySandboxesAreReconciled) {
  auto pod = MakePod("Always", {Ctr("a")});
  auto a = Compute(pod, {Sandbox("s0", true, 0, kT0Seconds - 2000), Sandbox("s1", true, 1)},
                   {Running("c1", pod.spec.containers[0])});
  EXPECT_TRUE(a.kill_pod);
  EXPECT_TRUE(a.create_sandbox);
  EXPECT_EQ(a.attempt, 2U);
  EXPECT_EQ(a.sandbox_id, "s1");
}

TEST_F(PodActionsTest, HostNetworkFlipChangesTheSandbox) {
  auto pod = MakePod("Always", {Ctr("a")});
  pod.spec.hostNetwork = true;
  auto a = Compute(pod, {Sandbox("s0", true, 0)}, {Running("c1", pod.spec.containers[0])});
  EXPECT_TRUE(a.create_sandbox);
  EXPECT_EQ(a.attempt, 1U);
  EXPECT_EQ(a.sandbox_id, "");

  // The same sandbox in the node's namespace is fine, without an IP too.
  a = Compute(pod, {Sandbox("s0", true, 0, kT0Seconds - 1000, "", true)},
              {Running("c1", pod.spec.containers[0])});
  EXPECT_FALSE(a.create_sandbox);
  EXPECT_FALSE(a.kill_pod);
  EXPECT_EQ(a.sandbox_id, "s0");
}

TEST_F(PodActionsTest, SandboxWithoutIpIsReplaced) {
  auto pod = MakePod("Always", {Ctr("a")});
  auto a = Compute(pod, {Sandbox("s0", true, 3, kT0Seconds - 1000, "")},
                   {Running("c1", pod.spec.containers[0])});
  EXPECT_TRUE(a.kill_pod);
  EXPECT_TRUE(a.create_sandbox);
  EXPECT_EQ(a.attempt, 4U);
  EXPECT_EQ(a.sandbox_id, "s0");
}

TEST_F(PodActionsTest, NeverPodWhoseContainersRanGetsNoNewSandbox) {
  auto pod = MakePod("Never", {Ctr("a")});
  auto a = Compute(pod, {Sandbox("s0", false, 0)}, {Exited("c1", pod.spec.containers[0], 0)});
  EXPECT_TRUE(a.kill_pod);
  EXPECT_FALSE(a.create_sandbox);
  EXPECT_THAT(a.containers_to_start, IsEmpty());
  EXPECT_THAT(a.init_containers_to_start, IsEmpty());
}

TEST_F(PodActionsTest, OnFailurePodKeepsSucceededContainersDoneInANewSandbox) {
  auto pod = MakePod("OnFailure", {Ctr("a"), Ctr("b")});
  auto a =
      Compute(pod, {Sandbox("s0", false, 0)},
              {Exited("c1", pod.spec.containers[0], 0), Exited("c2", pod.spec.containers[1], 1)});
  EXPECT_TRUE(a.create_sandbox);
  EXPECT_THAT(a.containers_to_start, ElementsAre(1));

  // All succeeded: nothing to run, no sandbox.
  a = Compute(pod, {Sandbox("s0", false, 0)},
              {Exited("c1", pod.spec.containers[0], 0), Exited("c2", pod.spec.containers[1], 0)});
  EXPECT_TRUE(a.kill_pod);
  EXPECT_FALSE(a.create_sandbox);
  EXPECT_THAT(a.containers_to_start, IsEmpty());
}

// ---- regular containers -----------------------------------------------------------------------

TEST_F(PodActionsTest, RunningPodNeedsNothing) {
  auto pod = MakePod("Always", {Ctr("a"), Ctr("b")});
  auto a = Compute(pod, {Sandbox("s0", true, 0)},
                   {Running("c1", pod.spec.containers[0]), Running("c2", pod.spec.containers[1])});
  EXPECT_FALSE(a.kill_pod);
  EXPECT_FALSE(a.create_sandbox);
  EXPECT_EQ(a.sandbox_id, "s0");
  EXPECT_EQ(a.attempt, 0U);
  EXPECT_THAT(a.containers_to_start, IsEmpty());
  EXPECT_THAT(a.containers_to_kill, IsEmpty());
}

TEST_F(PodActionsTest, MissingContainerIsStarted) {
  auto pod = MakePod("Never", {Ctr("a"), Ctr("b")});
  auto a = Compute(pod, {Sandbox("s0", true, 0)}, {Running("c1", pod.spec.containers[0])});
  EXPECT_FALSE(a.kill_pod);
  EXPECT_THAT(a.containers_to_start, ElementsAre(1));
}

TEST_F(PodActionsTest, ExitedContainersRestartPerRestartPolicy) {
  struct Case {
    std::string policy;
    int exit_code;
    bool restart;
  };
  for (const Case& tc : {Case{"Always", 0, true}, Case{"Always", 1, true}, Case{"", 0, true},
                         Case{"OnFailure", 0, false}, Case{"OnFailure", 2, true},
                         Case{"Never", 0, false}, Case{"Never", 1, false}}) {
    SCOPED_TRACE(tc.policy + " exit " + std::to_string(tc.exit_code));
    Backoff fresh;
    auto pod = MakePod(tc.policy, {Ctr("a"), Ctr("b")});
    auto a = ComputePodActions(
        pod, {Sandbox("s0", true, 0)},
        {Running("c1", pod.spec.containers[0]), Exited("c2", pod.spec.containers[1], tc.exit_code)},
        {}, fresh, now_);
    EXPECT_FALSE(a.kill_pod);
    if (tc.restart) {
      EXPECT_THAT(a.containers_to_start, ElementsAre(1));
    } else {
      EXPECT_THAT(a.containers_to_start, IsEmpty());
    }
  }
}

TEST_F(PodActionsTest, PodWithNothingLeftToRunIsKilled) {
  auto pod = MakePod("OnFailure", {Ctr("a")});
  auto a = Compute(pod, {Sandbox("s0", true, 0)}, {Exited("c1", pod.spec.containers[0], 0)});
  EXPECT_TRUE(a.kill_pod);
  EXPECT_FALSE(a.create_sandbox);
  EXPECT_THAT(a.containers_to_start, IsEmpty());
}

TEST_F(PodActionsTest, ChangedContainerIsKilledAndRestartedWhateverThePolicy) {
  auto pod = MakePod("Never", {Ctr("a"), Ctr("b")});
  auto old_spec = pod.spec.containers[0];
  pod.spec.containers[0].image = "busybox:2";
  auto a = Compute(pod, {Sandbox("s0", true, 0)},
                   {Running("c1", old_spec), Running("c2", pod.spec.containers[1])});
  EXPECT_FALSE(a.kill_pod);
  EXPECT_THAT(a.containers_to_start, ElementsAre(0));
  EXPECT_THAT(a.containers_to_kill,
              ElementsAre(Pair("c1", ContainerToKill{"a",
                                                     "Container a definition changed, will be "
                                                     "restarted",
                                                     KillReason::kNone})));
}

TEST_F(PodActionsTest, ContainerWithoutHashCountsAsChanged) {
  auto pod = MakePod("Always", {Ctr("a")});
  auto s = Running("c1", pod.spec.containers[0]);
  s.mutable_annotations()->erase(kContainerHashAnnotation);
  auto a = Compute(pod, {Sandbox("s0", true, 0)}, {s});
  EXPECT_EQ(a.containers_to_kill.at("c1").message,
            "Container a definition changed, will be restarted");
}

TEST_F(PodActionsTest, LivenessFailureKillsAndRestarts) {
  auto pod = MakePod("Always", {Ctr("a")});
  ProbeResults probes;
  probes.liveness_failed = {"c1"};
  auto a = Compute(pod, {Sandbox("s0", true, 0)}, {Running("c1", pod.spec.containers[0])}, probes);
  EXPECT_FALSE(a.kill_pod);
  EXPECT_THAT(a.containers_to_start, ElementsAre(0));
  EXPECT_THAT(a.containers_to_kill,
              ElementsAre(Pair("c1", ContainerToKill{"a",
                                                     "Container a failed liveness probe, will be "
                                                     "restarted",
                                                     KillReason::kLivenessProbe})));

  // A result of another (older) container of the same name does not count.
  probes.liveness_failed = {"c0"};
  a = Compute(pod, {Sandbox("s0", true, 0)}, {Running("c1", pod.spec.containers[0])}, probes);
  EXPECT_THAT(a.containers_to_kill, IsEmpty());
}

TEST_F(PodActionsTest, LivenessFailureUnderNeverKillsWithoutRestart) {
  auto pod = MakePod("Never", {Ctr("a")});
  ProbeResults probes;
  probes.liveness_failed = {"c1"};
  auto a = Compute(pod, {Sandbox("s0", true, 0)}, {Running("c1", pod.spec.containers[0])}, probes);
  EXPECT_TRUE(a.kill_pod);  // nothing kept, nothing to start
  EXPECT_THAT(a.containers_to_start, IsEmpty());
  EXPECT_EQ(a.containers_to_kill.at("c1").message, "Container a failed liveness probe");
}

TEST_F(PodActionsTest, StartupFailureKillsAndRestarts) {
  auto pod = MakePod("OnFailure", {Ctr("a"), Ctr("b")});
  ProbeResults probes;
  probes.startup_failed = {"c2"};
  auto a = Compute(pod, {Sandbox("s0", true, 0)},
                   {Running("c1", pod.spec.containers[0]), Running("c2", pod.spec.containers[1])},
                   probes);
  EXPECT_FALSE(a.kill_pod);
  EXPECT_THAT(a.containers_to_start, ElementsAre(1));
  EXPECT_THAT(a.containers_to_kill,
              ElementsAre(Pair("c2", ContainerToKill{"b",
                                                     "Container b failed startup probe, will be "
                                                     "restarted",
                                                     KillReason::kStartupProbe})));
}

TEST_F(PodActionsTest, UnknownContainerIsKilledThenStarted) {
  auto pod = MakePod("Never", {Ctr("a")});
  auto a = Compute(pod, {Sandbox("s0", true, 0)},
                   {WithState(Running("c1", pod.spec.containers[0]), cri::v1::CONTAINER_UNKNOWN)});
  EXPECT_FALSE(a.kill_pod);
  EXPECT_THAT(a.containers_to_start, ElementsAre(0));
  EXPECT_THAT(a.containers_to_kill,
              ElementsAre(Pair("c1", ContainerToKill{"a",
                                                     "Container is in \"unknown\" state, try "
                                                     "killing it before restart",
                                                     KillReason::kUnknown})));
}

TEST_F(PodActionsTest, CreatedButNotStartedContainerIsStarted) {
  auto pod = MakePod("Never", {Ctr("a")});
  auto a = Compute(pod, {Sandbox("s0", true, 0)},
                   {WithState(Running("c1", pod.spec.containers[0]), cri::v1::CONTAINER_CREATED)});
  EXPECT_THAT(a.containers_to_start, ElementsAre(0));
  EXPECT_THAT(a.containers_to_kill, IsEmpty());
}

TEST_F(PodActionsTest, NewestContainerOfANameDecides) {
  auto pod = MakePod("Always", {Ctr("a")});
  // Listed oldest first: the running one is the newest.
  auto a = Compute(pod, {Sandbox("s0", true, 0)},
                   {Exited("c0", pod.spec.containers[0], 1, kT0Seconds - 950, kT0Seconds - 990),
                    Running("c1", pod.spec.containers[0], kT0Seconds - 900)});
  EXPECT_FALSE(a.kill_pod);
  EXPECT_THAT(a.containers_to_start, IsEmpty());
}

TEST_F(PodActionsTest, DeletedPodRestartsNothing) {
  auto pod = MakePod("Always", {Ctr("a"), Ctr("b")});
  pod.metadata.deletionTimestamp = "2024-01-01T00:00:00Z";
  auto a =
      Compute(pod, {Sandbox("s0", true, 0)},
              {Running("c1", pod.spec.containers[0]), Exited("c2", pod.spec.containers[1], 1)});
  EXPECT_FALSE(a.kill_pod);  // a still runs; the pod worker kills it on termination
  EXPECT_THAT(a.containers_to_start, IsEmpty());
}

// ---- init containers --------------------------------------------------------------------------

TEST_F(PodActionsTest, InitContainersRunOneAfterAnother) {
  auto pod = MakePod("Always", {Ctr("a")}, {Ctr("i1"), Ctr("i2")});
  const auto& i1 = pod.spec.initContainers[0];
  const auto& i2 = pod.spec.initContainers[1];
  // First init container running: wait.
  auto a = Compute(pod, {Sandbox("s0", true, 0)}, {Running("c1", i1)});
  EXPECT_FALSE(a.kill_pod);
  EXPECT_THAT(a.init_containers_to_start, IsEmpty());
  EXPECT_THAT(a.containers_to_start, IsEmpty());
  // Sandbox ready but nothing started yet: the first one.
  a = Compute(pod, {Sandbox("s0", true, 0)}, {});
  EXPECT_THAT(a.init_containers_to_start, ElementsAre(0));
  // First done: the second.
  a = Compute(pod, {Sandbox("s0", true, 0)}, {Exited("c1", i1, 0)});
  EXPECT_THAT(a.init_containers_to_start, ElementsAre(1));
  EXPECT_THAT(a.containers_to_start, IsEmpty());
  // Both done: the regular containers.
  a = Compute(pod, {Sandbox("s0", true, 0)},
              {Exited("c1", i1, 0, kT0Seconds - 850, kT0Seconds - 900),
               Exited("c2", i2, 0, kT0Seconds - 700, kT0Seconds - 800)});
  EXPECT_THAT(a.init_containers_to_start, IsEmpty());
  EXPECT_THAT(a.containers_to_start, ElementsAre(0));
  // Only the last one's status is left (the first was removed): still initialized.
  a = Compute(pod, {Sandbox("s0", true, 0)}, {Exited("c2", i2, 0)});
  EXPECT_THAT(a.containers_to_start, ElementsAre(0));
}

TEST_F(PodActionsTest, InitializedPodDoesNotRerunRemovedInitContainers) {
  auto pod = MakePod("Always", {Ctr("a")}, {Ctr("i1")});
  auto a = Compute(pod, {Sandbox("s0", true, 0)}, {Running("c1", pod.spec.containers[0])});
  EXPECT_FALSE(a.kill_pod);
  EXPECT_THAT(a.init_containers_to_start, IsEmpty());
  EXPECT_THAT(a.containers_to_start, IsEmpty());
}

TEST_F(PodActionsTest, FailedInitContainerRestartsUnlessNever) {
  for (const std::string policy : {"Always", "OnFailure"}) {
    Backoff fresh;
    auto pod = MakePod(policy, {Ctr("a")}, {Ctr("i1"), Ctr("i2")});
    auto a = ComputePodActions(
        pod, {Sandbox("s0", true, 0)},
        {Exited("c1", pod.spec.initContainers[0], 0, kT0Seconds - 850, kT0Seconds - 900),
         Exited("c2", pod.spec.initContainers[1], 1)},
        {}, fresh, now_);
    EXPECT_FALSE(a.kill_pod) << policy;
    EXPECT_THAT(a.init_containers_to_start, ElementsAre(1)) << policy;
  }
  auto pod = MakePod("Never", {Ctr("a")}, {Ctr("i1")});
  auto a = Compute(pod, {Sandbox("s0", true, 0)}, {Exited("c1", pod.spec.initContainers[0], 1)});
  EXPECT_TRUE(a.kill_pod);
  EXPECT_FALSE(a.create_sandbox);
  EXPECT_THAT(a.init_containers_to_start, IsEmpty());
  EXPECT_THAT(a.containers_to_start, IsEmpty());
}

TEST_F(PodActionsTest, OomKilledInitContainerHasFailed) {
  auto pod = MakePod("Never", {Ctr("a")}, {Ctr("i1")});
  auto s = Exited("c1", pod.spec.initContainers[0], 0);
  s.set_reason("OOMKilled");
  auto a = Compute(pod, {Sandbox("s0", true, 0)}, {s});
  EXPECT_TRUE(a.kill_pod);
}

TEST_F(PodActionsTest, UnknownInitContainerIsKilledAndRestarted) {
  auto pod = MakePod("Always", {Ctr("a")}, {Ctr("i1")});
  auto a =
      Compute(pod, {Sandbox("s0", true, 0)},
              {WithState(Running("c1", pod.spec.initContainers[0]), cri::v1::CONTAINER_UNKNOWN)});
  EXPECT_FALSE(a.kill_pod);
  EXPECT_THAT(a.init_containers_to_start, ElementsAre(0));
  EXPECT_EQ(a.containers_to_kill.at("c1").message,
            "Init container is in \"unknown\" state, try killing it before restart");
}

// ---- sidecars (restartable init containers) ---------------------------------------------------

TEST_F(PodActionsTest, SidecarStartsThenTheNextInitContainer) {
  auto pod = MakePod("Never", {Ctr("a")}, {Ctr("side", "Always"), Ctr("i2")});
  // The sidecar runs: start the next init container; the sidecar is kept.
  auto a = Compute(pod, {Sandbox("s0", true, 0)}, {Running("c1", pod.spec.initContainers[0])});
  EXPECT_FALSE(a.kill_pod);
  EXPECT_THAT(a.init_containers_to_start, ElementsAre(1));
  EXPECT_THAT(a.containers_to_kill, IsEmpty());
  // Both done/running: the regular container.
  a = Compute(pod, {Sandbox("s0", true, 0)},
              {Running("c1", pod.spec.initContainers[0], kT0Seconds - 900),
               Exited("c2", pod.spec.initContainers[1], 0, kT0Seconds - 700, kT0Seconds - 800)});
  EXPECT_THAT(a.init_containers_to_start, IsEmpty());
  EXPECT_THAT(a.containers_to_start, ElementsAre(0));
}

TEST_F(PodActionsTest, SidecarWithStartupProbeHoldsTheNextUntilStarted) {
  auto pod = MakePod("Always", {Ctr("a")}, {Ctr("side", "Always"), Ctr("i2")});
  pod.spec.initContainers[0].startupProbe.emplace();
  auto a = Compute(pod, {Sandbox("s0", true, 0)}, {Running("c1", pod.spec.initContainers[0])});
  EXPECT_THAT(a.init_containers_to_start, IsEmpty());
  ProbeResults probes;
  probes.startup_succeeded = {"c1"};
  a = Compute(pod, {Sandbox("s0", true, 0)}, {Running("c1", pod.spec.initContainers[0])}, probes);
  EXPECT_THAT(a.init_containers_to_start, ElementsAre(1));
  probes = {};
  probes.startup_failed = {"c1"};
  a = Compute(pod, {Sandbox("s0", true, 0)}, {Running("c1", pod.spec.initContainers[0])}, probes);
  EXPECT_THAT(a.init_containers_to_start, ElementsAre(0));
  EXPECT_THAT(
      a.containers_to_kill,
      ElementsAre(Pair("c1", ContainerToKill{"side", "Init container side failed startup probe",
                                             KillReason::kStartupProbe})));
}

TEST_F(PodActionsTest, ExitedSidecarIsRestartedAlongsideRegularContainers) {
  auto pod = MakePod("Never", {Ctr("a")}, {Ctr("side", "Always")});
  auto a = Compute(pod, {Sandbox("s0", true, 0)},
                   {Exited("c1", pod.spec.initContainers[0], 1, kT0Seconds - 100),
                    Running("c2", pod.spec.containers[0], kT0Seconds - 500)});
  EXPECT_FALSE(a.kill_pod);
  EXPECT_THAT(a.init_containers_to_start, ElementsAre(0));
  EXPECT_THAT(a.containers_to_start, IsEmpty());
}

TEST_F(PodActionsTest, SidecarLivenessFailureAndChangeRestartIt) {
  auto pod = MakePod("Always", {Ctr("a")}, {Ctr("side", "Always")});
  pod.spec.initContainers[0].livenessProbe.emplace();
  ProbeResults probes;
  probes.liveness_failed = {"c1"};
  auto a = Compute(pod, {Sandbox("s0", true, 0)},
                   {Running("c1", pod.spec.initContainers[0]),
                    Running("c2", pod.spec.containers[0], kT0Seconds - 500)},
                   probes);
  EXPECT_FALSE(a.kill_pod);
  EXPECT_THAT(a.init_containers_to_start, ElementsAre(0));
  EXPECT_EQ(a.containers_to_kill.at("c1").message, "Init container side failed liveness probe");

  auto old_spec = pod.spec.initContainers[0];
  pod.spec.initContainers[0].image = "busybox:2";
  a = Compute(pod, {Sandbox("s0", true, 0)},
              {Running("c1", old_spec), Running("c2", pod.spec.containers[0], kT0Seconds - 500)});
  EXPECT_THAT(a.init_containers_to_start, ElementsAre(0));
  EXPECT_EQ(a.containers_to_kill.at("c1").message, "Init container side definition changed");
}

TEST_F(PodActionsTest, SidecarsDoNotKeepAFinishedPodAlive) {
  auto pod = MakePod("Never", {Ctr("a")}, {Ctr("side", "Always")});
  auto a = Compute(pod, {Sandbox("s0", true, 0)},
                   {Running("c1", pod.spec.initContainers[0], kT0Seconds - 900),
                    Exited("c2", pod.spec.containers[0], 0, kT0Seconds - 200, kT0Seconds - 500)});
  EXPECT_TRUE(a.kill_pod);
  EXPECT_FALSE(a.create_sandbox);
  EXPECT_THAT(a.init_containers_to_start, IsEmpty());
  EXPECT_THAT(a.containers_to_start, IsEmpty());
}

TEST_F(PodActionsTest, ExitedRegularContainersDoNotCountAsInitialized) {
  // Upstream's reboot workaround: with only exited regular containers the pod is not known to
  // be initialized, so an exited sidecar is started again first (and the pod killed once it
  // runs, as above).
  auto pod = MakePod("Never", {Ctr("a")}, {Ctr("side", "Always")});
  auto a = Compute(pod, {Sandbox("s0", true, 0)},
                   {Exited("c1", pod.spec.initContainers[0], 137, kT0Seconds - 100),
                    Exited("c2", pod.spec.containers[0], 0, kT0Seconds - 200, kT0Seconds - 500)});
  EXPECT_FALSE(a.kill_pod);
  EXPECT_THAT(a.init_containers_to_start, ElementsAre(0));
  EXPECT_THAT(a.containers_to_start, IsEmpty());
}

// ---- back-off ---------------------------------------------------------------------------------

TEST_F(PodActionsTest, CrashLoopBacksOffTenSecondsDoublingToFiveMinutes) {
  auto pod = MakePod("Always", {Ctr("a")});
  const auto& spec = pod.spec.containers[0];
  const std::string key = GetStableKey(pod, spec);
  int64_t t = kT0Seconds;
  const int64_t windows[] = {10, 20, 40, 80, 160, 300, 300};
  for (int64_t window : windows) {
    SCOPED_TRACE(window);
    // The container has just exited (again).
    now_ = Clock::WallTime(seconds(t));
    auto a = Compute(pod, {Sandbox("s0", true, 0)}, {Exited("c", spec, 1, t, t - 1)});
    if (window == 10) {
      // The first failure starts at once and sets the 10 s back-off.
      EXPECT_THAT(a.containers_to_start, ElementsAre(0));
      EXPECT_EQ(backoff_.Get(key), seconds(10));
      continue;
    }
    EXPECT_THAT(a.containers_to_start, IsEmpty());
    EXPECT_FALSE(a.kill_pod);
    EXPECT_EQ(a.backoff.at("a"), "back-off " + FormatGoDuration(backoff_.Get(key)) +
                                     " restarting failed container=a pod=p_ns(uid1)");
    // Still inside the window just before it ends.
    now_ = Clock::WallTime(seconds(t + backoff_.Get(key).count() / 1'000'000'000 - 1));
    a = Compute(pod, {Sandbox("s0", true, 0)}, {Exited("c", spec, 1, t, t - 1)});
    EXPECT_THAT(a.containers_to_start, IsEmpty());
    // Past it: started, and the back-off moves on.
    now_ = Clock::WallTime(seconds(t + backoff_.Get(key).count() / 1'000'000'000));
    a = Compute(pod, {Sandbox("s0", true, 0)}, {Exited("c", spec, 1, t, t - 1)});
    EXPECT_THAT(a.containers_to_start, ElementsAre(0));
    EXPECT_EQ(backoff_.Get(key), seconds(window));
    t += window + 1;
  }
}

TEST_F(PodActionsTest, BackOffMessageAsUpstream) {
  auto pod = MakePod("Always", {Ctr("a"), Ctr("b")});
  const auto& spec = pod.spec.containers[0];
  auto a = Compute(pod, {Sandbox("s0", true, 0)},
                   {Exited("c1", spec, 1, kT0Seconds), Running("c2", pod.spec.containers[1])});
  EXPECT_THAT(a.containers_to_start, ElementsAre(0));
  now_ += seconds(5);
  a = Compute(pod, {Sandbox("s0", true, 0)},
              {Exited("c3", spec, 1, kT0Seconds + 3, kT0Seconds + 1),
               Running("c2", pod.spec.containers[1])});
  EXPECT_THAT(a.containers_to_start, IsEmpty());
  EXPECT_FALSE(a.kill_pod);
  EXPECT_THAT(a.backoff,
              ElementsAre(Pair("a", "back-off 10s restarting failed container=a pod=p_ns(uid1)")));
  // Out of the window: started, the back-off doubles; the next quick failure shows it.
  now_ = Clock::WallTime(seconds(kT0Seconds + 13));
  a = Compute(pod, {Sandbox("s0", true, 0)},
              {Exited("c3", spec, 1, kT0Seconds + 3, kT0Seconds + 1),
               Running("c2", pod.spec.containers[1])});
  EXPECT_THAT(a.containers_to_start, ElementsAre(0));
  EXPECT_THAT(a.backoff, IsEmpty());
  now_ = Clock::WallTime(seconds(kT0Seconds + 15));
  a = Compute(pod, {Sandbox("s0", true, 0)},
              {Exited("c4", spec, 1, kT0Seconds + 14, kT0Seconds + 13),
               Running("c2", pod.spec.containers[1])});
  EXPECT_THAT(a.backoff,
              ElementsAre(Pair("a", "back-off 20s restarting failed container=a pod=p_ns(uid1)")));
}

TEST_F(PodActionsTest, LongRunResetsTheBackOff) {
  auto pod = MakePod("Always", {Ctr("a")});
  const auto& spec = pod.spec.containers[0];
  const std::string key = GetStableKey(pod, spec);
  // Three quick failures: back-off 40 s.
  for (int64_t i = 0; i < 3; ++i) {
    const int64_t failed = kT0Seconds + i * 100;
    now_ = Clock::WallTime(seconds(failed + 50));  // past every window so far
    auto a = Compute(pod, {Sandbox("s0", true, 0)}, {Exited("c", spec, 1, failed, failed - 1)});
    EXPECT_THAT(a.containers_to_start, ElementsAre(0));
  }
  EXPECT_EQ(backoff_.Get(key), seconds(40));
  // Restarted at T; it now fails 11 min later: not in back-off, and the back-off is 10 s again.
  const int64_t started = kT0Seconds + 250;
  const int64_t failed = started + int64_t{11} * 60;
  now_ = Clock::WallTime(seconds(failed + 1));
  auto a = Compute(pod, {Sandbox("s0", true, 0)}, {Exited("c", spec, 1, failed, started)});
  EXPECT_THAT(a.containers_to_start, ElementsAre(0));
  EXPECT_EQ(backoff_.Get(key), seconds(10));
}

TEST_F(PodActionsTest, ChangedSpecGetsAFreshBackOff) {
  auto pod = MakePod("Always", {Ctr("a")});
  auto old_spec = pod.spec.containers[0];
  for (int i = 0; i < 4; ++i) backoff_.Next(GetStableKey(pod, old_spec), now_, now_);
  pod.spec.containers[0].image = "busybox:2";
  auto a = Compute(pod, {Sandbox("s0", true, 0)}, {Exited("c", old_spec, 1, kT0Seconds)});
  EXPECT_THAT(a.containers_to_start, ElementsAre(0));
  EXPECT_THAT(a.backoff, IsEmpty());
}

TEST_F(PodActionsTest, InitContainerInBackOffHoldsEverythingAfterIt) {
  auto pod = MakePod("Always", {Ctr("a")}, {Ctr("i1")});
  const auto& i1 = pod.spec.initContainers[0];
  backoff_.Next(GetStableKey(pod, i1), now_, now_);
  auto a = Compute(pod, {Sandbox("s0", true, 0)}, {Exited("c1", i1, 1, kT0Seconds - 2)});
  EXPECT_FALSE(a.kill_pod);
  EXPECT_THAT(a.init_containers_to_start, IsEmpty());
  EXPECT_THAT(a.backoff, ElementsAre(Pair(
                             "i1", "back-off 10s restarting failed container=i1 pod=p_ns(uid1)")));
}

TEST_F(PodActionsTest, SidecarInBackOffIsSkippedOthersStart) {
  auto pod = MakePod("Always", {Ctr("a"), Ctr("b")}, {Ctr("side", "Always")});
  const auto& side = pod.spec.initContainers[0];
  backoff_.Next(GetStableKey(pod, side), now_, now_);
  auto a = Compute(pod, {Sandbox("s0", true, 0)},
                   {Exited("c1", side, 1, kT0Seconds - 2, kT0Seconds - 100),
                    Running("c2", pod.spec.containers[0], kT0Seconds - 500),
                    Exited("c3", pod.spec.containers[1], 0, kT0Seconds - 300, kT0Seconds - 400)});
  EXPECT_FALSE(a.kill_pod);
  EXPECT_THAT(a.init_containers_to_start, IsEmpty());
  EXPECT_THAT(a.containers_to_start, ElementsAre(1));
  EXPECT_THAT(a.backoff, ElementsAre(Pair("side", ::testing::HasSubstr("back-off 10s"))));
}

TEST_F(PodActionsTest, NewSandboxStillHonoursTheBackOff) {
  auto pod = MakePod("Always", {Ctr("a")});
  const auto& spec = pod.spec.containers[0];
  backoff_.Next(GetStableKey(pod, spec), now_, now_);
  auto a = Compute(pod, {Sandbox("s0", false, 0)}, {Exited("c1", spec, 1, kT0Seconds - 1)});
  EXPECT_TRUE(a.kill_pod);
  EXPECT_TRUE(a.create_sandbox);
  EXPECT_EQ(a.attempt, 1U);
  EXPECT_THAT(a.containers_to_start, IsEmpty());
  EXPECT_THAT(a.backoff, ElementsAre(Pair("a", ::testing::HasSubstr("back-off 10s"))));
}

TEST(PodActionsHelpersTest, FormatPodAndContainerName) {
  auto pod = MakePod("Always", {Ctr("a")});
  EXPECT_EQ(FormatPod(pod), "p_ns(uid1)");
  cri::v1::ContainerStatus s;
  s.mutable_metadata()->set_name("meta");
  EXPECT_EQ(ContainerName(s), "meta");
  (*s.mutable_labels())[kContainerNameLabel] = "label";
  EXPECT_EQ(ContainerName(s), "label");
  EXPECT_TRUE(IsRestartableInitContainer(Ctr("x", "Always")));
  EXPECT_FALSE(IsRestartableInitContainer(Ctr("x")));
}

}  // namespace
}  // namespace kubepp::kubelet
