#include "controller/namespace_deleter.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "base/rfc3339.h"
#include "controller/manager/controller_manager.h"

namespace kubepp::controller {
namespace {

Clock::WallTime At(std::string_view t) { return *ParseRfc3339(t); }

const api::NamespaceCondition* Find(const std::vector<api::NamespaceCondition>& cs,
                                    std::string_view type) {
  for (const auto& c : cs) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

TEST(NamespaceConditions, AllWellSetsFiveFalseConditions) {
  std::vector<api::NamespaceCondition> cs;
  NamespaceDeletionReport report;
  EXPECT_TRUE(ApplyNamespaceDeletionConditions(report, At("2024-01-01T00:00:00Z"), &cs));
  ASSERT_EQ(cs.size(), 5U);
  for (const auto& c : cs) {
    EXPECT_EQ(c.status, "False") << c.type;
    EXPECT_EQ(c.lastTransitionTime, "2024-01-01T00:00:00Z");
  }
  EXPECT_EQ(Find(cs, "NamespaceContentRemaining")->reason, "ContentRemoved");
  EXPECT_EQ(Find(cs, "NamespaceDeletionContentFailure")->message,
            "All content successfully deleted, may be waiting on finalization");
  // Nothing changed: nothing to write, times kept.
  EXPECT_FALSE(ApplyNamespaceDeletionConditions(report, At("2024-01-01T00:01:00Z"), &cs));
  EXPECT_EQ(cs[0].lastTransitionTime, "2024-01-01T00:00:00Z");
}

TEST(NamespaceConditions, RemainingContentAndFinalizersAsUpstreamWords) {
  std::vector<api::NamespaceCondition> cs;
  cs.push_back({.lastTransitionTime = "x",
                .message = "m",
                .reason = "r",
                .status = "True",
                .type = "SomethingElse"});
  NamespaceDeletionReport report;
  report.remaining["pods."] = 2;
  report.remaining["configmaps."] = 1;
  report.finalizers["example.com/keep"] = 1;
  report.content_errors = {"b failed", "a failed"};
  EXPECT_TRUE(ApplyNamespaceDeletionConditions(report, At("2024-01-01T00:00:00Z"), &cs));
  ASSERT_EQ(cs.size(), 6U);
  EXPECT_EQ(Find(cs, "SomethingElse")->message, "m");
  const auto* remaining = Find(cs, "NamespaceContentRemaining");
  EXPECT_EQ(remaining->status, "True");
  EXPECT_EQ(remaining->reason, "SomeResourcesRemain");
  EXPECT_EQ(remaining->message,
            "Some resources are remaining: configmaps. has 1 resource instances, pods. has 2 "
            "resource instances");
  const auto* fins = Find(cs, "NamespaceFinalizersRemaining");
  EXPECT_EQ(fins->reason, "SomeFinalizersRemain");
  EXPECT_EQ(fins->message,
            "Some content in the namespace has finalizers remaining: example.com/keep in 1 "
            "resource instances");
  const auto* failed = Find(cs, "NamespaceDeletionContentFailure");
  EXPECT_EQ(failed->reason, "ContentDeletionFailed");
  EXPECT_EQ(failed->message,
            "Failed to delete all resource types, 2 remaining: a failed, b failed");

  // Once the content is gone the conditions flip back (and are written again).
  NamespaceDeletionReport done;
  EXPECT_TRUE(ApplyNamespaceDeletionConditions(done, At("2024-01-01T00:00:09Z"), &cs));
  EXPECT_EQ(Find(cs, "NamespaceContentRemaining")->status, "False");
  EXPECT_EQ(Find(cs, "NamespaceContentRemaining")->lastTransitionTime, "2024-01-01T00:00:09Z");
}

TEST(NamespaceDeleter, PodsGracefulTerminationEstimate) {
  auto pods = boost::json::parse(R"({"items": [
    {"metadata": {"name": "a"}, "spec": {"terminationGracePeriodSeconds": 30},
     "status": {"phase": "Running"}},
    {"metadata": {"name": "b", "deletionGracePeriodSeconds": 45},
     "spec": {"terminationGracePeriodSeconds": 30}, "status": {"phase": "Pending"}},
    {"metadata": {"name": "c"}, "spec": {"terminationGracePeriodSeconds": 600},
     "status": {"phase": "Succeeded"}}]})");
  auto deleted = At("2024-01-01T00:00:00Z");
  EXPECT_EQ(EstimatePodsGracefulTermination(pods, deleted, At("2024-01-01T00:00:10Z")), 45);
  // Once the namespace has been gone that long, the pods are no longer expected to leave.
  EXPECT_EQ(EstimatePodsGracefulTermination(pods, deleted, At("2024-01-01T00:00:45Z")), 0);
  EXPECT_EQ(EstimatePodsGracefulTermination(boost::json::parse("{}"), deleted, deleted), 0);
  EXPECT_EQ(RemainingContentRequeue(15), std::chrono::seconds(8));
  EXPECT_EQ(RemainingContentRequeue(0), std::chrono::seconds(1));
}

TEST(ParseApiResourceList, KeepsTopLevelResourcesAndVerbs) {
  auto list = boost::json::parse(R"({"kind": "APIResourceList", "groupVersion": "apps/v1",
    "resources": [
      {"name": "deployments", "namespaced": true, "kind": "Deployment",
       "verbs": ["create", "delete", "deletecollection", "get", "list"]},
      {"name": "deployments/scale", "namespaced": true, "kind": "Scale", "verbs": ["get"]},
      {"name": "things", "namespaced": false, "kind": "Thing", "verbs": ["get"]}]})");
  auto parsed = ParseApiResourceList(list, "apps", "v1");
  ASSERT_TRUE(parsed.IsOk());
  ASSERT_EQ(parsed->size(), 2U);
  EXPECT_EQ((*parsed)[0].GroupResource(), "deployments.apps");
  EXPECT_TRUE((*parsed)[0].ref.namespaced);
  EXPECT_TRUE((*parsed)[0].Supports("deletecollection"));
  EXPECT_FALSE((*parsed)[1].ref.namespaced);
  EXPECT_FALSE((*parsed)[1].Supports("delete"));
}

