#include "scheduler/framework/schedule_one.h"

#include <algorithm>
#include <map>

namespace kubepp::scheduler {

int32_t NumFeasibleNodesToFind(std::optional<int32_t> profile_percentage, int32_t global_percentage,
                               int32_t num_all_nodes) {
  if (num_all_nodes < kMinFeasibleNodesToFind) return num_all_nodes;
  int32_t percentage = profile_percentage.value_or(global_percentage);
  if (percentage == 0) {
    percentage = 50 - num_all_nodes / 125;
    percentage = std::max(percentage, kMinFeasibleNodesPercentageToFind);
  }
  auto num_nodes = static_cast<int32_t>(static_cast<int64_t>(num_all_nodes) * percentage / 100);
  if (num_nodes < kMinFeasibleNodesToFind) return kMinFeasibleNodesToFind;
  return std::min(num_nodes, num_all_nodes);
}

std::string FitError::Error() const {
  std::string msg = "0/" + std::to_string(num_all_nodes) + " nodes are available:";
  if (!diagnosis.pre_filter_msg.empty()) {
    msg += " " + diagnosis.pre_filter_msg + ".";
  } else {
    std::map<std::string, int64_t> histogram;
    const NodeToStatus& nts = diagnosis.node_to_status;
    for (const auto& [node, status] : nts.Explicit()) {
      for (const auto& reason : status.Reasons()) ++histogram[reason];
    }
    if (static_cast<int64_t>(nts.Len()) < num_all_nodes) {
      for (const auto& reason : nts.AbsentNodesStatus().Reasons()) {
        histogram[reason] += num_all_nodes - static_cast<int64_t>(nts.Len());
      }
    }
    std::vector<std::string> parts;
    parts.reserve(histogram.size());
    for (const auto& [reason, count] : histogram) {
      parts.push_back(std::to_string(count) + " " + reason);
    }
    std::sort(parts.begin(), parts.end());
    std::string joined;
    for (const auto& p : parts) {
      if (!joined.empty()) joined += ", ";
      joined += p;
    }
    msg += " " + joined + ".";
  }
  if (!diagnosis.post_filter_msg.empty()) msg += " " + diagnosis.post_filter_msg + ".";
  return msg;
}

Status FindNodesThatFitPod(Framework& fw, CycleState& state, const PodInfo& pod,
                           const Snapshot& snapshot, int32_t global_percentage, NodeCursor& cursor,
                           std::vector<const NodeInfo*>& feasible, Diagnosis& diagnosis) {
  feasible.clear();
  const auto& all = snapshot.NodeInfos();
  std::vector<const NodeInfo*> all_nodes;
  all_nodes.reserve(all.size());
  for (const auto& n : all) all_nodes.push_back(n.get());

  PreFilterResult pre_result;
  Status s =
      fw.RunPreFilterPlugins(state, pod, all_nodes, pre_result, &diagnosis.unschedulable_plugins);
  if (!s.IsSuccess()) {
    if (!s.IsRejected()) return s;
    diagnosis.node_to_status.SetAbsentNodesStatus(s);
    diagnosis.pre_filter_msg = s.Message();
    if (!s.Plugin().empty()) diagnosis.unschedulable_plugins.insert(s.Plugin());
    return {};
  }

  std::vector<const NodeInfo*> restricted;
  std::span<const NodeInfo* const> nodes = all_nodes;
  if (!pre_result.AllNodes()) {
    for (const auto& name : *pre_result.node_names) {
      if (const NodeInfo* n = snapshot.Get(name); n != nullptr) restricted.push_back(n);
    }
    nodes = restricted;
    std::string plugins = "[";
    for (const auto& p : diagnosis.unschedulable_plugins) {
      if (plugins.size() > 1) plugins += " ";
      plugins += p;
    }
    diagnosis.node_to_status.SetAbsentNodesStatus(
        Status::UnschedulableAndUnresolvable("node(s) didn't satisfy plugin(s) " + plugins + "]"));
  }

  // A node nominated by an earlier preemption is likely the only one that fits: try it first
  // (upstream's evaluateNominatedNode).
  if (const std::string& nnn = pod.Pod().status.nominatedNodeName; !nnn.empty()) {
    if (const NodeInfo* n = snapshot.Get(nnn); n != nullptr) {
      Status fs = fw.RunFilterPluginsWithNominatedPods(state, pod, *n);
      if (fs.IsSuccess()) {
        feasible.push_back(n);
        return {};
      }
      if (fs.IsError()) return fs;
    }
  }

  const auto num_nodes = static_cast<int32_t>(nodes.size());
  if (num_nodes == 0) return {};
  const int32_t to_find =
      NumFeasibleNodesToFind(fw.PercentageOfNodesToScore(), global_percentage, num_nodes);
  feasible.reserve(static_cast<size_t>(to_find));
  int32_t processed = 0;
  const int64_t start = cursor.next_start_node_index;
  if (!fw.HasFilterPlugins()) {
    for (int32_t i = 0; i < to_find; ++i) {
      feasible.push_back(nodes[static_cast<size_t>((start + i) % num_nodes)]);
    }
    processed = to_find;
  } else {
    for (int32_t i = 0; i < num_nodes && static_cast<int32_t>(feasible.size()) < to_find; ++i) {
      const NodeInfo* node = nodes[static_cast<size_t>((start + i) % num_nodes)];
      ++processed;
      Status fs = fw.RunFilterPluginsWithNominatedPods(state, pod, *node);
      if (fs.IsSuccess()) {
        feasible.push_back(node);
        continue;
      }
      if (fs.IsError()) return fs;
      if (!fs.Plugin().empty()) diagnosis.unschedulable_plugins.insert(fs.Plugin());
      diagnosis.node_to_status.Set(node->NodeName(), std::move(fs));
    }
  }
  if (!all_nodes.empty()) {
    cursor.next_start_node_index = (start + processed) % static_cast<int64_t>(all_nodes.size());
  }
  return {};
}

const NodeInfo* SelectHost(std::span<const NodePluginScores> scores, std::mt19937_64& rng) {
  if (scores.empty()) return nullptr;
  size_t selected = 0;
  int64_t max_score = scores[0].total_score;
  uint64_t count_of_max = 1;
  for (size_t i = 1; i < scores.size(); ++i) {
    if (scores[i].total_score > max_score) {
      max_score = scores[i].total_score;
      selected = i;
      count_of_max = 1;
    } else if (scores[i].total_score == max_score) {
      ++count_of_max;
      if (std::uniform_int_distribution<uint64_t>(0, count_of_max - 1)(rng) == 0) selected = i;
    }
  }
  return scores[selected].node;
}

Status SchedulePod(Framework& fw, CycleState& state, const PodInfo& pod, const Snapshot& snapshot,
                   int32_t global_percentage, NodeCursor& cursor, std::mt19937_64& rng,
                   ScheduleResult& result, std::optional<FitError>& fit_error) {
  fit_error.reset();
  if (snapshot.NumNodes() == 0) {
    return Status::Unschedulable("no nodes available to schedule pods");
  }
  fw.SetSnapshot(&snapshot);
  std::vector<const NodeInfo*> feasible;
  Diagnosis diagnosis;
  Status s =
      FindNodesThatFitPod(fw, state, pod, snapshot, global_percentage, cursor, feasible, diagnosis);
  if (!s.IsSuccess()) return s;
  if (feasible.empty()) {
    fit_error = FitError{static_cast<int32_t>(snapshot.NumNodes()), std::move(diagnosis)};
    return Status::Unschedulable(fit_error->Error());
  }
  const auto evaluated = static_cast<int32_t>(feasible.size() + diagnosis.node_to_status.Len());
  if (feasible.size() == 1) {
    result = ScheduleResult{feasible[0]->NodeName(), evaluated, 1};
    return {};
  }
  std::vector<NodePluginScores> scores;
  if (!fw.HasScorePlugins()) {
    for (const NodeInfo* n : feasible) scores.push_back({n, 1});
  } else {
    s = fw.RunPreScorePlugins(state, pod, feasible);
    if (!s.IsSuccess()) return s;
    s = fw.RunScorePlugins(state, pod, feasible, scores);
    if (!s.IsSuccess()) return s;
  }
  const NodeInfo* host = SelectHost(scores, rng);
  result = ScheduleResult{host->NodeName(), evaluated, static_cast<int32_t>(feasible.size())};
  return {};
}

}  // namespace kubepp::scheduler
