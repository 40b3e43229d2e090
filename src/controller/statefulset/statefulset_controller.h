// The StatefulSet controller (upstream's pkg/controller/statefulset): keeps pods with stable
// identities "<set>-<ordinal>" for ordinals start..start+replicas-1, each with its own
// PersistentVolumeClaims, and rolls them to the set's current template.
//
// - Watches StatefulSets, Pods, ControllerRevisions and PersistentVolumeClaims through the
//   shared informers; keys are "namespace/name" of StatefulSets, synced by
//   `concurrent_statefulset_syncs` workers.
// - A Sync adopts orphan ControllerRevisions and claims pods (adopt/release by selector and
//   name, as the ReplicaSet controller), finds or creates the update revision (the template as
//   a ControllerRevision, history library), then acts as upstream's updateStatefulSet: failed
//   pods are deleted and recreated, missing pods are created after their claims
//   (<template>-<set>-<ordinal>) -- OrderedReady one at a time once every predecessor is
//   Running, Ready and available for minReadySeconds, Parallel all at once -- surplus pods are
//   deleted from the highest ordinal down, and RollingUpdate deletes the highest pod not at the
//   update revision down to the partition, one at a time (OnDelete leaves that to the user).
// - Status (replicas, readyReplicas, availableReplicas, currentReplicas, updatedReplicas,
//   currentRevision, updateRevision, collisionCount, observedGeneration) is written through the
//   status subresource when it changed; unused revisions beyond revisionHistoryLimit are
//   deleted.
// - Events (component "statefulset-controller"): SuccessfulCreate/FailedCreate,
//   SuccessfulDelete/FailedDelete, SuccessfulUpdate/FailedUpdate for pods and claims, with
//   upstream's messages ("create Pod web-0 in StatefulSet web successful").
//
// Threading: see controller.h. Everything the factory receives must outlive the controller.
#pragma once

#include <memory>

#include "controller/controller.h"

namespace kubepp::controller {

// Makes the StatefulSet controller ("statefulset-controller"; alias "statefulset").
std::unique_ptr<Controller> NewStatefulSetController(const ControllerContext& ctx);

}  // namespace kubepp::controller
