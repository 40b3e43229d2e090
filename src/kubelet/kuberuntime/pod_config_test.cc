// Pod -> CRI configs: sandbox (hostname, DNS per policy, ports, labels, cgroup parent,
// namespaces), environment (order, valueFrom, envFrom, errors, service links, $(VAR)), container
// config (command expansion, resources by QoS, security context).
#include "kubelet/kuberuntime/pod_config.h"

#include <gtest/gtest.h>

namespace kubepp::kubelet {
namespace {

api::Container MakeContainer(const std::string& name) {
  api::Container c;
  c.name = name;
  c.image = "localhost/busybox:1.35";
  return c;
}

api::Pod MakePod() {
  api::Pod p;
  p.metadata.name = "web";
  p.metadata.namespace_ = "prod";
  p.metadata.uid = "uid-1";
  p.metadata.labels = {{"app", "web"}};
  p.spec.nodeName = "node-1";
  p.spec.containers.push_back(MakeContainer("c"));
  return p;
}

PodConfigOptions Options() {
  PodConfigOptions o;
  o.pod_logs_root = "/data/pods";
  o.cluster_dns = {"198.19.0.10"};
  o.host_nameservers = {"127.0.0.53"};
  o.host_searches = {"example.test"};
  o.host_options = {"edns0"};
  o.node_hostname = "node-1";
  o.host_ips = {"198.18.255.1"};
  o.node_allocatable_milli_cpu = 2000;
  o.node_allocatable_memory = 8LL << 30;
  o.node_memory_capacity = 8LL << 30;
  return o;
}

std::vector<std::string> Strings(const google::protobuf::RepeatedPtrField<std::string>& r) {
  return {r.begin(), r.end()};
}

TEST(SandboxConfigTest, MetadataHostnameLogsLabelsCgroupAndPorts) {
  api::Pod pod = MakePod();
  api::ContainerPort port;
  port.containerPort = 80;
  port.hostPort = 8080;
  pod.spec.containers[0].ports.push_back(port);
  auto c = MakeSandboxConfig(pod, 1, Options());
  EXPECT_EQ(c.metadata().name(), "web");
  EXPECT_EQ(c.metadata().namespace_(), "prod");
  EXPECT_EQ(c.metadata().uid(), "uid-1");
  EXPECT_EQ(c.metadata().attempt(), 1U);
  EXPECT_EQ(c.hostname(), "web");
  EXPECT_EQ(c.log_directory(), "/data/pods/prod_web_uid-1");
  EXPECT_EQ(c.labels().at("app"), "web");
  EXPECT_EQ(c.labels().at(kPodUidLabel), "uid-1");
  EXPECT_EQ(c.linux().cgroup_parent(), "/kubepods/besteffort/poduid-1");
  EXPECT_EQ(c.linux().security_context().namespace_options().network(), cri::v1::POD);
  EXPECT_EQ(c.linux().security_context().namespace_options().pid(), cri::v1::CONTAINER);
  ASSERT_EQ(c.port_mappings_size(), 1);
  EXPECT_EQ(c.port_mappings(0).host_port(), 8080);
  EXPECT_EQ(c.port_mappings(0).protocol(), cri::v1::TCP);

  pod.spec.hostname = std::string(70, 'a') + "-x";
  EXPECT_EQ(PodHostname(pod, Options()), std::string(63, 'a'));
  pod.spec.hostNetwork = true;
  EXPECT_EQ(PodHostname(pod, Options()), "node-1");
  EXPECT_EQ(
      MakeSandboxConfig(pod, 0, Options()).linux().security_context().namespace_options().network(),
      cri::v1::NODE);
}

TEST(SandboxConfigTest, DnsPerPolicy) {
  api::Pod pod = MakePod();
  auto dns = MakeDnsConfig(pod, Options());  // ClusterFirst
  EXPECT_EQ(Strings(dns.servers()), std::vector<std::string>{"198.19.0.10"});
  EXPECT_EQ(Strings(dns.searches()),
            (std::vector<std::string>{"prod.svc.cluster.local", "svc.cluster.local",
                                      "cluster.local", "example.test"}));
  EXPECT_EQ(Strings(dns.options()), std::vector<std::string>{"ndots:5"});

  pod.spec.dnsPolicy = "Default";
  dns = MakeDnsConfig(pod, Options());
  EXPECT_EQ(Strings(dns.servers()), std::vector<std::string>{"127.0.0.53"});
  EXPECT_EQ(Strings(dns.options()), std::vector<std::string>{"edns0"});

  pod.spec.dnsPolicy = "None";
  pod.spec.dnsConfig = api::PodDNSConfig{};
  pod.spec.dnsConfig->nameservers = {"198.19.0.53"};
  pod.spec.dnsConfig->options = {api::PodDNSConfigOption{.name = "ndots", .value = "2"}};
  dns = MakeDnsConfig(pod, Options());
  EXPECT_EQ(Strings(dns.servers()), std::vector<std::string>{"198.19.0.53"});
  EXPECT_TRUE(dns.searches().empty());
  EXPECT_EQ(Strings(dns.options()), std::vector<std::string>{"ndots:2"});

  // ClusterFirst merges dnsConfig and overrides an option by name.
  pod.spec.dnsPolicy = "ClusterFirst";
  dns = MakeDnsConfig(pod, Options());
  EXPECT_EQ(Strings(dns.servers()), (std::vector<std::string>{"198.19.0.10", "198.19.0.53"}));
  EXPECT_EQ(Strings(dns.options()), std::vector<std::string>{"ndots:2"});

  // No cluster DNS configured: upstream falls back to Default.
  PodConfigOptions no_dns = Options();
  no_dns.cluster_dns.clear();
  pod.spec.dnsConfig.reset();
  EXPECT_EQ(Strings(MakeDnsConfig(pod, no_dns).servers()), std::vector<std::string>{"127.0.0.53"});
}

TEST(EnvironmentTest, ExpandVars) {
  std::map<std::string, std::string> env = {{"A", "1"}, {"B", "two"}};
  EXPECT_EQ(ExpandVars("x$(A)y$(B)", env), "x1ytwo");
  EXPECT_EQ(ExpandVars("$(C) stays", env), "$(C) stays");
  EXPECT_EQ(ExpandVars("$$(A) is literal", env), "$(A) is literal");
  EXPECT_EQ(ExpandVars("cost $5 $(A", env), "cost $5 $(A");
}

TEST(EnvironmentTest, OrderSourcesAndExpansion) {
  api::Pod pod = MakePod();
  pod.status.podIP = "198.18.1.5";
  auto cm = std::make_shared<api::ConfigMap>();
  cm->data = {{"MODE", "fast"}, {"bad key", "x"}};
  auto secret = std::make_shared<api::Secret>();
  secret->data = {{"TOKEN", "c2VjcmV0"}};  // "secret"
  EnvSources sources;
  sources.config_map = [&](const std::string& ns, const std::string& name) {
    return ns == "prod" && name == "cfg" ? cm : nullptr;
  };
  sources.secret = [&](const std::string& ns, const std::string& name) {
    return ns == "prod" && name == "sec" ? secret : nullptr;
  };
  auto svc = std::make_shared<api::Service>();
  svc->metadata.name = "my-db";
  svc->spec.clusterIP = "198.19.0.20";
  api::ServicePort sp;
  sp.name = "pg";
  sp.port = 5432;
  sp.protocol = "TCP";
  svc->spec.ports.push_back(sp);
  sources.services = {svc};

  api::Container& c = pod.spec.containers[0];
  api::EnvFromSource from;
  from.configMapRef = api::ConfigMapEnvSource{.name = "cfg"};
  from.prefix = "CFG_";
  c.envFrom.push_back(from);
  auto env = [](std::string name, std::string value) {
    api::EnvVar e;
    e.name = std::move(name);
    e.value = std::move(value);
    return e;
  };
  c.env.push_back(env("GREETING", "hi $(CFG_MODE) $(MY_DB_SERVICE_HOST)"));
  api::EnvVar pod_name;
  pod_name.name = "POD_NAME";
  pod_name.valueFrom = api::EnvVarSource{};
  pod_name.valueFrom->fieldRef = api::ObjectFieldSelector{.fieldPath = "metadata.name"};
  c.env.push_back(pod_name);
  api::EnvVar app;
  app.name = "APP";
  app.valueFrom = api::EnvVarSource{};
  app.valueFrom->fieldRef = api::ObjectFieldSelector{.fieldPath = "metadata.labels['app']"};
  c.env.push_back(app);
  api::EnvVar ip;
  ip.name = "POD_IP";
  ip.valueFrom = api::EnvVarSource{};
  ip.valueFrom->fieldRef = api::ObjectFieldSelector{.fieldPath = "status.podIP"};
  c.env.push_back(ip);
  api::EnvVar token;
  token.name = "TOKEN";
  token.valueFrom = api::EnvVarSource{};
  token.valueFrom->secretKeyRef = api::SecretKeySelector{.key = "TOKEN", .name = "sec"};
  c.env.push_back(token);
  api::EnvVar cpu;
  cpu.name = "CPU_LIMIT";
  cpu.valueFrom = api::EnvVarSource{};
  cpu.valueFrom->resourceFieldRef = api::ResourceFieldSelector{.resource = "limits.cpu"};
  c.env.push_back(cpu);
  c.env.push_back(env("CFG_MODE", "overridden"));

  auto got = MakeEnvironment(pod, c, sources, Options());
  ASSERT_TRUE(got.IsOk()) << got.status().ToString();
  std::map<std::string, std::string> m;
  std::vector<std::string> order;
  for (const auto& e : *got) {
    m[e.name] = e.value;
    order.push_back(e.name);
  }
  EXPECT_EQ(order.front(), "CFG_MODE");  // first definition's place, last value
  EXPECT_EQ(m["CFG_MODE"], "overridden");
  EXPECT_FALSE(m.contains("CFG_bad key"));
  EXPECT_EQ(m["GREETING"], "hi fast 198.19.0.20");
  EXPECT_EQ(m["POD_NAME"], "web");
  EXPECT_EQ(m["APP"], "web");
  EXPECT_EQ(m["POD_IP"], "198.18.1.5");
  EXPECT_EQ(m["TOKEN"], "secret");
  EXPECT_EQ(m["CPU_LIMIT"], "2");  // no limit: node allocatable, in cores, rounded up
  EXPECT_EQ(m["MY_DB_SERVICE_HOST"], "198.19.0.20");
  EXPECT_EQ(m["MY_DB_SERVICE_PORT"], "5432");
  EXPECT_EQ(m["MY_DB_SERVICE_PORT_PG"], "5432");
  EXPECT_EQ(m["MY_DB_PORT"], "tcp://198.19.0.20:5432");
  EXPECT_EQ(m["MY_DB_PORT_5432_TCP_ADDR"], "198.19.0.20");
  EXPECT_EQ(order.back().rfind("MY_DB_", 0), 0U);  // service links last

  pod.spec.enableServiceLinks = false;
  got = MakeEnvironment(pod, c, sources, Options());
  ASSERT_TRUE(got.IsOk());
  for (const auto& e : *got) EXPECT_NE(e.name, "MY_DB_SERVICE_HOST");
}

TEST(EnvironmentTest, MissingReferencesFailLikeUpstreamUnlessOptional) {
  api::Pod pod = MakePod();
  EnvSources sources;
  auto cm = std::make_shared<api::ConfigMap>();
  sources.config_map = [&](const std::string&, const std::string& name) {
    return name == "present" ? cm : nullptr;
  };
  api::Container& c = pod.spec.containers[0];
  api::EnvVar e;
  e.name = "X";
  e.valueFrom = api::EnvVarSource{};
  e.valueFrom->configMapKeyRef = api::ConfigMapKeySelector{.key = "k", .name = "absent"};
  c.env = {e};
  auto got = MakeEnvironment(pod, c, sources, Options());
  ASSERT_FALSE(got.IsOk());
  EXPECT_EQ(got.status().Message(), "configmap \"absent\" not found");
  c.env[0].valueFrom->configMapKeyRef->name = "present";
  got = MakeEnvironment(pod, c, sources, Options());
  ASSERT_FALSE(got.IsOk());
  EXPECT_EQ(got.status().Message(), "couldn't find key k in ConfigMap prod/present");
  c.env[0].valueFrom->configMapKeyRef->optional = true;
  got = MakeEnvironment(pod, c, sources, Options());
  ASSERT_TRUE(got.IsOk());
  EXPECT_TRUE(got->empty());
  c.env[0].valueFrom = api::EnvVarSource{};
  c.env[0].valueFrom->secretKeyRef = api::SecretKeySelector{.key = "k", .name = "nope"};
  got = MakeEnvironment(pod, c, sources, Options());
  ASSERT_FALSE(got.IsOk());
  EXPECT_EQ(got.status().Message(), "secret \"nope\" not found");
}

TEST(ContainerConfigTest, CommandResourcesAndSecurity) {
  api::Pod pod = MakePod();
  api::Container& c = pod.spec.containers[0];
  c.command = {"sh", "-c"};
  c.args = {"echo $(MSG) $$(MSG)"};
  c.workingDir = "/tmp";
  c.resources = api::ResourceRequirements{};
  c.resources->requests = {{"cpu", {"250m"}}, {"memory", {"1Gi"}}};
  c.resources->limits = {{"cpu", {"500m"}}, {"memory", {"2Gi"}}};
  c.securityContext = api::SecurityContext{};
  c.securityContext->runAsUser = 1000;
  c.securityContext->readOnlyRootFilesystem = true;
  c.securityContext->capabilities = api::Capabilities{};
  c.securityContext->capabilities->add = {"NET_ADMIN"};
  pod.spec.securityContext = api::PodSecurityContext{};
  pod.spec.securityContext->runAsUser = 5;
  pod.spec.securityContext->runAsGroup = 6;
  std::vector<EnvVar> env = {{"MSG", "hello"}};
  cri::v1::Mount m;
  m.set_container_path("/data");
  m.set_host_path("/node/vol");
  auto cfg = MakeContainerConfig(pod, c, 3, env, {m}, Options());
  EXPECT_EQ(cfg.metadata().name(), "c");
  EXPECT_EQ(cfg.metadata().attempt(), 3U);
  EXPECT_EQ(cfg.image().image(), "localhost/busybox:1.35");
  EXPECT_EQ(Strings(cfg.command()), (std::vector<std::string>{"sh", "-c"}));
  EXPECT_EQ(cfg.args(0), "echo hello $(MSG)");
  EXPECT_EQ(cfg.working_dir(), "/tmp");
  EXPECT_EQ(cfg.envs(0).key(), "MSG");
  EXPECT_EQ(cfg.mounts(0).container_path(), "/data");
  EXPECT_EQ(cfg.log_path(), "c/3.log");
  EXPECT_EQ(cfg.labels().at(kContainerNameLabel), "c");
  EXPECT_EQ(cfg.annotations().at(kContainerRestartCountAnnotation), "3");
  EXPECT_EQ(cfg.annotations().at(kContainerHashAnnotation), ContainerHash(c));
  const auto& r = cfg.linux().resources();
  EXPECT_EQ(r.cpu_shares(), 256);
  EXPECT_EQ(r.cpu_quota(), 50000);
  EXPECT_EQ(r.cpu_period(), 100000);
  EXPECT_EQ(r.memory_limit_in_bytes(), 2LL << 30);
  EXPECT_EQ(r.oom_score_adj(), 1000 - 1000 / 8);  // Burstable: 1Gi of 8Gi
  const auto& sc = cfg.linux().security_context();
  EXPECT_EQ(sc.run_as_user().value(), 1000);  // the container's wins
  EXPECT_EQ(sc.run_as_group().value(), 6);    // the pod's
  EXPECT_TRUE(sc.readonly_rootfs());
  EXPECT_EQ(sc.capabilities().add_capabilities(0), "NET_ADMIN");

  // Guaranteed and BestEffort.
  c.resources->requests = c.resources->limits;
  EXPECT_EQ(MakeContainerResources(pod, c, Options()).oom_score_adj(), -997);
  c.resources.reset();
  auto be = MakeContainerResources(pod, c, Options());
  EXPECT_EQ(be.oom_score_adj(), 1000);
  EXPECT_EQ(be.cpu_shares(), 2);
  EXPECT_EQ(be.cpu_quota(), 0);
  // The hash follows the spec.
  api::Container other = c;
  other.image = "localhost/busybox:other";
  EXPECT_NE(ContainerHash(other), ContainerHash(c));
}

}  // namespace
}  // namespace kubepp::kubelet
