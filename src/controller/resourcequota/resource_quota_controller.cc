#include "controller/resourcequota/resource_quota_controller.h"

#include <map>
#include <mutex>
#include <set>

#include "api/types.h"
#include "base/log.h"
#include "client/informer.h"
#include "client/rate_limiter.h"
#include "client/typed.h"
#include "controller/discovery.h"
#include "controller/queue_worker.h"
#include "controller/replicaset/replicaset_logic.h"
#include "controller/resourcequota/quota_evaluator.h"

namespace kubepp::controller {

namespace {

namespace rq = ::kubepp::controller::resourcequota;

using QuotaPtr = std::shared_ptr<const api::ResourceQuota>;

// How long a discovery answer is trusted before a missing resource triggers another one.
constexpr std::chrono::seconds kDiscoveryRefresh{30};

std::pair<std::string, std::string> SplitKey(const std::string& key) {
  auto slash = key.find('/');
  if (slash == std::string::npos) return {"", key};
  return {key.substr(0, slash), key.substr(slash + 1)};
}

class ResourceQuotaController;

// The informer handlers' way in (they outlive the controller).
struct HandlerLink {
  std::mutex mu;                              // held while a handler runs
  ResourceQuotaController* target = nullptr;  // nullptr once stopping
};

class ResourceQuotaController final : public Controller {
 public:
  ResourceQuotaController(const ControllerContext& ctx, ResourceQuotaControllerOptions opts);
  ~ResourceQuotaController() override { Stop(); }
  ResourceQuotaController(const ResourceQuotaController&) = delete;
  ResourceQuotaController& operator=(const ResourceQuotaController&) = delete;

  void Start() override;
  void Stop() override;

  // Queues every quota of `ns`.
  void QueueNamespace(const std::string& ns);
  void OnQuota(const QuotaPtr& old_quota, const QuotaPtr& quota);

 private:
  template <typename T, typename Changed>
  void Watch(client::Informer<T> informer, Changed changed);

  async::Task<SyncResult> Sync(std::string key);
  // The number of objects of `group_resource` in `ns`; nullopt when the resource is unknown.
  async::Task<Result<std::optional<int64_t>>> CountObjects(std::string group_resource,
                                                           std::string ns);
  async::Task<std::optional<client::ResourceRef>> ResolveResource(std::string group_resource);

