#include "scheduler/queue/scheduling_queue.h"

#include <tuple>
#include <utility>

namespace kubepp::scheduler {

namespace {

int32_t PriorityOf(const api::Pod& pod) { return pod.spec.priority.value_or(0); }

// Whether the update may make an unschedulable pod schedulable (upstream's isPodUpdated: every
// change but status and metadata bookkeeping).
bool PodUpdated(const api::Pod& a, const api::Pod& b) {
  return !(a.spec == b.spec && a.metadata.labels == b.metadata.labels &&
           a.metadata.annotations == b.metadata.annotations &&
           a.metadata.ownerReferences == b.metadata.ownerReferences &&
           a.metadata.finalizers == b.metadata.finalizers);
}

}  // namespace

bool ClusterEvent::Matches(const ClusterEvent& interest) const {
  bool same_resource = interest.resource == EventResource::kWildcard ||
                       resource == EventResource::kWildcard || interest.resource == resource;
  return same_resource && (interest.actions & actions) != 0;
}

ClusterEvent NodeAddEvent() { return {EventResource::kNode, kAdd, "NodeAdd"}; }
ClusterEvent AssignedPodDeleteEvent() {
  return {EventResource::kAssignedPod, kDelete, "AssignedPodDelete"};
}
ClusterEvent UnschedulableTimeoutEvent() {
  return {EventResource::kWildcard, kAll, "UnschedulableTimeout"};
}

std::string PodKey(const api::Pod& pod) {
  std::string key;
  key.reserve(pod.metadata.namespace_.size() + 1 + pod.metadata.name.size());
  key += pod.metadata.namespace_;
  key += '/';
  key += pod.metadata.name;
  return key;
}

bool SchedulingQueue::ActiveKey::operator<(const ActiveKey& o) const {
  // Higher priority first, then the one waiting longest, then by key (a total order).
  return std::tie(o.priority, timestamp, key) < std::tie(priority, o.timestamp, o.key);
}

bool SchedulingQueue::BackoffKey::operator<(const BackoffKey& o) const {
  return std::tie(expiry, key) < std::tie(o.expiry, o.key);
}

SchedulingQueue::SchedulingQueue(const Clock& clock, SchedulingQueueOptions options)
    : clock_(clock), options_(std::move(options)) {}

void SchedulingQueue::PushActiveLocked(std::string key, QueuedPodInfo info) {
  active_.insert(ActiveKey{PriorityOf(*info.pod), info.timestamp, key});
  pods_[std::move(key)] = Entry{std::move(info), Where::kActive};
  cv_.notify_one();
}

void SchedulingQueue::PushBackoffLocked(std::string key, QueuedPodInfo info) {
  backoff_.insert(BackoffKey{BackoffExpiry(info), key});
  pods_[std::move(key)] = Entry{std::move(info), Where::kBackoff};
}

void SchedulingQueue::PushUnschedulableLocked(std::string key, QueuedPodInfo info) {
  ++unschedulable_;
  if (info.gated) ++gated_;
  unschedulable_keys_.insert(key);
  pods_[std::move(key)] = Entry{std::move(info), Where::kUnschedulable};
}

std::optional<QueuedPodInfo> SchedulingQueue::TakeLocked(const std::string& key) {
  auto it = pods_.find(key);
  if (it == pods_.end()) return std::nullopt;
  QueuedPodInfo& info = it->second.info;
  switch (it->second.where) {
    case Where::kActive:
      active_.erase(ActiveKey{PriorityOf(*info.pod), info.timestamp, key});
      break;
    case Where::kBackoff:
      backoff_.erase(BackoffKey{BackoffExpiry(info), key});
      break;
    case Where::kUnschedulable:
      --unschedulable_;
      if (info.gated) --gated_;
      unschedulable_keys_.erase(key);
      break;
  }
  std::optional<QueuedPodInfo> out(std::move(info));
  pods_.erase(it);
  return out;
}

bool SchedulingQueue::BackingOffLocked(const QueuedPodInfo& info) const {
  return BackoffExpiry(info) > clock_.Now();
}

void SchedulingQueue::RequeueLocked(std::string key, QueuedPodInfo info) {
  if (BackingOffLocked(info)) {
    PushBackoffLocked(std::move(key), std::move(info));
  } else {
    PushActiveLocked(std::move(key), std::move(info));
  }
}

Clock::TimePoint SchedulingQueue::BackoffExpiry(const QueuedPodInfo& qpi) const {
  // Upstream's calculateBackoffDuration: initial, doubled per further attempt, capped at max.
  Clock::Duration d = options_.pod_initial_backoff;
  for (int i = 1; i < qpi.attempts; ++i) {
    if (d > options_.pod_max_backoff - d) return qpi.timestamp + options_.pod_max_backoff;
    d += d;
  }
  if (qpi.attempts == 0) d = Clock::Duration::zero();
  return qpi.timestamp + d;
}

bool SchedulingQueue::InterestedLocked(const QueuedPodInfo& info, const ClusterEvent& event) const {
  if (event.resource == EventResource::kWildcard && event.actions == kAll) return true;
  // Rejected by nobody in particular (an error): any event may help.
  if (info.unschedulable_plugins.empty() && info.pending_plugins.empty()) return true;
  auto interested = [&](const std::set<std::string>& plugins) {
    for (const std::string& p : plugins) {
      auto it = options_.plugin_events.find(p);
      if (it == options_.plugin_events.end()) continue;
      for (const ClusterEvent& e : it->second) {
        if (event.Matches(e)) return true;
      }
    }
    return false;
  };
  return interested(info.unschedulable_plugins) || interested(info.pending_plugins);
}

void SchedulingQueue::Add(std::shared_ptr<const api::Pod> pod) {
  if (!pod->status.nominatedNodeName.empty()) nominator_.AddNominatedPod(PodInfo::Make(pod));
  std::string key = PodKey(*pod);
  std::lock_guard lock(mu_);
  TakeLocked(key);
  QueuedPodInfo info;
  info.timestamp = clock_.Now();
  info.gated = !pod->spec.schedulingGates.empty();
  info.pod = std::move(pod);
  if (info.gated) {
    PushUnschedulableLocked(std::move(key), std::move(info));
  } else {
    PushActiveLocked(std::move(key), std::move(info));
  }
}

void SchedulingQueue::Update(const std::shared_ptr<const api::Pod>& old_pod,
                             std::shared_ptr<const api::Pod> pod) {
  if (old_pod != nullptr) {
    nominator_.UpdateNominatedPod(*old_pod, pod);
  } else if (!pod->status.nominatedNodeName.empty()) {
    nominator_.AddNominatedPod(PodInfo::Make(pod));
  }
  std::string key = PodKey(*pod);
  std::lock_guard lock(mu_);
  auto it = pods_.find(key);
  if (it == pods_.end()) {
    QueuedPodInfo info;
    info.timestamp = clock_.Now();
    info.gated = !pod->spec.schedulingGates.empty();
    info.pod = std::move(pod);
    if (info.gated) {
      PushUnschedulableLocked(std::move(key), std::move(info));
    } else {
      PushActiveLocked(std::move(key), std::move(info));
    }
    return;
  }
  Where where = it->second.where;
  bool updated = old_pod == nullptr || PodUpdated(*old_pod, *pod);
  QueuedPodInfo info = *TakeLocked(key);
  bool was_gated = info.gated;
  info.pod = std::move(pod);
  info.gated = !info.pod->spec.schedulingGates.empty();
  switch (where) {
    case Where::kActive:
      PushActiveLocked(std::move(key), std::move(info));
      return;
    case Where::kBackoff:
      PushBackoffLocked(std::move(key), std::move(info));
      return;
    case Where::kUnschedulable:
      if (info.gated) {
        PushUnschedulableLocked(std::move(key), std::move(info));
      } else if (was_gated) {
        // The last gate went: the pod is tried at once.
        info.timestamp = clock_.Now();
        PushActiveLocked(std::move(key), std::move(info));
      } else if (updated) {
        RequeueLocked(std::move(key), std::move(info));
      } else {
        PushUnschedulableLocked(std::move(key), std::move(info));
      }
      return;
  }
}

void SchedulingQueue::Delete(const api::Pod& pod) {
  nominator_.DeleteNominatedPodIfExists(pod);
  std::lock_guard lock(mu_);
  TakeLocked(PodKey(pod));
}

std::optional<QueuedPodInfo> SchedulingQueue::PopLocked() {
  if (active_.empty()) return std::nullopt;
  std::string key = active_.begin()->key;
  QueuedPodInfo info = *TakeLocked(key);
  ++info.attempts;
  if (!info.initial_attempt_done) {
    info.initial_attempt_done = true;
    info.initial_attempt_timestamp = clock_.Now();
  }
  ++scheduling_cycle_;
  return info;
}

std::optional<QueuedPodInfo> SchedulingQueue::Pop() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return closed_ || !active_.empty(); });
  if (closed_) return std::nullopt;
  return PopLocked();
}

