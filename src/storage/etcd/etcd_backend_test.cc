// EtcdBackend against real etcd processes: fail-over in a 3-member cluster, unreachable
// endpoints, oversized values. (The Backend contract itself is checked by the conformance
// suite in storage_conformance_test.)
#include "storage/etcd/etcd_backend.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "storage/etcd/testing/etcd_cluster.h"

namespace kubepp::storage {
namespace {

using namespace std::chrono_literals;
using testing::EtcdCluster;

// Nothing listens on port 1 of loopback: connections are refused at once.
constexpr const char* kDeadEndpoint = "127.0.0.1:1";

std::unique_ptr<EtcdBackend> OpenOrDie(const EtcdOptions& options) {
  auto b = EtcdBackend::Open(options);
  EXPECT_TRUE(b.IsOk()) << b.status().ToString();
  return b.IsOk() ? std::move(b).value() : nullptr;
}

TEST(EtcdBackendTest, OpenRejectsBadEndpoints) {
  EXPECT_EQ(EtcdBackend::Open({}).status().Code(), StatusCode::kBadRequest);
  EXPECT_EQ(EtcdBackend::Open({.endpoints = {"https://127.0.0.1:2379"}}).status().Code(),
            StatusCode::kBadRequest);
}

TEST(EtcdBackendTest, UnreachableEtcdIsServiceUnavailableQuickly) {
  auto store = OpenOrDie({.endpoints = {kDeadEndpoint, "http://127.0.0.1:2"}});
  ASSERT_NE(store, nullptr);
  auto t0 = std::chrono::steady_clock::now();
  auto got = store->Get("/k");
  ASSERT_FALSE(got.IsOk());
  EXPECT_TRUE(got.status().IsUnavailable()) << got.status().ToString();
  EXPECT_NE(got.status().Message().find(kDeadEndpoint), std::string::npos)
      << got.status().ToString();
  auto created = store->Create("/k", "v");
  EXPECT_TRUE(created.status().IsUnavailable()) << created.status().ToString();
  auto listed = store->List({.prefix = "/"});
  EXPECT_TRUE(listed.status().IsUnavailable()) << listed.status().ToString();
  auto watch = store->Watch("/", 0);
  EXPECT_TRUE(watch.status().IsUnavailable()) << watch.status().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 15s);
}

TEST(EtcdBackendTest, TooLargeValueIsRefusedBeforeSending) {
  auto store = OpenOrDie({.endpoints = {kDeadEndpoint}});
  ASSERT_NE(store, nullptr);
  std::string big(kMaxValueBytes + 1, 'x');
  EXPECT_EQ(store->Create("/k", big).status().Code(), StatusCode::kRequestEntityTooLarge);
  EXPECT_EQ(store->Update("/k", big, 0).status().Code(), StatusCode::kRequestEntityTooLarge);
}

// One single-member etcd shared by the tests below.
class EtcdSingleTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto c = EtcdCluster::Start();
    ASSERT_TRUE(c.IsOk()) << c.status().ToString();
    cluster_ = std::move(c).value().release();
  }
  static void TearDownTestSuite() {
    delete cluster_;  // NOLINT(cppcoreguidelines-owning-memory): suite-lifetime fixture
    cluster_ = nullptr;
  }
  static EtcdCluster* cluster_;  // NOLINT(readability-identifier-naming): gtest fixture static
};
EtcdCluster* EtcdSingleTest::cluster_ = nullptr;

TEST_F(EtcdSingleTest, DeadEndpointFirstStillWorks) {
  auto store = OpenOrDie({.endpoints = {kDeadEndpoint, cluster_->ClientEndpoint(0)}});
  ASSERT_NE(store, nullptr);
  auto created = store->Create("/dead-first/a", "1");
  ASSERT_TRUE(created.IsOk()) << created.status().ToString();
  auto got = store->Get("/dead-first/a");
  ASSERT_TRUE(got.IsOk()) << got.status().ToString();
  EXPECT_EQ(got->value, "1");
  auto watch = store->Watch("/dead-first/", created->mod_revision - 1);
  ASSERT_TRUE(watch.IsOk()) << watch.status().ToString();
  auto batch = (*watch)->Next(5s);
  ASSERT_TRUE(batch.IsOk()) << batch.status().ToString();
  ASSERT_EQ(batch->events.size(), 1u);
  EXPECT_EQ(batch->events[0].kv.key, "/dead-first/a");
  EXPECT_GE(store->FailoverCount(), 1);
}

TEST_F(EtcdSingleTest, LargestValueRoundTripsAndOversizedIsRefused) {
  auto store = OpenOrDie({.endpoints = cluster_->ClientEndpoints()});
  ASSERT_NE(store, nullptr);
  std::string largest(kMaxValueBytes, 'v');
  auto created = store->Create("/large/a", largest);
  ASSERT_TRUE(created.IsOk()) << created.status().ToString();
  EXPECT_EQ(store->Get("/large/a")->value.size(), kMaxValueBytes);
  std::string too_big(kMaxValueBytes + 1, 'v');
  EXPECT_EQ(store->Update("/large/a", too_big, 0).status().Code(),
            StatusCode::kRequestEntityTooLarge);
}

