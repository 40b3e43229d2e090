// `kubepp controller-manager`: the control loops (upstream's kube-controller-manager), with
// upstream's flag names and defaults.
#include "controller/manager/controller_manager.h"

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "base/duration.h"
#include "base/log.h"
#include "client/kubeconfig.h"
#include "client/rest_client.h"
#include "cmd/kubepp/client_flags.h"
#include "cmd/kubepp/roles.h"

namespace kubepp::cmd {

int ControllerManagerMain(int argc, char** argv) {
  CLI::App app{
      "kubepp controller-manager: the control loops (namespaces, garbage collection, "
      "replica sets, ...)",
      "kubepp controller-manager"};
  controller::ControllerManagerOptions options;
  auto& copts = options.controller_options;
  auto& le = options.leader_election;
  std::string kubeconfig;
  std::string master;
  std::string controllers = "*";
  std::string lease_duration = "15s";
  std::string renew_deadline = "10s";
  std::string retry_period = "2s";
  std::string namespace_sync_period = "5m0s";
  std::string node_monitor_period = "5s";
  std::string node_monitor_grace_period = "50s";
  std::string node_startup_grace_period = "1m0s";
  std::string resource_quota_sync_period = "5m0s";
  int verbosity = 0;
  int io_threads = 2;
  app.add_option("--kubeconfig", kubeconfig,
                 "Path to a kubeconfig file with the API server's address and credentials");
  app.add_option("--master", master,
                 "The address of the Kubernetes API server (overrides any value in kubeconfig)");
  app.add_option("--controllers", controllers,
                 "A list of controllers to enable. '*' enables all on-by-default controllers, "
                 "'foo' enables the controller named 'foo', '-foo' disables the controller named "
                 "'foo'")
      ->capture_default_str();
  app.add_flag("--leader-elect", options.leader_elect,
               "Start a leader election client and gain leadership before executing the main "
               "loop (default true)");
  app.add_option("--leader-elect-lease-duration", lease_duration,
                 "How long a non-leader waits after observing a leadership renewal before trying "
                 "to acquire leadership")
      ->capture_default_str();
  app.add_option("--leader-elect-renew-deadline", renew_deadline,
                 "How long the leader tries to renew before it stops leading")
      ->capture_default_str();
  app.add_option("--leader-elect-retry-period", retry_period,
                 "How long clients wait between attempts of acquisition and renewal")
      ->capture_default_str();
  app.add_option("--leader-elect-resource-name", le.lease_name,
                 "The name of the Lease used for leader election")
      ->capture_default_str();
  app.add_option("--leader-elect-resource-namespace", le.lease_namespace,
                 "The namespace of the Lease used for leader election")
      ->capture_default_str();
  app.add_option("--concurrent-namespace-syncs", copts.concurrent_namespace_syncs,
                 "Namespace objects synced concurrently")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_option("--namespace-sync-period", namespace_sync_period,
                 "The period for syncing namespace life-cycle updates")
      ->capture_default_str();
  app.add_option("--concurrent-replicaset-syncs", copts.concurrent_replicaset_syncs,
                 "Replica sets synced concurrently")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_option("--concurrent-gc-syncs", copts.concurrent_gc_syncs,
                 "Garbage collector workers synced concurrently")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_option("--concurrent-service-endpoint-syncs", copts.concurrent_service_endpoint_syncs,
                 "Service endpoint syncing operations done concurrently")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_option("--max-endpoints-per-slice", copts.max_endpoints_per_slice,
                 "The maximum number of endpoints added to an EndpointSlice")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_option("--concurrent-deployment-syncs", copts.concurrent_deployment_syncs,
                 "Deployment objects synced concurrently")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_option("--concurrent-job-syncs", copts.concurrent_job_syncs,
                 "Job objects synced concurrently")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_option("--concurrent-cron-job-syncs", copts.concurrent_cron_job_syncs,
                 "CronJob objects synced concurrently")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_option("--concurrent-ttl-after-finished-syncs", copts.concurrent_ttl_after_finished_syncs,
                 "TTL-after-finished controller workers")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_option("--concurrent-statefulset-syncs", copts.concurrent_statefulset_syncs,
                 "StatefulSet objects synced concurrently")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_option("--concurrent-daemonset-syncs", copts.concurrent_daemonset_syncs,
                 "DaemonSet objects synced concurrently")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_option("--concurrent-resource-quota-syncs", copts.concurrent_resource_quota_syncs,
                 "Resource quotas synced concurrently")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  app.add_option("--resource-quota-sync-period", resource_quota_sync_period,
                 "The period for syncing quota usage status in the system")
      ->capture_default_str();
  app.add_option("--terminated-pod-gc-threshold", copts.terminated_pod_gc_threshold,
                 "Terminated pods that can exist before the pod garbage collector deletes them "
                 "(<= 0: never)")
      ->capture_default_str();
  app.add_option("--node-monitor-period", node_monitor_period,
                 "How often the node lifecycle controller checks node health")
      ->capture_default_str();
  app.add_option("--node-monitor-grace-period", node_monitor_grace_period,
                 "How long a node may go without a heartbeat before it is marked unhealthy")
      ->capture_default_str();
  app.add_option("--node-startup-grace-period", node_startup_grace_period,
                 "How long a starting node may go without a heartbeat before it is marked "
                 "unhealthy")
      ->capture_default_str();
  app.add_flag("--allocate-node-cidrs", copts.allocate_node_cidrs,
               "Allocate a pod CIDR to every node from --cluster-cidr (kubepp default true)");
  app.add_option("--cluster-cidr", copts.cluster_cidr, "The CIDR range of pods in the cluster")
      ->capture_default_str();
  app.add_option("--node-cidr-mask-size", copts.node_cidr_mask_size,
                 "The mask size of each node's pod CIDR")
      ->capture_default_str()
      ->check(CLI::Range(8, 30));
  app.add_option("--io-threads", io_threads, "Threads running the event loop")
      ->check(CLI::Range(1, 64));
  app.add_option("-v,--v", verbosity, "Log verbosity");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (!ParseDurationFlag("controller-manager", "leader-elect-lease-duration", lease_duration,
                         &le.lease_duration) ||
      !ParseDurationFlag("controller-manager", "leader-elect-renew-deadline", renew_deadline,
                         &le.renew_deadline) ||
      !ParseDurationFlag("controller-manager", "leader-elect-retry-period", retry_period,
                         &le.retry_period) ||
      !ParseDurationFlag("controller-manager", "namespace-sync-period", namespace_sync_period,
                         &copts.namespace_sync_period) ||
      !ParseDurationFlag("controller-manager", "node-monitor-period", node_monitor_period,
                         &copts.node_monitor_period) ||
      !ParseDurationFlag("controller-manager", "node-monitor-grace-period",
                         node_monitor_grace_period, &copts.node_monitor_grace_period) ||
      !ParseDurationFlag("controller-manager", "node-startup-grace-period",
                         node_startup_grace_period, &copts.node_startup_grace_period) ||
      !ParseDurationFlag("controller-manager", "resource-quota-sync-period",
                         resource_quota_sync_period, &copts.resource_quota_sync_period)) {
    return 2;
  }
  options.controllers.clear();
  for (size_t start = 0; start <= controllers.size();) {
    size_t comma = controllers.find(',', start);
    if (comma == std::string::npos) comma = controllers.size();
    std::string name = controllers.substr(start, comma - start);
    if (!name.empty()) options.controllers.push_back(std::move(name));
    start = comma + 1;
  }
  InitLogging({.verbosity = verbosity});

  auto client_config = ClientConfigFromFlags(kubeconfig, master, "kubepp-controller-manager");
  if (!client_config.IsOk()) {
    KLOG_ERROR("{}", client_config.status().Message());
    return 1;
  }
  client::RestConfig config = std::move(*client_config);

  async::Runtime runtime(io_threads);
  runtime.Start();
  auto rest = client::RestClient::Create(runtime.Executor(), config);
  if (!rest.IsOk()) {
    KLOG_ERROR("cannot make a client for {}: {}", config.server, rest.status().ToString());
    return 1;
  }
  options.on_lost = [&runtime] { runtime.Stop(); };
  controller::ControllerManager manager(runtime, **rest, options, controller::DefaultControllers());
  if (Status s = manager.Start(); !s.IsOk()) {
    KLOG_ERROR("cannot start the controller manager: {}", s.ToString());
    return 1;
  }
  int signo = runtime.WaitForSignal();
  if (signo > 0) KLOG_INFO("signal {}: shutting down", signo);
  manager.Stop();
  runtime.Stop();
  return manager.LostLeadership() ? 1 : 0;
}

}  // namespace kubepp::cmd