ControllerFactory NoFactory() {
  return [](const ControllerContext&) { return std::unique_ptr<Controller>(); };
}

TEST(SelectControllers, StarNamesAndMinus) {
  std::vector<ControllerDescriptor> table = {
      {"namespace-controller", "namespace", false, NoFactory()},
      {"replicaset-controller", "replicaset", false, NoFactory()},
      {"bootstrap-signer-controller", "bootstrapsigner", true, NoFactory()},
  };
  auto names = [&](const std::vector<std::string>& flags) {
    auto picked = SelectControllers(table, flags);
    EXPECT_TRUE(picked.IsOk()) << picked.status().ToString();
    std::vector<std::string> out;
    if (picked.IsOk()) {
      for (const auto* d : *picked) out.emplace_back(d->name);
    }
    return out;
  };
  EXPECT_EQ(names({"*"}),
            (std::vector<std::string>{"namespace-controller", "replicaset-controller"}));
  EXPECT_EQ(names({"*", "-replicaset"}), (std::vector<std::string>{"namespace-controller"}));
  EXPECT_EQ(names({"*", "bootstrapsigner", "-namespace-controller"}),
            (std::vector<std::string>{"replicaset-controller", "bootstrap-signer-controller"}));
  EXPECT_EQ(names({"replicaset-controller"}), (std::vector<std::string>{"replicaset-controller"}));
  auto bad = SelectControllers(table, {"*", "-nosuch"});
  ASSERT_FALSE(bad.IsOk());
  EXPECT_EQ(bad.status().Message(), "\"nosuch\" is not in the list of known controllers");
}

}  // namespace
}  // namespace kubepp::controller
