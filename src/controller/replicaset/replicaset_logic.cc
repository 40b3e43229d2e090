#include "controller/replicaset/replicaset_logic.h"

#include <algorithm>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>

namespace kubepp::controller::replicaset {

namespace {

constexpr char kPodSucceeded[] = "Succeeded";
constexpr char kPodFailed[] = "Failed";

// Upstream's podPhaseToOrdinal: Pending < Unknown < Running (others 0).
int PhaseOrdinal(const std::string& phase) {
  if (phase == "Pending") return 0;
  if (phase == "Unknown") return 1;
  if (phase == "Running") return 2;
  return 0;
}

const api::PodCondition* ReadyCondition(const api::Pod& pod) {
  for (const auto& c : pod.status.conditions) {
    if (c.type == "Ready") return &c;
  }
  return nullptr;
}

// The Ready condition's lastTransitionTime when the pod is ready (upstream's podReadyTime).
std::optional<Clock::WallTime> ReadyTime(const api::Pod& pod) {
  const auto* c = ReadyCondition(pod);
  if (c == nullptr || c->status != "True") return std::nullopt;
  return ParseTime(c->lastTransitionTime);
}

// upstream's afterOrZero: a zero time sorts first, then the later one.
bool AfterOrZero(const std::optional<Clock::WallTime>& t1,
                 const std::optional<Clock::WallTime>& t2) {
  if (!t1 || !t2) return !t1;
  return *t1 > *t2;
}

// floor(log2(age in ns)), -1 for a time not in the past (upstream's logarithmicRankDiff).
int64_t LogRank(Clock::WallTime t, Clock::WallTime now) {
  auto d = std::chrono::duration_cast<std::chrono::nanoseconds>(now - t).count();
  if (d <= 0) return -1;
  return static_cast<int64_t>(std::log2(static_cast<double>(d)));
}

int64_t DeletionCost(const api::Pod& pod) {
  auto it = pod.metadata.annotations.find(kPodDeletionCostAnnotation);
  if (it == pod.metadata.annotations.end()) return 0;
  int64_t v = 0;
  char extra = 0;
  // NOLINTNEXTLINE(cert-err34-c): the return value tells a full parse from a partial one
  if (std::sscanf(it->second.c_str(), "%ld%c", &v, &extra) != 1) return 0;
  if (v < INT32_MIN || v > INT32_MAX) return 0;
  return v;
}

// Max restart counts of regular containers and of restartable init containers (sidecars).
std::pair<int32_t, int32_t> MaxContainerRestarts(const api::Pod& pod) {
  int32_t regular = 0;
  int32_t sidecar = 0;
  for (const auto& cs : pod.status.containerStatuses) regular = std::max(regular, cs.restartCount);
  for (const auto& cs : pod.status.initContainerStatuses) {
    for (const auto& c : pod.spec.initContainers) {
      if (c.name == cs.name && c.restartPolicy == "Always") {
        sidecar = std::max(sidecar, cs.restartCount);
      }
    }
  }
  return {regular, sidecar};
}

int32_t Int(const std::optional<int32_t>& v) { return v.value_or(0); }

}  // namespace

std::optional<Clock::WallTime> ParseTime(std::string_view text) {
  if (text.size() < 20) return std::nullopt;
  std::string s(text);
  int y = 0;
  int mo = 0;
  int d = 0;
  int h = 0;
  int mi = 0;
  int sec = 0;
  int n = 0;
  // NOLINTNEXTLINE(cert-err34-c): the count of converted fields is checked
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%*1[Tt]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) !=
          6 ||
      n != 19) {
    return std::nullopt;
  }
  std::chrono::year_month_day ymd{std::chrono::year(y),
                                  std::chrono::month(static_cast<unsigned>(mo)),
                                  std::chrono::day(static_cast<unsigned>(d))};
  if (!ymd.ok() || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  auto t = std::chrono::sys_days(ymd) + std::chrono::hours(h) + std::chrono::minutes(mi) +
           std::chrono::seconds(sec);
  Clock::WallTime out = std::chrono::time_point_cast<Clock::WallTime::duration>(t);
  size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int64_t frac = 0;
    int digits = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (digits < 9) {
        frac = frac * 10 + (s[i] - '0');
        ++digits;
      }
      ++i;
    }
    if (digits == 0) return std::nullopt;
    for (int k = digits; k < 9; ++k) frac *= 10;
    out += std::chrono::duration_cast<Clock::WallTime::duration>(std::chrono::nanoseconds(frac));
  }
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z') && i + 1 == s.size()) return out;
  if (i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
    int oh = 0;
    int om = 0;
    // NOLINTNEXTLINE(cert-err34-c): the count of converted fields is checked
    if (std::sscanf(s.c_str() + i + 1, "%2d:%2d", &oh, &om) != 2) return std::nullopt;
    auto offset = std::chrono::hours(oh) + std::chrono::minutes(om);
    return s[i] == '+' ? out - offset : out + offset;
  }
  return std::nullopt;
}

