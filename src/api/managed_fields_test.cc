#include "api/managed_fields.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "api/yaml_json.h"

namespace kubepp::api::managed {
namespace {

namespace json = boost::json;

const schema::Type& TypeOf(std::string_view group, std::string_view kind) {
  const schema::Type* t =
      schema::Schema::Embedded().FindByGvk(group, group.empty() ? "v1" : "v1", kind);
  EXPECT_NE(t, nullptr) << kind;
  return *t;
}

WriteContext Ctx(std::string manager, std::string_view kind = "ConfigMap",
                 std::string now = "2025-01-01T00:00:00Z") {
  WriteContext ctx;
  ctx.type = &TypeOf(kind == "Deployment" ? "apps" : "", kind);
  ctx.manager = std::move(manager);
  ctx.api_version = kind == "Deployment" ? "apps/v1" : "v1";
  ctx.has_status = kind != "ConfigMap";
  ctx.now = std::move(now);
  return ctx;
}

json::value Parse(std::string_view text) { return json::parse(text); }

// The managedFields entries of `obj` as (manager/operation -> fieldsV1 JSON text).
std::map<std::string, std::string> Owners(const json::value& obj) {
  std::map<std::string, std::string> out;
  const auto* mf = obj.at("metadata").as_object().if_contains("managedFields");
  if (mf == nullptr) return out;
  for (const auto& e : mf->as_array()) {
    out[std::string(e.at("manager").as_string()) + "/" +
        std::string(e.at("operation").as_string())] = json::serialize(e.at("fieldsV1"));
  }
  return out;
}

TEST(FieldSetTest, FieldsV1RoundTrip) {
  const char* text =
      R"({"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:containers":)"
      R"({"k:{\"name\":\"nginx\"}":{".":{},"f:image":{},"f:name":{},"f:ports":)"
      R"({".":{},"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{}}}}},)"
      R"("f:finalizers":{"v:\"a\"":{}}}})";
  auto set = FieldSet::FromJson(Parse(text));
  ASSERT_TRUE(set.IsOk()) << set.status().ToString();
  EXPECT_EQ(json::serialize(set->ToJson()), text);
  auto again = FieldSet::FromJson(set->ToJson());
  ASSERT_TRUE(again.IsOk());
  EXPECT_EQ(*again, *set);
  EXPECT_FALSE(FieldSet::FromJson(Parse(R"({"x:y":{}})")).IsOk());
  EXPECT_FALSE(FieldSet::FromJson(Parse("[]")).IsOk());
}

TEST(FieldSetTest, SetOperations) {
  auto a = *FieldSet::FromJson(Parse(R"({"f:data":{".":{},"f:a":{},"f:b":{}}})"));
  auto b = *FieldSet::FromJson(Parse(R"({"f:data":{"f:b":{},"f:c":{}}})"));
  FieldSet u = a;
  u.Union(b);
  EXPECT_EQ(json::serialize(u.ToJson()), R"({"f:data":{".":{},"f:a":{},"f:b":{},"f:c":{}}})");
  FieldSet d = a;
  d.Difference(b);
  EXPECT_EQ(json::serialize(d.ToJson()), R"({"f:data":{".":{},"f:a":{}}})");
  EXPECT_EQ(json::serialize(a.Intersection(b).ToJson()), R"({"f:data":{"f:b":{}}})");
  EXPECT_TRUE(a.HasMember({"f:data", "f:a"}));
  EXPECT_FALSE(a.HasMember({"f:data", "f:c"}));
}

TEST(FieldSetTest, PathString) {
  EXPECT_EQ(PathString({"f:data", "f:k1"}), ".data.k1");
  EXPECT_EQ(PathString({"f:spec", "f:containers", R"(k:{"name":"c"})", "f:image"}),
            R"(.spec.containers[name="c"].image)");
  EXPECT_EQ(PathString({"f:metadata", "f:finalizers", R"(v:"x")"}),
            R"(.metadata.finalizers[="x"])");
}

