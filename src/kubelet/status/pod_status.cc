#include "kubelet/status/pod_status.h"

#include <arpa/inet.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <utility>

#include "api/defaults/defaults.h"

namespace kubepp::kubelet {
namespace {

constexpr char kPending[] = "Pending";
constexpr char kRunning[] = "Running";
constexpr char kSucceeded[] = "Succeeded";
constexpr char kFailed[] = "Failed";

constexpr char kPodScheduled[] = "PodScheduled";
constexpr char kPodReady[] = "Ready";
constexpr char kPodInitialized[] = "Initialized";
constexpr char kContainersReady[] = "ContainersReady";
constexpr char kPodReadyToStartContainers[] = "PodReadyToStartContainers";
constexpr char kDisruptionTarget[] = "DisruptionTarget";

constexpr char kTrue[] = "True";
constexpr char kFalse[] = "False";

// Upstream's MaxPodTerminationMessageLogLength, shared by the pod's containers.
constexpr size_t kMaxPodTerminationMessageLength = size_t{12} * 1024;

bool IsTerminalPhase(std::string_view phase) { return phase == kSucceeded || phase == kFailed; }

std::string RestartPolicy(const api::Pod& pod) {
  return pod.spec.restartPolicy.empty() ? "Always" : pod.spec.restartPolicy;
}

// Upstream's kubetypes.IsStaticPod: the pod came from a file or URL, not the API.
bool IsStaticPod(const api::Pod& pod) {
  auto it = pod.metadata.annotations.find("kubernetes.io/config.source");
  return it != pod.metadata.annotations.end() && it->second != "api";
}

bool IsHostNetwork(const api::Pod& pod) { return pod.spec.hostNetwork.value_or(false); }

std::string FormatNanos(int64_t nanos) {
  return FormatRfc3339(Clock::WallTime(
      std::chrono::duration_cast<Clock::WallTime::duration>(std::chrono::nanoseconds(nanos))));
}

// Go's fmt "%s" of a []string: "[a b c]".
std::string GoList(const std::vector<std::string>& names) {
  std::string out = "[";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += ' ';
    out += names[i];
  }
  return out + "]";
}

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += sep;
    out += parts[i];
  }
  return out;
}

