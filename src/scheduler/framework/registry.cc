#include "scheduler/framework/registry.h"

namespace kubepp::scheduler {

kubepp::Status Registry::Register(std::string name, PluginFactory factory) {
  if (factories_.contains(name)) {
    return kubepp::Status::AlreadyExists("a plugin named " + name + " already exists");
  }
  factories_.emplace(std::move(name), std::move(factory));
  return {};
}

kubepp::Status Registry::Unregister(std::string_view name) {
  auto it = factories_.find(name);
  if (it == factories_.end()) {
    return kubepp::Status::NotFound("no plugin named " + std::string(name) + " exists");
  }
  factories_.erase(it);
  return {};
}

kubepp::Status Registry::Merge(const Registry& other) {
  for (const auto& [name, factory] : other.factories_) {
    kubepp::Status s = Register(name, factory);
    if (!s.IsOk()) return s;
  }
  return {};
}

const PluginFactory* Registry::Find(std::string_view name) const {
  auto it = factories_.find(name);
  return it == factories_.end() ? nullptr : &it->second;
}

}  // namespace kubepp::scheduler
