#include "apiserver/api_handler.h"

#include <boost/asio/this_coro.hpp>
#include <boost/json.hpp>
#include <charconv>
#include <optional>
#include <random>
#include <set>
#include <tuple>

#include "api/managed_fields.h"
#include "api/patch.h"
#include "api/protobuf.h"
#include "api/selector.h"
#include "api/strategic_merge.h"
#include "api/yaml_json.h"
#include "apiserver/openapi/openapi.h"
#include "apiserver/registry/meta.h"
#include "base/log.h"
#include "base/version.h"

namespace kubepp::apiserver {

namespace json = boost::json;
using async::Task;

// A parsed resource URL: /api/v1[/namespaces/NS]/RESOURCE[/NAME[/SUB]].
struct ApiHandler::Target {
  const ResourceInfo* info = nullptr;  // the resource
  std::string ns;                      // namespace from the path ("" when none)
  std::string name;                    // object name ("" for collections)
  std::string sub;                     // subresource ("status", "scale", ...)
  bool legacy_watch = false;           // /api/v1/watch/... form
  std::string Key() const { return info->Key(ns, name); }
  // Prefix of the collection: one namespace, or all of them.
  std::string Prefix() const {
    return info->namespaced && !ns.empty() ? info->KeyPrefix() + ns + "/" : info->KeyPrefix();
  }
};

namespace {

Status NotFoundStatus(const ResourceInfo& info, std::string_view name) {
  StatusDetails d{std::string(name), info.group, info.resource, {}, 0};
  return {StatusCode::kNotFound, info.resource + " \"" + std::string(name) + "\" not found", d};
}

Status ConflictStatus(const ResourceInfo& info, std::string_view name) {
  StatusDetails d{std::string(name), info.group, info.resource, {}, 0};
  return {StatusCode::kConflict,
          "Operation cannot be fulfilled on " + info.resource +
              (info.group.empty() ? "" : "." + info.group) + " \"" + std::string(name) +
              "\": the object has been modified; please apply your changes to the latest "
              "version and try again",
          d};
}

Status AlreadyExistsStatus(const ResourceInfo& info, std::string_view name) {
  StatusDetails d{std::string(name), info.group, info.resource, {}, 0};
  return {StatusCode::kAlreadyExists,
          info.resource + (info.group.empty() ? "" : "." + info.group) + " \"" + std::string(name) +
              "\" already exists",
          d};
}

// Non-coroutine helpers that choose between class-type values: GCC 12 mis-destroys the
// temporaries of a ?: inside a coroutine body, so coroutines call these instead.
Status OrNotFound(const Status& s, const ResourceInfo& info, std::string_view name) {
  if (s.IsNotFound()) return NotFoundStatus(info, name);
  return s;
}

Status OrAlreadyExists(const Status& s, const ResourceInfo& info, std::string_view name) {
  if (s.IsAlreadyExists()) return AlreadyExistsStatus(info, name);
  return s;
}

// Parses stored bytes and stamps metadata.resourceVersion.
Result<json::value> Decode(const storage::KeyValue& kv) {
  boost::system::error_code ec;
  auto v = json::parse(kv.value, ec);
  if (ec || !v.is_object()) return Status::Internal("stored object is not valid JSON");
  auto& meta = v.as_object()["metadata"];
  if (!meta.is_object()) meta = json::object();
  meta.as_object()["resourceVersion"] = std::to_string(kv.mod_revision);
  return v;
}

json::object& Meta(json::value& obj) {
  auto& m = obj.as_object()["metadata"];
  if (!m.is_object()) m = json::object();
  return m.as_object();
}

std::string MetaString(const json::value& obj, std::string_view field) {
  if (!obj.is_object()) return "";
  auto it = obj.as_object().find("metadata");
  if (it == obj.as_object().end() || !it->value().is_object()) return "";
  auto f = it->value().as_object().find(field);
  return f != it->value().as_object().end() && f->value().is_string()
             ? std::string(f->value().as_string())
             : "";
}

std::map<std::string, std::string> Labels(const json::value& obj) {
  std::map<std::string, std::string> out;
  if (!obj.is_object()) return out;
  auto it = obj.as_object().find("metadata");
  if (it == obj.as_object().end() || !it->value().is_object()) return out;
  auto l = it->value().as_object().find("labels");
  if (l == it->value().as_object().end() || !l->value().is_object()) return out;
  for (const auto& kv : l->value().as_object()) {
    if (kv.value().is_string()) out[std::string(kv.key())] = std::string(kv.value().as_string());
  }
  return out;
}

// The garbage-collection finalizers a DELETE leaves on an object (upstream's
// deletionFinalizersForGarbageCollection): explicit options win (orphanDependents, then
// propagationPolicy), then the GC finalizer the object already has, then the resource's default
// (Orphan for core/v1 replicationcontrollers, kept for compatibility; Background elsewhere).
// Returns `finalizers` without "orphan"/"foregroundDeletion", plus the one that applies.
std::vector<std::string> GcFinalizers(const ResourceInfo& info,
                                      const std::vector<std::string>& finalizers,
                                      std::optional<bool> orphan_dependents,
                                      const std::string& propagation) {
  constexpr std::string_view kOrphan = "orphan";
  constexpr std::string_view kForeground = "foregroundDeletion";
  bool orphan = false;
  bool foreground = false;
  if (orphan_dependents) {
    orphan = *orphan_dependents;
  } else if (!propagation.empty()) {
    orphan = propagation == "Orphan";
    foreground = propagation == "Foreground";
  } else {
    auto gc = std::find_if(finalizers.begin(), finalizers.end(),
                           [&](const std::string& f) { return f == kOrphan || f == kForeground; });
    if (gc != finalizers.end()) {
      orphan = *gc == kOrphan;
      foreground = *gc == kForeground;
    } else {
      orphan =
          info.group.empty() && info.version == "v1" && info.resource == "replicationcontrollers";
    }
  }
  std::vector<std::string> out;
  for (const auto& f : finalizers) {
    if (f != kOrphan && f != kForeground) out.push_back(f);
  }
  if (orphan) out.emplace_back(kOrphan);
  if (foreground) out.emplace_back(kForeground);
  return out;
}

std::vector<std::string> Finalizers(const json::value& obj) {
  std::vector<std::string> out;
  auto it = obj.as_object().find("metadata");
  if (it == obj.as_object().end() || !it->value().is_object()) return out;
  auto f = it->value().as_object().find("finalizers");
  if (f == it->value().as_object().end() || !f->value().is_array()) return out;
  for (const auto& v : f->value().as_array()) {
    if (v.is_string()) out.emplace_back(v.as_string());
  }
  return out;
}

// Removes metadata.resourceVersion (stored objects carry none: the revision is the RV).
std::string StoredBytes(json::value obj) {
  Meta(obj).erase("resourceVersion");
  return json::serialize(obj);
}

bool WantsTable(const Request& req) {
  return req.Header("accept").find("as=Table") != std::string::npos;
}

std::optional<int64_t> ParseInt(const std::string& s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

Response JsonResponse(int code, const json::value& v) {
  Response r;
  r.status = code;
  r.body = json::serialize(v);
  return r;
}

Response TextResponse(int code, std::string text) {
  Response r;
  r.status = code;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(text);
  return r;
}

json::value PartialMetadata(const json::value& obj) {
  json::object p;
  p["kind"] = "PartialObjectMetadata";
  p["apiVersion"] = "meta.k8s.io/v1";
  auto it = obj.as_object().find("metadata");
  p["metadata"] = it != obj.as_object().end() ? it->value() : json::object();
  return p;
}

json::array ColumnDefinitions(const ResourceInfo& info) {
  json::array cols;
  for (const auto& c : info.columns) {
    json::object col;
    col["name"] = c.name;
    col["type"] = c.type;
    col["format"] = c.format;
    col["description"] = c.description;
    col["priority"] = c.priority;
    cols.push_back(std::move(col));
  }
  return cols;
}

json::object TableRow(const ResourceInfo& info, const json::value& obj, Clock::WallTime now,
                      const std::string& include) {
  json::object row;
  json::array cells;
  for (auto& c : info.ops->Row(obj, now)) cells.push_back(std::move(c));
  row["cells"] = std::move(cells);
  if (include == "Object") {
    row["object"] = obj;
  } else if (include != "None") {
    row["object"] = PartialMetadata(obj);
  }
  return row;
}

std::string ListKind(const ResourceInfo& info) { return info.kind + "List"; }

// Label and field selectors of a request, parsed once.
struct Filter {
  api::Selector labels;
  api::Selector fields;
  bool Matches(const ResourceInfo& info, const json::value& obj) const {
    if (!labels.Empty() && !labels.Matches(Labels(obj))) return false;
    if (!fields.Empty() && !fields.Matches(info.ops->Fields(obj))) return false;
    return true;
  }
  bool Matches(const CachedObject& obj) const {
    if (!labels.Empty() && !labels.Matches(obj.Labels())) return false;
    if (!fields.Empty() && !fields.Matches(obj.Fields())) return false;
    return true;
  }
};

Result<Filter> ParseFilter(const Request& req, const ResourceInfo& info) {
  Filter f;
  KUBEPP_ASSIGN_OR_RETURN(f.labels, api::Selector::ParseLabels(req.Query("labelSelector")));
  KUBEPP_ASSIGN_OR_RETURN(f.fields, api::Selector::ParseFields(req.Query("fieldSelector")));
  if (!f.fields.Empty()) {
    json::value empty = json::object{{"metadata", json::object()}};
    auto supported = info.ops->Fields(empty);
    for (const auto& r : f.fields.Requirements()) {
      if (supported.find(r.key) == supported.end()) {
        return Status::BadRequest("field label not supported: " + r.key);
      }
    }
  }
  return f;
}

// fieldValidation handling of unknown fields: Strict fails, Warn (default) warns, Ignore drops.
Status CheckUnknown(const Request& req, const ResourceInfo& info,
                    const std::vector<std::string>& unknown, Response& warnings_to) {
  if (unknown.empty()) return Status::Ok();
  std::string mode = req.Query("fieldValidation");
  if (mode == "Strict") {
    std::string msg = info.kind + " in version \"" + info.version + "\" cannot be handled as a " +
                      info.kind + ": strict decoding error: ";
    for (size_t i = 0; i < unknown.size(); ++i) {
      if (i > 0) msg += ", ";
      msg += "unknown field \"" + unknown[i] + "\"";
    }
    return Status::BadRequest(msg);
  }
  if (mode != "Ignore") {
    std::string warning;
    for (size_t i = 0; i < unknown.size(); ++i) {
      if (i > 0) warning += ", ";
      warning += R"(299 - "unknown field \")" + unknown[i] + R"(\"")";
    }
    warnings_to.headers["Warning"] = warning;
  }
  return Status::Ok();
}

// The body of a write: JSON (kubectl sends JSON for every write it makes).
Result<json::value> ParseBody(const Request& req) {
  std::string type = req.Header("content-type");
  if (auto semi = type.find(';'); semi != std::string::npos) type.resize(semi);
  if (type == api::kProtobufContentType) {
    // kubectl 1.32+ sends typed-client writes as Kubernetes protobuf.
    return api::ProtobufBodyToJson(req.body);
  }
  if (!type.empty() && type != "application/json" && type != "*/*") {
    return Status(StatusCode::kUnsupportedMediaType,
                  "the body of the request was in an unknown format - accepted media types "
                  "include: application/json, application/vnd.kubernetes.protobuf");
  }
  if (req.body.empty()) return Status::BadRequest("the request body is empty");
  boost::system::error_code ec;
  json::parse_options opts;
  opts.max_depth = 256;
  auto v = json::parse(req.body, ec, {}, opts);
  if (ec) {
    return Status::BadRequest(
        "the body of the request was in an unknown format - accepted media "
        "types include: application/json, application/yaml, "
        "application/vnd.kubernetes.protobuf (" +
        ec.message() + ")");
  }
  if (!v.is_object()) return Status::BadRequest("the request body must be a JSON object");
  return v;
}

// Who a write is by, for managedFields: the request's field manager (or User-Agent prefix),
// the resource's group/version, the subresource and the time.
api::managed::WriteContext WriteContextOf(const Request& req, const ResourceInfo& info,
                                          const std::string& sub, Clock::WallTime now) {
  api::managed::WriteContext ctx;
  ctx.type = api::schema::Schema::Embedded().FindByGvk(info.group, info.version, info.kind);
  ctx.manager = api::managed::ManagerOf(req.Query("fieldManager"), req.Header("user-agent"));
  ctx.api_version = info.GroupVersion();
  ctx.subresource = sub;
  ctx.has_status = info.has_status;
  ctx.now = FormatRfc3339(now);
  return ctx;
}

// metadata.managedFields of a request body, or nullptr.
const json::value* SentManagedFields(const json::value& body) {
  if (!body.is_object()) return nullptr;
  const json::value* meta = body.get_object().if_contains("metadata");
  if (meta == nullptr || !meta->is_object()) return nullptr;
  return meta->get_object().if_contains("managedFields");
}

// Records a create/update/patch in obj's managedFields (`live`: nullptr on create).
void RecordWrite(const Request& req, const ResourceInfo& info, const std::string& sub,
                 Clock::WallTime now, const json::value* live, const json::value* sent,
                 json::value& obj) {
  api::managed::WriteContext ctx = WriteContextOf(req, info, sub, now);
  if (ctx.type == nullptr) return;
  api::managed::UpdateManagedFields(live, obj, sent, ctx);
}

// A 422 on the PatchOptions of a request, worded as upstream.
Status PatchOptionsInvalid(const char* reason, const char* field, const std::string& detail) {
  StatusDetails d{"", "meta.k8s.io", "PatchOptions", {{reason, detail, field}}, 0};
  return {StatusCode::kInvalid,
          std::string("PatchOptions.meta.k8s.io \"\" is invalid: ") + field + ": " + detail,
          std::move(d)};
}

// Server-side apply of `config` to `cur` (null: no object yet) for the object `name` in `ns`.
Result<json::value> ApplyConfig(const json::value& cur, const json::value& config,
                                const api::managed::WriteContext& ctx, bool force,
                                const std::string& name, const std::string& ns) {
  std::string config_name = MetaString(config, "name");
  if (!config_name.empty() && config_name != name) {
    return Status::BadRequest("the name of the object (" + config_name +
                              ") does not match the name on the URL (" + name + ")");
  }
  std::string config_ns = MetaString(config, "namespace");
  if (!config_ns.empty() && config_ns != ns) {
    return Status::BadRequest(
        "the namespace of the provided object does not match the namespace sent on the request");
  }
  const json::value* live = cur.is_null() ? nullptr : &cur;
  KUBEPP_ASSIGN_OR_RETURN(json::value merged, api::managed::Apply(live, config, ctx, force));
  if (MetaString(merged, "name").empty()) Meta(merged)["name"] = name;
  return merged;
}

}  // namespace

ApiHandler::ApiHandler(const Registry& registry, storage::Backend& store, WatchHub& hub,
                       async::BlockingPool& pool, const Clock& clock, ApiHandlerOptions options)
    : registry_(registry),
      store_(store),
      hub_(hub),
      pool_(pool),
      clock_(clock),
      options_(std::move(options)) {}

// Store calls on the blocking pool. Plain functions returning the awaitable: the lambda is a
// named local here, never a temporary inside a co_await expression (GCC 12 destroys such
// temporaries twice).
Task<Result<storage::KeyValue>> ApiHandler::StoreGet(const std::string& key) {
  auto fn = [this, key] { return store_.Get(key); };
  return async::RunBlocking(pool_, std::move(fn));
}
Task<Result<storage::ListResult>> ApiHandler::StoreList(const storage::ListOptions& opts) {
  auto fn = [this, opts] { return store_.List(opts); };
  return async::RunBlocking(pool_, std::move(fn));
}
Task<Result<storage::KeyValue>> ApiHandler::StoreCreate(const std::string& key,
                                                        const std::string& value) {
  auto fn = [this, key, value] { return store_.Create(key, value); };
  return async::RunBlocking(pool_, std::move(fn));
}
Task<Result<storage::KeyValue>> ApiHandler::StoreUpdate(const std::string& key,
                                                        const std::string& value,
                                                        storage::Revision rev) {
  auto fn = [this, key, value, rev] { return store_.Update(key, value, rev); };
  return async::RunBlocking(pool_, std::move(fn));
}
Task<Result<storage::DeleteResult>> ApiHandler::StoreDelete(const std::string& key,
                                                            storage::Revision rev) {
  auto fn = [this, key, rev] { return store_.Delete(key, rev); };
  return async::RunBlocking(pool_, std::move(fn));
}
Task<Result<storage::Revision>> ApiHandler::StoreRevision() {
  auto fn = [this] { return store_.CurrentRevision(); };
  return async::RunBlocking(pool_, std::move(fn));
}

StorageHooks* ApiHandler::HooksOf(const ResourceInfo& info) const {
  auto it = hooks_.find(&info);
  if (it == hooks_.end()) return nullptr;
  return it->second;
}
// The referenced arguments live in the awaiting coroutine's frame until the call returns.
Task<Result<StorageHooks::Finish>> ApiHandler::HookBeginCreate(StorageHooks* hooks,
                                                               json::value& obj, bool dry_run) {
  auto fn = [hooks, &obj, dry_run] { return hooks->BeginCreate(obj, dry_run); };
  return async::RunBlocking(pool_, std::move(fn));
}
Task<Result<StorageHooks::Finish>> ApiHandler::HookBeginUpdate(StorageHooks* hooks,
                                                               json::value& obj,
                                                               const json::value& old,
                                                               bool dry_run) {
  auto fn = [hooks, &obj, &old, dry_run] { return hooks->BeginUpdate(obj, old, dry_run); };
  return async::RunBlocking(pool_, std::move(fn));
}
Task<void> ApiHandler::HookFinish(const StorageHooks::Finish* finish, bool stored) {
  auto fn = [finish, stored] {
    if (*finish) (*finish)(stored);
  };
  return async::RunBlocking(pool_, std::move(fn));
}
Task<void> ApiHandler::HookAfterDelete(StorageHooks* hooks, const json::value& obj) {
  auto fn = [hooks, &obj] { hooks->AfterDelete(obj); };
  return async::RunBlocking(pool_, std::move(fn));
}

Response ApiHandler::ObjectResponse(int code, const json::value& obj, const Request& req,
                                    const Target& t) const {
  if (WantsTable(req) && t.sub.empty()) {
    json::object table;
    table["kind"] = "Table";
    table["apiVersion"] = "meta.k8s.io/v1";
    table["metadata"] = json::object{{"resourceVersion", MetaString(obj, "resourceVersion")}};
    table["columnDefinitions"] = ColumnDefinitions(*t.info);
    json::array rows;
    rows.push_back(TableRow(*t.info, obj, clock_.WallNow(), req.Query("includeObject")));
    table["rows"] = std::move(rows);
    Response r = JsonResponse(code, table);
    r.content_type = "application/json;as=Table;v=v1;g=meta.k8s.io";
    return r;
  }
  return JsonResponse(code, obj);
}

Task<Response> ApiHandler::Handle(Request req) {
  const std::string& path = req.path;
  if (path == "/healthz" || path == "/livez" || path == "/readyz" ||
      path.rfind("/healthz/", 0) == 0 || path.rfind("/livez/", 0) == 0 ||
      path.rfind("/readyz/", 0) == 0) {
    auto rev = co_await StoreRevision();
    std::string check = path.substr(
        1, path.find('/', 1) == std::string::npos ? std::string::npos : path.find('/', 1) - 1);
    if (!rev.IsOk()) {
      co_return TextResponse(
          500, "[+]ping ok\n[-]etcd failed: reason withheld\n" + check + " check failed\n");
    }
    if (req.HasQuery("verbose")) {
      co_return TextResponse(200,
                             "[+]ping ok\n[+]log ok\n[+]etcd ok\n" + check + " check passed\n");
    }
    co_return TextResponse(200, "ok");
  }
  if (path == "/version" || path == "/version/") {
    json::object v;
    v["major"] = "1";
    v["minor"] = "32";
    v["gitVersion"] = std::string(kKubernetesVersion) + "+kubepp-" + kKubeppVersion;
    v["gitCommit"] = kGitCommit;
    v["gitTreeState"] = "clean";
    v["buildDate"] = "1970-01-01T00:00:00Z";
    v["goVersion"] = "c++20";
    v["compiler"] = "gcc";
    v["platform"] = "linux/amd64";
    // Upstream answers /version indented; clients print it as-is (kubectl get --raw).
    std::string body = "{\n";
    bool first = true;
    for (const auto& kv : v) {
      if (!first) body += ",\n";
      first = false;
      body += "  \"" + std::string(kv.key()) + "\": " + json::serialize(kv.value());
    }
    body += "\n}";
    Response r;
    r.body = std::move(body);
    co_return r;
  }
  if (auto openapi = ServeOpenApi(req, registry_)) co_return std::move(*openapi);
  if (path == "/api" || path == "/apis" || path == "/api/" || path == "/apis/") {
    co_return Discovery(req);
  }

  // /api/v1/... or /apis/GROUP/VERSION/...
  std::vector<std::string> segs;
  for (size_t pos = 1; pos <= path.size();) {
    size_t next = path.find('/', pos);
    if (next == std::string::npos) next = path.size();
    if (next > pos) segs.push_back(path.substr(pos, next - pos));
    pos = next + 1;
  }
  std::string group, version;
  size_t i = 0;
  if (!segs.empty() && segs[0] == "api" && segs.size() >= 2) {
    version = segs[1];
    i = 2;
  } else if (!segs.empty() && segs[0] == "apis" && segs.size() >= 2) {
    group = segs[1];
    if (segs.size() == 2) co_return Discovery(req);
    version = segs[2];
    i = 3;
  } else {
    co_return ErrorResponse(Status::NotFound("the server could not find the requested resource"));
  }
  if (i == segs.size()) co_return Discovery(req);

  Target t;
  if (segs[i] == "watch") {
    t.legacy_watch = true;
    ++i;
  }
  std::vector<std::string> rest(segs.begin() + static_cast<std::ptrdiff_t>(i), segs.end());
  if (rest.size() >= 3 && rest[0] == "namespaces") {
    const ResourceInfo* r = registry_.Find(group, version, rest[2]);
    if (r != nullptr && r->namespaced) {
      t.info = r;
      t.ns = rest[1];
      if (rest.size() > 3) t.name = rest[3];
      if (rest.size() > 4) t.sub = rest[4];
      if (rest.size() > 5) t.info = nullptr;
    }
  }
  if (t.info == nullptr && !rest.empty()) {
    const ResourceInfo* r = registry_.Find(group, version, rest[0]);
    if (r != nullptr && rest.size() <= 3) {
      t.info = r;
      if (rest.size() > 1) t.name = rest[1];
      if (rest.size() > 2) t.sub = rest[2];
      // A namespaced resource addressed without a namespace: only list/watch across all.
      if (r->namespaced && !t.name.empty()) t.info = nullptr;
    }
  }
  if (t.info == nullptr) {
    co_return ErrorResponse(Status::NotFound("the server could not find the requested resource"));
  }
  co_return co_await HandleResource(std::move(req), std::move(t));
}

Task<Response> ApiHandler::HandleResource(Request req, Target t) {
  const ResourceInfo& info = *t.info;
  if (info.resource == "pods" && info.group.empty() && !t.name.empty() &&
      (t.sub == "binding" || t.sub == "eviction")) {
    if (req.method != "POST") {
      co_return ErrorResponse(Status(StatusCode::kMethodNotAllowed,
                                     "the server does not allow this method on the requested "
                                     "resource"));
    }
    if (t.sub == "binding") co_return co_await PodBinding(req, t);
    co_return co_await PodEviction(req, t);
  }
  if (!t.sub.empty()) {
    bool known = (t.sub == "status" && info.has_status) || (t.sub == "scale" && info.has_scale) ||
                 (t.sub == "finalize" && info.resource == "namespaces");
    if (!known) {
      co_return ErrorResponse(Status::NotFound("the server could not find the requested resource"));
    }
  }
  const std::string& m = req.method;
  if (m == "GET") {
    if (t.legacy_watch || req.QueryBool("watch")) co_return co_await Watch(req, t);
    if (t.name.empty()) co_return co_await List(req, t);
    co_return co_await Get(req, t);
  }
  if (m == "POST" && t.name.empty()) co_return co_await Create(req, t);
  if (m == "PUT" && !t.name.empty()) co_return co_await Update(req, t);
  if (m == "PATCH" && !t.name.empty()) co_return co_await Patch(req, t);
  if (m == "DELETE" && !t.name.empty() && t.sub.empty()) co_return co_await Delete(req, t);
  if (m == "DELETE" && t.name.empty()) co_return co_await DeleteCollection(req, t);
  Response r = ErrorResponse(Status(StatusCode::kMethodNotAllowed,
                                    "the server does not allow this method on the requested "
                                    "resource"));
  co_return r;
}

namespace {
// The Scale view of an object with spec.replicas (deployments, replicasets, ...).
json::value ToScale(const ResourceInfo& info, const json::value& obj) {
  json::object scale;
  scale["kind"] = "Scale";
  scale["apiVersion"] = "autoscaling/v1";
  const auto& o = obj.as_object();
  json::object meta;
  for (const char* f : {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"}) {
    auto v = MetaString(obj, f);
    if (!v.empty()) meta[f] = v;
  }
  scale["metadata"] = std::move(meta);
  int64_t spec_replicas = 0;
  int64_t status_replicas = 0;
  std::string selector;
  if (auto s = o.find("spec"); s != o.end() && s->value().is_object()) {
    if (auto r = s->value().as_object().find("replicas");
        r != s->value().as_object().end() && r->value().is_int64()) {
      spec_replicas = r->value().as_int64();
    }
    if (auto sel = s->value().as_object().find("selector");
        sel != s->value().as_object().end() && sel->value().is_object()) {
      auto ml = sel->value().as_object().find("matchLabels");
      if (ml != sel->value().as_object().end() && ml->value().is_object()) {
        for (const auto& kv : ml->value().as_object()) {
          if (!selector.empty()) selector += ",";
          selector += std::string(kv.key()) + "=" +
                      (kv.value().is_string() ? std::string(kv.value().as_string()) : "");
        }
      }
    }
  }
  if (auto s = o.find("status"); s != o.end() && s->value().is_object()) {
    if (auto r = s->value().as_object().find("replicas");
        r != s->value().as_object().end() && r->value().is_int64()) {
      status_replicas = r->value().as_int64();
    }
  }
  scale["spec"] = json::object{{"replicas", spec_replicas}};
  json::object status{{"replicas", status_replicas}};
  if (!selector.empty()) status["selector"] = selector;
  scale["status"] = std::move(status);
  (void)info;
  return scale;
}
}  // namespace

Response ApiHandler::ScaleOrObject(bool scale, const json::value& obj, const Request& req,
                                   const Target& t) const {
  if (scale) return JsonResponse(200, ToScale(*t.info, obj));
  return ObjectResponse(200, obj, req, t);
}

Task<Response> ApiHandler::Get(const Request& req, const Target& t) {
  const std::string key = t.Key();
  auto kv = co_await StoreGet(key);
  if (!kv.IsOk()) {
    co_return ErrorResponse(OrNotFound(kv.status(), *t.info, t.name));
  }
  auto obj = Decode(*kv);
  if (!obj.IsOk()) co_return ErrorResponse(obj.status());
  if (t.sub == "scale") co_return JsonResponse(200, ToScale(*t.info, *obj));
  co_return ObjectResponse(200, *obj, req, t);
}

// The watch cache's objects under `prefix` once it has seen `min_revision`: at once when it
// has, else on the blocking pool (it waits for the cache to catch up).
// Not a coroutine: the callable is a named local here (GCC 12, see StoreGet).
Task<Result<CacheSnapshot>> ApiHandler::CacheListWaiting(const std::string& prefix,
                                                         storage::Revision min_revision) {
  auto fn = [this, prefix, min_revision] {
    return hub_.List(prefix, min_revision, std::chrono::seconds(3));
  };
  return async::RunBlocking(pool_, std::move(fn));
}
Task<Result<CacheSnapshot>> ApiHandler::CacheList(const std::string& prefix,
                                                  storage::Revision min_revision) {
  if (hub_.Progress() >= min_revision) {
    co_return hub_.List(prefix, min_revision, std::chrono::milliseconds(0));
  }
  co_return co_await CacheListWaiting(prefix, min_revision);
}

// LIST. Served from the watch cache (each object's JSON serialized once, shared) unless the
// request asks for an exact past revision or continues a paged list, which read the store at
// that revision. resourceVersion "" is a consistent read: the cache first catches up with the
// store's current revision; "0" takes the cache as it is; "N" needs the cache at N or later.
Task<Response> ApiHandler::List(const Request& req, const Target& t) {
  auto filter = ParseFilter(req, *t.info);
  if (!filter.IsOk()) co_return ErrorResponse(filter.status());
  int64_t limit = 0;
  if (auto l = ParseInt(req.Query("limit")); l && *l > 0) limit = *l;
  const std::string rv = req.Query("resourceVersion");
  const std::string match = req.Query("resourceVersionMatch");
  storage::ListOptions opts;
  opts.prefix = t.Prefix();
  opts.continue_token = req.Query("continue");
  bool filtered = !filter->labels.Empty() || !filter->fields.Empty();
  std::vector<std::shared_ptr<const CachedObject>> items;
  storage::Revision revision = 0;
  std::string next_token;
  int64_t remaining = 0;
  bool from_store = !opts.continue_token.empty() || match == "Exact";
  if (!from_store) {
    storage::Revision min_revision = 0;
    if (rv.empty()) {
      auto cur = co_await StoreRevision();
      if (!cur.IsOk()) co_return ErrorResponse(cur.status());
      min_revision = *cur;
    } else if (rv != "0") {
      auto n = ParseInt(rv);
      if (!n) co_return ErrorResponse(Status::BadRequest("invalid resourceVersion: " + rv));
      min_revision = *n;
    }
    auto snap = co_await CacheList(opts.prefix, min_revision);
    if (!snap.IsOk()) {
      // A consistent read the cache cannot serve in time goes to the store instead.
      if (snap.status().Code() != StatusCode::kTimeout || !rv.empty()) {
        co_return ErrorResponse(snap.status());
      }
      from_store = true;
    } else {
      revision = snap->revision;
      for (size_t k = 0; k < snap->items.size(); ++k) {
        const auto& obj = snap->items[k];
        if (!filter->Matches(*obj)) continue;
        items.push_back(obj);
        if (limit > 0 && static_cast<int64_t>(items.size()) == limit) {
          if (k + 1 < snap->items.size()) {
            next_token = storage::EncodeContinueToken(revision, obj->Key() + std::string(1, '\0'));
            remaining = static_cast<int64_t>(snap->items.size() - k - 1);
          }
          break;
        }
      }
    }
  }
  if (from_store) {
    if (opts.continue_token.empty() && match == "Exact") {
      auto n = ParseInt(rv);
      if (!n) co_return ErrorResponse(Status::BadRequest("invalid resourceVersion"));
      opts.revision = *n;
    }
    while (true) {
      opts.limit = limit;
      auto page = co_await StoreList(opts);
      if (!page.IsOk()) {
        Status s = page.status();
        if (s.IsGone()) {
          s = Status(StatusCode::kExpired,
                     "The provided continue parameter is too old to display a consistent list "
                     "result. You can start a new list without the continue parameter.");
        }
        co_return ErrorResponse(s);
      }
      revision = page->revision;
      bool stopped_early = false;
      for (size_t k = 0; k < page->items.size(); ++k) {
        auto obj = Decode(page->items[k]);
        if (!obj.IsOk()) continue;
        if (!filter->Matches(*t.info, *obj)) continue;
        const std::string& key = page->items[k].key;
        items.push_back(std::make_shared<const CachedObject>(
            key, page->items[k].mod_revision, json::serialize(*obj),
            std::map<std::string, std::string>(), nullptr));
        if (limit > 0 && static_cast<int64_t>(items.size()) == limit) {
          if (k + 1 < page->items.size() || !page->continue_token.empty()) {
            next_token = storage::EncodeContinueToken(revision, key + std::string(1, '\0'));
            remaining = page->remaining + static_cast<int64_t>(page->items.size() - k - 1);
          }
          stopped_early = true;
          break;
        }
      }
      if (stopped_early || page->continue_token.empty() || limit == 0) break;
      opts.continue_token = page->continue_token;
    }
  }

  json::object meta{{"resourceVersion", std::to_string(revision)}};
  if (!next_token.empty()) meta["continue"] = next_token;
  if (!next_token.empty() && !filtered) meta["remainingItemCount"] = remaining;
  if (WantsTable(req)) {
    json::object table;
    table["kind"] = "Table";
    table["apiVersion"] = "meta.k8s.io/v1";
    table["metadata"] = std::move(meta);
    table["columnDefinitions"] = ColumnDefinitions(*t.info);
    json::array rows;
    auto now = clock_.WallNow();
    std::string include = req.Query("includeObject");
    for (const auto& obj : items) rows.push_back(TableRow(*t.info, obj->Parse(), now, include));
    table["rows"] = std::move(rows);
    Response r = JsonResponse(200, table);
    r.content_type = "application/json;as=Table;v=v1;g=meta.k8s.io";
    co_return r;
  }
  // The list is written around the objects' shared JSON: nothing is re-serialized.
  size_t size = 128;
  for (const auto& obj : items) size += obj->Json().size() + 1;
  Response r;
  r.status = 200;
  r.body.reserve(size);
  r.body += R"({"kind":")";
  r.body += ListKind(*t.info);
  r.body += R"(","apiVersion":")";
  r.body += t.info->GroupVersion();
  r.body += R"(","metadata":)";
  r.body += json::serialize(meta);
  r.body += ",\"items\":[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) r.body += ',';
    r.body += items[i]->Json();
  }
  r.body += "]}";
  co_return r;
}

