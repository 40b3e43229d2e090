// The ReplicaSet controller (upstream's pkg/controller/replicaset): keeps the number of active
// pods that a ReplicaSet controls at spec.replicas, and reports them in its status.
//
// - Watches ReplicaSets and Pods through the shared informers; keys are "namespace/name" of
//   ReplicaSets, synced by `concurrent_replicaset_syncs` workers.
// - A Sync claims pods (adopts matching orphans, releases owned pods that stopped matching),
//   creates missing pods in slow-start batches (1, 2, 4, ... at most kBurstReplicas a sync) or
//   deletes surplus ones (ranked as upstream's ActivePodsWithRanks), then writes status
//   (replicas, fullyLabeledReplicas, readyReplicas, availableReplicas, observedGeneration,
//   ReplicaFailure) through the status subresource when it changed.
// - Expectations hold back a key until the informer has seen the pods it created or deleted.
// - Events (component "replicaset-controller"): SuccessfulCreate, FailedCreate,
//   SuccessfulDelete, FailedDelete.
//
// Threading: see controller.h. Everything the factory receives must outlive the controller.
#pragma once

#include <memory>

#include "controller/controller.h"

namespace kubepp::controller {

// Makes the ReplicaSet controller ("replicaset-controller"; alias "replicaset").
std::unique_ptr<Controller> NewReplicaSetController(const ControllerContext& ctx);

}  // namespace kubepp::controller