TEST(ToFieldSetTest, AssociativeListsByMergeKeys) {
  json::value pod = Parse(R"({
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "p", "namespace": "d", "labels": {"app": "x"}, "finalizers": ["f1"]},
    "spec": {"containers": [{"name": "c", "image": "nginx", "command": ["a", "b"],
                             "ports": [{"containerPort": 80}, {"containerPort": 53, "protocol": "UDP"}]}],
             "nodeSelector": {"disk": "ssd"},
             "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution":
                           {"nodeSelectorTerms": [{"matchExpressions": []}]}}}}})");
  auto set = ToFieldSet(pod, TypeOf("", "Pod"));
  ASSERT_TRUE(set.IsOk()) << set.status().ToString();
  EXPECT_EQ(json::serialize(set->ToJson()),
            R"({"f:metadata":{"f:finalizers":{"v:\"f1\"":{}},"f:labels":{"f:app":{}}},)"
            R"("f:spec":{"f:affinity":{"f:nodeAffinity":{)"
            R"("f:requiredDuringSchedulingIgnoredDuringExecution":{}}},)"
            R"("f:containers":{"k:{\"name\":\"c\"}":{".":{},"f:command":{},"f:image":{},)"
            R"("f:name":{},"f:ports":{"k:{\"containerPort\":53,\"protocol\":\"UDP\"}":)"
            R"({".":{},"f:containerPort":{},"f:protocol":{}},)"
            R"("k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{}}}}},)"
            R"("f:nodeSelector":{}}})");
}

TEST(ToFieldSetTest, UnknownFieldAndMissingKey) {
  auto bad = ToFieldSet(Parse(R"({"data": {"a": "b"}, "bogus": 1})"), TypeOf("", "ConfigMap"));
  ASSERT_FALSE(bad.IsOk());
  EXPECT_EQ(bad.status().Message(), ".bogus: field not declared in schema");
  auto nokey =
      ToFieldSet(Parse(R"({"spec": {"containers": [{"image": "x"}]}})"), TypeOf("", "Pod"));
  ASSERT_FALSE(nokey.IsOk());
  EXPECT_NE(nokey.status().Message().find("omits key field \"name\""), std::string::npos);
}

TEST(UpdateManagedFieldsTest, CreateRecordsEveryFieldSet) {
  json::value obj = Parse(R"({"apiVersion": "v1", "kind": "ConfigMap",
      "metadata": {"name": "c", "namespace": "d", "uid": "u", "labels": {"a": "b"}},
      "data": {"k1": "v1"}})");
  UpdateManagedFields(nullptr, obj, nullptr, Ctx("kubectl-create"));
  const auto& mf = obj.at("metadata").at("managedFields").as_array();
  ASSERT_EQ(mf.size(), 1U);
  EXPECT_EQ(json::serialize(mf[0]),
            R"({"manager":"kubectl-create","operation":"Update","apiVersion":"v1",)"
            R"("time":"2025-01-01T00:00:00Z","fieldsType":"FieldsV1","fieldsV1":)"
            R"({"f:data":{".":{},"f:k1":{}},"f:metadata":{"f:labels":{".":{},"f:a":{}}}}})");
}

TEST(UpdateManagedFieldsTest, DeploymentCreateKeepsValueStructsUnowned) {
  json::value obj = Parse(R"({"apiVersion": "apps/v1", "kind": "Deployment",
      "metadata": {"name": "d"},
      "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "x"}},
               "template": {"metadata": {"labels": {"app": "x"}},
                            "spec": {"containers": [{"name": "c", "image": "i"}]}}},
      "status": {"replicas": 0}})");
  UpdateManagedFields(nullptr, obj, nullptr, Ctx("kubectl-create", "Deployment"));
  EXPECT_EQ(Owners(obj)["kubectl-create/Update"],
            R"({"f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:metadata":{)"
            R"("f:labels":{".":{},"f:app":{}}},"f:spec":{"f:containers":{)"
            R"("k:{\"name\":\"c\"}":{".":{},"f:image":{},"f:name":{}}}}}}})");
}

TEST(UpdateManagedFieldsTest, OwnershipMovesToTheManagerThatChangesAField) {
  json::value v1 = Parse(R"({"metadata": {"name": "c"}, "data": {"k1": "v1", "k2": "v2"}})");
  UpdateManagedFields(nullptr, v1, nullptr, Ctx("a"));
  json::value v2 = v1;
  v2.at("data").as_object()["k1"] = "changed";
  v2.at("data").as_object().erase("k2");
  v2.at("data").as_object()["k3"] = "new";
  UpdateManagedFields(&v1, v2, nullptr, Ctx("b", "ConfigMap", "2025-01-02T00:00:00Z"));
  auto owners = Owners(v2);
  EXPECT_EQ(owners["a/Update"], R"({"f:data":{}})");  // a leaf member
  EXPECT_EQ(owners["b/Update"], R"({"f:data":{"f:k1":{},"f:k3":{}}})");

  // No change: nothing moves, no new entry.
  json::value v3 = v2;
  UpdateManagedFields(&v2, v3, nullptr, Ctx("c"));
  EXPECT_EQ(Owners(v3).count("c/Update"), 0U);
  EXPECT_EQ(Owners(v3).size(), 2U);
}

