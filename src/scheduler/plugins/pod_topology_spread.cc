// PodTopologySpread: spec.topologySpreadConstraints (DoNotSchedule in PreFilter/Filter,
// ScheduleAnyway in PreScore/Score), and the System or List default constraints for pods without
// constraints of their own, selecting by the pod's Services, ReplicationController, ReplicaSet or
// StatefulSet (upstream's helper.DefaultSelector).
#include <algorithm>
#include <climits>
#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "api/field_errors.h"
#include "scheduler/plugins/helpers.h"
#include "scheduler/plugins/plugins.h"

namespace kubepp::scheduler::plugins {
namespace {

constexpr std::string_view kPreFilterKey = "PreFilterPodTopologySpread";
constexpr std::string_view kPreScoreKey = "PreScorePodTopologySpread";
constexpr std::string_view kLabelHostname = "kubernetes.io/hostname";
constexpr std::string_view kLabelTopologyZone = "topology.kubernetes.io/zone";
constexpr std::string_view kDoNotSchedule = "DoNotSchedule";
constexpr std::string_view kScheduleAnyway = "ScheduleAnyway";
constexpr std::string_view kHonor = "Honor";

using Labels = std::map<std::string, std::string>;

// A constraint's pod selector: all parts must match (labels.Selector with requirements added);
// `nothing` is labels.Nothing() (a constraint without labelSelector).
struct SpreadSelector {
  std::vector<api::Selector> parts;  // ANDed
  bool nothing = false;              // matches no pod

  // labels.Selector.Empty(): no requirement at all (Nothing is not empty).
  bool Empty() const {
    return !nothing && std::all_of(parts.begin(), parts.end(),
                                   [](const api::Selector& s) { return s.Empty(); });
  }
  bool Matches(const Labels& labels) const {
    if (nothing) return false;
    return std::all_of(parts.begin(), parts.end(),
                       [&](const api::Selector& s) { return s.Matches(labels); });
  }
};

// A selector from a label set (labels.Set.AsSelector()).
api::Selector SelectorFromSet(const Labels& set) {
  api::LabelSelector ls;
  ls.matchLabels = set;
  auto s = api::Selector::FromLabelSelector(ls);
  return s.IsOk() ? std::move(s.value()) : api::Selector();
}

// One constraint, resolved (upstream's topologySpreadConstraint).
struct Constraint {
  int32_t max_skew = 1;
  std::string topology_key;
  SpreadSelector selector;
  int32_t min_domains = 1;          // minDomains, 1 when unset
  bool honor_node_affinity = true;  // nodeAffinityPolicy Honor (default)
  bool honor_node_taints = false;   // nodeTaintsPolicy Honor (default Ignore)
};

bool DoNotScheduleTaint(const api::Taint& t) {
  return t.effect == "NoSchedule" || t.effect == "NoExecute";
}

// Whether `node` counts for `c` under its node inclusion policies.
bool MatchNodeInclusionPolicies(const Constraint& c, const api::Pod& pod, const api::Node& node,
                                const RequiredNodeAffinity& required) {
  if (c.honor_node_affinity && !required.Matches(node)) return false;
  if (c.honor_node_taints && FindMatchingUntoleratedTaint(node.spec.taints, pod.spec.tolerations,
                                                          &DoNotScheduleTaint) != nullptr) {
    return false;
  }
  return true;
}

bool NodeLabelsMatchSpreadConstraints(const Labels& labels,
                                      const std::vector<Constraint>& constraints) {
  return std::all_of(constraints.begin(), constraints.end(),
                     [&](const Constraint& c) { return labels.contains(c.topology_key); });
}

// Pods in `ns`, not terminating, selected by `selector` (an empty selector counts none).
int64_t CountPodsMatchSelector(const std::vector<std::shared_ptr<const PodInfo>>& pods,
                               const SpreadSelector& selector, const std::string& ns) {
  if (selector.Empty()) return 0;
  int64_t count = 0;
  for (const auto& p : pods) {
    const api::Pod& pod = p->Pod();
    if (!pod.metadata.deletionTimestamp.empty() || pod.metadata.namespace_ != ns) continue;
    if (selector.Matches(pod.metadata.labels)) ++count;
  }
  return count;
}

// The two smallest match numbers of a constraint's domains (upstream's criticalPaths): [0] is
// always the minimum; [1] is >= [0] but not necessarily the second smallest.
struct CriticalPaths {
  struct Path {
    std::string value;
    int64_t match_num = INT32_MAX;
  };
  Path paths[2];

