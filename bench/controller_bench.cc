// The controller manager's ReplicaSet path, end to end over real processes: `kubepp apiserver`
// (embedded SQLite in a temp dir) and `kubepp controller-manager` on loopback.
//
//   controller_bench [--replicasets=100] [--replicas=10] [--clients=16] [--kubepp=PATH]
//
// 1. creates --replicasets ReplicaSets of --replicas pods each (--clients connections) and
//    times until a pod watch has seen every pod created: pods/s created by the controller;
// 2. plays kubelet for every pod (status Running + Ready through pods/status, --clients
//    connections) and times until every ReplicaSet reports all replicas available: pods/s
//    reconciled end to end;
// and reports the controller manager's CPU seconds and peak resident memory.
// No scheduler or nodes yet (issue #5): pods stay unbound, which is what the ReplicaSet
// controller sees before scheduling anyway.
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench_http.h"

namespace {

using kubepp::bench::Conn;
namespace http = kubepp::bench::http;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

struct Options {
  int replicasets = 100;
  int replicas = 10;
  int clients = 16;
  std::string kubepp;
};

double Since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string ReplicaSet(int i, int replicas) {
  std::string name = "rs-" + std::to_string(i);
  return R"({"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":")" + name +
         R"("},"spec":{"replicas":)" + std::to_string(replicas) +
         R"(,"selector":{"matchLabels":{"app":")" + name +
         R"("}},"template":{"metadata":{"labels":{"app":")" + name +
         R"("}},"spec":{"containers":[{"name":"web","image":"registry.example/web:1.25.3","resources":{"requests":{"cpu":"100m","memory":"128Mi"}}}]}}}})";
}

// Watches pods in namespace `ns` from `rv` and collects the names of ADDED pods until `want`
// were seen; returns when done (or after 10 minutes).
class PodWatch {
 public:
  PodWatch(int port, std::string ns, std::string rv, size_t want)
      : port_(port), ns_(std::move(ns)), rv_(std::move(rv)), want_(want) {
    thread_ = std::thread([this] { Run(); });
  }
  ~PodWatch() { thread_.join(); }
  void Wait() {
    while (!done_.load()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  std::vector<std::string> Names() {
    std::lock_guard lock(mu_);
    return names_;
  }
  Clock::time_point DoneAt() const { return done_at_; }

 private:
  void Run() {
    kubepp::bench::ReadWatch(
        port_, "/api/v1/namespaces/" + ns_ + "/pods?watch=true&resourceVersion=" + rv_,
        std::chrono::minutes(10), [this](std::string_view line) {
          boost::system::error_code jec;
          json::value ev = json::parse(line, jec);
          if (jec || !ev.is_object()) return false;
          const auto* type = ev.as_object().if_contains("type");
          if (type == nullptr || !type->is_string() || type->get_string() != "ADDED") return false;
          const auto& meta = ev.at("object").at("metadata");
          std::lock_guard lock(mu_);
          names_.emplace_back(meta.at("name").as_string());
          return names_.size() >= want_;
        });
    done_at_ = Clock::now();
    done_.store(true);
  }
  int port_;
  std::string ns_;
  std::string rv_;
  size_t want_;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> names_;
  std::atomic<bool> done_{false};
  Clock::time_point done_at_;
};

std::string ListResourceVersion(const std::string& body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return "0";
  return std::string(v.at("metadata").at("resourceVersion").as_string());
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // lines as they come, also into a file
  Options o;
  o.kubepp = (std::filesystem::path(argv[0]).parent_path() / ".." / "kubepp").string();
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto eq = a.find('=');
    std::string k = a.substr(0, eq);
    std::string v = eq == std::string::npos ? "" : a.substr(eq + 1);
    if (k == "--replicasets") {
      o.replicasets = std::stoi(v);
    } else if (k == "--replicas") {
      o.replicas = std::stoi(v);
    } else if (k == "--clients") {
      o.clients = std::stoi(v);
    } else if (k == "--kubepp") {
      o.kubepp = v;
    } else {
      std::fprintf(stderr,
                   "usage: controller_bench [--replicasets=N] [--replicas=N] [--clients=N] "
                   "[--kubepp=PATH]\n");
      return 2;
    }
  }
  char tmpl[] = "/tmp/kubepp-cmbench-XXXXXX";
  std::filesystem::path dir = mkdtemp(tmpl);
  const int port = kubepp::bench::FreePort();
  const std::string master = "http://127.0.0.1:" + std::to_string(port);
  pid_t api = kubepp::bench::Spawn({o.kubepp, "apiserver", "--secure-port", std::to_string(port),
                                    "--data-dir", (dir / "data").string()},
                                   (dir / "apiserver.log").string());
  if (!kubepp::bench::WaitReady(port)) {
    std::fprintf(stderr, "the API server did not start (log in %s)\n", dir.c_str());
    kubepp::bench::Stop(api);
    return 1;
  }
  pid_t cm = kubepp::bench::Spawn(
      {o.kubepp, "controller-manager", "--master", master, "--leader-elect=false",
       "--controllers=replicaset-controller,garbage-collector-controller"},
      (dir / "controller-manager.log").string());
  const int total = o.replicasets * o.replicas;
  std::printf("controller manager: %d ReplicaSets x %d replicas (%d pods), %d clients\n",
              o.replicasets, o.replicas, total, o.clients);
  int rc = 0;
  {
    Conn admin(port);
    admin.Do(http::verb::post, "/api/v1/namespaces",
             R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"bench"}})");
    auto [code, list] = admin.Do(http::verb::get, "/api/v1/namespaces/bench/pods");
    PodWatch watch(port, "bench", ListResourceVersion(list), static_cast<size_t>(total));
    double cpu0 = kubepp::bench::CpuSeconds(cm);

