#include "controller/deployment/deployment_util.h"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cmath>

#include "api/codec.h"
#include "controller/replicaset/replicaset_logic.h"

namespace kubepp::controller::deployment {

namespace {

std::optional<int64_t> ParseInt(std::string_view s) {
  int64_t v = 0;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc() || p != end || s.empty()) return std::nullopt;
  return v;
}

std::optional<int32_t> IntAnnotation(const api::ReplicaSet& rs, const char* key) {
  auto it = rs.metadata.annotations.find(key);
  if (it == rs.metadata.annotations.end()) return std::nullopt;
  auto v = ParseInt(it->second);
  if (!v || *v < INT32_MIN || *v > INT32_MAX) return std::nullopt;
  return static_cast<int32_t>(*v);
}

// Annotations a ReplicaSet does not inherit from its Deployment (upstream's skipCopyAnnotation).
bool SkipCopyAnnotation(const std::string& key) {
  return key == "kubectl.kubernetes.io/last-applied-configuration" || key == kRevisionAnnotation ||
         key == kRevisionHistoryAnnotation || key == kDesiredReplicasAnnotation ||
         key == kMaxReplicasAnnotation || key == "deprecated.deployment.rollback.to";
}

std::optional<int32_t> Opt(int32_t v) {
  if (v == 0) return std::nullopt;
  return v;
}

int32_t RoundToInt32(double v) { return static_cast<int32_t>(std::lround(v)); }

}  // namespace

// ---- hash

std::string SafeEncodeString(std::string_view s) {
  static constexpr std::string_view kAlphanums = "bcdfghjklmnpqrstvwxz2456789";
  std::string out(s.size(), ' ');
  for (size_t i = 0; i < s.size(); ++i) {
    out[i] = kAlphanums[static_cast<unsigned char>(s[i]) % kAlphanums.size()];
  }
  return out;
}

std::string ComputeHash(const api::PodTemplateSpec& tmpl, std::optional<int32_t> collision_count) {
  uint32_t h = 2166136261U;
  auto write = [&h](std::string_view bytes) {
    for (char c : bytes) {
      h ^= static_cast<unsigned char>(c);
      h *= 16777619U;
    }
  };
  write(api::ToJsonString(tmpl));
  if (collision_count) {
    auto c = static_cast<uint32_t>(*collision_count);
    std::string le(4, '\0');
    for (int i = 0; i < 4; ++i) le[i] = static_cast<char>((c >> (8 * i)) & 0xffU);
    write(le);
  }
  return SafeEncodeString(std::to_string(h));
}

bool EqualIgnoreHash(const api::PodTemplateSpec& a, const api::PodTemplateSpec& b) {
  api::PodTemplateSpec x = a;
  api::PodTemplateSpec y = b;
  x.metadata.labels.erase(kPodTemplateHashLabel);
  y.metadata.labels.erase(kPodTemplateHashLabel);
  return x == y;
}

// ---- surge / unavailable

Result<int32_t> ScaledValue(const api::IntOrString& v, int32_t total, bool round_up) {
  if (!v.is_string) return v.int_value;
  const std::string& s = v.str_value;
  if (s.empty() || s.back() != '%') {
    return Status::Invalid(
        "invalid value for IntOrString: invalid type: string is not a percentage");
  }
  auto pct = ParseInt(std::string_view(s).substr(0, s.size() - 1));
  if (!pct) return Status::Invalid("invalid value \"" + s + "\": not a percentage");
  double scaled = static_cast<double>(*pct) * static_cast<double>(total) / 100.0;
  return static_cast<int32_t>(round_up ? std::ceil(scaled) : std::floor(scaled));
}

