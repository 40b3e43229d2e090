// The OpenAPI documents of the API server, derived from the one API schema (api/schema.h) and
// the resource registry:
//   GET /openapi/v2                 Swagger 2.0 (definitions + paths of every resource), as JSON
//                                   or, for `Accept: application/com.github.proto-openapi.spec.
//                                   v2.v1.0+protobuf` (or its deprecated "...v2@v1.0+protobuf"
//                                   alias, which kubectl 1.27/1.28 send), as gnostic's
//                                   openapi.v2.Document protobuf converted from the same JSON
//   GET /openapi/v3                 the index {"paths": {"api/v1": {"serverRelativeURL":
//                                   "/openapi/v3/api/v1?hash=<HASH>"}, ...}}
//   GET /openapi/v3/<gv path>       OpenAPI 3.0 JSON for one group-version ("api/v1",
//                                   "apis/apps/v1"): components.schemas reachable from its kinds
//                                   and paths for every operation (with the query parameters
//                                   kubectl looks for, e.g. fieldValidation on PATCH)
// Served as kube-openapi does: an ETag (a content hash; upstream's is SHA-512, ours SHA-1, both
// opaque to clients), If-None-Match -> 304; on v3 a matching ?hash= adds "Cache-Control: public,
// immutable" and a one-year Expires, a stale one redirects (301) to the current hash. The media
// type is negotiated as kube-openapi does (Accept ranges by q, specific before wildcard; none
// means JSON); /openapi/v3 is JSON only. Nothing acceptable: 406 NotAcceptable with a Status.
// Each form has its own ETag (upstream reuses the JSON's for protobuf; distinct ones keep a
// cache that ignores Vary from answering 304 for the wrong form).
//
// The documents are built once, on the first request, and kept as bytes. Thread-safe: Serve()
// may run on any number of threads at once. The Registry must outlive the OpenApi.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "apiserver/http/http_server.h"
#include "apiserver/registry/resource.h"

namespace kubepp::apiserver {

class OpenApi {
 public:
  explicit OpenApi(const Registry& registry);
  ~OpenApi();
  OpenApi(const OpenApi&) = delete;
  OpenApi& operator=(const OpenApi&) = delete;

  // The response for an OpenAPI path (/openapi/v2, /openapi/v3, /openapi/v3/...), or nullopt
  // when `req` is for some other path.
  std::optional<Response> Serve(const Request& req) const;

  // The documents, for tests and tools.
  const std::string& V2() const;
  // V2() as a serialized openapi.v2.Document.
  const std::string& V2Protobuf() const;
  const std::string& V3Index() const;
  // The v3 document of "api/v1" / "apis/apps/v1", or nullptr.
  const std::string* V3(std::string_view gv_path) const;
  // The group-version paths served under /openapi/v3, in registry order.
  std::vector<std::string> GroupVersionPaths() const;

 private:
  struct Docs;
  const Docs& Built() const;

  const Registry& registry_;            // the resources to describe
  mutable std::once_flag once_;         // guards the one build of docs_
  mutable std::unique_ptr<Docs> docs_;  // built on first use, immutable afterwards
};

// Serves an OpenAPI request for `registry`, with the documents cached per registry for the
// life of the process (registries are immutable and live as long as the server). nullopt when
// `req` is not for an OpenAPI path. For ApiHandler::Handle().
std::optional<Response> ServeOpenApi(const Request& req, const Registry& registry);

}  // namespace kubepp::apiserver
