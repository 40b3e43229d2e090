// RestClient, TypedClient and WatchStream against the real API server (memory store).
#include "client/rest_client.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "api/types.h"
#include "client/testing/api_server_fixture.h"
#include "client/typed.h"
#include "client/watch.h"

namespace kubepp::client {
namespace {

namespace json = boost::json;

class RestClientTest : public testing::ApiServerFixture {};

api::ConfigMap MakeConfigMap(const std::string& name, const std::string& value) {
  api::ConfigMap cm;
  cm.metadata.name = name;
  cm.metadata.labels["app"] = "demo";
  cm.data["key"] = value;
  return cm;
}

TEST_F(RestClientTest, TypedCrud) {
  TypedClient<api::ConfigMap> cms(*client_, "default");
  auto created = Run(cms.Create(MakeConfigMap("one", "v1")));
  ASSERT_TRUE(created.IsOk()) << created.status().ToString();
  EXPECT_EQ(created->data.at("key"), "v1");
  EXPECT_FALSE(created->metadata.uid.empty());
  EXPECT_FALSE(created->metadata.resourceVersion.empty());

  auto got = Run(cms.Get("one"));
  ASSERT_TRUE(got.IsOk()) << got.status().ToString();
  EXPECT_EQ(got->metadata.resourceVersion, created->metadata.resourceVersion);

  api::ConfigMap changed = *got;
  changed.data["key"] = "v2";
  auto updated = Run(cms.Update(changed));
  ASSERT_TRUE(updated.IsOk()) << updated.status().ToString();
  EXPECT_EQ(updated->data.at("key"), "v2");

  // The stale copy conflicts.
  auto stale = Run(cms.Update(changed));
  ASSERT_FALSE(stale.IsOk());
  EXPECT_TRUE(stale.status().IsConflict()) << stale.status().ToString();
  EXPECT_NE(stale.status().Message().find("the object has been modified"), std::string::npos);

  auto merged = Run(cms.Patch("one", PatchType::kMerge, R"({"data":{"other":"x"}})"));
  ASSERT_TRUE(merged.IsOk()) << merged.status().ToString();
  EXPECT_EQ(merged->data.at("other"), "x");
  EXPECT_EQ(merged->data.at("key"), "v2");
  auto strategic =
      Run(cms.Patch("one", PatchType::kStrategicMerge, R"({"metadata":{"labels":{"t":"s"}}})"));
  ASSERT_TRUE(strategic.IsOk()) << strategic.status().ToString();
  EXPECT_EQ(strategic->metadata.labels.at("t"), "s");
  auto jsonpatch =
      Run(cms.Patch("one", PatchType::kJson, R"([{"op":"remove","path":"/data/other"}])"));
  ASSERT_TRUE(jsonpatch.IsOk()) << jsonpatch.status().ToString();
  EXPECT_EQ(jsonpatch->data.count("other"), 0u);

  Status deleted = Run(cms.Delete("one"));
  EXPECT_TRUE(deleted.IsOk()) << deleted.ToString();
  auto gone = Run(cms.Get("one"));
  ASSERT_TRUE(gone.status().IsNotFound());
  EXPECT_EQ(gone.status().Message(), "configmaps \"one\" not found");
  ASSERT_NE(gone.status().Details(), nullptr);
  EXPECT_EQ(gone.status().Details()->name, "one");
  EXPECT_EQ(gone.status().Details()->kind, "configmaps");
}

TEST_F(RestClientTest, ErrorsCarryReasonAndCauses) {
  TypedClient<api::ConfigMap> cms(*client_, "default");
  ASSERT_TRUE(Run(cms.Create(MakeConfigMap("dup", "a"))).IsOk());
  auto again = Run(cms.Create(MakeConfigMap("dup", "a")));
  EXPECT_TRUE(again.status().IsAlreadyExists()) << again.status().ToString();
  EXPECT_EQ(again.status().Message(), "configmaps \"dup\" already exists");

  auto invalid = Run(cms.Create(MakeConfigMap("Not_Valid", "a")));
  ASSERT_TRUE(invalid.status().IsInvalid()) << invalid.status().ToString();
  ASSERT_NE(invalid.status().Details(), nullptr);
  ASSERT_FALSE(invalid.status().Details()->causes.empty());
  EXPECT_EQ(invalid.status().Details()->causes[0].field, "metadata.name");

  TypedClient<api::ConfigMap> missing_ns(*client_, "no-such-namespace");
  auto no_ns = Run(missing_ns.Create(MakeConfigMap("x", "a")));
  EXPECT_TRUE(no_ns.status().IsNotFound()) << no_ns.status().ToString();
}

TEST_F(RestClientTest, ListPagesAndSelectors) {
  TypedClient<api::ConfigMap> cms(*client_, "default");
  for (int i = 0; i < 5; ++i) {
    auto cm = MakeConfigMap("cm-" + std::to_string(i), "v");
    if (i % 2 == 0) cm.metadata.labels["even"] = "true";
    ASSERT_TRUE(Run(cms.Create(cm)).IsOk());
  }
  ListOptions opts;
  opts.limit = 2;
  std::vector<std::string> names;
  std::string first_rv;
  while (true) {
    auto page = Run(cms.List(opts));
    ASSERT_TRUE(page.IsOk()) << page.status().ToString();
    if (first_rv.empty()) first_rv = page->resource_version;
    EXPECT_EQ(page->resource_version, first_rv);  // one consistent snapshot
    for (const auto& cm : page->items) names.push_back(cm.metadata.name);
    if (page->continue_token.empty()) break;
    opts.continue_token = page->continue_token;
  }
  EXPECT_EQ(names, (std::vector<std::string>{"cm-0", "cm-1", "cm-2", "cm-3", "cm-4"}));

  ListOptions sel;
  sel.label_selector = "even=true";
  auto even = Run(cms.List(sel));
  ASSERT_TRUE(even.IsOk());
  EXPECT_EQ(even->items.size(), 3u);

  // All namespaces, untyped.
  ObjectPath all{ResourceOf<api::ConfigMap>(), "", "", ""};
  ListOptions none;
  auto untyped = Run(client_->List(all, none));
  ASSERT_TRUE(untyped.IsOk());
  EXPECT_EQ(untyped->at("items").as_array().size(), 5u);
  EXPECT_EQ(untyped->at("kind").as_string(), "ConfigMapList");
}

TEST_F(RestClientTest, StatusSubresourceAndClusterScoped) {
  TypedClient<api::Pod> pods(*client_, "default");
  api::Pod pod;
  pod.metadata.name = "p";
  api::Container c;
  c.name = "c";
  c.image = "busybox";
  pod.spec.containers.push_back(c);
  auto created = Run(pods.Create(pod));
  ASSERT_TRUE(created.IsOk()) << created.status().ToString();
  api::Pod with_status = *created;
  with_status.status.phase = "Running";
  with_status.spec.containers[0].image = "ignored";
  auto updated = Run(pods.UpdateStatus(with_status));
  ASSERT_TRUE(updated.IsOk()) << updated.status().ToString();
  EXPECT_EQ(updated->status.phase, "Running");
  EXPECT_EQ(updated->spec.containers[0].image, "busybox");  // status updates leave spec alone

  TypedClient<api::Namespace> namespaces(*client_);
  auto list = Run(namespaces.List(ListOptions{}));
  ASSERT_TRUE(list.IsOk()) << list.status().ToString();
  EXPECT_GE(list->items.size(), 4u);
}

TEST_F(RestClientTest, KeepAliveReusesOneConnection) {
  TypedClient<api::Namespace> namespaces(*client_);
  for (int i = 0; i < 20; ++i) {
    auto ns = Run(namespaces.Get("default"));
    ASSERT_TRUE(ns.IsOk()) << ns.status().ToString();
  }
  EXPECT_EQ(client_->Transport().ConnectionsOpened(), 1u);
  EXPECT_EQ(client_->Transport().IdleConnections(), 1u);
}

TEST_F(RestClientTest, ReconnectsAfterServerRestart) {
  TypedClient<api::Namespace> namespaces(*client_);
  ASSERT_TRUE(Run(namespaces.Get("default")).IsOk());
  int port = port_;
  StopServer();
  auto down = Run(namespaces.Get("default"));
  EXPECT_TRUE(down.status().IsUnavailable()) << down.status().ToString();
  StartServer(port);
  auto up = Run(namespaces.Get("default"));
  EXPECT_TRUE(up.IsOk()) << up.status().ToString();
}

TEST_F(RestClientTest, RefusesHttpsUntilTlsLands) {
  RestConfig c = Config();
  c.server = "https://127.0.0.1:1";
  EXPECT_TRUE(RestClient::Create(runtime_.Executor(), c).status().IsUnavailable());
  c.server = "127.0.0.1:1";
  EXPECT_EQ(RestClient::Create(runtime_.Executor(), c).status().Code(), StatusCode::kBadRequest);
}

TEST(PathTest, Urls) {
  auto pods = *ResourceForKind("", "v1", "Pod");
  EXPECT_EQ(PathOf({pods, "ns", "", ""}), "/api/v1/namespaces/ns/pods");
  EXPECT_EQ(PathOf({pods, "ns", "p", "status"}), "/api/v1/namespaces/ns/pods/p/status");
  EXPECT_EQ(PathOf({pods, "", "", ""}), "/api/v1/pods");
  auto deploy = *ResourceForKind("apps", "v1", "Deployment");
  EXPECT_EQ(PathOf({deploy, "a", "b", "scale"}), "/apis/apps/v1/namespaces/a/deployments/b/scale");
  auto nodes = *ResourceForKind("", "v1", "Node");
  EXPECT_EQ(PathOf({nodes, "ignored", "n1", ""}), "/api/v1/nodes/n1");
  EXPECT_TRUE(ResourceForKind("", "v1", "Nope").status().IsNotFound());
}

TEST(StatusDecodeTest, GenericResponses) {
  HttpResponse res;
  res.status = 503;
  res.body = "upstream connect error";
  Status s = StatusFromResponse(res);
  EXPECT_TRUE(s.IsUnavailable());
  res.status = 429;
  res.body = R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"slow down",)"
             R"("reason":"TooManyRequests","details":{"retryAfterSeconds":3},"code":429})";
  s = StatusFromResponse(res);
  EXPECT_EQ(s.Code(), StatusCode::kTooManyRequests);
  EXPECT_EQ(s.Message(), "slow down");
  ASSERT_NE(s.Details(), nullptr);
  EXPECT_EQ(s.Details()->retry_after_seconds, 3);
}

// ---- watch

TEST_F(RestClientTest, WatchDeliversEventsInOrder) {
  TypedClient<api::ConfigMap> cms(*client_, "default");
  auto list = Run(cms.List(ListOptions{}));
  ASSERT_TRUE(list.IsOk());
  ListOptions wopts;
  wopts.resource_version = list->resource_version;
  wopts.allow_watch_bookmarks = true;
  auto watch = Run(cms.Watch(wopts));
  ASSERT_TRUE(watch.IsOk()) << watch.status().ToString();

  auto created = Run(cms.Create(MakeConfigMap("w", "1")));
  ASSERT_TRUE(created.IsOk());
  api::ConfigMap next = *created;
  next.data["key"] = "2";
  ASSERT_TRUE(Run(cms.Update(next)).IsOk());
  ASSERT_TRUE(Run(cms.Delete("w")).IsOk());

  std::vector<std::string> seen;
  while (seen.size() < 3) {
    auto ev = Run((*watch)->Next());
    ASSERT_TRUE(ev.IsOk()) << ev.status().ToString();
    ASSERT_TRUE(ev->has_value());
    if ((*ev)->type == WatchEventType::kBookmark) continue;
    auto cm = DecodeObject<api::ConfigMap>((*ev)->object);
    ASSERT_TRUE(cm.IsOk());
    seen.push_back(std::string(WatchEventTypeName((*ev)->type)) + ":" + cm->metadata.name + ":" +
                   cm->data["key"]);
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"ADDED:w:1", "MODIFIED:w:2", "DELETED:w:2"}));
}

