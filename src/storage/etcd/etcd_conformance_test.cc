// The conformance suite against one real etcd, started once for the whole test binary and
// shared by every etcd test (the suite isolates tests by key prefix).
#include <gtest/gtest.h>

#include "storage/conformance/backend_conformance.h"
#include "storage/etcd/etcd_backend.h"
#include "storage/etcd/testing/etcd_cluster.h"

namespace kubepp::storage {
namespace {

// Owns the process-wide etcd: started lazily by the first etcd test, stopped when gtest ends
// the run (so no etcd or temporary directory outlives the binary).
class EtcdEnvironment : public ::testing::Environment {
 public:
  testing::EtcdCluster* Cluster() {
    if (cluster_ == nullptr && !failed_) {
      auto started = testing::EtcdCluster::Start();
      if (!started.IsOk()) {
        failed_ = true;
        ADD_FAILURE() << "cannot start etcd: " << started.status().ToString();
        return nullptr;
      }
      cluster_ = std::move(started).value();
    }
    return cluster_.get();
  }
  void TearDown() override { cluster_.reset(); }

 private:
  std::unique_ptr<testing::EtcdCluster> cluster_;  // the shared etcd, once started
  bool failed_ = false;                            // Start failed: do not retry per test
};

// gtest owns the environment; registered before main() runs the tests.
EtcdEnvironment* const kEtcdEnvironment =
    dynamic_cast<EtcdEnvironment*>(::testing::AddGlobalTestEnvironment(
        new EtcdEnvironment));  // NOLINT(cppcoreguidelines-owning-memory)

std::unique_ptr<Backend> MakeEtcd() {
  testing::EtcdCluster* cluster = kEtcdEnvironment->Cluster();
  if (cluster == nullptr) return nullptr;
  auto backend = EtcdBackend::Open({.endpoints = cluster->ClientEndpoints()});
  if (!backend.IsOk()) return nullptr;
  return std::move(backend).value();
}

INSTANTIATE_TEST_SUITE_P(Etcd, BackendConformanceTest,
                         ::testing::Values(BackendFactory{"etcd", &MakeEtcd}), BackendFactoryName);

}  // namespace
}  // namespace kubepp::storage
