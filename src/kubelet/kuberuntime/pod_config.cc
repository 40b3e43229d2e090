#include "kubelet/kuberuntime/pod_config.h"

#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <utility>

#include "api/codec.h"
#include "api/defaults/defaults.h"
#include "api/protobuf.h"
#include "api/quantity.h"

namespace kubepp::kubelet {
namespace {

constexpr size_t kMaxHostnameLength = 63;
constexpr int64_t kMinShares = 2;
constexpr int64_t kSharesPerCpu = 1024;
constexpr int64_t kQuotaPeriod = 100000;  // µs
constexpr int64_t kMinQuotaPeriod = 1000;
constexpr int64_t kGuaranteedOomScoreAdj = -997;
constexpr int64_t kBestEffortOomScoreAdj = 1000;

bool Truthy(const std::optional<bool>& b) { return b.value_or(false); }

// A quantity from a resource map, parsed; zero when absent or unparsable.
api::ParsedQuantity Get(const std::map<std::string, api::Quantity>& m, const std::string& name) {
  auto it = m.find(name);
  if (it == m.end()) return {};
  auto q = api::ParseQuantity(it->second.text);
  return q.IsOk() ? *q : api::ParsedQuantity{};
}

const std::map<std::string, api::Quantity>& Requests(const api::Container& c) {
  static const std::map<std::string, api::Quantity> kEmpty;
  return c.resources.has_value() ? c.resources->requests : kEmpty;
}
const std::map<std::string, api::Quantity>& Limits(const api::Container& c) {
  static const std::map<std::string, api::Quantity> kEmpty;
  return c.resources.has_value() ? c.resources->limits : kEmpty;
}

void AppendUnique(std::vector<std::string>& out, const std::string& v) {
  if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
}

// A C identifier-ish env name from a Service name: upper case, '-' -> '_'.
std::string ServiceEnvName(const std::string& name) {
  std::string out;
  out.reserve(name.size());
  for (char c : name) {
    out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

// Upstream's IsEnvVarName: [-._a-zA-Z][-._a-zA-Z0-9]*.
bool IsEnvVarName(const std::string& name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    const bool ok =
        std::isalpha(c) != 0 || c == '_' || c == '-' || c == '.' || (i > 0 && std::isdigit(c) != 0);
    if (!ok) return false;
  }
  return true;
}

Result<std::string> FieldRefValue(const api::Pod& pod, const std::string& path,
                                  const PodConfigOptions& options) {
  const auto& m = pod.metadata;
  auto subscript =
      [&](std::string_view prefix,
          const std::map<std::string, std::string>& map) -> std::optional<std::string> {
    // metadata.labels['key']
    if (path.size() < prefix.size() + 4 || path.compare(0, prefix.size(), prefix) != 0) {
      return std::nullopt;
    }
    std::string_view rest = std::string_view(path).substr(prefix.size());
    if (rest.front() != '[' || rest.back() != ']') return std::nullopt;
    rest = rest.substr(1, rest.size() - 2);
    if (rest.size() >= 2 && (rest.front() == '\'' || rest.front() == '"') &&
        rest.back() == rest.front()) {
      rest = rest.substr(1, rest.size() - 2);
    }
    auto it = map.find(std::string(rest));
    return it == map.end() ? std::string() : it->second;
  };
  if (path == "metadata.name") return m.name;
  if (path == "metadata.namespace") return m.namespace_;
  if (path == "metadata.uid") return m.uid;
  if (auto v = subscript("metadata.labels", m.labels)) return *v;
  if (auto v = subscript("metadata.annotations", m.annotations)) return *v;
  if (path == "spec.nodeName") return pod.spec.nodeName;
  if (path == "spec.serviceAccountName") return pod.spec.serviceAccountName;
  if (path == "status.hostIP") {
    return options.host_ips.empty() ? std::string() : options.host_ips.front();
  }
  if (path == "status.hostIPs") {
    std::string out;
    for (const auto& ip : options.host_ips) out += (out.empty() ? "" : ",") + ip;
    return out;
  }
  if (path == "status.podIP") return pod.status.podIP;
  if (path == "status.podIPs") {
    std::string out;
    for (const auto& ip : pod.status.podIPs) out += (out.empty() ? "" : ",") + ip.ip;
    return out;
  }
  return Status::Invalid("unsupported fieldPath: " + path);
}

Result<std::string> ResourceFieldValue(const api::Pod& pod, const api::Container& self,
                                       const api::ResourceFieldSelector& sel,
                                       const PodConfigOptions& options) {
  const api::Container* c = &self;
  if (!sel.containerName.empty()) {
    c = nullptr;
    for (const auto& x : pod.spec.containers) {
      if (x.name == sel.containerName) c = &x;
    }
    if (c == nullptr) {
      return Status::Invalid("cannot find container: " + sel.containerName);
    }
  }
  api::ParsedQuantity divisor = api::ParsedQuantity::FromValue(1);
  if (sel.divisor.has_value() && !sel.divisor->text.empty()) {
    auto d = api::ParseQuantity(sel.divisor->text);
    if (!d.IsOk()) return d.status();
    if (!d->IsZero()) divisor = *d;
  }
  auto ceil_div = [](int64_t a, int64_t b) { return b == 0 ? 0 : (a + b - 1) / b; };
  const std::string& r = sel.resource;
  const bool is_limit = r.rfind("limits.", 0) == 0;
  const bool is_request = r.rfind("requests.", 0) == 0;
  if (!is_limit && !is_request) return Status::Invalid("unsupported container resource: " + r);
  const std::string name = r.substr(is_limit ? 7 : 9);
  const auto& map = is_limit ? Limits(*c) : Requests(*c);
  api::ParsedQuantity q = Get(map, name);
  if (name == "cpu") {
    int64_t milli = q.MilliValue();
    if (is_limit && map.find("cpu") == map.end()) milli = options.node_allocatable_milli_cpu;
    return std::to_string(ceil_div(milli, divisor.MilliValue()));
  }
  if (name == "memory" || name == "ephemeral-storage" || name.rfind("hugepages-", 0) == 0) {
    int64_t v = q.Value();
    if (is_limit && map.find(name) == map.end()) {
      v = name == "memory"
              ? options.node_allocatable_memory
              : (name == "ephemeral-storage" ? options.node_allocatable_ephemeral_storage : 0);
    }
    return std::to_string(ceil_div(v, divisor.Value()));
  }
  return Status::Invalid("unsupported container resource: " + r);
}

// Upstream's namespacesForPod: the node's namespaces for hostNetwork/hostPID/hostIPC, the
// pod's for network and IPC, the container's own PID namespace unless shareProcessNamespace.
void SetNamespaceOptions(const api::Pod& pod, cri::v1::NamespaceOption& ns) {
  ns.set_network(Truthy(pod.spec.hostNetwork) ? cri::v1::NODE : cri::v1::POD);
  ns.set_pid(Truthy(pod.spec.hostPID)
                 ? cri::v1::NODE
                 : (Truthy(pod.spec.shareProcessNamespace) ? cri::v1::POD : cri::v1::CONTAINER));
  ns.set_ipc(Truthy(pod.spec.hostIPC) ? cri::v1::NODE : cri::v1::POD);
}

// A configMapKeyRef / secretKeyRef: the object's value for the key; nullopt when optional and
// missing; NotFound with upstream's messages otherwise. `kind` is "configmap" / "secret" in
// the not-found message and "ConfigMap" / "Secret" in the missing-key one.
template <typename Object, typename Ref>
Result<std::optional<std::string>> KeyRefValue(const std::shared_ptr<const Object>& obj,
                                               const Ref& ref, const std::string& ns,
                                               const char* kind, const char* kind_title) {
  if (obj == nullptr) {
    if (Truthy(ref.optional)) return std::optional<std::string>();
    return Status::NotFound(std::string(kind) + " \"" + ref.name + "\" not found");
  }
  auto it = obj->data.find(ref.key);
  if (it == obj->data.end()) {
    if (Truthy(ref.optional)) return std::optional<std::string>();
    return Status::NotFound("couldn't find key " + ref.key + " in " + kind_title + " " + ns + "/" +
                            ref.name);
  }
  return std::optional<std::string>(it->second);
}

std::string Hex(const unsigned char* data, size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 0xF];
  }
  return out;
}

}  // namespace

