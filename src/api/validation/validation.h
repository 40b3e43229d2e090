// Upstream's per-kind validation (ValidateX / ValidateXUpdate in pkg/apis/<group>/validation),
// with upstream's field paths and messages. Each function appends to `errors`; `old` is the
// stored object on update and nullptr on create. Metadata (name, labels, annotations) is
// validated generically by the registry and is not repeated here.
//
// Rules that need other objects (quota, limit ranges, existing PriorityClasses) are not here.
#pragma once

#include <string>

#include "api/field_errors.h"
#include "api/types.h"

namespace kubepp::api::validation {

// core/v1
void ValidatePod(const Pod& pod, const Pod* old, ErrorList& errors);
void ValidatePodTemplate(const PodTemplate& pt, const PodTemplate* old, ErrorList& errors);
void ValidateReplicationController(const ReplicationController& rc,
                                   const ReplicationController* old, ErrorList& errors);
void ValidateService(const Service& svc, const Service* old, ErrorList& errors);
void ValidateNamespace(const Namespace& ns, const Namespace* old, ErrorList& errors);
void ValidateNode(const Node& node, const Node* old, ErrorList& errors);
void ValidateEvent(const Event& ev, const Event* old, ErrorList& errors);
void ValidateEndpoints(const Endpoints& ep, const Endpoints* old, ErrorList& errors);
void ValidateServiceAccount(const ServiceAccount& sa, const ServiceAccount* old, ErrorList& errors);
void ValidatePersistentVolume(const PersistentVolume& pv, const PersistentVolume* old,
                              ErrorList& errors);
void ValidatePersistentVolumeClaim(const PersistentVolumeClaim& pvc,
                                   const PersistentVolumeClaim* old, ErrorList& errors);
void ValidateResourceQuota(const ResourceQuota& rq, const ResourceQuota* old, ErrorList& errors);
void ValidateLimitRange(const LimitRange& lr, const LimitRange* old, ErrorList& errors);
// apps/v1, autoscaling/v1
void ValidateDeployment(const Deployment& d, const Deployment* old, ErrorList& errors);
void ValidateReplicaSet(const ReplicaSet& rs, const ReplicaSet* old, ErrorList& errors);
void ValidateStatefulSet(const StatefulSet& sts, const StatefulSet* old, ErrorList& errors);
void ValidateDaemonSet(const DaemonSet& ds, const DaemonSet* old, ErrorList& errors);
void ValidateControllerRevision(const ControllerRevision& cr, const ControllerRevision* old,
                                ErrorList& errors);
void ValidateHorizontalPodAutoscaler(const HorizontalPodAutoscaler& hpa,
                                     const HorizontalPodAutoscaler* old, ErrorList& errors);
// batch/v1
void ValidateJob(const Job& job, const Job* old, ErrorList& errors);
void ValidateCronJob(const CronJob& cj, const CronJob* old, ErrorList& errors);
// coordination, discovery, events, scheduling, policy, networking
void ValidateLease(const Lease& lease, const Lease* old, ErrorList& errors);
void ValidateEndpointSlice(const EndpointSlice& slice, const EndpointSlice* old, ErrorList& errors);
void ValidateEventsEvent(const EventsEvent& ev, const EventsEvent* old, ErrorList& errors);
void ValidatePriorityClass(const PriorityClass& pc, const PriorityClass* old, ErrorList& errors);
void ValidatePodDisruptionBudget(const PodDisruptionBudget& pdb, const PodDisruptionBudget* old,
                                 ErrorList& errors);
void ValidateNetworkPolicy(const NetworkPolicy& np, const NetworkPolicy* old, ErrorList& errors);
void ValidateIngress(const Ingress& ing, const Ingress* old, ErrorList& errors);
void ValidateIngressClass(const IngressClass& ic, const IngressClass* old, ErrorList& errors);

// Shared pieces, exposed for the workload validators and for tests.
// ValidatePodSpec: containers, volumes, policies, resources, probes. `path` is "spec" for a pod,
// "spec.template.spec" for a template.
void ValidatePodSpec(const PodSpec& spec, const std::string& path, ErrorList& errors);
// The message for a cron schedule that does not parse (robfig/cron's wording), or "" if valid.
std::string CronScheduleError(const std::string& schedule);
// Go's %#v-like rendering of a label map, as upstream prints bad values:
// map[string]string{"app":"web"}.
std::string GoMapString(const std::map<std::string, std::string>& m);
// An Invalid error whose bad value is printed as-is (not quoted).
FieldError InvalidRaw(std::string field, std::string value, std::string detail);

}  // namespace kubepp::api::validation
