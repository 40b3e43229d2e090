// InterPodAffinity: required pod affinity / anti-affinity of the incoming pod, required
// anti-affinity of existing pods (PreFilter/Filter), and preferred terms of both plus existing
// pods' required affinity weighted by hardPodAffinityWeight (PreScore/Score).
#include <algorithm>
#include <climits>
#include <map>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "scheduler/plugins/plugins.h"

namespace kubepp::scheduler::plugins {
namespace {

constexpr std::string_view kPreFilterKey = "PreFilterInterPodAffinity";
constexpr std::string_view kPreScoreKey = "PreScoreInterPodAffinity";

using Labels = std::map<std::string, std::string>;

// Upstream's AffinityTerm.Matches(pod, nsLabels): `pod` is in one of the term's namespaces, or
// its namespace's labels (`ns_labels`) match the namespaceSelector; and its labels match.
bool TermMatches(const AffinityTerm& term, const api::Pod& pod, const Labels& ns_labels) {
  const bool ns_ok =
      term.namespaces.contains(pod.metadata.namespace_) ||
      (term.namespace_selector.has_value() && term.namespace_selector->Matches(ns_labels));
  return ns_ok && !term.selector_matches_nothing && term.selector.Matches(pod.metadata.labels);
}

const Labels& NoLabels() {
  static const Labels kNone;
  return kNone;
}

// The labels of namespace `ns` (none when unknown or without listers).
Labels NamespaceLabels(const ClusterLister* listers, std::string_view ns) {
  if (listers == nullptr) return {};
  auto n = listers->GetNamespace(ns);
  return n == nullptr ? Labels{} : n->metadata.labels;
}

// The incoming pod's terms get a non-empty namespaceSelector resolved into namespaces, so that
// matching them needs no namespace labels (upstream's mergeAffinityTermNamespacesIfNotEmpty).
AffinityTerm MergeNamespaces(AffinityTerm term, const ClusterLister* listers) {
  if (!term.namespace_selector.has_value() || term.namespace_selector->Empty()) return term;
  if (listers != nullptr) {
    for (const auto& ns : listers->Namespaces()) {
      if (term.namespace_selector->Matches(ns->metadata.labels)) {
        term.namespaces.insert(ns->metadata.name);
      }
    }
  }
  term.namespace_selector.reset();  // labels.Nothing()
  return term;
}

// Counts per topology pair (key -> value -> count); entries that drop to zero are erased.
class TopologyCounts {
 public:
  void Update(const api::Node& node, const std::string& key, int64_t delta) {
    auto label = node.metadata.labels.find(key);
    if (label == node.metadata.labels.end()) return;
    auto& values = counts_[key];
    int64_t& c = values[label->second];
    c += delta;
    if (c == 0) {
      values.erase(label->second);
      if (values.empty()) counts_.erase(key);
    }
  }
  int64_t Get(const std::string& key, const std::string& value) const {
    auto k = counts_.find(key);
    if (k == counts_.end()) return 0;
    auto v = k->second.find(value);
    return v == k->second.end() ? 0 : v->second;
  }
  bool Empty() const { return counts_.empty(); }
  const auto& Map() const { return counts_; }

 private:
  std::unordered_map<std::string, std::unordered_map<std::string, int64_t>> counts_;
};

// `pod` matches every term (false without terms).
bool PodMatchesAllAffinityTerms(const std::vector<AffinityTerm>& terms, const api::Pod& pod) {
  if (terms.empty()) return false;
  return std::all_of(terms.begin(), terms.end(),
                     [&](const AffinityTerm& t) { return TermMatches(t, pod, NoLabels()); });
}

struct PreFilterState final : StateData {
  // Existing pods' required anti-affinity terms the incoming pod matches, per topology pair.
  TopologyCounts existing_anti_affinity_counts;
  // Existing pods matching all of the incoming pod's required affinity terms, per term's pair.
  TopologyCounts affinity_counts;
  // Existing pods matching each of the incoming pod's required anti-affinity terms.
  TopologyCounts anti_affinity_counts;
  std::vector<AffinityTerm> affinity_terms;       // the pod's required affinity, ns merged
  std::vector<AffinityTerm> anti_affinity_terms;  // the pod's required anti-affinity, ns merged
  bool matches_own_affinity = false;              // the pod matches all its own affinity terms
  Labels namespace_labels;                        // labels of the pod's namespace

