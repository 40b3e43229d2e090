#include "controller/garbagecollector/garbage_collector.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json/serialize.hpp>
#include <utility>

#include "api/codec.h"
#include "async/timer.h"
#include "base/log.h"
#include "client/rate_limiter.h"

namespace kubepp::controller {

namespace asio = async::asio;
namespace json = boost::json;

namespace {

// How often the discovery loop checks for Stop() while it waits.
constexpr std::chrono::milliseconds kStopPollInterval{50};
// Read-modify-patch attempts before a conflict is handed back to the queue's back-off.
constexpr int kPatchAttempts = 5;

std::string GroupOf(const std::string& api_version) {
  auto slash = api_version.find('/');
  if (slash == std::string::npos) return "";
  return api_version.substr(0, slash);
}

std::string VersionOf(const std::string& api_version) {
  auto slash = api_version.find('/');
  if (slash == std::string::npos) return api_version;
  return api_version.substr(slash + 1);
}

Result<api::ObjectMeta> MetaOf(const json::value& obj) {
  api::ObjectMeta meta;
  const auto* o = obj.if_object();
  if (o == nullptr) return Status::Internal("the object is not a JSON object");
  if (const auto* m = o->if_contains("metadata"); m != nullptr) {
    Status s = api::FromJson(*m, meta);
    if (!s.IsOk()) return s;
  }
  return meta;
}

// The policies of a DELETE (upstream's metav1.DeletePropagation values).
constexpr char kForeground[] = "Foreground";
constexpr char kBackground[] = "Background";
constexpr char kOrphan[] = "Orphan";

}  // namespace

client::ObjectCodec MetadataCodec(const client::ResourceRef& resource) {
  client::ObjectCodec c;
  c.resource = resource;
  c.decode = [](const json::value& v) -> Result<client::ObjectPtr> {
    auto meta = MetaOf(v);
    if (!meta.IsOk()) return meta.status();
    auto obj = std::make_shared<MetadataObject>();
    obj->metadata = std::move(*meta);
    return client::ObjectPtr(std::move(obj));
  };
  c.meta = [](const void* p) -> const api::ObjectMeta& {
    return static_cast<const MetadataObject*>(p)->metadata;
  };
  return c;
}

GarbageCollector::GarbageCollector(const ControllerContext& ctx, GarbageCollectorOptions options)
    : client_(ctx.client),
      executor_(ctx.executor),
      clock_(ctx.clock != nullptr ? *ctx.clock : Clock::Real()),
      options_(std::move(options)),
      delete_workers_("garbagecollector-attempt-to-delete", executor_,
                      client::DefaultControllerRateLimiter(clock_), clock_,
                      [this](std::string uid) { return AttemptToDelete(std::move(uid)); }),
      orphan_workers_("garbagecollector-attempt-to-orphan", executor_,
                      client::DefaultControllerRateLimiter(clock_), clock_,
                      [this](std::string uid) { return AttemptToOrphan(std::move(uid)); }),
      graph_([this](const std::string& uid) { delete_workers_.Queue().Add(uid); },
             [this](const std::string& uid) { orphan_workers_.Queue().Add(uid); },
             [this](const std::string& uid) { delete_workers_.Queue().AddRateLimited(uid); }) {}

GarbageCollector::~GarbageCollector() { Stop(); }

void GarbageCollector::Start() {
  KUBEPP_CHECK(!started_.exchange(true), "garbage collector started twice");
  if (auto hold = gate_.TryEnter()) {
    asio::co_spawn(executor_, DiscoveryLoop(std::move(hold)), asio::detached);
  }
  auto synced = [this] { return Synced(); };
  delete_workers_.Start(options_.workers, synced);
  orphan_workers_.Start(options_.workers, synced);
}

void GarbageCollector::Stop() {
  if (stopped_.exchange(true)) return;
  gate_.Close();
  gate_.Wait();
  delete_workers_.Stop();
  orphan_workers_.Stop();
  std::vector<std::shared_ptr<client::SharedInformer>> informers;
  {
    std::lock_guard lock(monitors_mu_);
    for (auto& [name, m] : monitors_) {
      m.active->store(false);
      informers.push_back(m.informer);
    }
    for (auto& m : retired_) informers.push_back(m.informer);
  }
  for (auto& i : informers) i->Stop();
}

bool GarbageCollector::Synced() const {
  std::lock_guard lock(monitors_mu_);
  if (!discovered_) return false;
  for (const auto& [name, m] : monitors_) {
    if (!m.informer->HasSynced()) return false;
  }
  return true;
}

size_t GarbageCollector::GraphSize() const {
  std::lock_guard lock(graph_mu_);
  return graph_.Size();
}

bool GarbageCollector::Observed(const std::string& uid) const {
  std::lock_guard lock(graph_mu_);
  auto n = graph_.Get(uid);
  return n && !n->virtual_;
}

std::vector<std::string> GarbageCollector::MonitoredResources() const {
  std::lock_guard lock(monitors_mu_);
  std::vector<std::string> out;
  out.reserve(monitors_.size());
  for (const auto& [name, m] : monitors_) out.push_back(name);
  return out;
}

// ---- discovery and monitors

async::Task<void> GarbageCollector::DiscoveryLoop(async::Gate::Holder hold) {
  while (!gate_.IsClosed()) {
    auto discovered = co_await DiscoverPreferredResources(client_);
    if (discovered.IsOk()) {
      SyncMonitors(*discovered);
    } else {
      KLOG_WARNING("garbage collector: discovery failed: {}", discovered.status().ToString());
    }
    auto until = std::chrono::steady_clock::now() + options_.discovery_period;
    while (!gate_.IsClosed() && std::chrono::steady_clock::now() < until) {
      co_await async::Sleep(kStopPollInterval);
    }
  }
  hold.Release();
}

void GarbageCollector::SyncMonitors(const DiscoveryResult& discovered) {
  std::lock_guard lock(monitors_mu_);
  std::set<std::string> wanted;
  for (const auto& r : discovered.resources) {
    mapping_[{r.ref.group, r.ref.kind}] = r.ref;
    if (!r.Supports("list") || !r.Supports("watch") || !r.Supports("delete")) continue;
    std::string name = r.GroupResource();
    if (options_.ignored_resources.count(name) != 0) continue;
    wanted.insert(name);
    if (monitors_.count(name) != 0) continue;
    Monitor m;
    m.resource = r;
    m.active = std::make_shared<std::atomic<bool>>(true);
    m.informer = std::make_shared<client::SharedInformer>(*client_, executor_, MetadataCodec(r.ref),
                                                          options_.informer, clock_);
    client::EventHandler h;
    auto active = m.active;
    h.on_add = [this, r, active](const client::ObjectPtr& obj) {
      if (active->load()) OnEvent(gc::EventType::kAdd, r, obj, nullptr);
    };
    h.on_update = [this, r, active](const client::ObjectPtr& old_obj,
                                    const client::ObjectPtr& obj) {
      if (active->load()) OnEvent(gc::EventType::kUpdate, r, obj, old_obj);
    };
    h.on_delete = [this, r, active](const client::ObjectPtr& obj, bool /*unknown*/) {
      if (active->load()) OnEvent(gc::EventType::kDelete, r, obj, nullptr);
    };
    m.informer->AddEventHandler(std::move(h));
    m.informer->Start();
    KLOG_V(2, "garbage collector: monitoring {}", name);
    monitors_.emplace(name, std::move(m));
  }
  // A resource gone from discovery stops being monitored (not while some group failed: its
  // resources are merely unknown this round).
  if (discovered.failed_groups.empty()) {
    for (auto it = monitors_.begin(); it != monitors_.end();) {
      if (wanted.count(it->first) != 0) {
        ++it;
        continue;
      }
      KLOG_V(2, "garbage collector: no longer monitoring {}", it->first);
      it->second.active->store(false);
      retired_.push_back(std::move(it->second));
      it = monitors_.erase(it);
    }
  }
  discovered_ = true;
}

void GarbageCollector::OnEvent(gc::EventType type, const ApiResource& resource,
                               const client::ObjectPtr& obj, const client::ObjectPtr& old_obj) {
  const auto& meta = static_cast<const MetadataObject*>(obj.get())->metadata;
  gc::GraphEvent ev;
  ev.type = type;
  ev.identity.api_version = resource.ref.GroupVersion();
  ev.identity.kind = resource.ref.kind;
  ev.identity.name = meta.name;
  ev.identity.uid = meta.uid;
  ev.identity.namespace_ = meta.namespace_;
  ev.meta = &meta;
  if (old_obj) ev.old_meta = &static_cast<const MetadataObject*>(old_obj.get())->metadata;
  std::lock_guard lock(graph_mu_);
  graph_.Process(ev);
}

void GarbageCollector::EnqueueVirtualDelete(const gc::ObjectIdentity& id) {
  gc::GraphEvent ev;
  ev.type = gc::EventType::kDelete;
  ev.virtual_ = true;
  ev.identity = id;
  std::lock_guard lock(graph_mu_);
  graph_.Process(ev);
}

Result<client::ResourceRef> GarbageCollector::ResourceFor(const std::string& api_version,
                                                          const std::string& kind) const {
  std::string group = GroupOf(api_version);
  {
    std::lock_guard lock(monitors_mu_);
    auto it = mapping_.find({group, kind});
    if (it != mapping_.end()) return it->second;
  }
  return client::ResourceForKind(group, VersionOf(api_version), kind);
}

// ---- attemptToDelete

async::Task<SyncResult> GarbageCollector::AttemptToDelete(std::string uid) {
  std::optional<gc::Node> node;
  {
    std::lock_guard lock(graph_mu_);
    node = graph_.Get(uid);
  }
  if (!node) co_return SyncResult{};
  ItemResult r = co_await AttemptToDeleteItem(std::move(*node));
  if (!r.status.IsOk()) {
    KLOG_V(2, "garbage collector: attemptToDelete {}: {}", uid, r.status.ToString());
    co_return SyncResult{r.status, std::nullopt};
  }
  if (r.virtual_delete) co_return SyncResult{};
  {
    std::lock_guard lock(graph_mu_);
    node = graph_.Get(uid);
  }
  if (node && node->virtual_) {
    // It exists but no monitor has shown it yet: look again (upstream's requeueItem).
    co_return SyncResult{Status::Unavailable("owner " + node->identity.ToString() +
                                             " not observed by a monitor yet"),
                         std::nullopt};
  }
  co_return SyncResult{};
}

async::Task<GarbageCollector::ItemResult> GarbageCollector::AttemptToDeleteItem(gc::Node item) {
  ItemResult out;
  if (item.being_deleted && !item.deleting_dependents) co_return out;  // waits for finalizers
  auto live = co_await GetLive(item.identity);
  if (!live.IsOk() && live.status().IsNotFound()) {
    EnqueueVirtualDelete(item.identity);
    out.virtual_delete = true;
    co_return out;
  }
  if (!live.IsOk()) {
    out.status = live.status();
    co_return out;
  }
  auto latest = MetaOf(*live);
  if (!latest.IsOk()) {
    out.status = latest.status();
    co_return out;
  }
  if (latest->uid != item.identity.uid) {
    EnqueueVirtualDelete(item.identity);
    out.virtual_delete = true;
    co_return out;
  }
  if (item.deleting_dependents) {
    out.status = co_await ProcessDeletingDependents(std::move(item));
    co_return out;
  }
  if (latest->ownerReferences.empty()) co_return out;

  // Classify the owners: solid (alive), dangling (absent), waiting (deleting in the foreground).
  std::vector<api::OwnerReference> solid;
  std::vector<api::OwnerReference> dangling;
  std::vector<api::OwnerReference> waiting;
  for (const auto& ref : latest->ownerReferences) {
    api::OwnerReference owner_ref = ref;
    gc::ObjectIdentity item_id = item.identity;
    auto owner = co_await IsDangling(std::move(owner_ref), std::move(item_id));
    if (!owner.IsOk()) {
      out.status = owner.status();
      co_return out;
    }
    if (!owner->has_value()) {
      dangling.push_back(ref);
    } else if (!(*owner)->deletionTimestamp.empty() &&
               gc::HasFinalizer(**owner, gc::kFinalizerDeleteDependents)) {
      waiting.push_back(ref);
    } else {
      solid.push_back(ref);
    }
  }

  if (!solid.empty()) {
    if (dangling.empty() && waiting.empty()) co_return out;
    // Keep the live owners; drop the absent ones and those waiting for their dependents
    // (which would otherwise wait for this object forever).
    std::set<std::string> uids;
    for (const auto& r : dangling) uids.insert(r.uid);
    for (const auto& r : waiting) uids.insert(r.uid);
    KLOG_V(2, "garbage collector: removing {} dangling owner references from {}", uids.size(),
           item.identity.ToString());
    out.status = co_await RemoveOwnerReferences(item.identity, std::move(uids));
    co_return out;
  }

  bool has_dependents = false;
  std::vector<gc::Node> deps;
  {
    std::lock_guard lock(graph_mu_);
    deps = graph_.Dependents(item.identity.uid);
  }
  has_dependents = !deps.empty();
  if (!waiting.empty() && has_dependents) {
    for (const auto& dep : deps) {
      if (dep.deleting_dependents) {
        // A cycle through foreground deletions (false positives possible, as upstream): stop
        // blocking the owners so that they can go.
        Status s = co_await UnblockOwnerReferences(item.identity);
        if (!s.IsOk()) {
          out.status = s;
          co_return out;
        }
        break;
      }
    }
    std::string policy = kForeground;
    KLOG_V(2, "garbage collector: deleting {} in the foreground", item.identity.ToString());
    out.status = co_await DeleteObject(item.identity, std::move(policy));
    co_return out;
  }

  // No live owner: collect it, propagating as its own finalizers ask.
  std::string policy = kBackground;
  if (gc::HasFinalizer(*latest, gc::kFinalizerOrphanDependents)) {
    policy = kOrphan;
  } else if (gc::HasFinalizer(*latest, gc::kFinalizerDeleteDependents)) {
    policy = kForeground;
  }
  KLOG_V(2, "garbage collector: deleting {} (propagation {})", item.identity.ToString(), policy);
  out.status = co_await DeleteObject(item.identity, std::move(policy));
  co_return out;
}

async::Task<Status> GarbageCollector::ProcessDeletingDependents(gc::Node item) {
  std::vector<gc::Node> blocking;
  {
    std::lock_guard lock(graph_mu_);
    blocking = graph_.BlockingDependents(item.identity.uid);
  }
  if (blocking.empty()) {
    std::string finalizer = gc::kFinalizerDeleteDependents;
    co_return co_await RemoveFinalizer(item.identity, std::move(finalizer));
  }
  for (const auto& dep : blocking) {
    if (!dep.deleting_dependents) delete_workers_.Queue().Add(dep.identity.uid);
  }
  co_return Status::Ok();
}

// ---- attemptToOrphan

async::Task<SyncResult> GarbageCollector::AttemptToOrphan(std::string uid) {
  std::optional<gc::Node> owner;
  std::vector<gc::Node> deps;
  {
    std::lock_guard lock(graph_mu_);
    owner = graph_.Get(uid);
    deps = graph_.Dependents(uid);
  }
  if (!owner) co_return SyncResult{};
  for (const auto& dep : deps) {
    std::set<std::string> uids{uid};
    gc::ObjectIdentity dep_id = dep.identity;
    Status s = co_await RemoveOwnerReferences(std::move(dep_id), std::move(uids));
    if (!s.IsOk()) co_return SyncResult{s, std::nullopt};
  }
  std::string finalizer = gc::kFinalizerOrphanDependents;
  Status s = co_await RemoveFinalizer(owner->identity, std::move(finalizer));
  co_return SyncResult{s, std::nullopt};
}

// ---- API calls

async::Task<Result<json::value>> GarbageCollector::GetLive(gc::ObjectIdentity id) {
  auto ref = ResourceFor(id.api_version, id.kind);
  if (!ref.IsOk()) co_return ref.status();
  client::ObjectPath path;
  path.resource = *ref;
  if (ref->namespaced) path.namespace_ = id.namespace_;
  path.name = id.name;
  co_return co_await client_->Get(std::move(path));
}

async::Task<Result<std::optional<api::ObjectMeta>>> GarbageCollector::IsDangling(
    api::OwnerReference ref, gc::ObjectIdentity item) {
  using Out = std::optional<api::ObjectMeta>;
  gc::ObjectIdentity key = gc::IdentityOfOwner(ref, "");
  {
    std::lock_guard lock(graph_mu_);
    if (graph_.IsAbsent(key)) co_return Out();
    key.namespace_ = item.namespace_;
    if (graph_.IsAbsent(key)) co_return Out();
  }
  auto resource = ResourceFor(ref.apiVersion, ref.kind);
  if (!resource.IsOk()) co_return resource.status();
  if (!resource->namespaced) key.namespace_.clear();
  if (item.namespace_.empty() && resource->namespaced) {
    // A cluster-scoped object cannot be owned by a namespaced one.
    std::lock_guard lock(graph_mu_);
    graph_.AddAbsent(key);
    co_return Out();
  }
  client::ObjectPath path;
  path.resource = *resource;
  if (resource->namespaced) path.namespace_ = item.namespace_;
  path.name = ref.name;
  auto live = co_await client_->Get(std::move(path));
  if (!live.IsOk() && !live.status().IsNotFound()) co_return live.status();
  std::optional<api::ObjectMeta> meta;
  if (live.IsOk()) {
    auto m = MetaOf(*live);
    if (!m.IsOk()) co_return m.status();
    meta = std::move(*m);
  }
  if (!meta || meta->uid != ref.uid) {
    std::lock_guard lock(graph_mu_);
    graph_.AddAbsent(key);
    co_return Out();
  }
  co_return meta;
}

async::Task<Status> GarbageCollector::DeleteObject(gc::ObjectIdentity id, std::string policy) {
  auto ref = ResourceFor(id.api_version, id.kind);
  if (!ref.IsOk()) co_return ref.status();
  client::ObjectPath path;
  path.resource = *ref;
  if (ref->namespaced) path.namespace_ = id.namespace_;
  path.name = id.name;
  client::DeleteOptions opts;
  opts.propagation_policy = std::move(policy);
  opts.precondition_uid = id.uid;
  auto res = co_await client_->Delete(std::move(path), std::move(opts));
  if (!res.IsOk() && !res.status().IsNotFound()) co_return res.status();
  co_return Status::Ok();
}

async::Task<Status> GarbageCollector::RemoveOwnerReferences(gc::ObjectIdentity id,
                                                            std::set<std::string> uids) {
  std::string none;
  co_return co_await PatchMetadata(std::move(id), MetaChange::kRemoveOwnerReferences,
                                   std::move(uids), std::move(none));
}

async::Task<Status> GarbageCollector::UnblockOwnerReferences(gc::ObjectIdentity id) {
  std::set<std::string> none;
  std::string no_finalizer;
  co_return co_await PatchMetadata(std::move(id), MetaChange::kUnblockOwnerReferences,
                                   std::move(none), std::move(no_finalizer));
}

async::Task<Status> GarbageCollector::RemoveFinalizer(gc::ObjectIdentity id,
                                                      std::string finalizer) {
  std::set<std::string> none;
  co_return co_await PatchMetadata(std::move(id), MetaChange::kRemoveFinalizer, std::move(none),
                                   std::move(finalizer));
}

async::Task<Status> GarbageCollector::PatchMetadata(gc::ObjectIdentity id, MetaChange change,
                                                    std::set<std::string> uids,
                                                    std::string finalizer) {
  auto ref = ResourceFor(id.api_version, id.kind);
  if (!ref.IsOk()) co_return ref.status();
  client::ObjectPath path;
  path.resource = *ref;
  if (ref->namespaced) path.namespace_ = id.namespace_;
  path.name = id.name;
  Status last = Status::Ok();
  for (int attempt = 0; attempt < kPatchAttempts; ++attempt) {
    client::ObjectPath get_path = path;
    auto live = co_await client_->Get(std::move(get_path));
    if (!live.IsOk() && live.status().IsNotFound()) co_return Status::Ok();  // gone already
    if (!live.IsOk()) co_return live.status();
    const json::object* metadata = nullptr;
    if (const auto* o = live->if_object(); o != nullptr) {
      if (const auto* m = o->if_contains("metadata"); m != nullptr) metadata = m->if_object();
    }
    if (metadata == nullptr) co_return Status::Internal("object without metadata");
    const auto* uid = metadata->if_contains("uid");
    if (uid == nullptr || !uid->is_string() || uid->get_string() != id.uid) {
      co_return Status::Ok();  // replaced by another object of the same name
    }
    // The new value of the one metadata field changed; unchanged means nothing to do.
    json::object patch_meta;
    bool changed = false;
    if (change == MetaChange::kRemoveFinalizer) {
      json::array kept;
      if (const auto* f = metadata->if_contains("finalizers"); f != nullptr && f->is_array()) {
        for (const auto& v : f->get_array()) {
          if (v.is_string() && v.get_string() == finalizer) {
            changed = true;
          } else {
            kept.push_back(v);
          }
        }
      }
      patch_meta["finalizers"] = std::move(kept);
    } else {
      json::array refs;
      if (const auto* r = metadata->if_contains("ownerReferences"); r != nullptr && r->is_array()) {
        for (const auto& v : r->get_array()) {
          const auto* ro = v.if_object();
          if (ro == nullptr) continue;
          const auto* ruid = ro->if_contains("uid");
          std::string ref_uid;
          if (ruid != nullptr && ruid->is_string()) ref_uid = std::string(ruid->get_string());
          if (change == MetaChange::kRemoveOwnerReferences) {
            if (uids.count(ref_uid) != 0) {
              changed = true;
              continue;
            }
            refs.push_back(v);
            continue;
          }
          json::object copy = *ro;
          const auto* block = ro->if_contains("blockOwnerDeletion");
          if (block != nullptr && block->is_bool() && block->get_bool()) {
            copy["blockOwnerDeletion"] = false;
            changed = true;
          }
          refs.emplace_back(std::move(copy));
        }
      }
      patch_meta["ownerReferences"] = std::move(refs);
    }
    if (!changed) co_return Status::Ok();
    if (const auto* rv = metadata->if_contains("resourceVersion"); rv != nullptr) {
      patch_meta["resourceVersion"] = *rv;  // a precondition: conflict if it changed meanwhile
    }
    json::object patch;
    patch["metadata"] = std::move(patch_meta);
    std::string body = json::serialize(patch);
    client::ObjectPath patch_path = path;
    client::PatchOptions opts;
    auto res = co_await client_->Patch(std::move(patch_path), client::PatchType::kMerge,
                                       std::move(body), std::move(opts));
    if (res.IsOk() || res.status().IsNotFound()) co_return Status::Ok();
    last = res.status();
    if (!last.IsConflict()) co_return last;
  }
  co_return last;
}

// ---- factory

std::unique_ptr<Controller> NewGarbageCollector(const ControllerContext& ctx,
                                                GarbageCollectorOptions options) {
  return std::make_unique<GarbageCollector>(ctx, std::move(options));
}

std::unique_ptr<Controller> NewGarbageCollector(const ControllerContext& ctx) {
  GarbageCollectorOptions options;
  options.workers = ctx.options.concurrent_gc_syncs;
  return NewGarbageCollector(ctx, std::move(options));
}

}  // namespace kubepp::controller
