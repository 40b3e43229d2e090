#include "controller/deployment/deployment_controller.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <mutex>
#include <set>

#include "api/selector.h"
#include "api/types.h"
#include "base/log.h"
#include "client/event_recorder.h"
#include "client/informer.h"
#include "client/rate_limiter.h"
#include "client/typed.h"
#include "controller/deployment/deployment_util.h"
#include "controller/queue_worker.h"
#include "controller/replicaset/replicaset_logic.h"

namespace kubepp::controller {

namespace {

namespace asio = async::asio;
namespace du = deployment;
using DeployPtr = std::shared_ptr<const api::Deployment>;
using RsPtr = std::shared_ptr<const api::ReplicaSet>;
using PodPtr = std::shared_ptr<const api::Pod>;

constexpr char kComponent[] = "deployment-controller";

std::string KeyOf(const api::ObjectMeta& meta) { return replicaset::KeyOf(meta); }

// What one Sync works on: the Deployment as it will be written and the ReplicaSets it owns
// (kept current as the Sync writes them; pointers into `rss` stay valid).
struct SyncState {
  api::Deployment d;                                  // the Deployment, as the Sync changes it
  std::map<std::string, std::string> annotations;     // its annotations as stored
  std::vector<std::unique_ptr<api::ReplicaSet>> rss;  // owned ReplicaSets
  std::optional<Clock::Duration> requeue;             // look again after (progress deadline)

  std::vector<api::ReplicaSet*> All() const {
    std::vector<api::ReplicaSet*> out;
    out.reserve(rss.size());
    for (const auto& rs : rss) out.push_back(rs.get());
    return out;
  }
  std::vector<api::ReplicaSet*> Olds(const api::ReplicaSet* new_rs) const {
    return du::FindOldReplicaSets(All(), new_rs);
  }
  std::vector<api::ReplicaSet*> AllWith(api::ReplicaSet* new_rs) const {
    auto out = Olds(new_rs);
    if (new_rs != nullptr) out.push_back(new_rs);
    return out;
  }
};
using StatePtr = std::shared_ptr<SyncState>;

class DeploymentController;

// What the informer handlers reach the controller through (shared informers cannot drop
// handlers, so these outlive the controller and must find it gone).
struct HandlerLink {
  std::mutex mu;                           // held while a handler runs
  DeploymentController* target = nullptr;  // nullptr once the controller is stopping
};

class DeploymentController final : public Controller {
 public:
  explicit DeploymentController(const ControllerContext& ctx);
  ~DeploymentController() override { Stop(); }
  DeploymentController(const DeploymentController&) = delete;
  DeploymentController& operator=(const DeploymentController&) = delete;

  // controller::Controller
  void Start() override;
  void Stop() override;

  // Informer handlers (the informers' strands).
  void OnDeployment(const DeployPtr& d) { workers_.Queue().Add(KeyOf(d->metadata)); }
  void OnAddRs(const RsPtr& rs);
  void OnUpdateRs(const RsPtr& old_rs, const RsPtr& rs);
  void OnDeleteRs(const RsPtr& rs);
  void OnDeletePod(const PodPtr& pod);

 private:
  DeployPtr ResolveControllerRef(const std::string& ns, const api::OwnerReference& ref) const;
  void EnqueueMatching(const api::ReplicaSet& rs);

  async::Task<SyncResult> Sync(std::string key);
  async::Task<Status> ClaimReplicaSets(StatePtr st, api::Selector selector);
  async::Task<Status> WriteStatus(StatePtr st);
  async::Task<Result<api::ReplicaSet>> UpdateRs(api::ReplicaSet rs);
  async::Task<Result<api::ReplicaSet*>> GetNewReplicaSet(StatePtr st, bool create);
  async::Task<Result<api::ReplicaSet*>> CreateNewReplicaSet(StatePtr st, std::string revision);
  async::Task<Result<bool>> ScaleReplicaSet(StatePtr st, api::ReplicaSet* rs, int32_t size);
  async::Task<Result<bool>> ScaleAndRecord(StatePtr st, api::ReplicaSet* rs, int32_t size);
  async::Task<Status> Scale(StatePtr st, api::ReplicaSet* new_rs);
  async::Task<void> Cleanup(StatePtr st, api::ReplicaSet* new_rs);
  async::Task<Result<bool>> IsScalingEvent(StatePtr st);
  async::Task<Status> SyncOnly(StatePtr st);
  async::Task<Status> SyncStatusOnly(StatePtr st);
  async::Task<Status> SyncRolloutStatus(StatePtr st, api::ReplicaSet* new_rs);
  async::Task<Status> RolloutRolling(StatePtr st);
  async::Task<Status> RolloutRecreate(StatePtr st);
  bool OldPodsRunning(const SyncState& st, const api::ReplicaSet* new_rs) const;

