#include "controller/namespace_controller.h"

#include <utility>
#include <vector>

#include "api/types.h"
#include "client/informer.h"
#include "client/rate_limiter.h"
#include "controller/namespace_deleter.h"
#include "controller/queue_worker.h"

namespace kubepp::controller {

namespace {

std::unique_ptr<client::RateLimiter> NamespaceRateLimiter(const Clock& clock) {
  std::vector<std::unique_ptr<client::RateLimiter>> limiters;
  limiters.push_back(std::make_unique<client::ItemExponentialRateLimiter>(
      std::chrono::milliseconds(5), std::chrono::seconds(60)));
  limiters.push_back(std::make_unique<client::BucketRateLimiter>(10.0, 100, clock));
  return std::make_unique<client::MaxOfRateLimiter>(std::move(limiters));
}

class NamespaceController final : public Controller {
 public:
  explicit NamespaceController(const ControllerContext& ctx)
      : options_(ctx.options),
        informer_(ctx.informers->For<api::Namespace>()),
        deleter_(ctx.client, ctx.clock),
        workers_("namespace", ctx.executor, NamespaceRateLimiter(*ctx.clock), *ctx.clock,
                 [this](std::string key) { return deleter_.Delete(std::move(key)); }) {
    auto enqueue = [this](const std::shared_ptr<const api::Namespace>& ns) {
      if (ns->metadata.deletionTimestamp.empty()) return;
      workers_.Queue().AddAfter(ns->metadata.name, options_.namespace_deletion_grace_period);
    };
    informer_.AddEventHandler(
        {.on_add = enqueue,
         .on_update = [enqueue](const std::shared_ptr<const api::Namespace>&,
                                const std::shared_ptr<const api::Namespace>& ns) { enqueue(ns); },
         .on_delete = nullptr},
        options_.namespace_sync_period);
  }
  ~NamespaceController() override { NamespaceController::Stop(); }
  NamespaceController(const NamespaceController&) = delete;
  NamespaceController& operator=(const NamespaceController&) = delete;

  void Start() override {
    workers_.Start(options_.concurrent_namespace_syncs,
                   [informer = informer_] { return informer.HasSynced(); });
  }
  void Stop() override { workers_.Stop(); }

 private:
  ControllerOptions options_;                  // timings and workers
  client::Informer<api::Namespace> informer_;  // namespaces (shared)
  NamespacedResourcesDeleter deleter_;         // the work
  QueueWorkers workers_;                       // queue + workers
};

}  // namespace

std::unique_ptr<Controller> NewNamespaceController(const ControllerContext& ctx) {
  return std::make_unique<NamespaceController>(ctx);
}

}  // namespace kubepp::controller
