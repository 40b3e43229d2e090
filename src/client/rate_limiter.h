// Rate limiters for work-queue retries (client-go's workqueue rate limiters).
//
// When(item) returns how long to wait before the item may be processed again and records the
// attempt; Forget(item) clears its history after a success. DefaultControllerRateLimiter is
// upstream's: the larger of a per-item exponential back-off (5 ms doubling to 1000 s) and an
// overall token bucket (10 qps, burst 100). Thread-safe. Time comes from a Clock.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/clock.h"

namespace kubepp::client {

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // The delay before `item` may be retried; counts one more attempt.
  virtual Clock::Duration When(const std::string& item) = 0;
  // Stops tracking `item` (it succeeded).
  virtual void Forget(const std::string& item) = 0;
  // How many times `item` was retried since the last Forget.
  virtual int NumRequeues(const std::string& item) = 0;
};

// base * 2^failures, capped at max (ItemExponentialFailureRateLimiter).
class ItemExponentialRateLimiter final : public RateLimiter {
 public:
  ItemExponentialRateLimiter(Clock::Duration base, Clock::Duration max);
  // RateLimiter
  Clock::Duration When(const std::string& item) override;
  void Forget(const std::string& item) override;
  int NumRequeues(const std::string& item) override;

 private:
  const Clock::Duration base_;           // first delay
  const Clock::Duration max_;            // cap
  std::mutex mu_;                        // guards failures_
  std::map<std::string, int> failures_;  // attempts per item since its last Forget
};

// A token bucket shared by all items (BucketRateLimiter over golang.org/x/time/rate): each When
// reserves one token; tokens refill at `qps` up to `burst`; the delay is how long until the
// reserved token exists. Forget and NumRequeues do nothing.
class BucketRateLimiter final : public RateLimiter {
 public:
  BucketRateLimiter(double qps, int burst, const Clock& clock);
  // RateLimiter
  Clock::Duration When(const std::string& item) override;
  void Forget(const std::string& /*item*/) override {}
  int NumRequeues(const std::string& /*item*/) override { return 0; }

 private:
  const double qps_;       // refill rate
  const double burst_;     // bucket size
  const Clock& clock_;     // time source
  std::mutex mu_;          // guards the fields below
  double tokens_;          // tokens now (negative: reserved ahead)
  Clock::TimePoint last_;  // when tokens_ was computed
};

// The largest delay of several limiters (MaxOfRateLimiter).
class MaxOfRateLimiter final : public RateLimiter {
 public:
  explicit MaxOfRateLimiter(std::vector<std::unique_ptr<RateLimiter>> limiters);
  // RateLimiter
  Clock::Duration When(const std::string& item) override;
  void Forget(const std::string& item) override;
  int NumRequeues(const std::string& item) override;

 private:
  std::vector<std::unique_ptr<RateLimiter>> limiters_;  // all consulted
};

// Upstream's DefaultControllerRateLimiter: max(5 ms..1000 s per item, 10 qps burst 100).
std::unique_ptr<RateLimiter> DefaultControllerRateLimiter(const Clock& clock = Clock::Real());

}  // namespace kubepp::client
