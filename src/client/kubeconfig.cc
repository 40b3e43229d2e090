#include "client/kubeconfig.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace kubepp::client {
namespace {

namespace fs = std::filesystem;

std::string Str(const YAML::Node& node, const char* key) {
  const YAML::Node v = node[key];
  if (!v || !v.IsScalar()) return "";
  return v.as<std::string>();
}

bool Bool(const YAML::Node& node, const char* key) {
  const YAML::Node v = node[key];
  if (!v || !v.IsScalar()) return false;
  return v.as<std::string>() == "true";
}

std::string Resolve(const std::string& path, std::string_view base_dir) {
  if (path.empty() || base_dir.empty() || fs::path(path).is_absolute()) return path;
  return (fs::path(base_dir) / path).string();
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<std::string> DecodeField(const YAML::Node& node, const char* key) {
  std::string text = Str(node, key);
  if (text.empty()) return std::string();
  auto decoded = DecodeBase64(text);
  if (!decoded.IsOk()) return Status::BadRequest(std::string(key) + ": illegal base64 data");
  return decoded;
}

// Merges `from` into `into`: entries already present win (upstream's merge rule).
void Merge(Kubeconfig& into, Kubeconfig from) {
  into.clusters.merge(from.clusters);
  into.users.merge(from.users);
  into.contexts.merge(from.contexts);
  if (into.current_context.empty()) into.current_context = std::move(from.current_context);
}

std::string TrimSpace(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t start = 0;
  while (start < s.size() && std::isspace(static_cast<unsigned char>(s[start]))) ++start;
  return s.substr(start);
}

}  // namespace

Result<std::string> DecodeBase64(std::string_view in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  out.reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  bool padding = false;
  for (char c : in) {
    if (c == '\n' || c == '\r' || c == ' ') continue;
    if (c == '=') {
      padding = true;
      continue;
    }
    int v = value(c);
    if (v < 0 || padding) return Status::BadRequest("illegal base64 data");
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  if (bits >= 6) return Status::BadRequest("illegal base64 data");
  return out;
}

Result<Kubeconfig> ParseKubeconfig(std::string_view yaml, std::string_view base_dir) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return Status::BadRequest(std::string("invalid kubeconfig: ") + e.what());
  }
  Kubeconfig out;
  if (root.IsNull()) return out;
  if (!root.IsMap()) return Status::BadRequest("invalid kubeconfig: not a mapping");
  try {
    out.current_context = Str(root, "current-context");
    for (const auto& entry : root["clusters"]) {
      const YAML::Node c = entry["cluster"];
      KubeconfigCluster cluster;
      cluster.server = Str(c, "server");
      cluster.certificate_authority = Resolve(Str(c, "certificate-authority"), base_dir);
      KUBEPP_ASSIGN_OR_RETURN(cluster.certificate_authority_data,
                              DecodeField(c, "certificate-authority-data"));
      cluster.insecure_skip_tls_verify = Bool(c, "insecure-skip-tls-verify");
      cluster.tls_server_name = Str(c, "tls-server-name");
      cluster.proxy_url = Str(c, "proxy-url");
      out.clusters.emplace(Str(entry, "name"), std::move(cluster));
    }
    for (const auto& entry : root["users"]) {
      const YAML::Node u = entry["user"];
      KubeconfigUser user;
      user.token = Str(u, "token");
      user.token_file = Resolve(Str(u, "tokenFile"), base_dir);
      user.client_certificate = Resolve(Str(u, "client-certificate"), base_dir);
      KUBEPP_ASSIGN_OR_RETURN(user.client_certificate_data,
                              DecodeField(u, "client-certificate-data"));
      user.client_key = Resolve(Str(u, "client-key"), base_dir);
      KUBEPP_ASSIGN_OR_RETURN(user.client_key_data, DecodeField(u, "client-key-data"));
      user.username = Str(u, "username");
      user.password = Str(u, "password");
      out.users.emplace(Str(entry, "name"), std::move(user));
    }
    for (const auto& entry : root["contexts"]) {
      const YAML::Node c = entry["context"];
      out.contexts.emplace(Str(entry, "name"), KubeconfigContext{Str(c, "cluster"), Str(c, "user"),
                                                                 Str(c, "namespace")});
    }
  } catch (const YAML::Exception& e) {
    return Status::BadRequest(std::string("invalid kubeconfig: ") + e.what());
  }
  return out;
}

