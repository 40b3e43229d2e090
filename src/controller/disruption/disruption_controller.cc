#include "controller/disruption/disruption_controller.h"

#include <mutex>

#include "api/codec.h"
#include "api/types.h"
#include "base/log.h"
#include "client/event_recorder.h"
#include "client/informer.h"
#include "client/rate_limiter.h"
#include "client/typed.h"
#include "controller/disruption/disruption_logic.h"
#include "controller/queue_worker.h"
#include "controller/replicaset/replicaset_logic.h"

namespace kubepp::controller {

namespace {

namespace dl = ::kubepp::controller::disruption;

using PdbPtr = std::shared_ptr<const api::PodDisruptionBudget>;
using PodPtr = std::shared_ptr<const api::Pod>;

// Upstream's event source for this controller.
constexpr char kComponent[] = "controllermanager";
// Upstream runs one worker.
constexpr int kWorkers = 1;

std::pair<std::string, std::string> SplitKey(const std::string& key) {
  auto slash = key.find('/');
  if (slash == std::string::npos) return {"", key};
  return {key.substr(0, slash), key.substr(slash + 1)};
}

class DisruptionController;

// The informer handlers' way in (they outlive the controller).
struct HandlerLink {
  std::mutex mu;                           // held while a handler runs
  DisruptionController* target = nullptr;  // nullptr once stopping
};

class DisruptionController final : public Controller {
 public:
  DisruptionController(const ControllerContext& ctx, DisruptionControllerOptions opts);
  ~DisruptionController() override { Stop(); }
  DisruptionController(const DisruptionController&) = delete;
  DisruptionController& operator=(const DisruptionController&) = delete;

  void Start() override;
  void Stop() override;

  void OnPdb(const PdbPtr& pdb) { workers_.Queue().Add(replicaset::KeyOf(pdb->metadata)); }
  void OnPod(const PodPtr& pod);
  // Queues the pod for its stale DisruptionTarget reset when it has one.
  void CheckStaleDisruption(const PodPtr& pod);
  // Every PDB of `ns` (a workload's scale moved).
  void QueueNamespace(const std::string& ns);

 private:
  template <typename T>
  void WatchWorkload(client::Informer<T> informer);

  async::Task<SyncResult> Sync(std::string key);
  // upstream's trySync; `recheck` gets when to look again.
  async::Task<Status> TrySync(PdbPtr pdb, std::optional<Clock::Duration>* recheck);
  async::Task<Status> WriteStatus(PdbPtr pdb, api::PodDisruptionBudgetStatus status);
  // upstream's syncStalePodDisruption.
  async::Task<SyncResult> SyncStalePod(std::string key);

