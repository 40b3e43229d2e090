// Leader election with two candidates against the real API server.
#include "client/leader_election.h"

#include <gtest/gtest.h>

#include <atomic>

#include "client/testing/api_server_fixture.h"
#include "client/typed.h"

namespace kubepp::client {
namespace {

using std::chrono::milliseconds;

class LeaderElectionTest : public testing::ApiServerFixture {
 protected:
  LeaderElectionConfig Candidate(const std::string& id, std::atomic<int>* started,
                                 std::atomic<int>* stopped) {
    LeaderElectionConfig c;
    c.lease_namespace = "kube-system";
    c.lease_name = "test-controller";
    c.identity = id;
    c.lease_duration = milliseconds(2000);
    c.renew_deadline = milliseconds(1500);
    c.retry_period = milliseconds(100);
    c.on_started_leading = [started] { ++*started; };
    c.on_stopped_leading = [stopped] { ++*stopped; };
    return c;
  }
  api::Lease GetLease() {
    TypedClient<api::Lease> leases(*client_, "kube-system");
    auto lease = Run(leases.Get("test-controller"));
    EXPECT_TRUE(lease.IsOk()) << lease.status().ToString();
    return lease.IsOk() ? *lease : api::Lease{};
  }
};

TEST_F(LeaderElectionTest, ValidatesTimings) {
  std::atomic<int> s{0}, t{0};
  EXPECT_TRUE(LeaderElector::Validate(Candidate("a", &s, &t)).IsOk());
  LeaderElectionConfig upstream_defaults;
  upstream_defaults.lease_name = "x";
  upstream_defaults.identity = "y";
  EXPECT_TRUE(LeaderElector::Validate(upstream_defaults).IsOk());
  auto bad = Candidate("a", &s, &t);
  bad.renew_deadline = bad.lease_duration;
  EXPECT_TRUE(LeaderElector::Validate(bad).IsInvalid());
  bad = Candidate("a", &s, &t);
  bad.retry_period = milliseconds(1400);
  EXPECT_TRUE(LeaderElector::Validate(bad).IsInvalid());
  bad = Candidate("", &s, &t);
  EXPECT_TRUE(LeaderElector::Validate(bad).IsInvalid());
}

TEST_F(LeaderElectionTest, OneLeadsTheOtherTakesOverOnRelease) {
  std::atomic<int> a_started{0}, a_stopped{0}, b_started{0}, b_stopped{0};
  LeaderElector a(*client_, runtime_.Executor(), Candidate("a", &a_started, &a_stopped));
  a.Start();
  ASSERT_TRUE(Eventually([&] { return a.IsLeader(); }));
  EXPECT_EQ(a_started.load(), 1);
  api::Lease lease = GetLease();
  EXPECT_EQ(lease.spec.holderIdentity, "a");
  EXPECT_EQ(lease.spec.leaseDurationSeconds, 2);
  EXPECT_EQ(lease.spec.leaseTransitions, 0);
  EXPECT_FALSE(lease.spec.acquireTime.empty());

  LeaderElector b(*client_, runtime_.Executor(), Candidate("b", &b_started, &b_stopped));
  b.Start();
  ASSERT_TRUE(Eventually([&] { return b.GetLeader() == "a"; }));
  // a keeps renewing: renewTime moves, b stays a follower.
  std::string renewed = lease.spec.renewTime;
  ASSERT_TRUE(Eventually([&] { return GetLease().spec.renewTime != renewed; }));
  EXPECT_FALSE(b.IsLeader());
  EXPECT_TRUE(a.IsLeader());

  a.Stop();  // releases the lease
  EXPECT_EQ(a_stopped.load(), 1);
  EXPECT_FALSE(a.IsLeader());
  ASSERT_TRUE(Eventually([&] { return b.IsLeader(); }));
  EXPECT_EQ(b_started.load(), 1);
  lease = GetLease();
  EXPECT_EQ(lease.spec.holderIdentity, "b");
  EXPECT_EQ(lease.spec.leaseTransitions, 1);
  b.Stop();
  EXPECT_EQ(b_stopped.load(), 1);
  EXPECT_EQ(GetLease().spec.holderIdentity, "");
}

TEST_F(LeaderElectionTest, TakesOverAnExpiredLease) {
  std::atomic<int> a_started{0}, a_stopped{0}, b_started{0}, b_stopped{0};
  auto ca = Candidate("a", &a_started, &a_stopped);
  ca.release_on_cancel = false;  // a vanishes without giving the lease up
  LeaderElector a(*client_, runtime_.Executor(), ca);
  a.Start();
  ASSERT_TRUE(Eventually([&] { return a.IsLeader(); }));
  LeaderElector b(*client_, runtime_.Executor(), Candidate("b", &b_started, &b_stopped));
  b.Start();
  ASSERT_TRUE(Eventually([&] { return b.GetLeader() == "a"; }));
  a.Stop();
  EXPECT_EQ(GetLease().spec.holderIdentity, "a");  // still recorded as holder
  // b waits out leaseDuration (2 s) since it last saw the lease change, then acquires.
  ASSERT_TRUE(Eventually([&] { return b.IsLeader(); }));
  api::Lease lease = GetLease();
  EXPECT_EQ(lease.spec.holderIdentity, "b");
  EXPECT_EQ(lease.spec.leaseTransitions, 1);
  b.Stop();
}

}  // namespace
}  // namespace kubepp::client