Result<Kubeconfig> LoadKubeconfigFile(const std::string& path) {
  KUBEPP_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  auto parsed = ParseKubeconfig(text, fs::path(path).parent_path().string());
  if (!parsed.IsOk()) return parsed.status().WithPrefix(path);
  return parsed;
}

Result<Kubeconfig> LoadDefaultKubeconfig(const std::string& explicit_path) {
  if (!explicit_path.empty()) return LoadKubeconfigFile(explicit_path);
  if (const char* env = std::getenv("KUBECONFIG"); env != nullptr && *env != '\0') {
    Kubeconfig merged;
    bool any = false;
    std::string_view list(env);
    while (!list.empty()) {
      size_t colon = list.find(':');
      std::string path(list.substr(0, colon));
      list = colon == std::string_view::npos ? std::string_view() : list.substr(colon + 1);
      if (path.empty()) continue;
      auto one = LoadKubeconfigFile(path);
      if (!one.IsOk()) {
        if (one.status().IsNotFound()) continue;  // upstream skips missing files
        return one.status();
      }
      Merge(merged, std::move(*one));
      any = true;
    }
    if (!any) return Status::NotFound("no kubeconfig file in KUBECONFIG=" + std::string(env));
    return merged;
  }
  const char* home = std::getenv("HOME");
  if (home == nullptr) return Status::NotFound("no kubeconfig: HOME is not set");
  return LoadKubeconfigFile(std::string(home) + "/.kube/config");
}

Result<RestConfig> ConfigFromKubeconfig(const Kubeconfig& config, std::string_view context) {
  std::string name(context.empty() ? std::string_view(config.current_context) : context);
  if (name.empty()) return Status::NotFound("no context: current-context is not set");
  auto ctx = config.contexts.find(name);
  if (ctx == config.contexts.end()) {
    return Status::NotFound("context was not found for specified context: " + name);
  }
  auto cluster = config.clusters.find(ctx->second.cluster);
  if (cluster == config.clusters.end()) {
    return Status::NotFound("cluster \"" + ctx->second.cluster + "\" of context \"" + name +
                            "\" was not found");
  }
  RestConfig out;
  const KubeconfigCluster& c = cluster->second;
  if (c.server.empty()) {
    return Status::Invalid("no server found for cluster \"" + ctx->second.cluster + "\"");
  }
  out.server = c.server;
  out.ca_file = c.certificate_authority;
  out.ca_data = c.certificate_authority_data;
  out.insecure = c.insecure_skip_tls_verify;
  out.tls_server_name = c.tls_server_name;
  if (!ctx->second.user.empty()) {
    auto user = config.users.find(ctx->second.user);
    if (user == config.users.end()) {
      return Status::NotFound("user \"" + ctx->second.user + "\" of context \"" + name +
                              "\" was not found");
    }
    const KubeconfigUser& u = user->second;
    out.bearer_token = u.token;
    out.bearer_token_file = u.token_file;
    out.cert_file = u.client_certificate;
    out.cert_data = u.client_certificate_data;
    out.key_file = u.client_key;
    out.key_data = u.client_key_data;
    out.username = u.username;
    out.password = u.password;
  }
  if (!ctx->second.namespace_.empty()) out.namespace_ = ctx->second.namespace_;
  return out;
}

Result<RestConfig> InClusterConfig() {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || port == nullptr || *host == '\0' || *port == '\0') {
    return Status::NotFound(
        "unable to load in-cluster configuration, KUBERNETES_SERVICE_HOST and "
        "KUBERNETES_SERVICE_PORT must be defined");
  }
  const std::string dir = "/var/run/secrets/kubernetes.io/serviceaccount/";
  KUBEPP_ASSIGN_OR_RETURN(std::string token, ReadFile(dir + "token"));
  RestConfig out;
  std::string h(host);
  if (h.find(':') != std::string::npos) h = "[" + h + "]";  // IPv6
  out.server = "https://" + h + ":" + port;
  out.bearer_token = TrimSpace(std::move(token));
  out.bearer_token_file = dir + "token";
  out.ca_file = dir + "ca.crt";
  if (auto ns = ReadFile(dir + "namespace"); ns.IsOk() && !TrimSpace(*ns).empty()) {
    out.namespace_ = TrimSpace(*ns);
  }
  return out;
}

}  // namespace kubepp::client
