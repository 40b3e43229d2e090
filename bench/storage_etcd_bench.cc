// The storage workloads against the etcd backend, each on a fresh single-member etcd (Debian's
// etcd-server, started on loopback in a temporary directory), and the ceiling it is measured
// against: raw etcd Puts through the same gRPC client at the same concurrency.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "storage/etcd/etcd_backend.h"
#include "storage/etcd/testing/etcd_cluster.h"
#include "storage_workload.h"

namespace {

using kubepp::storage::EtcdBackend;
using kubepp::storage::testing::EtcdCluster;

// An EtcdBackend that owns the etcd it talks to (stopped when the backend is destroyed).
class OwningEtcdBackend final : public kubepp::storage::Backend {
 public:
  OwningEtcdBackend(std::unique_ptr<EtcdCluster> cluster, std::unique_ptr<EtcdBackend> store)
      : cluster_(std::move(cluster)), store_(std::move(store)) {}
  ~OwningEtcdBackend() override { store_.reset(); }

  EtcdBackend& Etcd() { return *store_; }

  // storage::Backend
  kubepp::Result<kubepp::storage::KeyValue> Get(std::string_view key) override {
    return store_->Get(key);
  }
  kubepp::Result<kubepp::storage::ListResult> List(
      const kubepp::storage::ListOptions& opts) override {
    return store_->List(opts);
  }
  kubepp::Result<kubepp::storage::KeyValue> Create(std::string_view key,
                                                   std::string_view value) override {
    return store_->Create(key, value);
  }
  kubepp::Result<kubepp::storage::KeyValue> Update(std::string_view key, std::string_view value,
                                                   kubepp::storage::Revision expected) override {
    return store_->Update(key, value, expected);
  }
  kubepp::Result<kubepp::storage::DeleteResult> Delete(
      std::string_view key, kubepp::storage::Revision expected) override {
    return store_->Delete(key, expected);
  }
  kubepp::Result<std::unique_ptr<kubepp::storage::WatchStream>> Watch(
      std::string_view prefix, kubepp::storage::Revision from) override {
    return store_->Watch(prefix, from);
  }
  kubepp::Status Compact(kubepp::storage::Revision revision) override {
    return store_->Compact(revision);
  }
  kubepp::Result<kubepp::storage::Revision> CurrentRevision() override {
    return store_->CurrentRevision();
  }
  kubepp::Result<kubepp::storage::Revision> CompactedRevision() override {
    return store_->CompactedRevision();
  }

 private:
  std::unique_ptr<EtcdCluster> cluster_;  // the etcd process, stopped last
  std::unique_ptr<EtcdBackend> store_;    // the backend under test
};

std::unique_ptr<OwningEtcdBackend> FreshEtcd() {
  auto cluster = EtcdCluster::Start();
  if (!cluster.IsOk()) {
    std::fprintf(stderr, "cannot start etcd: %s\n", cluster.status().ToString().c_str());
    std::exit(1);
  }
  auto store = EtcdBackend::Open({.endpoints = (*cluster)->ClientEndpoints()});
  if (!store.IsOk()) {
    std::fprintf(stderr, "cannot open etcd: %s\n", store.status().ToString().c_str());
    std::exit(1);
  }
  return std::make_unique<OwningEtcdBackend>(std::move(cluster).value(), std::move(store).value());
}

// `total` 1 KiB writes of distinct keys over `writers` threads, each through `write(key,
// value)`: writes per second. The same loop measures raw Puts and the backend's Creates.
template <typename Write>
double TimedWrites(int writers, int total, Write write) {
  std::string value(1024, 'x');
  std::atomic<int> next{0};
  std::atomic<int> errors{0};
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(writers));
  for (int t = 0; t < writers; ++t) {
    threads.emplace_back([&, t] {
      for (int i = next++; i < total; i = next++) {
        if (!write("/bench/w/t" + std::to_string(t) + "/k" + std::to_string(i), value)) {
          errors++;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (errors.load() > 0) std::fprintf(stderr, "writes: %d errors\n", errors.load());
  return total / secs;
}

}  // namespace

int main(int argc, char** argv) {
  kubepp::bench::SuiteOptions options;
  if (!kubepp::bench::ParseSuiteFlags(argc, argv, options)) return 2;
  kubepp::bench::RunStandardSuite(
      "etcd", [] { return FreshEtcd(); }, options);
  // The ceiling: raw Puts vs our Creates (a Txn with a compare), same client and concurrency.
  // The bare Txn row sends the backend's create Txn with none of its logic: the difference
  // between it and raw Puts is etcd's own price of a compare-guarded Txn. Rounds interleave the
  // three (each on a fresh etcd) and the medians are printed, since one run varies by ±15%.
  constexpr int kRounds = 3;
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  for (int w : options.writers) {
    std::vector<double> raw;
    std::vector<double> txn;
    std::vector<double> ours;
    for (int round = 0; round < kRounds; ++round) {
      {
        auto store = FreshEtcd();
        EtcdBackend& etcd = store->Etcd();
        raw.push_back(TimedWrites(
            w, options.ops_per_level,
            [&](const std::string& k, const std::string& v) { return etcd.RawPut(k, v).IsOk(); }));
      }
      {
        auto store = FreshEtcd();
        EtcdBackend& etcd = store->Etcd();
        txn.push_back(
            TimedWrites(w, options.ops_per_level, [&](const std::string& k, const std::string& v) {
              return etcd.RawCreateTxn(k, v).IsOk();
            }));
      }
      {
        auto store = FreshEtcd();
        EtcdBackend& etcd = store->Etcd();
        ours.push_back(TimedWrites(
            w, options.ops_per_level,
            [&](const std::string& k, const std::string& v) { return etcd.Create(k, v).IsOk(); }));
      }
    }
    double r = median(raw);
    double t = median(txn);
    double o = median(ours);
    std::printf(
        "%-10s %-28s %12.0f ops/s   bare create-Txn %9.0f ops/s   backend creates %9.0f ops/s = "
        "%5.1f%% of raw put, %5.1f%% of bare Txn\n",
        "etcd", ("raw put 1KiB x" + std::to_string(w)).c_str(), r, t, o, 100.0 * o / r,
        100.0 * o / t);
    std::fflush(stdout);
  }
  return 0;
}
