// The DaemonSet controller (upstream's pkg/controller/daemon): runs one pod of a DaemonSet on
// every node that should run it, keeps its ControllerRevisions, rolls pods onto a new template,
// and reports the figures in its status.
//
// - Watches DaemonSets, Nodes, Pods and ControllerRevisions through the shared informers; keys
//   are "namespace/name" of DaemonSets, synced by `concurrent_daemonset_syncs` workers.
// - A Sync (upstream's syncDaemonSet) claims the ControllerRevisions (current one created when
//   missing, duplicates removed, revision numbers moved on) and the pods (adopt / release), then
//   manages: a pod for every node that should run one and has none (created in slow-start
//   batches, bound to its node by a required node affinity on metadata.name, not spec.nodeName:
//   the scheduler binds it), deletes pods on nodes that should not run them, failed pods (with a
//   per-node back-off, event FailedDaemonPod) and extra pods on a node. When expectations are
//   met, the RollingUpdate strategy replaces old pods within maxUnavailable / maxSurge (OnDelete
//   leaves them). Old revisions beyond revisionHistoryLimit are deleted. Status is written
//   through the status subresource when it changed.
// - Events (component "daemonset-controller"): SuccessfulCreate, FailedCreate,
//   SuccessfulDelete, FailedDelete, FailedDaemonPod, SelectingAll.
//
// Threading: see controller.h. Everything the factory receives must outlive the controller.
#pragma once

#include <memory>

#include "base/clock.h"
#include "controller/controller.h"

namespace kubepp::controller {

// Settings that are not flags (tests shorten them).
struct DaemonSetControllerOptions {
  Clock::Duration failed_pod_backoff = std::chrono::seconds(1);       // first back-off
  Clock::Duration max_failed_pod_backoff = std::chrono::minutes(15);  // its cap
};

// Makes the DaemonSet controller ("daemonset-controller"; alias "daemonset").
std::unique_ptr<Controller> NewDaemonSetController(const ControllerContext& ctx);
std::unique_ptr<Controller> NewDaemonSetController(const ControllerContext& ctx,
                                                   DaemonSetControllerOptions opts);

}  // namespace kubepp::controller
