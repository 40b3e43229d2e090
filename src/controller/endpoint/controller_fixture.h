// An API server, a shared informer factory and one controller, for the endpoint controllers'
// integration tests. Tests write pod status themselves (there is no kubelet).
#pragma once

#include <memory>
#include <string>

#include "api/types.h"
#include "client/testing/api_server_fixture.h"
#include "client/typed.h"
#include "controller/controller.h"

namespace kubepp::controller::testing {

class ControllerFixture : public client::testing::ApiServerFixture {
 protected:
  void StartController(ControllerFactory factory, ControllerOptions options = {}) {
    factory_ = std::make_unique<client::SharedInformerFactory>(*client_, runtime_.Executor());
    ControllerContext ctx;
    ctx.client = client_.get();
    ctx.informers = factory_.get();
    ctx.executor = runtime_.Executor();
    ctx.clock = &Clock::Real();
    ctx.options = options;
    controller_ = factory(ctx);
    factory_->Start();
    controller_->Start();
  }
  void TearDown() override {
    if (controller_) controller_->Stop();
    if (factory_) factory_->Stop();
    controller_.reset();
    factory_.reset();
    ApiServerFixture::TearDown();
  }

  // Creates the pod (spec and metadata), then writes its status as a kubelet would.
  api::Pod CreatePod(const api::Pod& pod) {
    client::TypedClient<api::Pod> pods(*client_, pod.metadata.namespace_);
    api::Pod in = pod;
    in.metadata.uid.clear();
    auto created = Run(pods.Create(in));
    EXPECT_TRUE(created.IsOk()) << created.status().ToString();
    if (!created.IsOk()) return pod;
    api::Pod with_status = *created;
    with_status.status = pod.status;
    auto updated = Run(pods.UpdateStatus(with_status));
    EXPECT_TRUE(updated.IsOk()) << updated.status().ToString();
    return updated.IsOk() ? *updated : *created;
  }
  // Sets the pod's Ready condition (a kubelet's readiness probe result).
  void SetReady(const std::string& name, bool ready) {
    client::TypedClient<api::Pod> pods(*client_, "default");
    for (int attempt = 0; attempt < 5; ++attempt) {
      auto pod = Run(pods.Get(name));
      ASSERT_TRUE(pod.IsOk()) << pod.status().ToString();
      api::Pod p = *pod;
      for (auto& c : p.status.conditions) {
        if (c.type == "Ready") c.status = ready ? "True" : "False";
      }
      auto r = Run(pods.UpdateStatus(p));
      if (r.IsOk()) return;
      ASSERT_TRUE(r.status().IsConflict()) << r.status().ToString();
    }
    FAIL() << "could not update pod " << name;
  }
  void CreateService(const api::Service& svc) {
    client::TypedClient<api::Service> services(*client_, svc.metadata.namespace_);
    api::Service in = svc;
    in.metadata.uid.clear();
    if (in.spec.clusterIP != "None") in.spec.clusterIP.clear();  // allocated by the server
    auto r = Run(services.Create(in));
    ASSERT_TRUE(r.IsOk()) << r.status().ToString();
  }

  std::unique_ptr<client::SharedInformerFactory> factory_;  // the controller's informers
  std::unique_ptr<Controller> controller_;                  // under test
};

}  // namespace kubepp::controller::testing
