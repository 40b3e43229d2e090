// sqlite_crash_writer PATH ROUND: the process sqlite_crash_test kills with SIGKILL.
//
// Opens the store at PATH and runs 16 threads creating keys "/crash/<ROUND>/<thread>/<n>".
// Each key is printed to stdout (one line, flushed) only after its Create was acknowledged,
// so every printed key must be in the store after the kill. Runs until killed.
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "storage/sqlite/sqlite_backend.h"

int main(int argc, char** argv) {
  using kubepp::storage::SqliteBackend;
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s PATH ROUND\n", argv[0]);
    return 2;
  }
  // Verification runs in the test after each kill; skip it here to start writing at once.
  auto store = SqliteBackend::Open({.path = argv[1], .verify_on_open = false});
  if (!store.IsOk()) {
    std::fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
    return 1;
  }
  std::string round = argv[2];
  std::mutex out_mu;
  std::vector<std::thread> threads;
  constexpr int kThreads = 16;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::string value(100, static_cast<char>('a' + t));
      for (int n = 0;; ++n) {
        std::string key = "/crash/" + round + "/" + std::to_string(t) + "/" + std::to_string(n);
        auto kv = (*store)->Create(key, value);
        if (!kv.IsOk()) {
          std::fprintf(stderr, "create %s: %s\n", key.c_str(), kv.status().ToString().c_str());
          std::_Exit(1);
        }
        std::lock_guard lock(out_mu);
        std::fprintf(stdout, "%s\n", key.c_str());
        std::fflush(stdout);
      }
    });
  }
  for (auto& th : threads) th.join();
  return 0;
}
