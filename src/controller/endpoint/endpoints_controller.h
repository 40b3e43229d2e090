// EndpointsController (upstream's pkg/controller/endpoint): keeps an Endpoints object beside
// every Service that has a selector, listing the matching pods' addresses and ports.
//
// Keys are Service keys ("namespace/name"), queued by Service events, by pod events (for every
// Service whose selector matches the pod, before and after the change) and by the deletion of
// an Endpoints object. Sync(key):
// - Service gone: delete the Endpoints (NotFound is fine);
// - no selector (e.g. the API server's `kubernetes` Service) or ExternalName: leave it alone;
// - otherwise compute the subsets (endpoints_subsets.h) and create or update the Endpoints,
//   skipping the write when nothing changed.
// Endpoints listed at start-up whose Service is gone are deleted (upstream's
// checkLeftoverEndpoints). A write this controller made that the cache has not caught up with
// yet makes the Sync fail and retry (upstream's staleEndpointsTracker), so decisions are never
// taken on an Endpoints older than our own last write.
//
// Threading: see controller/controller.h. Syncs of different Services run in parallel. The shared
// informers must be stopped before the controller is destroyed (their handlers refer to it).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "api/types.h"
#include "controller/controller.h"
#include "controller/queue_worker.h"

namespace kubepp::controller {

class EndpointsController : public Controller {
 public:
  explicit EndpointsController(const ControllerContext& ctx);
  ~EndpointsController() override;

  // Controller
  void Start() override;
  void Stop() override;

  // Syncs finished so far (tests).
  uint64_t Syncs() const { return workers_.Syncs(); }

 private:
  async::Task<SyncResult> Sync(std::string key);
  // Queues every Service of the pod's namespace whose selector matches the pod.
  void QueueServicesOf(const api::Pod& pod);
  // Whether the cached Endpoints (nullptr: none) is older than our last write of `key`.
  bool IsStale(const std::string& key, const api::Endpoints* cached);
  void RecordWrite(const std::string& key, const std::string& resource_version);
  void ForgetWrite(const std::string& key);

  client::RestClient* client_;                  // API access
  const Clock* clock_;                          // time
  int concurrency_;                             // workers
  client::Informer<api::Service> services_;     // service cache
  client::Informer<api::Pod> pods_;             // pod cache
  client::Informer<api::Endpoints> endpoints_;  // endpoints cache
  std::mutex mu_;                               // guards written_
  std::map<std::string, int64_t> written_;      // key -> resourceVersion of our last write
  QueueWorkers workers_;                        // service keys and workers
};

// The factory the controller manager calls.
std::unique_ptr<Controller> NewEndpointsController(const ControllerContext& ctx);

}  // namespace kubepp::controller
