// The scheduler's configuration file: upstream's KubeSchedulerConfiguration
// (kubescheduler.config.k8s.io/v1, as kube-scheduler v1.32 reads it with --config).
//
// ParseSchedulerConfig decodes YAML or JSON strictly (unknown and duplicate fields are errors),
// decodes each pluginConfig's args into the typed PluginArgs, applies upstream's defaults
// (SetDefaults_KubeSchedulerConfiguration: one "default-scheduler" profile when none is given,
// mergePlugins of the default plugin set with each profile's plugins, per-plugin args
// defaulting, default args appended for enabled plugins that have them) and validates
// (ValidateKubeSchedulerConfiguration).
//
// The default plugin set and the default args are passed in by the caller (the scheduler owns
// upstream's getDefaultPlugins); this module does not know which plugins exist.
//
// Pure functions, thread-safe. Errors:
//   BadRequest  the text does not decode: YAML/JSON syntax, a missing or unregistered
//               apiVersion/kind (`no kind "X" is registered for version "..."`), a field of the
//               wrong type, or unknown/duplicate fields (`strict decoding error: ...`);
//   Invalid     the decoded configuration fails validation; the message is upstream's aggregate
//               of field errors ("a: ..." or "[a: ..., b: ...]"); extenders, which kubepp does
//               not support, are reported here too;
//   NotFound    (LoadSchedulerConfigFile) the file does not exist; InternalError when unreadable.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "scheduler/framework/config.h"

namespace kubepp::scheduler {

// component-base's LeaderElectionConfiguration with kube-scheduler's defaults.
struct LeaderElectionConfiguration {
  bool leader_elect = true;                         // run leader election at all
  std::chrono::milliseconds lease_duration{15000};  // how long a lease is valid
  std::chrono::milliseconds renew_deadline{10000};  // leader gives up after this
  std::chrono::milliseconds retry_period{2000};     // between tries
  std::string resource_lock = "leases";             // only "leases" is valid
  std::string resource_name = "kube-scheduler";     // the Lease's name
  std::string resource_namespace = "kube-system";   // the Lease's namespace
};

// component-base's ClientConnectionConfiguration with kube-scheduler's defaults.
struct ClientConnectionConfiguration {
  std::string kubeconfig;            // path; empty: flags / in-cluster
  std::string accept_content_types;  // Accept header, empty: client default
  std::string content_type = "application/vnd.kubernetes.protobuf";  // request body type
  float qps = 50;                                                    // client rate limit
  int32_t burst = 100;                                               // client burst
};

// The decoded, defaulted and validated configuration.
struct KubeSchedulerConfiguration {
  int32_t parallelism = 16;  // workers for filter/score
  LeaderElectionConfiguration leader_election;
  ClientConnectionConfiguration client_connection;
  int32_t percentage_of_nodes_to_score = 0;  // 0 = adaptive (5%..50% by cluster size)
  int64_t pod_initial_backoff_seconds = 1;   // first back-off of an unschedulable pod
  int64_t pod_max_backoff_seconds = 10;      // back-off cap
  // One per schedulerName, each with its merged plugin sets and defaulted args.
  std::vector<KubeSchedulerProfile> profiles;
};

// Parses YAML or JSON text (apiVersion kubescheduler.config.k8s.io/v1, kind
// KubeSchedulerConfiguration), applies upstream's defaults and validates. `default_plugins` is
// the set every profile's plugins are merged into; `default_plugin_args` holds the default args
// of the plugins that take args (one entry per plugin name): a profile gets a copy for every
// enabled plugin it configures no args for.
Result<KubeSchedulerConfiguration> ParseSchedulerConfig(
    std::string_view text, const Plugins& default_plugins,
    const std::vector<PluginConfig>& default_plugin_args);

// Reads `path` and parses it as ParseSchedulerConfig does.
Result<KubeSchedulerConfiguration> LoadSchedulerConfigFile(
    const std::string& path, const Plugins& default_plugins,
    const std::vector<PluginConfig>& default_plugin_args);

// The configuration with no file: one "default-scheduler" profile with the default plugins and
// the default args of its enabled plugins (what upstream's defaulting makes of an empty file).
KubeSchedulerConfiguration DefaultSchedulerConfig(
    const Plugins& default_plugins, const std::vector<PluginConfig>& default_plugin_args);

// upstream's mergePlugins: the custom sets merged into the defaults per extension point.
// Exposed for tests and for callers building profiles in code.
Plugins MergePlugins(const Plugins& default_plugins, const Plugins& custom);

}  // namespace kubepp::scheduler
