#include "apiserver/openapi/openapi.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <map>

#include "openapiv2.pb.h"

namespace kubepp::apiserver {
namespace {
namespace json = boost::json;

class OpenApiTest : public ::testing::Test {
 protected:
  static Request Get(std::string path, const std::string& accept = "application/json") {
    Request r;
    r.method = "GET";
    if (auto q = path.find('?'); q != std::string::npos) {
      std::string query = path.substr(q + 1);
      path.resize(q);
      auto eq = query.find('=');
      r.query.emplace(query.substr(0, eq), query.substr(eq + 1));
    }
    r.path = path;
    if (!accept.empty()) r.headers["accept"] = accept;
    return r;
  }

  std::unique_ptr<Registry> registry_ = Registry::Default();
  OpenApi api_{*registry_};
};

TEST_F(OpenApiTest, OtherPathsAreNotOurs) {
  EXPECT_FALSE(api_.Serve(Get("/api/v1/pods")).has_value());
  EXPECT_FALSE(api_.Serve(Get("/openapi")).has_value());
  EXPECT_FALSE(ServeOpenApi(Get("/version"), *registry_).has_value());
}

TEST_F(OpenApiTest, V3IndexListsEveryGroupVersionWithHash) {
  auto r = api_.Serve(Get("/openapi/v3"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->content_type, "application/json");
  EXPECT_FALSE(r->headers["ETag"].empty());
  json::value index = json::parse(r->body);
  const json::object& paths = index.at("paths").as_object();
  ASSERT_TRUE(paths.contains("api/v1"));
  ASSERT_TRUE(paths.contains("apis/apps/v1"));
  std::string url(paths.at("apis/apps/v1").at("serverRelativeURL").as_string());
  EXPECT_TRUE(url.starts_with("/openapi/v3/apis/apps/v1?hash=")) << url;
  EXPECT_EQ(paths.size(), api_.GroupVersionPaths().size());
}

TEST_F(OpenApiTest, V3DocumentHasSchemasAndPaths) {
  const std::string* text = api_.V3("api/v1");
  ASSERT_NE(text, nullptr);
  json::value doc = json::parse(*text);
  EXPECT_EQ(doc.at("openapi").as_string(), "3.0.0");
  const json::object& schemas = doc.at("components").at("schemas").as_object();
  const json::object& pod = schemas.at("io.k8s.api.core.v1.Pod").as_object();
  EXPECT_EQ(pod.at("x-kubernetes-group-version-kind").as_array()[0],
            json::parse(R"({"group":"","kind":"Pod","version":"v1"})"));
  // A $ref with a description is wrapped in allOf; our schema (from the npm models) carries no
  // descriptions on struct-typed fields yet, so accept both shapes.
  const json::value& spec_prop = pod.at("properties").at("spec");
  const json::value& ref_holder =
      spec_prop.as_object().contains("allOf") ? spec_prop.at("allOf").as_array()[0] : spec_prop;
  EXPECT_EQ(ref_holder.at("$ref").as_string(), "#/components/schemas/io.k8s.api.core.v1.PodSpec");
  const json::object& spec = schemas.at("io.k8s.api.core.v1.PodSpec").as_object();
  const json::object& containers = spec.at("properties").at("containers").as_object();
  EXPECT_EQ(containers.at("type").as_string(), "array");
  EXPECT_EQ(containers.at("x-kubernetes-patch-merge-key").as_string(), "name");
  EXPECT_EQ(containers.at("x-kubernetes-patch-strategy").as_string(), "merge");
  EXPECT_EQ(containers.at("items").at("$ref").as_string(),
            "#/components/schemas/io.k8s.api.core.v1.Container");
  bool required = false;
  for (const json::value& r : spec.at("required").as_array()) required |= r == "containers";
  EXPECT_TRUE(required);
  // Formats and the special scalar schemas.
  EXPECT_EQ(schemas.at("io.k8s.api.core.v1.ContainerPort")
                .at("properties")
                .at("containerPort")
                .at("format")
                .as_string(),
            "int32");
  EXPECT_EQ(schemas.at("io.k8s.apimachinery.pkg.apis.meta.v1.Time").at("format").as_string(),
            "date-time");
  EXPECT_TRUE(schemas.at("io.k8s.apimachinery.pkg.util.intstr.IntOrString")
                  .at("x-kubernetes-int-or-string")
                  .as_bool());
  EXPECT_TRUE(schemas.contains("io.k8s.apimachinery.pkg.api.resource.Quantity"));
  EXPECT_TRUE(schemas.at("io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions")
                  .at("x-kubernetes-group-version-kind")
                  .as_array()
                  .size() >= 2);
  EXPECT_TRUE(schemas.contains("io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent"));
  // Every $ref resolves.
  std::function<void(const json::value&)> check = [&](const json::value& v) {
    if (v.is_object()) {
      for (const auto& [k, e] : v.as_object()) {
        if (k == "$ref") {
          std::string ref(e.as_string());
          ASSERT_TRUE(ref.starts_with("#/components/schemas/")) << ref;
          EXPECT_TRUE(schemas.contains(ref.substr(21))) << ref;
        } else {
          check(e);
        }
      }
    } else if (v.is_array()) {
      for (const json::value& e : v.as_array()) check(e);
    }
  };
  check(doc);

  // Paths: the PATCH of a pod carries fieldValidation (kubectl's server-side validation check)
  // and the kind's GVK.
  const json::object& paths = doc.at("paths").as_object();
  const json::object& patch =
      paths.at("/api/v1/namespaces/{namespace}/pods/{name}").at("patch").as_object();
  EXPECT_EQ(patch.at("x-kubernetes-group-version-kind"),
            json::parse(R"({"group":"","kind":"Pod","version":"v1"})"));
  std::set<std::string> names;
  for (const json::value& p : patch.at("parameters").as_array()) {
    EXPECT_EQ(p.at("in").as_string(), "query");
    names.emplace(p.at("name").as_string());
  }
  EXPECT_TRUE(names.contains("fieldValidation"));
  EXPECT_TRUE(names.contains("dryRun"));
  EXPECT_TRUE(names.contains("fieldManager"));
  EXPECT_TRUE(paths.contains("/api/v1/pods"));
  EXPECT_TRUE(paths.contains("/api/v1/namespaces/{namespace}/pods/{name}/status"));
  EXPECT_TRUE(paths.contains("/api/v1/watch/namespaces/{namespace}/pods"));
  EXPECT_TRUE(paths.contains("/api/v1/nodes/{name}"));
  EXPECT_FALSE(paths.contains("/apis/apps/v1/namespaces/{namespace}/deployments"));
  EXPECT_EQ(
      paths.at("/api/v1/namespaces/{namespace}/pods").at("post").at("operationId").as_string(),
      "createCoreV1NamespacedPod");
}

TEST_F(OpenApiTest, AppsDocumentHasDeploymentAndScale) {
  json::value doc = json::parse(*api_.V3("apis/apps/v1"));
  const json::object& schemas = doc.at("components").at("schemas").as_object();
  const json::object& strategy =
      schemas.at("io.k8s.api.apps.v1.DeploymentSpec").at("properties").at("strategy").as_object();
  EXPECT_EQ(strategy.at("x-kubernetes-patch-strategy").as_string(), "retainKeys");
  EXPECT_TRUE(schemas.contains("io.k8s.api.apps.v1.DeploymentStrategy"));
  EXPECT_TRUE(schemas.contains("io.k8s.api.core.v1.PodTemplateSpec"));
  const json::object& paths = doc.at("paths").as_object();
  const json::object& scale =
      paths.at("/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale")
          .at("patch")
          .as_object();
  EXPECT_EQ(scale.at("x-kubernetes-group-version-kind").at("kind").as_string(), "Scale");
}

TEST_F(OpenApiTest, HashQueryCachingAndRedirect) {
  json::value index = json::parse(api_.V3Index());
  std::string url(index.at("paths").at("api/v1").at("serverRelativeURL").as_string());
  auto r = api_.Serve(Get(url));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->headers["Cache-Control"], "public, immutable");
  EXPECT_FALSE(r->headers["Expires"].empty());
  EXPECT_EQ(r->body, *api_.V3("api/v1"));
  EXPECT_EQ("\"" + url.substr(url.find('=') + 1) + "\"", r->headers["ETag"]);

  auto stale = api_.Serve(Get("/openapi/v3/api/v1?hash=0000"));
  ASSERT_TRUE(stale.has_value());
  EXPECT_EQ(stale->status, 301);
  EXPECT_EQ(stale->headers["Location"], url);

  auto plain = api_.Serve(Get("/openapi/v3/api/v1"));
  EXPECT_EQ(plain->status, 200);
  EXPECT_FALSE(plain->headers.contains("Cache-Control"));

  Request again = Get("/openapi/v3/api/v1");
  again.headers["if-none-match"] = plain->headers["ETag"];
  EXPECT_EQ(api_.Serve(again)->status, 304);

  auto missing = api_.Serve(Get("/openapi/v3/apis/nope/v1"));
  EXPECT_EQ(missing->status, 404);
}

TEST_F(OpenApiTest, V2IsJsonByDefault) {
  auto r = api_.Serve(Get("/openapi/v2", "application/json"));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, 200);
  json::value doc = json::parse(r->body);
  EXPECT_EQ(doc.at("swagger").as_string(), "2.0");
  const json::object& defs = doc.at("definitions").as_object();
  EXPECT_TRUE(defs.contains("io.k8s.api.core.v1.Pod"));
  EXPECT_TRUE(defs.contains("io.k8s.api.apps.v1.Deployment"));
  // v2 keeps description beside $ref.
  EXPECT_EQ(defs.at("io.k8s.api.core.v1.Pod").at("properties").at("spec").at("$ref").as_string(),
            "#/definitions/io.k8s.api.core.v1.PodSpec");
  const json::object& patch = doc.at("paths")
                                  .at("/apis/apps/v1/namespaces/{namespace}/deployments/{name}")
                                  .at("patch")
                                  .as_object();
  bool field_validation = false;
  for (const json::value& p : patch.at("parameters").as_array()) {
    field_validation |= p.at("name") == "fieldValidation" && p.at("in") == "query";
  }
  EXPECT_TRUE(field_validation);

