// LeaderElector: leader election through a coordination.k8s.io/v1 Lease (client-go's
// leaderelection with the LeaseLock).
//
// Candidates share one Lease. A candidate acquires it when it is free (no holder) or its holder
// has not renewed for leaseDuration, as observed on this candidate's own monotonic clock (never
// by comparing another machine's timestamps, as upstream). The leader renews every
// retryPeriod; if it cannot renew within renewDeadline it stops leading. The Lease records
// holderIdentity, leaseDurationSeconds, acquireTime, renewTime and leaseTransitions (+1 on every
// change of holder). Writes use the Lease's resourceVersion, so two candidates never both win.
//
// Like upstream's Run(), an elector leads at most once: after OnStoppedLeading it is done
// (components exit and restart). Stop() releases the Lease when leading (release_on_cancel),
// so another candidate takes over at once instead of after leaseDuration.
//
// Threading: runs on its own strand; callbacks run there and must return promptly (start or
// stop work elsewhere). Start() once; Stop() from a non-io thread.
#pragma once

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>

#include "api/types.h"
#include "async/gate.h"
#include "async/runtime.h"
#include "base/clock.h"
#include "client/rest_client.h"

namespace kubepp::client {

struct LeaderElectionConfig {
  std::string lease_namespace = "kube-system";
  std::string lease_name;                                 // e.g. "kube-controller-manager"
  std::string identity;                                   // this candidate, e.g. "host_uuid"
  std::chrono::milliseconds lease_duration{15000};        // upstream default 15 s
  std::chrono::milliseconds renew_deadline{10000};        // upstream default 10 s
  std::chrono::milliseconds retry_period{2000};           // upstream default 2 s
  bool release_on_cancel = true;                          // give the Lease up on Stop()
  std::function<void()> on_started_leading;               // became the leader
  std::function<void()> on_stopped_leading;               // stopped leading (lost, or Stop())
  std::function<void(const std::string&)> on_new_leader;  // observed a different holder
};

// "hostname_<random hex>" (upstream's components: hostname + "_" + uuid).
std::string DefaultLeaderIdentity();

class LeaderElector {
 public:
  // Upstream's checks: durations positive, leaseDuration > renewDeadline, renewDeadline >
  // 1.2 * retryPeriod, a lease name and an identity. Invalid otherwise.
  static Status Validate(const LeaderElectionConfig& config);

  LeaderElector(RestClient& client, const async::asio::any_io_executor& ex,
                LeaderElectionConfig config, const Clock& clock = Clock::Real());
  ~LeaderElector();
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  void Start();
  // Stops campaigning; a leader releases the Lease (when configured) and gets
  // OnStoppedLeading. Waits for all of it. Idempotent.
  void Stop();

  bool IsLeader() const { return leading_.load(); }
  // The holder last observed ("" when none).
  std::string GetLeader() const;
  // True once the elector has finished (lost or stopped).
  bool Done() const { return done_.load(); }

 private:
  async::Task<void> Run(async::Gate::Holder hold);
  // One attempt (upstream's tryAcquireOrRenew). True when this candidate holds the Lease now.
  async::Task<bool> TryAcquireOrRenew();
  async::Task<void> Release();
  async::Task<bool> Sleep(Clock::Duration d);
  void Observe(const api::LeaseSpec& spec);

  RestClient& client_;                   // API access
  async::asio::any_io_executor strand_;  // the loop runs here
  LeaderElectionConfig config_;          // names, timings, callbacks
  const Clock& clock_;                   // monotonic time for expiry, wall time for the record
  async::asio::steady_timer timer_;      // waits (strand only)
  async::Gate gate_;                     // the loop in flight
  bool stopping_ = false;                // strand only
  std::atomic<bool> leading_{false};     // holds the Lease
  std::atomic<bool> done_{false};        // finished
  mutable std::mutex mu_;                // guards observed_
  api::LeaseSpec observed_;              // the Lease spec last seen
  Clock::TimePoint observed_time_{};     // when observed_ last changed (our clock)
};

}  // namespace kubepp::client
