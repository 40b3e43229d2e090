// The registration functions, one translation unit per group of kinds (compile-time spread).
#pragma once

#include "apiserver/registry/resource.h"

namespace kubepp::apiserver {

void AddCoreKinds(Registry& registry);   // core/v1
void AddAppsKinds(Registry& registry);   // apps/v1, autoscaling/v1
void AddOtherKinds(Registry& registry);  // batch, coordination, discovery, events, scheduling,
                                         // policy, networking

}  // namespace kubepp::apiserver
