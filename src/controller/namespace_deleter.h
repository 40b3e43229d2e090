// NamespacedResourcesDeleter: empties a namespace being deleted and then removes the
// `kubernetes` finalizer (upstream's pkg/controller/namespace/deletion).
//
// Delete(name), for a namespace with a deletionTimestamp:
//   1. status.phase becomes Terminating (if it is not already);
//   2. if spec.finalizers is empty there is nothing to do;
//   3. every namespaced resource the server offers with the `delete` verb (discovery through
//      /api and /apis, preferred versions) is emptied: DELETE on the collection
//      (propagationPolicy=Background) where `deletecollection` is offered, else list and delete
//      one by one; then listed again to see what remains;
//   4. the status conditions say how it went (NamespaceDeletionDiscoveryFailure,
//      NamespaceDeletionGroupVersionParsingFailure, NamespaceDeletionContentFailure,
//      NamespaceContentRemaining, NamespaceFinalizersRemaining, with upstream's reasons and
//      messages), written only when they changed;
//   5. when nothing remains, PUT .../namespaces/NAME/finalize without `kubernetes`; the API
//      server deletes the namespace once its finalizers are gone.
// Remaining content is not an error while it is expected to go: pods still within their grace
// period, or objects with finalizers (15 s estimate) ask for a look again after estimate/2 + 1 s
// (upstream's ResourcesRemainingError). Anything else remaining is an error (retried with
// back-off): e.g. pods bound to a node whose kubelet never confirms, as upstream.
//
// Thread-safe; one Delete per namespace at a time (the work queue's guarantee).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/types.h"
#include "async/runtime.h"
#include "base/clock.h"
#include "client/rest_client.h"
#include "controller/discovery.h"
#include "controller/queue_worker.h"

namespace kubepp::controller {

// The finalizer token of this controller in spec.finalizers.
inline constexpr char kKubernetesFinalizer[] = "kubernetes";
// How long objects with finalizers are expected to take (upstream's finalizerEstimateSeconds).
inline constexpr int64_t kFinalizerEstimateSeconds = 15;

// What one pass over a namespace's content found (input of the status conditions).
struct NamespaceDeletionReport {
  std::optional<std::string> discovery_error;  // discovery failed (condition message)
  std::vector<std::string> content_errors;     // per-resource deletion errors
  std::map<std::string, int> remaining;        // "resource.group" -> instances left
  std::map<std::string, int> finalizers;       // finalizer -> instances holding it
};

// Sets the five deletion conditions from `report` into `conditions` (other types are kept).
// A condition is replaced (lastTransitionTime = now) only when its status, reason or message
// changed. Returns whether anything changed. Pure.
bool ApplyNamespaceDeletionConditions(const NamespaceDeletionReport& report, Clock::WallTime now,
                                      std::vector<api::NamespaceCondition>* conditions);

// The graceful-termination estimate of pods (upstream's estimateGracefulTerminationForPods):
// the largest terminationGracePeriodSeconds of non-terminal pods, 0 once that long has passed
// since the namespace's deletion. `pods` is a PodList answer. Pure.
int64_t EstimatePodsGracefulTermination(const boost::json::value& pods,
                                        Clock::WallTime namespace_deleted_at, Clock::WallTime now);

// The wait before looking at a namespace again when content remains for `estimate_seconds`
// (upstream: estimate/2 + 1 seconds).
Clock::Duration RemainingContentRequeue(int64_t estimate_seconds);

class NamespacedResourcesDeleter {
 public:
  NamespacedResourcesDeleter(client::RestClient* client, const Clock* clock);

  // One pass over namespace `name` (see the top). OK when done or nothing to do; requeue_after
  // while content is expected to go; an error otherwise.
  async::Task<SyncResult> Delete(std::string name);

 private:
  // Per resource: how long its remaining content is expected to take, how much remains.
  struct ResourceOutcome {
    int64_t estimate = 0;                   // seconds
    int remaining = 0;                      // instances left
    std::map<std::string, int> finalizers;  // on those instances
  };
  async::Task<Result<ResourceOutcome>> DeleteAllOf(ApiResource resource, std::string ns,
                                                   Clock::WallTime deleted_at);
  async::Task<Result<int64_t>> DeleteAllContent(api::Namespace ns);
  async::Task<Status> DeleteEachItem(ApiResource resource, std::string ns);
  async::Task<Result<api::Namespace>> SetTerminating(api::Namespace ns);
  async::Task<Status> Finalize(api::Namespace ns);

  client::RestClient* client_;  // API access
  const Clock* clock_;          // time (deletion timestamps, condition times)
};

}  // namespace kubepp::controller
