#include "controller/job/job_controller.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <set>

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

using PodPtr = std::shared_ptr<const api::Pod>;
using JobPtr = std::shared_ptr<const api::Job>;

namespace jl = ::kubepp::controller::job;

constexpr char kComponent[] = "job-controller";
constexpr char kPodKeyPrefix[] = "pod:";

std::string KeyOf(const api::ObjectMeta& meta) { return replicaset::KeyOf(meta); }

bool HasTrackingFinalizer(const api::Pod& pod) {
  const auto& f = pod.metadata.finalizers;
  return std::find(f.begin(), f.end(), jl::kTrackingFinalizer) != f.end();
}

std::pair<std::string, std::string> SplitKey(const std::string& key) {
  auto slash = key.find('/');
  if (slash == std::string::npos) return {"", key};
  return {key.substr(0, slash), key.substr(slash + 1)};
}

class JobController;

// The informer handlers' way in (they outlive the controller).
struct HandlerLink {
  std::mutex mu;                    // held while a handler runs
  JobController* target = nullptr;  // nullptr once stopping
};

// Consecutive pod failures of a Job since its last success (upstream's backoffRecord).
struct BackoffRecord {
  int failures = 0;                 // failures after the last success
  Clock::TimePoint last_failure{};  // when the last one was counted
};

class JobController final : public Controller {
 public:
  JobController(const ControllerContext& ctx, JobControllerOptions opts);
  ~JobController() override { Stop(); }
  JobController(const JobController&) = delete;
  JobController& operator=(const JobController&) = delete;

  void Start() override;
  void Stop() override;

  void OnJob(const JobPtr& job) { workers_.Queue().Add(KeyOf(job->metadata)); }
  void OnDeleteJob(const JobPtr& job);
  void OnPod(const PodPtr& pod, bool added, bool deleted);

 private:
  JobPtr ResolveControllerRef(const api::Pod& pod) const;
  void ExpectFinalizerRemoval(const std::string& key, const std::string& uid);
  void FinalizerRemovalObserved(const std::string& uid);
  bool FinalizerRemovalExpected(const std::string& uid);

  async::Task<SyncResult> Sync(std::string key);
  async::Task<SyncResult> SyncOrphanPod(std::string key);
  async::Task<SyncResult> SyncJob(JobPtr job);
  async::Task<Status> RemoveFinalizer(PodPtr pod);
  async::Task<Status> CreatePod(JobPtr job, std::optional<int> index);
  async::Task<Status> DeletePod(JobPtr job, PodPtr pod);
  async::Task<Result<api::Job>> WriteStatus(api::Job job);

  client::RestClient& client_;                        // API access
  const Clock& clock_;                                // time
  ControllerOptions options_;                         // worker count
  JobControllerOptions job_options_;                  // back-off
  client::Informer<api::Job> job_informer_;           // Jobs
  client::Informer<api::Pod> pod_informer_;           // Pods
  client::Lister<api::Job> job_lister_;               // Jobs cache
  client::Lister<api::Pod> pod_lister_;               // Pods cache
  client::EventRecorder recorder_;                    // events about Jobs
  replicaset::Expectations expectations_;             // pod creations/deletions in flight per Job
  std::mutex mu_;                                     // guards the two maps below
  std::map<std::string, std::string> rm_finalizers_;  // pod uid -> Job key: removal issued
  std::map<std::string, BackoffRecord> backoff_;      // Job key -> failures since success
  std::shared_ptr<HandlerLink> link_;                 // the handlers' way in
  QueueWorkers workers_;                              // queue + workers
};