  // Accounts for `p` (on `node`) appearing (+1) or going away (-1).
  void UpdateWithPod(const PodInfo& p, const api::Pod& incoming, const api::Node& node,
                     int64_t delta) {
    for (const auto& t : p.required_anti_affinity_terms) {
      if (TermMatches(t, incoming, namespace_labels)) {
        existing_anti_affinity_counts.Update(node, t.topology_key, delta);
      }
    }
    if (PodMatchesAllAffinityTerms(affinity_terms, p.Pod())) {
      for (const auto& t : affinity_terms) affinity_counts.Update(node, t.topology_key, delta);
    }
    for (const auto& t : anti_affinity_terms) {
      if (TermMatches(t, p.Pod(), NoLabels())) {
        anti_affinity_counts.Update(node, t.topology_key, delta);
      }
    }
  }

  std::unique_ptr<StateData> Clone() const override {
    return std::make_unique<PreFilterState>(*this);
  }
};

struct PreScoreState final : StateData {
  // topologyKey -> value -> summed weights (positive attracts, negative repels).
  std::unordered_map<std::string, std::unordered_map<std::string, int64_t>> topology_score;
  std::unique_ptr<StateData> Clone() const override {
    return std::make_unique<PreScoreState>(*this);
  }
};

class InterPodAffinity final : public PreFilterPlugin,
                               public PreFilterExtensions,
                               public FilterPlugin,
                               public PreScorePlugin,
                               public ScorePlugin,
                               public ScoreExtensions {
 public:
  InterPodAffinity(InterPodAffinityArgs args, Handle& handle) : args_(args), handle_(&handle) {}

  std::string_view Name() const override { return kInterPodAffinity; }

  Status PreFilter(CycleState& state, const PodInfo& pod, std::span<const NodeInfo* const> nodes,
                   PreFilterResult& /*result*/) override {
    if (!pod.parse_error.empty()) {
      return Status::UnschedulableAndUnresolvable("parsing pod: " + pod.parse_error);
    }
    const api::Pod& p = pod.Pod();
    const ClusterLister* listers = handle_->Listers();
    auto s = std::make_unique<PreFilterState>();
    for (const auto& t : pod.required_affinity_terms) {
      s->affinity_terms.push_back(MergeNamespaces(t, listers));
    }
    for (const auto& t : pod.required_anti_affinity_terms) {
      s->anti_affinity_terms.push_back(MergeNamespaces(t, listers));
    }
    s->matches_own_affinity = PodMatchesAllAffinityTerms(s->affinity_terms, p);
    s->namespace_labels = NamespaceLabels(listers, p.metadata.namespace_);

    const bool has_own_terms = !s->affinity_terms.empty() || !s->anti_affinity_terms.empty();
    // Without terms of its own the pod only meets existing pods' anti-affinity: walk just the
    // nodes holding such pods (upstream's HavePodsWithRequiredAntiAffinityList), not all nodes.
    std::span<const NodeInfo* const> walk = nodes;
    if (!has_own_terms) walk = handle_->SnapshotSharedLister().HavePodsWithRequiredAntiAffinity();
    for (const NodeInfo* info : walk) {
      const api::Node* node = info->Node();
      if (node == nullptr) continue;
      // Existing pods' anti-affinity (only nodes holding such pods contribute).
      for (const auto& existing : info->PodsWithRequiredAntiAffinity()) {
        for (const auto& t : existing->required_anti_affinity_terms) {
          if (TermMatches(t, p, s->namespace_labels)) {
            s->existing_anti_affinity_counts.Update(*node, t.topology_key, 1);
          }
        }
      }
      if (!has_own_terms) continue;
      for (const auto& existing : info->Pods()) {
        if (PodMatchesAllAffinityTerms(s->affinity_terms, existing->Pod())) {
          for (const auto& t : s->affinity_terms) {
            s->affinity_counts.Update(*node, t.topology_key, 1);
          }
        }
        for (const auto& t : s->anti_affinity_terms) {
          if (TermMatches(t, existing->Pod(), NoLabels())) {
            s->anti_affinity_counts.Update(*node, t.topology_key, 1);
          }
        }
      }
    }
    if (s->existing_anti_affinity_counts.Empty() && !has_own_terms) return Status::Skip();
    state.Write(kPreFilterKey, std::move(s));
    return {};
  }

  const PreFilterExtensions* GetPreFilterExtensions() const override { return this; }

  Status AddPod(CycleState& state, const PodInfo& pod_to_schedule, const PodInfo& pod_to_add,
                const NodeInfo& node) const override {
    auto* s = state.ReadMutable<PreFilterState>(kPreFilterKey);
    if (s != nullptr && node.Node() != nullptr) {
      s->UpdateWithPod(pod_to_add, pod_to_schedule.Pod(), *node.Node(), 1);
    }
    return {};
  }
  Status RemovePod(CycleState& state, const PodInfo& pod_to_schedule, const PodInfo& pod_to_remove,
                   const NodeInfo& node) const override {
    auto* s = state.ReadMutable<PreFilterState>(kPreFilterKey);
    if (s != nullptr && node.Node() != nullptr) {
      s->UpdateWithPod(pod_to_remove, pod_to_schedule.Pod(), *node.Node(), -1);
    }
    return {};
  }

  Status Filter(const CycleState& state, const PodInfo& /*pod*/,
                const NodeInfo& node_info) const override {
    const api::Node* node = node_info.Node();
    if (node == nullptr) return Status::UnschedulableAndUnresolvable("node not found");
    const auto* s = state.Read<PreFilterState>(kPreFilterKey);
    if (s == nullptr) return Status::Error("InterPodAffinity: PreFilter state missing");
    if (!SatisfyPodAffinity(*s, *node)) {
      return Status::UnschedulableAndUnresolvable(std::string(kErrReasonAffinityRulesNotMatch));
    }
    if (!SatisfyPodAntiAffinity(*s, *node)) {
      return Status::Unschedulable(std::string(kErrReasonAntiAffinityRulesNotMatch));
    }
    if (!SatisfyExistingPodsAntiAffinity(*s, *node)) {
      return Status::Unschedulable(std::string(kErrReasonExistingAntiAffinityRulesNotMatch));
    }
    return {};
  }

  Status PreScore(CycleState& state, const PodInfo& pod,
                  std::span<const NodeInfo* const> /*nodes*/) override {
    const bool has_constraints =
        !pod.preferred_affinity_terms.empty() || !pod.preferred_anti_affinity_terms.empty();
    // Optionally ignore existing pods' preferences when the pod has none of its own.
    if (args_.ignore_preferred_terms_of_existing_pods && !has_constraints) return Status::Skip();
    if (!pod.parse_error.empty()) return Status::Error("failed to parse pod: " + pod.parse_error);

    const api::Pod& p = pod.Pod();
    const ClusterLister* listers = handle_->Listers();
    std::vector<WeightedAffinityTerm> affinity;
    std::vector<WeightedAffinityTerm> anti_affinity;
    for (const auto& t : pod.preferred_affinity_terms) {
      affinity.push_back({MergeNamespaces(t.term, listers), t.weight});
    }
    for (const auto& t : pod.preferred_anti_affinity_terms) {
      anti_affinity.push_back({MergeNamespaces(t.term, listers), t.weight});
    }
    const Labels ns_labels = NamespaceLabels(listers, p.metadata.namespace_);

    auto s = std::make_unique<PreScoreState>();
    auto& scores = s->topology_score;
    auto process = [&scores](const AffinityTerm& term, int64_t weight, const api::Pod& candidate,
                             const Labels& candidate_ns_labels, const api::Node& node) {
      if (!TermMatches(term, candidate, candidate_ns_labels)) return;
      auto label = node.metadata.labels.find(term.topology_key);
      if (label == node.metadata.labels.end()) return;
      scores[term.topology_key][label->second] += weight;
    };
    auto process_node = [&](const NodeInfo& info, bool all_pods) {
      const api::Node* node = info.Node();
      if (node == nullptr || node->metadata.labels.empty()) return;
      for (const auto& existing : all_pods ? info.Pods() : info.PodsWithAffinity()) {
        const api::Pod& e = existing->Pod();
        // The incoming pod's preferred terms against the existing pod.
        for (const auto& t : affinity) process(t.term, t.weight, e, NoLabels(), *node);
        for (const auto& t : anti_affinity) process(t.term, -t.weight, e, NoLabels(), *node);
        // The existing pod's terms against the incoming pod.
        if (args_.hard_pod_affinity_weight > 0) {
          for (const auto& t : existing->required_affinity_terms) {
            process(t, args_.hard_pod_affinity_weight, p, ns_labels, *node);
          }
        }
        for (const auto& t : existing->preferred_affinity_terms) {
          process(t.term, t.weight, p, ns_labels, *node);
        }
        for (const auto& t : existing->preferred_anti_affinity_terms) {
          process(t.term, -t.weight, p, ns_labels, *node);
        }
      }
    };
    // Without preferred terms of its own only nodes with pods with affinity matter.
    const Snapshot& snapshot = handle_->SnapshotSharedLister();
    if (has_constraints) {
      for (const auto& info : snapshot.NodeInfos()) process_node(*info, true);
    } else {
      for (const NodeInfo* info : snapshot.HavePodsWithAffinity()) process_node(*info, false);
    }
    if (scores.empty()) return Status::Skip();
    state.Write(kPreScoreKey, std::move(s));
    return {};
  }

  // The summed weights of the node's topology pairs.
  Status Score(const CycleState& state, const PodInfo& /*pod*/, const NodeInfo& node_info,
               int64_t& score) const override {
    score = 0;
    const auto* s = state.Read<PreScoreState>(kPreScoreKey);
    if (s == nullptr) return Status::Error("InterPodAffinity: PreScore state missing");
    const api::Node* node = node_info.Node();
    if (node == nullptr) return {};
    for (const auto& [key, values] : s->topology_score) {
      auto label = node->metadata.labels.find(key);
      if (label == node->metadata.labels.end()) continue;
      auto v = values.find(label->second);
      if (v != values.end()) score += v->second;
    }
    return {};
  }

  const ScoreExtensions* GetScoreExtensions() const override { return this; }

  // Min..max of the raw scores mapped linearly onto 0..100.
  Status NormalizeScore(const CycleState& state, const PodInfo& /*pod*/,
                        std::span<NodeScore> scores) const override {
    const auto* s = state.Read<PreScoreState>(kPreScoreKey);
    if (s == nullptr || s->topology_score.empty()) return {};
    int64_t min_count = INT64_MAX;
    int64_t max_count = INT64_MIN;
    for (const auto& ns : scores) {
      max_count = std::max(max_count, ns.score);
      min_count = std::min(min_count, ns.score);
    }
    const int64_t diff = max_count - min_count;
    for (auto& ns : scores) {
      double f = 0;
      if (diff > 0) {
        f = static_cast<double>(kMaxNodeScore) *
            (static_cast<double>(ns.score - min_count) / static_cast<double>(diff));
      }
      ns.score = static_cast<int64_t>(f);
    }
    return {};
  }

 private:
  // Every affinity term's topology value exists on the node and holds a matching pod, or no pod
  // matches anywhere and the pod matches its own terms (the first pod of a group).
  static bool SatisfyPodAffinity(const PreFilterState& s, const api::Node& node) {
    bool pods_exist = true;
    for (const auto& t : s.affinity_terms) {
      auto label = node.metadata.labels.find(t.topology_key);
      if (label == node.metadata.labels.end()) return false;
      if (s.affinity_counts.Get(t.topology_key, label->second) <= 0) pods_exist = false;
    }
    if (pods_exist) return true;
    return s.affinity_counts.Empty() && s.matches_own_affinity;
  }

  static bool SatisfyPodAntiAffinity(const PreFilterState& s, const api::Node& node) {
    if (s.anti_affinity_counts.Empty()) return true;
    for (const auto& t : s.anti_affinity_terms) {
      auto label = node.metadata.labels.find(t.topology_key);
      if (label == node.metadata.labels.end()) continue;
      if (s.anti_affinity_counts.Get(t.topology_key, label->second) > 0) return false;
    }
    return true;
  }

  static bool SatisfyExistingPodsAntiAffinity(const PreFilterState& s, const api::Node& node) {
    if (s.existing_anti_affinity_counts.Empty()) return true;
    for (const auto& [key, value] : node.metadata.labels) {
      if (s.existing_anti_affinity_counts.Get(key, value) > 0) return false;
    }
    return true;
  }

  InterPodAffinityArgs args_;  // hardPodAffinityWeight, ignorePreferredTermsOfExistingPods
  Handle* handle_;             // the snapshot and listers (outlives the plugin)
};

}  // namespace

Result<std::unique_ptr<Plugin>> NewInterPodAffinity(const PluginArgs& args, Handle& handle) {
  InterPodAffinityArgs a;
  if (const auto* p = std::get_if<InterPodAffinityArgs>(&args)) {
    a = *p;
  } else if (!std::holds_alternative<std::monostate>(args)) {
    return kubepp::Status::Invalid("want args to be of type InterPodAffinityArgs");
  }
  // Upstream's ValidateInterPodAffinityArgs.
  if (a.hard_pod_affinity_weight < 0 || a.hard_pod_affinity_weight > 100) {
    return kubepp::Status::Invalid(
        "hardPodAffinityWeight: Invalid value: " + std::to_string(a.hard_pod_affinity_weight) +
        ": not in valid range [0, 100]");
  }
  return std::unique_ptr<Plugin>(std::make_unique<InterPodAffinity>(a, handle));
}

}  // namespace kubepp::scheduler::plugins
