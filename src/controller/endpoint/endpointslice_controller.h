// EndpointSliceController (upstream's pkg/controller/endpointslice): keeps the EndpointSlices of
// every Service that has a selector in step with the matching pods. The slices it manages carry
// kubernetes.io/service-name and endpointslice.kubernetes.io/managed-by:
// endpointslice-controller.k8s.io and a controller ownerReference to the Service; other slices
// (the API server's `kubernetes` one, a user's) are never touched.
//
// Keys are Service keys, queued by Service events, pod events (for every Service whose selector
// matches, before and after), managed slice events and node zone changes. Sync(key) plans with
// endpointslice_plan.h and writes: creates, then updates, then deletes. When the Service is gone
// its slices are deleted (the garbage collector would do it too, through the ownerReference).
// Slices this controller wrote that the cache has not caught up with make the Sync fail and
// retry (upstream's endpointSliceTracker), so no slice is ever created twice from a stale view.
//
// Threading: see controller/controller.h. Syncs of different Services run in parallel. The shared
// informers must be stopped before the controller is destroyed (their handlers refer to it).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "api/types.h"
#include "controller/controller.h"
#include "controller/queue_worker.h"

namespace kubepp::controller {

class EndpointSliceController : public Controller {
 public:
  explicit EndpointSliceController(const ControllerContext& ctx);
  ~EndpointSliceController() override;

  // Controller
  void Start() override;
  void Stop() override;

  // Syncs finished so far (tests).
  uint64_t Syncs() const { return workers_.Syncs(); }

 private:
  // What this controller last did to the slices of one Service.
  struct Written {
    std::map<std::string, int64_t> versions;  // slice name -> resourceVersion we wrote
    std::set<std::string> deleted;            // slice names we deleted
  };

  async::Task<SyncResult> Sync(std::string key);
  void QueueServicesOf(const api::Pod& pod);
  void OnSlice(const api::EndpointSlice& slice, bool deleted);
  // The managed slices of a Service, from the cache.
  std::vector<std::shared_ptr<const api::EndpointSlice>> SlicesOf(const std::string& ns,
                                                                  const std::string& name) const;
  bool IsStale(const std::string& key,
               const std::vector<std::shared_ptr<const api::EndpointSlice>>& cached);

  client::RestClient* client_;                   // API access
  int concurrency_;                              // workers
  int max_per_slice_;                            // --max-endpoints-per-slice
  client::Informer<api::Service> services_;      // service cache
  client::Informer<api::Pod> pods_;              // pod cache
  client::Informer<api::Node> nodes_;            // node cache (zones)
  client::Informer<api::EndpointSlice> slices_;  // slice cache
  std::mutex mu_;                                // guards written_
  std::map<std::string, Written> written_;       // by Service key
  QueueWorkers workers_;                         // service keys and workers
};

// The factory the controller manager calls.
std::unique_ptr<Controller> NewEndpointSliceController(const ControllerContext& ctx);

}  // namespace kubepp::controller