  client::RestClient& client_;                                 // API access
  const Clock& clock_;                                         // time
  ResourceQuotaControllerOptions options_;                     // workers, resync
  client::Informer<api::ResourceQuota> quota_informer_;        // ResourceQuotas
  client::Informer<api::Pod> pod_informer_;                    // Pods
  client::Informer<api::Service> service_informer_;            // Services
  client::Informer<api::PersistentVolumeClaim> pvc_informer_;  // claims
  client::Informer<api::ConfigMap> configmap_informer_;        // ConfigMaps
  client::Informer<api::Secret> secret_informer_;              // Secrets
  client::Informer<api::ReplicationController> rc_informer_;   // ReplicationControllers
  client::Lister<api::ResourceQuota> quota_lister_;            // ResourceQuotas cache
  client::Lister<api::Pod> pod_lister_;                        // Pods cache
  client::Lister<api::Service> service_lister_;                // Services cache
  client::Lister<api::PersistentVolumeClaim> pvc_lister_;      // claims cache
  client::Lister<api::ConfigMap> configmap_lister_;            // ConfigMaps cache
  client::Lister<api::Secret> secret_lister_;                  // Secrets cache
  client::Lister<api::ReplicationController> rc_lister_;       // RCs cache
  std::mutex mu_;                                              // guards the two below
  std::map<std::string, client::ResourceRef> resources_;       // group resource -> REST
  std::optional<Clock::TimePoint> discovered_at_;              // last discovery
  std::shared_ptr<HandlerLink> link_;                          // the handlers' way in
  QueueWorkers workers_;                                       // queue + workers
};

ResourceQuotaController::ResourceQuotaController(const ControllerContext& ctx,
                                                 ResourceQuotaControllerOptions opts)
    : client_(*ctx.client),
      clock_(*ctx.clock),
      options_(opts),
      quota_informer_(ctx.informers->For<api::ResourceQuota>()),
      pod_informer_(ctx.informers->For<api::Pod>()),
      service_informer_(ctx.informers->For<api::Service>()),
      pvc_informer_(ctx.informers->For<api::PersistentVolumeClaim>()),
      configmap_informer_(ctx.informers->For<api::ConfigMap>()),
      secret_informer_(ctx.informers->For<api::Secret>()),
      rc_informer_(ctx.informers->For<api::ReplicationController>()),
      quota_lister_(quota_informer_.GetLister()),
      pod_lister_(pod_informer_.GetLister()),
      service_lister_(service_informer_.GetLister()),
      pvc_lister_(pvc_informer_.GetLister()),
      configmap_lister_(configmap_informer_.GetLister()),
      secret_lister_(secret_informer_.GetLister()),
      rc_lister_(rc_informer_.GetLister()),
      link_(std::make_shared<HandlerLink>()),
      workers_("resourcequota", ctx.executor, client::DefaultControllerRateLimiter(*ctx.clock),
               *ctx.clock, [this](std::string key) { return Sync(std::move(key)); }) {
  link_->target = this;
  std::weak_ptr<HandlerLink> weak = link_;
  auto with = [weak](auto fn) {
    auto link = weak.lock();
    if (!link) return;
    std::lock_guard<std::mutex> lock(link->mu);
    if (link->target != nullptr) fn(*link->target);
  };
  quota_informer_.AddEventHandler(
      {
          .on_add =
              [with](const QuotaPtr& q) {
                with([&](ResourceQuotaController& c) { c.OnQuota(nullptr, q); });
              },
          .on_update =
              [with](const QuotaPtr& old_q, const QuotaPtr& q) {
                with([&](ResourceQuotaController& c) { c.OnQuota(old_q, q); });
              },
          .on_delete =
              [with](const QuotaPtr& q, bool /*unknown*/) {
                // The others of the namespace count resourcequotas.
                with([&](ResourceQuotaController& c) { c.QueueNamespace(q->metadata.namespace_); });
              },
      },
      options_.resync_period);

  // Kinds whose usage an update can move: compare what they charge.
  Watch(pod_informer_, [clock = ctx.clock](const api::Pod& a, const api::Pod& b) {
    const auto now = clock->WallNow();
    return !rq::Equals(rq::PodUsage(a, now), rq::PodUsage(b, now)) ||
           rq::IsTerminating(a) != rq::IsTerminating(b) ||
           rq::IsBestEffort(a) != rq::IsBestEffort(b) ||
           a.spec.priorityClassName != b.spec.priorityClassName;
  });
  Watch(service_informer_, [](const api::Service& a, const api::Service& b) {
    return !rq::Equals(rq::ServiceUsage(a), rq::ServiceUsage(b));
  });
  Watch(pvc_informer_,
        [](const api::PersistentVolumeClaim& a, const api::PersistentVolumeClaim& b) {
          return !rq::Equals(rq::PvcUsage(a), rq::PvcUsage(b));
        });
  // Object counts only move on create and delete.
  auto never = [](const auto& /*a*/, const auto& /*b*/) { return false; };
  Watch(configmap_informer_, never);
  Watch(secret_informer_, never);
  Watch(rc_informer_, never);
}

template <typename T, typename Changed>
void ResourceQuotaController::Watch(client::Informer<T> informer, Changed changed) {
  using Ptr = std::shared_ptr<const T>;
  std::weak_ptr<HandlerLink> weak = link_;
  auto queue_ns = [weak](const std::string& ns) {
    auto link = weak.lock();
    if (!link) return;
    std::lock_guard<std::mutex> lock(link->mu);
    if (link->target != nullptr) link->target->QueueNamespace(ns);
  };
  informer.AddEventHandler({
      .on_add = [queue_ns](const Ptr& obj) { queue_ns(obj->metadata.namespace_); },
      .on_update =
          [queue_ns, changed](const Ptr& old_obj, const Ptr& obj) {
            if (changed(*old_obj, *obj)) queue_ns(obj->metadata.namespace_);
          },
      .on_delete = [queue_ns](const Ptr& obj,
                              bool /*unknown*/) { queue_ns(obj->metadata.namespace_); },
  });
}

void ResourceQuotaController::Start() {
  std::vector<std::function<bool()>> synced = {
      [i = quota_informer_] { return i.HasSynced(); },
      [i = pod_informer_] { return i.HasSynced(); },
      [i = service_informer_] { return i.HasSynced(); },
      [i = pvc_informer_] { return i.HasSynced(); },
      [i = configmap_informer_] { return i.HasSynced(); },
      [i = secret_informer_] { return i.HasSynced(); },
      [i = rc_informer_] { return i.HasSynced(); },
  };
  workers_.Start(options_.workers, [synced] {
    for (const auto& s : synced) {
      if (!s()) return false;
    }
    return true;
  });
}

void ResourceQuotaController::Stop() {
  {
    std::lock_guard<std::mutex> lock(link_->mu);
    link_->target = nullptr;
  }
  workers_.Stop();
}

void ResourceQuotaController::QueueNamespace(const std::string& ns) {
  for (const auto& q : quota_lister_.ListNamespace(ns)) {
    workers_.Queue().Add(replicaset::KeyOf(q->metadata));
  }
}

void ResourceQuotaController::OnQuota(const QuotaPtr& old_quota, const QuotaPtr& quota) {
  if (!old_quota) {
    // A new quota: itself and the others of its namespace (they count resourcequotas).
    QueueNamespace(quota->metadata.namespace_);
    workers_.Queue().Add(replicaset::KeyOf(quota->metadata));
    return;
  }
  const bool resync = old_quota->metadata.resourceVersion == quota->metadata.resourceVersion;
  // Status writes are ours; only a new spec.hard (or the periodic resync) asks for a sync.
  if (resync ||
      !rq::Equals(rq::ParseResourceList(old_quota->spec.hard),
                  rq::ParseResourceList(quota->spec.hard)) ||
      old_quota->spec.hard.size() != quota->spec.hard.size() ||
      !(old_quota->spec.scopes == quota->spec.scopes) ||
      !(old_quota->spec.scopeSelector == quota->spec.scopeSelector)) {
    workers_.Queue().Add(replicaset::KeyOf(quota->metadata));
  }
}

async::Task<std::optional<client::ResourceRef>> ResourceQuotaController::ResolveResource(
    std::string group_resource) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = resources_.find(group_resource);
    if (it != resources_.end()) co_return it->second;
    if (discovered_at_ && clock_.Now() - *discovered_at_ < kDiscoveryRefresh) {
      co_return std::nullopt;
    }
  }
  auto found = co_await DiscoverPreferredResources(&client_);
  if (!found.IsOk()) {
    KLOG_V(2, "resourcequota: discovery failed: {}", found.status().ToString());
    co_return std::nullopt;
  }
  std::lock_guard<std::mutex> lock(mu_);
  discovered_at_ = clock_.Now();
  resources_.clear();
  for (const auto& r : found->resources) {
    if (r.ref.namespaced && r.Supports("list")) resources_[r.GroupResource()] = r.ref;
  }
  auto it = resources_.find(group_resource);
  if (it == resources_.end()) co_return std::nullopt;
  co_return it->second;
}

