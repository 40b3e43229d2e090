// What a Service's type asks of the allocators (upstream's needsClusterIP, needsNodePort,
// needsHCNodePort), shared by the Service registry hooks and the ServiceAllocator.
#pragma once

#include <string_view>

#include "api/types.h"

namespace kubepp::apiserver {

// The type, with the default ("" is ClusterIP).
inline bool ServiceIsType(const api::Service& s, std::string_view type) {
  return s.spec.type == type || (s.spec.type.empty() && type == "ClusterIP");
}
// Every type but ExternalName has a ClusterIP unless headless ("None").
inline bool NeedsClusterIP(const api::Service& s) {
  return !ServiceIsType(s, "ExternalName") && s.spec.clusterIP != "None";
}
// NodePort and LoadBalancer services may hold node ports.
inline bool MayHoldNodePorts(const api::Service& s) {
  return ServiceIsType(s, "NodePort") || ServiceIsType(s, "LoadBalancer");
}
// ... and get them allocated for ports that ask for none.
inline bool NeedsNodePorts(const api::Service& s) {
  return ServiceIsType(s, "NodePort") ||
         (ServiceIsType(s, "LoadBalancer") && s.spec.allocateLoadBalancerNodePorts.value_or(true));
}
inline bool NeedsHealthCheckNodePort(const api::Service& s) {
  return ServiceIsType(s, "LoadBalancer") && s.spec.externalTrafficPolicy == "Local";
}
// Reachable from outside the cluster (upstream's ExternallyAccessible).
inline bool ServiceExternallyAccessible(const api::Service& s) {
  return ServiceIsType(s, "LoadBalancer") || ServiceIsType(s, "NodePort") ||
         (ServiceIsType(s, "ClusterIP") && !s.spec.externalIPs.empty());
}

}  // namespace kubepp::apiserver
