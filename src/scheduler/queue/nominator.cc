#include "scheduler/queue/nominator.h"

#include <algorithm>
#include <utility>

#include "scheduler/queue/scheduling_queue.h"

namespace kubepp::scheduler {

void Nominator::AddNominatedPod(std::shared_ptr<const PodInfo> pod, std::string node) {
  std::lock_guard lock(mu_);
  AddLocked(std::move(pod), std::move(node));
}

void Nominator::AddLocked(std::shared_ptr<const PodInfo> pod, std::string node) {
  const std::string key = PodKey(pod->Pod());
  DeleteLocked(key);
  if (node.empty()) node = pod->Pod().status.nominatedNodeName;
  if (node.empty()) return;
  node_of_[key] = node;
  by_node_[node].push_back(std::move(pod));
  count_.store(node_of_.size(), std::memory_order_release);
}

void Nominator::DeleteLocked(const std::string& key) {
  auto it = node_of_.find(key);
  if (it == node_of_.end()) return;
  auto nit = by_node_.find(it->second);
  if (nit != by_node_.end()) {
    std::erase_if(nit->second, [&](const auto& p) { return PodKey(p->Pod()) == key; });
    if (nit->second.empty()) by_node_.erase(nit);
  }
  node_of_.erase(it);
  count_.store(node_of_.size(), std::memory_order_release);
}

void Nominator::DeleteNominatedPodIfExists(const api::Pod& pod) {
  if (count_.load(std::memory_order_acquire) == 0) return;
  std::lock_guard lock(mu_);
  DeleteLocked(PodKey(pod));
}

void Nominator::UpdateNominatedPod(const api::Pod& old_pod,
                                   const std::shared_ptr<const api::Pod>& pod) {
  const bool in_status =
      !old_pod.status.nominatedNodeName.empty() || !pod->status.nominatedNodeName.empty();
  if (!in_status && count_.load(std::memory_order_acquire) == 0) return;
  std::lock_guard lock(mu_);
  const std::string key = PodKey(old_pod);
  std::string node;
  if (!in_status) {
    auto it = node_of_.find(key);
    if (it == node_of_.end()) return;  // never nominated
    node = it->second;                 // keep preemption's nomination with the new pod
  }
  DeleteLocked(key);
  AddLocked(PodInfo::Make(pod), std::move(node));
}

std::string Nominator::NominatedNodeOf(const api::Pod& pod) const {
  if (count_.load(std::memory_order_acquire) == 0) return {};
  std::lock_guard lock(mu_);
  auto it = node_of_.find(PodKey(pod));
  return it == node_of_.end() ? std::string() : it->second;
}

std::vector<std::shared_ptr<const PodInfo>> Nominator::NominatedPodsForNode(
    std::string_view node) const {
  if (count_.load(std::memory_order_acquire) == 0) return {};
  std::lock_guard lock(mu_);
  auto it = by_node_.find(node);
  if (it == by_node_.end()) return {};
  return it->second;
}

}  // namespace kubepp::scheduler