Task<Response> ApiHandler::Watch(const Request& req, const Target& t) {
  auto filter = ParseFilter(req, *t.info);
  if (!filter.IsOk()) co_return ErrorResponse(filter.status());
  Filter f = std::move(*filter);
  if (!t.name.empty()) {
    auto by_name = api::Selector::ParseFields("metadata.name=" + t.name);
    if (by_name.IsOk()) f.fields = std::move(*by_name);
  }
  std::string rv_text = req.Query("resourceVersion");
  bool initial = rv_text.empty() || rv_text == "0" || req.QueryBool("sendInitialEvents");
  bool initial_bookmark = req.QueryBool("sendInitialEvents");
  std::vector<std::shared_ptr<const CachedObject>> initial_items;
  storage::Revision after = 0;
  if (initial) {
    // The current state from the watch cache: consistent with the store for "" (the cache
    // catches up with the store's revision first), as the cache has it for "0".
    storage::Revision min_revision = 0;
    if (rv_text.empty()) {
      auto cur = co_await StoreRevision();
      if (!cur.IsOk()) co_return ErrorResponse(cur.status());
      min_revision = *cur;
    }
    const std::string prefix = t.Prefix();
    auto snap = co_await CacheList(prefix, min_revision);
    if (!snap.IsOk()) co_return ErrorResponse(snap.status());
    after = snap->revision;
    for (auto& obj : snap->items) {
      if (f.Matches(*obj)) initial_items.push_back(std::move(obj));
    }
  } else {
    auto rv = ParseInt(rv_text);
    if (!rv) co_return ErrorResponse(Status::BadRequest("invalid resourceVersion: " + rv_text));
    after = *rv;
  }
  auto executor = co_await boost::asio::this_coro::executor;
  auto sub = hub_.Subscribe(t.Prefix(), after, executor);
  // A server shutting down answers 503 before the stream starts (clients retry the watch from
  // where they were); only a too-old resourceVersion is an ERROR event, as upstream.
  if (!sub.IsOk() && sub.status().IsUnavailable()) co_return ErrorResponse(sub.status());

  std::chrono::seconds timeout = options_.min_request_timeout;
  if (auto ts = ParseInt(req.Query("timeoutSeconds")); ts && *ts > 0) {
    timeout = std::chrono::seconds(*ts);
  } else {
    static thread_local std::mt19937 rng(std::random_device{}());
    timeout += std::chrono::seconds(
        std::uniform_int_distribution<int64_t>(0, options_.min_request_timeout.count())(rng));
  }
  bool bookmarks = req.QueryBool("allowWatchBookmarks");
  bool table = WantsTable(req);
  std::string include = req.Query("includeObject");
  const ResourceInfo* info = t.info;

  Response r;
  if (table) r.content_type = "application/json;as=Table;v=v1;g=meta.k8s.io";
  r.stream = [this, sub_result = std::move(sub), f = std::move(f),
              initial_items = std::move(initial_items), info, timeout, bookmarks, table, include,
              initial_bookmark, after](ChunkWriter& w) mutable -> Task<void> {
    bool columns_sent = false;
    auto encode = [&](std::string_view type, const json::value& obj) {
      json::object ev;
      ev["type"] = type;
      if (table && type != "ERROR" && type != "BOOKMARK") {
        json::object tbl;
        tbl["kind"] = "Table";
        tbl["apiVersion"] = "meta.k8s.io/v1";
        tbl["metadata"] = json::object{{"resourceVersion", MetaString(obj, "resourceVersion")}};
        if (columns_sent) {
          tbl["columnDefinitions"] = json::array();
        } else {
          tbl["columnDefinitions"] = ColumnDefinitions(*info);
        }
        columns_sent = true;
        json::array rows;
        rows.push_back(TableRow(*info, obj, clock_.WallNow(), include));
        tbl["rows"] = std::move(rows);
        ev["object"] = std::move(tbl);
      } else {
        ev["object"] = obj;
      }
      return json::serialize(ev) + "\n";
    };
    // An event around the object's shared JSON (no re-serialization), or as a Table row.
    auto encode_cached = [&](std::string_view type, const CachedObject& obj) {
      if (table) return encode(type, obj.Parse());
      std::string out;
      out.reserve(obj.Json().size() + 32);
      out += R"({"type":")";
      out += type;
      out += R"(","object":)";
      out += obj.Json();
      out += "}\n";
      return out;
    };
    if (!sub_result.IsOk()) {
      json::value st = json::parse(StatusBody(sub_result.status()));
      std::string chunk = encode("ERROR", st);
      co_await w.Write(std::move(chunk));
      co_return;
    }
    auto subscription = *sub_result;
    auto bookmark = [&](storage::Revision rev, bool initial_end) {
      json::object meta{{"resourceVersion", std::to_string(rev)}};
      if (initial_end) {
        meta["annotations"] = json::object{{"k8s.io/initial-events-end", "true"}};
      }
      json::object obj{{"kind", info->kind},
                       {"apiVersion", info->GroupVersion()},
                       {"metadata", std::move(meta)}};
      return encode("BOOKMARK", obj);
    };
    bool ok = true;
    for (const auto& obj : initial_items) {
      std::string chunk = encode_cached("ADDED", *obj);
      if (!(ok = co_await w.Write(std::move(chunk)))) break;
    }
    if (ok && initial_bookmark && bookmarks) {
      std::string chunk = bookmark(after, true);
      ok = co_await w.Write(std::move(chunk));
    }
    auto deadline = std::chrono::steady_clock::now() + timeout;
    auto next_bookmark = std::chrono::steady_clock::now() + options_.watch_bookmark_interval;
    while (ok) {
      bool overflowed = false;
      auto events = subscription->Take(overflowed);
      std::string out;
      for (const auto& ev : events) {
        bool now_match = f.Matches(*ev->object);
        bool was_match = ev->prev && f.Matches(*ev->prev);
        switch (ev->type) {
          case storage::EventType::kCreated:
            if (now_match) out += encode_cached("ADDED", *ev->object);
            break;
          case storage::EventType::kUpdated:
            if (now_match && was_match) {
              out += encode_cached("MODIFIED", *ev->object);
            } else if (now_match) {
              out += encode_cached("ADDED", *ev->object);
            } else if (was_match) {
              out += encode_cached("DELETED", *ev->object);
            }
            break;
          case storage::EventType::kDeleted:
            if (now_match) out += encode_cached("DELETED", *ev->object);
            break;
        }
      }
      if (!out.empty() && !(ok = co_await w.Write(std::move(out)))) break;
      if (overflowed) break;
      auto now = std::chrono::steady_clock::now();
      if (now >= deadline) break;
      if (bookmarks && now >= next_bookmark) {
        std::string chunk = bookmark(subscription->Progress(), false);
        if (!(ok = co_await w.Write(std::move(chunk)))) break;
        next_bookmark = now + options_.watch_bookmark_interval;
      }
      // Events (or the hub's stop) that came while this watcher was writing: no wait.
      if (subscription->ConsumeWake()) continue;
      auto wake_at = std::min(deadline, bookmarks ? next_bookmark : deadline);
      // Also wake every 30 s, should a wake-up still be missed.
      wake_at = std::min(wake_at, now + std::chrono::seconds(30));
      subscription->Wake().expires_at(wake_at);
      co_await subscription->Wake().async_wait(async::kUseAwaitable);
    }
    hub_.Unsubscribe(subscription);
  };
  co_return r;
}

