#include "client/workqueue.h"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <unordered_set>

namespace kubepp::client {

namespace asio = async::asio;

namespace {
// A Get() waiting for an item: its completion handler and the executor to resume it on.
// (any_completion_executor cannot be posted to in Boost 1.81, so the coroutine's own executor is
// kept beside the type-erased handler.)
struct Parked {
  asio::any_io_executor ex;
  asio::any_completion_handler<void()> handler;
};
void Resume(Parked p) {
  asio::post(p.ex, [h = std::move(p.handler)]() mutable { std::move(h)(); });
}
}  // namespace

struct WorkQueue::State {
  State(const asio::any_io_executor& ex, std::unique_ptr<RateLimiter> l, const Clock& c)
      : strand(asio::make_strand(ex)), timer(strand), limiter(std::move(l)), clock(c) {}

  asio::any_io_executor strand;          // runs the delay timer
  asio::steady_timer timer;              // fires at the earliest delayed item (strand only)
  std::unique_ptr<RateLimiter> limiter;  // for AddRateLimited
  const Clock& clock;                    // decides when delayed items are due

  mutable std::mutex mu;                       // guards everything below
  std::condition_variable drained;             // processing became empty (ShutDownWithDrain)
  std::deque<std::string> queue;               // ready items, in order
  std::unordered_set<std::string> dirty;       // items that need processing
  std::unordered_set<std::string> processing;  // items handed out, not yet Done
  std::map<std::string, Clock::TimePoint> waiting_at;    // delayed item -> due time
  std::multimap<Clock::TimePoint, std::string> waiting;  // due time -> delayed item
  std::deque<Parked> parked;                             // Get()s waiting for an item
  bool shutting_down = false;                            // ShutDown was called
  Clock::TimePoint armed_for = Clock::TimePoint::max();  // what the timer waits for