TEST_F(EtcdSingleTest, LongListInOnePage) {
  auto store = OpenOrDie({.endpoints = cluster_->ClientEndpoints()});
  ASSERT_NE(store, nullptr);
  std::string value(1024, 'x');
  constexpr int kKeys = 10000;
  std::vector<std::thread> threads;
  threads.reserve(8);
  std::atomic<int> failures{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < kKeys; i += 8) {
        if (!store->Create("/long-list/" + std::to_string(i), value).IsOk()) failures++;
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(failures.load(), 0);
  auto all = store->List({.prefix = "/long-list/"});
  ASSERT_TRUE(all.IsOk()) << all.status().ToString();
  EXPECT_EQ(all->items.size(), static_cast<size_t>(kKeys));
  auto page = store->List({.prefix = "/long-list/", .limit = 100});
  ASSERT_TRUE(page.IsOk());
  EXPECT_EQ(page->items.size(), 100u);
  EXPECT_EQ(page->remaining, kKeys - 100);
}

// The HA acceptance: a 3-member cluster; the member the backend talks to is killed during a
// write load. Every write succeeds, at worst after one caller retry; no acknowledged write is
// lost; a watch opened before the kill delivers every write exactly once, in order.
TEST(EtcdHaTest, KillMemberDuringWriteLoad) {
  auto started = EtcdCluster::Start({.members = 3});
  ASSERT_TRUE(started.IsOk()) << started.status().ToString();
  auto cluster = std::move(started).value();
  auto store = OpenOrDie({.endpoints = cluster->ClientEndpoints()});
  ASSERT_NE(store, nullptr);

  auto start = store->CurrentRevision();
  ASSERT_TRUE(start.IsOk()) << start.status().ToString();
  auto watch = store->Watch("/ha/", *start);
  ASSERT_TRUE(watch.IsOk()) << watch.status().ToString();

  constexpr int kWriters = 16;
  std::atomic<bool> stop{false};
  std::atomic<int> retried{0};
  std::atomic<int> failed{0};
  std::mutex mu;
  std::map<std::string, std::string> acked;  // key -> value, every acknowledged write
  std::vector<std::string> errors;
  std::vector<std::thread> writers;
  writers.reserve(kWriters);
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; !stop.load(); ++i) {
        std::string key = "/ha/" + std::to_string(w) + "/" + std::to_string(i);
        std::string value = "value-" + std::to_string(w) + "-" + std::to_string(i);
        auto r = store->Create(key, value);
        if (!r.IsOk() && r.status().IsUnavailable()) {
          retried++;
          r = store->Create(key, value);  // the caller's one retry
        }
        std::lock_guard lock(mu);
        if (r.IsOk()) {
          acked[key] = value;
        } else {
          failed++;
          errors.push_back(key + ": " + r.status().ToString());
        }
      }
    });
  }
  std::this_thread::sleep_for(1500ms);
  size_t before_kill = 0;
  {
    std::lock_guard lock(mu);
    before_kill = acked.size();
  }
  ASSERT_TRUE(cluster->Kill(0).IsOk());  // the preferred endpoint
  // Keep the load on until plenty of writes landed after the kill (a killed leader costs an
  // election; requests forwarded to it wait for etcd's own request timeout).
  auto kill_deadline = std::chrono::steady_clock::now() + 30s;
  while (std::chrono::steady_clock::now() < kill_deadline) {
    std::this_thread::sleep_for(200ms);
    std::lock_guard lock(mu);
    if (acked.size() > before_kill + 2000) break;
  }
  stop = true;
  for (auto& t : writers) t.join();

  std::lock_guard lock(mu);
  for (const auto& e : errors) ADD_FAILURE() << e;
  EXPECT_EQ(failed.load(), 0);
  EXPECT_LE(retried.load(), kWriters) << "at most one retried request per writer";
  EXPECT_GT(acked.size(), before_kill + 100) << "writes continued after the kill";
  std::printf(
      "HA: %zu writes acknowledged (%zu before the kill), %d caller retries, %lld "
      "fail-overs inside the backend\n",
      acked.size(), before_kill, retried.load(), static_cast<long long>(store->FailoverCount()));

  // No acknowledged write is lost.
  auto all = store->List({.prefix = "/ha/"});
  ASSERT_TRUE(all.IsOk()) << all.status().ToString();
  std::map<std::string, std::string> stored;
  for (auto& kv : all->items) stored[kv.key] = kv.value;
  for (const auto& [k, v] : acked) {
    auto it = stored.find(k);
    ASSERT_NE(it, stored.end()) << "acknowledged write lost: " << k;
    EXPECT_EQ(it->second, v);
  }

  // The watch survived: every stored key exactly once, revisions increasing.
  std::set<std::string> seen;
  Revision last = *start;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (seen.size() < stored.size() && std::chrono::steady_clock::now() < deadline) {
    auto batch = (*watch)->Next(500ms);
    ASSERT_TRUE(batch.IsOk()) << batch.status().ToString();
    for (const auto& e : batch->events) {
      EXPECT_GT(e.kv.mod_revision, last);
      last = e.kv.mod_revision;
      EXPECT_EQ(e.type, EventType::kCreated);
      EXPECT_TRUE(seen.insert(e.kv.key).second) << "duplicate event for " << e.kv.key;
    }
  }
  EXPECT_EQ(seen.size(), stored.size());

  // The killed member comes back and the backend keeps working.
  ASSERT_TRUE(cluster->Restart(0).IsOk());
  EXPECT_TRUE(store->Create("/ha/after-restart", "x").IsOk());
}

}  // namespace
}  // namespace kubepp::storage
