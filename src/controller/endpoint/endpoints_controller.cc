#include "controller/endpoint/endpoints_controller.h"

#include <algorithm>
#include <charconv>

#include "base/log.h"
#include "client/rate_limiter.h"
#include "client/store.h"
#include "client/typed.h"
#include "controller/endpoint/endpoints_subsets.h"
#include "controller/endpoint/pod_util.h"

namespace kubepp::controller {

namespace {

// A resourceVersion as a number (-1 when it is not one: then it is never called stale).
int64_t ParseRv(const std::string& rv) {
  int64_t out = -1;
  auto [p, ec] = std::from_chars(rv.data(), rv.data() + rv.size(), out);
  if (ec != std::errc() || p != rv.data() + rv.size()) return -1;
  return out;
}

bool SelectorMatches(const std::map<std::string, std::string>& selector,
                     const std::map<std::string, std::string>& labels) {
  if (selector.empty()) return false;
  for (const auto& [k, v] : selector) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  return true;
}

}  // namespace

EndpointsController::EndpointsController(const ControllerContext& ctx)
    : client_(ctx.client),
      clock_(ctx.clock != nullptr ? ctx.clock : &Clock::Real()),
      concurrency_(std::max(1, ctx.options.concurrent_service_endpoint_syncs)),
      services_(ctx.informers->For<api::Service>()),
      pods_(ctx.informers->For<api::Pod>()),
      endpoints_(ctx.informers->For<api::Endpoints>()),
      workers_("endpoint", ctx.executor, client::DefaultControllerRateLimiter(*clock_), *clock_,
               [this](std::string key) { return Sync(std::move(key)); }) {
  client::ResourceEventHandler<api::Service> sh;
  sh.on_add = [this](const std::shared_ptr<const api::Service>& s) {
    workers_.Queue().Add(client::MetaNamespaceKey(s->metadata));
  };
  sh.on_update = [this](const std::shared_ptr<const api::Service>& /*old_svc*/,
                        const std::shared_ptr<const api::Service>& s) {
    workers_.Queue().Add(client::MetaNamespaceKey(s->metadata));
  };
  sh.on_delete = [this](const std::shared_ptr<const api::Service>& s, bool /*unknown*/) {
    workers_.Queue().Add(client::MetaNamespaceKey(s->metadata));
  };
  services_.AddEventHandler(std::move(sh));

  client::ResourceEventHandler<api::Pod> ph;
  ph.on_add = [this](const std::shared_ptr<const api::Pod>& p) { QueueServicesOf(*p); };
  ph.on_update = [this](const std::shared_ptr<const api::Pod>& old_pod,
                        const std::shared_ptr<const api::Pod>& p) {
    if (old_pod->metadata.resourceVersion == p->metadata.resourceVersion) return;  // resync
    QueueServicesOf(*p);
    if (old_pod->metadata.labels != p->metadata.labels) QueueServicesOf(*old_pod);
  };
  ph.on_delete = [this](const std::shared_ptr<const api::Pod>& p, bool /*unknown*/) {
    QueueServicesOf(*p);
  };
  pods_.AddEventHandler(std::move(ph));

  client::ResourceEventHandler<api::Endpoints> eh;
  // The initial list: Endpoints whose Service is gone get deleted (leftovers).
  eh.on_add = [this](const std::shared_ptr<const api::Endpoints>& e) {
    if (!endpoints_.HasSynced()) workers_.Queue().Add(client::MetaNamespaceKey(e->metadata));
  };
  // Changed behind our back: put it right (only for Services that exist: a user's Endpoints
  // without a Service is not ours).
  eh.on_update = [this](const std::shared_ptr<const api::Endpoints>& /*old_ep*/,
                        const std::shared_ptr<const api::Endpoints>& e) {
    if (services_.GetLister().Get(e->metadata.namespace_, e->metadata.name) != nullptr) {
      workers_.Queue().Add(client::MetaNamespaceKey(e->metadata));
    }
  };
  eh.on_delete = [this](const std::shared_ptr<const api::Endpoints>& e, bool /*unknown*/) {
    std::string key = client::MetaNamespaceKey(e->metadata);
    ForgetWrite(key);
    workers_.Queue().Add(key);
  };
  endpoints_.AddEventHandler(std::move(eh));
}

EndpointsController::~EndpointsController() { Stop(); }

void EndpointsController::Start() {
  client::Informer<api::Service> services = services_;
  client::Informer<api::Pod> pods = pods_;
  client::Informer<api::Endpoints> endpoints = endpoints_;
  workers_.Start(concurrency_, [services, pods, endpoints] {
    return services.HasSynced() && pods.HasSynced() && endpoints.HasSynced();
  });
}

void EndpointsController::Stop() { workers_.Stop(); }

void EndpointsController::QueueServicesOf(const api::Pod& pod) {
  for (const auto& s : services_.GetLister().ListNamespace(pod.metadata.namespace_)) {
    if (SelectorMatches(s->spec.selector, pod.metadata.labels)) {
      workers_.Queue().Add(client::MetaNamespaceKey(s->metadata));
    }
  }
}

bool EndpointsController::IsStale(const std::string& key, const api::Endpoints* cached) {
  std::lock_guard lock(mu_);
  auto it = written_.find(key);
  if (it == written_.end() || it->second < 0) return false;
  if (cached == nullptr) return true;
  int64_t rv = ParseRv(cached->metadata.resourceVersion);
  return rv >= 0 && rv < it->second;
}

void EndpointsController::RecordWrite(const std::string& key, const std::string& resource_version) {
  std::lock_guard lock(mu_);
  written_[key] = ParseRv(resource_version);
}

void EndpointsController::ForgetWrite(const std::string& key) {
  std::lock_guard lock(mu_);
  written_.erase(key);
}

async::Task<SyncResult> EndpointsController::Sync(std::string key) {
  auto [ns, name] = client::SplitMetaNamespaceKey(key);
  auto service = services_.GetLister().Get(ns, name);
  client::TypedClient<api::Endpoints> endpoints(*client_, ns);
  if (service == nullptr) {
    // The Service is gone: so is its Endpoints.
    auto del = endpoints.Delete(name);
    Status s = co_await std::move(del);
    ForgetWrite(key);
    if (!s.IsOk() && !s.IsNotFound()) co_return SyncResult{s, std::nullopt};
    co_return SyncResult{};
  }
  if (service->spec.selector.empty() || service->spec.type == "ExternalName") {
    co_return SyncResult{};
  }
  auto current = endpoints_.GetLister().Get(ns, name);
  if (IsStale(key, current.get())) {
    co_return SyncResult{Status::Conflict("endpoints cache older than our last write of " + key),
                         std::nullopt};
  }

  std::vector<std::shared_ptr<const api::Pod>> pods;
  std::string trigger_time = service->metadata.creationTimestamp;
  for (auto& p : pods_.GetLister().ListNamespace(ns)) {
    if (!SelectorMatches(service->spec.selector, p->metadata.labels)) continue;
    std::string t = PodLastChangeTime(*p);
    if (t > trigger_time) trigger_time = t;
    pods.push_back(std::move(p));
  }
  std::vector<api::EndpointSubset> subsets = BuildSubsets(*service, pods);
  auto desired = DesiredEndpoints(*service, std::move(subsets), current.get(), trigger_time);
  if (!desired) co_return SyncResult{};

  Result<api::Endpoints> written = Status::Internal("not written");
  if (current == nullptr) {
    auto create = endpoints.Create(std::move(*desired));
    written = co_await std::move(create);
    // A namespace being deleted refuses new objects: nothing to do.
    if (!written.IsOk() && written.status().Code() == StatusCode::kForbidden) {
      co_return SyncResult{};
    }
  } else {
    auto update = endpoints.Update(std::move(*desired));
    written = co_await std::move(update);
  }
  if (!written.IsOk()) {
    KLOG_V(2, "endpoint controller: writing Endpoints {}: {}", key, written.status().ToString());
    co_return SyncResult{written.status(), std::nullopt};
  }
  RecordWrite(key, written->metadata.resourceVersion);
  co_return SyncResult{};
}

std::unique_ptr<Controller> NewEndpointsController(const ControllerContext& ctx) {
  return std::make_unique<EndpointsController>(ctx);
}

}  // namespace kubepp::controller
