#include "kubelet/podactions/pod_actions.h"

#include <algorithm>
#include <chrono>

#include "base/duration.h"
#include "kubelet/kuberuntime/pod_config.h"

namespace kubepp::kubelet {
namespace {

using cri::v1::ContainerState;

// The pod's containers as upstream's kubecontainer.PodStatus holds them: newest first.
class ContainerStatuses {
 public:
  explicit ContainerStatuses(const std::vector<cri::v1::ContainerStatus>& containers) {
    for (const auto& c : containers) entries_.push_back(Entry{&c, ContainerName(c)});
    std::stable_sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
      return a.status->created_at() > b.status->created_at();
    });
  }
  bool Empty() const { return entries_.empty(); }
  // Upstream's FindContainerStatusByName: the newest container of that name.
  const cri::v1::ContainerStatus* FindByName(const std::string& name) const {
    for (const auto& e : entries_) {
      if (e.name == name) return e.status;
    }
    return nullptr;
  }
  // The newest exited container of that name (doBackOff's look-up).
  const cri::v1::ContainerStatus* FindExitedByName(const std::string& name) const {
    for (const auto& e : entries_) {
      if (e.name == name && e.status->state() == ContainerState::CONTAINER_EXITED) return e.status;
    }
    return nullptr;
  }

 private:
  struct Entry {
    const cri::v1::ContainerStatus* status;  // points into the caller's vector
    std::string name;                        // ContainerName(*status)
  };
  std::vector<Entry> entries_;  // newest first
};

// kubecontainer.ContainerState's strings, as upstream's messages quote them.
const char* StateName(ContainerState state) {
  switch (state) {
    case ContainerState::CONTAINER_CREATED:
      return "created";
    case ContainerState::CONTAINER_RUNNING:
      return "running";
    case ContainerState::CONTAINER_EXITED:
      return "exited";
    default:
      return "unknown";
  }
}

bool IsRunning(const cri::v1::ContainerStatus& s) {
  return s.state() == ContainerState::CONTAINER_RUNNING;
}
bool IsUnknown(const cri::v1::ContainerStatus& s) {
  return s.state() != ContainerState::CONTAINER_CREATED &&
         s.state() != ContainerState::CONTAINER_RUNNING &&
         s.state() != ContainerState::CONTAINER_EXITED;
}

bool ShouldRestartOnFailure(const api::Pod& pod) { return pod.spec.restartPolicy != "Never"; }

// Upstream's containerChanged: the spec hash differs from the one the container was made with
// (a container without the annotation counts as changed, as upstream's hash 0 does).
bool ContainerChanged(const api::Container& container, const cri::v1::ContainerStatus& status) {
  auto it = status.annotations().find(kContainerHashAnnotation);
  return it == status.annotations().end() || it->second != ContainerHash(container);
}

bool IsInitContainerFailed(const cri::v1::ContainerStatus& s) {
  if (s.reason() == "OOMKilled") return true;
  if (s.state() == ContainerState::CONTAINER_EXITED && s.exit_code() != 0) return true;
  return IsUnknown(s);
}

bool ContainerSucceeded(const api::Container& c, const ContainerStatuses& statuses) {
  const auto* s = statuses.FindByName(c.name);
  return s != nullptr && s->state() == ContainerState::CONTAINER_EXITED && s->exit_code() == 0;
}

// Upstream's kubecontainer.ShouldContainerBeRestarted.
bool ShouldContainerBeRestarted(const api::Container& c, const api::Pod& pod,
                                const ContainerStatuses& statuses) {
  if (!pod.metadata.deletionTimestamp.empty()) return false;
  const auto* s = statuses.FindByName(c.name);
  if (s == nullptr) return true;
  if (IsRunning(*s)) return false;
  if (IsUnknown(*s) || s->state() == ContainerState::CONTAINER_CREATED) return true;
  if (pod.spec.restartPolicy == "Never") return false;
  if (pod.spec.restartPolicy == "OnFailure" && s->exit_code() == 0) return false;
  return true;
}

