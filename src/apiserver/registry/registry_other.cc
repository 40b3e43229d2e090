// batch, coordination, discovery, events, scheduling, policy and networking kinds.
#include "apiserver/registry/kind_ops.h"
#include "apiserver/registry/registry_kinds.h"

namespace kubepp::apiserver {

void AddOtherKinds(Registry& r) {
  r.Add(MakeResource<api::Job>("jobs", "job", true, {}, {"all"}, true, false, {},
                               {.tracks_generation = true}));
  r.Add(MakeResource<api::CronJob>("cronjobs", "cronjob", true, {"cj"}, {"all"}, true, false, {},
                                   {.tracks_generation = true}));
  r.Add(MakeResource<api::Lease>("leases", "lease", true, {}, {}, false, false, {}, {}));
  r.Add(MakeResource<api::EndpointSlice>("endpointslices", "endpointslice", true, {}, {}, false,
                                         false, {}, {}));
  r.Add(MakeResource<api::EventsEvent>("events", "event", true, {"ev"}, {}, false, false, {},
                                       {.name_rule = NameRule::kPathSegment}));
  r.Add(MakeResource<api::PriorityClass>("priorityclasses", "priorityclass", false, {"pc"}, {},
                                         false, false, {}, {}));
  r.Add(MakeResource<api::PodDisruptionBudget>("poddisruptionbudgets", "poddisruptionbudget", true,
                                               {"pdb"}, {}, true, false, {},
                                               {.tracks_generation = true}));
  r.Add(MakeResource<api::NetworkPolicy>("networkpolicies", "networkpolicy", true, {"netpol"}, {},
                                         false, false, {}, {.tracks_generation = true}));
  r.Add(MakeResource<api::Ingress>("ingresses", "ingress", true, {"ing"}, {}, true, false, {},
                                   {.tracks_generation = true}));
  r.Add(MakeResource<api::IngressClass>("ingressclasses", "ingressclass", false, {}, {}, false,
                                        false, {}, {}));
}

}  // namespace kubepp::apiserver
