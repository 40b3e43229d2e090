// Nominator: which pods are nominated to which nodes (upstream's nominator in
// pkg/scheduler/internal/queue). A pod is nominated when status.nominatedNodeName says so or
// when this scheduler's preemption chose a node for it (before the status patch comes back).
// Filter counts a node's nominated pods of equal or higher priority as if they ran there, so
// that the room preemption made is not taken by others.
//
//   Nominator n;
//   n.AddNominatedPod(info, "node-1");         // preemption chose node-1
//   n.NominatedPodsForNode("node-1");         // [info]
//   n.DeleteNominatedPodIfExists(pod);        // bound, deleted, or no longer nominated
//
// Thread-safe. NominatedPodsForNode is called per node in Filter: with nothing nominated it
// takes no lock.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "api/types.h"
#include "scheduler/framework/interface.h"

namespace kubepp::scheduler {

class Nominator final : public PodNominator {
 public:
  // Nominates the pod to `node`; "" means the node its status.nominatedNodeName names. Replaces
  // an earlier nomination of the same pod (by namespace/name); no node at all: not nominated.
  void AddNominatedPod(std::shared_ptr<const PodInfo> pod, std::string node = "");
  // Forgets the pod's nomination, if any.
  void DeleteNominatedPodIfExists(const api::Pod& pod);
  // An update of a pending pod: the nomination follows the new status.nominatedNodeName; when
  // neither version has one, an in-memory nomination (preemption's, before its status patch
  // arrived) is kept with the new pod (upstream's updateNominatedPodUnlocked).
  void UpdateNominatedPod(const api::Pod& old_pod, const std::shared_ptr<const api::Pod>& pod);
  // The node the pod is nominated to, "" when none.
  std::string NominatedNodeOf(const api::Pod& pod) const;

  // PodNominator
  std::vector<std::shared_ptr<const PodInfo>> NominatedPodsForNode(
      std::string_view node) const override;

 private:
  void DeleteLocked(const std::string& key);
  void AddLocked(std::shared_ptr<const PodInfo> pod, std::string node);

  mutable std::mutex mu_;
  std::atomic<size_t> count_{0};  // nominated pods (the lock-free fast path)
  // node -> its nominated pods, in nomination order.
  std::map<std::string, std::vector<std::shared_ptr<const PodInfo>>, std::less<>> by_node_;
  std::map<std::string, std::string> node_of_;  // pod namespace/name -> node
};

}  // namespace kubepp::scheduler
