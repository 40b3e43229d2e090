// The REST verbs against a real in-process API server (memory store, loopback): paging,
// resourceVersion semantics of LIST (watch cache and store), watch semantics (initial events,
// selector transitions, sendInitialEvents bookmarks, 410 for a too-old version, timeouts),
// Table output, and the garbage collector's finalizers on DELETE.
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "apiserver/server.h"
#include "async/runtime.h"
#include "storage/memory/memory_backend.h"

namespace kubepp::apiserver {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using Tcp = asio::ip::tcp;

class Conn {
 public:
  explicit Conn(int port) : stream_(ctx_) {
    stream_.connect(
        Tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)));
  }
  std::pair<int, json::value> Do(http::verb method, const std::string& target,
                                 const std::string& body = "",
                                 const std::string& accept = "application/json") {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::accept, accept);
    if (!body.empty()) {
      req.set(http::field::content_type,
              method == http::verb::patch ? "application/merge-patch+json" : "application/json");
      req.body() = body;
      req.prepare_payload();
    }
    http::write(stream_, req);
    http::response<http::string_body> resp;
    http::read(stream_, buffer_, resp);
    boost::system::error_code ec;
    json::value v = json::parse(resp.body(), ec);
    return {static_cast<int>(resp.result_int()), v};
  }

  // Starts a watch; Events() then reads the event lines as they come.
  void StartWatch(const std::string& target) {
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::accept, "application/json");
    http::write(stream_, req);
    parser_.body_limit(boost::none);
    http::read_header(stream_, buffer_, parser_);
    status_ = static_cast<int>(parser_.get().result_int());
  }
  int WatchStatus() const { return status_; }
  // Reads until `n` events arrived, the stream ended or `timeout` passed.
  std::vector<json::value> Events(size_t n,
                                  std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::vector<json::value> out;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (out.size() < n && !parser_.is_done() && std::chrono::steady_clock::now() < deadline) {
      for (auto nl = pending_.find('\n'); nl != std::string::npos; nl = pending_.find('\n')) {
        boost::system::error_code ec;
        auto v = json::parse(pending_.substr(0, nl), ec);
        pending_.erase(0, nl + 1);
        if (!ec) out.push_back(v);
      }
      if (out.size() >= n) break;
      stream_.expires_at(deadline);
      char buf[8192];
      parser_.get().body().data = buf;
      parser_.get().body().size = sizeof(buf);
      boost::system::error_code ec;
      http::read_some(stream_, buffer_, parser_, ec);
      if (ec && ec != http::error::need_buffer) break;
      pending_.append(buf, sizeof(buf) - parser_.get().body().size);
    }
    for (auto nl = pending_.find('\n'); out.size() < n && nl != std::string::npos;
         nl = pending_.find('\n')) {
      boost::system::error_code ec;
      auto v = json::parse(pending_.substr(0, nl), ec);
      pending_.erase(0, nl + 1);
      if (!ec) out.push_back(v);
    }
    return out;
  }
  bool Ended() const { return parser_.is_done(); }

 private:
  asio::io_context ctx_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::response_parser<http::buffer_body> parser_;
  std::string pending_;
  int status_ = 0;
};

std::string Str(const json::value& v, std::initializer_list<const char*> path) {
  const json::value* cur = &v;
  for (const char* p : path) {
    if (!cur->is_object()) return "";
    cur = cur->as_object().if_contains(p);
    if (cur == nullptr) return "";
  }
  if (cur->is_string()) return std::string(cur->as_string());
  if (cur->is_int64()) return std::to_string(cur->as_int64());
  return "";
}

std::string ConfigMap(const std::string& name, const std::string& value,
                      const std::string& labels = "{}") {
  return R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":")" + name + R"(","labels":)" +
         labels + R"(},"data":{"v":")" + value + R"("}})";
}

class ApiHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    runtime_.Start();
    Start();
  }
  void TearDown() override {
    if (server_) server_->Stop();
    runtime_.Stop();
  }
  void Start() {
    ApiServerOptions opts;
    opts.http.port = 0;
    opts.blocking_threads = 4;
    server_ = std::make_unique<ApiServer>(runtime_, store_, opts);
    ASSERT_TRUE(server_->Start().IsOk());
  }
  int Port() const { return server_->Port(); }
  std::string Create(Conn& c, const std::string& name, const std::string& value,
                     const std::string& labels = "{}") {
    auto [code, obj] = c.Do(http::verb::post, "/api/v1/namespaces/default/configmaps",
                            ConfigMap(name, value, labels));
    EXPECT_EQ(code, 201) << json::serialize(obj);
    return Str(obj, {"metadata", "resourceVersion"});
  }

  async::Runtime runtime_{2};
  storage::MemoryBackend store_;
  std::unique_ptr<ApiServer> server_;
};

