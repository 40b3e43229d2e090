#include "storage_workload.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

namespace kubepp::bench {
namespace {

using Clock = std::chrono::steady_clock;

double Micros(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

// Runs `body(thread_index, op_index, latencies)` for `total` operations over `threads` threads.
template <typename Body>
Figures RunParallel(int threads, int total, Body body) {
  std::vector<std::vector<double>> lat(static_cast<size_t>(threads));
  std::atomic<int64_t> errors{0};
  std::vector<std::thread> pool;
  auto t0 = Clock::now();
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      int per = total / threads + (t < total % threads ? 1 : 0);
      auto& mine = lat[static_cast<size_t>(t)];
      mine.reserve(static_cast<size_t>(per));
      for (int i = 0; i < per; ++i) {
        auto s = Clock::now();
        if (!body(t, i)) errors++;
        mine.push_back(Micros(Clock::now() - s));
      }
    });
  }
  for (auto& th : pool) th.join();
  double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  Figures f;
  f.ops = static_cast<int64_t>(all.size());
  f.errors = errors.load();
  f.ops_per_sec = secs > 0 ? static_cast<double>(f.ops) / secs : 0;
  if (!all.empty()) {
    f.p50_us = all[all.size() / 2];
    f.p99_us = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  }
  return f;
}

std::string KeyName(const std::string& prefix, int thread, int i) {
  return fmt::format("{}t{:03d}/k{:08d}", prefix, thread, i);
}

}  // namespace

Figures RunCreates(storage::Backend& store, const std::string& prefix, int writers, int total,
                   int value_bytes) {
  std::string value(static_cast<size_t>(value_bytes), 'v');
  return RunParallel(writers, total, [&](int t, int i) {
    return store.Create(KeyName(prefix, t, i), value).IsOk();
  });
}

Figures RunCasUpdates(storage::Backend& store, const std::string& prefix, int writers, int total,
                      int value_bytes) {
  std::string value(static_cast<size_t>(value_bytes), 'u');
  for (int t = 0; t < writers; ++t) {
    (void)store.Create(fmt::format("{}cas{:03d}", prefix, t), value);
  }
  return RunParallel(writers, total, [&](int t, int) {
    std::string key = fmt::format("{}cas{:03d}", prefix, t);
    for (int attempt = 0; attempt < 100; ++attempt) {
      auto cur = store.Get(key);
      if (!cur.IsOk()) return false;
      auto up = store.Update(key, value, cur->mod_revision);
      if (up.IsOk()) return true;
      if (!up.status().IsConflict()) return false;
    }
    return false;
  });
}

Figures RunGets(storage::Backend& store, const std::string& prefix, int readers, int total) {
  constexpr int kKeys = 1000;
  std::string value(1024, 'g');
  for (int i = 0; i < kKeys; ++i) (void)store.Create(fmt::format("{}g{:06d}", prefix, i), value);
  return RunParallel(readers, total, [&](int t, int i) {
    return store.Get(fmt::format("{}g{:06d}", prefix, (t * 7919 + i) % kKeys)).IsOk();
  });
}

Figures RunLists(storage::Backend& store, const std::string& prefix, int rounds) {
  return RunParallel(1, rounds, [&](int, int) {
    auto r = store.List({.prefix = prefix});
    return r.IsOk();
  });
}

