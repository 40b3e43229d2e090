// `kubepp kubelet`: the node agent (upstream's kubelet), with upstream's flag names: runs the
// node's container runtime (its own containerd under --root-dir with kubepp's built-in images,
// or an existing one with --container-runtime-endpoint), keeps the Node registered, its status
// current and its Lease renewed, and runs the pods bound to the node (issue #7).
#include "kubelet/kubelet/kubelet.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "base/log.h"
#include "client/rest_client.h"
#include "cmd/kubepp/client_flags.h"
#include "cmd/kubepp/roles.h"

namespace kubepp::cmd {
namespace {

// "k=v,k2=v2" -> map; false on a pair without '='.
bool ParseLabels(const std::string& text, std::map<std::string, std::string>& out) {
  std::string item;
  std::stringstream ss(text);
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) return false;
    out[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return true;
}

// "key=value:Effect,key2:Effect" -> taints (upstream's --register-with-taints syntax).
bool ParseTaints(const std::string& text, std::vector<api::Taint>& out) {
  std::string item;
  std::stringstream ss(text);
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    auto colon = item.rfind(':');
    if (colon == std::string::npos) return false;
    api::Taint t;
    t.effect = item.substr(colon + 1);
    if (t.effect != "NoSchedule" && t.effect != "PreferNoSchedule" && t.effect != "NoExecute") {
      return false;
    }
    std::string kv = item.substr(0, colon);
    auto eq = kv.find('=');
    t.key = kv.substr(0, eq);
    if (eq != std::string::npos) t.value = kv.substr(eq + 1);
    if (t.key.empty()) return false;
    out.push_back(std::move(t));
  }
  return true;
}

// nameserver/search/options lines of a resolv.conf into the pods' host resolver settings.
void ReadResolvConf(const std::string& path, kubelet::PodConfigOptions& pods) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string key;
    ss >> key;
    std::string v;
    if (key == "nameserver") {
      if (ss >> v) pods.host_nameservers.push_back(v);
    } else if (key == "search" || key == "domain") {
      while (ss >> v) pods.host_searches.push_back(v);
    } else if (key == "options") {
      while (ss >> v) pods.host_options.push_back(v);
    }
  }
}

std::string HostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof(buf) - 1) != 0) return "localhost";
  std::string h = buf;
  for (char& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return h;
}

}  // namespace

int KubeletMain(int argc, char** argv) {
  CLI::App app{"kubepp kubelet: the node agent (kubelet)", "kubepp kubelet"};
  kubelet::KubeletOptions options;
  auto& node = options.node;
  std::string kubeconfig;
  std::string master;
  std::string hostname_override;
  std::string node_labels;
  std::string taints;
  int verbosity = 0;
  options.root_dir = "/var/lib/kubepp/kubelet";
  app.add_option("--kubeconfig", kubeconfig,
                 "Path to a kubeconfig file with the API server's address and credentials");
  app.add_option("--master", master,
                 "The address of the Kubernetes API server (overrides any value in kubeconfig)");
  app.add_option("--hostname-override", hostname_override,
                 "If non-empty, use this string as the node's name instead of the hostname");
  app.add_option("--node-ip", node.node_ip, "The node's InternalIP address");
  app.add_option("--root-dir", options.root_dir,
                 "Directory for the kubelet's files and its own containerd's")
      ->capture_default_str();
  app.add_option("--container-runtime-endpoint", options.runtime_endpoint,
                 "An existing CRI runtime's socket (unix://...); empty runs kubepp's own "
                 "containerd under --root-dir");
  app.add_option("--pod-cidr", node.pod_cidr,
                 "The node's pod range (spec.podCIDR; also the CNI bridge's range)");
  app.add_option("--max-pods", node.max_pods, "Number of pods that can run on this node")
      ->capture_default_str();
  app.add_option("--node-labels", node_labels, "Labels to add when registering the node (k=v,...)");
  app.add_option("--register-with-taints", taints,
                 "Taints to register the node with (key=value:Effect,...)");
  app.add_option("--port", node.kubelet_port, "The kubelet's port (status.daemonEndpoints)")
      ->capture_default_str();
  app.add_option("--sandbox-image", options.containerd.sandbox_image,
                 "The pause image of pod sandboxes (kubepp's own containerd)")
      ->capture_default_str();
  bool isolate_pod_network = false;
  app.add_flag("--isolate-pod-network", isolate_pod_network,
               "Run the node's containerd, and so the pods' CNI bridge, veths and iptables rules, "
               "in a network namespace of its own (tests; pods are then unreachable from the "
               "host)");
  std::vector<std::string> cluster_dns;
  std::string cluster_domain = "cluster.local";
  std::string cgroup_root = "/kubepods";
  std::string resolv_conf = "/etc/resolv.conf";
  app.add_option("--cluster-dns", cluster_dns, "DNS server IPs for pods (comma separated)")
      ->delimiter(',');
  app.add_option("--cluster-domain", cluster_domain, "The cluster's DNS domain")
      ->capture_default_str();
  app.add_option("--cgroup-root", cgroup_root, "Root cgroup of the pods' cgroups")
      ->capture_default_str();
  app.add_option("--resolv-conf", resolv_conf,
                 "Resolver configuration for pods with dnsPolicy Default")
      ->capture_default_str();
  app.add_option("--pause-binary", options.pause_binary,
                 "kubepp-pause for the built-in localhost/pause:kubepp image (default: next to "
                 "kubepp)");
  app.add_option("-v,--v", verbosity, "Log verbosity");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (!ParseLabels(node_labels, node.node_labels)) {
    std::fprintf(stderr, "kubepp kubelet: invalid --node-labels \"%s\"\n", node_labels.c_str());
    return 2;
  }
  if (!ParseTaints(taints, node.register_with_taints)) {
    std::fprintf(stderr, "kubepp kubelet: invalid --register-with-taints \"%s\"\n", taints.c_str());
    return 2;
  }
  node.hostname = hostname_override.empty() ? HostName() : hostname_override;
  node.node_name = node.hostname;
  // Our own containerd keeps shim sockets and sandbox mounts off the host's /run.
  options.containerd.private_mounts = true;
  options.containerd.new_network_namespace = isolate_pod_network;
  if (options.pause_binary.empty()) {
    std::error_code ec;
    auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) options.pause_binary = (self.parent_path() / "kubepp-pause").string();
  }
  for (const auto& d : cluster_dns) options.pods.cluster_dns.push_back(d);
  options.pods.cluster_domain = cluster_domain;
  options.pods.cgroup_root = cgroup_root;
  ReadResolvConf(resolv_conf, options.pods);
  InitLogging({.verbosity = verbosity});

  auto client_config = ClientConfigFromFlags(kubeconfig, master, "kubepp-kubelet");
  if (!client_config.IsOk()) {
    KLOG_ERROR("{}", client_config.status().Message());
    return 1;
  }
  async::Runtime runtime(2);
  runtime.Start();
  auto rest = client::RestClient::Create(runtime.Executor(), *client_config);
  if (!rest.IsOk()) {
    KLOG_ERROR("cannot make a client: {}", rest.status().ToString());
    return 1;
  }
  auto k = kubelet::Kubelet::Start(runtime, **rest, options);
  if (!k.IsOk()) {
    KLOG_ERROR("cannot start the kubelet: {}", k.status().ToString());
    return 1;
  }
  int signo = runtime.WaitForSignal();
  if (signo > 0) KLOG_INFO("signal {}: shutting down", signo);
  (*k)->Stop();
  runtime.Stop();
  return 0;
}

}  // namespace kubepp::cmd
