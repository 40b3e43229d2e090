// Exponential back-off with a cap and optional jitter (as apimachinery's wait.Backoff).
//
// Next() returns the delay to wait before the next attempt: initial, initial*factor, ... capped at
// max; jitter adds up to jitter*delay at random. Reset() after a success, or automatically when
// the last attempt is older than reset_after (kubelet's crash back-off resets after 10 minutes
// running). Not thread-safe: one per retry loop or per queue item.
#pragma once

#include <chrono>
#include <random>

#include "base/clock.h"

namespace kubepp::async {

struct BackoffPolicy {
  std::chrono::nanoseconds initial = std::chrono::seconds(1);  // first delay
  std::chrono::nanoseconds max = std::chrono::seconds(10);     // cap on any delay
  double factor = 2.0;                                         // growth per attempt
  double jitter = 0.0;                                         // 0.1 = up to +10% at random
  std::chrono::nanoseconds reset_after{0};  // quiet time after which the delay resets; 0 = never
};

class Backoff {
 public:
  Backoff(BackoffPolicy policy, const Clock& clock);

  // The delay before the next attempt; advances the sequence.
  std::chrono::nanoseconds Next();
  // The delay Next() would return, without jitter, without advancing.
  std::chrono::nanoseconds Peek() const;
  void Reset();
  int Attempts() const { return attempts_; }

 private:
  BackoffPolicy policy_;              // the shape of the sequence
  const Clock& clock_;                // for reset_after
  std::chrono::nanoseconds current_;  // delay of the next attempt before jitter
  int attempts_ = 0;                  // Next() calls since the last reset
  Clock::TimePoint last_;             // when Next() was last called
  std::minstd_rand rng_;              // jitter source
};

}  // namespace kubepp::async
