#include "base/status.h"

#include <gtest/gtest.h>

namespace kubepp {
namespace {

TEST(StatusTest, OkByDefault) {
  Status s;
  EXPECT_TRUE(s.IsOk());
  EXPECT_EQ(s.HttpCode(), 200);
  EXPECT_EQ(s.ToString(), "OK");
  EXPECT_EQ(s.Details(), nullptr);
}

TEST(StatusTest, NamedConstructorsMapToKubernetesReasons) {
  struct Case {
    Status status;
    std::string_view reason;
    int http;
  };
  const Case cases[] = {
      {Status::NotFound("x"), "NotFound", 404},
      {Status::AlreadyExists("x"), "AlreadyExists", 409},
      {Status::Conflict("x"), "Conflict", 409},
      {Status::Invalid("x"), "Invalid", 422},
      {Status::BadRequest("x"), "BadRequest", 400},
      {Status::Forbidden("x"), "Forbidden", 403},
      {Status::Unauthorized("x"), "Unauthorized", 401},
      {Status::Gone("x"), "Gone", 410},
      {Status::Expired("x"), "Expired", 410},
      {Status::Timeout("x"), "Timeout", 504},
      {Status::TooManyRequests("x"), "TooManyRequests", 429},
      {Status::Unavailable("x"), "ServiceUnavailable", 503},
      {Status::Internal("x"), "InternalError", 500},
      {Status::TooLarge("x"), "RequestEntityTooLarge", 413},
  };
  for (const auto& c : cases) {
    EXPECT_FALSE(c.status.IsOk());
    EXPECT_EQ(c.status.Reason(), c.reason);
    EXPECT_EQ(c.status.HttpCode(), c.http) << c.reason;
    EXPECT_EQ(c.status.Message(), "x");
  }
  EXPECT_TRUE(Status::Expired("old").IsGone());
}

TEST(StatusTest, DetailsAndPrefix) {
  StatusDetails d;
  d.name = "cm1";
  d.kind = "configmaps";
  d.causes.push_back({"FieldValueInvalid", "Invalid value", "metadata.name"});
  Status s(StatusCode::kInvalid, "bad", d);
  ASSERT_NE(s.Details(), nullptr);
  EXPECT_EQ(s.Details()->causes.size(), 1u);
  Status copy = s.WithPrefix("create");
  EXPECT_EQ(copy.Message(), "create: bad");
  EXPECT_EQ(copy.Details()->name, "cm1");
  EXPECT_EQ(s.ToString(), "Invalid: bad");
}

Result<int> Half(int x) {
  if (x % 2 != 0) return Status::BadRequest("odd");
  return x / 2;
}

Result<int> Quarter(int x) {
  KUBEPP_ASSIGN_OR_RETURN(int h, Half(x));
  KUBEPP_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

Status CheckEven(int x) {
  KUBEPP_RETURN_IF_ERROR(Half(x).status());
  return Status::Ok();
}

TEST(ResultTest, ValueOrStatus) {
  auto r = Quarter(8);
  ASSERT_TRUE(r.IsOk());
  EXPECT_EQ(*r, 2);
  auto bad = Quarter(6);
  ASSERT_FALSE(bad.IsOk());
  EXPECT_EQ(bad.status().Code(), StatusCode::kBadRequest);
  EXPECT_TRUE(CheckEven(4).IsOk());
  EXPECT_FALSE(CheckEven(3).IsOk());
}

TEST(ResultTest, MoveOnlyValues) {
  Result<std::unique_ptr<int>> r(std::make_unique<int>(7));
  std::unique_ptr<int> p = std::move(r).value();
  EXPECT_EQ(*p, 7);
}

TEST(ResultDeathTest, ValueOfErrorAborts) {
  Result<int> r(Status::NotFound("gone"));
  EXPECT_DEATH((void)r.value(), "value\\(\\) of a failed Result: NotFound: gone");
}

TEST(CheckDeathTest, CheckAbortsWithMessage) {
  EXPECT_DEATH(KUBEPP_CHECK(1 + 1 == 3, "math is {}", "broken"),
               "Check failed: 1 \\+ 1 == 3: math is broken");
}

}  // namespace
}  // namespace kubepp
