// Scheduler: `kubepp scheduler`'s engine (upstream's pkg/scheduler: scheduler.go,
// schedule_one.go, eventhandlers.go). Watches pods and nodes through informers, keeps the
// Cache and the SchedulingQueue in step with them, and places pods one at a time:
//
//   scheduling thread:  Pop -> snapshot -> Filter/Score (framework) -> assume in the cache
//                       -> Reserve -> Permit -> hand the pod to a binding cycle -> next pod
//   binding cycle:      PreBind -> Bind (POST pods/<name>/binding) -> PostBind, a coroutine on
//                       the io threads, many in flight; a failure forgets the assumed pod.
//
// A pod that fits nowhere gets upstream's answer: an event FailedScheduling ("0/3 nodes are
// available: ...") and the condition PodScheduled=False, reason Unschedulable, and waits in the
// queue's unschedulable pods until a cluster event may make it fit. A bound pod gets the event
// Scheduled ("Successfully assigned ns/name to node").
//
// Pods are ours when spec.schedulerName names one of the profiles; others are left alone.
//
//   client::SharedInformerFactory informers(client, ex);
//   auto s = Scheduler::New(runtime, client, informers, options);   // adds its informers
//   informers.Start();
//   (*s)->Start();      // waits for the caches, then schedules
//   ...
//   (*s)->Stop();       // before the informers stop
//
// Threading: informer handlers run on the informers' strands and only touch the queue and cache
// (both thread-safe). The scheduling thread is a plain thread (cycles are CPU work; Bind may
// block). Start()/Stop() from a non-io thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "async/gate.h"
#include "async/runtime.h"
#include "base/clock.h"
#include "base/status.h"
#include "client/event_recorder.h"
#include "client/informer.h"
#include "client/rest_client.h"
#include "scheduler/cache/cache.h"
#include "scheduler/framework/framework.h"
#include "scheduler/framework/registry.h"
#include "scheduler/framework/schedule_one.h"
#include "scheduler/queue/scheduling_queue.h"

namespace kubepp::scheduler {

class DefaultBinder;

inline constexpr char kDefaultSchedulerName[] = "default-scheduler";

struct SchedulerOptions {
  // The profiles; empty: one default-scheduler profile with DefaultSchedulerProfile()'s plugins.
  std::vector<KubeSchedulerProfile> profiles;
  int32_t percentage_of_nodes_to_score = 0;  // 0: adaptive
  Clock::Duration pod_initial_backoff = std::chrono::seconds(1);
  Clock::Duration pod_max_backoff = std::chrono::seconds(10);
  // How often back-off / unschedulable pods are flushed (upstream: 1 s and 30 s).
  Clock::Duration backoff_flush_period = std::chrono::seconds(1);
  Clock::Duration unschedulable_flush_period = std::chrono::seconds(30);
  // Assumed pods whose binding finished but were never confirmed expire after this (0: never,
  // upstream's default).
  Clock::Duration assumed_pod_ttl = Clock::Duration::zero();
  std::string instance;  // reportingInstance of events (the host name); "" = this host
  // Binding cycles in flight at most; the scheduling thread waits for a free slot (each holds
  // an HTTP connection: keep the client's max_idle_connections at least this high).
  int max_in_flight_bindings = 64;
  // Extra plugins (out of tree) next to the in-tree ones and the scheduler's own.
  Registry extra_plugins;
};

// The default-scheduler profile: upstream's default plugins that kubepp has (SchedulingGates,
// PrioritySort, the in-tree filters and scores with upstream's weights, DefaultBinder).
KubeSchedulerProfile DefaultSchedulerProfile();
// The default args of the plugins that take args (what a configuration file's profiles get for
// plugins it gives no args for).
std::vector<PluginConfig> DefaultPluginArgs();
// Every plugin the scheduler can build: the in-tree ones plus SchedulingGates, PrioritySort and
// DefaultBinder (bound to `client`).
Registry SchedulerRegistry(client::RestClient& client, const async::asio::any_io_executor& ex);
// Which cluster events each plugin reacts to (upstream's EventsToRegister), for the queue.
std::map<std::string, std::vector<ClusterEvent>> PluginEvents();

// Counters for /metrics (upstream's scheduler_schedule_attempts_total{result},
// scheduler_pod_scheduling_sli_duration_seconds, scheduler_pending_pods{queue}).
struct SchedulerMetrics {
  // Upper bounds (seconds) of the e2e latency histogram: 0.01 * 2^i, i = 0..19 (upstream's).
  static constexpr size_t kBuckets = 20;
  std::atomic<uint64_t> scheduled{0};      // attempts that ended bound
  std::atomic<uint64_t> unschedulable{0};  // attempts no node fitted
  std::atomic<uint64_t> errors{0};         // attempts that failed otherwise (incl. bind errors)
  std::array<std::atomic<uint64_t>, kBuckets + 1> latency_buckets{};  // last = +Inf
  std::atomic<uint64_t> latency_count{0};
  std::atomic<uint64_t> latency_sum_us{0};  // microseconds
  void ObserveLatency(Clock::Duration d);
};

class Scheduler {
 public:
  // Builds one framework per profile (Invalid for an unknown plugin or bad args, duplicate
  // schedulerName) and registers the informers it needs with `informers`.
  static Result<std::unique_ptr<Scheduler>> New(async::Runtime& runtime, client::RestClient& client,
                                                client::SharedInformerFactory& informers,
                                                SchedulerOptions options,
                                                const Clock& clock = Clock::Real());
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Starts the scheduling thread (it first waits for the informers to sync) and the flushes.
  void Start();
  // Stops scheduling, waits for binding cycles in flight and flushes events. Idempotent.
  void Stop();