Task<Status> ApiHandler::CheckNamespaceWritable(const std::string& ns) {
  const ResourceInfo* nsinfo = registry_.Find("", "v1", "namespaces");
  const std::string ns_key = nsinfo->Key("", ns);
  auto kv = co_await StoreGet(ns_key);
  if (!kv.IsOk()) {
    co_return OrNotFound(kv.status(), *nsinfo, ns);
  }
  auto obj = Decode(*kv);
  if (obj.IsOk() && !MetaString(*obj, "deletionTimestamp").empty()) {
    co_return Status::Forbidden("unable to create new content in namespace " + ns +
                                " because it is being terminated");
  }
  co_return Status::Ok();
}

Task<Response> ApiHandler::Create(const Request& req, const Target& t, const json::value* applied) {
  const ResourceInfo& info = *t.info;
  if (!t.sub.empty()) {
    co_return ErrorResponse(Status(StatusCode::kMethodNotAllowed,
                                   "the server does not allow this method on the requested "
                                   "resource"));
  }
  Result<json::value> body = Status::Internal("unset");
  if (applied != nullptr) {
    body = *applied;
  } else {
    body = ParseBody(req);
  }
  if (!body.IsOk()) co_return ErrorResponse(body.status());
  std::string body_ns = MetaString(*body, "namespace");
  if (info.namespaced && !body_ns.empty() && body_ns != t.ns) {
    co_return ErrorResponse(Status::BadRequest(
        "the namespace of the provided object does not match the namespace sent on the request"));
  }
  if (info.namespaced) {
    Status ns_ok = co_await CheckNamespaceWritable(t.ns);
    if (!ns_ok.IsOk()) {
      if (ns_ok.Code() == StatusCode::kForbidden) {
        std::string name = MetaString(*body, "name");
        ns_ok = Status(StatusCode::kForbidden,
                       info.resource + " \"" + name + "\" is forbidden: " + ns_ok.Message(),
                       StatusDetails{name, info.group, info.resource, {}, 0});
      }
      co_return ErrorResponse(ns_ok);
    }
  }
  PrepareOptions popts;
  popts.op = Operation::kCreate;
  if (info.namespaced) popts.namespace_ = t.ns;
  popts.now = clock_.WallNow();
  auto prepared = info.ops->Prepare(*body, nullptr, popts);
  if (!prepared.IsOk()) co_return ErrorResponse(prepared.status());
  Response warnings;
  if (Status s = CheckUnknown(req, info, prepared->unknown, warnings); !s.IsOk()) {
    co_return ErrorResponse(s);
  }
  if (applied == nullptr) {
    RecordWrite(req, info, t.sub, popts.now, nullptr, SentManagedFields(*body), prepared->object);
  }
  std::string name = MetaString(prepared->object, "name");
  const bool dry_run = req.Query("dryRun") == "All";
  StorageHooks::Finish finish;  // gives back what the hooks took if the create fails
  if (StorageHooks* hooks = HooksOf(info); hooks != nullptr) {
    auto begun = co_await HookBeginCreate(hooks, prepared->object, dry_run);
    if (!begun.IsOk()) co_return ErrorResponse(begun.status());
    finish = std::move(begun).value();
  }
  Response out;
  if (dry_run) {
    out = ObjectResponse(201, prepared->object, req, t);
  } else {
    std::string key = info.Key(t.ns, name);
    const std::string bytes = StoredBytes(prepared->object);
    auto kv = co_await StoreCreate(key, bytes);
    if (finish) co_await HookFinish(&finish, kv.IsOk());
    if (!kv.IsOk()) {
      co_return ErrorResponse(OrAlreadyExists(kv.status(), info, name));
    }
    Meta(prepared->object)["resourceVersion"] = std::to_string(kv->mod_revision);
    out = ObjectResponse(201, prepared->object, req, t);
  }
  for (auto& [k, v] : warnings.headers) out.headers[k] = v;
  co_return out;
}