// metadata.uid is immutable: an update or patch naming another uid is refused (controllers
// put the uid into adopt/release patches to be sure they change the object they looked at).
TEST_F(ApiHandlerTest, UidIsImmutableAndGuardsPatches) {
  Conn c(Port());
  Create(c, "guarded", "a");
  auto [code, cm] = c.Do(http::verb::get, "/api/v1/namespaces/default/configmaps/guarded", "");
  ASSERT_EQ(code, 200);
  std::string uid = Str(cm, {"metadata", "uid"});
  ASSERT_FALSE(uid.empty());
  const std::string path = "/api/v1/namespaces/default/configmaps/guarded";
  auto [bad_patch, status] =
      c.Do(http::verb::patch, path, R"({"metadata":{"uid":"not-the-uid","labels":{"a":"b"}}})");
  EXPECT_EQ(bad_patch, 422) << json::serialize(status);
  EXPECT_EQ(Str(status, {"reason"}), "Invalid");
  EXPECT_NE(Str(status, {"message"})
                .find(R"(metadata.uid: Invalid value: "not-the-uid": field is immutable)"),
            std::string::npos)
      << Str(status, {"message"});
  auto [good_patch, patched] =
      c.Do(http::verb::patch, path, R"({"metadata":{"uid":")" + uid + R"(","labels":{"a":"b"}}})");
  EXPECT_EQ(good_patch, 200) << json::serialize(patched);
  EXPECT_EQ(Str(patched, {"metadata", "labels", "a"}), "b");
  json::value put = patched;
  put.as_object()["metadata"].as_object()["uid"] = "other";
  auto [bad_put, put_status] = c.Do(http::verb::put, path, json::serialize(put));
  EXPECT_EQ(bad_put, 422) << json::serialize(put_status);
  put.as_object()["metadata"].as_object().erase("uid");  // no uid: the stored one
  auto [good_put, updated] = c.Do(http::verb::put, path, json::serialize(put));
  EXPECT_EQ(good_put, 200) << json::serialize(updated);
  EXPECT_EQ(Str(updated, {"metadata", "uid"}), uid);
}

TEST_F(ApiHandlerTest, PagingIsConsistentAtOneRevisionUnderConcurrentWrites) {
  Conn c(Port());
  for (int i = 0; i < 25; ++i) Create(c, "cm-" + std::to_string(100 + i), "x");
  std::set<std::string> seen;
  auto [code, page] = c.Do(http::verb::get, "/api/v1/namespaces/default/configmaps?limit=10");
  ASSERT_EQ(code, 200);
  std::string cont = Str(page, {"metadata", "continue"});
  ASSERT_FALSE(cont.empty());
  EXPECT_EQ(Str(page, {"metadata", "remainingItemCount"}), "15");
  for (const auto& item : page.as_object()["items"].as_array()) {
    seen.insert(Str(item, {"metadata", "name"}));
  }
  // Writes between pages are not seen by the later pages.
  for (int i = 0; i < 5; ++i) Create(c, "cm-" + std::to_string(200 + i), "late");
  while (!cont.empty()) {
    auto [c2, next] =
        c.Do(http::verb::get, "/api/v1/namespaces/default/configmaps?limit=10&continue=" + cont);
    ASSERT_EQ(c2, 200);
    for (const auto& item : next.as_object()["items"].as_array()) {
      EXPECT_TRUE(seen.insert(Str(item, {"metadata", "name"})).second) << "duplicate";
    }
    cont = Str(next, {"metadata", "continue"});
  }
  EXPECT_EQ(seen.size(), 25u);
  EXPECT_FALSE(seen.contains("cm-200"));
  // A fresh list (from the watch cache) sees everything.
  auto [c3, all] = c.Do(http::verb::get, "/api/v1/namespaces/default/configmaps");
  EXPECT_EQ(all.as_object()["items"].as_array().size(), 30u);
}

TEST_F(ApiHandlerTest, ListResourceVersionSemantics) {
  Conn c(Port());
  std::string rv1 = Create(c, "a", "one");
  auto [pc, patched] =
      c.Do(http::verb::patch, "/api/v1/namespaces/default/configmaps/a", R"({"data":{"v":"two"}})");
  ASSERT_EQ(pc, 200);
  // A consistent read right after the write sees it (the cache catches up first).
  auto [c1, now] = c.Do(http::verb::get, "/api/v1/namespaces/default/configmaps");
  EXPECT_EQ(Str(now.as_object()["items"].as_array()[0], {"data", "v"}), "two");
  EXPECT_GE(std::stoll(Str(now, {"metadata", "resourceVersion"})),
            std::stoll(Str(patched, {"metadata", "resourceVersion"})));
  // Exact at the old revision reads the store's history.
  auto [c2, old] = c.Do(http::verb::get,
                        "/api/v1/namespaces/default/configmaps?resourceVersionMatch=Exact&"
                        "resourceVersion=" +
                            rv1);
  ASSERT_EQ(c2, 200) << json::serialize(old);
  EXPECT_EQ(Str(old.as_object()["items"].as_array()[0], {"data", "v"}), "one");
  // "0": whatever the cache holds; a far-future version is a timeout.
  auto [c3, any] = c.Do(http::verb::get, "/api/v1/namespaces/default/configmaps?resourceVersion=0");
  EXPECT_EQ(c3, 200);
  EXPECT_EQ(any.as_object()["items"].as_array().size(), 1u);
  auto [c4, future] =
      c.Do(http::verb::get, "/api/v1/namespaces/default/configmaps?resourceVersion=999999999");
  EXPECT_EQ(c4, 504) << json::serialize(future);
  EXPECT_EQ(Str(future, {"reason"}), "Timeout");
}

