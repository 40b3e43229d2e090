// apps/v1 and autoscaling/v1 kinds.
#include "apiserver/registry/kind_ops.h"
#include "apiserver/registry/registry_kinds.h"

namespace kubepp::apiserver {

void AddAppsKinds(Registry& r) {
  r.Add(MakeResource<api::Deployment>("deployments", "deployment", true, {"deploy"}, {"all"}, true,
                                      true, {}, {.tracks_generation = true}));
  r.Add(MakeResource<api::ReplicaSet>("replicasets", "replicaset", true, {"rs"}, {"all"}, true,
                                      true, {}, {.tracks_generation = true}));
  r.Add(MakeResource<api::StatefulSet>("statefulsets", "statefulset", true, {"sts"}, {"all"}, true,
                                       true, {}, {.tracks_generation = true}));
  r.Add(MakeResource<api::DaemonSet>("daemonsets", "daemonset", true, {"ds"}, {"all"}, true, false,
                                     {}, {.tracks_generation = true}));
  r.Add(MakeResource<api::ControllerRevision>("controllerrevisions", "controllerrevision", true, {},
                                              {}, false, false, {}, {}));
  r.Add(MakeResource<api::HorizontalPodAutoscaler>("horizontalpodautoscalers",
                                                   "horizontalpodautoscaler", true, {"hpa"},
                                                   {"all"}, true, false, {}, {}));
}

}  // namespace kubepp::apiserver
