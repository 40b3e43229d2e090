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
  for (size_t i = 0; i < nodes_.size(); ++i) {
    auto& n = nodes_[i];
    for (auto& [name, state] : n->MutableImageStates()) state.num_nodes = image_nodes[name];
    by_name_.emplace(n->NodeName(), i);
  }
  RebuildAffinityLists();
}

bool Snapshot::Replace(std::shared_ptr<NodeInfo> info) {
  if (info == nullptr || info->Node() == nullptr) return false;
  auto it = by_name_.find(info->NodeName());
  if (it == by_name_.end()) return false;
  size_t i = it->second;
  const auto& old_images = nodes_[i]->ImageStates();
  for (auto& [name, state] : info->MutableImageStates()) {
    auto o = old_images.find(name);
    state.num_nodes = o == old_images.end() ? 1 : o->second.num_nodes;
  }
  by_name_.erase(it);  // the key views the old node's name
  nodes_[i] = std::move(info);
  by_name_.emplace(nodes_[i]->NodeName(), i);
  return true;
}

void Snapshot::RebuildAffinityLists() {
  with_affinity_.clear();
  with_required_anti_affinity_.clear();
  for (const auto& n : nodes_) {
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
  return it == by_name_.end() ? nullptr : nodes_[it->second].get();
}

}  // namespace kubepp::scheduler
