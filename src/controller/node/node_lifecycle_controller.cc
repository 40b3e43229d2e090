#include "controller/node/node_lifecycle_controller.h"

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "async/gate.h"
#include "async/timer.h"
#include "base/log.h"
#include "client/event_recorder.h"
#include "client/rate_limiter.h"
#include "client/typed.h"
#include "controller/node/node_lifecycle.h"
#include "controller/queue_worker.h"

namespace kubepp::controller {
namespace {

namespace asio = async::asio;

constexpr char kPodsByNodeIndex[] = "node-lifecycle/spec.nodeName";
constexpr std::chrono::milliseconds kStopPollInterval{50};

bool HasNoExecute(const api::Node& node) { return !node::NoExecuteTaints(node).empty(); }

class NodeLifecycleController final : public Controller {
 public:
  explicit NodeLifecycleController(const ControllerContext& ctx)
      : client_(ctx.client),
        executor_(ctx.executor),
        clock_(ctx.clock != nullptr ? *ctx.clock : Clock::Real()),
        options_(ctx.options),
        nodes_(ctx.informers->For<api::Node>()),
        leases_(ctx.informers->For<api::Lease>()),
        pods_(ctx.informers->For<api::Pod>()),
        tracker_(ctx.options.node_monitor_grace_period, ctx.options.node_startup_grace_period),
        recorder_(*ctx.client, ctx.executor,
                  client::EventSourceInfo{"taint-eviction-controller", ""}, clock_),
        eviction_workers_("taint-eviction", ctx.executor,
                          client::DefaultControllerRateLimiter(clock_), clock_,
                          [this](std::string key) { return SyncPod(std::move(key)); }) {
    Status s = pods_.AddIndexer(kPodsByNodeIndex, [](const api::Pod& pod) {
      std::vector<std::string> out;
      if (!pod.spec.nodeName.empty()) out.push_back(pod.spec.nodeName);
      return out;
    });
    if (!s.IsOk()) KLOG_WARNING("node lifecycle: pod index: {}", s.ToString());

    client::ResourceEventHandler<api::Pod> ph;
    ph.on_add = [this](const std::shared_ptr<const api::Pod>& pod) { MaybeQueuePod(*pod); };
    ph.on_update = [this](const std::shared_ptr<const api::Pod>& /*old_pod*/,
                          const std::shared_ptr<const api::Pod>& pod) { MaybeQueuePod(*pod); };
    pods_.AddEventHandler(std::move(ph));

    client::ResourceEventHandler<api::Node> nh;
    nh.on_add = [this](const std::shared_ptr<const api::Node>& n) {
      if (HasNoExecute(*n)) QueuePodsOn(n->metadata.name);
    };
    nh.on_update = [this](const std::shared_ptr<const api::Node>& old_node,
                          const std::shared_ptr<const api::Node>& n) {
      auto before = node::NoExecuteTaints(*old_node);
      auto after = node::NoExecuteTaints(*n);
      if (!after.empty() && !node::SameTaints(before, after)) QueuePodsOn(n->metadata.name);
    };
    nodes_.AddEventHandler(std::move(nh));
  }
  ~NodeLifecycleController() override { Stop(); }
  NodeLifecycleController(const NodeLifecycleController&) = delete;
  NodeLifecycleController& operator=(const NodeLifecycleController&) = delete;

  // Controller
  void Start() override {
    if (auto hold = gate_.TryEnter()) {
      asio::co_spawn(executor_, MonitorLoop(std::move(hold)), asio::detached);
    }
    client::Informer<api::Node> nodes = nodes_;
    client::Informer<api::Pod> pods = pods_;
    eviction_workers_.Start(4, [nodes, pods] { return nodes.HasSynced() && pods.HasSynced(); });
  }
  void Stop() override {
    if (stopped_.exchange(true)) return;
    gate_.Close();
    gate_.Wait();
    eviction_workers_.Stop();
    recorder_.Stop();
  }

 private:
  bool Synced() const { return nodes_.HasSynced() && leases_.HasSynced() && pods_.HasSynced(); }

