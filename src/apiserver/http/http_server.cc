#include "apiserver/http/http_server.h"

#include <array>
#include <boost/algorithm/string/predicate.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include "base/log.h"

namespace kubepp::apiserver {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using async::kUseAwaitable;
using async::Task;

std::string Request::Query(std::string_view name) const {
  auto it = query.find(std::string(name));
  return it == query.end() ? std::string() : it->second;
}

bool Request::HasQuery(std::string_view name) const {
  return query.find(std::string(name)) != query.end();
}

bool Request::QueryBool(std::string_view name) const {
  auto it = query.find(std::string(name));
  if (it == query.end()) return false;
  return !(it->second == "0" || boost::algorithm::iequals(it->second, "false"));
}

std::string Request::Header(std::string_view name) const {
  auto it = headers.find(std::string(name));
  return it == headers.end() ? std::string() : it->second;
}

std::string StatusBody(const Status& status) {
  boost::json::object obj;
  obj["kind"] = "Status";
  obj["apiVersion"] = "v1";
  obj["metadata"] = boost::json::object();
  obj["status"] = status.IsOk() ? "Success" : "Failure";
  if (!status.Message().empty()) obj["message"] = status.Message();
  if (!status.Reason().empty()) obj["reason"] = status.Reason();
  if (const StatusDetails* d = status.Details()) {
    boost::json::object details;
    if (!d->name.empty()) details["name"] = d->name;
    if (!d->group.empty()) details["group"] = d->group;
    if (!d->kind.empty()) details["kind"] = d->kind;
    if (!d->causes.empty()) {
      boost::json::array causes;
      for (const auto& c : d->causes) {
        boost::json::object co;
        if (!c.type.empty()) co["reason"] = c.type;
        if (!c.message.empty()) co["message"] = c.message;
        if (!c.field.empty()) co["field"] = c.field;
        causes.push_back(std::move(co));
      }
      details["causes"] = std::move(causes);
    }
    if (d->retry_after_seconds > 0) details["retryAfterSeconds"] = d->retry_after_seconds;
    obj["details"] = std::move(details);
  }
  obj["code"] = status.HttpCode();
  return boost::json::serialize(obj);
}

Response ErrorResponse(const Status& status) {
  Response r;
  r.status = status.HttpCode();
  r.body = StatusBody(status);
  if (const StatusDetails* d = status.Details(); d != nullptr && d->retry_after_seconds > 0) {
    r.headers["Retry-After"] = std::to_string(d->retry_after_seconds);
  }
  return r;
}

// One client connection: its stream lives on its own strand.
class HttpServer::Connection {
 public:
  explicit Connection(tcp::socket socket) : stream(std::move(socket)) {}
  beast::tcp_stream stream;  // the socket with Beast's timeouts
};

namespace {

// Streams chunks of one response on a connection.
class BeastChunkWriter final : public ChunkWriter {
 public:
  BeastChunkWriter(beast::tcp_stream& stream, std::chrono::seconds timeout)
      : stream_(stream), timeout_(timeout) {}

  Task<bool> Write(std::string data) override {
    if (failed_) co_return false;
    if (data.empty()) co_return true;
    stream_.expires_after(timeout_);
    auto [ec, n] =
        co_await asio::async_write(stream_, http::make_chunk(asio::buffer(data)), kUseAwaitable);
    if (ec) failed_ = true;
    co_return !failed_;
  }

  Task<void> Finish() {
    if (failed_) co_return;
    stream_.expires_after(timeout_);
    auto [ec, n] = co_await asio::async_write(stream_, http::make_chunk_last(), kUseAwaitable);
    if (ec) failed_ = true;
  }

  bool Failed() const { return failed_; }

