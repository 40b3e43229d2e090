#include "cmd/kubepp/store_flags.h"

#include <filesystem>

#include "storage/etcd/etcd_backend.h"
#include "storage/memory/memory_backend.h"
#include "storage/sqlite/sqlite_backend.h"

namespace kubepp::cmd {

void AddStoreFlags(CLI::App& app, StoreFlags& flags) {
  app.add_option("--store", flags.store, "Where objects live: sqlite (embedded), etcd, memory")
      ->check(CLI::IsMember({"sqlite", "etcd", "memory"}));
  app.add_option("--data-dir", flags.data_dir, "Directory of the embedded store");
  app.add_option("--etcd-servers", flags.etcd_servers,
                 "etcd endpoints (http://host:port), comma separated, for --store=etcd")
      ->delimiter(',');
}

Result<std::unique_ptr<storage::Backend>> OpenStore(const StoreFlags& flags) {
  if (flags.store == "memory") {
    return std::unique_ptr<storage::Backend>(std::make_unique<storage::MemoryBackend>());
  }
  if (flags.store == "etcd") {
    if (flags.etcd_servers.empty()) {
      return Status::BadRequest("--store=etcd needs --etcd-servers");
    }
    storage::EtcdOptions opts;
    opts.endpoints = flags.etcd_servers;
    auto etcd = storage::EtcdBackend::Open(opts);
    if (!etcd.IsOk()) return etcd.status();
    return std::unique_ptr<storage::Backend>(std::move(*etcd));
  }
  std::error_code ec;
  std::filesystem::create_directories(flags.data_dir, ec);
  if (ec) {
    return Status::Unavailable("cannot create data dir " + flags.data_dir + ": " + ec.message());
  }
  storage::SqliteOptions opts;
  opts.path = flags.data_dir + "/state.db";
  // Like the API server's --etcd-compaction-interval: history older than a few minutes only
  // serves stale continue tokens and old watches, which the watch hub covers.
  opts.auto_compact_interval = std::chrono::minutes(5);
  opts.auto_compact_retain = 100000;
  auto sqlite = storage::SqliteBackend::Open(opts);
  if (!sqlite.IsOk()) return sqlite.status();
  return std::unique_ptr<storage::Backend>(std::move(*sqlite));
}

}  // namespace kubepp::cmd
