// The history library's writes against a real in-process API server.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "client/testing/api_server_fixture.h"
#include "client/typed.h"
#include "controller/history/history.h"

namespace kubepp::controller::history {
namespace {

using client::TypedClient;

class HistoryIntegrationTest : public client::testing::ApiServerFixture {
 protected:
  static api::ControllerRevision Make(const std::string& data) {
    api::OwnerReference ref;
    ref.apiVersion = "apps/v1";
    ref.kind = "StatefulSet";
    ref.name = "web";
    ref.uid = "uid-1";
    ref.controller = true;
    api::ObjectMeta parent;
    parent.name = "web";
    parent.namespace_ = "default";
    return NewControllerRevision(parent, ref, {{"app", "web"}}, boost::json::parse(data), 1,
                                 std::nullopt);
  }
};

TEST_F(HistoryIntegrationTest, CreateReturnsEqualExistingAndResolvesCollisions) {
  auto rev = Make(R"({"spec":{"template":{"x":1}}})");
  int32_t collisions = 0;
  auto created = Run(CreateControllerRevision(*client_, rev, &collisions));
  ASSERT_TRUE(created.IsOk()) << created.status().ToString();
  EXPECT_EQ(created->metadata.name, "web-" + HashControllerRevision(rev, 0));
  EXPECT_EQ(collisions, 0);
  EXPECT_FALSE(created->metadata.uid.empty());

  // The same data again: the existing revision comes back, no collision.
  auto again = Run(CreateControllerRevision(*client_, rev, &collisions));
  ASSERT_TRUE(again.IsOk()) << again.status().ToString();
  EXPECT_EQ(again->metadata.uid, created->metadata.uid);
  EXPECT_EQ(collisions, 0);

  // Fake a collision: other data stored under the name the next revision would take.
  auto other = Make(R"({"spec":{"template":{"x":2}}})");
  api::ControllerRevision squatter = other;
  squatter.metadata.name = "web-" + HashControllerRevision(other, 0);
  squatter.data = boost::json::parse(R"({"unrelated":true})");
  TypedClient<api::ControllerRevision> revisions(*client_, "default");
  auto sq = Run(revisions.Create(squatter));
  ASSERT_TRUE(sq.IsOk()) << sq.status().ToString();
  auto moved = Run(CreateControllerRevision(*client_, other, &collisions));
  ASSERT_TRUE(moved.IsOk()) << moved.status().ToString();
  EXPECT_EQ(collisions, 1);
  EXPECT_EQ(moved->metadata.name, "web-" + HashControllerRevision(other, 1));
  EXPECT_EQ(moved->data, other.data);

  // No controller owner: refused.
  api::ControllerRevision orphan = rev;
  orphan.metadata.ownerReferences.clear();
  auto refused = Run(CreateControllerRevision(*client_, orphan, &collisions));
  EXPECT_TRUE(refused.status().IsInvalid());
}

TEST_F(HistoryIntegrationTest, UpdateAndDelete) {
  auto rev = Make(R"({"spec":{"template":{"x":1}}})");
  int32_t collisions = 0;
  auto created = Run(CreateControllerRevision(*client_, rev, &collisions));
  ASSERT_TRUE(created.IsOk()) << created.status().ToString();
  // A stale copy (old resourceVersion) still updates: conflicts are retried on a fresh read.
  api::ControllerRevision stale = *created;
  auto bumped = Run(UpdateControllerRevision(*client_, *created, 2));
  ASSERT_TRUE(bumped.IsOk()) << bumped.status().ToString();
  EXPECT_EQ(bumped->revision, 2);
  auto again = Run(UpdateControllerRevision(*client_, stale, 5));
  ASSERT_TRUE(again.IsOk()) << again.status().ToString();
  EXPECT_EQ(again->revision, 5);

  EXPECT_TRUE(Run(DeleteControllerRevision(*client_, *again)).IsOk());
  EXPECT_TRUE(Run(DeleteControllerRevision(*client_, *again)).IsOk());  // already gone
  TypedClient<api::ControllerRevision> revisions(*client_, "default");
  std::string name = created->metadata.name;
  EXPECT_TRUE(Run(revisions.Get(name)).status().IsNotFound());
}

}  // namespace
}  // namespace kubepp::controller::history