async::Task<Result<std::optional<int64_t>>> ResourceQuotaController::CountObjects(
    std::string group_resource, std::string ns) {
  // Kinds with an informer here.
  if (group_resource == "configmaps") {
    co_return std::optional<int64_t>(configmap_lister_.ListNamespace(ns).size());
  }
  if (group_resource == "secrets") {
    co_return std::optional<int64_t>(secret_lister_.ListNamespace(ns).size());
  }
  if (group_resource == "replicationcontrollers") {
    co_return std::optional<int64_t>(rc_lister_.ListNamespace(ns).size());
  }
  if (group_resource == "resourcequotas") {
    co_return std::optional<int64_t>(quota_lister_.ListNamespace(ns).size());
  }
  auto ref = co_await ResolveResource(group_resource);
  if (!ref) co_return std::optional<int64_t>();
  client::ObjectPath path{*ref, ns, "", ""};
  client::ListOptions opts;
  auto list = co_await client_.List(std::move(path), std::move(opts));
  if (!list.IsOk()) co_return list.status();
  const auto* obj = list->if_object();
  const boost::json::value* items = obj != nullptr ? obj->if_contains("items") : nullptr;
  if (items == nullptr || !items->is_array()) co_return std::optional<int64_t>(0);
  co_return std::optional<int64_t>(static_cast<int64_t>(items->as_array().size()));
}

// upstream's syncResourceQuota.
async::Task<SyncResult> ResourceQuotaController::Sync(std::string key) {
  auto [ns, name] = SplitKey(key);
  QuotaPtr quota = quota_lister_.Get(ns, name);
  if (!quota) co_return SyncResult{};

  // What the namespace holds (the informers' objects stay alive through these pointers).
  auto pods = pod_lister_.ListNamespace(ns);
  auto services = service_lister_.ListNamespace(ns);
  auto pvcs = pvc_lister_.ListNamespace(ns);
  rq::NamespaceObjects objects;
  for (const auto& p : pods) objects.pods.push_back(p.get());
  for (const auto& s : services) objects.services.push_back(s.get());
  for (const auto& c : pvcs) objects.pvcs.push_back(c.get());
  Status count_error;
  const std::set<std::string> counted = rq::CountedGroupResources(quota->spec);
  for (const auto& gr : counted) {
    auto n = co_await CountObjects(gr, ns);
    if (!n.IsOk()) {
      // Usage of the rest is still written; the error brings the key back.
      count_error = n.status();
      continue;
    }
    if (*n) objects.object_counts[gr] = **n;
  }

  const rq::ResourceList usage = rq::CalculateUsage(quota->spec, objects, clock_.WallNow());
  api::ResourceQuotaStatus next = rq::ComputeStatus(*quota, usage);
  if (rq::StatusNeedsUpdate(*quota, next)) {
    api::ResourceQuota body = *quota;
    body.status = std::move(next);
    client::TypedClient<api::ResourceQuota> quotas(client_, ns);
    auto written = co_await quotas.UpdateStatus(std::move(body));
    if (!written.IsOk()) {
      if (written.status().IsNotFound()) co_return SyncResult{};
      co_return SyncResult{written.status()};
    }
  }
  co_return SyncResult{count_error};
}

}  // namespace

std::unique_ptr<Controller> NewResourceQuotaController(const ControllerContext& ctx) {
  return std::make_unique<ResourceQuotaController>(
      ctx, ResourceQuotaControllerOptions{.workers = ctx.options.concurrent_resource_quota_syncs,
                                          .resync_period = ctx.options.resource_quota_sync_period});
}

std::unique_ptr<Controller> NewResourceQuotaController(const ControllerContext& ctx,
                                                       ResourceQuotaControllerOptions opts) {
  return std::make_unique<ResourceQuotaController>(ctx, opts);
}

}  // namespace kubepp::controller