bool IsPodActive(const api::Pod& pod) {
  return pod.status.phase != kPodSucceeded && pod.status.phase != kPodFailed &&
         pod.metadata.deletionTimestamp.empty();
}

bool IsPodReady(const api::Pod& pod) {
  const auto* c = ReadyCondition(pod);
  return c != nullptr && c->status == "True";
}

bool IsPodAvailable(const api::Pod& pod, int32_t min_ready_seconds, Clock::WallTime now) {
  if (!IsPodReady(pod)) return false;
  if (min_ready_seconds == 0) return true;
  auto since = ParseTime(ReadyCondition(pod)->lastTransitionTime);
  return since && *since + std::chrono::seconds(min_ready_seconds) < now;
}

const api::OwnerReference* GetControllerOf(const api::ObjectMeta& meta) {
  for (const auto& ref : meta.ownerReferences) {
    if (ref.controller.value_or(false)) return &ref;
  }
  return nullptr;
}

api::OwnerReference ControllerRefFor(const api::ReplicaSet& rs) {
  api::OwnerReference ref;
  ref.apiVersion = "apps/v1";
  ref.kind = "ReplicaSet";
  ref.name = rs.metadata.name;
  ref.uid = rs.metadata.uid;
  ref.controller = true;
  ref.blockOwnerDeletion = true;
  return ref;
}

api::Pod PodFromTemplate(const api::ReplicaSet& rs) {
  api::Pod pod;
  pod.metadata.labels = rs.spec.template_.metadata.labels;
  pod.metadata.annotations = rs.spec.template_.metadata.annotations;
  pod.metadata.finalizers = rs.spec.template_.metadata.finalizers;
  pod.metadata.generateName = rs.metadata.name + "-";
  pod.metadata.namespace_ = rs.metadata.namespace_;
  pod.metadata.ownerReferences.push_back(ControllerRefFor(rs));
  pod.spec = rs.spec.template_.spec;
  return pod;
}

std::string KeyOf(const api::ObjectMeta& meta) {
  if (meta.namespace_.empty()) return meta.name;
  return meta.namespace_ + "/" + meta.name;
}

ClaimAction DecideClaim(const api::ReplicaSet& rs, const api::Selector& selector,
                        const api::Pod& pod) {
  const bool rs_deleting = !rs.metadata.deletionTimestamp.empty();
  const bool matches = selector.Matches(pod.metadata.labels);
  if (const auto* ref = GetControllerOf(pod.metadata); ref != nullptr) {
    if (ref->uid != rs.metadata.uid) return ClaimAction::kIgnore;
    if (matches) return ClaimAction::kKeep;
    if (rs_deleting) return ClaimAction::kIgnore;
    return ClaimAction::kRelease;
  }
  if (rs_deleting || !matches) return ClaimAction::kIgnore;
  if (!pod.metadata.deletionTimestamp.empty()) return ClaimAction::kIgnore;
  if (!rs.metadata.namespace_.empty() && rs.metadata.namespace_ != pod.metadata.namespace_) {
    return ClaimAction::kIgnore;
  }
  return ClaimAction::kAdopt;
}

