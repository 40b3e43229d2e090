// The dependency graph without a server: virtual owners, observation, deletion, the foreground
// and orphan transitions, blocking dependents, reference changes and the absent-owner cache.
#include "controller/garbagecollector/graph.h"

#include <gtest/gtest.h>

#include <vector>

namespace kubepp::controller::gc {
namespace {

api::OwnerReference Ref(const std::string& name, const std::string& uid, bool block = false) {
  api::OwnerReference r;
  r.apiVersion = "v1";
  r.kind = "ConfigMap";
  r.name = name;
  r.uid = uid;
  if (block) r.blockOwnerDeletion = true;
  return r;
}

api::ObjectMeta Meta(const std::string& name, const std::string& uid,
                     std::vector<api::OwnerReference> owners = {}) {
  api::ObjectMeta m;
  m.name = name;
  m.namespace_ = "ns";
  m.uid = uid;
  m.ownerReferences = std::move(owners);
  return m;
}

ObjectIdentity Id(const api::ObjectMeta& m) {
  return ObjectIdentity{"v1", "ConfigMap", m.name, m.uid, m.namespace_};
}

class GraphTest : public ::testing::Test {
 protected:
  void Add(const api::ObjectMeta& m) {
    GraphEvent ev;
    ev.type = EventType::kAdd;
    ev.identity = Id(m);
    ev.meta = &m;
    graph_.Process(ev);
  }
  void Update(const api::ObjectMeta& old_meta, const api::ObjectMeta& m) {
    GraphEvent ev;
    ev.type = EventType::kUpdate;
    ev.identity = Id(m);
    ev.meta = &m;
    ev.old_meta = &old_meta;
    graph_.Process(ev);
  }
  void Delete(const api::ObjectMeta& m) {
    GraphEvent ev;
    ev.type = EventType::kDelete;
    ev.identity = Id(m);
    ev.meta = &m;
    graph_.Process(ev);
  }
  void VirtualDelete(const ObjectIdentity& id) {
    GraphEvent ev;
    ev.type = EventType::kDelete;
    ev.virtual_ = true;
    ev.identity = id;
    graph_.Process(ev);
  }
  std::vector<std::string> TakeDeletes() { return std::exchange(deletes_, {}); }
  std::vector<std::string> TakeOrphans() { return std::exchange(orphans_, {}); }

