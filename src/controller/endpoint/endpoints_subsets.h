// The Endpoints of a Service, computed from its pods (upstream's endpoints controller syncService
// and pkg/api/v1/endpoints RepackSubsets). Pure functions: no API access, no state.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/types.h"

namespace kubepp::controller {

// One subset per (pod, port) before repacking, as upstream builds them: ready pods (or every
// pod, with publishNotReadyAddresses) in addresses, the others in notReadyAddresses. Pods
// without an IP, terminal pods and (unless publishNotReadyAddresses) terminating pods are left
// out; a pod without a Service port's named targetPort is left out of that port only. `pods`
// must already match the Service's selector and namespace.
std::vector<api::EndpointSubset> BuildSubsets(
    const api::Service& service, const std::vector<std::shared_ptr<const api::Pod>>& pods);

// Upstream's RepackSubsets: addresses (by IP and targetRef uid) grouped by the exact set of ports
// they offer, one subset per set; an address not ready on any port is not ready in its subset.
// Addresses sorted by IP then uid, ports by name/port/protocol, subsets by their first address.
std::vector<api::EndpointSubset> RepackSubsets(const std::vector<api::EndpointSubset>& subsets);

// Subsets equal, ignoring the targetRefs' resourceVersions.
bool SubsetsEqual(const std::vector<api::EndpointSubset>& a,
                  const std::vector<api::EndpointSubset>& b);

// What the Endpoints object of `service` should be, given the current one (nullptr: none).
// nullopt when `current` is already right (upstream skips the write then): same subsets and
// the Service's labels (plus the headless label when it has no cluster IP). The result keeps
// current's metadata (resourceVersion, other annotations) and sets the last-change-trigger-time
// annotation to `trigger_time` (removed when empty).
std::optional<api::Endpoints> DesiredEndpoints(const api::Service& service,
                                               std::vector<api::EndpointSubset> subsets,
                                               const api::Endpoints* current,
                                               const std::string& trigger_time);

}  // namespace kubepp::controller
