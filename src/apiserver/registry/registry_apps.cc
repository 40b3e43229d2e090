// apps/v1 and autoscaling/v1 kinds.
#include <algorithm>
#include <cstdlib>
#include <string>

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

// The DaemonSet's template generation (upstream's internal spec.templateGeneration, which apps/v1
// carries in this annotation): 1 on create, +1 whenever an update changes the template, and
// never set by clients. The DaemonSet controller labels its pods with it
// (pod-template-generation).
constexpr char kTemplateGeneration[] = "deprecated.daemonset.template.generation";

void DaemonSetDefaults(api::DaemonSet& ds, Operation op) {
  api::defaults::SetDefaults(ds);
  if (op == Operation::kCreate) ds.metadata.annotations[kTemplateGeneration] = "1";
}

void DaemonSetPrepareForUpdate(api::DaemonSet& ds, const api::DaemonSet& old,
                               const PrepareOptions& /*options*/) {
  int64_t generation = 1;
  if (auto it = old.metadata.annotations.find(kTemplateGeneration);
      it != old.metadata.annotations.end()) {
    generation = std::max<int64_t>(1, std::strtoll(it->second.c_str(), nullptr, 10));
  }
  api::DaemonSet defaulted = ds;  // compare as stored, i.e. defaulted
  api::defaults::SetDefaults(defaulted);
  if (defaulted.spec.template_ != old.spec.template_) ++generation;
  ds.metadata.annotations[kTemplateGeneration] = std::to_string(generation);
}

}  // namespace

void AddAppsKinds(Registry& r) {
  namespace v = api::validation;
  r.Add(MakeResource<api::Deployment>("deployments", "deployment", true, {"deploy"}, {"all"}, true,
                                      true, DeploymentColumns(),
                                      {.tracks_generation = true,
                                       .defaults = &Defaults<api::Deployment>,
                                       .validate = &v::ValidateDeployment,
                                       .row = &DeploymentRow}));
  r.Add(MakeResource<api::ReplicaSet>("replicasets", "replicaset", true, {"rs"}, {"all"}, true,
                                      true, ReplicaSetColumns(),
                                      {.tracks_generation = true,
                                       .defaults = &Defaults<api::ReplicaSet>,
                                       .validate = &v::ValidateReplicaSet,
                                       .row = &ReplicaSetRow,
                                       .fields = &ReplicaSetFields}));
  r.Add(MakeResource<api::StatefulSet>("statefulsets", "statefulset", true, {"sts"}, {"all"}, true,
                                       true, StatefulSetColumns(),
                                       {.tracks_generation = true,
                                        .defaults = &Defaults<api::StatefulSet>,
                                        .validate = &v::ValidateStatefulSet,
                                        .row = &StatefulSetRow}));
  r.Add(MakeResource<api::DaemonSet>("daemonsets", "daemonset", true, {"ds"}, {"all"}, true, false,
                                     DaemonSetColumns(),
                                     {.tracks_generation = true,
                                      .defaults = &DaemonSetDefaults,
                                      .prepare_for_update = &DaemonSetPrepareForUpdate,
                                      .validate = &v::ValidateDaemonSet,
                                      .row = &DaemonSetRow}));
  r.Add(MakeResource<api::ControllerRevision>(
      "controllerrevisions", "controllerrevision", true, {}, {}, false, false,
      ControllerRevisionColumns(),
      {.validate = &v::ValidateControllerRevision, .row = &ControllerRevisionRow}));
  r.Add(MakeResource<api::HorizontalPodAutoscaler>(
      "horizontalpodautoscalers", "horizontalpodautoscaler", true, {"hpa"}, {"all"}, true, false,
      HorizontalPodAutoscalerColumns(),
      {.defaults = &Defaults<api::HorizontalPodAutoscaler>,
       .validate = &v::ValidateHorizontalPodAutoscaler,
       .row = &HorizontalPodAutoscalerRow}));
}

}  // namespace kubepp::apiserver
