#include "client/http_transport.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fstream>
#include <limits>
#include <sstream>

#include "client/run_on.h"

namespace kubepp::client {

namespace asio = async::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;  // NOLINT(readability-identifier-naming): Asio's own name
using async::kUseAwaitable;
using async::Task;

namespace internal {

// One keep-alive connection. Everything touching `stream` runs on `strand`.
struct Connection {
  explicit Connection(const asio::any_io_executor& ex)
      : strand(asio::make_strand(ex)), stream(strand) {}

  asio::any_io_executor strand;  // serialises every operation on this connection
  beast::tcp_stream stream;      // the socket, with Beast's timeouts
  beast::flat_buffer buffer;     // bytes read past the previous message
  std::unique_ptr<http::response_parser<http::buffer_body>> parser;  // a streamed response
  bool closed = false;  // Close() ran: no further reads
};

}  // namespace internal

namespace {

using internal::Connection;

constexpr uint64_t kNoBodyLimit = std::numeric_limits<uint64_t>::max();
constexpr std::chrono::minutes kTokenFileRefresh{1};

// What one request/response exchange on one connection needs and produces. Lives in the
// awaiting coroutine's frame; the exchange coroutine gets a pointer.
struct Exchange {
  Connection* conn = nullptr;
  const http::request<http::string_body>* msg = nullptr;
  const std::string* host = nullptr;
  const std::string* port = nullptr;
  std::chrono::milliseconds timeout{0};  // whole exchange; 0 = none
  bool headers_only = false;             // stream: stop after the headers of a 2xx
  // Results.
  HttpResponse response;
  bool wrote = false;       // some request bytes went out
  bool got_some = false;    // some response bytes came in
  bool keep_alive = false;  // the connection may be reused
};

Status NetError(const beast::error_code& ec, std::string_view what) {
  if (ec == beast::error::timeout) {
    return Status::Timeout(std::string(what) +
                           ": context deadline exceeded (Client.Timeout exceeded)");
  }
  return Status::Unavailable(std::string(what) + ": " + ec.message());
}

void Expire(Connection& c, std::chrono::steady_clock::time_point deadline, bool bounded) {
  if (bounded) {
    c.stream.expires_at(deadline);
  } else {
    c.stream.expires_never();
  }
}

std::string Header(const http::fields& f, http::field name) {
  auto it = f.find(name);
  return it == f.end() ? std::string() : std::string(it->value());
}

// Reads some body bytes of the streamed response into `out` (appending). Sets `done` at the
// end of the body.
Task<Status> ReadSomeBody(Connection* c, std::string* out, bool* done,
                          std::chrono::milliseconds timeout) {
  if (c->closed || !c->parser) co_return Status::Unavailable("stream closed");
  std::array<char, 16384> buf{};
  while (true) {
    if (c->parser->is_done()) {
      *done = true;
      co_return Status::Ok();
    }
    auto& body = c->parser->get().body();
    body.data = buf.data();
    body.size = buf.size();
    if (timeout.count() > 0) {
      c->stream.expires_after(timeout);
    } else {
      c->stream.expires_never();
    }
    auto [ec, n] = co_await http::async_read_some(c->stream, c->buffer, *c->parser, kUseAwaitable);
    if (ec == http::error::need_buffer) ec = {};
    size_t got = buf.size() - body.size;
    out->append(buf.data(), got);
    if (ec == http::error::end_of_stream || ec == asio::error::eof) {
      // The server closed; a body without length ends here, anything else was cut short.
      *done = true;
      if (c->parser->is_done() || got > 0) co_return Status::Ok();
      co_return Status::Unavailable("unexpected EOF");
    }
    if (ec) co_return NetError(ec, "read response body");
    if (c->closed) co_return Status::Unavailable("stream closed");
    if (got > 0 || c->parser->is_done()) {
      *done = c->parser->is_done();
      co_return Status::Ok();
    }
  }
}

// Connects if needed, writes the request, reads the response (or only its headers).
Task<Status> RunExchange(Exchange* x) {
  Connection& c = *x->conn;
  const bool bounded = x->timeout.count() > 0;
  const auto deadline = std::chrono::steady_clock::now() + x->timeout;
  if (!c.stream.socket().is_open()) {
    tcp::resolver resolver(co_await asio::this_coro::executor);
    auto [rec, results] = co_await resolver.async_resolve(*x->host, *x->port, kUseAwaitable);
    if (rec) co_return NetError(rec, "dial tcp: lookup " + *x->host);
    Expire(c, deadline, bounded);
    auto [cec, ep] = co_await c.stream.async_connect(results, kUseAwaitable);
    if (cec) co_return NetError(cec, "dial tcp " + *x->host + ":" + *x->port);
    beast::error_code ignored;
    c.stream.socket().set_option(tcp::no_delay(true), ignored);
  }
  Expire(c, deadline, bounded);
  auto [wec, written] = co_await http::async_write(c.stream, *x->msg, kUseAwaitable);
  x->wrote = written > 0;
  if (wec) co_return NetError(wec, "write request");

  if (x->headers_only) {
    c.parser = std::make_unique<http::response_parser<http::buffer_body>>();
    c.parser->body_limit(kNoBodyLimit);
    auto [hec, n] = co_await http::async_read_header(c.stream, c.buffer, *c.parser, kUseAwaitable);
    x->got_some = c.parser->got_some();
    if (hec) co_return NetError(hec, "read response headers");
    const auto& head = c.parser->get();
    x->response.status = static_cast<int>(head.result_int());
    x->response.content_type = Header(head, http::field::content_type);
    x->response.retry_after = Header(head, http::field::retry_after);
    if (x->response.status / 100 == 2) co_return Status::Ok();
    // An error answer: read it whole.
    bool done = false;
    while (!done) {
      Status s = co_await ReadSomeBody(&c, &x->response.body, &done, x->timeout);
      if (!s.IsOk()) co_return s;
    }
    x->keep_alive = c.parser->get().keep_alive();
    c.parser.reset();
    co_return Status::Ok();
  }

  http::response_parser<http::string_body> parser;
  parser.body_limit(kNoBodyLimit);
  Expire(c, deadline, bounded);
  auto [rec, n] = co_await http::async_read(c.stream, c.buffer, parser, kUseAwaitable);
  x->got_some = parser.got_some();
  if (rec) co_return NetError(rec, "read response");
  auto& res = parser.get();
  x->response.status = static_cast<int>(res.result_int());
  x->response.content_type = Header(res, http::field::content_type);
  x->response.retry_after = Header(res, http::field::retry_after);
  x->keep_alive = res.keep_alive();
  x->response.body = std::move(res.body());
  c.stream.expires_never();
  co_return Status::Ok();
}

bool Replayable(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "TRACE";
}

std::string EncodeBase64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v =
        (uint32_t(uint8_t(in[i])) << 16) | (uint32_t(uint8_t(in[i + 1])) << 8) | uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kAlphabet[(v >> s) & 63]);
  }
  if (i < in.size()) {
    uint32_t v = uint32_t(uint8_t(in[i])) << 16;
    if (i + 1 < in.size()) v |= uint32_t(uint8_t(in[i + 1])) << 8;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

}  // namespace

