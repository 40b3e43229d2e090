#include <filesystem>
#include <memory>

#include "storage/conformance/backend_conformance.h"
#include "storage/sqlite/sqlite_backend.h"

namespace kubepp::storage {
namespace {

// A backend on a fresh file in its own temporary directory, removed with the backend.
class TempSqliteBackend final : public Backend {
 public:
  TempSqliteBackend(std::filesystem::path dir, std::unique_ptr<SqliteBackend> inner)
      : dir_(std::move(dir)), inner_(std::move(inner)) {}
  ~TempSqliteBackend() override {
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
  std::unique_ptr<SqliteBackend> inner_;  // the backend under test
};

std::unique_ptr<Backend> MakeSqlite() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "kubepp-sqlite-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) return nullptr;
  std::filesystem::path dir(tmpl);
  auto backend = SqliteBackend::Open({.path = (dir / "state.db").string()});
  if (!backend.IsOk()) {
    ADD_FAILURE() << backend.status().ToString();
    std::filesystem::remove_all(dir);
    return nullptr;
  }
  return std::make_unique<TempSqliteBackend>(dir, std::move(*backend));
}

INSTANTIATE_TEST_SUITE_P(Sqlite, BackendConformanceTest,
                         ::testing::Values(BackendFactory{"sqlite", &MakeSqlite}),
                         BackendFactoryName);

}  // namespace
}  // namespace kubepp::storage
