#include "controller/statefulset/statefulset_logic.h"

#include <algorithm>
#include <set>

#include "api/codec.h"
#include "controller/replicaset/replicaset_logic.h"

namespace kubepp::controller::statefulset {

namespace {

bool HasOwnerRef(const api::ObjectMeta& target, std::string_view uid) {
  return std::any_of(target.ownerReferences.begin(), target.ownerReferences.end(),
                     [&](const api::OwnerReference& r) { return r.uid == uid; });
}

bool SetOwnerRef(api::ObjectMeta& target, const api::ObjectMeta& owner, std::string api_version,
                 std::string kind) {
  if (HasOwnerRef(target, owner.uid)) return false;
  api::OwnerReference ref;
  ref.apiVersion = std::move(api_version);
  ref.kind = std::move(kind);
  ref.name = owner.name;
  ref.uid = owner.uid;
  target.ownerReferences.push_back(std::move(ref));
  return true;
}

bool RemoveOwnerRef(api::ObjectMeta& target, std::string_view uid) {
  auto& refs = target.ownerReferences;
  auto it = std::remove_if(refs.begin(), refs.end(),
                           [&](const api::OwnerReference& r) { return r.uid == uid; });
  if (it == refs.end()) return false;
  refs.erase(it, refs.end());
  return true;
}

bool ParseOrdinal(std::string_view digits, int& out) {
  if (digits.empty() || digits.size() > 9) return false;
  int v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

}  // namespace

// ---- identity

std::string PodName(const api::StatefulSet& set, int ordinal) {
  return set.metadata.name + "-" + std::to_string(ordinal);
}

std::pair<std::string, int> ParentNameAndOrdinal(const api::Pod& pod) {
  const std::string& name = pod.metadata.name;
  auto dash = name.rfind('-');
  if (dash == std::string::npos || dash == 0) return {"", -1};
  int ordinal = -1;
  if (!ParseOrdinal(std::string_view(name).substr(dash + 1), ordinal)) return {"", -1};
  return {name.substr(0, dash), ordinal};
}

int Ordinal(const api::Pod& pod) { return ParentNameAndOrdinal(pod).second; }

int StartOrdinal(const api::StatefulSet& set) {
  if (set.spec.ordinals && set.spec.ordinals->start) return *set.spec.ordinals->start;
  return 0;
}

int32_t Replicas(const api::StatefulSet& set) { return set.spec.replicas.value_or(1); }

int EndOrdinal(const api::StatefulSet& set) { return StartOrdinal(set) + Replicas(set) - 1; }

bool PodInOrdinalRange(const api::Pod& pod, const api::StatefulSet& set) {
  const int ordinal = Ordinal(pod);
  return ordinal >= StartOrdinal(set) && ordinal <= EndOrdinal(set);
}

bool IsMemberOf(const api::StatefulSet& set, const api::Pod& pod) {
  return ParentNameAndOrdinal(pod).first == set.metadata.name;
}

bool IdentityMatches(const api::StatefulSet& set, const api::Pod& pod) {
  auto [parent, ordinal] = ParentNameAndOrdinal(pod);
  if (ordinal < 0 || parent != set.metadata.name) return false;
  if (pod.metadata.name != PodName(set, ordinal)) return false;
  if (pod.metadata.namespace_ != set.metadata.namespace_) return false;
  auto it = pod.metadata.labels.find(kStatefulSetPodNameLabel);
  return it != pod.metadata.labels.end() && it->second == pod.metadata.name;
}

void UpdateIdentity(const api::StatefulSet& set, api::Pod& pod) {
  const int ordinal = Ordinal(pod);
  pod.metadata.name = PodName(set, ordinal);
  pod.metadata.namespace_ = set.metadata.namespace_;
  pod.metadata.labels[kStatefulSetPodNameLabel] = pod.metadata.name;
  pod.metadata.labels[kPodIndexLabel] = std::to_string(ordinal);
}

// ---- storage

std::string PersistentVolumeClaimName(const api::StatefulSet& set,
                                      const api::PersistentVolumeClaim& claim, int ordinal) {
  return claim.metadata.name + "-" + set.metadata.name + "-" + std::to_string(ordinal);
}

std::map<std::string, api::PersistentVolumeClaim> PersistentVolumeClaims(
    const api::StatefulSet& set, const api::Pod& pod) {
  const int ordinal = Ordinal(pod);
  std::map<std::string, api::PersistentVolumeClaim> out;
  for (const auto& tmpl : set.spec.volumeClaimTemplates) {
    api::PersistentVolumeClaim claim = tmpl;
    claim.metadata.name = PersistentVolumeClaimName(set, tmpl, ordinal);
    claim.metadata.namespace_ = set.metadata.namespace_;
    for (const auto& [k, v] : set.spec.selector.matchLabels) claim.metadata.labels[k] = v;
    claim.status = {};
    out.emplace(tmpl.metadata.name, std::move(claim));
  }
  return out;
}

bool StorageMatches(const api::StatefulSet& set, const api::Pod& pod) {
  const int ordinal = Ordinal(pod);
  if (ordinal < 0) return false;
  for (const auto& tmpl : set.spec.volumeClaimTemplates) {
    auto it = std::find_if(pod.spec.volumes.begin(), pod.spec.volumes.end(),
                           [&](const api::Volume& v) { return v.name == tmpl.metadata.name; });
    if (it == pod.spec.volumes.end() || !it->persistentVolumeClaim ||
        it->persistentVolumeClaim->claimName != PersistentVolumeClaimName(set, tmpl, ordinal)) {
      return false;
    }
  }
  return true;
}

void UpdateStorage(const api::StatefulSet& set, api::Pod& pod) {
  auto claims = PersistentVolumeClaims(set, pod);
  std::vector<api::Volume> volumes;
  for (const auto& [name, claim] : claims) {
    api::Volume v;
    v.name = name;
    v.persistentVolumeClaim.emplace();
    v.persistentVolumeClaim->claimName = claim.metadata.name;
    volumes.push_back(std::move(v));
  }
  for (const auto& v : pod.spec.volumes) {
    if (!claims.contains(v.name)) volumes.push_back(v);
  }
  pod.spec.volumes = std::move(volumes);
}

// ---- claim retention

std::pair<std::string, std::string> RetentionPolicy(const api::StatefulSet& set) {
  std::string when_deleted = kRetain;
  std::string when_scaled = kRetain;
  if (const auto& p = set.spec.persistentVolumeClaimRetentionPolicy) {
    if (p->whenDeleted == kDelete) when_deleted = kDelete;
    if (p->whenScaled == kDelete) when_scaled = kDelete;
  }
  return {when_deleted, when_scaled};
}

bool ClaimOwnerMatchesSetAndPod(const api::PersistentVolumeClaim& claim,
                                const api::StatefulSet& set, const api::Pod& pod) {
  auto [when_deleted, when_scaled] = RetentionPolicy(set);
  const bool set_ref = HasOwnerRef(claim.metadata, set.metadata.uid);
  const bool pod_ref = !pod.metadata.uid.empty() && HasOwnerRef(claim.metadata, pod.metadata.uid);
  const bool scaled_down = !PodInOrdinalRange(pod, set);
  if (when_scaled == kRetain && when_deleted == kRetain) return !set_ref && !pod_ref;
  if (when_scaled == kRetain && when_deleted == kDelete) return set_ref && !pod_ref;
  if (when_scaled == kDelete && when_deleted == kRetain) {
    return !set_ref && scaled_down == pod_ref;
  }
  // Delete / Delete: a scaled-down pod's claim belongs to the pod, any other to the set.
  return scaled_down != set_ref && scaled_down == pod_ref;
}

bool UpdateClaimOwnerRefForSetAndPod(api::PersistentVolumeClaim& claim, const api::StatefulSet& set,
                                     const api::Pod& pod) {
  auto [when_deleted, when_scaled] = RetentionPolicy(set);
  const bool scaled_down = !PodInOrdinalRange(pod, set);
  bool changed = false;
  auto own_by_set = [&] {
    changed = SetOwnerRef(claim.metadata, set.metadata, "apps/v1", "StatefulSet") || changed;
  };
  auto drop_set = [&] { changed = RemoveOwnerRef(claim.metadata, set.metadata.uid) || changed; };
  auto own_by_pod = [&] {
    if (!pod.metadata.uid.empty()) {
      changed = SetOwnerRef(claim.metadata, pod.metadata, "v1", "Pod") || changed;
    }
  };
  auto drop_pod = [&] {
    if (!pod.metadata.uid.empty()) {
      changed = RemoveOwnerRef(claim.metadata, pod.metadata.uid) || changed;
    }
  };
  if (when_scaled == kRetain && when_deleted == kRetain) {
    drop_set();
    drop_pod();
  } else if (when_scaled == kRetain && when_deleted == kDelete) {
    own_by_set();
    drop_pod();
  } else if (when_scaled == kDelete && when_deleted == kRetain) {
    drop_set();
    if (scaled_down) {
      own_by_pod();
    } else {
      drop_pod();
    }
  } else if (scaled_down) {
    drop_set();
    own_by_pod();
  } else {
    own_by_set();
    drop_pod();
  }
  return changed;
}

bool HasStaleOwnerRef(const api::PersistentVolumeClaim& claim, const api::Pod& pod) {
  return std::any_of(claim.metadata.ownerReferences.begin(), claim.metadata.ownerReferences.end(),
                     [&](const api::OwnerReference& r) {
                       return r.kind == "Pod" && r.name == pod.metadata.name &&
                              r.uid != pod.metadata.uid;
                     });
}

// ---- pods

api::OwnerReference ControllerRefFor(const api::StatefulSet& set) {
  api::OwnerReference ref;
  ref.apiVersion = "apps/v1";
  ref.kind = "StatefulSet";
  ref.name = set.metadata.name;
  ref.uid = set.metadata.uid;
  ref.controller = true;
  ref.blockOwnerDeletion = true;
  return ref;
}

api::Pod NewStatefulSetPod(const api::StatefulSet& set, int ordinal) {
  api::Pod pod;
  const auto& tmpl = set.spec.template_;
  pod.metadata.labels = tmpl.metadata.labels;
  pod.metadata.annotations = tmpl.metadata.annotations;
  pod.metadata.finalizers = tmpl.metadata.finalizers;
  pod.metadata.ownerReferences = {ControllerRefFor(set)};
  pod.spec = tmpl.spec;
  pod.metadata.name = PodName(set, ordinal);
  UpdateIdentity(set, pod);
  pod.spec.hostname = pod.metadata.name;
  pod.spec.subdomain = set.spec.serviceName;
  UpdateStorage(set, pod);
  return pod;
}

api::Pod NewVersionedStatefulSetPod(const api::StatefulSet& current_set,
                                    const api::StatefulSet& update_set,
                                    const std::string& current_revision,
                                    const std::string& update_revision, int ordinal) {
  const auto& strategy = current_set.spec.updateStrategy;
  const bool rolling = !strategy || strategy->type.empty() || strategy->type == kRollingUpdate;
  bool use_current = false;
  if (rolling) {
    if (!strategy || !strategy->rollingUpdate) {
      use_current =
          ordinal < StartOrdinal(current_set) + current_set.status.currentReplicas.value_or(0);
    } else {
      use_current =
          ordinal < StartOrdinal(current_set) + strategy->rollingUpdate->partition.value_or(0);
    }
  }
  api::Pod pod = use_current ? NewStatefulSetPod(current_set, ordinal)
                             : NewStatefulSetPod(update_set, ordinal);
  pod.metadata.labels[kControllerRevisionHashLabel] =
      use_current ? current_revision : update_revision;
  return pod;
}

std::string PodRevision(const api::Pod& pod) {
  auto it = pod.metadata.labels.find(kControllerRevisionHashLabel);
  return it == pod.metadata.labels.end() ? "" : it->second;
}

bool IsCreated(const api::Pod& pod) { return !pod.status.phase.empty(); }
bool IsPending(const api::Pod& pod) { return pod.status.phase == "Pending"; }
bool IsFailed(const api::Pod& pod) { return pod.status.phase == "Failed"; }
bool IsSucceeded(const api::Pod& pod) { return pod.status.phase == "Succeeded"; }
bool IsTerminating(const api::Pod& pod) { return !pod.metadata.deletionTimestamp.empty(); }
bool IsPodReady(const api::Pod& pod) { return replicaset::IsPodReady(pod); }
bool IsRunningAndReady(const api::Pod& pod) {
  return pod.status.phase == "Running" && IsPodReady(pod);
}
bool IsRunningAndAvailable(const api::Pod& pod, int32_t min_ready_seconds, Clock::WallTime now) {
  return pod.status.phase == "Running" && replicaset::IsPodAvailable(pod, min_ready_seconds, now);
}
bool IsHealthy(const api::Pod& pod) { return IsRunningAndReady(pod) && !IsTerminating(pod); }

// ---- revisions

boost::json::value RevisionData(const api::StatefulSet& set) {
  boost::json::value tmpl = api::ToJson(set.spec.template_);
  if (!tmpl.is_object()) tmpl = boost::json::object();
  tmpl.as_object()["$patch"] = "replace";
  boost::json::object spec;
  spec["template"] = std::move(tmpl);
  boost::json::object data;
  data["spec"] = std::move(spec);
  return data;
}

Result<api::StatefulSet> ApplyRevision(const api::StatefulSet& set,
                                       const boost::json::value& data) {
  api::StatefulSet out = set;
  const auto* o = data.if_object();
  const boost::json::value* spec = o == nullptr ? nullptr : o->if_contains("spec");
  const boost::json::value* tmpl =
      spec == nullptr || !spec->is_object() ? nullptr : spec->as_object().if_contains("template");
  if (tmpl == nullptr || !tmpl->is_object()) {
    return Status::Invalid("controller revision holds no spec.template");
  }
  boost::json::object t = tmpl->as_object();
  t.erase("$patch");
  api::PodTemplateSpec decoded;
  Status s = api::FromJson(boost::json::value(std::move(t)), decoded);
  if (!s.IsOk()) return Status::Invalid("controller revision template: " + s.Message());
  out.spec.template_ = std::move(decoded);
  return out;
}

// ---- status

void CountReplicas(api::StatefulSetStatus& status, const std::vector<const api::Pod*>& pods,
                   int32_t min_ready_seconds, const std::string& current_revision,
                   const std::string& update_revision, Clock::WallTime now) {
  int32_t replicas = 0;
  int32_t ready = 0;
  int32_t available = 0;
  int32_t current = 0;
  int32_t updated = 0;
  for (const api::Pod* pod : pods) {
    if (IsCreated(*pod)) ++replicas;
    if (IsRunningAndReady(*pod)) {
      ++ready;
      if (IsRunningAndAvailable(*pod, min_ready_seconds, now)) ++available;
    }
    if (IsCreated(*pod) && !IsTerminating(*pod)) {
      const std::string rev = PodRevision(*pod);
      if (rev == current_revision) ++current;
      if (rev == update_revision) ++updated;
    }
  }
  status.replicas = replicas;
  status.readyReplicas = ready;
  status.availableReplicas = available;
  status.currentReplicas = current;
  status.updatedReplicas = updated;
}

void CompleteRollingUpdate(const api::StatefulSet& set, api::StatefulSetStatus& status) {
  const auto& strategy = set.spec.updateStrategy;
  const bool rolling = !strategy || strategy->type.empty() || strategy->type == kRollingUpdate;
  if (rolling && status.updatedReplicas.value_or(0) == status.replicas &&
      status.readyReplicas.value_or(0) == status.replicas) {
    status.currentReplicas = status.updatedReplicas;
    status.currentRevision = status.updateRevision;
  }
}

bool InconsistentStatus(const api::StatefulSet& set, const api::StatefulSetStatus& status) {
  const auto& s = set.status;
  return status.observedGeneration.value_or(0) > s.observedGeneration.value_or(0) ||
         status.replicas != s.replicas ||
         status.currentReplicas.value_or(0) != s.currentReplicas.value_or(0) ||
         status.readyReplicas.value_or(0) != s.readyReplicas.value_or(0) ||
         status.updatedReplicas.value_or(0) != s.updatedReplicas.value_or(0) ||
         status.currentRevision != s.currentRevision ||
         status.availableReplicas.value_or(0) != s.availableReplicas.value_or(0) ||
         status.updateRevision != s.updateRevision ||
         status.collisionCount.value_or(0) != s.collisionCount.value_or(0);
}

// ---- one sync

namespace {

// Whether every claim of the pod exists and carries the owners the policy asks for. A missing
// claim counts as matching (upstream treats the lookup error so).
bool ClaimsMatchRetentionPolicy(const api::StatefulSet& set, const api::Pod& pod,
                                const ClaimLookup& claims) {
  for (const auto& [tmpl, claim] : PersistentVolumeClaims(set, pod)) {
    auto found = claims(claim.metadata.name);
    if (!found) return true;
    if (!ClaimOwnerMatchesSetAndPod(*found, set, pod)) return false;
  }
  return true;
}

// A stale claim of a deleted pod blocks the ordinal's re-creation while whenScaled=Delete.
bool PodClaimIsStale(const api::StatefulSet& set, const api::Pod& pod, const ClaimLookup& claims) {
  if (RetentionPolicy(set).second == kRetain) return false;
  for (const auto& [tmpl, claim] : PersistentVolumeClaims(set, pod)) {
    auto found = claims(claim.metadata.name);
    if (found && HasStaleOwnerRef(*found, pod)) return true;
  }
  return false;
}

}  // namespace

Plan PlanStatefulSet(const api::StatefulSet& set, const api::StatefulSet& current_set,
                     const api::StatefulSet& update_set, const std::string& current_revision,
                     const std::string& update_revision, int32_t collision_count,
                     const std::vector<const api::Pod*>& pods, const ClaimLookup& claims,
                     Clock::WallTime now) {
  Plan plan;
  auto& status = plan.status;
  status.observedGeneration = set.metadata.generation;
  status.currentRevision = current_revision;
  status.updateRevision = update_revision;
  status.collisionCount = collision_count;
  const int32_t min_ready = set.spec.minReadySeconds.value_or(0);

  const int start = StartOrdinal(set);
  const int32_t replica_count = std::max<int32_t>(Replicas(set), 0);
  // Slots start..end: the existing pod, or (owned here) the pod to create.
  std::vector<const api::Pod*> replicas(static_cast<size_t>(replica_count), nullptr);
  std::vector<api::Pod> fresh;
  fresh.reserve(static_cast<size_t>(replica_count));
  std::vector<const api::Pod*> condemned;
  for (const api::Pod* pod : pods) {
    if (PodInOrdinalRange(*pod, set)) {
      replicas[static_cast<size_t>(Ordinal(*pod) - start)] = pod;
    } else if (Ordinal(*pod) >= 0) {
      condemned.push_back(pod);
    }
  }
  for (size_t i = 0; i < replicas.size(); ++i) {
    if (replicas[i] == nullptr) {
      fresh.push_back(NewVersionedStatefulSetPod(current_set, update_set, current_revision,
                                                 update_revision, start + static_cast<int>(i)));
      replicas[i] = &fresh.back();
    }
  }
  std::sort(condemned.begin(), condemned.end(),
            [](const api::Pod* a, const api::Pod* b) { return Ordinal(*a) > Ordinal(*b); });

  const api::Pod* first_unhealthy = nullptr;
  for (const api::Pod* p : replicas) {
    if (!IsHealthy(*p) && first_unhealthy == nullptr) first_unhealthy = p;
  }
  // Condemned pods from the lowest ordinal up (upstream's order for the first unhealthy one).
  // (reverse iterators: clang's view of GCC 12's <ranges> cannot reverse a vector)
  std::for_each(condemned.rbegin(), condemned.rend(), [&](const api::Pod* p) {
    if (!IsHealthy(*p) && first_unhealthy == nullptr) first_unhealthy = p;
  });

  auto count = [&] {
    std::vector<const api::Pod*> all = replicas;
    all.insert(all.end(), condemned.begin(), condemned.end());
    CountReplicas(status, all, min_ready, current_revision, update_revision, now);
  };
  count();
  if (!set.metadata.deletionTimestamp.empty()) return plan;

  const bool monotonic = set.spec.podManagementPolicy != kParallel;
  auto act = [&](ActionType type, const api::Pod& pod) { plan.actions.push_back({type, pod}); };

  // 1. Every replica slot: replace failed pods, create missing ones, wait for predecessors.
  for (const api::Pod* pod : replicas) {
    if (IsFailed(*pod) || IsSucceeded(*pod)) {
      if (!IsTerminating(*pod)) act(ActionType::kDeletePod, *pod);
      // The replacement comes on the sync after the pod is gone.
      if (monotonic) {
        plan.waiting = true;
        return plan;
      }
      continue;
    }
    if (!IsCreated(*pod)) {
      if (PodClaimIsStale(set, *pod, claims)) {
        plan.waiting = true;
        if (monotonic) return plan;
        continue;
      }
      act(ActionType::kCreatePod, *pod);
      if (monotonic) return plan;
      continue;
    }
    if (IsPending(*pod)) act(ActionType::kCreateMissingClaims, *pod);
    if (IsTerminating(*pod) && monotonic) {
      plan.waiting = true;
      return plan;
    }
    if (!IsRunningAndAvailable(*pod, min_ready, now) && monotonic) {
      plan.waiting = true;
      return plan;
    }
    if (IdentityMatches(set, *pod) && StorageMatches(set, *pod) &&
        ClaimsMatchRetentionPolicy(update_set, *pod, claims)) {
      continue;
    }
    act(ActionType::kUpdatePod, *pod);
  }

  // 2. Condemned pods' claims get the owners the retention policy asks for.
  for (const api::Pod* pod : condemned) {
    if (!ClaimsMatchRetentionPolicy(update_set, *pod, claims)) {
      act(ActionType::kUpdateClaims, *pod);
    }
  }

  // 3. Scale down, highest ordinal first; in monotonic mode one at a time and only once every
  //    other pod is healthy.
  for (const api::Pod* pod : condemned) {
    if (IsTerminating(*pod)) {
      if (monotonic) {
        plan.waiting = true;
        return plan;
      }
      continue;
    }
    if (monotonic && pod != first_unhealthy &&
        (!IsRunningAndReady(*pod) || !IsRunningAndAvailable(*pod, min_ready, now))) {
      plan.waiting = true;
      return plan;
    }
    act(ActionType::kDeletePod, *pod);
    if (monotonic) return plan;
  }

  // 4. Rolling update: delete the highest pod not at the update revision, down to the
  //    partition, one at a time, each waiting for the ones above it to be healthy.
  const auto& strategy = set.spec.updateStrategy;
  if (strategy && strategy->type == kOnDelete) return plan;
  int update_min = 0;
  if (strategy && strategy->rollingUpdate) {
    update_min = strategy->rollingUpdate->partition.value_or(0);
  }
  for (int target = static_cast<int>(replicas.size()) - 1; target >= update_min; --target) {
    const api::Pod& pod = *replicas[static_cast<size_t>(target)];
    if (PodRevision(pod) != update_revision && !IsTerminating(pod)) {
      act(ActionType::kDeletePod, pod);
      status.currentReplicas = status.currentReplicas.value_or(0) - 1;
      return plan;
    }
    if (!IsHealthy(pod)) {
      plan.waiting = true;
      return plan;
    }
  }
  return plan;
}

std::vector<std::string> RevisionsToTruncate(const api::StatefulSet& set,
                                             const std::vector<std::string>& sorted_revisions,
                                             const std::vector<const api::Pod*>& pods,
                                             const std::string& current_revision,
                                             const std::string& update_revision) {
  std::set<std::string> live = {current_revision, update_revision};
  for (const api::Pod* p : pods) live.insert(PodRevision(*p));
  std::vector<std::string> history;
  for (const auto& name : sorted_revisions) {
    if (!live.contains(name)) history.push_back(name);
  }
  const auto limit = static_cast<size_t>(std::max(set.spec.revisionHistoryLimit.value_or(10), 0));
  if (history.size() <= limit) return {};
  history.resize(history.size() - limit);
  return history;
}

}  // namespace kubepp::controller::statefulset
