#include "scheduler/scheduler/scheduler.h"

#include <fmt/format.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json.hpp>
#include <cmath>
#include <utility>

#include "base/log.h"
#include "client/typed.h"
#include "scheduler/plugins/plugins.h"
#include "scheduler/scheduler/default_binder.h"

namespace kubepp::scheduler {

namespace {

constexpr std::string_view kPodScheduled = "PodScheduled";

bool Assigned(const api::Pod& pod) { return !pod.spec.nodeName.empty(); }

// Succeeded and Failed pods hold no resources: the scheduler treats them as gone (upstream's
// informer excludes them with a field selector).
bool Live(const api::Pod& pod) {
  return pod.status.phase != "Succeeded" && pod.status.phase != "Failed";
}

const std::string& SchedulerNameOf(const api::Pod& pod) {
  static const std::string kDefault = kDefaultSchedulerName;
  return pod.spec.schedulerName.empty() ? kDefault : pod.spec.schedulerName;
}

std::string HostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "localhost";
  return buf;
}

// Which node changes a plugin may care about (upstream's nodeSchedulingPropertiesChange).
uint32_t NodeChanges(const api::Node& a, const api::Node& b) {
  uint32_t actions = 0;
  if (a.status.allocatable != b.status.allocatable) actions |= kUpdateNodeAllocatable;
  if (a.metadata.labels != b.metadata.labels) actions |= kUpdateNodeLabel;
  if (a.spec.taints != b.spec.taints || a.spec.unschedulable != b.spec.unschedulable) {
    actions |= kUpdateNodeTaint;
  }
  auto conditions = [](const api::Node& n) {
    std::map<std::string, std::string> m;
    for (const auto& c : n.status.conditions) m[c.type] = c.status;
    return m;
  };
  if (conditions(a) != conditions(b)) actions |= kUpdateNodeCondition;
  if (a.metadata.annotations != b.metadata.annotations) actions |= kUpdateOther;
  return actions;
}

}  // namespace

// ---- defaults

KubeSchedulerProfile DefaultSchedulerProfile() {
  KubeSchedulerProfile p = plugins::DefaultProfile();
  p.scheduler_name = kDefaultSchedulerName;
  auto& multi = p.plugins.multi_point.enabled;
  multi.insert(multi.begin(), {std::string(kSchedulingGates), 0});
  multi.insert(multi.begin() + 1, {std::string(kPrioritySort), 0});
  multi.push_back({std::string(kDefaultBinder), 0});
  return p;
}

std::vector<PluginConfig> DefaultPluginArgs() {
  return {
      {"DefaultPreemption", DefaultPreemptionArgs{}},
      {"InterPodAffinity", InterPodAffinityArgs{}},
      {"NodeResourcesBalancedAllocation", NodeResourcesBalancedAllocationArgs{}},
      {"NodeResourcesFit", NodeResourcesFitArgs{}},
      {"PodTopologySpread", PodTopologySpreadArgs{}},
  };
}

Registry SchedulerRegistry(client::RestClient& client, const async::asio::any_io_executor& ex) {
  Registry r = plugins::NewInTreeRegistry();
  KUBEPP_CHECK(
      r.Register(std::string(kDefaultBinder),
                 [&client, ex](const PluginArgs&, Handle&) -> Result<std::unique_ptr<Plugin>> {
                   return std::unique_ptr<Plugin>(new DefaultBinder(client, ex));
                 })
          .IsOk(),
      "DefaultBinder registered twice");
  for (std::string_view name : {kPrioritySort, kSchedulingGates}) {
    KUBEPP_CHECK(r.Register(std::string(name),
                            [name](const PluginArgs&, Handle&) -> Result<std::unique_ptr<Plugin>> {
                              return std::unique_ptr<Plugin>(new QueuePlugin(name));
                            })
                     .IsOk(),
                 "{} registered twice", name);
  }
  return r;
}

std::map<std::string, std::vector<ClusterEvent>> PluginEvents() {
  const ClusterEvent node_add{EventResource::kNode, kAdd, "NodeAdd"};
  auto node = [](uint32_t actions) { return ClusterEvent{EventResource::kNode, actions, "Node"}; };
  auto assigned = [](uint32_t actions) {
    return ClusterEvent{EventResource::kAssignedPod, actions, "AssignedPod"};
  };
  return {
      {"NodeName", {node(kAdd | kUpdate)}},
      {"NodeUnschedulable", {node(kAdd | kUpdateNodeTaint)}},
      {"NodePorts", {assigned(kDelete), node(kAdd | kUpdate)}},
      {"TaintToleration", {node(kAdd | kUpdateNodeTaint)}},
      {"NodeAffinity", {node(kAdd | kUpdateNodeLabel)}},
      {"NodeResourcesFit",
       {assigned(kDelete | kUpdatePodScaleDown), node(kAdd | kUpdateNodeAllocatable)}},
      {"PodTopologySpread",
       {assigned(kAdd | kDelete | kUpdatePodLabel),
        node(kAdd | kDelete | kUpdateNodeLabel | kUpdateNodeTaint)}},
      {"InterPodAffinity",
       {assigned(kAdd | kDelete | kUpdatePodLabel), node(kAdd | kUpdateNodeLabel)}},
      {"VolumeBinding",
       {ClusterEvent{EventResource::kPersistentVolumeClaim, kAdd | kUpdate, "PVC"},
        ClusterEvent{EventResource::kPersistentVolume, kAdd | kUpdate, "PV"}, node_add}},
  };
}