  client::RestClient& client_;                     // API access
  const Clock& clock_;                             // time
  int workers_count_;                              // --concurrent-deployment-syncs
  client::Informer<api::Deployment> d_informer_;   // Deployments
  client::Informer<api::ReplicaSet> rs_informer_;  // ReplicaSets
  client::Informer<api::Pod> pod_informer_;        // Pods (Recreate waits for old ones)
  client::Lister<api::Deployment> d_lister_;       // Deployments cache
  client::Lister<api::ReplicaSet> rs_lister_;      // ReplicaSets cache
  client::Lister<api::Pod> pod_lister_;            // Pods cache
  client::EventRecorder recorder_;                 // events about Deployments
  std::shared_ptr<HandlerLink> link_;              // the handlers' way in
  QueueWorkers workers_;                           // queue + workers
};

DeploymentController::DeploymentController(const ControllerContext& ctx)
    : client_(*ctx.client),
      clock_(*ctx.clock),
      workers_count_(ctx.options.concurrent_deployment_syncs),
      d_informer_(ctx.informers->For<api::Deployment>()),
      rs_informer_(ctx.informers->For<api::ReplicaSet>()),
      pod_informer_(ctx.informers->For<api::Pod>()),
      d_lister_(d_informer_.GetLister()),
      rs_lister_(rs_informer_.GetLister()),
      pod_lister_(pod_informer_.GetLister()),
      recorder_(*ctx.client, ctx.executor, client::EventSourceInfo{kComponent, ""}, *ctx.clock),
      link_(std::make_shared<HandlerLink>()),
      workers_("deployment", ctx.executor, client::DefaultControllerRateLimiter(*ctx.clock),
               *ctx.clock, [this](std::string key) { return Sync(std::move(key)); }) {
  link_->target = this;
  std::weak_ptr<HandlerLink> weak = link_;
  auto with = [weak](auto fn) {
    auto link = weak.lock();
    if (!link) return;
    std::lock_guard<std::mutex> lock(link->mu);
    if (link->target != nullptr) fn(*link->target);
  };
  d_informer_.AddEventHandler({
      .on_add =
          [with](const DeployPtr& d) { with([&](DeploymentController& c) { c.OnDeployment(d); }); },
      .on_update =
          [with](const DeployPtr& /*old*/, const DeployPtr& d) {
            with([&](DeploymentController& c) { c.OnDeployment(d); });
          },
      .on_delete =
          [with](const DeployPtr& d, bool /*unknown*/) {
            with([&](DeploymentController& c) { c.OnDeployment(d); });
          },
  });
  rs_informer_.AddEventHandler({
      .on_add = [with](const RsPtr& rs) { with([&](DeploymentController& c) { c.OnAddRs(rs); }); },
      .on_update =
          [with](const RsPtr& o, const RsPtr& n) {
            with([&](DeploymentController& c) { c.OnUpdateRs(o, n); });
          },
      .on_delete =
          [with](const RsPtr& rs, bool /*unknown*/) {
            with([&](DeploymentController& c) { c.OnDeleteRs(rs); });
          },
  });
  pod_informer_.AddEventHandler({
      .on_delete =
          [with](const PodPtr& p, bool /*unknown*/) {
            with([&](DeploymentController& c) { c.OnDeletePod(p); });
          },
  });
}

void DeploymentController::Start() {
  auto d_informer = d_informer_;
  auto rs_informer = rs_informer_;
  auto pod_informer = pod_informer_;
  workers_.Start(workers_count_, [d_informer, rs_informer, pod_informer] {
    return d_informer.HasSynced() && rs_informer.HasSynced() && pod_informer.HasSynced();
  });
}

void DeploymentController::Stop() {
  {
    std::lock_guard<std::mutex> lock(link_->mu);
    link_->target = nullptr;
  }
  workers_.Stop();
  recorder_.Stop();
}

// ---- event handlers (upstream's addReplicaSet/updateReplicaSet/deleteReplicaSet/deletePod)

DeployPtr DeploymentController::ResolveControllerRef(const std::string& ns,
                                                     const api::OwnerReference& ref) const {
  if (ref.kind != "Deployment") return nullptr;
  auto d = d_lister_.Get(ns, ref.name);
  if (!d || d->metadata.uid != ref.uid) return nullptr;
  return d;
}

void DeploymentController::EnqueueMatching(const api::ReplicaSet& rs) {
  if (rs.metadata.labels.empty()) return;
  for (const auto& d : d_lister_.ListNamespace(rs.metadata.namespace_)) {
    auto sel = api::Selector::FromLabelSelector(d->spec.selector);
    if (!sel.IsOk() || sel->Empty()) continue;
    if (sel->Matches(rs.metadata.labels)) workers_.Queue().Add(KeyOf(d->metadata));
  }
}

void DeploymentController::OnAddRs(const RsPtr& rs) {
  if (!rs->metadata.deletionTimestamp.empty()) {
    OnDeleteRs(rs);
    return;
  }
  if (const auto* ref = replicaset::GetControllerOf(rs->metadata); ref != nullptr) {
    if (auto d = ResolveControllerRef(rs->metadata.namespace_, *ref)) OnDeployment(d);
    return;
  }
  EnqueueMatching(*rs);
}

void DeploymentController::OnUpdateRs(const RsPtr& old_rs, const RsPtr& rs) {
  if (old_rs->metadata.resourceVersion == rs->metadata.resourceVersion) return;  // resync
  const auto* cur_ref = replicaset::GetControllerOf(rs->metadata);
  const auto* old_ref = replicaset::GetControllerOf(old_rs->metadata);
  const bool ref_changed = (cur_ref == nullptr) != (old_ref == nullptr) ||
                           (cur_ref != nullptr && !(*cur_ref == *old_ref));
  if (ref_changed && old_ref != nullptr) {
    if (auto d = ResolveControllerRef(old_rs->metadata.namespace_, *old_ref)) OnDeployment(d);
  }
  if (cur_ref != nullptr) {
    if (auto d = ResolveControllerRef(rs->metadata.namespace_, *cur_ref)) OnDeployment(d);
    return;
  }
  if (ref_changed || old_rs->metadata.labels != rs->metadata.labels) EnqueueMatching(*rs);
}

void DeploymentController::OnDeleteRs(const RsPtr& rs) {
  const auto* ref = replicaset::GetControllerOf(rs->metadata);
  if (ref == nullptr) return;
  if (auto d = ResolveControllerRef(rs->metadata.namespace_, *ref)) OnDeployment(d);
}

void DeploymentController::OnDeletePod(const PodPtr& pod) {
  // Recreate waits for the old pods to be gone.
  const auto* ref = replicaset::GetControllerOf(pod->metadata);
  if (ref == nullptr || ref->kind != "ReplicaSet") return;
  auto rs = rs_lister_.Get(pod->metadata.namespace_, ref->name);
  if (!rs || rs->metadata.uid != ref->uid) return;
  const auto* d_ref = replicaset::GetControllerOf(rs->metadata);
  if (d_ref == nullptr) return;
  auto d = ResolveControllerRef(rs->metadata.namespace_, *d_ref);
  if (d && !du::IsRollingUpdate(*d)) OnDeployment(d);
}

// ---- sync (upstream's syncDeployment)

async::Task<SyncResult> DeploymentController::Sync(std::string key) {
  std::string ns;
  std::string name = key;
  if (auto slash = key.find('/'); slash != std::string::npos) {
    ns = key.substr(0, slash);
    name = key.substr(slash + 1);
  }
  DeployPtr cached = d_lister_.Get(ns, name);
  if (!cached) {
    KLOG_V(4, "deployment {} has been deleted", key);
    co_return SyncResult{};
  }
  auto st = std::make_shared<SyncState>();
  st->d = *cached;
  st->annotations = cached->metadata.annotations;
  auto selector = api::Selector::FromLabelSelector(st->d.spec.selector);
  if (!selector.IsOk()) {
    KLOG_ERROR("deployment {}: invalid selector: {}", key, selector.status().ToString());
    co_return SyncResult{};
  }
  if (selector->Empty()) {
    recorder_.Event(st->d, client::kEventTypeWarning, "SelectingAll",
                    "This deployment is selecting all pods. A non-empty selector is required.");
    if (st->d.status.observedGeneration.value_or(0) < st->d.metadata.generation.value_or(0)) {
      st->d.status.observedGeneration = st->d.metadata.generation;
      auto write = WriteStatus(st);
      Status s = co_await std::move(write);
      co_return SyncResult{s};
    }
    co_return SyncResult{};
  }
  api::Selector sel = *selector;
  auto claim = ClaimReplicaSets(st, std::move(sel));
  Status claimed = co_await std::move(claim);
  if (!claimed.IsOk()) co_return SyncResult{claimed};

  Status result;
  if (!st->d.metadata.deletionTimestamp.empty()) {
    auto t = SyncStatusOnly(st);
    result = co_await std::move(t);
    co_return SyncResult{result};
  }
  if (du::UpdatePausedCondition(st->d, clock_.WallNow())) {
    auto write = WriteStatus(st);
    Status s = co_await std::move(write);
    if (!s.IsOk()) co_return SyncResult{s};
  }
  bool scaling_only = st->d.spec.paused.value_or(false);
  if (!scaling_only) {
    auto check = IsScalingEvent(st);
    auto scaling = co_await std::move(check);
    if (!scaling.IsOk()) co_return SyncResult{scaling.status()};
    scaling_only = *scaling;
  }
  if (scaling_only) {
    auto t = SyncOnly(st);
    result = co_await std::move(t);
  } else if (du::IsRollingUpdate(st->d)) {
    auto t = RolloutRolling(st);
    result = co_await std::move(t);
  } else {
    auto t = RolloutRecreate(st);
    result = co_await std::move(t);
  }
  SyncResult out{result};
  if (result.IsOk()) out.requeue_after = st->requeue;
  co_return out;
}

// upstream's getReplicaSetsForDeployment (ClaimReplicaSets with RecheckDeletionTimestamp).
async::Task<Status> DeploymentController::ClaimReplicaSets(StatePtr st, api::Selector selector) {
  const api::Deployment& d = st->d;
  const bool deleting = !d.metadata.deletionTimestamp.empty();
  std::optional<Status> can_adopt;
  Status first_error;
  client::TypedClient<api::ReplicaSet> rss(client_, d.metadata.namespace_);
  const std::vector<RsPtr> listed = rs_lister_.ListNamespace(d.metadata.namespace_);
  for (const auto& rs : listed) {
    const bool matches = selector.Matches(rs->metadata.labels);
    const auto* ref = replicaset::GetControllerOf(rs->metadata);
    std::string patch;
    bool adopt = false;
    if (ref != nullptr) {
      if (ref->uid != d.metadata.uid) continue;
      if (matches) {
        st->rss.push_back(std::make_unique<api::ReplicaSet>(*rs));
        continue;
      }
      if (deleting) continue;
      patch = replicaset::ReleasePatch(d.metadata.uid, rs->metadata.uid);
    } else {
      if (deleting || !matches || !rs->metadata.deletionTimestamp.empty()) continue;
      if (!can_adopt) {
        client::TypedClient<api::Deployment> ds(client_, d.metadata.namespace_);
        std::string name = d.metadata.name;
        auto fresh = co_await ds.Get(std::move(name));
        if (!fresh.IsOk()) {
          can_adopt = fresh.status();
        } else if (fresh->metadata.uid != d.metadata.uid) {
          can_adopt =
              Status::Conflict("original Deployment " + KeyOf(d.metadata) + " is gone: got uid " +
                               fresh->metadata.uid + ", wanted " + d.metadata.uid);
        } else if (!fresh->metadata.deletionTimestamp.empty()) {
          can_adopt = Status::Conflict(KeyOf(d.metadata) + " has just been deleted at " +
                                       fresh->metadata.deletionTimestamp);
        } else {
          can_adopt = Status::Ok();
        }
      }
      if (!can_adopt->IsOk()) {
        if (first_error.IsOk()) first_error = *can_adopt;
        continue;
      }
      patch = replicaset::AdoptPatch(du::ControllerRefFor(d), rs->metadata.uid);
      adopt = true;
    }
    std::string rs_name = rs->metadata.name;
    auto patched = co_await rss.Patch(std::move(rs_name), client::PatchType::kStrategicMerge,
                                      std::move(patch));
    KLOG_V(2, "deployment {}: {} replicaset {}: {}", KeyOf(d.metadata),
           adopt ? "adopting" : "releasing", rs->metadata.name, patched.status().ToString());
    if (adopt) {
      if (patched.IsOk()) {
        st->rss.push_back(std::make_unique<api::ReplicaSet>(std::move(*patched)));
      } else if (!patched.status().IsNotFound() && first_error.IsOk()) {
        first_error = patched.status();
      }
    } else if (!patched.IsOk() && !patched.status().IsNotFound() && !patched.status().IsInvalid() &&
               first_error.IsOk()) {
      first_error = patched.status();
    }
  }
  co_return first_error;
}

// Writes st->d: its annotations (revision) through the object when they changed (the status
// subresource keeps metadata as stored), then its status.
async::Task<Status> DeploymentController::WriteStatus(StatePtr st) {
  client::TypedClient<api::Deployment> ds(client_, st->d.metadata.namespace_);
  if (st->d.metadata.annotations != st->annotations) {
    api::Deployment body = st->d;
    auto updated = co_await ds.Update(std::move(body));
    if (!updated.IsOk()) co_return updated.status();
    st->d.metadata = updated->metadata;
    st->annotations = updated->metadata.annotations;
  }
  api::Deployment body = st->d;
  auto updated = co_await ds.UpdateStatus(std::move(body));
  if (!updated.IsOk()) co_return updated.status();
  st->d = std::move(*updated);
  st->annotations = st->d.metadata.annotations;
  co_return Status::Ok();
}

async::Task<Result<api::ReplicaSet>> DeploymentController::UpdateRs(api::ReplicaSet rs) {
  client::TypedClient<api::ReplicaSet> rss(client_, rs.metadata.namespace_);
  co_return co_await rss.Update(std::move(rs));
}

// upstream's getNewReplicaSet (with getAllReplicaSetsAndSyncRevision's revision sync).
async::Task<Result<api::ReplicaSet*>> DeploymentController::GetNewReplicaSet(StatePtr st,
                                                                             bool create) {
  api::ReplicaSet* existing = du::FindNewReplicaSet(st->d, st->All());
  const std::string revision = std::to_string(du::MaxRevision(st->Olds(existing)) + 1);
  if (existing == nullptr) {
    if (!create) co_return static_cast<api::ReplicaSet*>(nullptr);
    auto t = CreateNewReplicaSet(st, revision);
    co_return co_await std::move(t);
  }
  api::ReplicaSet copy = *existing;
  const bool annotations_changed = du::SetNewReplicaSetAnnotations(st->d, copy, revision, true);
  const bool min_ready_changed =
      copy.spec.minReadySeconds.value_or(0) != st->d.spec.minReadySeconds.value_or(0);
  if (annotations_changed || min_ready_changed) {
    copy.spec.minReadySeconds = st->d.spec.minReadySeconds;
    auto t = UpdateRs(std::move(copy));
    auto updated = co_await std::move(t);
    if (!updated.IsOk()) co_return updated.status();
    *existing = std::move(*updated);
  }
  bool needs_update =
      du::SetDeploymentRevision(st->d, existing->metadata.annotations[du::kRevisionAnnotation]);
  if (du::HasProgressDeadline(st->d) &&
      du::GetCondition(st->d.status, du::kProgressing) == nullptr) {
    du::SetCondition(st->d.status,
                     du::NewCondition(du::kProgressing, "True", du::kFoundNewRSReason,
                                      "Found new replica set \"" + existing->metadata.name + "\"",
                                      clock_.WallNow()));
    needs_update = true;
  }
  if (needs_update) {
    auto write = WriteStatus(st);
    Status s = co_await std::move(write);
    if (!s.IsOk()) co_return s;
  }
  co_return existing;
}

async::Task<Result<api::ReplicaSet*>> DeploymentController::CreateNewReplicaSet(
    StatePtr st, std::string revision) {
  api::Deployment& d = st->d;
  api::ReplicaSet rs = du::NewReplicaSetFor(d);
  std::vector<api::ReplicaSet*> all = st->All();
  all.push_back(&rs);
  auto count = du::NewRSNewReplicas(d, all, rs);
  if (!count.IsOk()) co_return count.status();
  rs.spec.replicas = *count;
  du::SetNewReplicaSetAnnotations(d, rs, revision, false);

  client::TypedClient<api::ReplicaSet> rss(client_, d.metadata.namespace_);
  const std::string rs_name = rs.metadata.name;
  auto created = co_await rss.Create(std::move(rs));
  bool already_exists = false;
  api::ReplicaSet* out = nullptr;
  if (created.IsOk()) {
    st->rss.push_back(std::make_unique<api::ReplicaSet>(std::move(*created)));
    out = st->rss.back().get();
  } else if (created.status().IsAlreadyExists()) {
    // Ours with the same template (a stale cache), or a hash collision.
    std::string name = rs_name;
    auto found = co_await rss.Get(std::move(name));
    if (!found.IsOk()) co_return found.status();
    const auto* ref = replicaset::GetControllerOf(found->metadata);
    if (ref != nullptr && ref->uid == d.metadata.uid &&
        du::EqualIgnoreHash(d.spec.template_, found->spec.template_)) {
      already_exists = true;
      st->rss.push_back(std::make_unique<api::ReplicaSet>(std::move(*found)));
      out = st->rss.back().get();
    } else {
      d.status.collisionCount = d.status.collisionCount.value_or(0) + 1;
      auto write = WriteStatus(st);
      Status s = co_await std::move(write);
      if (!s.IsOk()) co_return s;
      co_return created.status();
    }
  } else {
    Status err = created.status();
    if (du::HasProgressDeadline(d)) {
      du::SetCondition(
          d.status,
          du::NewCondition(du::kProgressing, "False", du::kFailedRSCreateReason,
                           "Failed to create new replica set \"" + rs_name + "\": " + err.Message(),
                           clock_.WallNow()));
      auto write = WriteStatus(st);
      Status s = co_await std::move(write);
      if (!s.IsOk()) KLOG_V(2, "deployment {}: status: {}", KeyOf(d.metadata), s.ToString());
    }
    co_return err;
  }
  if (!already_exists && *count > 0) {
    recorder_.Event(d, client::kEventTypeNormal, "ScalingReplicaSet",
                    "Scaled up replica set " + rs_name + " from 0 to " + std::to_string(*count));
  }
  bool needs_update = du::SetDeploymentRevision(d, revision);
  if (!already_exists && du::HasProgressDeadline(d)) {
    du::SetCondition(d.status, du::NewCondition(du::kProgressing, "True", du::kNewReplicaSetReason,
                                                "Created new replica set \"" + rs_name + "\"",
                                                clock_.WallNow()));
    needs_update = true;
  }
  if (needs_update) {
    auto write = WriteStatus(st);
    Status s = co_await std::move(write);
    if (!s.IsOk()) co_return s;
  }
  co_return out;
}

// upstream's scaleReplicaSet: size and desired/max annotations in one write.
async::Task<Result<bool>> DeploymentController::ScaleReplicaSet(StatePtr st, api::ReplicaSet* rs,
                                                                int32_t size) {
  const api::Deployment& d = st->d;
  const int32_t max = du::Replicas(d) + du::MaxSurge(d);
  const int32_t old_size = du::Replicas(*rs);
  const bool size_changed = old_size != size;
  if (!size_changed && !du::ReplicasAnnotationsNeedUpdate(*rs, du::Replicas(d), max)) {
    co_return false;
  }
  api::ReplicaSet copy = *rs;
  copy.spec.replicas = size;
  du::SetReplicasAnnotations(copy, du::Replicas(d), max);
  auto t = UpdateRs(std::move(copy));
  auto updated = co_await std::move(t);
  if (!updated.IsOk()) co_return updated.status();
  *rs = std::move(*updated);
  if (!size_changed) co_return false;
  recorder_.Event(d, client::kEventTypeNormal, "ScalingReplicaSet",
                  std::string("Scaled ") + (old_size < size ? "up" : "down") + " replica set " +
                      rs->metadata.name + " from " + std::to_string(old_size) + " to " +
                      std::to_string(size));
  co_return true;
}

// upstream's scaleReplicaSetAndRecordEvent: nothing when the size is right.
async::Task<Result<bool>> DeploymentController::ScaleAndRecord(StatePtr st, api::ReplicaSet* rs,
                                                               int32_t size) {
  if (du::Replicas(*rs) == size) co_return false;
  auto t = ScaleReplicaSet(st, rs, size);
  co_return co_await std::move(t);
}

// upstream's scale(): the one active ReplicaSet to full size, old ones away from a saturated new
// one, or proportional scaling of all active ones.
async::Task<Status> DeploymentController::Scale(StatePtr st, api::ReplicaSet* new_rs) {
  const api::Deployment& d = st->d;
  std::vector<api::ReplicaSet*> olds = st->Olds(new_rs);
  if (api::ReplicaSet* one = du::FindActiveOrLatest(new_rs, olds); one != nullptr) {
    auto t = ScaleAndRecord(st, one, du::Replicas(d));
    auto r = co_await std::move(t);
    co_return r.status();
  }
  if (du::IsSaturated(d, new_rs)) {
    for (auto* old : du::FilterActive(olds)) {
      auto t = ScaleAndRecord(st, old, 0);
      auto r = co_await std::move(t);
      if (!r.IsOk()) co_return r.status();
    }
    co_return Status::Ok();
  }
  if (!du::IsRollingUpdate(d)) co_return Status::Ok();
  for (const auto& resize : du::PlanProportionalScale(d, new_rs, olds)) {
    auto t = ScaleReplicaSet(st, resize.rs, resize.replicas);
    auto r = co_await std::move(t);
    if (!r.IsOk()) co_return r.status();
  }
  co_return Status::Ok();
}

// upstream's cleanupDeployment: old ReplicaSets beyond revisionHistoryLimit.
async::Task<void> DeploymentController::Cleanup(StatePtr st, api::ReplicaSet* new_rs) {
  client::TypedClient<api::ReplicaSet> rss(client_, st->d.metadata.namespace_);
  for (auto* rs : du::ReplicaSetsToCleanUp(st->d, st->Olds(new_rs))) {
    KLOG_V(4, "deployment {}: deleting old replicaset {}", KeyOf(st->d.metadata),
           rs->metadata.name);
    std::string name = rs->metadata.name;
    Status s = co_await rss.Delete(std::move(name));
    if (!s.IsOk() && !s.IsNotFound()) {
      KLOG_WARNING("deployment {}: deleting old replicaset {}: {}", KeyOf(st->d.metadata),
                   rs->metadata.name, s.ToString());
      co_return;
    }
  }
}

async::Task<Result<bool>> DeploymentController::IsScalingEvent(StatePtr st) {
  auto t = GetNewReplicaSet(st, false);
  auto new_rs = co_await std::move(t);
  if (!new_rs.IsOk()) co_return new_rs.status();
  for (const auto* rs : du::FilterActive(st->AllWith(*new_rs))) {
    auto desired = du::DesiredReplicasAnnotation(*rs);
    if (desired && *desired != du::Replicas(st->d)) co_return true;
  }
  co_return false;
}

// upstream's sync(): paused or scaling — no rollout, only sizes and status.
async::Task<Status> DeploymentController::SyncOnly(StatePtr st) {
  auto t = GetNewReplicaSet(st, false);
  auto new_rs = co_await std::move(t);
  if (!new_rs.IsOk()) co_return new_rs.status();
  auto scale = Scale(st, *new_rs);
  Status s = co_await std::move(scale);
  if (!s.IsOk()) co_return s;
  if (st->d.spec.paused.value_or(false)) {
    auto cleanup = Cleanup(st, *new_rs);
    co_await std::move(cleanup);
  }
  api::DeploymentStatus status =
      du::CalculateStatus(st->d, st->AllWith(*new_rs), *new_rs, clock_.WallNow());
  if (status == st->d.status) co_return Status::Ok();
  st->d.status = std::move(status);
  auto write = WriteStatus(st);
  co_return co_await std::move(write);
}

async::Task<Status> DeploymentController::SyncStatusOnly(StatePtr st) {
  auto t = GetNewReplicaSet(st, false);
  auto new_rs = co_await std::move(t);
  if (!new_rs.IsOk()) co_return new_rs.status();
  api::DeploymentStatus status =
      du::CalculateStatus(st->d, st->AllWith(*new_rs), *new_rs, clock_.WallNow());
  if (status == st->d.status) co_return Status::Ok();
  st->d.status = std::move(status);
  auto write = WriteStatus(st);
  co_return co_await std::move(write);
}

async::Task<Status> DeploymentController::SyncRolloutStatus(StatePtr st, api::ReplicaSet* new_rs) {
  const Clock::WallTime now = clock_.WallNow();
  api::DeploymentStatus status = du::RolloutStatus(st->d, st->AllWith(new_rs), new_rs, now);
  if (status == st->d.status) {
    st->requeue = du::StuckRequeueAfter(st->d, status, now);
    co_return Status::Ok();
  }
  st->d.status = std::move(status);
  auto write = WriteStatus(st);
  co_return co_await std::move(write);
}

// upstream's rolloutRolling.
async::Task<Status> DeploymentController::RolloutRolling(StatePtr st) {
  auto t = GetNewReplicaSet(st, true);
  auto found = co_await std::move(t);
  if (!found.IsOk()) co_return found.status();
  api::ReplicaSet* new_rs = *found;
  const api::Deployment& d = st->d;

  // reconcileNewReplicaSet
  if (new_rs != nullptr && du::Replicas(*new_rs) != du::Replicas(d)) {
    int32_t target = du::Replicas(d);
    if (du::Replicas(*new_rs) < target) {
      auto n = du::NewRSNewReplicas(d, st->AllWith(new_rs), *new_rs);
      if (!n.IsOk()) co_return n.status();
      target = *n;
    }
    auto scale = ScaleAndRecord(st, new_rs, target);
    auto scaled = co_await std::move(scale);
    if (!scaled.IsOk()) co_return scaled.status();
    if (*scaled) {
      auto sync = SyncRolloutStatus(st, new_rs);
      co_return co_await std::move(sync);
    }
  }

  // reconcileOldReplicaSets
  if (new_rs != nullptr) {
    bool scaled_down = false;
    auto plan =
        du::PlanOldScaleDown(d, st->AllWith(new_rs), du::FilterActive(st->Olds(new_rs)), *new_rs);
    for (const auto& resize : plan) {
      auto scale = ScaleAndRecord(st, resize.rs, resize.replicas);
      auto scaled = co_await std::move(scale);
      if (!scaled.IsOk()) co_return scaled.status();
      scaled_down = scaled_down || *scaled;
    }
    if (scaled_down) {
      auto sync = SyncRolloutStatus(st, new_rs);
      co_return co_await std::move(sync);
    }
  }

  if (du::DeploymentComplete(d, d.status)) {
    auto cleanup = Cleanup(st, new_rs);
    co_await std::move(cleanup);
  }
  auto sync = SyncRolloutStatus(st, new_rs);
  co_return co_await std::move(sync);
}

bool DeploymentController::OldPodsRunning(const SyncState& st,
                                          const api::ReplicaSet* new_rs) const {
  auto olds = st.Olds(new_rs);
  if (du::ActualReplicaSum(olds) > 0) return true;
  std::set<std::string> old_uids;
  for (const auto* rs : olds) old_uids.insert(rs->metadata.uid);
  for (const auto& pod : pod_lister_.ListNamespace(st.d.metadata.namespace_)) {
    const auto* ref = replicaset::GetControllerOf(pod->metadata);
    if (ref == nullptr || old_uids.count(ref->uid) == 0) continue;
    if (pod->status.phase == "Failed" || pod->status.phase == "Succeeded") continue;
    return true;
  }
  return false;
}

// upstream's rolloutRecreate.
async::Task<Status> DeploymentController::RolloutRecreate(StatePtr st) {
  auto t = GetNewReplicaSet(st, false);
  auto found = co_await std::move(t);
  if (!found.IsOk()) co_return found.status();
  api::ReplicaSet* new_rs = *found;

  bool scaled_down = false;
  for (auto* old : du::FilterActive(st->Olds(new_rs))) {
    auto scale = ScaleAndRecord(st, old, 0);
    auto scaled = co_await std::move(scale);
    if (!scaled.IsOk()) co_return scaled.status();
    scaled_down = scaled_down || *scaled;
  }
  if (scaled_down || OldPodsRunning(*st, new_rs)) {
    auto sync = SyncRolloutStatus(st, new_rs);
    co_return co_await std::move(sync);
  }
  if (new_rs == nullptr) {
    auto create = GetNewReplicaSet(st, true);
    auto created = co_await std::move(create);
    if (!created.IsOk()) co_return created.status();
    new_rs = *created;
  }
  if (new_rs != nullptr) {
    auto scale = ScaleAndRecord(st, new_rs, du::Replicas(st->d));
    auto scaled = co_await std::move(scale);
    if (!scaled.IsOk()) co_return scaled.status();
  }
  if (du::DeploymentComplete(st->d, st->d.status)) {
    auto cleanup = Cleanup(st, new_rs);
    co_await std::move(cleanup);
  }
  auto sync = SyncRolloutStatus(st, new_rs);
  co_return co_await std::move(sync);
}

}  // namespace

std::unique_ptr<Controller> NewDeploymentController(const ControllerContext& ctx) {
  return std::make_unique<DeploymentController>(ctx);
}

}  // namespace kubepp::controller