std::string AdoptPatch(const api::OwnerReference& ref, std::string_view dependent_uid) {
  boost::json::object r;
  r["apiVersion"] = ref.apiVersion;
  r["kind"] = ref.kind;
  r["name"] = ref.name;
  r["uid"] = ref.uid;
  r["controller"] = true;
  r["blockOwnerDeletion"] = true;
  boost::json::array refs;
  refs.emplace_back(std::move(r));
  boost::json::object meta;
  meta["ownerReferences"] = std::move(refs);
  meta["uid"] = dependent_uid;
  boost::json::object patch;
  patch["metadata"] = std::move(meta);
  return boost::json::serialize(patch);
}

std::string ReleasePatch(std::string_view owner_uid, std::string_view dependent_uid) {
  boost::json::object r;
  r["$patch"] = "delete";
  r["uid"] = owner_uid;
  boost::json::array refs;
  refs.emplace_back(std::move(r));
  boost::json::object meta;
  meta["ownerReferences"] = std::move(refs);
  meta["uid"] = dependent_uid;
  boost::json::object patch;
  patch["metadata"] = std::move(meta);
  return boost::json::serialize(patch);
}

std::string AdoptPatch(const api::ReplicaSet& rs, const api::Pod& pod) {
  return AdoptPatch(ControllerRefFor(rs), pod.metadata.uid);
}

std::string ReleasePatch(const api::ReplicaSet& rs, const api::Pod& pod) {
  return ReleasePatch(rs.metadata.uid, pod.metadata.uid);
}

std::vector<int> SlowStartBatches(int count, int initial_batch_size) {
  std::vector<int> out;
  int remaining = count;
  for (int batch = std::min(remaining, initial_batch_size); batch > 0;
       batch = std::min(2 * batch, remaining)) {
    out.push_back(batch);
    remaining -= batch;
  }
  return out;
}

bool PodDeletedBefore(const api::Pod& a, int rank_a, const api::Pod& b, int rank_b,
                      Clock::WallTime now) {
  // 1. Unassigned < assigned.
  const auto& na = a.spec.nodeName;
  const auto& nb = b.spec.nodeName;
  if (na != nb && (na.empty() || nb.empty())) return na.empty();
  // 2. Pending < Unknown < Running.
  int pa = PhaseOrdinal(a.status.phase);
  int pb = PhaseOrdinal(b.status.phase);
  if (pa != pb) return pa < pb;
  // 3. Not ready < ready.
  bool ra = IsPodReady(a);
  bool rb = IsPodReady(b);
  if (ra != rb) return !ra;
  // 4. Lower pod-deletion-cost < higher.
  int64_t ca = DeletionCost(a);
  int64_t cb = DeletionCost(b);
  if (ca != cb) return ca < cb;
  // 5. Doubled up (more related pods on the node) < not doubled up.
  if (rank_a != rank_b) return rank_a > rank_b;
  // 6. Ready for less time < more time (logarithmic buckets).
  if (ra && rb) {
    auto ta = ReadyTime(a);
    auto tb = ReadyTime(b);
    if (ta != tb) {
      if (!ta || !tb) return AfterOrZero(ta, tb);
      int64_t diff = LogRank(*ta, now) - LogRank(*tb, now);
      if (diff == 0) return a.metadata.uid < b.metadata.uid;
      return diff < 0;
    }
  }
  // 7. More container restarts < fewer.
  auto [rega, sidea] = MaxContainerRestarts(a);
  auto [regb, sideb] = MaxContainerRestarts(b);
  if (rega != regb) return rega > regb;
  if (sidea != sideb) return sidea > sideb;
  // 8. Empty creation time < newer < older (logarithmic buckets).
  auto cta = ParseTime(a.metadata.creationTimestamp);
  auto ctb = ParseTime(b.metadata.creationTimestamp);
  if (cta != ctb) {
    if (!cta || !ctb) return AfterOrZero(cta, ctb);
    int64_t diff = LogRank(*cta, now) - LogRank(*ctb, now);
    if (diff == 0) return a.metadata.uid < b.metadata.uid;
    return diff < 0;
  }
  return false;
}

