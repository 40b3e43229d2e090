// Template definitions for runtime.h.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <exception>
#include <future>
#include <optional>

#include "base/check.h"

namespace kubepp::async {

template <typename T>
T BlockOn(asio::any_io_executor ex, Task<T> task) {
  std::promise<std::conditional_t<std::is_void_v<T>, int, std::optional<T>>> done;
  auto fut = done.get_future();
  if constexpr (std::is_void_v<T>) {
    asio::co_spawn(ex, std::move(task), [&done](const std::exception_ptr& e) {
      KUBEPP_CHECK(!e, "exception escaped a coroutine");
      done.set_value(0);
    });
    fut.get();
  } else {
    asio::co_spawn(ex, std::move(task), [&done](const std::exception_ptr& e, T value) {
      KUBEPP_CHECK(!e, "exception escaped a coroutine");
      done.set_value(std::move(value));
    });
    return std::move(*fut.get());
  }
}

}  // namespace kubepp::async
