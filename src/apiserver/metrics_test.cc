#include "apiserver/metrics.h"

#include <gtest/gtest.h>

#include "storage/memory/memory_backend.h"

namespace kubepp::apiserver {
namespace {

Request Req(std::string method, std::string path, const std::string& query = "") {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  if (!query.empty()) {
    auto eq = query.find('=');
    r.query.emplace(query.substr(0, eq), query.substr(eq + 1));
  }
  return r;
}

TEST(MetricsLabels, VerbsAndScopes) {
  auto l = Metrics::RequestLabelsOf(Req("GET", "/api/v1/namespaces/ns/pods/p"));
  EXPECT_EQ(l.verb, "GET");
  EXPECT_EQ(l.resource, "pods");
  EXPECT_EQ(l.scope, "resource");
  l = Metrics::RequestLabelsOf(Req("GET", "/api/v1/namespaces/ns/pods"));
  EXPECT_EQ(l.verb, "LIST");
  EXPECT_EQ(l.scope, "namespace");
  l = Metrics::RequestLabelsOf(Req("GET", "/apis/apps/v1/deployments", "watch=true"));
  EXPECT_EQ(l.verb, "WATCH");
  EXPECT_EQ(l.group, "apps");
  EXPECT_EQ(l.scope, "cluster");
  l = Metrics::RequestLabelsOf(Req("GET", "/api/v1/watch/namespaces/ns/configmaps"));
  EXPECT_EQ(l.verb, "WATCH");
  EXPECT_EQ(l.resource, "configmaps");
  l = Metrics::RequestLabelsOf(Req("PUT", "/apis/apps/v1/namespaces/ns/deployments/d/scale"));
  EXPECT_EQ(l.verb, "PUT");
  EXPECT_EQ(l.subresource, "scale");
  l = Metrics::RequestLabelsOf(Req("GET", "/api/v1/namespaces/ns"));
  EXPECT_EQ(l.resource, "namespaces");
  EXPECT_EQ(l.scope, "resource");
  Request apply = Req("PATCH", "/api/v1/namespaces/ns/configmaps/c");
  apply.headers["content-type"] = "application/apply-patch+yaml";
  EXPECT_EQ(Metrics::RequestLabelsOf(apply).verb, "APPLY");
  l = Metrics::RequestLabelsOf(Req("GET", "/healthz"));
  EXPECT_EQ(l.verb, "GET");
  EXPECT_EQ(l.resource, "");
}

TEST(MetricsRender, CountersHistogramsAndStore) {
  Metrics m;
  auto l = Metrics::RequestLabelsOf(Req("GET", "/api/v1/namespaces/ns/pods/p"));
  m.ObserveRequest(l, 200, 0.003);
  m.ObserveRequest(l, 200, 0.03);
  m.ObserveRequest(l, 404, 0.001);
  storage::MemoryBackend raw;
  InstrumentedBackend store(m, raw);
  ASSERT_TRUE(store.Create("/registry/core/configmaps/ns/c", "{}").IsOk());
  std::string text = m.Render();
  EXPECT_NE(text.find("apiserver_request_total{code=\"200\",component=\"apiserver\",dry_run=\"\","
                      "group=\"\",resource=\"pods\",scope=\"resource\",subresource=\"\","
                      "verb=\"GET\",version=\"v1\"} 2\n"),
            std::string::npos)
      << text;
  // Cumulative buckets: 2 of 3 requests within 5 ms, all 3 within 50 ms.
  EXPECT_NE(text.find("verb=\"GET\",version=\"v1\",le=\"0.005\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("verb=\"GET\",version=\"v1\",le=\"0.05\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("apiserver_request_duration_seconds_count{component=\"apiserver\""),
            std::string::npos);
  EXPECT_NE(
      text.find("etcd_request_duration_seconds_count{operation=\"create\",type=\"configmaps\"} 1"),
      std::string::npos);
  EXPECT_NE(text.find("process_resident_memory_bytes "), std::string::npos);
}

}  // namespace
}  // namespace kubepp::apiserver
