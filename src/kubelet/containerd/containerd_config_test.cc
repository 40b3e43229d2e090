// The generated containerd config and CNI conflist (pure functions).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "kubelet/containerd/containerd.h"

namespace kubepp::kubelet {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

ContainerdOptions Options() {
  return ContainerdOptions{.data_dir = "/tmp/node-1", .pod_cidr = "198.18.3.0/24"};
}

TEST(ContainerdConfigTest, EverythingContainerdWritesIsUnderTheDataDir) {
  std::string toml = ContainerdConfigToml(Options());
  EXPECT_THAT(toml, HasSubstr("version = 2\n"));
  EXPECT_THAT(toml, HasSubstr("root = \"/tmp/node-1/root\"\n"));
  EXPECT_THAT(toml, HasSubstr("state = \"/tmp/node-1/state\"\n"));
  EXPECT_THAT(toml, HasSubstr("[grpc]\n  address = \"/tmp/node-1/containerd.sock\"\n"));
  EXPECT_THAT(toml, HasSubstr("[ttrpc]\n  address = \"/tmp/node-1/containerd.sock.ttrpc\"\n"));
  EXPECT_THAT(toml, HasSubstr("conf_dir = \"/tmp/node-1/cni/net.d\"\n"));
  EXPECT_THAT(toml, HasSubstr("netns_mounts_under_state_dir = true\n"));
  EXPECT_THAT(toml, Not(HasSubstr("/var/lib/containerd")));
  EXPECT_THAT(toml, Not(HasSubstr("/run/containerd")));
  EXPECT_THAT(toml, Not(HasSubstr("/etc/cni")));
}

TEST(ContainerdConfigTest, CriPluginSettingsThisMachineNeeds) {
  std::string toml = ContainerdConfigToml(Options());
  EXPECT_THAT(toml, HasSubstr("[plugins.\"io.containerd.grpc.v1.cri\"]\n"));
  EXPECT_THAT(toml, HasSubstr("restrict_oom_score_adj = true\n"));
  EXPECT_THAT(toml, HasSubstr("sandbox_image = \"localhost/pause:kubepp\"\n"));
  EXPECT_THAT(toml, HasSubstr("snapshotter = \"overlayfs\"\n"));
  EXPECT_THAT(toml, HasSubstr("runtime_type = \"io.containerd.runc.v2\"\n"));
  EXPECT_THAT(toml, HasSubstr("SystemdCgroup = false\n"));
  EXPECT_THAT(toml, HasSubstr("Root = \"/tmp/node-1/state/runc\"\n"));
  EXPECT_THAT(toml, Not(HasSubstr("\"io.containerd.runtime.v1.linux\"")));
  EXPECT_THAT(toml, HasSubstr("bin_dir = \"/usr/lib/cni\"\n"));
  EXPECT_THAT(toml, HasSubstr("stream_server_address = \"127.0.0.1\"\n"));
  EXPECT_THAT(toml, HasSubstr("\"io.containerd.snapshotter.v1.btrfs\""));
}

TEST(ContainerdConfigTest, OptionsReachTheConfig) {
  ContainerdOptions o = Options();
  o.sandbox_image = "localhost/pause:test";
  o.cni_bin_dir = "/opt/cni/bin";
  o.log_level = "debug";
  std::string toml = ContainerdConfigToml(o);
  EXPECT_THAT(toml, HasSubstr("sandbox_image = \"localhost/pause:test\"\n"));
  EXPECT_THAT(toml, HasSubstr("bin_dir = \"/opt/cni/bin\"\n"));
  EXPECT_THAT(toml, HasSubstr("level = \"debug\"\n"));
}

TEST(ContainerdConfigTest, StringsAreQuoted) {
  ContainerdOptions o = Options();
  o.data_dir = R"(/tmp/a "b"\c)";
  std::string toml = ContainerdConfigToml(o);
  EXPECT_THAT(toml, HasSubstr(R"(root = "/tmp/a \"b\"\\c/root")"));
}

TEST(ContainerdConfigTest, ConflistIsABridgeOnThePodCidrThenPortmap) {
  ContainerdOptions o = Options();
  o.bridge_name = "kpp7";
  std::string json = CniConflistJson(o);
  EXPECT_THAT(json, HasSubstr("\"cniVersion\": \"1.0.0\""));
  EXPECT_THAT(json, HasSubstr("\"name\": \"kubepp\""));
  EXPECT_THAT(json, HasSubstr("\"type\": \"bridge\""));
  EXPECT_THAT(json, HasSubstr("\"bridge\": \"kpp7\""));
  EXPECT_THAT(json, HasSubstr("\"isGateway\": true"));
  EXPECT_THAT(json, HasSubstr("\"ipMasq\": false"));
  EXPECT_THAT(json, HasSubstr("\"type\": \"host-local\""));
  EXPECT_THAT(json, HasSubstr("\"ranges\": [[{\"subnet\": \"198.18.3.0/24\"}]]"));
  EXPECT_THAT(json, HasSubstr("\"dataDir\": \"/tmp/node-1/cni/networks\""));
  EXPECT_THAT(json, HasSubstr("\"type\": \"portmap\""));
  EXPECT_THAT(json, HasSubstr("\"portMappings\": true"));
  // containerd adds loopback itself.
  EXPECT_THAT(json, Not(HasSubstr("loopback")));
  EXPECT_LT(json.find("bridge"), json.find("portmap"));
}

TEST(ContainerdConfigTest, DefaultBridgeName) {
  EXPECT_THAT(CniConflistJson(Options()), HasSubstr("\"bridge\": \"kubepp0\""));
}

}  // namespace
}  // namespace kubepp::kubelet
