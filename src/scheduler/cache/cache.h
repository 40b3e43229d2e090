// Cache: the scheduler's view of the nodes and the pods on them (upstream's
// pkg/scheduler/internal/cache), kept from the informers' events plus the scheduler's own
// decisions:
//
// - Assumed pods: once a pod is placed, the scheduler assumes it on its node at once (so the
//   next cycle sees the node's resources taken) and binds it in the background. The informer's
//   add of the bound pod confirms it; a failed bind forgets it. With a ttl, an assumed pod whose
//   binding finished but whose confirmation never came expires (CleanupExpiredAssumedPods).
// - Pods may arrive before their node: the node's NodeInfo then has pods and no Node, and is
//   not in snapshots until the Node is added. A removed Node whose pods are still known stays
//   until the last pod goes, as upstream.
// - UpdateSnapshot brings a cycle's Snapshot up to date incrementally: only nodes changed since
//   the last update are cloned; the node list is rebuilt only when nodes come or go (or a
//   node's images or zone change). Nodes are listed zone by zone in turn (upstream's nodeTree),
//   so that a search over part of the nodes spreads over the zones.
//
//   Cache cache(clock, /*ttl=*/0s);
//   cache.AddNode(node);  cache.AddPod(bound_pod);            // informers
//   cache.UpdateSnapshot(snapshot);                           // start of each cycle
//   cache.AssumePod(pod_info, "node-1");  ...bind...  cache.FinishBinding(key) / ForgetPod(key)
//
// Thread-safe (one mutex). UpdateSnapshot must not run while a cycle reads that snapshot.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "api/types.h"
#include "base/clock.h"
#include "base/status.h"
#include "scheduler/framework/node_info.h"
#include "scheduler/framework/snapshot.h"

namespace kubepp::scheduler {

struct CacheSizes {
  size_t nodes = 0;    // Node objects known
  size_t pods = 0;     // pods on nodes (assumed included)
  size_t assumed = 0;  // assumed, not yet confirmed
};

class Cache {
 public:
  // `ttl` 0: assumed pods never expire (upstream's default since v1.26; a failed bind forgets
  // the pod explicitly).
  explicit Cache(const Clock& clock, Clock::Duration ttl = Clock::Duration::zero());
  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;

  // The scheduler placed `pod` on `node`: the pod (a copy with spec.nodeName set) counts there
  // from now on. AlreadyExists when the pod is in the cache already.
  kubepp::Status AssumePod(const std::shared_ptr<const PodInfo>& pod, const std::string& node);
  // The bind call returned; the ttl (if any) starts.
  void FinishBinding(const std::string& key);
  // The bind failed: the assumed pod goes. NotFound / FailedPrecondition when not assumed.
  kubepp::Status ForgetPod(const std::string& key);
  bool IsAssumedPod(const std::string& key) const;

  // Informer events for pods with spec.nodeName set. AddPod confirms an assumed pod (moving it
  // if it was bound elsewhere).
  void AddPod(const std::shared_ptr<const api::Pod>& pod);
  void UpdatePod(const std::shared_ptr<const api::Pod>& old_pod,
                 const std::shared_ptr<const api::Pod>& pod);
  void RemovePod(const api::Pod& pod);

  void AddNode(const std::shared_ptr<const api::Node>& node);
  void UpdateNode(const std::shared_ptr<const api::Node>& old_node,
                  const std::shared_ptr<const api::Node>& node);
  void RemoveNode(const api::Node& node);

  // Brings `snapshot` (owned by the caller, only ever updated through this cache) up to date.
  void UpdateSnapshot(Snapshot& snapshot);

  // Assumed pods whose binding finished more than ttl ago are removed; returns how many.
  size_t CleanupExpiredAssumedPods();

  CacheSizes Sizes() const;
  // The node the pod is on in the cache ("" when absent).
  std::string NodeOf(const std::string& key) const;
  // A copy of the node's info (tests, debugging); nullptr when unknown.
  std::shared_ptr<NodeInfo> GetNodeInfo(const std::string& name) const;

  // The cache's key of a pod: its uid, or namespace/name without one (PodInfo::key).
  static std::string KeyOf(const api::Pod& pod);

 private:
  struct PodState {
    std::shared_ptr<const PodInfo> info;       // as on its node
    std::string node;                          // where it is
    bool assumed = false;                      // placed by us, not yet confirmed
    bool binding_finished = false;             // assumed: the bind call returned
    std::optional<Clock::TimePoint> deadline;  // assumed + finished + ttl
  };
  struct NodeEntry {
    std::shared_ptr<NodeInfo> info;  // never null
    std::string zone;                // region:zone of the Node (nodeTree), "" without labels
    uint64_t order = 0;              // insertion order (stable listing)
  };

  NodeEntry& NodeLocked(const std::string& name);
  void AddPodLocked(const std::shared_ptr<const PodInfo>& info, const std::string& node);
  void RemovePodLocked(const std::string& key, const PodState& state);
  void MarkDirtyLocked(const std::string& node) { dirty_.insert(node); }
  void RemoveNodeIfEmptyLocked(const std::string& name);
  void RebuildLocked(Snapshot& snapshot);

  const Clock& clock_;                                // time for the ttl
  Clock::Duration ttl_;                               // 0: never expire
  mutable std::mutex mu_;                             // guards everything below
  std::unordered_map<std::string, NodeEntry> nodes_;  // by node name
  std::unordered_map<std::string, PodState> pods_;    // by pod key
  std::unordered_set<std::string> assumed_;           // keys of assumed pods
  std::unordered_set<std::string> dirty_;             // nodes changed since the last update
  bool structure_changed_ = true;                     // node set / images / zones changed
  uint64_t next_order_ = 0;                           // for NodeEntry::order
  size_t node_objects_ = 0;                           // entries with a Node
};

// "region:zone" from the node's topology labels (upstream's utilnode.GetZoneKey); "" without.
std::string ZoneKey(const api::Node& node);

}  // namespace kubepp::scheduler
