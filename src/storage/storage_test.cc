#include <gtest/gtest.h>

#include "storage/backend.h"

namespace kubepp::storage {
namespace {

TEST(PrefixEndTest, IncrementsLastByte) {
  EXPECT_EQ(PrefixEnd("/a/"), "/a0");
  EXPECT_EQ(PrefixEnd("a\xff"), "b");
  EXPECT_EQ(PrefixEnd("\xff\xff"), "");
  EXPECT_EQ(PrefixEnd(""), "");
}

TEST(ContinueTokenTest, RoundTripsBinaryKeys) {
  std::string key("/x/\0\xff", 5);
  auto token = EncodeContinueToken(42, key);
  auto decoded = DecodeContinueToken(token);
  ASSERT_TRUE(decoded.IsOk());
  EXPECT_EQ(decoded->first, 42);
  EXPECT_EQ(decoded->second, key);
}

TEST(ContinueTokenTest, RejectsGarbage) {
  for (std::string_view bad : {"", "!!!", "bm90LWEtdG9rZW4=", "MDp4", "LTE6eA=="}) {
    auto r = DecodeContinueToken(bad);
    EXPECT_FALSE(r.IsOk()) << bad;
    if (!r.IsOk()) {
      EXPECT_EQ(r.status().Code(), StatusCode::kBadRequest);
    }
  }
}

TEST(ValidateWriteTest, LimitsKeyAndValue) {
  EXPECT_TRUE(ValidateWrite("k", "v").IsOk());
  EXPECT_EQ(ValidateWrite("", "v").Code(), StatusCode::kBadRequest);
  EXPECT_TRUE(ValidateWrite("k", std::string(kMaxValueBytes, 'x')).IsOk());
  EXPECT_EQ(ValidateWrite("k", std::string(kMaxValueBytes + 1, 'x')).Code(),
            StatusCode::kRequestEntityTooLarge);
}

}  // namespace
}  // namespace kubepp::storage
