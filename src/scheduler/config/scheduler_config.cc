#include "scheduler/config/scheduler_config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <utility>

#include "api/field_errors.h"
#include "api/yaml_json.h"
#include "base/duration.h"

namespace kubepp::scheduler {

namespace {

namespace json = boost::json;
using api::ErrorList;
using api::FieldError;
using api::FieldErrorType;

constexpr std::string_view kGroup = "kubescheduler.config.k8s.io";
constexpr std::string_view kGroupVersion = "kubescheduler.config.k8s.io/v1";
constexpr std::string_view kKind = "KubeSchedulerConfiguration";
// Upstream names its scheme after the line that built it; errors quote it.
constexpr std::string_view kSchemeName = "pkg/scheduler/apis/config/scheme/scheme.go:30";
constexpr std::string_view kDefaultSchedulerName = "default-scheduler";

// Plugins whose args have a registered kind (<Name>Args) in kubescheduler.config.k8s.io/v1
// (v1.32). Args of any other plugin are not decoded by upstream either.
constexpr std::array<std::string_view, 7> kPluginsWithArgs = {
    "DefaultPreemption", "InterPodAffinity",  "NodeAffinity", "NodeResourcesBalancedAllocation",
    "NodeResourcesFit",  "PodTopologySpread", "VolumeBinding"};

bool HasArgsKind(std::string_view plugin) {
  return std::find(kPluginsWithArgs.begin(), kPluginsWithArgs.end(), plugin) !=
         kPluginsWithArgs.end();
}

bool IsRegisteredKind(std::string_view kind) {
  if (kind == kKind) return true;
  for (auto p : kPluginsWithArgs) {
    if (kind.size() == p.size() + 4 && kind.starts_with(p) && kind.ends_with("Args")) return true;
  }
  return false;
}

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += sep;
    out += parts[i];
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Strict decoding of boost::json values into our structs, with encoding/json's and
// sigs.k8s.io/json's error messages.

// The errors of one strict decode (the configuration, or one plugin's args).
struct DecodeState {
  std::vector<std::string> strict;        // unknown/duplicate fields, in document order
  std::optional<std::string> type_error;  // the first value of the wrong type: fatal
};

// One field being decoded: where it is, for error messages.
struct FieldRef {
  DecodeState* st;
  const json::value* v;
  std::string path;       // with indices, for strict errors: "profiles[0].plugins"
  std::string go_path;    // without, as encoding/json names it: "profiles.plugins"
  std::string go_struct;  // the Go struct holding the field: "KubeSchedulerProfile"
};

std::string Child(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

// encoding/json's name for a JSON value in "cannot unmarshal X".
std::string JsonValueName(const json::value& v, bool number_literal) {
  switch (v.kind()) {
    case json::kind::string:
      return "string";
    case json::kind::bool_:
      return "bool";
    case json::kind::array:
      return "array";
    case json::kind::object:
      return "object";
    case json::kind::int64:
      return number_literal ? "number " + std::to_string(v.get_int64()) : "number";
    case json::kind::uint64:
      return number_literal ? "number " + std::to_string(v.get_uint64()) : "number";
    case json::kind::double_:
      return number_literal ? fmt::format("number {}", v.get_double()) : "number";
    case json::kind::null:
      return "null";
  }
  return "value";
}

void TypeError(const FieldRef& f, std::string_view go_type, bool number_literal = false) {
  if (f.st->type_error) return;
  f.st->type_error =
      fmt::format("json: cannot unmarshal {} into Go struct field {}.{} of type {}",
                  JsonValueName(*f.v, number_literal), f.go_struct, f.go_path, go_type);
}

// Integers: JSON numbers that are whole and in range.
template <typename Int>
bool ReadInt(const FieldRef& f, Int& out, std::string_view go_type) {
  const json::value& v = *f.v;
  if (v.is_null()) return false;
  constexpr auto kMin = static_cast<long double>(std::numeric_limits<Int>::min());
  constexpr auto kMax = static_cast<long double>(std::numeric_limits<Int>::max());
  long double x = 0;
  if (v.is_int64()) {
    x = static_cast<long double>(v.get_int64());
  } else if (v.is_uint64()) {
    x = static_cast<long double>(v.get_uint64());
  } else if (v.is_double()) {
    x = v.get_double();
    if (std::floor(x) != x) {
      TypeError(f, go_type, true);
      return false;
    }
  } else {
    TypeError(f, go_type);
    return false;
  }
  if (x < kMin || x > kMax) {
    TypeError(f, go_type, true);
    return false;
  }
  out = static_cast<Int>(x);
  return true;
}

bool ReadString(const FieldRef& f, std::string& out) {
  if (f.v->is_null()) return false;
  if (!f.v->is_string()) {
    TypeError(f, "string");
    return false;
  }
  out = std::string(f.v->get_string());
  return true;
}

bool ReadBool(const FieldRef& f, bool& out) {
  if (f.v->is_null()) return false;
  if (!f.v->is_bool()) {
    TypeError(f, "bool");
    return false;
  }
  out = f.v->get_bool();
  return true;
}

bool ReadFloat(const FieldRef& f, float& out) {
  if (f.v->is_null()) return false;
  if (!f.v->is_number()) {
    TypeError(f, "float32");
    return false;
  }
  out = static_cast<float>(f.v->to_number<double>());
  return true;
}

// metav1.Duration: a string for time.ParseDuration; its own errors are returned as they are.
bool ReadDuration(const FieldRef& f, std::chrono::milliseconds& out) {
  if (f.v->is_null()) return false;
  if (f.st->type_error) return false;
  if (!f.v->is_string()) {
    f.st->type_error = fmt::format("json: cannot unmarshal {} into Go value of type string",
                                   JsonValueName(*f.v, false));
    return false;
  }
  auto d = ParseGoDuration(f.v->get_string());
  if (!d.IsOk()) {
    f.st->type_error = d.status().Message();
    return false;
  }
  out = std::chrono::duration_cast<std::chrono::milliseconds>(*d);
  return true;
}

// A field the Go struct does not have: a strict "unknown field" error.
void Unknown(const FieldRef& f) { f.st->strict.push_back("unknown field " + Quote(f.path)); }

// A Go struct: `field(key, child)` is called for each member in document order; it reads the
// members the struct has and calls Unknown() for the others. False when null or not an object.
template <typename F>
bool ReadStruct(const FieldRef& f, std::string_view go_type, std::string_view go_struct,
                F&& field) {
  if (f.v->is_null()) return false;
  if (!f.v->is_object()) {
    TypeError(f, go_type);
    return false;
  }
  for (const auto& kv : f.v->get_object()) {
    FieldRef child{f.st, &kv.value(), Child(f.path, kv.key()), Child(f.go_path, kv.key()),
                   std::string(go_struct)};
    field(std::string_view(kv.key()), child);
  }
  return true;
}

// A Go slice: `item(child)` for each element. False when null or not an array.
template <typename F>
bool ReadArray(const FieldRef& f, std::string_view go_type, F&& item) {
  if (f.v->is_null()) return false;
  if (!f.v->is_array()) {
    TypeError(f, go_type);
    return false;
  }
  const auto& arr = f.v->get_array();
  for (size_t i = 0; i < arr.size(); ++i) {
    FieldRef child{f.st, &arr[i], f.path + "[" + std::to_string(i) + "]", f.go_path, f.go_struct};
    item(child);
  }
  return true;
}

void ReadStringList(const FieldRef& f, std::vector<std::string>& out) {
  ReadArray(f, "[]string", [&](const FieldRef& item) {
    std::string s;
    if (ReadString(item, s)) out.push_back(std::move(s));
  });
}

template <typename T>
void ReadOptionalInt(const FieldRef& f, std::optional<T>& out, std::string_view go_type) {
  T v = 0;
  if (ReadInt(f, v, go_type)) out = v;
}

// ---------------------------------------------------------------------------------------------
// The v1 document as decoded, before defaulting: pointers of upstream's v1 types are optionals.

struct V1PluginConfig {
  std::string name;
  json::value args;  // raw, null when absent
};

struct V1Profile {
  std::optional<std::string> scheduler_name;
  std::optional<int32_t> percentage_of_nodes_to_score;
  Plugins plugins;
  std::vector<V1PluginConfig> plugin_config;
};

struct V1Config {
  std::optional<int32_t> parallelism;
  std::optional<bool> leader_elect;
  // Zero values where upstream defaults zero values.
  LeaderElectionConfiguration leader_election{.lease_duration = std::chrono::milliseconds(0),
                                              .renew_deadline = std::chrono::milliseconds(0),
                                              .retry_period = std::chrono::milliseconds(0),
                                              .resource_lock = "",
                                              .resource_name = "",
                                              .resource_namespace = ""};
  ClientConnectionConfiguration client_connection{.content_type = "", .qps = 0, .burst = 0};
  std::optional<int32_t> percentage_of_nodes_to_score;
  std::optional<int64_t> pod_initial_backoff_seconds;
  std::optional<int64_t> pod_max_backoff_seconds;
  std::vector<V1Profile> profiles;
  size_t extenders = 0;  // length of the (unsupported) extenders list
};

void DecodePluginList(const FieldRef& f, std::vector<PluginRef>& out) {
  ReadArray(f, "[]v1.Plugin", [&](const FieldRef& item) {
    PluginRef ref;
    bool present =
        ReadStruct(item, "v1.Plugin", "Plugin", [&](std::string_view k, const FieldRef& c) {
          if (k == "name") {
            ReadString(c, ref.name);
          } else if (k == "weight") {
            ReadInt(c, ref.weight, "int32");
          } else {
            Unknown(c);
          }
        });
    if (present) out.push_back(std::move(ref));
  });
}

void DecodePluginSet(const FieldRef& f, PluginSet& out) {
  ReadStruct(f, "v1.PluginSet", "PluginSet", [&](std::string_view k, const FieldRef& c) {
    if (k == "enabled") {
      DecodePluginList(c, out.enabled);
    } else if (k == "disabled") {
      DecodePluginList(c, out.disabled);
    } else {
      Unknown(c);
    }
  });
}

// Extension points by their JSON names, in upstream's field order.
std::vector<std::pair<std::string_view, PluginSet Plugins::*>> ExtensionPoints() {
  return {{"preEnqueue", &Plugins::pre_enqueue},
          {"queueSort", &Plugins::queue_sort},
          {"preFilter", &Plugins::pre_filter},
          {"filter", &Plugins::filter},
          {"postFilter", &Plugins::post_filter},
          {"preScore", &Plugins::pre_score},
          {"score", &Plugins::score},
          {"reserve", &Plugins::reserve},
          {"permit", &Plugins::permit},
          {"preBind", &Plugins::pre_bind},
          {"bind", &Plugins::bind},
          {"postBind", &Plugins::post_bind},
          {"multiPoint", &Plugins::multi_point}};
}

void DecodePlugins(const FieldRef& f, Plugins& out) {
  ReadStruct(f, "v1.Plugins", "Plugins", [&](std::string_view k, const FieldRef& c) {
    for (const auto& [name, member] : ExtensionPoints()) {
      if (k == name) {
        DecodePluginSet(c, out.*member);
        return;
      }
    }
    Unknown(c);
  });
}

void DecodePluginConfigs(const FieldRef& f, std::vector<V1PluginConfig>& out) {
  ReadArray(f, "[]v1.PluginConfig", [&](const FieldRef& item) {
    V1PluginConfig pc;
    bool present = ReadStruct(
        item, "v1.PluginConfig", "PluginConfig", [&](std::string_view k, const FieldRef& c) {
          if (k == "name") {
            ReadString(c, pc.name);
          } else if (k == "args") {
            pc.args = *c.v;  // runtime.RawExtension: kept raw, decoded per plugin later
          } else {
            Unknown(c);
          }
        });
    if (present) out.push_back(std::move(pc));
  });
}

void DecodeProfile(const FieldRef& f, V1Profile& p) {
  ReadStruct(f, "v1.KubeSchedulerProfile", "KubeSchedulerProfile",
             [&](std::string_view k, const FieldRef& c) {
               if (k == "schedulerName") {
                 std::string s;
                 if (ReadString(c, s)) p.scheduler_name = std::move(s);
               } else if (k == "percentageOfNodesToScore") {
                 ReadOptionalInt(c, p.percentage_of_nodes_to_score, "int32");
               } else if (k == "plugins") {
                 DecodePlugins(c, p.plugins);
               } else if (k == "pluginConfig") {
                 DecodePluginConfigs(c, p.plugin_config);
               } else {
                 Unknown(c);
               }
             });
}

void DecodeLeaderElection(const FieldRef& f, V1Config& cfg) {
  auto& le = cfg.leader_election;
  ReadStruct(f, "v1alpha1.LeaderElectionConfiguration", "LeaderElectionConfiguration",
             [&](std::string_view k, const FieldRef& c) {
               if (k == "leaderElect") {
                 bool b = false;
                 if (ReadBool(c, b)) cfg.leader_elect = b;
               } else if (k == "leaseDuration") {
                 ReadDuration(c, le.lease_duration);
               } else if (k == "renewDeadline") {
                 ReadDuration(c, le.renew_deadline);
               } else if (k == "retryPeriod") {
                 ReadDuration(c, le.retry_period);
               } else if (k == "resourceLock") {
                 ReadString(c, le.resource_lock);
               } else if (k == "resourceName") {
                 ReadString(c, le.resource_name);
               } else if (k == "resourceNamespace") {
                 ReadString(c, le.resource_namespace);
               } else {
                 Unknown(c);
               }
             });
}

void DecodeClientConnection(const FieldRef& f, ClientConnectionConfiguration& cc) {
  ReadStruct(f, "v1alpha1.ClientConnectionConfiguration", "ClientConnectionConfiguration",
             [&](std::string_view k, const FieldRef& c) {
               if (k == "kubeconfig") {
                 ReadString(c, cc.kubeconfig);
               } else if (k == "acceptContentTypes") {
                 ReadString(c, cc.accept_content_types);
               } else if (k == "contentType") {
                 ReadString(c, cc.content_type);
               } else if (k == "qps") {
                 ReadFloat(c, cc.qps);
               } else if (k == "burst") {
                 ReadInt(c, cc.burst, "int32");
               } else {
                 Unknown(c);
               }
             });
}

void DecodeConfig(const FieldRef& root, V1Config& cfg) {
  ReadStruct(root, "v1.KubeSchedulerConfiguration", "KubeSchedulerConfiguration",
             [&](std::string_view k, const FieldRef& c) {
               if (k == "apiVersion" || k == "kind") {
                 // Checked before decoding.
               } else if (k == "parallelism") {
                 ReadOptionalInt(c, cfg.parallelism, "int32");
               } else if (k == "leaderElection") {
                 DecodeLeaderElection(c, cfg);
               } else if (k == "clientConnection") {
                 DecodeClientConnection(c, cfg.client_connection);
               } else if (k == "enableProfiling" || k == "enableContentionProfiling" ||
                          k == "delayCacheUntilActive") {
                 bool ignored = false;  // DebuggingConfiguration and the informer delay: unused
                 ReadBool(c, ignored);
               } else if (k == "percentageOfNodesToScore") {
                 ReadOptionalInt(c, cfg.percentage_of_nodes_to_score, "int32");
               } else if (k == "podInitialBackoffSeconds") {
                 ReadOptionalInt(c, cfg.pod_initial_backoff_seconds, "int64");
               } else if (k == "podMaxBackoffSeconds") {
                 ReadOptionalInt(c, cfg.pod_max_backoff_seconds, "int64");
               } else if (k == "profiles") {
                 ReadArray(c, "[]v1.KubeSchedulerProfile", [&](const FieldRef& item) {
                   V1Profile p;
                   DecodeProfile(item, p);
                   cfg.profiles.push_back(std::move(p));
                 });
               } else if (k == "extenders") {
                 // Not supported: only counted (validation rejects a non-empty list).
                 if (c.v->is_array()) {
                   cfg.extenders = c.v->get_array().size();
                 } else if (!c.v->is_null()) {
                   TypeError(c, "[]v1.Extender");
                 }
               } else {
                 Unknown(c);
               }
             });
}

// ---------------------------------------------------------------------------------------------
// Plugin args.

// One plugin's args as decoded, with what validation needs beyond the typed PluginArgs.
struct DecodedArgs {
  PluginArgs args;
  bool fit_rtcr = false;  // NodeResourcesFit: scoringStrategy.requestedToCapacityRatio given
  std::vector<bool> spread_selector;  // PodTopologySpread: constraint i has a labelSelector
  // DefaultPreemption (copied into args as DefaultPreemptionArgs once decoded).
  int32_t min_candidate_nodes_percentage = 10;
  int32_t min_candidate_nodes_absolute = 100;
  // VolumeBinding (same).
  int64_t bind_timeout_seconds = 600;
  std::optional<std::vector<UtilizationShapePoint>> volume_binding_shape;
  // Paths (under args) of fields upstream accepts that kubepp cannot honour.
  std::vector<std::string> unsupported;
};

void DecodeResources(const FieldRef& f, std::vector<ResourceSpec>& out) {
  ReadArray(f, "[]v1.ResourceSpec", [&](const FieldRef& item) {
    ResourceSpec r{.name = "", .weight = 0};
    ReadStruct(item, "v1.ResourceSpec", "ResourceSpec", [&](std::string_view k, const FieldRef& c) {
      if (k == "name") {
        ReadString(c, r.name);
      } else if (k == "weight") {
        ReadInt(c, r.weight, "int64");
      } else {
        Unknown(c);
      }
    });
    out.push_back(std::move(r));
  });
}

void DecodeShape(const FieldRef& f, std::vector<UtilizationShapePoint>& out) {
  ReadArray(f, "[]v1.UtilizationShapePoint", [&](const FieldRef& item) {
    UtilizationShapePoint p;
    ReadStruct(item, "v1.UtilizationShapePoint", "UtilizationShapePoint",
               [&](std::string_view k, const FieldRef& c) {
                 if (k == "utilization") {
                   ReadInt(c, p.utilization, "int32");
                 } else if (k == "score") {
                   ReadInt(c, p.score, "int32");
                 } else {
                   Unknown(c);
                 }
               });
    out.push_back(p);
  });
}

bool IsTypeMeta(std::string_view k) { return k == "apiVersion" || k == "kind"; }

NodeResourcesFitArgs DecodeFitArgs(const FieldRef& root, DecodedArgs& out) {
  NodeResourcesFitArgs a;
  ScoringStrategy strategy{.type = "", .resources = {}, .shape = {}};
  bool has_strategy = false;
  auto decode_strategy = [&](std::string_view k, const FieldRef& c) {
    if (k == "type") {
      ReadString(c, strategy.type);
    } else if (k == "resources") {
      DecodeResources(c, strategy.resources);
    } else if (k == "requestedToCapacityRatio") {
      out.fit_rtcr =
          ReadStruct(c, "v1.RequestedToCapacityRatioParam", "RequestedToCapacityRatioParam",
                     [&](std::string_view rk, const FieldRef& rc) {
                       if (rk == "shape") {
                         DecodeShape(rc, strategy.shape);
                       } else {
                         Unknown(rc);
                       }
                     });
    } else {
      Unknown(c);
    }
  };
  ReadStruct(root, "v1.NodeResourcesFitArgs", "NodeResourcesFitArgs",
             [&](std::string_view k, const FieldRef& c) {
               if (IsTypeMeta(k)) {
                 // Checked before decoding.
               } else if (k == "ignoredResources") {
                 ReadStringList(c, a.ignored_resources);
               } else if (k == "ignoredResourceGroups") {
                 ReadStringList(c, a.ignored_resource_groups);
               } else if (k == "scoringStrategy") {
                 has_strategy =
                     ReadStruct(c, "v1.ScoringStrategy", "ScoringStrategy", decode_strategy);
               } else {
                 Unknown(c);
               }
             });
  // SetDefaults_NodeResourcesFitArgs: no strategy is LeastAllocated on cpu and memory; a given
  // strategy keeps its type, gets cpu/memory when it names no resources, weight 0 means 1.
  if (has_strategy) {
    if (strategy.resources.empty()) strategy.resources = {{"cpu", 1}, {"memory", 1}};
    for (auto& r : strategy.resources) {
      if (r.weight == 0) r.weight = 1;
    }
    a.scoring_strategy = std::move(strategy);
  }
  return a;
}

PodTopologySpreadArgs DecodeSpreadArgs(const FieldRef& root, DecodedArgs& out) {
  PodTopologySpreadArgs a{.default_constraints = {}, .defaulting_type = ""};
  auto decode_constraint = [&](const FieldRef& item) {
    DefaultSpreadConstraint dc{.max_skew = 0, .topology_key = "", .when_unsatisfiable = ""};
    bool selector = false;
    ReadStruct(item, "v1.TopologySpreadConstraint", "TopologySpreadConstraint",
               [&](std::string_view k, const FieldRef& c) {
                 if (k == "maxSkew") {
                   ReadInt(c, dc.max_skew, "int32");
                 } else if (k == "topologyKey") {
                   ReadString(c, dc.topology_key);
                 } else if (k == "whenUnsatisfiable") {
                   ReadString(c, dc.when_unsatisfiable);
                 } else if (k == "labelSelector") {
                   selector = !c.v->is_null();
                 } else if (k == "minDomains" || k == "nodeAffinityPolicy" ||
                            k == "nodeTaintsPolicy" || k == "matchLabelKeys") {
                   if (!c.v->is_null()) out.unsupported.push_back(c.path);
                 } else {
                   Unknown(c);
                 }
               });
    a.default_constraints.push_back(std::move(dc));
    out.spread_selector.push_back(selector);
  };
  ReadStruct(root, "v1.PodTopologySpreadArgs", "PodTopologySpreadArgs",
             [&](std::string_view k, const FieldRef& c) {
               if (IsTypeMeta(k)) {
                 // Checked before decoding.
               } else if (k == "defaultingType") {
                 ReadString(c, a.defaulting_type);
               } else if (k == "defaultConstraints") {
                 ReadArray(c, "[]v1.TopologySpreadConstraint", decode_constraint);
               } else {
                 Unknown(c);
               }
             });
  if (a.defaulting_type.empty()) a.defaulting_type = "System";
  return a;
}

// Decodes the args of `plugin` (one with a registered args kind) as upstream's strict decoder
// does, then applies upstream's SetDefaults_<Kind>Args.
DecodedArgs DecodeArgs(DecodeState& st, const std::string& plugin, const json::value& raw) {
  DecodedArgs out;
  std::string go_struct = plugin + "Args";
  std::string go_type = "v1." + go_struct;
  FieldRef root{&st, &raw, "", "", go_struct};
  if (plugin == "NodeResourcesFit") {
    out.args = DecodeFitArgs(root, out);
  } else if (plugin == "PodTopologySpread") {
    out.args = DecodeSpreadArgs(root, out);
  } else if (plugin == "NodeResourcesBalancedAllocation") {
    NodeResourcesBalancedAllocationArgs a{.resources = {}};
    ReadStruct(root, go_type, go_struct, [&](std::string_view k, const FieldRef& c) {
      if (IsTypeMeta(k)) {
        // Checked before decoding.
      } else if (k == "resources") {
        DecodeResources(c, a.resources);
      } else {
        Unknown(c);
      }
    });
    if (a.resources.empty()) a.resources = {{"cpu", 1}, {"memory", 1}};
    for (auto& r : a.resources) {
      if (r.weight == 0) r.weight = 1;
    }
    out.args = std::move(a);
  } else if (plugin == "InterPodAffinity") {
    InterPodAffinityArgs a;
    ReadStruct(root, go_type, go_struct, [&](std::string_view k, const FieldRef& c) {
      if (IsTypeMeta(k)) {
        // Checked before decoding.
      } else if (k == "hardPodAffinityWeight") {
        ReadInt(c, a.hard_pod_affinity_weight, "int32");
      } else if (k == "ignorePreferredTermsOfExistingPods") {
        ReadBool(c, a.ignore_preferred_terms_of_existing_pods);
      } else {
        Unknown(c);
      }
    });
    out.args = a;
  } else if (plugin == "DefaultPreemption") {
    ReadStruct(root, go_type, go_struct, [&](std::string_view k, const FieldRef& c) {
      if (IsTypeMeta(k)) {
        // Checked before decoding.
      } else if (k == "minCandidateNodesPercentage") {
        ReadInt(c, out.min_candidate_nodes_percentage, "int32");
      } else if (k == "minCandidateNodesAbsolute") {
        ReadInt(c, out.min_candidate_nodes_absolute, "int32");
      } else {
        Unknown(c);
      }
    });
    out.args =
        DefaultPreemptionArgs{.min_candidate_nodes_percentage = out.min_candidate_nodes_percentage,
                              .min_candidate_nodes_absolute = out.min_candidate_nodes_absolute};
  } else if (plugin == "VolumeBinding") {
    ReadStruct(root, go_type, go_struct, [&](std::string_view k, const FieldRef& c) {
      if (IsTypeMeta(k)) {
        // Checked before decoding.
      } else if (k == "bindTimeoutSeconds") {
        ReadInt(c, out.bind_timeout_seconds, "int64");
      } else if (k == "shape") {
        if (!c.v->is_null()) {
          std::vector<UtilizationShapePoint> shape;
          DecodeShape(c, shape);
          out.volume_binding_shape = std::move(shape);
        }
      } else {
        Unknown(c);
      }
    });
  } else if (plugin == "NodeAffinity") {
    ReadStruct(root, go_type, go_struct, [&](std::string_view k, const FieldRef& c) {
      if (IsTypeMeta(k)) {
        // Checked before decoding.
      } else if (k == "addedAffinity") {
        if (!c.v->is_null()) out.unsupported.push_back(c.path);
      } else {
        Unknown(c);
      }
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Duplicate keys: boost::json (like sigs.k8s.io/yaml's non-strict pass) keeps the last value,
// so they are found on the YAML tree.

struct DuplicateKey {
  std::string path;  // the duplicated field's path: "profiles[0].schedulerName"
  std::string key;
  int line = 0;  // 1-based
};

void FindDuplicates(const YAML::Node& node, const std::string& path, int depth,
                    std::vector<DuplicateKey>& out) {
  if (depth > 256) return;
  if (node.IsMap()) {
    std::set<std::string> seen;
    for (const auto& kv : node) {
      if (!kv.first.IsScalar()) continue;
      const std::string& key = kv.first.Scalar();
      std::string child = Child(path, key);
      if (!seen.insert(key).second) {
        out.push_back({child, key, kv.first.Mark().line + 1});
      }
      FindDuplicates(kv.second, child, depth + 1, out);
    }
  } else if (node.IsSequence()) {
    for (size_t i = 0; i < node.size(); ++i) {
      FindDuplicates(node[i], path + "[" + std::to_string(i) + "]", depth + 1, out);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Defaulting.

void MergePluginSet(const PluginSet& defaults, const PluginSet& custom, PluginSet& out) {
  PluginSet merged;
  std::set<std::string> disabled;
  for (const auto& d : custom.disabled) {
    merged.disabled.push_back({d.name, 0});
    disabled.insert(d.name);
  }
  for (const auto& d : defaults.disabled) {
    merged.disabled.push_back({d.name, 0});
    disabled.insert(d.name);
  }
  std::map<std::string, size_t> custom_index;  // name -> last index in custom.enabled
  for (size_t i = 0; i < custom.enabled.size(); ++i) custom_index[custom.enabled[i].name] = i;
  std::set<size_t> replaced;
  if (disabled.count("*") == 0) {
    for (const auto& d : defaults.enabled) {
      if (disabled.count(d.name) != 0) continue;
      auto it = custom_index.find(d.name);
      if (it != custom_index.end()) {
        // Re-configured default: the user's entry takes its place (keeps the default's order).
        merged.enabled.push_back(custom.enabled[it->second]);
        replaced.insert(it->second);
      } else {
        merged.enabled.push_back(d);
      }
    }
  }
  for (size_t i = 0; i < custom.enabled.size(); ++i) {
    if (replaced.count(i) == 0) merged.enabled.push_back(custom.enabled[i]);
  }
  out = std::move(merged);
}

// Names of every enabled plugin of a profile, sorted (upstream's pluginsNames).
std::vector<std::string> EnabledPluginNames(const Plugins& p) {
  std::set<std::string> names;
  for (const auto& [unused, member] : ExtensionPoints()) {
    for (const auto& r : (p.*member).enabled) names.insert(r.name);
  }
  return {names.begin(), names.end()};
}

// Appends the default args of enabled plugins the profile configures none for.
void AppendDefaultArgs(KubeSchedulerProfile& profile,
                       const std::vector<PluginConfig>& default_plugin_args) {
  std::set<std::string> existing;
  for (const auto& c : profile.plugin_config) existing.insert(c.name);
  for (const auto& name : EnabledPluginNames(profile.plugins)) {
    if (existing.count(name) != 0) continue;
    for (const auto& d : default_plugin_args) {
      if (d.name == name) {
        profile.plugin_config.push_back(d);
        break;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Validation.

FieldError InvalidValue(std::string field, std::string value, std::string detail) {
  return {FieldErrorType::kInvalid, std::move(field), std::move(value), std::move(detail)};
}

std::string GoPluginSet(const PluginSet& s) {
  auto list = [](const std::vector<PluginRef>& refs) {
    if (refs.empty()) return std::string("[]config.Plugin(nil)");
    std::vector<std::string> items;
    items.reserve(refs.size());
    for (const auto& r : refs) {
      items.push_back(fmt::format("config.Plugin{{Name:{}, Weight:{}}}", Quote(r.name), r.weight));
    }
    return "[]config.Plugin{" + Join(items, ", ") + "}";
  };
  return fmt::format("config.PluginSet{{Enabled:{}, Disabled:{}}}", list(s.enabled),
                     list(s.disabled));
}

std::string GoShape(const std::vector<UtilizationShapePoint>& shape) {
  std::vector<std::string> items;
  items.reserve(shape.size());
  for (const auto& p : shape) {
    items.push_back(fmt::format("config.UtilizationShapePoint{{Utilization:{}, Score:{}}}",
                                p.utilization, p.score));
  }
  return "[]config.UtilizationShapePoint{" + Join(items, ", ") + "}";
}

void ValidateLabelName(const std::string& path, const std::string& value, ErrorList& errs) {
  for (auto& msg : api::IsQualifiedName(value)) errs.push_back(api::Invalid(path, value, msg));
}

void ValidateShape(const std::vector<UtilizationShapePoint>& shape, const std::string& path,
                   ErrorList& errs) {
  if (shape.empty()) {
    errs.push_back(api::Required(path, "at least one point must be specified"));
    return;
  }
  for (size_t i = 1; i < shape.size(); ++i) {
    if (shape[i - 1].utilization >= shape[i].utilization) {
      errs.push_back(api::InvalidInt(fmt::format("{}[{}].utilization", path, i),
                                     shape[i].utilization,
                                     "values must be sorted in increasing order"));
      break;
    }
  }
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i].utilization < 0 || shape[i].utilization > 100) {
      errs.push_back(api::InvalidInt(fmt::format("{}[{}].utilization", path, i),
                                     shape[i].utilization, "not in valid range [0, 100]"));
    }
    if (shape[i].score < 0 || shape[i].score > 10) {
      errs.push_back(api::InvalidInt(fmt::format("{}[{}].score", path, i), shape[i].score,
                                     "not in valid range [0, 10]"));
    }
  }
}

void ValidateFitArgs(const std::string& path, const NodeResourcesFitArgs& a, bool rtcr,
                     ErrorList& errs) {
  for (size_t i = 0; i < a.ignored_resources.size(); ++i) {
    ValidateLabelName(fmt::format("{}.ignoredResources[{}]", path, i), a.ignored_resources[i],
                      errs);
  }
  for (size_t i = 0; i < a.ignored_resource_groups.size(); ++i) {
    std::string p = fmt::format("{}.ignoredResourceGroups[{}]", path, i);
    const std::string& g = a.ignored_resource_groups[i];
    if (g.find('/') != std::string::npos) {
      errs.push_back(api::Invalid(p, g, "resource group name can't contain '/'"));
    }
    ValidateLabelName(p, g, errs);
  }
  std::string sp = path + ".scoringStrategy";
  const ScoringStrategy& s = a.scoring_strategy;
  if (s.type != "LeastAllocated" && s.type != "MostAllocated" &&
      s.type != "RequestedToCapacityRatio") {
    errs.push_back(api::NotSupported(
        sp + ".type", s.type, {"LeastAllocated", "MostAllocated", "RequestedToCapacityRatio"}));
  }
  for (size_t i = 0; i < s.resources.size(); ++i) {
    if (s.resources[i].weight <= 0 || s.resources[i].weight > 100) {
      errs.push_back(api::InvalidInt(
          fmt::format("{}.resources[{}].weight", sp, i), s.resources[i].weight,
          fmt::format("resource weight of {} not in valid range (0, 100]", s.resources[i].name)));
    }
  }
  if (s.type == "RequestedToCapacityRatio") {
    if (!rtcr) {
      errs.push_back(api::Required(sp + ".requestedToCapacityRatio",
                                   "must be specified when type is RequestedToCapacityRatio"));
    } else {
      ValidateShape(s.shape, sp + ".requestedToCapacityRatio.shape", errs);
    }
  } else if (rtcr) {
    errs.push_back(api::Forbidden(sp + ".requestedToCapacityRatio",
                                  "must be nil when type is not RequestedToCapacityRatio"));
  }
}

void ValidateBalancedArgs(const std::string& path, const NodeResourcesBalancedAllocationArgs& a,
                          ErrorList& errs) {
  std::set<std::string> seen;
  for (size_t i = 0; i < a.resources.size(); ++i) {
    std::string p = fmt::format("{}.resources[{}]", path, i);
    if (!seen.insert(a.resources[i].name).second) {
      errs.push_back(api::Duplicate(p + ".name", a.resources[i].name));
    }
    if (a.resources[i].weight != 1) {
      errs.push_back(api::InvalidInt(p + ".weight", a.resources[i].weight, "must be 1"));
    }
  }
}

void ValidateSpreadArgs(const std::string& path, const PodTopologySpreadArgs& a,
                        const std::vector<bool>& selectors, ErrorList& errs) {
  std::string tp = path + ".defaultingType";
  if (a.defaulting_type != "System" && a.defaulting_type != "List") {
    errs.push_back(api::NotSupported(tp, a.defaulting_type, {"System", "List"}));
  } else if (a.defaulting_type == "System" && !a.default_constraints.empty()) {
    errs.push_back(api::Invalid(tp, a.defaulting_type, "when .defaultConstraints are not empty"));
  }
  std::string cp = path + ".defaultConstraints";
  for (size_t i = 0; i < a.default_constraints.size(); ++i) {
    const auto& c = a.default_constraints[i];
    std::string p = fmt::format("{}[{}]", cp, i);
    if (c.max_skew <= 0) {
      errs.push_back(api::InvalidInt(p + ".maxSkew", c.max_skew, "not in valid range (0, inf)"));
    }
    if (c.topology_key.empty()) {
      errs.push_back(api::Required(p + ".topologyKey", "can not be empty"));
    } else {
      ValidateLabelName(p + ".topologyKey", c.topology_key, errs);
    }
    if (c.when_unsatisfiable.empty()) {
      errs.push_back(api::Required(p + ".whenUnsatisfiable", "can not be empty"));
    } else if (c.when_unsatisfiable != "DoNotSchedule" &&
               c.when_unsatisfiable != "ScheduleAnyway") {
      errs.push_back(api::NotSupported(p + ".whenUnsatisfiable", c.when_unsatisfiable,
                                       {"DoNotSchedule", "ScheduleAnyway"}));
    }
    if (i < selectors.size() && selectors[i]) {
      errs.push_back(api::Forbidden(p + ".labelSelector",
                                    "constraint must not define a selector, as they deduced for "
                                    "each pod"));
    }
    for (size_t j = 0; j < i; ++j) {
      const auto& o = a.default_constraints[j];
      if (o.topology_key == c.topology_key && o.when_unsatisfiable == c.when_unsatisfiable) {
        errs.push_back(
            api::Duplicate(p, fmt::format("{{{}, {}}}", c.topology_key, c.when_unsatisfiable)));
        break;
      }
    }
  }
}

// Validates one decoded pluginConfig entry's args (path: "profiles[i].pluginConfig[j].args").
void ValidateArgs(const std::string& path, const std::string& plugin, const DecodedArgs& d,
                  ErrorList& errs) {
  if (const auto* fit = std::get_if<NodeResourcesFitArgs>(&d.args)) {
    ValidateFitArgs(path, *fit, d.fit_rtcr, errs);
  } else if (const auto* bal = std::get_if<NodeResourcesBalancedAllocationArgs>(&d.args)) {
    ValidateBalancedArgs(path, *bal, errs);
  } else if (const auto* pts = std::get_if<PodTopologySpreadArgs>(&d.args)) {
    ValidateSpreadArgs(path, *pts, d.spread_selector, errs);
  } else if (const auto* ipa = std::get_if<InterPodAffinityArgs>(&d.args)) {
    if (ipa->hard_pod_affinity_weight < 0 || ipa->hard_pod_affinity_weight > 100) {
      errs.push_back(api::InvalidInt(path + ".hardPodAffinityWeight", ipa->hard_pod_affinity_weight,
                                     "not in valid range [0, 100]"));
    }
  } else if (plugin == "DefaultPreemption") {
    std::string pp = path + ".minCandidateNodesPercentage";
    std::string ap = path + ".minCandidateNodesAbsolute";
    if (d.min_candidate_nodes_percentage < 0 || d.min_candidate_nodes_percentage > 100) {
      errs.push_back(
          api::InvalidInt(pp, d.min_candidate_nodes_percentage, "not in valid range [0, 100]"));
    }
    if (d.min_candidate_nodes_absolute < 0) {
      errs.push_back(
          api::InvalidInt(ap, d.min_candidate_nodes_absolute, "not in valid range [0, inf)"));
    }
    if (d.min_candidate_nodes_percentage == 0 && d.min_candidate_nodes_absolute == 0) {
      errs.push_back(
          api::InvalidInt(pp, 0, "cannot be zero at the same time as minCandidateNodesAbsolute"));
      errs.push_back(
          api::InvalidInt(ap, 0, "cannot be zero at the same time as minCandidateNodesPercentage"));
    }
  } else if (plugin == "VolumeBinding") {
    if (d.bind_timeout_seconds < 0) {
      errs.push_back(api::InvalidInt(path + ".bindTimeoutSeconds", d.bind_timeout_seconds,
                                     "invalid BindTimeoutSeconds, should not be a negative value"));
    }
    if (d.volume_binding_shape) {
      errs.push_back(InvalidValue(path + ".shape", GoShape(*d.volume_binding_shape),
                                  "unexpected field `shape`, remove it or turn on the feature gate "
                                  "VolumeCapacityPriority"));
    }
  }
  for (const auto& field : d.unsupported) {
    errs.push_back(api::Forbidden(fmt::format("{}.{}", path, field), "not supported by kubepp"));
  }
}

// Plugins removed from kubescheduler.config.k8s.io/v1 (upstream's invalidPluginsByVersion).
bool IsRemovedPlugin(std::string_view name) {
  return name == "AzureDiskLimits" || name == "CinderLimits" || name == "EBSLimits" ||
         name == "GCEPDLimits";
}

std::string RemovedPluginDetail() {
  return fmt::format("was invalid in version {} (KubeSchedulerConfiguration is version {})",
                     Quote(kGroupVersion), Quote(kGroupVersion));
}

// upstream's utilerrors aggregate message: one error as is, several as "[a, b]" without repeats.
std::string AggregateMessage(const ErrorList& errs) {
  std::vector<std::string> msgs;
  for (const auto& e : errs) {
    std::string m = e.ToString();
    if (std::find(msgs.begin(), msgs.end(), m) == msgs.end()) msgs.push_back(std::move(m));
  }
  if (msgs.size() == 1) return msgs[0];
  return "[" + Join(msgs, ", ") + "]";
}

// A profile as validated: the defaulted profile plus the decoded args of its pluginConfig
// entries (nullopt for the appended defaults and for plugins without an args kind) and the
// raw args (for the queueSort comparison).
struct ProfileExtra {
  std::vector<std::optional<DecodedArgs>> decoded;
  std::vector<json::value> raw;
};

Status Validate(const KubeSchedulerConfiguration& cfg, const std::vector<ProfileExtra>& extra,
                size_t extenders) {
  ErrorList errs;
  const auto& cc = cfg.client_connection;
  if (cc.burst < 0)
    errs.push_back(api::InvalidInt("clientConnection.burst", cc.burst, "must be non-negative"));
  const auto& le = cfg.leader_election;
  if (le.leader_elect) {
    auto dur = [](std::chrono::milliseconds d) { return FormatGoDuration(d); };
    if (le.lease_duration.count() <= 0) {
      errs.push_back(InvalidValue("leaderElection.leaseDuration", dur(le.lease_duration),
                                  "must be greater than zero"));
    }
    if (le.renew_deadline.count() <= 0) {
      errs.push_back(InvalidValue("leaderElection.renewDeadline", dur(le.renew_deadline),
                                  "must be greater than zero"));
    }
    if (le.retry_period.count() <= 0) {
      errs.push_back(InvalidValue("leaderElection.retryPeriod", dur(le.retry_period),
                                  "must be greater than zero"));
    }
    if (le.lease_duration <= le.renew_deadline) {
      errs.push_back(InvalidValue("leaderElection.leaseDuration", dur(le.renew_deadline),
                                  "must be greater than `RenewDeadline`"));
    }
    if (le.resource_lock.empty()) errs.push_back(api::Required("leaderElection.resourceLock"));
    if (le.resource_namespace.empty()) {
      errs.push_back(api::Required("leaderElection.resourceNamespace"));
    }
    if (le.resource_name.empty()) errs.push_back(api::Required("leaderElection.resourceName"));
    if (le.resource_lock != "leases") {
      errs.push_back(api::Invalid("leaderElection.resourceLock", le.resource_lock,
                                  "resourceLock value must be \"leases\""));
    }
  }
  if (cfg.parallelism <= 0) {
    errs.push_back(api::InvalidInt("parallelism", cfg.parallelism,
                                   "should be an integer value greater than zero"));
  }
  if (cfg.profiles.empty()) {
    errs.push_back(api::Required("profiles"));
  } else {
    std::map<std::string, size_t> names;
    for (size_t i = 0; i < cfg.profiles.size(); ++i) {
      const auto& prof = cfg.profiles[i];
      std::string path = fmt::format("profiles[{}]", i);
      if (prof.scheduler_name.empty()) errs.push_back(api::Required(path + ".schedulerName"));
      if (prof.percentage_of_nodes_to_score &&
          (*prof.percentage_of_nodes_to_score < 0 || *prof.percentage_of_nodes_to_score > 100)) {
        errs.push_back(api::InvalidInt(path + ".percentageOfNodesToScore",
                                       *prof.percentage_of_nodes_to_score,
                                       "not in valid range [0-100]"));
      }
      for (const auto& [stage, member] : ExtensionPoints()) {
        if (stage == "multiPoint") continue;  // upstream checks every point but multiPoint
        const auto& enabled = (prof.plugins.*member).enabled;
        for (size_t j = 0; j < enabled.size(); ++j) {
          if (IsRemovedPlugin(enabled[j].name)) {
            errs.push_back(api::Invalid(fmt::format("{}.plugins.{}.enabled[{}]", path, stage, j),
                                        enabled[j].name, RemovedPluginDetail()));
          }
        }
      }
      std::set<std::string> seen;
      for (size_t j = 0; j < prof.plugin_config.size(); ++j) {
        const auto& pc = prof.plugin_config[j];
        std::string cp = fmt::format("{}.pluginConfig[{}]", path, j);
        if (!seen.insert(pc.name).second) errs.push_back(api::Duplicate(cp, pc.name));
        if (IsRemovedPlugin(pc.name)) {
          errs.push_back(api::Invalid(cp, pc.name, RemovedPluginDetail()));
        } else if (i < extra.size() && j < extra[i].decoded.size() && extra[i].decoded[j]) {
          ValidateArgs(cp + ".args", pc.name, *extra[i].decoded[j], errs);
        }
      }
      // Upstream reports the index of the first holder as the duplicate's value; the name is
      // more useful and is what we report.
      if (names.count(prof.scheduler_name) != 0) {
        errs.push_back(api::Duplicate(path + ".schedulerName", prof.scheduler_name));
      }
      names[prof.scheduler_name] = i;
    }
    // validateCommonQueueSort.
    const auto& canon = cfg.profiles[0].plugins.queue_sort;
    std::string queue_sort_name = canon.enabled.empty() ? "" : canon.enabled[0].name;
    if (canon.enabled.size() > 1) {
      errs.push_back(InvalidValue("profiles[0].plugins.queueSort.Enabled",
                                  std::to_string(canon.enabled.size()),
                                  "only one queue sort plugin can be enabled"));
    }
    auto raw_args = [&](size_t i, const std::string& name) -> std::optional<json::value> {
      const auto& prof = cfg.profiles[i];
      std::optional<json::value> out;
      for (size_t j = 0; j < prof.plugin_config.size(); ++j) {
        if (prof.plugin_config[j].name == name) {
          out = (i < extra.size() && j < extra[i].raw.size()) ? extra[i].raw[j] : json::value();
        }
      }
      return out;
    };
    std::optional<json::value> canon_args;
    if (!queue_sort_name.empty()) canon_args = raw_args(0, queue_sort_name);
    auto same_set = [](const PluginSet& a, const PluginSet& b) {
      auto eq = [](const std::vector<PluginRef>& x, const std::vector<PluginRef>& y) {
        return std::equal(x.begin(), x.end(), y.begin(), y.end(),
                          [](const PluginRef& l, const PluginRef& r) {
                            return l.name == r.name && l.weight == r.weight;
                          });
      };
      return eq(a.enabled, b.enabled) && eq(a.disabled, b.disabled);
    };
    for (size_t i = 1; i < cfg.profiles.size(); ++i) {
      const auto& curr = cfg.profiles[i].plugins.queue_sort;
      if (!same_set(canon, curr)) {
        errs.push_back(InvalidValue(fmt::format("profiles[{}].plugins.queueSort", i),
                                    GoPluginSet(curr), "must be the same for all profiles"));
      }
      if (queue_sort_name.empty()) continue;
      for (size_t j = 0; j < cfg.profiles[i].plugin_config.size(); ++j) {
        if (cfg.profiles[i].plugin_config[j].name != queue_sort_name) continue;
        json::value args = j < extra[i].raw.size() ? extra[i].raw[j] : json::value();
        if (!canon_args || *canon_args != args) {
          errs.push_back(InvalidValue(fmt::format("profiles[{}].pluginConfig.args", i),
                                      json::serialize(args),
                                      "queueSort must be the same for all profiles"));
        }
      }
    }
  }
  if (cfg.percentage_of_nodes_to_score < 0 || cfg.percentage_of_nodes_to_score > 100) {
    errs.push_back(api::InvalidInt("percentageOfNodesToScore", cfg.percentage_of_nodes_to_score,
                                   "not in valid range [0-100]"));
  }
  if (cfg.pod_initial_backoff_seconds <= 0) {
    errs.push_back(api::InvalidInt("podInitialBackoffSeconds", cfg.pod_initial_backoff_seconds,
                                   "must be greater than 0"));
  }
  if (cfg.pod_max_backoff_seconds < cfg.pod_initial_backoff_seconds) {
    errs.push_back(api::InvalidInt("podMaxBackoffSeconds", cfg.pod_max_backoff_seconds,
                                   "must be greater than or equal to PodInitialBackoffSeconds"));
  }
  if (extenders > 0) {
    errs.push_back(api::Forbidden("extenders", "kubepp does not support scheduler extenders"));
  }
  if (errs.empty()) return Status::Ok();
  return Status::Invalid(AggregateMessage(errs));
}

Status StrictError(const std::vector<std::string>& errs) {
  return Status::BadRequest("strict decoding error: " + Join(errs, ", "));
}

// Reads apiVersion and kind as upstream's json serializer does before decoding.
Status CheckTypeMeta(const json::value& doc, std::string_view text) {
  if (!doc.is_object()) {
    return Status::BadRequest(fmt::format(
        "couldn't get version/kind; json parse error: json: cannot unmarshal {} into Go value "
        "of type struct {{ APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string "
        "\"json:\\\"kind,omitempty\\\"\" }}",
        JsonValueName(doc, false)));
  }
  const auto& obj = doc.get_object();
  std::string api_version;
  std::string kind;
  for (auto [key, out] : {std::pair{"apiVersion", &api_version}, std::pair{"kind", &kind}}) {
    const json::value* v = obj.if_contains(key);
    if (v == nullptr || v->is_null()) continue;
    if (!v->is_string()) {
      return Status::BadRequest(fmt::format(
          "couldn't get version/kind; json parse error: json: cannot unmarshal {} into Go struct "
          "field .{} of type string",
          JsonValueName(*v, false), key));
    }
    *out = std::string(v->get_string());
  }
  if (kind.empty()) {
    return Status::BadRequest(fmt::format("Object 'Kind' is missing in '{}'", text));
  }
  if (api_version.empty()) {
    return Status::BadRequest(fmt::format("Object 'apiVersion' is missing in '{}'", text));
  }
  if (api_version != kGroupVersion || !IsRegisteredKind(kind)) {
    return Status::BadRequest(fmt::format("no kind {} is registered for version {} in scheme {}",
                                          Quote(kind), Quote(api_version), Quote(kSchemeName)));
  }
  if (kind != kKind) {
    return Status::BadRequest(fmt::format(
        "couldn't decode as KubeSchedulerConfiguration, got {}, Kind={}: ", kGroupVersion, kind));
  }
  return Status::Ok();
}

// The apiVersion/kind an args object may carry, checked as upstream's nested decode does.
// Returns a fatal error message, or "".
std::string CheckArgsTypeMeta(const std::string& plugin, const json::value& raw) {
  if (!raw.is_object()) return "";
  const auto& obj = raw.get_object();
  std::string api_version = std::string(kGroupVersion);
  std::string kind = plugin + "Args";
  if (const auto* v = obj.if_contains("apiVersion");
      v != nullptr && v->is_string() && !v->get_string().empty()) {
    api_version = std::string(v->get_string());
  }
  if (const auto* v = obj.if_contains("kind");
      v != nullptr && v->is_string() && !v->get_string().empty()) {
    kind = std::string(v->get_string());
  }
  if (api_version != kGroupVersion || !IsRegisteredKind(kind)) {
    return fmt::format("no kind {} is registered for version {} in scheme {}", Quote(kind),
                       Quote(api_version), Quote(kSchemeName));
  }
  if (kind != plugin + "Args") {
    return fmt::format("args for plugin {} were not of type {}Args.{}, got {}.{}", plugin, plugin,
                       kGroup, kind, kGroup);
  }
  return "";
}

}  // namespace

Plugins MergePlugins(const Plugins& default_plugins, const Plugins& custom) {
  Plugins out;
  for (const auto& [unused, member] : ExtensionPoints()) {
    MergePluginSet(default_plugins.*member, custom.*member, out.*member);
  }
  return out;
}

KubeSchedulerConfiguration DefaultSchedulerConfig(
    const Plugins& default_plugins, const std::vector<PluginConfig>& default_plugin_args) {
  KubeSchedulerConfiguration cfg;
  KubeSchedulerProfile profile;
  profile.scheduler_name = std::string(kDefaultSchedulerName);
  profile.plugins = MergePlugins(default_plugins, Plugins{});
  AppendDefaultArgs(profile, default_plugin_args);
  cfg.profiles.push_back(std::move(profile));
  return cfg;
}

Result<KubeSchedulerConfiguration> ParseSchedulerConfig(
    std::string_view text, const Plugins& default_plugins,
    const std::vector<PluginConfig>& default_plugin_args) {
  // Upstream's codec picks its JSON decoder for a document starting with '{', YAML otherwise.
  size_t first = text.find_first_not_of(" \t\r\n");
  bool is_json = first != std::string_view::npos && text[first] == '{';

  KUBEPP_ASSIGN_OR_RETURN(json::value doc, api::YamlToJson(text));
  if (doc.is_null()) doc = json::object();
  KUBEPP_RETURN_IF_ERROR(CheckTypeMeta(doc, text));

  std::vector<DuplicateKey> duplicates;
  try {
    FindDuplicates(YAML::Load(std::string(text)), "", 0, duplicates);
  } catch (const YAML::Exception&) {
    // YamlToJson parsed the same text; nothing to add.
  }

  // Decode the document, then each registered plugin's args (upstream's DecodeNestedObjects).
  DecodeState st;
  V1Config v1;
  DecodeConfig(FieldRef{&st, &doc, "", "", "KubeSchedulerConfiguration"}, v1);
  if (st.type_error) return Status::BadRequest(*st.type_error);

  std::vector<std::string> strict;
  std::vector<std::string> json_duplicates;  // JSON: top-level "duplicate field" errors
  if (!duplicates.empty() && !is_json) {
    std::string msg = "yaml: unmarshal errors:";
    for (const auto& d : duplicates) {
      msg += fmt::format("\n  line {}: key {} already set in map", d.line, Quote(d.key));
    }
    strict.push_back(std::move(msg));
  }
  auto args_prefix = [](size_t i, size_t j) {
    return fmt::format("profiles[{}].pluginConfig[{}].args.", i, j);
  };
  if (is_json) {
    for (const auto& d : duplicates) {
      bool in_args = false;
      for (size_t i = 0; i < v1.profiles.size() && !in_args; ++i) {
        for (size_t j = 0; j < v1.profiles[i].plugin_config.size(); ++j) {
          if (d.path.starts_with(args_prefix(i, j))) in_args = true;
        }
      }
      if (!in_args) json_duplicates.push_back("duplicate field " + Quote(d.path));
    }
  }
  strict.insert(strict.end(), st.strict.begin(), st.strict.end());
  strict.insert(strict.end(), json_duplicates.begin(), json_duplicates.end());

  std::vector<ProfileExtra> extra(v1.profiles.size());
  for (size_t i = 0; i < v1.profiles.size(); ++i) {
    for (size_t j = 0; j < v1.profiles[i].plugin_config.size(); ++j) {
      const auto& pc = v1.profiles[i].plugin_config[j];
      extra[i].raw.push_back(pc.args);
      if (!HasArgsKind(pc.name)) {
        extra[i].decoded.emplace_back();  // out-of-tree or no args: kept as upstream, unused
        continue;
      }
      std::string where = fmt::format("decoding .profiles[{}].pluginConfig[{}]: ", i, j);
      std::string type_meta = CheckArgsTypeMeta(pc.name, pc.args);
      if (!type_meta.empty()) {
        return Status::BadRequest(
            fmt::format("{}decoding args for plugin {}: {}", where, pc.name, type_meta));
      }
      DecodeState args_st;
      json::value raw = pc.args.is_null() ? json::value(json::object()) : pc.args;
      DecodedArgs decoded = DecodeArgs(args_st, pc.name, raw);
      if (args_st.type_error) {
        return Status::BadRequest(where + "decoding args for plugin " + pc.name + ": " +
                                  *args_st.type_error);
      }
      if (is_json) {
        std::string prefix = args_prefix(i, j);
        for (const auto& d : duplicates) {
          if (d.path.starts_with(prefix)) {
            args_st.strict.push_back("duplicate field " + Quote(d.path.substr(prefix.size())));
          }
        }
      }
      if (!args_st.strict.empty()) {
        strict.push_back(where + "strict decoding error: decoding args for plugin " + pc.name +
                         ": strict decoding error: " + Join(args_st.strict, ", "));
      }
      extra[i].decoded.emplace_back(std::move(decoded));
    }
  }
  if (!strict.empty()) return StrictError(strict);

  // Defaulting (SetDefaults_KubeSchedulerConfiguration).
  KubeSchedulerConfiguration cfg;
  cfg.parallelism = v1.parallelism.value_or(16);
  if (v1.profiles.empty()) {
    v1.profiles.emplace_back();
    extra.emplace_back();
  }
  if (v1.profiles.size() == 1 && !v1.profiles[0].scheduler_name) {
    v1.profiles[0].scheduler_name = std::string(kDefaultSchedulerName);
  }
  for (size_t i = 0; i < v1.profiles.size(); ++i) {
    auto& in = v1.profiles[i];
    KubeSchedulerProfile prof;
    prof.scheduler_name = in.scheduler_name.value_or("");
    prof.percentage_of_nodes_to_score = in.percentage_of_nodes_to_score;
    prof.plugins = MergePlugins(default_plugins, in.plugins);
    for (size_t j = 0; j < in.plugin_config.size(); ++j) {
      PluginConfig pc{.name = in.plugin_config[j].name, .args = {}};
      if (extra[i].decoded[j]) pc.args = extra[i].decoded[j]->args;
      prof.plugin_config.push_back(std::move(pc));
    }
    AppendDefaultArgs(prof, default_plugin_args);
    cfg.profiles.push_back(std::move(prof));
  }
  cfg.percentage_of_nodes_to_score = v1.percentage_of_nodes_to_score.value_or(0);
  // Leader election and client connection (kube-scheduler's own defaults, then component-base's
  // RecommendedDefaultLeaderElectionConfiguration: zero durations take the defaults).
  LeaderElectionConfiguration le = v1.leader_election;
  const LeaderElectionConfiguration default_le;
  le.leader_elect = v1.leader_elect.value_or(true);
  if (le.lease_duration.count() == 0) le.lease_duration = default_le.lease_duration;
  if (le.renew_deadline.count() == 0) le.renew_deadline = default_le.renew_deadline;
  if (le.retry_period.count() == 0) le.retry_period = default_le.retry_period;
  if (le.resource_lock.empty()) le.resource_lock = default_le.resource_lock;
  if (le.resource_name.empty()) le.resource_name = default_le.resource_name;
  if (le.resource_namespace.empty()) le.resource_namespace = default_le.resource_namespace;
  cfg.leader_election = std::move(le);
  ClientConnectionConfiguration cc = v1.client_connection;
  const ClientConnectionConfiguration default_cc;
  if (cc.content_type.empty()) cc.content_type = default_cc.content_type;
  if (cc.qps == 0) cc.qps = default_cc.qps;
  if (cc.burst == 0) cc.burst = default_cc.burst;
  cfg.client_connection = std::move(cc);
  cfg.pod_initial_backoff_seconds = v1.pod_initial_backoff_seconds.value_or(1);
  cfg.pod_max_backoff_seconds = v1.pod_max_backoff_seconds.value_or(10);

  KUBEPP_RETURN_IF_ERROR(Validate(cfg, extra, v1.extenders));
  return cfg;
}

Result<KubeSchedulerConfiguration> LoadSchedulerConfigFile(
    const std::string& path, const Plugins& default_plugins,
    const std::vector<PluginConfig>& default_plugin_args) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    std::string msg = fmt::format("open {}: {}", path, std::strerror(err));
    if (err == ENOENT) return Status::NotFound(msg);
    return Status::Internal(msg);
  }
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return Status::Internal(fmt::format("read {}: I/O error", path));
  return ParseSchedulerConfig(buf.str(), default_plugins, default_plugin_args);
}

}  // namespace kubepp::scheduler
