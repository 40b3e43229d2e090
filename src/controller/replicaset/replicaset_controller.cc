#include "controller/replicaset/replicaset_controller.h"

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <mutex>

#include "api/selector.h"
#include "api/types.h"
#include "base/log.h"
#include "client/event_recorder.h"
#include "client/informer.h"
#include "client/rate_limiter.h"
#include "client/typed.h"
#include "controller/queue_worker.h"
#include "controller/replicaset/expectations.h"
#include "controller/replicaset/replicaset_logic.h"

namespace kubepp::controller {

namespace {

namespace asio = async::asio;
using replicaset::ClaimAction;
using replicaset::Expectations;
using PodPtr = std::shared_ptr<const api::Pod>;
using RsPtr = std::shared_ptr<const api::ReplicaSet>;

constexpr char kComponent[] = "replicaset-controller";

// The pod index of the ReplicaSet controller (see the constructor).
constexpr std::string_view kPodControllerUidIndex = "replicaset-controller-uid";
std::string OrphanIndexKey(std::string_view ns) { return "orphan/" + std::string(ns); }
std::vector<std::string> PodControllerKeys(const api::Pod& pod) {
  const auto* ref = replicaset::GetControllerOf(pod.metadata);
  if (ref == nullptr) return {OrphanIndexKey(pod.metadata.namespace_)};
  return {ref->uid};
}

// The results of one batch of concurrent creations or deletions.
struct BatchState {
  BatchState(const asio::any_io_executor& ex, size_t n) : results(n), done(ex, n) {}
  std::vector<Status> results;  // one per call, by index
  asio::experimental::concurrent_channel<void(boost::system::error_code)> done;  // one per call
};

std::vector<const api::Pod*> Raw(const std::vector<PodPtr>& pods) {
  std::vector<const api::Pod*> out;
  out.reserve(pods.size());
  for (const auto& p : pods) out.push_back(p.get());
  return out;
}

bool NamespaceTerminating(const Status& s) {
  const auto* d = s.Details();
  if (d == nullptr) return false;
  return std::any_of(d->causes.begin(), d->causes.end(),
                     [](const StatusCause& c) { return c.type == "NamespaceTerminating"; });
}

class ReplicaSetController;

// What the informer handlers reach the controller through: handlers cannot be removed from a
// shared informer, so they outlive the controller and must find it gone.
struct HandlerLink {
  std::mutex mu;                           // held while a handler runs
  ReplicaSetController* target = nullptr;  // nullptr once the controller is stopping
};

class ReplicaSetController final : public Controller {
 public:
  explicit ReplicaSetController(const ControllerContext& ctx);
  ~ReplicaSetController() override { Stop(); }
  ReplicaSetController(const ReplicaSetController&) = delete;
  ReplicaSetController& operator=(const ReplicaSetController&) = delete;

  // controller::Controller
  void Start() override;
  void Stop() override;

  // Informer handlers (the informers' strands).
  void OnAddRs(const RsPtr& rs);
  void OnUpdateRs(const RsPtr& old_rs, const RsPtr& rs);
  void OnDeleteRs(const RsPtr& rs);
  void OnAddPod(const PodPtr& pod);
  void OnUpdatePod(const PodPtr& old_pod, const PodPtr& pod);
  void OnDeletePod(const PodPtr& pod);

 private:
  void Enqueue(const api::ReplicaSet& rs) { workers_.Queue().Add(replicaset::KeyOf(rs.metadata)); }
  // The ReplicaSet `ref` (in `ns`) names, when it is one we know with the same uid.
  RsPtr ResolveControllerRef(const std::string& ns, const api::OwnerReference& ref) const;
  // ReplicaSets in the pod's namespace whose selector matches the pod.
  std::vector<RsPtr> PodReplicaSets(const api::Pod& pod) const;
  // Active pods of the ReplicaSets controlled by the same owner as `rs` (for ranking).
  std::vector<PodPtr> IndirectlyRelatedPods(const api::ReplicaSet& rs) const;

