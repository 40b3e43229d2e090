// ServiceAccountsController (upstream's pkg/controller/serviceaccount): makes sure every active
// namespace has the `default` ServiceAccount, and puts it back when it is deleted.
//
// Keys are namespace names. Sync(ns): nothing for a namespace that is gone or terminating (its
// deletion would remove the account again); otherwise creates each missing account
// (AlreadyExists counts as done: the cache was behind).
//
// Threading: see controller/controller.h. Handlers run on the informers' strands and only queue
// keys; Syncs of different namespaces run in parallel and read only the listers. The shared
// informers must be stopped before the controller is destroyed (their handlers refer to it).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "api/types.h"
#include "controller/controller.h"
#include "controller/queue_worker.h"

namespace kubepp::controller {

// The accounts every namespace gets (upstream's ServiceAccountsControllerOptions).
struct ServiceAccountsControllerOptions {
  std::vector<std::string> service_accounts{"default"};  // names to ensure
};

// Whether a namespace should get its accounts: it exists and is not being deleted.
bool NamespaceIsActive(const api::Namespace& ns);

class ServiceAccountsController : public Controller {
 public:
  ServiceAccountsController(const ControllerContext& ctx, ServiceAccountsControllerOptions opts);
  ~ServiceAccountsController() override;

  // Controller
  void Start() override;
  void Stop() override;

  // Syncs finished so far (tests).
  uint64_t Syncs() const { return workers_.Syncs(); }

 private:
  async::Task<SyncResult> Sync(std::string ns);

  client::RestClient* client_;                      // API access
  ServiceAccountsControllerOptions opts_;           // which accounts
  int concurrency_;                                 // workers
  client::Informer<api::Namespace> namespaces_;     // namespace cache
  client::Informer<api::ServiceAccount> accounts_;  // service account cache
  QueueWorkers workers_;                            // namespace keys and workers
};

// The factory the controller manager calls.
std::unique_ptr<Controller> NewServiceAccountController(const ControllerContext& ctx);

}  // namespace kubepp::controller