JobController::JobController(const ControllerContext& ctx, JobControllerOptions opts)
    : client_(*ctx.client),
      clock_(*ctx.clock),
      options_(ctx.options),
      job_options_(opts),
      job_informer_(ctx.informers->For<api::Job>()),
      pod_informer_(ctx.informers->For<api::Pod>()),
      job_lister_(job_informer_.GetLister()),
      pod_lister_(pod_informer_.GetLister()),
      recorder_(*ctx.client, ctx.executor, client::EventSourceInfo{kComponent, ""}, *ctx.clock),
      expectations_(*ctx.clock),
      link_(std::make_shared<HandlerLink>()),
      workers_("job", ctx.executor, client::DefaultControllerRateLimiter(*ctx.clock), *ctx.clock,
               [this](std::string key) { return Sync(std::move(key)); }) {
  link_->target = this;
  std::weak_ptr<HandlerLink> weak = link_;
  auto with = [weak](auto fn) {
    auto link = weak.lock();
    if (!link) return;
    std::lock_guard<std::mutex> lock(link->mu);
    if (link->target != nullptr) fn(*link->target);
  };
  job_informer_.AddEventHandler({
      .on_add = [with](const JobPtr& j) { with([&](JobController& c) { c.OnJob(j); }); },
      .on_update = [with](const JobPtr& /*old*/,
                          const JobPtr& j) { with([&](JobController& c) { c.OnJob(j); }); },
      .on_delete = [with](const JobPtr& j,
                          bool /*unknown*/) { with([&](JobController& c) { c.OnDeleteJob(j); }); },
  });
  pod_informer_.AddEventHandler({
      .on_add =
          [with](const PodPtr& p) { with([&](JobController& c) { c.OnPod(p, true, false); }); },
      .on_update =
          [with](const PodPtr& /*old*/, const PodPtr& p) {
            with([&](JobController& c) { c.OnPod(p, false, false); });
          },
      .on_delete =
          [with](const PodPtr& p, bool /*unknown*/) {
            with([&](JobController& c) { c.OnPod(p, false, true); });
          },
  });
}

void JobController::Start() {
  auto ji = job_informer_;
  auto pi = pod_informer_;
  workers_.Start(options_.concurrent_job_syncs,
                 [ji, pi] { return ji.HasSynced() && pi.HasSynced(); });
}

void JobController::Stop() {
  {
    std::lock_guard<std::mutex> lock(link_->mu);
    link_->target = nullptr;
  }
  workers_.Stop();
  recorder_.Stop();
}

void JobController::OnDeleteJob(const JobPtr& job) {
  const std::string key = KeyOf(job->metadata);
  expectations_.Delete(key);
  {
    std::lock_guard<std::mutex> lock(mu_);
    backoff_.erase(key);
  }
  workers_.Queue().Add(key);
}

void JobController::OnPod(const PodPtr& pod, bool added, bool deleted) {
  if (deleted || !HasTrackingFinalizer(*pod)) FinalizerRemovalObserved(pod->metadata.uid);
  const auto* ref = replicaset::GetControllerOf(pod->metadata);
  if (ref == nullptr || ref->kind != "Job") return;
  JobPtr job = ResolveControllerRef(*pod);
  if (!job) {
    // The Job is gone: its pods must not keep the tracking finalizer (upstream's orphan
    // cleanup).
    if (!deleted && HasTrackingFinalizer(*pod)) {
      workers_.Queue().Add(kPodKeyPrefix + KeyOf(pod->metadata));
    }
    return;
  }
  const std::string key = KeyOf(job->metadata);
  if (added) expectations_.CreationObserved(key);
  if (deleted || !pod->metadata.deletionTimestamp.empty()) {
    expectations_.DeletionObserved(key, KeyOf(pod->metadata));
  }
  workers_.Queue().Add(key);
}

void JobController::ExpectFinalizerRemoval(const std::string& key, const std::string& uid) {
  std::lock_guard<std::mutex> lock(mu_);
  rm_finalizers_[uid] = key;
}

void JobController::FinalizerRemovalObserved(const std::string& uid) {
  std::lock_guard<std::mutex> lock(mu_);
  rm_finalizers_.erase(uid);
}

