// The resource quota controller (upstream's pkg/controller/resourcequota): keeps every
// ResourceQuota's status in step with what its namespace holds.
//
// - status.hard = spec.hard; status.used = the usage of each resource named in spec.hard that
//   an evaluator tracks (quota_evaluator.h: pods and compute resources, services, claims and
//   storage, object counts `configmaps`, `secrets`, `replicationcontrollers`,
//   `resourcequotas` and `count/<resource>.<group>`), within the quota's scopes. Written
//   through resourcequotas/status only when a value changed.
// - Watches ResourceQuotas, Pods, Services, PersistentVolumeClaims, ConfigMaps, Secrets and
//   ReplicationControllers: a change that can move usage queues every quota of the object's
//   namespace. Other kinds named by `count/...` are listed through the API (their resource
//   found by discovery) when a quota is synced, and every quota is synced again each
//   `resync_period` (upstream's --resource-quota-sync-period).
// - Keys are "namespace/name" of quotas, synced by `workers` workers.
//
// Threading: see controller.h. Everything the factory receives must outlive the controller.
#pragma once

#include <chrono>
#include <memory>

#include "controller/controller.h"

namespace kubepp::controller {

// Settings of the resource quota controller (upstream flags; defaults as upstream).
struct ResourceQuotaControllerOptions {
  int workers = 5;                                         // --concurrent-resource-quota-syncs
  std::chrono::milliseconds resync_period{5 * 60 * 1000};  // --resource-quota-sync-period
};

// Makes the resource quota controller ("resourcequota-controller"; alias "resourcequota"); the
// one-argument form takes the workers and resync period from ctx.options.
std::unique_ptr<Controller> NewResourceQuotaController(const ControllerContext& ctx);
std::unique_ptr<Controller> NewResourceQuotaController(const ControllerContext& ctx,
                                                       ResourceQuotaControllerOptions opts);

}  // namespace kubepp::controller
