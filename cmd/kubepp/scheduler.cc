// `kubepp scheduler`: places pods on nodes (upstream's kube-scheduler), with upstream's flag
// names and defaults.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <string>

#include "base/duration.h"
#include "base/log.h"
#include "client/kubeconfig.h"
#include "client/rest_client.h"
#include "cmd/kubepp/client_flags.h"
#include "cmd/kubepp/roles.h"
#include "scheduler/config/scheduler_config.h"
#include "scheduler/scheduler/server.h"

namespace kubepp::cmd {

int SchedulerMain(int argc, char** argv) {
  CLI::App app{"kubepp scheduler: places pods on nodes (kube-scheduler)", "kubepp scheduler"};
  scheduler::SchedulerServerOptions options;
  auto& le = options.leader_election;
  std::string config_file;
  std::string kubeconfig;
  std::string master;
  std::string lease_duration = "15s";
  std::string renew_deadline = "10s";
  std::string retry_period = "2s";
  int64_t pod_initial_backoff_seconds = 1;
  int64_t pod_max_backoff_seconds = 10;
  int verbosity = 0;
  int io_threads = 2;
  app.add_option("--config", config_file,
                 "The path to the configuration file (KubeSchedulerConfiguration, "
                 "kubescheduler.config.k8s.io/v1)");
  auto* kubeconfig_flag =
      app.add_option("--kubeconfig", kubeconfig,
                     "Path to a kubeconfig file with the API server's address and credentials");
  app.add_option("--master", master,
                 "The address of the Kubernetes API server (overrides any value in kubeconfig)");
  bool leader_elect = true;
  auto* leader_elect_flag =
      app.add_flag("--leader-elect", leader_elect,
                   "Start a leader election client and gain leadership before executing the main "
                   "loop (default true)");
  auto* lease_duration_flag =
      app.add_option(
             "--leader-elect-lease-duration", lease_duration,
             "How long a non-leader waits after observing a leadership renewal before trying "
             "to acquire leadership")
          ->capture_default_str();
  auto* renew_deadline_flag =
      app.add_option("--leader-elect-renew-deadline", renew_deadline,
                     "How long the leader tries to renew before it stops leading")
          ->capture_default_str();
  auto* retry_period_flag =
      app.add_option("--leader-elect-retry-period", retry_period,
                     "How long clients wait between attempts of acquisition and renewal")
          ->capture_default_str();
  std::string lease_name = "kube-scheduler";
  std::string lease_namespace = "kube-system";
  auto* lease_name_flag = app.add_option("--leader-elect-resource-name", lease_name,
                                         "The name of the Lease used for leader election")
                              ->capture_default_str();
  auto* lease_namespace_flag = app.add_option("--leader-elect-resource-namespace", lease_namespace,
                                              "The namespace of the Lease used for leader election")
                                   ->capture_default_str();
  auto* initial_backoff_flag =
      app.add_option("--pod-initial-backoff-seconds", pod_initial_backoff_seconds,
                     "The initial back-off of unschedulable pods")
          ->capture_default_str()
          ->check(CLI::PositiveNumber);
  auto* max_backoff_flag = app.add_option("--pod-max-backoff-seconds", pod_max_backoff_seconds,
                                          "The maximum back-off of unschedulable pods")
                               ->capture_default_str()
                               ->check(CLI::PositiveNumber);
  app.add_option("--bind-address", options.bind_address,
                 "The IP address on which to serve /healthz and /metrics")
      ->capture_default_str();
  app.add_option("--secure-port", options.port,
                 "The port on which to serve /healthz and /metrics over plain HTTP (kubepp has "
                 "no TLS yet); 0 picks a free port, -1 serves nothing")
      ->capture_default_str()
      ->check(CLI::Range(-1, 65535));
  app.add_option("--io-threads", io_threads, "Threads running the event loop")
      ->check(CLI::Range(1, 64));
  app.add_option("-v,--v", verbosity, "Log verbosity");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  // The configuration file (or upstream's defaults); flags given explicitly override it, as
  // kube-scheduler's deprecated flags do.
  scheduler::KubeSchedulerConfiguration cfg;
  if (!config_file.empty()) {
    auto loaded = scheduler::LoadSchedulerConfigFile(
        config_file, scheduler::DefaultSchedulerProfile().plugins, scheduler::DefaultPluginArgs());
    if (!loaded.IsOk()) {
      std::fprintf(stderr, "kubepp scheduler: --config %s: %s\n", config_file.c_str(),
                   loaded.status().Message().c_str());
      return 1;
    }
    cfg = std::move(*loaded);
  } else {
    cfg = scheduler::DefaultSchedulerConfig(scheduler::DefaultSchedulerProfile().plugins,
                                            scheduler::DefaultPluginArgs());
  }
  le.lease_duration = cfg.leader_election.lease_duration;
  le.renew_deadline = cfg.leader_election.renew_deadline;
  le.retry_period = cfg.leader_election.retry_period;
  le.lease_name = cfg.leader_election.resource_name;
  le.lease_namespace = cfg.leader_election.resource_namespace;
  options.leader_elect = cfg.leader_election.leader_elect;
  if (leader_elect_flag->count() > 0) options.leader_elect = leader_elect;
  if (lease_name_flag->count() > 0) le.lease_name = lease_name;
  if (lease_namespace_flag->count() > 0) le.lease_namespace = lease_namespace;
  if ((lease_duration_flag->count() > 0 &&
       !ParseDurationFlag("scheduler", "leader-elect-lease-duration", lease_duration,
                          &le.lease_duration)) ||
      (renew_deadline_flag->count() > 0 &&
       !ParseDurationFlag("scheduler", "leader-elect-renew-deadline", renew_deadline,
                          &le.renew_deadline)) ||
      (retry_period_flag->count() > 0 &&
       !ParseDurationFlag("scheduler", "leader-elect-retry-period", retry_period,
                          &le.retry_period))) {
    return 2;
  }
  if (initial_backoff_flag->count() == 0) {
    pod_initial_backoff_seconds = cfg.pod_initial_backoff_seconds;
  }
  if (max_backoff_flag->count() == 0) pod_max_backoff_seconds = cfg.pod_max_backoff_seconds;
  if (pod_max_backoff_seconds < pod_initial_backoff_seconds) {
    std::fprintf(stderr,
                 "kubepp scheduler: --pod-max-backoff-seconds must be greater than or equal to "
                 "--pod-initial-backoff-seconds\n");
    return 2;
  }
  if (kubeconfig_flag->count() == 0) kubeconfig = cfg.client_connection.kubeconfig;
  options.scheduler.profiles = cfg.profiles;
  options.scheduler.percentage_of_nodes_to_score = cfg.percentage_of_nodes_to_score;
  options.scheduler.pod_initial_backoff = std::chrono::seconds(pod_initial_backoff_seconds);
  options.scheduler.pod_max_backoff = std::chrono::seconds(pod_max_backoff_seconds);
  InitLogging({.verbosity = verbosity});

  auto client_config = ClientConfigFromFlags(kubeconfig, master, "kubepp-scheduler");
  if (!client_config.IsOk()) {
    KLOG_ERROR("{}", client_config.status().Message());
    return 1;
  }
  client::RestConfig config = std::move(*client_config);
  // Binding cycles in flight each hold a connection; keep them all alive between binds.
  config.max_idle_connections =
      std::max(config.max_idle_connections, options.scheduler.max_in_flight_bindings);

  async::Runtime runtime(io_threads);
  runtime.Start();
  auto rest = client::RestClient::Create(runtime.Executor(), config);
  if (!rest.IsOk()) {
    KLOG_ERROR("cannot make a client for {}: {}", config.server, rest.status().ToString());
    return 1;
  }
  options.on_lost = [&runtime] { runtime.Stop(); };
  scheduler::SchedulerServer server(runtime, **rest, options);
  if (Status s = server.Start(); !s.IsOk()) {
    KLOG_ERROR("cannot start the scheduler: {}", s.ToString());
    return 1;
  }
  int signo = runtime.WaitForSignal();
  if (signo > 0) KLOG_INFO("signal {}: shutting down", signo);
  server.Stop();
  runtime.Stop();
  return server.LostLeadership() ? 1 : 0;
}

}  // namespace kubepp::cmd