    auto t0 = Clock::now();
    std::atomic<int> errors{0};
    kubepp::bench::RunParallel(port, o.clients, o.replicasets, [&](Conn& c, int i) {
      auto r = c.Do(http::verb::post, "/apis/apps/v1/namespaces/bench/replicasets",
                    ReplicaSet(i, o.replicas));
      if (r.first != 201) errors++;
    });
    watch.Wait();
    auto names = watch.Names();
    double created_secs = std::chrono::duration<double>(watch.DoneAt() - t0).count();
    std::printf("%-52s %8.0f pods/s   (%zu pods in %.2f s)\n",
                "pods created by the ReplicaSet controller", names.size() / created_secs,
                names.size(), created_secs);
    if (static_cast<int>(names.size()) < total || errors > 0) {
      std::fprintf(stderr, "only %zu of %d pods appeared (%d create errors); logs in %s\n",
                   names.size(), total, errors.load(), dir.c_str());
      rc = 1;
    }

    // The kubelet's part: every pod Running and Ready.
    auto t1 = Clock::now();
    const std::string ready =
        R"({"status":{"phase":"Running","podIP":"198.18.0.10","conditions":[{"type":"Ready","status":"True"},{"type":"ContainersReady","status":"True"}]}})";
    kubepp::bench::RunParallel(
        port, o.clients, static_cast<int>(names.size()), [&](Conn& c, int i) {
          auto r = c.Do(
              http::verb::patch,
              "/api/v1/namespaces/bench/pods/" + names[static_cast<size_t>(i)] + "/status", ready);
          if (r.first != 200) errors++;
        });
    double status_secs = Since(t1);
    // Until every ReplicaSet says all its replicas are available.
    int available = 0;
    auto deadline = Clock::now() + std::chrono::minutes(10);
    while (Clock::now() < deadline) {
      auto [lc, body] = admin.Do(http::verb::get, "/apis/apps/v1/namespaces/bench/replicasets");
      boost::system::error_code ec;
      json::value v = json::parse(body, ec);
      available = 0;
      if (!ec) {
        for (const auto& rs : v.at("items").as_array()) {
          const auto* st = rs.as_object().if_contains("status");
          if (st == nullptr) continue;
          const auto* av = st->as_object().if_contains("availableReplicas");
          if (av != nullptr && av->is_int64() && av->as_int64() == o.replicas) available++;
        }
      }
      if (available == o.replicasets) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    double reconciled_secs = Since(t1);
    std::printf("%-52s %8.0f pods/s   (status writes took %.2f s)\n",
                "pods reconciled (Ready -> ReplicaSets available)", total / reconciled_secs,
                status_secs);
    std::printf("%-52s %8.0f pods/s   (%.2f s)\n", "end to end (create -> all available)",
                total / Since(t0), Since(t0));
    std::printf("%-52s %8.2f s CPU   peak RSS %.1f MiB\n", "controller manager",
                kubepp::bench::CpuSeconds(cm) - cpu0,
                static_cast<double>(kubepp::bench::StatusKiB(cm, "VmHWM")) / 1024);
    if (available != o.replicasets) {
      std::fprintf(stderr, "only %d of %d ReplicaSets became available; logs in %s\n", available,
                   o.replicasets, dir.c_str());
      rc = 1;
    }
  }
  kubepp::bench::Stop(cm);
  kubepp::bench::Stop(api);
  std::error_code ec;
  if (rc == 0) std::filesystem::remove_all(dir, ec);
  return rc;
}
