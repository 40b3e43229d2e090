// ApiHandler: the Kubernetes REST API over the registry, the store and the watch hub.
//
// The chain per request is authn → authz → admission → validation → storage; authentication
// and authorization admit everyone until the security issue lands (plain HTTP on loopback).
// Admission today: namespace lifecycle (no writes into missing or terminating namespaces).
//
// Threading: Handle() runs on a connection strand; store calls run on the blocking pool.
#pragma once

#include <memory>

#include "apiserver/http/http_server.h"
#include "apiserver/registry/resource.h"
#include "apiserver/watch_hub.h"
#include "async/runtime.h"
#include "base/clock.h"
#include "storage/backend.h"

namespace kubepp::apiserver {

struct ApiHandlerOptions {
  std::string external_address = "127.0.0.1:6443";   // for /api serverAddressByClientCIDRs
  std::chrono::seconds watch_bookmark_interval{60};  // BOOKMARK cadence when allowed
  std::chrono::seconds min_request_timeout{1800};    // default watch timeout (randomized x1-2)
};

class ApiHandler {
 public:
  ApiHandler(const Registry& registry, storage::Backend& store, WatchHub& hub,
             async::BlockingPool& pool, const Clock& clock, ApiHandlerOptions options);

  async::Task<Response> Handle(Request req);

 private:
  struct Target;  // a parsed resource URL
  async::Task<Response> HandleResource(Request req, Target t);
  async::Task<Response> Get(const Request& req, const Target& t);
  async::Task<Response> List(const Request& req, const Target& t);
  async::Task<Response> Watch(const Request& req, const Target& t);
  async::Task<Response> Create(const Request& req, const Target& t);
  async::Task<Response> Update(const Request& req, const Target& t);
  async::Task<Response> Patch(const Request& req, const Target& t);
  async::Task<Response> Delete(const Request& req, const Target& t);
  async::Task<Response> DeleteCollection(const Request& req, const Target& t);

  // Writes `body` as the new state of t's object, guarded by `expected_rv` (0: the current
  // one, retried on conflict). `mutate` turns the current object into the body to prepare.
  using Mutator = std::function<Result<boost::json::value>(const boost::json::value& current)>;
  async::Task<Response> GuaranteedUpdate(const Request& req, const Target& t, Mutator mutate,
                                         bool rv_from_body);
  async::Task<Status> CheckNamespaceWritable(const std::string& ns);

  // Store calls on the blocking pool (arguments are copied before the call returns).
  async::Task<Result<storage::KeyValue>> StoreGet(const std::string& key);
  async::Task<Result<storage::ListResult>> StoreList(const storage::ListOptions& opts);
  async::Task<Result<storage::KeyValue>> StoreCreate(const std::string& key,
                                                     const std::string& value);
  async::Task<Result<storage::KeyValue>> StoreUpdate(const std::string& key,
                                                     const std::string& value,
                                                     storage::Revision rev);
  async::Task<Result<storage::DeleteResult>> StoreDelete(const std::string& key,
                                                         storage::Revision rev);
  async::Task<Result<storage::Revision>> StoreRevision();

  Response Discovery(const Request& req) const;
  Response ObjectResponse(int code, const boost::json::value& obj, const Request& req,
                          const Target& t) const;
  // The Scale view (scale subresource) or the object itself, with 200.
  Response ScaleOrObject(bool scale, const boost::json::value& obj, const Request& req,
                         const Target& t) const;

  const Registry& registry_;   // every kind served
  storage::Backend& store_;    // where objects live
  WatchHub& hub_;              // shared watch fan-out
  async::BlockingPool& pool_;  // runs store calls
  const Clock& clock_;         // timestamps
  ApiHandlerOptions options_;  // addresses and timings
};

}  // namespace kubepp::apiserver