  void MaybeQueuePod(const api::Pod& pod) {
    if (pod.spec.nodeName.empty() || !pod.metadata.deletionTimestamp.empty()) return;
    auto n = nodes_.GetLister().Get("", pod.spec.nodeName);
    if (n == nullptr || !HasNoExecute(*n)) return;
    eviction_workers_.Queue().Add(pod.metadata.namespace_ + "/" + pod.metadata.name);
  }
  void QueuePodsOn(const std::string& node_name) {
    for (const auto& pod : pods_.GetLister().ByIndex(kPodsByNodeIndex, node_name)) {
      eviction_workers_.Queue().Add(pod->metadata.namespace_ + "/" + pod->metadata.name);
    }
  }

  // Sleeps `d` of real time, waking early when the controller stops.
  async::Task<void> SleepUnlessStopped(Clock::Duration d) {
    auto until = std::chrono::steady_clock::now() + d;
    while (!gate_.IsClosed() && std::chrono::steady_clock::now() < until) {
      auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(
          until - std::chrono::steady_clock::now());
      Clock::Duration step = std::min<Clock::Duration>(left, kStopPollInterval);
      co_await async::Sleep(step);
    }
  }

  async::Task<void> MonitorLoop(async::Gate::Holder hold) {
    while (!gate_.IsClosed()) {
      if (Synced()) co_await MonitorNodeHealth();
      Clock::Duration period = options_.node_monitor_period;
      co_await SleepUnlessStopped(period);
    }
    hold.Release();
  }

  // One pass over every node (upstream's monitorNodeHealth).
  async::Task<void> MonitorNodeHealth() {
    client::TypedClient<api::Node> nodes(*client_);
    auto listed = nodes_.GetLister().List();
    std::set<std::string> seen;
    for (const auto& n : listed) {
      if (gate_.IsClosed()) co_return;
      const std::string& name = n->metadata.name;
      seen.insert(name);
      auto lease = leases_.GetLister().Get(node::kLeaseNamespace, name);
      node::HealthDecision d = tracker_.Observe(*n, lease.get(), clock_.Now(), clock_.WallNow());
      api::Node current = *n;
      if (d.update_status) {
        api::Node desired = d.node;
        auto updated = co_await nodes.UpdateStatus(std::move(desired));
        if (!updated.IsOk()) {
          KLOG_WARNING("node lifecycle: updating status of node {}: {}", name,
                       updated.status().ToString());
          continue;
        }
        KLOG_INFO("node lifecycle: node {} is now {}", name, d.ready_status);
        tracker_.Written(*updated);
        current = std::move(*updated);
      }
      std::vector<api::Taint> taints = node::DesiredTaints(current, clock_.WallNow());
      if (!node::SameTaints(taints, current.spec.taints)) {
        current.spec.taints = std::move(taints);
        api::Node desired = current;
        auto updated = co_await nodes.Update(std::move(desired));
        if (!updated.IsOk()) {
          KLOG_WARNING("node lifecycle: updating taints of node {}: {}", name,
                       updated.status().ToString());
        }
      }
      if (!d.ready_status.empty() && d.ready_status != "True") {
        std::string node_name = name;
        co_await MarkPodsNotReady(std::move(node_name));
      }
    }
    for (const auto& name : known_) {
      if (seen.count(name) == 0) tracker_.Forget(name);
    }
    known_ = std::move(seen);
  }

  async::Task<void> MarkPodsNotReady(std::string node_name) {
    for (const auto& pod : pods_.GetLister().ByIndex(kPodsByNodeIndex, node_name)) {
      if (pod->spec.nodeName != node_name) continue;
      api::Pod copy = *pod;
      if (!node::MarkPodNotReady(copy, clock_.WallNow())) continue;
      client::TypedClient<api::Pod> pods(*client_, copy.metadata.namespace_);
      auto r = co_await pods.UpdateStatus(std::move(copy));
      if (!r.IsOk() && !r.status().IsNotFound()) {
        KLOG_WARNING("node lifecycle: marking pod {}/{} not ready: {}", pod->metadata.namespace_,
                     pod->metadata.name, r.status().ToString());
      }
    }
  }

  // When a taint without timeAdded was first seen (keyed node/key/effect).
  Clock::WallTime FirstSeen(const std::string& node_name, const std::vector<api::Taint>& taints) {
    std::lock_guard lock(first_seen_mu_);
    Clock::WallTime earliest = clock_.WallNow();
    for (const auto& t : taints) {
      if (!t.timeAdded.empty()) continue;
      auto [it, inserted] =
          first_seen_.try_emplace(node_name + "/" + t.key + "/" + t.effect, clock_.WallNow());
      earliest = std::min(earliest, it->second);
    }
    return earliest;
  }

