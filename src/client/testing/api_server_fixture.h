// A test fixture with a real in-process API server (memory store, loopback, port 0) and a
// RestClient for it. Tests only: it links apiserver and storage, which client code never does.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "apiserver/server.h"
#include "async/runtime.h"
#include "client/rest_client.h"
#include "storage/memory/memory_backend.h"

namespace kubepp::client::testing {

class ApiServerFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    runtime_.Start();
    StartServer(0);
    client_ = NewClient();
  }
  void TearDown() override {
    client_.reset();
    if (server_) server_->Stop();
    server_.reset();
    runtime_.Stop();
  }

  // (Re)starts the API server on `port` (0: any free port) over the same store.
  void StartServer(int port) {
    apiserver::ApiServerOptions opts;
    opts.http.bind_address = "127.0.0.1";
    opts.http.port = port;
    opts.blocking_threads = 4;
    server_ = std::make_unique<apiserver::ApiServer>(runtime_, store_, opts);
    Status s = server_->Start();
    ASSERT_TRUE(s.IsOk()) << s.ToString();
    port_ = server_->Port();
  }
  void StopServer() {
    server_->Stop();
    server_.reset();
  }

  RestConfig Config() const {
    RestConfig c;
    c.server = "http://127.0.0.1:" + std::to_string(port_);
    c.timeout = std::chrono::seconds(10);
    return c;
  }
  std::unique_ptr<RestClient> NewClient() {
    auto c = RestClient::Create(runtime_.Executor(), Config());
    EXPECT_TRUE(c.IsOk()) << c.status().ToString();
    return std::move(*c);
  }

  // Runs a task to completion from the test thread (any result type: BlockOn needs a
  // default-constructible one, so the result travels in an optional).
  template <typename T>
  T Run(async::Task<T> task) {
    auto out = async::BlockOn(runtime_.Executor(), Wrap(std::move(task)));
    return std::move(*out);
  }
  template <typename T>
  static async::Task<std::optional<T>> Wrap(async::Task<T> task) {
    co_return co_await std::move(task);
  }

  // Polls `cond` until it holds or `timeout` passes.
  template <typename F>
  static bool Eventually(F cond, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!cond()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }

  async::Runtime runtime_{2};                     // io threads for server and client
  storage::MemoryBackend store_;                  // the store under the server
  std::unique_ptr<apiserver::ApiServer> server_;  // the server under test
  int port_ = 0;                                  // its port
  std::unique_ptr<RestClient> client_;            // a client for it
};

}  // namespace kubepp::client::testing