void SchedulerMetrics::ObserveLatency(Clock::Duration d) {
  double s = std::chrono::duration<double>(d).count();
  size_t i = 0;
  double bound = 0.01;
  while (i < kBuckets && s > bound) {
    ++i;
    bound *= 2;
  }
  latency_buckets[i].fetch_add(1, std::memory_order_relaxed);
  latency_count.fetch_add(1, std::memory_order_relaxed);
  latency_sum_us.fetch_add(
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(d).count()),
      std::memory_order_relaxed);
}

// ---- listers over the informers

class Scheduler::Listers final : public ClusterLister {
 public:
  explicit Listers(client::SharedInformerFactory& f)
      : services_(f.For<api::Service>()),
        rcs_(f.For<api::ReplicationController>()),
        rss_(f.For<api::ReplicaSet>()),
        sss_(f.For<api::StatefulSet>()),
        namespaces_(f.For<api::Namespace>()),
        pvcs_(f.For<api::PersistentVolumeClaim>()),
        pvs_(f.For<api::PersistentVolume>()),
        pdbs_(f.For<api::PodDisruptionBudget>()) {}

  std::vector<std::shared_ptr<const api::Service>> Services(std::string_view ns) const override {
    return services_.GetLister().ListNamespace(ns);
  }
  std::vector<std::shared_ptr<const api::ReplicationController>> ReplicationControllers(
      std::string_view ns) const override {
    return rcs_.GetLister().ListNamespace(ns);
  }
  std::vector<std::shared_ptr<const api::ReplicaSet>> ReplicaSets(
      std::string_view ns) const override {
    return rss_.GetLister().ListNamespace(ns);
  }
  std::vector<std::shared_ptr<const api::StatefulSet>> StatefulSets(
      std::string_view ns) const override {
    return sss_.GetLister().ListNamespace(ns);
  }
  std::shared_ptr<const api::Namespace> GetNamespace(std::string_view name) const override {
    return namespaces_.GetLister().Get("", name);
  }
  std::vector<std::shared_ptr<const api::Namespace>> Namespaces() const override {
    return namespaces_.GetLister().List();
  }
  std::shared_ptr<const api::PersistentVolumeClaim> GetPersistentVolumeClaim(
      std::string_view ns, std::string_view name) const override {
    return pvcs_.GetLister().Get(ns, name);
  }
  std::shared_ptr<const api::PersistentVolume> GetPersistentVolume(
      std::string_view name) const override {
    return pvs_.GetLister().Get("", name);
  }
  std::vector<std::shared_ptr<const api::PodDisruptionBudget>> PodDisruptionBudgets()
      const override {
    return pdbs_.GetLister().List();
  }

  client::Informer<api::Service> services_;
  client::Informer<api::ReplicationController> rcs_;
  client::Informer<api::ReplicaSet> rss_;
  client::Informer<api::StatefulSet> sss_;
  client::Informer<api::Namespace> namespaces_;
  client::Informer<api::PersistentVolumeClaim> pvcs_;
  client::Informer<api::PersistentVolume> pvs_;
  client::Informer<api::PodDisruptionBudget> pdbs_;
};

// ---- preemption's API calls

class Scheduler::Preemptor final : public PreemptionActions {
 public:
  explicit Preemptor(Scheduler& s) : s_(s) {}

  kubepp::Status PreemptPod(const api::Pod& preemptor, const api::Pod& victim,
                            const std::string& node) override {
    return async::BlockOn(s_.runtime_.Executor(), Preempt(preemptor, victim, node));
  }
  kubepp::Status ClearNominatedNodeName(const api::Pod& pod) override {
    if (pod.status.nominatedNodeName.empty()) return kubepp::Status::Ok();
    return async::BlockOn(s_.runtime_.Executor(), ClearNomination(pod));
  }

 private:
  static bool IgnoreNotFound(const kubepp::Status& st) {
    return st.IsOk() || st.Code() == kubepp::StatusCode::kNotFound;
  }