std::optional<QueuedPodInfo> SchedulingQueue::TryPop() {
  std::lock_guard lock(mu_);
  if (closed_) return std::nullopt;
  return PopLocked();
}

int64_t SchedulingQueue::SchedulingCycle() const {
  std::lock_guard lock(mu_);
  return scheduling_cycle_;
}

void SchedulingQueue::AddUnschedulableIfNotPresent(QueuedPodInfo qpi,
                                                   int64_t pod_scheduling_cycle) {
  std::string key = PodKey(*qpi.pod);
  std::lock_guard lock(mu_);
  if (pods_.contains(key)) return;
  qpi.timestamp = clock_.Now();
  bool error = qpi.unschedulable_plugins.empty() && qpi.pending_plugins.empty();
  if (error || move_request_cycle_ >= pod_scheduling_cycle) {
    PushBackoffLocked(std::move(key), std::move(qpi));
  } else {
    PushUnschedulableLocked(std::move(key), std::move(qpi));
  }
}

void SchedulingQueue::MoveAllToActiveOrBackoffQueue(const ClusterEvent& event) {
  std::lock_guard lock(mu_);
  std::vector<std::string> moving;
  for (const std::string& key : unschedulable_keys_) {  // not every queued pod: O(unschedulable)
    const Entry& entry = pods_.at(key);
    if (entry.info.gated) continue;
    if (InterestedLocked(entry.info, event)) moving.push_back(key);
  }
  for (std::string& key : moving) {
    QueuedPodInfo info = *TakeLocked(key);
    RequeueLocked(std::move(key), std::move(info));
  }
  move_request_cycle_ = scheduling_cycle_;
}

