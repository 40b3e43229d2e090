// Storage workloads shared by every backend's benchmark binary (storage_<backend>_bench).
//
// Each workload runs against a storage::Backend through its public interface only, with
// `writers` threads, and returns figures; RunStandardSuite runs the issue #3 matrix and prints
// one table. Figures go to docs/BENCHMARKS.md with the command that produced them.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "storage/backend.h"

namespace kubepp::bench {

struct Figures {
  double ops_per_sec = 0;  // completed operations per second (wall time)
  double p50_us = 0;       // per-operation latency percentiles, microseconds
  double p99_us = 0;
  int64_t ops = 0;     // operations completed
  int64_t errors = 0;  // operations that returned an error (other than expected conflicts)
};

// `total` creates of `value_bytes`-byte values under `prefix`, spread over `writers` threads.
Figures RunCreates(storage::Backend& store, const std::string& prefix, int writers, int total,
                   int value_bytes = 1024);
// `total` CAS updates (Get + Update at its mod_revision, retried on Conflict) over `writers`
// threads, each thread on its own key (so conflicts measure nothing but the store).
Figures RunCasUpdates(storage::Backend& store, const std::string& prefix, int writers, int total,
                      int value_bytes = 1024);
// `total` Gets of existing keys under `prefix` from `readers` threads.
Figures RunGets(storage::Backend& store, const std::string& prefix, int readers, int total);
// Lists `prefix` (expected to hold `keys` keys) `rounds` times; ops_per_sec = lists/s,
// latencies per list.
Figures RunLists(storage::Backend& store, const std::string& prefix, int rounds);
// One watcher on `prefix`; `events` creates paced from one writer; latency from the write's
// acknowledgement to the event's arrival at the watcher.
Figures RunWatchLatency(storage::Backend& store, const std::string& prefix, int events);

struct SuiteOptions {
  std::vector<int> writers = {1, 16, 64};  // concurrency levels
  int ops_per_level = 20000;               // creates / updates per concurrency level
  int list_keys = 10000;                   // keys in the listed prefix
  int watch_events = 2000;                 // events for the watch latency figure
};

// Runs creates, CAS updates and gets at every concurrency level, a list of list_keys keys and
// watch latency, each on a fresh backend from `make`, and prints a table titled backend_name.
void RunStandardSuite(const std::string& backend_name,
                      const std::function<std::unique_ptr<storage::Backend>()>& make,
                      const SuiteOptions& options = {});

// Parses --ops=N --writers=1,16,64 --list-keys=N --watch-events=N into `options`; returns false
// (after printing usage) on an unknown flag.
bool ParseSuiteFlags(int argc, char** argv, SuiteOptions& options);

}  // namespace kubepp::bench
