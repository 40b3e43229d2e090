// Discovery of the API server's resources through /api and /apis (client-go's
// ServerPreferredNamespacedResources), for controllers that act on every kind (namespace
// deletion, garbage collection).
//
// For the core group and for every group's preferred version, reads the APIResourceList and
// keeps the top-level resources (no subresources). A group version whose list fails is
// reported in `failed_groups` while the others are still returned (upstream's
// ErrGroupDiscoveryFailed); failing /api or /apis is an error.
// Thread-safe (a coroutine over a thread-safe RestClient).
#pragma once

#include <boost/json/value.hpp>
#include <map>
#include <string>
#include <vector>

#include "async/runtime.h"
#include "base/status.h"
#include "client/resource.h"
#include "client/rest_client.h"

namespace kubepp::controller {

struct ApiResource {
  client::ResourceRef ref;         // group, version, resource, kind, namespaced
  std::vector<std::string> verbs;  // "get", "list", "delete", "deletecollection", ...

  bool Supports(std::string_view verb) const;
  // upstream's GroupResource.String(): "pods", "deployments.apps".
  std::string GroupResource() const;
};

struct DiscoveryResult {
  std::vector<ApiResource> resources;                // every preferred top-level resource
  std::map<std::string, std::string> failed_groups;  // "group/version" -> why it failed
};

// Parses one APIResourceList (the answer of /api/v1 or /apis/GROUP/VERSION).
Result<std::vector<ApiResource>> ParseApiResourceList(const boost::json::value& list,
                                                      const std::string& group,
                                                      const std::string& version);

// Every preferred resource of the server.
async::Task<Result<DiscoveryResult>> DiscoverPreferredResources(client::RestClient* client);

}  // namespace kubepp::controller