Result<Fenceposts> ResolveFenceposts(const std::optional<api::IntOrString>& max_surge,
                                     const std::optional<api::IntOrString>& max_unavailable,
                                     int32_t desired) {
  api::IntOrString zero = api::IntOrString::FromInt(0);
  KUBEPP_ASSIGN_OR_RETURN(int32_t surge, ScaledValue(max_surge.value_or(zero), desired, true));
  KUBEPP_ASSIGN_OR_RETURN(int32_t unavailable,
                          ScaledValue(max_unavailable.value_or(zero), desired, false));
  if (surge == 0 && unavailable == 0) unavailable = 1;
  return Fenceposts{surge, unavailable};
}

bool IsRollingUpdate(const api::Deployment& d) {
  return !d.spec.strategy || d.spec.strategy->type.empty() ||
         d.spec.strategy->type == "RollingUpdate";
}

int32_t Replicas(const api::Deployment& d) { return d.spec.replicas.value_or(1); }
int32_t Replicas(const api::ReplicaSet& rs) { return rs.spec.replicas.value_or(1); }

namespace {
Fenceposts DeploymentFenceposts(const api::Deployment& d) {
  std::optional<api::IntOrString> surge;
  std::optional<api::IntOrString> unavailable;
  if (d.spec.strategy && d.spec.strategy->rollingUpdate) {
    surge = d.spec.strategy->rollingUpdate->maxSurge;
    unavailable = d.spec.strategy->rollingUpdate->maxUnavailable;
  }
  // Validation refuses malformed values; upstream ignores the error here too.
  auto f = ResolveFenceposts(surge, unavailable, Replicas(d));
  if (!f.IsOk()) return Fenceposts{0, 1};
  return *f;
}
}  // namespace

int32_t MaxSurge(const api::Deployment& d) {
  if (!IsRollingUpdate(d)) return 0;
  return DeploymentFenceposts(d).max_surge;
}

int32_t MaxUnavailable(const api::Deployment& d) {
  if (!IsRollingUpdate(d) || Replicas(d) == 0) return 0;
  return std::min(DeploymentFenceposts(d).max_unavailable, Replicas(d));
}

// ---- replica sets

bool CreatedBefore(const api::ReplicaSet& a, const api::ReplicaSet& b) {
  if (a.metadata.creationTimestamp != b.metadata.creationTimestamp) {
    auto ta = replicaset::ParseTime(a.metadata.creationTimestamp);
    auto tb = replicaset::ParseTime(b.metadata.creationTimestamp);
    if (ta && tb && *ta != *tb) return *ta < *tb;
  }
  return a.metadata.name < b.metadata.name;
}

void SortByCreation(std::vector<api::ReplicaSet*>& rss) {
  std::stable_sort(rss.begin(), rss.end(), [](const api::ReplicaSet* a, const api::ReplicaSet* b) {
    return CreatedBefore(*a, *b);
  });
}

int64_t Revision(const api::ReplicaSet& rs) {
  auto it = rs.metadata.annotations.find(kRevisionAnnotation);
  if (it == rs.metadata.annotations.end()) return 0;
  return ParseInt(it->second).value_or(0);
}

int64_t MaxRevision(const std::vector<api::ReplicaSet*>& rss) {
  int64_t max = 0;
  for (const auto* rs : rss) {
    if (rs != nullptr) max = std::max(max, Revision(*rs));
  }
  return max;
}

api::ReplicaSet* FindNewReplicaSet(const api::Deployment& d,
                                   const std::vector<api::ReplicaSet*>& rss) {
  std::vector<api::ReplicaSet*> sorted = rss;
  SortByCreation(sorted);
  for (auto* rs : sorted) {
    // The oldest wins when several match (upstream: they are identical; the rest are old).
    if (EqualIgnoreHash(rs->spec.template_, d.spec.template_)) return rs;
  }
  return nullptr;
}

std::vector<api::ReplicaSet*> FindOldReplicaSets(const std::vector<api::ReplicaSet*>& rss,
                                                 const api::ReplicaSet* new_rs) {
  std::vector<api::ReplicaSet*> out;
  for (auto* rs : rss) {
    if (new_rs != nullptr && rs->metadata.uid == new_rs->metadata.uid) continue;
    out.push_back(rs);
  }
  return out;
}