Task<Response> ApiHandler::GuaranteedUpdate(const Request& req, const Target& t, Mutator mutate,
                                            bool rv_from_body, bool apply) {
  const ResourceInfo& info = *t.info;
  const std::string key = t.Key();
  for (int attempt = 0; attempt < 16; ++attempt) {
    auto kv = co_await StoreGet(key);
    if (!kv.IsOk()) {
      if (apply && kv.status().IsNotFound() && t.sub.empty()) {
        // Server-side apply creates an object that does not exist.
        const json::value none;
        auto applied = mutate(none);
        if (!applied.IsOk()) co_return ErrorResponse(applied.status());
        Response created = co_await Create(req, t, &*applied);
        if (created.status == 409 && created.body.find("\"AlreadyExists\"") != std::string::npos) {
          continue;  // created meanwhile: apply to it
        }
        co_return created;
      }
      co_return ErrorResponse(OrNotFound(kv.status(), info, t.name));
    }
    auto current = Decode(*kv);
    if (!current.IsOk()) co_return ErrorResponse(current.status());
    bool is_scale = t.sub == "scale";
    Result<json::value> body = Status::Internal("unset");
    if (is_scale) {
      body = mutate(ToScale(info, *current));
    } else {
      body = mutate(*current);
    }
    if (!body.IsOk()) co_return ErrorResponse(body.status());
    std::string body_rv = MetaString(*body, "resourceVersion");
    bool precondition = rv_from_body && !body_rv.empty();
    if (precondition && body_rv != std::to_string(kv->mod_revision)) {
      co_return ErrorResponse(ConflictStatus(info, t.name));
    }
    if (is_scale) {
      // Apply the Scale's spec.replicas to the object.
      json::value obj = *current;
      int64_t replicas = 0;
      const auto& b = body->as_object();
      if (auto s = b.find("spec"); s != b.end() && s->value().is_object()) {
        if (auto r = s->value().as_object().find("replicas");
            r != s->value().as_object().end() && r->value().is_number()) {
          replicas = r->value().to_number<int64_t>();
        }
      }
      auto& spec = obj.as_object()["spec"];
      if (!spec.is_object()) spec = json::object();
      spec.as_object()["replicas"] = replicas;
      body = std::move(obj);
    }
    PrepareOptions popts;
    popts.op = Operation::kUpdate;
    popts.status_subresource = t.sub == "status";
    popts.subresource = t.sub;
    if (info.namespaced) popts.namespace_ = t.ns;
    popts.name = t.name;
    popts.now = clock_.WallNow();
    auto prepared = info.ops->Prepare(*body, &*current, popts);
    if (!prepared.IsOk()) co_return ErrorResponse(prepared.status());
    Response warnings;
    if (Status s = CheckUnknown(req, info, prepared->unknown, warnings); !s.IsOk()) {
      co_return ErrorResponse(s);
    }
    json::value& obj = prepared->object;
    Meta(obj)["resourceVersion"] = std::to_string(kv->mod_revision);
    if (!apply) {
      // Server-side apply set managedFields in `mutate`; every other write is recorded here.
      const json::value* sent = nullptr;
      if (!is_scale) sent = SentManagedFields(*body);
      RecordWrite(req, info, t.sub, popts.now, &*current, sent, obj);
    }
    bool deleting = !MetaString(obj, "deletionTimestamp").empty() && Finalizers(obj).empty();
    if (deleting && info.resource == "namespaces") {
      // A namespace also waits for its spec.finalizers (the namespace controller).
      const auto& spec = obj.as_object().find("spec");
      if (spec != obj.as_object().end() && spec->value().is_object()) {
        auto f = spec->value().as_object().find("finalizers");
        if (f != spec->value().as_object().end() && f->value().is_array() &&
            !f->value().as_array().empty()) {
          deleting = false;
        }
      }
    }
    StorageHooks* hooks = HooksOf(info);
    StorageHooks::Finish finish;  // settles what the hooks took once the write's fate is known
    const bool dry_run = req.Query("dryRun") == "All";
    if (hooks != nullptr && !deleting) {
      auto begun = co_await HookBeginUpdate(hooks, obj, *current, dry_run);
      if (!begun.IsOk()) co_return ErrorResponse(begun.status());
      finish = std::move(begun).value();
    }
    if (dry_run) co_return ObjectResponse(200, obj, req, t);
    if (deleting) {
      // The last finalizer is gone from an object being deleted: delete it now.
      auto del = co_await StoreDelete(key, kv->mod_revision);
      if (!del.IsOk() && del.status().IsConflict() && !precondition) continue;
      if (!del.IsOk()) co_return ErrorResponse(del.status());
      if (hooks != nullptr) co_await HookAfterDelete(hooks, obj);
      Meta(obj)["resourceVersion"] = std::to_string(del->revision);
      co_return ObjectResponse(200, obj, req, t);
    }
    if (obj == *current) {
      Response same = ScaleOrObject(is_scale, obj, req, t);
      for (auto& [k, v] : warnings.headers) same.headers[k] = v;
      co_return same;
    }
    const std::string bytes = StoredBytes(obj);
    auto updated = co_await StoreUpdate(key, bytes, kv->mod_revision);
    if (finish) co_await HookFinish(&finish, updated.IsOk());
    if (!updated.IsOk()) {
      if (updated.status().IsConflict()) {
        if (precondition) co_return ErrorResponse(ConflictStatus(info, t.name));
        continue;
      }
      if (updated.status().IsNotFound()) co_return ErrorResponse(NotFoundStatus(info, t.name));
      co_return ErrorResponse(updated.status());
    }
    Meta(obj)["resourceVersion"] = std::to_string(updated->mod_revision);
    Response out = ScaleOrObject(is_scale, obj, req, t);
    for (auto& [k, v] : warnings.headers) out.headers[k] = v;
    co_return out;
  }
  co_return ErrorResponse(ConflictStatus(info, t.name));
}