  // Taint-based eviction of one pod (upstream's taint manager processPodOnNode).
  async::Task<SyncResult> SyncPod(std::string key) {
    auto slash = key.find('/');
    std::string ns = key.substr(0, slash);
    std::string name = key.substr(slash + 1);
    auto pod = pods_.GetLister().Get(ns, name);
    if (pod == nullptr || !pod->metadata.deletionTimestamp.empty() || pod->spec.nodeName.empty()) {
      co_return SyncResult{};
    }
    auto n = nodes_.GetLister().Get("", pod->spec.nodeName);
    if (n == nullptr) co_return SyncResult{};
    std::vector<api::Taint> taints = node::NoExecuteTaints(*n);
    if (taints.empty()) co_return SyncResult{};
    Clock::WallTime first_seen = FirstSeen(n->metadata.name, taints);
    Clock::WallTime now = clock_.WallNow();
    node::EvictionDecision d = node::DecideEviction(pod->spec.tolerations, taints, now, first_seen);
    KLOG_V(2, "taint eviction: pod {} on node {}: evict now {}, later {}", key, n->metadata.name,
           d.evict_now, d.at.has_value());
    if (!d.evict_now) {
      if (!d.at.has_value()) co_return SyncResult{};
      Clock::Duration wait =
          std::chrono::duration_cast<Clock::Duration>(*d.at - now) + std::chrono::milliseconds(10);
      co_return SyncResult{Status::Ok(), wait};
    }
    client::TypedClient<api::Pod> pods(*client_, ns);
    // DisruptionTarget first, as upstream (best effort: the deletion is what matters).
    api::Pod marked = *pod;
    bool has = false;
    for (const auto& c : marked.status.conditions) has = has || c.type == "DisruptionTarget";
    if (!has) {
      api::PodCondition c;
      c.type = "DisruptionTarget";
      c.status = "True";
      c.reason = "DeletionByTaintManager";
      c.message = "Taint manager: deleting due to NoExecute taint";
      c.lastTransitionTime = FormatRfc3339(now);
      marked.status.conditions.push_back(std::move(c));
      auto r = co_await pods.UpdateStatus(std::move(marked));
      if (!r.IsOk()) {
        if (r.status().IsNotFound()) co_return SyncResult{};
        co_return SyncResult{r.status(), std::nullopt};
      }
    }
    recorder_.Event(*pod, client::kEventTypeNormal, "TaintManagerEviction",
                    "Marking for deletion Pod " + key);
    client::DeleteOptions opts;
    opts.precondition_uid = pod->metadata.uid;
    Status s = co_await pods.Delete(name, std::move(opts));
    if (!s.IsOk() && !s.IsNotFound() && !s.IsConflict()) co_return SyncResult{s, std::nullopt};
    KLOG_INFO("taint eviction: deleted pod {} from node {}", key, n->metadata.name);
    co_return SyncResult{};
  }

  client::RestClient* client_;           // API access
  asio::any_io_executor executor_;       // where the loop runs
  const Clock& clock_;                   // heartbeat ages, timeAdded, tolerations
  ControllerOptions options_;            // periods
  client::Informer<api::Node> nodes_;    // nodes
  client::Informer<api::Lease> leases_;  // node Leases (kube-node-lease)
  client::Informer<api::Pod> pods_;      // pods, indexed by node
  node::NodeHealthTracker tracker_;      // heartbeats (monitor loop only)
  std::set<std::string> known_;          // nodes seen in the last pass (monitor loop only)
  std::mutex first_seen_mu_;             // guards first_seen_
  std::map<std::string, Clock::WallTime> first_seen_;  // taints without timeAdded
  client::EventRecorder recorder_;                     // TaintManagerEviction events
  QueueWorkers eviction_workers_;                      // pod keys to check for eviction
  async::Gate gate_;                                   // the monitor loop
  std::atomic<bool> stopped_{false};                   // Stop() ran
};

}  // namespace

std::unique_ptr<Controller> NewNodeLifecycleController(const ControllerContext& ctx) {
  return std::make_unique<NodeLifecycleController>(ctx);
}

}  // namespace kubepp::controller