std::vector<api::ReplicaSet*> FilterActive(const std::vector<api::ReplicaSet*>& rss) {
  std::vector<api::ReplicaSet*> out;
  for (auto* rs : rss) {
    if (rs != nullptr && Replicas(*rs) > 0) out.push_back(rs);
  }
  return out;
}

int32_t SpecReplicaSum(const std::vector<api::ReplicaSet*>& rss) {
  int32_t n = 0;
  for (const auto* rs : rss) {
    if (rs != nullptr) n += Replicas(*rs);
  }
  return n;
}
int32_t ActualReplicaSum(const std::vector<api::ReplicaSet*>& rss) {
  int32_t n = 0;
  for (const auto* rs : rss) {
    if (rs != nullptr) n += rs->status.replicas;
  }
  return n;
}
int32_t ReadyReplicaSum(const std::vector<api::ReplicaSet*>& rss) {
  int32_t n = 0;
  for (const auto* rs : rss) {
    if (rs != nullptr) n += rs->status.readyReplicas.value_or(0);
  }
  return n;
}
int32_t AvailableReplicaSum(const std::vector<api::ReplicaSet*>& rss) {
  int32_t n = 0;
  for (const auto* rs : rss) {
    if (rs != nullptr) n += rs->status.availableReplicas.value_or(0);
  }
  return n;
}