TEST_F(RestClientTest, WatchInitialEventsBookmarkAndTimeout) {
  TypedClient<api::ConfigMap> cms(*client_, "default");
  ASSERT_TRUE(Run(cms.Create(MakeConfigMap("a", "1"))).IsOk());
  ListOptions wopts;
  wopts.send_initial_events = true;
  wopts.allow_watch_bookmarks = true;
  wopts.resource_version_match = "NotOlderThan";
  wopts.timeout_seconds = 1;
  auto watch = Run(cms.Watch(wopts));
  ASSERT_TRUE(watch.IsOk()) << watch.status().ToString();
  auto added = Run((*watch)->Next());
  ASSERT_TRUE(added.IsOk() && added->has_value());
  EXPECT_EQ((*added)->type, WatchEventType::kAdded);
  auto bookmark = Run((*watch)->Next());
  ASSERT_TRUE(bookmark.IsOk() && bookmark->has_value());
  EXPECT_EQ((*bookmark)->type, WatchEventType::kBookmark);
  EXPECT_EQ((*bookmark)
                ->object.at("metadata")
                .at("annotations")
                .at("k8s.io/initial-events-end")
                .as_string(),
            "true");
  // timeoutSeconds=1: the server ends the watch cleanly.
  while (true) {
    auto ev = Run((*watch)->Next());
    ASSERT_TRUE(ev.IsOk()) << ev.status().ToString();
    if (!ev->has_value()) break;
    EXPECT_EQ((*ev)->type, WatchEventType::kBookmark);
  }
}

