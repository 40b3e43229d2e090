// Timers for coroutines.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <chrono>

#include "async/runtime.h"

namespace kubepp::async {

// Sleeps for `d` on the calling coroutine's executor. Returns false when cancelled (through the
// coroutine's cancellation slot) before the time was up.
inline Task<bool> Sleep(std::chrono::nanoseconds d) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(d);
  auto [ec] = co_await timer.async_wait(kUseAwaitable);
  co_return !ec;
}

}  // namespace kubepp::async