// ---- HttpStream

HttpStream::HttpStream(std::shared_ptr<internal::Connection> conn,
                       std::chrono::milliseconds read_timeout)
    : conn_(std::move(conn)), read_timeout_(read_timeout) {}

HttpStream::~HttpStream() { Close(); }

Task<Result<std::string>> HttpStream::Read() {
  std::string out;
  bool done = false;
  internal::Connection* c = conn_.get();
  std::chrono::milliseconds timeout = read_timeout_;
  auto fn = [c, &out, &done, timeout] { return ReadSomeBody(c, &out, &done, timeout); };
  Status s = co_await internal::RunOn(conn_->strand, std::move(fn));
  if (!s.IsOk()) co_return s;
  co_return out;
}

void HttpStream::Close() {
  asio::post(conn_->strand, [c = conn_] {
    if (c->closed) return;
    c->closed = true;
    beast::error_code ignored;
    c->stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    c->stream.close();
  });
}

// ---- HttpTransport

Result<std::unique_ptr<HttpTransport>> HttpTransport::Create(asio::any_io_executor ex,
                                                             const RestConfig& config,
                                                             const Clock& clock) {
  std::unique_ptr<HttpTransport> t(new HttpTransport(std::move(ex), config, clock));
  std::string_view url = config.server;
  auto sep = url.find("://");
  if (sep == std::string_view::npos) {
    return Status::BadRequest("server URL has no scheme: " + config.server);
  }
  std::string_view scheme = url.substr(0, sep);
  if (scheme == "https") {
    return Status::Unavailable("https servers are not supported yet: " + config.server);
  }
  if (scheme != "http") return Status::BadRequest("unsupported URL scheme: " + config.server);
  std::string_view rest = url.substr(sep + 3);
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    t->prefix_ = std::string(rest.substr(slash));
    while (!t->prefix_.empty() && t->prefix_.back() == '/') t->prefix_.pop_back();
  }
  if (authority.empty()) return Status::BadRequest("server URL has no host: " + config.server);
  t->host_header_ = std::string(authority);
  t->port_ = "80";
  if (authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos)
      return Status::BadRequest("bad IPv6 host: " + config.server);
    t->host_ = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size() && authority[close + 1] == ':') {
      t->port_ = std::string(authority.substr(close + 2));
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    t->host_ = std::string(authority.substr(0, colon));
    t->port_ = std::string(authority.substr(colon + 1));
  } else {
    t->host_ = std::string(authority);
  }
  if (t->port_.empty()) return Status::BadRequest("bad port in server URL: " + config.server);
  return t;
}

HttpTransport::HttpTransport(asio::any_io_executor ex, RestConfig config, const Clock& clock)
    : ex_(std::move(ex)), config_(std::move(config)), clock_(clock), token_(config_.bearer_token) {}

HttpTransport::~HttpTransport() = default;

