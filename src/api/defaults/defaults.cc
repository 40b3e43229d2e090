#include "api/defaults/defaults.h"

#include <algorithm>
#include <limits>

#include "api/validation/quantity_value.h"
#include "base/clock.h"

namespace kubepp::api::defaults {
namespace {

template <typename T, typename V>
void Default(std::optional<T>& field, V value) {
  if (!field) field = T(value);
}
void Default(std::string& field, const char* value) {
  if (field.empty()) field = value;
}

void SetProbeDefaults(std::optional<Probe>& probe) {
  if (!probe) return;
  Default(probe->timeoutSeconds, 1);
  Default(probe->periodSeconds, 10);
  Default(probe->successThreshold, 1);
  Default(probe->failureThreshold, 3);
  if (probe->httpGet) {
    Default(probe->httpGet->path, "/");
    Default(probe->httpGet->scheme, "HTTP");
  }
}

void SetHandlerDefaults(std::optional<LifecycleHandler>& h) {
  if (h && h->httpGet) {
    Default(h->httpGet->path, "/");
    Default(h->httpGet->scheme, "HTTP");
  }
}

// Upstream: Always for ":latest" or no tag (a digest counts as a tag), else IfNotPresent.
std::string PullPolicyFor(const std::string& image) {
  if (image.find('@') != std::string::npos) return "IfNotPresent";
  size_t slash = image.rfind('/');
  size_t colon = image.rfind(':');
  bool has_tag = colon != std::string::npos && (slash == std::string::npos || colon > slash);
  if (!has_tag) return "Always";
  return image.substr(colon + 1) == "latest" ? "Always" : "IfNotPresent";
}

template <typename C>
void SetContainerDefaults(C& c) {
  if (c.imagePullPolicy.empty() && !c.image.empty()) c.imagePullPolicy = PullPolicyFor(c.image);
  Default(c.terminationMessagePath, "/dev/termination-log");
  Default(c.terminationMessagePolicy, "File");
  for (auto& p : c.ports) Default(p.protocol, "TCP");
  for (auto& e : c.env) {
    if (e.valueFrom && e.valueFrom->fieldRef) Default(e.valueFrom->fieldRef->apiVersion, "v1");
  }
  SetProbeDefaults(c.livenessProbe);
  SetProbeDefaults(c.readinessProbe);
  SetProbeDefaults(c.startupProbe);
  if (c.lifecycle) {
    SetHandlerDefaults(c.lifecycle->postStart);
    SetHandlerDefaults(c.lifecycle->preStop);
  }
}

bool HasVolumeSource(const Volume& v) {
  return v.awsElasticBlockStore || v.azureDisk || v.azureFile || v.cephfs || v.cinder ||
         v.configMap || v.csi || v.downwardAPI || v.emptyDir || v.ephemeral || v.fc ||
         v.flexVolume || v.flocker || v.gcePersistentDisk || v.gitRepo || v.glusterfs ||
         v.hostPath || v.image || v.iscsi || v.nfs || v.persistentVolumeClaim ||
         v.photonPersistentDisk || v.portworxVolume || v.projected || v.quobyte || v.rbd ||
         v.scaleIO || v.secret || v.storageos || v.vsphereVolume;
}

void SetVolumeDefaults(Volume& v) {
  if (!HasVolumeSource(v)) v.emptyDir = EmptyDirVolumeSource{};
  if (v.secret) Default(v.secret->defaultMode, 420);
  if (v.configMap) Default(v.configMap->defaultMode, 420);
  if (v.downwardAPI) {
    Default(v.downwardAPI->defaultMode, 420);
    for (auto& item : v.downwardAPI->items) {
      if (item.fieldRef) Default(item.fieldRef->apiVersion, "v1");
    }
  }
  if (v.projected) Default(v.projected->defaultMode, 420);
  if (v.iscsi) Default(v.iscsi->iscsiInterface, "default");
  if (v.image) {
    if (v.image->pullPolicy.empty() && !v.image->reference.empty()) {
      v.image->pullPolicy = PullPolicyFor(v.image->reference);
    }
  }
}

// SetDefaults_PodSpec: what every pod spec (pods and templates) gets.
void SetPodSpecDefaults(PodSpec& spec) {
  Default(spec.dnsPolicy, "ClusterFirst");
  Default(spec.restartPolicy, "Always");
  if (!spec.securityContext) spec.securityContext = PodSecurityContext{};
  Default(spec.terminationGracePeriodSeconds, 30);
  Default(spec.schedulerName, "default-scheduler");
  // The deprecated serviceAccount mirrors serviceAccountName (conversion).
  if (spec.serviceAccountName.empty()) spec.serviceAccountName = spec.serviceAccount;
  if (!spec.serviceAccountName.empty()) spec.serviceAccount = spec.serviceAccountName;
  for (auto& c : spec.initContainers) SetContainerDefaults(c);
  for (auto& c : spec.containers) SetContainerDefaults(c);
  for (auto& c : spec.ephemeralContainers) SetContainerDefaults(c);
  for (auto& v : spec.volumes) SetVolumeDefaults(v);
}

// SetDefaults_Pod: requests default to limits where unset.
void DefaultRequestsFromLimits(std::optional<ResourceRequirements>& r) {
  if (!r) return;
  for (const auto& [name, q] : r->limits) {
    if (!r->requests.contains(name)) r->requests[name] = q;
  }
}

void SetPvcSpecDefaults(PersistentVolumeClaimSpec& spec) { Default(spec.volumeMode, "Filesystem"); }

}  // namespace

void SetDefaults(Pod& pod) {
  SetPodSpecDefaults(pod.spec);
  for (auto& c : pod.spec.initContainers) DefaultRequestsFromLimits(c.resources);
  for (auto& c : pod.spec.containers) DefaultRequestsFromLimits(c.resources);
  Default(pod.spec.enableServiceLinks, true);
  if (pod.spec.hostNetwork.value_or(false)) {
    // defaultHostNetworkPorts: host ports follow container ports.
    for (auto* list : {&pod.spec.initContainers, &pod.spec.containers}) {
      for (auto& c : *list) {
        for (auto& p : c.ports) Default(p.hostPort, p.containerPort);
      }
    }
  }
}

void SetDefaults(PodTemplateSpec& tmpl) { SetPodSpecDefaults(tmpl.spec); }

void SetDefaults(PodTemplate& pt) { SetDefaults(pt.template_); }

void SetDefaults(ReplicationController& rc) {
  const auto& labels = rc.spec.template_.metadata.labels;
  if (rc.spec.selector.empty()) rc.spec.selector = labels;
  if (rc.metadata.labels.empty()) rc.metadata.labels = labels;
  Default(rc.spec.replicas, 1);
  SetDefaults(rc.spec.template_);
}

void SetDefaults(Service& svc) {
  auto& spec = svc.spec;
  Default(spec.sessionAffinity, "None");
  Default(spec.type, "ClusterIP");
  for (auto& p : spec.ports) {
    Default(p.protocol, "TCP");
    if (!p.targetPort || (!p.targetPort->is_string && p.targetPort->int_value == 0) ||
        (p.targetPort->is_string && p.targetPort->str_value.empty())) {
      p.targetPort = IntOrString::FromInt(p.port);
    }
  }
  if (spec.type == "NodePort" || spec.type == "LoadBalancer") {
    Default(spec.externalTrafficPolicy, "Cluster");
  }
  if (spec.type != "ExternalName") Default(spec.internalTrafficPolicy, "Cluster");
  if (spec.sessionAffinity == "ClientIP") {
    if (!spec.sessionAffinityConfig) spec.sessionAffinityConfig = SessionAffinityConfig{};
    if (!spec.sessionAffinityConfig->clientIP)
      spec.sessionAffinityConfig->clientIP = ClientIPConfig{};
    Default(spec.sessionAffinityConfig->clientIP->timeoutSeconds, 10800);
  }
  if (spec.type == "LoadBalancer") Default(spec.allocateLoadBalancerNodePorts, true);
  // The registry's IP family defaulting (a single-stack IPv4 cluster).
  if (spec.type != "ExternalName") {
    if (spec.clusterIPs.empty() && !spec.clusterIP.empty()) spec.clusterIPs = {spec.clusterIP};
    if (spec.ipFamilyPolicy.empty()) {
      bool headless_selectorless = spec.clusterIP == "None" && spec.selector.empty();
      spec.ipFamilyPolicy = headless_selectorless ? "RequireDualStack" : "SingleStack";
    }
    if (spec.ipFamilies.empty()) spec.ipFamilies = {"IPv4"};
  }
}

void SetDefaults(Namespace& ns) { Default(ns.status.phase, "Active"); }

void SetDefaults(Node& node) {
  if (node.status.allocatable.empty()) node.status.allocatable = node.status.capacity;
}

void SetDefaults(Secret& secret) { Default(secret.type, "Opaque"); }

void SetDefaults(Endpoints& ep) {
  for (auto& s : ep.subsets) {
    for (auto& p : s.ports) Default(p.protocol, "TCP");
  }
}

void SetDefaults(PersistentVolume& pv) {
  Default(pv.status.phase, "Pending");
  Default(pv.spec.persistentVolumeReclaimPolicy, "Retain");
  Default(pv.spec.volumeMode, "Filesystem");
}

void SetDefaults(PersistentVolumeClaim& pvc) {
  SetPvcSpecDefaults(pvc.spec);
  Default(pvc.status.phase, "Pending");
}

void SetDefaults(LimitRange& lr) {
  for (auto& item : lr.spec.limits) {
    if (item.type != "Container") continue;
    for (const auto& [name, q] : item.max) {
      if (!item.default_.contains(name)) item.default_[name] = q;
    }
    for (const auto& [name, q] : item.default_) {
      if (!item.defaultRequest.contains(name)) item.defaultRequest[name] = q;
    }
  }
}

void SetDefaults(Deployment& d) {
  auto& spec = d.spec;
  Default(spec.replicas, 1);
  if (!spec.strategy) spec.strategy = DeploymentStrategy{};
  Default(spec.strategy->type, "RollingUpdate");
  if (spec.strategy->type == "RollingUpdate") {
    if (!spec.strategy->rollingUpdate) spec.strategy->rollingUpdate = RollingUpdateDeployment{};
    Default(spec.strategy->rollingUpdate->maxUnavailable, IntOrString::FromString("25%"));
    Default(spec.strategy->rollingUpdate->maxSurge, IntOrString::FromString("25%"));
  }
  Default(spec.revisionHistoryLimit, 10);
  Default(spec.progressDeadlineSeconds, 600);
  SetDefaults(spec.template_);
}

void SetDefaults(ReplicaSet& rs) {
  Default(rs.spec.replicas, 1);
  SetDefaults(rs.spec.template_);
}

void SetDefaults(StatefulSet& sts) {
  auto& spec = sts.spec;
  Default(spec.podManagementPolicy, "OrderedReady");
  if (!spec.updateStrategy) spec.updateStrategy = StatefulSetUpdateStrategy{};
  Default(spec.updateStrategy->type, "RollingUpdate");
  if (spec.updateStrategy->type == "RollingUpdate") {
    if (!spec.updateStrategy->rollingUpdate) {
      spec.updateStrategy->rollingUpdate = RollingUpdateStatefulSetStrategy{};
    }
    Default(spec.updateStrategy->rollingUpdate->partition, 0);
  }
  if (!spec.persistentVolumeClaimRetentionPolicy) {
    spec.persistentVolumeClaimRetentionPolicy = StatefulSetPersistentVolumeClaimRetentionPolicy{};
  }
  Default(spec.persistentVolumeClaimRetentionPolicy->whenDeleted, "Retain");
  Default(spec.persistentVolumeClaimRetentionPolicy->whenScaled, "Retain");
  Default(spec.replicas, 1);
  Default(spec.revisionHistoryLimit, 10);
  for (auto& pvc : spec.volumeClaimTemplates) {
    SetPvcSpecDefaults(pvc.spec);
    Default(pvc.status.phase, "Pending");
  }
  SetDefaults(spec.template_);
}

void SetDefaults(DaemonSet& ds) {
  auto& spec = ds.spec;
  if (!spec.updateStrategy) spec.updateStrategy = DaemonSetUpdateStrategy{};
  Default(spec.updateStrategy->type, "RollingUpdate");
  if (spec.updateStrategy->type == "RollingUpdate") {
    if (!spec.updateStrategy->rollingUpdate) {
      spec.updateStrategy->rollingUpdate = RollingUpdateDaemonSet{};
    }
    Default(spec.updateStrategy->rollingUpdate->maxUnavailable, IntOrString::FromInt(1));
    Default(spec.updateStrategy->rollingUpdate->maxSurge, IntOrString::FromInt(0));
  }
  Default(spec.revisionHistoryLimit, 10);
  SetDefaults(spec.template_);
}

void SetDefaults(HorizontalPodAutoscaler& hpa) { Default(hpa.spec.minReplicas, 1); }

void SetDefaults(Job& job) {
  auto& spec = job.spec;
  if (!spec.completions && !spec.parallelism) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  Default(spec.parallelism, 1);
  if (!spec.backoffLimit) {
    spec.backoffLimit = spec.backoffLimitPerIndex ? std::numeric_limits<int32_t>::max() : 6;
  }
  if (job.metadata.labels.empty()) job.metadata.labels = spec.template_.metadata.labels;
  Default(spec.completionMode, "NonIndexed");
  Default(spec.suspend, false);
  if (spec.podFailurePolicy) {
    for (auto& rule : spec.podFailurePolicy->rules) {
      for (auto& pattern : rule.onPodConditions) Default(pattern.status, "True");
    }
  }
  Default(spec.podReplacementPolicy, spec.podFailurePolicy ? "Failed" : "TerminatingOrFailed");
  SetDefaults(spec.template_);
}

void SetDefaults(CronJob& cj) {
  auto& spec = cj.spec;
  Default(spec.concurrencyPolicy, "Allow");
  Default(spec.suspend, false);
  Default(spec.successfulJobsHistoryLimit, 3);
  Default(spec.failedJobsHistoryLimit, 1);
  SetDefaults(spec.jobTemplate.spec.template_);
}

void SetDefaults(EndpointSlice& slice) {
  for (auto& p : slice.ports) Default(p.protocol, "TCP");
}

void SetDefaults(NetworkPolicy& np) {
  for (auto& rule : np.spec.ingress) {
    for (auto& p : rule.ports) Default(p.protocol, "TCP");
  }
  for (auto& rule : np.spec.egress) {
    for (auto& p : rule.ports) Default(p.protocol, "TCP");
  }
  if (np.spec.policyTypes.empty()) {
    np.spec.policyTypes.emplace_back("Ingress");
    if (!np.spec.egress.empty()) np.spec.policyTypes.emplace_back("Egress");
  }
}

void SetDefaults(PriorityClass& pc) { Default(pc.preemptionPolicy, "PreemptLowerPriority"); }

std::string ComputeQosClass(const PodSpec& spec) {
  // Upstream's GetPodQOS: requests/limits of cpu and memory over init and app containers.
  std::map<std::string, long double> requests;
  std::map<std::string, long double> limits;
  bool guaranteed = true;
  auto visit = [&](const Container& c) {
    const ResourceRequirements empty;
    const ResourceRequirements& r = c.resources ? *c.resources : empty;
    for (const auto& [name, q] : r.requests) {
      if (name != "cpu" && name != "memory") continue;
      auto v = validation::QuantityValue(q.text);
      if (v && *v != 0) requests[name] += *v;
    }
    int limit_count = 0;
    for (const auto& [name, q] : r.limits) {
      if (name != "cpu" && name != "memory") continue;
      auto v = validation::QuantityValue(q.text);
      if (v && *v != 0) {
        ++limit_count;
        limits[name] += *v;
      }
    }
    if (limit_count != 2) guaranteed = false;
  };
  for (const auto& c : spec.initContainers) visit(c);
  for (const auto& c : spec.containers) visit(c);
  if (requests.empty() && limits.empty()) return "BestEffort";
  if (guaranteed) {
    for (const auto& [name, v] : requests) {
      auto it = limits.find(name);
      if (it == limits.end() || it->second != v) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && limits.size() == 2 ? "Guaranteed" : "Burstable";
}

void SetPodCreateDefaults(Pod& pod) {
  auto& spec = pod.spec;
  if (spec.serviceAccountName.empty()) spec.serviceAccountName = "default";
  spec.serviceAccount = spec.serviceAccountName;
  // DefaultTolerationSeconds admission.
  for (const char* key : {"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"}) {
    bool present =
        std::any_of(spec.tolerations.begin(), spec.tolerations.end(), [&](const Toleration& t) {
          return (t.key == key || (t.key.empty() && t.operator_ == "Exists")) &&
                 (t.effect.empty() || t.effect == "NoExecute");
        });
    if (!present) {
      Toleration t;
      t.key = key;
      t.operator_ = "Exists";
      t.effect = "NoExecute";
      t.tolerationSeconds = 300;
      spec.tolerations.push_back(std::move(t));
    }
  }
  // spec.priority and spec.preemptionPolicy are the Priority admission's (it rejects a priority
  // the client sent that differs from the class's, so they are not defaulted here).
  pod.status = {};
  pod.status.phase = "Pending";
  pod.status.qosClass = ComputeQosClass(spec);
  // upstream's applySchedulingGatedCondition: a gated pod says why it waits.
  if (!spec.schedulingGates.empty()) {
    PodCondition c;
    c.type = "PodScheduled";
    c.status = "False";
    c.reason = "SchedulingGated";
    c.message = "Scheduling is blocked due to non-empty scheduling gates";
    c.lastTransitionTime = FormatRfc3339(Clock::Real().WallNow());
    pod.status.conditions.push_back(std::move(c));
  }
}

void GenerateJobSelector(Job& job) {
  if (job.spec.manualSelector.value_or(false)) return;
  auto& labels = job.spec.template_.metadata.labels;
  for (const char* key : {"job-name", "batch.kubernetes.io/job-name"}) {
    if (!labels.contains(key)) labels[key] = job.metadata.name;
  }
  for (const char* key : {"controller-uid", "batch.kubernetes.io/controller-uid"}) {
    if (!labels.contains(key)) labels[key] = job.metadata.uid;
  }
  if (!job.spec.selector) job.spec.selector = LabelSelector{};
  auto& match = job.spec.selector->matchLabels;
  if (!match.contains("batch.kubernetes.io/controller-uid")) {
    match["batch.kubernetes.io/controller-uid"] = job.metadata.uid;
  }
}

}  // namespace kubepp::api::defaults