  client::RestClient& client_;                                // API access
  const Clock& clock_;                                        // time
  DisruptionControllerOptions options_;                       // stale condition timeout
  client::Informer<api::PodDisruptionBudget> pdb_informer_;   // PDBs
  client::Informer<api::Pod> pod_informer_;                   // Pods
  client::Informer<api::ReplicationController> rc_informer_;  // RCs
  client::Informer<api::ReplicaSet> rs_informer_;             // ReplicaSets
  client::Informer<api::Deployment> deployment_informer_;     // Deployments
  client::Informer<api::StatefulSet> ss_informer_;            // StatefulSets
  client::Lister<api::PodDisruptionBudget> pdb_lister_;       // PDBs cache
  client::Lister<api::Pod> pod_lister_;                       // Pods cache
  dl::Workloads workloads_;                                   // the workload caches
  client::EventRecorder recorder_;                            // events
  std::shared_ptr<HandlerLink> link_;                         // the handlers' way in
  QueueWorkers workers_;                                      // PDB keys + worker
  QueueWorkers stale_workers_;  // pod keys whose DisruptionTarget condition may be stale
};

DisruptionController::DisruptionController(const ControllerContext& ctx,
                                           DisruptionControllerOptions opts)
    : client_(*ctx.client),
      clock_(*ctx.clock),
      options_(opts),
      pdb_informer_(ctx.informers->For<api::PodDisruptionBudget>()),
      pod_informer_(ctx.informers->For<api::Pod>()),
      rc_informer_(ctx.informers->For<api::ReplicationController>()),
      rs_informer_(ctx.informers->For<api::ReplicaSet>()),
      deployment_informer_(ctx.informers->For<api::Deployment>()),
      ss_informer_(ctx.informers->For<api::StatefulSet>()),
      pdb_lister_(pdb_informer_.GetLister()),
      pod_lister_(pod_informer_.GetLister()),
      recorder_(*ctx.client, ctx.executor, client::EventSourceInfo{kComponent, ""}, *ctx.clock),
      link_(std::make_shared<HandlerLink>()),
      workers_("disruption", ctx.executor, client::DefaultControllerRateLimiter(*ctx.clock),
               *ctx.clock, [this](std::string key) { return Sync(std::move(key)); }),
      stale_workers_("stale_pod_disruption", ctx.executor,
                     client::DefaultControllerRateLimiter(*ctx.clock), *ctx.clock,
                     [this](std::string key) { return SyncStalePod(std::move(key)); }) {
  workloads_.replication_controller = [l = rc_informer_.GetLister()](const std::string& ns,
                                                                     const std::string& name) {
    return l.Get(ns, name);
  };
  workloads_.replica_set = [l = rs_informer_.GetLister()](const std::string& ns,
                                                          const std::string& name) {
    return l.Get(ns, name);
  };
  workloads_.deployment = [l = deployment_informer_.GetLister()](const std::string& ns,
                                                                 const std::string& name) {
    return l.Get(ns, name);
  };
  workloads_.stateful_set = [l = ss_informer_.GetLister()](const std::string& ns,
                                                           const std::string& name) {
    return l.Get(ns, name);
  };

  link_->target = this;
  std::weak_ptr<HandlerLink> weak = link_;
  auto with = [weak](auto fn) {
    auto link = weak.lock();
    if (!link) return;
    std::lock_guard<std::mutex> lock(link->mu);
    if (link->target != nullptr) fn(*link->target);
  };
  pdb_informer_.AddEventHandler({
      .on_add = [with](const PdbPtr& p) { with([&](DisruptionController& c) { c.OnPdb(p); }); },
      .on_update = [with](const PdbPtr& /*old*/,
                          const PdbPtr& p) { with([&](DisruptionController& c) { c.OnPdb(p); }); },
      .on_delete = [with](const PdbPtr& p,
                          bool /*unknown*/) { with([&](DisruptionController& c) { c.OnPdb(p); }); },
  });
  pod_informer_.AddEventHandler({
      .on_add = [with](const PodPtr& p) { with([&](DisruptionController& c) { c.OnPod(p); }); },
      .on_update = [with](const PodPtr& /*old*/,
                          const PodPtr& p) { with([&](DisruptionController& c) { c.OnPod(p); }); },
      .on_delete = [with](const PodPtr& p,
                          bool /*unknown*/) { with([&](DisruptionController& c) { c.OnPod(p); }); },
  });
  WatchWorkload(rc_informer_);
  WatchWorkload(rs_informer_);
  WatchWorkload(deployment_informer_);
  WatchWorkload(ss_informer_);
}

// Upstream only reads workloads through listers; a scale change (or a workload that shows up
// after its pods) would then wait for the next pod event. Requeueing the namespace's PDBs
// closes that gap.
template <typename T>
void DisruptionController::WatchWorkload(client::Informer<T> informer) {
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
          [queue_ns](const Ptr& old_obj, const Ptr& obj) {
            if (old_obj->spec.replicas != obj->spec.replicas ||
                old_obj->metadata.uid != obj->metadata.uid) {
              queue_ns(obj->metadata.namespace_);
            }
          },
      .on_delete = [queue_ns](const Ptr& obj,
                              bool /*unknown*/) { queue_ns(obj->metadata.namespace_); },
  });
}

void DisruptionController::Start() {
  std::vector<std::function<bool()>> synced = {
      [i = pdb_informer_] { return i.HasSynced(); },
      [i = pod_informer_] { return i.HasSynced(); },
      [i = rc_informer_] { return i.HasSynced(); },
      [i = rs_informer_] { return i.HasSynced(); },
      [i = deployment_informer_] { return i.HasSynced(); },
      [i = ss_informer_] { return i.HasSynced(); },
  };
  auto all_synced = [synced] {
    for (const auto& s : synced) {
      if (!s()) return false;
    }
    return true;
  };
  workers_.Start(kWorkers, all_synced);
  stale_workers_.Start(kWorkers, all_synced);
}

