// The scheduler end to end over real processes, in the shape of upstream's scheduler_perf
// SchedulingBasic: `kubepp apiserver` (embedded SQLite in a temp dir) and `kubepp scheduler` on
// loopback; the benchmark creates the nodes and pods itself (no kubelet).
//
//   scheduler_bench [--nodes=5000] [--init-pods=1000] [--pods=10000] [--clients=16]
//                   [--kubepp=PATH]
//
// 1. creates --nodes Nodes (4 cpu, 32Gi, 110 pods: upstream's node-default.yaml), then
//    --init-pods pods (100m cpu, 500Mi: pod-default.yaml) and waits until all are bound;
// 2. creates --pods measured pods (--clients connections) while a pod watch notes when each one
//    is bound (the MODIFIED event with spec.nodeName set);
//    and reports pods/s bound (measured pods / time from the first create to the last bind: at
//    most the create rate, also reported) and the per-pod latency from create to bound;
// 3. stops the scheduler (SIGSTOP), creates --pods more, resumes it and times until all are
//    bound: the scheduler's own throughput;
// plus the scheduler's CPU seconds and peak resident memory.
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "bench_http.h"

namespace {

using kubepp::bench::Conn;
namespace http = kubepp::bench::http;
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

struct Options {
  int nodes = 5000;
  int init_pods = 1000;
  int pods = 10000;
  int clients = 16;
  std::string kubepp;
};

std::string Node(int i) {
  std::string name = "node-" + std::to_string(i);
  return R"({"apiVersion":"v1","kind":"Node","metadata":{"name":")" + name +
         R"(","labels":{"kubernetes.io/hostname":")" + name +
         R"("}},"status":{"capacity":{"cpu":"4","memory":"32Gi","pods":"110"},"allocatable":{"cpu":"4","memory":"32Gi","pods":"110"},"conditions":[{"type":"Ready","status":"True"}],"phase":"Running"}})";
}

std::string Pod(const std::string& name) {
  return R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + name +
         R"("},"spec":{"containers":[{"name":"pause","image":"registry.k8s.io/pause:3.10","resources":{"requests":{"cpu":"100m","memory":"500Mi"},"limits":{"cpu":"100m","memory":"500Mi"}}}]}})";
}

