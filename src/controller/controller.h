// Controller: one control loop of the controller manager, and what every controller gets to
// build itself (upstream's ControllerContext / ControllerDescriptor).
//
// Life cycle, driven by ControllerManager once this process leads:
//   1. the factory makes the controller: it creates the informers it needs (through
//      ControllerContext::informers) and registers its event handlers;
//   2. the manager starts the shared informers, then calls Start(): the controller starts its
//      workers, which wait for the caches to sync before the first Sync;
//   3. Stop() (SIGTERM, or leadership lost): workers finish the Sync in flight and end.
// Threading: Start() and Stop() from the manager's (non-io) thread; everything else of a
// controller runs on the runtime's io threads.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "async/runtime.h"
#include "base/clock.h"
#include "client/informer.h"
#include "client/rest_client.h"

namespace kubepp::controller {

// The settings of every controller (upstream's KubeControllerManagerConfiguration, the part
// kubepp implements). Flag names in comments.
struct ControllerOptions {
  int concurrent_namespace_syncs = 10;                      // --concurrent-namespace-syncs
  std::chrono::milliseconds namespace_sync_period{300000};  // --namespace-sync-period (resync)
  int concurrent_replicaset_syncs = 5;                      // --concurrent-replicaset-syncs
  int concurrent_gc_syncs = 20;                             // --concurrent-gc-syncs
  int concurrent_service_endpoint_syncs = 5;                // --concurrent-service-endpoint-syncs
  int max_endpoints_per_slice = 100;                        // --max-endpoints-per-slice
  int concurrent_serviceaccount_syncs = 5;  // serviceaccount controller workers (fixed upstream)
  int concurrent_deployment_syncs = 5;      // --concurrent-deployment-syncs
  int concurrent_job_syncs = 5;             // --concurrent-job-syncs
  int concurrent_cron_job_syncs = 5;        // --concurrent-cron-job-syncs
  int concurrent_statefulset_syncs = 5;     // --concurrent-statefulset-syncs
  int concurrent_daemonset_syncs = 2;       // --concurrent-daemonset-syncs
  int concurrent_ttl_after_finished_syncs = 5;  // --concurrent-ttl-after-finished-syncs
  int concurrent_resource_quota_syncs = 5;      // --concurrent-resource-quota-syncs
  std::chrono::milliseconds resource_quota_sync_period{300000};  // --resource-quota-sync-period
  int terminated_pod_gc_threshold = 12500;                       // --terminated-pod-gc-threshold
  // Node lifecycle: --node-monitor-period, --node-monitor-grace-period,
  // --node-startup-grace-period.
  std::chrono::milliseconds node_monitor_period{5000};
  std::chrono::milliseconds node_monitor_grace_period{50000};
  std::chrono::milliseconds node_startup_grace_period{60000};
  // Node IPAM: --allocate-node-cidrs, --cluster-cidr, --node-cidr-mask-size.
  bool allocate_node_cidrs = true;
  std::string cluster_cidr = "198.18.0.0/16";
  int node_cidr_mask_size = 24;
  // Wait after a namespace event before acting on it (upstream's namespaceDeletionGracePeriod:
  // lets HA API servers observe the deletion first). Not a flag upstream; tests shorten it.
  std::chrono::milliseconds namespace_deletion_grace_period{5000};
};

// What a controller is built from. Everything outlives the controller.
struct ControllerContext {
  client::RestClient* client = nullptr;                // API access
  client::SharedInformerFactory* informers = nullptr;  // the shared informers
  async::asio::any_io_executor executor;               // where workers run
  const Clock* clock = nullptr;                        // time
  ControllerOptions options;                           // settings
};

class Controller {
 public:
  virtual ~Controller() = default;
  // Starts the workers (after the shared informers were started).
  virtual void Start() = 0;
  // Stops the workers and waits for them. Idempotent.
  virtual void Stop() = 0;
};

// Makes a controller (its informers and handlers are registered here).
using ControllerFactory = std::function<std::unique_ptr<Controller>(const ControllerContext&)>;

// One entry of the controller table: upstream's name, its short alias, whether "*" enables it.
struct ControllerDescriptor {
  std::string_view name;   // e.g. "namespace-controller"
  std::string_view alias;  // e.g. "namespace" (the pre-1.28 name, still accepted)
  bool disabled_by_default = false;
  ControllerFactory factory;
};

}  // namespace kubepp::controller