std::string PodLogDirectory(const api::Pod& pod, const PodConfigOptions& options) {
  return options.pod_logs_root + "/" + pod.metadata.namespace_ + "_" + pod.metadata.name + "_" +
         pod.metadata.uid;
}

std::string PodHostname(const api::Pod& pod, const PodConfigOptions& options) {
  if (Truthy(pod.spec.hostNetwork)) return options.node_hostname;
  std::string h = pod.spec.hostname.empty() ? pod.metadata.name : pod.spec.hostname;
  if (h.size() > kMaxHostnameLength) h.resize(kMaxHostnameLength);
  while (!h.empty() && (h.back() == '-' || h.back() == '.')) h.pop_back();
  return h;
}

cri::v1::DNSConfig MakeDnsConfig(const api::Pod& pod, const PodConfigOptions& options) {
  std::string policy = pod.spec.dnsPolicy.empty() ? "ClusterFirst" : pod.spec.dnsPolicy;
  const bool host_network = Truthy(pod.spec.hostNetwork);
  if (policy == "ClusterFirst" && host_network) policy = "Default";
  if (policy == "ClusterFirstWithHostNet") policy = "ClusterFirst";
  if (policy == "ClusterFirst" && options.cluster_dns.empty()) policy = "Default";  // upstream

  std::vector<std::string> servers;
  std::vector<std::string> searches;
  std::vector<std::string> opts;
  if (policy == "ClusterFirst") {
    servers = options.cluster_dns;
    const std::string& d = options.cluster_domain;
    searches = {pod.metadata.namespace_ + ".svc." + d, "svc." + d, d};
    for (const auto& s : options.host_searches) AppendUnique(searches, s);
    opts = {"ndots:5"};
  } else if (policy == "Default") {
    servers = options.host_nameservers;
    searches = options.host_searches;
    opts = options.host_options;
  }
  // spec.dnsConfig merges in (None: it is everything).
  if (pod.spec.dnsConfig.has_value()) {
    const api::PodDNSConfig& c = *pod.spec.dnsConfig;
    for (const auto& s : c.nameservers) AppendUnique(servers, s);
    for (const auto& s : c.searches) AppendUnique(searches, s);
    for (const auto& o : c.options) {
      const std::string text = o.value.empty() ? o.name : o.name + ":" + o.value;
      std::erase_if(
          opts, [&](const std::string& x) { return x == o.name || x.rfind(o.name + ":", 0) == 0; });
      opts.push_back(text);
    }
  }
  cri::v1::DNSConfig out;
  for (const auto& s : servers) out.add_servers(s);
  for (const auto& s : searches) out.add_searches(s);
  for (const auto& o : opts) out.add_options(o);
  return out;
}

