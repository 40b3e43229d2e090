#include <algorithm>

#include "apiserver/registry/registry_kinds.h"
#include "apiserver/registry/resource.h"

namespace kubepp::apiserver {

std::string ResourceInfo::KeyPrefix() const {
  return "/registry/" + (group.empty() ? std::string("core") : group) + "/" + resource + "/";
}

std::string ResourceInfo::Key(std::string_view ns, std::string_view name) const {
  std::string key = KeyPrefix();
  if (namespaced) {
    key.append(ns);
    key += '/';
  }
  key.append(name);
  return key;
}

std::unique_ptr<Registry> Registry::Default() {
  auto registry = std::make_unique<Registry>();
  AddCoreKinds(*registry);
  AddAppsKinds(*registry);
  AddOtherKinds(*registry);
  return registry;
}

void Registry::Add(ResourceInfo info) {
  resources_.push_back(std::make_unique<ResourceInfo>(std::move(info)));
}

const ResourceInfo* Registry::Find(std::string_view group, std::string_view version,
                                   std::string_view resource) const {
  for (const auto& r : resources_) {
    if (r->group == group && r->version == version && r->resource == resource) return r.get();
  }
  return nullptr;
}

std::vector<std::string> Registry::Groups() const {
  std::vector<std::string> groups;
  for (const auto& r : resources_) {
    if (std::find(groups.begin(), groups.end(), r->group) == groups.end()) {
      groups.push_back(r->group);
    }
  }
  return groups;
}

}  // namespace kubepp::apiserver
