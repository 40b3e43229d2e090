#include "api/schema.h"

#include <gtest/gtest.h>

namespace kubepp::api::schema {
namespace {

TEST(SchemaTest, FindsTypesByNameOpenApiNameAndGvk) {
  const Schema& s = Schema::Embedded();
  const Type* pod = s.Find("Pod");
  ASSERT_NE(pod, nullptr);
  EXPECT_EQ(pod->openapi_name, "io.k8s.api.core.v1.Pod");
  EXPECT_EQ(s.Find("io.k8s.api.core.v1.Pod"), pod);
  EXPECT_EQ(s.FindByGvk("", "v1", "Pod"), pod);
  ASSERT_TRUE(pod->gvk.has_value());
  EXPECT_EQ(pod->gvk->kind, "Pod");
  EXPECT_EQ(s.FindByGvk("apps", "v1", "Deployment"), s.Find("Deployment"));
  // C++ names that differ from the OpenAPI short name.
  EXPECT_EQ(s.FindByOpenApiName("io.k8s.api.events.v1.Event"), s.FindByName("EventsEvent"));
  EXPECT_EQ(s.FindByGvk("events.k8s.io", "v1", "Event"), s.FindByName("EventsEvent"));
  EXPECT_EQ(s.Find("NoSuchType"), nullptr);
  EXPECT_EQ(s.FindByGvk("apps", "v1", "Pod"), nullptr);
  EXPECT_FALSE(s.KubernetesVersion().empty());
}

TEST(SchemaTest, FieldsCarryTypesAndPatchMetadata) {
  const Schema& s = Schema::Embedded();
  const Type* spec = s.Find("PodSpec");
  ASSERT_NE(spec, nullptr);
  const Field* containers = spec->FindField("containers");
  ASSERT_NE(containers, nullptr);
  EXPECT_TRUE(containers->required);
  EXPECT_TRUE(containers->Merges());
  EXPECT_FALSE(containers->RetainsKeys());
  EXPECT_EQ(containers->patch_merge_key, "name");
  EXPECT_EQ(containers->type_text, "[Container]");
  ASSERT_EQ(containers->type->kind, Kind::kArray);
  ASSERT_EQ(containers->type->elem->kind, Kind::kObject);
  EXPECT_EQ(containers->type->elem->object, s.Find("Container"));
  EXPECT_FALSE(containers->description.empty());

  const Field* volumes = spec->FindField("volumes");
  ASSERT_NE(volumes, nullptr);
  EXPECT_TRUE(volumes->Merges());
  EXPECT_TRUE(volumes->RetainsKeys());

  const Field* node_selector = spec->FindField("nodeSelector");
  ASSERT_NE(node_selector, nullptr);
  EXPECT_EQ(node_selector->type->kind, Kind::kMap);
  EXPECT_EQ(node_selector->type->elem->kind, Kind::kString);
  EXPECT_EQ(spec->FindField("bogus"), nullptr);

  const Field* strategy = s.Find("DeploymentSpec")->FindField("strategy");
  ASSERT_NE(strategy, nullptr);
  EXPECT_TRUE(strategy->RetainsKeys());
  EXPECT_FALSE(strategy->Merges());

  const Field* finalizers = s.Find("ObjectMeta")->FindField("finalizers");
  ASSERT_NE(finalizers, nullptr);
  EXPECT_TRUE(finalizers->Merges());
  EXPECT_EQ(finalizers->patch_merge_key, "");
}

TEST(SchemaTest, ParseRejectsUnknownFieldTypes) {
  auto ok = Schema::Parse(R"({"kubernetesVersion":"v1","types":{
      "A":{"package":"p","openapiName":"p.A","fields":[
        {"name":"b","type":"[B]"},{"name":"m","type":"{int64}"}]},
      "B":{"package":"p","fields":[]}}})");
  ASSERT_TRUE(ok.IsOk()) << ok.status().ToString();
  const Type* a = (*ok)->Find("p.A");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->FindField("b")->type->elem->object, (*ok)->Find("B"));
  EXPECT_EQ((*ok)->Find("B")->openapi_name, "p.B");
  EXPECT_EQ(a->FindField("m")->type->elem->kind, Kind::kInt64);

  auto bad = Schema::Parse(R"({"types":{"A":{"fields":[{"name":"x","type":"[Nope]"}]}}})");
  ASSERT_FALSE(bad.IsOk());
  EXPECT_NE(bad.status().Message().find("Nope"), std::string::npos);
  EXPECT_FALSE(Schema::Parse("not json").IsOk());
}

}  // namespace
}  // namespace kubepp::api::schema