Task<Response> ApiHandler::Update(const Request& req, const Target& t) {
  auto body = ParseBody(req);
  if (!body.IsOk()) co_return ErrorResponse(body.status());
  std::string body_name = MetaString(*body, "name");
  if (!body_name.empty() && body_name != t.name) {
    co_return ErrorResponse(Status::BadRequest("the name of the object (" + body_name +
                                               ") does not match the name on the URL (" + t.name +
                                               ")"));
  }
  json::value b = std::move(*body);
  // A named Mutator: a prvalue argument to a coroutine is destroyed twice by GCC 12.
  Mutator replace = [b](const json::value&) -> Result<json::value> { return b; };
  co_return co_await GuaranteedUpdate(req, t, std::move(replace), true);
}

Task<Response> ApiHandler::Patch(const Request& req, const Target& t) {
  std::string type = req.Header("content-type");
  if (auto semi = type.find(';'); semi != std::string::npos) type.resize(semi);
  if (type == "application/apply-patch+yaml") {
    if (req.Query("fieldManager").empty()) {
      co_return ErrorResponse(PatchOptionsInvalid("FieldValueRequired", "fieldManager",
                                                  "Required value: is required for apply patch"));
    }
    if (t.sub == "scale") {
      co_return ErrorResponse(
          Status(StatusCode::kUnsupportedMediaType,
                 "the server does not support server-side apply on the scale subresource yet"));
    }
    auto config = api::YamlToJson(req.body);
    if (!config.IsOk()) co_return ErrorResponse(config.status());
    if (!config->is_object()) {
      co_return ErrorResponse(
          Status::BadRequest("error decoding YAML: the apply patch must be an object"));
    }
    api::managed::WriteContext ctx = WriteContextOf(req, *t.info, t.sub, clock_.WallNow());
    if (ctx.type == nullptr) {
      co_return ErrorResponse(Status::Internal("no schema for " + t.info->kind));
    }
    Mutator apply = [config = std::move(*config), ctx, force = req.QueryBool("force"),
                     name = t.name, ns = t.ns](const json::value& cur) -> Result<json::value> {
      return ApplyConfig(cur, config, ctx, force, name, ns);
    };
    co_return co_await GuaranteedUpdate(req, t, std::move(apply), true, true);
  }
  if (req.HasQuery("force")) {
    co_return ErrorResponse(PatchOptionsInvalid(
        "FieldValueForbidden", "force", "Forbidden: may not be specified for non-apply patch"));
  }
  boost::system::error_code ec;
  json::value patch = json::parse(req.body, ec);
  if (ec) {
    co_return ErrorResponse(Status::BadRequest("error decoding patch: " + ec.message()));
  }
  Mutator mutate;
  if (type == "application/merge-patch+json") {
    if (!patch.is_object()) {
      co_return ErrorResponse(Status::BadRequest("a merge patch must be a JSON object"));
    }
    mutate = [patch](const json::value& cur) -> Result<json::value> {
      return api::ApplyMergePatch(cur, patch);
    };
  } else if (type == "application/json-patch+json") {
    mutate = [patch](const json::value& cur) -> Result<json::value> {
      return api::ApplyJsonPatch(cur, patch);
    };
  } else if (type == "application/strategic-merge-patch+json") {
    if (!patch.is_object()) {
      co_return ErrorResponse(Status::BadRequest("a strategic merge patch must be a JSON object"));
    }
    std::string kind = t.info->kind;
    if (t.sub == "scale") kind = "Scale";
    mutate = [patch, kind](const json::value& cur) -> Result<json::value> {
      return api::ApplyStrategicMergePatch(cur, patch, kind);
    };
  } else {
    co_return ErrorResponse(Status(StatusCode::kUnsupportedMediaType,
                                   "the server does not support patch type " + type + " yet"));
  }
  co_return co_await GuaranteedUpdate(req, t, std::move(mutate), true);
}

