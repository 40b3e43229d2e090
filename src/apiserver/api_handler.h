// ApiHandler: the Kubernetes REST API over the registry, the store and the watch hub.
//
// The chain per request is authn → authz → admission → validation → storage; authentication
// and authorization admit everyone until the security issue lands (plain HTTP on loopback).
// Admission today: namespace lifecycle (no writes into missing or terminating namespaces).
//
// Threading: Handle() runs on a connection strand; store calls run on the blocking pool.
#pragma once

#include <map>
#include <memory>

#include "apiserver/http/http_server.h"
#include "apiserver/registry/resource.h"
#include "apiserver/storage_hooks.h"
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

  // Storage hooks of one resource (e.g. the Service allocator); set before serving.
  void SetStorageHooks(const ResourceInfo* info, StorageHooks* hooks) { hooks_[info] = hooks; }

 private:
  struct Target;  // a parsed resource URL
  async::Task<Response> HandleResource(Request req, Target t);
  async::Task<Response> Get(const Request& req, const Target& t);
  async::Task<Response> List(const Request& req, const Target& t);
  async::Task<Response> Watch(const Request& req, const Target& t);
  // `applied`: the object server-side apply built for a missing object (its managedFields
  // already set); nullptr: the request body is the object.
  async::Task<Response> Create(const Request& req, const Target& t,
                               const boost::json::value* applied = nullptr);
  async::Task<Response> Update(const Request& req, const Target& t);
  async::Task<Response> Patch(const Request& req, const Target& t);
  async::Task<Response> Delete(const Request& req, const Target& t);
  async::Task<Response> DeleteCollection(const Request& req, const Target& t);
  async::Task<Response> PodBinding(const Request& req, const Target& t);
  async::Task<Response> PodEviction(const Request& req, const Target& t);

  // Writes `body` as the new state of t's object, guarded by `expected_rv` (0: the current
  // one, retried on conflict). `mutate` turns the current object into the body to prepare.
  // Not `apply`: the write's managedFields are recorded for the request's field manager.
  // `apply` (server-side apply): `mutate` sets managedFields itself, and is called with null
  // when the object does not exist, which then creates it.
  using Mutator = std::function<Result<boost::json::value>(const boost::json::value& current)>;
  async::Task<Response> GuaranteedUpdate(const Request& req, const Target& t, Mutator mutate,
                                         bool rv_from_body, bool apply = false);
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
  async::Task<Result<CacheSnapshot>> CacheList(const std::string& prefix,
                                               storage::Revision min_revision);
  async::Task<Result<CacheSnapshot>> CacheListWaiting(const std::string& prefix,
                                                      storage::Revision min_revision);
  // The resource's storage hooks on the blocking pool (no hooks: a no-op finish).
  StorageHooks* HooksOf(const ResourceInfo& info) const;
  async::Task<Result<StorageHooks::Finish>> HookBeginCreate(StorageHooks* hooks,
                                                            boost::json::value& obj, bool dry_run);
  async::Task<Result<StorageHooks::Finish>> HookBeginUpdate(StorageHooks* hooks,
                                                            boost::json::value& obj,
                                                            const boost::json::value& old,
                                                            bool dry_run);
  async::Task<void> HookFinish(const StorageHooks::Finish* finish, bool stored);
  async::Task<void> HookAfterDelete(StorageHooks* hooks, const boost::json::value& obj);

  Response Discovery(const Request& req) const;
  boost::json::value AggregatedDiscovery(bool core, const std::string& version) const;
  Response ObjectResponse(int code, const boost::json::value& obj, const Request& req,
                          const Target& t) const;
  // The Scale view (scale subresource) or the object itself, with 200.
  Response ScaleOrObject(bool scale, const boost::json::value& obj, const Request& req,
                         const Target& t) const;

  const Registry& registry_;                            // every kind served
  storage::Backend& store_;                             // where objects live
  WatchHub& hub_;                                       // shared watch fan-out
  async::BlockingPool& pool_;                           // runs store calls
  const Clock& clock_;                                  // timestamps
  ApiHandlerOptions options_;                           // addresses and timings
  std::map<const ResourceInfo*, StorageHooks*> hooks_;  // per-resource storage hooks
};

}  // namespace kubepp::apiserver