bool HasAnyRegularContainerCreated(const api::Pod& pod, const ContainerStatuses& statuses) {
  for (const auto& c : pod.spec.containers) {
    const auto* s = statuses.FindByName(c.name);
    if (s != nullptr && !IsUnknown(*s)) return true;
  }
  return false;
}

std::string UnknownStateMessage(const char* prefix, const cri::v1::ContainerStatus& s) {
  return std::string(prefix) + " is in \"" + StateName(s.state()) +
         "\" state, try killing it before restart";
}

// Upstream's computeInitContainerActions: fills init_containers_to_start (and kills) and says
// whether the pod has been initialized. May set kill_pod (a failed init container under
// restartPolicy Never).
bool ComputeInitContainerActions(const api::Pod& pod, const ContainerStatuses& statuses,
                                 const ProbeResults& probes, PodActions& changes) {
  const auto& inits = pod.spec.initContainers;
  if (inits.empty()) return true;

  // A regular container created or running means every init container ran once (they may have
  // been removed since). Exited ones do not count: after a reboot every container has exited
  // and the new sandbox is not initialized.
  bool pod_has_initialized = false;
  for (const auto& c : pod.spec.containers) {
    const auto* s = statuses.FindByName(c.name);
    if (s != nullptr && (s->state() == ContainerState::CONTAINER_CREATED || IsRunning(*s))) {
      pod_has_initialized = true;
      break;
    }
  }

  bool previously_initialized = pod_has_initialized;
  const bool restart_on_failure = ShouldRestartOnFailure(pod);
  auto& to_start = changes.init_containers_to_start;
  auto kill = [&](const cri::v1::ContainerStatus& s, const api::Container& c, std::string message,
                  KillReason reason) {
    changes.containers_to_kill[s.id()] =
        ContainerToKill{.name = c.name, .message = std::move(message), .reason = reason};
  };

  // Backwards: completed init containers may have been removed, so the last one that has a
  // status tells how far initialization got.
  for (size_t n = inits.size(); n-- > 0;) {
    const api::Container& c = inits[n];
    const bool restartable = IsRestartableInitContainer(c);
    const auto* s = statuses.FindByName(c.name);
    if (s == nullptr) {
      if (previously_initialized && restartable) to_start.push_back(n);
      continue;
    }
    if (previously_initialized && !restartable) continue;  // done; only sidecars stay running

    if (s->state() == ContainerState::CONTAINER_CREATED) {
      // Created but never started: the runtime likely failed to start it; start it again.
      to_start.push_back(n);
    } else if (IsRunning(*s)) {
      if (restartable) {
        bool wait = false;
        if (c.startupProbe.has_value()) {
          if (probes.startup_failed.contains(s->id())) {
            kill(*s, c, "Init container " + c.name + " failed startup probe",
                 KillReason::kStartupProbe);
            to_start.push_back(n);
            wait = true;
          } else if (!probes.startup_succeeded.contains(s->id())) {
            wait = true;  // not started yet: the next init container waits for it
          }
        }
        if (!wait) {
          if (n == inits.size() - 1) {
            pod_has_initialized = true;
          } else if (!previously_initialized) {
            to_start.push_back(n + 1);  // started for the first time: on to the next one
          }
          if (ContainerChanged(c, *s)) {
            kill(*s, c, "Init container " + c.name + " definition changed", KillReason::kNone);
            to_start.push_back(n);
          } else if (c.livenessProbe.has_value() && probes.liveness_failed.contains(s->id())) {
            kill(*s, c, "Init container " + c.name + " failed liveness probe",
                 KillReason::kLivenessProbe);
            to_start.push_back(n);
          }
        }
      }
      // A running regular init container: wait for it to finish.
    } else if (s->state() == ContainerState::CONTAINER_EXITED) {
      if (restartable) {
        to_start.push_back(n);
      } else if (IsInitContainerFailed(*s)) {
        if (!restart_on_failure) {
          changes.kill_pod = true;
          to_start.clear();
          return false;
        }
        to_start.push_back(n);
      } else if (n == inits.size() - 1) {
        pod_has_initialized = true;
      } else {
        to_start.push_back(n + 1);
      }
    } else {  // unknown
      if (!restartable && !restart_on_failure) {
        changes.kill_pod = true;
        to_start.clear();
        return false;
      }
      kill(*s, c, UnknownStateMessage("Init container", *s), KillReason::kUnknown);
      to_start.push_back(n);
    }
    previously_initialized = true;
  }

  if (!previously_initialized) to_start.push_back(0);  // none started yet: the first one
  std::reverse(to_start.begin(), to_start.end());      // spec order
  return pod_has_initialized;
}

