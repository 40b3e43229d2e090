// ApiServer: the API server component — store, watch hub, registry, handler and HTTP server —
// with Start()/Stop(). Creates the built-in objects on first start (namespaces default,
// kube-system, kube-public, kube-node-lease).
#pragma once

#include <memory>

#include "apiserver/api_handler.h"
#include "apiserver/http/http_server.h"
#include "apiserver/metrics.h"
#include "apiserver/priority_admission.h"
#include "apiserver/registry/resource.h"
#include "apiserver/service_alloc.h"
#include "apiserver/watch_hub.h"
#include "storage/backend.h"

namespace kubepp::apiserver {

struct ApiServerOptions {
  HttpServerOptions http;                                  // address, port, limits
  int blocking_threads = 32;                               // store calls in flight
  std::string service_cluster_ip_range = "198.19.0.0/16";  // ClusterIPs come from here
  std::string service_node_port_range = "30000-32767";     // NodePorts come from here
  // The address other components reach this server at (the `kubernetes` Service's endpoint).
  // Empty: the bind address when it is a specific non-loopback address, else the first
  // non-loopback IPv4 address of the host (as upstream picks one).
  std::string advertise_address;
};

class ApiServer {
 public:
  ApiServer(async::Runtime& runtime, storage::Backend& store, ApiServerOptions options,
            const Clock& clock = Clock::Real());
  ~ApiServer();

  Status Start();
  void Stop();
  int Port() const { return http_ ? http_->Port() : 0; }

 private:
  Status Bootstrap();
  // Creates `body` (a resource of `info`) when absent; with `reconcile`, also rewrites an
  // existing object whose spec-like content (every field but metadata) differs.
  Status Ensure(const ResourceInfo& info, const boost::json::value& body, bool reconcile);
  Status BootstrapKubernetesService();

  async::Runtime& runtime_;                          // io threads
  Metrics metrics_;                                  // /metrics
  InstrumentedBackend store_;                        // the store, timed into metrics_
  ApiServerOptions options_;                         // configuration
  const Clock& clock_;                               // timestamps
  std::unique_ptr<Registry> registry_;               // the kinds served
  async::BlockingPool pool_;                         // store calls
  WatchHub hub_;                                     // watch fan-out
  std::unique_ptr<ServiceAllocator> service_alloc_;  // ClusterIPs and NodePorts
  // Pods' priority from their PriorityClass (the Priority admission plugin).
  std::unique_ptr<PodPriorityAdmission> pod_priority_;
  // At most one globalDefault PriorityClass (the same plugin).
  std::unique_ptr<PriorityClassAdmission> priority_classes_;
  std::unique_ptr<ApiHandler> handler_;  // the REST API
  std::unique_ptr<HttpServer> http_;     // the listener
};

}  // namespace kubepp::apiserver
