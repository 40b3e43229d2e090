// The namespace controller (upstream's pkg/controller/namespace): a namespace being deleted is
// emptied and its `kubernetes` finalizer removed (NamespacedResourcesDeleter does the work).
//
// Events on namespaces with a deletionTimestamp queue the namespace after
// options.namespace_deletion_grace_period (upstream: 5 s, so HA API servers observe the deletion
// and last-moment creations land first); the informer resyncs every namespace_sync_period;
// options.concurrent_namespace_syncs workers. Rate limiter as upstream: per-item exponential
// 5 ms .. 60 s, at most 10 qps (burst 100) overall.
#pragma once

#include <memory>

#include "controller/controller.h"

namespace kubepp::controller {

std::unique_ptr<Controller> NewNamespaceController(const ControllerContext& ctx);

}  // namespace kubepp::controller
