// Strategic merge patch tests. Many cases follow upstream's own
// (k8s.io/apimachinery/pkg/util/strategicpatch/patch_test.go), re-expressed on real API types:
// their "mergingList" is PodSpec.containers (merge key name), "mergingIntList" is
// ObjectMeta.finalizers (primitive merge), "nonMergingList" is Container.args, and their
// retainKeys cases use DeploymentSpec.strategy and PodSpec.volumes.
#include "api/strategic_merge.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace kubepp::api {
namespace {
namespace json = boost::json;

json::value J(std::string_view text) { return json::parse(text); }

// Applies `patch` to `doc` (type `type`) and expects `want`.
void ExpectPatch(std::string_view type, std::string_view doc, std::string_view patch,
                 std::string_view want) {
  auto got = ApplyStrategicMergePatch(J(doc), J(patch), type);
  ASSERT_TRUE(got.IsOk()) << got.status().ToString();
  EXPECT_EQ(*got, J(want)) << "got:  " << json::serialize(*got)
                           << "\nwant: " << json::serialize(J(want)) << "\npatch: " << patch;
}

std::string PatchError(std::string_view type, std::string_view doc, std::string_view patch) {
  auto got = ApplyStrategicMergePatch(J(doc), J(patch), type);
  EXPECT_FALSE(got.IsOk()) << json::serialize(*got);
  if (got.IsOk()) return "";
  EXPECT_EQ(got.status().Code(), StatusCode::kBadRequest);
  return got.status().Message();
}

TEST(StrategicMergeTest, MapsMergeAndNullDeletes) {
  ExpectPatch("Pod", R"({"metadata":{"name":"p","labels":{"a":"1","b":"2"}}})",
              R"({"metadata":{"labels":{"a":null,"c":"3"}}})",
              R"({"metadata":{"name":"p","labels":{"b":"2","c":"3"}}})");
  // Null for a key the original lacks is dropped (IgnoreUnmatchedNulls).
  ExpectPatch("Pod", R"({"metadata":{"name":"p"}})", R"({"metadata":{"labels":null}})",
              R"({"metadata":{"name":"p"}})");
  // Type change replaces.
  ExpectPatch("Pod", R"({"spec":{"nodeName":"a"}})", R"({"spec":{"nodeName":{"x":1}}})",
              R"({"spec":{"nodeName":{"x":1}}})");
}

TEST(StrategicMergeTest, OpenApiNameSelectsType) {
  ExpectPatch("io.k8s.api.core.v1.Pod", R"({"spec":{"containers":[{"name":"a","image":"x"}]}})",
              R"({"spec":{"containers":[{"name":"a","image":"y"}]}})",
              R"({"spec":{"containers":[{"name":"a","image":"y"}]}})");
  auto got = ApplyStrategicMergePatch(J("{}"), J("{}"), "NoSuchType");
  EXPECT_FALSE(got.IsOk());
}

TEST(StrategicMergeTest, MergingListMergesByKey) {
  // upstream: "Merge lists of maps, patch element matches by merge key".
  ExpectPatch(
      "Pod", R"({"spec":{"containers":[{"name":"1","image":"a"},{"name":"2","image":"b"}]}})",
      R"({"spec":{"containers":[{"name":"2","image":"c","args":["x"]}]}})",
      R"({"spec":{"containers":[{"name":"1","image":"a"},{"name":"2","image":"c","args":["x"]}]}})");
  // A new element: upstream's interleaving puts patch items not known to the server first.
  ExpectPatch("Pod", R"({"spec":{"containers":[{"name":"1"},{"name":"2"}]}})",
              R"({"spec":{"containers":[{"name":"3"}]}})",
              R"({"spec":{"containers":[{"name":"3"},{"name":"1"},{"name":"2"}]}})");
  // Merge key values may be numbers (ports by containerPort).
  ExpectPatch(
      "Container",
      R"({"name":"c","ports":[{"containerPort":80,"name":"http"},{"containerPort":443}]})",
      R"({"ports":[{"containerPort":443,"name":"https"}]})",
      R"({"name":"c","ports":[{"containerPort":80,"name":"http"},{"containerPort":443,"name":"https"}]})");
}

TEST(StrategicMergeTest, DeleteDirectiveInList) {
  // upstream: "Delete one item from merging list".
  ExpectPatch("Pod", R"({"spec":{"containers":[{"name":"1"},{"name":"2"},{"name":"3"}]}})",
              R"({"spec":{"containers":[{"name":"2","$patch":"delete"}]}})",
              R"({"spec":{"containers":[{"name":"1"},{"name":"3"}]}})");
  // Deleting something absent is fine.
  ExpectPatch("Pod", R"({"spec":{"containers":[{"name":"1"}]}})",
              R"({"spec":{"containers":[{"name":"9","$patch":"delete"}]}})",
              R"({"spec":{"containers":[{"name":"1"}]}})");
  // The merge key is required.
  EXPECT_EQ(PatchError("Pod", R"({"spec":{"containers":[{"name":"1"}]}})",
                       R"({"spec":{"containers":[{"$patch":"delete"}]}})"),
            "map: map[$patch:delete] does not contain declared merge key: name");
}

TEST(StrategicMergeTest, ReplaceDirectiveInList) {
  // upstream: "Replace list of maps: $patch: replace".
  ExpectPatch("Pod", R"({"spec":{"containers":[{"name":"1","image":"a"},{"name":"2"}]}})",
              R"({"spec":{"containers":[{"name":"3","image":"c"},{"$patch":"replace"}]}})",
              R"({"spec":{"containers":[{"name":"3","image":"c"}]}})");
  ExpectPatch("Pod", R"({"spec":{"containers":[{"name":"1"}]}})",
              R"({"spec":{"containers":[{"$patch":"replace"}]}})", R"({"spec":{"containers":[]}})");
  EXPECT_EQ(PatchError("Pod", R"({"spec":{"containers":[{"name":"1"}]}})",
                       R"({"spec":{"containers":[{"name":"1","$patch":"merge"}]}})"),
            "merging lists cannot yet be specified in the patch");
}

TEST(StrategicMergeTest, DirectivesInMaps) {
  // upstream: "Replace map: $patch: replace".
  ExpectPatch("Pod", R"({"metadata":{"labels":{"a":"1","b":"2"}}})",
              R"({"metadata":{"labels":{"$patch":"replace","c":"3"}}})",
              R"({"metadata":{"labels":{"c":"3"}}})");
  // upstream: "Delete map: $patch: delete" leaves an empty map.
  ExpectPatch("Pod", R"({"metadata":{"labels":{"a":"1"}}})",
              R"({"metadata":{"labels":{"$patch":"delete"}}})", R"({"metadata":{"labels":{}}})");
  // $patch: merge is the default.
  ExpectPatch("Pod", R"({"metadata":{"labels":{"a":"1"}}})",
              R"({"metadata":{"labels":{"$patch":"merge","b":"2"}}})",
              R"({"metadata":{"labels":{"a":"1","b":"2"}}})");
  EXPECT_EQ(PatchError("Pod", R"({"metadata":{}})", R"({"metadata":{"$patch":"bogus"}})"),
            "unknown patch type: bogus in map: map[$patch:bogus]");
  // A whole template replaced, as ControllerRevisions of DaemonSets/StatefulSets carry it
  // (kubectl rollout undo).
  ExpectPatch(
      "DaemonSet",
      R"({"spec":{"template":{"metadata":{"labels":{"a":"1"}},"spec":{"containers":[{"name":"c","image":"v2","args":["x"]}]}}}})",
      R"({"spec":{"template":{"$patch":"replace","metadata":{"labels":{"a":"1"}},"spec":{"containers":[{"name":"c","image":"v1"}]}}}})",
      R"({"spec":{"template":{"metadata":{"labels":{"a":"1"}},"spec":{"containers":[{"name":"c","image":"v1"}]}}}})");
}

TEST(StrategicMergeTest, PrimitiveListsUnionAndDelete) {
  // upstream: "Merge lists of scalars" (mergingIntList) — a set union.
  ExpectPatch("Pod", R"({"metadata":{"finalizers":["a","b"]}})",
              R"({"metadata":{"finalizers":["b","c"]}})",
              R"({"metadata":{"finalizers":["a","b","c"]}})");
  // upstream: "Delete from primitive list with $deleteFromPrimitiveList".
  ExpectPatch("Pod", R"({"metadata":{"finalizers":["a","b","c"]}})",
              R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["b","x"]}})",
              R"({"metadata":{"finalizers":["a","c"]}})");
  // Both at once, as kubectl apply sends.
  ExpectPatch("Pod", R"({"metadata":{"finalizers":["a","b"]}})",
              R"({"metadata":{"$deleteFromPrimitiveList/finalizers":["a"],"finalizers":["c"]}})",
              R"({"metadata":{"finalizers":["c","b"]}})");
  EXPECT_EQ(PatchError("Pod", R"({"metadata":{"finalizers":["a"]}})",
                       R"({"metadata":{"$deleteFromPrimitiveList":["a"]}})"),
            "invalid patch format of primitive list");
  // Lists without a strategy are replaced (upstream's nonMergingList).
  ExpectPatch("Container", R"({"name":"c","args":["a","b"]})", R"({"args":["c"]})",
              R"({"name":"c","args":["c"]})");
  ExpectPatch("PodSpec", R"({"tolerations":[{"key":"a"},{"key":"b"}]})",
              R"({"tolerations":[{"key":"c"}]})", R"({"tolerations":[{"key":"c"}]})");
}

