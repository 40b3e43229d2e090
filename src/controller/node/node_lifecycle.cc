#include "controller/node/node_lifecycle.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "base/rfc3339.h"

namespace kubepp::controller::node {

const api::NodeCondition* FindCondition(const api::Node& node, const std::string& type) {
  for (const auto& c : node.status.conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

HealthDecision NodeHealthTracker::Observe(const api::Node& node, const api::Lease* lease,
                                          Clock::TimePoint now, Clock::WallTime wall_now) {
  HealthDecision out;
  out.node = node;
  const api::NodeCondition* observed = FindCondition(node, "Ready");
  auto [it, inserted] = health_.try_emplace(node.metadata.name);
  NodeHealth& h = it->second;
  if (inserted) {
    // First sight: the heartbeat counts as now (our clock), as upstream's first observation.
    h.probe_timestamp = now;
    h.ready_transition_timestamp = now;
    if (observed != nullptr) h.ready = *observed;
  } else if (observed != nullptr) {
    if (!h.ready.has_value()) {
      h.probe_timestamp = now;
      h.ready_transition_timestamp = now;
    } else {
      if (h.ready->lastHeartbeatTime != observed->lastHeartbeatTime) h.probe_timestamp = now;
      if (h.ready->status != observed->status) h.ready_transition_timestamp = now;
    }
    h.ready = *observed;
  }
  if (lease != nullptr && !lease->spec.renewTime.empty() &&
      lease->spec.renewTime != h.lease_renew_time) {
    if (!h.lease_renew_time.empty() || !inserted) h.probe_timestamp = now;
    h.lease_renew_time = lease->spec.renewTime;
  }
  Clock::Duration grace = observed == nullptr ? startup_grace_period_ : grace_period_;
  out.ready_status = observed != nullptr ? observed->status : "";
  if (now <= h.probe_timestamp + grace) return out;

  std::string now_text = FormatRfc3339(wall_now);
  auto& conds = out.node.status.conditions;
  if (observed == nullptr) {
    api::NodeCondition c;
    c.type = "Ready";
    c.status = "Unknown";
    c.reason = kReasonNodeStatusNeverUpdated;
    c.message = kMessageNodeStatusNeverUpdated;
    c.lastHeartbeatTime = node.metadata.creationTimestamp;
    c.lastTransitionTime = now_text;
    conds.push_back(c);
    out.update_status = true;
  }
  for (auto& c : conds) {
    if (c.type != "Ready" && c.type != "MemoryPressure" && c.type != "DiskPressure" &&
        c.type != "PIDPressure") {
      continue;
    }
    if (c.status == "Unknown") continue;
    c.status = "Unknown";
    c.reason = kReasonNodeStatusUnknown;
    c.message = kMessageNodeStatusUnknown;
    c.lastTransitionTime = now_text;
    out.update_status = true;
  }
  out.ready_status = "Unknown";
  return out;
}

void NodeHealthTracker::Written(const api::Node& node) {
  auto it = health_.find(node.metadata.name);
  if (it == health_.end()) return;
  if (const auto* ready = FindCondition(node, "Ready")) it->second.ready = *ready;
}

const NodeHealth* NodeHealthTracker::Get(const std::string& name) const {
  auto it = health_.find(name);
  return it == health_.end() ? nullptr : &it->second;
}

namespace {

bool Managed(const api::Taint& t) {
  if (t.effect == kEffectNoExecute) {
    return t.key == kTaintUnreachable || t.key == kTaintNotReady;
  }
  if (t.effect == kEffectNoSchedule) {
    return t.key == kTaintUnreachable || t.key == kTaintNotReady || t.key == kTaintMemoryPressure ||
           t.key == kTaintDiskPressure || t.key == kTaintPidPressure ||
           t.key == kTaintNetworkUnavailable || t.key == kTaintUnschedulable;
  }
  return false;
}

std::string ConditionStatus(const api::Node& node, const std::string& type) {
  const auto* c = FindCondition(node, type);
  return c == nullptr ? "" : c->status;
}

}  // namespace

std::vector<api::Taint> DesiredTaints(const api::Node& node, Clock::WallTime wall_now) {
  std::vector<std::pair<std::string, std::string>> want;  // key, effect
  std::string ready = ConditionStatus(node, "Ready");
  if (ready == "False") {
    want.emplace_back(kTaintNotReady, kEffectNoExecute);
    want.emplace_back(kTaintNotReady, kEffectNoSchedule);
  } else if (ready == "Unknown") {
    want.emplace_back(kTaintUnreachable, kEffectNoExecute);
    want.emplace_back(kTaintUnreachable, kEffectNoSchedule);
  }
  if (ConditionStatus(node, "MemoryPressure") == "True") {
    want.emplace_back(kTaintMemoryPressure, kEffectNoSchedule);
  }
  if (ConditionStatus(node, "DiskPressure") == "True") {
    want.emplace_back(kTaintDiskPressure, kEffectNoSchedule);
  }
  if (ConditionStatus(node, "PIDPressure") == "True") {
    want.emplace_back(kTaintPidPressure, kEffectNoSchedule);
  }
  if (ConditionStatus(node, "NetworkUnavailable") == "True") {
    want.emplace_back(kTaintNetworkUnavailable, kEffectNoSchedule);
  }
  if (node.spec.unschedulable.value_or(false)) {
    want.emplace_back(kTaintUnschedulable, kEffectNoSchedule);
  }
  std::vector<api::Taint> out;
  for (const auto& t : node.spec.taints) {
    if (!Managed(t)) {
      out.push_back(t);
      continue;
    }
    auto w = std::find(want.begin(), want.end(), std::make_pair(t.key, t.effect));
    if (w != want.end()) {
      out.push_back(t);
      want.erase(w);
    }
  }
  std::string now_text = FormatRfc3339(wall_now);
  for (const auto& [key, effect] : want) {
    api::Taint t;
    t.key = key;
    t.effect = effect;
    if (effect == kEffectNoExecute) t.timeAdded = now_text;
    out.push_back(std::move(t));
  }
  return out;
}

bool SameTaints(const std::vector<api::Taint>& a, const std::vector<api::Taint>& b) {
  using Key = std::tuple<std::string, std::string, std::string>;
  std::multiset<Key> sa;
  std::multiset<Key> sb;
  for (const auto& t : a) sa.emplace(t.key, t.value, t.effect);
  for (const auto& t : b) sb.emplace(t.key, t.value, t.effect);
  return sa == sb;
}

bool ToleratesTaint(const api::Toleration& toleration, const api::Taint& taint) {
  if (!toleration.effect.empty() && toleration.effect != taint.effect) return false;
  if (!toleration.key.empty() && toleration.key != taint.key) return false;
  if (toleration.operator_ == "Exists") return true;
  if (toleration.operator_.empty() || toleration.operator_ == "Equal") {
    // An empty key with Equal matches nothing but the empty key (validation forbids it).
    if (toleration.key.empty()) return false;
    return toleration.value == taint.value;
  }
  return false;
}

EvictionDecision DecideEviction(const std::vector<api::Toleration>& tolerations,
                                const std::vector<api::Taint>& no_execute_taints,
                                Clock::WallTime wall_now, Clock::WallTime first_seen) {
  EvictionDecision out;
  for (const auto& taint : no_execute_taints) {
    bool tolerated = false;
    bool forever = false;
    std::optional<int64_t> min_seconds;
    for (const auto& tol : tolerations) {
      if (!ToleratesTaint(tol, taint)) continue;
      tolerated = true;
      if (!tol.tolerationSeconds.has_value()) {
        forever = true;
        continue;
      }
      if (!min_seconds.has_value() || *tol.tolerationSeconds < *min_seconds) {
        min_seconds = tol.tolerationSeconds;
      }
    }
    if (!tolerated) {
      out.evict_now = true;
      out.at.reset();
      return out;
    }
    // Upstream takes the smallest tolerationSeconds among the matching tolerations; only
    // when none sets one is the taint tolerated forever.
    if (!min_seconds.has_value()) {
      (void)forever;
      continue;
    }
    Clock::WallTime added = first_seen;
    if (auto parsed = ParseRfc3339(taint.timeAdded)) added = *parsed;
    Clock::WallTime at = added + std::chrono::seconds(std::max<int64_t>(0, *min_seconds));
    if (!out.at.has_value() || at < *out.at) out.at = at;
  }
  if (out.at.has_value() && *out.at <= wall_now) out.evict_now = true;
  return out;
}

std::vector<api::Taint> NoExecuteTaints(const api::Node& node) {
  std::vector<api::Taint> out;
  for (const auto& t : node.spec.taints) {
    if (t.effect == kEffectNoExecute) out.push_back(t);
  }
  return out;
}

bool MarkPodNotReady(api::Pod& pod, Clock::WallTime wall_now) {
  for (auto& c : pod.status.conditions) {
    if (c.type != "Ready") continue;
    if (c.status == "False") return false;
    c.status = "False";
    c.lastTransitionTime = FormatRfc3339(wall_now);
    return true;
  }
  return false;
}

}  // namespace kubepp::controller::node