  void Update(const std::string& value, int64_t num) {
    int i = -1;
    if (value == paths[0].value) {
      i = 0;
    } else if (value == paths[1].value) {
      i = 1;
    }
    if (i >= 0) {
      paths[i].match_num = num;
      if (paths[0].match_num > paths[1].match_num) std::swap(paths[0], paths[1]);
    } else if (num < paths[0].match_num) {
      paths[1] = paths[0];
      paths[0] = {value, num};
    } else if (num < paths[1].match_num) {
      paths[1] = {value, num};
    }
  }
};

struct PreFilterState final : StateData {
  explicit PreFilterState(const api::Pod& pod) : required(pod) {}
  std::vector<Constraint> constraints;  // DoNotSchedule constraints
  std::vector<bool> self_match;         // per constraint: the incoming pod matches its selector
  std::vector<CriticalPaths> critical_paths;  // per constraint
  // Per constraint: topology value -> matching pods in that domain (every eligible domain).
  std::vector<std::unordered_map<std::string, int64_t>> tp_value_to_match_num;
  RequiredNodeAffinity required;  // the incoming pod's nodeSelector + required node affinity

  // The global minimum for skew, treating it as 0 while there are fewer than minDomains domains.
  int64_t MinMatchNum(size_t i) const {
    if (tp_value_to_match_num[i].size() <
        static_cast<size_t>(std::max(constraints[i].min_domains, 0))) {
      return 0;
    }
    return critical_paths[i].paths[0].match_num;
  }

  std::unique_ptr<StateData> Clone() const override {
    return std::make_unique<PreFilterState>(*this);
  }
};

struct PreScoreState final : StateData {
  std::vector<Constraint> constraints;  // ScheduleAnyway constraints
  // Feasible nodes lacking one of the topology keys (scored 0).
  std::set<std::string, std::less<>> ignored_nodes;
  // Per constraint: topology value -> matching pods (not for kubernetes.io/hostname, counted in
  // Score).
  std::vector<std::unordered_map<std::string, int64_t>> topology_value_to_pod_counts;
  std::vector<double> topology_normalizing_weight;  // per constraint: log(domains + 2)

