// Starts and stops a real containerd (Debian's 1.6) in a temporary directory.
#include "kubelet/containerd/containerd.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include "kubelet/containerd/testing/test_containerd.h"
#include "kubelet/cri/cri_client.h"

namespace kubepp::kubelet {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

bool ProcessExists(pid_t pid) { return ::kill(pid, 0) == 0 || errno != ESRCH; }

TEST(ContainerdTest, StartAnswersCriVersionAndStopLeavesNoProcess) {
  if (!testing::CanRunContainerd()) GTEST_SKIP() << "needs root and containerd";
  auto t = testing::TestContainerd::Start();
  ASSERT_TRUE(t.IsOk()) << t.status().ToString();
  Containerd& containerd = (*t)->Get();
  EXPECT_TRUE(containerd.Owned());
  const pid_t pid = containerd.Pid();
  ASSERT_GT(pid, 0);
  EXPECT_EQ(containerd.Socket(), (*t)->Dir() + "/containerd.sock");
  EXPECT_TRUE(std::filesystem::exists((*t)->Dir() + "/containerd.toml"));
  EXPECT_TRUE(std::filesystem::exists((*t)->Dir() + "/cni/net.d/10-kubepp.conflist"));

  cri::CriClient cri({.endpoint = containerd.Endpoint()});
  auto v = cri.Version();
  ASSERT_TRUE(v.IsOk()) << v.status().ToString();
  EXPECT_EQ(v->runtime_name(), "containerd");
  EXPECT_EQ(v->runtime_api_version(), "v1");
  EXPECT_FALSE(v->runtime_version().empty());

  ASSERT_TRUE(containerd.Stop().IsOk());
  EXPECT_EQ(containerd.Pid(), -1);
  EXPECT_FALSE(ProcessExists(pid));
  // Idempotent.
  EXPECT_TRUE(containerd.Stop().IsOk());
  // Nothing answers any more.
  auto gone = cri.Version(2s);
  ASSERT_FALSE(gone.IsOk());
  EXPECT_TRUE(gone.status().IsUnavailable()) << gone.status().ToString();
  EXPECT_THAT(gone.status().Message(), HasSubstr(containerd.Socket()));
}

TEST(ContainerdTest, ConnectAttachesToARunningContainerdWithoutOwningIt) {
  if (!testing::CanRunContainerd()) GTEST_SKIP() << "needs root and containerd";
  auto t = testing::TestContainerd::Start();
  ASSERT_TRUE(t.IsOk()) << t.status().ToString();
  auto other = Containerd::Connect((*t)->Get().Endpoint(), 10s);
  ASSERT_TRUE(other.IsOk()) << other.status().ToString();
  EXPECT_FALSE((*other)->Owned());
  EXPECT_EQ((*other)->Pid(), -1);
  EXPECT_EQ((*other)->Socket(), (*t)->Get().Socket());
  EXPECT_TRUE((*other)->Stop().IsOk());
  other->reset();
  // The owner's containerd still runs and answers.
  EXPECT_TRUE(ProcessExists((*t)->Get().Pid()));
  cri::CriClient cri({.endpoint = (*t)->Get().Endpoint()});
  EXPECT_TRUE(cri.Version().IsOk());
}

TEST(ContainerdTest, StartRefusesADataDirWhoseContainerdStillRuns) {
  if (!testing::CanRunContainerd()) GTEST_SKIP() << "needs root and containerd";
  auto t = testing::TestContainerd::Start();
  ASSERT_TRUE(t.IsOk()) << t.status().ToString();
  ContainerdOptions o{.data_dir = (*t)->Dir(), .kill_with_parent = true};
  auto second = Containerd::Start(o);
  ASSERT_FALSE(second.IsOk());
  EXPECT_TRUE(second.status().IsAlreadyExists()) << second.status().ToString();
  // The first one is untouched.
  cri::CriClient cri({.endpoint = (*t)->Get().Endpoint()});
  EXPECT_TRUE(cri.Version().IsOk());
}

TEST(ContainerdTest, ConnectToNothingIsUnavailable) {
  auto c = Containerd::Connect("/tmp/kpp-no-such-dir/containerd.sock", 300ms);
  ASSERT_FALSE(c.IsOk());
  EXPECT_TRUE(c.status().IsUnavailable()) << c.status().ToString();
  EXPECT_THAT(c.status().Message(), HasSubstr("/tmp/kpp-no-such-dir/containerd.sock"));
}

TEST(ContainerdTest, AContainerdThatExitsAtStartFailsWithItsLog) {
  if (!testing::CanRunContainerd()) GTEST_SKIP() << "needs root and containerd";
  // /bin/false stands for a containerd that dies at once (bad config, missing modules).
  std::string dir = "/tmp/kpp-ctd-bad-XXXXXX";
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  ContainerdOptions o{.data_dir = dir, .kill_with_parent = true};
  o.containerd_binary = "/bin/false";
  auto c = Containerd::Start(o);
  ASSERT_FALSE(c.IsOk());
  EXPECT_TRUE(c.status().IsUnavailable()) << c.status().ToString();
  EXPECT_THAT(c.status().Message(), HasSubstr("exited during start"));
  std::filesystem::remove_all(dir);
}

bool IsMountPoint(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(" " + path + " ") != std::string::npos) return true;
  }
  return false;
}

TEST(ContainerdTest, UnmountUnderRemovesNestedMounts) {
  if (!testing::CanRunContainerd()) GTEST_SKIP() << "needs root and containerd";
  std::string dir = "/tmp/kpp-mnt-XXXXXX";
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  const std::string outer = dir + "/state/a";
  const std::string inner = outer + "/shm";
  std::filesystem::create_directories(outer);
  ASSERT_EQ(::mount("tmpfs", outer.c_str(), "tmpfs", 0, "size=1m"), 0) << std::strerror(errno);
  std::filesystem::create_directories(inner);
  ASSERT_EQ(::mount("shm", inner.c_str(), "tmpfs", 0, "size=1m"), 0) << std::strerror(errno);
  ASSERT_TRUE(IsMountPoint(inner));

  EXPECT_TRUE(UnmountUnder(dir).IsOk());
  EXPECT_FALSE(IsMountPoint(inner));
  EXPECT_FALSE(IsMountPoint(outer));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace kubepp::kubelet
