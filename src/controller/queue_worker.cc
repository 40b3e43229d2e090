#include "controller/queue_worker.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "async/timer.h"
#include "base/log.h"

namespace kubepp::controller {

namespace asio = async::asio;

namespace {
// How often a worker checks whether the caches have synced.
constexpr std::chrono::milliseconds kSyncPollInterval{50};
}  // namespace

QueueWorkers::QueueWorkers(std::string name, asio::any_io_executor ex,
                           std::unique_ptr<client::RateLimiter> limiter, const Clock& clock,
                           SyncFunc sync)
    : name_(std::move(name)),
      ex_(std::move(ex)),
      queue_(ex_, std::move(limiter), clock),
      sync_(std::move(sync)) {}

QueueWorkers::~QueueWorkers() { Stop(); }

void QueueWorkers::Start(int workers, std::function<bool()> synced) {
  KUBEPP_CHECK(!started_.exchange(true), "QueueWorkers {} started twice", name_);
  synced_ = std::move(synced);
  for (int i = 0; i < workers; ++i) {
    auto hold = gate_.TryEnter();
    if (!hold) return;
    asio::co_spawn(ex_, Worker(std::move(hold)), asio::detached);
  }
}

void QueueWorkers::Stop() {
  queue_.ShutDown();
  gate_.Close();
  gate_.Wait();
}

async::Task<void> QueueWorkers::Worker(async::Gate::Holder hold) {
  while (synced_ && !synced_()) {
    if (gate_.IsClosed()) co_return;
    co_await async::Sleep(kSyncPollInterval);
  }
  while (true) {
    auto key = co_await queue_.Get();
    if (!key) break;
    auto task = sync_(*key);
    SyncResult result = co_await std::move(task);
    if (!result.status.IsOk()) {
      KLOG_V(2, "{} controller: syncing {} failed (retrying): {}", name_, *key,
             result.status.ToString());
      queue_.AddRateLimited(*key);
    } else if (result.requeue_after) {
      queue_.AddAfter(*key, *result.requeue_after);
    } else {
      queue_.Forget(*key);
    }
    queue_.Done(*key);
    syncs_.fetch_add(1);
  }
  hold.Release();
}

}  // namespace kubepp::controller