std::string PodCgroupParent(const api::Pod& pod, const PodConfigOptions& options) {
  std::string qos =
      pod.status.qosClass.empty() ? api::defaults::ComputeQosClass(pod.spec) : pod.status.qosClass;
  std::string out = options.cgroup_root;
  if (qos == "Burstable") out += "/burstable";
  if (qos == "BestEffort") out += "/besteffort";
  return out + "/pod" + pod.metadata.uid;
}

cri::v1::PodSandboxConfig MakeSandboxConfig(const api::Pod& pod, uint32_t attempt,
                                            const PodConfigOptions& options) {
  cri::v1::PodSandboxConfig c;
  auto* md = c.mutable_metadata();
  md->set_name(pod.metadata.name);
  md->set_uid(pod.metadata.uid);
  md->set_namespace_(pod.metadata.namespace_);
  md->set_attempt(attempt);
  c.set_hostname(PodHostname(pod, options));
  c.set_log_directory(PodLogDirectory(pod, options));
  *c.mutable_dns_config() = MakeDnsConfig(pod, options);
  for (const auto& container : pod.spec.containers) {
    for (const auto& p : container.ports) {
      if (p.hostPort.value_or(0) == 0) continue;
      auto* pm = c.add_port_mappings();
      const std::string proto = p.protocol.empty() ? "TCP" : p.protocol;
      pm->set_protocol(proto == "UDP" ? cri::v1::UDP
                                      : (proto == "SCTP" ? cri::v1::SCTP : cri::v1::TCP));
      pm->set_container_port(p.containerPort);
      pm->set_host_port(*p.hostPort);
      pm->set_host_ip(p.hostIP);
    }
  }
  auto& labels = *c.mutable_labels();
  for (const auto& [k, v] : pod.metadata.labels) labels[k] = v;
  labels[kPodNameLabel] = pod.metadata.name;
  labels[kPodNamespaceLabel] = pod.metadata.namespace_;
  labels[kPodUidLabel] = pod.metadata.uid;
  auto& annotations = *c.mutable_annotations();
  for (const auto& [k, v] : pod.metadata.annotations) annotations[k] = v;

  auto* linux = c.mutable_linux();
  linux->set_cgroup_parent(PodCgroupParent(pod, options));
  auto* sc = linux->mutable_security_context();
  SetNamespaceOptions(pod, *sc->mutable_namespace_options());
  if (pod.spec.securityContext.has_value()) {
    const api::PodSecurityContext& psc = *pod.spec.securityContext;
    if (psc.runAsUser.has_value()) sc->mutable_run_as_user()->set_value(*psc.runAsUser);
    if (psc.runAsGroup.has_value()) sc->mutable_run_as_group()->set_value(*psc.runAsGroup);
    for (int64_t g : psc.supplementalGroups) sc->add_supplemental_groups(g);
    if (psc.fsGroup.has_value()) sc->add_supplemental_groups(*psc.fsGroup);
    for (const auto& s : psc.sysctls) (*linux->mutable_sysctls())[s.name] = s.value;
  }
  return c;
}

