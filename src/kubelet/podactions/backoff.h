// Backoff: the kubelet's per-container restart back-off (upstream's client-go
// util/flowcontrol.Backoff as pkg/kubelet/kubelet.go v1.32 configures it: 10 s initial, doubled
// on every restart up to 5 min, forgotten once the last restart is more than 10 min older than
// the failure being judged). Keys are GetStableKey(pod, container): pod name, namespace, uid,
// container name and spec hash, so a changed container starts with a fresh back-off.
//
//   Backoff backoff;                                   // 10 s, 5 min, reset after 10 min
//   auto key = GetStableKey(pod, container);
//   if (backoff.IsInBackOffSince(key, finished_at, now)) {
//     ... "back-off " + FormatGoDuration(backoff.Get(key)) + " restarting failed container=..."
//   } else {
//     backoff.Next(key, finished_at, now);             // then start the container
//   }
//   backoff.GC(now);                                   // now and then: drop stale entries
//
// Times are wall-clock (CRI reports finished_at as nanoseconds since the epoch); every method
// takes `now` so that tests need no clock. Thread-safe (one mutex): the pod workers of a node
// share one Backoff.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>

#include "api/types.h"
#include "base/clock.h"

namespace kubepp::kubelet {

class Backoff {
 public:
  using Duration = std::chrono::nanoseconds;
  using Time = Clock::WallTime;

  // Upstream's containerBackOffPeriod, MaxContainerBackOff and the kubelet's HasExpiredFunc.
  static constexpr Duration kContainerBackOffPeriod = std::chrono::seconds(10);
  static constexpr Duration kMaxContainerBackOff = std::chrono::seconds(300);
  static constexpr Duration kContainerBackOffReset = std::chrono::seconds(600);

  // The kubelet's container back-off.
  Backoff() : Backoff(kContainerBackOffPeriod, kMaxContainerBackOff, kContainerBackOffReset) {}
  // flowcontrol.NewBackOff(initial, max) has reset_after = 2 * max.
  Backoff(Duration initial, Duration max, Duration reset_after)
      : initial_(initial), max_(max), reset_after_(reset_after) {}

  Backoff(const Backoff&) = delete;
  Backoff& operator=(const Backoff&) = delete;

  // The current back-off of `key`; zero when it has none.
  Duration Get(const std::string& key) const;
  // Moves `key` to its next back-off: the initial one when new or expired (the event is more
  // than reset_after after the last Next), else twice the current one, at most max.
  void Next(const std::string& key, Time event_time, Time now);
  // Whether `now` is still within the back-off window that started at `event_time` (the
  // container's finish). False for an unknown or expired key.
  bool IsInBackOffSince(const std::string& key, Time event_time, Time now) const;
  // Whether `event_time` is within the back-off window that started at the last Next.
  bool IsInBackOffSinceUpdate(const std::string& key, Time event_time) const;
  // Forgets `key`.
  void Reset(const std::string& key);
  // Forgets every key whose last Next is more than reset_after before `now`.
  void GC(Time now);
  // How many keys are remembered.
  size_t Size() const;

 private:
  struct Entry {
    Duration backoff{};  // the current back-off window
    Time last_update{};  // when Next last moved it
  };
  bool HasExpired(Time event_time, Time last_update) const {
    return event_time - last_update > reset_after_;
  }

  const Duration initial_;                // first back-off
  const Duration max_;                    // cap
  const Duration reset_after_;            // a key untouched this long starts again from initial_
  mutable std::mutex mu_;                 // guards entries_
  std::map<std::string, Entry> entries_;  // per key
};

// Upstream's kuberuntime GetStableKey: "<pod>_<namespace>_<uid>_<container>_<hash>".
std::string GetStableKey(const api::Pod& pod, const api::Container& container);

}  // namespace kubepp::kubelet
