#include "controller/history/history.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace kubepp::controller::history {
namespace {

api::OwnerReference Owner() {
  api::OwnerReference ref;
  ref.apiVersion = "apps/v1";
  ref.kind = "StatefulSet";
  ref.name = "web";
  ref.uid = "uid-1";
  ref.controller = true;
  ref.blockOwnerDeletion = true;
  return ref;
}

api::ObjectMeta Parent() {
  api::ObjectMeta meta;
  meta.name = "web";
  meta.namespace_ = "default";
  meta.uid = "uid-1";
  return meta;
}

RevisionPtr Rev(const std::string& name, int64_t revision, const std::string& created,
                const std::string& data = R"({"a":1})") {
  auto r = std::make_shared<api::ControllerRevision>();
  r->metadata.name = name;
  r->metadata.creationTimestamp = created;
  r->revision = revision;
  r->data = boost::json::parse(data);
  return r;
}

TEST(HistoryTest, ControllerRevisionName) {
  EXPECT_EQ(ControllerRevisionName("web", "abc"), "web-abc");
  const std::string long_prefix(300, 'x');
  const std::string name = ControllerRevisionName(long_prefix, "h");
  EXPECT_EQ(name, std::string(223, 'x') + "-h");
}

TEST(HistoryTest, SafeEncodeString) {
  // '0' is 48, 48 % 27 = 21 -> '4'; 'a' is 97, 97 % 27 = 16 -> 'v'.
  EXPECT_EQ(SafeEncodeString("0a"), "4v");
  for (char c : SafeEncodeString("1234567890")) {
    EXPECT_NE(std::string_view("bcdfghjklmnpqrstvwxz2456789").find(c), std::string_view::npos);
  }
}

TEST(HistoryTest, HashIsStableAndKeyOrderIndependent) {
  api::ControllerRevision a;
  a.data = boost::json::parse(R"({"spec":{"template":{"b":2,"a":[1,{"y":1,"x":2}]}}})");
  api::ControllerRevision b;
  b.data = boost::json::parse(R"({"spec":{"template":{"a":[1,{"x":2,"y":1}],"b":2}}})");
  EXPECT_EQ(CanonicalDataJson(a), R"({"spec":{"template":{"a":[1,{"x":2,"y":1}],"b":2}}})");
  EXPECT_EQ(HashControllerRevision(a, std::nullopt), HashControllerRevision(b, std::nullopt));
  EXPECT_EQ(HashControllerRevision(a, 0), HashControllerRevision(a, 0));
  // The probe changes the hash, and so does the data.
  EXPECT_NE(HashControllerRevision(a, 0), HashControllerRevision(a, 1));
  EXPECT_NE(HashControllerRevision(a, std::nullopt), HashControllerRevision(a, 0));
  api::ControllerRevision c;
  c.data = boost::json::parse(R"({"spec":{"template":{"b":3}}})");
  EXPECT_NE(HashControllerRevision(a, std::nullopt), HashControllerRevision(c, std::nullopt));
  // Decimal digits of a uint32 encode to at most 10 characters.
  EXPECT_LE(HashControllerRevision(a, 7).size(), 10U);
  EXPECT_FALSE(HashControllerRevision(a, 7).empty());
}

TEST(HistoryTest, EqualRevision) {
  auto a = *Rev("a", 1, "");
  auto b = *Rev("b", 2, "");
  EXPECT_TRUE(EqualRevision(a, b));
  a.metadata.labels[kControllerRevisionHashLabel] = "h1";
  EXPECT_TRUE(EqualRevision(a, b));  // one label only: data decide
  b.metadata.labels[kControllerRevisionHashLabel] = "h2";
  EXPECT_FALSE(EqualRevision(a, b));
  b.metadata.labels[kControllerRevisionHashLabel] = "h1";
  EXPECT_TRUE(EqualRevision(a, b));
  b.data = boost::json::parse(R"({"a":2})");
  EXPECT_FALSE(EqualRevision(a, b));
}

TEST(HistoryTest, FindEqualRevisions) {
  std::vector<RevisionPtr> revs = {Rev("a", 1, ""), Rev("b", 2, "", R"({"a":2})"), Rev("c", 3, "")};
  auto needle = *Rev("n", 0, "");
  auto found = FindEqualRevisions(revs, needle);
  ASSERT_EQ(found.size(), 2U);
  EXPECT_EQ(found[0]->metadata.name, "a");
  EXPECT_EQ(found[1]->metadata.name, "c");
}

TEST(HistoryTest, SortAndNextRevision) {
  std::vector<RevisionPtr> revs = {
      Rev("d", 3, "2024-01-01T00:00:00Z"), Rev("b", 1, "2024-01-02T00:00:00Z"),
      Rev("a", 1, "2024-01-02T00:00:00Z"), Rev("c", 1, "2024-01-01T00:00:00Z")};
  SortControllerRevisions(revs);
  std::vector<std::string> names;
  for (const auto& r : revs) names.push_back(r->metadata.name);
  EXPECT_EQ(names, (std::vector<std::string>{"c", "a", "b", "d"}));
  EXPECT_EQ(NextRevision(revs), 4);
  EXPECT_EQ(NextRevision({}), 1);
}

TEST(HistoryTest, NewControllerRevision) {
  auto data = boost::json::parse(R"({"spec":{"template":{}}})");
  auto rev = NewControllerRevision(Parent(), Owner(), {{"app", "web"}}, data, 3, 0);
  EXPECT_EQ(rev.metadata.namespace_, "default");
  EXPECT_EQ(rev.revision, 3);
  EXPECT_EQ(rev.metadata.labels.at("app"), "web");
  const std::string hash = rev.metadata.labels.at(kControllerRevisionHashLabel);
  EXPECT_EQ(rev.metadata.name, "web-" + hash);
  api::ControllerRevision bare;
  bare.data = data;
  EXPECT_EQ(hash, HashControllerRevision(bare, 0));
  ASSERT_EQ(rev.metadata.ownerReferences.size(), 1U);
  EXPECT_EQ(rev.metadata.ownerReferences[0].uid, "uid-1");
}

}  // namespace
}  // namespace kubepp::controller::history