std::string ExpandVars(std::string_view in, const std::map<std::string, std::string>& env) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '$' || i + 1 >= in.size()) {
      out += in[i];
      continue;
    }
    const char next = in[i + 1];
    if (next == '$') {  // $$ -> $
      out += '$';
      ++i;
      continue;
    }
    if (next == '(') {
      const size_t close = in.find(')', i + 2);
      if (close == std::string_view::npos) {  // unterminated: as written
        out += in.substr(i);
        break;
      }
      const std::string name(in.substr(i + 2, close - i - 2));
      auto it = env.find(name);
      if (it != env.end()) {
        out += it->second;
      } else {
        out += in.substr(i, close - i + 1);
      }
      i = close;
      continue;
    }
    out += '$';
  }
  return out;
}

std::vector<EnvVar> ServiceEnvVars(
    const std::vector<std::shared_ptr<const api::Service>>& services) {
  std::vector<EnvVar> out;
  for (const auto& s : services) {
    const std::string& ip = s->spec.clusterIP;
    if (ip.empty() || ip == "None" || s->spec.ports.empty()) continue;
    const std::string name = ServiceEnvName(s->metadata.name);
    const auto& first = s->spec.ports.front();
    out.push_back({name + "_SERVICE_HOST", ip});
    out.push_back({name + "_SERVICE_PORT", std::to_string(first.port)});
    for (const auto& p : s->spec.ports) {
      if (!p.name.empty()) {
        out.push_back({name + "_SERVICE_PORT_" + ServiceEnvName(p.name), std::to_string(p.port)});
      }
    }
    auto lower = [](std::string v) {
      for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return v;
    };
    const std::string first_proto = first.protocol.empty() ? "TCP" : first.protocol;
    out.push_back(
        {name + "_PORT", lower(first_proto) + "://" + ip + ":" + std::to_string(first.port)});
    for (const auto& p : s->spec.ports) {
      const std::string proto = p.protocol.empty() ? "TCP" : p.protocol;
      std::string prefix = name;
      prefix += "_PORT_";
      prefix += std::to_string(p.port);
      prefix += '_';
      prefix += proto;
      out.push_back({prefix, lower(proto) + "://" + ip + ":" + std::to_string(p.port)});
      out.push_back({prefix + "_PROTO", lower(proto)});
      out.push_back({prefix + "_PORT", std::to_string(p.port)});
      out.push_back({prefix + "_ADDR", ip});
    }
  }
  return out;
}

