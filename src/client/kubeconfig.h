// Kubeconfig files (clientcmd's v1 Config) and the connection settings derived from them.
//
// Loading follows upstream's default loading rules: an explicit path wins; otherwise every
// file in $KUBECONFIG (':'-separated) is merged, the first file to define a cluster, user,
// context or current-context winning; otherwise ~/.kube/config. Relative file references
// (certificate-authority, client-certificate, client-key, tokenFile) are resolved against the
// directory of the file that holds them. `*-data` fields are base64 and are kept decoded.
//
// Thread-safe: pure functions (plus file and environment reads).
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include "base/status.h"

namespace kubepp::client {

// clusters[].cluster
struct KubeconfigCluster {
  std::string server;                      // "https://127.0.0.1:6443"
  std::string certificate_authority;       // CA bundle path
  std::string certificate_authority_data;  // CA bundle PEM (decoded)
  bool insecure_skip_tls_verify = false;   // insecure-skip-tls-verify
  std::string tls_server_name;             // tls-server-name
  std::string proxy_url;                   // proxy-url (kept, not used yet)
};

// users[].user
struct KubeconfigUser {
  std::string token;                    // bearer token
  std::string token_file;               // tokenFile: read at connection time
  std::string client_certificate;       // client cert path
  std::string client_certificate_data;  // client cert PEM (decoded)
  std::string client_key;               // client key path
  std::string client_key_data;          // client key PEM (decoded)
  std::string username;                 // basic auth
  std::string password;                 // basic auth
};

// contexts[].context
struct KubeconfigContext {
  std::string cluster;     // name of a cluster entry
  std::string user;        // name of a user entry (authInfo)
  std::string namespace_;  // default namespace for this context
};

// A whole (possibly merged) kubeconfig.
struct Kubeconfig {
  std::map<std::string, KubeconfigCluster> clusters;  // by name
  std::map<std::string, KubeconfigUser> users;        // by name
  std::map<std::string, KubeconfigContext> contexts;  // by name
  std::string current_context;                        // current-context
};

// Everything a RestClient needs to reach one API server as one user.
struct RestConfig {
  std::string server = "http://127.0.0.1:6443";  // base URL: scheme://host[:port][/prefix]
  std::string bearer_token;                      // "Authorization: Bearer ..."
  std::string bearer_token_file;                 // re-read when set (service account tokens)
  std::string username;                          // basic auth
  std::string password;                          // basic auth
  // TLS material, for https servers (paths or PEM data).
  std::string ca_file;
  std::string ca_data;
  std::string cert_file;
  std::string cert_data;
  std::string key_file;
  std::string key_data;
  bool insecure = false;                     // skip server certificate verification
  std::string tls_server_name;               // SNI / verification name override
  std::string namespace_ = "default";        // the context's namespace ("default" when unset)
  std::string user_agent = "kubepp";         // User-Agent header
  std::chrono::milliseconds timeout{30000};  // per request (not watches); 0 = none
  int max_idle_connections = 16;             // keep-alive connections kept per client
};

// Parses kubeconfig YAML. `base_dir` resolves relative file paths ("" keeps them).
// BadRequest for malformed YAML or base64.
Result<Kubeconfig> ParseKubeconfig(std::string_view yaml, std::string_view base_dir = "");
// Reads and parses one file. NotFound when absent.
Result<Kubeconfig> LoadKubeconfigFile(const std::string& path);
// Upstream's default loading rules (see the top). `explicit_path` may be "".
Result<Kubeconfig> LoadDefaultKubeconfig(const std::string& explicit_path = "");

// The RestConfig of `context` ("" = current-context). NotFound when the context, its cluster
// or its user is missing; Invalid when the cluster has no server.
Result<RestConfig> ConfigFromKubeconfig(const Kubeconfig& config, std::string_view context = "");

// In a pod: KUBERNETES_SERVICE_HOST/PORT and the service account's token, CA and namespace under
// /var/run/secrets/kubernetes.io/serviceaccount. NotFound outside a cluster.
Result<RestConfig> InClusterConfig();

// Base64 (standard alphabet, padding optional). BadRequest on bad input.
Result<std::string> DecodeBase64(std::string_view in);

}  // namespace kubepp::client