TEST_F(RestClientTest, WatchTooOldResourceVersionIsGone) {
  TypedClient<api::ConfigMap> cms(*client_, "default");
  ListOptions wopts;
  wopts.resource_version = "1";  // before the server's watch window
  auto watch = Run(cms.Watch(wopts));
  ASSERT_TRUE(watch.IsOk()) << watch.status().ToString();
  auto ev = Run((*watch)->Next());
  ASSERT_TRUE(ev.IsOk() && ev->has_value()) << ev.status().ToString();
  ASSERT_EQ((*ev)->type, WatchEventType::kError);
  Status s = StatusFromObject((*ev)->object, 200);
  EXPECT_TRUE(s.IsGone()) << s.ToString();
}

TEST_F(RestClientTest, WatchCloseEndsPendingRead) {
  TypedClient<api::ConfigMap> cms(*client_, "default");
  ListOptions wopts;
  auto list = Run(cms.List(ListOptions{}));
  ASSERT_TRUE(list.IsOk());
  wopts.resource_version = list->resource_version;
  auto watch = Run(cms.Watch(wopts));
  ASSERT_TRUE(watch.IsOk());
  WatchStream* w = watch->get();
  std::thread closer([w] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    w->Close();
  });
  auto ev = Run(w->Next());
  closer.join();
  EXPECT_TRUE(ev.status().IsUnavailable()) << ev.status().ToString();
}

}  // namespace
}  // namespace kubepp::client
