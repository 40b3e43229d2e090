// Server-side printing (upstream pkg/printers/internalversion/printers.go): each kind's Table
// columns and row cells, as an upstream v1.32 API server returns them (the server always
// includes the -o wide columns, priority 1; kubectl hides them unless asked). Also each kind's
// selectable fields (field selectors).
//
// Row functions append the cells after NAME (the registry puts NAME first), except
// EventRow/EventsEventRow: events have no leading NAME column, so they replace `cells`.
#pragma once

#include <boost/json.hpp>
#include <map>
#include <string>
#include <vector>

#include "api/types.h"
#include "apiserver/registry/resource.h"
#include "base/clock.h"

namespace kubepp::apiserver {

using Cells = std::vector<boost::json::value>;
using FieldMap = std::map<std::string, std::string>;

#define KUBEPP_PRINTER(Kind)                \
  std::vector<TableColumn> Kind##Columns(); \
  void Kind##Row(const api::Kind& obj, Clock::WallTime now, Cells& cells)

KUBEPP_PRINTER(Pod);
KUBEPP_PRINTER(Node);
KUBEPP_PRINTER(Service);
KUBEPP_PRINTER(Endpoints);
KUBEPP_PRINTER(Event);
KUBEPP_PRINTER(EventsEvent);
KUBEPP_PRINTER(Namespace);
KUBEPP_PRINTER(ServiceAccount);
KUBEPP_PRINTER(PersistentVolume);
KUBEPP_PRINTER(PersistentVolumeClaim);
KUBEPP_PRINTER(LimitRange);
KUBEPP_PRINTER(ResourceQuota);
KUBEPP_PRINTER(PodTemplate);
KUBEPP_PRINTER(ReplicationController);
KUBEPP_PRINTER(Deployment);
KUBEPP_PRINTER(ReplicaSet);
KUBEPP_PRINTER(StatefulSet);
KUBEPP_PRINTER(DaemonSet);
KUBEPP_PRINTER(ControllerRevision);
KUBEPP_PRINTER(HorizontalPodAutoscaler);
KUBEPP_PRINTER(Job);
KUBEPP_PRINTER(CronJob);
KUBEPP_PRINTER(Lease);
KUBEPP_PRINTER(EndpointSlice);
KUBEPP_PRINTER(PriorityClass);
KUBEPP_PRINTER(PodDisruptionBudget);
KUBEPP_PRINTER(NetworkPolicy);
KUBEPP_PRINTER(Ingress);
KUBEPP_PRINTER(IngressClass);
#undef KUBEPP_PRINTER

// Field selectors beyond metadata.name/metadata.namespace.
void PodFields(const api::Pod& pod, FieldMap& out);
void NodeFields(const api::Node& node, FieldMap& out);
void NamespaceFields(const api::Namespace& ns, FieldMap& out);
void SecretFields(const api::Secret& s, FieldMap& out);
void EventFields(const api::Event& ev, FieldMap& out);
void EventsEventFields(const api::EventsEvent& ev, FieldMap& out);
void ReplicationControllerFields(const api::ReplicationController& rc, FieldMap& out);
void ReplicaSetFields(const api::ReplicaSet& rs, FieldMap& out);
void JobFields(const api::Job& job, FieldMap& out);
void PersistentVolumeClaimFields(const api::PersistentVolumeClaim& pvc, FieldMap& out);
void ServiceFields(const api::Service& svc, FieldMap& out);

// Helpers shared with tests: labels.FormatLabels ("a=b,c=d" or "<none>") and a LabelSelector
// as labels.Selector.String() ("app=web,tier in (a,b)").
std::string FormatLabels(const std::map<std::string, std::string>& labels);
std::string FormatLabelSelector(const api::LabelSelector& selector);

}  // namespace kubepp::apiserver
