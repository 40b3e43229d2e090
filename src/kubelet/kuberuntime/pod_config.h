// From a Pod to what CRI runs (upstream's pkg/kubelet/kuberuntime sandbox/container config,
// kubelet_pods.go environment, pkg/kubelet/network/dns, v1.32): the PodSandboxConfig (metadata,
// hostname, log directory, DNS, host ports, labels, cgroup parent, namespaces), each
// container's ContainerConfig (image, command/args with $(VAR) expansion, env, working dir,
// labels/annotations, log path, Linux resources and security context), and the environment
// (env, envFrom, valueFrom fieldRef/resourceFieldRef/configMapKeyRef/secretKeyRef, service
// links).
//
//   PodConfigOptions opts{.pod_logs_root = root + "/pods", .cluster_dns = {"198.19.0.10"}};
//   auto sandbox = MakeSandboxConfig(pod, /*attempt=*/0, opts);
//   auto env = MakeEnvironment(pod, container, sources, opts);       // Result: bad refs fail
//   auto config = MakeContainerConfig(pod, container, restart_count, *env, mounts, opts);
//
// Pure functions of their arguments (ConfigMaps/Secrets/Services come through EnvSources);
// thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api.pb.h"  // proto/cri: runtime.v1
#include "api/types.h"
#include "base/status.h"

namespace kubepp::kubelet {

// The generated CRI messages, as kubelet/cri/cri_client.h names them (cri::v1::...).
namespace cri {
namespace v1 = ::runtime::v1;
}  // namespace cri

// Labels CRI objects carry (upstream's kubelet types).
inline constexpr char kPodNameLabel[] = "io.kubernetes.pod.name";
inline constexpr char kPodNamespaceLabel[] = "io.kubernetes.pod.namespace";
inline constexpr char kPodUidLabel[] = "io.kubernetes.pod.uid";
inline constexpr char kContainerNameLabel[] = "io.kubernetes.container.name";
inline constexpr char kContainerHashAnnotation[] = "io.kubernetes.container.hash";
inline constexpr char kContainerRestartCountAnnotation[] = "io.kubernetes.container.restartCount";
inline constexpr char kTerminationMessagePathAnnotation[] =
    "io.kubernetes.container.terminationMessagePath";
inline constexpr char kTerminationMessagePolicyAnnotation[] =
    "io.kubernetes.container.terminationMessagePolicy";
inline constexpr char kPodTerminationGracePeriodAnnotation[] =
    "io.kubernetes.pod.terminationGracePeriod";

struct PodConfigOptions {
  std::string pod_logs_root;                     // <root>/pods: the pods' log directories
  std::string cgroup_root = "/kubepods";         // pod cgroups go under <root>/<qos>/pod<uid>
  std::string cluster_domain = "cluster.local";  // --cluster-domain
  std::vector<std::string> cluster_dns;          // --cluster-dns
  // The host's resolver (dnsPolicy Default, and ClusterFirst without cluster DNS).
  std::vector<std::string> host_nameservers;
  std::vector<std::string> host_searches;
  std::vector<std::string> host_options;
  std::string node_hostname;               // hostNetwork pods' hostname
  std::vector<std::string> host_ips;       // status.hostIP(s) for fieldRef
  int64_t node_allocatable_milli_cpu = 0;  // resourceFieldRef limits without a limit
  int64_t node_allocatable_memory = 0;
  int64_t node_allocatable_ephemeral_storage = 0;
  int64_t node_memory_capacity = 0;  // Burstable oom_score_adj
};

// Where env valueFrom/envFrom read from: nullptr = not found (errors per upstream).
struct EnvSources {
  std::function<std::shared_ptr<const api::ConfigMap>(const std::string& ns,
                                                      const std::string& name)>
      config_map;
  std::function<std::shared_ptr<const api::Secret>(const std::string& ns, const std::string& name)>
      secret;
  // The Services whose env vars the pod gets with enableServiceLinks (its namespace's and
  // default/kubernetes); ignored when empty.
  std::vector<std::shared_ptr<const api::Service>> services;
};

struct EnvVar {
  std::string name;
  std::string value;
  bool operator==(const EnvVar&) const = default;
};

// "<ns>_<name>_<uid>" under pod_logs_root.
std::string PodLogDirectory(const api::Pod& pod, const PodConfigOptions& options);
// Upstream's pod hostname: spec.hostname or the name, at most 63 characters, no trailing '-'/'.';
// the node's for hostNetwork pods.
std::string PodHostname(const api::Pod& pod, const PodConfigOptions& options);
// The pod's DNS per dnsPolicy (ClusterFirst, ClusterFirstWithHostNet, Default, None) plus
// spec.dnsConfig. InvalidArgument for dnsPolicy None without dnsConfig nameservers is left to
// validation; here None gives exactly dnsConfig.
cri::v1::DNSConfig MakeDnsConfig(const api::Pod& pod, const PodConfigOptions& options);
// "/kubepods/burstable/pod<uid>", "/kubepods/besteffort/pod<uid>", "/kubepods/pod<uid>".
std::string PodCgroupParent(const api::Pod& pod, const PodConfigOptions& options);
cri::v1::PodSandboxConfig MakeSandboxConfig(const api::Pod& pod, uint32_t attempt,
                                            const PodConfigOptions& options);

// $(VAR) references replaced from `env` (undefined ones stay as written); $$ is a literal $.
std::string ExpandVars(std::string_view in, const std::map<std::string, std::string>& env);
// The container's environment in upstream's order: envFrom then env (later definitions win,
// in first-definition order), $(VAR) expanded against what came before, then service links not
// already defined. Errors as upstream: `configmap "x" not found`, `couldn't find key k in
// ConfigMap ns/x`, `secret "x" not found`, `couldn't find key k in Secret ns/x`, unsupported
// fieldRef / resource.
Result<std::vector<EnvVar>> MakeEnvironment(const api::Pod& pod, const api::Container& container,
                                            const EnvSources& sources,
                                            const PodConfigOptions& options);
// Service links for `services` (upstream's FOO_SERVICE_HOST, FOO_SERVICE_PORT[_NAME],
// FOO_PORT, FOO_PORT_80_TCP[_PROTO|_PORT|_ADDR]); headless services and those without a
// cluster IP give none.
std::vector<EnvVar> ServiceEnvVars(
    const std::vector<std::shared_ptr<const api::Service>>& services);

// cpu shares/quota/period, memory limit, oom_score_adj by QoS class (upstream's
// GetContainerOOMScoreAdjust).
cri::v1::LinuxContainerResources MakeContainerResources(const api::Pod& pod,
                                                        const api::Container& container,
                                                        const PodConfigOptions& options);
// A stable hash of the container spec (annotation io.kubernetes.container.hash), hex.
std::string ContainerHash(const api::Container& container);
cri::v1::ContainerConfig MakeContainerConfig(const api::Pod& pod, const api::Container& container,
                                             uint32_t restart_count, const std::vector<EnvVar>& env,
                                             const std::vector<cri::v1::Mount>& mounts,
                                             const PodConfigOptions& options);

}  // namespace kubepp::kubelet