Result<std::vector<EnvVar>> MakeEnvironment(const api::Pod& pod, const api::Container& container,
                                            const EnvSources& sources,
                                            const PodConfigOptions& options) {
  const std::string& ns = pod.metadata.namespace_;
  std::vector<EnvVar> out;
  std::map<std::string, std::string> defined;  // for $(VAR) and de-duplication
  auto set = [&](const std::string& name, std::string value) {
    auto it = std::find_if(out.begin(), out.end(), [&](const EnvVar& e) { return e.name == name; });
    if (it != out.end()) {
      it->value = value;
    } else {
      out.push_back({name, value});
    }
    defined[name] = std::move(value);
  };

  // Service links go into the expansion map first (upstream: serviceEnv is visible to $(VAR)),
  // and into the result only when nothing else defines the name.
  std::vector<EnvVar> service_env;
  if (pod.spec.enableServiceLinks.value_or(true)) service_env = ServiceEnvVars(sources.services);
  std::map<std::string, std::string> expansion;
  for (const auto& e : service_env) expansion[e.name] = e.value;

  for (const auto& from : container.envFrom) {
    if (from.configMapRef.has_value()) {
      const auto& ref = *from.configMapRef;
      auto cm = sources.config_map ? sources.config_map(ns, ref.name) : nullptr;
      if (cm == nullptr) {
        if (Truthy(ref.optional)) continue;
        return Status::NotFound("configmap \"" + ref.name + "\" not found");
      }
      for (const auto& [k, v] : cm->data) {
        const std::string name = from.prefix + k;
        if (!IsEnvVarName(name)) continue;  // upstream: skipped, with an event
        set(name, v);
        expansion[name] = v;
      }
    } else if (from.secretRef.has_value()) {
      const auto& ref = *from.secretRef;
      auto sec = sources.secret ? sources.secret(ns, ref.name) : nullptr;
      if (sec == nullptr) {
        if (Truthy(ref.optional)) continue;
        return Status::NotFound("secret \"" + ref.name + "\" not found");
      }
      for (const auto& [k, v] : sec->data) {
        const std::string name = from.prefix + k;
        if (!IsEnvVarName(name)) continue;
        std::string value = api::protobuf_internal::Base64Decode(v).value_or(v);
        set(name, value);
        expansion[name] = std::move(value);
      }
    }
  }

  for (const auto& e : container.env) {
    std::string value;
    if (!e.valueFrom.has_value()) {
      value = ExpandVars(e.value, expansion);
    } else {
      const api::EnvVarSource& src = *e.valueFrom;
      if (src.fieldRef.has_value()) {
        auto v = FieldRefValue(pod, src.fieldRef->fieldPath, options);
        if (!v.IsOk()) return v.status();
        value = std::move(*v);
      } else if (src.resourceFieldRef.has_value()) {
        auto v = ResourceFieldValue(pod, container, *src.resourceFieldRef, options);
        if (!v.IsOk()) return v.status();
        value = std::move(*v);
      } else if (src.configMapKeyRef.has_value()) {
        const auto& ref = *src.configMapKeyRef;
        auto cm = sources.config_map ? sources.config_map(ns, ref.name) : nullptr;
        auto v = KeyRefValue(cm, ref, ns, "configmap", "ConfigMap");
        if (!v.IsOk()) return v.status();
        if (!v->has_value()) continue;
        value = std::move(**v);
      } else if (src.secretKeyRef.has_value()) {
        const auto& ref = *src.secretKeyRef;
        auto sec = sources.secret ? sources.secret(ns, ref.name) : nullptr;
        auto v = KeyRefValue(sec, ref, ns, "secret", "Secret");
        if (!v.IsOk()) return v.status();
        if (!v->has_value()) continue;
        value = api::protobuf_internal::Base64Decode(**v).value_or(**v);
      }
    }
    set(e.name, value);
    expansion[e.name] = std::move(value);
  }

  for (const auto& e : service_env) {
    if (!defined.contains(e.name)) {
      out.push_back(e);
      defined[e.name] = e.value;
    }
  }
  return out;
}