// Watches pods in `ns` from `rv` and notes when each pod is first seen with spec.nodeName set,
// until `want` pods were bound (or 10 minutes passed).
class BindWatch {
 public:
  BindWatch(int port, std::string ns, std::string rv, size_t want)
      : port_(port), ns_(std::move(ns)), rv_(std::move(rv)), want_(want) {
    thread_ = std::thread([this] { Run(); });
  }
  ~BindWatch() { thread_.join(); }
  void Wait() {
    while (!done_.load()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  std::unordered_map<std::string, Clock::time_point> Bound() {
    std::lock_guard lock(mu_);
    return bound_;
  }

 private:
  void Run() {
    kubepp::bench::ReadWatch(
        port_, "/api/v1/namespaces/" + ns_ + "/pods?watch=true&resourceVersion=" + rv_,
        std::chrono::minutes(10), [this](std::string_view line) {
          // Cheap filter before parsing: only events of bound pods matter.
          if (line.find("\"nodeName\"") == std::string_view::npos) return false;
          auto now = Clock::now();
          boost::system::error_code jec;
          json::value ev = json::parse(line, jec);
          if (jec || !ev.is_object()) return false;
          const auto& obj = ev.at("object");
          const auto* spec = obj.as_object().if_contains("spec");
          if (spec == nullptr) return false;
          const auto* node = spec->as_object().if_contains("nodeName");
          if (node == nullptr || !node->is_string() || node->get_string().empty()) return false;
          std::string name(obj.at("metadata").at("name").as_string());
          std::lock_guard lock(mu_);
          bound_.try_emplace(std::move(name), now);
          return bound_.size() >= want_;
        });
    done_.store(true);
  }
  int port_;
  std::string ns_;
  std::string rv_;
  size_t want_;
  std::thread thread_;
  std::mutex mu_;
  std::unordered_map<std::string, Clock::time_point> bound_;  // pod name -> first seen bound
  std::atomic<bool> done_{false};
};

std::string ListResourceVersion(const std::string& body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec) return "0";
  return std::string(v.at("metadata").at("resourceVersion").as_string());
}

// Creates pods prefix-0..prefix-(n-1) in `ns` over `clients` connections; notes when each
// create returned. Returns the number of failed creates.
int CreatePods(int port, int clients, const std::string& ns, const std::string& prefix, int n,
               std::vector<Clock::time_point>* created) {
  std::atomic<int> errors{0};
  if (created != nullptr) created->assign(static_cast<size_t>(n), Clock::time_point{});
  kubepp::bench::RunParallel(port, clients, n, [&](Conn& c, int i) {
    auto r = c.Do(http::verb::post, "/api/v1/namespaces/" + ns + "/pods",
                  Pod(prefix + std::to_string(i)));
    if (r.first != 201) errors++;
    if (created != nullptr) (*created)[static_cast<size_t>(i)] = Clock::now();
  });
  return errors.load();
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  Options o;
  o.kubepp = (std::filesystem::path(argv[0]).parent_path() / ".." / "kubepp").string();
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto eq = a.find('=');
    std::string k = a.substr(0, eq);
    std::string v = eq == std::string::npos ? "" : a.substr(eq + 1);
    if (k == "--nodes") {
      o.nodes = std::stoi(v);
    } else if (k == "--init-pods") {
      o.init_pods = std::stoi(v);
    } else if (k == "--pods") {
      o.pods = std::stoi(v);
    } else if (k == "--clients") {
      o.clients = std::stoi(v);
    } else if (k == "--kubepp") {
      o.kubepp = v;
    } else {
      std::fprintf(stderr,
                   "usage: scheduler_bench [--nodes=N] [--init-pods=N] [--pods=N] [--clients=N] "
                   "[--kubepp=PATH]\n");
      return 2;
    }
  }
  char tmpl[] = "/tmp/kubepp-schedbench-XXXXXX";
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
  std::printf("scheduler: %d nodes, %d initial pods, %d measured pods, %d clients\n", o.nodes,
              o.init_pods, o.pods, o.clients);
  int rc = 0;
  pid_t sched = -1;
  {
    Conn admin(port);
    admin.Do(http::verb::post, "/api/v1/namespaces",
             R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":"bench"}})");
    auto t_nodes = Clock::now();
    std::atomic<int> errors{0};
    kubepp::bench::RunParallel(port, o.clients, o.nodes, [&](Conn& c, int i) {
      auto r = c.Do(http::verb::post, "/api/v1/nodes", Node(i));
      if (r.first != 201) errors++;
    });
    std::printf("%-44s %8.2f s\n", "nodes created",
                std::chrono::duration<double>(Clock::now() - t_nodes).count());

    sched =
        kubepp::bench::Spawn({o.kubepp, "scheduler", "--master", master, "--leader-elect=false"},
                             (dir / "scheduler.log").string());
    // The initial pods, bound before measuring.
    {
      auto [code, list] = admin.Do(http::verb::get, "/api/v1/namespaces/bench/pods?limit=1");
      BindWatch watch(port, "bench", ListResourceVersion(list), static_cast<size_t>(o.init_pods));
      errors += CreatePods(port, o.clients, "bench", "init-", o.init_pods, nullptr);
      if (o.init_pods > 0) watch.Wait();
      if (static_cast<int>(watch.Bound().size()) < o.init_pods) {
        std::fprintf(stderr, "only %zu of %d initial pods were bound; logs in %s\n",
                     watch.Bound().size(), o.init_pods, dir.c_str());
        rc = 1;
      }
    }
    double cpu0 = kubepp::bench::CpuSeconds(sched);
    auto [code, list] = admin.Do(http::verb::get, "/api/v1/namespaces/bench/pods?limit=1");
    BindWatch watch(port, "bench", ListResourceVersion(list), static_cast<size_t>(o.pods));
    std::vector<Clock::time_point> created;
    auto t0 = Clock::now();
    errors += CreatePods(port, o.clients, "bench", "pod-", o.pods, &created);
    double create_secs = std::chrono::duration<double>(Clock::now() - t0).count();
    watch.Wait();
    auto bound = watch.Bound();
    Clock::time_point last = t0;
    std::vector<double> latency_ms;
    latency_ms.reserve(bound.size());
    for (int i = 0; i < o.pods; ++i) {
      auto it = bound.find("pod-" + std::to_string(i));
      if (it == bound.end()) continue;
      last = std::max(last, it->second);
      latency_ms.push_back(
          std::chrono::duration<double, std::milli>(it->second - created[static_cast<size_t>(i)])
              .count());
    }
    double secs = std::chrono::duration<double>(last - t0).count();
    std::printf("%-44s %8.0f pods/s   (%zu pods in %.2f s)\n",
                "pods bound (first create -> last bind)",
                static_cast<double>(latency_ms.size()) / secs, latency_ms.size(), secs);
    std::printf("%-44s %8.0f pods/s\n", "pods created by the benchmark", o.pods / create_secs);
    std::printf("%-44s p50 %.1f ms   p99 %.1f ms\n", "create -> bound latency",
                kubepp::bench::Percentile(latency_ms, 0.50),
                kubepp::bench::Percentile(latency_ms, 0.99));
    if (static_cast<int>(latency_ms.size()) < o.pods || errors > 0) {
      std::fprintf(stderr, "only %zu of %d pods were bound (%d create errors); logs in %s\n",
                   latency_ms.size(), o.pods, errors.load(), dir.c_str());
      rc = 1;
    }

    // 3. The scheduler alone: --pods more pods created while it is stopped (SIGSTOP), then it
    // resumes and binds the backlog; pods/s from the resume to the last bind (what the
    // scheduler does, not how fast the benchmark creates pods).
    {
      auto [c2, l2] = admin.Do(http::verb::get, "/api/v1/namespaces/bench/pods?limit=1");
      BindWatch backlog(port, "bench", ListResourceVersion(l2), static_cast<size_t>(o.pods));
      kill(sched, SIGSTOP);
      errors += CreatePods(port, o.clients, "bench", "backlog-", o.pods, nullptr);
      auto t_resume = Clock::now();
      kill(sched, SIGCONT);
      backlog.Wait();
      auto b = backlog.Bound();
      Clock::time_point b_last = t_resume;
      for (const auto& [name, at] : b) b_last = std::max(b_last, at);
      double b_secs = std::chrono::duration<double>(b_last - t_resume).count();
      std::printf("%-44s %8.0f pods/s   (%zu pods in %.2f s)\n",
                  "pods bound from a backlog (resume -> last)",
                  static_cast<double>(b.size()) / b_secs, b.size(), b_secs);
      if (static_cast<int>(b.size()) < o.pods) {
        std::fprintf(stderr, "only %zu of %d backlog pods were bound; logs in %s\n", b.size(),
                     o.pods, dir.c_str());
        rc = 1;
      }
    }
    std::printf("%-44s %8.2f s CPU   peak RSS %.1f MiB\n", "scheduler (measured phases)",
                kubepp::bench::CpuSeconds(sched) - cpu0,
                static_cast<double>(kubepp::bench::StatusKiB(sched, "VmHWM")) / 1024);
    std::printf("%-44s %8.2f s CPU   peak RSS %.1f MiB\n", "API server (whole run)",
                kubepp::bench::CpuSeconds(api),
                static_cast<double>(kubepp::bench::StatusKiB(api, "VmHWM")) / 1024);
  }
  if (sched > 0) kubepp::bench::Stop(sched);
  kubepp::bench::Stop(api);
  std::error_code ec;
  if (rc == 0) std::filesystem::remove_all(dir, ec);
  return rc;
}