 private:
  beast::tcp_stream& stream_;     // the connection's stream
  std::chrono::seconds timeout_;  // per chunk
  bool failed_ = false;           // the client is gone
};

Request ToRequest(const http::request<http::string_body>& req, const std::string& remote,
                  bool& bad_target) {
  Request out;
  out.method = std::string(req.method_string());
  out.remote = remote;
  auto target = req.target();
  auto url = boost::urls::parse_origin_form(std::string_view(target.data(), target.size()));
  if (!url) {
    bad_target = true;
    return out;
  }
  out.path = std::string(url->path());
  for (auto param : url->params()) out.query.emplace(param.key, param.value);
  for (const auto& field : req) {
    std::string name(field.name_string());
    for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    out.headers[name] = std::string(field.value());
  }
  out.body = req.body();
  return out;
}

// Closes after an early answer (413) while the client may still be sending: shut down our
// side, then read and drop what remains for a bounded time, so that the kernel does not answer
// the unread bytes with a reset that would destroy the response before the client reads it.
Task<void> LingeringClose(beast::tcp_stream& stream) {
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  std::array<char, 16384> sink{};
  size_t drained = 0;
  stream.expires_after(std::chrono::seconds(2));
  while (drained < 64 * 1024 * 1024) {
    auto [ec, n] = co_await stream.async_read_some(asio::buffer(sink), kUseAwaitable);
    if (ec) break;
    drained += n;
  }
}

}  // namespace

HttpServer::HttpServer(async::Runtime& runtime, HttpServerOptions options, Handler handler)
    : runtime_(runtime), options_(std::move(options)), handler_(std::move(handler)) {}

HttpServer::~HttpServer() { Stop(); }

Status HttpServer::Start() {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(options_.bind_address, ec);
  if (ec) return Status::BadRequest("invalid bind address \"" + options_.bind_address + "\"");
  tcp::endpoint endpoint(address, static_cast<uint16_t>(options_.port));
  auto acceptor = std::make_unique<tcp::acceptor>(asio::make_strand(runtime_.Context()));
  if (acceptor->open(endpoint.protocol(), ec); ec) {
    return Status::Unavailable("cannot open socket: " + ec.message());
  }
  acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (acceptor->bind(endpoint, ec); ec) {
    return Status::Unavailable("cannot listen on " + options_.bind_address + ":" +
                               std::to_string(options_.port) + ": " + ec.message());
  }
  if (acceptor->listen(asio::socket_base::max_listen_connections, ec); ec) {
    return Status::Unavailable("cannot listen: " + ec.message());
  }
  port_ = acceptor->local_endpoint().port();
  acceptor_ = std::move(acceptor);
  auto hold = gate_.TryEnter();
  if (!hold) return Status::Unavailable("server is stopping");
  asio::co_spawn(acceptor_->get_executor(), Accept(),
                 [h = std::move(hold)](const std::exception_ptr& e) mutable {
                   KUBEPP_CHECK(!e, "exception escaped the accept loop");
                   h.Release();
                 });
  return Status::Ok();
}

void HttpServer::Stop() {
  if (!acceptor_ || gate_.IsClosed()) return;
  gate_.Close();
  asio::post(acceptor_->get_executor(), [this] {
    boost::system::error_code ignored;
    acceptor_->close(ignored);
  });
  {
    std::lock_guard lock(mu_);
    for (const auto& conn : connections_) {
      asio::post(conn->stream.get_executor(), [conn] {
        boost::system::error_code ignored;
        conn->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
        conn->stream.close();
      });
    }
  }
  gate_.Wait();
}

Task<void> HttpServer::Accept() {
  while (true) {
    auto [ec, socket] =
        co_await acceptor_->async_accept(asio::make_strand(runtime_.Context()), kUseAwaitable);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_->is_open()) co_return;
      KLOG_WARNING("accept: {}", ec.message());
      continue;
    }
    auto hold = gate_.TryEnter();
    if (!hold) co_return;
    auto conn = std::make_shared<Connection>(std::move(socket));
    {
      std::lock_guard lock(mu_);
      connections_.insert(conn);
    }
    asio::co_spawn(conn->stream.get_executor(), Serve(conn),
                   [this, conn, h = std::move(hold)](const std::exception_ptr& e) mutable {
                     KUBEPP_CHECK(!e, "exception escaped a connection");
                     {
                       std::lock_guard lock(mu_);
                       connections_.erase(conn);
                     }
                     h.Release();
                   });
  }
}

Task<void> HttpServer::Serve(std::shared_ptr<Connection> conn) {
  auto& stream = conn->stream;
  std::string remote;
  {
    boost::system::error_code ec;
    auto ep = stream.socket().remote_endpoint(ec);
    if (!ec) remote = ep.address().to_string() + ":" + std::to_string(ep.port());
  }
  beast::flat_buffer buffer;
  bool first = true;
  while (true) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(options_.max_body_bytes);
    parser.header_limit(1024 * 1024);
    // Idle time before the next request starts, then the read timeout for the request itself.
    stream.expires_after(first ? options_.read_timeout : options_.idle_timeout);
    first = false;
    auto [hec, hn] = co_await http::async_read_header(stream, buffer, parser, kUseAwaitable);
    boost::system::error_code ec = hec;
    if (!ec) {
      stream.expires_after(options_.read_timeout);
      auto [bec, bn] = co_await http::async_read(stream, buffer, parser, kUseAwaitable);
      ec = bec;
    }
    // A Content-Length over the limit fails already at the header; a chunked body, later.
    if (ec == http::error::body_limit) {
      Status too_large = Status::TooLarge("Request entity too large: limit is " +
                                          std::to_string(options_.max_body_bytes));
      http::response<http::string_body> res{http::status::payload_too_large, 11};
      res.set(http::field::content_type, "application/json");
      res.set(http::field::connection, "close");
      res.body() = StatusBody(too_large);
      res.prepare_payload();
      stream.expires_after(options_.write_timeout);
      co_await http::async_write(stream, res, kUseAwaitable);
      co_await LingeringClose(stream);
      co_return;
    }
    if (ec) co_return;  // closed, timed out, or garbage: nothing to answer
    auto req = parser.release();
    bool keep_alive = req.keep_alive();
    bool bad_target = false;
    Request request = ToRequest(req, remote, bad_target);
    // Not a conditional expression: GCC 12 destroys a co_await temporary inside ?: twice.
    Response response;
    if (bad_target) {
      response = ErrorResponse(Status::BadRequest("malformed request target"));
    } else {
      response = co_await handler_(std::move(request));
    }

    if (response.stream) {
      http::response<http::empty_body> res{static_cast<http::status>(response.status),
                                           req.version()};
      res.set(http::field::content_type, response.content_type);
      for (const auto& [k, v] : response.headers) res.set(k, v);
      res.chunked(true);
      http::response_serializer<http::empty_body> sr{res};
      stream.expires_after(options_.write_timeout);
      auto [wec, wn] = co_await http::async_write_header(stream, sr, kUseAwaitable);
      if (wec) co_return;
      BeastChunkWriter writer(stream, options_.write_timeout);
      co_await response.stream(writer);
      co_await writer.Finish();
      if (writer.Failed()) co_return;
    } else {
      http::response<http::string_body> res{static_cast<http::status>(response.status),
                                            req.version()};
      res.set(http::field::content_type, response.content_type);
      for (const auto& [k, v] : response.headers) res.set(k, v);
      res.keep_alive(keep_alive);
      res.body() = std::move(response.body);
      res.prepare_payload();
      stream.expires_after(options_.write_timeout);
      auto [wec, wn] = co_await http::async_write(stream, res, kUseAwaitable);
      if (wec) co_return;
    }
    if (!keep_alive) break;
  }
  boost::system::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace kubepp::apiserver
