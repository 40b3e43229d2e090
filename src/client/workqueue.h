// WorkQueue: client-go's rate-limiting work queue of keys ("namespace/name") for controllers.
//
// Semantics (upstream's workqueue.Type + DelayingQueue + RateLimitingQueue):
// - Dedupe: an item added several times before a worker takes it is processed once.
// - Never two workers on one item: an item is "processing" from Get() until Done(); adding it
//   meanwhile marks it dirty, and Done() puts it back in the queue once.
// - AddAfter(item, d): the item is added after d (an earlier AddAfter of the same item wins).
// - AddRateLimited(item): AddAfter(item, limiter.When(item)); Forget(item) resets its back-off;
//   NumRequeues(item) counts its retries.
// - ShutDown(): new adds are ignored, delayed items dropped; Get() hands out what is still queued
//   and then returns nullopt. ShutDownWithDrain() also waits until every item taken is Done().
//
// Threading: every method is thread-safe. Get() is a coroutine (any executor); a waiting Get()
// costs a parked handler, not a thread. Delayed items are moved into the queue by a timer on
// `ex` (and by every Get/TryGet/Len, which is how FakeClock tests drive them).
//
// A worker:
//   while (auto key = co_await queue.Get()) {
//     Status s = co_await Sync(*key);
//     if (s.IsOk()) queue.Forget(*key); else queue.AddRateLimited(*key);
//     queue.Done(*key);
//   }
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "async/runtime.h"
#include "base/clock.h"
#include "client/rate_limiter.h"

namespace kubepp::client {

class WorkQueue {
 public:
  WorkQueue(async::asio::any_io_executor ex, std::unique_ptr<RateLimiter> limiter,
            const Clock& clock = Clock::Real());
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  void Add(const std::string& item);
  void AddAfter(const std::string& item, Clock::Duration delay);
  void AddRateLimited(const std::string& item);
  void Forget(const std::string& item);
  int NumRequeues(const std::string& item);

  // The next item, marked processing; nullopt once shut down and empty.
  async::Task<std::optional<std::string>> Get();
  // Get() without waiting: nullopt when nothing is ready now.
  std::optional<std::string> TryGet();
  // The worker finished `item`.
  void Done(const std::string& item);

  void ShutDown();
  // ShutDown() and wait until every item handed out is Done(). Call from a non-io thread.
  void ShutDownWithDrain();
  bool ShuttingDown() const;

  // Items ready to be handed out.
  size_t Len() const;
  // Items waiting for their AddAfter time.
  size_t Waiting() const;

  struct State;  // shared with timer handlers and parked Get()s

 private:
  std::shared_ptr<State> state_;  // everything; outlives the queue while handlers hold it
};

}  // namespace kubepp::client
