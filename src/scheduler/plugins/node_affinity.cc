// NodeAffinity: spec.nodeSelector and required/preferred node affinity.
#include <algorithm>
#include <set>
#include <string>

#include "scheduler/plugins/helpers.h"
#include "scheduler/plugins/plugins.h"

namespace kubepp::scheduler::plugins {
namespace {

constexpr std::string_view kPreFilterKey = "PreFilterNodeAffinity";
constexpr std::string_view kPreScoreKey = "PreScoreNodeAffinity";

struct PreFilterState final : StateData {
  explicit PreFilterState(const api::Pod& pod) : required(pod) {}
  RequiredNodeAffinity required;  // nodeSelector + required terms, compiled
  std::unique_ptr<StateData> Clone() const override {
    return std::make_unique<PreFilterState>(*this);
  }
};

struct PreScoreState final : StateData {
  std::vector<std::pair<CompiledNodeSelectorTerm, int32_t>> preferred;  // term, weight
  std::unique_ptr<StateData> Clone() const override {
    return std::make_unique<PreScoreState>(*this);
  }
};

const api::NodeAffinity* NodeAffinityOf(const api::Pod& pod) {
  if (!pod.spec.affinity.has_value() || !pod.spec.affinity->nodeAffinity.has_value()) {
    return nullptr;
  }
  return &*pod.spec.affinity->nodeAffinity;
}

class NodeAffinity final : public PreFilterPlugin,
                           public FilterPlugin,
                           public PreScorePlugin,
                           public ScorePlugin,
                           public ScoreExtensions {
 public:
  std::string_view Name() const override { return kNodeAffinity; }

  Status PreFilter(CycleState& state, const PodInfo& pod,
                   std::span<const NodeInfo* const> /*nodes*/, PreFilterResult& result) override {
    const api::Pod& p = pod.Pod();
    const api::NodeAffinity* affinity = NodeAffinityOf(p);
    const bool has_required =
        affinity != nullptr && affinity->requiredDuringSchedulingIgnoredDuringExecution.has_value();
    if (!has_required && p.spec.nodeSelector.empty()) return Status::Skip();
    state.Write(kPreFilterKey, std::make_unique<PreFilterState>(p));
    if (!has_required) return {};

    // Terms naming nodes (matchFields metadata.name In ...) restrict the candidates.
    std::optional<std::set<std::string>> node_names;
    for (const auto& term :
         affinity->requiredDuringSchedulingIgnoredDuringExecution->nodeSelectorTerms) {
      std::optional<std::set<std::string>> term_names;
      for (const auto& r : term.matchFields) {
        if (r.key != "metadata.name" || r.operator_ != "In") continue;
        std::set<std::string> s(r.values.begin(), r.values.end());
        if (!term_names.has_value()) {
          term_names = std::move(s);
        } else {
          std::set<std::string> both;
          std::set_intersection(term_names->begin(), term_names->end(), s.begin(), s.end(),
                                std::inserter(both, both.end()));
          term_names = std::move(both);
        }
      }
      if (!term_names.has_value()) return {};  // a term without names: any node may match
      if (!node_names.has_value()) node_names.emplace();
      node_names->insert(term_names->begin(), term_names->end());
    }
    if (node_names.has_value() && node_names->empty()) {
      return Status::UnschedulableAndUnresolvable(std::string(kErrReasonAffinityConflict));
    }
    result.node_names = std::move(node_names);
    return {};
  }

  Status Filter(const CycleState& state, const PodInfo& /*pod*/,
                const NodeInfo& node) const override {
    if (node.Node() == nullptr) return Status::UnschedulableAndUnresolvable("node not found");
    const auto* s = state.Read<PreFilterState>(kPreFilterKey);
    if (s == nullptr) return Status::Error("NodeAffinity: PreFilter state missing");
    if (s->required.Matches(*node.Node())) return {};
    return Status::UnschedulableAndUnresolvable(std::string(kErrReasonNodeAffinity));
  }

  Status PreScore(CycleState& state, const PodInfo& pod,
                  std::span<const NodeInfo* const> /*nodes*/) override {
    const api::NodeAffinity* affinity = NodeAffinityOf(pod.Pod());
    if (affinity == nullptr || affinity->preferredDuringSchedulingIgnoredDuringExecution.empty()) {
      return Status::Skip();
    }
    auto s = std::make_unique<PreScoreState>();
    for (const auto& t : affinity->preferredDuringSchedulingIgnoredDuringExecution) {
      if (t.weight == 0) continue;
      CompiledNodeSelectorTerm term(t.preference);
      if (term.Valid()) s->preferred.emplace_back(std::move(term), t.weight);
    }
    state.Write(kPreScoreKey, std::move(s));
    return {};
  }

  // The sum of the weights of the preferred terms the node matches.
  Status Score(const CycleState& state, const PodInfo& /*pod*/, const NodeInfo& node,
               int64_t& score) const override {
    score = 0;
    const auto* s = state.Read<PreScoreState>(kPreScoreKey);
    if (s == nullptr) return Status::Error("NodeAffinity: PreScore state missing");
    if (node.Node() == nullptr) return {};
    for (const auto& [term, weight] : s->preferred) {
      if (term.Matches(*node.Node())) score += weight;
    }
    return {};
  }
  const ScoreExtensions* GetScoreExtensions() const override { return this; }
  Status NormalizeScore(const CycleState& /*state*/, const PodInfo& /*pod*/,
                        std::span<NodeScore> scores) const override {
    DefaultNormalizeScore(kMaxNodeScore, false, scores);
    return {};
  }
};

}  // namespace

Result<std::unique_ptr<Plugin>> NewNodeAffinity(const PluginArgs& /*args*/, Handle& /*handle*/) {
  return std::unique_ptr<Plugin>(std::make_unique<NodeAffinity>());
}

}  // namespace kubepp::scheduler::plugins
