// The EndpointSlices of a Service, computed from its pods and the slices that exist (upstream's
// endpointslice reconciler). Pure functions: no API access, no state.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "api/types.h"

namespace kubepp::controller {

// Endpoints that share one set of ports (the pods whose named ports resolve the same way).
struct EndpointGroup {
  std::vector<api::DiscoveryEndpointPort> ports;  // sorted by name, then port, then protocol
  std::vector<api::Endpoint> endpoints;           // sorted by address
};

// What the slices of `service` should hold: one group per distinct port set. Pods without an
// address of the Service's family and terminal pods are left out; terminating pods stay in as
// serving/terminating (ready only with publishNotReadyAddresses). `zone_of(nodeName)` gives a
// node's topology.kubernetes.io/zone ("" when unknown). `pods` must match the selector.
std::vector<EndpointGroup> DesiredEndpointGroups(
    const api::Service& service, const std::vector<std::shared_ptr<const api::Pod>>& pods,
    const std::function<std::string(const std::string&)>& zone_of);

// The writes that turn `existing` (the slices this controller manages for the Service) into
// `desired`, with little churn: endpoints stay in the slice that has them (updated in place when
// they changed), new endpoints first fill slices that are being updated anyway, then one
// unchanged slice that can take all of them, then new slices of at most `max_per_slice`; slices
// left empty, of a port set no longer wanted, of another address type or owned by an older
// Service of that name are deleted. A Service with no endpoints keeps one empty placeholder
// slice, as upstream. Slices written get `trigger_time` as last-change-trigger-time.
struct SlicePlan {
  std::vector<api::EndpointSlice> to_create;  // generateName set, no name
  std::vector<api::EndpointSlice> to_update;  // existing slices with their resourceVersion
  std::vector<api::EndpointSlice> to_delete;  // existing slices
};
SlicePlan PlanSlices(const api::Service& service, const std::vector<EndpointGroup>& desired,
                     const std::vector<std::shared_ptr<const api::EndpointSlice>>& existing,
                     int max_per_slice, const std::string& trigger_time);

// The labels every slice of `service` carries: the Service's own (minus the two below), the
// headless label when it has no cluster IP, kubernetes.io/service-name and managed-by.
std::map<std::string, std::string> SliceLabels(const api::Service& service);

}  // namespace kubepp::controller
