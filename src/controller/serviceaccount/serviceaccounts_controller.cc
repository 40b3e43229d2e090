#include "controller/serviceaccount/serviceaccounts_controller.h"

#include <algorithm>

#include "base/log.h"
#include "client/rate_limiter.h"
#include "client/typed.h"

namespace kubepp::controller {

bool NamespaceIsActive(const api::Namespace& ns) {
  return ns.metadata.deletionTimestamp.empty() && ns.status.phase != "Terminating";
}

ServiceAccountsController::ServiceAccountsController(const ControllerContext& ctx,
                                                     ServiceAccountsControllerOptions opts)
    : client_(ctx.client),
      opts_(std::move(opts)),
      concurrency_(std::max(1, ctx.options.concurrent_serviceaccount_syncs)),
      namespaces_(ctx.informers->For<api::Namespace>()),
      accounts_(ctx.informers->For<api::ServiceAccount>()),
      workers_(
          "serviceaccount", ctx.executor,
          client::DefaultControllerRateLimiter(ctx.clock != nullptr ? *ctx.clock : Clock::Real()),
          ctx.clock != nullptr ? *ctx.clock : Clock::Real(),
          [this](std::string ns) { return Sync(std::move(ns)); }) {
  client::ResourceEventHandler<api::Namespace> nsh;
  nsh.on_add = [this](const std::shared_ptr<const api::Namespace>& ns) {
    workers_.Queue().Add(ns->metadata.name);
  };
  nsh.on_update = [this](const std::shared_ptr<const api::Namespace>& /*old_ns*/,
                         const std::shared_ptr<const api::Namespace>& ns) {
    workers_.Queue().Add(ns->metadata.name);
  };
  namespaces_.AddEventHandler(std::move(nsh));

  client::ResourceEventHandler<api::ServiceAccount> sah;
  sah.on_delete = [this](const std::shared_ptr<const api::ServiceAccount>& sa,
                         bool /*final_state_unknown*/) {
    const auto& names = opts_.service_accounts;
    if (std::find(names.begin(), names.end(), sa->metadata.name) != names.end()) {
      workers_.Queue().Add(sa->metadata.namespace_);
    }
  };
  accounts_.AddEventHandler(std::move(sah));
}

ServiceAccountsController::~ServiceAccountsController() { Stop(); }

void ServiceAccountsController::Start() {
  client::Informer<api::Namespace> namespaces = namespaces_;
  client::Informer<api::ServiceAccount> accounts = accounts_;
  workers_.Start(concurrency_,
                 [namespaces, accounts] { return namespaces.HasSynced() && accounts.HasSynced(); });
}

void ServiceAccountsController::Stop() { workers_.Stop(); }

async::Task<SyncResult> ServiceAccountsController::Sync(std::string ns_name) {
  auto ns = namespaces_.GetLister().Get("", ns_name);
  if (ns == nullptr || !NamespaceIsActive(*ns)) co_return SyncResult{};
  client::Lister<api::ServiceAccount> lister = accounts_.GetLister();
  Status first_error;
  for (const std::string& name : opts_.service_accounts) {
    if (lister.Get(ns_name, name) != nullptr) continue;
    api::ServiceAccount sa;
    sa.metadata.name = name;
    sa.metadata.namespace_ = ns_name;
    client::TypedClient<api::ServiceAccount> accounts(*client_, ns_name);
    auto create = accounts.Create(std::move(sa));
    auto created = co_await std::move(create);
    if (created.IsOk() || created.status().IsAlreadyExists()) continue;
    // A namespace being deleted refuses new objects (Forbidden): nothing to do then.
    if (created.status().Code() == StatusCode::kForbidden) continue;
    KLOG_V(2, "serviceaccount controller: creating {}/{}: {}", ns_name, name,
           created.status().ToString());
    if (first_error.IsOk()) first_error = created.status();
  }
  co_return SyncResult{first_error, std::nullopt};
}

std::unique_ptr<Controller> NewServiceAccountController(const ControllerContext& ctx) {
  return std::make_unique<ServiceAccountsController>(ctx, ServiceAccountsControllerOptions{});
}

}  // namespace kubepp::controller
