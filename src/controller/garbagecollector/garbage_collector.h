// The garbage collector controller (upstream's pkg/controller/garbagecollector).
//
// Discovery (every `discovery_period`) finds every resource that supports list, watch and
// delete; a metadata-only monitor (SharedInformer) per resource feeds the dependency Graph
// (graph.h). Two work queues of uids, each served by `workers` workers:
// - attemptToDelete: verifies virtual owners with a live GET (absent: a virtual delete event),
//   deletes dependents whose owners are all absent (Background, or as their own finalizers say;
//   uid precondition), removes dangling references from dependents that keep a live owner,
//   deletes dependents of owners deleting in the foreground (Foreground when they have
//   dependents themselves) and removes `foregroundDeletion` once no blocking dependent is left;
// - attemptToOrphan: removes an owner's reference from each dependent, then the `orphan`
//   finalizer.
// The API server adds those finalizers on DELETE with propagationPolicy Foreground / Orphan.
//
// Threading: Start()/Stop() from the manager's (non-io) thread. Monitor handlers run on their
// informers' strands and workers on the io threads; the graph is guarded by one mutex and the
// monitors by another. The monitors are the collector's own (not the shared factory's): they
// decode metadata only, for resources no typed informer knows.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "async/gate.h"
#include "client/informer.h"
#include "controller/controller.h"
#include "controller/discovery.h"
#include "controller/garbagecollector/graph.h"
#include "controller/queue_worker.h"

namespace kubepp::controller {

// Settings of the collector (the manager derives them from ControllerOptions; tests shorten).
struct GarbageCollectorOptions {
  int workers = 20;                                   // per queue (--concurrent-gc-syncs)
  std::chrono::milliseconds discovery_period{30000};  // re-discovery of resources (upstream 30 s)
  client::InformerOptions informer;                   // options of every monitor
  // GroupResources never monitored (upstream's default ignoredResources: events).
  std::set<std::string> ignored_resources{"events", "events.events.k8s.io"};
};

// An object's metadata only: what a monitor decodes and stores.
struct MetadataObject {
  api::ObjectMeta metadata;  // the object's metadata
};

// An informer codec for `resource` that decodes metadata only.
client::ObjectCodec MetadataCodec(const client::ResourceRef& resource);

class GarbageCollector : public Controller {
 public:
  GarbageCollector(const ControllerContext& ctx, GarbageCollectorOptions options);
  ~GarbageCollector() override;

  // Controller
  void Start() override;
  void Stop() override;

  // Discovery ran once and every monitor has synced (tests, readiness).
  bool Synced() const;
  // Nodes in the graph (tests).
  size_t GraphSize() const;
  // A monitor has shown the object with this uid to the graph (tests: upstream's orphan and
  // foreground handling act on the dependents the graph knows).
  bool Observed(const std::string& uid) const;
  // The resources monitored now, as "group/resource" strings (tests).
  std::vector<std::string> MonitoredResources() const;

 private:
  // A monitor: the informer of one resource.
  struct Monitor {
    ApiResource resource;                              // what it watches
    std::shared_ptr<client::SharedInformer> informer;  // the metadata informer
    std::shared_ptr<std::atomic<bool>> active;         // false once the resource left discovery
  };
  // What PatchMetadata changes.
  enum class MetaChange { kRemoveOwnerReferences, kUnblockOwnerReferences, kRemoveFinalizer };
  // What attemptToDelete decided about one item.
  struct ItemResult {
    Status status;                // not OK: retry with back-off
    bool virtual_delete = false;  // the item was found absent; the graph now knows
  };

  async::Task<void> DiscoveryLoop(async::Gate::Holder hold);
  void SyncMonitors(const DiscoveryResult& discovered);
  void OnEvent(gc::EventType type, const ApiResource& resource, const client::ObjectPtr& obj,
               const client::ObjectPtr& old_obj);
  void EnqueueVirtualDelete(const gc::ObjectIdentity& id);
  Result<client::ResourceRef> ResourceFor(const std::string& api_version,
                                          const std::string& kind) const;

  async::Task<SyncResult> AttemptToDelete(std::string uid);
  async::Task<ItemResult> AttemptToDeleteItem(gc::Node item);
  async::Task<Status> ProcessDeletingDependents(gc::Node item);
  async::Task<SyncResult> AttemptToOrphan(std::string uid);
  // The live object's JSON (NotFound when absent).
  async::Task<Result<boost::json::value>> GetLive(gc::ObjectIdentity id);
  // Is the owner `ref` of `item` absent? Returns nullopt when dangling, else the owner.
  async::Task<Result<std::optional<api::ObjectMeta>>> IsDangling(api::OwnerReference ref,
                                                                 gc::ObjectIdentity item);
  async::Task<Status> DeleteObject(gc::ObjectIdentity id, std::string policy);
  // Removes the owner references with these uids from `id` (no-op when it is gone).
  async::Task<Status> RemoveOwnerReferences(gc::ObjectIdentity id, std::set<std::string> uids);
  // Sets blockOwnerDeletion=false on every reference of `id` that blocks.
  async::Task<Status> UnblockOwnerReferences(gc::ObjectIdentity id);
  async::Task<Status> RemoveFinalizer(gc::ObjectIdentity id, std::string finalizer);
  // The read-modify-patch loop behind the three above.
  async::Task<Status> PatchMetadata(gc::ObjectIdentity id, MetaChange change,
                                    std::set<std::string> uids, std::string finalizer);

  client::RestClient* client_;             // API access
  async::asio::any_io_executor executor_;  // where monitors, loops and workers run
  const Clock& clock_;                     // time
  GarbageCollectorOptions options_;        // settings
  QueueWorkers delete_workers_;            // attemptToDelete
  QueueWorkers orphan_workers_;            // attemptToOrphan

  mutable std::mutex graph_mu_;  // guards graph_
  gc::Graph graph_;              // the dependency graph

  mutable std::mutex monitors_mu_;           // guards the fields below
  std::map<std::string, Monitor> monitors_;  // GroupResource -> monitor
  std::vector<Monitor> retired_;             // left discovery; stopped in Stop
  std::map<std::pair<std::string, std::string>, client::ResourceRef> mapping_;  // (group, kind)
  bool discovered_ = false;  // discovery succeeded once

  async::Gate gate_;                  // the discovery loop
  std::atomic<bool> started_{false};  // Start() ran
  std::atomic<bool> stopped_{false};  // Stop() ran
};

// The factory of the controller table ("garbage-collector-controller").
std::unique_ptr<Controller> NewGarbageCollector(const ControllerContext& ctx);
std::unique_ptr<Controller> NewGarbageCollector(const ControllerContext& ctx,
                                                GarbageCollectorOptions options);

}  // namespace kubepp::controller
