#include "client/rest_client.h"

#include <algorithm>
#include <boost/json.hpp>

#include "async/timer.h"
#include "client/watch.h"

namespace kubepp::client {

namespace json = boost::json;
using async::Task;

namespace {

constexpr std::chrono::seconds kMaxRetryAfter{10};

// Query-string escaping (RFC 3986 unreserved characters pass).
std::string Escape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// Builds "?a=b&c=d".
class Query {
 public:
  void Add(std::string_view key, std::string_view value) {
    if (value.empty()) return;
    text_ += text_.empty() ? '?' : '&';
    text_ += key;
    text_ += '=';
    text_ += Escape(value);
  }
  const std::string& Text() const { return text_; }

 private:
  std::string text_;  // the query so far
};

StatusCode CodeOfReason(std::string_view reason) {
  for (int i = 1; i <= static_cast<int>(StatusCode::kTimeout); ++i) {
    auto code = static_cast<StatusCode>(i);
    if (ReasonOf(code) == reason) return code;
  }
  return StatusCode::kOk;
}

StatusCode CodeOfHttp(int http) {
  switch (http) {
    case 400:
      return StatusCode::kBadRequest;
    case 401:
      return StatusCode::kUnauthorized;
    case 403:
      return StatusCode::kForbidden;
    case 404:
      return StatusCode::kNotFound;
    case 405:
      return StatusCode::kMethodNotAllowed;
    case 406:
      return StatusCode::kNotAcceptable;
    case 409:
      return StatusCode::kConflict;
    case 410:
      return StatusCode::kGone;
    case 413:
      return StatusCode::kRequestEntityTooLarge;
    case 415:
      return StatusCode::kUnsupportedMediaType;
    case 422:
      return StatusCode::kInvalid;
    case 429:
      return StatusCode::kTooManyRequests;
    case 503:
      return StatusCode::kServiceUnavailable;
    case 504:
      return StatusCode::kTimeout;
    default:
      return StatusCode::kInternalError;
  }
}

std::string StringField(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return "";
  return std::string(v->get_string());
}

void AddWriteQuery(Query& q, bool dry_run, const std::string& field_manager,
                   const std::string& field_validation) {
  if (dry_run) q.Add("dryRun", "All");
  q.Add("fieldManager", field_manager);
  q.Add("fieldValidation", field_validation);
}

}  // namespace

std::string_view ContentTypeOf(PatchType type) {
  switch (type) {
    case PatchType::kJson:
      return "application/json-patch+json";
    case PatchType::kMerge:
      return "application/merge-patch+json";
    case PatchType::kStrategicMerge:
      return "application/strategic-merge-patch+json";
    case PatchType::kApply:
      return "application/apply-patch+yaml";
  }
  return "";
}

std::string PathOf(const ObjectPath& p) {
  std::string out = p.resource.group.empty() ? "/api/" : "/apis/" + p.resource.group + "/";
  out += p.resource.version;
  if (p.resource.namespaced && !p.namespace_.empty()) {
    out += "/namespaces/";
    out += Escape(p.namespace_);
  }
  out += '/';
  out += p.resource.resource;
  if (!p.name.empty()) {
    out += '/';
    out += Escape(p.name);
    if (!p.subresource.empty()) {
      out += '/';
      out += p.subresource;
    }
  }
  return out;
}

Status StatusFromObject(const json::value& status, int http_code) {
  const json::object* o = status.if_object();
  if (o == nullptr) {
    return {CodeOfHttp(http_code), "the server reported an error without a Status"};
  }
  if (StringField(*o, "status") == "Success") return Status::Ok();
  std::string message = StringField(*o, "message");
  StatusCode code = CodeOfReason(StringField(*o, "reason"));
  if (const json::value* c = o->if_contains("code"); c != nullptr && c->is_int64()) {
    http_code = static_cast<int>(c->as_int64());
  }
  if (code == StatusCode::kOk) code = CodeOfHttp(http_code);
  if (message.empty()) message = "the server reported " + std::string(ReasonOf(code));
  StatusDetails details;
  bool has_details = false;
  if (const json::value* d = o->if_contains("details"); d != nullptr && d->is_object()) {
    const json::object& dobj = d->get_object();
    has_details = true;
    details.name = StringField(dobj, "name");
    details.group = StringField(dobj, "group");
    details.kind = StringField(dobj, "kind");
    if (const json::value* r = dobj.if_contains("retryAfterSeconds"); r && r->is_int64()) {
      details.retry_after_seconds = static_cast<int>(r->as_int64());
    }
    if (const json::value* causes = dobj.if_contains("causes"); causes && causes->is_array()) {
      for (const json::value& c : causes->get_array()) {
        if (!c.is_object()) continue;
        details.causes.push_back(StatusCause{StringField(c.get_object(), "reason"),
                                             StringField(c.get_object(), "message"),
                                             StringField(c.get_object(), "field")});
      }
    }
  }
  if (has_details) return {code, std::move(message), std::move(details)};
  return {code, std::move(message)};
}

Status StatusFromResponse(const HttpResponse& res) {
  json::error_code ec;
  json::value v = json::parse(res.body, ec);
  if (!ec && v.is_object() && StringField(v.get_object(), "kind") == "Status") {
    Status s = StatusFromObject(v, res.status);
    if (!s.IsOk()) return s;
  }
  // Not a Status: client-go's generic server response wording.
  StatusCode code = CodeOfHttp(res.status);
  std::string message;
  switch (code) {
    case StatusCode::kNotFound:
      message = "the server could not find the requested resource";
      break;
    case StatusCode::kUnauthorized:
      message = "the server has asked for the client to provide credentials";
      break;
    case StatusCode::kForbidden:
      message = "the server does not allow access to the requested resource";
      break;
    case StatusCode::kConflict:
      message = "the server reported a conflict";
      break;
    case StatusCode::kTooManyRequests:
      message = "the server has received too many requests and has asked us to try again later";
      break;
    default:
      message = "an error on the server (\"" + res.body.substr(0, 256) +
                "\") has prevented the request from succeeding";
  }
  return {code, std::move(message)};
}

Result<std::unique_ptr<RestClient>> RestClient::Create(async::asio::any_io_executor ex,
                                                       RestConfig config, const Clock& clock) {
  KUBEPP_ASSIGN_OR_RETURN(auto transport, HttpTransport::Create(std::move(ex), config, clock));
  return std::unique_ptr<RestClient>(new RestClient(std::move(config), std::move(transport)));
}

RestClient::RestClient(RestConfig config, std::unique_ptr<HttpTransport> transport)
    : config_(std::move(config)), transport_(std::move(transport)) {}

Task<Result<HttpResponse>> RestClient::Do(HttpRequest req) {
  for (int attempt = 0;; ++attempt) {
    HttpRequest copy = req;
    auto res = co_await transport_->RoundTrip(std::move(copy));
    if (!res.IsOk()) co_return res;
    int code = res->status;
    bool retryable = (code == 429 || code == 500 || code == 503 || code == 504) &&
                     !res->retry_after.empty() && req.method == "GET";
    if (!retryable || attempt >= kMaxRetries) co_return res;
    int seconds = 1;
    try {
      seconds = std::stoi(res->retry_after);
    } catch (const std::exception&) {
      seconds = 1;
    }
    auto wait = std::min<std::chrono::nanoseconds>(std::chrono::seconds(std::max(seconds, 0)),
                                                   kMaxRetryAfter);
    co_await async::Sleep(wait);
  }
}

Task<Result<json::value>> RestClient::JsonCall(HttpRequest req) {
  auto res = co_await Do(std::move(req));
  if (!res.IsOk()) co_return res.status();
  if (res->status / 100 != 2) co_return StatusFromResponse(*res);
  json::error_code ec;
  json::value v = json::parse(res->body, ec);
  if (ec) co_return Status::Internal("malformed JSON from the server: " + ec.message());
  co_return v;
}

Task<Result<json::value>> RestClient::Get(ObjectPath path) {
  HttpRequest req;
  req.target = PathOf(path);
  co_return co_await JsonCall(std::move(req));
}

namespace {
std::string ListQuery(const ListOptions& opts, bool watch) {
  Query q;
  if (watch) q.Add("watch", "true");
  q.Add("labelSelector", opts.label_selector);
  q.Add("fieldSelector", opts.field_selector);
  q.Add("resourceVersion", opts.resource_version);
  q.Add("resourceVersionMatch", opts.resource_version_match);
  if (opts.limit > 0) q.Add("limit", std::to_string(opts.limit));
  q.Add("continue", opts.continue_token);
  if (watch && opts.allow_watch_bookmarks) q.Add("allowWatchBookmarks", "true");
  if (opts.timeout_seconds) q.Add("timeoutSeconds", std::to_string(*opts.timeout_seconds));
  if (watch && opts.send_initial_events) q.Add("sendInitialEvents", "true");
  return q.Text();
}
}  // namespace

Task<Result<json::value>> RestClient::List(ObjectPath path, ListOptions opts) {
  path.name.clear();
  HttpRequest req;
  req.target = PathOf(path) + ListQuery(opts, false);
  co_return co_await JsonCall(std::move(req));
}

Task<Result<json::value>> RestClient::Create(ObjectPath path, json::value obj, WriteOptions opts) {
  Query q;
  AddWriteQuery(q, opts.dry_run, opts.field_manager, opts.field_validation);
  HttpRequest req;
  req.method = "POST";
  req.target = PathOf(path) + q.Text();
  req.body = json::serialize(obj);
  co_return co_await JsonCall(std::move(req));
}

Task<Result<json::value>> RestClient::Update(ObjectPath path, json::value obj, WriteOptions opts) {
  Query q;
  AddWriteQuery(q, opts.dry_run, opts.field_manager, opts.field_validation);
  HttpRequest req;
  req.method = "PUT";
  req.target = PathOf(path) + q.Text();
  req.body = json::serialize(obj);
  co_return co_await JsonCall(std::move(req));
}

Task<Result<json::value>> RestClient::Patch(ObjectPath path, PatchType type, std::string patch,
                                            PatchOptions opts) {
  Query q;
  AddWriteQuery(q, opts.dry_run, opts.field_manager, opts.field_validation);
  if (opts.force && type == PatchType::kApply) q.Add("force", "true");
  HttpRequest req;
  req.method = "PATCH";
  req.target = PathOf(path) + q.Text();
  req.content_type = std::string(ContentTypeOf(type));
  req.body = std::move(patch);
  co_return co_await JsonCall(std::move(req));
}

Task<Result<json::value>> RestClient::Delete(ObjectPath path, DeleteOptions opts) {
  json::object body{{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
  if (opts.grace_period_seconds) body["gracePeriodSeconds"] = *opts.grace_period_seconds;
  if (!opts.propagation_policy.empty()) body["propagationPolicy"] = opts.propagation_policy;
  if (!opts.precondition_uid.empty() || !opts.precondition_resource_version.empty()) {
    json::object pre;
    if (!opts.precondition_uid.empty()) pre["uid"] = opts.precondition_uid;
    if (!opts.precondition_resource_version.empty()) {
      pre["resourceVersion"] = opts.precondition_resource_version;
    }
    body["preconditions"] = std::move(pre);
  }
  if (opts.dry_run) body["dryRun"] = json::array{"All"};
  HttpRequest req;
  req.method = "DELETE";
  req.target = PathOf(path);
  req.body = json::serialize(body);
  req.content_type = "application/json";
  co_return co_await JsonCall(std::move(req));
}

Task<Result<std::unique_ptr<WatchStream>>> RestClient::Watch(ObjectPath path, ListOptions opts) {
  path.name.clear();
  HttpRequest req;
  req.target = PathOf(path) + ListQuery(opts, true);
  // The request timeout covers the answer's headers; each read then waits for as long as the
  // server may keep the watch open, plus a margin for its last bookmark.
  std::chrono::milliseconds read_timeout{0};
  if (opts.timeout_seconds) read_timeout = std::chrono::seconds(*opts.timeout_seconds + 30);
  auto opened = co_await transport_->Open(std::move(req), read_timeout);
  if (!opened.IsOk()) co_return opened.status();
  if (!opened->stream) co_return StatusFromResponse(opened->response);
  co_return std::make_unique<WatchStream>(std::move(opened->stream));
}

}  // namespace kubepp::client
