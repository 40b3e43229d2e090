#include "apiserver/http/http_server.h"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include "async/timer.h"

namespace kubepp::apiserver {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

async::Task<Response> Echo(Request req) {
  Response r;
  if (req.path == "/stream") {
    r.stream = [](ChunkWriter& w) -> async::Task<void> {
      for (int i = 0; i < 3; ++i) {
        if (!co_await w.Write("chunk" + std::to_string(i) + "\n")) co_return;
        co_await async::Sleep(5ms);
      }
    };
    co_return r;
  }
  if (req.path == "/error") co_return ErrorResponse(Status::NotFound("nope"));
  boost::json::object o;
  o["method"] = req.method;
  o["path"] = req.path;
  o["q"] = req.Query("labelSelector");
  o["ua"] = req.Header("user-agent");
  o["len"] = req.body.size();
  r.body = boost::json::serialize(o);
  co_return r;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    runtime_.Start();
    HttpServerOptions opts;
    opts.port = 0;
    opts.max_body_bytes = 1024;
    opts.read_timeout = 1s;
    opts.idle_timeout = 1s;
    server_ = std::make_unique<HttpServer>(runtime_, opts, &Echo);
    ASSERT_TRUE(server_->Start().IsOk());
  }
  void TearDown() override {
    server_->Stop();
    runtime_.Stop();
  }

  tcp::socket Connect() {
    tcp::socket s(client_io_);
    s.connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(server_->Port())));
    return s;
  }

  http::response<http::string_body> RoundTrip(tcp::socket& s,
                                              http::request<http::string_body> req) {
    req.set(http::field::host, "localhost");
    req.prepare_payload();
    http::write(s, req);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(s, buf, res);
    return res;
  }

  async::Runtime runtime_{2};
  asio::io_context client_io_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, DecodesRequestAndKeepsAlive) {
  auto s = Connect();
  for (int i = 0; i < 3; ++i) {
    http::request<http::string_body> req{
        http::verb::post, "/api/v1/namespaces/a%20b/pods?labelSelector=app%3Dweb", 11};
    req.set(http::field::user_agent, "kubectl/v1.33");
    req.body() = "hello";
    auto res = RoundTrip(s, req);
    EXPECT_EQ(res.result_int(), 200);
    auto v = boost::json::parse(res.body()).as_object();
    EXPECT_EQ(v["method"], "POST");
    EXPECT_EQ(v["path"], "/api/v1/namespaces/a b/pods");
    EXPECT_EQ(v["q"], "app=web");
    EXPECT_EQ(v["ua"], "kubectl/v1.33");
    EXPECT_EQ(v["len"], 5);
  }
}

TEST_F(HttpServerTest, ErrorsAreKubernetesStatus) {
  auto s = Connect();
  auto res = RoundTrip(s, {http::verb::get, "/error", 11});
  EXPECT_EQ(res.result_int(), 404);
  auto v = boost::json::parse(res.body()).as_object();
  EXPECT_EQ(v["kind"], "Status");
  EXPECT_EQ(v["status"], "Failure");
  EXPECT_EQ(v["reason"], "NotFound");
  EXPECT_EQ(v["message"], "nope");
  EXPECT_EQ(v["code"], 404);
}

TEST_F(HttpServerTest, OversizedBodyIs413) {
  auto s = Connect();
  http::request<http::string_body> req{http::verb::post, "/api/v1/configmaps", 11};
  req.body() = std::string(4096, 'x');
  auto res = RoundTrip(s, req);
  EXPECT_EQ(res.result_int(), 413);
  auto v = boost::json::parse(res.body()).as_object();
  EXPECT_EQ(v["reason"], "RequestEntityTooLarge");
  EXPECT_EQ(v["message"], "Request entity too large: limit is 1024");
}

TEST_F(HttpServerTest, StreamsChunks) {
  auto s = Connect();
  auto res = RoundTrip(s, {http::verb::get, "/stream", 11});
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), "chunk0\nchunk1\nchunk2\n");
}

TEST_F(HttpServerTest, StalledClientIsDisconnected) {
  auto s = Connect();
  std::string partial = "GET /api HTTP/1.1\r\nHost: x\r\n";  // never finishes its headers
  asio::write(s, asio::buffer(partial));
  char byte = 0;
  boost::system::error_code ec;
  asio::read(s, asio::buffer(&byte, 1), ec);  // returns when the server closes
  EXPECT_EQ(ec, asio::error::eof);
}

TEST_F(HttpServerTest, StopClosesIdleConnections) {
  auto s = Connect();
  auto res = RoundTrip(s, {http::verb::get, "/x", 11});
  EXPECT_EQ(res.result_int(), 200);
  server_->Stop();
  char byte = 0;
  boost::system::error_code ec;
  asio::read(s, asio::buffer(&byte, 1), ec);
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
}

TEST_F(HttpServerTest, PortInUseIsAClearError) {
  HttpServerOptions opts;
  opts.port = server_->Port();
  HttpServer second(runtime_, opts, &Echo);
  Status s = second.Start();
  EXPECT_EQ(s.Code(), StatusCode::kServiceUnavailable);
  EXPECT_NE(s.Message().find("cannot listen on 127.0.0.1:"), std::string::npos) << s.ToString();
}

TEST(StatusBodyTest, CarriesDetailsAndCauses) {
  StatusDetails d;
  d.name = "Bad_Name";
  d.kind = "ConfigMap";
  d.causes.push_back({"FieldValueInvalid", "Invalid value: \"Bad_Name\"", "metadata.name"});
  auto v = boost::json::parse(
               StatusBody(Status(StatusCode::kInvalid, "ConfigMap \"Bad_Name\" is invalid", d)))
               .as_object();
  EXPECT_EQ(v["code"], 422);
  EXPECT_EQ(v["reason"], "Invalid");
  auto& details = v["details"].as_object();
  EXPECT_EQ(details["name"], "Bad_Name");
  EXPECT_EQ(details["kind"], "ConfigMap");
  auto& cause = details["causes"].as_array()[0].as_object();
  EXPECT_EQ(cause["reason"], "FieldValueInvalid");
  EXPECT_EQ(cause["field"], "metadata.name");
}

// Boolean query parameters convert as upstream's Convert_Slice_string_To_bool: only absence,
// "0" and "false" (any case) are false, so Python's `watch=True` is a watch.
TEST(RequestTest, QueryBoolAsUpstream) {
  Request req;
  req.query = {{"a", "true"}, {"b", "True"}, {"c", "1"},     {"d", ""},
               {"e", "yes"},  {"f", "0"},    {"g", "false"}, {"h", "FALSE"}};
  for (const char* name : {"a", "b", "c", "d", "e"}) EXPECT_TRUE(req.QueryBool(name)) << name;
  for (const char* name : {"f", "g", "h", "absent"}) EXPECT_FALSE(req.QueryBool(name)) << name;
}

}  // namespace
}  // namespace kubepp::apiserver
