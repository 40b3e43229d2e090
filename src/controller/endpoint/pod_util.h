// Helpers shared by the endpoints and endpointslice controllers: which pods back a Service, on
// which address and port (upstream's pkg/controller/util/endpoint and podutil). Pure functions.
#pragma once

#include <optional>
#include <string>

#include "api/types.h"

namespace kubepp::controller {

// Well-known labels and annotations.
inline constexpr const char* kLabelServiceName = "kubernetes.io/service-name";
inline constexpr const char* kLabelManagedBy = "endpointslice.kubernetes.io/managed-by";
inline constexpr const char* kEndpointSliceControllerName = "endpointslice-controller.k8s.io";
inline constexpr const char* kLabelHeadless = "service.kubernetes.io/headless";
inline constexpr const char* kAnnotationLastChangeTriggerTime =
    "endpoints.kubernetes.io/last-change-trigger-time";
inline constexpr const char* kLabelTopologyZone = "topology.kubernetes.io/zone";

// The pod's Ready condition is True.
bool IsPodReady(const api::Pod& pod);
// Succeeded or Failed.
bool IsPodTerminal(const api::Pod& pod);
// Upstream's ShouldPodBeInEndpoints: not terminal, has an IP, and (unless include_terminating)
// not being deleted.
bool ShouldPodBeInEndpoints(const api::Pod& pod, bool include_terminating);
// The pod's hostname goes into the address: spec.hostname set and spec.subdomain names the
// Service (same namespace).
bool ShouldSetHostname(const api::Pod& pod, const api::Service& service);
// The Service has a cluster IP (not headless).
bool IsServiceIPSet(const api::Service& service);
// "IPv4" or "IPv6": the Service's primary family (ipFamilies, else its cluster IP, else IPv4).
std::string ServiceAddressType(const api::Service& service);
// The pod's IP of `address_type` ("" when it has none).
std::string PodAddress(const api::Pod& pod, const std::string& address_type);
// The container port a Service port reaches on this pod (upstream's podutil.FindPort): a number
// as is; a name looked up among the containers' ports with the same protocol. nullopt when the
// pod has no such named port.
std::optional<int32_t> FindPort(const api::Pod& pod, const api::ServicePort& port);
// The protocol of a port, "TCP" when unset.
std::string ProtocolOf(const std::string& protocol);
// When the pod last changed in a way the endpoints see: its Ready condition's last transition,
// else its creation ("" when neither is known).
std::string PodLastChangeTime(const api::Pod& pod);

}  // namespace kubepp::controller
