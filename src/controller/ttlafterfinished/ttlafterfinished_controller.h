// The ttl-after-finished controller (upstream's pkg/controller/ttlafterfinished): deletes
// finished Jobs once their spec.ttlSecondsAfterFinished has passed.
//
// - Watches Jobs; a Job with ttlSecondsAfterFinished and a True Complete/Failed condition is
//   queued ("namespace/name"), synced by `concurrent_ttl_after_finished_syncs` workers.
// - A Sync: not expired yet (finish time = the condition's lastTransitionTime, + ttl, against
//   ctx.clock) → the key comes back at expiry. Expired → the Job is read again from the server
//   (the TTL may have changed) and, if still expired, deleted with Foreground propagation and a
//   precondition on its uid. Jobs being deleted are left alone.
//
// Threading: see controller.h. Everything the factory receives must outlive the controller.
#pragma once

#include <memory>

#include "controller/controller.h"

namespace kubepp::controller {

// Makes the ttl-after-finished controller ("ttl-after-finished-controller"; alias
// "ttl-after-finished").
std::unique_ptr<Controller> NewTtlAfterFinishedController(const ControllerContext& ctx);

}  // namespace kubepp::controller
