#include "client/resource.h"

#include <array>

namespace kubepp::client {
namespace {

struct KindEntry {
  std::string_view group;
  std::string_view kind;
  std::string_view resource;
  bool namespaced;
};

// Every built-in kind of Kubernetes v1.32 that has a REST resource (upstream's
// `kubectl api-resources`).
constexpr std::array kKinds = {
    KindEntry{"", "Binding", "bindings", true},
    KindEntry{"", "ComponentStatus", "componentstatuses", false},
    KindEntry{"", "ConfigMap", "configmaps", true},
    KindEntry{"", "Endpoints", "endpoints", true},
    KindEntry{"", "Event", "events", true},
    KindEntry{"", "LimitRange", "limitranges", true},
    KindEntry{"", "Namespace", "namespaces", false},
    KindEntry{"", "Node", "nodes", false},
    KindEntry{"", "PersistentVolumeClaim", "persistentvolumeclaims", true},
    KindEntry{"", "PersistentVolume", "persistentvolumes", false},
    KindEntry{"", "Pod", "pods", true},
    KindEntry{"", "PodTemplate", "podtemplates", true},
    KindEntry{"", "ReplicationController", "replicationcontrollers", true},
    KindEntry{"", "ResourceQuota", "resourcequotas", true},
    KindEntry{"", "Secret", "secrets", true},
    KindEntry{"", "ServiceAccount", "serviceaccounts", true},
    KindEntry{"", "Service", "services", true},
    KindEntry{"admissionregistration.k8s.io", "MutatingWebhookConfiguration",
              "mutatingwebhookconfigurations", false},
    KindEntry{"admissionregistration.k8s.io", "ValidatingWebhookConfiguration",
              "validatingwebhookconfigurations", false},
    KindEntry{"admissionregistration.k8s.io", "ValidatingAdmissionPolicy",
              "validatingadmissionpolicies", false},
    KindEntry{"admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding",
              "validatingadmissionpolicybindings", false},
    KindEntry{"apiextensions.k8s.io", "CustomResourceDefinition", "customresourcedefinitions",
              false},
    KindEntry{"apiregistration.k8s.io", "APIService", "apiservices", false},
    KindEntry{"apps", "ControllerRevision", "controllerrevisions", true},
    KindEntry{"apps", "DaemonSet", "daemonsets", true},
    KindEntry{"apps", "Deployment", "deployments", true},
    KindEntry{"apps", "ReplicaSet", "replicasets", true},
    KindEntry{"apps", "StatefulSet", "statefulsets", true},
    KindEntry{"authentication.k8s.io", "TokenReview", "tokenreviews", false},
    KindEntry{"authentication.k8s.io", "SelfSubjectReview", "selfsubjectreviews", false},
    KindEntry{"authorization.k8s.io", "LocalSubjectAccessReview", "localsubjectaccessreviews",
              true},
    KindEntry{"authorization.k8s.io", "SelfSubjectAccessReview", "selfsubjectaccessreviews", false},
    KindEntry{"authorization.k8s.io", "SelfSubjectRulesReview", "selfsubjectrulesreviews", false},
    KindEntry{"authorization.k8s.io", "SubjectAccessReview", "subjectaccessreviews", false},
    KindEntry{"autoscaling", "HorizontalPodAutoscaler", "horizontalpodautoscalers", true},
    KindEntry{"batch", "CronJob", "cronjobs", true},
    KindEntry{"batch", "Job", "jobs", true},
    KindEntry{"certificates.k8s.io", "CertificateSigningRequest", "certificatesigningrequests",
              false},
    KindEntry{"coordination.k8s.io", "Lease", "leases", true},
    KindEntry{"discovery.k8s.io", "EndpointSlice", "endpointslices", true},
    KindEntry{"events.k8s.io", "Event", "events", true},
    KindEntry{"flowcontrol.apiserver.k8s.io", "FlowSchema", "flowschemas", false},
    KindEntry{"flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration",
              "prioritylevelconfigurations", false},
    KindEntry{"networking.k8s.io", "IngressClass", "ingressclasses", false},
    KindEntry{"networking.k8s.io", "Ingress", "ingresses", true},
    KindEntry{"networking.k8s.io", "NetworkPolicy", "networkpolicies", true},
    KindEntry{"node.k8s.io", "RuntimeClass", "runtimeclasses", false},
    KindEntry{"policy", "PodDisruptionBudget", "poddisruptionbudgets", true},
    KindEntry{"rbac.authorization.k8s.io", "ClusterRoleBinding", "clusterrolebindings", false},
    KindEntry{"rbac.authorization.k8s.io", "ClusterRole", "clusterroles", false},
    KindEntry{"rbac.authorization.k8s.io", "RoleBinding", "rolebindings", true},
    KindEntry{"rbac.authorization.k8s.io", "Role", "roles", true},
    KindEntry{"scheduling.k8s.io", "PriorityClass", "priorityclasses", false},
    KindEntry{"storage.k8s.io", "CSIDriver", "csidrivers", false},
    KindEntry{"storage.k8s.io", "CSINode", "csinodes", false},
    KindEntry{"storage.k8s.io", "CSIStorageCapacity", "csistoragecapacities", true},
    KindEntry{"storage.k8s.io", "StorageClass", "storageclasses", false},
    KindEntry{"storage.k8s.io", "VolumeAttachment", "volumeattachments", false},
};

}  // namespace

std::string ResourceRef::GroupVersion() const {
  if (group.empty()) return version;
  return group + "/" + version;
}

Result<ResourceRef> ResourceForKind(std::string_view group, std::string_view version,
                                    std::string_view kind) {
  for (const auto& e : kKinds) {
    if (e.group == group && e.kind == kind) {
      return ResourceRef{std::string(group), std::string(version), std::string(e.resource),
                         std::string(kind), e.namespaced};
    }
  }
  return Status::NotFound("no REST resource known for kind " + std::string(kind) + " in group \"" +
                          std::string(group) + "\"");
}

}  // namespace kubepp::client