TEST(UpdateManagedFieldsTest, SentManagedFieldsReplaceOrReset) {
  json::value v1 = Parse(R"({"metadata": {"name": "c"}, "data": {"k1": "v1"}})");
  UpdateManagedFields(nullptr, v1, nullptr, Ctx("a"));
  // [] resets: only the change of this write is recorded.
  json::value v2 = v1;
  v2.at("data").as_object()["k2"] = "x";
  json::value reset = json::array();
  UpdateManagedFields(&v1, v2, &reset, Ctx("b"));
  EXPECT_EQ(Owners(v2).size(), 1U);
  EXPECT_EQ(Owners(v2)["b/Update"], R"({"f:data":{"f:k2":{}}})");
  // [{}] resets too.
  json::value v3 = v1;
  json::value empty_entry = Parse("[{}]");
  UpdateManagedFields(&v1, v3, &empty_entry, Ctx("b"));
  EXPECT_EQ(v3.at("metadata").as_object().count("managedFields"), 0U);
  // Valid sent entries replace the live ones.
  json::value v4 = v1;
  json::value sent = Parse(R"([{"manager": "z", "operation": "Update", "apiVersion": "v1",
      "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:k1": {}}}}])");
  UpdateManagedFields(&v1, v4, &sent, Ctx("b"));
  EXPECT_EQ(Owners(v4).size(), 1U);
  EXPECT_EQ(Owners(v4)["z/Update"], R"({"f:data":{"f:k1":{}}})");
  // Undecodable sent entries: the live ones stay.
  json::value v5 = v1;
  json::value bad = Parse(R"([{"manager": "z", "operation": "Bogus"}])");
  UpdateManagedFields(&v1, v5, &bad, Ctx("b"));
  EXPECT_EQ(Owners(v5), Owners(v1));
}

TEST(ApplyTest, CreatesMergesAndRemovesWhatIsNoLongerApplied) {
  json::value config = Parse(R"({"apiVersion": "v1", "kind": "ConfigMap",
      "metadata": {"name": "c", "labels": {"l": "1"}}, "data": {"a": "1", "b": "2"}})");
  auto created = Apply(nullptr, config, Ctx("x"), false);
  ASSERT_TRUE(created.IsOk()) << created.status().ToString();
  EXPECT_EQ(Owners(*created)["x/Apply"],
            R"({"f:data":{"f:a":{},"f:b":{}},"f:metadata":{"f:labels":{"f:l":{}}}})");
  EXPECT_EQ(created->at("data").at("b"), "2");

  // Someone else adds "c" by an update; x then stops applying "b" and the label.
  json::value updated = *created;
  updated.at("data").as_object()["c"] = "3";
  UpdateManagedFields(&*created, updated, nullptr, Ctx("other"));
  json::value config2 = Parse(R"({"apiVersion": "v1", "kind": "ConfigMap",
      "metadata": {"name": "c"}, "data": {"a": "1"}})");
  auto applied = Apply(&updated, config2, Ctx("x"), false);
  ASSERT_TRUE(applied.IsOk()) << applied.status().ToString();
  EXPECT_EQ(json::serialize(applied->at("data")), R"({"a":"1","c":"3"})");
  EXPECT_TRUE(applied->at("metadata").at("labels").as_object().empty());
  EXPECT_EQ(Owners(*applied)["x/Apply"], R"({"f:data":{"f:a":{}}})");
  EXPECT_EQ(Owners(*applied)["other/Update"], R"({"f:data":{"f:c":{}}})");
}

TEST(ApplyTest, FieldOwnedByAnotherApplierStays) {
  auto one = Apply(nullptr, Parse(R"({"apiVersion": "v1", "data": {"a": "1", "b": "2"}})"),
                   Ctx("x"), false);
  ASSERT_TRUE(one.IsOk());
  auto two = Apply(&*one, Parse(R"({"apiVersion": "v1", "data": {"b": "2"}})"), Ctx("y"), false);
  ASSERT_TRUE(two.IsOk()) << two.status().ToString();
  auto three = Apply(&*two, Parse(R"({"apiVersion": "v1", "data": {"a": "1"}})"), Ctx("x"), false);
  ASSERT_TRUE(three.IsOk());
  EXPECT_EQ(json::serialize(three->at("data")), R"({"a":"1","b":"2"})");  // y still owns b
  auto four = Apply(&*three, Parse(R"({"apiVersion": "v1"})"), Ctx("y"), false);
  ASSERT_TRUE(four.IsOk());
  EXPECT_EQ(json::serialize(four->at("data")), R"({"a":"1"})");
  EXPECT_EQ(Owners(*four).count("y/Apply"), 0U);  // an empty set is dropped
}