bool SetNewReplicaSetAnnotations(const api::Deployment& d, api::ReplicaSet& rs,
                                 const std::string& new_revision, bool exists) {
  bool changed = false;
  auto& ann = rs.metadata.annotations;
  for (const auto& [k, v] : d.metadata.annotations) {
    if (SkipCopyAnnotation(k)) continue;
    auto it = ann.find(k);
    if (it == ann.end() || it->second != v) {
      ann[k] = v;
      changed = true;
    }
  }
  std::string old_revision;
  bool had_revision = false;
  if (auto it = ann.find(kRevisionAnnotation); it != ann.end()) {
    old_revision = it->second;
    had_revision = true;
  }
  int64_t old_int = 0;
  if (!old_revision.empty()) {
    auto v = ParseInt(old_revision);
    if (!v) return false;  // upstream: a malformed revision is left alone
    old_int = *v;
  }
  auto new_int = ParseInt(new_revision);
  if (!new_int) return false;
  if (old_int < *new_int) {
    ann[kRevisionAnnotation] = new_revision;
    changed = true;
  }
  // Rolling back to this ReplicaSet: remember the revisions it had.
  if (had_revision && old_int < *new_int) {
    std::string history = ann.count(kRevisionHistoryAnnotation) != 0U
                              ? ann[kRevisionHistoryAnnotation]
                              : std::string();
    if (history.empty()) {
      ann[kRevisionHistoryAnnotation] = old_revision;
    } else {
      std::vector<std::string> olds;
      size_t start = 0;
      while (true) {
        size_t comma = history.find(',', start);
        olds.push_back(history.substr(start, comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      size_t total = history.size() + old_revision.size() + 1;
      size_t first = 0;
      while (total > kMaxRevHistoryLengthInChars && first < olds.size()) {
        total -= olds[first].size() + 1;
        ++first;
      }
      if (total <= kMaxRevHistoryLengthInChars) {
        std::string joined;
        for (size_t i = first; i < olds.size(); ++i) joined += olds[i] + ",";
        joined += old_revision;
        ann[kRevisionHistoryAnnotation] = joined;
      }
    }
  }
  if (!exists && SetReplicasAnnotations(rs, Replicas(d), Replicas(d) + MaxSurge(d))) {
    changed = true;
  }
  return changed;
}

bool ReplicasAnnotationsNeedUpdate(const api::ReplicaSet& rs, int32_t desired, int32_t max) {
  const auto& ann = rs.metadata.annotations;
  auto d = ann.find(kDesiredReplicasAnnotation);
  auto m = ann.find(kMaxReplicasAnnotation);
  return d == ann.end() || d->second != std::to_string(desired) || m == ann.end() ||
         m->second != std::to_string(max);
}

bool SetReplicasAnnotations(api::ReplicaSet& rs, int32_t desired, int32_t max) {
  if (!ReplicasAnnotationsNeedUpdate(rs, desired, max)) return false;
  rs.metadata.annotations[kDesiredReplicasAnnotation] = std::to_string(desired);
  rs.metadata.annotations[kMaxReplicasAnnotation] = std::to_string(max);
  return true;
}

std::optional<int32_t> DesiredReplicasAnnotation(const api::ReplicaSet& rs) {
  return IntAnnotation(rs, kDesiredReplicasAnnotation);
}

bool SetDeploymentRevision(api::Deployment& d, const std::string& revision) {
  auto it = d.metadata.annotations.find(kRevisionAnnotation);
  if (it != d.metadata.annotations.end() && it->second == revision) return false;
  d.metadata.annotations[kRevisionAnnotation] = revision;
  return true;
}

api::OwnerReference ControllerRefFor(const api::Deployment& d) {
  api::OwnerReference ref;
  ref.apiVersion = "apps/v1";
  ref.kind = "Deployment";
  ref.name = d.metadata.name;
  ref.uid = d.metadata.uid;
  ref.controller = true;
  ref.blockOwnerDeletion = true;
  return ref;
}

api::ReplicaSet NewReplicaSetFor(const api::Deployment& d) {
  const std::string hash = ComputeHash(d.spec.template_, d.status.collisionCount);
  api::ReplicaSet rs;
  rs.metadata.name = d.metadata.name + "-" + hash;
  rs.metadata.namespace_ = d.metadata.namespace_;
  rs.metadata.ownerReferences = {ControllerRefFor(d)};
  rs.spec.template_ = d.spec.template_;
  rs.spec.template_.metadata.labels[kPodTemplateHashLabel] = hash;
  rs.metadata.labels = rs.spec.template_.metadata.labels;
  rs.spec.selector = d.spec.selector;
  rs.spec.selector.matchLabels[kPodTemplateHashLabel] = hash;
  rs.spec.replicas = 0;
  rs.spec.minReadySeconds = d.spec.minReadySeconds;
  return rs;
}

Result<int32_t> NewRSNewReplicas(const api::Deployment& d, const std::vector<api::ReplicaSet*>& all,
                                 const api::ReplicaSet& new_rs) {
  if (!IsRollingUpdate(d)) return Replicas(d);
  std::optional<api::IntOrString> surge_value;
  if (d.spec.strategy && d.spec.strategy->rollingUpdate) {
    surge_value = d.spec.strategy->rollingUpdate->maxSurge;
  }
  KUBEPP_ASSIGN_OR_RETURN(
      int32_t surge,
      ScaledValue(surge_value.value_or(api::IntOrString::FromInt(0)), Replicas(d), true));
  const int32_t current = SpecReplicaSum(all);
  const int32_t max_total = Replicas(d) + surge;
  if (current >= max_total) return Replicas(new_rs);
  int32_t scale_up = std::min(max_total - current, Replicas(d) - Replicas(new_rs));
  return Replicas(new_rs) + scale_up;
}

bool IsSaturated(const api::Deployment& d, const api::ReplicaSet* rs) {
  if (rs == nullptr) return false;
  auto desired = DesiredReplicasAnnotation(*rs);
  if (!desired) return false;
  return Replicas(*rs) == Replicas(d) && *desired == Replicas(d) &&
         rs->status.availableReplicas.value_or(0) == Replicas(d);
}

std::vector<Resize> PlanOldScaleDown(const api::Deployment& d,
                                     const std::vector<api::ReplicaSet*>& all,
                                     std::vector<api::ReplicaSet*> old_rss,
                                     const api::ReplicaSet& new_rs) {
  std::vector<Resize> out;
  if (SpecReplicaSum(old_rss) == 0) return out;
  const int32_t all_pods = SpecReplicaSum(all);
  const int32_t min_available = Replicas(d) - MaxUnavailable(d);
  const int32_t new_unavailable = Replicas(new_rs) - new_rs.status.availableReplicas.value_or(0);
  const int32_t max_scaled_down = all_pods - min_available - new_unavailable;
  if (max_scaled_down <= 0) return out;

  // Sizes after the plan so far, by position in old_rss.
  SortByCreation(old_rss);
  std::vector<int32_t> size(old_rss.size());
  for (size_t i = 0; i < old_rss.size(); ++i) size[i] = Replicas(*old_rss[i]);

  // cleanupUnhealthyReplicas: unavailable old replicas cost no availability.
  int32_t cleaned = 0;
  for (size_t i = 0; i < old_rss.size(); ++i) {
    if (cleaned >= max_scaled_down) break;
    const int32_t available = old_rss[i]->status.availableReplicas.value_or(0);
    if (size[i] == 0 || size[i] == available) continue;
    int32_t n = std::min(max_scaled_down - cleaned, size[i] - available);
    size[i] -= n;
    cleaned += n;
  }

  // scaleDownOldReplicaSetsForRollingUpdate: as far as minAvailable allows, oldest first.
  int32_t available_pods = new_rs.status.availableReplicas.value_or(0);
  for (const auto* rs : old_rss) available_pods += rs->status.availableReplicas.value_or(0);
  if (available_pods > min_available) {
    const int32_t to_scale_down = available_pods - min_available;
    int32_t scaled = 0;
    for (size_t i = 0; i < old_rss.size(); ++i) {
      if (scaled >= to_scale_down) break;
      if (size[i] == 0) continue;
      int32_t n = std::min(size[i], to_scale_down - scaled);
      size[i] -= n;
      scaled += n;
    }
  }
  for (size_t i = 0; i < old_rss.size(); ++i) {
    if (size[i] != Replicas(*old_rss[i])) out.push_back({old_rss[i], size[i]});
  }
  return out;
}

api::ReplicaSet* FindActiveOrLatest(api::ReplicaSet* new_rs,
                                    std::vector<api::ReplicaSet*> old_rss) {
  if (new_rs == nullptr && old_rss.empty()) return nullptr;
  SortByCreation(old_rss);
  std::reverse(old_rss.begin(), old_rss.end());
  std::vector<api::ReplicaSet*> all = old_rss;
  all.push_back(new_rs);
  auto active = FilterActive(all);
  if (active.empty()) return new_rs != nullptr ? new_rs : old_rss.front();
  if (active.size() == 1) return active.front();
  return nullptr;
}

namespace {
int32_t ReplicaSetFraction(const api::ReplicaSet& rs, const api::Deployment& d) {
  if (Replicas(d) == 0) return -Replicas(rs);
  const int32_t max_replicas = Replicas(d) + MaxSurge(d);
  int32_t before = IntAnnotation(rs, kMaxReplicasAnnotation).value_or(0);
  if (before == 0) {
    before = d.status.replicas.value_or(0);
    if (before == 0) return 0;
  }
  double size = static_cast<double>(Replicas(rs)) * static_cast<double>(max_replicas) /
                static_cast<double>(before);
  return RoundToInt32(size) - Replicas(rs);
}

int32_t ReplicaSetProportion(const api::ReplicaSet& rs, const api::Deployment& d, int32_t to_add,
                             int32_t added) {
  if (Replicas(rs) == 0 || to_add == 0 || to_add == added) return 0;
  const int32_t fraction = ReplicaSetFraction(rs, d);
  const int32_t allowed = to_add - added;
  if (to_add > 0) return std::min(fraction, allowed);
  return std::max(fraction, allowed);
}
}  // namespace

std::vector<Resize> PlanProportionalScale(const api::Deployment& d, api::ReplicaSet* new_rs,
                                          const std::vector<api::ReplicaSet*>& old_rss) {
  std::vector<api::ReplicaSet*> all = old_rss;
  all.push_back(new_rs);
  all = FilterActive(all);
  const int32_t current = SpecReplicaSum(all);
  const int32_t allowed = Replicas(d) > 0 ? Replicas(d) + MaxSurge(d) : 0;
  const int32_t to_add = allowed - current;
  if (to_add > 0) {
    // ReplicaSetsBySizeNewer: larger first, then newer first.
    std::stable_sort(all.begin(), all.end(),
                     [](const api::ReplicaSet* a, const api::ReplicaSet* b) {
                       if (Replicas(*a) == Replicas(*b)) return CreatedBefore(*b, *a);
                       return Replicas(*a) > Replicas(*b);
                     });
  } else if (to_add < 0) {
    // ReplicaSetsBySizeOlder: larger first, then older first.
    std::stable_sort(all.begin(), all.end(),
                     [](const api::ReplicaSet* a, const api::ReplicaSet* b) {
                       if (Replicas(*a) == Replicas(*b)) return CreatedBefore(*a, *b);
                       return Replicas(*a) > Replicas(*b);
                     });
  }
  std::vector<Resize> out;
  int32_t added = 0;
  for (auto* rs : all) {
    int32_t proportion = 0;
    if (to_add != 0) proportion = ReplicaSetProportion(*rs, d, to_add, added);
    out.push_back({rs, Replicas(*rs) + proportion});
    added += proportion;
  }
  if (!out.empty() && to_add != 0) {
    out[0].replicas = std::max(0, out[0].replicas + to_add - added);
  }
  return out;
}

std::vector<api::ReplicaSet*> ReplicaSetsToCleanUp(const api::Deployment& d,
                                                   const std::vector<api::ReplicaSet*>& old_rss) {
  std::vector<api::ReplicaSet*> out;
  if (!d.spec.revisionHistoryLimit) return out;
  std::vector<api::ReplicaSet*> alive;
  for (auto* rs : old_rss) {
    if (rs != nullptr && rs->metadata.deletionTimestamp.empty()) alive.push_back(rs);
  }
  const int64_t diff = static_cast<int64_t>(alive.size()) - *d.spec.revisionHistoryLimit;
  if (diff <= 0) return out;
  // ReplicaSetsByRevision: lowest revision first, then by creation.
  std::stable_sort(alive.begin(), alive.end(),
                   [](const api::ReplicaSet* a, const api::ReplicaSet* b) {
                     if (Revision(*a) == Revision(*b)) return CreatedBefore(*a, *b);
                     return Revision(*a) < Revision(*b);
                   });
  for (int64_t i = 0; i < diff; ++i) {
    auto* rs = alive[static_cast<size_t>(i)];
    if (rs->status.replicas != 0 || Replicas(*rs) != 0 ||
        rs->metadata.generation.value_or(0) > rs->status.observedGeneration.value_or(0)) {
      continue;
    }
    out.push_back(rs);
  }
  return out;
}

// ---- status and conditions

const api::DeploymentCondition* GetCondition(const api::DeploymentStatus& s,
                                             std::string_view type) {
  for (const auto& c : s.conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

api::DeploymentCondition NewCondition(std::string type, std::string status, std::string reason,
                                      std::string message, Clock::WallTime now) {
  api::DeploymentCondition c;
  c.type = std::move(type);
  c.status = std::move(status);
  c.reason = std::move(reason);
  c.message = std::move(message);
  c.lastUpdateTime = FormatRfc3339(now);
  c.lastTransitionTime = c.lastUpdateTime;
  return c;
}

void SetCondition(api::DeploymentStatus& s, api::DeploymentCondition c) {
  const auto* current = GetCondition(s, c.type);
  if (current != nullptr && current->status == c.status && current->reason == c.reason) return;
  if (current != nullptr && current->status == c.status) {
    c.lastTransitionTime = current->lastTransitionTime;
  }
  RemoveCondition(s, c.type);
  s.conditions.push_back(std::move(c));
}

void RemoveCondition(api::DeploymentStatus& s, std::string_view type) {
  std::erase_if(s.conditions, [type](const api::DeploymentCondition& c) { return c.type == type; });
}

bool HasProgressDeadline(const api::Deployment& d) {
  return d.spec.progressDeadlineSeconds.has_value() && *d.spec.progressDeadlineSeconds != INT32_MAX;
}

api::DeploymentStatus CalculateStatus(const api::Deployment& d,
                                      const std::vector<api::ReplicaSet*>& all,
                                      const api::ReplicaSet* new_rs, Clock::WallTime now) {
  const int32_t available = AvailableReplicaSum(all);
  const int32_t total = SpecReplicaSum(all);
  const int32_t unavailable = std::max(0, total - available);
  api::DeploymentStatus s;
  s.observedGeneration = d.metadata.generation;
  s.replicas = Opt(ActualReplicaSum(all));
  s.updatedReplicas = new_rs != nullptr ? Opt(new_rs->status.replicas) : std::nullopt;
  s.readyReplicas = Opt(ReadyReplicaSum(all));
  s.availableReplicas = Opt(available);
  s.unavailableReplicas = Opt(unavailable);
  s.collisionCount = d.status.collisionCount;
  s.conditions = d.status.conditions;
  if (available >= Replicas(d) - MaxUnavailable(d)) {
    SetCondition(s, NewCondition(kAvailable, "True", kMinimumReplicasAvailable,
                                 "Deployment has minimum availability.", now));
  } else {
    SetCondition(s, NewCondition(kAvailable, "False", kMinimumReplicasUnavailable,
                                 "Deployment does not have minimum availability.", now));
  }
  return s;
}

bool DeploymentComplete(const api::Deployment& d, const api::DeploymentStatus& s) {
  return s.updatedReplicas.value_or(0) == Replicas(d) && s.replicas.value_or(0) == Replicas(d) &&
         s.availableReplicas.value_or(0) == Replicas(d) &&
         s.observedGeneration.value_or(0) >= d.metadata.generation.value_or(0);
}

bool DeploymentProgressing(const api::Deployment& d, const api::DeploymentStatus& s) {
  const auto& o = d.status;
  const int32_t old_old = o.replicas.value_or(0) - o.updatedReplicas.value_or(0);
  const int32_t new_old = s.replicas.value_or(0) - s.updatedReplicas.value_or(0);
  return s.updatedReplicas.value_or(0) > o.updatedReplicas.value_or(0) || new_old < old_old ||
         s.readyReplicas.value_or(0) > o.readyReplicas.value_or(0) ||
         s.availableReplicas.value_or(0) > o.availableReplicas.value_or(0);
}

bool DeploymentTimedOut(const api::Deployment& d, const api::DeploymentStatus& s,
                        Clock::WallTime now) {
  if (!HasProgressDeadline(d)) return false;
  const auto* c = GetCondition(s, kProgressing);
  if (c == nullptr) return false;
  if (c->reason == kNewRSAvailableReason) return false;
  if (c->reason == kTimedOutReason) return true;
  auto from = replicaset::ParseTime(c->lastUpdateTime);
  if (!from) return false;
  return *from + std::chrono::seconds(*d.spec.progressDeadlineSeconds) < now;
}

api::DeploymentStatus RolloutStatus(const api::Deployment& d,
                                    const std::vector<api::ReplicaSet*>& all,
                                    const api::ReplicaSet* new_rs, Clock::WallTime now) {
  api::DeploymentStatus s = CalculateStatus(d, all, new_rs, now);
  if (!HasProgressDeadline(d)) RemoveCondition(s, kProgressing);
  const auto* current = GetCondition(d.status, kProgressing);
  const bool complete = s.replicas == s.updatedReplicas && current != nullptr &&
                        current->reason == kNewRSAvailableReason;
  if (HasProgressDeadline(d) && !complete) {
    if (DeploymentComplete(d, s)) {
      std::string msg =
          new_rs != nullptr
              ? "ReplicaSet \"" + new_rs->metadata.name + "\" has successfully progressed."
              : "Deployment \"" + d.metadata.name + "\" has successfully progressed.";
      SetCondition(s, NewCondition(kProgressing, "True", kNewRSAvailableReason, msg, now));
    } else if (DeploymentProgressing(d, s)) {
      std::string msg = new_rs != nullptr
                            ? "ReplicaSet \"" + new_rs->metadata.name + "\" is progressing."
                            : "Deployment \"" + d.metadata.name + "\" is progressing.";
      auto c = NewCondition(kProgressing, "True", kReplicaSetUpdatedReason, msg, now);
      // Progress refreshes lastUpdateTime even with the same reason (upstream's special case).
      if (current != nullptr) {
        if (current->status == "True") c.lastTransitionTime = current->lastTransitionTime;
        RemoveCondition(s, kProgressing);
      }
      SetCondition(s, std::move(c));
    } else if (DeploymentTimedOut(d, s, now)) {
      std::string msg =
          new_rs != nullptr
              ? "ReplicaSet \"" + new_rs->metadata.name + "\" has timed out progressing."
              : "Deployment \"" + d.metadata.name + "\" has timed out progressing.";
      SetCondition(s, NewCondition(kProgressing, "False", kTimedOutReason, msg, now));
    }
  }
  // getReplicaFailures: the new ReplicaSet's failure first, then any old one's.
  std::optional<api::DeploymentCondition> failure;
  auto failure_of = [&](const api::ReplicaSet* rs) {
    if (rs == nullptr || failure) return;
    for (const auto& c : rs->status.conditions) {
      if (c.type != replicaset::kReplicaFailure) continue;
      api::DeploymentCondition dc;
      dc.type = kReplicaFailure;
      dc.status = c.status;
      dc.reason = c.reason;
      dc.message = c.message;
      dc.lastTransitionTime = c.lastTransitionTime;
      dc.lastUpdateTime = c.lastTransitionTime;
      failure = dc;
      return;
    }
  };
  failure_of(new_rs);
  for (const auto* rs : all) {
    if (rs != new_rs) failure_of(rs);
  }
  if (failure) {
    SetCondition(s, *failure);
  } else {
    RemoveCondition(s, kReplicaFailure);
  }
  return s;
}

std::optional<Clock::Duration> StuckRequeueAfter(const api::Deployment& d,
                                                 const api::DeploymentStatus& s,
                                                 Clock::WallTime now) {
  const auto* c = GetCondition(d.status, kProgressing);
  if (!HasProgressDeadline(d) || c == nullptr) return std::nullopt;
  if (DeploymentComplete(d, s) || c->reason == kTimedOutReason) return std::nullopt;
  auto from = replicaset::ParseTime(c->lastUpdateTime);
  if (!from) return std::nullopt;
  auto after = *from + std::chrono::seconds(*d.spec.progressDeadlineSeconds) - now;
  if (after < std::chrono::seconds(1)) return std::chrono::seconds(1);
  return std::chrono::duration_cast<Clock::Duration>(after + std::chrono::seconds(1));
}

bool UpdatePausedCondition(api::Deployment& d, Clock::WallTime now) {
  if (!HasProgressDeadline(d)) return false;
  const auto* c = GetCondition(d.status, kProgressing);
  if (c != nullptr && c->reason == kTimedOutReason) return false;
  const bool paused_cond = c != nullptr && c->reason == kPausedDeployReason;
  const bool paused = d.spec.paused.value_or(false);
  if (paused && !paused_cond) {
    SetCondition(d.status, NewCondition(kProgressing, "Unknown", kPausedDeployReason,
                                        "Deployment is paused", now));
    return true;
  }
  if (!paused && paused_cond) {
    SetCondition(d.status, NewCondition(kProgressing, "Unknown", kResumedDeployReason,
                                        "Deployment is resumed", now));
    return true;
  }
  return false;
}

}  // namespace kubepp::controller::deployment