TEST(StrategicMergeTest, SetElementOrder) {
  // upstream: "$setElementOrder reorders the live list".
  ExpectPatch(
      "Pod", R"({"spec":{"containers":[{"name":"1"},{"name":"2"},{"name":"3"}]}})",
      R"({"spec":{"$setElementOrder/containers":[{"name":"3"},{"name":"1"},{"name":"2"}]}})",
      R"({"spec":{"containers":[{"name":"3"},{"name":"1"},{"name":"2"}]}})");
  // A new item placed where $setElementOrder says; server-only items keep their place.
  ExpectPatch(
      "Pod", R"({"spec":{"containers":[{"name":"1"},{"name":"2"},{"name":"9"}]}})",
      R"({"spec":{"$setElementOrder/containers":[{"name":"1"},{"name":"new"},{"name":"2"}],
                          "containers":[{"name":"new","image":"n"}]}})",
      R"({"spec":{"containers":[{"name":"1"},{"name":"new","image":"n"},{"name":"2"},{"name":"9"}]}})");
  // Primitive lists.
  ExpectPatch("Pod", R"({"metadata":{"finalizers":["a","b","c"]}})",
              R"({"metadata":{"$setElementOrder/finalizers":["c","b","a"]}})",
              R"({"metadata":{"finalizers":["c","b","a"]}})");
  // The patch list's order must agree with $setElementOrder.
  std::string err =
      PatchError("Pod", R"({"spec":{"containers":[{"name":"1"},{"name":"2"}]}})",
                 R"({"spec":{"$setElementOrder/containers":[{"name":"1"},{"name":"2"}],
                             "containers":[{"name":"2","image":"x"},{"name":"1","image":"y"}]}})");
  EXPECT_NE(err.find("doesn't match $setElementOrder list"), std::string::npos) << err;
  EXPECT_EQ(PatchError("Pod", R"({"spec":{}})", R"({"spec":{"$setElementOrder/containers":{}}})"),
            "expected a []interface {}, but received a map[string]interface {}");
}