bool JobController::FinalizerRemovalExpected(const std::string& uid) {
  std::lock_guard<std::mutex> lock(mu_);
  return rm_finalizers_.contains(uid);
}

JobPtr JobController::ResolveControllerRef(const api::Pod& pod) const {
  const auto* ref = replicaset::GetControllerOf(pod.metadata);
  if (ref == nullptr || ref->kind != "Job") return nullptr;
  auto job = job_lister_.Get(pod.metadata.namespace_, ref->name);
  if (!job || job->metadata.uid != ref->uid) return nullptr;
  return job;
}

async::Task<SyncResult> JobController::Sync(std::string key) {
  if (key.starts_with(kPodKeyPrefix)) {
    std::string pod_key = key.substr(std::string_view(kPodKeyPrefix).size());
    co_return co_await SyncOrphanPod(std::move(pod_key));
  }
  auto [ns, name] = SplitKey(key);
  JobPtr job = job_lister_.Get(ns, name);
  if (!job) {
    expectations_.Delete(key);
    co_return SyncResult{};
  }
  co_return co_await SyncJob(std::move(job));
}

async::Task<SyncResult> JobController::SyncOrphanPod(std::string key) {
  auto [ns, name] = SplitKey(key);
  PodPtr pod = pod_lister_.Get(ns, name);
  if (!pod || !HasTrackingFinalizer(*pod)) co_return SyncResult{};
  JobPtr job = ResolveControllerRef(*pod);
  if (job) co_return SyncResult{};  // its Job takes care of it
  Status s = co_await RemoveFinalizer(pod);
  co_return SyncResult{s};
}

