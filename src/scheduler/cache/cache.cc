#include "scheduler/cache/cache.h"

#include <algorithm>
#include <map>
#include <utility>

namespace kubepp::scheduler {

namespace {

std::string_view Label(const api::Node& node, std::string_view key, std::string_view legacy) {
  const auto& labels = node.metadata.labels;
  auto it = labels.find(std::string(key));
  if (it != labels.end()) return it->second;
  it = labels.find(std::string(legacy));
  if (it != labels.end()) return it->second;
  return {};
}

bool SameImages(const std::unordered_map<std::string, ImageStateSummary>& a,
                const std::unordered_map<std::string, ImageStateSummary>& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [name, state] : a) {
    auto it = b.find(name);
    if (it == b.end() || it->second.size != state.size) return false;
  }
  return true;
}

}  // namespace

std::string ZoneKey(const api::Node& node) {
  std::string_view region =
      Label(node, "topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/region");
  std::string_view zone =
      Label(node, "topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone");
  if (region.empty() && zone.empty()) return {};
  std::string key(region);
  key += ':';
  key += zone;
  return key;
}

Cache::Cache(const Clock& clock, Clock::Duration ttl) : clock_(clock), ttl_(ttl) {}

std::string Cache::KeyOf(const api::Pod& pod) {
  return pod.metadata.uid.empty() ? pod.metadata.namespace_ + "/" + pod.metadata.name
                                  : pod.metadata.uid;
}

Cache::NodeEntry& Cache::NodeLocked(const std::string& name) {
  auto [it, inserted] = nodes_.try_emplace(name);
  if (inserted) {
    it->second.info = std::make_shared<NodeInfo>();
    it->second.order = next_order_++;
  }
  return it->second;
}

void Cache::AddPodLocked(const std::shared_ptr<const PodInfo>& info, const std::string& node) {
  NodeEntry& entry = NodeLocked(node);
  entry.info->AddPod(info);
  MarkDirtyLocked(node);
}

void Cache::RemovePodLocked(const std::string& key, const PodState& state) {
  auto it = nodes_.find(state.node);
  if (it == nodes_.end()) return;
  it->second.info->RemovePod(key);
  MarkDirtyLocked(state.node);
  RemoveNodeIfEmptyLocked(state.node);
}

void Cache::RemoveNodeIfEmptyLocked(const std::string& name) {
  auto it = nodes_.find(name);
  if (it == nodes_.end()) return;
  if (it->second.info->Node() == nullptr && it->second.info->Pods().empty()) nodes_.erase(it);
}

kubepp::Status Cache::AssumePod(const std::shared_ptr<const PodInfo>& pod,
                                const std::string& node) {
  std::lock_guard lock(mu_);
  const std::string& key = pod->key;
  if (pods_.contains(key)) {
    return kubepp::Status::AlreadyExists("pod " + pod->Pod().metadata.namespace_ + "/" +
                                         pod->Pod().metadata.name +
                                         " is in the cache, so can't be assumed");
  }
  auto copy = std::make_shared<api::Pod>(pod->Pod());
  copy->spec.nodeName = node;
  auto info = std::make_shared<PodInfo>(*pod);
  info->pod = std::move(copy);
  AddPodLocked(info, node);
  pods_.emplace(key, PodState{.info = std::move(info), .node = node, .assumed = true});
  assumed_.insert(key);
  return kubepp::Status::Ok();
}

void Cache::FinishBinding(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = pods_.find(key);
  if (it == pods_.end() || !it->second.assumed) return;
  it->second.binding_finished = true;
  if (ttl_ > Clock::Duration::zero()) it->second.deadline = clock_.Now() + ttl_;
}

kubepp::Status Cache::ForgetPod(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = pods_.find(key);
  if (it == pods_.end()) return kubepp::Status::NotFound("pod " + key + " is not in the cache");
  if (!it->second.assumed) {
    return kubepp::Status::Conflict("pod " + key + " wasn't assumed so cannot be forgotten");
  }
  PodState state = std::move(it->second);
  pods_.erase(it);
  assumed_.erase(key);
  RemovePodLocked(key, state);
  return kubepp::Status::Ok();
}

bool Cache::IsAssumedPod(const std::string& key) const {
  std::lock_guard lock(mu_);
  return assumed_.contains(key);
}

void Cache::AddPod(const std::shared_ptr<const api::Pod>& pod) {
  std::string key = KeyOf(*pod);
  std::shared_ptr<const PodInfo> info = PodInfo::Make(pod);
  std::lock_guard lock(mu_);
  auto it = pods_.find(key);
  if (it != pods_.end()) {
    // An assumed pod confirmed (maybe bound elsewhere than assumed), or a repeated add (relist):
    // the informer's object replaces ours.
    RemovePodLocked(key, it->second);
    assumed_.erase(key);
    it->second = PodState{.info = info, .node = pod->spec.nodeName};
  } else {
    pods_.emplace(key, PodState{.info = info, .node = pod->spec.nodeName});
  }
  AddPodLocked(info, pod->spec.nodeName);
}

void Cache::UpdatePod(const std::shared_ptr<const api::Pod>& /*old_pod*/,
                      const std::shared_ptr<const api::Pod>& pod) {
  // The pod's node never changes once set; an update replaces the object on it. An update of a
  // pod we only assumed confirms it like an add.
  AddPod(pod);
}

