// The resource quota controller against a real in-process API server (no admission charges
// quota here: status.used only moves through the controller).
#include "controller/resourcequota/resource_quota_controller.h"

#include <gtest/gtest.h>

#include "api/types.h"
#include "base/log.h"
#include "client/informer.h"
#include "client/testing/api_server_fixture.h"
#include "client/typed.h"

namespace kubepp::controller {
namespace {

using client::TypedClient;

constexpr char kNs[] = "default";

class ResourceQuotaControllerTest : public client::testing::ApiServerFixture {
 protected:
  void SetUp() override {
    if (const char* v = std::getenv("KUBEPP_TEST_V")) SetLogVerbosity(std::atoi(v));
    ApiServerFixture::SetUp();
    client::InformerOptions opts;
    opts.backoff.initial = std::chrono::milliseconds(50);
    opts.backoff.max = std::chrono::milliseconds(500);
    informers_ = std::make_unique<client::SharedInformerFactory>(*client_, runtime_.Executor(),
                                                                 opts, Clock::Real());
    ControllerContext ctx;
    ctx.client = client_.get();
    ctx.informers = informers_.get();
    ctx.executor = runtime_.Executor();
    ctx.clock = &Clock::Real();
    ResourceQuotaControllerOptions qopts;
    qopts.resync_period = std::chrono::milliseconds(500);  // count/<other kinds> are listed
    controller_ = NewResourceQuotaController(ctx, qopts);
    informers_->Start();
    ASSERT_TRUE(informers_->WaitForCacheSync(std::chrono::seconds(20)));
    controller_->Start();
  }
  void TearDown() override {
    if (controller_) controller_->Stop();
    controller_.reset();
    if (informers_) informers_->Stop();
    informers_.reset();
    ApiServerFixture::TearDown();
  }

  std::string Used(const std::string& name, const std::string& resource) {
    TypedClient<api::ResourceQuota> quotas(*client_, kNs);
    auto q = Run(quotas.Get(name));
    if (!q.IsOk()) return "<error>";
    auto it = q->status.used.find(resource);
    return it == q->status.used.end() ? "<absent>" : it->second.text;
  }

  void CreatePod(const std::string& name, const std::string& cpu) {
    api::Pod pod;
    pod.metadata.name = name;
    api::Container c;
    c.name = "c";
    c.image = "busybox";
    c.resources.emplace();
    c.resources->requests["cpu"] = api::Quantity{cpu};
    pod.spec.containers = {c};
    TypedClient<api::Pod> pods(*client_, kNs);
    auto r = Run(pods.Create(pod));
    ASSERT_TRUE(r.IsOk()) << r.status().ToString();
  }

  void CreateConfigMap(const std::string& name) {
    api::ConfigMap cm;
    cm.metadata.name = name;
    TypedClient<api::ConfigMap> cms(*client_, kNs);
    auto r = Run(cms.Create(cm));
    ASSERT_TRUE(r.IsOk()) << r.status().ToString();
  }

  int ConfigMaps() {
    TypedClient<api::ConfigMap> cms(*client_, kNs);
    client::ListOptions opts;
    auto r = Run(cms.List(opts));
    return r.IsOk() ? static_cast<int>(r->items.size()) : -1;
  }

  void DeleteNow(const std::string& resource_kind, const std::string& name) {
    client::DeleteOptions opts;
    opts.grace_period_seconds = 0;
    Status s;
    if (resource_kind == "pod") {
      TypedClient<api::Pod> pods(*client_, kNs);
      s = Run(pods.Delete(name, opts));
    } else {
      TypedClient<api::ConfigMap> cms(*client_, kNs);
      s = Run(cms.Delete(name, opts));
    }
    ASSERT_TRUE(s.IsOk()) << s.ToString();
  }

