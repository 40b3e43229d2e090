// apps/v1 and autoscaling/v1 kinds.
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
                                      .defaults = &Defaults<api::DaemonSet>,
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
