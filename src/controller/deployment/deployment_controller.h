// The Deployment controller (upstream's pkg/controller/deployment): rolls a Deployment's pod
// template out through ReplicaSets it owns, and reports the rollout in the Deployment's status.
//
// - Watches Deployments, ReplicaSets and Pods through the shared informers; keys are
//   "namespace/name" of Deployments, synced by ControllerOptions::concurrent_deployment_syncs
//   workers.
// - A Sync claims ReplicaSets by selector (adopts orphans, releases those that stopped
//   matching), finds or creates the new ReplicaSet ("<deploy>-<pod-template-hash>", revision
//   annotations), then: paused or a scaling event → proportional scaling only; RollingUpdate →
//   scale the new ReplicaSet up within maxSurge and old ones down within maxUnavailable;
//   Recreate → old ones to 0, wait for their pods to go, then the new one to full size. Status
//   (counts, Available and Progressing conditions, collisionCount) is written through the
//   status subresource; old zero-size ReplicaSets beyond revisionHistoryLimit are deleted.
// - Events (component "deployment-controller"): ScalingReplicaSet, SelectingAll.
//
// Threading: see controller.h. Everything the factory receives must outlive the controller.
#pragma once

#include <memory>

#include "controller/controller.h"

namespace kubepp::controller {

// Makes the Deployment controller ("deployment-controller"; alias "deployment").
std::unique_ptr<Controller> NewDeploymentController(const ControllerContext& ctx);

}  // namespace kubepp::controller
