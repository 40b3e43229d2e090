// QueueWorkers: the controller loop — a rate-limited WorkQueue of keys and N workers that call
// Sync(key) (upstream's `for processNextWorkItem() {}` goroutines).
//
//   QueueWorkers workers("namespace", ex, DefaultControllerRateLimiter(clock), clock, sync);
//   informer.AddEventHandler({.on_add = [&](auto& ns) { workers.Queue().Add(Key(ns)); }});
//   workers.Start(10, [&] { return informer.HasSynced(); });
//   ...
//   workers.Stop();
//
// A Sync's outcome decides what happens to its key:
// - OK: Forget (the key's back-off starts over).
// - `requeue_after` set: the key comes back after that long (a wait the sync asked for, e.g.
//   "content remains, look again in 8 s"); its back-off is kept.
// - an error: AddRateLimited (per-item exponential back-off).
// The queue never hands one key to two workers, so a Sync may assume it is alone on its key.
//
// Threading: workers are coroutines on `ex` (a multi-threaded io_context: Syncs of different
// keys run in parallel and must be thread-safe). Start() once, after the informers feeding the
// queue were created; workers wait until `synced()` holds before taking keys. Stop() from a
// non-io thread: shuts the queue down and waits for every worker (a Sync in flight finishes).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "async/gate.h"
#include "async/runtime.h"
#include "base/clock.h"
#include "base/status.h"
#include "client/rate_limiter.h"
#include "client/workqueue.h"

namespace kubepp::controller {

// What a Sync asks of the queue.
struct SyncResult {
  Status status;                                 // not OK: retry with back-off
  std::optional<Clock::Duration> requeue_after;  // OK but look again after this long
};

class QueueWorkers {
 public:
  using SyncFunc = std::function<async::Task<SyncResult>(std::string key)>;

  QueueWorkers(std::string name, async::asio::any_io_executor ex,
               std::unique_ptr<client::RateLimiter> limiter, const Clock& clock, SyncFunc sync);
  ~QueueWorkers();
  QueueWorkers(const QueueWorkers&) = delete;
  QueueWorkers& operator=(const QueueWorkers&) = delete;

  client::WorkQueue& Queue() { return queue_; }
  // Starts `workers` workers; they take keys once `synced()` is true.
  void Start(int workers, std::function<bool()> synced);
  // Shuts the queue down and waits for the workers. Idempotent.
  void Stop();
  // Syncs finished so far (tests, logs).
  uint64_t Syncs() const { return syncs_.load(); }

 private:
  async::Task<void> WaitForSync(async::Gate::Holder hold, int workers);
  async::Task<void> Worker(async::Gate::Holder hold);

  std::string name_;                  // for logs
  async::asio::any_io_executor ex_;   // where workers run
  client::WorkQueue queue_;           // the keys
  SyncFunc sync_;                     // the reconcile function
  std::function<bool()> synced_;      // caches ready
  async::Gate gate_;                  // workers in flight
  std::atomic<uint64_t> syncs_{0};    // Syncs finished
  std::atomic<bool> started_{false};  // Start() ran
};

}  // namespace kubepp::controller
