#include "controller/disruption/disruption_logic.h"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <cmath>
#include <set>

#include "controller/replicaset/replicaset_logic.h"

namespace kubepp::controller::disruption {

namespace {

// The group of an apiVersion ("apps/v1" -> "apps", "v1" -> "").
std::string GroupOf(const std::string& api_version) {
  auto slash = api_version.find('/');
  return slash == std::string::npos ? "" : api_version.substr(0, slash);
}

// Upstream's verifyGroupKind.
bool IsGroupKind(const api::OwnerReference& ref, std::string_view kind,
                 std::initializer_list<std::string_view> groups) {
  if (ref.kind != kind) return false;
  const std::string group = GroupOf(ref.apiVersion);
  return std::find(groups.begin(), groups.end(), group) != groups.end();
}

std::optional<ControllerScale> FromRc(const api::OwnerReference& ref, const std::string& ns,
                                      const Workloads& w) {
  if (!IsGroupKind(ref, "ReplicationController", {""}) || !w.replication_controller) {
    return std::nullopt;
  }
  auto rc = w.replication_controller(ns, ref.name);
  if (!rc || rc->metadata.uid != ref.uid) return std::nullopt;
  return ControllerScale{rc->metadata.uid, rc->spec.replicas.value_or(1)};
}

// The ReplicaSet `ref` points at (uid checked), or nullptr.
std::shared_ptr<const api::ReplicaSet> ReplicaSetOf(const api::OwnerReference& ref,
                                                    const std::string& ns, const Workloads& w) {
  if (!IsGroupKind(ref, "ReplicaSet", {"apps", "extensions"}) || !w.replica_set) return nullptr;
  auto rs = w.replica_set(ns, ref.name);
  if (!rs || rs->metadata.uid != ref.uid) return nullptr;
  return rs;
}

std::optional<ControllerScale> FromDeployment(const api::OwnerReference& ref, const std::string& ns,
                                              const Workloads& w) {
  auto rs = ReplicaSetOf(ref, ns, w);
  if (!rs) return std::nullopt;
  const auto* owner = replicaset::GetControllerOf(rs->metadata);
  if (owner == nullptr || !IsGroupKind(*owner, "Deployment", {"apps", "extensions"}) ||
      !w.deployment) {
    return std::nullopt;
  }
  auto d = w.deployment(ns, owner->name);
  if (!d || d->metadata.uid != owner->uid) return std::nullopt;
  return ControllerScale{d->metadata.uid, d->spec.replicas.value_or(1)};
}

std::optional<ControllerScale> FromReplicaSet(const api::OwnerReference& ref, const std::string& ns,
                                              const Workloads& w) {
  auto rs = ReplicaSetOf(ref, ns, w);
  if (!rs) return std::nullopt;
  const auto* owner = replicaset::GetControllerOf(rs->metadata);
  if (owner != nullptr && owner->kind == "Deployment") return std::nullopt;
  return ControllerScale{rs->metadata.uid, rs->spec.replicas.value_or(1)};
}

std::optional<ControllerScale> FromStatefulSet(const api::OwnerReference& ref,
                                               const std::string& ns, const Workloads& w) {
  if (!IsGroupKind(ref, "StatefulSet", {"apps"}) || !w.stateful_set) return std::nullopt;
  auto ss = w.stateful_set(ns, ref.name);
  if (!ss || ss->metadata.uid != ref.uid) return std::nullopt;
  return ControllerScale{ss->metadata.uid, ss->spec.replicas.value_or(1)};
}

// Upstream's getExpectedScale: the sum of the scales of the pods' controllers (each once).
Result<int32_t> ExpectedScale(const std::vector<const api::Pod*>& pods, const Workloads& w,
                              std::vector<std::string>* unmanaged) {
  std::map<std::string, int32_t> scales;  // controller uid -> scale
  for (const api::Pod* pod : pods) {
    const auto* ref = replicaset::GetControllerOf(pod->metadata);
    if (ref == nullptr) {
      unmanaged->push_back(pod->metadata.name);
      continue;
    }
    if (scales.contains(ref->uid)) continue;
    auto found = FindControllerScale(*ref, pod->metadata.namespace_, w);
    if (!found) {
      return Status::Internal("found no controllers for pod \"" + pod->metadata.name + "\"");
    }
    scales[found->uid] = found->scale;
  }
  int32_t total = 0;
  for (const auto& [uid, scale] : scales) total += scale;
  return total;
}

api::Condition AllowedCondition(const api::PodDisruptionBudgetStatus& status) {
  api::Condition c;
  c.type = kDisruptionAllowedCondition;
  c.observedGeneration = status.observedGeneration.value_or(0);
  if (status.disruptionsAllowed > 0) {
    c.status = "True";
    c.reason = kSufficientPodsReason;
  } else {
    c.status = "False";
    c.reason = kInsufficientPodsReason;
  }
  return c;
}

// Upstream's pdbhelper.ConditionsAreUpToDate.
bool ConditionsAreUpToDate(const api::PodDisruptionBudget& pdb) {
  const api::Condition* cond = nullptr;
  for (const auto& c : pdb.status.conditions) {
    if (c.type == kDisruptionAllowedCondition) cond = &c;
  }
  if (cond == nullptr) return false;
  if (pdb.status.observedGeneration.value_or(0) != pdb.metadata.generation.value_or(0)) {
    return false;
  }
  if (pdb.status.disruptionsAllowed > 0) {
    return cond->status == "True" && cond->reason == kSufficientPodsReason;
  }
  return cond->status == "False" && cond->reason == kInsufficientPodsReason;
}

}  // namespace

Result<int> ScaledValue(const api::IntOrString& value, int total, bool round_up) {
  if (!value.is_string) return static_cast<int>(value.int_value);
  const std::string& s = value.str_value;
  if (!s.ends_with('%')) {
    return Status::BadRequest(
        "invalid value for IntOrString: invalid type: string is not a percentage");
  }
  std::string_view digits(s.data(), s.size() - 1);
  int pct = 0;
  auto [ptr, ec] = std::from_chars(digits.data() + (digits.starts_with('+') ? 1 : 0),
                                   digits.data() + digits.size(), pct);
  if (ec != std::errc() || ptr != digits.data() + digits.size() || digits.empty() ||
      digits == "+") {
    return Status::BadRequest("invalid value for IntOrString: invalid value \"" + s +
                              "\": strconv.Atoi: parsing \"" + std::string(digits) +
                              "\": invalid syntax");
  }
  const double scaled = static_cast<double>(pct) * static_cast<double>(total) / 100.0;
  return static_cast<int>(round_up ? std::ceil(scaled) : std::floor(scaled));
}

Result<std::optional<api::Selector>> PdbSelector(const api::PodDisruptionBudget& pdb) {
  if (!pdb.spec.selector) return std::optional<api::Selector>();
  auto sel = api::Selector::FromLabelSelector(*pdb.spec.selector);
  if (!sel.IsOk()) return sel.status();
  return std::optional<api::Selector>(std::move(*sel));
}

std::optional<ControllerScale> FindControllerScale(const api::OwnerReference& ref,
                                                   const std::string& ns, const Workloads& w) {
  if (auto s = FromRc(ref, ns, w)) return s;
  if (auto s = FromDeployment(ref, ns, w)) return s;
  if (auto s = FromReplicaSet(ref, ns, w)) return s;
  if (auto s = FromStatefulSet(ref, ns, w)) return s;
  return std::nullopt;
}

Result<ExpectedCount> GetExpectedPodCount(const api::PodDisruptionBudget& pdb,
                                          const std::vector<const api::Pod*>& pods,
                                          const Workloads& w) {
  ExpectedCount out;
  if (pdb.spec.maxUnavailable) {
    auto expected = ExpectedScale(pods, w, &out.unmanaged);
    if (!expected.IsOk()) return expected.status();
    out.expected = *expected;
    auto max_unavailable = ScaledValue(*pdb.spec.maxUnavailable, out.expected, true);
    if (!max_unavailable.IsOk()) return max_unavailable.status();
    out.desired_healthy = std::max<int32_t>(0, out.expected - *max_unavailable);
  } else if (pdb.spec.minAvailable) {
    if (!pdb.spec.minAvailable->is_string) {
      out.desired_healthy = pdb.spec.minAvailable->int_value;
      out.expected = static_cast<int32_t>(pods.size());
    } else {
      auto expected = ExpectedScale(pods, w, &out.unmanaged);
      if (!expected.IsOk()) return expected.status();
      out.expected = *expected;
      auto min_available = ScaledValue(*pdb.spec.minAvailable, out.expected, true);
      if (!min_available.IsOk()) return min_available.status();
      out.desired_healthy = *min_available;
    }
  }
  return out;
}

std::map<std::string, std::string> BuildDisruptedPodMap(const api::PodDisruptionBudget& pdb,
                                                        const std::vector<const api::Pod*>& pods,
                                                        Clock::WallTime now,
                                                        std::optional<Clock::WallTime>* recheck,
                                                        std::vector<const api::Pod*>* expired) {
  std::map<std::string, std::string> result;
  const auto& disrupted = pdb.status.disruptedPods;
  if (disrupted.empty()) return result;
  for (const api::Pod* pod : pods) {
    if (!pod->metadata.deletionTimestamp.empty()) continue;  // already being deleted
    auto it = disrupted.find(pod->metadata.name);
    if (it == disrupted.end()) continue;
    auto when = replicaset::ParseTime(it->second);
    if (!when) continue;  // not a time: nothing to wait for
    const auto expected_deletion = *when + kDeletionTimeout;
    if (expected_deletion < now) {
      if (expired != nullptr) expired->push_back(pod);
      continue;
    }
    if (recheck != nullptr && (!*recheck || expected_deletion < **recheck)) {
      *recheck = expected_deletion;
    }
    result[pod->metadata.name] = it->second;
  }
  return result;
}

int32_t CountHealthyPods(const std::vector<const api::Pod*>& pods,
                         const std::map<std::string, std::string>& disrupted, Clock::WallTime now) {
  int32_t healthy = 0;
  for (const api::Pod* pod : pods) {
    if (!pod->metadata.deletionTimestamp.empty()) continue;
    auto it = disrupted.find(pod->metadata.name);
    if (it != disrupted.end()) {
      auto when = replicaset::ParseTime(it->second);
      if (when && *when + kDeletionTimeout > now) continue;  // expected to go soon
    }
    if (replicaset::IsPodReady(*pod)) ++healthy;
  }
  return healthy;
}

void SetStatusCondition(std::vector<api::Condition>& conditions, api::Condition cond,
                        Clock::WallTime now) {
  for (auto& c : conditions) {
    if (c.type != cond.type) continue;
    if (c.status != cond.status) {
      c.status = cond.status;
      c.lastTransitionTime =
          cond.lastTransitionTime.empty() ? FormatRfc3339(now) : cond.lastTransitionTime;
    }
    c.reason = cond.reason;
    c.message = cond.message;
    c.observedGeneration = cond.observedGeneration;
    return;
  }
  if (cond.lastTransitionTime.empty()) cond.lastTransitionTime = FormatRfc3339(now);
  conditions.push_back(std::move(cond));
}

std::optional<api::PodDisruptionBudgetStatus> NextStatus(
    const api::PodDisruptionBudget& pdb, int32_t current_healthy, int32_t desired_healthy,
    int32_t expected, const std::map<std::string, std::string>& disrupted, Clock::WallTime now) {
  int32_t allowed = current_healthy - desired_healthy;
  if (expected <= 0 || allowed <= 0) allowed = 0;
  const auto& cur = pdb.status;
  const int64_t generation = pdb.metadata.generation.value_or(0);
  if (cur.currentHealthy == current_healthy && cur.desiredHealthy == desired_healthy &&
      cur.expectedPods == expected && cur.disruptionsAllowed == allowed &&
      cur.disruptedPods == disrupted && cur.observedGeneration.value_or(0) == generation &&
      ConditionsAreUpToDate(pdb)) {
    return std::nullopt;
  }
  api::PodDisruptionBudgetStatus next;
  next.currentHealthy = current_healthy;
  next.desiredHealthy = desired_healthy;
  next.expectedPods = expected;
  next.disruptionsAllowed = allowed;
  next.disruptedPods = disrupted;
  next.observedGeneration = generation;
  next.conditions = cur.conditions;
  SetStatusCondition(next.conditions, AllowedCondition(next), now);
  return next;
}

api::PodDisruptionBudgetStatus FailSafeStatus(const api::PodDisruptionBudget& pdb,
                                              const std::string& message, Clock::WallTime now) {
  api::PodDisruptionBudgetStatus next = pdb.status;
  next.disruptionsAllowed = 0;
  api::Condition c;
  c.type = kDisruptionAllowedCondition;
  c.status = "False";
  c.reason = kSyncFailedReason;
  c.message = message;
  c.observedGeneration = next.observedGeneration.value_or(0);
  SetStatusCondition(next.conditions, std::move(c), now);
  return next;
}

std::optional<Clock::Duration> StaleDisruptionWait(const api::Pod& pod, Clock::WallTime now,
                                                   Clock::Duration timeout) {
  if (!pod.metadata.deletionTimestamp.empty()) return std::nullopt;
  if (pod.status.phase == "Succeeded" || pod.status.phase == "Failed") return std::nullopt;
  const api::PodCondition* cond = nullptr;
  for (const auto& c : pod.status.conditions) {
    if (c.type == kDisruptionTargetCondition) cond = &c;
  }
  if (cond == nullptr || cond->status != "True" || cond->reason == kTerminationByKubeletReason) {
    return std::nullopt;
  }
  auto since = replicaset::ParseTime(cond->lastTransitionTime);
  // No time: as upstream's zero time, long past.
  if (!since) return Clock::Duration::zero();
  auto wait = timeout - std::chrono::duration_cast<Clock::Duration>(now - *since);
  return std::max(wait, Clock::Duration::zero());
}

std::string ResetDisruptionTargetApply(const api::Pod& pod, Clock::WallTime now) {
  boost::json::object cond{{"type", kDisruptionTargetCondition},
                           {"status", "False"},
                           {"lastTransitionTime", FormatRfc3339(now)}};
  boost::json::object body{
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata",
       {{"name", pod.metadata.name},
        {"namespace", pod.metadata.namespace_},
        {"resourceVersion", pod.metadata.resourceVersion}}},
      {"status", {{"conditions", boost::json::array{cond}}}},
  };
  return boost::json::serialize(body);
}

}  // namespace kubepp::controller::disruption
