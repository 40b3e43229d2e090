// HttpTransport: HTTP/1.1 requests to one API server over a small pool of keep-alive
// connections (Boost.Beast), the way Go's http.Transport serves client-go.
//
// - Each connection lives on its own strand; a request runs there (RunOn) and the caller resumes
//   on its own executor, so callers on any executor or strand may share one transport.
// - Idle connections are kept (up to RestConfig::max_idle_connections) and reused; a request
//   that fails on a reused connection before any response byte arrived is retried once on a
//   new connection when that is safe (nothing was written, or the method is idempotent), as Go
//   does for a server that closed an idle connection.
// - Timeouts: RestConfig::timeout bounds a whole request (connect, write, read) unless the
//   request sets its own; streams (watch) bound each read instead.
// - Authentication: bearer token (or token file, re-read every minute) or basic auth.
// - Only http:// for now; https:// is refused with Unavailable until TLS lands (the TLS fields of
//   RestConfig are kept for it).
//
// Thread-safe. The transport must outlive every request and stream it started.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "async/runtime.h"
#include "base/clock.h"
#include "base/status.h"
#include "client/kubeconfig.h"

namespace kubepp::client {

struct HttpRequest {
  std::string method = "GET";
  std::string target;  // path and query, e.g. "/api/v1/pods?limit=500"
  std::string body;
  std::string content_type;  // of the body
  std::string accept = "application/json";
  std::chrono::milliseconds timeout{-1};  // < 0: RestConfig::timeout; 0: none
};

struct HttpResponse {
  int status = 0;            // HTTP status code
  std::string content_type;  // Content-Type
  std::string body;          // whole body (empty for an open stream)
  std::string retry_after;   // Retry-After header, if any
};

namespace internal {
struct Connection;
}

// The body of a response being read as it arrives (a watch). One reader coroutine at a time.
class HttpStream {
 public:
  explicit HttpStream(std::shared_ptr<internal::Connection> conn,
                      std::chrono::milliseconds read_timeout);
  ~HttpStream();
  HttpStream(const HttpStream&) = delete;
  HttpStream& operator=(const HttpStream&) = delete;

  // The next bytes of the body; "" at the clean end of the body. Unavailable when the
  // connection broke or Close() was called; Timeout when a read took longer than the timeout.
  async::Task<Result<std::string>> Read();
  // Ends the stream from any thread: a pending Read() returns promptly. Idempotent.
  void Close();

 private:
  std::shared_ptr<internal::Connection> conn_;  // the connection (never returned to the pool)
  std::chrono::milliseconds read_timeout_;      // per read; 0 = none
};

class HttpTransport {
 public:
  // Unavailable for an https:// server (not yet); BadRequest for a malformed server URL.
  static Result<std::unique_ptr<HttpTransport>> Create(async::asio::any_io_executor ex,
                                                       const RestConfig& config,
                                                       const Clock& clock = Clock::Real());
  ~HttpTransport();
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  // Sends `req` and reads the whole response. Errors are transport errors only (Unavailable:
  // cannot connect or the connection broke; Timeout); any HTTP status is a response.
  async::Task<Result<HttpResponse>> RoundTrip(HttpRequest req);

  // Sends `req` and reads the response headers. A 2xx answer comes with a stream for the body
  // (`stream` set, response.body empty); any other answer is read whole into `response`.
  struct Opened {
    HttpResponse response;
    std::unique_ptr<HttpStream> stream;
  };
  async::Task<Result<Opened>> Open(HttpRequest req, std::chrono::milliseconds read_timeout);

  // Idle keep-alive connections now (tests, metrics).
  size_t IdleConnections() const;
  // Connections opened so far (tests, metrics).
  uint64_t ConnectionsOpened() const;
  // The path prefix of the server URL ("" or e.g. "/k8s"), to put before API paths.
  const std::string& PathPrefix() const { return prefix_; }

 private:
  HttpTransport(async::asio::any_io_executor ex, RestConfig config, const Clock& clock);
  std::shared_ptr<internal::Connection> TakeIdle();
  std::shared_ptr<internal::Connection> NewConnection();
  void PutIdle(std::shared_ptr<internal::Connection> conn);
  std::string Authorization();

  async::asio::any_io_executor ex_;  // the io_context executor connections are made on
  RestConfig config_;                // server, credentials, limits
  const Clock& clock_;               // token file refresh
  std::string host_;                 // server host (no brackets)
  std::string port_;                 // server port
  std::string host_header_;          // Host header value
  std::string prefix_;               // path prefix of the server URL
  mutable std::mutex mu_;            // guards the fields below
  std::vector<std::shared_ptr<internal::Connection>> idle_;  // keep-alive connections, LIFO
  uint64_t opened_ = 0;                                      // connections made
  std::string token_;                                        // bearer token in use
  Clock::TimePoint token_read_{};                            // when token_file was last read
};

}  // namespace kubepp::client
