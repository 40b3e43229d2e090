// RunOn: runs a coroutine on another executor (a connection's strand) and resumes the caller on
// its own executor with the result.
//
//   auto fn = [conn, &req] { return Exchange(conn, &req); };   // returns Task<R>
//   R r = co_await RunOn(conn->strand, std::move(fn));
//
// Like async::RunBlocking, the initiation carries only pointers into the awaiting frame: GCC 12
// mis-destroys non-trivial objects handed through use_awaitable's initiation (asio #1007), so
// `co_spawn(ex, task, use_awaitable)` is not used. `fn` must not throw; the task must not throw.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <exception>
#include <optional>
#include <type_traits>

#include "async/runtime.h"
#include "base/check.h"

namespace kubepp::client::internal {

template <typename F>
struct RunOnCall {
  using TaskType = std::invoke_result_t<F>;
  using R = typename TaskType::value_type;
  F fn;                     // makes the task
  std::optional<R> result;  // set when the task finished
};

template <typename F>
struct RunOnInit {
  async::asio::any_io_executor* ex;  // where the task runs
  RunOnCall<F>* call;                // the work and its result (in the awaiting frame)
  template <typename Handler>
  void operator()(Handler handler) const {
    RunOnCall<F>* c = call;
    async::asio::co_spawn(*ex, c->fn(),
                          [h = std::move(handler), c](const std::exception_ptr& e,
                                                      typename RunOnCall<F>::R r) mutable {
                            KUBEPP_CHECK(!e, "exception escaped a coroutine");
                            c->result.emplace(std::move(r));
                            auto caller = async::asio::get_associated_executor(h);
                            async::asio::post(caller, std::move(h));
                          });
  }
};

template <typename F>
async::Task<typename RunOnCall<F>::R> RunOn(async::asio::any_io_executor ex, F fn) {
  RunOnCall<F> call{std::move(fn), std::nullopt};
  co_await async::asio::async_initiate<decltype(async::asio::use_awaitable), void()>(
      RunOnInit<F>{&ex, &call}, async::asio::use_awaitable);
  co_return std::move(*call.result);
}

}  // namespace kubepp::client::internal