// Upstream's computePodActions (without ephemeral containers and in-place resize).
PodActions ComputeActions(const api::Pod& pod,
                          const std::vector<cri::v1::PodSandboxStatus>& sandboxes,
                          const ContainerStatuses& statuses, const ProbeResults& probes) {
  const SandboxChange sandbox = PodSandboxChanged(pod, sandboxes);
  PodActions changes;
  changes.kill_pod = sandbox.changed;
  changes.create_sandbox = sandbox.changed;
  changes.sandbox_id = sandbox.sandbox_id;
  changes.attempt = sandbox.attempt;

  if (sandbox.changed) {
    // Everything is killed and made again, init containers first.
    if (!ShouldRestartOnFailure(pod) && sandbox.attempt != 0 && !statuses.Empty()) {
      // restartPolicy Never and the pod's containers have run: a new sandbox would run nothing.
      changes.create_sandbox = false;
      return changes;
    }
    std::vector<size_t> containers_to_start;
    for (size_t i = 0; i < pod.spec.containers.size(); ++i) {
      if (pod.spec.restartPolicy == "OnFailure" &&
          ContainerSucceeded(pod.spec.containers[i], statuses)) {
        continue;
      }
      containers_to_start.push_back(i);
    }
    if (containers_to_start.empty() && HasAnyRegularContainerCreated(pod, statuses)) {
      // Initialized and nothing left to run.
      changes.create_sandbox = false;
      return changes;
    }
    if (!pod.spec.initContainers.empty()) {
      changes.init_containers_to_start = {0};
      return changes;
    }
    changes.containers_to_start = std::move(containers_to_start);
    return changes;
  }

  const bool initialized = ComputeInitContainerActions(pod, statuses, probes, changes);
  if (changes.kill_pod || !initialized) return changes;  // failed, or still initializing

  size_t keep_count = 0;  // running containers to keep
  for (size_t i = 0; i < pod.spec.containers.size(); ++i) {
    const api::Container& c = pod.spec.containers[i];
    const auto* s = statuses.FindByName(c.name);
    if (s == nullptr || !IsRunning(*s)) {
      if (ShouldContainerBeRestarted(c, pod, statuses)) {
        changes.containers_to_start.push_back(i);
        if (s != nullptr && IsUnknown(*s)) {
          // It may still run: kill it first so that two never run at once.
          changes.containers_to_kill[s->id()] =
              ContainerToKill{.name = c.name,
                              .message = UnknownStateMessage("Container", *s),
                              .reason = KillReason::kUnknown};
        }
      }
      continue;
    }
    std::string message;
    KillReason reason = KillReason::kNone;
    bool restart = ShouldRestartOnFailure(pod);
    if (ContainerChanged(c, *s)) {
      message = "Container " + c.name + " definition changed";
      restart = true;  // whatever the restart policy
    } else if (probes.liveness_failed.contains(s->id())) {
      message = "Container " + c.name + " failed liveness probe";
      reason = KillReason::kLivenessProbe;
    } else if (probes.startup_failed.contains(s->id())) {
      message = "Container " + c.name + " failed startup probe";
      reason = KillReason::kStartupProbe;
    } else {
      ++keep_count;
      continue;
    }
    if (restart) {
      message += ", will be restarted";
      changes.containers_to_start.push_back(i);
    }
    changes.containers_to_kill[s->id()] =
        ContainerToKill{.name = c.name, .message = std::move(message), .reason = reason};
  }

  if (keep_count == 0 && changes.containers_to_start.empty()) {
    // Nothing runs or will: the pod is done. Sidecars must not keep it alive.
    changes.kill_pod = true;
    changes.init_containers_to_start.clear();
  }
  return changes;
}

