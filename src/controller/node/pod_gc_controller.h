// The pod garbage collector (upstream's pkg/controller/podgc). Every gc_check_period:
// - terminated pods (phase Succeeded or Failed) beyond terminated_pod_gc_threshold are
//   deleted, oldest (creationTimestamp) first; a threshold <= 0 turns this off;
// - pods bound to a node that does not exist are deleted (force, grace 0) once the node has
//   been missing from the cache for `quarantine` and a live GET confirms it (NotFound); first
//   the pod gets the DisruptionTarget condition (reason DeletionByPodGC) and, unless it already
//   finished, phase Failed;
// - unscheduled pods being deleted (deletionTimestamp, no nodeName) are deleted (force).
// Not done: pods of out-of-service nodes (the NodeOutOfServiceVolumeDetach path).
//
// Threading: see controller.h. One loop; nothing else.
#pragma once

#include <chrono>
#include <memory>

#include "controller/controller.h"

namespace kubepp::controller {

// Settings of pod GC that are not flags upstream (tests shorten them).
struct PodGcControllerOptions {
  std::chrono::milliseconds gc_check_period{20000};  // upstream's gcCheckPeriod
  std::chrono::milliseconds quarantine{40000};       // upstream's quarantineTime
};

// Makes the pod GC controller ("pod-garbage-collector-controller"; alias "podgc").
std::unique_ptr<Controller> NewPodGcController(const ControllerContext& ctx);
std::unique_ptr<Controller> NewPodGcController(const ControllerContext& ctx,
                                               PodGcControllerOptions opts);

}  // namespace kubepp::controller