TEST(ApplyTest, ConflictsAndForce) {
  json::value live = Parse(R"({"apiVersion": "v1", "kind": "ConfigMap",
      "metadata": {"name": "c"}, "data": {"k1": "v1", "k2": "v2"}})");
  UpdateManagedFields(nullptr, live, nullptr, Ctx("kubectl-client-side-apply"));

  // The same value: shared ownership, no conflict.
  auto same = Apply(&live, Parse(R"({"apiVersion": "v1", "data": {"k1": "v1"}})"), Ctx("x"), false);
  ASSERT_TRUE(same.IsOk()) << same.status().ToString();
  EXPECT_EQ(Owners(*same)["x/Apply"], R"({"f:data":{"f:k1":{}}})");
  EXPECT_EQ(Owners(*same)["kubectl-client-side-apply/Update"],
            R"({"f:data":{".":{},"f:k1":{},"f:k2":{}}})");

  auto one =
      Apply(&live, Parse(R"({"apiVersion": "v1", "data": {"k1": "other"}})"), Ctx("x"), false);
  ASSERT_FALSE(one.IsOk());
  EXPECT_EQ(one.status().Code(), StatusCode::kConflict);
  EXPECT_EQ(one.status().Message(),
            "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using v1: "
            ".data.k1");
  ASSERT_NE(one.status().Details(), nullptr);
  ASSERT_EQ(one.status().Details()->causes.size(), 1U);
  EXPECT_EQ(one.status().Details()->causes[0].type, "FieldManagerConflict");
  EXPECT_EQ(one.status().Details()->causes[0].field, ".data.k1");
  EXPECT_EQ(one.status().Details()->causes[0].message,
            "conflict with \"kubectl-client-side-apply\" using v1");

  auto two = Apply(&live, Parse(R"({"apiVersion": "v1", "data": {"k1": "a", "k2": "b"}})"),
                   Ctx("x"), false);
  ASSERT_FALSE(two.IsOk());
  EXPECT_EQ(two.status().Message(),
            "Apply failed with 2 conflicts: conflicts with \"kubectl-client-side-apply\" using "
            "v1:\n- .data.k1\n- .data.k2");

  auto forced =
      Apply(&live, Parse(R"({"apiVersion": "v1", "data": {"k1": "other"}})"), Ctx("x"), true);
  ASSERT_TRUE(forced.IsOk());
  EXPECT_EQ(forced->at("data").at("k1"), "other");
  EXPECT_EQ(Owners(*forced)["x/Apply"], R"({"f:data":{"f:k1":{}}})");
  EXPECT_EQ(Owners(*forced)["kubectl-client-side-apply/Update"],
            R"({"f:data":{".":{},"f:k2":{}}})");
}

TEST(ApplyTest, KubectlTakesOverFromClientSideApply) {
  json::value live = Parse(R"({"apiVersion": "v1", "kind": "ConfigMap",
      "metadata": {"name": "c", "annotations": {"kubectl.kubernetes.io/last-applied-configuration":
          "{\"apiVersion\":\"v1\",\"data\":{\"k1\":\"v1\"},\"kind\":\"ConfigMap\"}"}},
      "data": {"k1": "v1"}})");
  UpdateManagedFields(nullptr, live, nullptr, Ctx("kubectl-client-side-apply"));
  json::value config = Parse(R"({"apiVersion": "v1", "kind": "ConfigMap", "data": {"k1": "v2"}})");
  EXPECT_FALSE(Apply(&live, config, Ctx("someone-else"), false).IsOk());
  auto applied = Apply(&live, config, Ctx("kubectl"), false);
  ASSERT_TRUE(applied.IsOk()) << applied.status().ToString();
  EXPECT_EQ(applied->at("data").at("k1"), "v2");
  EXPECT_EQ(Owners(*applied)["kubectl/Apply"], R"({"f:data":{"f:k1":{}}})");
  EXPECT_EQ(applied->at("metadata")
                .at("annotations")
                .at("kubectl.kubernetes.io/last-applied-configuration"),
            R"({"apiVersion":"v1","kind":"ConfigMap","data":{"k1":"v2"}})");
}

