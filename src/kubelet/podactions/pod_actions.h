// What the kubelet must do to a pod next (upstream's kuberuntime computePodActions,
// PodSandboxChanged, computeInitContainerActions and SyncPod's doBackOff, v1.32 with the
// SidecarContainers gate on): from the Pod and what the runtime reports of it, whether to kill
// it, whether to (re)create its sandbox, which containers to kill and which to start; the
// containers still in their crash-loop back-off are held back and reported.
//
//   PodActions actions = ComputePodActions(pod, sandbox_statuses, container_statuses, probes,
//                                          backoff, clock.WallNow());
//   if (actions.kill_pod) ... stop every container, then every sandbox of the pod
//   else for (auto& [id, kill] : actions.containers_to_kill) ... StopContainer(id)
//   if (actions.create_sandbox) ... RunPodSandbox(MakeSandboxConfig(pod, actions.attempt))
//   for (size_t i : actions.init_containers_to_start) ... start spec.initContainers[i]
//   for (size_t i : actions.containers_to_start) ... start spec.containers[i]
//   for (auto& [name, message] : actions.backoff) ... status waiting CrashLoopBackOff, message
//
// Inputs are every sandbox and every container the runtime has for the pod (any order: they
// are ordered newest first here, as upstream's GetPodStatus does). Containers are known by the
// label io.kubernetes.container.name (metadata.name without it) and compared with the spec by
// the annotation io.kubernetes.container.hash (ContainerHash).
//
// A pure function but for `backoff`: for every container it returns to start that has run
// before, it moves the container's back-off on (Backoff::Next), as upstream's SyncPod does
// right before starting it. Thread-safe as far as Backoff is.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "api.pb.h"  // proto/cri: runtime.v1
#include "api/types.h"
#include "base/clock.h"
#include "kubelet/podactions/backoff.h"
#include "kubelet/status/pod_status.h"

namespace kubepp::kubelet {

// The generated CRI messages, as kubelet/cri/cri_client.h names them (cri::v1::...).
namespace cri {
namespace v1 = ::runtime::v1;
}  // namespace cri

// The latest probe results of the pod's running containers, by CRI container id (as
// upstream's prober results managers key them, so a result of a container that has since been
// replaced cannot touch its successor).
struct ProbeResults {
  std::set<std::string> liveness_failed;    // liveness probe's last result is Failure
  std::set<std::string> startup_failed;     // startup probe's last result is Failure
  std::set<std::string> startup_succeeded;  // startup probe has succeeded
};

// Why a container is killed (upstream's containerKillReason): chooses the grace period (a
// probe's terminationGracePeriodSeconds) and the event.
enum class KillReason { kNone, kLivenessProbe, kStartupProbe, kUnknown };

struct ContainerToKill {
  std::string name;     // the container's name in the spec
  std::string message;  // "Container x definition changed, will be restarted", ...
  KillReason reason = KillReason::kNone;
  bool operator==(const ContainerToKill&) const = default;
};

struct PodActions {
  // Stop every container (regular and init) and every sandbox of the pod; then create a new
  // sandbox if create_sandbox.
  bool kill_pod = false;
  // Run a new sandbox (with `attempt`); the old init containers are to be removed first.
  bool create_sandbox = false;
  // The newest sandbox (the one to start containers in when !create_sandbox); "" when none or
  // when the network namespace changed.
  std::string sandbox_id;
  // The attempt of the sandbox to create; with !create_sandbox, the current one's.
  uint32_t attempt = 0;
  // Indices into spec.initContainers to start, in order: the next init container, and the
  // restartable (sidecar) ones that must run again. Back-off ones are left out.
  std::vector<size_t> init_containers_to_start;
  // Indices into spec.containers to start, in order. Back-off ones are left out.
  std::vector<size_t> containers_to_start;
  // CRI container id -> why (only when !kill_pod; kill_pod kills all).
  std::map<std::string, ContainerToKill> containers_to_kill;
  // Container name -> "back-off 20s restarting failed container=x pod=p_ns(uid)" for those
  // that should start but are in their back-off window.
  std::map<std::string, std::string> backoff;
};

// Upstream's format.Pod: "<name>_<namespace>(<uid>)".
std::string FormatPod(const api::Pod& pod);
// The container's name: its io.kubernetes.container.name label, else metadata.name.
std::string ContainerName(const cri::v1::ContainerStatus& status);
// IsRestartableInitContainer (upstream's podutil) comes from kubelet/status/pod_status.h.

struct SandboxChange {
  bool changed = false;    // a new sandbox is needed
  uint32_t attempt = 0;    // its attempt (the current one's when !changed)
  std::string sandbox_id;  // the newest sandbox ("" when none, or the network namespace changed)
};
// Upstream's PodSandboxChanged: a new sandbox when there is none, when more than one is ready,
// when the newest is not ready, when its network namespace mode no longer matches hostNetwork,
// or when it has a network status without an IP (not hostNetwork).
SandboxChange PodSandboxChanged(const api::Pod& pod,
                                const std::vector<cri::v1::PodSandboxStatus>& sandboxes);

PodActions ComputePodActions(const api::Pod& pod,
                             const std::vector<cri::v1::PodSandboxStatus>& sandboxes,
                             const std::vector<cri::v1::ContainerStatus>& containers,
                             const ProbeResults& probes, Backoff& backoff, Clock::WallTime now);

}  // namespace kubepp::kubelet
