#include "controller/resourcequota/quota_evaluator.h"

#include <algorithm>
#include <array>

#include "controller/replicaset/replicaset_logic.h"

namespace kubepp::controller::resourcequota {

namespace {

constexpr std::string_view kRequestsPrefix = "requests.";
constexpr std::string_view kCountPrefix = "count/";
constexpr std::string_view kHugePagesPrefix = "hugepages-";
constexpr std::string_view kRequestsHugePagesPrefix = "requests.hugepages-";

// count/pods, pods and the compute resources (upstream's podResources).
constexpr std::array<std::string_view, 11> kPodResources = {
    "count/pods",
    kResourcePods,
    kResourceCpu,
    kResourceMemory,
    kResourceEphemeralStorage,
    kResourceRequestsCpu,
    kResourceRequestsMemory,
    kResourceRequestsEphemeralStorage,
    kResourceLimitsCpu,
    kResourceLimitsMemory,
    kResourceLimitsEphemeralStorage,
};
constexpr std::array<std::string_view, 4> kServiceResources = {"count/services", kResourceServices,
                                                               kResourceServicesLoadBalancers,
                                                               kResourceServicesNodePorts};
// The legacy object count names (upstream's legacy evaluators).
constexpr std::array<std::string_view, 4> kLegacyCounted = {
    "configmaps", "secrets", "replicationcontrollers", "resourcequotas"};

template <size_t N>
bool Contains(const std::array<std::string_view, N>& set, std::string_view name) {
  return std::find(set.begin(), set.end(), name) != set.end();
}

api::ParsedQuantity One() { return api::ParsedQuantity::FromValue(1); }

// a += b (upstream's addResourceList).
void AddInto(ResourceList& a, const ResourceList& b) {
  for (const auto& [name, q] : b) {
    auto it = a.find(name);
    if (it == a.end()) {
      a.emplace(name, q);
    } else {
      (void)it->second.Add(q);  // beyond 1e29: keep the partial sum (never in practice)
    }
  }
}

// a = max(a, b) key by key (upstream's maxResourceList).
void MaxInto(ResourceList& a, const ResourceList& b) {
  for (const auto& [name, q] : b) {
    auto it = a.find(name);
    if (it == a.end()) {
      a.emplace(name, q);
    } else if (q > it->second) {
      it->second = q;
    }
  }
}

// Upstream's helper.IsExtendedResourceName: has a domain that is not kubernetes.io and is not
// itself a quota "requests." name.
bool IsExtendedResourceName(std::string_view name) {
  if (name.find('/') == std::string_view::npos) return false;
  if (name.find("kubernetes.io/") != std::string_view::npos) return false;
  return !name.starts_with(kRequestsPrefix);
}

bool IsExtendedResourceNameForQuota(std::string_view name) {
  return name.starts_with(kRequestsPrefix) &&
         IsExtendedResourceName(name.substr(kRequestsPrefix.size()));
}

std::string WithRequestsPrefix(std::string_view name) {
  if (name.starts_with(kRequestsPrefix)) return std::string(name);
  return std::string(kRequestsPrefix) + std::string(name);
}

bool IsRestartableInit(const api::Container& c) { return c.restartPolicy == "Always"; }

// Upstream's AggregateContainerRequests / AggregateContainerLimits over `pick`.
template <typename Pick>
ResourceList AggregateContainers(const api::Pod& pod, Pick pick) {
  ResourceList total;
  for (const auto& c : pod.spec.containers) AddInto(total, pick(c));
  ResourceList restartable;  // sidecars (restartable init containers) so far
  ResourceList init_max;     // the largest init container footprint
  for (const auto& c : pod.spec.initContainers) {
    ResourceList own = pick(c);
    if (IsRestartableInit(c)) {
      AddInto(total, own);
      AddInto(restartable, own);
      MaxInto(init_max, restartable);
    } else {
      ResourceList tmp = own;
      AddInto(tmp, restartable);
      MaxInto(init_max, tmp);
    }
  }
  MaxInto(total, init_max);
  return total;
}

bool IsCrossNamespaceTerm(const api::PodAffinityTerm& term) {
  return !term.namespaces.empty() || term.namespaceSelector.has_value();
}

// Upstream's usesCrossNamespacePodAffinity.
bool UsesCrossNamespacePodAffinity(const api::Pod& pod) {
  if (!pod.spec.affinity) return false;
  const auto& a = *pod.spec.affinity;
  if (a.podAffinity) {
    for (const auto& t : a.podAffinity->requiredDuringSchedulingIgnoredDuringExecution) {
      if (IsCrossNamespaceTerm(t)) return true;
    }
    for (const auto& t : a.podAffinity->preferredDuringSchedulingIgnoredDuringExecution) {
      if (IsCrossNamespaceTerm(t.podAffinityTerm)) return true;
    }
  }
  if (a.podAntiAffinity) {
    for (const auto& t : a.podAntiAffinity->requiredDuringSchedulingIgnoredDuringExecution) {
      if (IsCrossNamespaceTerm(t)) return true;
    }
    for (const auto& t : a.podAntiAffinity->preferredDuringSchedulingIgnoredDuringExecution) {
      if (IsCrossNamespaceTerm(t.podAffinityTerm)) return true;
    }
  }
  return false;
}

// The scope requirements of a quota: each scope as Exists, then the scopeSelector's.
std::vector<api::ScopedResourceSelectorRequirement> ScopeRequirements(
    const api::ResourceQuotaSpec& spec) {
  std::vector<api::ScopedResourceSelectorRequirement> out;
  for (const auto& s : spec.scopes) {
    api::ScopedResourceSelectorRequirement r;
    r.scopeName = s;
    r.operator_ = "Exists";
    out.push_back(std::move(r));
  }
  if (spec.scopeSelector) {
    for (const auto& r : spec.scopeSelector->matchExpressions) out.push_back(r);
  }
  return out;
}

// The pod evaluator's MatchingResources.
bool PodTracks(std::string_view name) {
  return Contains(kPodResources, name) || name.starts_with(kHugePagesPrefix) ||
         name.starts_with(kRequestsHugePagesPrefix) || IsExtendedResourceNameForQuota(name);
}

bool ServiceTracks(std::string_view name) { return Contains(kServiceResources, name); }

// The claim evaluator's MatchingResources.
bool PvcTracks(std::string_view name) {
  if (name == "count/persistentvolumeclaims" || name == kResourcePersistentVolumeClaims ||
      name == kResourceRequestsStorage) {
    return true;
  }
  for (std::string_view r : {std::string_view(kResourcePersistentVolumeClaims),
                             std::string_view(kResourceRequestsStorage)}) {
    if (name.ends_with(std::string(kStorageClassSuffix) + std::string(r))) return true;
  }
  return false;
}

// Upstream's generic CalculateUsageStats for one evaluator: every tracked resource starts at
// zero; objects matching every scope requirement add their usage.
template <typename T, typename Usage, typename MatchScope>
ResourceList UsageStats(const std::vector<const T*>& objects,
                        const std::vector<std::string>& tracked,
                        const std::vector<api::ScopedResourceSelectorRequirement>& scopes,
                        Usage usage, MatchScope match_scope) {
  ResourceList used;
  for (const auto& name : tracked) used.emplace(name, api::ParsedQuantity());
  for (const T* obj : objects) {
    bool matches = true;
    for (const auto& req : scopes) matches = matches && match_scope(req, *obj);
    if (matches) used = Add(used, usage(*obj));
  }
  return used;
}

}  // namespace

ResourceList ParseResourceList(const std::map<std::string, api::Quantity>& list) {
  ResourceList out;
  for (const auto& [name, q] : list) {
    auto parsed = api::ParseQuantity(q);
    if (parsed.IsOk()) out.emplace(name, *parsed);
  }
  return out;
}

ResourceList Add(const ResourceList& a, const ResourceList& b) {
  ResourceList out = a;
  AddInto(out, b);
  return out;
}

bool Equals(const ResourceList& a, const ResourceList& b) {
  if (a.size() != b.size()) return false;
  for (const auto& [name, q] : a) {
    auto it = b.find(name);
    if (it == b.end() || !(it->second == q)) return false;
  }
  return true;
}

bool QuotaV1Pod(const api::Pod& pod, Clock::WallTime now) {
  if (pod.status.phase == "Failed" || pod.status.phase == "Succeeded") return false;
  if (!pod.metadata.deletionTimestamp.empty() && pod.metadata.deletionGracePeriodSeconds) {
    auto deletion = replicaset::ParseTime(pod.metadata.deletionTimestamp);
    if (deletion &&
        now > *deletion + std::chrono::seconds(*pod.metadata.deletionGracePeriodSeconds)) {
      return false;
    }
  }
  return true;
}

ResourceList PodRequests(const api::Pod& pod) {
  ResourceList reqs = AggregateContainers(pod, [](const api::Container& c) {
    return c.resources ? ParseResourceList(c.resources->requests) : ResourceList{};
  });
  AddInto(reqs, ParseResourceList(pod.spec.overhead));
  return reqs;
}

ResourceList PodLimits(const api::Pod& pod) {
  ResourceList limits = AggregateContainers(pod, [](const api::Container& c) {
    return c.resources ? ParseResourceList(c.resources->limits) : ResourceList{};
  });
  for (const auto& [name, q] : ParseResourceList(pod.spec.overhead)) {
    auto it = limits.find(name);
    if (it != limits.end()) (void)it->second.Add(q);
  }
  return limits;
}

bool IsTerminating(const api::Pod& pod) {
  return pod.spec.activeDeadlineSeconds.has_value() && *pod.spec.activeDeadlineSeconds >= 0;
}

bool IsBestEffort(const api::Pod& pod) {
  if (!pod.status.qosClass.empty()) return pod.status.qosClass == "BestEffort";
  auto positive_compute = [](const std::map<std::string, api::Quantity>& list) {
    for (const auto& [name, q] : list) {
      if (name != kResourceCpu && name != kResourceMemory) continue;
      auto parsed = api::ParseQuantity(q);
      if (parsed.IsOk() && parsed->Sign() > 0) return true;
    }
    return false;
  };
  auto any = [&](const std::vector<api::Container>& cs) {
    for (const auto& c : cs) {
      if (c.resources &&
          (positive_compute(c.resources->requests) || positive_compute(c.resources->limits))) {
        return true;
      }
    }
    return false;
  };
  return !any(pod.spec.containers) && !any(pod.spec.initContainers);
}

bool PodMatchesScope(const api::ScopedResourceSelectorRequirement& req, const api::Pod& pod) {
  const std::string& scope = req.scopeName;
  if (scope == kScopeTerminating) return IsTerminating(pod);
  if (scope == kScopeNotTerminating) return !IsTerminating(pod);
  if (scope == kScopeBestEffort) return IsBestEffort(pod);
  if (scope == kScopeNotBestEffort) return !IsBestEffort(pod);
  if (scope == kScopeCrossNamespacePodAffinity) return UsesCrossNamespacePodAffinity(pod);
  if (scope == kScopePriorityClass) {
    // As a label set {PriorityClass: <name>} (the key is always there, maybe empty).
    const std::string& pc = pod.spec.priorityClassName;
    const bool listed = std::find(req.values.begin(), req.values.end(), pc) != req.values.end();
    if (req.operator_ == "Exists") return !pc.empty();
    if (req.operator_ == "In") return listed;
    if (req.operator_ == "NotIn") return !listed;
    return false;  // DoesNotExist: the key is always present
  }
  return false;
}

ResourceList PodUsage(const api::Pod& pod, Clock::WallTime now) {
  ResourceList result{{"count/pods", One()}};
  if (!QuotaV1Pod(pod, now)) return result;
  const ResourceList requests = PodRequests(pod);
  const ResourceList limits = PodLimits(pod);
  ResourceList compute{{kResourcePods, One()}};
  auto copy = [&](const ResourceList& from, const char* name,
                  std::initializer_list<const char*> to) {
    auto it = from.find(name);
    if (it == from.end()) return;
    for (const char* t : to) compute[t] = it->second;
  };
  copy(requests, kResourceCpu, {kResourceCpu, kResourceRequestsCpu});
  copy(limits, kResourceCpu, {kResourceLimitsCpu});
  copy(requests, kResourceMemory, {kResourceMemory, kResourceRequestsMemory});
  copy(limits, kResourceMemory, {kResourceLimitsMemory});
  copy(requests, kResourceEphemeralStorage,
       {kResourceEphemeralStorage, kResourceRequestsEphemeralStorage});
  copy(limits, kResourceEphemeralStorage, {kResourceLimitsEphemeralStorage});
  for (const auto& [name, q] : requests) {
    if (name.starts_with(kHugePagesPrefix)) {
      compute[name] = q;
      compute[WithRequestsPrefix(name)] = q;
    }
    if (IsExtendedResourceName(name)) compute[WithRequestsPrefix(name)] = q;
  }
  return Add(result, compute);
}

ResourceList ServiceUsage(const api::Service& svc) {
  ResourceList result{{"count/services", One()},
                      {kResourceServices, One()},
                      {kResourceServicesLoadBalancers, api::ParsedQuantity()},
                      {kResourceServicesNodePorts, api::ParsedQuantity()}};
  const auto ports = static_cast<int64_t>(svc.spec.ports.size());
  if (svc.spec.type == "NodePort") {
    result[kResourceServicesNodePorts] = api::ParsedQuantity::FromValue(ports);
  } else if (svc.spec.type == "LoadBalancer") {
    if (svc.spec.allocateLoadBalancerNodePorts.has_value() &&
        !*svc.spec.allocateLoadBalancerNodePorts) {
      // Node ports are not allocated: only those asked for explicitly count.
      int64_t explicit_ports = 0;
      for (const auto& p : svc.spec.ports) {
        if (p.nodePort.value_or(0) != 0) ++explicit_ports;
      }
      result[kResourceServicesNodePorts] = api::ParsedQuantity::FromValue(explicit_ports);
    } else {
      result[kResourceServicesNodePorts] = api::ParsedQuantity::FromValue(ports);
    }
    result[kResourceServicesLoadBalancers] = One();
  }
  return result;
}

std::string PvcStorageClass(const api::PersistentVolumeClaim& pvc) {
  auto it = pvc.metadata.annotations.find(kBetaStorageClassAnnotation);
  if (it != pvc.metadata.annotations.end()) return it->second;
  return pvc.spec.storageClassName;
}

ResourceList PvcUsage(const api::PersistentVolumeClaim& pvc) {
  ResourceList result{{kResourcePersistentVolumeClaims, One()},
                      {"count/persistentvolumeclaims", One()}};
  const std::string sc = PvcStorageClass(pvc);
  if (!sc.empty()) {
    result[sc + kStorageClassSuffix + kResourcePersistentVolumeClaims] = One();
  }
  // Whole bytes (upstream's RoundUp(0)).
  auto round_up = [](const api::ParsedQuantity& q) {
    constexpr api::Int128 kUnit = 1'000'000'000;
    api::Int128 n = q.Nanos();
    if (n % kUnit == 0) return q;
    n = (n / kUnit + (n > 0 ? 1 : -1)) * kUnit;
    auto r = api::ParsedQuantity::FromNanos(n, q.Format());
    return r.IsOk() ? *r : q;
  };
  std::optional<api::ParsedQuantity> storage;
  if (pvc.spec.resources) {
    auto requests = ParseResourceList(pvc.spec.resources->requests);
    if (auto it = requests.find(kResourceStorage); it != requests.end()) {
      storage = round_up(it->second);
    }
  }
  if (storage) {
    auto allocated = ParseResourceList(pvc.status.allocatedResources);
    if (auto it = allocated.find(kResourceStorage);
        it != allocated.end() && it->second > *storage) {
      storage = round_up(it->second);
    }
    result[kResourceRequestsStorage] = *storage;
    if (!sc.empty()) result[sc + kStorageClassSuffix + kResourceRequestsStorage] = *storage;
  }
  return result;
}

std::optional<std::string> ObjectCountGroupResource(std::string_view name) {
  if (Contains(kLegacyCounted, name)) return std::string(name);
  if (!name.starts_with(kCountPrefix)) return std::nullopt;
  std::string_view gr = name.substr(kCountPrefix.size());
  if (gr.empty() || gr == "pods" || gr == "services" || gr == "persistentvolumeclaims") {
    return std::nullopt;
  }
  return std::string(gr);
}

std::set<std::string> CountedGroupResources(const api::ResourceQuotaSpec& spec) {
  std::set<std::string> out;
  for (const auto& [name, q] : spec.hard) {
    if (auto gr = ObjectCountGroupResource(name)) out.insert(*gr);
  }
  return out;
}

std::set<std::string> TrackedResources(const api::ResourceQuotaSpec& spec) {
  std::set<std::string> out;
  for (const auto& [name, q] : spec.hard) {
    if (PodTracks(name) || ServiceTracks(name) || PvcTracks(name) ||
        ObjectCountGroupResource(name)) {
      out.insert(name);
    }
  }
  return out;
}

ResourceList CalculateUsage(const api::ResourceQuotaSpec& spec, const NamespaceObjects& objects,
                            Clock::WallTime now) {
  const auto scopes = ScopeRequirements(spec);
  std::vector<std::string> pod_names;
  std::vector<std::string> svc_names;
  std::vector<std::string> pvc_names;
  std::map<std::string, std::vector<std::string>> counted;  // group resource -> quota names
  for (const auto& [name, q] : spec.hard) {
    if (PodTracks(name)) pod_names.push_back(name);
    if (ServiceTracks(name)) svc_names.push_back(name);
    if (PvcTracks(name)) pvc_names.push_back(name);
    if (auto gr = ObjectCountGroupResource(name)) counted[*gr].push_back(name);
  }
  // Only pods understand scopes; other evaluators match no scoped quota (upstream's
  // MatchesNoScopeFunc).
  auto no_scope = [](const api::ScopedResourceSelectorRequirement& /*req*/, const auto& /*obj*/) {
    return false;
  };
  ResourceList usage;
  if (!pod_names.empty()) {
    usage = Add(usage, UsageStats(
                           objects.pods, pod_names, scopes,
                           [now](const api::Pod& p) { return PodUsage(p, now); }, PodMatchesScope));
  }
  if (!svc_names.empty()) {
    usage = Add(usage, UsageStats(objects.services, svc_names, scopes, ServiceUsage, no_scope));
  }
  if (!pvc_names.empty()) {
    usage = Add(usage, UsageStats(objects.pvcs, pvc_names, scopes, PvcUsage, no_scope));
  }
  for (const auto& [gr, names] : counted) {
    auto it = objects.object_counts.find(gr);
    if (it == objects.object_counts.end()) continue;  // unknown resource: no evaluator
    const int64_t n = scopes.empty() ? it->second : 0;
    for (const auto& name : names) usage[name] = api::ParsedQuantity::FromValue(n);
  }
  return usage;
}

api::ResourceQuotaStatus ComputeStatus(const api::ResourceQuota& rq, const ResourceList& usage) {
  api::ResourceQuotaStatus next;
  for (const auto& [name, q] : rq.spec.hard) {
    auto text = api::SerializedQuantityText(q.text);
    next.hard[name] = api::Quantity{text.IsOk() ? *text : q.text};
  }
  for (const auto& [name, q] : rq.status.used) {
    if (rq.spec.hard.contains(name)) next.used[name] = q;
  }
  for (const auto& [name, q] : usage) {
    if (rq.spec.hard.contains(name)) next.used[name] = q.ToQuantity();
  }
  return next;
}

bool StatusNeedsUpdate(const api::ResourceQuota& rq, const api::ResourceQuotaStatus& next) {
  if (rq.status.hard.size() != next.hard.size() || rq.status.used.size() != next.used.size()) {
    return true;
  }
  return !Equals(ParseResourceList(rq.status.hard), ParseResourceList(next.hard)) ||
         !Equals(ParseResourceList(rq.status.used), ParseResourceList(next.used));
}

}  // namespace kubepp::controller::resourcequota
