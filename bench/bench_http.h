// What the benchmarks that drive real kubepp processes share: a keep-alive HTTP/1.1 connection,
// parallel load, percentiles, free ports, spawning a process with its log, its memory and CPU.
// Header-only; benchmarks only.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace kubepp::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

// One keep-alive HTTP/1.1 connection to 127.0.0.1:port.
class Conn {
 public:
  explicit Conn(int port) : stream_(ctx_) {
    stream_.connect(
        Tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)));
    stream_.socket().set_option(Tcp::no_delay(true));
  }
  // Sends one request and returns (status, body). PATCH bodies are merge patches.
  std::pair<int, std::string> Do(http::verb method, const std::string& target,
                                 const std::string& body = "") {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::accept, "application/json");
    req.keep_alive(true);
    if (!body.empty()) {
      req.set(http::field::content_type,
              method == http::verb::patch ? "application/merge-patch+json" : "application/json");
      req.body() = body;
      req.prepare_payload();
    }
    http::write(stream_, req);
    http::response_parser<http::string_body> parser;
    parser.body_limit(1ULL << 32);
    http::read(stream_, buffer_, parser);
    return {static_cast<int>(parser.get().result_int()), std::move(parser.get().body())};
  }

 private:
  asio::io_context ctx_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

inline double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  return v[i];
}

// Runs `total` operations over `clients` threads, each with its own connection; returns
// per-operation latencies in microseconds and the wall time in seconds.
template <typename Op>
std::pair<std::vector<double>, double> RunParallel(int port, int clients, int total, Op op) {
  std::atomic<int> next{0};
  std::vector<std::vector<double>> lat(static_cast<size_t>(clients));
  std::vector<std::thread> threads;
  threads.reserve(static_cast<size_t>(clients));
  auto t0 = SteadyClock::now();
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      Conn conn(port);
      for (int i = next++; i < total; i = next++) {
        auto s = SteadyClock::now();
        op(conn, i);
        lat[static_cast<size_t>(c)].push_back(
            std::chrono::duration<double, std::micro>(SteadyClock::now() - s).count());
      }
    });
  }
  for (auto& t : threads) t.join();
  double secs = std::chrono::duration<double>(SteadyClock::now() - t0).count();
  std::vector<double> all;
  for (auto& l : lat) all.insert(all.end(), l.begin(), l.end());
  return {all, secs};
}

// Opens a watch (GET `target`, e.g. "/api/v1/namespaces/a/pods?watch=true&resourceVersion=5")
// on 127.0.0.1:port and hands each event line to `on_line` until it returns true (done), the
// stream ends, or `timeout` passes.
template <typename F>
void ReadWatch(int port, const std::string& target, std::chrono::seconds timeout, F on_line) {
  asio::io_context ctx;
  beast::tcp_stream stream(ctx);
  stream.connect(Tcp::endpoint(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(port)));
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::accept, "application/json");
  http::write(stream, req);
  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);
  http::read_header(stream, buffer, parser);
  std::string pending;
  std::vector<char> chunk(1 << 16);
  auto deadline = SteadyClock::now() + timeout;
  while (!parser.is_done() && SteadyClock::now() < deadline) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    beast::error_code ec;
    http::read_some(stream, buffer, parser, ec);
    if (ec && ec != http::error::need_buffer) return;
    pending.append(chunk.data(), chunk.size() - parser.get().body().size);
    size_t start = 0;
    for (size_t nl = 0; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
      if (on_line(std::string_view(pending.data() + start, nl - start))) {
        beast::error_code ignored;
        stream.socket().shutdown(Tcp::socket::shutdown_both, ignored);
        return;
      }
    }
    pending.erase(0, start);
  }
}

inline int FreePort() {
  asio::io_context ctx;
  Tcp::acceptor a(ctx, Tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

// A line of /proc/PID/status in KiB ("VmRSS", "VmHWM").
inline long StatusKiB(pid_t pid, const std::string& key) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind(key + ":", 0) == 0) return std::stol(line.substr(key.size() + 1));
  }
  return 0;
}
inline long RssKiB(pid_t pid) { return StatusKiB(pid, "VmRSS"); }

// User + system CPU seconds the process has used so far.
inline double CpuSeconds(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::vector<std::string> fields;
  std::string cur;
  for (char ch : stat.substr(close + 2)) {
    if (ch == ' ') {
      fields.push_back(cur);
      cur.clear();
    } else {
      cur += ch;
    }
  }
  // After ")": state is field 3 of stat(5); utime and stime are fields 14 and 15.
  if (fields.size() < 13) return 0;
  double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  return (std::stod(fields[11]) + std::stod(fields[12])) / ticks;
}

// Starts `args` (args[0] is the program) with stderr and stdout into `log`; returns the pid.
inline pid_t Spawn(std::vector<std::string> args, const std::string& log) {
  pid_t pid = fork();
  if (pid == 0) {
    FILE* f = std::freopen(log.c_str(), "w", stderr);
    (void)f;
    dup2(STDERR_FILENO, STDOUT_FILENO);
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

// SIGTERM and reap (a process this benchmark started).
inline void Stop(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
}

// Waits up to 10 s for GET /readyz on the port to answer 200.
inline bool WaitReady(int port) {
  for (int i = 0; i < 100; ++i) {
    try {
      Conn c(port);
      if (c.Do(http::verb::get, "/readyz").first == 200) return true;
    } catch (const std::exception&) {  // NOLINT(bugprone-empty-catch): not up yet
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

}  // namespace kubepp::bench
