#include "controller/cronjob/cronjob_controller.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <map>
#include <mutex>
#include <set>

#include "api/types.h"
#include "base/log.h"
#include "client/event_recorder.h"
#include "client/informer.h"
#include "client/rate_limiter.h"
#include "client/typed.h"
#include "controller/cronjob/cron_schedule.h"
#include "controller/cronjob/cronjob_logic.h"
#include "controller/cronjob/time_zone.h"
#include "controller/queue_worker.h"
#include "controller/replicaset/replicaset_logic.h"

namespace kubepp::controller {

namespace {

namespace cj = ::kubepp::controller::cronjob;

using CronJobPtr = std::shared_ptr<const api::CronJob>;
using JobPtr = std::shared_ptr<const api::Job>;

constexpr char kComponent[] = "cronjob-controller";

std::string KeyOf(const api::ObjectMeta& meta) { return replicaset::KeyOf(meta); }

std::pair<std::string, std::string> SplitKey(const std::string& key) {
  auto slash = key.find('/');
  if (slash == std::string::npos) return {"", key};
  return {key.substr(0, slash), key.substr(slash + 1)};
}

// Go's time.RFC1123Z in UTC ("Mon, 02 Jan 2006 15:04:05 +0000").
std::string FormatRfc1123Z(Clock::WallTime t) {
  return fmt::format("{:%a, %d %b %Y %H:%M:%S} +0000", std::chrono::floor<std::chrono::seconds>(t));
}

class CronJobController;

// The informer handlers' way in (they outlive the controller).
struct HandlerLink {
  std::mutex mu;                        // held while a handler runs
  CronJobController* target = nullptr;  // nullptr once stopping
};

// What syncCronJob decided.
struct SyncOutcome {
  Status status;                                 // an error to retry with back-off
  std::optional<Clock::Duration> requeue_after;  // when to look again
};

class CronJobController final : public Controller {
 public:
  explicit CronJobController(const ControllerContext& ctx);
  ~CronJobController() override { Stop(); }
  CronJobController(const CronJobController&) = delete;
  CronJobController& operator=(const CronJobController&) = delete;

  void Start() override;
  void Stop() override;

  void OnCronJob(const CronJobPtr& c) { workers_.Queue().Add(KeyOf(c->metadata)); }
  void OnJob(const JobPtr& job);

 private:
  async::Task<SyncResult> Sync(std::string key);
  // upstream's syncCronJob on `cur` (the copy whose status is written afterwards).
  async::Task<SyncOutcome> SyncCronJob(api::CronJob* cur, std::vector<JobPtr> jobs, bool* dirty);
  // Deletes a Job (Background) and drops it from the active list; events as upstream's
  // deleteJob.
  async::Task<bool> DeleteJob(api::CronJob* cur, std::string ns, std::string name, std::string uid);
  Result<std::shared_ptr<const cj::TimeZone>> Zone(const std::string& name);

