// The one conformance suite every storage::Backend passes.
//
// A backend's test file instantiates it:
//   INSTANTIATE_TEST_SUITE_P(Sqlite, BackendConformanceTest,
//                            ::testing::Values(BackendFactory{"sqlite", &MakeSqlite}));
// Tests are written so that several may share one store (etcd): each test works under its own
// key prefix (Key("a")) and never assumes absolute revision numbers.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "storage/backend.h"

namespace kubepp::storage {

struct BackendFactory {
  std::string name;  // for test names: "memory", "sqlite", "etcd"
  // A backend to test; may share state with earlier ones (the suite isolates by key prefix).
  std::function<std::unique_ptr<Backend>()> make;
};

class BackendConformanceTest : public ::testing::TestWithParam<BackendFactory> {
 protected:
  void SetUp() override;
  void TearDown() override;

  Backend& store() { return *store_; }  // NOLINT(readability-identifier-naming)
  // A key under this test's private prefix.
  std::string Key(std::string_view suffix) const { return prefix_ + std::string(suffix); }
  const std::string& prefix() const { return prefix_; }  // NOLINT(readability-identifier-naming)

 private:
  std::unique_ptr<Backend> store_;  // the backend under test
  std::string prefix_;              // "/conformance/<unique>/"
};

// gtest prints the factory by name instead of its bytes.
inline void PrintTo(const BackendFactory& f, std::ostream* os) { *os << f.name; }

std::string BackendFactoryName(const ::testing::TestParamInfo<BackendFactory>& info);

}  // namespace kubepp::storage
