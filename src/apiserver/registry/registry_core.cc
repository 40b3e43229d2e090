// core/v1 kinds.
#include <map>
#include <set>

#include "api/defaults/defaults.h"
#include "api/validation/validation.h"
#include "apiserver/registry/kind_ops.h"
#include "apiserver/registry/printers.h"
#include "apiserver/registry/registry_kinds.h"
#include "apiserver/registry/service_util.h"

namespace kubepp::apiserver {
namespace {

using api::ErrorList;
using boost::json::value;

TableColumn Col(std::string name, std::string type, std::string description, int priority = 0) {
  return {std::move(name), std::move(type), "", std::move(description), priority};
}
const TableColumn kNameColumn{"Name", "string", "name", "Name must be unique within a namespace.",
                              0};
const TableColumn kAgeColumn{"Age", "string", "",
                             "CreationTimestamp is a timestamp representing the server time when "
                             "this object was created.",
                             0};

// --- namespaces
void NamespaceDefaults(api::Namespace& ns, Operation op) {
  if (op == Operation::kCreate) {
    if (std::find(ns.spec.finalizers.begin(), ns.spec.finalizers.end(), "kubernetes") ==
        ns.spec.finalizers.end()) {
      ns.spec.finalizers.emplace_back("kubernetes");
    }
  }
  api::defaults::SetDefaults(ns);
  // The name label upstream's NamespaceDefaultLabelName admission sets on every namespace.
  ns.metadata.labels["kubernetes.io/metadata.name"] = ns.metadata.name;
}

// spec.finalizers change only through the finalize subresource (upstream's namespace
// PrepareForUpdate).
void NamespacePrepareForUpdate(api::Namespace& ns, const api::Namespace& old,
                               const PrepareOptions& options) {
  if (options.subresource != "finalize") ns.spec.finalizers = old.spec.finalizers;
}

// --- services
// Upstream's dropTypeDependentFields then patchAllocatedValues: a type change drops the values
// the new type does not use when the client left them as they were; values the client omitted
// are carried over from the stored object (so a PUT without clusterIP keeps it).
void ServicePrepareForUpdate(api::Service& svc, const api::Service& old, const PrepareOptions&) {
  auto& s = svc.spec;
  const auto& o = old.spec;
  if (s.type != o.type) {
    if (NeedsClusterIP(old) && !NeedsClusterIP(svc)) {
      if (s.clusterIP == o.clusterIP && s.clusterIPs == o.clusterIPs) {
        s.clusterIP.clear();
        s.clusterIPs.clear();
      }
      if (s.ipFamilies == o.ipFamilies) s.ipFamilies.clear();
      if (s.ipFamilyPolicy == o.ipFamilyPolicy) s.ipFamilyPolicy.clear();
    }
    if (MayHoldNodePorts(old) && !MayHoldNodePorts(svc)) {
      bool same = s.ports.size() == o.ports.size();
      for (size_t i = 0; same && i < s.ports.size(); ++i) {
        same = s.ports[i].nodePort.value_or(0) == o.ports[i].nodePort.value_or(0);
      }
      if (same) {
        for (auto& p : s.ports) p.nodePort.reset();
      }
    }
    if (NeedsHealthCheckNodePort(old) && !NeedsHealthCheckNodePort(svc) &&
        s.healthCheckNodePort == o.healthCheckNodePort) {
      s.healthCheckNodePort.reset();
    }
    if (ServiceIsType(old, "LoadBalancer") && !ServiceIsType(svc, "LoadBalancer")) {
      if (s.allocateLoadBalancerNodePorts && o.allocateLoadBalancerNodePorts &&
          *s.allocateLoadBalancerNodePorts == *o.allocateLoadBalancerNodePorts) {
        s.allocateLoadBalancerNodePorts.reset();
      }
      if (s.loadBalancerClass == o.loadBalancerClass) s.loadBalancerClass.clear();
    }
    if (ServiceExternallyAccessible(old) && !ServiceExternallyAccessible(svc) &&
        s.externalTrafficPolicy == o.externalTrafficPolicy) {
      s.externalTrafficPolicy.clear();
    }
  }
  if (NeedsClusterIP(old) && NeedsClusterIP(svc)) {
    if (s.clusterIP.empty()) s.clusterIP = o.clusterIP;
    if (s.clusterIPs.empty() && !o.clusterIPs.empty() && s.clusterIP == o.clusterIPs.front()) {
      s.clusterIPs = o.clusterIPs;
    }
  }
  if (MayHoldNodePorts(old) && MayHoldNodePorts(svc)) {
    // Node ports by port name; a value already used by another port is not patched in.
    std::set<int32_t> used;
    std::set<int32_t> old_used;
    for (const auto& p : o.ports) old_used.insert(p.nodePort.value_or(0));
    for (const auto& p : s.ports) {
      if (old_used.contains(p.nodePort.value_or(0))) used.insert(p.nodePort.value_or(0));
    }
    std::map<std::string, int32_t> by_name;
    for (const auto& p : o.ports) by_name[p.name] = p.nodePort.value_or(0);
    for (auto& p : s.ports) {
      if (p.nodePort.value_or(0) != 0) continue;
      auto it = by_name.find(p.name);
      if (it != by_name.end() && it->second != 0 && !used.contains(it->second)) {
        p.nodePort = it->second;
      }
    }
  }
  if (NeedsHealthCheckNodePort(old) && NeedsHealthCheckNodePort(svc) &&
      s.healthCheckNodePort.value_or(0) == 0) {
    s.healthCheckNodePort = o.healthCheckNodePort;
  }
}

// --- configmaps and secrets
void ConfigMapRow(const api::ConfigMap& cm, Clock::WallTime now, std::vector<value>& cells) {
  cells.emplace_back(static_cast<int64_t>(cm.data.size() + cm.binaryData.size()));
  cells.emplace_back(AgeOf(cm.metadata.creationTimestamp, now));
}

void ValidateDataKeys(const std::map<std::string, std::string>& data, const std::string& field,
                      ErrorList& errors) {
  for (const auto& [k, v] : data) {
    bool ok = !k.empty() && k.size() <= 253 && k != "." && k != ".." &&
              k.find_first_not_of(
                  "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                  "-._") == std::string::npos;
    if (!ok) {
      errors.push_back(api::Invalid(field, k,
                                    "a valid config key must consist of alphanumeric characters, "
                                    "'-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or "
                                    "'key-name', regex used for validation is "
                                    "'[-._a-zA-Z0-9]+')"));
    }
  }
}

void ConfigMapValidate(const api::ConfigMap& cm, const api::ConfigMap* old, ErrorList& errors) {
  ValidateDataKeys(cm.data, "data", errors);
  ValidateDataKeys(cm.binaryData, "binaryData", errors);
  if (old != nullptr && old->immutable.value_or(false)) {
    if (cm.data != old->data || cm.binaryData != old->binaryData) {
      errors.push_back(api::Forbidden("data", "field is immutable when `immutable` is set"));
    }
  }
}

void SecretRow(const api::Secret& s, Clock::WallTime now, std::vector<value>& cells) {
  cells.emplace_back(s.type);
  cells.emplace_back(static_cast<int64_t>(s.data.size()));
  cells.emplace_back(AgeOf(s.metadata.creationTimestamp, now));
}

void SecretValidate(const api::Secret& s, const api::Secret* old, ErrorList& errors) {
  ValidateDataKeys(s.data, "data", errors);
  if (old != nullptr && s.type != old->type) {
    errors.push_back(api::Invalid("type", s.type, "field is immutable"));
  }
}

// --- pods
void PodDefaults(api::Pod& pod, Operation op) {
  api::defaults::SetDefaults(pod);
  if (op == Operation::kCreate) api::defaults::SetPodCreateDefaults(pod);
}

// Defaults for kinds with no create-only behaviour.
template <typename T>
void Defaults(T& obj, Operation /*op*/) {
  api::defaults::SetDefaults(obj);
}

}  // namespace

void AddCoreKinds(Registry& r) {
  namespace v = api::validation;
  r.Add(MakeResource<api::Namespace>("namespaces", "namespace", false, {"ns"}, {}, true, false,
                                     NamespaceColumns(),
                                     {.name_rule = NameRule::kDns1123Label,
                                      .defaults = &NamespaceDefaults,
                                      .prepare_for_update = &NamespacePrepareForUpdate,
                                      .validate = &v::ValidateNamespace,
                                      .row = &NamespaceRow,
                                      .fields = &NamespaceFields}));
  r.Add(MakeResource<api::Pod>("pods", "pod", true, {"po"}, {"all"}, true, false, PodColumns(),
                               {.defaults = &PodDefaults,
                                .validate = &v::ValidatePod,
                                .row = &PodRow,
                                .fields = &PodFields}));
  r.Add(MakeResource<api::Node>("nodes", "node", false, {"no"}, {}, true, false, NodeColumns(),
                                {.keep_status_on_create = true,
                                 .defaults = &Defaults<api::Node>,
                                 .validate = &v::ValidateNode,
                                 .row = &NodeRow,
                                 .fields = &NodeFields}));
  r.Add(MakeResource<api::Service>("services", "service", true, {"svc"}, {"all"}, true, false,
                                   ServiceColumns(),
                                   {.name_rule = NameRule::kDns1035Label,
                                    .defaults = &Defaults<api::Service>,
                                    .prepare_for_update = &ServicePrepareForUpdate,
                                    .validate = &v::ValidateService,
                                    .row = &ServiceRow,
                                    .fields = &ServiceFields}));
  r.Add(MakeResource<api::Endpoints>("endpoints", "endpoints", true, {"ep"}, {}, false, false,
                                     EndpointsColumns(),
                                     {.defaults = &Defaults<api::Endpoints>,
                                      .validate = &v::ValidateEndpoints,
                                      .row = &EndpointsRow}));
  r.Add(MakeResource<api::ConfigMap>(
      "configmaps", "configmap", true, {"cm"}, {}, false, false,
      {kNameColumn, Col("Data", "string", "Data contains the configuration data."), kAgeColumn},
      {.validate = &ConfigMapValidate, .row = &ConfigMapRow}));
  r.Add(MakeResource<api::Secret>(
      "secrets", "secret", true, {}, {}, false, false,
      {kNameColumn, Col("Type", "string", "The type of the secret"),
       Col("Data", "string", "The number of data items in the secret"), kAgeColumn},
      {.defaults = &Defaults<api::Secret>,
       .validate = &SecretValidate,
       .row = &SecretRow,
       .fields = &SecretFields}));
  r.Add(MakeResource<api::Event>("events", "event", true, {"ev"}, {}, false, false, EventColumns(),
                                 {.name_rule = NameRule::kPathSegment,
                                  .validate = &v::ValidateEvent,
                                  .row = &EventRow,
                                  .fields = &EventFields}));
  r.Add(MakeResource<api::ServiceAccount>(
      "serviceaccounts", "serviceaccount", true, {"sa"}, {}, false, false, ServiceAccountColumns(),
      {.validate = &v::ValidateServiceAccount, .row = &ServiceAccountRow}));
  r.Add(MakeResource<api::LimitRange>("limitranges", "limitrange", true, {"limits"}, {}, false,
                                      false, LimitRangeColumns(),
                                      {.defaults = &Defaults<api::LimitRange>,
                                       .validate = &v::ValidateLimitRange,
                                       .row = &LimitRangeRow}));
  r.Add(MakeResource<api::ResourceQuota>(
      "resourcequotas", "resourcequota", true, {"quota"}, {}, true, false, ResourceQuotaColumns(),
      {.validate = &v::ValidateResourceQuota, .row = &ResourceQuotaRow}));
  r.Add(MakeResource<api::PersistentVolume>("persistentvolumes", "persistentvolume", false, {"pv"},
                                            {}, true, false, PersistentVolumeColumns(),
                                            {.defaults = &Defaults<api::PersistentVolume>,
                                             .validate = &v::ValidatePersistentVolume,
                                             .row = &PersistentVolumeRow}));
  r.Add(MakeResource<api::PersistentVolumeClaim>("persistentvolumeclaims", "persistentvolumeclaim",
                                                 true, {"pvc"}, {}, true, false,
                                                 PersistentVolumeClaimColumns(),
                                                 {.defaults = &Defaults<api::PersistentVolumeClaim>,
                                                  .validate = &v::ValidatePersistentVolumeClaim,
                                                  .row = &PersistentVolumeClaimRow,
                                                  .fields = &PersistentVolumeClaimFields}));
  r.Add(MakeResource<api::PodTemplate>("podtemplates", "podtemplate", true, {}, {}, false, false,
                                       PodTemplateColumns(),
                                       {.defaults = &Defaults<api::PodTemplate>,
                                        .validate = &v::ValidatePodTemplate,
                                        .row = &PodTemplateRow}));
  r.Add(MakeResource<api::ReplicationController>("replicationcontrollers", "replicationcontroller",
                                                 true, {"rc"}, {"all"}, true, true,
                                                 ReplicationControllerColumns(),
                                                 {.tracks_generation = true,
                                                  .defaults = &Defaults<api::ReplicationController>,
                                                  .validate = &v::ValidateReplicationController,
                                                  .row = &ReplicationControllerRow,
                                                  .fields = &ReplicationControllerFields}));
}

}  // namespace kubepp::apiserver