Task<Response> ApiHandler::Delete(const Request& req, const Target& t) {
  const ResourceInfo& info = *t.info;
  json::object options;
  if (!req.body.empty()) {
    boost::system::error_code ec;
    auto v = json::parse(req.body, ec);
    if (ec || !v.is_object()) {
      co_return ErrorResponse(Status::BadRequest("invalid DeleteOptions in the request body"));
    }
    options = v.as_object();
  }
  std::string propagation = req.Query("propagationPolicy");
  if (auto p = options.find("propagationPolicy"); p != options.end() && p->value().is_string()) {
    propagation = std::string(p->value().as_string());
  }
  // orphanDependents: the legacy form of Orphan (true) / Background (false).
  std::optional<bool> orphan_dependents;
  if (req.HasQuery("orphanDependents")) orphan_dependents = req.QueryBool("orphanDependents");
  if (auto o = options.find("orphanDependents"); o != options.end() && o->value().is_bool()) {
    orphan_dependents = o->value().as_bool();
  }
  if (!propagation.empty() && propagation != "Orphan" && propagation != "Background" &&
      propagation != "Foreground") {
    co_return ErrorResponse(
        Status::Invalid(R"(propagationPolicy: Unsupported value: ")" + propagation +
                        R"(": supported values: "Foreground", "Background", "Orphan")"));
  }
  if (orphan_dependents && !propagation.empty()) {
    co_return ErrorResponse(
        Status::Invalid(R"(propagationPolicy: Invalid value: ")" + propagation +
                        R"(": orphanDependents and deletionPropagation cannot be both set)"));
  }
  std::optional<int64_t> grace = ParseInt(req.Query("gracePeriodSeconds"));
  if (auto g = options.find("gracePeriodSeconds"); g != options.end() && g->value().is_int64()) {
    grace = g->value().as_int64();
  }
  bool dry_run = req.Query("dryRun") == "All";
  const std::string key = t.Key();
  for (int attempt = 0; attempt < 16; ++attempt) {
    auto kv = co_await StoreGet(key);
    if (!kv.IsOk()) {
      co_return ErrorResponse(OrNotFound(kv.status(), info, t.name));
    }
    auto current = Decode(*kv);
    if (!current.IsOk()) co_return ErrorResponse(current.status());
    if (auto pre = options.find("preconditions");
        pre != options.end() && pre->value().is_object()) {
      const auto& p = pre->value().as_object();
      auto uid = p.find("uid");
      if (uid != p.end() && uid->value().is_string() &&
          uid->value().as_string() != MetaString(*current, "uid")) {
        co_return ErrorResponse(Status::Conflict(
            "Precondition failed: UID in precondition: " + std::string(uid->value().as_string()) +
            ", UID in object meta: " + MetaString(*current, "uid")));
      }
      auto rv = p.find("resourceVersion");
      if (rv != p.end() && rv->value().is_string() &&
          rv->value().as_string() != std::to_string(kv->mod_revision)) {
        co_return ErrorResponse(ConflictStatus(info, t.name));
      }
    }
    json::value obj = *current;
    auto finalizers = Finalizers(obj);
    bool graceful = false;
    std::string now = FormatRfc3339(clock_.WallNow());
    if (info.resource == "namespaces") {
      graceful = true;  // the namespace controller empties it, then finalizes
      auto& status = obj.as_object()["status"];
      if (!status.is_object()) status = json::object();
      status.as_object()["phase"] = "Terminating";
    }
    if (auto gc = GcFinalizers(info, finalizers, orphan_dependents, propagation);
        std::set<std::string>(gc.begin(), gc.end()) !=
        std::set<std::string>(finalizers.begin(), finalizers.end())) {
      finalizers = std::move(gc);
      json::array arr;
      for (const auto& x : finalizers) arr.emplace_back(x);
      Meta(obj)["finalizers"] = std::move(arr);
    }
    if (info.resource == "pods" && !(grace && *grace == 0)) {
      // A pod bound to a node waits for its kubelet unless deleted with grace 0.
      const auto& o = obj.as_object();
      auto spec = o.find("spec");
      bool bound = spec != o.end() && spec->value().is_object() &&
                   spec->value().as_object().find("nodeName") != spec->value().as_object().end();
      if (bound) {
        int64_t g = grace.value_or(30);
        if (!grace) {
          auto tg = spec->value().as_object().find("terminationGracePeriodSeconds");
          if (tg != spec->value().as_object().end() && tg->value().is_int64()) {
            g = tg->value().as_int64();
          }
        }
        graceful = g > 0;
        if (graceful) {
          Meta(obj)["deletionGracePeriodSeconds"] = g;
          now = FormatRfc3339(clock_.WallNow() + std::chrono::seconds(g));
        }
      }
    }
    if (!finalizers.empty() || graceful) {
      if (MetaString(obj, "deletionTimestamp").empty()) Meta(obj)["deletionTimestamp"] = now;
      if (dry_run) co_return ObjectResponse(200, obj, req, t);
      if (obj == *current) co_return ObjectResponse(200, obj, req, t);
      const std::string bytes = StoredBytes(obj);
      auto updated = co_await StoreUpdate(key, bytes, kv->mod_revision);
      if (!updated.IsOk() && updated.status().IsConflict()) continue;
      if (!updated.IsOk()) co_return ErrorResponse(updated.status());
      Meta(obj)["resourceVersion"] = std::to_string(updated->mod_revision);
      co_return ObjectResponse(200, obj, req, t);
    }
    if (dry_run) co_return ObjectResponse(200, obj, req, t);
    auto del = co_await StoreDelete(key, kv->mod_revision);
    if (!del.IsOk() && del.status().IsConflict()) continue;
    if (!del.IsOk()) {
      co_return ErrorResponse(OrNotFound(del.status(), info, t.name));
    }
    if (StorageHooks* hooks = HooksOf(info); hooks != nullptr) {
      co_await HookAfterDelete(hooks, obj);
    }
    Meta(obj)["resourceVersion"] = std::to_string(del->revision);
    co_return ObjectResponse(200, obj, req, t);
  }
  co_return ErrorResponse(ConflictStatus(info, t.name));
}

