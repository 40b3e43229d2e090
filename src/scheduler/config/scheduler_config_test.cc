#include "scheduler/config/scheduler_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <variant>

namespace kubepp::scheduler {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// upstream's getDefaultPlugins (v1.32, feature gates off).
Plugins UpstreamDefaults() {
  Plugins p;
  p.multi_point.enabled = {{"SchedulingGates", 0},    {"PrioritySort", 0},
                           {"NodeUnschedulable", 0},  {"NodeName", 0},
                           {"TaintToleration", 3},    {"NodeAffinity", 2},
                           {"NodePorts", 0},          {"NodeResourcesFit", 1},
                           {"VolumeRestrictions", 0}, {"NodeVolumeLimits", 0},
                           {"VolumeBinding", 0},      {"VolumeZone", 0},
                           {"PodTopologySpread", 2},  {"InterPodAffinity", 2},
                           {"DefaultPreemption", 0},  {"NodeResourcesBalancedAllocation", 1},
                           {"ImageLocality", 1},      {"DefaultBinder", 0}};
  return p;
}

std::vector<PluginConfig> DefaultArgs() {
  return {{"NodeResourcesFit", NodeResourcesFitArgs{}},
          {"NodeResourcesBalancedAllocation", NodeResourcesBalancedAllocationArgs{}},
          {"PodTopologySpread", PodTopologySpreadArgs{}},
          {"InterPodAffinity", InterPodAffinityArgs{}}};
}

Result<KubeSchedulerConfiguration> Parse(std::string_view text) {
  return ParseSchedulerConfig(text, UpstreamDefaults(), DefaultArgs());
}

std::string ErrorOf(std::string_view text) {
  auto r = Parse(text);
  if (r.IsOk()) return "<ok>";
  return r.status().Message();
}

std::vector<std::string> Names(const std::vector<PluginRef>& refs) {
  std::vector<std::string> out;
  out.reserve(refs.size());
  for (const auto& r : refs)
    out.push_back(r.name + (r.weight != 0 ? ":" + std::to_string(r.weight) : ""));
  return out;
}

std::vector<std::string> ConfigNames(const KubeSchedulerProfile& p) {
  std::vector<std::string> out;
  for (const auto& c : p.plugin_config) out.push_back(c.name);
  return out;
}

template <typename T>
const T& ArgsOf(const KubeSchedulerProfile& p, std::string_view name) {
  for (const auto& c : p.plugin_config) {
    if (c.name == name) return std::get<T>(c.args);
  }
  ADD_FAILURE() << "no args for " << name;
  static const T kEmpty{};
  return kEmpty;
}

constexpr std::string_view kHeader =
    "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n";

std::string Yaml(std::string_view body) { return std::string(kHeader) + std::string(body); }

TEST(DefaultSchedulerConfigTest, OneDefaultProfileWithDefaultPluginsAndArgs) {
  auto cfg = DefaultSchedulerConfig(UpstreamDefaults(), DefaultArgs());
  EXPECT_EQ(cfg.parallelism, 16);
  EXPECT_EQ(cfg.percentage_of_nodes_to_score, 0);
  EXPECT_EQ(cfg.pod_initial_backoff_seconds, 1);
  EXPECT_EQ(cfg.pod_max_backoff_seconds, 10);
  EXPECT_TRUE(cfg.leader_election.leader_elect);
  EXPECT_EQ(cfg.leader_election.lease_duration, std::chrono::seconds(15));
  EXPECT_EQ(cfg.leader_election.resource_namespace, "kube-system");
  EXPECT_EQ(cfg.client_connection.qps, 50);
  EXPECT_EQ(cfg.client_connection.burst, 100);
  ASSERT_EQ(cfg.profiles.size(), 1U);
  const auto& p = cfg.profiles[0];
  EXPECT_EQ(p.scheduler_name, "default-scheduler");
  EXPECT_EQ(Names(p.plugins.multi_point.enabled), Names(UpstreamDefaults().multi_point.enabled));
  EXPECT_TRUE(p.plugins.score.enabled.empty());
  // Args of enabled plugins that have defaults, sorted by name as upstream appends them.
  EXPECT_THAT(ConfigNames(p), ElementsAre("InterPodAffinity", "NodeResourcesBalancedAllocation",
                                          "NodeResourcesFit", "PodTopologySpread"));
}

TEST(ParseSchedulerConfigTest, MinimalFileIsTheDefault) {
  auto r = Parse(kHeader);
  ASSERT_TRUE(r.IsOk()) << r.status().ToString();
  auto def = DefaultSchedulerConfig(UpstreamDefaults(), DefaultArgs());
  ASSERT_EQ(r->profiles.size(), 1U);
  EXPECT_EQ(r->profiles[0].scheduler_name, "default-scheduler");
  EXPECT_EQ(Names(r->profiles[0].plugins.multi_point.enabled),
            Names(def.profiles[0].plugins.multi_point.enabled));
  EXPECT_EQ(ConfigNames(r->profiles[0]), ConfigNames(def.profiles[0]));
  EXPECT_EQ(r->leader_election.renew_deadline, std::chrono::seconds(10));
  EXPECT_EQ(r->leader_election.retry_period, std::chrono::seconds(2));
  EXPECT_EQ(r->client_connection.content_type, "application/vnd.kubernetes.protobuf");
  const auto& fit = ArgsOf<NodeResourcesFitArgs>(r->profiles[0], "NodeResourcesFit");
  EXPECT_EQ(fit.scoring_strategy.type, "LeastAllocated");
}

TEST(ParseSchedulerConfigTest, TopLevelFields) {
  auto r = Parse(Yaml(R"(
parallelism: 4
percentageOfNodesToScore: 30
podInitialBackoffSeconds: 2
podMaxBackoffSeconds: 20
enableProfiling: false
leaderElection:
  leaderElect: false
  leaseDuration: 30s
  renewDeadline: 20s
  retryPeriod: 500ms
  resourceName: my-sched
clientConnection:
  kubeconfig: /etc/kubepp/scheduler.conf
  qps: 20.5
  burst: 40
  contentType: application/json
)"));
  ASSERT_TRUE(r.IsOk()) << r.status().ToString();
  EXPECT_EQ(r->parallelism, 4);
  EXPECT_EQ(r->percentage_of_nodes_to_score, 30);
  EXPECT_EQ(r->pod_initial_backoff_seconds, 2);
  EXPECT_EQ(r->pod_max_backoff_seconds, 20);
  EXPECT_FALSE(r->leader_election.leader_elect);
  EXPECT_EQ(r->leader_election.lease_duration, std::chrono::seconds(30));
  EXPECT_EQ(r->leader_election.retry_period, std::chrono::milliseconds(500));
  EXPECT_EQ(r->leader_election.resource_name, "my-sched");
  EXPECT_EQ(r->leader_election.resource_namespace, "kube-system");
  EXPECT_EQ(r->client_connection.kubeconfig, "/etc/kubepp/scheduler.conf");
  EXPECT_FLOAT_EQ(r->client_connection.qps, 20.5F);
  EXPECT_EQ(r->client_connection.burst, 40);
  EXPECT_EQ(r->client_connection.content_type, "application/json");
}

TEST(ParseSchedulerConfigTest, JsonInput) {
  auto r = Parse(R"({"apiVersion": "kubescheduler.config.k8s.io/v1",
    "kind": "KubeSchedulerConfiguration", "parallelism": 8,
    "profiles": [{"schedulerName": "json-scheduler",
      "plugins": {"score": {"disabled": [{"name": "ImageLocality"}]}}}]})");
  ASSERT_TRUE(r.IsOk()) << r.status().ToString();
  EXPECT_EQ(r->parallelism, 8);
  ASSERT_EQ(r->profiles.size(), 1U);
  EXPECT_EQ(r->profiles[0].scheduler_name, "json-scheduler");
  EXPECT_THAT(Names(r->profiles[0].plugins.score.disabled), ElementsAre("ImageLocality"));
}

TEST(MergePluginsTest, DisableOneDefault) {
  Plugins custom;
  custom.multi_point.disabled = {{"ImageLocality", 0}};
  Plugins merged = MergePlugins(UpstreamDefaults(), custom);
  auto names = Names(merged.multi_point.enabled);
  EXPECT_EQ(std::count(names.begin(), names.end(), "ImageLocality:1"), 0);
  EXPECT_EQ(names.size(), UpstreamDefaults().multi_point.enabled.size() - 1);
  EXPECT_THAT(Names(merged.multi_point.disabled), ElementsAre("ImageLocality"));
}

TEST(MergePluginsTest, StarDisablesAllDefaultsButKeepsTheUsersEnabled) {
  Plugins custom;
  custom.multi_point.disabled = {{"*", 0}};
  custom.multi_point.enabled = {{"NodeName", 0}, {"PrioritySort", 0}, {"DefaultBinder", 0}};
  Plugins merged = MergePlugins(UpstreamDefaults(), custom);
  EXPECT_THAT(Names(merged.multi_point.enabled),
              ElementsAre("NodeName", "PrioritySort", "DefaultBinder"));
  EXPECT_THAT(Names(merged.multi_point.disabled), ElementsAre("*"));
}

TEST(MergePluginsTest, OutOfTreeAppendedAndReweightInPlace) {
  Plugins custom;
  custom.multi_point.enabled = {{"MyPlugin", 7}, {"TaintToleration", 10}};
  Plugins merged = MergePlugins(UpstreamDefaults(), custom);
  auto names = Names(merged.multi_point.enabled);
  ASSERT_EQ(names.size(), UpstreamDefaults().multi_point.enabled.size() + 1);
  EXPECT_EQ(names[4], "TaintToleration:10");  // the default's position
  EXPECT_EQ(names.back(), "MyPlugin:7");
}

TEST(MergePluginsTest, PerExtensionPoint) {
  Plugins defaults;
  defaults.score.enabled = {{"A", 1}, {"B", 2}};
  Plugins custom;
  custom.score.enabled = {{"C", 3}};
  custom.score.disabled = {{"A", 0}};
  Plugins merged = MergePlugins(defaults, custom);
  EXPECT_THAT(Names(merged.score.enabled), ElementsAre("B:2", "C:3"));
  custom.score.disabled = {{"*", 0}};
  EXPECT_THAT(Names(MergePlugins(defaults, custom).score.enabled), ElementsAre("C:3"));
}

TEST(ParseSchedulerConfigTest, ProfilePluginsMergedWithDefaults) {
  auto r = Parse(Yaml(R"(
profiles:
- schedulerName: custom
  plugins:
    multiPoint:
      enabled:
      - name: MyPlugin
      - name: NodeAffinity
        weight: 5
    score:
      disabled:
      - name: "*"
      enabled:
      - name: NodeResourcesFit
        weight: 3
)"));
  ASSERT_TRUE(r.IsOk()) << r.status().ToString();
  const auto& p = r->profiles[0].plugins;
  auto multi = Names(p.multi_point.enabled);
  EXPECT_EQ(multi[5], "NodeAffinity:5");
  EXPECT_EQ(multi.back(), "MyPlugin");
  EXPECT_THAT(Names(p.score.enabled), ElementsAre("NodeResourcesFit:3"));
  EXPECT_THAT(Names(p.score.disabled), ElementsAre("*"));
}

TEST(ParseSchedulerConfigTest, SeveralProfiles) {
  auto r = Parse(Yaml(R"(
profiles:
- schedulerName: default-scheduler
- schedulerName: no-scoring
  percentageOfNodesToScore: 50
  plugins:
    preScore:
      disabled:
      - name: "*"
    score:
      disabled:
      - name: "*"
)"));
  ASSERT_TRUE(r.IsOk()) << r.status().ToString();
  ASSERT_EQ(r->profiles.size(), 2U);
  EXPECT_EQ(r->profiles[0].scheduler_name, "default-scheduler");
  EXPECT_FALSE(r->profiles[0].percentage_of_nodes_to_score.has_value());
  EXPECT_EQ(r->profiles[1].scheduler_name, "no-scoring");
  EXPECT_EQ(r->profiles[1].percentage_of_nodes_to_score, 50);
  EXPECT_THAT(Names(r->profiles[1].plugins.score.disabled), ElementsAre("*"));
  EXPECT_EQ(ConfigNames(r->profiles[1]).size(), 4U);
}

TEST(ParseSchedulerConfigTest, ArgsParsedAndDefaulted) {
  auto r = Parse(Yaml(R"(
profiles:
- pluginConfig:
  - name: NodeResourcesFit
    args:
      ignoredResources: [example.com/foo]
      scoringStrategy:
        type: MostAllocated
  - name: NodeResourcesBalancedAllocation
    args:
      resources:
      - name: cpu
      - name: example.com/gpu
        weight: 1
  - name: PodTopologySpread
    args:
      defaultingType: List
      defaultConstraints:
      - maxSkew: 2
        topologyKey: topology.kubernetes.io/zone
        whenUnsatisfiable: ScheduleAnyway
  - name: InterPodAffinity
    args:
      ignorePreferredTermsOfExistingPods: true
  - name: MyOutOfTreePlugin
    args:
      anything: goes
)"));
  ASSERT_TRUE(r.IsOk()) << r.status().ToString();
  const auto& p = r->profiles[0];
  // The user's entries in their order, then defaults for the rest (none left here).
  EXPECT_THAT(ConfigNames(p),
              ElementsAre("NodeResourcesFit", "NodeResourcesBalancedAllocation",
                          "PodTopologySpread", "InterPodAffinity", "MyOutOfTreePlugin"));
  const auto& fit = ArgsOf<NodeResourcesFitArgs>(p, "NodeResourcesFit");
  EXPECT_THAT(fit.ignored_resources, ElementsAre("example.com/foo"));
  EXPECT_EQ(fit.scoring_strategy.type, "MostAllocated");
  ASSERT_EQ(fit.scoring_strategy.resources.size(), 2U);
  EXPECT_EQ(fit.scoring_strategy.resources[0].name, "cpu");
  EXPECT_EQ(fit.scoring_strategy.resources[1].weight, 1);
  const auto& bal =
      ArgsOf<NodeResourcesBalancedAllocationArgs>(p, "NodeResourcesBalancedAllocation");
  ASSERT_EQ(bal.resources.size(), 2U);
  EXPECT_EQ(bal.resources[0].weight, 1);  // 0 defaulted to 1
  EXPECT_EQ(bal.resources[1].name, "example.com/gpu");
  const auto& pts = ArgsOf<PodTopologySpreadArgs>(p, "PodTopologySpread");
  EXPECT_EQ(pts.defaulting_type, "List");
  ASSERT_EQ(pts.default_constraints.size(), 1U);
  EXPECT_EQ(pts.default_constraints[0].max_skew, 2);
  EXPECT_EQ(pts.default_constraints[0].when_unsatisfiable, "ScheduleAnyway");
  const auto& ipa = ArgsOf<InterPodAffinityArgs>(p, "InterPodAffinity");
  EXPECT_EQ(ipa.hard_pod_affinity_weight, 1);
  EXPECT_TRUE(ipa.ignore_preferred_terms_of_existing_pods);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(p.plugin_config.back().args));
}

TEST(ParseSchedulerConfigTest, ArgsDefaultsOfOmittedFieldsAndRequestedToCapacityRatio) {
  auto r = Parse(Yaml(R"(
profiles:
- pluginConfig:
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        type: RequestedToCapacityRatio
        resources:
        - name: cpu
          weight: 0
        requestedToCapacityRatio:
          shape:
          - utilization: 0
            score: 0
          - utilization: 100
            score: 10
  - name: PodTopologySpread
    args: {}
  - name: InterPodAffinity
    args:
      apiVersion: kubescheduler.config.k8s.io/v1
      kind: InterPodAffinityArgs
      hardPodAffinityWeight: 0
)"));
  ASSERT_TRUE(r.IsOk()) << r.status().ToString();
  const auto& p = r->profiles[0];
  const auto& fit = ArgsOf<NodeResourcesFitArgs>(p, "NodeResourcesFit");
  EXPECT_EQ(fit.scoring_strategy.type, "RequestedToCapacityRatio");
  ASSERT_EQ(fit.scoring_strategy.resources.size(), 1U);
  EXPECT_EQ(fit.scoring_strategy.resources[0].weight, 1);
  ASSERT_EQ(fit.scoring_strategy.shape.size(), 2U);
  EXPECT_EQ(fit.scoring_strategy.shape[1].score, 10);
  EXPECT_EQ(ArgsOf<PodTopologySpreadArgs>(p, "PodTopologySpread").defaulting_type, "System");
  EXPECT_EQ(ArgsOf<InterPodAffinityArgs>(p, "InterPodAffinity").hard_pod_affinity_weight, 0);
}

TEST(ParseSchedulerConfigTest, DefaultArgsAppendedForUserEnabledPlugins) {
  // Only plugins that are enabled get default args.
  auto r = Parse(Yaml(R"(
profiles:
- plugins:
    multiPoint:
      disabled:
      - name: "*"
      enabled:
      - name: NodeResourcesFit
)"));
  ASSERT_TRUE(r.IsOk()) << r.status().ToString();
  EXPECT_THAT(ConfigNames(r->profiles[0]), ElementsAre("NodeResourcesFit"));
}

TEST(ParseSchedulerConfigTest, TypeMetaErrors) {
  EXPECT_EQ(ErrorOf("apiVersion: kubescheduler.config.k8s.io/v1beta3\n"
                    "kind: KubeSchedulerConfiguration\n"),
            "no kind \"KubeSchedulerConfiguration\" is registered for version "
            "\"kubescheduler.config.k8s.io/v1beta3\" in scheme "
            "\"pkg/scheduler/apis/config/scheme/scheme.go:30\"");
  EXPECT_EQ(ErrorOf("apiVersion: kubescheduler.config.k8s.io/v1\nkind: X\n"),
            "no kind \"X\" is registered for version \"kubescheduler.config.k8s.io/v1\" in "
            "scheme \"pkg/scheduler/apis/config/scheme/scheme.go:30\"");
  EXPECT_EQ(ErrorOf("kind: KubeSchedulerConfiguration\n"),
            "Object 'apiVersion' is missing in 'kind: KubeSchedulerConfiguration\n'");
  EXPECT_THAT(ErrorOf("parallelism: 3\n"), HasSubstr("Object 'Kind' is missing in"));
  EXPECT_THAT(ErrorOf(""), HasSubstr("Object 'Kind' is missing in"));
  EXPECT_EQ(ErrorOf("apiVersion: kubescheduler.config.k8s.io/v1\nkind: NodeResourcesFitArgs\n"),
            "couldn't decode as KubeSchedulerConfiguration, got kubescheduler.config.k8s.io/v1, "
            "Kind=NodeResourcesFitArgs: ");
  auto r = Parse("apiVersion: v1\nkind: KubeSchedulerConfiguration\n");
  ASSERT_FALSE(r.IsOk());
  EXPECT_EQ(r.status().Code(), StatusCode::kBadRequest);
}

TEST(ParseSchedulerConfigTest, StrictUnknownFields) {
  EXPECT_EQ(ErrorOf(Yaml("foo: 1\nprofiles:\n- schedulerName: a\n  bar: 2\n")),
            "strict decoding error: unknown field \"foo\", unknown field \"profiles[0].bar\"");
  EXPECT_EQ(ErrorOf(R"({"apiVersion": "kubescheduler.config.k8s.io/v1",
      "kind": "KubeSchedulerConfiguration", "leaderElection": {"leaderElectt": true}})"),
            "strict decoding error: unknown field \"leaderElection.leaderElectt\"");
  // Case matters, as in upstream's case-sensitive decoder.
  EXPECT_EQ(ErrorOf(Yaml("Parallelism: 2\n")),
            "strict decoding error: unknown field \"Parallelism\"");
}

TEST(ParseSchedulerConfigTest, StrictUnknownFieldInArgs) {
  EXPECT_EQ(ErrorOf(Yaml(R"(
profiles:
- pluginConfig:
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        typo: MostAllocated
)")),
            "strict decoding error: decoding .profiles[0].pluginConfig[0]: strict decoding error: "
            "decoding args for plugin NodeResourcesFit: strict decoding error: unknown field "
            "\"scoringStrategy.typo\"");
}

TEST(ParseSchedulerConfigTest, StrictDuplicateFields) {
  EXPECT_EQ(ErrorOf(Yaml("parallelism: 2\nparallelism: 3\n")),
            "strict decoding error: yaml: unmarshal errors:\n  line 4: key \"parallelism\" "
            "already set in map");
  EXPECT_EQ(ErrorOf(R"({"apiVersion": "kubescheduler.config.k8s.io/v1",
      "kind": "KubeSchedulerConfiguration", "parallelism": 2, "parallelism": 3})"),
            "strict decoding error: duplicate field \"parallelism\"");
}

TEST(ParseSchedulerConfigTest, StrictDuplicateFieldInJsonArgs) {
  EXPECT_EQ(ErrorOf(R"({"apiVersion": "kubescheduler.config.k8s.io/v1",
      "kind": "KubeSchedulerConfiguration", "profiles": [{"pluginConfig": [
      {"name": "InterPodAffinity", "args": {"hardPodAffinityWeight": 1,
       "hardPodAffinityWeight": 2}}]}]})"),
            "strict decoding error: decoding .profiles[0].pluginConfig[0]: strict decoding error: "
            "decoding args for plugin InterPodAffinity: strict decoding error: duplicate field "
            "\"hardPodAffinityWeight\"");
  // Out-of-tree plugins' args are not decoded (upstream keeps them raw for the plugin).
  EXPECT_EQ(ErrorOf(Yaml("profiles:\n- pluginConfig:\n  - name: Custom\n    args: {a: 1, a: 2}\n")),
            "strict decoding error: yaml: unmarshal errors:\n  line 6: key \"a\" already set in "
            "map");
}

TEST(ParseSchedulerConfigTest, WrongTypes) {
  EXPECT_EQ(ErrorOf(Yaml("parallelism: many\n")),
            "json: cannot unmarshal string into Go struct field "
            "KubeSchedulerConfiguration.parallelism of type int32");
  EXPECT_EQ(ErrorOf(Yaml("leaderElection:\n  leaseDuration: 15\n")),
            "json: cannot unmarshal number into Go value of type string");
  EXPECT_EQ(ErrorOf(Yaml("leaderElection:\n  leaseDuration: 15 s\n")),
            "time: unknown unit \" s\" in duration \"15 s\"");
  EXPECT_EQ(ErrorOf(Yaml("profiles:\n- plugins:\n    score:\n      enabled:\n      - name: A\n"
                         "        weight: heavy\n")),
            "json: cannot unmarshal string into Go struct field "
            "Plugin.profiles.plugins.score.enabled.weight of type int32");
  EXPECT_EQ(ErrorOf(Yaml("profiles:\n- pluginConfig:\n  - name: InterPodAffinity\n    args:\n"
                         "      hardPodAffinityWeight: x\n")),
            "decoding .profiles[0].pluginConfig[0]: decoding args for plugin InterPodAffinity: "
            "json: cannot unmarshal string into Go struct field "
            "InterPodAffinityArgs.hardPodAffinityWeight of type int32");
  EXPECT_EQ(ErrorOf(Yaml("profiles:\n- pluginConfig:\n  - name: InterPodAffinity\n    args:\n"
                         "      kind: NodeResourcesFitArgs\n")),
            "decoding .profiles[0].pluginConfig[0]: decoding args for plugin InterPodAffinity: "
            "args for plugin InterPodAffinity were not of type "
            "InterPodAffinityArgs.kubescheduler.config.k8s.io, got "
            "NodeResourcesFitArgs.kubescheduler.config.k8s.io");
}

TEST(ValidationTest, TopLevel) {
  EXPECT_EQ(ErrorOf(Yaml("percentageOfNodesToScore: 120\n")),
            "percentageOfNodesToScore: Invalid value: 120: not in valid range [0-100]");
  EXPECT_EQ(ErrorOf(Yaml("podInitialBackoffSeconds: 0\n")),
            "podInitialBackoffSeconds: Invalid value: 0: must be greater than 0");
  // Several errors: upstream's aggregate "[a, b]".
  EXPECT_EQ(ErrorOf(Yaml("parallelism: 0\npodInitialBackoffSeconds: -2\n")),
            "[parallelism: Invalid value: 0: should be an integer value greater than zero, "
            "podInitialBackoffSeconds: Invalid value: -2: must be greater than 0]");
  EXPECT_EQ(ErrorOf(Yaml("podInitialBackoffSeconds: 5\npodMaxBackoffSeconds: 3\n")),
            "podMaxBackoffSeconds: Invalid value: 3: must be greater than or equal to "
            "PodInitialBackoffSeconds");
  EXPECT_EQ(ErrorOf(Yaml("parallelism: 0\n")),
            "parallelism: Invalid value: 0: should be an integer value greater than zero");
  EXPECT_EQ(ErrorOf(Yaml("clientConnection:\n  burst: -1\n")),
            "clientConnection.burst: Invalid value: -1: must be non-negative");
  auto r = Parse(Yaml("parallelism: -1\n"));
  ASSERT_FALSE(r.IsOk());
  EXPECT_TRUE(r.status().IsInvalid());
}

TEST(ValidationTest, LeaderElection) {
  EXPECT_EQ(ErrorOf(Yaml("leaderElection:\n  leaseDuration: 5s\n")),
            "leaderElection.leaseDuration: Invalid value: 10s: must be greater than "
            "`RenewDeadline`");
  EXPECT_EQ(ErrorOf(Yaml("leaderElection:\n  retryPeriod: -1s\n")),
            "leaderElection.retryPeriod: Invalid value: -1s: must be greater than zero");
  EXPECT_EQ(ErrorOf(Yaml("leaderElection:\n  resourceLock: endpointsleases\n")),
            "leaderElection.resourceLock: Invalid value: \"endpointsleases\": resourceLock value "
            "must be \"leases\"");
  // Not validated when leader election is off.
  EXPECT_EQ(ErrorOf(Yaml("leaderElection:\n  leaderElect: false\n  leaseDuration: 5s\n")), "<ok>");
}

TEST(ValidationTest, Profiles) {
  EXPECT_EQ(ErrorOf(Yaml("profiles:\n- schedulerName: x\n- schedulerName: x\n")),
            "profiles[1].schedulerName: Duplicate value: \"x\"");
  EXPECT_EQ(ErrorOf(Yaml("profiles:\n- schedulerName: a\n- percentageOfNodesToScore: 10\n")),
            "profiles[1].schedulerName: Required value");
  EXPECT_EQ(ErrorOf(Yaml("profiles:\n- schedulerName: a\n  percentageOfNodesToScore: 101\n")),
            "profiles[0].percentageOfNodesToScore: Invalid value: 101: not in valid range "
            "[0-100]");
  EXPECT_EQ(ErrorOf(Yaml(R"(
profiles:
- schedulerName: a
- schedulerName: b
  plugins:
    queueSort:
      disabled:
      - name: "*"
      enabled:
      - name: MySort
)")),
            "profiles[1].plugins.queueSort: Invalid value: config.PluginSet{Enabled:"
            "[]config.Plugin{config.Plugin{Name:\"MySort\", Weight:0}}, Disabled:"
            "[]config.Plugin{config.Plugin{Name:\"*\", Weight:0}}}: must be the same for all "
            "profiles");
  EXPECT_EQ(ErrorOf(Yaml("profiles:\n- plugins:\n    filter:\n      enabled:\n"
                         "      - name: EBSLimits\n")),
            "profiles[0].plugins.filter.enabled[0]: Invalid value: \"EBSLimits\": was invalid "
            "in version \"kubescheduler.config.k8s.io/v1\" (KubeSchedulerConfiguration is "
            "version \"kubescheduler.config.k8s.io/v1\")");
  EXPECT_EQ(ErrorOf(Yaml("profiles:\n- pluginConfig:\n  - name: InterPodAffinity\n"
                         "  - name: InterPodAffinity\n")),
            "profiles[0].pluginConfig[1]: Duplicate value: \"InterPodAffinity\"");
}

TEST(ValidationTest, PluginArgs) {
  EXPECT_EQ(ErrorOf(Yaml("profiles:\n- pluginConfig:\n  - name: InterPodAffinity\n    args:\n"
                         "      hardPodAffinityWeight: 101\n")),
            "profiles[0].pluginConfig[0].args.hardPodAffinityWeight: Invalid value: 101: not in "
            "valid range [0, 100]");
  EXPECT_EQ(ErrorOf(Yaml("profiles:\n- pluginConfig:\n  - name: NodeResourcesFit\n    args:\n"
                         "      scoringStrategy:\n        type: Balanced\n")),
            "profiles[0].pluginConfig[0].args.scoringStrategy.type: Unsupported value: "
            "\"Balanced\": supported values: \"LeastAllocated\", \"MostAllocated\", "
            "\"RequestedToCapacityRatio\"");
  EXPECT_EQ(ErrorOf(Yaml("profiles:\n- pluginConfig:\n  - name: NodeResourcesFit\n    args:\n"
                         "      scoringStrategy:\n        type: LeastAllocated\n"
                         "        resources:\n        - name: cpu\n          weight: 101\n")),
            "profiles[0].pluginConfig[0].args.scoringStrategy.resources[0].weight: Invalid value: "
            "101: resource weight of cpu not in valid range (0, 100]");
  EXPECT_EQ(ErrorOf(Yaml("profiles:\n- pluginConfig:\n  - name: NodeResourcesFit\n    args:\n"
                         "      scoringStrategy:\n        type: RequestedToCapacityRatio\n")),
            "profiles[0].pluginConfig[0].args.scoringStrategy.requestedToCapacityRatio: Required "
            "value: must be specified when type is RequestedToCapacityRatio");
  EXPECT_EQ(ErrorOf(Yaml("profiles:\n- pluginConfig:\n  - name: NodeResourcesFit\n    args:\n"
                         "      scoringStrategy:\n        type: RequestedToCapacityRatio\n"
                         "        requestedToCapacityRatio:\n          shape:\n"
                         "          - {utilization: 50, score: 11}\n"
                         "          - {utilization: 40, score: 0}\n")),
            "[profiles[0].pluginConfig[0].args.scoringStrategy.requestedToCapacityRatio.shape[1]"
            ".utilization: Invalid value: 40: values must be sorted in increasing order, "
            "profiles[0].pluginConfig[0].args.scoringStrategy.requestedToCapacityRatio.shape[0]"
            ".score: Invalid value: 11: not in valid range [0, 10]]");
  EXPECT_EQ(ErrorOf(Yaml("profiles:\n- pluginConfig:\n  - name: NodeResourcesBalancedAllocation\n"
                         "    args:\n      resources:\n      - {name: cpu, weight: 2}\n"
                         "      - {name: cpu}\n")),
            "[profiles[0].pluginConfig[0].args.resources[0].weight: Invalid value: 2: must be 1, "
            "profiles[0].pluginConfig[0].args.resources[1].name: Duplicate value: \"cpu\"]");
  EXPECT_EQ(ErrorOf(Yaml("profiles:\n- pluginConfig:\n  - name: PodTopologySpread\n    args:\n"
                         "      defaultConstraints:\n      - maxSkew: 1\n"
                         "        topologyKey: zone\n        whenUnsatisfiable: DoNotSchedule\n")),
            "profiles[0].pluginConfig[0].args.defaultingType: Invalid value: \"System\": when "
            ".defaultConstraints are not empty");
  EXPECT_EQ(ErrorOf(Yaml("profiles:\n- pluginConfig:\n  - name: PodTopologySpread\n    args:\n"
                         "      defaultingType: List\n      defaultConstraints:\n"
                         "      - topologyKey: zone\n        whenUnsatisfiable: Maybe\n"
                         "        labelSelector: {}\n")),
            "[profiles[0].pluginConfig[0].args.defaultConstraints[0].maxSkew: Invalid value: 0: "
            "not in valid range (0, inf), "
            "profiles[0].pluginConfig[0].args.defaultConstraints[0].whenUnsatisfiable: "
            "Unsupported value: \"Maybe\": supported values: \"DoNotSchedule\", "
            "\"ScheduleAnyway\", "
            "profiles[0].pluginConfig[0].args.defaultConstraints[0].labelSelector: Forbidden: "
            "constraint must not define a selector, as they deduced for each pod]");
  EXPECT_EQ(ErrorOf(Yaml("profiles:\n- pluginConfig:\n  - name: DefaultPreemption\n    args:\n"
                         "      minCandidateNodesPercentage: 101\n")),
            "profiles[0].pluginConfig[0].args.minCandidateNodesPercentage: Invalid value: 101: "
            "not in valid range [0, 100]");
  EXPECT_EQ(ErrorOf(Yaml("profiles:\n- pluginConfig:\n  - name: NodeAffinity\n    args:\n"
                         "      addedAffinity: {}\n")),
            "profiles[0].pluginConfig[0].args.addedAffinity: Forbidden: not supported by kubepp");
}

TEST(ValidationTest, ExtendersAreNotSupported) {
  EXPECT_EQ(ErrorOf(Yaml("extenders:\n- urlPrefix: http://127.0.0.1:8888\n")),
            "extenders: Forbidden: kubepp does not support scheduler extenders");
  EXPECT_EQ(ErrorOf(Yaml("extenders: []\n")), "<ok>");
}

TEST(LoadSchedulerConfigFileTest, ReadsAFileAndReportsAMissingOne) {
  char dir_template[] = "/tmp/kubepp-sched-config-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  std::string path = std::string(dir_template) + "/config.yaml";
  {
    std::ofstream out(path);
    out << Yaml("parallelism: 3\n");
  }
  auto r = LoadSchedulerConfigFile(path, UpstreamDefaults(), DefaultArgs());
  ASSERT_TRUE(r.IsOk()) << r.status().ToString();
  EXPECT_EQ(r->parallelism, 3);
  std::remove(path.c_str());
  rmdir(dir_template);
  auto missing = LoadSchedulerConfigFile(path, UpstreamDefaults(), DefaultArgs());
  ASSERT_FALSE(missing.IsOk());
  EXPECT_TRUE(missing.status().IsNotFound());
  EXPECT_EQ(missing.status().Message(), "open " + path + ": No such file or directory");
}

}  // namespace
}  // namespace kubepp::scheduler