  async::Task<kubepp::Status> Preempt(const api::Pod& preemptor, const api::Pod& victim,
                                      const std::string& node) {
    const std::string message =
        SchedulerNameOf(preemptor) + ": preempting to accommodate a higher priority pod";
    bool present = false;
    for (const auto& c : victim.status.conditions) {
      present = present || (c.type == "DisruptionTarget" && c.status == "True" &&
                            c.reason == "PreemptionByScheduler" && c.message == message);
    }
    if (!present) {
      boost::json::object cond;
      cond["type"] = "DisruptionTarget";
      cond["status"] = "True";
      cond["lastProbeTime"] = nullptr;
      cond["lastTransitionTime"] = FormatRfc3339(s_.clock_.WallNow());
      cond["reason"] = "PreemptionByScheduler";
      cond["message"] = message;
      boost::json::object status;
      status["conditions"] = boost::json::array{std::move(cond)};
      boost::json::object patch;
      patch["status"] = std::move(status);
      client::ObjectPath path{client::ResourceOf<api::Pod>(), victim.metadata.namespace_,
                              victim.metadata.name, "status"};
      // Named arguments: GCC 12 mishandles temporaries in co_await expressions.
      std::string body = boost::json::serialize(patch);
      client::PatchOptions opts;
      auto res = co_await s_.client_.Patch(std::move(path), client::PatchType::kStrategicMerge,
                                           std::move(body), std::move(opts));
      if (!IgnoreNotFound(res.status())) co_return res.status();
      if (!res.IsOk()) co_return kubepp::Status::Ok();  // gone already
    }
    client::ObjectPath path{client::ResourceOf<api::Pod>(), victim.metadata.namespace_,
                            victim.metadata.name, ""};
    client::DeleteOptions opts;
    auto del = co_await s_.client_.Delete(std::move(path), std::move(opts));
    if (!IgnoreNotFound(del.status())) co_return del.status();
    s_.recorder_->Event(victim, client::kEventTypeNormal, "Preempted",
                        "Preempted by pod " + preemptor.metadata.uid + " on node " + node);
    co_return kubepp::Status::Ok();
  }

  async::Task<kubepp::Status> ClearNomination(const api::Pod& pod) {
    client::ObjectPath path{client::ResourceOf<api::Pod>(), pod.metadata.namespace_,
                            pod.metadata.name, "status"};
    std::string body = R"({"status":{"nominatedNodeName":null}})";
    client::PatchOptions opts;
    auto res = co_await s_.client_.Patch(std::move(path), client::PatchType::kMerge,
                                         std::move(body), std::move(opts));
    co_return IgnoreNotFound(res.status()) ? kubepp::Status::Ok() : res.status();
  }

  Scheduler& s_;
};

// What a binding cycle needs.
struct Scheduler::BindJob {
  Framework* framework = nullptr;      // the pod's profile
  std::shared_ptr<CycleState> state;   // the scheduling cycle's state
  std::shared_ptr<const PodInfo> pod;  // the pod (not yet bound)
  std::string node;                    // where it goes
  QueuedPodInfo qpi;                   // for a retry
  int64_t cycle = 0;                   // the scheduling cycle
  Clock::TimePoint start{};            // first attempt (for the latency metric)
  Profile* profile = nullptr;          // its binder and PreBind plugins
};

// ---- construction

Scheduler::Scheduler(async::Runtime& runtime, client::RestClient& client,
                     client::SharedInformerFactory& informers, SchedulerOptions options,
                     const Clock& clock)
    : runtime_(runtime),
      client_(client),
      informers_(informers),
      options_(std::move(options)),
      clock_(clock),
      listers_(std::make_unique<Listers>(informers)),
      preemptor_(std::make_unique<Preemptor>(*this)),
      cache_(clock, options_.assumed_pod_ttl),
      queue_(clock, SchedulingQueueOptions{.pod_initial_backoff = options_.pod_initial_backoff,
                                           .pod_max_backoff = options_.pod_max_backoff,
                                           .plugin_events = PluginEvents()}),
      pods_(informers.For<api::Pod>()),
      nodes_(informers.For<api::Node>()),
      rng_(std::random_device{}()) {}

Scheduler::~Scheduler() { Stop(); }

Result<std::unique_ptr<Scheduler>> Scheduler::New(async::Runtime& runtime,
                                                  client::RestClient& client,
                                                  client::SharedInformerFactory& informers,
                                                  SchedulerOptions options, const Clock& clock) {
  std::unique_ptr<Scheduler> s(
      new Scheduler(runtime, client, informers, std::move(options), clock));
  if (kubepp::Status st = s->Init(); !st.IsOk()) return st;
  return s;
}

