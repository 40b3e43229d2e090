#include "scheduler/framework/framework.h"

#include <algorithm>
#include <utility>

namespace kubepp::scheduler {
namespace {

constexpr std::chrono::milliseconds kMaxPermitTimeout = std::chrono::minutes(15);

const PluginRef* FindRef(const std::vector<PluginRef>& refs, std::string_view name) {
  for (const auto& r : refs) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

bool Disabled(const PluginSet& set, std::string_view name) {
  return FindRef(set.disabled, "*") != nullptr || FindRef(set.disabled, name) != nullptr;
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out = "[";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += " ";
    out += names[i];
  }
  return out + "]";
}

}  // namespace

PreFilterResult PreFilterResult::Merge(const PreFilterResult& other) const {
  if (AllNodes()) return other;
  if (other.AllNodes()) return *this;
  PreFilterResult out;
  out.node_names.emplace();
  std::set_intersection(node_names->begin(), node_names->end(), other.node_names->begin(),
                        other.node_names->end(),
                        std::inserter(*out.node_names, out.node_names->end()));
  return out;
}

const Status* NodeToStatus::Get(const std::string& node) const {
  auto it = statuses_.find(node);
  return it == statuses_.end() ? nullptr : &it->second;
}

void DefaultNormalizeScore(int64_t max_priority, bool reverse, std::span<NodeScore> scores) {
  int64_t max_count = 0;
  for (const auto& s : scores) max_count = std::max(max_count, s.score);
  if (max_count == 0) {
    if (reverse) {
      for (auto& s : scores) s.score = max_priority;
    }
    return;
  }
  for (auto& s : scores) {
    int64_t score = max_priority * s.score / max_count;
    s.score = reverse ? max_priority - score : score;
  }
}

Result<std::unique_ptr<Framework>> Framework::New(const Registry& registry,
                                                  const KubeSchedulerProfile& profile,
                                                  const ClusterLister* listers,
                                                  const PodNominator* nominator,
                                                  PreemptionActions* preemption) {
  std::unique_ptr<Framework> fw(new Framework());
  fw->listers_ = listers;
  fw->nominator_ = nominator;
  fw->preemption_ = preemption;
  fw->profile_name_ = profile.scheduler_name;
  if (profile.percentage_of_nodes_to_score.has_value() &&
      *profile.percentage_of_nodes_to_score != 0) {
    fw->percentage_ = profile.percentage_of_nodes_to_score;
  }
  const Plugins& p = profile.plugins;

  // The multiPoint plugins, minus the ones disabled there.
  std::vector<PluginRef> multi;
  for (const auto& r : p.multi_point.enabled) {
    if (FindRef(p.multi_point.disabled, r.name) == nullptr) multi.push_back(r);
  }

  // One instance per plugin name.
  std::vector<std::pair<std::string, Plugin*>> instances;
  auto instance = [&](const std::string& name) -> Result<Plugin*> {
    for (const auto& [n, pl] : instances) {
      if (n == name) return pl;
    }
    const PluginFactory* factory = registry.Find(name);
    if (factory == nullptr) {
      return kubepp::Status::Invalid("plugin \"" + name + "\" does not exist");
    }
    PluginArgs args;
    for (const auto& c : profile.plugin_config) {
      if (c.name == name) args = c.args;
    }
    auto made = (*factory)(args, *fw);
    if (!made.IsOk()) {
      return made.status().WithPrefix("initializing plugin \"" + name + "\"");
    }
    Plugin* raw = made.value().get();
    fw->plugins_.push_back(std::move(made.value()));
    instances.emplace_back(name, raw);
    return raw;
  };

  // Fills one extension point: its explicit plugins, then the multiPoint ones that implement it.
  auto fill = [&]<typename T>(const PluginSet& set, std::string_view point,
                              std::vector<Entry<T>>& out) -> kubepp::Status {
    for (const auto& r : set.enabled) {
      auto pl = instance(r.name);
      if (!pl.IsOk()) return pl.status();
      T* typed = dynamic_cast<T*>(pl.value());
      if (typed == nullptr) {
        return kubepp::Status::Invalid("plugin \"" + r.name + "\" does not extend " +
                                       std::string(point) + " plugin");
      }
      out.push_back({typed, r.weight > 0 ? r.weight : 1});
    }
    for (const auto& r : multi) {
      if (Disabled(set, r.name) || FindRef(set.enabled, r.name) != nullptr) continue;
      auto pl = instance(r.name);
      if (!pl.IsOk()) return pl.status();
      T* typed = dynamic_cast<T*>(pl.value());
      if (typed == nullptr) continue;
      out.push_back({typed, r.weight > 0 ? r.weight : 1});
    }
    return {};
  };

  kubepp::Status s;
  if (s = fill(p.pre_filter, "PreFilter", fw->pre_filter_); !s.IsOk()) return s;
  if (s = fill(p.filter, "Filter", fw->filter_); !s.IsOk()) return s;
  if (s = fill(p.post_filter, "PostFilter", fw->post_filter_); !s.IsOk()) return s;
  if (s = fill(p.pre_score, "PreScore", fw->pre_score_); !s.IsOk()) return s;
  if (s = fill(p.score, "Score", fw->score_); !s.IsOk()) return s;
  if (s = fill(p.reserve, "Reserve", fw->reserve_); !s.IsOk()) return s;
  if (s = fill(p.permit, "Permit", fw->permit_); !s.IsOk()) return s;
  if (s = fill(p.pre_bind, "PreBind", fw->pre_bind_); !s.IsOk()) return s;
  if (s = fill(p.bind, "Bind", fw->bind_); !s.IsOk()) return s;
  if (s = fill(p.post_bind, "PostBind", fw->post_bind_); !s.IsOk()) return s;
  if (fw->filter_.size() > 64 || fw->score_.size() > 64) {
    return kubepp::Status::Invalid("more than 64 Filter or Score plugins in one profile");
  }

  for (const auto& e : fw->pre_filter_) {
    int index = -1;
    for (size_t i = 0; i < fw->filter_.size(); ++i) {
      if (fw->filter_[i].plugin->Name() == e.plugin->Name()) index = static_cast<int>(i);
    }
    fw->pre_filter_to_filter_.push_back(index);
  }
  for (const auto& e : fw->pre_score_) {
    int index = -1;
    for (size_t i = 0; i < fw->score_.size(); ++i) {
      if (fw->score_[i].plugin->Name() == e.plugin->Name()) index = static_cast<int>(i);
    }
    fw->pre_score_to_score_.push_back(index);
  }
  return fw;
}

const Snapshot& Framework::SnapshotSharedLister() const {
  static const Snapshot kEmpty;
  return snapshot_ != nullptr ? *snapshot_ : kEmpty;
}

std::vector<std::pair<std::string, std::vector<std::string>>> Framework::ListPlugins() const {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  auto add = [&out](std::string point, const auto& entries, bool weights) {
    std::vector<std::string> names;
    for (const auto& e : entries) {
      std::string name(e.plugin->Name());
      if (weights) name += ":" + std::to_string(e.weight);
      names.push_back(std::move(name));
    }
    if (!names.empty()) out.emplace_back(std::move(point), std::move(names));
  };
  add("PreFilter", pre_filter_, false);
  add("Filter", filter_, false);
  add("PostFilter", post_filter_, false);
  add("PreScore", pre_score_, false);
  add("Score", score_, true);
  add("Reserve", reserve_, false);
  add("Permit", permit_, false);
  add("PreBind", pre_bind_, false);
  add("Bind", bind_, false);
  add("PostBind", post_bind_, false);
  return out;
}

Plugin* Framework::GetPlugin(std::string_view name) const {
  for (const auto& pl : plugins_) {
    if (pl->Name() == name) return pl.get();
  }
  return nullptr;
}

Status Framework::RunPreFilterPlugins(CycleState& state, const PodInfo& pod,
                                      std::span<const NodeInfo* const> nodes,
                                      PreFilterResult& result,
                                      std::set<std::string>* unschedulable_plugins) {
  result = PreFilterResult{};
  std::vector<std::string> plugins_with_nodes;
  for (size_t i = 0; i < pre_filter_.size(); ++i) {
    PreFilterPlugin* pl = pre_filter_[i].plugin;
    PreFilterResult r;
    Status s = pl->PreFilter(state, pod, nodes, r);
    if (s.IsSkip()) {
      if (pre_filter_to_filter_[i] >= 0) {
        state.skip_filter_plugins |= uint64_t{1} << pre_filter_to_filter_[i];
      }
      continue;
    }
    if (!s.IsSuccess()) {
      s.SetPlugin(pl->Name());
      if (s.IsRejected()) {
        if (unschedulable_plugins != nullptr) unschedulable_plugins->emplace(pl->Name());
        return s;
      }
      return Status::Error("running PreFilter plugin \"" + std::string(pl->Name()) +
                           "\": " + s.Message())
          .WithPlugin(pl->Name());
    }
    if (!r.AllNodes()) {
      plugins_with_nodes.emplace_back(pl->Name());
      if (unschedulable_plugins != nullptr) unschedulable_plugins->emplace(pl->Name());
    }
    result = result.Merge(r);
    if (!result.AllNodes() && result.node_names->empty()) {
      std::string msg = plugins_with_nodes.size() == 1
                            ? "node(s) didn't satisfy plugin " + plugins_with_nodes[0]
                            : "node(s) didn't satisfy plugin(s) " + JoinNames(plugins_with_nodes) +
                                  " simultaneously";
      return Status::UnschedulableAndUnresolvable(std::move(msg));
    }
  }
  return {};
}

Status Framework::RunFilterPlugins(const CycleState& state, const PodInfo& pod,
                                   const NodeInfo& node) const {
  for (size_t i = 0; i < filter_.size(); ++i) {
    if ((state.skip_filter_plugins >> i) & 1U) continue;
    const FilterPlugin* pl = filter_[i].plugin;
    Status s = pl->Filter(state, pod, node);
    if (s.IsSuccess()) continue;
    if (!s.IsRejected()) {
      return Status::Error("running \"" + std::string(pl->Name()) +
                           "\" filter plugin: " + s.Message())
          .WithPlugin(pl->Name());
    }
    s.SetPlugin(pl->Name());
    return s;
  }
  return {};
}

Status Framework::RunFilterPluginsWithNominatedPods(const CycleState& state, const PodInfo& pod,
                                                    const NodeInfo& node) const {
  // Pass 1 with the nominated pods of equal or higher priority added (the pod must not take the
  // room they were promised); pass 2 without them (affinity to them must not be counted on),
  // only when pass 1 added some and passed (upstream's RunFilterPluginsWithNominatedPods).
  std::vector<std::shared_ptr<const PodInfo>> nominated;
  if (nominator_ != nullptr) nominated = nominator_->NominatedPodsForNode(node.NodeName());
  if (nominated.empty()) return RunFilterPlugins(state, pod, node);
  const int32_t priority = pod.Pod().spec.priority.value_or(0);
  std::shared_ptr<NodeInfo> node_with;
  std::unique_ptr<CycleState> state_with;
  for (const auto& np : nominated) {
    if (np->Pod().spec.priority.value_or(0) < priority || np->key == pod.key) continue;
    if (node_with == nullptr) {
      node_with = node.Clone();
      state_with = state.Clone();
    }
    node_with->AddPod(np);
    Status s = RunPreFilterExtensionAddPod(*state_with, pod, *np, *node_with);
    if (!s.IsSuccess()) {
      return Status::Error("adding nominated pod " + np->Pod().metadata.namespace_ + "/" +
                           np->Pod().metadata.name + ": " + s.Message());
    }
  }
  if (node_with == nullptr) return RunFilterPlugins(state, pod, node);
  Status s = RunFilterPlugins(*state_with, pod, *node_with);
  if (!s.IsSuccess()) return s;
  return RunFilterPlugins(state, pod, node);
}

Status Framework::RunPreFilterExtensionAddPod(CycleState& state, const PodInfo& pod,
                                              const PodInfo& pod_to_add,
                                              const NodeInfo& node) const {
  for (size_t i = 0; i < pre_filter_.size(); ++i) {
    const int fi = pre_filter_to_filter_[i];
    if (fi >= 0 && ((state.skip_filter_plugins >> fi) & 1U)) continue;
    const PreFilterExtensions* ext = pre_filter_[i].plugin->GetPreFilterExtensions();
    if (ext == nullptr) continue;
    Status s = ext->AddPod(state, pod, pod_to_add, node);
    if (!s.IsSuccess()) return std::move(s).WithPlugin(pre_filter_[i].plugin->Name());
  }
  return {};
}

Status Framework::RunPreFilterExtensionRemovePod(CycleState& state, const PodInfo& pod,
                                                 const PodInfo& pod_to_remove,
                                                 const NodeInfo& node) const {
  for (size_t i = 0; i < pre_filter_.size(); ++i) {
    const int fi = pre_filter_to_filter_[i];
    if (fi >= 0 && ((state.skip_filter_plugins >> fi) & 1U)) continue;
    const PreFilterExtensions* ext = pre_filter_[i].plugin->GetPreFilterExtensions();
    if (ext == nullptr) continue;
    Status s = ext->RemovePod(state, pod, pod_to_remove, node);
    if (!s.IsSuccess()) return std::move(s).WithPlugin(pre_filter_[i].plugin->Name());
  }
  return {};
}

Status Framework::RunPostFilterPlugins(CycleState& state, const PodInfo& pod,
                                       const NodeToStatus& filtered, PostFilterResult& result) {
  // `result` gets the successful plugin's result, else the last one that asked to override the
  // nomination (upstream keeps the last non-noop result).
  std::vector<std::string> reasons;
  std::string rejector;
  for (const auto& e : post_filter_) {
    PostFilterResult r;
    Status s = e.plugin->PostFilter(state, pod, filtered, r);
    if (s.IsSuccess()) {
      result = std::move(r);
      return s;
    }
    if (s.Code() == StatusCode::kUnschedulableAndUnresolvable) {
      result = std::move(r);
      return std::move(s).WithPlugin(e.plugin->Name());
    }
    if (!s.IsRejected()) {
      return Status::Error(s.Message()).WithPlugin(e.plugin->Name());
    }
    if (r.mode == PostFilterResult::Mode::kOverride) result = std::move(r);
    for (auto& reason : s.Reasons()) reasons.push_back(reason);
    if (rejector.empty()) rejector = e.plugin->Name();
  }
  return Status{StatusCode::kUnschedulable, std::move(reasons)}.WithPlugin(rejector);
}

Status Framework::RunPreScorePlugins(CycleState& state, const PodInfo& pod,
                                     std::span<const NodeInfo* const> nodes) {
  for (size_t i = 0; i < pre_score_.size(); ++i) {
    PreScorePlugin* pl = pre_score_[i].plugin;
    Status s = pl->PreScore(state, pod, nodes);
    if (s.IsSkip()) {
      if (pre_score_to_score_[i] >= 0) {
        state.skip_score_plugins |= uint64_t{1} << pre_score_to_score_[i];
      }
      continue;
    }
    if (!s.IsSuccess()) {
      return Status::Error("running PreScore plugin \"" + std::string(pl->Name()) +
                           "\": " + s.Message())
          .WithPlugin(pl->Name());
    }
  }
  return {};
}

Status Framework::RunScorePlugins(const CycleState& state, const PodInfo& pod,
                                  std::span<const NodeInfo* const> nodes,
                                  std::vector<NodePluginScores>& out) const {
  out.assign(nodes.size(), NodePluginScores{});
  for (size_t n = 0; n < nodes.size(); ++n) out[n].node = nodes[n];
  std::vector<NodeScore> scores(nodes.size());
  for (size_t i = 0; i < score_.size(); ++i) {
    if ((state.skip_score_plugins >> i) & 1U) continue;
    const ScorePlugin* pl = score_[i].plugin;
    for (size_t n = 0; n < nodes.size(); ++n) {
      scores[n].name = nodes[n]->NodeName();
      scores[n].score = 0;
      Status s = pl->Score(state, pod, *nodes[n], scores[n].score);
      if (!s.IsSuccess()) {
        return Status::Error("running Score plugin \"" + std::string(pl->Name()) +
                             "\": " + s.Message())
            .WithPlugin(pl->Name());
      }
    }
    if (const ScoreExtensions* ext = pl->GetScoreExtensions(); ext != nullptr) {
      Status s = ext->NormalizeScore(state, pod, scores);
      if (!s.IsSuccess()) {
        return Status::Error("running Normalize on Score plugin \"" + std::string(pl->Name()) +
                             "\": " + s.Message())
            .WithPlugin(pl->Name());
      }
    }
    for (size_t n = 0; n < nodes.size(); ++n) {
      int64_t score = scores[n].score;
      if (score > kMaxNodeScore || score < kMinNodeScore) {
        return Status::Error("plugin \"" + std::string(pl->Name()) +
                             "\" returns an invalid score " + std::to_string(score) +
                             ", it should in the range of [0, 100] after normalizing")
            .WithPlugin(pl->Name());
      }
      out[n].total_score += score * score_[i].weight;
    }
  }
  return {};
}

Status Framework::RunReservePluginsReserve(CycleState& state, const PodInfo& pod,
                                           const std::string& node) {
  for (const auto& e : reserve_) {
    Status s = e.plugin->Reserve(state, pod, node);
    if (!s.IsSuccess()) {
      if (s.IsRejected()) return std::move(s).WithPlugin(e.plugin->Name());
      return Status::Error("running Reserve plugin \"" + std::string(e.plugin->Name()) +
                           "\": " + s.Message())
          .WithPlugin(e.plugin->Name());
    }
  }
  return {};
}

void Framework::RunReservePluginsUnreserve(CycleState& state, const PodInfo& pod,
                                           const std::string& node) {
  std::for_each(reserve_.rbegin(), reserve_.rend(),
                [&](auto& e) { e.plugin->Unreserve(state, pod, node); });
}

Status Framework::RunPermitPlugins(CycleState& state, const PodInfo& pod, const std::string& node,
                                   std::chrono::milliseconds& timeout) {
  bool wait = false;
  timeout = kMaxPermitTimeout;
  for (const auto& e : permit_) {
    std::chrono::milliseconds t{0};
    Status s = e.plugin->Permit(state, pod, node, t);
    if (s.IsSuccess()) continue;
    if (s.IsWait()) {
      wait = true;
      timeout = std::min(timeout, std::min(t, kMaxPermitTimeout));
      continue;
    }
    if (s.IsRejected()) return std::move(s).WithPlugin(e.plugin->Name());
    return Status::Error("running Permit plugin \"" + std::string(e.plugin->Name()) +
                         "\": " + s.Message())
        .WithPlugin(e.plugin->Name());
  }
  if (wait) return {StatusCode::kWait, "one or more plugins asked to wait"};
  return {};
}

Status Framework::RunPreBindPlugins(CycleState& state, const PodInfo& pod,
                                    const std::string& node) {
  for (const auto& e : pre_bind_) {
    Status s = e.plugin->PreBind(state, pod, node);
    if (s.IsSuccess()) continue;
    if (s.IsRejected()) return std::move(s).WithPlugin(e.plugin->Name());
    return Status::Error("running PreBind plugin \"" + std::string(e.plugin->Name()) +
                         "\": " + s.Message())
        .WithPlugin(e.plugin->Name());
  }
  return {};
}

Status Framework::RunBindPlugins(CycleState& state, const PodInfo& pod, const std::string& node) {
  for (const auto& e : bind_) {
    Status s = e.plugin->Bind(state, pod, node);
    if (s.IsSkip()) continue;
    if (!s.IsSuccess()) return std::move(s).WithPlugin(e.plugin->Name());
    return s;
  }
  return Status::Skip();
}

void Framework::RunPostBindPlugins(CycleState& state, const PodInfo& pod, const std::string& node) {
  for (const auto& e : post_bind_) e.plugin->PostBind(state, pod, node);
}

}  // namespace kubepp::scheduler
