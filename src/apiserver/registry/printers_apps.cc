// apps, autoscaling, batch, coordination, discovery, scheduling, policy and networking printers.
#include <fmt/format.h>

#include <algorithm>

#include "apiserver/registry/meta.h"
#include "apiserver/registry/printers.h"
#include "apiserver/registry/printers_util.h"

namespace kubepp::apiserver {
namespace {

int64_t I(std::optional<int32_t> v) { return v.value_or(0); }

std::string IntOrStringText(const api::IntOrString& v) {
  return v.is_string ? v.str_value : std::to_string(v.int_value);
}

std::vector<TableColumn> WithWorkloadWide(std::vector<TableColumn> cols, bool selector = true) {
  cols.push_back(Col("Containers", "string", "Names of each container in the template.", 1));
  cols.push_back(
      Col("Images", "string", "Images referenced by each container in the template.", 1));
  if (selector) cols.push_back(Col("Selector", "string", "Label selector for pods.", 1));
  return cols;
}

}  // namespace

std::string FormatLabels(const std::map<std::string, std::string>& labels) {
  std::vector<std::string> parts;
  for (const auto& [k, v] : labels) parts.push_back(k + "=" + v);
  return OrNone(Join(parts, ","));
}

std::string FormatLabelSelector(const api::LabelSelector& selector) {
  // labels.Selector.String(): requirements sorted by key.
  std::vector<std::pair<std::string, std::string>> reqs;
  for (const auto& [k, v] : selector.matchLabels) reqs.emplace_back(k, k + "=" + v);
  for (const auto& e : selector.matchExpressions) {
    std::vector<std::string> values = e.values;
    std::sort(values.begin(), values.end());
    std::string text;
    if (e.operator_ == "In") {
      text = e.key + " in (" + Join(values, ",") + ")";
    } else if (e.operator_ == "NotIn") {
      text = e.key + " notin (" + Join(values, ",") + ")";
    } else if (e.operator_ == "Exists") {
      text = e.key;
    } else if (e.operator_ == "DoesNotExist") {
      text = "!" + e.key;
    } else {
      return "<error>";
    }
    reqs.emplace_back(e.key, text);
  }
  std::stable_sort(reqs.begin(), reqs.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::string> parts;
  for (auto& r : reqs) parts.push_back(r.second);
  return Join(parts, ",");
}

std::vector<TableColumn> DeploymentColumns() {
  return WithWorkloadWide({NameColumn(),
                           Col("Ready", "string", "Number of the pod with ready state"),
                           Col("Up-to-date", "string",
                               "Total number of non-terminated pods targeted by this deployment "
                               "that have the desired template spec."),
                           Col("Available", "string",
                               "Total number of available pods (ready for at least "
                               "minReadySeconds) targeted by this deployment."),
                           AgeColumn()});
}

void DeploymentRow(const api::Deployment& d, Clock::WallTime now, Cells& cells) {
  cells.emplace_back(fmt::format("{}/{}", I(d.status.readyReplicas), I(d.spec.replicas)));
  cells.emplace_back(I(d.status.updatedReplicas));
  cells.emplace_back(I(d.status.availableReplicas));
  cells.emplace_back(AgeOf(d.metadata.creationTimestamp, now));
  cells.emplace_back(ContainerNames(d.spec.template_.spec));
  cells.emplace_back(ContainerImages(d.spec.template_.spec));
  cells.emplace_back(FormatLabelSelector(d.spec.selector));
}

std::vector<TableColumn> ReplicaSetColumns() {
  return WithWorkloadWide(
      {NameColumn(), Col("Desired", "integer", "Replicas is the number of desired replicas."),
       Col("Current", "integer", "Replicas is the most recently observed number of replicas."),
       Col("Ready", "integer", "The number of ready replicas for this replica set."), AgeColumn()});
}

void ReplicaSetRow(const api::ReplicaSet& rs, Clock::WallTime now, Cells& cells) {
  cells.emplace_back(I(rs.spec.replicas));
  cells.emplace_back(static_cast<int64_t>(rs.status.replicas));
  cells.emplace_back(I(rs.status.readyReplicas));
  cells.emplace_back(AgeOf(rs.metadata.creationTimestamp, now));
  cells.emplace_back(ContainerNames(rs.spec.template_.spec));
  cells.emplace_back(ContainerImages(rs.spec.template_.spec));
  cells.emplace_back(FormatLabelSelector(rs.spec.selector));
}

void ReplicaSetFields(const api::ReplicaSet& rs, FieldMap& out) {
  out["status.replicas"] = std::to_string(rs.status.replicas);
}

std::vector<TableColumn> StatefulSetColumns() {
  return WithWorkloadWide(
      {NameColumn(), Col("Ready", "string", "Number of the pod with ready state"), AgeColumn()},
      false);
}

void StatefulSetRow(const api::StatefulSet& sts, Clock::WallTime now, Cells& cells) {
  cells.emplace_back(fmt::format("{}/{}", I(sts.status.readyReplicas), I(sts.spec.replicas)));
  cells.emplace_back(AgeOf(sts.metadata.creationTimestamp, now));
  cells.emplace_back(ContainerNames(sts.spec.template_.spec));
  cells.emplace_back(ContainerImages(sts.spec.template_.spec));
}

std::vector<TableColumn> DaemonSetColumns() {
  return WithWorkloadWide(
      {NameColumn(),
       Col("Desired", "integer",
           "The total number of nodes that should be running the daemon pod."),
       Col("Current", "integer",
           "The number of nodes that are running at least 1 daemon pod and are supposed to run the "
           "daemon pod."),
       Col("Ready", "integer",
           "numberReady is the number of nodes that should be running the daemon pod and have one "
           "or more of the daemon pod running with a Ready Condition."),
       Col("Up-to-date", "integer",
           "The total number of nodes that are running updated daemon pod"),
       Col("Available", "integer",
           "The number of nodes that should be running the daemon pod and have one or more of the "
           "daemon pod running and available (ready for at least spec.minReadySeconds)"),
       Col("Node Selector", "string",
           "NodeSelector is a selector which must be true for the pod to fit on a node."),
       AgeColumn()});
}

void DaemonSetRow(const api::DaemonSet& ds, Clock::WallTime now, Cells& cells) {
  cells.emplace_back(static_cast<int64_t>(ds.status.desiredNumberScheduled));
  cells.emplace_back(static_cast<int64_t>(ds.status.currentNumberScheduled));
  cells.emplace_back(static_cast<int64_t>(ds.status.numberReady));
  cells.emplace_back(I(ds.status.updatedNumberScheduled));
  cells.emplace_back(I(ds.status.numberAvailable));
  cells.emplace_back(FormatLabels(ds.spec.template_.spec.nodeSelector));
  cells.emplace_back(AgeOf(ds.metadata.creationTimestamp, now));
  cells.emplace_back(ContainerNames(ds.spec.template_.spec));
  cells.emplace_back(ContainerImages(ds.spec.template_.spec));
  cells.emplace_back(FormatLabelSelector(ds.spec.selector));
}

std::vector<TableColumn> ControllerRevisionColumns() {
  return {NameColumn(), Col("Controller", "string", "Controller of the object"),
          Col("Revision", "integer",
              "Revision indicates the revision of the state represented by Data."),
          AgeColumn()};
}

void ControllerRevisionRow(const api::ControllerRevision& cr, Clock::WallTime now, Cells& cells) {
  std::string controller = "<none>";
  for (const auto& ref : cr.metadata.ownerReferences) {
    if (!ref.controller.value_or(false)) continue;
    std::string kind = ref.kind;
    std::transform(kind.begin(), kind.end(), kind.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    auto slash = ref.apiVersion.find('/');
    std::string group = slash == std::string::npos ? "" : ref.apiVersion.substr(0, slash);
    controller = (group.empty() ? kind : kind + "." + group) + "/" + ref.name;
    break;
  }
  cells.emplace_back(controller);
  cells.emplace_back(cr.revision);
  cells.emplace_back(AgeOf(cr.metadata.creationTimestamp, now));
}

std::vector<TableColumn> HorizontalPodAutoscalerColumns() {
  return {
      NameColumn(),
      Col("Reference", "string", "Reference to the scaled resource"),
      Col("Targets", "string", "Current and target metric values"),
      Col("MinPods", "string",
          "Lower limit for the number of pods that can be set by the autoscaler, default 1."),
      Col("MaxPods", "integer",
          "Upper limit for the number of pods that can be set by the autoscaler; cannot be smaller "
          "than MinReplicas."),
      Col("Replicas", "integer", "Current number of replicas of pods managed by this autoscaler."),
      AgeColumn()};
}

void HorizontalPodAutoscalerRow(const api::HorizontalPodAutoscaler& hpa, Clock::WallTime now,
                                Cells& cells) {
  const auto& spec = hpa.spec;
  // autoscaling/v1 maps to one cpu utilization metric (80% when unset, v2 defaulting).
  int32_t target = spec.targetCPUUtilizationPercentage.value_or(80);
  std::string current = hpa.status.currentCPUUtilizationPercentage
                            ? fmt::format("{}%", *hpa.status.currentCPUUtilizationPercentage)
                            : "<unknown>";
  cells.emplace_back(spec.scaleTargetRef.kind + "/" + spec.scaleTargetRef.name);
  cells.emplace_back(fmt::format("cpu: {}/{}%", current, target));
  cells.emplace_back(spec.minReplicas ? std::to_string(*spec.minReplicas) : "<unset>");
  cells.emplace_back(static_cast<int64_t>(spec.maxReplicas));
  cells.emplace_back(static_cast<int64_t>(hpa.status.currentReplicas));
  cells.emplace_back(AgeOf(hpa.metadata.creationTimestamp, now));
}

std::vector<TableColumn> JobColumns() {
  return WithWorkloadWide({NameColumn(), Col("Status", "string", "Status of the job."),
                           Col("Completions", "string", "The completion status of the job."),
                           Col("Duration", "string", "Time required to complete the job."),
                           AgeColumn()});
}

namespace {
bool HasJobCondition(const api::Job& job, std::string_view type) {
  return std::any_of(
      job.status.conditions.begin(), job.status.conditions.end(),
      [&](const api::JobCondition& c) { return c.type == type && c.status == "True"; });
}
}  // namespace

void JobRow(const api::Job& job, Clock::WallTime now, Cells& cells) {
  int64_t succeeded = I(job.status.succeeded);
  std::string completions;
  if (job.spec.completions) {
    completions = fmt::format("{}/{}", succeeded, *job.spec.completions);
  } else if (job.spec.parallelism.value_or(0) > 1) {
    completions = fmt::format("{}/1 of {}", succeeded, *job.spec.parallelism);
  } else {
    completions = fmt::format("{}/1", succeeded);
  }
  std::string duration;
  auto start = ParseRfc3339(job.status.startTime);
  if (start) {
    auto end = job.status.completionTime.empty() ? std::optional<Clock::WallTime>(now)
                                                 : ParseRfc3339(job.status.completionTime);
    if (end)
      duration = HumanDuration(std::chrono::duration_cast<std::chrono::seconds>(*end - *start));
  }
  std::string status = "Running";
  if (HasJobCondition(job, "Complete")) {
    status = "Complete";
  } else if (HasJobCondition(job, "Failed")) {
    status = "Failed";
  } else if (!job.metadata.deletionTimestamp.empty()) {
    status = "Terminating";
  } else if (HasJobCondition(job, "Suspended")) {
    status = "Suspended";
  } else if (HasJobCondition(job, "FailureTarget")) {
    status = "FailureTarget";
  } else if (HasJobCondition(job, "SuccessCriteriaMet")) {
    status = "SuccessCriteriaMet";
  }
  cells.emplace_back(status);
  cells.emplace_back(completions);
  cells.emplace_back(duration);
  cells.emplace_back(AgeOf(job.metadata.creationTimestamp, now));
  cells.emplace_back(ContainerNames(job.spec.template_.spec));
  cells.emplace_back(ContainerImages(job.spec.template_.spec));
  cells.emplace_back(job.spec.selector ? OrNone(FormatLabelSelector(*job.spec.selector))
                                       : "<none>");
}

void JobFields(const api::Job& job, FieldMap& out) {
  out["status.successful"] = std::to_string(I(job.status.succeeded));
}

std::vector<TableColumn> CronJobColumns() {
  return WithWorkloadWide(
      {NameColumn(),
       Col("Schedule", "string",
           "The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron."),
       Col("Timezone", "string",
           "The time zone name for the given schedule, see "
           "https://en.wikipedia.org/wiki/List_of_tz_database_time_zones. If not specified, this "
           "will default to the time zone of the kube-controller-manager process. The set of valid "
           "time zone names and the time zone offset is loaded from the system-wide time zone "
           "database by the API server during CronJob validation and the controller manager during "
           "execution. If no system-wide time zone database can be found a bundled version of the "
           "database is used instead. If the time zone name becomes invalid during the lifetime of "
           "a CronJob or due to a change in host configuration, the controller will stop creating "
           "new new Jobs and will create a system event with the reason UnknownTimeZone. More "
           "information can be found in "
           "https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#time-zones"),
       Col("Suspend", "boolean",
           "This flag tells the controller to suspend subsequent executions, it does not apply to "
           "already started executions.  Defaults to false."),
       Col("Active", "integer", "A list of pointers to currently running jobs."),
       Col("Last Schedule", "string",
           "Information when was the last time the job was successfully scheduled."),
       AgeColumn()});
}

void CronJobRow(const api::CronJob& cj, Clock::WallTime now, Cells& cells) {
  cells.emplace_back(cj.spec.schedule);
  cells.emplace_back(OrNone(cj.spec.timeZone));
  cells.emplace_back(cj.spec.suspend ? (*cj.spec.suspend ? "True" : "False") : "<unset>");
  cells.emplace_back(static_cast<int64_t>(cj.status.active.size()));
  cells.emplace_back(cj.status.lastScheduleTime.empty() ? "<none>"
                                                        : AgeOf(cj.status.lastScheduleTime, now));
  cells.emplace_back(AgeOf(cj.metadata.creationTimestamp, now));
  const auto& spec = cj.spec.jobTemplate.spec;
  cells.emplace_back(ContainerNames(spec.template_.spec));
  cells.emplace_back(ContainerImages(spec.template_.spec));
  cells.emplace_back(spec.selector ? OrNone(FormatLabelSelector(*spec.selector)) : "<none>");
}

std::vector<TableColumn> LeaseColumns() {
  return {NameColumn(), Col("Holder", "string", "The holder of the lease"), AgeColumn()};
}

void LeaseRow(const api::Lease& lease, Clock::WallTime now, Cells& cells) {
  cells.emplace_back(lease.spec.holderIdentity);
  cells.emplace_back(AgeOf(lease.metadata.creationTimestamp, now));
}

std::vector<TableColumn> EndpointSliceColumns() {
  return {NameColumn(), Col("AddressType", "string", "The IP protocol for this slice"),
          Col("Ports", "string", "The ports in this slice"),
          Col("Endpoints", "string", "The endpoints in this slice"), AgeColumn()};
}

void EndpointSliceRow(const api::EndpointSlice& slice, Clock::WallTime now, Cells& cells) {
  constexpr size_t kMax = 3;
  auto limited = [&](const std::vector<std::string>& all) {
    if (all.empty()) return std::string("<unset>");
    std::vector<std::string> shown(all.begin(), all.begin() + std::min(all.size(), kMax));
    std::string out = Join(shown, ",");
    if (all.size() > kMax) out += fmt::format(" + {} more...", all.size() - kMax);
    return out;
  };
  std::vector<std::string> ports;
  for (const auto& p : slice.ports) {
    ports.push_back(p.port ? std::to_string(*p.port) : "<unset>");
  }
  std::vector<std::string> addresses;
  for (const auto& ep : slice.endpoints) {
    for (const auto& a : ep.addresses) addresses.push_back(a);
  }
  cells.emplace_back(slice.addressType);
  cells.emplace_back(limited(ports));
  cells.emplace_back(limited(addresses));
  cells.emplace_back(AgeOf(slice.metadata.creationTimestamp, now));
}

std::vector<TableColumn> PriorityClassColumns() {
  return {NameColumn(),
          Col("Value", "integer",
              "The value of this priority class. This is the actual priority that pods receive "
              "when they have the name of this class in their pod spec."),
          Col("Global-Default", "boolean",
              "globalDefault specifies whether this PriorityClass should be considered as the "
              "default priority for pods that do not have any priority class. Only one "
              "PriorityClass can be marked as `globalDefault`. However, if more than one "
              "PriorityClasses exists with their `globalDefault` field set to true, the smallest "
              "value of such global default PriorityClasses will be used as the default priority."),
          AgeColumn(),
          Col("PreemptionPolicy", "string",
              "PreemptionPolicy is the Policy for preempting pods with lower priority. One of "
              "Never, PreemptLowerPriority. Defaults to PreemptLowerPriority if unset.")};
}

void PriorityClassRow(const api::PriorityClass& pc, Clock::WallTime now, Cells& cells) {
  cells.emplace_back(static_cast<int64_t>(pc.value));
  cells.emplace_back(pc.globalDefault.value_or(false));
  cells.emplace_back(AgeOf(pc.metadata.creationTimestamp, now));
  cells.emplace_back(pc.preemptionPolicy);
}

std::vector<TableColumn> PodDisruptionBudgetColumns() {
  return {NameColumn(),
          Col("Min Available", "string",
              "The minimum number of pods that must be available simultaneously.  This can be "
              "either an integer or a string specifying a percentage, e.g. \"28%\"."),
          Col("Max Unavailable", "string",
              "The maximum number of pods that may be unavailable simultaneously.  This can be "
              "either an integer or a string specifying a percentage, e.g. \"28%\"."),
          Col("Allowed Disruptions", "integer",
              "Calculated number of pods that may be disrupted at this time."),
          AgeColumn()};
}

void PodDisruptionBudgetRow(const api::PodDisruptionBudget& pdb, Clock::WallTime now,
                            Cells& cells) {
  cells.emplace_back(pdb.spec.minAvailable ? IntOrStringText(*pdb.spec.minAvailable) : "N/A");
  cells.emplace_back(pdb.spec.maxUnavailable ? IntOrStringText(*pdb.spec.maxUnavailable) : "N/A");
  cells.emplace_back(static_cast<int64_t>(pdb.status.disruptionsAllowed));
  cells.emplace_back(AgeOf(pdb.metadata.creationTimestamp, now));
}

std::vector<TableColumn> NetworkPolicyColumns() {
  return {NameColumn(),
          Col("Pod-Selector", "string",
              "Selects the pods to which this NetworkPolicy object applies. The array of ingress "
              "rules is applied to any pods selected by this field. Multiple network policies can "
              "select the same set of pods. In this case, the ingress rules for each are combined "
              "additively. This field is NOT optional and follows standard label selector "
              "semantics. An empty podSelector matches all pods in this namespace."),
          AgeColumn()};
}

void NetworkPolicyRow(const api::NetworkPolicy& np, Clock::WallTime now, Cells& cells) {
  cells.emplace_back(OrNone(FormatLabelSelector(np.spec.podSelector)));
  cells.emplace_back(AgeOf(np.metadata.creationTimestamp, now));
}

std::vector<TableColumn> IngressColumns() {
  return {
      NameColumn(),
      Col("Class", "string",
          "The name of the IngressClass resource that should be used for this Ingress"),
      Col("Hosts", "string",
          "Hosts that incoming requests are matched against before the ingress rule"),
      Col("Address", "string", "Address is a list containing ingress points for the load-balancer"),
      Col("Ports", "string", "Ports of TLS configurations that open"),
      AgeColumn()};
}

void IngressRow(const api::Ingress& ing, Clock::WallTime now, Cells& cells) {
  std::vector<std::string> hosts;
  for (const auto& r : ing.spec.rules) {
    if (!r.host.empty()) hosts.push_back(r.host);
  }
  std::string hosts_text = "*";
  if (!hosts.empty()) {
    constexpr size_t kMax = 4;
    std::vector<std::string> shown(hosts.begin(), hosts.begin() + std::min(hosts.size(), kMax));
    hosts_text = Join(shown, ",");
    if (hosts.size() > kMax) hosts_text += fmt::format(" + {} more...", hosts.size() - kMax);
  }
  std::vector<std::string> addresses;
  if (ing.status.loadBalancer) {
    for (const auto& i : ing.status.loadBalancer->ingress) {
      if (!i.ip.empty()) {
        addresses.push_back(i.ip);
      } else if (!i.hostname.empty()) {
        addresses.push_back(i.hostname);
      }
    }
  }
  cells.emplace_back(OrNone(ing.spec.ingressClassName));
  cells.emplace_back(hosts_text);
  cells.emplace_back(Join(addresses, ","));
  cells.emplace_back(ing.spec.tls.empty() ? "80" : "80, 443");
  cells.emplace_back(AgeOf(ing.metadata.creationTimestamp, now));
}

std::vector<TableColumn> IngressClassColumns() {
  return {NameColumn(),
          Col("Controller", "string", "Controller that is responsible for handling this class"),
          Col("Parameters", "string", "A reference to a resource with additional parameters"),
          AgeColumn()};
}

void IngressClassRow(const api::IngressClass& ic, Clock::WallTime now, Cells& cells) {
  std::string params = "<none>";
  if (ic.spec.parameters) {
    const auto& p = *ic.spec.parameters;
    params = p.kind;
    if (!p.apiGroup.empty()) params += "." + p.apiGroup;
    params += "/" + p.name;
  }
  cells.emplace_back(ic.spec.controller);
  cells.emplace_back(params);
  cells.emplace_back(AgeOf(ic.metadata.creationTimestamp, now));
}

}  // namespace kubepp::apiserver
