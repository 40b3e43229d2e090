// The kubelet's Pod status as a pure function of the pod and what the node knows about it
// (upstream v1.32 pkg/kubelet: generateAPIPodStatus, convertToAPIContainerStatuses, getPhase,
// the probe manager's started/ready, pkg/kubelet/status/generate.go conditions, and the status
// manager's lastTransitionTime/startTime/normalization, isPodStatusByKubeletEqual).
//
// Inputs are the CRI view of the pod (its latest sandbox and, per container, the newest two
// CRI container statuses) plus what the kubelet knows that CRI does not: restart counts, the
// reason a container is waiting (upstream's reason cache: CrashLoopBackOff, ErrImagePull, ...),
// startup and readiness probe results, the node's IPs. The previous status is `pod.status`
// (upstream: the status manager's cached status, else the API's).
//
//   PodRuntimeState state;
//   state.sandbox = sandbox_status;                 // from PodSandboxStatus
//   state.containers.push_back({.name = "app", .current = cri_status, .restart_count = 0,
//                               .started = true, .ready = true});
//   state.host_ips = {"198.18.255.1"};
//   api::PodStatus status = GeneratePodStatus(pod, state, clock.WallNow());
//   if (!PodStatusEqual(pod.status, status)) { /* PUT pods/<name>/status */ }
//
// Pure functions of their arguments; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api.pb.h"  // proto/cri: runtime.v1
#include "api/types.h"
#include "base/clock.h"

namespace kubepp::kubelet {

// The generated CRI messages, as kubelet/cri/cri_client.h names them (cri::v1::...).
namespace cri {
namespace v1 = ::runtime::v1;
}  // namespace cri

// Upstream's container waiting reasons (kubelet_pods.go, images, kuberuntime).
inline constexpr char kReasonContainerCreating[] = "ContainerCreating";
inline constexpr char kReasonPodInitializing[] = "PodInitializing";
inline constexpr char kReasonCrashLoopBackOff[] = "CrashLoopBackOff";
inline constexpr char kReasonContainerStatusUnknown[] = "ContainerStatusUnknown";
// Upstream's pod condition reasons (pkg/kubelet/status/generate.go).
inline constexpr char kReasonUnknownContainerStatuses[] = "UnknownContainerStatuses";
inline constexpr char kReasonPodCompleted[] = "PodCompleted";
inline constexpr char kReasonPodFailed[] = "PodFailed";
inline constexpr char kReasonContainersNotReady[] = "ContainersNotReady";
inline constexpr char kReasonContainersNotInitialized[] = "ContainersNotInitialized";
inline constexpr char kReasonReadinessGatesNotReady[] = "ReadinessGatesNotReady";

// One container of the pod (init or regular), as the kubelet knows it.
struct ContainerRuntimeState {
  std::string name;  // the container's name in the pod spec
  // The newest CRI container of this name in the pod (its state), and the one before it (its
  // lastState). Both unset: no container was created yet.
  std::optional<cri::v1::ContainerStatus> current;
  std::optional<cri::v1::ContainerStatus> previous;
  // Restarts so far (upstream: the io.kubernetes.container.restartCount annotation of `current`).
  int32_t restart_count = 0;
  // Why the container is not running when the kubelet failed or refused to start it (upstream's
  // reason cache): "CrashLoopBackOff" with "back-off 10s restarting failed container=c
  // pod=p_ns(uid)", "ErrImagePull", "ImagePullBackOff", "CreateContainerConfigError", ...
  // Applied only when the container is to be (re)started, as upstream. Leave empty for the
  // default (ContainerCreating, or PodInitializing in a pod with init containers).
  std::string waiting_reason;
  std::string waiting_message;
  // The startup probe succeeded, or there is none (only meaningful while running).
  bool started = false;
  // The readiness probe succeeded, or there is none (only meaningful while started).
  bool ready = false;
};

// The pod as the kubelet sees it on the node.
struct PodRuntimeState {
  // The pod's newest sandbox; unset when none exists.
  std::optional<cri::v1::PodSandboxStatus> sandbox;
  // More than one sandbox of the pod is ready (upstream then makes a new one).
  bool multiple_ready_sandboxes = false;
  std::vector<ContainerRuntimeState> init_containers;  // by name; order does not matter
  std::vector<ContainerRuntimeState> containers;       // by name; order does not matter
  // The node's IPs (primary first, then one of the other family), for hostIP(s) and the family
  // preference of podIPs.
  std::vector<std::string> host_ips;
};

struct PodStatusOptions {
  std::string runtime_name = "containerd";  // containerID prefix: "<runtime>://<id>"
  // The pod worker has decided the pod is terminal (being torn down, will not restart).
  bool pod_is_terminal = false;
};

// The status the kubelet writes for `pod`, given the node's view of it at `now`: phase (a
// terminal phase in pod.status stays), reason/message kept while the phase stays, conditions
// (those not owned by the kubelet kept from pod.status, then PodReadyToStartContainers,
// Initialized, Ready, ContainersReady, PodScheduled, each keeping pod.status's
// lastTransitionTime while its status is unchanged), container statuses (init ones in spec
// order, regular ones sorted by name, as upstream), pod and host IPs, startTime (kept, or
// `now`), qosClass (kept, or computed).
api::PodStatus GeneratePodStatus(const api::Pod& pod, const PodRuntimeState& state,
                                 Clock::WallTime now, const PodStatusOptions& options = {});

// Upstream's isPodStatusByKubeletEqual: kubelet-owned and shared conditions compared by type on
// status, reason and message (not times, not order); conditions owned by others ignored;
// everything else compared exactly.
bool PodStatusEqual(const api::PodStatus& a, const api::PodStatus& b);

// The pieces, exposed for the pod workers and tests.

// An init container with restartPolicy Always (a sidecar).
bool IsRestartableInitContainer(const api::Container& container);
// PodScheduled, Ready, Initialized, ContainersReady, PodReadyToStartContainers.
bool PodConditionByKubelet(std::string_view type);
// getPhase: Pending, Running, Succeeded or Failed from the generated container statuses (init
// and regular together).
std::string GetPodPhase(const api::Pod& pod, const std::vector<api::ContainerStatus>& statuses,
                        bool pod_is_terminal);
// The conditions without lastTransitionTime; `statuses` holds init and regular statuses.
api::PodCondition GenerateContainersReadyCondition(
    const api::Pod& pod, const std::vector<api::ContainerStatus>& statuses, std::string_view phase);
api::PodCondition GeneratePodReadyCondition(const api::Pod& pod,
                                            const std::vector<api::PodCondition>& conditions,
                                            const std::vector<api::ContainerStatus>& statuses,
                                            std::string_view phase);
api::PodCondition GeneratePodInitializedCondition(const api::Pod& pod,
                                                  const std::vector<api::ContainerStatus>& statuses,
                                                  std::string_view phase);
// True when the newest sandbox is ready, unique, in the right network namespace mode and (off
// the host network) has an IP: upstream's !PodSandboxChanged.
api::PodCondition GeneratePodReadyToStartContainersCondition(const api::Pod& pod,
                                                             const PodRuntimeState& state);

}  // namespace kubepp::kubelet
