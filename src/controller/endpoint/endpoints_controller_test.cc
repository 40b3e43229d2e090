// The endpoints controller against an in-process API server.
#include "controller/endpoint/endpoints_controller.h"

#include <gtest/gtest.h>

#include "controller/endpoint/controller_fixture.h"
#include "controller/endpoint/pod_util.h"
#include "controller/endpoint/test_objects.h"

namespace kubepp::controller {
namespace {

using testing::MakePod;
using testing::MakeService;

class EndpointsControllerTest : public testing::ControllerFixture {
 protected:
  void SetUp() override {
    ControllerFixture::SetUp();
    StartController(&NewEndpointsController);
  }
  // "ready ips | not ready ips" of the Endpoints `name`, or "absent".
  std::string Summary(const std::string& name) {
    client::TypedClient<api::Endpoints> eps(*client_, "default");
    auto ep = Run(eps.Get(name));
    if (!ep.IsOk()) return "absent";
    std::string ready;
    std::string not_ready;
    for (const auto& s : ep->subsets) {
      for (const auto& a : s.addresses)
        ready += a.ip + ":" + std::to_string(s.ports.at(0).port) + " ";
      for (const auto& a : s.notReadyAddresses) not_ready += a.ip + " ";
    }
    return ready + "| " + not_ready;
  }
};

TEST_F(EndpointsControllerTest, FollowsPodsReadinessAndDeletion) {
  CreatePod(MakePod("web-a", "web", "10.1.0.1", true));
  CreatePod(MakePod("web-b", "web", "10.1.0.2", false));
  CreatePod(MakePod("other", "db", "10.1.0.9", true));
  api::Pod no_ip = MakePod("web-c", "web", "", true);
  CreatePod(no_ip);
  api::Service svc = MakeService("web", "web");
  svc.metadata.labels["team"] = "x";
  CreateService(svc);

  ASSERT_TRUE(Eventually([&] { return Summary("web") == "10.1.0.1:8080 | 10.1.0.2 "; }))
      << Summary("web");
  client::TypedClient<api::Endpoints> eps(*client_, "default");
  auto ep = Run(eps.Get("web"));
  ASSERT_TRUE(ep.IsOk());
  EXPECT_EQ(ep->metadata.labels.at("team"), "x");
  EXPECT_EQ(ep->metadata.annotations.count(kAnnotationLastChangeTriggerTime), 1u);
  const auto& addr = ep->subsets.at(0).addresses.at(0);
  ASSERT_TRUE(addr.targetRef.has_value());
  EXPECT_EQ(addr.targetRef->kind, "Pod");
  EXPECT_EQ(addr.targetRef->name, "web-a");
  EXPECT_FALSE(addr.targetRef->uid.empty());
  EXPECT_EQ(addr.nodeName, "node-1");
  EXPECT_EQ(ep->subsets.at(0).ports.at(0).name, "http");

  // Readiness moves addresses both ways.
  SetReady("web-b", true);
  SetReady("web-a", false);
  ASSERT_TRUE(Eventually([&] { return Summary("web") == "10.1.0.2:8080 | 10.1.0.1 "; }))
      << Summary("web");

  // A deleted pod leaves.
  client::TypedClient<api::Pod> pods(*client_, "default");
  std::string web_b = "web-b";
  client::DeleteOptions now;
  now.grace_period_seconds = 0;
  ASSERT_TRUE(Run(pods.Delete(web_b, now)).IsOk());
  ASSERT_TRUE(Eventually([&] {
    auto p = Run(pods.Get(web_b));
    return !p.IsOk() && Summary("web") == "| 10.1.0.1 ";
  })) << Summary("web");

  // Nothing changes: the Endpoints is not rewritten.
  auto before = Run(eps.Get("web"));
  ASSERT_TRUE(before.IsOk());
  client::TypedClient<api::Service> services(*client_, "default");
  auto cur = Run(services.Get("web"));
  ASSERT_TRUE(cur.IsOk());
  api::Service touched = *cur;
  touched.metadata.annotations["touched"] = "yes";
  ASSERT_TRUE(Run(services.Update(touched)).IsOk());
  CreatePod(MakePod("web-d", "web", "10.1.0.4", true));  // a change after the touch, to wait on
  ASSERT_TRUE(Eventually([&] { return Summary("web") == "10.1.0.4:8080 | 10.1.0.1 "; }))
      << Summary("web");

  // The Service goes, and so does its Endpoints.
  std::string web = "web";
  ASSERT_TRUE(Run(services.Delete(web)).IsOk());
  ASSERT_TRUE(Eventually([&] { return Summary("web") == "absent"; }));
}

TEST_F(EndpointsControllerTest, RecreatesDeletedEndpointsAndLeavesSelectorlessServicesAlone) {
  CreatePod(MakePod("web-a", "web", "10.1.0.1", true));
  CreateService(MakeService("web", "web"));
  ASSERT_TRUE(Eventually([&] { return Summary("web") == "10.1.0.1:8080 | "; }));
  client::TypedClient<api::Endpoints> eps(*client_, "default");
  std::string web = "web";
  ASSERT_TRUE(Run(eps.Delete(web)).IsOk());
  ASSERT_TRUE(Eventually([&] { return Summary("web") == "10.1.0.1:8080 | "; }));

  // A Service without selector: its Endpoints is the user's.
  api::Service manual = MakeService("manual", "web");
  manual.spec.selector.clear();
  CreateService(manual);
  api::Endpoints mine;
  mine.metadata.name = "manual";
  api::EndpointSubset s;
  api::EndpointAddress a;
  a.ip = "192.168.0.1";
  s.addresses.push_back(a);
  api::EndpointPort p;
  p.port = 80;
  p.name = "http";
  p.protocol = "TCP";
  s.ports.push_back(p);
  mine.subsets.push_back(s);
  ASSERT_TRUE(Run(eps.Create(mine)).IsOk());
  // Another Service's change to wait on, then check the manual one is untouched.
  CreatePod(MakePod("web-b", "web", "10.1.0.2", true));
  ASSERT_TRUE(Eventually([&] { return Summary("web") == "10.1.0.1:8080 10.1.0.2:8080 | "; }))
      << Summary("web");
  EXPECT_EQ(Summary("manual"), "192.168.0.1:80 | ");
  // The API server's own `kubernetes` Service has no selector either: no Endpoints is made for
  // it by this controller (the server may have written one itself, left as is).
}

TEST_F(EndpointsControllerTest, PublishNotReadyAddressesAndHeadless) {
  CreatePod(MakePod("db-0", "db", "10.1.0.5", false));
  api::Service svc = MakeService("db", "db");
  svc.spec.publishNotReadyAddresses = true;
  svc.spec.clusterIP = "None";
  CreateService(svc);
  // Not ready, yet published as ready.
  ASSERT_TRUE(Eventually([&] { return Summary("db") == "10.1.0.5:8080 | "; })) << Summary("db");
  client::TypedClient<api::Endpoints> eps(*client_, "default");
  auto ep = Run(eps.Get("db"));
  ASSERT_TRUE(ep.IsOk());
  EXPECT_EQ(ep->metadata.labels.count(kLabelHeadless), 1u);
}

}  // namespace
}  // namespace kubepp::controller
