// PodInfo and NodeInfo (upstream's framework.PodInfo / framework.NodeInfo): what the scheduler
// precomputes once per pod and once per node so that Filter and Score touch no JSON, parse no
// quantity and allocate nothing.
//
// A PodInfo is immutable once built and shared (shared_ptr<const PodInfo>) between the queue,
// the cache, NodeInfos and snapshots. A NodeInfo is mutable and owned by whoever holds it (the
// cache keeps one per node and clones it into snapshots); it is not thread-safe: a snapshot's
// NodeInfos are only read during a scheduling cycle.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "api/selector.h"
#include "api/types.h"
#include "scheduler/framework/resource.h"

namespace kubepp::scheduler {

// A host port a pod asks for, defaults applied (ip "0.0.0.0", protocol "TCP").
struct HostPort {
  std::string ip;        // the hostIP, "0.0.0.0" for all addresses
  std::string protocol;  // TCP, UDP or SCTP
  int32_t port = 0;      // the hostPort (> 0)
  bool operator==(const HostPort&) const = default;
};

// The host ports in use on a node (upstream's HostPortInfo). A port on 0.0.0.0 conflicts with
// the same protocol/port on any address, and the other way round.
class HostPortInfo {
 public:
  void Add(const HostPort& port);
  void Remove(const HostPort& port);  // one occurrence
  bool CheckConflict(const HostPort& port) const;
  size_t Size() const { return ports_.size(); }
  const std::vector<HostPort>& Ports() const { return ports_; }

 private:
  std::vector<HostPort> ports_;  // one entry per pod port, duplicates kept (multiset)
};

// A pod affinity term ready to match (upstream's framework.AffinityTerm).
struct AffinityTerm {
  std::set<std::string> namespaces;  // the namespaces it applies to (the pod's own if none given)
  api::Selector selector;            // labelSelector (a null selector matches nothing)
  bool selector_matches_nothing = false;            // labelSelector was absent or did not parse
  std::string topology_key;                         // the node label that defines the domain
  std::optional<api::Selector> namespace_selector;  // namespaceSelector; {} matches all
  // True when `pod` (with namespace `ns`) is selected by this term (namespaceSelector is not
  // evaluated here: namespaces' labels are not known to the framework).
  bool Matches(const api::Pod& pod) const;
};

struct WeightedAffinityTerm {
  AffinityTerm term;   // the term
  int32_t weight = 0;  // 1..100
};

// A pod and everything the plugins need from it, computed once (upstream's PodInfo plus the
// request caches upstream keeps elsewhere).
struct PodInfo {
  std::shared_ptr<const api::Pod> pod;  // the pod (never null)
  std::string key;                      // uid, or namespace/name when the uid is empty
  Resource requests;                    // PodRequests(pod)
  Resource non_zero_requests;           // PodNonZeroRequests(pod): cpu/memory for scoring
  std::vector<AffinityTerm> required_affinity_terms;
  std::vector<AffinityTerm> required_anti_affinity_terms;
  std::vector<WeightedAffinityTerm> preferred_affinity_terms;
  std::vector<WeightedAffinityTerm> preferred_anti_affinity_terms;
  std::vector<HostPort> host_ports;  // containers' (and sidecars') hostPorts, defaults applied
  std::string parse_error;           // non-empty when an affinity label selector was invalid

  static std::shared_ptr<const PodInfo> Make(std::shared_ptr<const api::Pod> pod);
  const api::Pod& Pod() const { return *pod; }
};

// The nodes that have an image, and its size (upstream's ImageStateSummary).
struct ImageStateSummary {
  int64_t size = 0;       // bytes
  int32_t num_nodes = 0;  // nodes in the snapshot with this image (set by Snapshot)
};

// A node and the pods on it, with running sums (upstream's NodeInfo).
class NodeInfo {
 public:
  NodeInfo() = default;
  explicit NodeInfo(std::shared_ptr<const api::Node> node) { SetNode(std::move(node)); }

  // Sets/replaces the node: allocatable and image states are recomputed; pods stay.
  void SetNode(std::shared_ptr<const api::Node> node);
  // Forgets the node object (pods stay, as upstream's RemoveNode for a node whose pods are
  // still known).
  void RemoveNode();
  // The node, or nullptr when only pods are known.
  const api::Node* Node() const { return node_.get(); }
  const std::shared_ptr<const api::Node>& NodePtr() const { return node_; }
  // metadata.name ("" without a node).
  const std::string& NodeName() const;

  void AddPod(std::shared_ptr<const PodInfo> pod);
  // Removes the pod with PodInfo::key `key`; false when it is not on this node.
  bool RemovePod(std::string_view key);

  const std::vector<std::shared_ptr<const PodInfo>>& Pods() const { return pods_; }
  const std::vector<std::shared_ptr<const PodInfo>>& PodsWithAffinity() const {
    return pods_with_affinity_;
  }
  const std::vector<std::shared_ptr<const PodInfo>>& PodsWithRequiredAntiAffinity() const {
    return pods_with_required_anti_affinity_;
  }
  const Resource& Requested() const { return requested_; }
  const Resource& NonZeroRequested() const { return non_zero_requested_; }
  const Resource& Allocatable() const { return allocatable_; }
  const HostPortInfo& UsedPorts() const { return used_ports_; }
  // Normalized image name ("nginx:latest") -> size and spread; every name the node reports.
  const std::unordered_map<std::string, ImageStateSummary>& ImageStates() const {
    return image_states_;
  }
  std::unordered_map<std::string, ImageStateSummary>& MutableImageStates() { return image_states_; }
  // Bumped on every change, from one process-wide counter (the cache compares it with a
  // snapshot's copy to re-clone only changed nodes).
  int64_t Generation() const { return generation_; }

  // A copy that can change independently (PodInfos stay shared).
  std::shared_ptr<NodeInfo> Clone() const { return std::make_shared<NodeInfo>(*this); }

 private:
  void Bump();

  std::shared_ptr<const api::Node> node_;                           // the Node, or null
  std::vector<std::shared_ptr<const PodInfo>> pods_;                // pods bound or assumed here
  std::vector<std::shared_ptr<const PodInfo>> pods_with_affinity_;  // with any pod (anti)affinity
  std::vector<std::shared_ptr<const PodInfo>> pods_with_required_anti_affinity_;
  Resource requested_;           // sum of the pods' requests
  Resource non_zero_requested_;  // sum of the pods' non-zero requests (cpu, memory)
  Resource allocatable_;         // status.allocatable
  HostPortInfo used_ports_;      // the pods' host ports
  std::unordered_map<std::string, ImageStateSummary> image_states_;  // status.images by name
  int64_t generation_ = 0;                                           // see Generation()
};

// "nginx" -> "nginx:latest": a name without a tag or digest gets ":latest" (upstream's
// normalizedImageName).
std::string NormalizedImageName(std::string_view name);

}  // namespace kubepp::scheduler
