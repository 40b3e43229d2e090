// The resource quota evaluators as pure functions (upstream's pkg/quota/v1: the core
// evaluators for pods, services and persistentvolumeclaims, the generic object count
// evaluator, CalculateUsage, and the status computation of the resource quota controller).
//
// Usage is computed over the objects of one namespace the caller gathered (from informers or
// lists); nothing here talks to a server or reads a clock of its own. Sums are exact
// api::ParsedQuantity values and print in upstream's canonical form.
//
// Thread-safe (stateless).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "api/quantity.h"
#include "api/types.h"
#include "base/clock.h"

namespace kubepp::controller::resourcequota {

// A resource name -> amount (upstream's v1.ResourceList, parsed).
using ResourceList = std::map<std::string, api::ParsedQuantity>;

// Resource names (upstream's core/v1 ResourceName constants).
inline constexpr char kResourcePods[] = "pods";
inline constexpr char kResourceCpu[] = "cpu";
inline constexpr char kResourceMemory[] = "memory";
inline constexpr char kResourceEphemeralStorage[] = "ephemeral-storage";
inline constexpr char kResourceStorage[] = "storage";
inline constexpr char kResourceRequestsCpu[] = "requests.cpu";
inline constexpr char kResourceRequestsMemory[] = "requests.memory";
inline constexpr char kResourceRequestsEphemeralStorage[] = "requests.ephemeral-storage";
inline constexpr char kResourceRequestsStorage[] = "requests.storage";
inline constexpr char kResourceLimitsCpu[] = "limits.cpu";
inline constexpr char kResourceLimitsMemory[] = "limits.memory";
inline constexpr char kResourceLimitsEphemeralStorage[] = "limits.ephemeral-storage";
inline constexpr char kResourceServices[] = "services";
inline constexpr char kResourceServicesLoadBalancers[] = "services.loadbalancers";
inline constexpr char kResourceServicesNodePorts[] = "services.nodeports";
inline constexpr char kResourcePersistentVolumeClaims[] = "persistentvolumeclaims";
// "<storage class>" + this + "persistentvolumeclaims" / "requests.storage".
inline constexpr char kStorageClassSuffix[] = ".storageclass.storage.k8s.io/";
// The beta annotation that wins over spec.storageClassName.
inline constexpr char kBetaStorageClassAnnotation[] = "volume.beta.kubernetes.io/storage-class";

// Quota scopes (upstream's ResourceQuotaScope values).
inline constexpr char kScopeTerminating[] = "Terminating";
inline constexpr char kScopeNotTerminating[] = "NotTerminating";
inline constexpr char kScopeBestEffort[] = "BestEffort";
inline constexpr char kScopeNotBestEffort[] = "NotBestEffort";
inline constexpr char kScopePriorityClass[] = "PriorityClass";
inline constexpr char kScopeCrossNamespacePodAffinity[] = "CrossNamespacePodAffinity";

// Parses a ResourceList; entries that are not quantities are skipped (validated upstream).
ResourceList ParseResourceList(const std::map<std::string, api::Quantity>& list);
// Upstream's quota.Add: a + b, key by key (a zero left side takes b's format).
ResourceList Add(const ResourceList& a, const ResourceList& b);
// Upstream's quota.Equals: same keys, same values.
bool Equals(const ResourceList& a, const ResourceList& b);

// ---- pods

// Whether the pod's compute resources are charged (upstream's QuotaV1Pod): not Succeeded or
// Failed, and not past deletionTimestamp + deletionGracePeriodSeconds at `now`.
bool QuotaV1Pod(const api::Pod& pod, Clock::WallTime now);
// Upstream's resourcehelper.PodRequests / PodLimits: max(sum of app and sidecar containers,
// largest init container plus the sidecars started before it) plus spec.overhead (limits:
// overhead only on resources that have a limit).
ResourceList PodRequests(const api::Pod& pod);
ResourceList PodLimits(const api::Pod& pod);
// activeDeadlineSeconds set and >= 0.
bool IsTerminating(const api::Pod& pod);
// QoS class BestEffort (status.qosClass, else computed: no cpu/memory request or limit).
bool IsBestEffort(const api::Pod& pod);
// Whether the pod matches one scope requirement (upstream's podMatchesScopeFunc).
bool PodMatchesScope(const api::ScopedResourceSelectorRequirement& req, const api::Pod& pod);
// The usage the pod charges (upstream's PodUsageFunc): count/pods always; pods and compute
// resources only while QuotaV1Pod.
ResourceList PodUsage(const api::Pod& pod, Clock::WallTime now);

// ---- services and claims

// count/services, services, services.loadbalancers, services.nodeports.
ResourceList ServiceUsage(const api::Service& svc);
// The claim's storage class (the beta annotation, else spec.storageClassName).
std::string PvcStorageClass(const api::PersistentVolumeClaim& pvc);
// persistentvolumeclaims, count/persistentvolumeclaims, requests.storage (the larger of the
// request and status.allocatedResources, rounded up to whole bytes) and the per storage class
// variants.
ResourceList PvcUsage(const api::PersistentVolumeClaim& pvc);

// ---- object counts

// The group resource an object count quota name counts: "count/deployments.apps" ->
// "deployments.apps", "count/configmaps" and "configmaps" -> "configmaps" (likewise secrets,
// replicationcontrollers, resourcequotas). nullopt for names the pod, service and claim
// evaluators own (count/pods, count/services, count/persistentvolumeclaims) and anything else.
std::optional<std::string> ObjectCountGroupResource(std::string_view name);

// ---- a quota

// What the controller gathered of one namespace. Pointers stay owned by the caller.
struct NamespaceObjects {
  std::vector<const api::Pod*> pods;                    // every pod
  std::vector<const api::Service*> services;            // every service
  std::vector<const api::PersistentVolumeClaim*> pvcs;  // every claim
  // Group resource -> number of objects, for what ObjectCountGroupResource names; a group
  // resource missing here is unknown and gets no usage.
  std::map<std::string, int64_t> object_counts;
};

// The group resources whose object counts `spec` needs.
std::set<std::string> CountedGroupResources(const api::ResourceQuotaSpec& spec);
// Which resources of `hard` some evaluator tracks (upstream's MatchingResources, all
// evaluators).
std::set<std::string> TrackedResources(const api::ResourceQuotaSpec& spec);
// Upstream's CalculateUsage: for every evaluator tracking a resource of spec.hard, the usage of
// the objects matching spec.scopes and spec.scopeSelector (each tracked resource starts at 0).
ResourceList CalculateUsage(const api::ResourceQuotaSpec& spec, const NamespaceObjects& objects,
                            Clock::WallTime now);
// The status the controller writes (upstream's syncResourceQuota): hard = spec.hard, used =
// the old used overlaid with `usage`, restricted to the names in hard.
api::ResourceQuotaStatus ComputeStatus(const api::ResourceQuota& rq, const ResourceList& usage);
// Whether `next` differs from the stored status (by value, as upstream's quota.Equals).
bool StatusNeedsUpdate(const api::ResourceQuota& rq, const api::ResourceQuotaStatus& next);

}  // namespace kubepp::controller::resourcequota