Task<Response> ApiHandler::DeleteCollection(const Request& req, const Target& t) {
  auto filter = ParseFilter(req, *t.info);
  if (!filter.IsOk()) co_return ErrorResponse(filter.status());
  storage::ListOptions opts;
  opts.prefix = t.Prefix();
  auto page = co_await StoreList(opts);
  if (!page.IsOk()) co_return ErrorResponse(page.status());
  json::array deleted;
  for (const auto& kv : page->items) {
    auto obj = Decode(kv);
    if (!obj.IsOk() || !filter->Matches(*t.info, *obj)) continue;
    Target one = t;
    one.name = MetaString(*obj, "name");
    one.ns = MetaString(*obj, "namespace");
    Request sub = req;
    sub.headers.erase("accept");
    Response r = co_await Delete(sub, one);
    if (r.status == 200) {
      boost::system::error_code ec;
      auto v = json::parse(r.body, ec);
      if (!ec) deleted.push_back(std::move(v));
    } else if (r.status != 404) {
      co_return r;
    }
  }
  json::object list;
  list["kind"] = ListKind(*t.info);
  list["apiVersion"] = t.info->GroupVersion();
  list["metadata"] = json::object{{"resourceVersion", std::to_string(page->revision)}};
  list["items"] = std::move(deleted);
  co_return JsonResponse(200, list);
}

