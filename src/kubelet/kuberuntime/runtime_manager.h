// RuntimeManager: the kubelet's CRI operations on one pod (upstream's kubeGenericRuntimeManager
// in pkg/kubelet/kuberuntime, the imperative half): the pod's sandboxes and containers as the
// runtime has them, a new sandbox, an image ensured by pull policy, a container created and
// started from the spec, a container or the whole pod stopped with a grace period. What to do
// (computePodActions) and the pod status are decided elsewhere.
//
//   RuntimeManager rm(cri, options, sources);
//   auto state = rm.GetPodState(pod.metadata.uid);
//   auto sandbox = rm.RunSandbox(pod, /*attempt=*/0);               // id, config, IP
//   auto image = rm.EnsureImage(pod, container);                    // or a waiting reason
//   auto id = rm.StartContainer(pod, *sandbox, container, restarts); // created + started
//   rm.KillPod(pod.metadata.uid, /*grace=*/30s);
//
// Threading: every call blocks on CRI; safe from several threads for different pods.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "api/types.h"
#include "base/status.h"
#include "kubelet/cri/cri_client.h"
#include "kubelet/kuberuntime/pod_config.h"

namespace kubepp::kubelet {

// A pod's sandboxes and containers as the runtime has them (by the io.kubernetes.pod.uid label).
struct PodRuntimeView {
  std::vector<cri::v1::PodSandboxStatus> sandboxes;  // newest first (by created_at)
  std::vector<cri::v1::ContainerStatus> containers;  // newest first (by created_at)
};

// A sandbox ready for containers.
struct SandboxInfo {
  std::string id;
  cri::v1::PodSandboxConfig config;  // what it was made from (CreateContainer wants it again)
  std::string ip;                    // its pod IP ("" with hostNetwork)
};

// Why a container cannot be created (upstream's waiting reasons): reason "" means no error.
struct ContainerStartError {
  std::string reason;   // ErrImagePull, ErrImageNeverPull, CreateContainerConfigError,
                        // CreateContainerError, RunContainerError
  std::string message;  // upstream's message
};

class RuntimeManager {
 public:
  RuntimeManager(cri::CriClient& cri, PodConfigOptions options, EnvSources sources);

  Result<PodRuntimeView> GetPodState(const std::string& pod_uid);
  // Makes the sandbox's log directory, runs it and reads its IP.
  Result<SandboxInfo> RunSandbox(const api::Pod& pod, uint32_t attempt);
  // The image present per imagePullPolicy (Always pulls, IfNotPresent pulls when absent, Never
  // fails when absent: ErrImageNeverPull "Container image \"x\" is not present with pull
  // policy of Never"); a failed pull is ErrImagePull with the runtime's message.
  ContainerStartError EnsureImage(const api::Pod& pod, const api::Container& container,
                                  const SandboxInfo& sandbox);
  // EnsureImage, environment (CreateContainerConfigError on bad references), CreateContainer
  // (CreateContainerError), StartContainer (RunContainerError). The new container's id on
  // success, else the error.
  Result<std::string> StartContainer(const api::Pod& pod, const SandboxInfo& sandbox,
                                     const api::Container& container, uint32_t restart_count,
                                     const std::vector<cri::v1::Mount>& mounts,
                                     ContainerStartError* error);
  // StopContainer with the grace period (the runtime sends SIGTERM, then SIGKILL).
  Status KillContainer(const std::string& container_id, std::chrono::seconds grace);
  // Every container of the pod stopped (grace period each, in parallel as upstream does not:
  // sequentially here), then every sandbox stopped; removed too when `remove` is set.
  Status KillPod(const std::string& pod_uid, std::chrono::seconds grace, bool remove);

  const PodConfigOptions& Options() const { return options_; }

 private:
  cri::CriClient& cri_;
  PodConfigOptions options_;
  EnvSources sources_;
};

}  // namespace kubepp::kubelet