TEST(StrategicMergeTest, RetainKeys) {
  // upstream: "retainKeys: clear fields not listed" (Deployment strategy switch by apply).
  ExpectPatch("Deployment",
              R"({"spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}}}})",
              R"({"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}})",
              R"({"spec":{"strategy":{"type":"Recreate"}}})");
  // Volumes: "merge,retainKeys" — switching a volume's source.
  ExpectPatch(
      "PodSpec", R"({"volumes":[{"name":"v","emptyDir":{}},{"name":"w","emptyDir":{}}]})",
      R"({"volumes":[{"name":"v","$retainKeys":["configMap","name"],"configMap":{"name":"c"}}]})",
      R"({"volumes":[{"name":"v","configMap":{"name":"c"}},{"name":"w","emptyDir":{}}]})");
  // A patched key must be listed.
  EXPECT_EQ(PatchError("Deployment", R"({"spec":{"strategy":{"type":"RollingUpdate"}}})",
                       R"({"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":{}}}})"),
            "invalid patch format of retainKeys");
  EXPECT_EQ(PatchError("Deployment", R"({"spec":{"strategy":{}}})",
                       R"({"spec":{"strategy":{"$retainKeys":"type"}}})"),
            "invalid patch format of retainKeys");
}

TEST(StrategicMergeTest, NewValuesHaveDirectivesApplied) {
  ExpectPatch(
      "Pod", R"({"spec":{}})",
      R"({"spec":{"$setElementOrder/containers":[{"name":"a"}],"containers":[{"name":"a","env":[{"name":"X","value":"1"}],"args":null}]}})",
      R"({"spec":{"containers":[{"name":"a","env":[{"name":"X","value":"1"}]}]}})");
}

TEST(StrategicMergeTest, ErrorsForBadInput) {
  EXPECT_EQ(PatchError("Pod", "{}", "[]"),
            "json: cannot unmarshal array into Go value of type map[string]interface {}");
  EXPECT_EQ(PatchError("Pod", R"({"spec":{"containers":[{"name":"a"}]}})",
                       R"({"spec":{"containers":["x"]}})"),
            "list element types are not identical: [[map[name:a]] [x]]");
  EXPECT_EQ(PatchError("Pod", R"({"spec":{"containers":[{"name":"a"}]}})",
                       R"({"spec":{"containers":[{"image":"x"}]}})"),
            "map: map[image:x] does not contain declared merge key: name");
}