  std::vector<std::string> deletes_;  // uids added to attemptToDelete
  std::vector<std::string> orphans_;  // uids added to attemptToOrphan
  Graph graph_{[this](const std::string& uid) { deletes_.push_back(uid); },
               [this](const std::string& uid) { orphans_.push_back(uid); },
               {},
               3};
};

TEST_F(GraphTest, UnseenOwnerBecomesAVirtualNodeToVerify) {
  Add(Meta("dep", "d1", {Ref("owner", "o1")}));
  auto owner = graph_.Get("o1");
  ASSERT_TRUE(owner.has_value());
  EXPECT_TRUE(owner->virtual_);
  EXPECT_EQ(owner->identity.namespace_, "ns");  // the dependent's namespace
  EXPECT_EQ(owner->dependents, std::set<std::string>{"d1"});
  EXPECT_EQ(TakeDeletes(), std::vector<std::string>{"o1"});

  // The monitor shows the owner: it is observed now, and keeps its dependent.
  Add(Meta("owner", "o1"));
  owner = graph_.Get("o1");
  ASSERT_TRUE(owner.has_value());
  EXPECT_FALSE(owner->virtual_);
  EXPECT_EQ(owner->dependents, std::set<std::string>{"d1"});
  EXPECT_TRUE(TakeDeletes().empty());
  EXPECT_EQ(graph_.Size(), 2u);
}

TEST_F(GraphTest, OwnerDeletedQueuesItsDependentsAndRemembersTheAbsence) {
  auto owner = Meta("owner", "o1");
  Add(owner);
  Add(Meta("a", "d1", {Ref("owner", "o1")}));
  Add(Meta("b", "d2", {Ref("owner", "o1")}));
  EXPECT_TRUE(TakeDeletes().empty());
  Delete(owner);
  auto deletes = TakeDeletes();
  std::sort(deletes.begin(), deletes.end());
  EXPECT_EQ(deletes, (std::vector<std::string>{"d1", "d2"}));
  EXPECT_FALSE(graph_.Get("o1").has_value());
  EXPECT_TRUE(graph_.IsAbsent(Id(owner)));
}

TEST_F(GraphTest, VirtualDeleteOfAVirtualOwnerQueuesDependents) {
  Add(Meta("dep", "d1", {Ref("ghost", "g1")}));
  TakeDeletes();
  ObjectIdentity ghost{"v1", "ConfigMap", "ghost", "g1", "ns"};
  VirtualDelete(ghost);
  EXPECT_FALSE(graph_.Get("g1").has_value());
  EXPECT_EQ(TakeDeletes(), std::vector<std::string>{"d1"});
  EXPECT_TRUE(graph_.IsAbsent(ghost));
}

TEST_F(GraphTest, VirtualDeleteUnderOtherCoordinatesKeepsARealNode) {
  auto owner = Meta("owner", "o1");
  Add(owner);
  auto wrong = Ref("owner", "o1");
  wrong.kind = "Secret";  // names the uid as another kind
  Add(Meta("dep", "d1", {wrong}));
  TakeDeletes();
  ObjectIdentity as_secret{"v1", "Secret", "owner", "o1", "ns"};
  VirtualDelete(as_secret);
  EXPECT_TRUE(graph_.Get("o1").has_value());
  EXPECT_EQ(TakeDeletes(), std::vector<std::string>{"d1"});
  EXPECT_TRUE(graph_.IsAbsent(as_secret));
}

TEST_F(GraphTest, ForegroundDeletionStartsOnce) {
  auto owner = Meta("owner", "o1");
  Add(owner);
  Add(Meta("dep", "d1", {Ref("owner", "o1", true)}));
  Add(Meta("free", "d2", {Ref("owner", "o1")}));
  TakeDeletes();
  auto deleting = owner;
  deleting.deletionTimestamp = "2026-01-01T00:00:00Z";
  deleting.finalizers = {kFinalizerDeleteDependents};
  Update(owner, deleting);
  auto n = graph_.Get("o1");
  ASSERT_TRUE(n.has_value());
  EXPECT_TRUE(n->being_deleted);
  EXPECT_TRUE(n->deleting_dependents);
  auto deletes = TakeDeletes();
  std::sort(deletes.begin(), deletes.end());
  EXPECT_EQ(deletes, (std::vector<std::string>{"d1", "d2", "o1"}));
  // Only the reference with blockOwnerDeletion blocks.
  auto blocking = graph_.BlockingDependents("o1");
  ASSERT_EQ(blocking.size(), 1u);
  EXPECT_EQ(blocking[0].identity.uid, "d1");
  // A later update (same state) is no new transition.
  Update(deleting, deleting);
  EXPECT_TRUE(TakeDeletes().empty());
  // The blocking dependent goes: the owner is checked again.
  Delete(Meta("dep", "d1", {Ref("owner", "o1", true)}));
  EXPECT_EQ(TakeDeletes(), std::vector<std::string>{"o1"});
  EXPECT_TRUE(graph_.BlockingDependents("o1").empty());
}

TEST_F(GraphTest, NewObjectAlreadyDeletingInForeground) {
  auto owner = Meta("owner", "o1");
  owner.deletionTimestamp = "2026-01-01T00:00:00Z";
  owner.finalizers = {kFinalizerDeleteDependents};
  Add(owner);
  auto n = graph_.Get("o1");
  ASSERT_TRUE(n.has_value());
  EXPECT_TRUE(n->deleting_dependents);
  EXPECT_EQ(TakeDeletes(), std::vector<std::string>{"o1"});
}

TEST_F(GraphTest, OrphanFinalizerQueuesTheOwnerForOrphaning) {
  auto owner = Meta("owner", "o1");
  Add(owner);
  Add(Meta("dep", "d1", {Ref("owner", "o1")}));
  auto deleting = owner;
  deleting.deletionTimestamp = "2026-01-01T00:00:00Z";
  deleting.finalizers = {kFinalizerOrphanDependents};
  Update(owner, deleting);
  EXPECT_EQ(TakeOrphans(), std::vector<std::string>{"o1"});
  auto deps = graph_.Dependents("o1");
  ASSERT_EQ(deps.size(), 1u);
  EXPECT_EQ(deps[0].identity.uid, "d1");
}

TEST_F(GraphTest, ReferenceChangesMoveEdgesAndUnblockOwners) {
  Add(Meta("a", "o1"));
  Add(Meta("b", "o2"));
  auto dep = Meta("dep", "d1", {Ref("a", "o1", true)});
  Add(dep);
  TakeDeletes();
  // Switch the owner from a (blocking) to b: a is queued to re-check its blocking dependents.
  auto moved = Meta("dep", "d1", {Ref("b", "o2")});
  Update(dep, moved);
  EXPECT_EQ(TakeDeletes(), std::vector<std::string>{"o1"});
  EXPECT_TRUE(graph_.Dependents("o1").empty());
  ASSERT_EQ(graph_.Dependents("o2").size(), 1u);
  // Unblocking a reference (block true -> false) also queues the owner.
  auto blocked = Meta("dep", "d1", {Ref("b", "o2", true)});
  Update(moved, blocked);
  TakeDeletes();
  Update(blocked, moved);
  EXPECT_EQ(TakeDeletes(), std::vector<std::string>{"o2"});
}

TEST_F(GraphTest, AbsentOwnerCacheIsBounded) {
  for (int i = 0; i < 5; ++i) {
    graph_.AddAbsent(ObjectIdentity{"v1", "ConfigMap", "x", std::to_string(i), "ns"});
  }
  EXPECT_FALSE(graph_.IsAbsent(ObjectIdentity{"v1", "ConfigMap", "x", "0", "ns"}));
  EXPECT_FALSE(graph_.IsAbsent(ObjectIdentity{"v1", "ConfigMap", "x", "1", "ns"}));
  EXPECT_TRUE(graph_.IsAbsent(ObjectIdentity{"v1", "ConfigMap", "x", "4", "ns"}));
}

}  // namespace
}  // namespace kubepp::controller::gc