  async::Task<SyncResult> Sync(std::string key);
  async::Task<Result<std::vector<PodPtr>>> ClaimPods(RsPtr rs, api::Selector selector,
                                                     std::vector<PodPtr> pods);
  async::Task<Status> CanAdopt(RsPtr rs);
  async::Task<Status> PatchPod(std::string ns, std::string name, std::string patch);
  async::Task<Status> ManageReplicas(RsPtr rs, std::vector<PodPtr> pods);
  async::Task<void> CreateOne(std::shared_ptr<BatchState> state, size_t index, RsPtr rs);
  async::Task<void> DeleteOne(std::shared_ptr<BatchState> state, size_t index, RsPtr rs,
                              PodPtr pod);
  async::Task<Result<api::ReplicaSet>> UpdateStatus(RsPtr rs, api::ReplicaSetStatus status);

  client::RestClient& client_;                     // API access
  asio::any_io_executor ex_;                       // where creations/deletions run
  const Clock& clock_;                             // time
  ControllerOptions options_;                      // worker count
  client::Informer<api::ReplicaSet> rs_informer_;  // ReplicaSets
  client::Informer<api::Pod> pod_informer_;        // Pods
  client::Lister<api::ReplicaSet> rs_lister_;      // ReplicaSets cache
  client::Lister<api::Pod> pod_lister_;            // Pods cache
  client::EventRecorder recorder_;                 // events about ReplicaSets
  Expectations expectations_;                      // creations/deletions in flight per key
  std::shared_ptr<HandlerLink> link_;              // the handlers' way in
  QueueWorkers workers_;                           // queue + workers
};

ReplicaSetController::ReplicaSetController(const ControllerContext& ctx)
    : client_(*ctx.client),
      ex_(ctx.executor),
      clock_(*ctx.clock),
      options_(ctx.options),
      rs_informer_(ctx.informers->For<api::ReplicaSet>()),
      pod_informer_(ctx.informers->For<api::Pod>()),
      rs_lister_(rs_informer_.GetLister()),
      pod_lister_(pod_informer_.GetLister()),
      recorder_(*ctx.client, ctx.executor, client::EventSourceInfo{kComponent, ""}, *ctx.clock),
      expectations_(*ctx.clock),
      link_(std::make_shared<HandlerLink>()),
      workers_("replicaset", ctx.executor, client::DefaultControllerRateLimiter(*ctx.clock),
               *ctx.clock, [this](std::string key) { return Sync(std::move(key)); }) {
  link_->target = this;
  std::weak_ptr<HandlerLink> weak = link_;
  auto with = [weak](auto fn) {
    auto link = weak.lock();
    if (!link) return;
    std::lock_guard<std::mutex> lock(link->mu);
    if (link->target != nullptr) fn(*link->target);
  };
  rs_informer_.AddEventHandler({
      .on_add = [with](const RsPtr& rs) { with([&](ReplicaSetController& c) { c.OnAddRs(rs); }); },
      .on_update =
          [with](const RsPtr& o, const RsPtr& n) {
            with([&](ReplicaSetController& c) { c.OnUpdateRs(o, n); });
          },
      .on_delete =
          [with](const RsPtr& rs, bool /*unknown*/) {
            with([&](ReplicaSetController& c) { c.OnDeleteRs(rs); });
          },
  });
  // Pods by their controller's uid, orphans by "orphan/<namespace>" (upstream's
  // PodControllerUIDIndex): a sync reads its own pods and the orphans it may adopt instead of
  // every pod of the namespace.
  Status indexed =
      pod_informer_.AddIndexer(std::string(kPodControllerUidIndex), &PodControllerKeys);
  if (!indexed.IsOk() && !indexed.IsAlreadyExists()) {
    KLOG_ERROR("replicaset controller: pod index: {}", indexed.ToString());
  }
  pod_informer_.AddEventHandler({
      .on_add = [with](const PodPtr& p) { with([&](ReplicaSetController& c) { c.OnAddPod(p); }); },
      .on_update =
          [with](const PodPtr& o, const PodPtr& n) {
            with([&](ReplicaSetController& c) { c.OnUpdatePod(o, n); });
          },
      .on_delete =
          [with](const PodPtr& p, bool /*unknown*/) {
            with([&](ReplicaSetController& c) { c.OnDeletePod(p); });
          },
  });
}

void ReplicaSetController::Start() {
  auto rs_informer = rs_informer_;
  auto pod_informer = pod_informer_;
  workers_.Start(options_.concurrent_replicaset_syncs, [rs_informer, pod_informer] {
    return rs_informer.HasSynced() && pod_informer.HasSynced();
  });
}

void ReplicaSetController::Stop() {
  {
    std::lock_guard<std::mutex> lock(link_->mu);
    link_->target = nullptr;
  }
  workers_.Stop();
  recorder_.Stop();
}

// ---- event handlers (upstream's addRS/updateRS/deleteRS/addPod/updatePod/deletePod)

void ReplicaSetController::OnAddRs(const RsPtr& rs) { Enqueue(*rs); }

void ReplicaSetController::OnUpdateRs(const RsPtr& old_rs, const RsPtr& rs) {
  if (old_rs->metadata.uid != rs->metadata.uid) OnDeleteRs(old_rs);
  Enqueue(*rs);
}

void ReplicaSetController::OnDeleteRs(const RsPtr& rs) {
  std::string key = replicaset::KeyOf(rs->metadata);
  expectations_.Delete(key);
  workers_.Queue().Add(key);
}

void ReplicaSetController::OnAddPod(const PodPtr& pod) {
  if (!pod->metadata.deletionTimestamp.empty()) {
    // A pod that shows up already being deleted counts as a deletion (e.g. after a restart).
    OnDeletePod(pod);
    return;
  }
  if (const auto* ref = replicaset::GetControllerOf(pod->metadata); ref != nullptr) {
    auto rs = ResolveControllerRef(pod->metadata.namespace_, *ref);
    if (!rs) return;
    expectations_.CreationObserved(replicaset::KeyOf(rs->metadata));
    Enqueue(*rs);
    return;
  }
  // An orphan: wake every matching ReplicaSet, one of them may adopt it.
  for (const auto& rs : PodReplicaSets(*pod)) Enqueue(*rs);
}

void ReplicaSetController::OnUpdatePod(const PodPtr& old_pod, const PodPtr& pod) {
  if (old_pod->metadata.resourceVersion == pod->metadata.resourceVersion) return;  // resync
  const bool labels_changed = old_pod->metadata.labels != pod->metadata.labels;
  if (!pod->metadata.deletionTimestamp.empty()) {
    // Being deleted: the ReplicaSet may act now rather than wait for the pod to be gone.
    OnDeletePod(pod);
    if (labels_changed) OnDeletePod(old_pod);
    return;
  }
  const auto* cur_ref = replicaset::GetControllerOf(pod->metadata);
  const auto* old_ref = replicaset::GetControllerOf(old_pod->metadata);
  const bool ref_changed = (cur_ref == nullptr) != (old_ref == nullptr) ||
                           (cur_ref != nullptr && !(*cur_ref == *old_ref));
  if (ref_changed && old_ref != nullptr) {
    if (auto rs = ResolveControllerRef(old_pod->metadata.namespace_, *old_ref)) Enqueue(*rs);
  }
  if (cur_ref != nullptr) {
    auto rs = ResolveControllerRef(pod->metadata.namespace_, *cur_ref);
    if (!rs) return;
    Enqueue(*rs);
    // Ready now: look again once it has been ready for minReadySeconds (+1 s for clock skew).
    const int32_t min_ready = rs->spec.minReadySeconds.value_or(0);
    if (!replicaset::IsPodReady(*old_pod) && replicaset::IsPodReady(*pod) && min_ready > 0) {
      workers_.Queue().AddAfter(replicaset::KeyOf(rs->metadata),
                                std::chrono::seconds(min_ready) + std::chrono::seconds(1));
    }
    return;
  }
  if (labels_changed || ref_changed) {
    for (const auto& rs : PodReplicaSets(*pod)) Enqueue(*rs);
  }
}

void ReplicaSetController::OnDeletePod(const PodPtr& pod) {
  const auto* ref = replicaset::GetControllerOf(pod->metadata);
  if (ref == nullptr) return;
  auto rs = ResolveControllerRef(pod->metadata.namespace_, *ref);
  if (!rs) return;
  std::string key = replicaset::KeyOf(rs->metadata);
  expectations_.DeletionObserved(key, replicaset::KeyOf(pod->metadata));
  workers_.Queue().Add(key);
}

RsPtr ReplicaSetController::ResolveControllerRef(const std::string& ns,
                                                 const api::OwnerReference& ref) const {
  if (ref.kind != "ReplicaSet") return nullptr;
  auto rs = rs_lister_.Get(ns, ref.name);
  if (!rs || rs->metadata.uid != ref.uid) return nullptr;
  return rs;
}

std::vector<RsPtr> ReplicaSetController::PodReplicaSets(const api::Pod& pod) const {
  std::vector<RsPtr> out;
  if (pod.metadata.labels.empty()) return out;
  for (auto& rs : rs_lister_.ListNamespace(pod.metadata.namespace_)) {
    auto sel = api::Selector::FromLabelSelector(rs->spec.selector);
    // An empty selector matches nothing here (upstream skips it too).
    if (!sel.IsOk() || sel->Empty()) continue;
    if (sel->Matches(pod.metadata.labels)) out.push_back(std::move(rs));
  }
  return out;
}

std::vector<PodPtr> ReplicaSetController::IndirectlyRelatedPods(const api::ReplicaSet& rs) const {
  // The ReplicaSets sharing rs's controller (a Deployment's old and new ones), or rs alone.
  std::vector<std::string> uids;
  const auto* owner = replicaset::GetControllerOf(rs.metadata);
  if (owner == nullptr) {
    uids.push_back(rs.metadata.uid);
  } else {
    for (const auto& other : rs_lister_.ListNamespace(rs.metadata.namespace_)) {
      const auto* ref = replicaset::GetControllerOf(other->metadata);
      if (ref != nullptr && ref->uid == owner->uid) uids.push_back(other->metadata.uid);
    }
  }
  std::vector<PodPtr> out;
  for (const auto& uid : uids) {
    for (auto& pod : pod_lister_.ByIndex(kPodControllerUidIndex, uid)) {
      if (pod->metadata.namespace_ == rs.metadata.namespace_) out.push_back(std::move(pod));
    }
  }
  return out;
}

// ---- sync (upstream's syncReplicaSet)

async::Task<SyncResult> ReplicaSetController::Sync(std::string key) {
  std::string ns;
  std::string name = key;
  if (auto slash = key.find('/'); slash != std::string::npos) {
    ns = key.substr(0, slash);
    name = key.substr(slash + 1);
  }
  RsPtr rs = rs_lister_.Get(ns, name);
  if (!rs) {
    KLOG_V(4, "replicaset {} has been deleted", key);
    expectations_.Delete(key);
    co_return SyncResult{};
  }
  const bool needs_sync = expectations_.Satisfied(key);
  auto selector = api::Selector::FromLabelSelector(rs->spec.selector);
  if (!selector.IsOk()) {
    // Invalid selectors are rejected by validation; retrying would not help.
    KLOG_ERROR("replicaset {}: invalid selector: {}", key, selector.status().ToString());
    co_return SyncResult{};
  }
  // Its own pods and the namespace's orphans: nothing else can be claimed.
  std::vector<PodPtr> active;
  const std::array<std::string, 2> index_keys = {rs->metadata.uid, OrphanIndexKey(ns)};
  for (const std::string& index_key : index_keys) {
    for (auto& pod : pod_lister_.ByIndex(kPodControllerUidIndex, index_key)) {
      if (pod->metadata.namespace_ == ns && replicaset::IsPodActive(*pod)) {
        active.push_back(std::move(pod));
      }
    }
  }
  api::Selector sel = *selector;
  auto claim_task = ClaimPods(rs, std::move(sel), std::move(active));
  auto claimed = co_await std::move(claim_task);
  if (!claimed.IsOk()) co_return SyncResult{claimed.status()};
  std::vector<PodPtr> pods = std::move(*claimed);

  Status manage_status;
  if (needs_sync && rs->metadata.deletionTimestamp.empty()) {
    auto manage_task = ManageReplicas(rs, pods);
    manage_status = co_await std::move(manage_task);
  }
  std::string manage_error;
  if (!manage_status.IsOk()) manage_error = manage_status.Message();
  api::ReplicaSetStatus status =
      replicaset::CalculateStatus(*rs, Raw(pods), manage_error, clock_.WallNow());
  auto update_task = UpdateStatus(rs, std::move(status));
  auto updated = co_await std::move(update_task);
  if (!updated.IsOk()) co_return SyncResult{updated.status()};

  SyncResult result{manage_status};
  const int32_t min_ready = updated->spec.minReadySeconds.value_or(0);
  const int32_t replicas = updated->spec.replicas.value_or(1);
  if (manage_status.IsOk() && min_ready > 0 &&
      updated->status.readyReplicas.value_or(0) == replicas &&
      updated->status.availableReplicas.value_or(0) != replicas) {
    result.requeue_after = std::chrono::seconds(min_ready);
  }
  co_return result;
}

async::Task<Result<std::vector<PodPtr>>> ReplicaSetController::ClaimPods(RsPtr rs,
                                                                         api::Selector selector,
                                                                         std::vector<PodPtr> pods) {
  std::vector<PodPtr> claimed;
  Status first_error;
  std::optional<Status> can_adopt;  // checked once, on the first adoption
  for (auto& pod : pods) {
    ClaimAction action = replicaset::DecideClaim(*rs, selector, *pod);
    if (action == ClaimAction::kKeep) {
      claimed.push_back(pod);
      continue;
    }
    if (action == ClaimAction::kIgnore) continue;
    std::string patch;
    if (action == ClaimAction::kAdopt) {
      if (!can_adopt) {
        auto check = CanAdopt(rs);
        can_adopt = co_await std::move(check);
      }
      if (!can_adopt->IsOk()) {
        if (first_error.IsOk()) first_error = *can_adopt;
        continue;
      }
      patch = replicaset::AdoptPatch(*rs, *pod);
    } else {
      patch = replicaset::ReleasePatch(*rs, *pod);
    }
    std::string pod_ns = pod->metadata.namespace_;
    std::string pod_name = pod->metadata.name;
    auto patch_task = PatchPod(std::move(pod_ns), std::move(pod_name), std::move(patch));
    Status s = co_await std::move(patch_task);
    if (action == ClaimAction::kAdopt) {
      KLOG_V(2, "replicaset {}: adopting pod {}: {}", replicaset::KeyOf(rs->metadata),
             pod->metadata.name, s.ToString());
      if (s.IsOk()) {
        claimed.push_back(pod);
      } else if (!s.IsNotFound() && first_error.IsOk()) {
        first_error = s;
      }
    } else {
      KLOG_V(2, "replicaset {}: releasing pod {}: {}", replicaset::KeyOf(rs->metadata),
             pod->metadata.name, s.ToString());
      // Gone, or no longer carrying our reference (Invalid): nothing left to release.
      if (!s.IsOk() && !s.IsNotFound() && !s.IsInvalid() && first_error.IsOk()) first_error = s;
    }
  }
  if (!first_error.IsOk()) co_return first_error;
  co_return claimed;
}

async::Task<Status> ReplicaSetController::CanAdopt(RsPtr rs) {
  // Upstream's RecheckDeletionTimestamp: a fresh read, not the cache, decides.
  client::TypedClient<api::ReplicaSet> client(client_, rs->metadata.namespace_);
  std::string name = rs->metadata.name;
  auto fresh = co_await client.Get(std::move(name));
  if (!fresh.IsOk()) co_return fresh.status();
  if (fresh->metadata.uid != rs->metadata.uid) {
    co_return Status::Conflict("original ReplicaSet " + replicaset::KeyOf(rs->metadata) +
                               " is gone: got uid " + fresh->metadata.uid + ", wanted " +
                               rs->metadata.uid);
  }
  if (!fresh->metadata.deletionTimestamp.empty()) {
    co_return Status::Conflict(replicaset::KeyOf(rs->metadata) + " has just been deleted at " +
                               fresh->metadata.deletionTimestamp);
  }
  co_return Status::Ok();
}

async::Task<Status> ReplicaSetController::PatchPod(std::string ns, std::string name,
                                                   std::string patch) {
  client::TypedClient<api::Pod> pods(client_, std::move(ns));
  auto r =
      co_await pods.Patch(std::move(name), client::PatchType::kStrategicMerge, std::move(patch));
  co_return r.status();
}

// ---- manageReplicas

async::Task<Status> ReplicaSetController::ManageReplicas(RsPtr rs, std::vector<PodPtr> pods) {
  const std::string key = replicaset::KeyOf(rs->metadata);
  int diff = static_cast<int>(pods.size()) - rs->spec.replicas.value_or(1);
  if (diff < 0) {
    diff = std::min(-diff, replicaset::kBurstReplicas);
    // Expect every creation before issuing any: the informer may see them before we return.
    expectations_.ExpectCreations(key, diff);
    KLOG_V(2, "replicaset {}: too few replicas, need {}, creating {}", key,
           rs->spec.replicas.value_or(1), diff);
    int successes = 0;
    Status error;
    for (int batch : replicaset::SlowStartBatches(diff, replicaset::kSlowStartInitialBatchSize)) {
      auto n = static_cast<size_t>(batch);
      auto state = std::make_shared<BatchState>(ex_, n);
      for (size_t i = 0; i < n; ++i) {
        asio::co_spawn(ex_, CreateOne(state, i, rs), asio::detached);
      }
      for (size_t i = 0; i < n; ++i) {
        auto [ec] = co_await state->done.async_receive(async::kUseAwaitable);
        (void)ec;
      }
      for (const auto& s : state->results) {
        if (s.IsOk()) {
          ++successes;
        } else if (error.IsOk()) {
          error = s;
        }
      }
      if (!error.IsOk()) break;
    }
    // The creations never issued will not be observed.
    for (int skipped = diff - successes; skipped > 0; --skipped) {
      expectations_.CreationObserved(key);
    }
    co_return error;
  }
  if (diff > 0) {
    diff = std::min(diff, replicaset::kBurstReplicas);
    KLOG_V(2, "replicaset {}: too many replicas, need {}, deleting {}", key,
           rs->spec.replicas.value_or(1), diff);
    std::vector<PodPtr> related = IndirectlyRelatedPods(*rs);
    auto chosen = replicaset::PodsToDelete(Raw(pods), Raw(related), diff, clock_.WallNow());
    std::vector<PodPtr> doomed;
    std::vector<std::string> doomed_keys;
    for (const auto* p : chosen) {
      for (const auto& pod : pods) {
        if (pod.get() == p) doomed.push_back(pod);
      }
      doomed_keys.push_back(replicaset::KeyOf(p->metadata));
    }
    expectations_.ExpectDeletions(key, doomed_keys);
    auto state = std::make_shared<BatchState>(ex_, doomed.size());
    for (size_t i = 0; i < doomed.size(); ++i) {
      asio::co_spawn(ex_, DeleteOne(state, i, rs, doomed[i]), asio::detached);
    }
    for (size_t i = 0; i < doomed.size(); ++i) {
      auto [ec] = co_await state->done.async_receive(async::kUseAwaitable);
      (void)ec;
    }
    for (const auto& s : state->results) {
      if (!s.IsOk()) co_return s;
    }
  }
  co_return Status::Ok();
}

async::Task<void> ReplicaSetController::CreateOne(std::shared_ptr<BatchState> state, size_t index,
                                                  RsPtr rs) {
  Status result;
  if (rs->spec.template_.metadata.labels.empty()) {
    result = Status::Invalid("unable to create pods, no labels");
  } else {
    api::Pod pod = replicaset::PodFromTemplate(*rs);
    client::TypedClient<api::Pod> pods(client_, rs->metadata.namespace_);
    auto created = co_await pods.Create(std::move(pod));
    if (created.IsOk()) {
      recorder_.Event(*rs, client::kEventTypeNormal, "SuccessfulCreate",
                      "Created pod: " + created->metadata.name);
    } else {
      result = created.status();
    }
  }
  if (!result.IsOk()) {
    recorder_.Event(*rs, client::kEventTypeWarning, "FailedCreate",
                    "Error creating: " + result.Message());
    // A terminating namespace refuses pods; that is not the ReplicaSet's failure (upstream).
    if (NamespaceTerminating(result)) result = Status::Ok();
  }
  state->results[index] = result;
  state->done.try_send(boost::system::error_code{});
}

async::Task<void> ReplicaSetController::DeleteOne(std::shared_ptr<BatchState> state, size_t index,
                                                  RsPtr rs, PodPtr pod) {
  client::TypedClient<api::Pod> pods(client_, pod->metadata.namespace_);
  std::string name = pod->metadata.name;
  Status s = co_await pods.Delete(std::move(name));
  if (s.IsOk()) {
    recorder_.Event(*rs, client::kEventTypeNormal, "SuccessfulDelete",
                    "Deleted pod: " + pod->metadata.name);
  } else {
    // The deletion will not be observed: stop expecting it.
    expectations_.DeletionObserved(replicaset::KeyOf(rs->metadata),
                                   replicaset::KeyOf(pod->metadata));
    if (s.IsNotFound()) {
      s = Status::Ok();
    } else {
      recorder_.Event(*rs, client::kEventTypeWarning, "FailedDelete",
                      "Error deleting: " + s.Message());
    }
  }
  state->results[index] = s;
  state->done.try_send(boost::system::error_code{});
}

// ---- status (upstream's updateReplicaSetStatus: one retry after a fresh read)

async::Task<Result<api::ReplicaSet>> ReplicaSetController::UpdateStatus(
    RsPtr rs, api::ReplicaSetStatus status) {
  api::ReplicaSet current = *rs;
  if (!replicaset::StatusNeedsUpdate(current, status)) co_return current;
  client::TypedClient<api::ReplicaSet> client(client_, rs->metadata.namespace_);
  Status last;
  for (int attempt = 0; attempt < 2; ++attempt) {
    status.observedGeneration = current.metadata.generation;
    current.status = status;
    api::ReplicaSet body = current;
    auto updated = co_await client.UpdateStatus(std::move(body));
    if (updated.IsOk()) co_return std::move(*updated);
    last = updated.status();
    if (attempt == 1) break;
    std::string name = current.metadata.name;
    auto fresh = co_await client.Get(std::move(name));
    if (!fresh.IsOk()) co_return fresh.status();
    current = std::move(*fresh);
  }
  co_return last;
}

}  // namespace

std::unique_ptr<Controller> NewReplicaSetController(const ControllerContext& ctx) {
  return std::make_unique<ReplicaSetController>(ctx);
}

}  // namespace kubepp::controller
