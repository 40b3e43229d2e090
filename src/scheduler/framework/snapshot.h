// Snapshot: the nodes (with their pods) one scheduling cycle looks at (upstream's
// internal/cache.Snapshot). Built by the cache at the start of a cycle; read-only afterwards, so
// plugins may read it from several threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "scheduler/framework/node_info.h"

namespace kubepp::scheduler {

class Snapshot {
 public:
  Snapshot() = default;
  // Takes the node infos (only those with a Node object are listed); fills each image's
  // num_nodes and the affinity lists.
  explicit Snapshot(const std::vector<std::shared_ptr<NodeInfo>>& nodes);
  // For tests: nodes, plus pods placed by spec.nodeName.
  static Snapshot FromObjects(const std::vector<std::shared_ptr<const api::Pod>>& pods,
                              const std::vector<std::shared_ptr<const api::Node>>& nodes);

  // Every node, in a stable order.
  const std::vector<std::shared_ptr<NodeInfo>>& NodeInfos() const { return nodes_; }
  size_t NumNodes() const { return nodes_.size(); }
  // The node named `name`, or nullptr.
  const NodeInfo* Get(std::string_view name) const;
  // Nodes with at least one pod with pod (anti-)affinity / required anti-affinity.
  const std::vector<const NodeInfo*>& HavePodsWithAffinity() const { return with_affinity_; }
  const std::vector<const NodeInfo*>& HavePodsWithRequiredAntiAffinity() const {
    return with_required_anti_affinity_;
  }

  // The cache's incremental update between cycles: puts `info` in the place of the node with the
  // same name; its image states take the replaced node's spread (num_nodes) — the caller rebuilds
  // the whole snapshot when a node's images change. false when the name is not here. The
  // affinity lists are stale until RebuildAffinityLists().
  bool Replace(std::shared_ptr<NodeInfo> info);
  void RebuildAffinityLists();

 private:
  std::vector<std::shared_ptr<NodeInfo>> nodes_;          // all nodes
  std::unordered_map<std::string_view, size_t> by_name_;  // index in nodes_; keys view node names
  std::vector<const NodeInfo*> with_affinity_;            // see HavePodsWithAffinity
  std::vector<const NodeInfo*> with_required_anti_affinity_;  // see above
};

}  // namespace kubepp::scheduler
