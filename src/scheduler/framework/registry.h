// Registry: plugin name -> factory (upstream's runtime.Registry). Explicit: whoever builds the
// scheduler registers the in-tree plugins (plugins::NewInTreeRegistry) and its own; nothing
// registers itself in a static initialiser.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "scheduler/framework/config.h"
#include "scheduler/framework/interface.h"

namespace kubepp::scheduler {

// Builds a plugin from its args (monostate when the profile gave none). Invalid args:
// kubepp::Status Invalid.
using PluginFactory =
    std::function<Result<std::unique_ptr<Plugin>>(const PluginArgs& args, Handle& handle)>;

class Registry {
 public:
  // AlreadyExists when `name` is taken.
  kubepp::Status Register(std::string name, PluginFactory factory);
  // NotFound when absent.
  kubepp::Status Unregister(std::string_view name);
  // Adds every entry of `other`; AlreadyExists on a clash (entries before it stay added).
  kubepp::Status Merge(const Registry& other);
  const PluginFactory* Find(std::string_view name) const;
  const std::map<std::string, PluginFactory, std::less<>>& Entries() const { return factories_; }

 private:
  std::map<std::string, PluginFactory, std::less<>> factories_;  // by plugin name
};

}  // namespace kubepp::scheduler
