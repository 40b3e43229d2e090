#include "client/kubeconfig.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace kubepp::client {
namespace {

namespace fs = std::filesystem;

constexpr char kConfig[] = R"(apiVersion: v1
kind: Config
current-context: dev
clusters:
- name: local
  cluster:
    server: http://127.0.0.1:6443
    certificate-authority: certs/ca.crt
- name: remote
  cluster:
    server: https://10.0.0.1:443
    certificate-authority-data: aGVsbG8=
    insecure-skip-tls-verify: true
    tls-server-name: kubernetes
contexts:
- name: dev
  context:
    cluster: local
    user: admin
    namespace: team-a
- name: prod
  context:
    cluster: remote
    user: robot
users:
- name: admin
  user:
    token: abc123
- name: robot
  user:
    client-certificate-data: Y2VydA==
    client-key-data: a2V5
    client-certificate: /abs/cert.pem
)";

TEST(KubeconfigTest, ParsesClustersContextsUsers) {
  auto cfg = ParseKubeconfig(kConfig, "/home/me/.kube");
  ASSERT_TRUE(cfg.IsOk()) << cfg.status().ToString();
  EXPECT_EQ(cfg->current_context, "dev");
  ASSERT_EQ(cfg->clusters.size(), 2u);
  EXPECT_EQ(cfg->clusters.at("local").certificate_authority, "/home/me/.kube/certs/ca.crt");
  EXPECT_EQ(cfg->clusters.at("remote").certificate_authority_data, "hello");
  EXPECT_TRUE(cfg->clusters.at("remote").insecure_skip_tls_verify);
  EXPECT_EQ(cfg->clusters.at("remote").tls_server_name, "kubernetes");
  EXPECT_EQ(cfg->users.at("robot").client_certificate_data, "cert");
  EXPECT_EQ(cfg->users.at("robot").client_key_data, "key");
  EXPECT_EQ(cfg->users.at("robot").client_certificate, "/abs/cert.pem");
  EXPECT_EQ(cfg->contexts.at("dev").namespace_, "team-a");
}

TEST(KubeconfigTest, RestConfigOfCurrentAndNamedContext) {
  auto cfg = ParseKubeconfig(kConfig);
  ASSERT_TRUE(cfg.IsOk());
  auto dev = ConfigFromKubeconfig(*cfg);
  ASSERT_TRUE(dev.IsOk()) << dev.status().ToString();
  EXPECT_EQ(dev->server, "http://127.0.0.1:6443");
  EXPECT_EQ(dev->bearer_token, "abc123");
  EXPECT_EQ(dev->namespace_, "team-a");
  auto prod = ConfigFromKubeconfig(*cfg, "prod");
  ASSERT_TRUE(prod.IsOk());
  EXPECT_EQ(prod->server, "https://10.0.0.1:443");
  EXPECT_EQ(prod->ca_data, "hello");
  EXPECT_EQ(prod->cert_data, "cert");
  EXPECT_EQ(prod->key_data, "key");
  EXPECT_TRUE(prod->insecure);
  EXPECT_EQ(prod->namespace_, "default");
  auto missing = ConfigFromKubeconfig(*cfg, "nope");
  EXPECT_TRUE(missing.status().IsNotFound());
}

TEST(KubeconfigTest, Errors) {
  EXPECT_EQ(ParseKubeconfig("clusters: [").status().Code(), StatusCode::kBadRequest);
  EXPECT_EQ(
      ParseKubeconfig("users:\n- name: x\n  user:\n    client-key-data: '!!!'\n").status().Code(),
      StatusCode::kBadRequest);
  auto empty = ParseKubeconfig("");
  ASSERT_TRUE(empty.IsOk());
  EXPECT_TRUE(ConfigFromKubeconfig(*empty).status().IsNotFound());
  auto no_server = ParseKubeconfig(
      "current-context: c\ncontexts:\n- name: c\n  context: {cluster: k}\nclusters:\n- name: k\n"
      "  cluster: {}\n");
  ASSERT_TRUE(no_server.IsOk());
  EXPECT_TRUE(ConfigFromKubeconfig(*no_server).status().IsInvalid());
}

TEST(KubeconfigTest, KubeconfigEnvMergesFirstWins) {
  fs::path dir = fs::temp_directory_path() / ("kubepp_kc_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  {
    std::ofstream(dir / "a") << "current-context: one\ncontexts:\n- name: one\n  context: "
                                "{cluster: c, user: u}\nclusters:\n- name: c\n  cluster: {server: "
                                "http://a:1}\n";
    std::ofstream(dir / "b") << "current-context: two\nclusters:\n- name: c\n  cluster: {server: "
                                "http://b:2}\nusers:\n- name: u\n  user: {tokenFile: tok}\n";
  }
  std::string env =
      (dir / "a").string() + ":" + (dir / "missing").string() + ":" + (dir / "b").string();
  ::setenv("KUBECONFIG", env.c_str(), 1);
  auto merged = LoadDefaultKubeconfig();
  ::unsetenv("KUBECONFIG");
  ASSERT_TRUE(merged.IsOk()) << merged.status().ToString();
  EXPECT_EQ(merged->current_context, "one");
  auto rc = ConfigFromKubeconfig(*merged);
  ASSERT_TRUE(rc.IsOk()) << rc.status().ToString();
  EXPECT_EQ(rc->server, "http://a:1");
  EXPECT_EQ(rc->bearer_token_file, (dir / "tok").string());
  fs::remove_all(dir);
}

TEST(KubeconfigTest, Base64) {
  EXPECT_EQ(*DecodeBase64("aGVsbG8gd29ybGQ="), "hello world");
  EXPECT_EQ(*DecodeBase64("YQ"), "a");
  EXPECT_FALSE(DecodeBase64("a$b").IsOk());
}

}  // namespace
}  // namespace kubepp::client