Response ApiHandler::Discovery(const Request& req) const {
  std::string path = req.path;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  auto resource_list = [this](const std::string& group, const std::string& version) {
    json::object list;
    list["kind"] = "APIResourceList";
    list["apiVersion"] = "v1";
    list["groupVersion"] = group.empty() ? version : group + "/" + version;
    json::array resources;
    for (const auto& r : registry_.All()) {
      if (r->group != group || r->version != version) continue;
      json::object res;
      res["name"] = r->resource;
      res["singularName"] = r->singular;
      res["namespaced"] = r->namespaced;
      res["kind"] = r->kind;
      json::array verbs;
      for (const auto& v : r->verbs) verbs.emplace_back(v);
      res["verbs"] = std::move(verbs);
      if (!r->short_names.empty()) {
        json::array sn;
        for (const auto& s : r->short_names) sn.emplace_back(s);
        res["shortNames"] = std::move(sn);
      }
      if (!r->categories.empty()) {
        json::array cats;
        for (const auto& c : r->categories) cats.emplace_back(c);
        res["categories"] = std::move(cats);
      }
      resources.push_back(std::move(res));
      auto subresource = [&](const std::string& name, const std::string& kind, const std::string& g,
                             const std::string& v) {
        json::object s;
        s["name"] = r->resource + "/" + name;
        s["singularName"] = "";
        s["namespaced"] = r->namespaced;
        if (!g.empty()) s["group"] = g;
        if (!v.empty()) s["version"] = v;
        s["kind"] = kind;
        s["verbs"] = json::array{"get", "patch", "update"};
        resources.push_back(std::move(s));
      };
      if (r->has_status) subresource("status", r->kind, "", "");
      if (r->has_scale) subresource("scale", "Scale", "autoscaling", "v1");
      if (r->resource == "pods" && r->group.empty()) {
        for (const auto& [sub, g, k] :
             {std::tuple<const char*, const char*, const char*>{"binding", "", "Binding"},
              {"eviction", "policy", "Eviction"}}) {
          json::object s{{"name", std::string("pods/") + sub},
                         {"singularName", ""},
                         {"namespaced", true},
                         {"kind", k},
                         {"verbs", json::array{"create"}}};
          if (*g != '\0') {
            s["group"] = g;
            s["version"] = "v1";
          }
          resources.push_back(std::move(s));
        }
      }
      if (r->resource == "namespaces") {
        json::object s{{"name", "namespaces/finalize"},
                       {"singularName", ""},
                       {"namespaced", false},
                       {"kind", "Namespace"},
                       {"verbs", json::array{"update"}}};
        resources.push_back(std::move(s));
      }
    }
    list["resources"] = std::move(resources);
    return list;
  };
  auto group_versions = [](const std::string& group) {
    json::object gv{{"groupVersion", group + "/v1"}, {"version", "v1"}};
    json::object g;
    g["name"] = group;
    g["versions"] = json::array{gv};
    g["preferredVersion"] = gv;
    return g;
  };
  if (path == "/api" || path == "/apis") {
    // Aggregated discovery (apidiscovery.k8s.io/v2, kubectl 1.30+): every resource of every
    // group in one answer, when the client asks for it.
    const std::string accept = req.Header("accept");
    std::string version;
    for (const char* v : {"v2", "v2beta1"}) {
      const std::string want =
          std::string("g=apidiscovery.k8s.io;v=") + v + ";as=APIGroupDiscoveryList";
      if (accept.find(want) != std::string::npos) {
        version = v;
        break;
      }
    }
    if (!version.empty()) {
      Response r = JsonResponse(200, AggregatedDiscovery(path == "/api", version));
      r.content_type =
          "application/json;g=apidiscovery.k8s.io;v=" + version + ";as=APIGroupDiscoveryList";
      return r;
    }
  }
  if (path == "/api") {
    json::object v;
    v["kind"] = "APIVersions";
    v["versions"] = json::array{"v1"};
    v["serverAddressByClientCIDRs"] = json::array{
        json::object{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", options_.external_address}}};
    return JsonResponse(200, v);
  }
  if (path == "/apis") {
    json::object list;
    list["kind"] = "APIGroupList";
    list["apiVersion"] = "v1";
    json::array groups;
    for (const auto& g : registry_.Groups()) {
      if (!g.empty()) groups.push_back(group_versions(g));
    }
    list["groups"] = std::move(groups);
    return JsonResponse(200, list);
  }
  if (path == "/api/v1") return JsonResponse(200, resource_list("", "v1"));
  std::vector<std::string> segs;
  for (size_t pos = 1; pos <= path.size();) {
    size_t next = path.find('/', pos);
    if (next == std::string::npos) next = path.size();
    segs.push_back(path.substr(pos, next - pos));
    pos = next + 1;
  }
  auto groups = registry_.Groups();
  if (segs.size() >= 2 && segs[0] == "apis" &&
      std::find(groups.begin(), groups.end(), segs[1]) != groups.end()) {
    if (segs.size() == 2) {
      json::object g = group_versions(segs[1]);
      g["kind"] = "APIGroup";
      g["apiVersion"] = "v1";
      return JsonResponse(200, g);
    }
    if (segs.size() == 3 && segs[2] == "v1") return JsonResponse(200, resource_list(segs[1], "v1"));
  }
  return ErrorResponse(Status::NotFound("the server could not find the requested resource"));
}

// The APIGroupDiscoveryList of the core group (`core`) or of every named group.
json::value ApiHandler::AggregatedDiscovery(bool core, const std::string& version) const {
  auto kind_ref = [](const std::string& g, const std::string& v, const std::string& k) {
    return json::object{{"group", g}, {"version", v}, {"kind", k}};
  };
  auto strings = [](const std::vector<std::string>& v) {
    json::array a;
    for (const auto& x : v) a.emplace_back(x);
    return a;
  };
  json::array items;
  for (const auto& group : registry_.Groups()) {
    if (core != group.empty()) continue;
    json::array resources;
    for (const auto& r : registry_.All()) {
      if (r->group != group || r->version != "v1") continue;
      json::object res;
      res["resource"] = r->resource;
      res["responseKind"] = kind_ref(r->group, r->version, r->kind);
      res["scope"] = r->namespaced ? "Namespaced" : "Cluster";
      res["singularResource"] = r->singular;
      res["verbs"] = strings(r->verbs);
      if (!r->short_names.empty()) res["shortNames"] = strings(r->short_names);
      if (!r->categories.empty()) res["categories"] = strings(r->categories);
      json::array subs;
      auto sub = [&subs](const std::string& name, json::object kind,
                         const std::vector<std::string>& verbs) {
        json::array v;
        for (const auto& x : verbs) v.emplace_back(x);
        subs.push_back(json::object{
            {"subresource", name}, {"responseKind", std::move(kind)}, {"verbs", std::move(v)}});
      };
      if (r->resource == "pods" && r->group.empty()) {
        sub("binding", kind_ref("", "v1", "Binding"), {"create"});
        sub("eviction", kind_ref("policy", "v1", "Eviction"), {"create"});
      }
      if (r->resource == "namespaces") {
        sub("finalize", kind_ref("", "v1", "Namespace"), {"update"});
      }
      if (r->has_scale) {
        sub("scale", kind_ref("autoscaling", "v1", "Scale"), {"get", "patch", "update"});
      }
      if (r->has_status) {
        sub("status", kind_ref(r->group, r->version, r->kind), {"get", "patch", "update"});
      }
      if (!subs.empty()) res["subresources"] = std::move(subs);
      resources.push_back(std::move(res));
    }
    json::object meta{{"creationTimestamp", nullptr}};
    if (!group.empty()) meta["name"] = group;
    items.push_back(json::object{
        {"metadata", std::move(meta)},
        {"versions",
         json::array{json::object{
             {"version", "v1"}, {"resources", std::move(resources)}, {"freshness", "Current"}}}}});
  }
  return json::object{{"kind", "APIGroupDiscoveryList"},
                      {"apiVersion", "apidiscovery.k8s.io/" + version},
                      {"metadata", json::object{}},
                      {"items", std::move(items)}};
}

// ---- pods/binding and pods/eviction

namespace {

json::value SuccessStatus(int code) {
  return json::object{{"kind", "Status"},
                      {"apiVersion", "v1"},
                      {"metadata", json::object{}},
                      {"status", "Success"},
                      {"code", code}};
}

// A pod that no PodDisruptionBudget protects any more (upstream's canIgnorePDB).
bool IgnoresDisruptionBudgets(const api::Pod& pod) {
  return pod.status.phase == "Succeeded" || pod.status.phase == "Failed" ||
         pod.status.phase == "Pending" || !pod.metadata.deletionTimestamp.empty();
}

}  // namespace

// POST pods/NAME/binding: assigns the pod to a node (the scheduler's write), as upstream's
// BindingREST: only an unassigned, live pod; sets spec.nodeName, copies the binding's
// annotations, and marks the pod PodScheduled=True.
Task<Response> ApiHandler::PodBinding(const Request& req, const Target& t) {
  auto body = ParseBody(req);
  if (!body.IsOk()) co_return ErrorResponse(body.status());
  api::Binding binding;
  if (Status s = api::FromJson(*body, binding, nullptr); !s.IsOk()) {
    co_return ErrorResponse(
        Status::BadRequest("Binding in version \"v1\" cannot be handled as a "
                           "Binding: " +
                           s.Message()));
  }
  if (!binding.metadata.name.empty() && binding.metadata.name != t.name) {
    co_return ErrorResponse(
        Status::BadRequest("name in URL does not match name in Binding object"));
  }
  api::ErrorList errors;
  if (!binding.target.kind.empty() && binding.target.kind != "Node") {
    errors.push_back(api::NotSupported("target.kind", binding.target.kind, {"Node", "<empty>"}));
  }
  if (binding.target.name.empty()) errors.push_back(api::Required("target.name"));
  if (!errors.empty()) {
    co_return ErrorResponse(api::InvalidStatus("", "Binding", t.name, errors));
  }
  const std::string key = t.Key();
  for (int attempt = 0; attempt < 16; ++attempt) {
    auto kv = co_await StoreGet(key);
    if (!kv.IsOk()) co_return ErrorResponse(OrNotFound(kv.status(), *t.info, t.name));
    auto current = Decode(*kv);
    if (!current.IsOk()) co_return ErrorResponse(current.status());
    api::Pod pod;
    if (Status s = api::FromJson(*current, pod, nullptr); !s.IsOk()) {
      co_return ErrorResponse(Status::Internal("stored pod does not decode: " + s.Message()));
    }
    auto conflict = [&](const std::string& why) {
      return Status(StatusCode::kConflict,
                    "Operation cannot be fulfilled on pods/binding \"" + t.name + "\": " + why,
                    StatusDetails{t.name, "", "pods/binding", {}, 0});
    };
    if (!pod.metadata.deletionTimestamp.empty()) {
      co_return ErrorResponse(
          conflict("pod " + t.name + " is being deleted, cannot be assigned to a host"));
    }
    if (!pod.spec.nodeName.empty()) {
      co_return ErrorResponse(
          conflict("pod " + t.name + " is already assigned to node \"" + pod.spec.nodeName + "\""));
    }
    pod.spec.nodeName = binding.target.name;
    for (const auto& [k, v] : binding.metadata.annotations) pod.metadata.annotations[k] = v;
    const std::string now = FormatRfc3339(clock_.WallNow());
    bool found = false;
    for (auto& c : pod.status.conditions) {
      if (c.type != "PodScheduled") continue;
      found = true;
      if (c.status != "True") c.lastTransitionTime = now;
      c.status = "True";
      c.reason.clear();
      c.message.clear();
    }
    if (!found) {
      api::PodCondition c;
      c.type = "PodScheduled";
      c.status = "True";
      c.lastTransitionTime = now;
      pod.status.conditions.push_back(std::move(c));
    }
    if (req.Query("dryRun") == "All") co_return JsonResponse(201, SuccessStatus(201));
    const std::string bytes = api::ToJsonString(pod);
    auto updated = co_await StoreUpdate(key, bytes, kv->mod_revision);
    if (updated.IsOk()) co_return JsonResponse(201, SuccessStatus(201));
    if (!updated.status().IsConflict()) co_return ErrorResponse(updated.status());
  }
  co_return ErrorResponse(ConflictStatus(*t.info, t.name));
}

// POST pods/NAME/eviction: deletes the pod unless a PodDisruptionBudget forbids it (upstream's
// EvictionREST): one matching budget at most; it must allow a disruption, which this eviction
// then uses up (status.disruptionsAllowed - 1, the pod in status.disruptedPods) before the
// pod is deleted with the eviction's deleteOptions.
Task<Response> ApiHandler::PodEviction(const Request& req, const Target& t) {
  auto body = ParseBody(req);
  if (!body.IsOk()) co_return ErrorResponse(body.status());
  api::Eviction eviction;
  if (Status s = api::FromJson(*body, eviction, nullptr); !s.IsOk()) {
    co_return ErrorResponse(Status::BadRequest(
        "Eviction in version \"v1\" cannot be handled as a Eviction: " + s.Message()));
  }
  if (!eviction.metadata.name.empty() && eviction.metadata.name != t.name) {
    co_return ErrorResponse(
        Status::BadRequest("name in URL does not match name in Eviction object"));
  }
  auto kv = co_await StoreGet(t.Key());
  if (!kv.IsOk()) co_return ErrorResponse(OrNotFound(kv.status(), *t.info, t.name));
  auto current = Decode(*kv);
  if (!current.IsOk()) co_return ErrorResponse(current.status());
  api::Pod pod;
  if (Status s = api::FromJson(*current, pod, nullptr); !s.IsOk()) {
    co_return ErrorResponse(Status::Internal("stored pod does not decode: " + s.Message()));
  }
  const bool dry_run = req.Query("dryRun") == "All";
  if (!IgnoresDisruptionBudgets(pod)) {
    const ResourceInfo* pdbs = registry_.Find("policy", "v1", "poddisruptionbudgets");
    storage::ListOptions opts;
    opts.prefix = pdbs->KeyPrefix() + t.ns + "/";
    auto list = co_await StoreList(opts);
    if (!list.IsOk()) co_return ErrorResponse(list.status());
    std::vector<std::pair<api::PodDisruptionBudget, storage::Revision>> matching;
    for (const auto& item : list->items) {
      auto obj = Decode(item);
      api::PodDisruptionBudget pdb;
      if (!obj.IsOk() || !api::FromJson(*obj, pdb, nullptr).IsOk() || !pdb.spec.selector) {
        continue;
      }
      auto sel = api::Selector::FromLabelSelector(*pdb.spec.selector);
      // An empty selector matches every pod in policy/v1.
      if (sel.IsOk() && sel->Matches(pod.metadata.labels)) {
        matching.emplace_back(std::move(pdb), item.mod_revision);
      }
    }
    if (matching.size() > 1) {
      co_return ErrorResponse(Status::Internal(
          "This pod has more than one PodDisruptionBudget, which the eviction subresource does "
          "not support."));
    }
    if (matching.size() == 1) {
      auto& [pdb, rev] = matching.front();
      auto refuse = [&](const std::string& cause) {
        return Status(StatusCode::kTooManyRequests,
                      "Cannot evict pod as it would violate the pod's disruption budget.",
                      StatusDetails{"", "", "", {{"DisruptionBudget", cause, ""}}, 0});
      };
      if (pdb.status.observedGeneration.value_or(0) < pdb.metadata.generation.value_or(0)) {
        co_return ErrorResponse(refuse("The disruption budget " + pdb.metadata.name +
                                       " is still being processed by the server."));
      }
      if (pdb.status.disruptionsAllowed <= 0) {
        co_return ErrorResponse(refuse("The disruption budget " + pdb.metadata.name + " needs " +
                                       std::to_string(pdb.status.desiredHealthy) +
                                       " healthy pods and has " +
                                       std::to_string(pdb.status.currentHealthy) + " currently"));
      }
      if (!dry_run) {
        pdb.status.disruptionsAllowed -= 1;
        pdb.status.disruptedPods[t.name] = FormatRfc3339(clock_.WallNow());
        const std::string bytes = api::ToJsonString(pdb);
        auto updated = co_await StoreUpdate(pdbs->Key(t.ns, pdb.metadata.name), bytes, rev);
        if (!updated.IsOk()) {
          if (updated.status().IsConflict()) {
            co_return ErrorResponse(
                Status(StatusCode::kTooManyRequests,
                       "Operation cannot be fulfilled on poddisruptionbudgets.policy \"" +
                           pdb.metadata.name +
                           "\": the object has been modified; please apply your changes to the "
                           "latest version and try again",
                       StatusDetails{pdb.metadata.name, "policy", "poddisruptionbudgets", {}, 1}));
          }
          co_return ErrorResponse(updated.status());
        }
      }
    }
  }
  // The pod is deleted with the eviction's options.
  Request del = req;
  del.body = eviction.deleteOptions ? api::ToJsonString(*eviction.deleteOptions) : "";
  del.headers["content-type"] = "application/json";
  Target pod_target = t;
  pod_target.sub.clear();
  Response r = co_await Delete(del, pod_target);
  if (r.status != 200) co_return r;
  co_return JsonResponse(201, SuccessStatus(201));
}

}  // namespace kubepp::apiserver
