#include "api/codec.h"

#include <gtest/gtest.h>

#include "api/types.h"

namespace kubepp::api {
namespace {

constexpr std::string_view kPod = R"({
  "apiVersion": "v1",
  "kind": "Pod",
  "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
  "spec": {
    "containers": [{
      "name": "c", "image": "busybox", "command": ["sleep", "3600"],
      "ports": [{"containerPort": 8080, "protocol": "TCP"}],
      "resources": {"requests": {"cpu": "100m", "memory": 64}},
      "livenessProbe": {"httpGet": {"path": "/", "port": "http"}},
      "bogus": 1
    }],
    "restartPolicy": "Always",
    "terminationGracePeriodSeconds": 30,
    "nodeSelector": null
  },
  "extra": {"x": 1}
})";

Pod DecodePod(std::string_view text, std::vector<std::string>* unknown) {
  auto v = ParseJsonText(text);
  EXPECT_TRUE(v.IsOk()) << v.status().ToString();
  Pod pod;
  kubepp::Status s = FromJson(*v, pod, unknown);
  EXPECT_TRUE(s.IsOk()) << s.ToString();
  return pod;
}

TEST(CodecTest, DecodesNestedTypes) {
  std::vector<std::string> unknown;
  Pod pod = DecodePod(kPod, &unknown);
  EXPECT_EQ(pod.apiVersion, "v1");
  EXPECT_EQ(pod.metadata.name, "web");
  EXPECT_EQ(pod.metadata.namespace_, "shop");
  EXPECT_EQ(pod.metadata.labels.at("app"), "web");
  ASSERT_EQ(pod.spec.containers.size(), 1u);
  const Container& c = pod.spec.containers[0];
  EXPECT_EQ(c.command, (std::vector<std::string>{"sleep", "3600"}));
  ASSERT_EQ(c.ports.size(), 1u);
  EXPECT_EQ(c.ports[0].containerPort, 8080);
  ASSERT_TRUE(c.resources.has_value());
  EXPECT_EQ(c.resources->requests.at("cpu").text, "100m");
  EXPECT_EQ(c.resources->requests.at("memory").text, "64");
  ASSERT_TRUE(c.livenessProbe && c.livenessProbe->httpGet);
  EXPECT_TRUE(c.livenessProbe->httpGet->port.is_string);
  EXPECT_EQ(c.livenessProbe->httpGet->port.str_value, "http");
  EXPECT_EQ(pod.spec.terminationGracePeriodSeconds, 30);
  EXPECT_EQ(unknown, (std::vector<std::string>{"spec.containers[0].bogus", "extra"}));
}

TEST(CodecTest, RoundTripIsStable) {
  Pod pod = DecodePod(kPod, nullptr);
  std::string once = ToJsonString(pod);
  auto again = ParseJsonText(once);
  ASSERT_TRUE(again.IsOk());
  Pod pod2;
  ASSERT_TRUE(FromJson(*again, pod2).IsOk());
  EXPECT_EQ(pod, pod2);
  EXPECT_EQ(ToJsonString(pod2), once);
  // Required and value-struct fields are always written; empty optional ones are not.
  EXPECT_NE(once.find(R"("status":{})"), std::string::npos) << once;
  EXPECT_EQ(once.find("nodeSelector"), std::string::npos) << once;
  EXPECT_EQ(once.find("hostPort"), std::string::npos) << once;
  EXPECT_NE(once.find(R"("port":"http")"), std::string::npos) << once;
}

TEST(CodecTest, TypeErrorsUseUpstreamWording) {
  auto v = ParseJsonText(R"({"spec": {"containers": "nope"}})");
  ASSERT_TRUE(v.IsOk());
  Pod pod;
  kubepp::Status s = FromJson(*v, pod);
  EXPECT_EQ(s.Code(), StatusCode::kBadRequest);
  EXPECT_EQ(s.Message(),
            "json: cannot unmarshal string into Go struct field PodSpec.spec.containers of type "
            "[]v1.Container");
  auto v2 = ParseJsonText(R"({"metadata": {"name": 5}})");
  ASSERT_TRUE(v2.IsOk());
  s = FromJson(*v2, pod);
  EXPECT_EQ(s.Message(),
            "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.name of type "
            "string");
  auto v3 = ParseJsonText(R"({"spec": {"terminationGracePeriodSeconds": 1.5}})");
  ASSERT_TRUE(v3.IsOk());
  EXPECT_FALSE(FromJson(*v3, pod).IsOk());
}

TEST(CodecTest, MalformedJsonIsBadRequest) {
  auto v = ParseJsonText(R"({"a": )");
  ASSERT_FALSE(v.IsOk());
  EXPECT_EQ(v.status().Code(), StatusCode::kBadRequest);
}

TEST(CodecTest, KeywordFieldsKeepTheirJsonNames) {
  Toleration t;
  t.key = "k";
  t.operator_ = "Exists";
  std::string text = ToJsonString(t);
  EXPECT_EQ(text, R"({"key":"k","operator":"Exists"})");
  ListMeta meta;
  meta.continue_ = "token";
  EXPECT_EQ(ToJsonString(meta), R"({"continue":"token"})");
}

TEST(CodecTest, GroupVersionKindConstants) {
  EXPECT_STREQ(Deployment::kGroup, "apps");
  EXPECT_STREQ(Deployment::kKind, "Deployment");
  EXPECT_STREQ(EventsEvent::kGroup, "events.k8s.io");
  EXPECT_STREQ(EventsEvent::kOpenApiName, "io.k8s.api.events.v1.Event");
  EXPECT_STREQ(MetaStatus::kOpenApiName, "io.k8s.apimachinery.pkg.apis.meta.v1.Status");
}

}  // namespace
}  // namespace kubepp::api
