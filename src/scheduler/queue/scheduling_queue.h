// SchedulingQueue: the pods waiting for a node (upstream's PriorityQueue in
// pkg/scheduler/internal/queue).
//
// Three sub-queues, as upstream:
// - active: pods to try now, highest spec.priority first, then the oldest (PrioritySort);
// - back-off: pods that failed recently, each waiting 1 s doubling to at most 10 s per attempt
//   (--pod-initial-backoff-seconds / --pod-max-backoff-seconds) before going back to active;
// - unschedulable: pods no node fits; they move back (to back-off if still backing off, else
//   active) on a cluster event that a plugin which rejected them registered interest in (a node
//   added or changed, an assigned pod deleted, ...), or after 5 minutes there
//   (podMaxInUnschedulablePodsDuration). Pods with spec.schedulingGates wait there too, "gated",
//   until an update removes the last gate; no cluster event moves them.
//
// A pod that failed while a move request happened during its scheduling cycle goes to back-off
// instead of unschedulable (the event may have made it fit). A pod that failed with an error
// (no plugin rejected it) always goes to back-off.
//
//   SchedulingQueue q(clock, {.plugin_events = ...});
//   q.Add(pod);
//   auto qpi = q.Pop();             // blocks; nullopt once closed
//   ... on failure: q.AddUnschedulableIfNotPresent(std::move(*qpi), cycle);
//   every second: q.FlushBackoffCompleted(); every 30 s: q.FlushUnschedulableLeftover();
//
// Thread-safe. Pop() blocks the calling (scheduling) thread; everything else returns at once.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api/types.h"
#include "base/clock.h"
#include "scheduler/queue/nominator.h"

namespace kubepp::scheduler {

// What changed in the cluster (upstream's framework.ClusterEvent: resource + action).
enum class EventResource : uint8_t {
  kPod,          // an unassigned pod
  kAssignedPod,  // a pod bound to a node
  kNode,
  kPersistentVolumeClaim,
  kPersistentVolume,
  kStorageClass,
  kWildcard,  // any resource
};

enum ActionType : uint32_t {
  kAdd = 1U << 0,
  kDelete = 1U << 1,
  kUpdateNodeAllocatable = 1U << 2,
  kUpdateNodeLabel = 1U << 3,
  kUpdateNodeTaint = 1U << 4,
  kUpdateNodeCondition = 1U << 5,
  kUpdatePodLabel = 1U << 6,
  kUpdatePodScaleDown = 1U << 7,  // an assigned pod's requests went down
  kUpdateOther = 1U << 8,
  kUpdate = kUpdateNodeAllocatable | kUpdateNodeLabel | kUpdateNodeTaint | kUpdateNodeCondition |
            kUpdatePodLabel | kUpdatePodScaleDown | kUpdateOther,
  kAll = kAdd | kDelete | kUpdate,
};

struct ClusterEvent {
  EventResource resource = EventResource::kWildcard;
  uint32_t actions = kAll;  // ActionType bits
  std::string label;        // for logs and metrics, e.g. "NodeAdd"

  // Whether an event of this shape is one `interest` covers.
  bool Matches(const ClusterEvent& interest) const;
};

// Upstream's well-known events.
ClusterEvent NodeAddEvent();
ClusterEvent AssignedPodDeleteEvent();
ClusterEvent UnschedulableTimeoutEvent();

// A pod in the queue and what the scheduler learned about it.
struct QueuedPodInfo {
  std::shared_ptr<const api::Pod> pod;
  Clock::TimePoint timestamp{};                  // last time it was added to a sub-queue
  Clock::TimePoint initial_attempt_timestamp{};  // first Pop
  bool initial_attempt_done = false;
  int attempts = 0;                             // Pops so far
  std::set<std::string> unschedulable_plugins;  // plugins that rejected it last time
  std::set<std::string> pending_plugins;        // plugins that answered Pending
  bool gated = false;                           // has schedulingGates
};

struct SchedulingQueueOptions {
  Clock::Duration pod_initial_backoff = std::chrono::seconds(1);
  Clock::Duration pod_max_backoff = std::chrono::seconds(10);
  Clock::Duration max_in_unschedulable = std::chrono::minutes(5);
  // Which cluster events each plugin wants to hear about (its EventsToRegister). A pod rejected
  // by plugin P moves out of unschedulable on an event that matches one of P's.
  std::map<std::string, std::vector<ClusterEvent>> plugin_events;
};

struct QueueSizes {
  size_t active = 0;
  size_t backoff = 0;
  size_t unschedulable = 0;  // not counting gated
  size_t gated = 0;
};

class SchedulingQueue {
 public:
  explicit SchedulingQueue(const Clock& clock, SchedulingQueueOptions options = {});
  SchedulingQueue(const SchedulingQueue&) = delete;
  SchedulingQueue& operator=(const SchedulingQueue&) = delete;

