#include "async/runtime.h"

#include <boost/asio/signal_set.hpp>
#include <csignal>

#include "base/check.h"

namespace kubepp::async {

Runtime::Runtime(int io_threads) : io_(io_threads), io_threads_(io_threads) {
  KUBEPP_CHECK(io_threads > 0);
}

Runtime::~Runtime() { Stop(); }

void Runtime::Start() {
  KUBEPP_CHECK(!started_, "Runtime started twice");
  started_ = true;
  for (int i = 0; i < io_threads_; ++i) {
    threads_.emplace_back([this] {
      auto guard = asio::make_work_guard(io_);
      io_.run();
    });
  }
}

void Runtime::Stop() {
  io_.stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  std::lock_guard lock(mu_);
  if (signal_ < 0) signal_ = 0;
  cv_.notify_all();
}

int Runtime::WaitForSignal() {
  asio::signal_set signals(io_, SIGINT, SIGTERM);
  signals.async_wait([this](const boost::system::error_code& ec, int signo) {
    std::lock_guard lock(mu_);
    if (signal_ < 0) signal_ = ec ? 0 : signo;
    cv_.notify_all();
  });
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return signal_ >= 0; });
  return signal_;
}

}  // namespace kubepp::async
