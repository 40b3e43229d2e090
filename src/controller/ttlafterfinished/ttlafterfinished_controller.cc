#include "controller/ttlafterfinished/ttlafterfinished_controller.h"

#include <mutex>

#include "api/types.h"
#include "base/log.h"
#include "client/informer.h"
#include "client/rate_limiter.h"
#include "client/typed.h"
#include "controller/queue_worker.h"
#include "controller/replicaset/replicaset_logic.h"
#include "controller/ttlafterfinished/ttlafterfinished_logic.h"

namespace kubepp::controller {

namespace {

namespace ttl = ::kubepp::controller::ttlafterfinished;

using JobPtr = std::shared_ptr<const api::Job>;

std::pair<std::string, std::string> SplitKey(const std::string& key) {
  auto slash = key.find('/');
  if (slash == std::string::npos) return {"", key};
  return {key.substr(0, slash), key.substr(slash + 1)};
}

class TtlAfterFinishedController;

// The informer handlers' way in (they outlive the controller).
struct HandlerLink {
  std::mutex mu;                                 // held while a handler runs
  TtlAfterFinishedController* target = nullptr;  // nullptr once stopping
};

class TtlAfterFinishedController final : public Controller {
 public:
  explicit TtlAfterFinishedController(const ControllerContext& ctx);
  ~TtlAfterFinishedController() override { Stop(); }
  TtlAfterFinishedController(const TtlAfterFinishedController&) = delete;
  TtlAfterFinishedController& operator=(const TtlAfterFinishedController&) = delete;

  void Start() override;
  void Stop() override;

  void OnJob(const JobPtr& job) {
    if (job->metadata.deletionTimestamp.empty() && ttl::NeedsCleanup(*job)) {
      workers_.Queue().Add(replicaset::KeyOf(job->metadata));
    }
  }

 private:
  async::Task<SyncResult> Sync(std::string key);
  // upstream's processTTL: nullopt when nothing is to be done now (requeue_after set when the
  // TTL is still running), else the Job expired.
  struct Verdict {
    bool expired = false;                          // delete it
    std::optional<Clock::Duration> requeue_after;  // look again then
    Status status;                                 // the finish time could not be read
  };
  Verdict ProcessTtl(const api::Job& job) const;

  client::RestClient& client_;               // API access
  const Clock& clock_;                       // time
  ControllerOptions options_;                // worker count
  client::Informer<api::Job> job_informer_;  // Jobs
  client::Lister<api::Job> job_lister_;      // Jobs cache
  std::shared_ptr<HandlerLink> link_;        // the handlers' way in
  QueueWorkers workers_;                     // queue + workers
};

TtlAfterFinishedController::TtlAfterFinishedController(const ControllerContext& ctx)
    : client_(*ctx.client),
      clock_(*ctx.clock),
      options_(ctx.options),
      job_informer_(ctx.informers->For<api::Job>()),
      job_lister_(job_informer_.GetLister()),
      link_(std::make_shared<HandlerLink>()),
      workers_("ttl-after-finished", ctx.executor, client::DefaultControllerRateLimiter(*ctx.clock),
               *ctx.clock, [this](std::string key) { return Sync(std::move(key)); }) {
  link_->target = this;
  std::weak_ptr<HandlerLink> weak = link_;
  auto with = [weak](auto fn) {
    auto link = weak.lock();
    if (!link) return;
    std::lock_guard<std::mutex> lock(link->mu);
    if (link->target != nullptr) fn(*link->target);
  };
  job_informer_.AddEventHandler({
      .on_add =
          [with](const JobPtr& j) { with([&](TtlAfterFinishedController& c) { c.OnJob(j); }); },
      .on_update =
          [with](const JobPtr& /*old*/, const JobPtr& j) {
            with([&](TtlAfterFinishedController& c) { c.OnJob(j); });
          },
  });
}

void TtlAfterFinishedController::Start() {
  auto ji = job_informer_;
  workers_.Start(options_.concurrent_ttl_after_finished_syncs, [ji] { return ji.HasSynced(); });
}

void TtlAfterFinishedController::Stop() {
  {
    std::lock_guard<std::mutex> lock(link_->mu);
    link_->target = nullptr;
  }
  workers_.Stop();
}

TtlAfterFinishedController::Verdict TtlAfterFinishedController::ProcessTtl(
    const api::Job& job) const {
  Verdict v;
  if (!job.metadata.deletionTimestamp.empty() || !ttl::NeedsCleanup(job)) return v;
  const auto now = clock_.WallNow();
  auto finished = ttl::FinishTime(job);
  if (finished.IsOk() && *finished > now) {
    KLOG_WARNING(
        "Found Job {}/{} finished in the future. This is likely due to time skew in the cluster. "
        "Job cleanup will be deferred.",
        job.metadata.namespace_, job.metadata.name);
  }
  auto left = ttl::TimeLeft(job, now);
  if (!left.IsOk()) {
    v.status = left.status();
    return v;
  }
  if (*left <= Clock::Duration::zero()) {
    v.expired = true;
  } else {
    v.requeue_after = *left;
  }
  return v;
}

async::Task<SyncResult> TtlAfterFinishedController::Sync(std::string key) {
  auto [ns, name] = SplitKey(key);
  JobPtr job = job_lister_.Get(ns, name);
  if (!job) co_return SyncResult{};
  Verdict v = ProcessTtl(*job);
  if (!v.expired) co_return SyncResult{v.status, v.requeue_after};

  // The cached Job may be stale (its TTL changed): decide again on the server's copy.
  client::TypedClient<api::Job> jobs(client_, ns);
  std::string get_name = name;
  auto fresh = co_await jobs.Get(std::move(get_name));
  if (fresh.status().IsNotFound()) co_return SyncResult{};
  if (!fresh.IsOk()) co_return SyncResult{fresh.status()};
  v = ProcessTtl(*fresh);
  if (!v.expired) co_return SyncResult{v.status, v.requeue_after};

  client::DeleteOptions opts;
  opts.propagation_policy = "Foreground";
  opts.precondition_uid = fresh->metadata.uid;
  KLOG_V(4, "Cleaning up Job {}/{}", ns, name);
  std::string del_name = name;
  Status s = co_await jobs.Delete(std::move(del_name), std::move(opts));
  if (s.IsNotFound()) co_return SyncResult{};
  co_return SyncResult{s};
}

}  // namespace

std::unique_ptr<Controller> NewTtlAfterFinishedController(const ControllerContext& ctx) {
  return std::make_unique<TtlAfterFinishedController>(ctx);
}

}  // namespace kubepp::controller