  // A new unassigned pod: active, or unschedulable+gated when it has scheduling gates.
  void Add(std::shared_ptr<const api::Pod> pod);
  // An update of an unassigned pod: updated in place; a pod in unschedulable whose update may
  // make it schedulable (anything but status/metadata bookkeeping changed, or the last gate
  // removed) moves to back-off or active. Not queued → added.
  void Update(const std::shared_ptr<const api::Pod>& old_pod, std::shared_ptr<const api::Pod> pod);
  // The pod is gone (deleted, or assigned by someone else).
  void Delete(const api::Pod& pod);

  // The next pod to schedule, highest priority first; blocks while active is empty. nullopt
  // once Close() was called. Increments the pod's attempts and the scheduling cycle.
  std::optional<QueuedPodInfo> Pop();
  // Pop without blocking (tests, draining).
  std::optional<QueuedPodInfo> TryPop();
  // The scheduling cycle of the last Pop.
  int64_t SchedulingCycle() const;

  // A pod that could not be scheduled in cycle `pod_scheduling_cycle`. Ignored when the pod is
  // already queued (an update re-added it meanwhile).
  void AddUnschedulableIfNotPresent(QueuedPodInfo qpi, int64_t pod_scheduling_cycle);

  // A cluster event: unschedulable pods a rejecting plugin cares about move to back-off
  // (still backing off) or active.
  void MoveAllToActiveOrBackoffQueue(const ClusterEvent& event);
  // An assigned pod appeared / changed / went away (moves pods as the event says).
  void AssignedPodAdded(const api::Pod& pod);
  void AssignedPodUpdated(const api::Pod& old_pod, const api::Pod& pod);

  // Back-off expired → active (upstream runs it every second).
  void FlushBackoffCompleted();
  // In unschedulable for longer than max_in_unschedulable → back-off/active (every 30 s).
  void FlushUnschedulableLeftover();

  // Wakes Pop() for good.
  void Close();

  // The nominated pods (upstream keeps the nominator in the queue): Add/Update/Delete keep it in
  // step with status.nominatedNodeName; the scheduler adds preemption's nominations and drops
  // a pod's when it is assumed.
  Nominator& GetNominator() { return nominator_; }
  const Nominator& GetNominator() const { return nominator_; }

  QueueSizes Sizes() const;
  // Every queued pod (debugging, /debug endpoints).
  std::vector<std::shared_ptr<const api::Pod>> PendingPods() const;
  // When the pod would leave back-off (for tests): timestamp + back-off of its attempts.
  Clock::TimePoint BackoffExpiry(const QueuedPodInfo& qpi) const;

 private:
  struct ActiveKey {
    int32_t priority;
    Clock::TimePoint timestamp;
    std::string key;
    bool operator<(const ActiveKey& o) const;
  };
  struct BackoffKey {
    Clock::TimePoint expiry;
    std::string key;
    bool operator<(const BackoffKey& o) const;
  };
  enum class Where : uint8_t { kActive, kBackoff, kUnschedulable };
  struct Entry {
    QueuedPodInfo info;
    Where where = Where::kActive;
  };

  void PushActiveLocked(std::string key, QueuedPodInfo info);
  void PushBackoffLocked(std::string key, QueuedPodInfo info);
  void PushUnschedulableLocked(std::string key, QueuedPodInfo info);
  // Removes the pod from wherever it is; nullopt when not queued.
  std::optional<QueuedPodInfo> TakeLocked(const std::string& key);
  // Active or back-off, whichever the pod's back-off says.
  void RequeueLocked(std::string key, QueuedPodInfo info);
  bool BackingOffLocked(const QueuedPodInfo& info) const;
  bool InterestedLocked(const QueuedPodInfo& info, const ClusterEvent& event) const;
  std::optional<QueuedPodInfo> PopLocked();

  const Clock& clock_;              // time
  SchedulingQueueOptions options_;  // back-off, events
  mutable std::mutex mu_;
  std::condition_variable cv_;                // active got a pod, or closed
  std::map<std::string, Entry> pods_;         // every queued pod by namespace/name
  std::set<ActiveKey> active_;                // active order
  std::set<BackoffKey> backoff_;              // back-off order
  size_t gated_ = 0;                          // gated pods in unschedulable
  size_t unschedulable_ = 0;                  // pods in unschedulable (incl. gated)
  std::set<std::string> unschedulable_keys_;  // their keys (events walk these, not pods_)
  int64_t scheduling_cycle_ = 0;              // Pops so far
  int64_t move_request_cycle_ = -1;           // cycle of the last move request
  bool closed_ = false;
  Nominator nominator_;  // own lock; never taken while holding mu_ and then mu_
};

// "namespace/name".
std::string PodKey(const api::Pod& pod);

}  // namespace kubepp::scheduler
