// Store flags shared by the roles that open the store (apiserver, server).
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "storage/backend.h"

namespace kubepp::cmd {

struct StoreFlags {
  std::string store = "sqlite";              // sqlite | etcd | memory
  std::string data_dir = "/var/lib/kubepp";  // where the embedded store lives
  std::vector<std::string> etcd_servers;     // --etcd-servers for --store=etcd
};

void AddStoreFlags(CLI::App& app, StoreFlags& flags);
// Opens the store the flags describe, with a clear Status when it cannot be.
Result<std::unique_ptr<storage::Backend>> OpenStore(const StoreFlags& flags);

}  // namespace kubepp::cmd
