// The API server over HTTP keep-alive, as issue #4 measures it: the real `kubepp apiserver`
// process on a loopback port, driven by N client threads (one keep-alive connection each).
//
//   apiserver_bench [--store=sqlite|etcd|memory] [--clients=64] [--creates=20000]
//                   [--gets=50000] [--pods=10000] [--watchers=1000] [--events=20]
//                   [--kubepp=PATH]
//
// Figures: ConfigMap (1 KiB) creates/s; GET p50/p99; LIST of --pods pods (latency and MB/s);
// watch fan-out (one event to --watchers watchers: delivery p50/p99 from the write's send);
// server resident memory per stored pod versus the pod's JSON size.
#include <poll.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench_http.h"
#include "storage/etcd/testing/etcd_cluster.h"

namespace {

using kubepp::bench::Conn;
using kubepp::bench::FreePort;
using kubepp::bench::Percentile;
using kubepp::bench::RssKiB;
using kubepp::bench::RunParallel;
namespace http = kubepp::bench::http;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string store = "sqlite";
  int clients = 64;
  int creates = 20000;
  int gets = 50000;
  int pods = 10000;
  int watchers = 1000;
  int events = 20;
  std::string kubepp;
};

std::string ConfigMap(const std::string& ns, const std::string& name, size_t bytes) {
  return R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")" + name +
         R"(","namespace":")" + ns + R"("},"data":{"v":")" + std::string(bytes, 'x') + R"("}})";
}

// A pod as a Deployment would make it: labels, owner, one container with resources, probes.
std::string Pod(const std::string& ns, const std::string& name) {
  return R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":")" + name + R"(","namespace":")" +
         ns +
         R"(","labels":{"app":"web","pod-template-hash":"5d4f8b7c9"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-5d4f8b7c9","uid":"6f1c2b1e-8d5a-4c3e-9f0a-1b2c3d4e5f60","controller":true,"blockOwnerDeletion":true}]},"spec":{"containers":[{"name":"web","image":"registry.example/web:1.25.3","ports":[{"containerPort":8080,"name":"http"}],"env":[{"name":"MODE","value":"production"}],"resources":{"requests":{"cpu":"100m","memory":"128Mi"},"limits":{"memory":"256Mi"}},"readinessProbe":{"httpGet":{"path":"/healthz","port":8080}}}]}})";
}

struct Server {
  pid_t pid = -1;
  int port = 0;
  std::filesystem::path dir;
  std::unique_ptr<kubepp::storage::testing::EtcdCluster> etcd;
  ~Server() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
    }
    std::error_code ec;
    if (!dir.empty()) std::filesystem::remove_all(dir, ec);
  }
};

std::unique_ptr<Server> StartServer(const Options& o) {
  auto s = std::make_unique<Server>();
  s->port = FreePort();
  char tmpl[] = "/tmp/kubepp-apibench-XXXXXX";
  s->dir = mkdtemp(tmpl);
  std::vector<std::string> args = {o.kubepp,  "apiserver", "--secure-port", std::to_string(s->port),
                                   "--store", o.store};
  if (o.store == "sqlite") {
    args.emplace_back("--data-dir");
    args.emplace_back((s->dir / "data").string());
  } else if (o.store == "etcd") {
    auto cluster = kubepp::storage::testing::EtcdCluster::Start();
    if (!cluster.IsOk()) {
      std::fprintf(stderr, "cannot start etcd: %s\n", cluster.status().ToString().c_str());
      std::exit(1);
    }
    s->etcd = std::move(cluster).value();
    std::string eps;
    for (const auto& e : s->etcd->ClientEndpoints()) eps += (eps.empty() ? "" : ",") + e;
    args.emplace_back("--etcd-servers");
    args.emplace_back(eps);
  }
  s->pid = kubepp::bench::Spawn(args, (s->dir / "apiserver.log").string());
  if (kubepp::bench::WaitReady(s->port)) return s;
  std::fprintf(stderr, "the API server did not start (log in %s)\n", s->dir.c_str());
  std::exit(1);
}

void Print(const char* what, const std::vector<double>& lat, double secs, int n) {
  std::printf("%-44s %9.0f ops/s   p50 %8.2f ms   p99 %8.2f ms   (%d ops)\n", what, n / secs,
              Percentile(lat, 0.5) / 1000, Percentile(lat, 0.99) / 1000, n);
  std::fflush(stdout);
}

