// Metrics: the API server's own figures in the Prometheus text format (GET /metrics), with
// upstream's metric names and labels so existing dashboards and queries work:
//   apiserver_request_total{verb,dry_run,group,version,resource,subresource,scope,component,code}
//   apiserver_request_duration_seconds{verb,dry_run,group,version,resource,subresource,scope,component}
//   apiserver_longrunning_requests{verb,group,version,resource,subresource,scope,component}
//   apiserver_watch_events_total{group,version,resource}
//   etcd_request_duration_seconds{operation,type}   (every store call, whatever the backend)
//   process_resident_memory_bytes, process_cpu_seconds_total, process_start_time_seconds
//
// InstrumentHandler wraps the REST handler (times and counts every request, answers /metrics);
// InstrumentedBackend wraps the store. Both are thread-safe; recording is one short mutex hold.
#pragma once

#include <array>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "apiserver/http/http_server.h"
#include "storage/backend.h"

namespace kubepp::apiserver {

class Metrics {
 public:
  // What a request is, in upstream's label terms (see RequestLabelsOf).
  struct RequestLabels {
    std::string verb;         // GET, LIST, WATCH, POST, PUT, PATCH, APPLY, DELETE
    std::string dry_run;      // "All" or ""
    std::string group;        // "" for core
    std::string version;      // "v1"
    std::string resource;     // "pods"; "" for non-resource paths
    std::string subresource;  // "status", ...
    std::string scope;        // "resource", "namespace", "cluster"; "" for non-resource paths
  };
  // Labels of `req` from its method, path and query.
  static RequestLabels RequestLabelsOf(const Request& req);

  Metrics();

  void ObserveRequest(const RequestLabels& labels, int code, double seconds);
  void LongRunningStarted(const RequestLabels& labels);
  void LongRunningEnded(const RequestLabels& labels);
  void CountWatchEvent(const RequestLabels& labels);
  void ObserveStorage(std::string_view operation, std::string_view type, double seconds);

  // Gauges read at render time (e.g. the watch cache's size): name -> (help, value).
  void AddGauge(std::string name, std::string help, std::function<double()> value);

  // The exposition text (text/plain; version=0.0.4).
  std::string Render() const;

  // upstream's request/etcd latency buckets (seconds).
  static constexpr std::array<double, 23> kBuckets = {0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8,
                                                      1.0,   1.25,  1.5,  2,   3,   4,   5,   6,
                                                      8,     10,    15,   20,  30,  45,  60};

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> buckets{};  // non-cumulative counts
    uint64_t count = 0;
    double sum = 0;
    void Observe(double v);
  };

  mutable std::mutex mu_;                             // guards every map
  std::map<std::string, uint64_t> requests_;          // label string (with code) -> count
  std::map<std::string, Histogram> durations_;        // label string -> latency
  std::map<std::string, int64_t> longrunning_;        // label string -> in flight
  std::map<std::string, uint64_t> watch_events_;      // label string -> events sent
  std::map<std::string, Histogram> storage_;          // label string -> store latency
  std::chrono::system_clock::time_point start_time_;  // process_start_time_seconds
  std::vector<std::tuple<std::string, std::string, std::function<double()>>> gauges_;  // AddGauge
};

// `next` with every request timed and counted, and GET /metrics answered from `metrics`.
Handler InstrumentHandler(Metrics& metrics, Handler next);

// A store that times every call into etcd_request_duration_seconds (operation = get, list,
// create, update, delete, watch, compact; type = the resource from the key
// "/registry/<group>/<resource>/...").
class InstrumentedBackend final : public storage::Backend {
 public:
  InstrumentedBackend(Metrics& metrics, storage::Backend& inner)
      : metrics_(metrics), inner_(inner) {}

  Result<storage::KeyValue> Get(std::string_view key) override;
  Result<storage::ListResult> List(const storage::ListOptions& opts) override;
  Result<storage::KeyValue> Create(std::string_view key, std::string_view value) override;
  Result<storage::KeyValue> Update(std::string_view key, std::string_view value,
                                   storage::Revision expected_mod_revision) override;
  Result<storage::DeleteResult> Delete(std::string_view key,
                                       storage::Revision expected_mod_revision) override;
  Result<std::unique_ptr<storage::WatchStream>> Watch(std::string_view prefix,
                                                      storage::Revision from_revision) override;
  Status Compact(storage::Revision revision) override;
  Result<storage::Revision> CurrentRevision() override;
  Result<storage::Revision> CompactedRevision() override;

 private:
  Metrics& metrics_;
  storage::Backend& inner_;
};

}  // namespace kubepp::apiserver