void Cache::RemovePod(const api::Pod& pod) {
  std::string key = KeyOf(pod);
  std::lock_guard lock(mu_);
  auto it = pods_.find(key);
  if (it == pods_.end()) return;
  PodState state = std::move(it->second);
  pods_.erase(it);
  assumed_.erase(key);
  RemovePodLocked(key, state);
}

void Cache::AddNode(const std::shared_ptr<const api::Node>& node) {
  std::lock_guard lock(mu_);
  NodeEntry& entry = NodeLocked(node->metadata.name);
  if (entry.info->Node() == nullptr) ++node_objects_;
  entry.info->SetNode(node);
  entry.zone = ZoneKey(*node);
  structure_changed_ = true;
}

void Cache::UpdateNode(const std::shared_ptr<const api::Node>& /*old_node*/,
                       const std::shared_ptr<const api::Node>& node) {
  std::lock_guard lock(mu_);
  NodeEntry& entry = NodeLocked(node->metadata.name);
  if (entry.info->Node() == nullptr) {
    ++node_objects_;
    structure_changed_ = true;
  }
  auto old_images = entry.info->ImageStates();
  entry.info->SetNode(node);
  std::string zone = ZoneKey(*node);
  if (zone != entry.zone || !SameImages(old_images, entry.info->ImageStates())) {
    structure_changed_ = true;
  }
  entry.zone = std::move(zone);
  MarkDirtyLocked(node->metadata.name);
}

void Cache::RemoveNode(const api::Node& node) {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(node.metadata.name);
  if (it == nodes_.end() || it->second.info->Node() == nullptr) return;
  --node_objects_;
  it->second.info->RemoveNode();
  structure_changed_ = true;
  RemoveNodeIfEmptyLocked(node.metadata.name);
}

void Cache::RebuildLocked(Snapshot& snapshot) {
  // Zones in the order their first node came, nodes within a zone in arrival order; then one
  // node of each zone in turn.
  std::vector<const NodeEntry*> entries;
  entries.reserve(node_objects_);
  for (const auto& [name, entry] : nodes_) {
    if (entry.info->Node() != nullptr) entries.push_back(&entry);
  }
  std::sort(entries.begin(), entries.end(),
            [](const NodeEntry* a, const NodeEntry* b) { return a->order < b->order; });
  std::vector<std::vector<const NodeEntry*>> zones;
  std::map<std::string_view, size_t> zone_index;
  for (const NodeEntry* e : entries) {
    auto [it, inserted] = zone_index.try_emplace(e->zone, zones.size());
    if (inserted) zones.emplace_back();
    zones[it->second].push_back(e);
  }
  std::vector<std::shared_ptr<NodeInfo>> infos;
  infos.reserve(entries.size());
  for (size_t i = 0; infos.size() < entries.size(); ++i) {
    for (const auto& zone : zones) {
      if (i < zone.size()) infos.push_back(zone[i]->info->Clone());
    }
  }
  snapshot = Snapshot(infos);
}

void Cache::UpdateSnapshot(Snapshot& snapshot) {
  std::lock_guard lock(mu_);
  if (!structure_changed_) {
    bool affinity_changed = false;
    for (const std::string& name : dirty_) {
      auto it = nodes_.find(name);
      if (it == nodes_.end() || it->second.info->Node() == nullptr) continue;
      const NodeInfo* old = snapshot.Get(name);
      if (old == nullptr) {
        structure_changed_ = true;
        break;
      }
      auto clone = it->second.info->Clone();
      // The affinity lists point at the snapshot's NodeInfos: a node on them (before or after)
      // that is replaced needs them rebuilt, or they would point at the old, freed NodeInfo.
      if (!old->PodsWithAffinity().empty() || !clone->PodsWithAffinity().empty() ||
          !old->PodsWithRequiredAntiAffinity().empty() ||
          !clone->PodsWithRequiredAntiAffinity().empty()) {
        affinity_changed = true;
      }
      snapshot.Replace(std::move(clone));
    }
    if (!structure_changed_) {
      dirty_.clear();
      if (affinity_changed) snapshot.RebuildAffinityLists();
      return;
    }
  }
  RebuildLocked(snapshot);
  structure_changed_ = false;
  dirty_.clear();
}

size_t Cache::CleanupExpiredAssumedPods() {
  std::lock_guard lock(mu_);
  if (ttl_ <= Clock::Duration::zero()) return 0;
  Clock::TimePoint now = clock_.Now();
  std::vector<std::string> expired;
  for (const std::string& key : assumed_) {
    const PodState& s = pods_.at(key);
    if (s.binding_finished && s.deadline.has_value() && now > *s.deadline) expired.push_back(key);
  }
  for (const std::string& key : expired) {
    auto it = pods_.find(key);
    PodState state = std::move(it->second);
    pods_.erase(it);
    assumed_.erase(key);
    RemovePodLocked(key, state);
  }
  return expired.size();
}

CacheSizes Cache::Sizes() const {
  std::lock_guard lock(mu_);
  return {.nodes = node_objects_, .pods = pods_.size(), .assumed = assumed_.size()};
}

std::string Cache::NodeOf(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = pods_.find(key);
  return it == pods_.end() ? std::string() : it->second.node;
}

std::shared_ptr<NodeInfo> Cache::GetNodeInfo(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(name);
  return it == nodes_.end() ? nullptr : it->second.info->Clone();
}

}  // namespace kubepp::scheduler
