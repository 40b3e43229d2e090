// core/v1 kinds.
#include "apiserver/registry/kind_ops.h"
#include "apiserver/registry/registry_kinds.h"

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
  if (ns.status.phase.empty()) ns.status.phase = "Active";
  // The name label upstream's NamespaceDefaultLabelName admission sets on every namespace.
  ns.metadata.labels["kubernetes.io/metadata.name"] = ns.metadata.name;
}

void NamespaceRow(const api::Namespace& ns, Clock::WallTime now, std::vector<value>& cells) {
  cells.emplace_back(ns.status.phase);
  cells.emplace_back(AgeOf(ns.metadata.creationTimestamp, now));
}

void NamespaceFields(const api::Namespace& ns, std::map<std::string, std::string>& out) {
  out["status.phase"] = ns.status.phase;
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

void SecretDefaults(api::Secret& s, Operation) {
  if (s.type.empty()) s.type = "Opaque";
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

void SecretFields(const api::Secret& s, std::map<std::string, std::string>& out) {
  out["type"] = s.type;
}

// --- pods
void PodDefaults(api::Pod& pod, Operation op) {
  if (op == Operation::kCreate) {
    if (!pod.status.phase.empty()) pod.status = {};
    pod.status.phase = "Pending";
  }
}

void PodValidate(const api::Pod& pod, const api::Pod* /*old*/, ErrorList& errors) {
  if (pod.spec.containers.empty()) errors.push_back(api::Required("spec.containers"));
}

void PodFields(const api::Pod& pod, std::map<std::string, std::string>& out) {
  out["spec.nodeName"] = pod.spec.nodeName;
  out["spec.restartPolicy"] = pod.spec.restartPolicy;
  out["spec.schedulerName"] = pod.spec.schedulerName;
  out["spec.serviceAccountName"] = pod.spec.serviceAccountName;
  out["spec.hostNetwork"] = pod.spec.hostNetwork.value_or(false) ? "true" : "false";
  out["status.phase"] = pod.status.phase;
  out["status.podIP"] = pod.status.podIP;
  out["status.nominatedNodeName"] = pod.status.nominatedNodeName;
}

void PodRow(const api::Pod& pod, Clock::WallTime now, std::vector<value>& cells) {
  int total = static_cast<int>(pod.spec.containers.size());
  int ready = 0;
  int64_t restarts = 0;
  std::string reason = pod.status.reason.empty() ? pod.status.phase : pod.status.reason;
  for (const auto& cs : pod.status.containerStatuses) {
    restarts += cs.restartCount;
    if (cs.ready) ++ready;
    if (cs.state && cs.state->waiting && !cs.state->waiting->reason.empty()) {
      reason = cs.state->waiting->reason;
    } else if (cs.state && cs.state->terminated && !cs.state->terminated->reason.empty()) {
      reason = cs.state->terminated->reason;
    }
  }
  if (!pod.metadata.deletionTimestamp.empty()) reason = "Terminating";
  cells.emplace_back(fmt::format("{}/{}", ready, total));
  cells.emplace_back(reason);
  cells.emplace_back(restarts);
  cells.emplace_back(AgeOf(pod.metadata.creationTimestamp, now));
  cells.emplace_back(pod.status.podIP.empty() ? "<none>" : pod.status.podIP);
  cells.emplace_back(pod.spec.nodeName.empty() ? "<none>" : pod.spec.nodeName);
  cells.emplace_back(pod.status.nominatedNodeName.empty() ? "<none>"
                                                          : pod.status.nominatedNodeName);
  cells.emplace_back("<none>");
}

// --- nodes
void NodeFields(const api::Node& node, std::map<std::string, std::string>& out) {
  out["spec.unschedulable"] = node.spec.unschedulable.value_or(false) ? "true" : "false";
}

}  // namespace

void AddCoreKinds(Registry& r) {
  r.Add(MakeResource<api::Namespace>(
      "namespaces", "namespace", false, {"ns"}, {}, true, false,
      {kNameColumn, Col("Status", "string", "The status of the namespace"), kAgeColumn},
      {.name_rule = NameRule::kDns1123Label,
       .defaults = &NamespaceDefaults,
       .row = &NamespaceRow,
       .fields = &NamespaceFields}));
  r.Add(MakeResource<api::Pod>(
      "pods", "pod", true, {"po"}, {"all"}, true, false,
      {kNameColumn, Col("Ready", "string", "The aggregate readiness state of this pod"),
       Col("Status", "string", "The aggregate status of the containers in this pod."),
       Col("Restarts", "string",
           "The number of times the containers in this pod have been "
           "restarted and when the last container in this pod has "
           "restarted."),
       kAgeColumn, Col("IP", "string", "The IP address assigned to the pod", 1),
       Col("Node", "string", "The node the pod is assigned to", 1),
       Col("Nominated Node", "string", "The node the pod is nominated to run on", 1),
       Col("Readiness Gates", "string", "The readiness gates of the pod", 1)},
      {.defaults = &PodDefaults, .validate = &PodValidate, .row = &PodRow, .fields = &PodFields}));
  r.Add(MakeResource<api::Node>("nodes", "node", false, {"no"}, {}, true, false, {},
                                {.fields = &NodeFields}));
  r.Add(MakeResource<api::Service>("services", "service", true, {"svc"}, {"all"}, true, false, {},
                                   {.name_rule = NameRule::kDns1035Label}));
  r.Add(MakeResource<api::Endpoints>("endpoints", "endpoints", true, {"ep"}, {}, false, false, {},
                                     {}));
  r.Add(MakeResource<api::ConfigMap>(
      "configmaps", "configmap", true, {"cm"}, {}, false, false,
      {kNameColumn, Col("Data", "string", "Data contains the configuration data."), kAgeColumn},
      {.validate = &ConfigMapValidate, .row = &ConfigMapRow}));
  r.Add(MakeResource<api::Secret>(
      "secrets", "secret", true, {}, {}, false, false,
      {kNameColumn, Col("Type", "string", "The type of the secret"),
       Col("Data", "string", "The number of data items in the secret"), kAgeColumn},
      {.defaults = &SecretDefaults,
       .validate = &SecretValidate,
       .row = &SecretRow,
       .fields = &SecretFields}));
  r.Add(MakeResource<api::Event>("events", "event", true, {"ev"}, {}, false, false, {},
                                 {.name_rule = NameRule::kPathSegment}));
  r.Add(MakeResource<api::ServiceAccount>("serviceaccounts", "serviceaccount", true, {"sa"}, {},
                                          false, false, {}, {}));
  r.Add(MakeResource<api::LimitRange>("limitranges", "limitrange", true, {"limits"}, {}, false,
                                      false, {}, {}));
  r.Add(MakeResource<api::ResourceQuota>("resourcequotas", "resourcequota", true, {"quota"}, {},
                                         true, false, {}, {}));
  r.Add(MakeResource<api::PersistentVolume>("persistentvolumes", "persistentvolume", false, {"pv"},
                                            {}, true, false, {}, {}));
  r.Add(MakeResource<api::PersistentVolumeClaim>("persistentvolumeclaims", "persistentvolumeclaim",
                                                 true, {"pvc"}, {}, true, false, {}, {}));
  r.Add(MakeResource<api::PodTemplate>("podtemplates", "podtemplate", true, {}, {}, false, false,
                                       {}, {}));
  r.Add(MakeResource<api::ReplicationController>("replicationcontrollers", "replicationcontroller",
                                                 true, {"rc"}, {"all"}, true, true, {},
                                                 {.tracks_generation = true}));
}

}  // namespace kubepp::apiserver