kubepp::Status Scheduler::Init() {
  if (options_.profiles.empty()) options_.profiles.push_back(DefaultSchedulerProfile());
  Registry registry = SchedulerRegistry(client_, runtime_.Executor());
  if (kubepp::Status st = registry.Merge(options_.extra_plugins); !st.IsOk()) return st;
  for (const auto& profile : options_.profiles) {
    if (profiles_.contains(profile.scheduler_name)) {
      return kubepp::Status::Invalid("duplicate profile with scheduler name \"" +
                                     profile.scheduler_name + "\"");
    }
    auto fw =
        Framework::New(registry, profile, listers_.get(), &queue_.GetNominator(), preemptor_.get());
    if (!fw.IsOk()) {
      return fw.status().WithPrefix("initializing profiles: creating profile for scheduler name " +
                                    profile.scheduler_name);
    }
    Profile& p = profiles_[profile.scheduler_name];
    p.framework = std::move(*fw);
    for (const auto& [point, names] : p.framework->ListPlugins()) {
      if (point == "PreBind") p.has_pre_bind = !names.empty();
      if (point == "Bind" && !names.empty() && names.front() == kDefaultBinder) {
        p.binder = dynamic_cast<DefaultBinder*>(p.framework->GetPlugin(kDefaultBinder));
      }
    }
  }
  std::string instance = options_.instance.empty() ? HostName() : options_.instance;
  recorder_ = std::make_unique<client::EventRecorder>(
      client_, runtime_.Executor(),
      client::EventSourceInfo{.component = kDefaultSchedulerName, .host = instance}, clock_);
  AddEventHandlers();
  return kubepp::Status::Ok();
}

bool Scheduler::Responsible(const api::Pod& pod) const {
  return profiles_.contains(SchedulerNameOf(pod));
}

void Scheduler::AddEventHandlers() {
  client::ResourceEventHandler<api::Pod> ph;
  ph.on_add = [this](const std::shared_ptr<const api::Pod>& pod) {
    if (!Live(*pod)) return;
    if (Assigned(*pod)) {
      cache_.AddPod(pod);
      queue_.AssignedPodAdded(*pod);
    } else if (Responsible(*pod)) {
      queue_.Add(pod);
    }
  };
  ph.on_update = [this](const std::shared_ptr<const api::Pod>& old_pod,
                        const std::shared_ptr<const api::Pod>& pod) {
    bool old_in_cache = Assigned(*old_pod) && Live(*old_pod);
    if (Assigned(*pod)) {
      if (!Assigned(*old_pod)) queue_.Delete(*old_pod);  // bound (by us or someone else)
      if (!Live(*pod)) {
        if (old_in_cache) {
          cache_.RemovePod(*old_pod);
          queue_.MoveAllToActiveOrBackoffQueue(AssignedPodDeleteEvent());
        }
        return;
      }
      if (old_in_cache) {
        cache_.UpdatePod(old_pod, pod);
        queue_.AssignedPodUpdated(*old_pod, *pod);
      } else {
        cache_.AddPod(pod);
        queue_.AssignedPodAdded(*pod);
      }
      return;
    }
    if (!Live(*pod) || !Responsible(*pod)) {
      queue_.Delete(*pod);
      return;
    }
    // A pod being bound right now: its updates (our own status writes included) change nothing.
    if (cache_.IsAssumedPod(Cache::KeyOf(*pod))) return;
    queue_.Update(old_pod, pod);
  };
  ph.on_delete = [this](const std::shared_ptr<const api::Pod>& pod, bool /*unknown*/) {
    if (Assigned(*pod)) {
      cache_.RemovePod(*pod);
      queue_.MoveAllToActiveOrBackoffQueue(AssignedPodDeleteEvent());
    } else {
      queue_.Delete(*pod);
    }
  };
  pods_.AddEventHandler(std::move(ph));

  client::ResourceEventHandler<api::Node> nh;
  nh.on_add = [this](const std::shared_ptr<const api::Node>& node) {
    cache_.AddNode(node);
    queue_.MoveAllToActiveOrBackoffQueue(NodeAddEvent());
  };
  nh.on_update = [this](const std::shared_ptr<const api::Node>& old_node,
                        const std::shared_ptr<const api::Node>& node) {
    cache_.UpdateNode(old_node, node);
    uint32_t actions = NodeChanges(*old_node, *node);
    if (actions != 0) {
      queue_.MoveAllToActiveOrBackoffQueue(
          ClusterEvent{EventResource::kNode, actions, "NodeUpdate"});
    }
  };
  nh.on_delete = [this](const std::shared_ptr<const api::Node>& node, bool /*unknown*/) {
    cache_.RemoveNode(*node);
    queue_.MoveAllToActiveOrBackoffQueue(ClusterEvent{EventResource::kNode, kDelete, "NodeDelete"});
  };
  nodes_.AddEventHandler(std::move(nh));

  client::ResourceEventHandler<api::PersistentVolumeClaim> ch;
  ch.on_add = [this](const std::shared_ptr<const api::PersistentVolumeClaim>&) {
    queue_.MoveAllToActiveOrBackoffQueue(
        ClusterEvent{EventResource::kPersistentVolumeClaim, kAdd, "PvcAdd"});
  };
  ch.on_update = [this](const std::shared_ptr<const api::PersistentVolumeClaim>&,
                        const std::shared_ptr<const api::PersistentVolumeClaim>&) {
    queue_.MoveAllToActiveOrBackoffQueue(
        ClusterEvent{EventResource::kPersistentVolumeClaim, kUpdateOther, "PvcUpdate"});
  };
  listers_->pvcs_.AddEventHandler(std::move(ch));

  client::ResourceEventHandler<api::PersistentVolume> vh;
  vh.on_add = [this](const std::shared_ptr<const api::PersistentVolume>&) {
    queue_.MoveAllToActiveOrBackoffQueue(
        ClusterEvent{EventResource::kPersistentVolume, kAdd, "PvAdd"});
  };
  vh.on_update = [this](const std::shared_ptr<const api::PersistentVolume>&,
                        const std::shared_ptr<const api::PersistentVolume>&) {
    queue_.MoveAllToActiveOrBackoffQueue(
        ClusterEvent{EventResource::kPersistentVolume, kUpdateOther, "PvUpdate"});
  };
  listers_->pvs_.AddEventHandler(std::move(vh));
}