  EXPECT_EQ(api_.Serve(Get("/openapi/v2", ""))->status, 200);
  EXPECT_EQ(api_.Serve(Get("/openapi/v2", "*/*"))->content_type, "application/json");
}

TEST_F(OpenApiTest, V2NegotiatesProtobuf) {
  constexpr std::string_view kPb = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";
  // kubectl 1.27 and 1.28 ask with the deprecated '@' name; the answer carries the current one.
  for (const std::string& accept :
       {std::string("application/com.github.proto-openapi.spec.v2@v1.0+protobuf"), std::string(kPb),
        "application/json;q=0.5, " + std::string(kPb),
        "application/json;q=0, application/*;q=0.1, " + std::string(kPb)}) {
    auto r = api_.Serve(Get("/openapi/v2", accept));
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->status, 200) << accept;
    EXPECT_EQ(r->content_type, kPb) << accept;
    EXPECT_EQ(r->body, api_.V2Protobuf()) << accept;
    EXPECT_EQ(r->headers["Vary"], "Accept");
  }
  // Equal preference: the first listed wins; a wildcard loses to a specific type.
  EXPECT_EQ(api_.Serve(Get("/openapi/v2", "application/json, " + std::string(kPb)))->content_type,
            "application/json");
  EXPECT_EQ(api_.Serve(Get("/openapi/v2", "*/*, " + std::string(kPb)))->content_type, kPb);
  auto none = api_.Serve(Get("/openapi/v2", "text/html"));
  EXPECT_EQ(none->status, 406);
  EXPECT_EQ(json::parse(none->body).at("reason").as_string(), "NotAcceptable");
  // v3 stays JSON only.
  EXPECT_EQ(api_.Serve(Get("/openapi/v3", std::string(kPb)))->status, 406);

