// Upstream's defaulting (SetDefaults_* in pkg/apis/<group>/v1/defaults.go): the values the API
// server fills in when a client leaves a field unset. Pure functions of the object; applied on
// every create and update. What upstream does in a kind's strategy or in admission (pod status
// on create, QoS class, a Job's generated selector) lives with the registry, which knows the
// operation; helpers for those are here too, so they can be tested without a server.
#pragma once

#include "api/types.h"

namespace kubepp::api::defaults {

// core/v1
void SetDefaults(Pod& pod);
void SetDefaults(PodTemplateSpec& tmpl);  // a workload's pod template (SetDefaults_PodSpec)
void SetDefaults(PodTemplate& pt);
void SetDefaults(ReplicationController& rc);
void SetDefaults(Service& svc);
void SetDefaults(Namespace& ns);
void SetDefaults(Node& node);
void SetDefaults(Secret& secret);
void SetDefaults(Endpoints& ep);
void SetDefaults(PersistentVolume& pv);
void SetDefaults(PersistentVolumeClaim& pvc);
void SetDefaults(LimitRange& lr);
// apps/v1
void SetDefaults(Deployment& d);
void SetDefaults(ReplicaSet& rs);
void SetDefaults(StatefulSet& sts);
void SetDefaults(DaemonSet& ds);
// autoscaling/v1
void SetDefaults(HorizontalPodAutoscaler& hpa);
// batch/v1
void SetDefaults(Job& job);
void SetDefaults(CronJob& cj);
// discovery, networking, scheduling
void SetDefaults(EndpointSlice& slice);
void SetDefaults(NetworkPolicy& np);
void SetDefaults(PriorityClass& pc);

// What upstream's pod admission and strategy add on create: serviceAccountName "default", the
// DefaultTolerationSeconds tolerations, priority 0, status phase Pending and the QoS class.
void SetPodCreateDefaults(Pod& pod);
// The pod's QoS class ("Guaranteed", "Burstable", "BestEffort") from its containers' resources.
std::string ComputeQosClass(const PodSpec& spec);
// Upstream's Job selector generation (batch strategy, unless spec.manualSelector): the
// controller-uid selector and the job-name/controller-uid template labels (also legacy names).
void GenerateJobSelector(Job& job);

}  // namespace kubepp::api::defaults
