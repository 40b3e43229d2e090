#include "kubelet/status/pod_status.h"

#include <gtest/gtest.h>

#include <chrono>

namespace kubepp::kubelet {
namespace {

using std::chrono::seconds;

// 2024-01-02T03:04:05Z
constexpr int64_t kBase = 1704164645;

Clock::WallTime At(int64_t s) { return Clock::WallTime(seconds(s)); }
int64_t Nanos(int64_t s) { return s * 1'000'000'000; }

api::Container MakeContainer(const std::string& name, const std::string& restart_policy = "") {
  return api::Container{.image = "busybox", .name = name, .restartPolicy = restart_policy};
}

api::Pod MakePod(const std::vector<std::string>& names,
                 const std::string& restart_policy = "Always") {
  api::Pod pod;
  pod.metadata.name = "p";
  pod.metadata.namespace_ = "ns";
  pod.metadata.uid = "uid-1";
  pod.spec.restartPolicy = restart_policy;
  for (const auto& n : names) pod.spec.containers.push_back(MakeContainer(n));
  return pod;
}

cri::v1::ContainerStatus Running(const std::string& id, int64_t started) {
  cri::v1::ContainerStatus s;
  s.set_id(id);
  s.set_state(cri::v1::CONTAINER_RUNNING);
  s.set_created_at(Nanos(started - 1));
  s.set_started_at(Nanos(started));
  s.mutable_image()->set_image("docker.io/library/busybox:latest");
  s.set_image_ref("sha256:abc");
  return s;
}

cri::v1::ContainerStatus Exited(const std::string& id, int32_t code, const std::string& reason,
                                int64_t started, int64_t finished) {
  cri::v1::ContainerStatus s = Running(id, started);
  s.set_state(cri::v1::CONTAINER_EXITED);
  s.set_exit_code(code);
  s.set_reason(reason);
  s.set_finished_at(Nanos(finished));
  return s;
}

cri::v1::PodSandboxStatus ReadySandbox(const std::string& ip) {
  cri::v1::PodSandboxStatus s;
  s.set_id("sb1");
  s.set_state(cri::v1::SANDBOX_READY);
  s.mutable_network()->set_ip(ip);
  return s;
}

ContainerRuntimeState RunningReady(const std::string& name, const std::string& id) {
  return ContainerRuntimeState{
      .name = name, .current = Running(id, kBase), .started = true, .ready = true};
}

const api::PodCondition& Condition(const api::PodStatus& s, const std::string& type) {
  for (const auto& c : s.conditions) {
    if (c.type == type) return c;
  }
  ADD_FAILURE() << "no condition " << type;
  static api::PodCondition none;
  return none;
}

TEST(PodStatusTest, PendingWithContainerCreating) {
  api::Pod pod = MakePod({"app"});
  PodRuntimeState state;
  state.host_ips = {"198.18.255.1"};
  api::PodStatus s = GeneratePodStatus(pod, state, At(kBase));

  EXPECT_EQ(s.phase, "Pending");
  ASSERT_EQ(s.containerStatuses.size(), 1u);
  const auto& cs = s.containerStatuses[0];
  EXPECT_EQ(cs.name, "app");
  EXPECT_EQ(cs.image, "busybox");
  ASSERT_TRUE(cs.state && cs.state->waiting);
  EXPECT_EQ(cs.state->waiting->reason, "ContainerCreating");
  EXPECT_FALSE(cs.ready);
  EXPECT_EQ(cs.started, false);
  EXPECT_EQ(s.startTime, "2024-01-02T03:04:05Z");
  EXPECT_EQ(s.hostIP, "198.18.255.1");
  ASSERT_EQ(s.hostIPs.size(), 1u);
  EXPECT_EQ(s.qosClass, "BestEffort");
  EXPECT_TRUE(s.podIP.empty());

  EXPECT_EQ(Condition(s, "PodReadyToStartContainers").status, "False");
  EXPECT_EQ(Condition(s, "Initialized").status, "True");
  EXPECT_EQ(Condition(s, "Ready").status, "False");
  EXPECT_EQ(Condition(s, "Ready").reason, "ContainersNotReady");
  EXPECT_EQ(Condition(s, "Ready").message, "containers with unready status: [app]");
  EXPECT_EQ(Condition(s, "ContainersReady").status, "False");
  EXPECT_EQ(Condition(s, "PodScheduled").status, "True");
  EXPECT_EQ(Condition(s, "Ready").lastTransitionTime, "2024-01-02T03:04:05Z");
  // Upstream's order of the kubelet's conditions.
  ASSERT_EQ(s.conditions.size(), 5u);
  EXPECT_EQ(s.conditions[0].type, "PodReadyToStartContainers");
  EXPECT_EQ(s.conditions[1].type, "Initialized");
  EXPECT_EQ(s.conditions[2].type, "Ready");
  EXPECT_EQ(s.conditions[3].type, "ContainersReady");
  EXPECT_EQ(s.conditions[4].type, "PodScheduled");
}

TEST(PodStatusTest, WaitingReasonFromTheKubelet) {
  api::Pod pod = MakePod({"app"});
  PodRuntimeState state;
  state.containers.push_back(
      {.name = "app", .waiting_reason = "ErrImagePull", .waiting_message = "pull access denied"});
  api::PodStatus s = GeneratePodStatus(pod, state, At(kBase));
  ASSERT_TRUE(s.containerStatuses[0].state->waiting);
  EXPECT_EQ(s.containerStatuses[0].state->waiting->reason, "ErrImagePull");
  EXPECT_EQ(s.containerStatuses[0].state->waiting->message, "pull access denied");
  EXPECT_EQ(s.phase, "Pending");
}

TEST(PodStatusTest, RunningAndReady) {
  api::Pod pod = MakePod({"b", "a"});
  PodRuntimeState state;
  state.sandbox = ReadySandbox("198.18.0.5");
  state.containers = {RunningReady("b", "c2"), RunningReady("a", "c1")};
  state.host_ips = {"198.18.255.1"};
  api::PodStatus s = GeneratePodStatus(pod, state, At(kBase + 10));

  EXPECT_EQ(s.phase, "Running");
  EXPECT_EQ(s.podIP, "198.18.0.5");
  ASSERT_EQ(s.podIPs.size(), 1u);
  EXPECT_EQ(s.podIPs[0].ip, "198.18.0.5");
  // Regular container statuses are sorted by name, as upstream.
  ASSERT_EQ(s.containerStatuses.size(), 2u);
  const auto& a = s.containerStatuses[0];
  EXPECT_EQ(a.name, "a");
  EXPECT_EQ(a.containerID, "containerd://c1");
  EXPECT_EQ(a.image, "docker.io/library/busybox:latest");
  EXPECT_EQ(a.imageID, "sha256:abc");
  ASSERT_TRUE(a.state && a.state->running);
  EXPECT_EQ(a.state->running->startedAt, "2024-01-02T03:04:05Z");
  EXPECT_TRUE(a.ready);
  EXPECT_EQ(a.started, true);
  EXPECT_FALSE(a.lastState);
  for (const char* type :
       {"PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"}) {
    EXPECT_EQ(Condition(s, type).status, "True") << type;
  }

  PodStatusOptions cri_o{.runtime_name = "cri-o"};
  EXPECT_EQ(GeneratePodStatus(pod, state, At(kBase), cri_o).containerStatuses[0].containerID,
            "cri-o://c1");
}

TEST(PodStatusTest, NotReadyListsContainersInSpecOrder) {
  api::Pod pod = MakePod({"web", "app", "db"});
  PodRuntimeState state;
  state.sandbox = ReadySandbox("198.18.0.5");
  state.containers = {RunningReady("web", "c1"), RunningReady("app", "c2"),
                      RunningReady("db", "c3")};
  state.containers[0].ready = false;
  state.containers[2].started = false;  // startup probe not passed yet: not ready either
  api::PodStatus s = GeneratePodStatus(pod, state, At(kBase));
  EXPECT_EQ(s.phase, "Running");
  const auto& ready = Condition(s, "Ready");
  EXPECT_EQ(ready.status, "False");
  EXPECT_EQ(ready.reason, "ContainersNotReady");
  EXPECT_EQ(ready.message, "containers with unready status: [web db]");
  EXPECT_EQ(Condition(s, "ContainersReady").message, ready.message);
  EXPECT_EQ(s.containerStatuses[1].name, "db");
  EXPECT_EQ(s.containerStatuses[1].started, false);
  EXPECT_FALSE(s.containerStatuses[1].ready);
}

TEST(PodStatusTest, CompletedWithNeverSucceeds) {
  api::Pod pod = MakePod({"job"}, "Never");
  PodRuntimeState state;
  state.sandbox = ReadySandbox("198.18.0.5");
  state.containers.push_back(
      {.name = "job", .current = Exited("c1", 0, "Completed", kBase, kBase + 3)});
  api::PodStatus s = GeneratePodStatus(pod, state, At(kBase + 5));

  EXPECT_EQ(s.phase, "Succeeded");
  const auto& t = s.containerStatuses[0].state->terminated;
  ASSERT_TRUE(t);
  EXPECT_EQ(t->exitCode, 0);
  EXPECT_EQ(t->reason, "Completed");
  EXPECT_EQ(t->startedAt, "2024-01-02T03:04:05Z");
  EXPECT_EQ(t->finishedAt, "2024-01-02T03:04:08Z");
  EXPECT_EQ(t->containerID, "containerd://c1");
  EXPECT_FALSE(s.containerStatuses[0].ready);
  EXPECT_EQ(Condition(s, "Ready").reason, "PodCompleted");
  EXPECT_EQ(Condition(s, "ContainersReady").reason, "PodCompleted");
  EXPECT_EQ(Condition(s, "Initialized").reason, "PodCompleted");
  EXPECT_EQ(Condition(s, "Initialized").status, "True");
}

TEST(PodStatusTest, FailedWithNever) {
  api::Pod pod = MakePod({"job"}, "Never");
  PodRuntimeState state;
  state.containers.push_back(
      {.name = "job",
       .current = Exited("c1", 2, "Error", kBase, kBase + 1),
       .waiting_reason = "CrashLoopBackOff"});  // ignored: Never does not restart
  api::PodStatus s = GeneratePodStatus(pod, state, At(kBase + 5));
  EXPECT_EQ(s.phase, "Failed");
  ASSERT_TRUE(s.containerStatuses[0].state->terminated);
  EXPECT_EQ(s.containerStatuses[0].state->terminated->exitCode, 2);
  EXPECT_EQ(s.containerStatuses[0].state->terminated->reason, "Error");
  EXPECT_EQ(Condition(s, "Ready").reason, "PodFailed");
  EXPECT_EQ(Condition(s, "ContainersReady").reason, "PodFailed");
}

TEST(PodStatusTest, OomKilled) {
  api::Pod pod = MakePod({"hog"}, "Never");
  PodRuntimeState state;
  state.containers.push_back(
      {.name = "hog", .current = Exited("c1", 137, "OOMKilled", kBase, kBase + 1)});
  api::PodStatus s = GeneratePodStatus(pod, state, At(kBase + 5));
  EXPECT_EQ(s.phase, "Failed");
  EXPECT_EQ(s.containerStatuses[0].state->terminated->reason, "OOMKilled");
  EXPECT_EQ(s.containerStatuses[0].state->terminated->exitCode, 137);
}

TEST(PodStatusTest, OnFailureBackOffIsRunningWithCrashLoopBackOff) {
  api::Pod pod = MakePod({"app"}, "OnFailure");
  PodRuntimeState state;
  state.sandbox = ReadySandbox("198.18.0.5");
  state.containers.push_back(
      {.name = "app",
       .current = Exited("c2", 1, "Error", kBase + 10, kBase + 11),
       .previous = Exited("c1", 1, "Error", kBase, kBase + 1),
       .restart_count = 1,
       .waiting_reason = "CrashLoopBackOff",
       .waiting_message = "back-off 10s restarting failed container=app pod=p_ns(uid-1)"});
  api::PodStatus s = GeneratePodStatus(pod, state, At(kBase + 12));

  EXPECT_EQ(s.phase, "Running");
  const auto& cs = s.containerStatuses[0];
  ASSERT_TRUE(cs.state && cs.state->waiting);
  EXPECT_EQ(cs.state->waiting->reason, "CrashLoopBackOff");
  EXPECT_EQ(cs.state->waiting->message,
            "back-off 10s restarting failed container=app pod=p_ns(uid-1)");
  // The newest attempt becomes the last state.
  ASSERT_TRUE(cs.lastState && cs.lastState->terminated);
  EXPECT_EQ(cs.lastState->terminated->containerID, "containerd://c2");
  EXPECT_EQ(cs.lastState->terminated->exitCode, 1);
  EXPECT_EQ(cs.restartCount, 1);
  EXPECT_EQ(cs.containerID, "containerd://c2");
  EXPECT_FALSE(cs.ready);
}

TEST(PodStatusTest, AlwaysRestartingShowsPreviousAsLastState) {
  api::Pod pod = MakePod({"app"});
  PodRuntimeState state;
  state.sandbox = ReadySandbox("198.18.0.5");
  state.containers.push_back({.name = "app",
                              .current = Running("c2", kBase + 10),
                              .previous = Exited("c1", 0, "Completed", kBase, kBase + 1),
                              .restart_count = 1,
                              .started = true,
                              .ready = true});
  api::PodStatus s = GeneratePodStatus(pod, state, At(kBase + 12));
  EXPECT_EQ(s.phase, "Running");
  const auto& cs = s.containerStatuses[0];
  ASSERT_TRUE(cs.state->running);
  ASSERT_TRUE(cs.lastState && cs.lastState->terminated);
  EXPECT_EQ(cs.lastState->terminated->reason, "Completed");
  EXPECT_EQ(cs.restartCount, 1);
}

TEST(PodStatusTest, InitContainerRunningThenDone) {
  api::Pod pod = MakePod({"app"});
  pod.spec.initContainers.push_back(MakeContainer("init"));
  PodRuntimeState state;
  state.sandbox = ReadySandbox("198.18.0.5");
  state.init_containers.push_back(
      {.name = "init", .current = Running("i1", kBase), .started = true, .ready = true});
  api::PodStatus s = GeneratePodStatus(pod, state, At(kBase + 1));

  EXPECT_EQ(s.phase, "Pending");
  const auto& init = Condition(s, "Initialized");
  EXPECT_EQ(init.status, "False");
  EXPECT_EQ(init.reason, "ContainersNotInitialized");
  EXPECT_EQ(init.message, "containers with incomplete status: [init]");
  ASSERT_EQ(s.initContainerStatuses.size(), 1u);
  EXPECT_FALSE(s.initContainerStatuses[0].ready);  // a regular init container is ready when done
  // Regular containers wait for the init containers.
  EXPECT_EQ(s.containerStatuses[0].state->waiting->reason, "PodInitializing");

  // Done: Initialized, the app container is being created.
  state.init_containers[0].current = Exited("i1", 0, "Completed", kBase, kBase + 2);
  pod.status = s;
  api::PodStatus s2 = GeneratePodStatus(pod, state, At(kBase + 3));
  EXPECT_EQ(Condition(s2, "Initialized").status, "True");
  EXPECT_EQ(Condition(s2, "Initialized").lastTransitionTime, "2024-01-02T03:04:08Z");
  EXPECT_TRUE(s2.initContainerStatuses[0].ready);
  EXPECT_EQ(s2.phase, "Pending");

  state.containers.push_back(RunningReady("app", "c1"));
  pod.status = s2;
  api::PodStatus s3 = GeneratePodStatus(pod, state, At(kBase + 4));
  EXPECT_EQ(s3.phase, "Running");
  EXPECT_EQ(Condition(s3, "Ready").status, "True");
  EXPECT_EQ(Condition(s3, "Initialized").lastTransitionTime, "2024-01-02T03:04:08Z");
}

TEST(PodStatusTest, FailedInitContainerWithNeverFailsThePod) {
  api::Pod pod = MakePod({"app"}, "Never");
  pod.spec.initContainers.push_back(MakeContainer("init"));
  PodRuntimeState state;
  state.init_containers.push_back(
      {.name = "init", .current = Exited("i1", 1, "Error", kBase, kBase + 1)});
  api::PodStatus s = GeneratePodStatus(pod, state, At(kBase + 2));
  EXPECT_EQ(s.phase, "Failed");
  EXPECT_EQ(Condition(s, "Initialized").status, "False");
  EXPECT_EQ(Condition(s, "Initialized").message, "containers with incomplete status: [init]");
}

TEST(PodStatusTest, FailedInitContainerInBackOffIsPending) {
  api::Pod pod = MakePod({"app"});
  pod.spec.initContainers.push_back(MakeContainer("init"));
  PodRuntimeState state;
  state.init_containers.push_back({.name = "init",
                                   .current = Exited("i1", 1, "Error", kBase, kBase + 1),
                                   .restart_count = 0,
                                   .waiting_reason = "CrashLoopBackOff"});
  api::PodStatus s = GeneratePodStatus(pod, state, At(kBase + 2));
  EXPECT_EQ(s.phase, "Pending");
  EXPECT_EQ(s.initContainerStatuses[0].state->waiting->reason, "CrashLoopBackOff");
  EXPECT_EQ(s.initContainerStatuses[0].lastState->terminated->exitCode, 1);
}

TEST(PodStatusTest, SidecarInitContainer) {
  api::Pod pod = MakePod({"app"});
  pod.spec.initContainers.push_back(MakeContainer("proxy", "Always"));
  PodRuntimeState state;
  state.sandbox = ReadySandbox("198.18.0.5");
  // Running but its startup probe has not passed: the pod is still initializing.
  state.init_containers.push_back({.name = "proxy", .current = Running("s1", kBase)});
  api::PodStatus s = GeneratePodStatus(pod, state, At(kBase + 1));
  EXPECT_EQ(s.phase, "Pending");
  EXPECT_EQ(Condition(s, "Initialized").status, "False");
  EXPECT_EQ(Condition(s, "Initialized").message, "containers with incomplete status: [proxy]");

  // Started: initialized; both run; readiness of the sidecar counts for the pod's.
  state.init_containers[0].started = true;
  state.containers.push_back(RunningReady("app", "c1"));
  api::PodStatus s2 = GeneratePodStatus(pod, state, At(kBase + 2));
  EXPECT_EQ(s2.phase, "Running");
  EXPECT_EQ(Condition(s2, "Initialized").status, "True");
  EXPECT_EQ(Condition(s2, "Ready").status, "False");
  EXPECT_EQ(Condition(s2, "Ready").message, "containers with unready status: [proxy]");
  state.init_containers[0].ready = true;
  api::PodStatus s3 = GeneratePodStatus(pod, state, At(kBase + 3));
  EXPECT_EQ(Condition(s3, "Ready").status, "True");
  EXPECT_TRUE(s3.initContainerStatuses[0].ready);

  // The sidecar restarting after the app started does not send the pod back to Pending.
  state.init_containers[0] = {.name = "proxy", .current = Running("s2", kBase + 4)};
  api::PodStatus s4 = GeneratePodStatus(pod, state, At(kBase + 5));
  EXPECT_EQ(s4.phase, "Running");
  EXPECT_EQ(Condition(s4, "Initialized").status, "True");

  // Never pod: the app completing while the sidecar stopped makes it Succeeded.
  pod.spec.restartPolicy = "Never";
  state.containers[0] = {.name = "app", .current = Exited("c1", 0, "Completed", kBase, kBase + 6)};
  state.init_containers[0] = {.name = "proxy",
                              .current = Exited("s2", 137, "Error", kBase + 4, kBase + 7)};
  api::PodStatus s5 = GeneratePodStatus(pod, state, At(kBase + 8));
  EXPECT_EQ(s5.phase, "Succeeded");
}

TEST(PodStatusTest, TerminalPhaseStays) {
  api::Pod pod = MakePod({"job"}, "Never");
  pod.status.phase = "Succeeded";
  pod.status.reason = "Done";
  PodRuntimeState state;  // the containers are gone
  api::PodStatus s = GeneratePodStatus(pod, state, At(kBase));
  EXPECT_EQ(s.phase, "Succeeded");
  EXPECT_EQ(s.reason, "Done");
}

TEST(PodStatusTest, TransitionTimesAndStartTimeKept) {
  api::Pod pod = MakePod({"app"});
  PodRuntimeState state;
  state.sandbox = ReadySandbox("198.18.0.5");
  state.containers = {RunningReady("app", "c1")};
  pod.status = GeneratePodStatus(pod, state, At(kBase));
  EXPECT_EQ(Condition(pod.status, "Ready").lastTransitionTime, "2024-01-02T03:04:05Z");

  // Same statuses later: same times, equal statuses.
  api::PodStatus later = GeneratePodStatus(pod, state, At(kBase + 60));
  EXPECT_EQ(Condition(later, "Ready").lastTransitionTime, "2024-01-02T03:04:05Z");
  EXPECT_EQ(later.startTime, "2024-01-02T03:04:05Z");
  EXPECT_TRUE(PodStatusEqual(pod.status, later));
  EXPECT_EQ(pod.status, later);

  // Readiness lost: Ready and ContainersReady move, the others stay.
  state.containers[0].ready = false;
  api::PodStatus unready = GeneratePodStatus(pod, state, At(kBase + 120));
  EXPECT_EQ(Condition(unready, "Ready").lastTransitionTime, "2024-01-02T03:06:05Z");
  EXPECT_EQ(Condition(unready, "ContainersReady").lastTransitionTime, "2024-01-02T03:06:05Z");
  EXPECT_EQ(Condition(unready, "Initialized").lastTransitionTime, "2024-01-02T03:04:05Z");
  EXPECT_FALSE(PodStatusEqual(pod.status, unready));
}

TEST(PodStatusTest, PodIpsFromTheSandbox) {
  api::Pod pod = MakePod({"app"});
  PodRuntimeState state;
  state.sandbox = ReadySandbox("fd00::5");
  state.sandbox->mutable_network()->add_additional_ips()->set_ip("198.18.0.5");
  state.sandbox->mutable_network()->add_additional_ips()->set_ip("198.18.0.6");
  state.host_ips = {"198.18.255.1", "fd00::1"};
  api::PodStatus s = GeneratePodStatus(pod, state, At(kBase));
  // The node's family first, then one of the other.
  EXPECT_EQ(s.podIP, "198.18.0.5");
  ASSERT_EQ(s.podIPs.size(), 2u);
  EXPECT_EQ(s.podIPs[1].ip, "fd00::5");
  ASSERT_EQ(s.hostIPs.size(), 2u);
  EXPECT_EQ(s.hostIPs[1].ip, "fd00::1");
  EXPECT_EQ(Condition(s, "PodReadyToStartContainers").status, "True");

  // A sandbox that is not ready gives no IPs.
  state.sandbox->set_state(cri::v1::SANDBOX_NOTREADY);
  api::PodStatus s2 = GeneratePodStatus(pod, state, At(kBase));
  EXPECT_TRUE(s2.podIP.empty());
  EXPECT_EQ(Condition(s2, "PodReadyToStartContainers").status, "False");
}

TEST(PodStatusTest, HostNetworkPodGetsTheNodeIp) {
  api::Pod pod = MakePod({"app"});
  pod.spec.hostNetwork = true;
  PodRuntimeState state;
  state.sandbox = ReadySandbox("");
  state.sandbox->mutable_linux()->mutable_namespaces()->mutable_options()->set_network(
      cri::v1::NODE);
  state.host_ips = {"198.18.255.1"};
  api::PodStatus s = GeneratePodStatus(pod, state, At(kBase));
  EXPECT_EQ(s.podIP, "198.18.255.1");
  EXPECT_EQ(Condition(s, "PodReadyToStartContainers").status, "True");
}

TEST(PodStatusTest, ReadinessGates) {
  api::Pod pod = MakePod({"app"});
  pod.spec.readinessGates = {{.conditionType = "example.com/lb"},
                             {.conditionType = "example.com/dns"}};
  pod.status.conditions.push_back(
      {.lastTransitionTime = "2024-01-01T00:00:00Z", .status = "False", .type = "example.com/lb"});
  PodRuntimeState state;
  state.sandbox = ReadySandbox("198.18.0.5");
  state.containers = {RunningReady("app", "c1")};
  api::PodStatus s = GeneratePodStatus(pod, state, At(kBase));
  const auto& ready = Condition(s, "Ready");
  EXPECT_EQ(ready.status, "False");
  EXPECT_EQ(ready.reason, "ReadinessGatesNotReady");
  EXPECT_EQ(ready.message,
            "the status of pod readiness gate \"example.com/lb\" is not \"True\", but False, "
            "corresponding condition of pod readiness gate \"example.com/dns\" does not exist.");
  EXPECT_EQ(Condition(s, "ContainersReady").status, "True");
  // Others' conditions are kept as they were, first.
  EXPECT_EQ(s.conditions[0].type, "example.com/lb");
  EXPECT_EQ(s.conditions[0].lastTransitionTime, "2024-01-01T00:00:00Z");

  pod.status.conditions[0].status = "True";
  pod.status.conditions.push_back({.status = "True", .type = "example.com/dns"});
  api::PodStatus s2 = GeneratePodStatus(pod, state, At(kBase));
  EXPECT_EQ(Condition(s2, "Ready").status, "True");
}

TEST(PodStatusTest, ContainerGoneAfterRunningIsNotPending) {
  api::Pod pod = MakePod({"app"});
  PodRuntimeState state;
  state.sandbox = ReadySandbox("198.18.0.5");
  state.containers = {RunningReady("app", "c1")};
  pod.status = GeneratePodStatus(pod, state, At(kBase));
  state.containers.clear();  // the runtime lost it
  api::PodStatus s = GeneratePodStatus(pod, state, At(kBase + 1));
  const auto& cs = s.containerStatuses[0];
  ASSERT_TRUE(cs.lastState && cs.lastState->terminated);
  EXPECT_EQ(cs.lastState->terminated->reason, "ContainerStatusUnknown");
  EXPECT_EQ(cs.lastState->terminated->exitCode, 137);
  EXPECT_EQ(cs.restartCount, 1);
  EXPECT_EQ(s.phase, "Running");  // Always: restarting
}

TEST(PodStatusTest, PodStatusEqualIgnoresOthersConditionsAndTimes) {
  api::PodStatus a;
  a.phase = "Running";
  a.conditions = {{.lastTransitionTime = "t1", .status = "True", .type = "Ready"},
                  {.status = "True", .type = "PodScheduled"},
                  {.status = "False", .type = "example.com/gate"}};
  api::PodStatus b = a;
  b.conditions = {{.status = "True", .type = "PodScheduled"},
                  {.lastTransitionTime = "t2", .status = "True", .type = "Ready"}};
  EXPECT_TRUE(PodStatusEqual(a, b));
  b.conditions[1].reason = "X";
  EXPECT_FALSE(PodStatusEqual(a, b));
  b = a;
  b.podIP = "198.18.0.9";
  EXPECT_FALSE(PodStatusEqual(a, b));
  b = a;
  b.conditions.pop_back();
  b.conditions.pop_back();
  EXPECT_FALSE(PodStatusEqual(a, b));  // PodScheduled missing
}

TEST(PodStatusTest, PhaseTable) {
  struct Case {
    const char* policy;
    std::vector<std::optional<cri::v1::ContainerStatus>> containers;
    const char* phase;
  };
  auto ok = Exited("x", 0, "Completed", kBase, kBase + 1);
  auto bad = Exited("y", 1, "Error", kBase, kBase + 1);
  auto run = Running("z", kBase);
  std::vector<Case> cases = {
      {"Always", {ok, bad}, "Running"},    {"OnFailure", {ok, ok}, "Succeeded"},
      {"OnFailure", {ok, bad}, "Running"}, {"Never", {ok, bad}, "Failed"},
      {"Never", {run, bad}, "Running"},    {"Never", {run, std::nullopt}, "Pending"},
      {"Always", {run, run}, "Running"},
  };
  for (const auto& c : cases) {
    api::Pod pod = MakePod({"a", "b"}, c.policy);
    PodRuntimeState state;
    state.containers = {{.name = "a", .current = c.containers[0]},
                        {.name = "b", .current = c.containers[1]}};
    EXPECT_EQ(GeneratePodStatus(pod, state, At(kBase)).phase, c.phase) << c.policy;
  }
  // A terminal pod (being torn down) is Succeeded/Failed whatever the policy.
  api::Pod pod = MakePod({"a"});
  PodRuntimeState state;
  state.containers = {{.name = "a", .current = ok}};
  EXPECT_EQ(GeneratePodStatus(pod, state, At(kBase), {.pod_is_terminal = true}).phase, "Succeeded");
}

TEST(PodStatusTest, QosClassKeptOrComputed) {
  api::Pod pod = MakePod({"app"});
  PodRuntimeState state;
  EXPECT_EQ(GeneratePodStatus(pod, state, At(kBase)).qosClass, "BestEffort");
  pod.status.qosClass = "Guaranteed";
  EXPECT_EQ(GeneratePodStatus(pod, state, At(kBase)).qosClass, "Guaranteed");
}

}  // namespace
}  // namespace kubepp::kubelet