TEST_F(ApiHandlerTest, WatchDeliversChangesAndSelectorTransitions) {
  Conn c(Port());
  std::string rv = Create(c, "before", "x", R"({"app":"web"})");
  Conn w(Port());
  w.StartWatch(
      "/api/v1/namespaces/default/configmaps?watch=true&labelSelector=app%3Dweb&"
      "resourceVersion=" +
      rv);
  ASSERT_EQ(w.WatchStatus(), 200);
  Create(c, "web", "1", R"({"app":"web"})");
  Create(c, "db", "1", R"({"app":"db"})");  // never matches: not delivered
  c.Do(http::verb::patch, "/api/v1/namespaces/default/configmaps/web", R"({"data":{"v":"2"}})");
  // Leaving the selector is a DELETED for this watcher; entering it an ADDED.
  c.Do(http::verb::patch, "/api/v1/namespaces/default/configmaps/web",
       R"({"metadata":{"labels":{"app":"other"}}})");
  c.Do(http::verb::patch, "/api/v1/namespaces/default/configmaps/db",
       R"({"metadata":{"labels":{"app":"web"}}})");
  c.Do(http::verb::delete_, "/api/v1/namespaces/default/configmaps/db");
  auto events = w.Events(5);
  ASSERT_EQ(events.size(), 5u);
  std::vector<std::string> got;
  got.reserve(events.size());
  for (const auto& e : events) {
    got.push_back(Str(e, {"type"}) + " " + Str(e, {"object", "metadata", "name"}));
  }
  EXPECT_EQ(got, (std::vector<std::string>{"ADDED web", "MODIFIED web", "DELETED web", "ADDED db",
                                           "DELETED db"}));
  // Every event carries its object's resourceVersion, increasing.
  int64_t last = 0;
  for (const auto& e : events) {
    int64_t r = std::stoll(Str(e, {"object", "metadata", "resourceVersion"}));
    EXPECT_GT(r, last);
    last = r;
  }
}

TEST_F(ApiHandlerTest, WatchWithInitialEventsEndsThemWithABookmark) {
  Conn c(Port());
  Create(c, "one", "1");
  Create(c, "two", "2");
  Conn w(Port());
  w.StartWatch(
      "/api/v1/namespaces/default/configmaps?watch=true&sendInitialEvents=true&"
      "allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan");
  auto events = w.Events(3);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(Str(events[0], {"type"}), "ADDED");
  EXPECT_EQ(Str(events[1], {"type"}), "ADDED");
  EXPECT_EQ(Str(events[2], {"type"}), "BOOKMARK");
  EXPECT_EQ(Str(events[2], {"object", "metadata", "annotations", "k8s.io/initial-events-end"}),
            "true");
}

