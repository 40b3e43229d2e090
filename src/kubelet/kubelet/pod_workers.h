// PodWorkers: runs the pods bound to this node (upstream's pod workers + syncPod +
// SyncTerminatingPod, with a relist instead of PLEG). Each pod is synced level-triggered:
//
//   deleted (deletionTimestamp)  -> containers stopped with the grace period, sandboxes removed,
//                                   then the Pod object deleted for good (grace 0, uid
//                                   precondition), as upstream's status manager does;
//   terminal (Succeeded/Failed)  -> containers stopped, nothing restarted;
//   otherwise                    -> ComputePodActions (sandbox, init containers, containers,
//                                   back-off), RuntimeManager carries them out, and the pod
//                                   status (GeneratePodStatus) is written to pods/status when it
//                                   changed.
//
// Pods come from an informer restricted to spec.nodeName=<node>; every `resync` each pod is
// synced again (container exits are noticed that way) and sandboxes of pods the API server no
// longer has are removed.
//
// Threading: Start/Stop from a plain thread; `workers` threads sync pods (one pod never on two
// at once), one thread relists.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "async/runtime.h"
#include "base/clock.h"
#include "client/informer.h"
#include "client/rest_client.h"
#include "kubelet/cri/cri_client.h"
#include "kubelet/kuberuntime/runtime_manager.h"
#include "kubelet/podactions/backoff.h"

namespace kubepp::kubelet {

struct PodWorkersOptions {
  std::string node_name;
  PodConfigOptions config;                           // how pods become CRI configs
  Clock::Duration resync = std::chrono::seconds(1);  // relist period (upstream's PLEG: 1 s)
  int workers = 4;                                   // pods synced at once
};

class PodWorkers {
 public:
  PodWorkers(async::Runtime& runtime, client::RestClient& client, cri::CriClient& cri,
             PodWorkersOptions options, const Clock& clock = Clock::Real());
  ~PodWorkers();
  PodWorkers(const PodWorkers&) = delete;
  PodWorkers& operator=(const PodWorkers&) = delete;

  void Start();
  // Stops syncing; running containers are left running (a restarted kubelet adopts them).
  void Stop();

 private:
  struct PodMemory {
    // Why a container could not start (ErrImagePull, CreateContainerConfigError, ...), kept
    // until it starts.
    std::map<std::string, std::pair<std::string, std::string>> waiting;
  };

  void Enqueue(const std::string& key);
  void Work();
  void Relist();
  void SyncPod(const std::string& key);
  void SyncDeleted(const api::Pod& pod);
  void SyncRunning(const api::Pod& pod);
  void WriteStatus(const api::Pod& pod, const PodMemory& memory, const PodRuntimeView& view);
  void CleanupOrphans();
  Result<std::shared_ptr<const api::ConfigMap>> GetConfigMap(const std::string& ns,
                                                             const std::string& name);
  Result<std::shared_ptr<const api::Secret>> GetSecret(const std::string& ns,
                                                       const std::string& name);

  async::Runtime& runtime_;
  client::RestClient& client_;
  cri::CriClient& cri_;
  PodWorkersOptions options_;
  const Clock& clock_;
  std::unique_ptr<client::SharedInformer> informer_;  // pods on this node
  std::unique_ptr<RuntimeManager> runtime_manager_;
  Backoff backoff_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;  // keys to sync, each at most once
  std::set<std::string> queued_;   // keys in queue_
  std::set<std::string> active_;   // keys being synced
  std::set<std::string> dirty_;    // synced again once the active sync ends
  bool stopping_ = false;
  std::map<std::string, std::shared_ptr<PodMemory>> memory_;  // by pod uid (guarded by mu_)
  std::vector<std::thread> threads_;
};

}  // namespace kubepp::kubelet
