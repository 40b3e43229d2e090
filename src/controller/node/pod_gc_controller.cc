#include "controller/node/pod_gc_controller.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <map>
#include <set>
#include <string>

#include "async/gate.h"
#include "async/timer.h"
#include "base/log.h"
#include "client/typed.h"

namespace kubepp::controller {
namespace {

namespace asio = async::asio;

constexpr std::chrono::milliseconds kStopPollInterval{50};

bool IsTerminated(const api::Pod& pod) {
  return pod.status.phase == "Succeeded" || pod.status.phase == "Failed";
}

class PodGcController final : public Controller {
 public:
  PodGcController(const ControllerContext& ctx, PodGcControllerOptions opts)
      : client_(ctx.client),
        executor_(ctx.executor),
        clock_(ctx.clock != nullptr ? *ctx.clock : Clock::Real()),
        threshold_(ctx.options.terminated_pod_gc_threshold),
        opts_(opts),
        nodes_(ctx.informers->For<api::Node>()),
        pods_(ctx.informers->For<api::Pod>()) {}
  ~PodGcController() override { Stop(); }
  PodGcController(const PodGcController&) = delete;
  PodGcController& operator=(const PodGcController&) = delete;

  // Controller
  void Start() override {
    if (auto hold = gate_.TryEnter()) {
      asio::co_spawn(executor_, Loop(std::move(hold)), asio::detached);
    }
  }
  void Stop() override {
    if (stopped_.exchange(true)) return;
    gate_.Close();
    gate_.Wait();
  }

 private:
  async::Task<void> SleepUnlessStopped(Clock::Duration d) {
    auto until = std::chrono::steady_clock::now() + d;
    while (!gate_.IsClosed() && std::chrono::steady_clock::now() < until) {
      auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(
          until - std::chrono::steady_clock::now());
      Clock::Duration step = std::min<Clock::Duration>(left, kStopPollInterval);
      co_await async::Sleep(step);
    }
  }

  async::Task<void> Loop(async::Gate::Holder hold) {
    while (!gate_.IsClosed()) {
      if (nodes_.HasSynced() && pods_.HasSynced()) co_await Gc();
      Clock::Duration period = opts_.gc_check_period;
      co_await SleepUnlessStopped(period);
    }
    hold.Release();
  }

  async::Task<void> Gc() {
    auto pods = pods_.GetLister().List();
    if (threshold_ > 0) co_await GcTerminated(pods);
    co_await GcOrphaned(pods);
    co_await GcUnscheduledTerminating(pods);
  }

  async::Task<void> GcTerminated(std::vector<std::shared_ptr<const api::Pod>> pods) {
    std::vector<std::shared_ptr<const api::Pod>> terminated;
    for (auto& p : pods) {
      if (IsTerminated(*p)) terminated.push_back(p);
    }
    int excess = static_cast<int>(terminated.size()) - threshold_;
    if (excess <= 0) co_return;
    std::sort(terminated.begin(), terminated.end(), [](const auto& a, const auto& b) {
      if (a->metadata.creationTimestamp != b->metadata.creationTimestamp) {
        return a->metadata.creationTimestamp < b->metadata.creationTimestamp;
      }
      return a->metadata.name < b->metadata.name;
    });
    KLOG_INFO("pod gc: deleting {} terminated pods beyond the threshold of {}", excess, threshold_);
    for (int i = 0; i < excess && !gate_.IsClosed(); ++i) {
      std::shared_ptr<const api::Pod> pod = terminated[static_cast<size_t>(i)];
      co_await DeletePod(pod, false);
    }
  }