void DisruptionController::Stop() {
  {
    std::lock_guard<std::mutex> lock(link_->mu);
    link_->target = nullptr;
  }
  workers_.Stop();
  stale_workers_.Stop();
  recorder_.Stop();
}

void DisruptionController::QueueNamespace(const std::string& ns) {
  for (const auto& pdb : pdb_lister_.ListNamespace(ns)) {
    workers_.Queue().Add(replicaset::KeyOf(pdb->metadata));
  }
}

// upstream's getPdbForPod. Every matching PDB is queued (upstream picks one arbitrarily; the
// others would go stale until their own next event).
void DisruptionController::OnPod(const PodPtr& pod) {
  CheckStaleDisruption(pod);
  if (pod->metadata.labels.empty()) return;
  std::vector<PdbPtr> matching;
  for (auto& pdb : pdb_lister_.ListNamespace(pod->metadata.namespace_)) {
    auto sel = dl::PdbSelector(*pdb);
    if (!sel.IsOk() || !*sel || !(*sel)->Matches(pod->metadata.labels)) continue;
    matching.push_back(std::move(pdb));
  }
  if (matching.size() > 1) {
    recorder_.Event(*pod, client::kEventTypeWarning, "MultiplePodDisruptionBudgets",
                    "Pod \"" + pod->metadata.namespace_ + "\"/\"" + pod->metadata.name +
                        "\" matches multiple PodDisruptionBudgets.  Chose \"" +
                        matching[0]->metadata.name + "\" arbitrarily.");
  }
  for (const auto& pdb : matching) workers_.Queue().Add(replicaset::KeyOf(pdb->metadata));
}

void DisruptionController::CheckStaleDisruption(const PodPtr& pod) {
  auto wait =
      dl::StaleDisruptionWait(*pod, clock_.WallNow(), options_.stale_pod_disruption_timeout);
  if (!wait) return;
  stale_workers_.Queue().AddAfter(replicaset::KeyOf(pod->metadata), *wait);
}

async::Task<SyncResult> DisruptionController::SyncStalePod(std::string key) {
  auto [ns, name] = SplitKey(key);
  PodPtr pod = pod_lister_.Get(ns, name);
  if (!pod) co_return SyncResult{};
  auto wait =
      dl::StaleDisruptionWait(*pod, clock_.WallNow(), options_.stale_pod_disruption_timeout);
  if (!wait) co_return SyncResult{};
  if (*wait > Clock::Duration::zero()) co_return SyncResult{Status::Ok(), wait};
  client::TypedClient<api::Pod> pods(client_, ns);
  std::string pod_name = pod->metadata.name;
  std::string body = dl::ResetDisruptionTargetApply(*pod, clock_.WallNow());
  client::PatchOptions opts;
  opts.field_manager = dl::kFieldManager;
  opts.force = true;
  std::string subresource = "status";
  auto r = co_await pods.Patch(std::move(pod_name), client::PatchType::kApply, std::move(body),
                               std::move(opts), std::move(subresource));
  if (!r.IsOk() && !r.status().IsNotFound()) co_return SyncResult{r.status()};
  KLOG_V(2, "disruption: reset stale DisruptionTarget condition of pod {}", key);
  co_return SyncResult{};
}

// upstream's sync.
async::Task<SyncResult> DisruptionController::Sync(std::string key) {
  auto [ns, name] = SplitKey(key);
  PdbPtr pdb = pdb_lister_.Get(ns, name);
  if (!pdb) co_return SyncResult{};
  std::optional<Clock::Duration> recheck;
  Status s = co_await TrySync(pdb, &recheck);
  if (s.IsOk()) co_return SyncResult{Status::Ok(), recheck};
  if (s.IsConflict()) co_return SyncResult{s};
  KLOG_V(2, "disruption: failed to sync PDB {}: {}", key, s.ToString());
  // Fail safe: no disruption allowed while the status cannot be computed.
  api::PodDisruptionBudgetStatus safe = dl::FailSafeStatus(*pdb, s.Message(), clock_.WallNow());
  Status written = co_await WriteStatus(pdb, std::move(safe));
  co_return SyncResult{written};
}

