#include "async/gate.h"

#include "base/check.h"

namespace kubepp::async {

Gate::Holder& Gate::Holder::operator=(Holder&& other) noexcept {
  if (this != &other) {
    Release();
    gate_ = other.gate_;
    other.gate_ = nullptr;
  }
  return *this;
}

void Gate::Holder::Release() {
  if (gate_ == nullptr) return;
  std::lock_guard lock(gate_->mu_);
  if (--gate_->count_ == 0) gate_->idle_.notify_all();
  gate_ = nullptr;
}

Gate::~Gate() {
  std::lock_guard lock(mu_);
  KUBEPP_CHECK(count_ == 0, "Gate destroyed with {} holders", count_);
}

Gate::Holder Gate::TryEnter() {
  std::lock_guard lock(mu_);
  if (closed_) return {};
  ++count_;
  return Holder(this);
}

void Gate::Close() {
  std::lock_guard lock(mu_);
  closed_ = true;
}

bool Gate::IsClosed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

void Gate::Wait() {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [this] { return count_ == 0; });
}

int64_t Gate::InFlight() const {
  std::lock_guard lock(mu_);
  return count_;
}

}  // namespace kubepp::async