TEST_F(ApiHandlerTest, WatchTimesOutAndTooOldVersionsAreGone) {
  Conn w(Port());
  w.StartWatch("/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1");
  ASSERT_EQ(w.WatchStatus(), 200);
  w.Events(1, std::chrono::seconds(5));
  EXPECT_TRUE(w.Ended());

  // Revisions from before this server's watch cache started are too old: 410 in the stream.
  Conn c(Port());
  Create(c, "x", "1");
  server_->Stop();
  Start();
  Conn old(Port());
  old.StartWatch("/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=1");
  auto events = old.Events(1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(Str(events[0], {"type"}), "ERROR");
  EXPECT_EQ(Str(events[0], {"object", "code"}), "410");
  EXPECT_EQ(Str(events[0], {"object", "reason"}), "Expired");
}

TEST_F(ApiHandlerTest, TableOutputHasTheKindsColumns) {
  Conn c(Port());
  Create(c, "t", "1");
  auto [code, table] = c.Do(http::verb::get, "/api/v1/namespaces/default/configmaps", "",
                            "application/json;as=Table;v=v1;g=meta.k8s.io");
  ASSERT_EQ(code, 200);
  EXPECT_EQ(Str(table, {"kind"}), "Table");
  std::vector<std::string> columns;
  for (const auto& col : table.as_object()["columnDefinitions"].as_array()) {
    columns.push_back(Str(col, {"name"}));
  }
  EXPECT_EQ(columns, (std::vector<std::string>{"Name", "Data", "Age"}));
  const auto& row = table.as_object()["rows"].as_array()[0].as_object();
  EXPECT_EQ(row.at("cells").as_array()[0].as_string(), "t");
  EXPECT_EQ(row.at("cells").as_array()[1].as_int64(), 1);
}

// DELETE and the garbage collector's finalizers: Foreground and Orphan (and the legacy
// orphanDependents) leave the object being deleted with "foregroundDeletion" / "orphan"; a later
// DELETE replaces one with the other, Background drops both (and so deletes); replication
// controllers in core/v1 orphan by default; conflicting or unknown options are invalid.
TEST_F(ApiHandlerTest, DeletePropagationSetsGarbageCollectorFinalizers) {
  Conn c(Port());
  const std::string cm = "/api/v1/namespaces/default/configmaps/";
  auto finalizers = [](const json::value& obj) {
    std::vector<std::string> out;
    const auto* f = obj.as_object().at("metadata").as_object().if_contains("finalizers");
    if (f != nullptr) {
      for (const auto& v : f->as_array()) out.emplace_back(v.as_string());
    }
    return out;
  };
  Create(c, "fg", "1");
  auto [code, obj] = c.Do(http::verb::delete_, cm + "fg?propagationPolicy=Foreground");
  ASSERT_EQ(code, 200) << json::serialize(obj);
  EXPECT_FALSE(Str(obj, {"metadata", "deletionTimestamp"}).empty());
  EXPECT_EQ(finalizers(obj), std::vector<std::string>{"foregroundDeletion"});
  auto [get_code, got] = c.Do(http::verb::get, cm + "fg");
  ASSERT_EQ(get_code, 200);
  EXPECT_EQ(finalizers(got), std::vector<std::string>{"foregroundDeletion"});

  auto [orphan_code, orphaned] = c.Do(http::verb::delete_, cm + "fg",
                                      R"({"kind":"DeleteOptions","propagationPolicy":"Orphan"})");
  ASSERT_EQ(orphan_code, 200) << json::serialize(orphaned);
  EXPECT_EQ(finalizers(orphaned), std::vector<std::string>{"orphan"});

  auto [bg_code, bg] = c.Do(http::verb::delete_, cm + "fg?propagationPolicy=Background");
  ASSERT_EQ(bg_code, 200) << json::serialize(bg);
  EXPECT_EQ(c.Do(http::verb::get, cm + "fg").first, 404);

  Create(c, "legacy", "1");
  auto [legacy_code, legacy] =
      c.Do(http::verb::delete_, cm + "legacy", R"({"orphanDependents":true})");
  ASSERT_EQ(legacy_code, 200) << json::serialize(legacy);
  EXPECT_EQ(finalizers(legacy), std::vector<std::string>{"orphan"});
  // Without options, the GC finalizer the object has stays.
  auto [again_code, again] = c.Do(http::verb::delete_, cm + "legacy");
  ASSERT_EQ(again_code, 200);
  EXPECT_EQ(finalizers(again), std::vector<std::string>{"orphan"});

  Create(c, "plain", "1");
  EXPECT_EQ(c.Do(http::verb::delete_, cm + "plain?propagationPolicy=Sideways").first, 422);
  EXPECT_EQ(
      c.Do(http::verb::delete_, cm + "plain?propagationPolicy=Orphan&orphanDependents=false").first,
      422);
  EXPECT_EQ(c.Do(http::verb::delete_, cm + "plain").first, 200);  // Background by default
  EXPECT_EQ(c.Do(http::verb::get, cm + "plain").first, 404);

  auto [rc_code, rc] =
      c.Do(http::verb::post, "/api/v1/namespaces/default/replicationcontrollers",
           R"({"apiVersion":"v1","kind":"ReplicationController","metadata":{"name":"rc"},)"
           R"("spec":{"replicas":0,"selector":{"app":"x"},"template":{"metadata":{"labels":)"
           R"({"app":"x"}},"spec":{"containers":[{"name":"c","image":"i"}]}}}})");
  ASSERT_EQ(rc_code, 201) << json::serialize(rc);
  auto [rc_del_code, rc_del] =
      c.Do(http::verb::delete_, "/api/v1/namespaces/default/replicationcontrollers/rc");
  ASSERT_EQ(rc_del_code, 200) << json::serialize(rc_del);
  EXPECT_EQ(finalizers(rc_del), std::vector<std::string>{"orphan"});
}

}  // namespace
}  // namespace kubepp::apiserver