cri::v1::LinuxContainerResources MakeContainerResources(const api::Pod& pod,
                                                        const api::Container& container,
                                                        const PodConfigOptions& options) {
  cri::v1::LinuxContainerResources r;
  const auto& req = Requests(container);
  const auto& lim = Limits(container);
  int64_t cpu_request = Get(req, "cpu").MilliValue();
  const bool has_cpu_limit = lim.contains("cpu");
  int64_t cpu_limit = Get(lim, "cpu").MilliValue();
  if (!req.contains("cpu") && has_cpu_limit) cpu_request = cpu_limit;  // upstream defaulting
  // Upstream's MilliCPUToShares.
  int64_t shares = cpu_request == 0 ? kMinShares : cpu_request * kSharesPerCpu / 1000;
  r.set_cpu_shares(std::max(shares, kMinShares));
  if (has_cpu_limit) {
    int64_t quota = cpu_limit * kQuotaPeriod / 1000;
    r.set_cpu_quota(std::max(quota, kMinQuotaPeriod));
    r.set_cpu_period(kQuotaPeriod);
  }
  if (lim.contains("memory")) r.set_memory_limit_in_bytes(Get(lim, "memory").Value());

  const std::string qos =
      pod.status.qosClass.empty() ? api::defaults::ComputeQosClass(pod.spec) : pod.status.qosClass;
  int64_t adj = 0;
  if (qos == "Guaranteed") {
    adj = kGuaranteedOomScoreAdj;
  } else if (qos == "BestEffort") {
    adj = kBestEffortOomScoreAdj;
  } else {
    // Burstable: 1000 - 1000 * request / capacity, in [2, 999] (upstream).
    const int64_t mem_request = Get(req, "memory").Value();
    const int64_t capacity = options.node_memory_capacity;
    adj = capacity > 0 ? 1000 - (1000 * mem_request) / capacity : 999;
    adj = std::clamp<int64_t>(adj, 2, 999);
  }
  r.set_oom_score_adj(adj);
  return r;
}

std::string ContainerHash(const api::Container& container) {
  const std::string json = boost::json::serialize(api::ToJson(container));
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(json.data()), json.size(), digest);
  return Hex(digest, 4);
}