// upstream's syncJob.
async::Task<SyncResult> JobController::SyncJob(JobPtr job) {
  const std::string key = KeyOf(job->metadata);
  if (!job->spec.managedBy.empty() && job->spec.managedBy != "kubernetes.io/job-controller") {
    co_return SyncResult{};
  }
  std::vector<PodPtr> pods;
  for (auto& pod : pod_lister_.ListNamespace(job->metadata.namespace_)) {
    const auto* ref = replicaset::GetControllerOf(pod->metadata);
    if (ref != nullptr && ref->uid == job->metadata.uid) pods.push_back(std::move(pod));
  }
  SyncResult result;
  const auto now = clock_.WallNow();

  if (jl::IsJobFinished(*job)) {
    // Nothing more is counted; pods keep no finalizer.
    for (const auto& pod : pods) {
      if (!HasTrackingFinalizer(*pod)) continue;
      Status s = co_await RemoveFinalizer(pod);
      if (!s.IsOk() && result.status.IsOk()) result.status = s;
    }
    co_return result;
  }

  api::Job cur = *job;
  const bool indexed = jl::IsIndexed(cur);
  const int completions = cur.spec.completions.value_or(-1);
  const int parallelism = cur.spec.parallelism.value_or(1);
  auto is_finishing = [](const api::Job& j) {
    return jl::FindTrueCondition(j, jl::kJobFailureTarget) != nullptr ||
           jl::FindTrueCondition(j, jl::kJobSuccessCriteriaMet) != nullptr;
  };

  // ---- 1. newly finished pods go to uncountedTerminatedPods (upstream's
  // trackJobStatusAndRemoveFinalizers).
  if (!cur.status.uncountedTerminatedPods) cur.status.uncountedTerminatedPods.emplace();
  auto* unc = &*cur.status.uncountedTerminatedPods;
  std::set<std::string> unc_succeeded(unc->succeeded.begin(), unc->succeeded.end());
  std::set<std::string> unc_failed(unc->failed.begin(), unc->failed.end());
  std::set<int> completed = jl::ParseIndexes(cur.status.completedIndexes, std::max(completions, 0));
  std::vector<PodPtr> to_unfinalize;
  std::optional<jl::PolicyDecision> fail_job;
  bool status_dirty = false;
  const bool finishing_before = is_finishing(cur);
  for (const auto& pod : pods) {
    if (!HasTrackingFinalizer(*pod) || FinalizerRemovalExpected(pod->metadata.uid)) continue;
    const bool failed = jl::IsPodFailed(*pod, cur);
    const bool succeeded = pod->status.phase == "Succeeded";
    if (!(succeeded || failed || !pod->metadata.deletionTimestamp.empty() || finishing_before)) {
      continue;
    }
    to_unfinalize.push_back(pod);
    const std::string& uid = pod->metadata.uid;
    if (unc_succeeded.contains(uid) || unc_failed.contains(uid)) continue;
    if (succeeded) {
      if (indexed) {
        auto idx = jl::PodIndex(*pod);
        if (!idx || *idx >= completions || completed.contains(*idx)) continue;
        completed.insert(*idx);
      }
      unc_succeeded.insert(uid);
      unc->succeeded.push_back(uid);
      status_dirty = true;
    } else if (failed || finishing_before) {
      if (pod->status.phase == "Failed") {
        auto decision = jl::MatchPodFailurePolicy(cur, *pod);
        if (decision.action == "Ignore") continue;
        if (decision.action == "FailJob" && !fail_job) fail_job = decision;
      }
      unc_failed.insert(uid);
      unc->failed.push_back(uid);
      status_dirty = true;
    }
  }
  if (indexed) {
    std::string formatted = jl::FormatIndexes(completed);
    if (formatted != cur.status.completedIndexes) {
      cur.status.completedIndexes = std::move(formatted);
      status_dirty = true;
    }
  }
  if (fail_job && !finishing_before) {
    jl::SetCondition(cur.status, jl::kJobFailureTarget, "True", jl::kReasonPodFailurePolicy,
                     fail_job->message, now);
    status_dirty = true;
  }
  if (status_dirty) {
    api::Job body = cur;
    auto written = co_await WriteStatus(std::move(body));
    if (!written.IsOk()) co_return SyncResult{written.status()};
    cur = std::move(*written);
    if (!cur.status.uncountedTerminatedPods) cur.status.uncountedTerminatedPods.emplace();
    unc = &*cur.status.uncountedTerminatedPods;
  }

  // ---- 2. finalizers off.
  std::set<std::string> unfinalized;
  for (const auto& pod : to_unfinalize) {
    const std::string uid = pod->metadata.uid;
    if (!unc_succeeded.contains(uid) && !unc_failed.contains(uid) && !is_finishing(cur) &&
        pod->status.phase != "Failed") {
      continue;  // e.g. a duplicate index: still counted nowhere, finalizer removal waits
    }
    ExpectFinalizerRemoval(key, uid);
    Status s = co_await RemoveFinalizer(pod);
    if (s.IsOk() || s.IsNotFound()) {
      unfinalized.insert(uid);
    } else {
      FinalizerRemovalObserved(uid);
      if (result.status.IsOk()) result.status = s;
    }
  }

  // ---- 3. uncounted pods whose finalizer is gone move to the counters.
  std::map<std::string, PodPtr> by_uid;
  for (const auto& pod : pods) by_uid[pod->metadata.uid] = pod;
  auto finalizer_gone = [&](const std::string& uid) {
    if (unfinalized.contains(uid) || FinalizerRemovalExpected(uid)) return true;
    auto it = by_uid.find(uid);
    return it == by_uid.end() || !HasTrackingFinalizer(*it->second);
  };
  int new_succeeded = 0;
  int new_failed = 0;
  std::vector<std::string> keep;
  for (const auto& uid : unc->succeeded) {
    if (finalizer_gone(uid)) {
      ++new_succeeded;
    } else {
      keep.push_back(uid);
    }
  }
  unc->succeeded = std::move(keep);
  keep.clear();
  for (const auto& uid : unc->failed) {
    if (finalizer_gone(uid)) {
      ++new_failed;
    } else {
      keep.push_back(uid);
    }
  }
  unc->failed = std::move(keep);
  if (new_succeeded > 0 || new_failed > 0) {
    cur.status.succeeded = cur.status.succeeded.value_or(0) + new_succeeded;
    cur.status.failed = cur.status.failed.value_or(0) + new_failed;
    api::Job body = cur;
    auto written = co_await WriteStatus(std::move(body));
    if (!written.IsOk()) co_return SyncResult{written.status()};
    cur = std::move(*written);
    if (!cur.status.uncountedTerminatedPods) cur.status.uncountedTerminatedPods.emplace();
    unc = &*cur.status.uncountedTerminatedPods;
    std::lock_guard<std::mutex> lock(mu_);
    auto& rec = backoff_[key];
    if (new_succeeded > 0) rec.failures = 0;
    if (new_failed > 0) {
      rec.failures += new_failed;
      rec.last_failure = clock_.Now();
    }
  }

  // ---- 4. what the pods say now.
  std::vector<PodPtr> active;
  int ready = 0;
  int terminating = 0;
  for (const auto& pod : pods) {
    if (jl::IsPodActive(*pod)) {
      active.push_back(pod);
      if (jl::IsPodReady(*pod)) ++ready;
    } else if (!pod->metadata.deletionTimestamp.empty() && pod->status.phase != "Succeeded" &&
               pod->status.phase != "Failed" && !unfinalized.contains(pod->metadata.uid)) {
      ++terminating;
    }
  }
  const int succeeded = cur.status.succeeded.value_or(0) + static_cast<int>(unc->succeeded.size());
  const int failed = cur.status.failed.value_or(0) + static_cast<int>(unc->failed.size());
  api::JobStatus next = cur.status;

  // ---- 5. finished? (interim condition first).
  if (!is_finishing(cur)) {
    const int backoff_limit = cur.spec.backoffLimit.value_or(6);
    std::optional<Clock::WallTime> start;
    if (!cur.status.startTime.empty()) start = replicaset::ParseTime(cur.status.startTime);
    const bool suspended = cur.spec.suspend.value_or(false);
    bool success = false;
    if (indexed) {
      success = completions >= 0 && static_cast<int>(completed.size()) >= completions;
    } else if (completions >= 0) {
      success = succeeded >= completions;
    } else {
      success = succeeded > 0 && active.empty();
    }
    if (failed > backoff_limit) {
      jl::SetCondition(next, jl::kJobFailureTarget, "True", jl::kReasonBackoffLimitExceeded,
                       "Job has reached the specified backoff limit", now);
      recorder_.Event(cur, client::kEventTypeWarning, jl::kReasonBackoffLimitExceeded,
                      "Job has reached the specified backoff limit");
    } else if (!suspended && start && cur.spec.activeDeadlineSeconds &&
               now - *start >= std::chrono::seconds(*cur.spec.activeDeadlineSeconds)) {
      jl::SetCondition(next, jl::kJobFailureTarget, "True", jl::kReasonDeadlineExceeded,
                       "Job was active longer than specified deadline", now);
      recorder_.Event(cur, client::kEventTypeWarning, jl::kReasonDeadlineExceeded,
                      "Job was active longer than specified deadline");
    } else if (success) {
      jl::SetCondition(next, jl::kJobSuccessCriteriaMet, "True", jl::kReasonCompletionsReached,
                       "Reached expected number of succeeded pods", now);
    }
  }

  api::Job view = cur;
  view.status = next;
  if (is_finishing(view)) {
    // Delete what still runs; the final condition once every pod is counted and gone.
    for (const auto& pod : active) {
      expectations_.ExpectDeletions(key, {KeyOf(pod->metadata)});
      Status s = co_await DeletePod(job, pod);
      if (!s.IsOk() && result.status.IsOk()) result.status = s;
    }
    const bool all_counted = unc->succeeded.empty() && unc->failed.empty();
    if (active.empty() && terminating == 0 && all_counted) {
      if (const auto* ft = jl::FindTrueCondition(view, jl::kJobFailureTarget); ft != nullptr) {
        const std::string reason = ft->reason;
        const std::string message = ft->message;
        jl::SetCondition(next, jl::kJobFailed, "True", reason, message, now);
      } else {
        jl::SetCondition(next, jl::kJobComplete, "True", "", "", now);
        next.completionTime = FormatRfc3339(now);
        recorder_.Event(cur, client::kEventTypeNormal, "Completed", "Job completed");
      }
    }
    active.clear();
    ready = 0;
  } else if (cur.spec.suspend.value_or(false)) {
    for (const auto& pod : active) {
      expectations_.ExpectDeletions(key, {KeyOf(pod->metadata)});
      Status s = co_await DeletePod(job, pod);
      if (!s.IsOk() && result.status.IsOk()) result.status = s;
    }
    if (jl::SetCondition(next, jl::kJobSuspended, "True", "JobSuspended", "Job suspended", now)) {
      recorder_.Event(cur, client::kEventTypeNormal, "Suspended", "Job suspended");
    }
    active.clear();
    ready = 0;
  } else {
    if (jl::FindTrueCondition(cur, jl::kJobSuspended) != nullptr) {
      jl::SetCondition(next, jl::kJobSuspended, "False", "JobResumed", "Job resumed", now);
      next.startTime = FormatRfc3339(now);
      recorder_.Event(cur, client::kEventTypeNormal, "Resumed", "Job resumed");
    }
    if (next.startTime.empty()) next.startTime = FormatRfc3339(now);
    if (cur.spec.activeDeadlineSeconds) {
      auto start = replicaset::ParseTime(next.startTime);
      if (start) {
        auto left = *start + std::chrono::seconds(*cur.spec.activeDeadlineSeconds) - now;
        result.requeue_after = std::max<Clock::Duration>(left, std::chrono::milliseconds(1));
      }
    }
    // ---- 6. manage the active pods (upstream's manageJob).
    if (expectations_.Satisfied(key) && result.status.IsOk()) {
      int want = parallelism;
      if (indexed) {
        want = std::min(parallelism, completions - static_cast<int>(completed.size()));
      } else if (completions >= 0) {
        want = std::min(parallelism, completions - succeeded);
      } else if (succeeded > 0) {
        want = 0;
      }
      want = std::max(want, 0);
      const int n_active = static_cast<int>(active.size());
      if (n_active > want) {
        // Newest first (upstream prefers not-ready and younger pods).
        std::vector<PodPtr> doomed = active;
        std::sort(doomed.begin(), doomed.end(), [](const PodPtr& a, const PodPtr& b) {
          const bool ra = jl::IsPodReady(*a);
          const bool rb = jl::IsPodReady(*b);
          if (ra != rb) return !ra;
          return a->metadata.creationTimestamp > b->metadata.creationTimestamp;
        });
        doomed.resize(static_cast<size_t>(n_active - want));
        std::vector<std::string> keys;
        for (const auto& p : doomed) keys.push_back(KeyOf(p->metadata));
        expectations_.ExpectDeletions(key, keys);
        for (const auto& pod : doomed) {
          Status s = co_await DeletePod(job, pod);
          if (!s.IsOk() && result.status.IsOk()) result.status = s;
        }
      } else if (n_active < want) {
        Clock::Duration wait{};
        {
          std::lock_guard<std::mutex> lock(mu_);
          auto it = backoff_.find(key);
          if (it != backoff_.end() && it->second.failures > 0) {
            auto d = jl::PodFailureBackoff(it->second.failures, job_options_.pod_failure_backoff,
                                           job_options_.max_pod_failure_backoff);
            wait = it->second.last_failure + d - clock_.Now();
          }
        }
        if (wait > Clock::Duration::zero()) {
          if (!result.requeue_after || *result.requeue_after > wait) result.requeue_after = wait;
        } else {
          std::vector<std::optional<int>> indexes;
          if (indexed) {
            std::set<int> running;
            for (const auto& p : active) {
              if (auto idx = jl::PodIndex(*p)) running.insert(*idx);
            }
            for (int i = 0; i < completions && static_cast<int>(indexes.size()) < want - n_active;
                 ++i) {
              if (!completed.contains(i) && !running.contains(i)) indexes.emplace_back(i);
            }
          } else {
            indexes.resize(static_cast<size_t>(want - n_active));
          }
          expectations_.ExpectCreations(key, static_cast<int>(indexes.size()));
          int issued = 0;
          for (const auto& idx : indexes) {
            ++issued;
            Status s = co_await CreatePod(job, idx);
            if (!s.IsOk()) {
              expectations_.CreationObserved(key);
              result.status = s;
              break;
            }
          }
          for (int i = issued; i < static_cast<int>(indexes.size()); ++i) {
            expectations_.CreationObserved(key);
          }
        }
      }
    }
  }

  // ---- 7. status.
  next.active = static_cast<int32_t>(active.size());
  next.ready = ready;
  next.terminating = terminating;
  if (!next.succeeded) next.succeeded = 0;
  if (!next.failed) next.failed = 0;
  if (!(next == cur.status)) {
    cur.status = next;
    auto written = co_await WriteStatus(std::move(cur));
    if (!written.IsOk()) co_return SyncResult{written.status()};
  }
  co_return result;
}

