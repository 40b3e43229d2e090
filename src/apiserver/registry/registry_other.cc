// batch, coordination, discovery, events, scheduling, policy and networking kinds.
#include "api/defaults/defaults.h"
#include "api/validation/validation.h"
#include "apiserver/registry/kind_ops.h"
#include "apiserver/registry/printers.h"
#include "apiserver/registry/registry_kinds.h"

namespace kubepp::apiserver {
namespace {

template <typename T>
void Defaults(T& obj, Operation /*op*/) {
  api::defaults::SetDefaults(obj);
}

// Upstream's job strategy generates the selector on create (before defaulting copies the
// template labels to the job).
void JobDefaults(api::Job& job, Operation op) {
  if (op == Operation::kCreate) api::defaults::GenerateJobSelector(job);
  api::defaults::SetDefaults(job);
}

}  // namespace

void AddOtherKinds(Registry& r) {
  namespace v = api::validation;
  r.Add(MakeResource<api::Job>("jobs", "job", true, {}, {"all"}, true, false, JobColumns(),
                               {.tracks_generation = true,
                                .defaults = &JobDefaults,
                                .validate = &v::ValidateJob,
                                .row = &JobRow,
                                .fields = &JobFields}));
  r.Add(MakeResource<api::CronJob>("cronjobs", "cronjob", true, {"cj"}, {"all"}, true, false,
                                   CronJobColumns(),
                                   {.tracks_generation = true,
                                    .defaults = &Defaults<api::CronJob>,
                                    .validate = &v::ValidateCronJob,
                                    .row = &CronJobRow}));
  r.Add(MakeResource<api::Lease>("leases", "lease", true, {}, {}, false, false, LeaseColumns(),
                                 {.validate = &v::ValidateLease, .row = &LeaseRow}));
  r.Add(MakeResource<api::EndpointSlice>("endpointslices", "endpointslice", true, {}, {}, false,
                                         false, EndpointSliceColumns(),
                                         {.defaults = &Defaults<api::EndpointSlice>,
                                          .validate = &v::ValidateEndpointSlice,
                                          .row = &EndpointSliceRow}));
  r.Add(MakeResource<api::EventsEvent>("events", "event", true, {"ev"}, {}, false, false,
                                       EventsEventColumns(),
                                       {.name_rule = NameRule::kPathSegment,
                                        .validate = &v::ValidateEventsEvent,
                                        .row = &EventsEventRow,
                                        .fields = &EventsEventFields}));
  r.Add(MakeResource<api::PriorityClass>("priorityclasses", "priorityclass", false, {"pc"}, {},
                                         false, false, PriorityClassColumns(),
                                         {.defaults = &Defaults<api::PriorityClass>,
                                          .validate = &v::ValidatePriorityClass,
                                          .row = &PriorityClassRow}));
  r.Add(MakeResource<api::PodDisruptionBudget>("poddisruptionbudgets", "poddisruptionbudget", true,
                                               {"pdb"}, {}, true, false,
                                               PodDisruptionBudgetColumns(),
                                               {.tracks_generation = true,
                                                .validate = &v::ValidatePodDisruptionBudget,
                                                .row = &PodDisruptionBudgetRow}));
  r.Add(MakeResource<api::NetworkPolicy>("networkpolicies", "networkpolicy", true, {"netpol"}, {},
                                         false, false, NetworkPolicyColumns(),
                                         {.tracks_generation = true,
                                          .defaults = &Defaults<api::NetworkPolicy>,
                                          .validate = &v::ValidateNetworkPolicy,
                                          .row = &NetworkPolicyRow}));
  r.Add(MakeResource<api::Ingress>(
      "ingresses", "ingress", true, {"ing"}, {}, true, false, IngressColumns(),
      {.tracks_generation = true, .validate = &v::ValidateIngress, .row = &IngressRow}));
  r.Add(MakeResource<api::IngressClass>(
      "ingressclasses", "ingressclass", false, {}, {}, false, false, IngressClassColumns(),
      {.validate = &v::ValidateIngressClass, .row = &IngressClassRow}));
}

}  // namespace kubepp::apiserver
