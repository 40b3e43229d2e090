// The storage workloads against the SQLite backend: durable writes (WAL, synchronous=FULL,
// group commit). Each workload gets a fresh file in a temporary directory, removed after it.
//   storage_sqlite_bench [--dir=DIR] [suite flags: --ops=N --writers=1,16,64 ...]
// --dir picks the file system under test (default: the system temp directory).
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "storage/sqlite/sqlite_backend.h"
#include "storage_workload.h"

namespace {

using kubepp::Result;
using kubepp::Status;
using namespace kubepp::storage;  // NOLINT(google-build-using-namespace): a small main

// A SqliteBackend on a fresh file that removes its directory when destroyed.
class TempSqliteBackend final : public Backend {
 public:
  TempSqliteBackend(std::filesystem::path dir, std::unique_ptr<SqliteBackend> inner)
      : dir_(std::move(dir)), inner_(std::move(inner)) {}
  ~TempSqliteBackend() override {
    SqliteStats s = inner_->Stats();
    if (s.writes > 0) {
      std::fprintf(
          stderr,
          "  [sqlite: %lld writes in %lld commits, %.1f writes/commit, %lld+%lld checkpoints]\n",
          static_cast<long long>(s.writes), static_cast<long long>(s.commits),
          static_cast<double>(s.writes) / static_cast<double>(std::max<int64_t>(1, s.commits)),
          static_cast<long long>(s.checkpoints), static_cast<long long>(s.writer_checkpoints));
    }
    inner_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  TempSqliteBackend(const TempSqliteBackend&) = delete;
  TempSqliteBackend& operator=(const TempSqliteBackend&) = delete;

  // storage::Backend
  Result<KeyValue> Get(std::string_view key) override { return inner_->Get(key); }
  Result<ListResult> List(const ListOptions& opts) override { return inner_->List(opts); }
  Result<KeyValue> Create(std::string_view key, std::string_view value) override {
    return inner_->Create(key, value);
  }
  Result<KeyValue> Update(std::string_view key, std::string_view value,
                          Revision expected_mod_revision) override {
    return inner_->Update(key, value, expected_mod_revision);
  }
  Result<DeleteResult> Delete(std::string_view key, Revision expected_mod_revision) override {
    return inner_->Delete(key, expected_mod_revision);
  }
  Result<std::unique_ptr<WatchStream>> Watch(std::string_view prefix,
                                             Revision from_revision) override {
    return inner_->Watch(prefix, from_revision);
  }
  Status Compact(Revision revision) override { return inner_->Compact(revision); }
  Result<Revision> CurrentRevision() override { return inner_->CurrentRevision(); }
  Result<Revision> CompactedRevision() override { return inner_->CompactedRevision(); }

 private:
  std::filesystem::path dir_;             // the temporary directory holding the file
  std::unique_ptr<SqliteBackend> inner_;  // the backend measured
};

}  // namespace

int main(int argc, char** argv) {
  std::string base = std::filesystem::temp_directory_path().string();
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    if (i > 0 && std::strncmp(argv[i], "--dir=", 6) == 0) {
      base = argv[i] + 6;
    } else {
      rest.push_back(argv[i]);
    }
  }
  kubepp::bench::SuiteOptions options;
  if (!kubepp::bench::ParseSuiteFlags(static_cast<int>(rest.size()), rest.data(), options)) {
    return 2;
  }
  kubepp::bench::RunStandardSuite(
      "sqlite",
      [base]() -> std::unique_ptr<Backend> {
        std::string tmpl = (std::filesystem::path(base) / "kubepp-bench-XXXXXX").string();
        if (mkdtemp(tmpl.data()) == nullptr) {
          std::perror("mkdtemp");
          std::exit(1);
        }
        auto store = SqliteBackend::Open({.path = tmpl + "/state.db"});
        if (!store.IsOk()) {
          std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
          std::exit(1);
        }
        return std::make_unique<TempSqliteBackend>(tmpl, std::move(*store));
      },
      options);
  return 0;
}