const api::ContainerStatus* FindStatus(const std::vector<api::ContainerStatus>& statuses,
                                       std::string_view name) {
  for (const auto& s : statuses) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

const api::PodCondition* FindCondition(const std::vector<api::PodCondition>& conditions,
                                       std::string_view type) {
  for (const auto& c : conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

bool Running(const api::ContainerStatus& s) { return s.state && s.state->running; }
bool Terminated(const api::ContainerStatus& s) { return s.state && s.state->terminated; }
bool Waiting(const api::ContainerStatus& s) { return s.state && s.state->waiting; }
bool LastTerminated(const api::ContainerStatus& s) {
  return s.lastState && s.lastState->terminated;
}

// Upstream's kubecontainer.HasAnyRegularContainerStarted: a regular container is running or
// has terminated.
bool HasAnyRegularContainerStarted(const api::PodSpec& spec,
                                   const std::vector<api::ContainerStatus>& statuses) {
  for (const auto& s : statuses) {
    bool regular = std::any_of(spec.containers.begin(), spec.containers.end(),
                               [&](const api::Container& c) { return c.name == s.name; });
    if (regular && (Running(s) || Terminated(s))) return true;
  }
  return false;
}

// The newest CRI status of a container: `current`, else `previous`.
const cri::v1::ContainerStatus* Newest(const ContainerRuntimeState& c) {
  if (c.current) return &*c.current;
  if (c.previous) return &*c.previous;
  return nullptr;
}

// Upstream's kubecontainer.ShouldContainerBeRestarted.
bool ShouldContainerBeRestarted(const api::Pod& pod, const ContainerRuntimeState* runtime) {
  if (!pod.metadata.deletionTimestamp.empty()) return false;
  const cri::v1::ContainerStatus* newest = runtime ? Newest(*runtime) : nullptr;
  if (newest == nullptr) return true;
  switch (newest->state()) {
    case cri::v1::CONTAINER_RUNNING:
      return false;
    case cri::v1::CONTAINER_EXITED:
      break;
    default:  // created or unknown: always (re)start
      return true;
  }
  std::string policy = RestartPolicy(pod);
  if (policy == "Never") return false;
  if (policy == "OnFailure" && newest->exit_code() == 0) return false;
  return true;
}

// convertContainerStatus: one CRI container to an API status.
api::ContainerStatus ConvertContainerStatus(const api::Container& spec,
                                            const cri::v1::ContainerStatus& cri,
                                            const ContainerRuntimeState& runtime,
                                            const api::ContainerStatus* old,
                                            const PodStatusOptions& options) {
  api::ContainerStatus status;
  status.name = spec.name;
  status.restartCount = runtime.restart_count;
  status.image = cri.image().image().empty() ? spec.image : cri.image().image();
  status.imageID = cri.image_ref();
  std::string id = options.runtime_name + "://" + cri.id();
  status.containerID = id;
  if (old != nullptr) status.volumeMounts = old->volumeMounts;  // immutable
  api::ContainerState state;
  switch (cri.state()) {
    case cri::v1::CONTAINER_RUNNING:
      state.running = api::ContainerStateRunning{.startedAt = FormatNanos(cri.started_at())};
      break;
    case cri::v1::CONTAINER_CREATED:
      state.waiting = api::ContainerStateWaiting{};
      break;
    case cri::v1::CONTAINER_EXITED: {
      api::ContainerStateTerminated t;
      t.exitCode = cri.exit_code();
      t.reason = cri.reason();
      t.message = cri.message();
      t.startedAt = FormatNanos(cri.started_at());
      t.finishedAt = FormatNanos(cri.finished_at());
      t.containerID = id;
      state.terminated = std::move(t);
      break;
    }
    default:
      if (old != nullptr && Running(*old)) {
        // It was running and is gone: terminated, not waiting (a run-once pod must not run
        // twice).
        api::ContainerStateTerminated t;
        t.reason = kReasonContainerStatusUnknown;
        t.message = "The container could not be located when the pod was terminated";
        t.exitCode = 137;
        state.terminated = std::move(t);
        status.restartCount = old->restartCount + 1;
      } else {
        state.waiting = api::ContainerStateWaiting{};
      }
  }
  status.state = std::move(state);
  return status;
}

// convertToAPIContainerStatuses for one list of containers (init or regular).
std::vector<api::ContainerStatus> ConvertContainerStatuses(
    const api::Pod& pod, const std::vector<api::Container>& containers,
    const std::vector<ContainerRuntimeState>& runtime_states,
    const std::vector<api::ContainerStatus>& previous_statuses, bool is_init,
    const PodStatusOptions& options) {
  bool has_init_containers = !pod.spec.initContainers.empty();
  std::map<std::string, const ContainerRuntimeState*> runtime;
  for (const auto& r : runtime_states) runtime[r.name] = &r;
  std::map<std::string, const api::ContainerStatus*> olds;
  for (const auto& s : previous_statuses) olds[s.name] = &s;
  auto find_runtime = [&](const std::string& name) -> const ContainerRuntimeState* {
    auto it = runtime.find(name);
    return it == runtime.end() ? nullptr : it->second;
  };
  auto find_old = [&](const std::string& name) -> const api::ContainerStatus* {
    auto it = olds.find(name);
    return it == olds.end() ? nullptr : it->second;
  };
  const char* default_reason =
      has_init_containers ? kReasonPodInitializing : kReasonContainerCreating;

  // Every container starts waiting, with what the old status knew.
  std::map<std::string, api::ContainerStatus> statuses;
  for (const auto& c : containers) {
    api::ContainerStatus status;
    status.name = c.name;
    status.image = c.image;
    status.state =
        api::ContainerState{.waiting = api::ContainerStateWaiting{.reason = default_reason}};
    for (const auto& m : c.volumeMounts) {
      api::VolumeMountStatus v{.mountPath = m.mountPath, .name = m.name};
      if (m.readOnly.value_or(false)) {
        v.readOnly = true;
        v.recursiveReadOnly = "Disabled";  // the runtime does not report RRO support
      }
      status.volumeMounts.push_back(std::move(v));
    }
    if (const api::ContainerStatus* old = find_old(c.name)) {
      if (Terminated(*old)) {
        status = *old;
      } else {
        status.restartCount = old->restartCount;
        status.lastState = old->lastState;
      }
    }
    statuses[c.name] = std::move(status);
  }

  // A container that was running and has no CRI record any more terminated, even though its
  // exit code is unknown: keeps the pod from going back to Pending.
  for (const auto& c : containers) {
    const ContainerRuntimeState* r = find_runtime(c.name);
    if (r != nullptr && Newest(*r) != nullptr) continue;
    const api::ContainerStatus* old = find_old(c.name);
    if (old == nullptr || Terminated(*old) || !Running(*old)) continue;
    api::ContainerStatus& status = statuses[c.name];
    bool default_waiting = Waiting(status) && status.state->waiting->reason == default_reason;
    if (!default_waiting || LastTerminated(status)) continue;
    api::ContainerStateTerminated t;
    t.reason = kReasonContainerStatusUnknown;
    t.message =
        "The container could not be located when the pod was deleted.  The container used to "
        "be Running";
    t.exitCode = 137;
    status.lastState = api::ContainerState{.terminated = std::move(t)};
    if (pod.metadata.deletionTimestamp.empty()) status.restartCount += 1;
  }

  // The newest CRI container gives the state, the one before it the last state.
  for (const auto& c : containers) {
    const ContainerRuntimeState* r = find_runtime(c.name);
    if (r == nullptr) continue;
    const api::ContainerStatus* old = find_old(c.name);
    std::vector<const cri::v1::ContainerStatus*> attempts;
    if (r->current) attempts.push_back(&*r->current);
    if (r->previous) attempts.push_back(&*r->previous);
    for (size_t i = 0; i < attempts.size(); ++i) {
      api::ContainerStatus status = ConvertContainerStatus(c, *attempts[i], *r, old, options);
      if (i == 0) {
        statuses[c.name] = std::move(status);
      } else {
        statuses[c.name].lastState = std::move(status.state);
      }
    }
  }

  // A container the kubelet will (re)start but could not: waiting with the cached reason.
  for (const auto& c : containers) {
    const ContainerRuntimeState* r = find_runtime(c.name);
    const cri::v1::ContainerStatus* newest = r ? Newest(*r) : nullptr;
    if (is_init && newest != nullptr && newest->state() == cri::v1::CONTAINER_EXITED &&
        newest->exit_code() == 0) {
      continue;  // a completed init container is not run again
    }
    if (!ShouldContainerBeRestarted(pod, r)) continue;
    if (r == nullptr || r->waiting_reason.empty()) continue;
    api::ContainerStatus& status = statuses[c.name];
    if (Terminated(status)) status.lastState = status.state;
    status.state =
        api::ContainerState{.waiting = api::ContainerStateWaiting{.message = r->waiting_message,
                                                                  .reason = r->waiting_reason}};
  }

  // The probe manager's started and ready.
  for (const auto& c : containers) {
    api::ContainerStatus& status = statuses[c.name];
    const ContainerRuntimeState* r = find_runtime(c.name);
    bool started = Running(status) && r != nullptr && r->started;
    status.started = started;
    if (is_init && !IsRestartableInitContainer(c)) {
      status.ready = Terminated(status) && status.state->terminated->exitCode == 0;
      continue;
    }
    status.ready = started && r->ready;
  }

  std::vector<api::ContainerStatus> out;
  out.reserve(containers.size());
  for (const auto& c : containers) out.push_back(std::move(statuses[c.name]));
  if (!is_init) {
    std::stable_sort(out.begin(), out.end(),
                     [](const auto& a, const auto& b) { return a.name < b.name; });
  }
  return out;
}

// Upstream's determinePodSandboxIPs + sortPodIPs: the sandbox's first IP of the node's family,
// then the first of the other family.
bool IsIpv4(const std::string& ip) {
  in_addr a{};
  return inet_pton(AF_INET, ip.c_str(), &a) == 1;
}
bool IsIpv6(const std::string& ip) {
  in6_addr a{};
  return inet_pton(AF_INET6, ip.c_str(), &a) == 1;
}

std::vector<std::string> PodIps(const PodRuntimeState& state) {
  std::vector<std::string> ips;
  if (!state.sandbox || state.sandbox->state() != cri::v1::SANDBOX_READY ||
      !state.sandbox->has_network()) {
    return {};
  }
  const auto& network = state.sandbox->network();
  if (!network.ip().empty()) ips.push_back(network.ip());
  for (const auto& ip : network.additional_ips()) {
    if (!ip.ip().empty()) ips.push_back(ip.ip());
  }
  bool v6_first = !state.host_ips.empty() && IsIpv6(state.host_ips.front());
  auto primary = v6_first ? IsIpv6 : IsIpv4;
  auto secondary = v6_first ? IsIpv4 : IsIpv6;
  std::vector<std::string> sorted;
  for (const auto& ip : ips) {
    if (primary(ip)) {
      sorted.push_back(ip);
      break;
    }
  }
  for (const auto& ip : ips) {
    if (secondary(ip)) {
      sorted.push_back(ip);
      break;
    }
  }
  return sorted;
}

bool SameFamily(const std::string& a, const std::string& b) { return IsIpv4(a) == IsIpv4(b); }

// The status manager's normalizeStatus: termination messages cut to the pod's share.
void NormalizeMessages(const api::Pod& pod, api::PodStatus& status) {
  size_t containers = pod.spec.containers.size() + pod.spec.initContainers.size() +
                      pod.spec.ephemeralContainers.size();
  size_t per_status = kMaxPodTerminationMessageLength / std::max<size_t>(containers, 1);
  auto cut = [&](std::optional<api::ContainerState>& s) {
    if (s && s->terminated && s->terminated->message.size() > per_status) {
      s->terminated->message.resize(per_status);
    }
  };
  for (auto* list : {&status.containerStatuses, &status.initContainerStatuses,
                     &status.ephemeralContainerStatuses}) {
    for (auto& cs : *list) {
      cut(cs.state);
      cut(cs.lastState);
    }
  }
}

}  // namespace

bool IsRestartableInitContainer(const api::Container& container) {
  return container.restartPolicy == "Always";
}

bool PodConditionByKubelet(std::string_view type) {
  return type == kPodScheduled || type == kPodReady || type == kPodInitialized ||
         type == kContainersReady || type == kPodReadyToStartContainers;
}

std::string GetPodPhase(const api::Pod& pod, const std::vector<api::ContainerStatus>& statuses,
                        bool pod_is_terminal) {
  const api::PodSpec& spec = pod.spec;
  int pending_restartable_init = 0;
  int pending_regular_init = 0;
  int failed_initialization = 0;
  for (const auto& c : spec.initContainers) {
    if (IsRestartableInitContainer(c)) continue;
    const api::ContainerStatus* s = FindStatus(statuses, c.name);
    if (s == nullptr || Running(*s)) {
      ++pending_regular_init;
    } else if (Terminated(*s)) {
      if (s->state->terminated->exitCode != 0) ++failed_initialization;
    } else if (Waiting(*s)) {
      if (LastTerminated(*s)) {
        if (s->lastState->terminated->exitCode != 0) ++failed_initialization;
      } else {
        ++pending_regular_init;
      }
    } else {
      ++pending_regular_init;
    }
  }

  int unknown = 0;
  int running = 0;
  int waiting = 0;
  int stopped = 0;
  int succeeded = 0;
  for (const auto& c : spec.initContainers) {
    if (!IsRestartableInitContainer(c)) continue;
    const api::ContainerStatus* s = FindStatus(statuses, c.name);
    if (s == nullptr) {
      ++unknown;
    } else if (Running(*s)) {
      if (!s->started.value_or(false)) ++pending_restartable_init;
      ++running;
    } else if (Terminated(*s)) {
      // A stopped sidecar does not count for the phase.
    } else if (Waiting(*s)) {
      if (!LastTerminated(*s)) {
        ++pending_restartable_init;
        ++waiting;
      }
    } else {
      ++pending_restartable_init;
      ++unknown;
    }
  }
  for (const auto& c : spec.containers) {
    const api::ContainerStatus* s = FindStatus(statuses, c.name);
    if (s == nullptr) {
      ++unknown;
    } else if (Running(*s)) {
      ++running;
    } else if (Terminated(*s)) {
      ++stopped;
      if (s->state->terminated->exitCode == 0) ++succeeded;
    } else if (Waiting(*s)) {
      if (LastTerminated(*s)) {
        ++stopped;
      } else {
        ++waiting;
      }
    } else {
      ++unknown;
    }
  }

  std::string policy = RestartPolicy(pod);
  if (failed_initialization > 0 && policy == "Never") return kFailed;
  if (pending_regular_init > 0 ||
      (pending_restartable_init > 0 && !HasAnyRegularContainerStarted(spec, statuses)) ||
      waiting > 0) {
    return kPending;
  }
  if (running > 0 && unknown == 0) return kRunning;
  if (running == 0 && stopped > 0 && unknown == 0) {
    if (pod_is_terminal && !IsStaticPod(pod)) return stopped == succeeded ? kSucceeded : kFailed;
    if (policy == "Always") return kRunning;
    if (stopped == succeeded) return kSucceeded;
    if (policy == "Never") return kFailed;
    return kRunning;  // OnFailure, restarting the failed ones
  }
  return kPending;
}

api::PodCondition GenerateContainersReadyCondition(
    const api::Pod& pod, const std::vector<api::ContainerStatus>& statuses,
    std::string_view phase) {
  std::vector<std::string> unknown;
  std::vector<std::string> unready;
  auto check = [&](const api::Container& c) {
    const api::ContainerStatus* s = FindStatus(statuses, c.name);
    if (s == nullptr) {
      unknown.push_back(c.name);
    } else if (!s->ready) {
      unready.push_back(c.name);
    }
  };
  for (const auto& c : pod.spec.initContainers) {
    if (IsRestartableInitContainer(c)) check(c);
  }
  for (const auto& c : pod.spec.containers) check(c);

  api::PodCondition condition{.status = kFalse, .type = kContainersReady};
  if ((phase == kSucceeded && unknown.empty()) || phase == kFailed) {
    condition.reason = phase == kFailed ? kReasonPodFailed : kReasonPodCompleted;
    return condition;
  }
  std::vector<std::string> messages;
  if (!unknown.empty()) messages.push_back("containers with unknown status: " + GoList(unknown));
  if (!unready.empty()) messages.push_back("containers with unready status: " + GoList(unready));
  if (!messages.empty()) {
    condition.reason = kReasonContainersNotReady;
    condition.message = Join(messages, ", ");
    return condition;
  }
  condition.status = kTrue;
  return condition;
}

api::PodCondition GeneratePodReadyCondition(const api::Pod& pod,
                                            const std::vector<api::PodCondition>& conditions,
                                            const std::vector<api::ContainerStatus>& statuses,
                                            std::string_view phase) {
  api::PodCondition containers_ready = GenerateContainersReadyCondition(pod, statuses, phase);
  api::PodCondition condition{.status = containers_ready.status, .type = kPodReady};
  if (containers_ready.status != kTrue) {
    condition.reason = containers_ready.reason;
    condition.message = containers_ready.message;
    return condition;
  }
  std::vector<std::string> messages;
  for (const auto& gate : pod.spec.readinessGates) {
    const api::PodCondition* c = FindCondition(conditions, gate.conditionType);
    if (c == nullptr) {
      messages.push_back("corresponding condition of pod readiness gate \"" + gate.conditionType +
                         "\" does not exist.");
    } else if (c->status != kTrue) {
      messages.push_back("the status of pod readiness gate \"" + gate.conditionType +
                         R"(" is not "True", but )" + c->status);
    }
  }
  if (!messages.empty()) {
    condition.status = kFalse;
    condition.reason = kReasonReadinessGatesNotReady;
    condition.message = Join(messages, ", ");
  }
  return condition;
}

api::PodCondition GeneratePodInitializedCondition(const api::Pod& pod,
                                                  const std::vector<api::ContainerStatus>& statuses,
                                                  std::string_view phase) {
  api::PodCondition condition{.status = kTrue, .type = kPodInitialized};
  std::vector<std::string> unknown;
  std::vector<std::string> incomplete;
  for (const auto& c : pod.spec.initContainers) {
    const api::ContainerStatus* s = FindStatus(statuses, c.name);
    if (s == nullptr) {
      unknown.push_back(c.name);
      continue;
    }
    bool initialized = IsRestartableInitContainer(c) ? s->started.value_or(false) : s->ready;
    if (!initialized) incomplete.push_back(c.name);
  }
  if (phase == kSucceeded && unknown.empty()) {
    condition.reason = kReasonPodCompleted;
    return condition;
  }
  // A regular container has run: the pod was initialized (sidecars may be restarting).
  if (HasAnyRegularContainerStarted(pod.spec, statuses)) return condition;
  std::vector<std::string> messages;
  if (!unknown.empty()) messages.push_back("containers with unknown status: " + GoList(unknown));
  if (!incomplete.empty()) {
    messages.push_back("containers with incomplete status: " + GoList(incomplete));
  }
  if (!messages.empty()) {
    condition.status = kFalse;
    condition.reason = kReasonContainersNotInitialized;
    condition.message = Join(messages, ", ");
  }
  return condition;
}

api::PodCondition GeneratePodReadyToStartContainersCondition(const api::Pod& pod,
                                                             const PodRuntimeState& state) {
  bool new_sandbox_needed = true;
  if (state.sandbox && !state.multiple_ready_sandboxes &&
      state.sandbox->state() == cri::v1::SANDBOX_READY) {
    cri::v1::NamespaceMode want = IsHostNetwork(pod) ? cri::v1::NODE : cri::v1::POD;
    bool network_changed = state.sandbox->linux().namespaces().options().network() != want;
    bool no_ip = !IsHostNetwork(pod) && state.sandbox->has_network() &&
                 state.sandbox->network().ip().empty();
    new_sandbox_needed = network_changed || no_ip;
  }
  return api::PodCondition{.status = new_sandbox_needed ? kFalse : kTrue,
                           .type = kPodReadyToStartContainers};
}

api::PodStatus GeneratePodStatus(const api::Pod& pod, const PodRuntimeState& state,
                                 Clock::WallTime now, const PodStatusOptions& options) {
  const api::PodStatus& old = pod.status;
  api::PodStatus s;

  // convertStatusToAPIStatus.
  for (auto& ip : PodIps(state)) s.podIPs.push_back(api::PodIP{.ip = std::move(ip)});
  if (!s.podIPs.empty()) s.podIP = s.podIPs.front().ip;
  s.qosClass = old.qosClass.empty() ? api::defaults::ComputeQosClass(pod.spec) : old.qosClass;
  s.containerStatuses = ConvertContainerStatuses(pod, pod.spec.containers, state.containers,
                                                 old.containerStatuses, false, options);
  s.initContainerStatuses =
      ConvertContainerStatuses(pod, pod.spec.initContainers, state.init_containers,
                               old.initContainerStatuses, true, options);

  // The phase; a terminal phase never changes again.
  std::vector<api::ContainerStatus> all = s.containerStatuses;
  all.insert(all.end(), s.initContainerStatuses.begin(), s.initContainerStatuses.end());
  s.phase = GetPodPhase(pod, all, options.pod_is_terminal);
  if (!IsTerminalPhase(s.phase) && IsTerminalPhase(old.phase)) s.phase = old.phase;
  if (s.phase == old.phase) {
    s.reason = old.reason;
    s.message = old.message;
  }

  // Conditions: others' kept, then the kubelet's.
  for (const auto& c : old.conditions) {
    if (!PodConditionByKubelet(c.type)) s.conditions.push_back(c);
  }
  s.conditions.push_back(GeneratePodReadyToStartContainersCondition(pod, state));
  std::vector<api::ContainerStatus> init_first = s.initContainerStatuses;
  init_first.insert(init_first.end(), s.containerStatuses.begin(), s.containerStatuses.end());
  s.conditions.push_back(GeneratePodInitializedCondition(pod, init_first, s.phase));
  s.conditions.push_back(GeneratePodReadyCondition(pod, s.conditions, init_first, s.phase));
  s.conditions.push_back(GenerateContainersReadyCondition(pod, init_first, s.phase));
  s.conditions.push_back(api::PodCondition{.status = kTrue, .type = kPodScheduled});

  // Host IPs; host-network pods have the node's IPs.
  if (!state.host_ips.empty()) {
    s.hostIP = state.host_ips[0];
    s.hostIPs.push_back(api::HostIP{.ip = state.host_ips[0]});
    if (state.host_ips.size() > 1) s.hostIPs.push_back(api::HostIP{.ip = state.host_ips[1]});
    if (IsHostNetwork(pod)) {
      if (s.podIP.empty()) {
        s.podIP = state.host_ips[0];
        s.podIPs = {api::PodIP{.ip = s.podIP}};
      }
      if (state.host_ips.size() > 1 && s.podIPs.size() == 1 &&
          !SameFamily(s.podIPs[0].ip, state.host_ips[1])) {
        s.podIPs.push_back(api::PodIP{.ip = state.host_ips[1]});
      }
    }
  }

  // The status manager: transition times kept while a condition's status stays, the start
  // time kept, messages normalized.
  std::string now_text = FormatRfc3339(now);
  for (auto& c : s.conditions) {
    if (!PodConditionByKubelet(c.type) && c.type != kDisruptionTarget) continue;
    const api::PodCondition* before = FindCondition(old.conditions, c.type);
    c.lastTransitionTime =
        before != nullptr && before->status == c.status ? before->lastTransitionTime : now_text;
  }
  s.startTime = old.startTime.empty() ? now_text : old.startTime;
  NormalizeMessages(pod, s);
  return s;
}

bool PodStatusEqual(const api::PodStatus& a, const api::PodStatus& b) {
  auto owned = [](const api::PodStatus& s) {
    std::map<std::string, const api::PodCondition*> out;
    for (const auto& c : s.conditions) {
      if (PodConditionByKubelet(c.type) || c.type == kDisruptionTarget) out[c.type] = &c;
    }
    return out;
  };
  auto old_conditions = owned(a);
  auto new_conditions = owned(b);
  if (old_conditions.size() != new_conditions.size()) return false;
  for (const auto& [type, c] : new_conditions) {
    auto it = old_conditions.find(type);
    if (it == old_conditions.end() || it->second->status != c->status ||
        it->second->reason != c->reason || it->second->message != c->message) {
      return false;
    }
  }
  api::PodStatus copy = a;
  copy.conditions = b.conditions;
  return copy == b;
}

}  // namespace kubepp::kubelet