  std::unique_ptr<StateData> Clone() const override {
    return std::make_unique<PreScoreState>(*this);
  }
};

// Upstream's helper.DefaultSelector: the selectors of the pod's Services plus its controller's
// (ReplicationController, ReplicaSet, StatefulSet).
SpreadSelector DefaultSelector(const api::Pod& pod, const ClusterLister* listers) {
  SpreadSelector out;
  if (listers == nullptr) return out;
  const std::string& ns = pod.metadata.namespace_;
  Labels label_set;
  for (const auto& svc : listers->Services(ns)) {
    const Labels& sel = svc->spec.selector;
    if (sel.empty()) continue;  // a nil selector selects nothing
    bool matches = std::all_of(sel.begin(), sel.end(), [&](const auto& kv) {
      auto it = pod.metadata.labels.find(kv.first);
      return it != pod.metadata.labels.end() && it->second == kv.second;
    });
    if (!matches) continue;
    for (const auto& [k, v] : sel) label_set.insert_or_assign(k, v);
  }

  const api::OwnerReference* owner = nullptr;
  for (const auto& ref : pod.metadata.ownerReferences) {
    if (ref.controller.value_or(false)) {
      owner = &ref;
      break;
    }
  }
  std::optional<api::Selector> owner_selector;  // a ReplicaSet's or StatefulSet's selector
  auto add_owner_selector = [&owner_selector](const api::LabelSelector& ls) {
    auto s = api::Selector::FromLabelSelector(ls);
    if (s.IsOk()) owner_selector = std::move(s.value());
  };
  if (owner != nullptr && owner->apiVersion == "v1" && owner->kind == "ReplicationController") {
    for (const auto& rc : listers->ReplicationControllers(ns)) {
      if (rc->metadata.name != owner->name) continue;
      for (const auto& [k, v] : rc->spec.selector) label_set.insert_or_assign(k, v);
      break;
    }
  } else if (owner != nullptr && owner->apiVersion == "apps/v1" && owner->kind == "ReplicaSet") {
    for (const auto& rs : listers->ReplicaSets(ns)) {
      if (rs->metadata.name != owner->name) continue;
      add_owner_selector(rs->spec.selector);
      break;
    }
  } else if (owner != nullptr && owner->apiVersion == "apps/v1" && owner->kind == "StatefulSet") {
    for (const auto& ss : listers->StatefulSets(ns)) {
      if (ss->metadata.name != owner->name) continue;
      add_owner_selector(ss->spec.selector);
      break;
    }
  }
  out.parts.push_back(SelectorFromSet(label_set));
  if (owner_selector.has_value()) out.parts.push_back(std::move(*owner_selector));
  return out;
}

class PodTopologySpread final : public PreFilterPlugin,
                                public PreFilterExtensions,
                                public FilterPlugin,
                                public PreScorePlugin,
                                public ScorePlugin,
                                public ScoreExtensions {
 public:
  PodTopologySpread(std::vector<DefaultSpreadConstraint> defaults, bool system_defaulted,
                    Handle& handle)
      : default_constraints_(std::move(defaults)),
        system_defaulted_(system_defaulted),
        handle_(&handle) {}

  std::string_view Name() const override { return kPodTopologySpread; }

  Status PreFilter(CycleState& state, const PodInfo& pod, std::span<const NodeInfo* const> nodes,
                   PreFilterResult& /*result*/) override {
    const api::Pod& p = pod.Pod();
    auto s = std::make_unique<PreFilterState>(p);
    if (Status st = GetConstraints(p, kDoNotSchedule, s->constraints); !st.IsSuccess()) return st;
    if (s->constraints.empty()) return Status::Skip();

    const size_t n = s->constraints.size();
    s->tp_value_to_match_num.resize(n);
    s->critical_paths.resize(n);
    for (const auto& c : s->constraints)
      s->self_match.push_back(c.selector.Matches(p.metadata.labels));
    for (const NodeInfo* info : nodes) {
      const api::Node* node = info->Node();
      if (node == nullptr) continue;
      if (!NodeLabelsMatchSpreadConstraints(node->metadata.labels, s->constraints)) continue;
      for (size_t i = 0; i < n; ++i) {
        const Constraint& c = s->constraints[i];
        if (!MatchNodeInclusionPolicies(c, p, *node, s->required)) continue;
        const std::string& value = node->metadata.labels.at(c.topology_key);
        s->tp_value_to_match_num[i][value] +=
            CountPodsMatchSelector(info->Pods(), c.selector, p.metadata.namespace_);
      }
    }
    for (size_t i = 0; i < n; ++i) {
      for (const auto& [value, num] : s->tp_value_to_match_num[i]) {
        s->critical_paths[i].Update(value, num);
      }
    }
    state.Write(kPreFilterKey, std::move(s));
    return {};
  }

  const PreFilterExtensions* GetPreFilterExtensions() const override { return this; }

  Status AddPod(CycleState& state, const PodInfo& pod_to_schedule, const PodInfo& pod_to_add,
                const NodeInfo& node) const override {
    UpdateWithPod(state, pod_to_schedule, pod_to_add, node, 1);
    return {};
  }
  Status RemovePod(CycleState& state, const PodInfo& pod_to_schedule, const PodInfo& pod_to_remove,
                   const NodeInfo& node) const override {
    UpdateWithPod(state, pod_to_schedule, pod_to_remove, node, -1);
    return {};
  }

  // existing matching pods in the node's domain + 1 if the pod matches itself - global minimum
  // must not exceed maxSkew, for every DoNotSchedule constraint.
  Status Filter(const CycleState& state, const PodInfo& /*pod*/,
                const NodeInfo& node_info) const override {
    const api::Node* node = node_info.Node();
    if (node == nullptr) return Status::UnschedulableAndUnresolvable("node not found");
    const auto* s = state.Read<PreFilterState>(kPreFilterKey);
    if (s == nullptr) return Status::Error("PodTopologySpread: PreFilter state missing");
    const Labels& labels = node->metadata.labels;
    for (size_t i = 0; i < s->constraints.size(); ++i) {
      const Constraint& c = s->constraints[i];
      auto label = labels.find(c.topology_key);
      if (label == labels.end()) {
        return Status::UnschedulableAndUnresolvable(std::string(kErrReasonNodeLabelNotMatch));
      }
      const auto& counts = s->tp_value_to_match_num[i];
      auto it = counts.find(label->second);
      const int64_t match_num = it == counts.end() ? 0 : it->second;
      const int64_t skew = match_num + (s->self_match[i] ? 1 : 0) - s->MinMatchNum(i);
      if (skew > c.max_skew) {
        return Status::Unschedulable(std::string(kErrReasonConstraintsNotMatch));
      }
    }
    return {};
  }

  Status PreScore(CycleState& state, const PodInfo& pod,
                  std::span<const NodeInfo* const> filtered) override {
    const auto& all_nodes = handle_->SnapshotSharedLister().NodeInfos();
    if (all_nodes.empty()) return Status::Skip();
    const api::Pod& p = pod.Pod();
    auto s = std::make_unique<PreScoreState>();
    if (Status st = GetConstraints(p, kScheduleAnyway, s->constraints); !st.IsSuccess()) return st;
    if (s->constraints.empty()) return Status::Skip();
    // Only non-system-default constraints need every topology key on a node, so nodes without
    // a zone label still get hostname spreading.
    const bool require_all = !p.spec.topologySpreadConstraints.empty() || !system_defaulted_;
    const size_t n = s->constraints.size();
    s->topology_value_to_pod_counts.resize(n);
    size_t scored_nodes = 0;
    for (const NodeInfo* info : filtered) {
      const api::Node* node = info->Node();
      if (node == nullptr) continue;
      if (require_all && !NodeLabelsMatchSpreadConstraints(node->metadata.labels, s->constraints)) {
        s->ignored_nodes.insert(node->metadata.name);
        continue;
      }
      ++scored_nodes;
      for (size_t i = 0; i < n; ++i) {
        const Constraint& c = s->constraints[i];
        if (c.topology_key == kLabelHostname) continue;  // counted per node in Score
        auto it = node->metadata.labels.find(c.topology_key);
        s->topology_value_to_pod_counts[i].try_emplace(
            it == node->metadata.labels.end() ? std::string() : it->second, 0);
      }
    }
    for (size_t i = 0; i < n; ++i) {
      size_t size = s->topology_value_to_pod_counts[i].size();
      if (s->constraints[i].topology_key == kLabelHostname) size = scored_nodes;
      s->topology_normalizing_weight.push_back(std::log(static_cast<double>(size + 2)));
    }

    RequiredNodeAffinity required(p);
    for (const auto& info : all_nodes) {
      const api::Node* node = info->Node();
      if (node == nullptr) continue;
      if (require_all && !NodeLabelsMatchSpreadConstraints(node->metadata.labels, s->constraints)) {
        continue;
      }
      for (size_t i = 0; i < n; ++i) {
        const Constraint& c = s->constraints[i];
        if (!MatchNodeInclusionPolicies(c, p, *node, required)) continue;
        auto label = node->metadata.labels.find(c.topology_key);
        const std::string& value =
            label == node->metadata.labels.end() ? kEmptyValue : label->second;
        auto count = s->topology_value_to_pod_counts[i].find(value);
        // Domains without a feasible node (and hostname constraints) are not counted here.
        if (count == s->topology_value_to_pod_counts[i].end()) continue;
        count->second += CountPodsMatchSelector(info->Pods(), c.selector, p.metadata.namespace_);
      }
    }
    state.Write(kPreScoreKey, std::move(s));
    return {};
  }

  // The matching pods in the node's domains, weighted per constraint; fewer is better (reversed
  // in NormalizeScore).
  Status Score(const CycleState& state, const PodInfo& pod, const NodeInfo& node_info,
               int64_t& score) const override {
    score = 0;
    const auto* s = state.Read<PreScoreState>(kPreScoreKey);
    if (s == nullptr) return Status::Error("PodTopologySpread: PreScore state missing");
    const api::Node* node = node_info.Node();
    if (node == nullptr || s->ignored_nodes.contains(node->metadata.name)) return {};
    double sum = 0;
    for (size_t i = 0; i < s->constraints.size(); ++i) {
      const Constraint& c = s->constraints[i];
      auto label = node->metadata.labels.find(c.topology_key);
      if (label == node->metadata.labels.end()) continue;
      int64_t count = 0;
      if (c.topology_key == kLabelHostname) {
        count = CountPodsMatchSelector(node_info.Pods(), c.selector, pod.Pod().metadata.namespace_);
      } else {
        const auto& counts = s->topology_value_to_pod_counts[i];
        auto it = counts.find(label->second);
        if (it != counts.end()) count = it->second;
      }
      // maxSkew - 1 waters down differences between domains.
      sum += static_cast<double>(count) * s->topology_normalizing_weight[i] +
             static_cast<double>(c.max_skew - 1);
    }
    score = std::llround(sum);
    return {};
  }

  const ScoreExtensions* GetScoreExtensions() const override { return this; }

  Status NormalizeScore(const CycleState& state, const PodInfo& /*pod*/,
                        std::span<NodeScore> scores) const override {
    const auto* s = state.Read<PreScoreState>(kPreScoreKey);
    if (s == nullptr) return {};
    int64_t min_score = INT64_MAX;
    int64_t max_score = 0;
    for (const auto& ns : scores) {
      if (s->ignored_nodes.contains(ns.name)) continue;
      min_score = std::min(min_score, ns.score);
      max_score = std::max(max_score, ns.score);
    }
    for (auto& ns : scores) {
      if (s->ignored_nodes.contains(ns.name)) {
        ns.score = 0;
      } else if (max_score == 0) {
        ns.score = kMaxNodeScore;
      } else {
        ns.score = kMaxNodeScore * (max_score + min_score - ns.score) / max_score;
      }
    }
    return {};
  }

 private:
  static inline const std::string kEmptyValue;

  // The pod's own constraints with `action`, or (when it has none) the default constraints with
  // `action` selecting by its owners (none when they select nothing).
  Status GetConstraints(const api::Pod& pod, std::string_view action,
                        std::vector<Constraint>& out) const {
    if (!pod.spec.topologySpreadConstraints.empty()) {
      for (const auto& c : pod.spec.topologySpreadConstraints) {
        if (c.whenUnsatisfiable != action) continue;
        Constraint tc;
        tc.max_skew = c.maxSkew;
        tc.topology_key = c.topologyKey;
        if (!c.labelSelector.has_value()) {
          tc.selector.nothing = true;
        } else {
          auto sel = api::Selector::FromLabelSelector(*c.labelSelector);
          if (!sel.IsOk()) {
            return Status::Error("obtaining pod's topology spread constraints: " +
                                 sel.status().Message());
          }
          tc.selector.parts.push_back(std::move(sel.value()));
        }
        // matchLabelKeys: the pod's values of those keys are ANDed into the selector.
        Labels match_labels;
        for (const auto& key : c.matchLabelKeys) {
          auto it = pod.metadata.labels.find(key);
          if (it != pod.metadata.labels.end()) match_labels.emplace(key, it->second);
        }
        if (!match_labels.empty() && !tc.selector.nothing) {
          tc.selector.parts.push_back(SelectorFromSet(match_labels));
        }
        if (c.minDomains.has_value()) tc.min_domains = *c.minDomains;
        if (!c.nodeAffinityPolicy.empty()) tc.honor_node_affinity = c.nodeAffinityPolicy == kHonor;
        if (!c.nodeTaintsPolicy.empty()) tc.honor_node_taints = c.nodeTaintsPolicy == kHonor;
        out.push_back(std::move(tc));
      }
      return {};
    }
    for (const auto& d : default_constraints_) {
      if (d.when_unsatisfiable != action) continue;
      Constraint tc;
      tc.max_skew = d.max_skew;
      tc.topology_key = d.topology_key;
      out.push_back(std::move(tc));
    }
    if (out.empty()) return {};
    SpreadSelector selector = DefaultSelector(pod, handle_->Listers());
    if (selector.Empty()) {
      out.clear();
      return {};
    }
    for (auto& c : out) c.selector = selector;
    return {};
  }

  // Preemption's simulation: `updated` was added to (delta 1) or removed from (-1) `node_info`.
  void UpdateWithPod(CycleState& state, const PodInfo& preemptor, const PodInfo& updated,
                     const NodeInfo& node_info, int64_t delta) const {
    auto* s = state.ReadMutable<PreFilterState>(kPreFilterKey);
    const api::Node* node = node_info.Node();
    if (s == nullptr || node == nullptr) return;
    const api::Pod& up = updated.Pod();
    const api::Pod& pp = preemptor.Pod();
    if (up.metadata.namespace_ != pp.metadata.namespace_) return;
    if (!NodeLabelsMatchSpreadConstraints(node->metadata.labels, s->constraints)) return;
    for (size_t i = 0; i < s->constraints.size(); ++i) {
      const Constraint& c = s->constraints[i];
      if (!c.selector.Matches(up.metadata.labels)) continue;
      if (!MatchNodeInclusionPolicies(c, pp, *node, s->required)) continue;
      const std::string& value = node->metadata.labels.at(c.topology_key);
      int64_t& num = s->tp_value_to_match_num[i][value];
      num += delta;
      s->critical_paths[i].Update(value, num);
    }
  }

  std::vector<DefaultSpreadConstraint> default_constraints_;  // System or configured defaults
  bool system_defaulted_ = false;                             // defaults are the System ones
  Handle* handle_;  // the snapshot and listers (outlives the plugin)
};

// The System defaulting's constraints (upstream's systemDefaultConstraints).
std::vector<DefaultSpreadConstraint> SystemDefaultConstraints() {
  return {{5, std::string(kLabelTopologyZone), std::string(kScheduleAnyway)},
          {3, std::string(kLabelHostname), std::string(kScheduleAnyway)}};
}

// Upstream's ValidatePodTopologySpreadArgs.
kubepp::Status ValidateArgs(const PodTopologySpreadArgs& args) {
  api::ErrorList errs;
  if (args.defaulting_type != "System" && args.defaulting_type != "List") {
    errs.push_back(api::NotSupported("defaultingType", args.defaulting_type, {"List", "System"}));
  } else if (args.defaulting_type == "System" && !args.default_constraints.empty()) {
    errs.push_back(api::Invalid("defaultingType", args.defaulting_type,
                                "when .defaultConstraints are not empty"));
  }
  for (size_t i = 0; i < args.default_constraints.size(); ++i) {
    const auto& c = args.default_constraints[i];
    const std::string path = "defaultConstraints[" + std::to_string(i) + "]";
    if (c.max_skew <= 0) {
      errs.push_back(api::InvalidInt(path + ".maxSkew", c.max_skew, "not in valid range (0, inf)"));
    }
    if (c.topology_key.empty()) {
      errs.push_back(api::Required(path + ".topologyKey", "can not be empty"));
    } else {
      for (auto& msg : api::IsQualifiedName(c.topology_key)) {
        errs.push_back(api::Invalid(path + ".topologyKey", c.topology_key, std::move(msg)));
      }
    }
    if (c.when_unsatisfiable.empty()) {
      errs.push_back(api::Required(path + ".whenUnsatisfiable", "can not be empty"));
    } else if (c.when_unsatisfiable != kDoNotSchedule && c.when_unsatisfiable != kScheduleAnyway) {
      errs.push_back(api::NotSupported(path + ".whenUnsatisfiable", c.when_unsatisfiable,
                                       {"DoNotSchedule", "ScheduleAnyway"}));
    }
    for (size_t j = 0; j < i; ++j) {
      const auto& other = args.default_constraints[j];
      if (other.topology_key == c.topology_key &&
          other.when_unsatisfiable == c.when_unsatisfiable) {
        errs.push_back(
            api::Duplicate(path, "{" + c.topology_key + ", " + c.when_unsatisfiable + "}"));
        break;
      }
    }
  }
  if (errs.empty()) return {};
  if (errs.size() == 1) return kubepp::Status::Invalid(errs[0].ToString());
  std::string msg = "[";
  for (size_t i = 0; i < errs.size(); ++i) {
    if (i > 0) msg += ", ";
    msg += errs[i].ToString();
  }
  return kubepp::Status::Invalid(msg + "]");
}

}  // namespace

Result<std::unique_ptr<Plugin>> NewPodTopologySpread(const PluginArgs& args, Handle& handle) {
  PodTopologySpreadArgs a;
  if (const auto* p = std::get_if<PodTopologySpreadArgs>(&args)) {
    a = *p;
  } else if (!std::holds_alternative<std::monostate>(args)) {
    return kubepp::Status::Invalid("want args to be of type PodTopologySpreadArgs");
  }
  if (kubepp::Status s = ValidateArgs(a); !s.IsOk()) return s;
  const bool system = a.defaulting_type == "System";
  auto defaults = system ? SystemDefaultConstraints() : a.default_constraints;
  return std::unique_ptr<Plugin>(
      std::make_unique<PodTopologySpread>(std::move(defaults), system, handle));
}

}  // namespace kubepp::scheduler::plugins