// What kubectl sends.
TEST(StrategicMergeTest, KubectlApplyClientSide) {
  // kubectl apply (3-way patch): last-applied annotation, changed image, a removed container,
  // a removed label, $setElementOrder.
  ExpectPatch(
      "Deployment",
      R"({"metadata":{"name":"d","labels":{"app":"x","old":"y"},"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{}","deployment.kubernetes.io/revision":"1"}},
                  "spec":{"replicas":1,"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.24"},{"name":"side","image":"busybox"}]}}}})",
      R"({"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"new\":1}"},"labels":{"old":null}},
                  "spec":{"replicas":3,"template":{"spec":{"$setElementOrder/containers":[{"name":"web"}],
                     "containers":[{"image":"nginx:1.25","name":"web"},{"$patch":"delete","name":"side"}]}}}})",
      R"({"metadata":{"name":"d","labels":{"app":"x"},"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"new\":1}","deployment.kubernetes.io/revision":"1"}},
                  "spec":{"replicas":3,"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.25"}]}}}})");
}

TEST(StrategicMergeTest, KubectlSetEnvAndSetImage) {
  // kubectl set env deployment/d B=2 (two-way patch with $setElementOrder).
  ExpectPatch(
      "Deployment",
      R"({"spec":{"template":{"spec":{"containers":[{"name":"app","image":"i","env":[{"name":"A","value":"1"}]}]}}}})",
      R"({"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"app"}],"containers":[{"$setElementOrder/env":[{"name":"A"},{"name":"B"}],"env":[{"name":"B","value":"2"}],"name":"app"}]}}}})",
      R"({"spec":{"template":{"spec":{"containers":[{"name":"app","image":"i","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]}]}}}})");
  // kubectl set env deployment/d A- (removal).
  ExpectPatch(
      "Deployment",
      R"({"spec":{"template":{"spec":{"containers":[{"name":"app","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]}]}}}})",
      R"({"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"app"}],"containers":[{"$setElementOrder/env":[{"name":"B"}],"env":[{"$patch":"delete","name":"A"}],"name":"app"}]}}}})",
      R"({"spec":{"template":{"spec":{"containers":[{"name":"app","env":[{"name":"B","value":"2"}]}]}}}})");
  // kubectl set image deployment/d app=nginx:2.
  ExpectPatch(
      "Deployment",
      R"({"spec":{"template":{"spec":{"containers":[{"name":"app","image":"nginx:1"},{"name":"b","image":"b"}]}}}})",
      R"({"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"app"},{"name":"b"}],"containers":[{"image":"nginx:2","name":"app"}]}}}})",
      R"({"spec":{"template":{"spec":{"containers":[{"name":"app","image":"nginx:2"},{"name":"b","image":"b"}]}}}})");
}

TEST(StrategicMergeTest, KubectlCordonLabelAnnotate) {
  ExpectPatch("Node", R"({"metadata":{"name":"n"},"spec":{"podCIDR":"10.0.0.0/24"}})",
              R"({"spec":{"unschedulable":true}})",
              R"({"metadata":{"name":"n"},"spec":{"podCIDR":"10.0.0.0/24","unschedulable":true}})");
  ExpectPatch("Node",
              R"({"spec":{"unschedulable":true,"taints":[{"key":"k","effect":"NoSchedule"}]}})",
              R"({"spec":{"unschedulable":null}})",
              R"({"spec":{"taints":[{"key":"k","effect":"NoSchedule"}]}})");
  // kubectl label --overwrite / annotate --overwrite / label a-.
  ExpectPatch("ConfigMap", R"({"metadata":{"labels":{"a":"1","b":"2"},"annotations":{"x":"1"}}})",
              R"({"metadata":{"labels":{"a":"9","b":null},"annotations":{"x":"2","y":"3"}}})",
              R"({"metadata":{"labels":{"a":"9"},"annotations":{"x":"2","y":"3"}}})");
}

TEST(StrategicMergeTest, FreeFormFieldsMergeLikeJsonMergePatch) {
  ExpectPatch("ControllerRevision", R"({"data":{"a":{"b":1,"c":[1,2]}}})",
              R"({"data":{"a":{"b":null,"c":[3]}}})", R"({"data":{"a":{"c":[3]}}})");
}

}  // namespace
}  // namespace kubepp::api
