// The disruption controller (upstream's pkg/controller/disruption): keeps every
// PodDisruptionBudget's status current, so that the eviction subresource knows how many
// covered pods may be disrupted.
//
// - Watches PodDisruptionBudgets and Pods (plus ReplicationControllers, ReplicaSets,
//   Deployments and StatefulSets, whose spec.replicas give the expected pod count); keys are
//   "namespace/name" of PDBs, synced by one worker (upstream runs one).
// - A sync (disruption_logic.h): the pods of the namespace matching spec.selector; expectedPods
//   and desiredHealthy from minAvailable / maxUnavailable (int or percent, rounded up);
//   currentHealthy = Ready pods not being deleted and not pending in status.disruptedPods;
//   disruptionsAllowed = max(0, currentHealthy - desiredHealthy); the DisruptionAllowed
//   condition (SufficientPods / InsufficientPods); observedGeneration. disruptedPods entries
//   older than 2 minutes are dropped (the PDB is looked at again when the next one expires).
//   Written through poddisruptionbudgets/status only when something changed.
// - A failed sync (other than a conflict) writes disruptionsAllowed 0 with DisruptionAllowed
//   False / SyncFailed (upstream's fail-safe).
// - A pod whose DisruptionTarget condition stayed True for 2 minutes without the pod being
//   deleted gets it reset to False (server-side apply of pods/status, field manager
//   "DisruptionController"; upstream's stale pod disruption worker).
// - Events (component "controllermanager"): NoPods, CalculateExpectedPodCountFailed,
//   UnmanagedPods on the PDB; NotDeleted and MultiplePodDisruptionBudgets on pods.
//
// Threading: see controller.h. Everything the factory receives must outlive the controller.
#pragma once

#include <memory>

#include "base/clock.h"
#include "controller/controller.h"
#include "controller/disruption/disruption_logic.h"

namespace kubepp::controller {

// Settings of the disruption controller that are not flags upstream (tests shorten them).
struct DisruptionControllerOptions {
  // How long a DisruptionTarget condition may stay True on a pod that is not deleted.
  Clock::Duration stale_pod_disruption_timeout = disruption::kStalePodDisruptionTimeout;
};

// Makes the disruption controller ("disruption-controller"; alias "disruption").
std::unique_ptr<Controller> NewDisruptionController(const ControllerContext& ctx);
std::unique_ptr<Controller> NewDisruptionController(const ControllerContext& ctx,
                                                    DisruptionControllerOptions opts);

}  // namespace kubepp::controller