  const SchedulerMetrics& Metrics() const { return metrics_; }
  QueueSizes PendingPods() const { return queue_.Sizes(); }
  CacheSizes CacheCounts() const { return cache_.Sizes(); }
  // The metrics in the Prometheus text format.
  std::string MetricsText() const;
  // The profiles' plugins (for logs): profile -> point -> names.
  std::vector<std::string> Describe() const;

 private:
  class Listers;
  class Preemptor;
  struct Profile {
    std::unique_ptr<Framework> framework;
    NodeCursor cursor;                // where the next search starts
    bool has_pre_bind = false;        // any PreBind plugin
    DefaultBinder* binder = nullptr;  // the first Bind plugin when it is DefaultBinder
  };
  struct BindJob;

  Scheduler(async::Runtime& runtime, client::RestClient& client,
            client::SharedInformerFactory& informers, SchedulerOptions options, const Clock& clock);
  kubepp::Status Init();
  void AddEventHandlers();
  bool Responsible(const api::Pod& pod) const;
  void Loop();
  void ScheduleOne(QueuedPodInfo qpi);
  // `nominated_node`: what preemption decided about the pod's nomination (nullopt: unchanged,
  // "": cleared, else the node).
  void HandleFailure(QueuedPodInfo qpi, int64_t cycle, const std::string& reason,
                     const std::string& message, std::optional<std::string> nominated_node);
  async::Task<void> BindingCycle(async::Gate::Holder hold, std::shared_ptr<BindJob> job);
  async::Task<void> UpdatePodCondition(async::Gate::Holder hold,
                                       std::shared_ptr<const api::Pod> pod, std::string reason,
                                       std::string message,
                                       std::optional<std::string> nominated_node);
  void FlushLoop();
  void EndBinding();  // a binding cycle's slot is free

  async::Runtime& runtime_;                          // io threads
  client::RestClient& client_;                       // API access
  client::SharedInformerFactory& informers_;         // shared informers
  SchedulerOptions options_;                         // settings
  const Clock& clock_;                               // time
  std::unique_ptr<Listers> listers_;                 // plugins' view of other objects
  std::unique_ptr<Preemptor> preemptor_;             // preemption's API calls
  Cache cache_;                                      // nodes and their pods
  SchedulingQueue queue_;                            // pods waiting
  std::map<std::string, Profile> profiles_;          // by schedulerName
  std::unique_ptr<client::EventRecorder> recorder_;  // Scheduled / FailedScheduling
  client::Informer<api::Pod> pods_;                  // every pod
  client::Informer<api::Node> nodes_;                // every node
  Snapshot snapshot_;                                // scheduling thread only
  std::mt19937_64 rng_;                              // ties (scheduling thread only)
  SchedulerMetrics metrics_;                         // counters
  async::BlockingPool blocking_{4};                  // PreBind/Bind plugins that block
  async::Gate gate_;                                 // binding cycles and status writes in flight
  std::thread thread_;                               // scheduling loop
  std::thread flush_thread_;                         // back-off / unschedulable flushes
  std::mutex flush_mu_;                              // guards stopping_ for flush_cv_
  std::condition_variable flush_cv_;                 // wakes the flush loop on Stop
  bool stopping_ = false;                            // guarded by flush_mu_
  std::mutex bind_mu_;                               // guards in_flight_
  std::condition_variable bind_cv_;                  // a binding cycle ended
  int in_flight_ = 0;                                // binding cycles running
  std::atomic<bool> started_{false};
  std::atomic<bool> stopped_{false};
};

}  // namespace kubepp::scheduler
