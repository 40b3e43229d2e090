// NodeName, NodeUnschedulable, NodePorts and TaintToleration.
#include <string>

#include "scheduler/plugins/helpers.h"
#include "scheduler/plugins/plugins.h"

namespace kubepp::scheduler::plugins {
namespace {

class NodeName final : public FilterPlugin {
 public:
  std::string_view Name() const override { return kNodeName; }
  Status Filter(const CycleState& /*state*/, const PodInfo& pod,
                const NodeInfo& node) const override {
    const std::string& wanted = pod.Pod().spec.nodeName;
    if (wanted.empty() || wanted == node.NodeName()) return {};
    return Status::UnschedulableAndUnresolvable(std::string(kErrReasonNodeName));
  }
};

class NodeUnschedulable final : public FilterPlugin {
 public:
  std::string_view Name() const override { return kNodeUnschedulable; }
  Status Filter(const CycleState& /*state*/, const PodInfo& pod,
                const NodeInfo& node) const override {
    const api::Node* n = node.Node();
    if (n == nullptr) return Status::UnschedulableAndUnresolvable("node not found");
    if (!n->spec.unschedulable.value_or(false)) return {};
    static const api::Taint kTaint{.effect = "NoSchedule",
                                   .key = std::string(kTaintNodeUnschedulable)};
    if (TolerationsTolerateTaint(pod.Pod().spec.tolerations, kTaint)) return {};
    return Status::UnschedulableAndUnresolvable(std::string(kErrReasonUnschedulable));
  }
};

class NodePorts final : public PreFilterPlugin, public FilterPlugin {
 public:
  std::string_view Name() const override { return kNodePorts; }
  // The pod's host ports are precomputed in PodInfo; without any, Filter is skipped.
  Status PreFilter(CycleState& /*state*/, const PodInfo& pod,
                   std::span<const NodeInfo* const> /*nodes*/,
                   PreFilterResult& /*result*/) override {
    return pod.host_ports.empty() ? Status::Skip() : Status{};
  }
  Status Filter(const CycleState& /*state*/, const PodInfo& pod,
                const NodeInfo& node) const override {
    for (const auto& port : pod.host_ports) {
      if (node.UsedPorts().CheckConflict(port)) {
        return Status::Unschedulable(std::string(kErrReasonNodePorts));
      }
    }
    return {};
  }
};

bool NoScheduleOrNoExecute(const api::Taint& t) {
  return t.effect == "NoSchedule" || t.effect == "NoExecute";
}

// The pod's tolerations that can tolerate PreferNoSchedule taints.
struct TaintPreScoreState final : StateData {
  std::vector<api::Toleration> tolerations;  // effect "" or PreferNoSchedule
  std::unique_ptr<StateData> Clone() const override {
    return std::make_unique<TaintPreScoreState>(*this);
  }
};

constexpr std::string_view kTaintPreScoreKey = "PreScoreTaintToleration";

class TaintToleration final : public FilterPlugin,
                              public PreScorePlugin,
                              public ScorePlugin,
                              public ScoreExtensions {
 public:
  std::string_view Name() const override { return kTaintToleration; }

  Status Filter(const CycleState& /*state*/, const PodInfo& pod,
                const NodeInfo& node) const override {
    const api::Node* n = node.Node();
    if (n == nullptr) return Status::UnschedulableAndUnresolvable("node not found");
    const api::Taint* taint = FindMatchingUntoleratedTaint(
        n->spec.taints, pod.Pod().spec.tolerations, &NoScheduleOrNoExecute);
    if (taint == nullptr) return {};
    return Status::UnschedulableAndUnresolvable("node(s) had untolerated taint {" + taint->key +
                                                ": " + taint->value + "}");
  }

  Status PreScore(CycleState& state, const PodInfo& pod,
                  std::span<const NodeInfo* const> /*nodes*/) override {
    auto s = std::make_unique<TaintPreScoreState>();
    for (const auto& t : pod.Pod().spec.tolerations) {
      if (t.effect.empty() || t.effect == "PreferNoSchedule") s->tolerations.push_back(t);
    }
    state.Write(kTaintPreScoreKey, std::move(s));
    return {};
  }

  // The number of PreferNoSchedule taints the pod does not tolerate.
  Status Score(const CycleState& state, const PodInfo& /*pod*/, const NodeInfo& node,
               int64_t& score) const override {
    const auto* s = state.Read<TaintPreScoreState>(kTaintPreScoreKey);
    if (s == nullptr) return Status::Error("TaintToleration: PreScore state missing");
    score = 0;
    if (node.Node() == nullptr) return {};
    for (const auto& taint : node.Node()->spec.taints) {
      if (taint.effect != "PreferNoSchedule") continue;
      if (!TolerationsTolerateTaint(s->tolerations, taint)) ++score;
    }
    return {};
  }
  const ScoreExtensions* GetScoreExtensions() const override { return this; }
  Status NormalizeScore(const CycleState& /*state*/, const PodInfo& /*pod*/,
                        std::span<NodeScore> scores) const override {
    DefaultNormalizeScore(kMaxNodeScore, true, scores);
    return {};
  }
};

}  // namespace

Result<std::unique_ptr<Plugin>> NewNodeName(const PluginArgs& /*args*/, Handle& /*handle*/) {
  return std::unique_ptr<Plugin>(std::make_unique<NodeName>());
}
Result<std::unique_ptr<Plugin>> NewNodeUnschedulable(const PluginArgs& /*args*/,
                                                     Handle& /*handle*/) {
  return std::unique_ptr<Plugin>(std::make_unique<NodeUnschedulable>());
}
Result<std::unique_ptr<Plugin>> NewNodePorts(const PluginArgs& /*args*/, Handle& /*handle*/) {
  return std::unique_ptr<Plugin>(std::make_unique<NodePorts>());
}
Result<std::unique_ptr<Plugin>> NewTaintToleration(const PluginArgs& /*args*/, Handle& /*handle*/) {
  return std::unique_ptr<Plugin>(std::make_unique<TaintToleration>());
}

}  // namespace kubepp::scheduler::plugins