async::Task<Status> JobController::RemoveFinalizer(PodPtr pod) {
  client::TypedClient<api::Pod> pods(client_, pod->metadata.namespace_);
  std::string name = pod->metadata.name;
  std::string patch = std::string(R"({"metadata":{"$deleteFromPrimitiveList/finalizers":[")") +
                      jl::kTrackingFinalizer + R"("]}})";
  auto r =
      co_await pods.Patch(std::move(name), client::PatchType::kStrategicMerge, std::move(patch));
  if (r.status().IsNotFound()) co_return Status::Ok();
  co_return r.status();
}

async::Task<Status> JobController::CreatePod(JobPtr job, std::optional<int> index) {
  api::Pod pod = jl::PodFromTemplate(*job, index);
  client::TypedClient<api::Pod> pods(client_, job->metadata.namespace_);
  auto created = co_await pods.Create(std::move(pod));
  if (created.IsOk()) {
    recorder_.Event(*job, client::kEventTypeNormal, "SuccessfulCreate",
                    "Created pod: " + created->metadata.name);
    co_return Status::Ok();
  }
  recorder_.Event(*job, client::kEventTypeWarning, "FailedCreate",
                  "Error creating: " + created.status().Message());
  co_return created.status();
}

async::Task<Status> JobController::DeletePod(JobPtr job, PodPtr pod) {
  client::TypedClient<api::Pod> pods(client_, pod->metadata.namespace_);
  std::string name = pod->metadata.name;
  Status s = co_await pods.Delete(std::move(name));
  if (s.IsOk()) {
    recorder_.Event(*job, client::kEventTypeNormal, "SuccessfulDelete",
                    "Deleted pod: " + pod->metadata.name);
    co_return s;
  }
  expectations_.DeletionObserved(KeyOf(job->metadata), KeyOf(pod->metadata));
  if (s.IsNotFound()) co_return Status::Ok();
  co_return s;
}

async::Task<Result<api::Job>> JobController::WriteStatus(api::Job job) {
  client::TypedClient<api::Job> jobs(client_, job.metadata.namespace_);
  co_return co_await jobs.UpdateStatus(std::move(job));
}

}  // namespace

std::unique_ptr<Controller> NewJobController(const ControllerContext& ctx) {
  return std::make_unique<JobController>(ctx, JobControllerOptions{});
}

std::unique_ptr<Controller> NewJobController(const ControllerContext& ctx,
                                             JobControllerOptions opts) {
  return std::make_unique<JobController>(ctx, opts);
}

}  // namespace kubepp::controller