// ---- running

void Scheduler::Start() {
  if (started_.exchange(true)) return;
  thread_ = std::thread([this] { Loop(); });
  flush_thread_ = std::thread([this] { FlushLoop(); });
}

void Scheduler::Stop() {
  if (!started_.load() || stopped_.exchange(true)) return;
  {
    std::lock_guard lock(flush_mu_);
    stopping_ = true;
  }
  flush_cv_.notify_all();
  {
    std::lock_guard lock(bind_mu_);  // no lost wake-up of a scheduling thread waiting for a slot
  }
  bind_cv_.notify_all();
  queue_.Close();
  if (thread_.joinable()) thread_.join();
  if (flush_thread_.joinable()) flush_thread_.join();
  gate_.Close();
  gate_.Wait();
  blocking_.Stop();
  if (recorder_) recorder_->Stop();
}

void Scheduler::FlushLoop() {
  auto next_unschedulable = clock_.Now() + options_.unschedulable_flush_period;
  std::unique_lock lock(flush_mu_);
  while (!stopping_) {
    flush_cv_.wait_for(lock, options_.backoff_flush_period, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    queue_.FlushBackoffCompleted();
    if (clock_.Now() >= next_unschedulable) {
      queue_.FlushUnschedulableLeftover();
      next_unschedulable = clock_.Now() + options_.unschedulable_flush_period;
    }
    if (size_t n = cache_.CleanupExpiredAssumedPods(); n > 0) {
      KLOG_INFO("scheduler: {} assumed pods expired", n);
    }
    lock.lock();
  }
}

void Scheduler::Loop() {
  // Schedule only once the informers have delivered what exists (as upstream's
  // WaitForCacheSync), so that no node is overcommitted by pods we have not seen yet.
  while (!informers_.WaitForCacheSync(std::chrono::seconds(1))) {
    std::lock_guard lock(flush_mu_);
    if (stopping_) return;
  }
  KLOG_INFO("scheduler: caches synced, scheduling");
  for (;;) {
    std::optional<QueuedPodInfo> qpi = queue_.Pop();
    if (!qpi.has_value()) return;
    ScheduleOne(std::move(*qpi));
  }
}

void Scheduler::ScheduleOne(QueuedPodInfo qpi) {
  const std::shared_ptr<const api::Pod> pod = qpi.pod;
  auto it = profiles_.find(SchedulerNameOf(*pod));
  if (it == profiles_.end()) return;  // not ours (any more)
  Profile& profile = it->second;
  Framework& fw = *profile.framework;
  // upstream's skipPodSchedule: deleted, or already assumed/bound.
  if (!pod->metadata.deletionTimestamp.empty()) return;
  std::string key = Cache::KeyOf(*pod);
  if (!cache_.NodeOf(key).empty()) return;

  int64_t cycle = queue_.SchedulingCycle();
  Clock::TimePoint start = qpi.initial_attempt_timestamp;
  cache_.UpdateSnapshot(snapshot_);
  fw.SetSnapshot(&snapshot_);
  std::shared_ptr<const PodInfo> info = PodInfo::Make(pod);
  auto state = std::make_shared<CycleState>();
  ScheduleResult result;
  std::optional<FitError> fit_error;
  Status s = SchedulePod(fw, *state, *info, snapshot_, options_.percentage_of_nodes_to_score,
                         profile.cursor, rng_, result, fit_error);
  if (!s.IsSuccess()) {
    std::optional<std::string> nominated;  // nullopt: the nomination stays as it is
    std::string message = s.Message();
    if (fit_error.has_value()) {
      if (fw.HasPostFilterPlugins()) {
        PostFilterResult pf;
        Status ps = fw.RunPostFilterPlugins(*state, *info, fit_error->diagnosis.node_to_status, pf);
        if (ps.IsSuccess() || pf.mode == PostFilterResult::Mode::kOverride) {
          nominated = pf.nominated_node_name;
        }
        if (!ps.IsSuccess() && !ps.Message().empty()) {
          fit_error->diagnosis.post_filter_msg = ps.Message();
        }
        if (ps.IsError()) {
          KLOG_ERROR("scheduler: preemption for {}/{}: {}", pod->metadata.namespace_,
                     pod->metadata.name, ps.Message());
        }
      }
      qpi.unschedulable_plugins = fit_error->diagnosis.unschedulable_plugins;
      message = fit_error->Error();
    }
    bool rejected = s.IsRejected();
    (rejected ? metrics_.unschedulable : metrics_.errors).fetch_add(1, std::memory_order_relaxed);
    KLOG_V(2, "scheduler: unable to schedule {}/{}: {}", pod->metadata.namespace_,
           pod->metadata.name, message);
    HandleFailure(std::move(qpi), cycle, rejected ? "Unschedulable" : "SchedulerError", message,
                  std::move(nominated));
    return;
  }

  // Assume: the next cycles see the node's resources taken while the bind is in flight.
  if (kubepp::Status as = cache_.AssumePod(info, result.suggested_host); !as.IsOk()) {
    metrics_.errors.fetch_add(1, std::memory_order_relaxed);
    HandleFailure(std::move(qpi), cycle, "SchedulerError", as.Message(), std::nullopt);
    return;
  }
  // Placed: its nomination (if any) has served (upstream's assume).
  queue_.GetNominator().DeleteNominatedPodIfExists(*pod);
  Status rs = fw.RunReservePluginsReserve(*state, *info, result.suggested_host);
  std::chrono::milliseconds permit_timeout{0};
  if (rs.IsSuccess()) {
    rs = fw.RunPermitPlugins(*state, *info, result.suggested_host, permit_timeout);
    if (rs.IsWait()) {
      // No plugin kubepp ships waits; a waiting pod would need upstream's waitingPods map.
      rs = Status::Error("Permit plugins asked to wait, which kubepp does not support yet");
    }
  }
  if (!rs.IsSuccess()) {
    fw.RunReservePluginsUnreserve(*state, *info, result.suggested_host);
    (void)cache_.ForgetPod(key);
    bool rejected = rs.IsRejected();
    if (rejected) qpi.unschedulable_plugins.insert(rs.Plugin());
    (rejected ? metrics_.unschedulable : metrics_.errors).fetch_add(1, std::memory_order_relaxed);
    HandleFailure(std::move(qpi), cycle, rejected ? "Unschedulable" : "SchedulerError",
                  rs.Message(), std::nullopt);
    return;
  }

  auto job = std::make_shared<BindJob>();
  job->framework = &fw;
  job->state = std::move(state);
  job->pod = std::move(info);
  job->node = result.suggested_host;
  job->qpi = std::move(qpi);
  job->cycle = cycle;
  job->start = start;
  job->profile = &profile;
  {
    // Back-pressure: binding is the slow part; at most max_in_flight_bindings at once.
    std::unique_lock lock(bind_mu_);
    bind_cv_.wait(
        lock, [this] { return in_flight_ < options_.max_in_flight_bindings || stopped_.load(); });
    ++in_flight_;
  }
  async::Gate::Holder hold = gate_.TryEnter();
  if (!hold || stopped_.load()) {  // stopping
    fw.RunReservePluginsUnreserve(*job->state, *job->pod, job->node);
    (void)cache_.ForgetPod(key);
    EndBinding();
    return;
  }
  async::asio::co_spawn(runtime_.Executor(), BindingCycle(std::move(hold), std::move(job)),
                        async::asio::detached);
}

void Scheduler::EndBinding() {
  {
    std::lock_guard lock(bind_mu_);
    --in_flight_;
  }
  bind_cv_.notify_one();
}

async::Task<void> Scheduler::BindingCycle(async::Gate::Holder hold, std::shared_ptr<BindJob> job) {
  Framework& fw = *job->framework;
  const PodInfo& pod = *job->pod;
  Status s;
  if (job->profile->has_pre_bind) {
    auto prebind = [&fw, job] { return fw.RunPreBindPlugins(*job->state, *job->pod, job->node); };
    s = co_await async::RunBlocking(blocking_, std::move(prebind));
  }
  if (s.IsSuccess()) {
    if (DefaultBinder* binder = job->profile->binder; binder != nullptr) {
      // DefaultBinder (the usual case): await the API call instead of blocking a thread.
      std::shared_ptr<const api::Pod> p = job->pod->pod;
      std::string node = job->node;
      kubepp::Status bs = co_await binder->BindAsync(std::move(p), std::move(node));
      if (!bs.IsOk()) s = Status::Error(bs.Message());
    } else {
      auto bind = [&fw, job] { return fw.RunBindPlugins(*job->state, *job->pod, job->node); };
      s = co_await async::RunBlocking(blocking_, std::move(bind));
      if (s.IsSkip()) s = Status::Error("no bind plugin bound the pod");
    }
  }
  std::string key = pod.key;
  if (s.IsSuccess()) {
    cache_.FinishBinding(key);
    fw.RunPostBindPlugins(*job->state, pod, job->node);
    metrics_.scheduled.fetch_add(1, std::memory_order_relaxed);
    metrics_.ObserveLatency(clock_.Now() - job->start);
    recorder_->Event(pod.Pod(), client::kEventTypeNormal, "Scheduled",
                     "Successfully assigned " + pod.Pod().metadata.namespace_ + "/" +
                         pod.Pod().metadata.name + " to " + job->node);
    EndBinding();
    co_return;
  }
  EndBinding();
  // upstream's handleBindingCycleError: give the resources back and let waiting pods retry.
  fw.RunReservePluginsUnreserve(*job->state, pod, job->node);
  if (cache_.ForgetPod(key).IsOk()) {
    queue_.MoveAllToActiveOrBackoffQueue(AssignedPodDeleteEvent());
  }
  metrics_.errors.fetch_add(1, std::memory_order_relaxed);
  KLOG_V(1, "scheduler: binding {}/{} to {} failed: {}", pod.Pod().metadata.namespace_,
         pod.Pod().metadata.name, job->node, s.Message());
  HandleFailure(std::move(job->qpi), job->cycle, "SchedulerError",
                "binding rejected: " + s.Message(), std::nullopt);
  hold.Release();
}

void Scheduler::HandleFailure(QueuedPodInfo qpi, int64_t cycle, const std::string& reason,
                              const std::string& message,
                              std::optional<std::string> nominated_node) {
  // The pod as the informer has it now: gone or bound meanwhile means nothing to do.
  const api::Pod& old = *qpi.pod;
  auto pod = pods_.GetLister().Get(old.metadata.namespace_, old.metadata.name);
  if (pod == nullptr || pod->metadata.uid != old.metadata.uid) {
    KLOG_V(2, "scheduler: pod {}/{} doesn't exist in the informer cache", old.metadata.namespace_,
           old.metadata.name);
    return;
  }
  if (Assigned(*pod)) return;
  if (nominated_node.has_value()) {
    // Preemption decided (upstream's AddNominatedPod with the PostFilter's NominatingInfo): the
    // pod waits for its victims on that node, or its nomination is dropped.
    Nominator& nominator = queue_.GetNominator();
    if (nominated_node->empty()) {
      nominator.DeleteNominatedPodIfExists(*pod);
    } else {
      nominator.AddNominatedPod(PodInfo::Make(pod), *nominated_node);
    }
  }
  qpi.pod = pod;
  queue_.AddUnschedulableIfNotPresent(std::move(qpi), cycle);
  recorder_->Event(*pod, client::kEventTypeWarning, "FailedScheduling", message);

  // PodScheduled=False with the message, unless it says that already (upstream's updatePod).
  bool same = false;
  for (const auto& c : pod->status.conditions) {
    if (c.type == kPodScheduled) {
      same = c.status == "False" && c.reason == reason && c.message == message;
    }
  }
  if (same && (!nominated_node.has_value() || pod->status.nominatedNodeName == *nominated_node)) {
    return;
  }
  async::Gate::Holder hold = gate_.TryEnter();
  if (!hold) return;
  async::asio::co_spawn(runtime_.Executor(),
                        UpdatePodCondition(std::move(hold), pod, reason, message, nominated_node),
                        async::asio::detached);
}

async::Task<void> Scheduler::UpdatePodCondition(async::Gate::Holder hold,
                                                std::shared_ptr<const api::Pod> pod,
                                                std::string reason, std::string message,
                                                std::optional<std::string> nominated_node) {
  std::string transition = FormatRfc3339(clock_.WallNow());
  for (const auto& c : pod->status.conditions) {
    if (c.type == kPodScheduled && c.status == "False" && !c.lastTransitionTime.empty()) {
      transition = c.lastTransitionTime;
    }
  }
  boost::json::object cond;
  cond["type"] = kPodScheduled;
  cond["status"] = "False";
  cond["lastProbeTime"] = nullptr;
  cond["lastTransitionTime"] = transition;
  cond["reason"] = reason;
  cond["message"] = message;
  boost::json::object status;
  status["conditions"] = boost::json::array{std::move(cond)};
  if (nominated_node.has_value() && pod->status.nominatedNodeName != *nominated_node) {
    if (nominated_node->empty()) {
      status["nominatedNodeName"] = nullptr;
    } else {
      status["nominatedNodeName"] = *nominated_node;
    }
  }
  boost::json::object patch;
  patch["status"] = std::move(status);
  client::ObjectPath path{client::ResourceOf<api::Pod>(), pod->metadata.namespace_,
                          pod->metadata.name, "status"};
  std::string body = boost::json::serialize(patch);
  client::PatchOptions opts;
  auto res = co_await client_.Patch(std::move(path), client::PatchType::kStrategicMerge,
                                    std::move(body), std::move(opts));
  if (!res.IsOk() && res.status().Code() != kubepp::StatusCode::kNotFound) {
    KLOG_V(1, "scheduler: updating the PodScheduled condition of {}/{}: {}",
           pod->metadata.namespace_, pod->metadata.name, res.status().ToString());
  }
  hold.Release();
}

// ---- introspection

std::string Scheduler::MetricsText() const {
  std::string out;
  out +=
      "# HELP scheduler_schedule_attempts_total Number of attempts to schedule pods, by the "
      "result.\n# TYPE scheduler_schedule_attempts_total counter\n";
  for (const auto& [result, value] : {std::pair{"scheduled", metrics_.scheduled.load()},
                                      std::pair{"unschedulable", metrics_.unschedulable.load()},
                                      std::pair{"error", metrics_.errors.load()}}) {
    out += fmt::format("scheduler_schedule_attempts_total{{result=\"{}\"}} {}\n", result, value);
  }
  out +=
      "# HELP scheduler_pod_scheduling_sli_duration_seconds E2e latency for a pod being "
      "scheduled, from the time the pod enters the scheduling queue.\n"
      "# TYPE scheduler_pod_scheduling_sli_duration_seconds histogram\n";
  uint64_t cumulative = 0;
  double bound = 0.01;
  for (size_t i = 0; i < SchedulerMetrics::kBuckets; ++i, bound *= 2) {
    cumulative += metrics_.latency_buckets[i].load();
    out += fmt::format("scheduler_pod_scheduling_sli_duration_seconds_bucket{{le=\"{}\"}} {}\n",
                       bound, cumulative);
  }
  cumulative += metrics_.latency_buckets[SchedulerMetrics::kBuckets].load();
  out += fmt::format("scheduler_pod_scheduling_sli_duration_seconds_bucket{{le=\"+Inf\"}} {}\n",
                     cumulative);
  out += fmt::format("scheduler_pod_scheduling_sli_duration_seconds_sum {}\n",
                     static_cast<double>(metrics_.latency_sum_us.load()) / 1e6);
  out += fmt::format("scheduler_pod_scheduling_sli_duration_seconds_count {}\n",
                     metrics_.latency_count.load());
  QueueSizes q = queue_.Sizes();
  out +=
      "# HELP scheduler_pending_pods Number of pending pods, by the queue type.\n"
      "# TYPE scheduler_pending_pods gauge\n";
  out += fmt::format("scheduler_pending_pods{{queue=\"active\"}} {}\n", q.active);
  out += fmt::format("scheduler_pending_pods{{queue=\"backoff\"}} {}\n", q.backoff);
  out += fmt::format("scheduler_pending_pods{{queue=\"unschedulable\"}} {}\n", q.unschedulable);
  out += fmt::format("scheduler_pending_pods{{queue=\"gated\"}} {}\n", q.gated);
  return out;
}

std::vector<std::string> Scheduler::Describe() const {
  std::vector<std::string> out;
  for (const auto& [name, profile] : profiles_) {
    for (const auto& [point, names] : profile.framework->ListPlugins()) {
      std::string line = name;
      line += ' ';
      line += point;
      line += ':';
      for (const auto& n : names) {
        line += ' ';
        line += n;
      }
      out.push_back(std::move(line));
    }
  }
  return out;
}

}  // namespace kubepp::scheduler
