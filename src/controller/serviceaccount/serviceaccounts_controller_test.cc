// The ServiceAccounts controller against an in-process API server: every active namespace gets
// `default`, gets it back after a deletion, and a terminating namespace gets nothing.
#include "controller/serviceaccount/serviceaccounts_controller.h"

#include <gtest/gtest.h>

#include "api/types.h"
#include "client/testing/api_server_fixture.h"
#include "client/typed.h"

namespace kubepp::controller {
namespace {

class ServiceAccountsControllerTest : public client::testing::ApiServerFixture {
 protected:
  void SetUp() override {
    ApiServerFixture::SetUp();
    factory_ = std::make_unique<client::SharedInformerFactory>(*client_, runtime_.Executor());
    ControllerContext ctx;
    ctx.client = client_.get();
    ctx.informers = factory_.get();
    ctx.executor = runtime_.Executor();
    ctx.clock = &Clock::Real();
    controller_ = NewServiceAccountController(ctx);
    factory_->Start();
    controller_->Start();
  }
  void TearDown() override {
    controller_->Stop();
    factory_->Stop();
    controller_.reset();
    factory_.reset();
    ApiServerFixture::TearDown();
  }

  bool HasDefault(const std::string& ns) {
    client::TypedClient<api::ServiceAccount> sas(*client_, ns);
    auto sa = Run(sas.Get("default"));
    return sa.IsOk();
  }
  void CreateNamespace(const std::string& name) {
    client::TypedClient<api::Namespace> nss(*client_);
    api::Namespace ns;
    ns.metadata.name = name;
    auto r = Run(nss.Create(ns));
    ASSERT_TRUE(r.IsOk()) << r.status().ToString();
  }

  std::unique_ptr<client::SharedInformerFactory> factory_;  // informers of the controller
  std::unique_ptr<Controller> controller_;                  // under test
};

TEST(NamespaceIsActiveTest, TerminatingNamespacesAreNot) {
  api::Namespace ns;
  ns.metadata.name = "a";
  EXPECT_TRUE(NamespaceIsActive(ns));
  ns.status.phase = "Active";
  EXPECT_TRUE(NamespaceIsActive(ns));
  ns.status.phase = "Terminating";
  EXPECT_FALSE(NamespaceIsActive(ns));
  ns.status.phase = "Active";
  ns.metadata.deletionTimestamp = "2026-01-01T00:00:00Z";
  EXPECT_FALSE(NamespaceIsActive(ns));
}

TEST_F(ServiceAccountsControllerTest, EveryNamespaceGetsDefaultAndGetsItBack) {
  // Namespaces the API server made at start-up get theirs.
  EXPECT_TRUE(Eventually([&] { return HasDefault("default"); }));
  EXPECT_TRUE(Eventually([&] { return HasDefault("kube-system"); }));

  CreateNamespace("team-a");
  ASSERT_TRUE(Eventually([&] { return HasDefault("team-a"); }));

  client::TypedClient<api::ServiceAccount> sas(*client_, "team-a");
  auto before = Run(sas.Get("default"));
  ASSERT_TRUE(before.IsOk());
  ASSERT_TRUE(Run(sas.Delete("default")).IsOk());
  // Re-created: a new object (another uid).
  ASSERT_TRUE(Eventually([&] {
    auto sa = Run(sas.Get("default"));
    return sa.IsOk() && sa->metadata.uid != before->metadata.uid;
  }));
  // Other accounts are not the controller's business.
  api::ServiceAccount other;
  other.metadata.name = "builder";
  ASSERT_TRUE(Run(sas.Create(other)).IsOk());
  std::string builder = "builder";
  ASSERT_TRUE(Run(sas.Delete(builder)).IsOk());
}

TEST_F(ServiceAccountsControllerTest, TerminatingNamespaceGetsNothing) {
  CreateNamespace("doomed");
  ASSERT_TRUE(Eventually([&] { return HasDefault("doomed"); }));
  // Keep the namespace in Terminating with a finalizer of our own; no namespace controller runs.
  client::TypedClient<api::Namespace> nss(*client_);
  auto ns = Run(nss.Get("doomed"));
  ASSERT_TRUE(ns.IsOk());
  ASSERT_TRUE(Run(nss.Delete("doomed")).IsOk());
  ASSERT_TRUE(Eventually([&] {
    auto n = Run(nss.Get("doomed"));
    return !n.IsOk() || !NamespaceIsActive(*n);
  }));
  client::TypedClient<api::ServiceAccount> sas(*client_, "doomed");
  auto del = Run(sas.Delete("default"));
  // The namespace may already be gone (no finalizers): then there is nothing to check.
  if (!del.IsOk()) GTEST_SKIP() << "namespace already removed: " << del.ToString();
  // Give the controller a chance to act: a later namespace must get its account first, and by
  // then the terminating one has been looked at (both go through the same queue).
  CreateNamespace("later");
  ASSERT_TRUE(Eventually([&] { return HasDefault("later"); }));
  EXPECT_FALSE(HasDefault("doomed"));
}

}  // namespace
}  // namespace kubepp::controller