cri::v1::ContainerConfig MakeContainerConfig(const api::Pod& pod, const api::Container& container,
                                             uint32_t restart_count, const std::vector<EnvVar>& env,
                                             const std::vector<cri::v1::Mount>& mounts,
                                             const PodConfigOptions& options) {
  std::map<std::string, std::string> env_map;
  for (const auto& e : env) env_map[e.name] = e.value;

  cri::v1::ContainerConfig c;
  c.mutable_metadata()->set_name(container.name);
  c.mutable_metadata()->set_attempt(restart_count);
  c.mutable_image()->set_image(container.image);
  c.mutable_image()->set_user_specified_image(container.image);
  for (const auto& s : container.command) c.add_command(ExpandVars(s, env_map));
  for (const auto& s : container.args) c.add_args(ExpandVars(s, env_map));
  c.set_working_dir(container.workingDir);
  for (const auto& e : env) {
    auto* kv = c.add_envs();
    kv->set_key(e.name);
    kv->set_value(e.value);
  }
  for (const auto& m : mounts) *c.add_mounts() = m;
  auto& labels = *c.mutable_labels();
  labels[kPodNameLabel] = pod.metadata.name;
  labels[kPodNamespaceLabel] = pod.metadata.namespace_;
  labels[kPodUidLabel] = pod.metadata.uid;
  labels[kContainerNameLabel] = container.name;
  auto& annotations = *c.mutable_annotations();
  annotations[kContainerHashAnnotation] = ContainerHash(container);
  annotations[kContainerRestartCountAnnotation] = std::to_string(restart_count);
  annotations[kTerminationMessagePathAnnotation] = container.terminationMessagePath;
  annotations[kTerminationMessagePolicyAnnotation] = container.terminationMessagePolicy;
  annotations[kPodTerminationGracePeriodAnnotation] =
      std::to_string(pod.spec.terminationGracePeriodSeconds.value_or(30));
  c.set_log_path(container.name + "/" + std::to_string(restart_count) + ".log");
  c.set_stdin(Truthy(container.stdin));
  c.set_stdin_once(Truthy(container.stdinOnce));
  c.set_tty(Truthy(container.tty));

  auto* linux = c.mutable_linux();
  *linux->mutable_resources() = MakeContainerResources(pod, container, options);
  auto* sc = linux->mutable_security_context();
  SetNamespaceOptions(pod, *sc->mutable_namespace_options());
  std::optional<int64_t> run_as_user;
  std::optional<int64_t> run_as_group;
  if (pod.spec.securityContext.has_value()) {
    run_as_user = pod.spec.securityContext->runAsUser;
    run_as_group = pod.spec.securityContext->runAsGroup;
    for (int64_t g : pod.spec.securityContext->supplementalGroups) sc->add_supplemental_groups(g);
    if (pod.spec.securityContext->fsGroup.has_value()) {
      sc->add_supplemental_groups(*pod.spec.securityContext->fsGroup);
    }
  }
  if (container.securityContext.has_value()) {
    const api::SecurityContext& csc = *container.securityContext;
    if (csc.runAsUser.has_value()) run_as_user = csc.runAsUser;
    if (csc.runAsGroup.has_value()) run_as_group = csc.runAsGroup;
    sc->set_privileged(Truthy(csc.privileged));
    sc->set_readonly_rootfs(Truthy(csc.readOnlyRootFilesystem));
    if (csc.capabilities.has_value()) {
      for (const auto& cap : csc.capabilities->add) {
        sc->mutable_capabilities()->add_add_capabilities(cap);
      }
      for (const auto& cap : csc.capabilities->drop) {
        sc->mutable_capabilities()->add_drop_capabilities(cap);
      }
    }
    // allowPrivilegeEscalation false -> no_new_privs (upstream).
    if (csc.allowPrivilegeEscalation.has_value()) {
      sc->set_no_new_privs(!*csc.allowPrivilegeEscalation);
    }
  }
  if (run_as_user.has_value()) sc->mutable_run_as_user()->set_value(*run_as_user);
  if (run_as_group.has_value()) sc->mutable_run_as_group()->set_value(*run_as_group);
  return c;
}

}  // namespace kubepp::kubelet
