// HttpServer: HTTP/1.1 on Boost.Beast, one coroutine per connection, keep-alive.
//
// Request handlers are functions from Request to Response with no socket in sight (Beast
// example style). A Response is either a whole body, or a stream: the server sends the headers
// with chunked transfer encoding and runs the stream coroutine, which writes chunks until it
// returns or the client goes away (watch).
//
// Limits: request bodies over max_body_bytes get 413 with a Kubernetes Status and the
// connection is closed; a client that stalls mid-request or idles between requests longer than
// the timeouts is disconnected, so a slow client costs a coroutine frame, never a thread.
//
// Threading: Start()/Stop() from one control thread. Each connection runs on its own strand of
// the runtime's io_context; handlers run on that strand and must not block (use RunBlocking).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "async/gate.h"
#include "async/runtime.h"
#include "base/status.h"

namespace kubepp::apiserver {

struct Request {
  std::string method;                             // "GET", "POST", ...
  std::string path;                               // percent-decoded path, e.g. "/api/v1/pods"
  std::multimap<std::string, std::string> query;  // decoded query parameters
  std::map<std::string, std::string> headers;     // lower-cased names
  std::string body;                               // the whole request body
  std::string remote;                             // "ip:port" of the client

  // The first value of a query parameter, or "" when absent.
  std::string Query(std::string_view name) const;
  bool HasQuery(std::string_view name) const;
  // A boolean query parameter as upstream converts it (runtime.Convert_Slice_string_To_bool):
  // false when absent, "0" or "false" in any case; true for any other value, even "" — so
  // client-go's "true", Python's "True" and "1" all mean true.
  bool QueryBool(std::string_view name) const;
  // A header by lower-case name, or "".
  std::string Header(std::string_view name) const;
};

// Writes chunks of a streaming response. Owned by the server; valid during the stream call.
class ChunkWriter {
 public:
  virtual ~ChunkWriter() = default;
  // Sends one chunk. False when the client is gone (the stream should return).
  virtual async::Task<bool> Write(std::string data) = 0;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::map<std::string, std::string> headers;  // extra headers (e.g. Warning, Location)
  // When set, the response streams: headers go out, then this runs with a writer.
  std::function<async::Task<void>(ChunkWriter&)> stream;
};

using Handler = std::function<async::Task<Response>(Request)>;

struct HttpServerOptions {
  std::string bind_address = "127.0.0.1";
  int port = 6443;                                  // 0: pick a free port
  size_t max_body_bytes = size_t{3} * 1024 * 1024;  // upstream's limit: 3 MiB
  std::chrono::seconds read_timeout{60};            // to receive one whole request
  std::chrono::seconds idle_timeout{120};           // between requests on a connection
  std::chrono::seconds write_timeout{60};           // to send one response or chunk
};

// A Kubernetes metav1.Status JSON body for an error Status.
std::string StatusBody(const Status& status);
// A Response carrying `status` as a metav1.Status with its HTTP code.
Response ErrorResponse(const Status& status);

class HttpServer {
 public:
  HttpServer(async::Runtime& runtime, HttpServerOptions options, Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting. A port in use or a bad address is a clear Status.
  Status Start();
  // Stops accepting, closes every connection, waits for their coroutines to end.
  void Stop();
  // The bound port (useful with port 0).
  int Port() const { return port_; }

 private:
  class Connection;
  async::Task<void> Accept();
  async::Task<void> Serve(std::shared_ptr<Connection> conn);

  async::Runtime& runtime_;                                   // runs every connection
  HttpServerOptions options_;                                 // limits and address
  Handler handler_;                                           // what answers requests
  std::unique_ptr<async::asio::ip::tcp::acceptor> acceptor_;  // while started
  int port_ = 0;                                              // bound port
  async::Gate gate_;                                   // accept loop and connections in flight
  std::mutex mu_;                                      // guards connections_
  std::set<std::shared_ptr<Connection>> connections_;  // open connections, closed on Stop()
};

}  // namespace kubepp::apiserver
