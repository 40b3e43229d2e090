// Which REST resource serves a kind: group, version, plural resource name and scope.
//
// Typed clients find their resource from the generated type's kGroup/kVersion/kKind through a
// table of every built-in kind (upstream's RESTMapper answers the same question through
// discovery; the built-in kinds never change, so a table is enough until CRDs arrive).
// Thread-safe: pure functions over constant data.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace kubepp::client {

// A REST resource: /api/v1/namespaces/{ns}/pods or /apis/apps/v1/deployments.
struct ResourceRef {
  std::string group;     // "" for core
  std::string version;   // "v1"
  std::string resource;  // plural, lower case: "pods"
  std::string kind;      // "Pod"
  bool namespaced = true;

  // "v1" or "apps/v1".
  std::string GroupVersion() const;
  bool operator==(const ResourceRef&) const = default;
};

// The resource serving a built-in kind. NotFound for kinds kubepp does not know.
Result<ResourceRef> ResourceForKind(std::string_view group, std::string_view version,
                                    std::string_view kind);

// The resource of a generated API type (api::Pod -> pods). Aborts for a type without a known
// resource: that is a programming error, not input.
template <typename T>
const ResourceRef& ResourceOf() {
  static const ResourceRef kRef = [] {
    auto r = ResourceForKind(T::kGroup, T::kVersion, T::kKind);
    KUBEPP_CHECK(r.IsOk(), "no REST resource for kind {}", T::kKind);
    return *r;
  }();
  return kRef;
}

}  // namespace kubepp::client