  // Each form has its own ETag; If-None-Match answers 304.
  auto pb = api_.Serve(Get("/openapi/v2", std::string(kPb)));
  auto js = api_.Serve(Get("/openapi/v2", "application/json"));
  EXPECT_NE(pb->headers["ETag"], js->headers["ETag"]);
  Request again = Get("/openapi/v2", std::string(kPb));
  again.headers["if-none-match"] = pb->headers["ETag"];
  auto cached = api_.Serve(again);
  EXPECT_EQ(cached->status, 304);
  EXPECT_TRUE(cached->body.empty());
  again.headers["if-none-match"] = js->headers["ETag"];
  EXPECT_EQ(api_.Serve(again)->status, 200);
}

// The value of vendor extension `name` in `exts` (YAML text that is JSON), or null.
template <typename Exts>
json::value Extension(const Exts& exts, std::string_view name) {
  for (const auto& e : exts) {
    if (e.name() == name) return json::parse(e.value().yaml());
  }
  return nullptr;
}

const ::openapi::v2::Schema* Property(const ::openapi::v2::Schema& s, std::string_view name) {
  for (const auto& p : s.properties().additional_properties()) {
    if (p.name() == name) return &p.value();
  }
  return nullptr;
}

TEST_F(OpenApiTest, V2ProtobufDecodesToTheSameDocument) {
  ::openapi::v2::Document doc;
  ASSERT_TRUE(doc.ParseFromString(api_.V2Protobuf()));
  json::value js = json::parse(api_.V2());
  EXPECT_EQ(doc.swagger(), "2.0");
  EXPECT_EQ(doc.info().title(), "Kubernetes");
  EXPECT_EQ(doc.info().version(), js.at("info").at("version").as_string());
  EXPECT_EQ(static_cast<size_t>(doc.definitions().additional_properties_size()),
            js.at("definitions").as_object().size());
  EXPECT_EQ(static_cast<size_t>(doc.paths().path_size()), js.at("paths").as_object().size());

  std::map<std::string, const ::openapi::v2::Schema*> defs;
  for (const auto& d : doc.definitions().additional_properties()) defs[d.name()] = &d.value();
  ASSERT_TRUE(defs.contains("io.k8s.api.core.v1.Pod"));
  const ::openapi::v2::Schema& pod = *defs["io.k8s.api.core.v1.Pod"];
  EXPECT_FALSE(pod.description().empty());
  ASSERT_EQ(pod.type().value_size(), 1);
  EXPECT_EQ(pod.type().value(0), "object");
  EXPECT_EQ(Extension(pod.vendor_extension(), "x-kubernetes-group-version-kind"),
            json::parse(R"([{"group":"","kind":"Pod","version":"v1"}])"));
  const ::openapi::v2::Schema* spec = Property(pod, "spec");
  ASSERT_NE(spec, nullptr);
  EXPECT_EQ(spec->_ref(), "#/definitions/io.k8s.api.core.v1.PodSpec");
  ASSERT_NE(Property(pod, "apiVersion"), nullptr);
  EXPECT_EQ(Property(pod, "apiVersion")->type().value(0), "string");
  EXPECT_FALSE(Property(pod, "apiVersion")->description().empty());

  ASSERT_TRUE(defs.contains("io.k8s.api.core.v1.PodSpec"));
  const ::openapi::v2::Schema& pod_spec = *defs["io.k8s.api.core.v1.PodSpec"];
  const ::openapi::v2::Schema* containers = Property(pod_spec, "containers");
  ASSERT_NE(containers, nullptr);
  EXPECT_EQ(containers->type().value(0), "array");
  ASSERT_EQ(containers->items().schema_size(), 1);
  EXPECT_EQ(containers->items().schema(0)._ref(), "#/definitions/io.k8s.api.core.v1.Container");
  EXPECT_EQ(Extension(containers->vendor_extension(), "x-kubernetes-patch-strategy"), "merge");
  EXPECT_EQ(Extension(containers->vendor_extension(), "x-kubernetes-patch-merge-key"), "name");
  EXPECT_NE(std::find(pod_spec.required().begin(), pod_spec.required().end(), "containers"),
            pod_spec.required().end());
  const ::openapi::v2::Schema* node_selector = Property(pod_spec, "nodeSelector");
  ASSERT_NE(node_selector, nullptr);
  EXPECT_EQ(node_selector->type().value(0), "object");
  EXPECT_EQ(node_selector->additional_properties().schema().type().value(0), "string");
  const ::openapi::v2::Schema* port =
      Property(*defs["io.k8s.api.core.v1.ContainerPort"], "containerPort");
  ASSERT_NE(port, nullptr);
  EXPECT_EQ(port->type().value(0), "integer");
  EXPECT_EQ(port->format(), "int32");
  EXPECT_EQ(Extension(defs["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]->vendor_extension(),
                      "x-kubernetes-int-or-string"),
            true);
  EXPECT_EQ(Extension(defs["io.k8s.api.apps.v1.Deployment"]->vendor_extension(),
                      "x-kubernetes-group-version-kind"),
            json::parse(R"([{"group":"apps","kind":"Deployment","version":"v1"}])"));

  // kubectl's query parameter check: the PATCH operation of a kind names the parameter and
  // carries the kind's GVK.
  const ::openapi::v2::PathItem* deployment = nullptr;
  for (const auto& p : doc.paths().path()) {
    if (p.name() == "/apis/apps/v1/namespaces/{namespace}/deployments/{name}") {
      deployment = &p.value();
    }
  }
  ASSERT_NE(deployment, nullptr);
  const ::openapi::v2::Operation& patch = deployment->patch();
  EXPECT_EQ(Extension(patch.vendor_extension(), "x-kubernetes-group-version-kind"),
            json::parse(R"({"group":"apps","kind":"Deployment","version":"v1"})"));
  EXPECT_EQ(Extension(patch.vendor_extension(), "x-kubernetes-action"), "patch");
  bool field_validation = false;
  bool body = false;
  for (const auto& item : patch.parameters()) {
    const auto& p = item.parameter();
    if (p.has_non_body_parameter() && p.non_body_parameter().has_query_parameter_sub_schema()) {
      field_validation |=
          p.non_body_parameter().query_parameter_sub_schema().name() == "fieldValidation";
    }
    if (p.has_body_parameter()) {
      body = p.body_parameter().required() &&
             p.body_parameter().schema()._ref() ==
                 "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch";
    }
  }
  EXPECT_TRUE(field_validation);
  EXPECT_TRUE(body);
  bool path_params = false;
  for (const auto& item : deployment->parameters()) {
    const auto& p = item.parameter().non_body_parameter();
    path_params |= p.has_path_parameter_sub_schema() &&
                   p.path_parameter_sub_schema().name() == "namespace" &&
                   p.path_parameter_sub_schema().required();
  }
  EXPECT_TRUE(path_params);
  ASSERT_GT(patch.responses().response_code_size(), 0);
  EXPECT_EQ(patch.responses().response_code(0).name(), "200");
  EXPECT_EQ(patch.responses().response_code(0).value().response().schema().schema()._ref(),
            "#/definitions/io.k8s.api.apps.v1.Deployment");
  ASSERT_EQ(doc.security_definitions().additional_properties_size(), 1);
  EXPECT_EQ(doc.security_definitions().additional_properties(0).value().api_key_security().in(),
            "header");
}

TEST_F(OpenApiTest, ServeOpenApiCachesPerRegistry) {
  auto a = ServeOpenApi(Get("/openapi/v3"), *registry_);
  auto b = ServeOpenApi(Get("/openapi/v3"), *registry_);
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_EQ(a->body, b->body);
  EXPECT_EQ(a->body, api_.V3Index());
}

}  // namespace
}  // namespace kubepp::apiserver
