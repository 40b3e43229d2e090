// The node lifecycle controller (upstream's pkg/controller/nodelifecycle) with taint-based
// eviction (pkg/controller/tainteviction).
//
// - Every node_monitor_period, each Node's heartbeat (its Ready condition's lastHeartbeatTime
//   or its kube-node-lease Lease's renewTime changing, seen on this controller's clock) is
//   checked: after node_monitor_grace_period without one (node_startup_grace_period for a
//   node that never posted a Ready condition) Ready, MemoryPressure, DiskPressure and
//   PIDPressure turn Unknown (NodeStatusUnknown, "Kubelet stopped posting node status.").
// - Taints follow the Ready condition: NoExecute + NoSchedule `node.kubernetes.io/unreachable`
//   (Unknown) or `node.kubernetes.io/not-ready` (False), removed once Ready is True again;
//   NoSchedule memory/disk/pid-pressure, network-unavailable and unschedulable taints follow
//   their conditions and spec.unschedulable (TaintNodesByCondition).
// - Pods of a node that is not Ready get Ready=False (MarkPodsNotReady).
// - Taint-based eviction: a pod on a node with a NoExecute taint it does not tolerate is
//   deleted at once (DisruptionTarget condition, reason DeletionByTaintManager, then delete);
//   tolerated with tolerationSeconds: deleted that long after the taint's timeAdded;
//   tolerated without tolerationSeconds: kept. Event TaintManagerEviction on the pod.
// Not done: zone states and rate-limited eviction (--node-eviction-rate,
// --large-cluster-size-threshold, --unhealthy-zone-threshold), node events (NodeNotReady).
//
// Threading: see controller.h. Everything the factory receives must outlive the controller.
#pragma once

#include <memory>

#include "controller/controller.h"

namespace kubepp::controller {

// Makes the node lifecycle controller ("node-lifecycle-controller"; alias "nodelifecycle").
std::unique_ptr<Controller> NewNodeLifecycleController(const ControllerContext& ctx);

}  // namespace kubepp::controller
