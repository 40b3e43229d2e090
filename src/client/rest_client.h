// RestClient: the Kubernetes REST verbs over HttpTransport, on boost::json objects.
//
//   auto client = RestClient::Create(runtime.Executor(), config);
//   auto pod = co_await client->Get(ResourceOf<api::Pod>(), "default", "web-0");
//
// URLs follow upstream: /api/v1/... for the core group, /apis/{group}/{version}/... otherwise,
// namespaces/{ns}/ for namespaced resources, then {resource}[/{name}[/{subresource}]].
// Errors: a non-2xx answer becomes a Status decoded from the server's metav1.Status (reason →
// code, message, details with causes and retryAfterSeconds); a body that is not a Status gets
// the code of its HTTP status, as client-go's NewGenericServerResponse. Transport failures are
// Unavailable or Timeout.
// Retries: only where safe — a stale keep-alive connection (see HttpTransport), and 429 / 5xx
// answers carrying Retry-After for GET requests (at most kMaxRetries, waiting as told, capped).
//
// Calls are coroutines, usable from any executor; the client must outlive them. GCC 12: pass
// named variables (not temporaries such as string literals) to calls inside `co_await`.
// Thread-safe.
#pragma once

#include <boost/json/value.hpp>
#include <memory>
#include <optional>
#include <string>

#include "async/runtime.h"
#include "base/status.h"
#include "client/http_transport.h"
#include "client/kubeconfig.h"
#include "client/resource.h"

namespace kubepp::client {

struct ListOptions {
  std::string label_selector;          // labelSelector
  std::string field_selector;          // fieldSelector
  std::string resource_version;        // resourceVersion
  std::string resource_version_match;  // resourceVersionMatch
  int64_t limit = 0;                   // limit (0: none)
  std::string continue_token;          // continue
  // Watch only.
  bool allow_watch_bookmarks = false;      // allowWatchBookmarks
  std::optional<int64_t> timeout_seconds;  // timeoutSeconds
  bool send_initial_events = false;        // sendInitialEvents
};

struct WriteOptions {
  std::string field_manager;     // fieldManager
  std::string field_validation;  // fieldValidation: Ignore | Warn | Strict
  bool dry_run = false;          // dryRun=All
};

enum class PatchType {
  kJson,            // application/json-patch+json (RFC 6902)
  kMerge,           // application/merge-patch+json (RFC 7386)
  kStrategicMerge,  // application/strategic-merge-patch+json
  kApply,           // application/apply-patch+yaml (server-side apply)
};
std::string_view ContentTypeOf(PatchType type);

struct PatchOptions {
  std::string field_manager;     // fieldManager (required by the server for kApply)
  std::string field_validation;  // fieldValidation
  bool force = false;            // force (kApply only)
  bool dry_run = false;          // dryRun=All
};

struct DeleteOptions {
  std::optional<int64_t> grace_period_seconds;  // gracePeriodSeconds
  std::string propagation_policy;               // Orphan | Background | Foreground
  std::string precondition_uid;                 // preconditions.uid
  std::string precondition_resource_version;    // preconditions.resourceVersion
  bool dry_run = false;                         // dryRun=All
};

// Where a request goes.
struct ObjectPath {
  ResourceRef resource;
  std::string namespace_;   // ignored for cluster-scoped resources
  std::string name;         // "" for collection verbs
  std::string subresource;  // "status", "scale", ...
};

// The URL path of `p` (without the server's prefix), e.g.
// "/apis/apps/v1/namespaces/a/deployments/b".
std::string PathOf(const ObjectPath& p);
// Decodes an error answer into a Status (see the top).
Status StatusFromResponse(const HttpResponse& res);
// Decodes a metav1.Status object (a watch ERROR event, a delete answer). OK for
// status: Success.
Status StatusFromObject(const boost::json::value& status, int http_code);

class WatchStream;

class RestClient {
 public:
  static constexpr int kMaxRetries = 3;

  // BadRequest / Unavailable as HttpTransport::Create.
  static Result<std::unique_ptr<RestClient>> Create(async::asio::any_io_executor ex,
                                                    RestConfig config,
                                                    const Clock& clock = Clock::Real());
  const RestConfig& Config() const { return config_; }
  HttpTransport& Transport() { return *transport_; }

  async::Task<Result<boost::json::value>> Get(ObjectPath path);
  async::Task<Result<boost::json::value>> List(ObjectPath path, ListOptions opts);
  // POST to the collection (or to path.subresource of path.name, e.g. pods/binding).
  async::Task<Result<boost::json::value>> Create(ObjectPath path, boost::json::value obj,
                                                 WriteOptions opts);
  // PUT; path.subresource "status" for a status update.
  async::Task<Result<boost::json::value>> Update(ObjectPath path, boost::json::value obj,
                                                 WriteOptions opts);
  async::Task<Result<boost::json::value>> Patch(ObjectPath path, PatchType type, std::string patch,
                                                PatchOptions opts);
  // Returns what the server answers: the deleted object (or the object still being finalized),
  // or a Success Status object.
  async::Task<Result<boost::json::value>> Delete(ObjectPath path, DeleteOptions opts);
  // Opens a watch. An error answer to the request itself is a Status here; errors during the
  // stream arrive as ERROR events.
  async::Task<Result<std::unique_ptr<WatchStream>>> Watch(ObjectPath path, ListOptions opts);

  // Any request, with authentication and the retry rules above; the answer as is.
  async::Task<Result<HttpResponse>> Do(HttpRequest req);

 private:
  RestClient(RestConfig config, std::unique_ptr<HttpTransport> transport);
  async::Task<Result<boost::json::value>> JsonCall(HttpRequest req);

  RestConfig config_;                         // server and credentials
  std::unique_ptr<HttpTransport> transport_;  // connections
};

}  // namespace kubepp::client
