// core/v1 validation (upstream pkg/apis/core/validation).
#include <set>

#include "api/selector.h"
#include "api/validation/quantity_value.h"
#include "api/validation/validation.h"
#include "api/validation/validation_util.h"

namespace kubepp::api::validation {
namespace {

const std::vector<std::string> kProtocols = {"SCTP", "TCP", "UDP"};

// The names of the volume sources set on `v`, in field order.
std::vector<std::string> VolumeSources(const Volume& v) {
  std::vector<std::string> out;
  auto add = [&](bool set, const char* name) {
    if (set) out.emplace_back(name);
  };
  add(v.hostPath.has_value(), "hostPath");
  add(v.emptyDir.has_value(), "emptyDir");
  add(v.gcePersistentDisk.has_value(), "gcePersistentDisk");
  add(v.awsElasticBlockStore.has_value(), "awsElasticBlockStore");
  add(v.gitRepo.has_value(), "gitRepo");
  add(v.secret.has_value(), "secret");
  add(v.nfs.has_value(), "nfs");
  add(v.iscsi.has_value(), "iscsi");
  add(v.glusterfs.has_value(), "glusterfs");
  add(v.persistentVolumeClaim.has_value(), "persistentVolumeClaim");
  add(v.rbd.has_value(), "rbd");
  add(v.flexVolume.has_value(), "flexVolume");
  add(v.cinder.has_value(), "cinder");
  add(v.cephfs.has_value(), "cephfs");
  add(v.flocker.has_value(), "flocker");
  add(v.downwardAPI.has_value(), "downwardAPI");
  add(v.fc.has_value(), "fc");
  add(v.azureFile.has_value(), "azureFile");
  add(v.configMap.has_value(), "configMap");
  add(v.vsphereVolume.has_value(), "vsphereVolume");
  add(v.quobyte.has_value(), "quobyte");
  add(v.azureDisk.has_value(), "azureDisk");
  add(v.photonPersistentDisk.has_value(), "photonPersistentDisk");
  add(v.projected.has_value(), "projected");
  add(v.portworxVolume.has_value(), "portworxVolume");
  add(v.scaleIO.has_value(), "scaleIO");
  add(v.storageos.has_value(), "storageos");
  add(v.csi.has_value(), "csi");
  add(v.ephemeral.has_value(), "ephemeral");
  add(v.image.has_value(), "image");
  return out;
}

void ValidateVolumes(const std::vector<Volume>& volumes, const std::string& path,
                     std::set<std::string>& names, ErrorList& errors) {
  for (size_t i = 0; i < volumes.size(); ++i) {
    const Volume& v = volumes[i];
    std::string p = Idx(path, i);
    if (v.name.empty()) {
      errors.push_back(Required(p + ".name"));
    } else {
      auto msgs = IsDns1123Label(v.name);
      for (auto& m : msgs) errors.push_back(Invalid(p + ".name", v.name, m));
      if (msgs.empty() && !names.insert(v.name).second) {
        errors.push_back(Duplicate(p + ".name", v.name));
      }
    }
    auto sources = VolumeSources(v);
    if (sources.empty()) {
      errors.push_back(Required(p, "must specify a volume type"));
    } else if (sources.size() > 1) {
      errors.push_back(Forbidden(p + "." + sources[1], "may not specify more than 1 volume type"));
    }
    if (v.hostPath && v.hostPath->path.empty()) errors.push_back(Required(p + ".hostPath.path"));
    if (v.secret && v.secret->secretName.empty()) {
      errors.push_back(Required(p + ".secret.secretName"));
    }
    if (v.configMap && v.configMap->name.empty()) {
      errors.push_back(Required(p + ".configMap.name"));
    }
    if (v.persistentVolumeClaim && v.persistentVolumeClaim->claimName.empty()) {
      errors.push_back(Required(p + ".persistentVolumeClaim.claimName"));
    }
    if (v.nfs) {
      if (v.nfs->server.empty()) errors.push_back(Required(p + ".nfs.server"));
      if (v.nfs->path.empty()) errors.push_back(Required(p + ".nfs.path"));
    }
  }
}

void ValidateProbe(const std::optional<Probe>& probe, const std::string& path, bool liveness_like,
                   ErrorList& errors) {
  if (!probe) return;
  int handlers = 0;
  std::string second;
  auto count = [&](bool set, const char* name) {
    if (!set) return;
    if (++handlers == 2) second = name;
  };
  count(probe->exec.has_value(), "exec");
  count(probe->httpGet.has_value(), "httpGet");
  count(probe->tcpSocket.has_value(), "tcpSocket");
  count(probe->grpc.has_value(), "grpc");
  if (handlers == 0) {
    errors.push_back(Required(path, "must specify a handler type"));
  } else if (handlers > 1) {
    errors.push_back(Forbidden(path + "." + second, "may not specify more than 1 handler type"));
  }
  ValidateNonnegative(probe->initialDelaySeconds.value_or(0), path + ".initialDelaySeconds",
                      errors);
  ValidateNonnegative(probe->timeoutSeconds.value_or(0), path + ".timeoutSeconds", errors);
  ValidateNonnegative(probe->periodSeconds.value_or(0), path + ".periodSeconds", errors);
  ValidateNonnegative(probe->successThreshold.value_or(0), path + ".successThreshold", errors);
  ValidateNonnegative(probe->failureThreshold.value_or(0), path + ".failureThreshold", errors);
  if (liveness_like && probe->successThreshold && *probe->successThreshold != 1) {
    errors.push_back(InvalidInt(path + ".successThreshold", *probe->successThreshold, "must be 1"));
  }
  auto check_port = [&](const IntOrString& port, const std::string& p) {
    if (port.is_string) {
      for (auto& m : PortNameErrors(port.str_value))
        errors.push_back(Invalid(p, port.str_value, m));
    } else {
      ValidatePortNumber(port.int_value, p, errors);
    }
  };
  if (probe->httpGet) check_port(probe->httpGet->port, path + ".httpGet.port");
  if (probe->tcpSocket) check_port(probe->tcpSocket->port, path + ".tcpSocket.port");
  if (probe->grpc) ValidatePortNumber(probe->grpc->port, path + ".grpc.port", errors);
}

bool IsStandardContainerResource(const std::string& name) {
  return name == "cpu" || name == "memory" || name == "ephemeral-storage" ||
         name.starts_with("hugepages-") || name.find('/') != std::string::npos;
}

void ValidateResources(const std::optional<ResourceRequirements>& r, const std::string& path,
                       ErrorList& errors) {
  if (!r) return;
  auto check = [&](const std::map<std::string, Quantity>& list, const std::string& p) {
    for (const auto& [name, q] : list) {
      if (!IsStandardContainerResource(name)) {
        errors.push_back(
            Invalid(Key(p, name), name, "must be a standard resource type or fully qualified"));
      }
      auto v = QuantityValue(q.text);
      if (v && *v < 0) {
        errors.push_back(Invalid(Key(p, name), q.text, "must be greater than or equal to 0"));
      }
    }
  };
  check(r->limits, path + ".limits");
  check(r->requests, path + ".requests");
  for (const auto& [name, q] : r->requests) {
    auto it = r->limits.find(name);
    if (it == r->limits.end()) continue;
    auto req = QuantityValue(q.text);
    auto lim = QuantityValue(it->second.text);
    if (!req || !lim) continue;
    bool overcommit = name == "cpu" || name == "memory" || name == "ephemeral-storage";
    if (!overcommit && name.find('/') != std::string::npos && *req != *lim) {
      errors.push_back(
          Invalid(path + ".requests", q.text,
                  fmt::format("must be equal to {} limit of {}", name, it->second.text)));
    } else if (*req > *lim) {
      errors.push_back(Invalid(
          path + ".requests", q.text,
          fmt::format("must be less than or equal to {} limit of {}", name, it->second.text)));
    }
  }
}

void ValidateEnv(const std::vector<EnvVar>& env, const std::string& path, ErrorList& errors) {
  for (size_t i = 0; i < env.size(); ++i) {
    const EnvVar& e = env[i];
    std::string p = Idx(path, i);
    if (e.name.empty()) {
      errors.push_back(Required(p + ".name"));
    } else {
      bool ok = true;
      for (char c : e.name) ok = ok && c >= ' ' && c <= '~' && c != '=';
      if (!ok) {
        errors.push_back(Invalid(p + ".name", e.name,
                                 "a valid environment variable name must consist only of "
                                 "printable ASCII characters other than '='"));
      }
    }
    if (e.valueFrom) {
      const auto& f = *e.valueFrom;
      int n = int(f.fieldRef.has_value()) + int(f.resourceFieldRef.has_value()) +
              int(f.configMapKeyRef.has_value()) + int(f.secretKeyRef.has_value());
      if (n == 0) {
        errors.push_back(Invalid(p + ".valueFrom", "",
                                 "must specify one of: `fieldRef`, "
                                 "`resourceFieldRef`, `configMapKeyRef` "
                                 "or `secretKeyRef`"));
      } else if (n > 1) {
        errors.push_back(
            Invalid(p + ".valueFrom", "", "may not have more than one field specified at a time"));
      }
      if (!e.value.empty() && n > 0) {
        errors.push_back(
            Invalid(p + ".valueFrom", "", "may not be specified when `value` is not empty"));
      }
      if (f.configMapKeyRef && f.configMapKeyRef->key.empty()) {
        errors.push_back(Required(p + ".valueFrom.configMapKeyRef.key"));
      }
      if (f.secretKeyRef && f.secretKeyRef->key.empty()) {
        errors.push_back(Required(p + ".valueFrom.secretKeyRef.key"));
      }
      if (f.fieldRef && f.fieldRef->fieldPath.empty()) {
        errors.push_back(Required(p + ".valueFrom.fieldRef.fieldPath"));
      }
    }
  }
}

template <typename C>
void ValidateContainer(const C& c, const std::string& p, const std::set<std::string>& volumes,
                       bool is_init, ErrorList& errors) {
  if (c.image.empty()) errors.push_back(Required(p + ".image"));
  if (c.imagePullPolicy.empty()) {
    errors.push_back(Required(p + ".imagePullPolicy"));
  } else if (c.imagePullPolicy != "Always" && c.imagePullPolicy != "IfNotPresent" &&
             c.imagePullPolicy != "Never") {
    errors.push_back(NotSupported(p + ".imagePullPolicy", c.imagePullPolicy,
                                  {"Always", "IfNotPresent", "Never"}));
  }
  if (c.terminationMessagePolicy.empty()) {
    errors.push_back(Required(p + ".terminationMessagePolicy"));
  } else if (c.terminationMessagePolicy != "File" &&
             c.terminationMessagePolicy != "FallbackToLogsOnError") {
    errors.push_back(NotSupported(p + ".terminationMessagePolicy", c.terminationMessagePolicy,
                                  {"File", "FallbackToLogsOnError"}));
  }
  std::set<std::string> port_names;
  for (size_t i = 0; i < c.ports.size(); ++i) {
    const ContainerPort& port = c.ports[i];
    std::string pp = Idx(p + ".ports", i);
    if (!port.name.empty()) {
      auto msgs = PortNameErrors(port.name);
      for (auto& m : msgs) errors.push_back(Invalid(pp + ".name", port.name, m));
      if (msgs.empty() && !port_names.insert(port.name).second) {
        errors.push_back(Duplicate(pp + ".name", port.name));
      }
    }
    if (port.containerPort == 0) {
      errors.push_back(Required(pp + ".containerPort"));
    } else {
      ValidatePortNumber(port.containerPort, pp + ".containerPort", errors);
    }
    if (port.hostPort.value_or(0) != 0)
      ValidatePortNumber(*port.hostPort, pp + ".hostPort", errors);
    if (port.protocol.empty()) {
      errors.push_back(Required(pp + ".protocol"));
    } else if (port.protocol != "TCP" && port.protocol != "UDP" && port.protocol != "SCTP") {
      errors.push_back(NotSupported(pp + ".protocol", port.protocol, kProtocols));
    }
  }
  ValidateEnv(c.env, p + ".env", errors);
  std::set<std::string> mount_paths;
  for (size_t i = 0; i < c.volumeMounts.size(); ++i) {
    const VolumeMount& m = c.volumeMounts[i];
    std::string mp = Idx(p + ".volumeMounts", i);
    if (m.name.empty()) {
      errors.push_back(Required(mp + ".name"));
    } else if (!volumes.contains(m.name)) {
      errors.push_back(NotFound(mp + ".name", m.name));
    }
    if (m.mountPath.empty()) {
      errors.push_back(Required(mp + ".mountPath"));
    } else if (!mount_paths.insert(m.mountPath).second) {
      errors.push_back(Invalid(mp + ".mountPath", m.mountPath, "must be unique"));
    }
  }
  if (is_init && c.restartPolicy.empty()) {
    // Regular init containers may not have probes or lifecycle hooks.
    if (c.livenessProbe)
      errors.push_back(Forbidden(
          p + ".livenessProbe", "may not be set for init containers without restartPolicy=Always"));
    if (c.readinessProbe)
      errors.push_back(
          Forbidden(p + ".readinessProbe",
                    "may not be set for init containers without restartPolicy=Always"));
    if (c.startupProbe)
      errors.push_back(Forbidden(
          p + ".startupProbe", "may not be set for init containers without restartPolicy=Always"));
  } else {
    ValidateProbe(c.livenessProbe, p + ".livenessProbe", true, errors);
    ValidateProbe(c.readinessProbe, p + ".readinessProbe", false, errors);
    ValidateProbe(c.startupProbe, p + ".startupProbe", true, errors);
  }
  if (!c.restartPolicy.empty() && (!is_init || c.restartPolicy != "Always")) {
    if (is_init) {
      errors.push_back(NotSupported(p + ".restartPolicy", c.restartPolicy, {"Always"}));
    } else {
      errors.push_back(Forbidden(p + ".restartPolicy", "may not be set for non-init containers"));
    }
  }
  ValidateResources(c.resources, p + ".resources", errors);
}

void ValidateTolerations(const std::vector<Toleration>& tolerations, const std::string& path,
                         ErrorList& errors) {
  for (size_t i = 0; i < tolerations.size(); ++i) {
    const Toleration& t = tolerations[i];
    std::string p = Idx(path, i);
    if (!t.key.empty()) {
      for (auto& m : IsQualifiedName(t.key)) errors.push_back(Invalid(p + ".key", t.key, m));
    }
    if (t.key.empty() && t.operator_ != "Exists") {
      errors.push_back(Invalid(p + ".operator", t.operator_,
                               "operator must be Exists when `key` is empty, which means \"match "
                               "all values and all keys\""));
    }
    if (t.tolerationSeconds && t.effect != "NoExecute") {
      errors.push_back(Invalid(p + ".effect", t.effect,
                               "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    if (t.operator_ == "Exists") {
      if (!t.value.empty()) {
        errors.push_back(
            Invalid(p + ".operator", t.value, "value must be empty when `operator` is 'Exists'"));
      }
    } else if (t.operator_.empty() || t.operator_ == "Equal") {
      for (auto& m : IsValidLabelValue(t.value))
        errors.push_back(Invalid(p + ".value", t.value, m));
    } else {
      errors.push_back(NotSupported(p + ".operator", t.operator_, {"Equal", "Exists"}));
    }
    if (!t.effect.empty() && t.effect != "NoSchedule" && t.effect != "PreferNoSchedule" &&
        t.effect != "NoExecute") {
      errors.push_back(
          NotSupported(p + ".effect", t.effect, {"NoSchedule", "PreferNoSchedule", "NoExecute"}));
    }
  }
}

}  // namespace

void ValidatePodSpec(const PodSpec& spec, const std::string& path, ErrorList& errors) {
  std::set<std::string> volumes;
  ValidateVolumes(spec.volumes, path + ".volumes", volumes, errors);
  std::set<std::string> names;
  auto check_name = [&](const std::string& name, const std::string& p) {
    if (name.empty()) {
      errors.push_back(Required(p + ".name"));
      return;
    }
    auto msgs = IsDns1123Label(name);
    for (auto& m : msgs) errors.push_back(Invalid(p + ".name", name, m));
    if (msgs.empty() && !names.insert(name).second) errors.push_back(Duplicate(p + ".name", name));
  };
  for (size_t i = 0; i < spec.initContainers.size(); ++i) {
    std::string p = Idx(path + ".initContainers", i);
    check_name(spec.initContainers[i].name, p);
    ValidateContainer(spec.initContainers[i], p, volumes, true, errors);
  }
  if (spec.containers.empty()) errors.push_back(Required(path + ".containers"));
  for (size_t i = 0; i < spec.containers.size(); ++i) {
    std::string p = Idx(path + ".containers", i);
    check_name(spec.containers[i].name, p);
    ValidateContainer(spec.containers[i], p, volumes, false, errors);
  }
  if (spec.restartPolicy.empty()) {
    errors.push_back(Required(path + ".restartPolicy"));
  } else if (spec.restartPolicy != "Always" && spec.restartPolicy != "OnFailure" &&
             spec.restartPolicy != "Never") {
    errors.push_back(NotSupported(path + ".restartPolicy", spec.restartPolicy,
                                  {"Always", "OnFailure", "Never"}));
  }
  if (spec.dnsPolicy.empty()) {
    errors.push_back(Required(path + ".dnsPolicy"));
  } else if (spec.dnsPolicy != "ClusterFirstWithHostNet" && spec.dnsPolicy != "ClusterFirst" &&
             spec.dnsPolicy != "Default" && spec.dnsPolicy != "None") {
    errors.push_back(NotSupported(path + ".dnsPolicy", spec.dnsPolicy,
                                  {"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"}));
  }
  if (spec.dnsPolicy == "None" && !spec.dnsConfig) {
    errors.push_back(
        Required(path + ".dnsConfig", "must provide `dnsConfig` when `dnsPolicy` is None"));
  }
  ValidateLabelMap(spec.nodeSelector, path + ".nodeSelector", errors);
  if (!spec.serviceAccountName.empty()) {
    for (auto& m : IsDns1123Subdomain(spec.serviceAccountName)) {
      errors.push_back(Invalid(path + ".serviceAccountName", spec.serviceAccountName, m));
    }
  }
  if (!spec.nodeName.empty()) {
    for (auto& m : IsDns1123Subdomain(spec.nodeName)) {
      errors.push_back(Invalid(path + ".nodeName", spec.nodeName, m));
    }
  }
  if (spec.activeDeadlineSeconds && *spec.activeDeadlineSeconds <= 0) {
    errors.push_back(InvalidInt(path + ".activeDeadlineSeconds", *spec.activeDeadlineSeconds,
                                "must be between 1 and 2147483647, inclusive"));
  }
  if (!spec.hostname.empty()) {
    for (auto& m : IsDns1123Label(spec.hostname)) {
      errors.push_back(Invalid(path + ".hostname", spec.hostname, m));
    }
  }
  if (!spec.subdomain.empty()) {
    for (auto& m : IsDns1123Label(spec.subdomain)) {
      errors.push_back(Invalid(path + ".subdomain", spec.subdomain, m));
    }
  }
  ValidateTolerations(spec.tolerations, path + ".tolerations", errors);
  for (size_t i = 0; i < spec.imagePullSecrets.size(); ++i) {
    if (spec.imagePullSecrets[i].name.empty()) {
      errors.push_back(Required(Idx(path + ".imagePullSecrets", i) + ".name"));
    }
  }
}

void ValidatePod(const Pod& pod, const Pod* old, ErrorList& errors) {
  ValidatePodSpec(pod.spec, "spec", errors);
  for (size_t i = 0; i < pod.spec.containers.size(); ++i) {
    const auto& image = pod.spec.containers[i].image;
    if (!image.empty() && (image.front() == ' ' || image.back() == ' ')) {
      errors.push_back(Invalid(Idx("spec.containers", i) + ".image", image,
                               "must not have leading or trailing whitespace"));
    }
  }
  if (old == nullptr) return;
  // ValidatePodUpdate: only images, activeDeadlineSeconds, added tolerations and a negative
  // terminationGracePeriodSeconds may change.
  PodSpec munged = pod.spec;
  for (size_t i = 0; i < munged.containers.size() && i < old->spec.containers.size(); ++i) {
    munged.containers[i].image = old->spec.containers[i].image;
  }
  for (size_t i = 0; i < munged.initContainers.size() && i < old->spec.initContainers.size(); ++i) {
    munged.initContainers[i].image = old->spec.initContainers[i].image;
  }
  munged.activeDeadlineSeconds = old->spec.activeDeadlineSeconds;
  if (old->spec.terminationGracePeriodSeconds.value_or(0) < 0 &&
      munged.terminationGracePeriodSeconds == 1) {
    munged.terminationGracePeriodSeconds = old->spec.terminationGracePeriodSeconds;
  }
  // Tolerations: the old ones must all still be there (tolerationSeconds may change only for
  // NoExecute); new ones may be added.
  bool tolerations_ok = pod.spec.tolerations.size() >= old->spec.tolerations.size();
  for (size_t i = 0; tolerations_ok && i < old->spec.tolerations.size(); ++i) {
    const Toleration& a = old->spec.tolerations[i];
    const Toleration& b = pod.spec.tolerations[i];
    tolerations_ok =
        a.key == b.key && a.operator_ == b.operator_ && a.value == b.value && a.effect == b.effect;
  }
  if (tolerations_ok) munged.tolerations = old->spec.tolerations;
  // Scheduling gates may only be removed.
  if (munged.schedulingGates.size() <= old->spec.schedulingGates.size()) {
    munged.schedulingGates = old->spec.schedulingGates;
  }
  // The node may be set once (binding), by the scheduler's bind.
  if (old->spec.nodeName.empty()) munged.nodeName = old->spec.nodeName;
  if (!(munged == old->spec)) {
    errors.push_back(Forbidden(
        "spec",
        "pod updates may not change fields other than `spec.containers[*].image`,"
        "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
        "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to "
        "be set to 1 if it was previously negative)"));
  }
  if (old->spec.activeDeadlineSeconds && !pod.spec.activeDeadlineSeconds) {
    errors.push_back(InvalidInt("spec.activeDeadlineSeconds", 0,
                                "must be specified and not be greater than the existing value"));
  }
}

void ValidatePodTemplate(const PodTemplate& pt, const PodTemplate* /*old*/, ErrorList& errors) {
  ValidatePodTemplateSpecAt(pt.template_, "template", errors);
}

void ValidateReplicationController(const ReplicationController& rc,
                                   const ReplicationController* /*old*/, ErrorList& errors) {
  const auto& spec = rc.spec;
  ValidateNonnegative(spec.replicas.value_or(0), "spec.replicas", errors);
  ValidateNonnegative(spec.minReadySeconds.value_or(0), "spec.minReadySeconds", errors);
  if (spec.selector.empty()) {
    errors.push_back(Required("spec.selector"));
  } else {
    ValidateLabelMap(spec.selector, "spec.selector", errors);
    bool matches = true;
    for (const auto& [k, v] : spec.selector) {
      auto it = spec.template_.metadata.labels.find(k);
      matches = matches && it != spec.template_.metadata.labels.end() && it->second == v;
    }
    if (!matches) {
      errors.push_back(InvalidRaw("spec.template.metadata.labels",
                                  GoMapString(spec.template_.metadata.labels),
                                  "`selector` does not match template `labels`"));
    }
  }
  ValidatePodTemplateSpecAt(spec.template_, "spec.template", errors);
  if (spec.template_.spec.restartPolicy != "Always" && !spec.template_.spec.restartPolicy.empty()) {
    errors.push_back(NotSupported("spec.template.spec.restartPolicy",
                                  spec.template_.spec.restartPolicy, {"Always"}));
  }
  if (spec.template_.spec.activeDeadlineSeconds) {
    errors.push_back(Forbidden("spec.template.spec.activeDeadlineSeconds",
                               "activeDeadlineSeconds in ReplicationController is not Supported"));
  }
}

void ValidateService(const Service& svc, const Service* old, ErrorList& errors) {
  const auto& spec = svc.spec;
  static const std::vector<std::string> kTypes = {"ClusterIP", "ExternalName", "LoadBalancer",
                                                  "NodePort"};
  bool headless = spec.clusterIP == "None";
  if (spec.type.empty()) {
    errors.push_back(Required("spec.type"));
  } else if (std::find(kTypes.begin(), kTypes.end(), spec.type) == kTypes.end()) {
    errors.push_back(NotSupported("spec.type", spec.type, kTypes));
  }
  if (spec.type == "ExternalName") {
    if (!spec.clusterIP.empty()) {
      errors.push_back(Forbidden("spec.clusterIPs", "may not be set for ExternalName services"));
    }
    if (spec.externalName.empty()) {
      errors.push_back(Required("spec.externalName"));
    } else {
      std::string name = spec.externalName;
      if (!name.empty() && name.back() == '.') name.pop_back();
      for (auto& m : IsDns1123Subdomain(name)) {
        errors.push_back(Invalid("spec.externalName", spec.externalName, m));
      }
    }
  }
  if (spec.ports.empty() && !headless && spec.type != "ExternalName") {
    errors.push_back(Required("spec.ports"));
  }
  std::set<std::string> port_names;
  for (size_t i = 0; i < spec.ports.size(); ++i) {
    const ServicePort& port = spec.ports[i];
    std::string p = Idx("spec.ports", i);
    if (spec.ports.size() > 1 && port.name.empty()) {
      errors.push_back(Required(p + ".name"));
    } else if (!port.name.empty()) {
      auto msgs = IsDns1123Label(port.name);
      for (auto& m : msgs) errors.push_back(Invalid(p + ".name", port.name, m));
      if (msgs.empty() && !port_names.insert(port.name).second) {
        errors.push_back(Duplicate(p + ".name", port.name));
      }
    }
    ValidatePortNumber(port.port, p + ".port", errors);
    if (port.protocol.empty()) {
      errors.push_back(Required(p + ".protocol"));
    } else if (port.protocol != "TCP" && port.protocol != "UDP" && port.protocol != "SCTP") {
      errors.push_back(NotSupported(p + ".protocol", port.protocol, kProtocols));
    }
    if (port.targetPort) {
      if (port.targetPort->is_string) {
        for (auto& m : PortNameErrors(port.targetPort->str_value)) {
          errors.push_back(Invalid(p + ".targetPort", port.targetPort->str_value, m));
        }
      } else {
        ValidatePortNumber(port.targetPort->int_value, p + ".targetPort", errors);
      }
    }
    if (port.nodePort.value_or(0) != 0) {
      if (spec.type == "ClusterIP") {
        errors.push_back(Forbidden(p + ".nodePort", "may not be used when `type` is 'ClusterIP'"));
      } else {
        ValidatePortNumber(*port.nodePort, p + ".nodePort", errors);
      }
    }
  }
  if (spec.type != "ExternalName") ValidateLabelMap(spec.selector, "spec.selector", errors);
  if (spec.sessionAffinity.empty()) {
    errors.push_back(Required("spec.sessionAffinity"));
  } else if (spec.sessionAffinity != "ClientIP" && spec.sessionAffinity != "None") {
    errors.push_back(
        NotSupported("spec.sessionAffinity", spec.sessionAffinity, {"ClientIP", "None"}));
  }
  if (spec.sessionAffinity == "ClientIP" && spec.sessionAffinityConfig &&
      spec.sessionAffinityConfig->clientIP) {
    int32_t t = spec.sessionAffinityConfig->clientIP->timeoutSeconds.value_or(0);
    if (t <= 0 || t > 86400) {
      errors.push_back(InvalidInt("spec.sessionAffinityConfig.clientIP.timeoutSeconds", t,
                                  "must be greater than 0 and less than 86400"));
    }
  }
  if (!spec.externalTrafficPolicy.empty()) {
    if (spec.type != "NodePort" && spec.type != "LoadBalancer") {
      errors.push_back(Invalid("spec.externalTrafficPolicy", spec.externalTrafficPolicy,
                               "may only be set when `type` is 'NodePort' or 'LoadBalancer'"));
    } else if (spec.externalTrafficPolicy != "Cluster" && spec.externalTrafficPolicy != "Local") {
      errors.push_back(NotSupported("spec.externalTrafficPolicy", spec.externalTrafficPolicy,
                                    {"Cluster", "Local"}));
    }
  }
  if (!spec.internalTrafficPolicy.empty() && spec.internalTrafficPolicy != "Cluster" &&
      spec.internalTrafficPolicy != "Local") {
    errors.push_back(NotSupported("spec.internalTrafficPolicy", spec.internalTrafficPolicy,
                                  {"Cluster", "Local"}));
  }
  if (!spec.ipFamilyPolicy.empty() && spec.ipFamilyPolicy != "SingleStack" &&
      spec.ipFamilyPolicy != "PreferDualStack" && spec.ipFamilyPolicy != "RequireDualStack") {
    errors.push_back(NotSupported("spec.ipFamilyPolicy", spec.ipFamilyPolicy,
                                  {"SingleStack", "PreferDualStack", "RequireDualStack"}));
  }
  for (size_t i = 0; i < spec.ipFamilies.size(); ++i) {
    if (spec.ipFamilies[i] != "IPv4" && spec.ipFamilies[i] != "IPv6") {
      errors.push_back(
          NotSupported(Idx("spec.ipFamilies", i), spec.ipFamilies[i], {"IPv4", "IPv6"}));
    }
  }
  if (old != nullptr && old->spec.type != "ExternalName" && spec.type != "ExternalName" &&
      !old->spec.clusterIP.empty() && !spec.clusterIP.empty() &&
      spec.clusterIP != old->spec.clusterIP) {
    std::vector<std::string> ips =
        spec.clusterIPs.empty() ? std::vector<std::string>{spec.clusterIP} : spec.clusterIPs;
    errors.push_back(
        InvalidRaw("spec.clusterIPs[0]", GoStringSlice(ips), "may not change once set"));
  }
}

void ValidateNamespace(const Namespace& ns, const Namespace* /*old*/, ErrorList& errors) {
  for (size_t i = 0; i < ns.spec.finalizers.size(); ++i) {
    const std::string& f = ns.spec.finalizers[i];
    if (f == "kubernetes") continue;
    if (f.find('/') == std::string::npos) {
      errors.push_back(Invalid(Idx("spec.finalizers", i), f,
                               "name is neither a standard finalizer name nor is it fully "
                               "qualified"));
    } else {
      for (auto& m : IsQualifiedName(f)) errors.push_back(Invalid(Idx("spec.finalizers", i), f, m));
    }
  }
}

void ValidateNode(const Node& node, const Node* old, ErrorList& errors) {
  std::set<std::pair<std::string, std::string>> seen;
  for (size_t i = 0; i < node.spec.taints.size(); ++i) {
    const Taint& t = node.spec.taints[i];
    std::string p = Idx("spec.taints", i);
    if (t.key.empty()) {
      errors.push_back(Required(p + ".key"));
    } else {
      for (auto& m : IsQualifiedName(t.key)) errors.push_back(Invalid(p + ".key", t.key, m));
    }
    for (auto& m : IsValidLabelValue(t.value)) errors.push_back(Invalid(p + ".value", t.value, m));
    if (t.effect.empty()) {
      errors.push_back(Required(p + ".effect"));
    } else if (t.effect != "NoSchedule" && t.effect != "PreferNoSchedule" &&
               t.effect != "NoExecute") {
      errors.push_back(
          NotSupported(p + ".effect", t.effect, {"NoSchedule", "PreferNoSchedule", "NoExecute"}));
    }
    if (!seen.insert({t.key, t.effect}).second) {
      errors.push_back(Duplicate(p, t.key + ":" + t.effect));
      errors.back().detail = "taints must be unique by key and effect pair";
    }
  }
  if (old != nullptr && !old->spec.podCIDRs.empty() && node.spec.podCIDRs != old->spec.podCIDRs) {
    errors.push_back(Forbidden("spec.podCIDRs",
                               "node updates may not change podCIDR except from \"\" to valid"));
  }
  if (old != nullptr && !old->spec.providerID.empty() &&
      node.spec.providerID != old->spec.providerID) {
    errors.push_back(Forbidden("spec.providerID",
                               "node updates may not change providerID except from \"\" to valid"));
  }
}

void ValidateEvent(const Event& ev, const Event* /*old*/, ErrorList& errors) {
  const std::string& ns = ev.metadata.namespace_;
  if (ev.involvedObject.namespace_.empty()) {
    if (!ns.empty() && ns != "default") {
      errors.push_back(Invalid("involvedObject.namespace", ev.involvedObject.namespace_,
                               "does not match event.namespace"));
    }
  } else if (ns != ev.involvedObject.namespace_) {
    errors.push_back(Invalid("involvedObject.namespace", ev.involvedObject.namespace_,
                             "does not match event.namespace"));
  }
}

void ValidateEndpoints(const Endpoints& ep, const Endpoints* /*old*/, ErrorList& errors) {
  for (size_t i = 0; i < ep.subsets.size(); ++i) {
    const EndpointSubset& ss = ep.subsets[i];
    std::string p = Idx("subsets", i);
    if (ss.addresses.empty() && ss.notReadyAddresses.empty()) {
      errors.push_back(Required(p, "must specify `addresses` or `notReadyAddresses`"));
    }
    for (size_t j = 0; j < ss.addresses.size(); ++j) {
      if (ss.addresses[j].ip.empty()) {
        errors.push_back(
            Invalid(Idx(p + ".addresses", j) + ".ip", "", "must be a valid IP address"));
      }
    }
    for (size_t j = 0; j < ss.ports.size(); ++j) {
      const EndpointPort& port = ss.ports[j];
      std::string pp = Idx(p + ".ports", j);
      if (ss.ports.size() > 1 && port.name.empty()) errors.push_back(Required(pp + ".name"));
      ValidatePortNumber(port.port, pp + ".port", errors);
      if (port.protocol.empty()) {
        errors.push_back(Required(pp + ".protocol"));
      } else if (port.protocol != "TCP" && port.protocol != "UDP" && port.protocol != "SCTP") {
        errors.push_back(NotSupported(pp + ".protocol", port.protocol, kProtocols));
      }
    }
  }
}

void ValidateServiceAccount(const ServiceAccount& /*sa*/, const ServiceAccount* /*old*/,
                            ErrorList& /*errors*/) {}

namespace {
const std::vector<std::string> kAccessModes = {"ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce",
                                               "ReadWriteOncePod"};
void ValidateAccessModes(const std::vector<std::string>& modes, const std::string& path,
                         ErrorList& errors) {
  for (const auto& m : modes) {
    if (std::find(kAccessModes.begin(), kAccessModes.end(), m) == kAccessModes.end()) {
      errors.push_back(NotSupported(path, m, kAccessModes));
    }
  }
  if (std::find(modes.begin(), modes.end(), "ReadWriteOncePod") != modes.end() &&
      modes.size() > 1) {
    errors.push_back(Forbidden(path, "may not use ReadWriteOncePod with other access modes"));
  }
}
}  // namespace

void ValidatePersistentVolume(const PersistentVolume& pv, const PersistentVolume* /*old*/,
                              ErrorList& errors) {
  const auto& spec = pv.spec;
  if (spec.accessModes.empty()) errors.push_back(Required("spec.accessModes"));
  ValidateAccessModes(spec.accessModes, "spec.accessModes", errors);
  if (spec.capacity.empty()) {
    errors.push_back(Required("spec.capacity"));
  } else if (!spec.capacity.contains("storage") || spec.capacity.size() != 1) {
    std::vector<std::string> keys;
    for (const auto& [k, v] : spec.capacity) keys.push_back(k);
    errors.push_back(NotSupported("spec.capacity", GoStringSlice(keys), {"storage"}));
  }
  if (!spec.persistentVolumeReclaimPolicy.empty() &&
      spec.persistentVolumeReclaimPolicy != "Delete" &&
      spec.persistentVolumeReclaimPolicy != "Recycle" &&
      spec.persistentVolumeReclaimPolicy != "Retain") {
    errors.push_back(NotSupported("spec.persistentVolumeReclaimPolicy",
                                  spec.persistentVolumeReclaimPolicy,
                                  {"Delete", "Recycle", "Retain"}));
  }
  if (!spec.volumeMode.empty() && spec.volumeMode != "Block" && spec.volumeMode != "Filesystem") {
    errors.push_back(NotSupported("spec.volumeMode", spec.volumeMode, {"Block", "Filesystem"}));
  }
  int sources = int(spec.hostPath.has_value()) + int(spec.local.has_value()) +
                int(spec.nfs.has_value()) + int(spec.csi.has_value()) +
                int(spec.iscsi.has_value()) + int(spec.fc.has_value()) + int(spec.rbd.has_value()) +
                int(spec.cephfs.has_value()) + int(spec.cinder.has_value()) +
                int(spec.glusterfs.has_value()) + int(spec.gcePersistentDisk.has_value()) +
                int(spec.awsElasticBlockStore.has_value()) + int(spec.azureDisk.has_value()) +
                int(spec.azureFile.has_value()) + int(spec.flexVolume.has_value()) +
                int(spec.flocker.has_value()) + int(spec.vsphereVolume.has_value()) +
                int(spec.quobyte.has_value()) + int(spec.photonPersistentDisk.has_value()) +
                int(spec.portworxVolume.has_value()) + int(spec.scaleIO.has_value()) +
                int(spec.storageos.has_value());
  if (sources == 0) errors.push_back(Required("spec", "must specify a volume type"));
  if (spec.hostPath && spec.hostPath->path.empty())
    errors.push_back(Required("spec.hostPath.path"));
  if (spec.local && spec.local->path.empty()) errors.push_back(Required("spec.local.path"));
  if (spec.local && !spec.nodeAffinity) {
    errors.push_back(Required("spec.nodeAffinity", "Local volume requires node affinity"));
  }
}

void ValidatePersistentVolumeClaim(const PersistentVolumeClaim& pvc,
                                   const PersistentVolumeClaim* old, ErrorList& errors) {
  const auto& spec = pvc.spec;
  if (spec.accessModes.empty()) {
    errors.push_back(Required("spec.accessModes", "at least 1 access mode is required"));
  }
  ValidateAccessModes(spec.accessModes, "spec.accessModes", errors);
  if (!spec.resources || !spec.resources->requests.contains("storage")) {
    errors.push_back(Required("spec.resources[storage]"));
  } else {
    auto v = QuantityValue(spec.resources->requests.at("storage").text);
    if (v && *v <= 0) {
      errors.push_back(Invalid("spec.resources[storage]",
                               spec.resources->requests.at("storage").text,
                               "must be greater than zero"));
    }
  }
  if (!spec.volumeMode.empty() && spec.volumeMode != "Block" && spec.volumeMode != "Filesystem") {
    errors.push_back(NotSupported("spec.volumeMode", spec.volumeMode, {"Block", "Filesystem"}));
  }
  if (spec.selector) ValidateLabelSelector(*spec.selector, "spec.selector", errors);
  if (old != nullptr) {
    PersistentVolumeClaimSpec munged = spec;
    munged.resources = old->spec.resources;
    munged.volumeAttributesClassName = old->spec.volumeAttributesClassName;
    if (old->spec.volumeName.empty()) munged.volumeName = old->spec.volumeName;
    if (!(munged == old->spec)) {
      errors.push_back(Forbidden("spec",
                                 "spec is immutable after creation except resources.requests and "
                                 "volumeAttributesClassName for bound claims"));
    }
  }
}

void ValidateResourceQuota(const ResourceQuota& rq, const ResourceQuota* /*old*/,
                           ErrorList& errors) {
  for (const auto& [name, q] : rq.spec.hard) {
    auto v = QuantityValue(q.text);
    if (v && *v < 0) {
      errors.push_back(
          Invalid(Key("spec.hard", name), q.text, "must be greater than or equal to 0"));
    }
  }
  static const std::vector<std::string> kScopes = {
      "BestEffort",           "CrossNamespacePodAffinity",
      "NotBestEffort",        "NotTerminating",
      "PriorityClass",        "Terminating",
      "VolumeAttributesClass"};
  for (size_t i = 0; i < rq.spec.scopes.size(); ++i) {
    if (std::find(kScopes.begin(), kScopes.end(), rq.spec.scopes[i]) == kScopes.end()) {
      errors.push_back(NotSupported(Idx("spec.scopes", i), rq.spec.scopes[i], kScopes));
    }
  }
}

void ValidateLimitRange(const LimitRange& lr, const LimitRange* /*old*/, ErrorList& errors) {
  for (size_t i = 0; i < lr.spec.limits.size(); ++i) {
    const auto& item = lr.spec.limits[i];
    std::string p = Idx("spec.limits", i);
    if (item.type != "Container" && item.type != "Pod" && item.type != "PersistentVolumeClaim") {
      errors.push_back(
          NotSupported(p + ".type", item.type, {"Container", "PersistentVolumeClaim", "Pod"}));
    }
    for (const auto& [name, q] : item.min) {
      auto it = item.max.find(name);
      if (it == item.max.end()) continue;
      auto lo = QuantityValue(q.text);
      auto hi = QuantityValue(it->second.text);
      if (lo && hi && *lo > *hi) {
        errors.push_back(Invalid(
            Key(p + ".min", name), q.text,
            fmt::format("min value {} is greater than max value {}", q.text, it->second.text)));
      }
    }
  }
}

}  // namespace kubepp::api::validation