  // Adds `item` (upstream's Add). Returns a parked Get to wake, if any. Requires mu.
  std::optional<Parked> AddLocked(const std::string& item) {
    if (shutting_down || dirty.count(item) != 0) return std::nullopt;
    dirty.insert(item);
    if (processing.count(item) != 0) return std::nullopt;
    queue.push_back(item);
    return TakeParkedLocked();
  }
  std::optional<Parked> TakeParkedLocked() {
    if (parked.empty()) return std::nullopt;
    auto h = std::move(parked.front());
    parked.pop_front();
    return h;
  }
  // Moves due delayed items into the queue; collects Gets to wake. Requires mu.
  void MoveReadyLocked(std::vector<Parked>& wake) {
    auto now = clock.Now();
    while (!waiting.empty() && waiting.begin()->first <= now) {
      std::string item = waiting.begin()->second;
      waiting.erase(waiting.begin());
      waiting_at.erase(item);
      if (auto h = AddLocked(item)) wake.push_back(std::move(*h));
    }
  }
  static void Wake(std::vector<Parked>& wake) {
    for (auto& p : wake) Resume(std::move(p));
    wake.clear();
  }
};

namespace {

using StatePtr = std::shared_ptr<WorkQueue::State>;

void ArmTimer(const StatePtr& s);

// On the strand: moves due items, then waits for the next one.
void OnTimer(const StatePtr& s) {
  std::vector<Parked> wake;
  {
    std::lock_guard lock(s->mu);
    s->armed_for = Clock::TimePoint::max();
    s->MoveReadyLocked(wake);
  }
  WorkQueue::State::Wake(wake);
  ArmTimer(s);
}

// On the strand: points the timer at the earliest delayed item.
void ArmTimer(const StatePtr& s) {
  Clock::Duration delay;
  {
    std::lock_guard lock(s->mu);
    if (s->waiting.empty() || s->shutting_down) return;
    auto due = s->waiting.begin()->first;
    if (due >= s->armed_for) return;  // already armed for something at least as early
    s->armed_for = due;
    delay = due - s->clock.Now();
  }
  s->timer.expires_after(std::max(delay, Clock::Duration(0)));
  s->timer.async_wait([s](const boost::system::error_code& ec) {
    if (ec == asio::error::operation_aborted) return;  // re-armed or shut down
    OnTimer(s);
  });
}

// The initiation of a parked Get: one pointer, trivially copyable (GCC 12, see run_on.h).
struct ParkInit {
  WorkQueue::State* state;
  template <typename Handler>
  void operator()(Handler handler) const {
    asio::any_io_executor ex = asio::get_associated_executor(handler);
    Parked p{std::move(ex), asio::any_completion_handler<void()>(std::move(handler))};
    std::unique_lock lock(state->mu);
    if (!state->queue.empty() || state->shutting_down) {
      lock.unlock();
      Resume(std::move(p));
      return;
    }
    state->parked.push_back(std::move(p));
  }
};

}  // namespace

WorkQueue::WorkQueue(asio::any_io_executor ex, std::unique_ptr<RateLimiter> limiter,
                     const Clock& clock)
    : state_(std::make_shared<State>(std::move(ex), std::move(limiter), clock)) {}

WorkQueue::~WorkQueue() {
  ShutDown();
  // The timer belongs to the strand: cancel it there. Handlers keep the state alive.
  asio::post(state_->strand, [s = state_] { s->timer.cancel(); });
}

void WorkQueue::Add(const std::string& item) {
  std::optional<Parked> wake;
  {
    std::lock_guard lock(state_->mu);
    wake = state_->AddLocked(item);
  }
  if (wake) Resume(std::move(*wake));
}

void WorkQueue::AddAfter(const std::string& item, Clock::Duration delay) {
  if (delay <= Clock::Duration(0)) {
    Add(item);
    return;
  }
  bool rearm = false;
  {
    std::lock_guard lock(state_->mu);
    if (state_->shutting_down) return;
    auto due = state_->clock.Now() + delay;
    auto it = state_->waiting_at.find(item);
    if (it != state_->waiting_at.end()) {
      if (it->second <= due) return;  // the earlier time wins
      auto range = state_->waiting.equal_range(it->second);
      for (auto w = range.first; w != range.second; ++w) {
        if (w->second == item) {
          state_->waiting.erase(w);
          break;
        }
      }
      it->second = due;
    } else {
      state_->waiting_at.emplace(item, due);
    }
    state_->waiting.emplace(due, item);
    rearm = due < state_->armed_for;
  }
  if (rearm) {
    asio::post(state_->strand, [s = state_] {
      {
        std::lock_guard lock(s->mu);
        s->armed_for = Clock::TimePoint::max();
      }
      s->timer.cancel();
      ArmTimer(s);
    });
  }
}

void WorkQueue::AddRateLimited(const std::string& item) {
  AddAfter(item, state_->limiter->When(item));
}

void WorkQueue::Forget(const std::string& item) { state_->limiter->Forget(item); }

int WorkQueue::NumRequeues(const std::string& item) { return state_->limiter->NumRequeues(item); }

async::Task<std::optional<std::string>> WorkQueue::Get() {
  StatePtr s = state_;  // keeps the state alive while parked
  while (true) {
    std::vector<Parked> wake;
    std::optional<std::string> out;
    bool done = false;
    {
      std::lock_guard lock(s->mu);
      s->MoveReadyLocked(wake);
      if (!s->queue.empty()) {
        out = std::move(s->queue.front());
        s->queue.pop_front();
        s->processing.insert(*out);
        s->dirty.erase(*out);
        done = true;
      } else if (s->shutting_down) {
        done = true;
      }
    }
    State::Wake(wake);
    if (done) co_return out;
    co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(ParkInit{s.get()},
                                                                         asio::use_awaitable);
  }
}

std::optional<std::string> WorkQueue::TryGet() {
  std::vector<Parked> wake;
  std::optional<std::string> out;
  {
    std::lock_guard lock(state_->mu);
    state_->MoveReadyLocked(wake);
    if (!state_->queue.empty()) {
      out = std::move(state_->queue.front());
      state_->queue.pop_front();
      state_->processing.insert(*out);
      state_->dirty.erase(*out);
    }
  }
  State::Wake(wake);
  return out;
}

void WorkQueue::Done(const std::string& item) {
  std::optional<Parked> wake;
  {
    std::lock_guard lock(state_->mu);
    state_->processing.erase(item);
    if (state_->dirty.count(item) != 0) {
      state_->queue.push_back(item);
      wake = state_->TakeParkedLocked();
    }
    if (state_->processing.empty()) state_->drained.notify_all();
  }
  if (wake) Resume(std::move(*wake));
}

void WorkQueue::ShutDown() {
  std::deque<Parked> parked;
  {
    std::lock_guard lock(state_->mu);
    state_->shutting_down = true;
    state_->waiting.clear();
    state_->waiting_at.clear();
    parked.swap(state_->parked);
  }
  for (auto& p : parked) Resume(std::move(p));
}

void WorkQueue::ShutDownWithDrain() {
  ShutDown();
  std::unique_lock lock(state_->mu);
  state_->drained.wait(lock, [this] { return state_->processing.empty(); });
}

bool WorkQueue::ShuttingDown() const {
  std::lock_guard lock(state_->mu);
  return state_->shutting_down;
}

size_t WorkQueue::Len() const {
  std::vector<Parked> wake;
  size_t n = 0;
  {
    std::lock_guard lock(state_->mu);
    state_->MoveReadyLocked(wake);
    n = state_->queue.size();
  }
  State::Wake(wake);
  return n;
}

size_t WorkQueue::Waiting() const {
  std::lock_guard lock(state_->mu);
  return state_->waiting.size();
}

}  // namespace kubepp::client
