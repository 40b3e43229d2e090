// The endpointslice controller against an in-process API server.
#include "controller/endpoint/endpointslice_controller.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "controller/endpoint/controller_fixture.h"
#include "controller/endpoint/pod_util.h"
#include "controller/endpoint/test_objects.h"

namespace kubepp::controller {
namespace {

using testing::MakePod;
using testing::MakeService;

class EndpointSliceControllerTest : public testing::ControllerFixture {
 protected:
  void SetUp() override {
    ControllerFixture::SetUp();
    ControllerOptions opts;
    opts.max_endpoints_per_slice = 2;
    StartController(&NewEndpointSliceController, opts);
  }
  std::vector<api::EndpointSlice> Slices(const std::string& service) {
    client::TypedClient<api::EndpointSlice> slices(*client_, "default");
    client::ListOptions opts;
    opts.label_selector = std::string(kLabelServiceName) + "=" + service;
    auto list = Run(slices.List(opts));
    if (!list.IsOk()) return {};
    return list->items;
  }
  // "ip:ready/serving/terminating:port" of every endpoint of the Service's slices, sorted.
  std::string Summary(const std::string& service) {
    std::vector<std::string> parts;
    for (const auto& s : Slices(service)) {
      for (const auto& e : s.endpoints) {
        std::string c;
        c += e.conditions && e.conditions->ready.value_or(false) ? "R" : "-";
        c += e.conditions && e.conditions->serving.value_or(false) ? "S" : "-";
        c += e.conditions && e.conditions->terminating.value_or(false) ? "T" : "-";
        std::string port = s.ports.empty() ? "none" : std::to_string(s.ports[0].port.value_or(0));
        parts.push_back(e.addresses.at(0) + ":" + c + ":" + port);
      }
    }
    std::sort(parts.begin(), parts.end());
    std::string out;
    for (const auto& p : parts) out += p + " ";
    return out;
  }
};

TEST_F(EndpointSliceControllerTest, FollowsPodsAndSplitsAtMax) {
  client::TypedClient<api::Node> nodes(*client_);
  api::Node node;
  node.metadata.name = "node-1";
  node.metadata.labels[kLabelTopologyZone] = "zone-a";
  ASSERT_TRUE(Run(nodes.Create(node)).IsOk());
  CreatePod(MakePod("web-a", "web", "10.1.0.1", true));
  CreatePod(MakePod("web-b", "web", "10.1.0.2", false));
  CreatePod(MakePod("web-c", "web", "10.1.0.3", true));
  CreatePod(MakePod("db", "db", "10.1.0.9", true));
  CreateService(MakeService("web", "web"));
  client::TypedClient<api::Service> services(*client_, "default");
  auto svc = Run(services.Get("web"));
  ASSERT_TRUE(svc.IsOk());

  ASSERT_TRUE(Eventually([&] {
    return Summary("web") == "10.1.0.1:RS-:8080 10.1.0.2:---:8080 10.1.0.3:RS-:8080 ";
  })) << Summary("web");
  auto slices = Slices("web");
  ASSERT_EQ(slices.size(), 2u);  // at most 2 per slice
  for (const auto& s : slices) {
    EXPECT_EQ(s.metadata.name.rfind("web-", 0), 0u) << s.metadata.name;
    EXPECT_EQ(s.metadata.labels.at(kLabelManagedBy), kEndpointSliceControllerName);
    EXPECT_EQ(s.addressType, "IPv4");
    ASSERT_EQ(s.metadata.ownerReferences.size(), 1u);
    EXPECT_EQ(s.metadata.ownerReferences[0].uid, svc->metadata.uid);
    EXPECT_EQ(s.metadata.ownerReferences[0].controller, true);
    ASSERT_EQ(s.ports.size(), 1u);
    EXPECT_EQ(s.ports[0].name, "http");
    for (const auto& e : s.endpoints) {
      EXPECT_EQ(e.zone, "zone-a");
      EXPECT_EQ(e.nodeName, "node-1");
      ASSERT_TRUE(e.targetRef.has_value());
      EXPECT_EQ(e.targetRef->kind, "Pod");
    }
  }

  // Readiness flips.
  SetReady("web-b", true);
  SetReady("web-a", false);
  ASSERT_TRUE(Eventually([&] {
    return Summary("web") == "10.1.0.1:---:8080 10.1.0.2:RS-:8080 10.1.0.3:RS-:8080 ";
  })) << Summary("web");

  // A terminating pod (a finalizer keeps it) stays as serving/terminating, not ready.
  client::TypedClient<api::Pod> pods(*client_, "default");
  auto c = Run(pods.Get("web-c"));
  ASSERT_TRUE(c.IsOk());
  api::Pod with_finalizer = *c;
  with_finalizer.metadata.finalizers.push_back("example.com/hold");
  ASSERT_TRUE(Run(pods.Update(with_finalizer)).IsOk());
  std::string web_c = "web-c";
  ASSERT_TRUE(Run(pods.Delete(web_c)).IsOk());
  ASSERT_TRUE(Eventually([&] {
    return Summary("web") == "10.1.0.1:---:8080 10.1.0.2:RS-:8080 10.1.0.3:-ST:8080 ";
  })) << Summary("web");

  // Deleted pods leave.
  std::string web_a = "web-a";
  client::DeleteOptions now;
  now.grace_period_seconds = 0;
  ASSERT_TRUE(Run(pods.Delete(web_a, now)).IsOk());
  ASSERT_TRUE(Eventually([&] { return Summary("web") == "10.1.0.2:RS-:8080 10.1.0.3:-ST:8080 "; }))
      << Summary("web");

  // Service gone: slices gone.
  std::string web = "web";
  ASSERT_TRUE(Run(services.Delete(web)).IsOk());
  ASSERT_TRUE(Eventually([&] { return Slices("web").empty(); }));
}

TEST_F(EndpointSliceControllerTest, PlaceholderAndForeignSlicesUntouched) {
  CreateService(MakeService("empty", "nothing"));
  ASSERT_TRUE(Eventually([&] { return Slices("empty").size() == 1; }));
  EXPECT_TRUE(Slices("empty")[0].endpoints.empty());
  // The API server's own kubernetes slice has no managed-by label: left alone.
  client::TypedClient<api::EndpointSlice> slices(*client_, "default");
  auto k = Run(slices.Get("kubernetes"));
  if (k.IsOk()) {
    EXPECT_EQ(k->metadata.labels.count(kLabelManagedBy), 0u);
  }
  // Pods arrive: the placeholder is reused (still one slice).
  CreatePod(MakePod("x", "nothing", "10.1.0.5", true));
  ASSERT_TRUE(Eventually([&] { return Summary("empty") == "10.1.0.5:RS-:8080 "; }))
      << Summary("empty");
  EXPECT_EQ(Slices("empty").size(), 1u);
}

}  // namespace
}  // namespace kubepp::controller
