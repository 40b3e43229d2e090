// ApiServer: the API server component — store, watch hub, registry, handler and HTTP server —
// with Start()/Stop(). Creates the built-in objects on first start (namespaces default,
// kube-system, kube-public, kube-node-lease).
#pragma once

#include <memory>

#include "apiserver/api_handler.h"
#include "apiserver/http/http_server.h"
#include "apiserver/registry/resource.h"
#include "apiserver/watch_hub.h"
#include "storage/backend.h"

namespace kubepp::apiserver {

struct ApiServerOptions {
  HttpServerOptions http;     // address, port, limits
  int blocking_threads = 32;  // store calls in flight
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

  async::Runtime& runtime_;              // io threads
  storage::Backend& store_;              // the store
  ApiServerOptions options_;             // configuration
  const Clock& clock_;                   // timestamps
  std::unique_ptr<Registry> registry_;   // the kinds served
  async::BlockingPool pool_;             // store calls
  WatchHub hub_;                         // watch fan-out
  std::unique_ptr<ApiHandler> handler_;  // the REST API
  std::unique_ptr<HttpServer> http_;     // the listener
};

}  // namespace kubepp::apiserver