// upstream's trySync.
async::Task<Status> DisruptionController::TrySync(PdbPtr pdb,
                                                  std::optional<Clock::Duration>* recheck) {
  auto sel = dl::PdbSelector(*pdb);
  if (!sel.IsOk()) {
    recorder_.Event(*pdb, client::kEventTypeWarning, "NoPods",
                    "Failed to get pods: " + sel.status().Message());
    co_return sel.status();
  }
  std::vector<PodPtr> owned;
  if (*sel) owned = pod_lister_.ListNamespace(pdb->metadata.namespace_, **sel);
  std::vector<const api::Pod*> pods;
  pods.reserve(owned.size());
  for (const auto& p : owned) pods.push_back(p.get());
  if (pods.empty()) {
    recorder_.Event(*pdb, client::kEventTypeNormal, "NoPods", "No matching pods found");
  }

  auto expected = dl::GetExpectedPodCount(*pdb, pods, workloads_);
  if (!expected.IsOk()) {
    recorder_.Event(
        *pdb, client::kEventTypeWarning, "CalculateExpectedPodCountFailed",
        "Failed to calculate the number of expected pods: " + expected.status().Message());
    co_return expected.status();
  }
  if (!expected->unmanaged.empty()) {
    std::string selector;
    if (pdb->spec.selector) selector = boost::json::serialize(api::ToJson(*pdb->spec.selector));
    recorder_.Event(
        *pdb, client::kEventTypeWarning, "UnmanagedPods",
        "Pods selected by this PodDisruptionBudget (selector: " + selector +
            ") were found to be unmanaged. As a result, the status of the PDB cannot be "
            "calculated correctly, which may result in undefined behavior. To account for "
            "these pods please set \".spec.minAvailable\" field of the PDB to an integer value.");
  }

  const auto now = clock_.WallNow();
  std::optional<Clock::WallTime> recheck_at;
  std::vector<const api::Pod*> expired;
  auto disrupted = dl::BuildDisruptedPodMap(*pdb, pods, now, &recheck_at, &expired);
  for (const api::Pod* pod : expired) {
    recorder_.Event(*pod, client::kEventTypeWarning, "NotDeleted",
                    "Pod was expected by PDB " + pdb->metadata.namespace_ + "/" +
                        pdb->metadata.name + " to be deleted but it wasn't");
  }
  const int32_t healthy = dl::CountHealthyPods(pods, disrupted, now);
  auto next =
      dl::NextStatus(*pdb, healthy, expected->desired_healthy, expected->expected, disrupted, now);
  if (next) {
    Status s = co_await WriteStatus(pdb, std::move(*next));
    if (!s.IsOk()) co_return s;
  }
  if (recheck_at) {
    *recheck =
        std::max<Clock::Duration>(std::chrono::duration_cast<Clock::Duration>(*recheck_at - now),
                                  std::chrono::milliseconds(1));
  }
  co_return Status::Ok();
}

async::Task<Status> DisruptionController::WriteStatus(PdbPtr pdb,
                                                      api::PodDisruptionBudgetStatus status) {
  api::PodDisruptionBudget body = *pdb;
  body.status = std::move(status);
  client::TypedClient<api::PodDisruptionBudget> pdbs(client_, pdb->metadata.namespace_);
  auto written = co_await pdbs.UpdateStatus(std::move(body));
  if (written.status().IsNotFound()) co_return Status::Ok();
  co_return written.status();
}

}  // namespace

std::unique_ptr<Controller> NewDisruptionController(const ControllerContext& ctx) {
  return std::make_unique<DisruptionController>(ctx, DisruptionControllerOptions{});
}

std::unique_ptr<Controller> NewDisruptionController(const ControllerContext& ctx,
                                                    DisruptionControllerOptions opts) {
  return std::make_unique<DisruptionController>(ctx, opts);
}

}  // namespace kubepp::controller
