#include "apiserver/server.h"

#include <boost/json.hpp>

#include "apiserver/registry/meta.h"
#include "base/log.h"

namespace kubepp::apiserver {

ApiServer::ApiServer(async::Runtime& runtime, storage::Backend& store, ApiServerOptions options,
                     const Clock& clock)
    : runtime_(runtime),
      store_(store),
      options_(std::move(options)),
      clock_(clock),
      registry_(Registry::Default()),
      pool_(options_.blocking_threads),
      hub_(store) {}

ApiServer::~ApiServer() { Stop(); }

Status ApiServer::Bootstrap() {
  const ResourceInfo* ns = registry_->Find("", "v1", "namespaces");
  for (const char* name : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    if (store_.Get(ns->Key("", name)).IsOk()) continue;
    boost::json::value body = boost::json::object{
        {"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}};
    PrepareOptions popts;
    popts.op = Operation::kCreate;
    popts.now = clock_.WallNow();
    KUBEPP_ASSIGN_OR_RETURN(auto prepared, ns->ops->Prepare(body, nullptr, popts));
    auto created = store_.Create(ns->Key("", name), boost::json::serialize(prepared.object));
    if (!created.IsOk() && !created.status().IsAlreadyExists()) return created.status();
  }
  return Status::Ok();
}

Status ApiServer::Start() {
  KUBEPP_RETURN_IF_ERROR(Bootstrap());
  KUBEPP_RETURN_IF_ERROR(hub_.Start());
  ApiHandlerOptions hopts;
  handler_ = std::make_unique<ApiHandler>(*registry_, store_, hub_, pool_, clock_, hopts);
  http_ = std::make_unique<HttpServer>(runtime_, options_.http, [h = handler_.get()](Request req) {
    return h->Handle(std::move(req));
  });
  KUBEPP_RETURN_IF_ERROR(http_->Start());
  KLOG_INFO("API server listening on {}:{}", options_.http.bind_address, http_->Port());
  return Status::Ok();
}

void ApiServer::Stop() {
  // Watches first: they end when the hub stops, so the HTTP server's drain does not wait on
  // them.
  hub_.Stop();
  if (http_) http_->Stop();
  pool_.Stop();
}

}  // namespace kubepp::apiserver