  std::unique_ptr<client::SharedInformerFactory> informers_;  // shared informers
  std::unique_ptr<Controller> controller_;                    // under test
};

TEST_F(ResourceQuotaControllerTest, UsedFollowsPodsAndConfigMaps) {
  const int base_cms = ConfigMaps();
  ASSERT_GE(base_cms, 0);
  api::ResourceQuota quota;
  quota.metadata.name = "compute";
  quota.spec.hard = {{"pods", {"10"}},
                     {"requests.cpu", {"4"}},
                     {"count/configmaps", {"20"}},
                     {"count/deployments.apps", {"5"}}};
  TypedClient<api::ResourceQuota> quotas(*client_, kNs);
  auto created = Run(quotas.Create(quota));
  ASSERT_TRUE(created.IsOk()) << created.status().ToString();

  // Empty namespace: status.hard copied, every tracked resource at its current count.
  ASSERT_TRUE(Eventually([&] {
    return Used("compute", "pods") == "0" && Used("compute", "requests.cpu") == "0" &&
           Used("compute", "count/configmaps") == std::to_string(base_cms) &&
           Used("compute", "count/deployments.apps") == "0";
  })) << Used("compute", "pods")
      << " " << Used("compute", "count/deployments.apps");
  {
    auto q = Run(quotas.Get("compute"));
    ASSERT_TRUE(q.IsOk());
    EXPECT_EQ(q->status.hard, quota.spec.hard);
    EXPECT_EQ(q->status.used.size(), 4U);
  }

  CreatePod("a", "500m");
  CreatePod("b", "250m");
  CreatePod("c", "1");
  CreateConfigMap("one");
  CreateConfigMap("two");
  ASSERT_TRUE(Eventually([&] {
    return Used("compute", "pods") == "3" && Used("compute", "requests.cpu") == "1750m" &&
           Used("compute", "count/configmaps") == std::to_string(base_cms + 2);
  })) << Used("compute", "pods")
      << " " << Used("compute", "requests.cpu") << " " << Used("compute", "count/configmaps");

  // A finished pod no longer counts for pods or requests.cpu.
  {
    TypedClient<api::Pod> pods(*client_, kNs);
    auto p = Run(pods.Get("c"));
    ASSERT_TRUE(p.IsOk());
    p->status.phase = "Succeeded";
    auto r = Run(pods.UpdateStatus(*p));
    ASSERT_TRUE(r.IsOk()) << r.status().ToString();
  }
  ASSERT_TRUE(Eventually([&] {
    return Used("compute", "pods") == "2" && Used("compute", "requests.cpu") == "750m";
  })) << Used("compute", "pods")
      << " " << Used("compute", "requests.cpu");

  DeleteNow("pod", "a");
  DeleteNow("configmap", "one");
  ASSERT_TRUE(Eventually([&] {
    return Used("compute", "pods") == "1" && Used("compute", "requests.cpu") == "250m" &&
           Used("compute", "count/configmaps") == std::to_string(base_cms + 1);
  })) << Used("compute", "pods")
      << " " << Used("compute", "requests.cpu") << " " << Used("compute", "count/configmaps");

  // Kinds without an informer here are listed on the periodic resync.
  api::Deployment d;
  d.metadata.name = "web";
  d.spec.replicas = 1;
  d.spec.selector.matchLabels = {{"app", "web"}};
  d.spec.template_.metadata.labels = {{"app", "web"}};
  api::Container c;
  c.name = "c";
  c.image = "nginx";
  d.spec.template_.spec.containers = {c};
  TypedClient<api::Deployment> deployments(*client_, kNs);
  auto dr = Run(deployments.Create(d));
  ASSERT_TRUE(dr.IsOk()) << dr.status().ToString();
  ASSERT_TRUE(Eventually([&] { return Used("compute", "count/deployments.apps") == "1"; }))
      << Used("compute", "count/deployments.apps");

  // A new hard limit is picked up, a dropped one leaves status.used.
  auto cur = Run(quotas.Get("compute"));
  ASSERT_TRUE(cur.IsOk());
  cur->spec.hard.erase("count/deployments.apps");
  cur->spec.hard["count/pods"] = api::Quantity{"10"};
  auto updated = Run(quotas.Update(*cur));
  ASSERT_TRUE(updated.IsOk()) << updated.status().ToString();
  ASSERT_TRUE(Eventually([&] {
    return Used("compute", "count/pods") == "2" &&
           Used("compute", "count/deployments.apps") == "<absent>";
  })) << Used("compute", "count/pods");
}

}  // namespace
}  // namespace kubepp::controller