TEST(ApplyTest, AssociativeListsMergeByKey) {
  json::value live = Parse(R"({"apiVersion": "apps/v1", "kind": "Deployment",
      "metadata": {"name": "d"},
      "spec": {"selector": {"matchLabels": {"app": "x"}},
               "template": {"spec": {"containers": [
                  {"name": "a", "image": "a:1"}, {"name": "b", "image": "b:1"}]}}}})");
  UpdateManagedFields(nullptr, live, nullptr, Ctx("creator", "Deployment"));
  auto applied = Apply(&live, Parse(R"({"apiVersion": "apps/v1", "kind": "Deployment",
      "spec": {"template": {"spec": {"containers": [{"name": "c", "image": "c:1"},
                                                     {"name": "b", "image": "b:1"}]}}}})"),
                       Ctx("x", "Deployment"), false);
  ASSERT_TRUE(applied.IsOk()) << applied.status().ToString();
  std::string names;
  for (const auto& c : applied->at("spec").at("template").at("spec").at("containers").as_array()) {
    names += std::string(c.at("name").as_string());
  }
  EXPECT_EQ(names, "acb");
  auto conflict = Apply(&live, Parse(R"({"apiVersion": "apps/v1",
      "spec": {"template": {"spec": {"containers": [{"name": "a", "image": "a:2"}]}}}})"),
                        Ctx("x", "Deployment"), false);
  ASSERT_FALSE(conflict.IsOk());
  EXPECT_EQ(conflict.status().Message(),
            "Apply failed with 1 conflict: conflict with \"creator\" using apps/v1: "
            ".spec.template.spec.containers[name=\"a\"].image");
}

TEST(ApplyTest, RejectsBadConfigs) {
  auto version = Apply(nullptr, Parse(R"({"apiVersion": "v2", "data": {}})"), Ctx("x"), false);
  ASSERT_FALSE(version.IsOk());
  EXPECT_EQ(
      version.status().Message(),
      "Incorrect version specified in apply patch. Specified patch version: v2, expected: v1");
  auto mf = Apply(nullptr, Parse(R"({"apiVersion": "v1", "metadata": {"managedFields": []}})"),
                  Ctx("x"), false);
  ASSERT_FALSE(mf.IsOk());
  EXPECT_EQ(mf.status().Message(), "metadata.managedFields must be nil");
  auto unknown = Apply(nullptr, Parse(R"({"apiVersion": "v1", "metadata": {"name": "n"},
      "bogus": 1})"),
                       Ctx("x"), false);
  ASSERT_FALSE(unknown.IsOk());
  EXPECT_EQ(unknown.status().Message(),
            "failed to create typed patch object (/n; /v1, Kind=ConfigMap): .bogus: field not "
            "declared in schema");
}

TEST(ManagerOfTest, FieldManagerOrUserAgentPrefix) {
  EXPECT_EQ(ManagerOf("kubectl-edit", "kubectl/v1.33.0 (linux/amd64)"), "kubectl-edit");
  EXPECT_EQ(ManagerOf("", "kubectl/v1.33.0 (linux/amd64) kubernetes/abc"), "kubectl");
  EXPECT_EQ(ManagerOf("", "curl"), "curl");
  EXPECT_EQ(ManagerOf("", std::string(200, 'a')).size(), 128U);
}

TEST(YamlJsonTest, ConvertsScalarsLikeYaml11) {
  auto v = YamlToJson(
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: \"1\"\n  b: 'yes'\n"
      "n: 42\nneg: -7\nf: 1.5\nt: true\ny: yes\nnil: ~\nlist: [1, two]\nhex: 0x1f\n");
  ASSERT_TRUE(v.IsOk()) << v.status().ToString();
  EXPECT_EQ(json::serialize(*v),
            R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"},)"
            R"("data":{"a":"1","b":"yes"},"n":42,"neg":-7,"f":1.5E0,"t":true,"y":true,)"
            R"("nil":null,"list":[1,"two"],"hex":31})");
  auto j = YamlToJson(R"({"a": {"b": [1, "x", null, false]}})");
  ASSERT_TRUE(j.IsOk());
  EXPECT_EQ(json::serialize(*j), R"({"a":{"b":[1,"x",null,false]}})");
  EXPECT_FALSE(YamlToJson("a: [1, 2").IsOk());
}

}  // namespace
}  // namespace kubepp::api::managed
