// core/v1 printers and field selectors.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "apiserver/registry/meta.h"
#include "apiserver/registry/printers.h"
#include "apiserver/registry/printers_util.h"

namespace kubepp::apiserver {

std::vector<TableColumn> PodColumns() {
  return {
      NameColumn(),
      Col("Ready", "string", "The aggregate readiness state of this pod for accepting traffic."),
      Col("Status", "string", "The aggregate status of the containers in this pod."),
      Col("Restarts", "string",
          "The number of times the containers in this pod have been restarted and when the "
          "last container in this pod has restarted."),
      AgeColumn(),
      Col("IP", "string", "IP address allocated to the pod.", 1),
      Col("Node", "string", "Name of the node the pod is scheduled on.", 1),
      Col("Nominated Node", "string", "Node the pod is nominated to run on.", 1),
      Col("Readiness Gates", "string", "Readiness gates of the pod.", 1)};
}

void PodRow(const api::Pod& pod, Clock::WallTime now, Cells& cells) {
  int restarts = 0;
  int sidecar_restarts = 0;
  int total = static_cast<int>(pod.spec.containers.size());
  int ready = 0;
  std::optional<Clock::WallTime> last_restart;
  std::optional<Clock::WallTime> last_sidecar_restart;
  auto later = [](std::optional<Clock::WallTime>& a, const std::string& ts) {
    auto t = ParseRfc3339(ts);
    if (t && (!a || *a < *t)) a = t;
  };
  std::string reason = pod.status.reason.empty() ? pod.status.phase : pod.status.reason;
  for (const auto& c : pod.status.conditions) {
    if (c.type == "PodScheduled" && c.reason == "SchedulingGated") reason = "SchedulingGated";
  }
  std::set<std::string> sidecars;
  for (const auto& c : pod.spec.initContainers) {
    if (c.restartPolicy == "Always") {
      sidecars.insert(c.name);
      ++total;
    }
  }
  bool initializing = false;
  for (size_t i = 0; i < pod.status.initContainerStatuses.size(); ++i) {
    const auto& cs = pod.status.initContainerStatuses[i];
    restarts += cs.restartCount;
    bool sidecar = sidecars.contains(cs.name);
    if (cs.lastState && cs.lastState->terminated) {
      later(last_restart, cs.lastState->terminated->finishedAt);
      if (sidecar) later(last_sidecar_restart, cs.lastState->terminated->finishedAt);
    }
    if (sidecar) sidecar_restarts += cs.restartCount;
    const auto* term = cs.state && cs.state->terminated ? &*cs.state->terminated : nullptr;
    const auto* wait = cs.state && cs.state->waiting ? &*cs.state->waiting : nullptr;
    if (term != nullptr && term->exitCode == 0) continue;
    if (sidecar && cs.started.value_or(false)) {
      if (cs.ready) ++ready;
      continue;
    }
    if (term != nullptr) {
      if (term->reason.empty()) {
        reason = term->signal.value_or(0) != 0 ? fmt::format("Init:Signal:{}", *term->signal)
                                               : fmt::format("Init:ExitCode:{}", term->exitCode);
      } else {
        reason = "Init:" + term->reason;
      }
    } else if (wait != nullptr && !wait->reason.empty() && wait->reason != "PodInitializing") {
      reason = "Init:" + wait->reason;
    } else {
      reason = fmt::format("Init:{}/{}", i, pod.spec.initContainers.size());
    }
    initializing = true;
    break;
  }
  bool initialized = std::any_of(
      pod.status.conditions.begin(), pod.status.conditions.end(),
      [](const api::PodCondition& c) { return c.type == "Initialized" && c.status == "True"; });
  if (!initializing || initialized) {
    restarts = sidecar_restarts;
    last_restart = last_sidecar_restart;
    bool has_running = false;
    for (size_t k = pod.status.containerStatuses.size(); k-- > 0;) {
      const auto& cs = pod.status.containerStatuses[k];
      restarts += cs.restartCount;
      if (cs.lastState && cs.lastState->terminated) {
        later(last_restart, cs.lastState->terminated->finishedAt);
      }
      const auto* term = cs.state && cs.state->terminated ? &*cs.state->terminated : nullptr;
      const auto* wait = cs.state && cs.state->waiting ? &*cs.state->waiting : nullptr;
      if (wait != nullptr && !wait->reason.empty()) {
        reason = wait->reason;
      } else if (term != nullptr && !term->reason.empty()) {
        reason = term->reason;
      } else if (term != nullptr) {
        reason = term->signal.value_or(0) != 0 ? fmt::format("Signal:{}", *term->signal)
                                               : fmt::format("ExitCode:{}", term->exitCode);
      } else if (cs.ready && cs.state && cs.state->running) {
        has_running = true;
        ++ready;
      }
    }
    if (reason == "Completed" && has_running) {
      bool pod_ready = std::any_of(
          pod.status.conditions.begin(), pod.status.conditions.end(),
          [](const api::PodCondition& c) { return c.type == "Ready" && c.status == "True"; });
      reason = pod_ready ? "Running" : "NotReady";
    }
  }
  if (!pod.metadata.deletionTimestamp.empty()) {
    if (pod.status.reason == "NodeLost") {
      reason = "Unknown";
    } else if (pod.status.phase != "Succeeded" && pod.status.phase != "Failed") {
      reason = "Terminating";
    }
  }
  std::string restarts_text = std::to_string(restarts);
  if (restarts != 0 && last_restart) {
    restarts_text +=
        " (" +
        HumanDuration(std::chrono::duration_cast<std::chrono::seconds>(now - *last_restart)) +
        " ago)";
  }
  cells.emplace_back(fmt::format("{}/{}", ready, total));
  cells.emplace_back(reason);
  cells.emplace_back(restarts_text);
  cells.emplace_back(AgeOf(pod.metadata.creationTimestamp, now));
  std::string ip = pod.status.podIPs.empty() ? pod.status.podIP : pod.status.podIPs[0].ip;
  cells.emplace_back(OrNone(ip));
  cells.emplace_back(OrNone(pod.spec.nodeName));
  cells.emplace_back(OrNone(pod.status.nominatedNodeName));
  std::string gates = "<none>";
  if (!pod.spec.readinessGates.empty()) {
    int true_count = 0;
    for (const auto& g : pod.spec.readinessGates) {
      for (const auto& c : pod.status.conditions) {
        if (c.type == g.conditionType) {
          if (c.status == "True") ++true_count;
          break;
        }
      }
    }
    gates = fmt::format("{}/{}", true_count, pod.spec.readinessGates.size());
  }
  cells.emplace_back(gates);
}

void PodFields(const api::Pod& pod, FieldMap& out) {
  out["spec.nodeName"] = pod.spec.nodeName;
  out["spec.restartPolicy"] = pod.spec.restartPolicy;
  out["spec.schedulerName"] = pod.spec.schedulerName;
  out["spec.serviceAccountName"] = pod.spec.serviceAccountName;
  out["spec.hostNetwork"] = pod.spec.hostNetwork.value_or(false) ? "true" : "false";
  out["status.phase"] = pod.status.phase;
  out["status.podIP"] = pod.status.podIPs.empty() ? pod.status.podIP : pod.status.podIPs[0].ip;
  out["status.nominatedNodeName"] = pod.status.nominatedNodeName;
}

std::vector<TableColumn> NodeColumns() {
  return {NameColumn(),
          Col("Status", "string", "The status of the node"),
          Col("Roles", "string", "The roles of the node"),
          AgeColumn(),
          Col("Version", "string", "Kubelet Version reported by the node."),
          Col("Internal-IP", "string", "List of addresses reachable to the node.", 1),
          Col("External-IP", "string", "List of addresses reachable to the node.", 1),
          Col("OS-Image", "string", "OS Image reported by the node from /etc/os-release.", 1),
          Col("Kernel-Version", "string", "Kernel Version reported by the node.", 1),
          Col("Container-Runtime", "string", "Container Runtime Version reported by the node.", 1)};
}

void NodeRow(const api::Node& node, Clock::WallTime now, Cells& cells) {
  std::vector<std::string> status;
  for (const auto& c : node.status.conditions) {
    if (c.type == "Ready") status.push_back(c.status == "True" ? "Ready" : "NotReady");
  }
  if (status.empty()) status.emplace_back("Unknown");
  if (node.spec.unschedulable.value_or(false)) status.emplace_back("SchedulingDisabled");
  std::set<std::string> roles;
  for (const auto& [k, v] : node.metadata.labels) {
    constexpr std::string_view kPrefix = "node-role.kubernetes.io/";
    if (k.starts_with(kPrefix) && k.size() > kPrefix.size()) {
      roles.insert(k.substr(kPrefix.size()));
    } else if (k == "kubernetes.io/role" && !v.empty()) {
      roles.insert(v);
    }
  }
  auto address = [&](std::string_view type) {
    for (const auto& a : node.status.addresses) {
      if (a.type == type) return a.address;
    }
    return std::string("<none>");
  };
  const api::NodeSystemInfo info = node.status.nodeInfo.value_or(api::NodeSystemInfo{});
  auto unknown = [](const std::string& s) { return s.empty() ? std::string("<unknown>") : s; };
  cells.emplace_back(Join(std::vector<std::string>(status.begin(), status.end()), ","));
  cells.emplace_back(OrNone(Join(std::vector<std::string>(roles.begin(), roles.end()), ",")));
  cells.emplace_back(AgeOf(node.metadata.creationTimestamp, now));
  cells.emplace_back(info.kubeletVersion);
  cells.emplace_back(address("InternalIP"));
  cells.emplace_back(address("ExternalIP"));
  cells.emplace_back(unknown(info.osImage));
  cells.emplace_back(unknown(info.kernelVersion));
  cells.emplace_back(unknown(info.containerRuntimeVersion));
}

void NodeFields(const api::Node& node, FieldMap& out) {
  out["spec.unschedulable"] = node.spec.unschedulable.value_or(false) ? "true" : "false";
}

std::vector<TableColumn> ServiceColumns() {
  return {NameColumn(),
          Col("Type", "string", "The type of the service."),
          Col("Cluster-IP", "string", "The IP address of the service."),
          Col("External-IP", "string", "The external IP addresses of the service."),
          Col("Port(s)", "string", "The ports of the service."),
          AgeColumn(),
          Col("Selector", "string", "The label selector of the service.", 1)};
}

std::string LoadBalancerIngress(const std::vector<std::string>& ingress, bool wide) {
  std::string r = Join(ingress, ",");
  if (!wide && r.size() > 16) r = r.substr(0, 13) + "...";
  return r;
}

void ServiceRow(const api::Service& svc, Clock::WallTime now, Cells& cells) {
  const auto& spec = svc.spec;
  std::string cluster_ip = !spec.clusterIPs.empty() ? spec.clusterIPs[0] : OrNone(spec.clusterIP);
  std::string external;
  if (spec.type == "ClusterIP" || spec.type == "NodePort") {
    external = spec.externalIPs.empty() ? "<none>" : Join(spec.externalIPs, ",");
  } else if (spec.type == "LoadBalancer") {
    std::vector<std::string> lb;
    if (svc.status.loadBalancer) {
      for (const auto& i : svc.status.loadBalancer->ingress) {
        if (!i.ip.empty()) {
          lb.push_back(i.ip);
        } else if (!i.hostname.empty()) {
          lb.push_back(i.hostname);
        }
      }
    }
    std::string lb_text = LoadBalancerIngress(lb, true);
    if (!spec.externalIPs.empty()) {
      std::vector<std::string> all = lb;
      all.insert(all.end(), spec.externalIPs.begin(), spec.externalIPs.end());
      external = Join(all, ",");
    } else {
      external = lb_text.empty() ? "<pending>" : lb_text;
    }
  } else if (spec.type == "ExternalName") {
    external = spec.externalName;
  } else {
    external = "<unknown>";
  }
  std::vector<std::string> ports;
  for (const auto& p : spec.ports) {
    ports.push_back(p.nodePort.value_or(0) > 0
                        ? fmt::format("{}:{}/{}", p.port, *p.nodePort, p.protocol)
                        : fmt::format("{}/{}", p.port, p.protocol));
  }
  cells.emplace_back(spec.type);
  cells.emplace_back(cluster_ip);
  cells.emplace_back(external);
  cells.emplace_back(OrNone(Join(ports, ",")));
  cells.emplace_back(AgeOf(svc.metadata.creationTimestamp, now));
  cells.emplace_back(FormatLabels(spec.selector));
}

void ServiceFields(const api::Service& svc, FieldMap& out) {
  out["spec.clusterIP"] = svc.spec.clusterIP;
  out["spec.type"] = svc.spec.type;
}

std::vector<TableColumn> EndpointsColumns() {
  return {NameColumn(), Col("Endpoints", "string", "Endpoints of the service"), AgeColumn()};
}

void EndpointsRow(const api::Endpoints& ep, Clock::WallTime now, Cells& cells) {
  std::string text;
  if (ep.subsets.empty()) {
    text = "<none>";
  } else {
    std::vector<std::string> list;
    constexpr size_t kMax = 3;
    bool more = false;
    size_t count = 0;
    for (const auto& ss : ep.subsets) {
      if (ss.ports.empty()) {
        count += ss.addresses.size();
        for (const auto& a : ss.addresses) {
          if (list.size() == kMax) {
            more = true;
            break;
          }
          list.push_back(a.ip);
        }
      } else {
        for (const auto& port : ss.ports) {
          count += ss.addresses.size();
          for (const auto& a : ss.addresses) {
            if (list.size() == kMax) {
              more = true;
              break;
            }
            list.push_back(a.ip.find(':') != std::string::npos
                               ? fmt::format("[{}]:{}", a.ip, port.port)
                               : fmt::format("{}:{}", a.ip, port.port));
          }
        }
      }
    }
    text = Join(list, ",");
    if (more) text += fmt::format(" + {} more...", count - kMax);
  }
  cells.emplace_back(text);
  cells.emplace_back(AgeOf(ep.metadata.creationTimestamp, now));
}

namespace {

std::vector<TableColumn> EventColumnList() {
  return {Col("Last Seen", "string", "Time when last event from this group was observed."),
          Col("Type", "string",
              "Type of this event (Normal, Warning), new types could be added in the future."),
          Col("Reason", "string",
              "A short, machine understandable string that gives the reason for this event being "
              "generated."),
          Col("Object", "string", "The object this Event is about."),
          Col("Subobject", "string", "The subobject this Event is about.", 1),
          Col("Source", "string", "The component reporting this event.", 1),
          Col("Message", "string", "A human-readable description of the status of this operation."),
          Col("First Seen", "string", "The time at which the event was first recorded.", 1),
          Col("Count", "string", "The number of times this event has occurred.", 1),
          {"Name", "string", "name", "Name must be unique within a namespace.", 1}};
}

// The shared printer for core/v1 and events.k8s.io/v1 events (one internal type upstream).
struct EventView {
  std::string name, first, last, event_time, series_last, type, reason, kind, object_name,
      field_path, component, host, reporting_controller, reporting_instance, message;
  int64_t count = 0;
  bool has_series = false;
  int64_t series_count = 0;
};

std::string TrimSpace(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

void PrintEventView(const EventView& v, Clock::WallTime now, Cells& cells) {
  std::string first = !v.first.empty()        ? AgeOf(v.first, now)
                      : !v.event_time.empty() ? AgeOf(v.event_time, now)
                                              : "<unknown>";
  std::string last = v.last.empty() ? first : AgeOf(v.last, now);
  int64_t count = v.count;
  if (v.has_series) {
    last = v.series_last.empty() ? "<unknown>" : AgeOf(v.series_last, now);
    count = v.series_count;
  } else if (count == 0) {
    count = 1;
  }
  std::string kind = v.kind;
  std::transform(kind.begin(), kind.end(), kind.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string target = v.object_name.empty() ? kind : kind + "/" + v.object_name;
  std::string component = v.component.empty() ? v.reporting_controller : v.component;
  std::string instance = v.host.empty() ? v.reporting_instance : v.host;
  std::string source = instance.empty() ? component : component + ", " + instance;
  cells.clear();
  cells.emplace_back(last);
  cells.emplace_back(v.type);
  cells.emplace_back(v.reason);
  cells.emplace_back(target);
  cells.emplace_back(v.field_path);
  cells.emplace_back(source);
  cells.emplace_back(TrimSpace(v.message));
  cells.emplace_back(first);
  cells.emplace_back(count);
  cells.emplace_back(v.name);
}

}  // namespace

std::vector<TableColumn> EventColumns() { return EventColumnList(); }
std::vector<TableColumn> EventsEventColumns() { return EventColumnList(); }

void EventRow(const api::Event& ev, Clock::WallTime now, Cells& cells) {
  EventView v;
  v.name = ev.metadata.name;
  v.first = ev.firstTimestamp;
  v.last = ev.lastTimestamp;
  v.event_time = ev.eventTime;
  v.type = ev.type;
  v.reason = ev.reason;
  v.kind = ev.involvedObject.kind;
  v.object_name = ev.involvedObject.name;
  v.field_path = ev.involvedObject.fieldPath;
  if (ev.source) {
    v.component = ev.source->component;
    v.host = ev.source->host;
  }
  v.reporting_controller = ev.reportingComponent;
  v.reporting_instance = ev.reportingInstance;
  v.message = ev.message;
  v.count = ev.count.value_or(0);
  if (ev.series) {
    v.has_series = true;
    v.series_last = ev.series->lastObservedTime;
    v.series_count = ev.series->count.value_or(0);
  }
  PrintEventView(v, now, cells);
}

void EventsEventRow(const api::EventsEvent& ev, Clock::WallTime now, Cells& cells) {
  EventView v;
  v.name = ev.metadata.name;
  v.first = ev.deprecatedFirstTimestamp;
  v.last = ev.deprecatedLastTimestamp;
  v.event_time = ev.eventTime;
  v.type = ev.type;
  v.reason = ev.reason;
  if (ev.regarding) {
    v.kind = ev.regarding->kind;
    v.object_name = ev.regarding->name;
    v.field_path = ev.regarding->fieldPath;
  }
  if (ev.deprecatedSource) {
    v.component = ev.deprecatedSource->component;
    v.host = ev.deprecatedSource->host;
  }
  v.reporting_controller = ev.reportingController;
  v.reporting_instance = ev.reportingInstance;
  v.message = ev.note;
  v.count = ev.deprecatedCount.value_or(0);
  if (ev.series) {
    v.has_series = true;
    v.series_last = ev.series->lastObservedTime;
    v.series_count = ev.series->count;
  }
  PrintEventView(v, now, cells);
}

void EventFields(const api::Event& ev, FieldMap& out) {
  out["involvedObject.kind"] = ev.involvedObject.kind;
  out["involvedObject.namespace"] = ev.involvedObject.namespace_;
  out["involvedObject.name"] = ev.involvedObject.name;
  out["involvedObject.uid"] = ev.involvedObject.uid;
  out["involvedObject.apiVersion"] = ev.involvedObject.apiVersion;
  out["involvedObject.resourceVersion"] = ev.involvedObject.resourceVersion;
  out["involvedObject.fieldPath"] = ev.involvedObject.fieldPath;
  out["reason"] = ev.reason;
  out["reportingComponent"] = ev.reportingComponent;
  out["source"] = ev.source ? ev.source->component : "";
  out["type"] = ev.type;
}

void EventsEventFields(const api::EventsEvent& ev, FieldMap& out) {
  const api::ObjectReference r = ev.regarding.value_or(api::ObjectReference{});
  out["regarding.kind"] = r.kind;
  out["regarding.namespace"] = r.namespace_;
  out["regarding.name"] = r.name;
  out["regarding.uid"] = r.uid;
  out["regarding.apiVersion"] = r.apiVersion;
  out["regarding.resourceVersion"] = r.resourceVersion;
  out["regarding.fieldPath"] = r.fieldPath;
  out["reason"] = ev.reason;
  out["reportingController"] = ev.reportingController;
  out["type"] = ev.type;
}

std::vector<TableColumn> NamespaceColumns() {
  return {NameColumn(), Col("Status", "string", "The status of the namespace"), AgeColumn()};
}

void NamespaceRow(const api::Namespace& ns, Clock::WallTime now, Cells& cells) {
  cells.emplace_back(ns.status.phase);
  cells.emplace_back(AgeOf(ns.metadata.creationTimestamp, now));
}

void NamespaceFields(const api::Namespace& ns, FieldMap& out) {
  out["status.phase"] = ns.status.phase;
}

void SecretFields(const api::Secret& s, FieldMap& out) { out["type"] = s.type; }

std::vector<TableColumn> ServiceAccountColumns() {
  return {NameColumn(),
          Col("Secrets", "string",
              "Secrets is a list of the secrets in the same namespace that pods running using this "
              "ServiceAccount are allowed to use."),
          AgeColumn()};
}

void ServiceAccountRow(const api::ServiceAccount& sa, Clock::WallTime now, Cells& cells) {
  cells.emplace_back(static_cast<int64_t>(sa.secrets.size()));
  cells.emplace_back(AgeOf(sa.metadata.creationTimestamp, now));
}

namespace {

std::string AccessModes(const std::vector<std::string>& modes) {
  std::vector<std::string> out;
  auto has = [&](const char* m) { return std::find(modes.begin(), modes.end(), m) != modes.end(); };
  if (has("ReadWriteOnce")) out.emplace_back("RWO");
  if (has("ReadOnlyMany")) out.emplace_back("ROX");
  if (has("ReadWriteMany")) out.emplace_back("RWX");
  if (has("ReadWriteOncePod")) out.emplace_back("RWOP");
  return Join(out, ",");
}

std::string StorageOf(const std::map<std::string, api::Quantity>& list) {
  auto it = list.find("storage");
  return it == list.end() ? "0" : it->second.text;
}

std::string StorageClassOf(const api::ObjectMeta& meta, const std::string& name) {
  auto it = meta.annotations.find("volume.beta.kubernetes.io/storage-class");
  if (it != meta.annotations.end()) return it->second;
  return name;
}

}  // namespace

std::vector<TableColumn> PersistentVolumeColumns() {
  return {
      NameColumn(),
      Col("Capacity", "string",
          "capacity is the description of the persistent volume's resources and capacity."),
      Col("Access Modes", "string", "accessModes contains all ways the volume can be mounted."),
      Col("Reclaim Policy", "string",
          "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released "
          "from its claim."),
      Col("Status", "string",
          "phase indicates if a volume is available, bound to a claim, or released by a claim."),
      Col("Claim", "string",
          "claimRef is part of a bi-directional binding between PersistentVolume and "
          "PersistentVolumeClaim."),
      Col("StorageClass", "string",
          "storageClassName is the name of StorageClass to which this persistent volume belongs."),
      Col("VolumeAttributesClass", "string",
          "Name of VolumeAttributesClass to which this persistent volume belongs."),
      Col("Reason", "string",
          "reason is a brief CamelCase string that describes any failure and is meant for machine "
          "parsing and tidy display in the CLI."),
      AgeColumn(),
      Col("VolumeMode", "string",
          "volumeMode defines if a volume is intended to be used with a formatted filesystem or to "
          "remain in raw block state.",
          1)};
}

void PersistentVolumeRow(const api::PersistentVolume& pv, Clock::WallTime now, Cells& cells) {
  std::string claim;
  if (pv.spec.claimRef) claim = pv.spec.claimRef->namespace_ + "/" + pv.spec.claimRef->name;
  std::string phase = pv.metadata.deletionTimestamp.empty() ? pv.status.phase : "Terminating";
  cells.emplace_back(StorageOf(pv.spec.capacity));
  cells.emplace_back(AccessModes(pv.spec.accessModes));
  cells.emplace_back(pv.spec.persistentVolumeReclaimPolicy);
  cells.emplace_back(phase);
  cells.emplace_back(claim);
  cells.emplace_back(StorageClassOf(pv.metadata, pv.spec.storageClassName));
  cells.emplace_back(pv.spec.volumeAttributesClassName.empty() ? "<unset>"
                                                               : pv.spec.volumeAttributesClassName);
  cells.emplace_back(pv.status.reason);
  cells.emplace_back(AgeOf(pv.metadata.creationTimestamp, now));
  cells.emplace_back(pv.spec.volumeMode.empty() ? "<unset>" : pv.spec.volumeMode);
}

std::vector<TableColumn> PersistentVolumeClaimColumns() {
  return {NameColumn(),
          Col("Status", "string", "phase represents the current phase of PersistentVolumeClaim."),
          Col("Volume", "string",
              "volumeName is the binding reference to the PersistentVolume backing this claim."),
          Col("Capacity", "string",
              "capacity represents the actual resources of the underlying volume."),
          Col("Access Modes", "string",
              "accessModes contains the desired access modes the volume should have."),
          Col("StorageClass", "string",
              "storageClassName is the name of the StorageClass required by the claim."),
          Col("VolumeAttributesClass", "string",
              "volumeAttributesClassName may be used to set the VolumeAttributesClass used by this "
              "claim."),
          AgeColumn(),
          Col("VolumeMode", "string",
              "volumeMode defines what type of volume is required by the claim.", 1)};
}

void PersistentVolumeClaimRow(const api::PersistentVolumeClaim& pvc, Clock::WallTime now,
                              Cells& cells) {
  std::string phase = pvc.metadata.deletionTimestamp.empty() ? pvc.status.phase : "Terminating";
  std::string capacity;
  std::string modes;
  if (!pvc.spec.volumeName.empty()) {
    modes = AccessModes(pvc.status.accessModes);
    capacity = StorageOf(pvc.status.capacity);
  }
  cells.emplace_back(phase);
  cells.emplace_back(pvc.spec.volumeName);
  cells.emplace_back(capacity);
  cells.emplace_back(modes);
  cells.emplace_back(StorageClassOf(pvc.metadata, pvc.spec.storageClassName));
  cells.emplace_back(
      pvc.spec.volumeAttributesClassName.empty() ? "<unset>" : pvc.spec.volumeAttributesClassName);
  cells.emplace_back(AgeOf(pvc.metadata.creationTimestamp, now));
  cells.emplace_back(pvc.spec.volumeMode.empty() ? "<unset>" : pvc.spec.volumeMode);
}

void PersistentVolumeClaimFields(const api::PersistentVolumeClaim& pvc, FieldMap& out) {
  out["status.phase"] = pvc.status.phase;
}

std::vector<TableColumn> LimitRangeColumns() {
  return {NameColumn(), Col("Created At", "date",
                            "CreationTimestamp is a timestamp representing the server time when "
                            "this object was created.")};
}

void LimitRangeRow(const api::LimitRange& lr, Clock::WallTime /*now*/, Cells& cells) {
  // A "date" cell: the RFC 3339 timestamp as stored.
  cells.emplace_back(lr.metadata.creationTimestamp);
}

std::vector<TableColumn> ResourceQuotaColumns() {
  return {NameColumn(), AgeColumn(),
          Col("Request", "string",
              "Request represents a minimum amount of cpu/memory that a container may consume."),
          Col("Limit", "string",
              "Limits control the maximum amount of cpu/memory that a container may use "
              "independent of contention on the node.")};
}

void ResourceQuotaRow(const api::ResourceQuota& rq, Clock::WallTime now, Cells& cells) {
  std::vector<std::string> requests;
  std::vector<std::string> limits;
  for (const auto& [name, hard] : rq.status.hard) {
    auto it = rq.status.used.find(name);
    std::string used = it == rq.status.used.end() ? "0" : it->second.text;
    std::string text = fmt::format("{}: {}/{}", name, used, hard.text);
    (name.starts_with("limits.") ? limits : requests).push_back(text);
  }
  cells.emplace_back(AgeOf(rq.metadata.creationTimestamp, now));
  cells.emplace_back(Join(requests, ", "));
  cells.emplace_back(Join(limits, ", "));
}

std::vector<TableColumn> PodTemplateColumns() {
  return {NameColumn(), Col("Containers", "string", "Names of each container in the template."),
          Col("Images", "string", "Images referenced by each container in the template."),
          Col("Pod Labels", "string", "The labels for the pod template.")};
}

void PodTemplateRow(const api::PodTemplate& pt, Clock::WallTime /*now*/, Cells& cells) {
  cells.emplace_back(ContainerNames(pt.template_.spec));
  cells.emplace_back(ContainerImages(pt.template_.spec));
  cells.emplace_back(FormatLabels(pt.template_.metadata.labels));
}

std::vector<TableColumn> ReplicationControllerColumns() {
  return {NameColumn(),
          Col("Desired", "integer", "Replicas is the number of desired replicas."),
          Col("Current", "integer", "Replicas is the most recently observed number of replicas."),
          Col("Ready", "integer", "The number of ready replicas for this replication controller."),
          AgeColumn(),
          Col("Containers", "string", "Names of each container in the template.", 1),
          Col("Images", "string", "Images referenced by each container in the template.", 1),
          Col("Selector", "string",
              "Selector is a label query over pods that should match the Replicas count.", 1)};
}

void ReplicationControllerRow(const api::ReplicationController& rc, Clock::WallTime now,
                              Cells& cells) {
  cells.emplace_back(static_cast<int64_t>(rc.spec.replicas.value_or(0)));
  cells.emplace_back(static_cast<int64_t>(rc.status.replicas));
  cells.emplace_back(static_cast<int64_t>(rc.status.readyReplicas.value_or(0)));
  cells.emplace_back(AgeOf(rc.metadata.creationTimestamp, now));
  cells.emplace_back(ContainerNames(rc.spec.template_.spec));
  cells.emplace_back(ContainerImages(rc.spec.template_.spec));
  cells.emplace_back(FormatLabels(rc.spec.selector));
}

void ReplicationControllerFields(const api::ReplicationController& rc, FieldMap& out) {
  out["status.replicas"] = std::to_string(rc.status.replicas);
}

}  // namespace kubepp::apiserver
