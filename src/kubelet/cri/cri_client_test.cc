// CriClient against a real containerd (Debian's 1.6) started in a temporary directory.
#include "kubelet/cri/cri_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "kubelet/containerd/testing/test_containerd.h"

namespace kubepp::kubelet::cri {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

// One containerd for the whole suite (set up and torn down by CriClientTest).
kubelet::testing::TestContainerd* suite_containerd = nullptr;

class CriClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!kubelet::testing::CanRunContainerd()) return;
    auto t = kubelet::testing::TestContainerd::Start();
    ASSERT_TRUE(t.IsOk()) << t.status().ToString();
    suite_containerd = std::move(t).value().release();
  }
  static void TearDownTestSuite() {
    delete suite_containerd;
    suite_containerd = nullptr;
  }
  void SetUp() override {
    if (!kubelet::testing::CanRunContainerd()) GTEST_SKIP() << "needs root and containerd";
    ASSERT_NE(suite_containerd, nullptr);
    cri_ = std::make_unique<CriClient>(
        CriClientOptions{.endpoint = suite_containerd->Get().Endpoint(), .timeout = 20s});
  }

  std::unique_ptr<CriClient> cri_;  // a fresh client per test
};

TEST_F(CriClientTest, Version) {
  auto v = cri_->Version();
  ASSERT_TRUE(v.IsOk()) << v.status().ToString();
  EXPECT_EQ(v->runtime_name(), "containerd");
  EXPECT_EQ(v->runtime_api_version(), "v1");
  EXPECT_EQ(v->version(), "0.1.0");
}

TEST_F(CriClientTest, StatusSaysTheRuntimeIsReady) {
  auto s = cri_->Status();
  ASSERT_TRUE(s.IsOk()) << s.status().ToString();
  bool runtime_ready = false;
  bool network_ready = false;
  for (const auto& c : s->status().conditions()) {
    if (c.type() == "RuntimeReady") runtime_ready = c.status();
    if (c.type() == "NetworkReady") network_ready = c.status();
  }
  EXPECT_TRUE(runtime_ready) << s->DebugString();
  // NetworkReady means containerd loaded the generated CNI conflist.
  EXPECT_TRUE(network_ready) << s->DebugString();
}

TEST_F(CriClientTest, ListsAreEmptyOnAFreshNode) {
  auto images = cri_->ListImages();
  ASSERT_TRUE(images.IsOk()) << images.status().ToString();
  EXPECT_EQ(images->images_size(), 0);
  auto sandboxes = cri_->ListPodSandbox({});
  ASSERT_TRUE(sandboxes.IsOk()) << sandboxes.status().ToString();
  EXPECT_EQ(sandboxes->items_size(), 0);
  auto containers = cri_->ListContainers({});
  ASSERT_TRUE(containers.IsOk()) << containers.status().ToString();
  EXPECT_EQ(containers->containers_size(), 0);
}

TEST_F(CriClientTest, ImageStatusOfAnAbsentImageHasNoImage) {
  v1::ImageStatusRequest req;
  req.mutable_image()->set_image("localhost/absent:v1");
  auto s = cri_->ImageStatus(req);
  ASSERT_TRUE(s.IsOk()) << s.status().ToString();
  EXPECT_FALSE(s->has_image());
}

TEST_F(CriClientTest, PullFromARegistryThatRefusesFails) {
  v1::PullImageRequest req;
  req.mutable_image()->set_image("localhost:1/none:latest");
  auto r = cri_->PullImage(req);
  ASSERT_FALSE(r.IsOk());
  EXPECT_EQ(r.status().Code(), StatusCode::kInternalError) << r.status().ToString();
  EXPECT_THAT(r.status().Message(), HasSubstr("CRI PullImage"));
  EXPECT_THAT(r.status().Message(), HasSubstr("localhost:1/none:latest"));
  EXPECT_THAT(r.status().Message(), HasSubstr("connection refused"));
}

TEST_F(CriClientTest, UnknownIdsAreNotFound) {
  v1::ContainerStatusRequest cs;
  cs.set_container_id("no-such-container");
  auto c = cri_->ContainerStatus(cs);
  ASSERT_FALSE(c.IsOk());
  EXPECT_TRUE(c.status().IsNotFound()) << c.status().ToString();

  v1::PodSandboxStatusRequest ps;
  ps.set_pod_sandbox_id("no-such-sandbox");
  auto p = cri_->PodSandboxStatus(ps);
  ASSERT_FALSE(p.IsOk());
  EXPECT_TRUE(p.status().IsNotFound()) << p.status().ToString();
}

TEST_F(CriClientTest, RemovingWhatIsAbsentIsIdempotent) {
  v1::RemovePodSandboxRequest rp;
  rp.set_pod_sandbox_id("no-such-sandbox");
  auto r = cri_->RemovePodSandbox(rp);
  EXPECT_TRUE(r.IsOk()) << r.status().ToString();
  v1::RemoveImageRequest ri;
  ri.mutable_image()->set_image("localhost/absent:v1");
  auto i = cri_->RemoveImage(ri);
  EXPECT_TRUE(i.IsOk()) << i.status().ToString();
}

TEST_F(CriClientTest, ConcurrentCallsShareOneClient) {
  std::vector<std::thread> threads;
  threads.reserve(4);
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 10; ++j) {
        if (cri_->Version().IsOk() && cri_->ListPodSandbox({}).IsOk()) ok.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 40);
}

TEST(CriClientNoRuntimeTest, AMissingSocketIsUnavailableAndNamesIt) {
  CriClient cri({.endpoint = "/tmp/kpp-no-such-dir/containerd.sock", .timeout = 2s});
  EXPECT_EQ(cri.Endpoint(), "unix:///tmp/kpp-no-such-dir/containerd.sock");
  auto v = cri.Version();
  ASSERT_FALSE(v.IsOk());
  EXPECT_TRUE(v.status().IsUnavailable()) << v.status().ToString();
  EXPECT_THAT(v.status().Message(), HasSubstr("unix:///tmp/kpp-no-such-dir/containerd.sock"));
}

}  // namespace
}  // namespace kubepp::kubelet::cri