std::vector<const api::Pod*> PodsToDelete(const std::vector<const api::Pod*>& pods,
                                          const std::vector<const api::Pod*>& related, int diff,
                                          Clock::WallTime now) {
  std::vector<const api::Pod*> out = pods;
  if (diff < static_cast<int>(pods.size())) {
    std::map<std::string, int> on_node;
    for (const auto* p : related) {
      if (IsPodActive(*p)) ++on_node[p->spec.nodeName];
    }
    std::vector<std::pair<const api::Pod*, int>> ranked;
    ranked.reserve(pods.size());
    for (const auto* p : pods) ranked.emplace_back(p, on_node[p->spec.nodeName]);
    std::stable_sort(ranked.begin(), ranked.end(), [now](const auto& x, const auto& y) {
      return PodDeletedBefore(*x.first, x.second, *y.first, y.second, now);
    });
    out.clear();
    for (int i = 0; i < diff; ++i) out.push_back(ranked[static_cast<size_t>(i)].first);
  }
  if (static_cast<int>(out.size()) > diff) out.resize(static_cast<size_t>(std::max(diff, 0)));
  return out;
}

api::ReplicaSetStatus CalculateStatus(const api::ReplicaSet& rs,
                                      const std::vector<const api::Pod*>& pods,
                                      const std::string& manage_error, Clock::WallTime now) {
  api::ReplicaSetStatus status = rs.status;
  int32_t fully_labeled = 0;
  int32_t ready = 0;
  int32_t available = 0;
  const auto& template_labels = rs.spec.template_.metadata.labels;
  const int32_t min_ready = rs.spec.minReadySeconds.value_or(0);
  for (const auto* pod : pods) {
    bool all = std::all_of(template_labels.begin(), template_labels.end(), [&](const auto& kv) {
      auto it = pod->metadata.labels.find(kv.first);
      return it != pod->metadata.labels.end() && it->second == kv.second;
    });
    if (all) ++fully_labeled;
    if (IsPodReady(*pod)) {
      ++ready;
      if (IsPodAvailable(*pod, min_ready, now)) ++available;
    }
  }
  auto failure = std::find_if(status.conditions.begin(), status.conditions.end(),
                              [](const auto& c) { return c.type == kReplicaFailure; });
  if (!manage_error.empty() && failure == status.conditions.end()) {
    api::ReplicaSetCondition cond;
    cond.type = kReplicaFailure;
    cond.status = "True";
    int diff = static_cast<int>(pods.size()) - rs.spec.replicas.value_or(1);
    if (diff < 0) cond.reason = "FailedCreate";
    if (diff > 0) cond.reason = "FailedDelete";
    cond.message = manage_error;
    cond.lastTransitionTime = FormatRfc3339(now);
    status.conditions.push_back(std::move(cond));
  } else if (manage_error.empty() && failure != status.conditions.end()) {
    status.conditions.erase(failure);
  }
  status.replicas = static_cast<int32_t>(pods.size());
  status.fullyLabeledReplicas = fully_labeled;
  status.readyReplicas = ready;
  status.availableReplicas = available;
  return status;
}

bool StatusNeedsUpdate(const api::ReplicaSet& rs, const api::ReplicaSetStatus& status) {
  const auto& cur = rs.status;
  return !(cur.replicas == status.replicas &&
           Int(cur.fullyLabeledReplicas) == Int(status.fullyLabeledReplicas) &&
           Int(cur.readyReplicas) == Int(status.readyReplicas) &&
           Int(cur.availableReplicas) == Int(status.availableReplicas) &&
           rs.metadata.generation.value_or(0) == cur.observedGeneration.value_or(0) &&
           cur.conditions == status.conditions);
}

}  // namespace kubepp::controller::replicaset