std::shared_ptr<Connection> HttpTransport::TakeIdle() {
  std::lock_guard lock(mu_);
  if (idle_.empty()) return nullptr;
  auto c = std::move(idle_.back());
  idle_.pop_back();
  return c;
}

std::shared_ptr<Connection> HttpTransport::NewConnection() {
  std::lock_guard lock(mu_);
  ++opened_;
  return std::make_shared<Connection>(ex_);
}

void HttpTransport::PutIdle(std::shared_ptr<Connection> conn) {
  std::lock_guard lock(mu_);
  if (static_cast<int>(idle_.size()) < config_.max_idle_connections) {
    idle_.push_back(std::move(conn));
  }
}

size_t HttpTransport::IdleConnections() const {
  std::lock_guard lock(mu_);
  return idle_.size();
}

uint64_t HttpTransport::ConnectionsOpened() const {
  std::lock_guard lock(mu_);
  return opened_;
}

std::string HttpTransport::Authorization() {
  std::lock_guard lock(mu_);
  if (!config_.bearer_token_file.empty() &&
      (token_.empty() || clock_.Now() - token_read_ > kTokenFileRefresh)) {
    std::ifstream in(config_.bearer_token_file);
    if (in) {
      std::stringstream ss;
      ss << in.rdbuf();
      std::string t = ss.str();
      while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
      if (!t.empty()) token_ = std::move(t);
      token_read_ = clock_.Now();
    }
  }
  if (!token_.empty()) return "Bearer " + token_;
  if (!config_.username.empty()) {
    return "Basic " + EncodeBase64(config_.username + ":" + config_.password);
  }
  return "";
}

namespace {
http::request<http::string_body> BuildMessage(HttpRequest& req, const std::string& prefix,
                                              const std::string& host, const std::string& agent,
                                              const std::string& auth) {
  http::request<http::string_body> m;
  m.version(11);
  m.method_string(req.method);
  m.target(prefix + req.target);
  m.set(http::field::host, host);
  m.set(http::field::user_agent, agent);
  m.set(http::field::accept, req.accept);
  if (!auth.empty()) m.set(http::field::authorization, auth);
  if (!req.body.empty() || req.method == "POST" || req.method == "PUT" || req.method == "PATCH") {
    m.set(http::field::content_type,
          req.content_type.empty() ? std::string("application/json") : req.content_type);
    m.body() = std::move(req.body);
  }
  m.keep_alive(true);
  m.prepare_payload();
  return m;
}
}  // namespace

Task<Result<HttpResponse>> HttpTransport::RoundTrip(HttpRequest req) {
  std::string auth = Authorization();
  auto msg = BuildMessage(req, prefix_, host_header_, config_.user_agent, auth);
  std::chrono::milliseconds timeout = req.timeout.count() < 0 ? config_.timeout : req.timeout;
  for (int attempt = 0;; ++attempt) {
    auto conn = TakeIdle();
    const bool reused = conn != nullptr;
    if (!conn) conn = NewConnection();
    Exchange x;
    x.conn = conn.get();
    x.msg = &msg;
    x.host = &host_;
    x.port = &port_;
    x.timeout = timeout;
    auto fn = [p = &x] { return RunExchange(p); };
    Status s = co_await internal::RunOn(conn->strand, std::move(fn));
    if (s.IsOk()) {
      if (x.keep_alive) PutIdle(std::move(conn));
      co_return std::move(x.response);
    }
    // Go's rule: a reused connection that failed before any answer is retried when nothing was
    // written or the request is replayable (the server closed an idle connection).
    if (attempt == 0 && reused && !x.got_some && (!x.wrote || Replayable(req.method))) continue;
    co_return s;
  }
}

Task<Result<HttpTransport::Opened>> HttpTransport::Open(HttpRequest req,
                                                        std::chrono::milliseconds read_timeout) {
  std::string auth = Authorization();
  auto msg = BuildMessage(req, prefix_, host_header_, config_.user_agent, auth);
  std::chrono::milliseconds timeout = req.timeout.count() < 0 ? config_.timeout : req.timeout;
  for (int attempt = 0;; ++attempt) {
    auto conn = TakeIdle();
    const bool reused = conn != nullptr;
    if (!conn) conn = NewConnection();
    Exchange x;
    x.conn = conn.get();
    x.msg = &msg;
    x.host = &host_;
    x.port = &port_;
    x.timeout = timeout;
    x.headers_only = true;
    auto fn = [p = &x] { return RunExchange(p); };
    Status s = co_await internal::RunOn(conn->strand, std::move(fn));
    if (s.IsOk()) {
      Opened out;
      out.response = std::move(x.response);
      if (out.response.status / 100 == 2) {
        out.stream = std::make_unique<HttpStream>(std::move(conn), read_timeout);
      } else if (x.keep_alive) {
        PutIdle(std::move(conn));
      }
      co_return out;
    }
    if (attempt == 0 && reused && !x.got_some && (!x.wrote || Replayable(req.method))) continue;
    co_return s;
  }
}

}  // namespace kubepp::client