  async::Task<void> GcOrphaned(std::vector<std::shared_ptr<const api::Pod>> pods) {
    client::Lister<api::Node> nodes = nodes_.GetLister();
    Clock::TimePoint now = clock_.Now();
    // Nodes missing from the cache: when first missed (quarantine).
    std::set<std::string> missing;
    for (const auto& p : pods) {
      if (p->spec.nodeName.empty() || nodes.Get("", p->spec.nodeName) != nullptr) continue;
      missing.insert(p->spec.nodeName);
    }
    for (auto it = missing_since_.begin(); it != missing_since_.end();) {
      it = missing.count(it->first) == 0 ? missing_since_.erase(it) : std::next(it);
    }
    std::set<std::string> gone;
    client::TypedClient<api::Node> live(*client_);
    for (const auto& name : missing) {
      auto [it, inserted] = missing_since_.try_emplace(name, now);
      if (inserted || now - it->second < opts_.quarantine) continue;
      std::string node_name = name;
      auto got = co_await live.Get(std::move(node_name));
      if (got.IsOk()) {
        missing_since_.erase(name);
        continue;
      }
      if (got.status().IsNotFound()) gone.insert(name);
    }
    for (const auto& p : pods) {
      if (gate_.IsClosed()) co_return;
      if (p->spec.nodeName.empty() || gone.count(p->spec.nodeName) == 0) continue;
      KLOG_INFO("pod gc: deleting pod {}/{} of missing node {}", p->metadata.namespace_,
                p->metadata.name, p->spec.nodeName);
      std::shared_ptr<const api::Pod> pod = p;
      co_await DeletePod(pod, true);
    }
  }

  async::Task<void> GcUnscheduledTerminating(std::vector<std::shared_ptr<const api::Pod>> pods) {
    for (const auto& p : pods) {
      if (gate_.IsClosed()) co_return;
      if (p->metadata.deletionTimestamp.empty() || !p->spec.nodeName.empty()) continue;
      std::shared_ptr<const api::Pod> pod = p;
      co_await DeletePod(pod, false);
    }
  }

  // Deletes a pod with grace 0 (upstream's force deletion). With `mark`, first writes the
  // DisruptionTarget condition (and phase Failed when it had not finished).
  async::Task<void> DeletePod(std::shared_ptr<const api::Pod> pod, bool mark) {
    client::TypedClient<api::Pod> pods(*client_, pod->metadata.namespace_);
    if (mark) {
      api::Pod marked = *pod;
      bool has = false;
      for (const auto& c : marked.status.conditions) has = has || c.type == "DisruptionTarget";
      if (!has) {
        api::PodCondition c;
        c.type = "DisruptionTarget";
        c.status = "True";
        c.reason = "DeletionByPodGC";
        c.message = "PodGC: node no longer exists";
        c.lastTransitionTime = FormatRfc3339(clock_.WallNow());
        marked.status.conditions.push_back(std::move(c));
      }
      if (!IsTerminated(marked)) marked.status.phase = "Failed";
      if (!has || marked.status.phase != pod->status.phase) {
        auto r = co_await pods.UpdateStatus(std::move(marked));
        if (!r.IsOk() && !r.status().IsNotFound()) {
          KLOG_WARNING("pod gc: marking pod {}/{}: {}", pod->metadata.namespace_,
                       pod->metadata.name, r.status().ToString());
          co_return;  // retried next period
        }
      }
    }
    client::DeleteOptions opts;
    opts.grace_period_seconds = 0;
    opts.precondition_uid = pod->metadata.uid;
    std::string name = pod->metadata.name;
    Status s = co_await pods.Delete(std::move(name), std::move(opts));
    if (!s.IsOk() && !s.IsNotFound() && !s.IsConflict()) {
      KLOG_WARNING("pod gc: deleting pod {}/{}: {}", pod->metadata.namespace_, pod->metadata.name,
                   s.ToString());
    }
  }

  client::RestClient* client_;                             // API access
  asio::any_io_executor executor_;                         // where the loop runs
  const Clock& clock_;                                     // quarantine
  int threshold_;                                          // --terminated-pod-gc-threshold
  PodGcControllerOptions opts_;                            // periods
  client::Informer<api::Node> nodes_;                      // nodes
  client::Informer<api::Pod> pods_;                        // pods
  std::map<std::string, Clock::TimePoint> missing_since_;  // node -> first missed (loop only)
  async::Gate gate_;                                       // the loop
  std::atomic<bool> stopped_{false};                       // Stop() ran
};

}  // namespace

std::unique_ptr<Controller> NewPodGcController(const ControllerContext& ctx,
                                               PodGcControllerOptions opts) {
  return std::make_unique<PodGcController>(ctx, opts);
}
std::unique_ptr<Controller> NewPodGcController(const ControllerContext& ctx) {
  return NewPodGcController(ctx, PodGcControllerOptions{});
}

}  // namespace kubepp::controller