  client::RestClient& client_;                                        // API access
  const Clock& clock_;                                                // time
  ControllerOptions options_;                                         // worker count
  client::Informer<api::CronJob> cj_informer_;                        // CronJobs
  client::Informer<api::Job> job_informer_;                           // Jobs
  client::Lister<api::CronJob> cj_lister_;                            // CronJobs cache
  client::Lister<api::Job> job_lister_;                               // Jobs cache
  client::EventRecorder recorder_;                                    // events about CronJobs
  std::mutex zones_mu_;                                               // guards zones_
  std::map<std::string, std::shared_ptr<const cj::TimeZone>> zones_;  // loaded time zones
  std::shared_ptr<HandlerLink> link_;                                 // the handlers' way in
  QueueWorkers workers_;                                              // queue + workers
};

CronJobController::CronJobController(const ControllerContext& ctx)
    : client_(*ctx.client),
      clock_(*ctx.clock),
      options_(ctx.options),
      cj_informer_(ctx.informers->For<api::CronJob>()),
      job_informer_(ctx.informers->For<api::Job>()),
      cj_lister_(cj_informer_.GetLister()),
      job_lister_(job_informer_.GetLister()),
      // Events get the real clock: EventRecorder names an event after its timestamp's
      // nanoseconds, so under a FakeClock two events about one CronJob in one Sync would share
      // a name and the second would be lost (AlreadyExists).
      recorder_(*ctx.client, ctx.executor, client::EventSourceInfo{kComponent, ""}, Clock::Real()),
      link_(std::make_shared<HandlerLink>()),
      workers_("cronjob", ctx.executor, client::DefaultControllerRateLimiter(*ctx.clock),
               *ctx.clock, [this](std::string key) { return Sync(std::move(key)); }) {
  link_->target = this;
  std::weak_ptr<HandlerLink> weak = link_;
  auto with = [weak](auto fn) {
    auto link = weak.lock();
    if (!link) return;
    std::lock_guard<std::mutex> lock(link->mu);
    if (link->target != nullptr) fn(*link->target);
  };
  cj_informer_.AddEventHandler({
      .on_add =
          [with](const CronJobPtr& c) { with([&](CronJobController& x) { x.OnCronJob(c); }); },
      .on_update =
          [with](const CronJobPtr& /*old*/, const CronJobPtr& c) {
            with([&](CronJobController& x) { x.OnCronJob(c); });
          },
  });
  job_informer_.AddEventHandler({
      .on_add = [with](const JobPtr& j) { with([&](CronJobController& x) { x.OnJob(j); }); },
      .on_update = [with](const JobPtr& /*old*/,
                          const JobPtr& j) { with([&](CronJobController& x) { x.OnJob(j); }); },
      .on_delete = [with](const JobPtr& j,
                          bool /*unknown*/) { with([&](CronJobController& x) { x.OnJob(j); }); },
  });
}

void CronJobController::Start() {
  auto ci = cj_informer_;
  auto ji = job_informer_;
  workers_.Start(options_.concurrent_cron_job_syncs,
                 [ci, ji] { return ci.HasSynced() && ji.HasSynced(); });
}

void CronJobController::Stop() {
  {
    std::lock_guard<std::mutex> lock(link_->mu);
    link_->target = nullptr;
  }
  workers_.Stop();
  recorder_.Stop();
}

void CronJobController::OnJob(const JobPtr& job) {
  const auto* ref = replicaset::GetControllerOf(job->metadata);
  if (ref == nullptr || ref->kind != "CronJob") return;
  auto owner = cj_lister_.Get(job->metadata.namespace_, ref->name);
  if (!owner || owner->metadata.uid != ref->uid) return;
  workers_.Queue().Add(KeyOf(owner->metadata));
}

Result<std::shared_ptr<const cj::TimeZone>> CronJobController::Zone(const std::string& name) {
  std::lock_guard<std::mutex> lock(zones_mu_);
  if (auto it = zones_.find(name); it != zones_.end()) return it->second;
  auto tz = cj::TimeZone::Load(name);
  if (!tz.IsOk()) return tz.status();
  auto ptr = std::make_shared<const cj::TimeZone>(std::move(*tz));
  zones_[name] = ptr;
  return ptr;
}

async::Task<SyncResult> CronJobController::Sync(std::string key) {
  auto [ns, name] = SplitKey(key);
  CronJobPtr cronjob = cj_lister_.Get(ns, name);
  if (!cronjob) co_return SyncResult{};
  std::vector<JobPtr> jobs;
  for (auto& job : job_lister_.ListNamespace(ns)) {
    const auto* ref = replicaset::GetControllerOf(job->metadata);
    if (ref != nullptr && ref->uid == cronjob->metadata.uid) jobs.push_back(std::move(job));
  }
  api::CronJob cur = *cronjob;
  bool dirty = false;

  // Upstream's cleanupFinishedJobs.
  for (const auto& job : cj::JobsBeyondHistoryLimits(cur, jobs)) {
    std::string jns = job->metadata.namespace_;
    std::string jname = job->metadata.name;
    std::string juid = job->metadata.uid;
    if (co_await DeleteJob(&cur, std::move(jns), std::move(jname), std::move(juid))) dirty = true;
  }

  SyncOutcome out = co_await SyncCronJob(&cur, std::move(jobs), &dirty);
  if (dirty) {
    client::TypedClient<api::CronJob> cronjobs(client_, ns);
    auto written = co_await cronjobs.UpdateStatus(std::move(cur));
    if (!written.IsOk()) co_return SyncResult{written.status()};
  }
  if (out.requeue_after) co_return SyncResult{Status::Ok(), out.requeue_after};
  co_return SyncResult{out.status};
}

async::Task<SyncOutcome> CronJobController::SyncCronJob(api::CronJob* cur, std::vector<JobPtr> jobs,
                                                        bool* dirty) {
  const Clock::WallTime now = clock_.WallNow();
  const std::string ns = cur->metadata.namespace_;
  client::TypedClient<api::Job> job_client(client_, ns);

  // ---- the active list against the Jobs we own.
  std::set<std::string> children;
  for (const auto& job : jobs) {
    children.insert(job->metadata.uid);
    const bool found = cj::InActiveList(*cur, job->metadata.uid);
    const std::string finished = cj::FinishedCondition(*job);
    if (!found && finished.empty()) {
      // Maybe our cache lags our own status write: ask the server.
      client::TypedClient<api::CronJob> cronjobs(client_, ns);
      std::string cj_name = cur->metadata.name;
      auto fresh = co_await cronjobs.Get(std::move(cj_name));
      if (!fresh.IsOk()) co_return SyncOutcome{fresh.status(), std::nullopt};
      if (cj::InActiveList(*fresh, job->metadata.uid)) {
        *cur = std::move(*fresh);
        continue;
      }
      recorder_.Event(
          *cur, client::kEventTypeWarning, "UnexpectedJob",
          "Saw a job that the controller did not create or forgot: " + job->metadata.name);
    } else if (found && !finished.empty()) {
      cj::DeleteFromActiveList(*cur, job->metadata.uid);
      recorder_.Event(*cur, client::kEventTypeNormal, "SawCompletedJob",
                      "Saw completed job: " + job->metadata.name + ", condition: " + finished);
      *dirty = true;
    }
    if (finished == "Complete") {
      // Succeeded Jobs count for lastSuccessfulTime whether or not they are in the list.
      auto completed = replicaset::ParseTime(job->status.completionTime);
      auto last = replicaset::ParseTime(cur->status.lastSuccessfulTime);
      if (completed && (!last || *completed > *last)) {
        cur->status.lastSuccessfulTime = job->status.completionTime;
        *dirty = true;
      }
    }
  }
  // Active entries whose Job is gone (asked of the server: the cache may be slow).
  std::vector<api::ObjectReference> listed = cur->status.active;
  for (const auto& ref : listed) {
    if (children.contains(ref.uid)) continue;
    std::string jname = ref.name;
    auto got = co_await job_client.Get(std::move(jname));
    if (got.status().IsNotFound()) {
      recorder_.Event(*cur, client::kEventTypeNormal, "MissingJob",
                      "Active job went missing: " + ref.name);
      cj::DeleteFromActiveList(*cur, ref.uid);
      *dirty = true;
    } else if (!got.IsOk()) {
      co_return SyncOutcome{got.status(), std::nullopt};
    }
  }

  if (!cur->metadata.deletionTimestamp.empty()) co_return SyncOutcome{};

  auto zone = Zone(cur->spec.timeZone);
  if (!zone.IsOk()) {
    recorder_.Event(
        *cur, client::kEventTypeWarning, "UnknownTimeZone",
        fmt::format("invalid timeZone: \"{}\": {}", cur->spec.timeZone, zone.status().Message()));
    co_return SyncOutcome{};
  }
  const cj::TimeZone& tz = **zone;
  if (cur->spec.suspend.value_or(false)) co_return SyncOutcome{};

  auto sched = cj::CronSchedule::Parse(cur->spec.schedule);
  if (!sched.IsOk()) {
    recorder_.Event(*cur, client::kEventTypeWarning, "UnparseableSchedule",
                    fmt::format("unparseable schedule: \"{}\" : {}", cur->spec.schedule,
                                sched.status().Message()));
    co_return SyncOutcome{};
  }
  cj::ScheduleTimes times = cj::MostRecentScheduleTime(*cur, now, *sched, tz, true);
  if (!times.error.IsOk()) {
    recorder_.Event(
        *cur, client::kEventTypeWarning, "InvalidSchedule",
        fmt::format("invalid schedule: {} : {}", cur->spec.schedule, times.error.Message()));
    co_return SyncOutcome{};
  }
  if (times.most_recent && times.missed == cj::Missed::kMany) {
    recorder_.Event(*cur, client::kEventTypeWarning, "TooManyMissedTimes",
                    "too many missed start times. Set or decrease .spec.startingDeadlineSeconds "
                    "or check clock skew");
  }
  SyncOutcome next{Status::Ok(), cj::NextScheduleTimeDuration(*cur, now, *sched, tz)};
  if (!times.most_recent) co_return next;  // nothing due yet
  const Clock::WallTime scheduled = *times.most_recent;

  if (cur->spec.startingDeadlineSeconds &&
      scheduled + std::chrono::seconds(*cur->spec.startingDeadlineSeconds) < now) {
    recorder_.Event(*cur, client::kEventTypeWarning, "MissSchedule",
                    "Missed scheduled time to start a job: " + FormatRfc1123Z(scheduled));
    co_return next;
  }
  const std::string job_name = cj::JobName(*cur, scheduled);
  const auto last = replicaset::ParseTime(cur->status.lastScheduleTime);
  if (cj::InActiveListByName(*cur, job_name) || (last && *last == scheduled)) co_return next;
  if (cur->spec.concurrencyPolicy == "Forbid" && !cur->status.active.empty()) {
    recorder_.Event(*cur, client::kEventTypeNormal, "JobAlreadyActive",
                    "Not starting job because prior execution is running and concurrency policy "
                    "is Forbid");
    co_return next;
  }
  if (cur->spec.concurrencyPolicy == "Replace") {
    std::vector<api::ObjectReference> active = cur->status.active;
    for (const auto& ref : active) {
      std::string jname = ref.name;
      auto got = co_await job_client.Get(std::move(jname));
      if (!got.IsOk()) {
        recorder_.Event(*cur, client::kEventTypeWarning, "FailedGet",
                        "Get job: " + got.status().Message());
        co_return SyncOutcome{got.status(), std::nullopt};
      }
      std::string dns = got->metadata.namespace_;
      std::string dname = got->metadata.name;
      std::string duid = got->metadata.uid;
      if (!co_await DeleteJob(cur, std::move(dns), std::move(dname), std::move(duid))) {
        co_return SyncOutcome{Status::Internal("could not replace job " + ns + "/" + ref.name),
                              std::nullopt};
      }
      *dirty = true;
    }
  }

  api::Job want = cj::JobFromTemplate(*cur, scheduled, tz);
  auto created = co_await job_client.Create(std::move(want));
  api::Job job;
  if (created.IsOk()) {
    job = std::move(*created);
    recorder_.Event(*cur, client::kEventTypeNormal, "SuccessfulCreate",
                    "Created job " + job.metadata.name);
  } else if (created.status().IsAlreadyExists()) {
    // Created before (e.g. our status write was lost): adopt it into the list if it is ours.
    std::string jname = job_name;
    auto got = co_await job_client.Get(std::move(jname));
    if (!got.IsOk()) co_return SyncOutcome{got.status(), std::nullopt};
    const auto* ref = replicaset::GetControllerOf(got->metadata);
    if (ref == nullptr || ref->uid != cur->metadata.uid) co_return SyncOutcome{};
    if (cj::InActiveList(*cur, got->metadata.uid)) co_return SyncOutcome{};
    KLOG_INFO("cronjob {}/{}: job {} already exists", ns, cur->metadata.name, job_name);
    job = std::move(*got);
  } else {
    recorder_.Event(*cur, client::kEventTypeWarning, "FailedCreate",
                    "Error creating job: " + created.status().Message());
    co_return SyncOutcome{created.status(), std::nullopt};
  }
  cur->status.active.push_back(cj::JobReference(job));
  cur->status.lastScheduleTime = FormatRfc3339(scheduled);
  *dirty = true;
  next.requeue_after = cj::NextScheduleTimeDuration(*cur, now, *sched, tz);
  co_return next;
}

async::Task<bool> CronJobController::DeleteJob(api::CronJob* cur, std::string ns, std::string name,
                                               std::string uid) {
  client::TypedClient<api::Job> jobs(client_, ns);
  client::DeleteOptions opts;
  opts.propagation_policy = "Background";
  std::string n = name;
  Status s = co_await jobs.Delete(std::move(n), std::move(opts));
  if (!s.IsOk() && !s.IsNotFound()) {
    recorder_.Event(*cur, client::kEventTypeWarning, "FailedDelete", "Deleted job: " + s.Message());
    co_return false;
  }
  cj::DeleteFromActiveList(*cur, uid);
  recorder_.Event(*cur, client::kEventTypeNormal, "SuccessfulDelete", "Deleted job " + name);
  co_return true;
}

}  // namespace

std::unique_ptr<Controller> NewCronJobController(const ControllerContext& ctx) {
  return std::make_unique<CronJobController>(ctx);
}

}  // namespace kubepp::controller
