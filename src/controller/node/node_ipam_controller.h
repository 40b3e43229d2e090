// The node IPAM controller (upstream's pkg/controller/nodeipam, RangeAllocator): gives every
// Node without spec.podCIDR the next free subnet of --cluster-cidr with
// --node-cidr-mask-size bits (spec.podCIDR and spec.podCIDRs, by merge patch).
//
// - Subnets of existing nodes are marked used before the first allocation; a deleted node's
//   subnet is freed. Allocation is round-robin (upstream's cidrset).
// - A full range: event CIDRNotAvailable on the node ("Node <name> status is now:
//   CIDRNotAvailable", component cidrAllocator) and a retry with back-off.
// - Only when allocate_node_cidrs; IPv4 only (no dual-stack, no --service-cluster-ip-range
//   reservation, no NetworkUnavailable condition, no cloud allocator).
//
// Threading: see controller.h. One worker, so nodes get subnets in the order they appear.
#pragma once

#include <memory>

#include "controller/controller.h"

namespace kubepp::controller {

// Makes the node IPAM controller ("node-ipam-controller"; alias "nodeipam"). Without
// allocate_node_cidrs (or with a cluster CIDR that does not parse) it does nothing.
std::unique_ptr<Controller> NewNodeIpamController(const ControllerContext& ctx);

}  // namespace kubepp::controller
