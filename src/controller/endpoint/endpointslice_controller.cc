#include "controller/endpoint/endpointslice_controller.h"

#include <algorithm>
#include <charconv>

#include "base/log.h"
#include "client/rate_limiter.h"
#include "client/store.h"
#include "client/typed.h"
#include "controller/endpoint/endpointslice_plan.h"
#include "controller/endpoint/pod_util.h"

namespace kubepp::controller {

namespace {

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

bool Managed(const api::EndpointSlice& s) {
  auto it = s.metadata.labels.find(kLabelManagedBy);
  return it != s.metadata.labels.end() && it->second == kEndpointSliceControllerName &&
         s.metadata.labels.count(kLabelServiceName) != 0;
}

std::string ZoneOf(const api::Node& node) {
  auto it = node.metadata.labels.find(kLabelTopologyZone);
  return it == node.metadata.labels.end() ? std::string() : it->second;
}

}  // namespace

EndpointSliceController::EndpointSliceController(const ControllerContext& ctx)
    : client_(ctx.client),
      concurrency_(std::max(1, ctx.options.concurrent_service_endpoint_syncs)),
      max_per_slice_(std::max(1, ctx.options.max_endpoints_per_slice)),
      services_(ctx.informers->For<api::Service>()),
      pods_(ctx.informers->For<api::Pod>()),
      nodes_(ctx.informers->For<api::Node>()),
      slices_(ctx.informers->For<api::EndpointSlice>()),
      workers_(
          "endpointslice", ctx.executor,
          client::DefaultControllerRateLimiter(ctx.clock != nullptr ? *ctx.clock : Clock::Real()),
          ctx.clock != nullptr ? *ctx.clock : Clock::Real(),
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

  client::ResourceEventHandler<api::Node> nh;
  nh.on_update = [this](const std::shared_ptr<const api::Node>& old_node,
                        const std::shared_ptr<const api::Node>& n) {
    if (ZoneOf(*old_node) == ZoneOf(*n)) return;
    for (const auto& p : pods_.GetLister().List()) {
      if (p->spec.nodeName == n->metadata.name) QueueServicesOf(*p);
    }
  };
  nodes_.AddEventHandler(std::move(nh));

  client::ResourceEventHandler<api::EndpointSlice> eh;
  eh.on_add = [this](const std::shared_ptr<const api::EndpointSlice>& s) { OnSlice(*s, false); };
  eh.on_update = [this](const std::shared_ptr<const api::EndpointSlice>& /*old_slice*/,
                        const std::shared_ptr<const api::EndpointSlice>& s) { OnSlice(*s, false); };
  eh.on_delete = [this](const std::shared_ptr<const api::EndpointSlice>& s, bool /*unknown*/) {
    OnSlice(*s, true);
  };
  slices_.AddEventHandler(std::move(eh));
}

EndpointSliceController::~EndpointSliceController() { Stop(); }

void EndpointSliceController::Start() {
  client::Informer<api::Service> services = services_;
  client::Informer<api::Pod> pods = pods_;
  client::Informer<api::Node> nodes = nodes_;
  client::Informer<api::EndpointSlice> slices = slices_;
  workers_.Start(concurrency_, [services, pods, nodes, slices] {
    return services.HasSynced() && pods.HasSynced() && nodes.HasSynced() && slices.HasSynced();
  });
}

void EndpointSliceController::Stop() { workers_.Stop(); }

void EndpointSliceController::QueueServicesOf(const api::Pod& pod) {
  for (const auto& s : services_.GetLister().ListNamespace(pod.metadata.namespace_)) {
    if (SelectorMatches(s->spec.selector, pod.metadata.labels)) {
      workers_.Queue().Add(client::MetaNamespaceKey(s->metadata));
    }
  }
}

void EndpointSliceController::OnSlice(const api::EndpointSlice& slice, bool deleted) {
  if (!Managed(slice)) return;
  std::string key = slice.metadata.namespace_ + "/" + slice.metadata.labels.at(kLabelServiceName);
  if (deleted) {
    std::lock_guard lock(mu_);
    auto it = written_.find(key);
    if (it != written_.end()) {
      it->second.versions.erase(slice.metadata.name);
      it->second.deleted.erase(slice.metadata.name);
    }
  }
  workers_.Queue().Add(key);
}

std::vector<std::shared_ptr<const api::EndpointSlice>> EndpointSliceController::SlicesOf(
    const std::string& ns, const std::string& name) const {
  std::vector<std::shared_ptr<const api::EndpointSlice>> out;
  for (auto& s : slices_.GetLister().ListNamespace(ns)) {
    if (Managed(*s) && s->metadata.labels.at(kLabelServiceName) == name)
      out.push_back(std::move(s));
  }
  return out;
}

bool EndpointSliceController::IsStale(
    const std::string& key, const std::vector<std::shared_ptr<const api::EndpointSlice>>& cached) {
  std::lock_guard lock(mu_);
  auto it = written_.find(key);
  if (it == written_.end()) return false;
  std::map<std::string, int64_t> seen;
  for (const auto& s : cached) seen[s->metadata.name] = ParseRv(s->metadata.resourceVersion);
  for (const auto& [name, rv] : it->second.versions) {
    auto s = seen.find(name);
    if (s == seen.end()) return true;  // created by us, not seen yet
    if (rv >= 0 && s->second >= 0 && s->second < rv) return true;
  }
  for (const auto& name : it->second.deleted) {
    if (seen.count(name) != 0) return true;  // deleted by us, still seen
  }
  return false;
}

async::Task<SyncResult> EndpointSliceController::Sync(std::string key) {
  auto [ns, name] = client::SplitMetaNamespaceKey(key);
  auto service = services_.GetLister().Get(ns, name);
  std::vector<std::shared_ptr<const api::EndpointSlice>> existing = SlicesOf(ns, name);
  client::TypedClient<api::EndpointSlice> slices(*client_, ns);
  if (IsStale(key, existing)) {
    co_return SyncResult{Status::Conflict("endpointslice cache older than our writes for " + key),
                         std::nullopt};
  }

  SlicePlan plan;
  std::string trigger_time;
  if (service == nullptr) {
    for (const auto& s : existing) plan.to_delete.push_back(*s);
  } else if (service->spec.selector.empty() || service->spec.type == "ExternalName") {
    co_return SyncResult{};
  } else {
    std::vector<std::shared_ptr<const api::Pod>> pods;
    trigger_time = service->metadata.creationTimestamp;
    for (auto& p : pods_.GetLister().ListNamespace(ns)) {
      if (!SelectorMatches(service->spec.selector, p->metadata.labels)) continue;
      std::string t = PodLastChangeTime(*p);
      if (t > trigger_time) trigger_time = t;
      pods.push_back(std::move(p));
    }
    client::Lister<api::Node> nodes = nodes_.GetLister();
    auto zone_of = [nodes](const std::string& node_name) {
      auto n = nodes.Get("", node_name);
      return n == nullptr ? std::string() : ZoneOf(*n);
    };
    std::vector<EndpointGroup> desired = DesiredEndpointGroups(*service, pods, zone_of);
    plan = PlanSlices(*service, desired, existing, max_per_slice_, trigger_time);
  }

  Status first_error;
  for (auto& s : plan.to_create) {
    auto create = slices.Create(std::move(s));
    Result<api::EndpointSlice> r = co_await std::move(create);
    if (!r.IsOk()) {
      // A namespace being deleted refuses new objects: nothing to do there.
      if (r.status().Code() == StatusCode::kForbidden) continue;
      if (first_error.IsOk()) first_error = r.status();
      continue;
    }
    std::lock_guard lock(mu_);
    written_[key].versions[r->metadata.name] = ParseRv(r->metadata.resourceVersion);
  }
  for (auto& s : plan.to_update) {
    auto update = slices.Update(std::move(s));
    Result<api::EndpointSlice> r = co_await std::move(update);
    if (!r.IsOk()) {
      if (first_error.IsOk()) first_error = r.status();
      continue;
    }
    std::lock_guard lock(mu_);
    written_[key].versions[r->metadata.name] = ParseRv(r->metadata.resourceVersion);
  }
  for (auto& s : plan.to_delete) {
    client::DeleteOptions opts;
    opts.precondition_uid = s.metadata.uid;
    std::string slice_name = s.metadata.name;
    auto del = slices.Delete(slice_name, opts);
    Status st = co_await std::move(del);
    if (!st.IsOk() && !st.IsNotFound()) {
      if (first_error.IsOk()) first_error = st;
      continue;
    }
    std::lock_guard lock(mu_);
    Written& w = written_[key];
    w.versions.erase(slice_name);
    if (st.IsOk()) w.deleted.insert(slice_name);
  }
  if (service == nullptr && first_error.IsOk()) {
    // Nothing of ours is left; a deletion not yet seen is harmless once the Service is gone.
    std::lock_guard lock(mu_);
    written_.erase(key);
  }
  if (!first_error.IsOk()) {
    KLOG_V(2, "endpointslice controller: syncing {}: {}", key, first_error.ToString());
  }
  co_return SyncResult{first_error, std::nullopt};
}

std::unique_ptr<Controller> NewEndpointSliceController(const ControllerContext& ctx) {
  return std::make_unique<EndpointSliceController>(ctx);
}

}  // namespace kubepp::controller