void CreateNamespace(Conn& c, const std::string& ns) {
  c.Do(http::verb::post, "/api/v1/namespaces",
       R"({"apiVersion":"v1","kind":"Namespace","metadata":{"name":")" + ns + R"("}})");
}

// Watch fan-out: `watchers` raw connections watching one namespace's configmaps; `events`
// creates, one at a time; per event and watcher, the time from the create's send to the
// event's arrival.
void FanOut(const Options& o, int port) {
  Conn admin(port);
  CreateNamespace(admin, "fan");
  auto [code, list] = admin.Do(http::verb::get, "/api/v1/namespaces/fan/configmaps");
  auto rv_at = list.find(R"("resourceVersion":")");
  std::string rv = rv_at == std::string::npos
                       ? "0"
                       : list.substr(rv_at + 19, list.find('"', rv_at + 19) - rv_at - 19);
  std::vector<int> fds;
  std::string req = "GET /api/v1/namespaces/fan/configmaps?watch=true&resourceVersion=" + rv +
                    " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n";
  for (int i = 0; i < o.watchers; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||  // NOLINT: sockets
        write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) {
      std::fprintf(stderr, "watcher %d: cannot connect\n", i);
      std::exit(1);
    }
    fds.push_back(fd);
  }
  std::this_thread::sleep_for(std::chrono::seconds(1));  // every watch registered
  std::vector<double> lat;
  std::vector<std::string> bufs(fds.size());
  char chunk[65536];
  for (int e = 0; e < o.events; ++e) {
    const std::string name = "fan-" + std::to_string(e);
    const std::string marker = R"("name":")" + name + "\"";
    auto sent = Clock::now();
    admin.Do(http::verb::post, "/api/v1/namespaces/fan/configmaps", ConfigMap("fan", name, 1024));
    std::vector<bool> got(fds.size(), false);
    size_t remaining = fds.size();
    std::vector<pollfd> pfds(fds.size());
    auto deadline = Clock::now() + std::chrono::seconds(30);
    while (remaining > 0 && Clock::now() < deadline) {
      for (size_t i = 0; i < fds.size(); ++i)
        pfds[i] = {fds[i], static_cast<short>(got[i] ? 0 : POLLIN), 0};
      if (poll(pfds.data(), pfds.size(), 100) <= 0) continue;
      for (size_t i = 0; i < fds.size(); ++i) {
        if (got[i] || (pfds[i].revents & POLLIN) == 0) continue;
        ssize_t n = read(fds[i], chunk, sizeof(chunk));
        if (n <= 0) continue;
        bufs[i].append(chunk, static_cast<size_t>(n));
        if (bufs[i].find(marker) != std::string::npos) {
          got[i] = true;
          --remaining;
          lat.push_back(std::chrono::duration<double, std::micro>(Clock::now() - sent).count());
          bufs[i].clear();
        }
      }
    }
    if (remaining > 0) std::fprintf(stderr, "event %d: %zu watchers missed it\n", e, remaining);
  }
  for (int fd : fds) close(fd);
  std::printf("%-44s %9s        p50 %8.2f ms   p99 %8.2f ms   (%zu deliveries)\n",
              ("watch fan-out to " + std::to_string(o.watchers) + " watchers").c_str(), "",
              Percentile(lat, 0.5) / 1000, Percentile(lat, 0.99) / 1000, lat.size());
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  o.kubepp = (std::filesystem::path(argv[0]).parent_path() / ".." / "kubepp").string();
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto eq = a.find('=');
    std::string k = a.substr(0, eq);
    std::string v = eq == std::string::npos ? "" : a.substr(eq + 1);
    if (k == "--store") {
      o.store = v;
    } else if (k == "--clients") {
      o.clients = std::stoi(v);
    } else if (k == "--creates") {
      o.creates = std::stoi(v);
    } else if (k == "--gets") {
      o.gets = std::stoi(v);
    } else if (k == "--pods") {
      o.pods = std::stoi(v);
    } else if (k == "--watchers") {
      o.watchers = std::stoi(v);
    } else if (k == "--events") {
      o.events = std::stoi(v);
    } else if (k == "--kubepp") {
      o.kubepp = v;
    } else {
      std::fprintf(stderr,
                   "usage: apiserver_bench [--store=sqlite|etcd|memory] [--clients=N] "
                   "[--creates=N] [--gets=N] [--pods=N] [--watchers=N] [--events=N] "
                   "[--kubepp=PATH]\n");
      return 2;
    }
  }
  // Watchers and the server's side of them need more than the default 1024 descriptors.
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  setrlimit(RLIMIT_NOFILE, &lim);

  auto server = StartServer(o);
  const int port = server->port;
  std::printf("apiserver over HTTP keep-alive, store %s, %d clients\n", o.store.c_str(), o.clients);
  {
    Conn c(port);
    CreateNamespace(c, "bench");
    CreateNamespace(c, "pods");
  }
  std::atomic<int> errors{0};
  auto [create_lat, create_secs] = RunParallel(port, o.clients, o.creates, [&](Conn& c, int i) {
    auto r = c.Do(http::verb::post, "/api/v1/namespaces/bench/configmaps",
                  ConfigMap("bench", "cm-" + std::to_string(i), 1024));
    if (r.first != 201) errors++;
  });
  Print("create ConfigMap 1 KiB", create_lat, create_secs, o.creates);
  auto [get_lat, get_secs] = RunParallel(port, o.clients, o.gets, [&](Conn& c, int i) {
    auto r = c.Do(http::verb::get,
                  "/api/v1/namespaces/bench/configmaps/cm-" + std::to_string(i % o.creates));
    if (r.first != 200) errors++;
  });
  Print("get ConfigMap", get_lat, get_secs, o.gets);

  const long rss_before = RssKiB(server->pid);
  size_t pod_json = Pod("pods", "web-5d4f8b7c9-00000").size();
  auto [pod_lat, pod_secs] = RunParallel(port, o.clients, o.pods, [&](Conn& c, int i) {
    char name[32];
    std::snprintf(name, sizeof(name), "web-5d4f8b7c9-%05d", i);
    auto r = c.Do(http::verb::post, "/api/v1/namespaces/pods/pods", Pod("pods", name));
    if (r.first != 201) errors++;
  });
  Print("create Pod", pod_lat, pod_secs, o.pods);
  {
    Conn c(port);
    std::vector<double> lat;
    size_t bytes = 0;
    for (int i = 0; i < 10; ++i) {
      auto s = Clock::now();
      auto r = c.Do(http::verb::get, "/api/v1/namespaces/pods/pods");
      lat.push_back(std::chrono::duration<double, std::micro>(Clock::now() - s).count());
      bytes = r.second.size();
      if (r.first != 200) errors++;
    }
    double p50 = Percentile(lat, 0.5);
    std::printf("%-44s %9.1f MB/s   p50 %8.2f ms   p99 %8.2f ms   (%.1f MB per list)\n",
                ("list " + std::to_string(o.pods) + " pods").c_str(),
                static_cast<double>(bytes) / (p50 / 1e6) / 1e6, p50 / 1000,
                Percentile(lat, 0.99) / 1000, static_cast<double>(bytes) / 1e6);
    // The stored pod as served (defaults added), from the list.
    const long rss_after = RssKiB(server->pid);
    std::printf("%-44s %9.0f B/pod  (pod JSON sent %zu B, served ~%zu B; RSS %ld -> %ld MiB)\n",
                "server memory per stored pod",
                static_cast<double>(rss_after - rss_before) * 1024.0 / o.pods, pod_json,
                bytes / static_cast<size_t>(std::max(1, o.pods)), rss_before / 1024,
                rss_after / 1024);
  }
  {
    // The watch cache's own accounting (every object it holds, not only the pods).
    Conn c(port);
    const std::string text = c.Do(http::verb::get, "/metrics").second;
    auto gauge = [&text](const std::string& name) {
      auto at = text.find("\n" + name + " ");
      return at == std::string::npos ? 0.0 : std::stod(text.substr(at + name.size() + 2));
    };
    double objects = gauge("kubepp_watch_cache_objects");
    double json = gauge("kubepp_watch_cache_json_bytes");
    double heap = gauge("kubepp_watch_cache_heap_bytes");
    if (objects > 0 && json > 0) {
      std::printf("%-44s %9.0f B/obj  (JSON %.0f B/obj: %.2fx; %.0f objects)\n",
                  "watch cache heap per object", heap / objects, json / objects, heap / json,
                  objects);
    }
  }
  std::fflush(stdout);
  if (o.watchers > 0) FanOut(o, port);
  if (errors.load() > 0) std::fprintf(stderr, "%d requests failed\n", errors.load());
  return errors.load() > 0 ? 1 : 0;
}
