#include "async/backoff.h"

#include <algorithm>

namespace kubepp::async {

Backoff::Backoff(BackoffPolicy policy, const Clock& clock)
    : policy_(policy), clock_(clock), current_(policy.initial), rng_(std::random_device{}()) {}

std::chrono::nanoseconds Backoff::Next() {
  auto now = clock_.Now();
  if (policy_.reset_after.count() > 0 && attempts_ > 0 && now - last_ >= policy_.reset_after) {
    Reset();
  }
  last_ = now;
  ++attempts_;
  auto delay = current_;
  auto grown = std::chrono::nanoseconds(
      static_cast<int64_t>(static_cast<double>(current_.count()) * policy_.factor));
  current_ = std::min(grown, policy_.max);
  if (policy_.jitter > 0) {
    std::uniform_real_distribution<double> dist(0.0, policy_.jitter);
    delay += std::chrono::nanoseconds(
        static_cast<int64_t>(static_cast<double>(delay.count()) * dist(rng_)));
  }
  return delay;
}

std::chrono::nanoseconds Backoff::Peek() const { return current_; }

void Backoff::Reset() {
  current_ = policy_.initial;
  attempts_ = 0;
}

}  // namespace kubepp::async
