#include "client/leader_election.h"

#include <unistd.h>

#include <array>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <climits>
#include <random>

#include "base/log.h"
#include "client/typed.h"

namespace kubepp::client {

namespace asio = async::asio;
using async::Task;

namespace {
constexpr double kJitterFactor = 1.2;  // upstream's JitterFactor

int32_t Seconds(std::chrono::milliseconds d) {
  return static_cast<int32_t>(std::max<int64_t>(1, (d.count() + 999) / 1000));
}
}  // namespace

Status LeaderElector::Validate(const LeaderElectionConfig& c) {
  if (c.lease_duration <= c.renew_deadline) {
    return Status::Invalid("leaseDuration must be greater than renewDeadline");
  }
  if (c.renew_deadline.count() <=
      static_cast<int64_t>(kJitterFactor * static_cast<double>(c.retry_period.count()))) {
    return Status::Invalid("renewDeadline must be greater than retryPeriod*JitterFactor");
  }
  if (c.lease_duration.count() < 1)
    return Status::Invalid("leaseDuration must be greater than zero");
  if (c.renew_deadline.count() < 1)
    return Status::Invalid("renewDeadline must be greater than zero");
  if (c.retry_period.count() < 1) return Status::Invalid("retryPeriod must be greater than zero");
  if (c.lease_name.empty()) return Status::Invalid("Lock must not be nil.");
  if (c.identity.empty()) return Status::Invalid("Lock identity is empty");
  return Status::Ok();
}

LeaderElector::LeaderElector(RestClient& client, const asio::any_io_executor& ex,
                             LeaderElectionConfig config, const Clock& clock)
    : client_(client),
      strand_(asio::make_strand(ex)),
      config_(std::move(config)),
      clock_(clock),
      timer_(strand_) {}

LeaderElector::~LeaderElector() { Stop(); }

void LeaderElector::Start() {
  auto hold = gate_.TryEnter();
  if (!hold) return;
  asio::co_spawn(strand_, Run(std::move(hold)), asio::detached);
}

void LeaderElector::Stop() {
  if (auto hold = gate_.TryEnter()) {
    asio::post(strand_, [this, hold = std::move(hold)] {
      stopping_ = true;
      timer_.cancel();
    });
  }
  gate_.Close();
  gate_.Wait();
}

std::string DefaultLeaderIdentity() {
  std::array<char, HOST_NAME_MAX + 1> host{};
  if (gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
  std::random_device rd;
  std::uniform_int_distribution<uint64_t> dist;
  return fmt::format("{}_{:016x}", host.data(), dist(rd));
}

std::string LeaderElector::GetLeader() const {
  std::lock_guard lock(mu_);
  return observed_.holderIdentity;
}

Task<bool> LeaderElector::Sleep(Clock::Duration d) {
  if (stopping_) co_return false;
  timer_.expires_after(d);
  auto [ec] = co_await timer_.async_wait(async::kUseAwaitable);
  co_return !ec && !stopping_;
}

void LeaderElector::Observe(const api::LeaseSpec& spec) {
  std::string new_leader;
  {
    std::lock_guard lock(mu_);
    if (spec == observed_) return;
    if (spec.holderIdentity != observed_.holderIdentity) new_leader = spec.holderIdentity;
    observed_ = spec;
    observed_time_ = clock_.Now();
  }
  if (!new_leader.empty() && new_leader != config_.identity && config_.on_new_leader) {
    config_.on_new_leader(new_leader);
  }
}

Task<bool> LeaderElector::TryAcquireOrRenew() {
  TypedClient<api::Lease> leases(client_, config_.lease_namespace);
  const std::string now = FormatRfc3339Micro(clock_.WallNow());
  std::string name = config_.lease_name;
  auto got = co_await leases.Get(name);
  if (!got.IsOk()) {
    if (!got.status().IsNotFound()) {
      KLOG_V(1, "leader election: error retrieving lease {}/{}: {}", config_.lease_namespace, name,
             got.status().ToString());
      co_return false;
    }
    api::Lease lease;
    lease.metadata.name = name;
    lease.metadata.namespace_ = config_.lease_namespace;
    lease.spec.holderIdentity = config_.identity;
    lease.spec.leaseDurationSeconds = Seconds(config_.lease_duration);
    lease.spec.acquireTime = now;
    lease.spec.renewTime = now;
    lease.spec.leaseTransitions = 0;
    auto created = co_await leases.Create(std::move(lease));
    if (!created.IsOk()) co_return false;
    Observe(created->spec);
    co_return true;
  }
  api::Lease lease = std::move(*got);
  Observe(lease.spec);
  const bool ours = lease.spec.holderIdentity == config_.identity;
  if (!lease.spec.holderIdentity.empty() && !ours) {
    Clock::TimePoint seen;
    {
      std::lock_guard lock(mu_);
      seen = observed_time_;
    }
    std::chrono::seconds duration(
        lease.spec.leaseDurationSeconds.value_or(Seconds(config_.lease_duration)));
    if (seen + duration > clock_.Now()) co_return false;  // held, and not expired
  }
  if (!ours) {
    lease.spec.acquireTime = now;
    lease.spec.leaseTransitions = lease.spec.leaseTransitions.value_or(0) + 1;
  }
  lease.spec.holderIdentity = config_.identity;
  lease.spec.leaseDurationSeconds = Seconds(config_.lease_duration);
  lease.spec.renewTime = now;
  auto updated = co_await leases.Update(std::move(lease));
  if (!updated.IsOk()) {
    KLOG_V(1, "leader election: failed to update lease {}/{}: {}", config_.lease_namespace, name,
           updated.status().ToString());
    co_return false;
  }
  Observe(updated->spec);
  co_return true;
}

Task<void> LeaderElector::Release() {
  TypedClient<api::Lease> leases(client_, config_.lease_namespace);
  std::string name = config_.lease_name;
  auto got = co_await leases.Get(name);
  if (!got.IsOk() || got->spec.holderIdentity != config_.identity) co_return;
  api::Lease lease = std::move(*got);
  const std::string now = FormatRfc3339Micro(clock_.WallNow());
  lease.spec.holderIdentity.clear();
  lease.spec.leaseDurationSeconds = 1;
  lease.spec.acquireTime = now;
  lease.spec.renewTime = now;
  auto updated = co_await leases.Update(std::move(lease));
  if (!updated.IsOk()) {
    KLOG_WARNING("leader election: failed to release lease {}/{}: {}", config_.lease_namespace,
                 name, updated.status().ToString());
    co_return;
  }
  Observe(updated->spec);
}

Task<void> LeaderElector::Run(async::Gate::Holder hold) {
  std::minstd_rand rng(std::random_device{}());
  std::uniform_real_distribution<double> jitter(0.0, kJitterFactor);
  // Acquire: retry every retryPeriod (+ up to 1.2x jitter) until the Lease is ours.
  bool acquired = false;
  while (!stopping_) {
    acquired = co_await TryAcquireOrRenew();
    if (acquired) break;
    auto wait =
        std::chrono::duration_cast<Clock::Duration>(config_.retry_period * (1.0 + jitter(rng)));
    if (!co_await Sleep(wait)) break;
  }
  if (acquired && !stopping_) {
    KLOG_INFO("leader election: {} acquired lease {}/{}", config_.identity, config_.lease_namespace,
              config_.lease_name);
    leading_.store(true);
    if (config_.on_started_leading) config_.on_started_leading();
    // Renew every retryPeriod; a renewal that does not succeed within renewDeadline loses.
    while (!stopping_) {
      if (!co_await Sleep(config_.retry_period)) break;
      auto deadline = clock_.Now() + config_.renew_deadline;
      bool renewed = false;
      while (!stopping_) {
        renewed = co_await TryAcquireOrRenew();
        if (renewed || clock_.Now() + config_.retry_period > deadline) break;
        if (!co_await Sleep(config_.retry_period)) break;
      }
      if (!renewed && !stopping_) {
        KLOG_INFO("leader election: {} lost lease {}/{}", config_.identity, config_.lease_namespace,
                  config_.lease_name);
        break;
      }
    }
    if (stopping_ && config_.release_on_cancel) co_await Release();
    leading_.store(false);
  }
  // As upstream's Run: OnStoppedLeading whenever the elector ends.
  if (config_.on_stopped_leading) config_.on_stopped_leading();
  done_.store(true);
  hold.Release();
}

}  // namespace kubepp::client
