// `kubepp apiserver`: the API server alone, with upstream's flag names where upstream has them.
#include <CLI/CLI.hpp>
#include <filesystem>

#include "apiserver/server.h"
#include "base/log.h"
#include "cmd/kubepp/roles.h"
#include "cmd/kubepp/store_flags.h"

namespace kubepp::cmd {

int ApiServerMain(int argc, char** argv) {
  CLI::App app{"kubepp apiserver: the Kubernetes API server", "kubepp apiserver"};
  apiserver::ApiServerOptions options;
  StoreFlags store_flags;
  int verbosity = 0;
  int io_threads = 2;
  app.add_option("--bind-address", options.http.bind_address,
                 "The IP address on which to listen (default 127.0.0.1)");
  app.add_option("--secure-port", options.http.port,
                 "The port on which to serve the API (0: pick a free port)")
      ->check(CLI::Range(0, 65535));
  app.add_option("--advertise-address", options.advertise_address,
                 "The IP address advertised to the cluster (the kubernetes Service's endpoint); "
                 "default: the bind address, or the host's first non-loopback address");
  app.add_option("--service-cluster-ip-range", options.service_cluster_ip_range,
                 "IPv4 CIDR from which Service ClusterIPs are allocated")
      ->capture_default_str();
  app.add_option("--service-node-port-range", options.service_node_port_range,
                 "Port range (inclusive) reserved for NodePort Services")
      ->capture_default_str();
  AddStoreFlags(app, store_flags);
  app.add_option("--io-threads", io_threads, "Threads running the event loop")
      ->check(CLI::Range(1, 64));
  app.add_option("-v,--v", verbosity, "Log verbosity");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  InitLogging({.verbosity = verbosity});
  auto store = OpenStore(store_flags);
  if (!store.IsOk()) {
    KLOG_ERROR("cannot open the store: {}", store.status().ToString());
    return 1;
  }
  async::Runtime runtime(io_threads);
  runtime.Start();
  apiserver::ApiServer server(runtime, **store, options);
  if (Status s = server.Start(); !s.IsOk()) {
    KLOG_ERROR("cannot start the API server: {}", s.ToString());
    return 1;
  }
  int signo = runtime.WaitForSignal();
  KLOG_INFO("signal {}: shutting down", signo);
  server.Stop();
  runtime.Stop();
  return 0;
}

}  // namespace kubepp::cmd
