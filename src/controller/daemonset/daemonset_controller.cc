#include "controller/daemonset/daemonset_controller.h"

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/json.hpp>
#include <mutex>
#include <set>

#include "api/selector.h"
#include "api/types.h"
#include "base/log.h"
#include "client/event_recorder.h"
#include "client/informer.h"
#include "client/rate_limiter.h"
#include "client/typed.h"
#include "controller/daemonset/daemonset_logic.h"
#include "controller/history/history.h"
#include "controller/queue_worker.h"
#include "controller/replicaset/expectations.h"
#include "controller/replicaset/replicaset_logic.h"

namespace kubepp::controller {

namespace {

namespace asio = async::asio;
namespace ds_logic = daemonset;
using replicaset::ClaimAction;
using replicaset::KeyOf;
using DsPtr = std::shared_ptr<const api::DaemonSet>;
using NodePtr = std::shared_ptr<const api::Node>;
using PodPtr = std::shared_ptr<const api::Pod>;
using RevPtr = std::shared_ptr<const api::ControllerRevision>;

constexpr char kComponent[] = "daemonset-controller";

// The pod index of the DaemonSet controller: controller uid, or "orphan/<namespace>".
constexpr std::string_view kPodControllerUidIndex = "daemonset-controller-uid";
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

std::vector<const api::Node*> Raw(const std::vector<NodePtr>& nodes) {
  std::vector<const api::Node*> out;
  out.reserve(nodes.size());
  for (const auto& n : nodes) out.push_back(n.get());
  return out;
}

bool NamespaceTerminating(const Status& s) {
  const auto* d = s.Details();
  if (d == nullptr) return false;
  return std::any_of(d->causes.begin(), d->causes.end(),
                     [](const StatusCause& c) { return c.type == "NamespaceTerminating"; });
}

std::string HashOf(const api::ControllerRevision& rev) {
  auto it = rev.metadata.labels.find(ds_logic::kControllerRevisionHashLabel);
  return it == rev.metadata.labels.end() ? std::string() : it->second;
}

// The current revision's hash and the old revisions (upstream's constructHistory result).
struct HistoryState {
  std::string hash;                          // of the current revision
  std::vector<api::ControllerRevision> old;  // every other revision of the DaemonSet
};

class DaemonSetController;

// What the informer handlers reach the controller through: handlers cannot be removed from a
// shared informer, so they outlive the controller and must find it gone.
struct HandlerLink {
  std::mutex mu;                          // held while a handler runs
  DaemonSetController* target = nullptr;  // nullptr once the controller is stopping
};

class DaemonSetController final : public Controller {
 public:
  DaemonSetController(const ControllerContext& ctx, DaemonSetControllerOptions opts);
  ~DaemonSetController() override { Stop(); }
  DaemonSetController(const DaemonSetController&) = delete;
  DaemonSetController& operator=(const DaemonSetController&) = delete;

  // controller::Controller
  void Start() override;
  void Stop() override;

  // Informer handlers (the informers' strands).
  void OnAddDs(const DsPtr& ds) { Enqueue(*ds); }
  void OnUpdateDs(const DsPtr& old_ds, const DsPtr& ds);
  void OnDeleteDs(const DsPtr& ds);
  void OnAddNode(const NodePtr& node);
  void OnUpdateNode(const NodePtr& old_node, const NodePtr& node);
  void OnDeleteNode(const NodePtr& node);
  void OnAddPod(const PodPtr& pod);
  void OnUpdatePod(const PodPtr& old_pod, const PodPtr& pod);
  void OnDeletePod(const PodPtr& pod);
  void OnRevision(const RevPtr& rev);

 private:
  void Enqueue(const api::DaemonSet& ds) { workers_.Queue().Add(KeyOf(ds.metadata)); }
  void EnqueueAll() {
    for (const auto& ds : ds_lister_.List()) Enqueue(*ds);
  }
  bool Satisfied(const std::string& key) const {
    return creations_.Satisfied(key) && deletions_.Satisfied(key);
  }
  // The DaemonSet `ref` (in `ns`) names, when it is one we know with the same uid.
  DsPtr ResolveControllerRef(const std::string& ns, const api::OwnerReference& ref) const;
  // DaemonSets of the namespace whose selector matches `labels`.
  std::vector<DsPtr> MatchingDaemonSets(const std::string& ns,
                                        const std::map<std::string, std::string>& labels) const;
  // The DaemonSet's pods as the cache has them (controllerRef ours and selector matching).
  std::vector<PodPtr> OwnedPods(const api::DaemonSet& ds, const api::Selector& selector) const;

