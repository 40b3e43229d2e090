#include "controller/node/cidr_set.h"

#include <gtest/gtest.h>

namespace kubepp::controller::node {
namespace {

TEST(CidrSetTest, AllocatesInOrderAndRoundRobin) {
  auto set = CidrSet::Create("198.18.0.0/22", 24);
  ASSERT_TRUE(set.IsOk()) << set.status().ToString();
  EXPECT_EQ(set->Max(), 4);
  EXPECT_EQ(*set->AllocateNext(), "198.18.0.0/24");
  EXPECT_EQ(*set->AllocateNext(), "198.18.1.0/24");
  ASSERT_TRUE(set->Release("198.18.0.0/24").IsOk());
  // Round-robin: the freed one comes back only after the others.
  EXPECT_EQ(*set->AllocateNext(), "198.18.2.0/24");
  EXPECT_EQ(*set->AllocateNext(), "198.18.3.0/24");
  EXPECT_EQ(*set->AllocateNext(), "198.18.0.0/24");
  auto full = set->AllocateNext();
  EXPECT_FALSE(full.IsOk());
  EXPECT_TRUE(full.status().IsNotFound());
  EXPECT_EQ(set->Used(), 4);
}

TEST(CidrSetTest, OccupySkipsUsedSubnets) {
  auto set = CidrSet::Create("198.18.0.0/16", 24);
  ASSERT_TRUE(set.IsOk());
  ASSERT_TRUE(set->Occupy("198.18.0.0/24").IsOk());
  ASSERT_TRUE(set->Occupy("198.18.2.0/24").IsOk());
  EXPECT_EQ(*set->AllocateNext(), "198.18.1.0/24");
  EXPECT_EQ(*set->AllocateNext(), "198.18.3.0/24");
  EXPECT_FALSE(set->Occupy("198.19.0.0/24").IsOk()) << "outside the cluster CIDR";
  EXPECT_FALSE(set->Occupy("198.18.4.0/25").IsOk()) << "wrong size";
}

TEST(CidrSetTest, OddSizes) {
  auto set = CidrSet::Create("198.18.0.0/15", 26);
  ASSERT_TRUE(set.IsOk());
  EXPECT_EQ(*set->AllocateNext(), "198.18.0.0/26");
  EXPECT_EQ(*set->AllocateNext(), "198.18.0.64/26");
  EXPECT_FALSE(CidrSet::Create("198.18.0.0/24", 16).IsOk());
  EXPECT_FALSE(CidrSet::Create("not-a-cidr", 24).IsOk());
  EXPECT_FALSE(CidrSet::Create("198.18.0/16", 24).IsOk());
  EXPECT_TRUE(CidrSet::Create("198.18.0.0/8", 24).IsOk()) << "host bits are masked off";
}

}  // namespace
}  // namespace kubepp::controller::node
