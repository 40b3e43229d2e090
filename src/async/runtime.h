// The coroutine runtime: one io_context per process, run by a few threads, plus a bounded
// blocking pool for work that would stall an io thread (SQLite, fsync, iptables-restore,
// synchronous gRPC, file I/O).
//
// Rules (see STYLE.md "Concurrency"):
// - io threads never block; blocking work goes through `co_await RunBlocking(pool, fn)`.
// - Coroutines take parameters by value; coroutine lambdas capture nothing.
// - Stateful components own a strand and are written as single-threaded.
// - Asio calls use `as_tuple(use_awaitable)`: errors are values, not exceptions.
// - GCC 12: no capturing lambda (or other temporary with a destructor) inside a co_await
//   full-expression; name it first (`auto fn = [..]{..}; co_await RunBlocking(pool,
//   std::move(fn));`). GCC destroys such temporaries twice (asio issue #1007). Same for `?:` around
//   co_await.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

namespace kubepp::async {

namespace asio = boost::asio;

template <typename T>
using Task = asio::awaitable<T>;

constexpr auto kUseAwaitable = asio::as_tuple(asio::use_awaitable);

// Runtime: the process's io_context and the threads that run it.
// Start() once, Stop() once (from any thread); the destructor stops and joins.
class Runtime {
 public:
  explicit Runtime(int io_threads = 1);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Starts the io threads. The io_context stays alive (work guard) until Stop().
  void Start();
  // Stops the io_context and joins its threads. Idempotent.
  void Stop();
  // Blocks the calling thread until SIGINT or SIGTERM arrives (or Stop() is called).
  // Returns the signal number, or 0 when stopped.
  int WaitForSignal();

  asio::io_context& Context() { return io_; }
  asio::any_io_executor Executor() { return io_.get_executor(); }

 private:
  asio::io_context io_;               // the one event loop
  int io_threads_;                    // how many threads run io_
  std::vector<std::thread> threads_;  // the io threads, while started
  bool started_ = false;              // Start() was called
  std::mutex mu_;                     // guards signal_
  std::condition_variable cv_;        // signalled when signal_ is set
  int signal_ = -1;                   // -1 until a signal (or 0: Stop()) ends WaitForSignal
};

// BlockingPool: a bounded pool of threads for blocking work.
class BlockingPool {
 public:
  explicit BlockingPool(int threads) : pool_(static_cast<std::size_t>(threads)) {}
  ~BlockingPool() { Stop(); }
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  // Waits for queued work to finish and joins the threads. Idempotent.
  void Stop() {
    pool_.stop();
    pool_.join();
  }
  asio::thread_pool::executor_type Executor() { return pool_.get_executor(); }

 private:
  asio::thread_pool pool_;  // the blocking threads
};

namespace internal {
// The callable and its result, kept in the calling coroutine's frame during a RunBlocking.
template <typename F>
struct BlockingCall {
  using R = std::invoke_result_t<F>;
  F fn;                                                                  // the work
  std::optional<std::conditional_t<std::is_void_v<R>, char, R>> result;  // set on the pool
  void Run() {
    if constexpr (std::is_void_v<R>) {
      fn();
      result.emplace(0);
    } else {
      result.emplace(fn());
    }
  }
};

// The initiation of a RunBlocking: only two pointers, so it is trivially copyable. GCC 12
// mis-destroys non-trivial objects (capturing lambdas) handed through use_awaitable's
// initiation (asio issue #1007); pointers survive any number of bitwise copies.
template <typename F>
struct RunBlockingInit {
  BlockingPool* pool;     // where the work runs
  BlockingCall<F>* call;  // the work and its result (lives in the awaiting coroutine's frame)
  template <typename Handler>
  void operator()(Handler handler) const {
    BlockingCall<F>* c = call;
    asio::post(pool->Executor(), [h = std::move(handler), c]() mutable {
      c->Run();
      auto caller = asio::get_associated_executor(h);
      asio::post(caller, std::move(h));
    });
  }
};
}  // namespace internal

// Runs `fn()` on `pool` and resumes the calling coroutine on its own executor with the result:
//   auto fn = [key] { return store.Get(key); };
//   auto kv = co_await RunBlocking(pool, std::move(fn));
// `fn` must not throw (STYLE.md: exceptions never cross our interfaces). Pass a named callable
// (see the GCC 12 rule above).
template <typename F>
Task<std::invoke_result_t<F>> RunBlocking(BlockingPool& pool, F fn) {
  internal::BlockingCall<F> call{std::move(fn), std::nullopt};
  co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(
      internal::RunBlockingInit<F>{&pool, &call}, asio::use_awaitable);
  if constexpr (std::is_void_v<std::invoke_result_t<F>>) {
    co_return;
  } else {
    co_return std::move(*call.result);
  }
}

// Runs `task` to completion on `ex` from a plain (non-io) thread and returns its result.
// For main() and tests; never call from an io thread of the same executor.
template <typename T>
T BlockOn(asio::any_io_executor ex, Task<T> task);

}  // namespace kubepp::async

#include "async/runtime_inl.h"