Figures RunWatchLatency(storage::Backend& store, const std::string& prefix, int events) {
  auto watch = store.Watch(prefix, 0);
  Figures f;
  if (!watch.IsOk()) {
    f.errors = 1;
    return f;
  }
  std::vector<Clock::time_point> acked(static_cast<size_t>(events));
  std::vector<double> lat;
  lat.reserve(static_cast<size_t>(events));
  std::atomic<int> written{0};
  std::thread writer([&] {
    for (int i = 0; i < events; ++i) {
      auto kv = store.Create(fmt::format("{}w{:08d}", prefix, i), "x");
      acked[static_cast<size_t>(i)] = Clock::now();
      written.store(i + 1, std::memory_order_release);
      if (!kv.IsOk()) f.errors++;
      // Pace the writer so that each event is measured alone, not as part of a backlog.
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  int seen = 0;
  auto deadline = Clock::now() + std::chrono::seconds(60);
  while (seen < events && Clock::now() < deadline) {
    auto batch = (*watch)->Next(std::chrono::milliseconds(500));
    if (!batch.IsOk()) break;
    auto now = Clock::now();
    for (size_t j = 0; j < batch->events.size(); ++j, ++seen) {
      // The ack time may be recorded just after the event arrives; wait for it.
      while (written.load(std::memory_order_acquire) <= seen) std::this_thread::yield();
      lat.push_back(std::max(0.0, Micros(now - acked[static_cast<size_t>(seen)])));
    }
  }
  writer.join();
  (*watch)->Cancel();
  std::sort(lat.begin(), lat.end());
  f.ops = static_cast<int64_t>(lat.size());
  if (!lat.empty()) {
    f.p50_us = lat[lat.size() / 2];
    f.p99_us = lat[std::min(lat.size() - 1, lat.size() * 99 / 100)];
  }
  return f;
}

void RunStandardSuite(const std::string& backend_name,
                      const std::function<std::unique_ptr<storage::Backend>()>& make,
                      const SuiteOptions& options) {
  auto row = [&](const std::string& what, const Figures& f) {
    std::printf(
        "%-10s %-28s %12.0f ops/s   p50 %9.1f us   p99 %9.1f us   (%lld ops, %lld errors)\n",
        backend_name.c_str(), what.c_str(), f.ops_per_sec, f.p50_us, f.p99_us,
        static_cast<long long>(f.ops), static_cast<long long>(f.errors));
    std::fflush(stdout);
  };
  for (int w : options.writers) {
    auto store = make();
    row(fmt::format("create 1KiB x{}", w),
        RunCreates(*store, "/bench/create/", w, options.ops_per_level));
  }
  for (int w : options.writers) {
    auto store = make();
    row(fmt::format("cas-update 1KiB x{}", w),
        RunCasUpdates(*store, "/bench/cas/", w, options.ops_per_level));
  }
  for (int w : options.writers) {
    auto store = make();
    row(fmt::format("get x{}", w), RunGets(*store, "/bench/get/", w, options.ops_per_level));
  }
  {
    auto store = make();
    (void)RunCreates(*store, "/bench/list/", 16, options.list_keys);
    row(fmt::format("list {} keys", options.list_keys), RunLists(*store, "/bench/list/", 20));
  }
  {
    auto store = make();
    row("watch delivery", RunWatchLatency(*store, "/bench/watch/", options.watch_events));
  }
}

bool ParseSuiteFlags(int argc, char** argv, SuiteOptions& options) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&](std::string_view flag) -> const char* {
      if (a.substr(0, flag.size()) == flag && a.size() > flag.size() && a[flag.size()] == '=') {
        return argv[i] + flag.size() + 1;
      }
      return nullptr;
    };
    if (const char* ops = value("--ops")) {
      options.ops_per_level = std::atoi(ops);
    } else if (const char* keys = value("--list-keys")) {
      options.list_keys = std::atoi(keys);
    } else if (const char* events = value("--watch-events")) {
      options.watch_events = std::atoi(events);
    } else if (const char* v = value("--writers")) {
      options.writers.clear();
      for (const char* p = v; *p != '\0';) {
        options.writers.push_back(std::atoi(p));
        const char* comma = std::strchr(p, ',');
        if (comma == nullptr) break;
        p = comma + 1;
      }
    } else {
      std::fprintf(stderr,
                   "usage: %s [--ops=N] [--writers=1,16,64] [--list-keys=N] [--watch-events=N]\n",
                   argv[0]);
      return false;
    }
  }
  return true;
}

}  // namespace kubepp::bench
