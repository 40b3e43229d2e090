// The scheduler configuration in the shape of KubeSchedulerConfiguration (kubescheduler.config.
// k8s.io/v1): profiles with plugin sets per extension point, weights, and typed plugin args.
// Reading the YAML file into these structs is done elsewhere; the framework only consumes them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace kubepp::scheduler {

// One plugin named in a set; weight only matters for Score (0 means the default, 1).
struct PluginRef {
  std::string name;
  int32_t weight = 0;
};

// Plugins enabled and disabled at one extension point; a disabled name "*" disables all
// default/multiPoint plugins there.
struct PluginSet {
  std::vector<PluginRef> enabled;
  std::vector<PluginRef> disabled;
};

// Upstream's Plugins: one set per extension point, plus multiPoint (a plugin enabled there is
// used at every extension point it implements).
struct Plugins {
  PluginSet pre_enqueue;
  PluginSet queue_sort;
  PluginSet pre_filter;
  PluginSet filter;
  PluginSet post_filter;
  PluginSet pre_score;
  PluginSet score;
  PluginSet reserve;
  PluginSet permit;
  PluginSet pre_bind;
  PluginSet bind;
  PluginSet post_bind;
  PluginSet multi_point;
};

// A resource and its weight in a scoring strategy.
struct ResourceSpec {
  std::string name;
  int64_t weight = 1;
};

// A point of RequestedToCapacityRatio's shape: utilization 0..100 -> score 0..10.
struct UtilizationShapePoint {
  int32_t utilization = 0;
  int32_t score = 0;
};

struct ScoringStrategy {
  // "LeastAllocated" (default), "MostAllocated" or "RequestedToCapacityRatio".
  std::string type = "LeastAllocated";
  std::vector<ResourceSpec> resources = {{"cpu", 1}, {"memory", 1}};
  std::vector<UtilizationShapePoint> shape;  // RequestedToCapacityRatio only
};

struct NodeResourcesFitArgs {
  std::vector<std::string> ignored_resources;        // extended resources Filter ignores
  std::vector<std::string> ignored_resource_groups;  // "example.com" ignores example.com/*
  ScoringStrategy scoring_strategy;
};

struct NodeResourcesBalancedAllocationArgs {
  std::vector<ResourceSpec> resources = {{"cpu", 1}, {"memory", 1}};
};

// One system-default or configured spread constraint (no labelSelector: built from the pod's
// owners by the plugin).
struct DefaultSpreadConstraint {
  int32_t max_skew = 1;
  std::string topology_key;
  std::string when_unsatisfiable;  // DoNotSchedule or ScheduleAnyway
};

struct PodTopologySpreadArgs {
  std::vector<DefaultSpreadConstraint> default_constraints;
  std::string defaulting_type = "System";  // System or List
};

struct InterPodAffinityArgs {
  int32_t hard_pod_affinity_weight = 1;  // 0..100: weight of existing pods' required affinity
  bool ignore_preferred_terms_of_existing_pods = false;
};

// How many nodes preemption dry-runs at least: max(nodes * percentage / 100, absolute), capped
// at the number of nodes (upstream's DefaultPreemptionArgs).
struct DefaultPreemptionArgs {
  int32_t min_candidate_nodes_percentage = 10;  // 0..100
  int32_t min_candidate_nodes_absolute = 100;   // >= 0; not both 0
};

// Plugin args; monostate when a plugin takes none (or uses its defaults).
using PluginArgs =
    std::variant<std::monostate, NodeResourcesFitArgs, NodeResourcesBalancedAllocationArgs,
                 PodTopologySpreadArgs, InterPodAffinityArgs, DefaultPreemptionArgs>;

struct PluginConfig {
  std::string name;  // the plugin these args are for
  PluginArgs args;
};

// One profile (KubeSchedulerProfile).
struct KubeSchedulerProfile {
  std::string scheduler_name = "default-scheduler";
  // Overrides the global percentageOfNodesToScore; unset or 0 means the adaptive default.
  std::optional<int32_t> percentage_of_nodes_to_score;
  Plugins plugins;
  std::vector<PluginConfig> plugin_config;
};

}  // namespace kubepp::scheduler