  async::Task<SyncResult> Sync(std::string key);
  async::Task<Result<HistoryState>> ConstructHistory(DsPtr ds, api::Selector selector);
  async::Task<Result<api::ControllerRevision>> Snapshot(DsPtr ds, int64_t revision);
  async::Task<Status> CleanupHistory(DsPtr ds, api::Selector selector,
                                     std::vector<api::ControllerRevision> old);
  async::Task<Result<std::vector<PodPtr>>> ClaimPods(DsPtr ds, api::Selector selector);
  async::Task<Status> CanAdopt(DsPtr ds);
  template <typename T>
  async::Task<Status> Patch(std::string ns, std::string name, std::string patch);
  async::Task<Status> SyncNodes(DsPtr ds, std::vector<const api::Pod*> to_delete,
                                std::vector<std::string> nodes, std::string hash);
  async::Task<void> CreateOne(std::shared_ptr<BatchState> state, size_t index, DsPtr ds,
                              std::shared_ptr<const api::PodTemplateSpec> tmpl, std::string node);
  async::Task<void> DeleteOne(std::shared_ptr<BatchState> state, size_t index, DsPtr ds,
                              std::string pod_name);
  async::Task<Result<api::DaemonSet>> UpdateStatus(DsPtr ds, api::DaemonSetStatus status,
                                                   bool update_observed_generation);