void SchedulingQueue::AssignedPodAdded(const api::Pod& /*pod*/) {
  MoveAllToActiveOrBackoffQueue({EventResource::kAssignedPod, kAdd, "AssignedPodAdd"});
}

void SchedulingQueue::AssignedPodUpdated(const api::Pod& old_pod, const api::Pod& pod) {
  uint32_t actions = 0;
  if (old_pod.metadata.labels != pod.metadata.labels) actions |= kUpdatePodLabel;
  if (old_pod.spec.containers != pod.spec.containers) actions |= kUpdatePodScaleDown;
  if (actions == 0) return;
  MoveAllToActiveOrBackoffQueue({EventResource::kAssignedPod, actions, "AssignedPodUpdate"});
}

void SchedulingQueue::FlushBackoffCompleted() {
  std::lock_guard lock(mu_);
  Clock::TimePoint now = clock_.Now();
  while (!backoff_.empty() && backoff_.begin()->expiry <= now) {
    std::string key = backoff_.begin()->key;
    QueuedPodInfo info = *TakeLocked(key);
    PushActiveLocked(std::move(key), std::move(info));
  }
}

void SchedulingQueue::FlushUnschedulableLeftover() {
  std::lock_guard lock(mu_);
  Clock::TimePoint now = clock_.Now();
  std::vector<std::string> moving;
  for (const std::string& key : unschedulable_keys_) {
    const Entry& entry = pods_.at(key);
    if (entry.info.gated) continue;
    if (now - entry.info.timestamp > options_.max_in_unschedulable) moving.push_back(key);
  }
  for (std::string& key : moving) {
    QueuedPodInfo info = *TakeLocked(key);
    RequeueLocked(std::move(key), std::move(info));
  }
}

void SchedulingQueue::Close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  cv_.notify_all();
}

QueueSizes SchedulingQueue::Sizes() const {
  std::lock_guard lock(mu_);
  return QueueSizes{.active = active_.size(),
                    .backoff = backoff_.size(),
                    .unschedulable = unschedulable_ - gated_,
                    .gated = gated_};
}

std::vector<std::shared_ptr<const api::Pod>> SchedulingQueue::PendingPods() const {
  std::lock_guard lock(mu_);
  std::vector<std::shared_ptr<const api::Pod>> out;
  out.reserve(pods_.size());
  for (const auto& [key, entry] : pods_) out.push_back(entry.info.pod);
  return out;
}

}  // namespace kubepp::scheduler