// SyncPod's doBackOff for every container to start, in SyncPod's order. A failed regular init
// container in back-off stops everything after it (SyncPod returns); a sidecar in back-off is
// skipped.
void ApplyBackoff(const api::Pod& pod, const ContainerStatuses& statuses, Backoff& backoff,
                  Clock::WallTime now, PodActions& actions) {
  auto in_backoff = [&](const api::Container& c) {
    const auto* s = statuses.FindExitedByName(c.name);
    if (s == nullptr) return false;
    const Clock::WallTime finished{std::chrono::duration_cast<Clock::WallTime::duration>(
        std::chrono::nanoseconds(s->finished_at()))};
    const std::string key = GetStableKey(pod, c);
    if (backoff.IsInBackOffSince(key, finished, now)) {
      actions.backoff[c.name] = "back-off " + FormatGoDuration(backoff.Get(key)) +
                                " restarting failed container=" + c.name + " pod=" + FormatPod(pod);
      return true;
    }
    backoff.Next(key, finished, now);
    return false;
  };

  std::vector<size_t> init_kept;
  for (size_t i : actions.init_containers_to_start) {
    const api::Container& c = pod.spec.initContainers[i];
    if (in_backoff(c)) {
      if (IsRestartableInitContainer(c)) continue;
      actions.init_containers_to_start = std::move(init_kept);
      actions.containers_to_start.clear();
      return;
    }
    init_kept.push_back(i);
  }
  actions.init_containers_to_start = std::move(init_kept);

  std::vector<size_t> kept;
  for (size_t i : actions.containers_to_start) {
    if (!in_backoff(pod.spec.containers[i])) kept.push_back(i);
  }
  actions.containers_to_start = std::move(kept);
}

}  // namespace

std::string FormatPod(const api::Pod& pod) {
  return pod.metadata.name + "_" + pod.metadata.namespace_ + "(" + pod.metadata.uid + ")";
}

std::string ContainerName(const cri::v1::ContainerStatus& status) {
  auto it = status.labels().find(kContainerNameLabel);
  return it != status.labels().end() ? it->second : status.metadata().name();
}

SandboxChange PodSandboxChanged(const api::Pod& pod,
                                const std::vector<cri::v1::PodSandboxStatus>& sandboxes) {
  if (sandboxes.empty()) return SandboxChange{.changed = true, .attempt = 0, .sandbox_id = ""};

  int ready = 0;
  uint32_t max_attempt = 0;
  const cri::v1::PodSandboxStatus* newest = &sandboxes.front();
  for (const auto& s : sandboxes) {
    if (s.state() == cri::v1::SANDBOX_READY) ++ready;
    max_attempt = std::max(max_attempt, s.metadata().attempt());
    if (s.created_at() > newest->created_at()) newest = &s;
  }
  if (ready > 1 || newest->state() != cri::v1::SANDBOX_READY) {
    return SandboxChange{.changed = true, .attempt = max_attempt + 1, .sandbox_id = newest->id()};
  }
  const bool host_network = pod.spec.hostNetwork.value_or(false);
  const auto want_network = host_network ? cri::v1::NODE : cri::v1::POD;
  if (newest->linux().namespaces().options().network() != want_network) {
    return SandboxChange{.changed = true, .attempt = max_attempt + 1, .sandbox_id = ""};
  }
  if (!host_network && newest->has_network() && newest->network().ip().empty()) {
    return SandboxChange{.changed = true, .attempt = max_attempt + 1, .sandbox_id = newest->id()};
  }
  return SandboxChange{.changed = false, .attempt = max_attempt, .sandbox_id = newest->id()};
}

PodActions ComputePodActions(const api::Pod& pod,
                             const std::vector<cri::v1::PodSandboxStatus>& sandboxes,
                             const std::vector<cri::v1::ContainerStatus>& containers,
                             const ProbeResults& probes, Backoff& backoff, Clock::WallTime now) {
  const ContainerStatuses statuses(containers);
  PodActions actions = ComputeActions(pod, sandboxes, statuses, probes);
  ApplyBackoff(pod, statuses, backoff, now, actions);
  return actions;
}

}  // namespace kubepp::kubelet