  client::RestClient& client_;                              // API access
  asio::any_io_executor ex_;                                // where creations/deletions run
  const Clock& clock_;                                      // time
  ControllerOptions options_;                               // worker count
  client::Informer<api::DaemonSet> ds_informer_;            // DaemonSets
  client::Informer<api::Node> node_informer_;               // Nodes
  client::Informer<api::Pod> pod_informer_;                 // Pods
  client::Informer<api::ControllerRevision> rev_informer_;  // ControllerRevisions
  client::Lister<api::DaemonSet> ds_lister_;                // DaemonSets cache
  client::Lister<api::Node> node_lister_;                   // Nodes cache
  client::Lister<api::Pod> pod_lister_;                     // Pods cache
  client::Lister<api::ControllerRevision> rev_lister_;      // ControllerRevisions cache
  client::EventRecorder recorder_;                          // events about DaemonSets
  // Creations and deletions in flight per key (two instances: a sync may issue both at once,
  // and one Expectations entry holds either creations or deletions).
  replicaset::Expectations creations_;
  replicaset::Expectations deletions_;
  ds_logic::FailedPodsBackoff backoff_;  // failed daemon pods per DaemonSet and node
  std::shared_ptr<HandlerLink> link_;    // the handlers' way in
  QueueWorkers workers_;                 // queue + workers
};

DaemonSetController::DaemonSetController(const ControllerContext& ctx,
                                         DaemonSetControllerOptions opts)
    : client_(*ctx.client),
      ex_(ctx.executor),
      clock_(*ctx.clock),
      options_(ctx.options),
      ds_informer_(ctx.informers->For<api::DaemonSet>()),
      node_informer_(ctx.informers->For<api::Node>()),
      pod_informer_(ctx.informers->For<api::Pod>()),
      rev_informer_(ctx.informers->For<api::ControllerRevision>()),
      ds_lister_(ds_informer_.GetLister()),
      node_lister_(node_informer_.GetLister()),
      pod_lister_(pod_informer_.GetLister()),
      rev_lister_(rev_informer_.GetLister()),
      recorder_(*ctx.client, ctx.executor, client::EventSourceInfo{kComponent, ""}, *ctx.clock),
      creations_(*ctx.clock),
      deletions_(*ctx.clock),
      backoff_(opts.failed_pod_backoff, opts.max_failed_pod_backoff),
      link_(std::make_shared<HandlerLink>()),
      workers_("daemonset", ctx.executor, client::DefaultControllerRateLimiter(*ctx.clock),
               *ctx.clock, [this](std::string key) { return Sync(std::move(key)); }) {
  link_->target = this;
  std::weak_ptr<HandlerLink> weak = link_;
  auto with = [weak](auto fn) {
    auto link = weak.lock();
    if (!link) return;
    std::lock_guard<std::mutex> lock(link->mu);
    if (link->target != nullptr) fn(*link->target);
  };
  ds_informer_.AddEventHandler({
      .on_add = [with](const DsPtr& d) { with([&](DaemonSetController& c) { c.OnAddDs(d); }); },
      .on_update =
          [with](const DsPtr& o, const DsPtr& n) {
            with([&](DaemonSetController& c) { c.OnUpdateDs(o, n); });
          },
      .on_delete =
          [with](const DsPtr& d, bool /*unknown*/) {
            with([&](DaemonSetController& c) { c.OnDeleteDs(d); });
          },
  });
  node_informer_.AddEventHandler({
      .on_add = [with](const NodePtr& n) { with([&](DaemonSetController& c) { c.OnAddNode(n); }); },
      .on_update =
          [with](const NodePtr& o, const NodePtr& n) {
            with([&](DaemonSetController& c) { c.OnUpdateNode(o, n); });
          },
      .on_delete =
          [with](const NodePtr& n, bool /*unknown*/) {
            with([&](DaemonSetController& c) { c.OnDeleteNode(n); });
          },
  });
  Status indexed =
      pod_informer_.AddIndexer(std::string(kPodControllerUidIndex), &PodControllerKeys);
  if (!indexed.IsOk() && !indexed.IsAlreadyExists()) {
    KLOG_ERROR("daemonset controller: pod index: {}", indexed.ToString());
  }
  pod_informer_.AddEventHandler({
      .on_add = [with](const PodPtr& p) { with([&](DaemonSetController& c) { c.OnAddPod(p); }); },
      .on_update =
          [with](const PodPtr& o, const PodPtr& n) {
            with([&](DaemonSetController& c) { c.OnUpdatePod(o, n); });
          },
      .on_delete =
          [with](const PodPtr& p, bool /*unknown*/) {
            with([&](DaemonSetController& c) { c.OnDeletePod(p); });
          },
  });
  rev_informer_.AddEventHandler({
      .on_add = [with](const RevPtr& r) { with([&](DaemonSetController& c) { c.OnRevision(r); }); },
      .on_update = [with](
                       const RevPtr& /*old*/,
                       const RevPtr& r) { with([&](DaemonSetController& c) { c.OnRevision(r); }); },
      .on_delete =
          [with](const RevPtr& r, bool /*unknown*/) {
            with([&](DaemonSetController& c) { c.OnRevision(r); });
          },
  });
}

void DaemonSetController::Start() {
  auto ds_informer = ds_informer_;
  auto node_informer = node_informer_;
  auto pod_informer = pod_informer_;
  auto rev_informer = rev_informer_;
  workers_.Start(options_.concurrent_daemonset_syncs,
                 [ds_informer, node_informer, pod_informer, rev_informer] {
                   return ds_informer.HasSynced() && node_informer.HasSynced() &&
                          pod_informer.HasSynced() && rev_informer.HasSynced();
                 });
}

void DaemonSetController::Stop() {
  {
    std::lock_guard<std::mutex> lock(link_->mu);
    link_->target = nullptr;
  }
  workers_.Stop();
  recorder_.Stop();
}

// ---- event handlers

void DaemonSetController::OnUpdateDs(const DsPtr& old_ds, const DsPtr& ds) {
  if (old_ds->metadata.uid != ds->metadata.uid) OnDeleteDs(old_ds);
  Enqueue(*ds);
}

void DaemonSetController::OnDeleteDs(const DsPtr& ds) {
  const std::string key = KeyOf(ds->metadata);
  creations_.Delete(key);
  deletions_.Delete(key);
  workers_.Queue().Add(key);
}

void DaemonSetController::OnAddNode(const NodePtr& node) {
  for (const auto& ds : ds_lister_.List()) {
    if (ds_logic::NodeShouldRunDaemonPod(*node, *ds).should_run) Enqueue(*ds);
  }
}

void DaemonSetController::OnUpdateNode(const NodePtr& old_node, const NodePtr& node) {
  // Only labels and taints decide where daemon pods run.
  if (old_node->metadata.labels == node->metadata.labels &&
      old_node->spec.taints == node->spec.taints) {
    return;
  }
  for (const auto& ds : ds_lister_.List()) {
    auto before = ds_logic::NodeShouldRunDaemonPod(*old_node, *ds);
    auto after = ds_logic::NodeShouldRunDaemonPod(*node, *ds);
    if (before.should_run != after.should_run ||
        before.should_continue_running != after.should_continue_running) {
      Enqueue(*ds);
    }
  }
}

void DaemonSetController::OnDeleteNode(const NodePtr& /*node*/) {
  // Not upstream (which waits for pod GC): the status figures change at once.
  EnqueueAll();
}

void DaemonSetController::OnAddPod(const PodPtr& pod) {
  if (!pod->metadata.deletionTimestamp.empty()) {
    OnDeletePod(pod);
    return;
  }
  if (const auto* ref = replicaset::GetControllerOf(pod->metadata); ref != nullptr) {
    auto ds = ResolveControllerRef(pod->metadata.namespace_, *ref);
    if (!ds) return;
    creations_.CreationObserved(KeyOf(ds->metadata));
    Enqueue(*ds);
    return;
  }
  for (const auto& ds : MatchingDaemonSets(pod->metadata.namespace_, pod->metadata.labels)) {
    Enqueue(*ds);
  }
}

void DaemonSetController::OnUpdatePod(const PodPtr& old_pod, const PodPtr& pod) {
  if (old_pod->metadata.resourceVersion == pod->metadata.resourceVersion) return;  // resync
  const bool labels_changed = old_pod->metadata.labels != pod->metadata.labels;
  if (!pod->metadata.deletionTimestamp.empty()) {
    OnDeletePod(pod);
    if (labels_changed) OnDeletePod(old_pod);
    return;
  }
  const auto* cur_ref = replicaset::GetControllerOf(pod->metadata);
  const auto* old_ref = replicaset::GetControllerOf(old_pod->metadata);
  const bool ref_changed = (cur_ref == nullptr) != (old_ref == nullptr) ||
                           (cur_ref != nullptr && !(*cur_ref == *old_ref));
  if (ref_changed && old_ref != nullptr) {
    if (auto ds = ResolveControllerRef(old_pod->metadata.namespace_, *old_ref)) Enqueue(*ds);
  }
  if (cur_ref != nullptr) {
    auto ds = ResolveControllerRef(pod->metadata.namespace_, *cur_ref);
    if (!ds) return;
    Enqueue(*ds);
    // Ready now: look again once it has been ready for minReadySeconds (+1 s for clock skew).
    const int32_t min_ready = ds->spec.minReadySeconds.value_or(0);
    if (!replicaset::IsPodReady(*old_pod) && replicaset::IsPodReady(*pod) && min_ready > 0) {
      workers_.Queue().AddAfter(KeyOf(ds->metadata),
                                std::chrono::seconds(min_ready) + std::chrono::seconds(1));
    }
    return;
  }
  if (labels_changed || ref_changed) {
    for (const auto& ds : MatchingDaemonSets(pod->metadata.namespace_, pod->metadata.labels)) {
      Enqueue(*ds);
    }
  }
}

void DaemonSetController::OnDeletePod(const PodPtr& pod) {
  const auto* ref = replicaset::GetControllerOf(pod->metadata);
  if (ref == nullptr) return;
  auto ds = ResolveControllerRef(pod->metadata.namespace_, *ref);
  if (!ds) return;
  const std::string key = KeyOf(ds->metadata);
  deletions_.DeletionObserved(key, KeyOf(pod->metadata));
  workers_.Queue().Add(key);
}

void DaemonSetController::OnRevision(const RevPtr& rev) {
  if (const auto* ref = replicaset::GetControllerOf(rev->metadata); ref != nullptr) {
    if (auto ds = ResolveControllerRef(rev->metadata.namespace_, *ref)) Enqueue(*ds);
    return;
  }
  for (const auto& ds : MatchingDaemonSets(rev->metadata.namespace_, rev->metadata.labels)) {
    Enqueue(*ds);
  }
}

DsPtr DaemonSetController::ResolveControllerRef(const std::string& ns,
                                                const api::OwnerReference& ref) const {
  if (ref.kind != "DaemonSet") return nullptr;
  auto ds = ds_lister_.Get(ns, ref.name);
  if (!ds || ds->metadata.uid != ref.uid) return nullptr;
  return ds;
}

std::vector<DsPtr> DaemonSetController::MatchingDaemonSets(
    const std::string& ns, const std::map<std::string, std::string>& labels) const {
  std::vector<DsPtr> out;
  if (labels.empty()) return out;
  for (auto& ds : ds_lister_.ListNamespace(ns)) {
    auto sel = api::Selector::FromLabelSelector(ds->spec.selector);
    if (!sel.IsOk() || sel->Empty()) continue;
    if (sel->Matches(labels)) out.push_back(std::move(ds));
  }
  return out;
}

std::vector<PodPtr> DaemonSetController::OwnedPods(const api::DaemonSet& ds,
                                                   const api::Selector& selector) const {
  std::vector<PodPtr> out;
  for (auto& pod : pod_lister_.ByIndex(kPodControllerUidIndex, ds.metadata.uid)) {
    if (pod->metadata.namespace_ == ds.metadata.namespace_ &&
        selector.Matches(pod->metadata.labels)) {
      out.push_back(std::move(pod));
    }
  }
  return out;
}

// ---- sync (upstream's syncDaemonSet)

async::Task<SyncResult> DaemonSetController::Sync(std::string key) {
  backoff_.GC(clock_.Now());
  std::string ns;
  std::string name = key;
  if (auto slash = key.find('/'); slash != std::string::npos) {
    ns = key.substr(0, slash);
    name = key.substr(slash + 1);
  }
  DsPtr ds = ds_lister_.Get(ns, name);
  if (!ds) {
    KLOG_V(4, "daemonset {} has been deleted", key);
    creations_.Delete(key);
    deletions_.Delete(key);
    co_return SyncResult{};
  }
  auto parsed = api::Selector::FromLabelSelector(ds->spec.selector);
  if (!parsed.IsOk()) {
    KLOG_ERROR("daemonset {}: invalid selector: {}", key, parsed.status().ToString());
    co_return SyncResult{};
  }
  if (parsed->Empty()) {
    recorder_.Event(*ds, client::kEventTypeWarning, ds_logic::kReasonSelectingAll,
                    "This daemon set is selecting all pods. A non-empty selector is required.");
    co_return SyncResult{};
  }
  if (!ds->metadata.deletionTimestamp.empty()) co_return SyncResult{};
  const api::Selector selector = *parsed;
  std::vector<NodePtr> nodes = node_lister_.List();
  // Without unmet expectations the controller acts, and observes this generation.
  const bool satisfied = Satisfied(key);

  api::Selector history_selector = selector;
  auto history_task = ConstructHistory(ds, std::move(history_selector));
  auto history = co_await std::move(history_task);
  if (!history.IsOk()) co_return SyncResult{history.status()};
  const std::string hash = history->hash;

  SyncResult result;
  if (satisfied) {
    api::Selector claim_selector = selector;
    auto claim_task = ClaimPods(ds, std::move(claim_selector));
    auto claimed = co_await std::move(claim_task);
    if (!claimed.IsOk()) co_return SyncResult{claimed.status()};
    auto by_node = ds_logic::GroupPodsByNode(Raw(*claimed), false);
    auto node_ptrs = Raw(nodes);
    ds_logic::ManagePlan plan = ds_logic::PlanManage(*ds, node_ptrs, by_node, hash, backoff_,
                                                     clock_.Now(), clock_.WallNow());
    for (const auto* pod : plan.failed_pods) {
      recorder_.Event(*ds, client::kEventTypeWarning, ds_logic::kReasonFailedDaemonPod,
                      "Found failed daemon pod " + pod->metadata.namespace_ + "/" +
                          pod->metadata.name + " on node " +
                          ds_logic::TargetNodeName(*pod).value_or("") + ", will try to kill it");
    }
    result.requeue_after = plan.requeue_after;
    auto manage_task = SyncNodes(ds, plan.pods_to_delete, plan.nodes_needing_pods, hash);
    result.status = co_await std::move(manage_task);

    // The rolling update acts on what the cache shows, so only when manage changed nothing.
    const auto& us = ds->spec.updateStrategy;
    const bool rolling = !us || us->type == "RollingUpdate";
    if (result.status.IsOk() && rolling && Satisfied(key)) {
      auto rolling_plan =
          ds_logic::PlanRollingUpdate(*ds, node_ptrs, by_node, hash, clock_.WallNow());
      if (!rolling_plan.IsOk()) {
        result.status = rolling_plan.status();
      } else if (!rolling_plan->pods_to_delete.empty() || !rolling_plan->nodes_to_create.empty()) {
        auto rolling_task =
            SyncNodes(ds, rolling_plan->pods_to_delete, rolling_plan->nodes_to_create, hash);
        result.status = co_await std::move(rolling_task);
      }
    }
    if (result.status.IsOk()) {
      api::Selector cleanup_selector = selector;
      auto cleanup_task = CleanupHistory(ds, std::move(cleanup_selector), history->old);
      result.status = co_await std::move(cleanup_task);
    }
  }

  // Status from the cache as it is now (upstream's updateDaemonSetStatus).
  auto owned = OwnedPods(*ds, selector);
  auto status = ds_logic::CalculateStatus(
      *ds, Raw(nodes), ds_logic::GroupPodsByNode(Raw(owned), false), hash, clock_.WallNow());
  auto update_task = UpdateStatus(ds, status, satisfied);
  auto updated = co_await std::move(update_task);
  if (!updated.IsOk() && result.status.IsOk()) result.status = updated.status();
  const int32_t min_ready = ds->spec.minReadySeconds.value_or(0);
  if (min_ready > 0 && status.numberReady != status.numberAvailable.value_or(0)) {
    Clock::Duration wait = std::chrono::seconds(min_ready);
    if (!result.requeue_after || wait < *result.requeue_after) result.requeue_after = wait;
  }
  co_return result;
}

// ---- history (upstream's constructHistory / snapshot / dedupCurHistories / cleanupHistory)

async::Task<Result<HistoryState>> DaemonSetController::ConstructHistory(DsPtr ds,
                                                                        api::Selector selector) {
  const std::string& ns = ds->metadata.namespace_;
  std::vector<api::ControllerRevision> revisions;
  std::optional<Status> can_adopt;
  const std::vector<RevPtr> listed = rev_lister_.ListNamespace(ns);
  for (const auto& rev : listed) {
    ClaimAction action = ds_logic::DecideClaim(*ds, selector, rev->metadata);
    if (action == ClaimAction::kIgnore) continue;
    if (action == ClaimAction::kKeep) {
      revisions.push_back(*rev);
      continue;
    }
    std::string patch;
    if (action == ClaimAction::kAdopt) {
      if (!can_adopt) {
        auto check = CanAdopt(ds);
        can_adopt = co_await std::move(check);
      }
      if (!can_adopt->IsOk()) co_return *can_adopt;
      patch = replicaset::AdoptPatch(ds_logic::ControllerRefFor(*ds), rev->metadata.uid);
    } else {
      patch = replicaset::ReleasePatch(ds->metadata.uid, rev->metadata.uid);
    }
    std::string rev_ns = ns;
    std::string rev_name = rev->metadata.name;
    auto patch_task =
        Patch<api::ControllerRevision>(std::move(rev_ns), std::move(rev_name), std::move(patch));
    Status s = co_await std::move(patch_task);
    if (!s.IsOk() && !s.IsNotFound()) co_return s;
    if (s.IsOk() && action == ClaimAction::kAdopt) revisions.push_back(*rev);
  }

  client::TypedClient<api::ControllerRevision> client(client_, ns);
  HistoryState out;
  std::vector<api::ControllerRevision> current;
  for (auto& rev : revisions) {
    if (HashOf(rev).empty()) {
      // Revisions written before the hash label: the name stands in for the hash.
      api::ControllerRevision labelled = rev;
      labelled.metadata.labels[ds_logic::kControllerRevisionHashLabel] = rev.metadata.name;
      auto updated = co_await client.Update(std::move(labelled));
      if (!updated.IsOk()) co_return updated.status();
      rev = std::move(*updated);
    }
    if (ds_logic::RevisionMatches(*ds, rev)) {
      current.push_back(std::move(rev));
    } else {
      out.old.push_back(std::move(rev));
    }
  }
  int64_t next_revision = 1;
  for (const auto& rev : out.old) next_revision = std::max(next_revision, rev.revision + 1);

  if (current.empty()) {
    auto snapshot_task = Snapshot(ds, next_revision);
    auto created = co_await std::move(snapshot_task);
    if (!created.IsOk()) co_return created.status();
    out.hash = HashOf(*created);
    co_return out;
  }
  // Keep the highest revision; relabel the pods of duplicates and delete them.
  size_t keep = 0;
  for (size_t i = 0; i < current.size(); ++i) {
    if (current[i].revision >= current[keep].revision) keep = i;
  }
  const std::string keep_hash = HashOf(current[keep]);
  for (size_t i = 0; i < current.size(); ++i) {
    if (i == keep) continue;
    const std::string dup_hash = HashOf(current[i]);
    const std::vector<PodPtr> owned = pod_lister_.ByIndex(kPodControllerUidIndex, ds->metadata.uid);
    for (const auto& pod : owned) {
      auto it = pod->metadata.labels.find(ds_logic::kControllerRevisionHashLabel);
      if (it == pod->metadata.labels.end() || it->second != dup_hash) continue;
      boost::json::object labels;
      labels[ds_logic::kControllerRevisionHashLabel] = keep_hash;
      boost::json::object meta;
      meta["labels"] = std::move(labels);
      boost::json::object body;
      body["metadata"] = std::move(meta);
      std::string pod_ns = ns;
      std::string pod_name = pod->metadata.name;
      std::string patch = boost::json::serialize(body);
      auto relabel = Patch<api::Pod>(std::move(pod_ns), std::move(pod_name), std::move(patch));
      Status s = co_await std::move(relabel);
      if (!s.IsOk() && !s.IsNotFound()) co_return s;
    }
    api::ControllerRevision dup = current[i];
    Status s = co_await history::DeleteControllerRevision(client_, dup);
    if (!s.IsOk()) co_return s;
  }
  api::ControllerRevision kept = current[keep];
  if (kept.revision < next_revision) {
    auto updated = co_await history::UpdateControllerRevision(client_, kept, next_revision);
    if (!updated.IsOk()) co_return updated.status();
  }
  out.hash = keep_hash;
  co_return out;
}

async::Task<Result<api::ControllerRevision>> DaemonSetController::Snapshot(DsPtr ds,
                                                                           int64_t revision) {
  api::ControllerRevision rev = ds_logic::NewRevision(*ds, revision);
  const std::string name = rev.metadata.name;
  client::TypedClient<api::ControllerRevision> client(client_, ds->metadata.namespace_);
  auto created = co_await client.Create(std::move(rev));
  if (created.IsOk() || !created.status().IsAlreadyExists()) co_return created;
  const Status outer = created.status();
  std::string get_name = name;
  auto existing = co_await client.Get(std::move(get_name));
  if (!existing.IsOk()) co_return existing.status();
  if (ds_logic::RevisionMatches(*ds, *existing)) co_return existing;
  // A hash collision: bump collisionCount (from a fresh read) and try again later.
  client::TypedClient<api::DaemonSet> dss(client_, ds->metadata.namespace_);
  std::string ds_name = ds->metadata.name;
  auto fresh = co_await dss.Get(std::move(ds_name));
  if (!fresh.IsOk()) co_return fresh.status();
  if (fresh->status.collisionCount != ds->status.collisionCount) {
    co_return Status::Conflict("found a stale collision count of DaemonSet " + ds->metadata.name +
                               " while processing; will retry until it is updated");
  }
  fresh->status.collisionCount = fresh->status.collisionCount.value_or(0) + 1;
  api::DaemonSet body = std::move(*fresh);
  auto bumped = co_await dss.UpdateStatus(std::move(body));
  if (!bumped.IsOk()) co_return bumped.status();
  KLOG_V(2, "daemonset {}: hash collision, collisionCount bumped", KeyOf(ds->metadata));
  co_return outer;
}

async::Task<Status> DaemonSetController::CleanupHistory(DsPtr ds, api::Selector selector,
                                                        std::vector<api::ControllerRevision> old) {
  std::set<std::string> live;
  for (const auto& pod : OwnedPods(*ds, selector)) {
    auto it = pod->metadata.labels.find(ds_logic::kControllerRevisionHashLabel);
    if (it != pod->metadata.labels.end() && !it->second.empty()) live.insert(it->second);
  }
  std::vector<const api::ControllerRevision*> raw;
  raw.reserve(old.size());
  for (const auto& rev : old) raw.push_back(&rev);
  const std::vector<const api::ControllerRevision*> doomed_revs =
      ds_logic::RevisionsToDelete(*ds, raw, live);
  for (const auto* rev : doomed_revs) {
    api::ControllerRevision doomed = *rev;
    Status s = co_await history::DeleteControllerRevision(client_, doomed);
    if (!s.IsOk()) co_return s;
  }
  co_return Status::Ok();
}

// ---- pods (claim, create, delete)

async::Task<Result<std::vector<PodPtr>>> DaemonSetController::ClaimPods(DsPtr ds,
                                                                        api::Selector selector) {
  const std::string& ns = ds->metadata.namespace_;
  std::vector<PodPtr> candidates;
  const std::array<std::string, 2> index_keys = {ds->metadata.uid, OrphanIndexKey(ns)};
  for (const std::string& index_key : index_keys) {
    for (auto& pod : pod_lister_.ByIndex(kPodControllerUidIndex, index_key)) {
      if (pod->metadata.namespace_ == ns) candidates.push_back(std::move(pod));
    }
  }
  std::vector<PodPtr> claimed;
  Status first_error;
  std::optional<Status> can_adopt;
  for (auto& pod : candidates) {
    ClaimAction action = ds_logic::DecideClaim(*ds, selector, pod->metadata);
    if (action == ClaimAction::kKeep) {
      claimed.push_back(pod);
      continue;
    }
    if (action == ClaimAction::kIgnore) continue;
    std::string patch;
    if (action == ClaimAction::kAdopt) {
      if (!can_adopt) {
        auto check = CanAdopt(ds);
        can_adopt = co_await std::move(check);
      }
      if (!can_adopt->IsOk()) {
        if (first_error.IsOk()) first_error = *can_adopt;
        continue;
      }
      patch = replicaset::AdoptPatch(ds_logic::ControllerRefFor(*ds), pod->metadata.uid);
    } else {
      patch = replicaset::ReleasePatch(ds->metadata.uid, pod->metadata.uid);
    }
    std::string pod_ns = ns;
    std::string pod_name = pod->metadata.name;
    auto patch_task = Patch<api::Pod>(std::move(pod_ns), std::move(pod_name), std::move(patch));
    Status s = co_await std::move(patch_task);
    if (action == ClaimAction::kAdopt) {
      if (s.IsOk()) {
        claimed.push_back(pod);
      } else if (!s.IsNotFound() && first_error.IsOk()) {
        first_error = s;
      }
    } else if (!s.IsOk() && !s.IsNotFound() && !s.IsInvalid() && first_error.IsOk()) {
      first_error = s;
    }
  }
  if (!first_error.IsOk()) co_return first_error;
  co_return claimed;
}

async::Task<Status> DaemonSetController::CanAdopt(DsPtr ds) {
  client::TypedClient<api::DaemonSet> client(client_, ds->metadata.namespace_);
  std::string name = ds->metadata.name;
  auto fresh = co_await client.Get(std::move(name));
  if (!fresh.IsOk()) co_return fresh.status();
  if (fresh->metadata.uid != ds->metadata.uid) {
    co_return Status::Conflict("original DaemonSet " + KeyOf(ds->metadata) + " is gone: got uid " +
                               fresh->metadata.uid + ", wanted " + ds->metadata.uid);
  }
  if (!fresh->metadata.deletionTimestamp.empty()) {
    co_return Status::Conflict(KeyOf(ds->metadata) + " has just been deleted at " +
                               fresh->metadata.deletionTimestamp);
  }
  co_return Status::Ok();
}

template <typename T>
async::Task<Status> DaemonSetController::Patch(std::string ns, std::string name,
                                               std::string patch) {
  client::TypedClient<T> client(client_, std::move(ns));
  auto r =
      co_await client.Patch(std::move(name), client::PatchType::kStrategicMerge, std::move(patch));
  co_return r.status();
}

// upstream's syncNodes: deletions in parallel, creations in slow-start batches.
async::Task<Status> DaemonSetController::SyncNodes(DsPtr ds, std::vector<const api::Pod*> to_delete,
                                                   std::vector<std::string> nodes,
                                                   std::string hash) {
  const std::string key = KeyOf(ds->metadata);
  const int create_diff = std::min(static_cast<int>(nodes.size()), ds_logic::kBurstReplicas);
  const size_t delete_diff =
      std::min(to_delete.size(), static_cast<size_t>(ds_logic::kBurstReplicas));
  std::vector<std::string> doomed;
  std::vector<std::string> doomed_keys;
  for (size_t i = 0; i < delete_diff; ++i) {
    doomed.push_back(to_delete[i]->metadata.name);
    doomed_keys.push_back(KeyOf(to_delete[i]->metadata));
  }
  // Expect everything before issuing anything: the informer may see it before we return.
  creations_.ExpectCreations(key, create_diff);
  deletions_.ExpectDeletions(key, doomed_keys);
  Status error;

  if (create_diff > 0) {
    KLOG_V(2, "daemonset {}: creating {} daemon pods", key, create_diff);
    auto tmpl = std::make_shared<const api::PodTemplateSpec>(
        ds_logic::DaemonPodTemplate(*ds, ds_logic::TemplateGeneration(*ds), hash));
    int issued = 0;
    int successes = 0;
    for (int batch :
         replicaset::SlowStartBatches(create_diff, replicaset::kSlowStartInitialBatchSize)) {
      auto n = static_cast<size_t>(batch);
      auto state = std::make_shared<BatchState>(ex_, n);
      for (size_t i = 0; i < n; ++i) {
        asio::co_spawn(ex_, CreateOne(state, i, ds, tmpl, nodes[issued + i]), asio::detached);
      }
      issued += batch;
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
    // Creations never issued will not be observed (failed ones were lowered by CreateOne).
    for (int skipped = create_diff - issued; skipped > 0; --skipped) {
      creations_.CreationObserved(key);
    }
    (void)successes;
  }

  if (!doomed.empty()) {
    KLOG_V(2, "daemonset {}: deleting {} daemon pods", key, doomed.size());
    auto state = std::make_shared<BatchState>(ex_, doomed.size());
    for (size_t i = 0; i < doomed.size(); ++i) {
      asio::co_spawn(ex_, DeleteOne(state, i, ds, doomed[i]), asio::detached);
    }
    for (size_t i = 0; i < doomed.size(); ++i) {
      auto [ec] = co_await state->done.async_receive(async::kUseAwaitable);
      (void)ec;
    }
    for (const auto& s : state->results) {
      if (!s.IsOk() && error.IsOk()) error = s;
    }
  }
  co_return error;
}

async::Task<void> DaemonSetController::CreateOne(std::shared_ptr<BatchState> state, size_t index,
                                                 DsPtr ds,
                                                 std::shared_ptr<const api::PodTemplateSpec> tmpl,
                                                 std::string node) {
  Status result;
  if (tmpl->metadata.labels.empty()) {
    result = Status::Invalid("unable to create pods, no labels");
  } else {
    api::Pod pod = ds_logic::NewDaemonPod(*ds, *tmpl, node);
    client::TypedClient<api::Pod> pods(client_, ds->metadata.namespace_);
    auto created = co_await pods.Create(std::move(pod));
    if (created.IsOk()) {
      recorder_.Event(*ds, client::kEventTypeNormal, "SuccessfulCreate",
                      "Created pod: " + created->metadata.name);
    } else {
      result = created.status();
    }
  }
  if (!result.IsOk()) {
    recorder_.Event(*ds, client::kEventTypeWarning, "FailedCreate",
                    "Error creating: " + result.Message());
    creations_.CreationObserved(KeyOf(ds->metadata));
    // A terminating namespace refuses pods; that is not the DaemonSet's failure (upstream).
    if (NamespaceTerminating(result)) result = Status::Ok();
  }
  state->results[index] = result;
  state->done.try_send(boost::system::error_code{});
}

async::Task<void> DaemonSetController::DeleteOne(std::shared_ptr<BatchState> state, size_t index,
                                                 DsPtr ds, std::string pod_name) {
  client::TypedClient<api::Pod> pods(client_, ds->metadata.namespace_);
  std::string name = pod_name;
  Status s = co_await pods.Delete(std::move(name));
  if (s.IsOk()) {
    recorder_.Event(*ds, client::kEventTypeNormal, "SuccessfulDelete", "Deleted pod: " + pod_name);
  } else {
    deletions_.DeletionObserved(KeyOf(ds->metadata), ds->metadata.namespace_ + "/" + pod_name);
    if (s.IsNotFound()) {
      s = Status::Ok();
    } else {
      recorder_.Event(*ds, client::kEventTypeWarning, "FailedDelete",
                      "Error deleting: " + s.Message());
    }
  }
  state->results[index] = s;
  state->done.try_send(boost::system::error_code{});
}

// ---- status (upstream's storeDaemonSetStatus: one retry after a fresh read)

async::Task<Result<api::DaemonSet>> DaemonSetController::UpdateStatus(
    DsPtr ds, api::DaemonSetStatus status, bool update_observed_generation) {
  api::DaemonSet current = *ds;
  if (!ds_logic::StatusNeedsUpdate(current, status)) co_return current;
  client::TypedClient<api::DaemonSet> client(client_, ds->metadata.namespace_);
  Status last;
  for (int attempt = 0; attempt < 2; ++attempt) {
    api::DaemonSetStatus next = status;
    next.collisionCount = current.status.collisionCount;
    next.conditions = current.status.conditions;
    next.observedGeneration = update_observed_generation
                                  ? std::optional<int64_t>(current.metadata.generation)
                                  : current.status.observedGeneration;
    current.status = next;
    api::DaemonSet body = current;
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

std::unique_ptr<Controller> NewDaemonSetController(const ControllerContext& ctx) {
  return std::make_unique<DaemonSetController>(ctx, DaemonSetControllerOptions{});
}

std::unique_ptr<Controller> NewDaemonSetController(const ControllerContext& ctx,
                                                   DaemonSetControllerOptions opts) {
  return std::make_unique<DaemonSetController>(ctx, opts);
}

}  // namespace kubepp::controller
