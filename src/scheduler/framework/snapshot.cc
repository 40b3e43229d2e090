#include "scheduler/framework/snapshot.h"

namespace kubepp::scheduler {

Snapshot::Snapshot(const std::vector<std::shared_ptr<NodeInfo>>& nodes) {
  std::unordered_map<std::string, int32_t> image_nodes;
  for (const auto& n : nodes) {
    if (n == nullptr || n->Node() == nullptr) continue;
    nodes_.push_back(n);
    for (const auto& [name, state] : n->ImageStates()) ++image_nodes[name];
  }
  by_name_.reserve(nodes_.size());
  for (auto& n : nodes_) {
    for (auto& [name, state] : n->MutableImageStates()) state.num_nodes = image_nodes[name];
    by_name_.emplace(n->NodeName(), n.get());
    if (!n->PodsWithAffinity().empty()) with_affinity_.push_back(n.get());
    if (!n->PodsWithRequiredAntiAffinity().empty()) {
      with_required_anti_affinity_.push_back(n.get());
    }
  }
}

Snapshot Snapshot::FromObjects(const std::vector<std::shared_ptr<const api::Pod>>& pods,
                               const std::vector<std::shared_ptr<const api::Node>>& nodes) {
  std::vector<std::shared_ptr<NodeInfo>> infos;
  std::unordered_map<std::string, NodeInfo*> by_name;
  for (const auto& node : nodes) {
    infos.push_back(std::make_shared<NodeInfo>(node));
    by_name[node->metadata.name] = infos.back().get();
  }
  for (const auto& pod : pods) {
    auto it = by_name.find(pod->spec.nodeName);
    if (it != by_name.end()) it->second->AddPod(PodInfo::Make(pod));
  }
  return Snapshot(infos);
}

const NodeInfo* Snapshot::Get(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

}  // namespace kubepp::scheduler
