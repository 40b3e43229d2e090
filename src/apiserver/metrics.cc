#include "apiserver/metrics.h"

#include <fmt/format.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <vector>

namespace kubepp::apiserver {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string_view> Split(std::string_view path) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

// A Prometheus label value, escaped.
std::string Escape(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string RequestKey(const Metrics::RequestLabels& l) {
  return fmt::format(
      "component=\"apiserver\",dry_run=\"{}\",group=\"{}\",resource=\"{}\",scope=\"{}\","
      "subresource=\"{}\",verb=\"{}\",version=\"{}\"",
      Escape(l.dry_run), Escape(l.group), Escape(l.resource), Escape(l.scope),
      Escape(l.subresource), Escape(l.verb), Escape(l.version));
}

std::string FormatDouble(double v) { return fmt::format("{}", v); }

// Resident set size in bytes and CPU seconds of this process, from /proc.
std::pair<double, double> ProcessFigures() {
  double rss = 0;
  double cpu = 0;
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0;
  uint64_t resident = 0;
  if (statm >> size >> resident)
    rss = static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
  std::ifstream stat("/proc/self/stat");
  std::string line;
  if (std::getline(stat, line)) {
    // Fields after the ")" closing the command name: state is field 3; utime 14, stime 15.
    auto close = line.rfind(')');
    if (close != std::string::npos) {
      std::istringstream rest(line.substr(close + 2));
      std::string field;
      uint64_t utime = 0;
      uint64_t stime = 0;
      for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14) utime = std::stoull(field);
        if (i == 15) stime = std::stoull(field);
      }
      cpu = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
    }
  }
  return {rss, cpu};
}

}  // namespace

Metrics::RequestLabels Metrics::RequestLabelsOf(const Request& req) {
  RequestLabels l;
  l.dry_run = req.Query("dryRun");
  auto parts = Split(req.path);
  size_t i = 0;
  bool legacy_watch = false;
  if (!parts.empty() && parts[0] == "api" && parts.size() >= 2) {
    l.version = std::string(parts[1]);
    i = 2;
  } else if (!parts.empty() && parts[0] == "apis" && parts.size() >= 3) {
    l.group = std::string(parts[1]);
    l.version = std::string(parts[2]);
    i = 3;
  } else {
    l.verb = req.method;  // a non-resource path (/healthz, /version, /openapi/v2, ...)
    return l;
  }
  if (i < parts.size() && parts[i] == "watch") {
    legacy_watch = true;
    ++i;
  }
  bool in_namespace = false;
  if (i + 2 < parts.size() && parts[i] == "namespaces") {
    in_namespace = true;
    i += 2;
  }
  std::string name;
  if (i < parts.size()) l.resource = std::string(parts[i++]);
  if (i < parts.size()) name = std::string(parts[i++]);
  if (i < parts.size()) l.subresource = std::string(parts[i++]);
  if (l.resource.empty()) {
    l.verb = req.method;  // discovery of a group/version
    return l;
  }
  if (in_namespace && l.resource.empty()) l.resource = "namespaces";
  l.scope = !name.empty() ? "resource" : (in_namespace ? "namespace" : "cluster");
  const std::string& m = req.method;
  bool watch = legacy_watch || req.QueryBool("watch");
  if (m == "GET") {
    l.verb = watch ? "WATCH" : (name.empty() ? "LIST" : "GET");
  } else if (m == "PATCH" && req.Header("content-type").rfind("application/apply-patch", 0) == 0) {
    l.verb = "APPLY";
  } else {
    l.verb = m;
  }
  return l;
}

Metrics::Metrics() : start_time_(std::chrono::system_clock::now()) {}

void Metrics::Histogram::Observe(double v) {
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (v <= kBuckets[i]) {
      ++buckets[i];
      break;
    }
  }
  ++count;
  sum += v;
}

void Metrics::ObserveRequest(const RequestLabels& labels, int code, double seconds) {
  std::string key = RequestKey(labels);
  std::lock_guard lock(mu_);
  ++requests_[fmt::format("code=\"{}\",{}", code, key)];
  if (labels.verb != "WATCH") durations_[key].Observe(seconds);
}

void Metrics::LongRunningStarted(const RequestLabels& labels) {
  std::string key = RequestKey(labels);
  std::lock_guard lock(mu_);
  ++longrunning_[key];
}

void Metrics::LongRunningEnded(const RequestLabels& labels) {
  std::string key = RequestKey(labels);
  std::lock_guard lock(mu_);
  --longrunning_[key];
}

void Metrics::CountWatchEvent(const RequestLabels& labels) {
  std::string key = fmt::format(R"(group="{}",resource="{}",version="{}")", Escape(labels.group),
                                Escape(labels.resource), Escape(labels.version));
  std::lock_guard lock(mu_);
  ++watch_events_[key];
}

void Metrics::ObserveStorage(std::string_view operation, std::string_view type, double seconds) {
  std::string key = fmt::format(R"(operation="{}",type="{}")", Escape(operation), Escape(type));
  std::lock_guard lock(mu_);
  storage_[key].Observe(seconds);
}

void Metrics::AddGauge(std::string name, std::string help, std::function<double()> value) {
  std::lock_guard lock(mu_);
  gauges_.emplace_back(std::move(name), std::move(help), std::move(value));
}

std::string Metrics::Render() const {
  std::string out;
  auto histogram = [&out](std::string_view name, const std::map<std::string, Histogram>& m) {
    for (const auto& [labels, h] : m) {
      uint64_t cumulative = 0;
      for (size_t i = 0; i < kBuckets.size(); ++i) {
        cumulative += h.buckets[i];
        out += fmt::format("{}_bucket{{{},le=\"{}\"}} {}\n", name, labels,
                           FormatDouble(kBuckets[i]), cumulative);
      }
      out += fmt::format("{}_bucket{{{},le=\"+Inf\"}} {}\n", name, labels, h.count);
      out += fmt::format("{}_sum{{{}}} {}\n", name, labels, FormatDouble(h.sum));
      out += fmt::format("{}_count{{{}}} {}\n", name, labels, h.count);
    }
  };
  std::lock_guard lock(mu_);
  out +=
      "# HELP apiserver_request_total [STABLE] Counter of apiserver requests broken out for each "
      "verb, dry run value, group, version, resource, scope, component, and HTTP response code.\n"
      "# TYPE apiserver_request_total counter\n";
  for (const auto& [labels, n] : requests_) {
    out += fmt::format("apiserver_request_total{{{}}} {}\n", labels, n);
  }
  out +=
      "# HELP apiserver_request_duration_seconds [STABLE] Response latency distribution in "
      "seconds for each verb, dry run value, group, version, resource, subresource, scope and "
      "component.\n"
      "# TYPE apiserver_request_duration_seconds histogram\n";
  histogram("apiserver_request_duration_seconds", durations_);
  out +=
      "# HELP apiserver_longrunning_requests [STABLE] Gauge of all active long-running apiserver "
      "requests broken out by verb, group, version, resource, scope and component.\n"
      "# TYPE apiserver_longrunning_requests gauge\n";
  for (const auto& [labels, n] : longrunning_) {
    out += fmt::format("apiserver_longrunning_requests{{{}}} {}\n", labels, n);
  }
  out +=
      "# HELP apiserver_watch_events_total [ALPHA] Number of events sent in watch clients\n"
      "# TYPE apiserver_watch_events_total counter\n";
  for (const auto& [labels, n] : watch_events_) {
    out += fmt::format("apiserver_watch_events_total{{{}}} {}\n", labels, n);
  }
  out +=
      "# HELP etcd_request_duration_seconds [ALPHA] Etcd request latency in seconds for each "
      "operation and object type.\n"
      "# TYPE etcd_request_duration_seconds histogram\n";
  histogram("etcd_request_duration_seconds", storage_);
  for (const auto& [name, help, value] : gauges_) {
    out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n{} {}\n", name, help, name, name,
                       FormatDouble(value()));
  }
  auto [rss, cpu] = ProcessFigures();
  double start = std::chrono::duration<double>(start_time_.time_since_epoch()).count();
  out += fmt::format(
      "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
      "# TYPE process_cpu_seconds_total counter\n"
      "process_cpu_seconds_total {}\n"
      "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
      "# TYPE process_resident_memory_bytes gauge\n"
      "process_resident_memory_bytes {}\n"
      "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n"
      "# TYPE process_start_time_seconds gauge\n"
      "process_start_time_seconds {}\n",
      FormatDouble(cpu), FormatDouble(rss), FormatDouble(start));
  return out;
}

namespace {

// Counts the chunks of a watch stream as events.
class CountingWriter final : public ChunkWriter {
 public:
  CountingWriter(ChunkWriter& inner, Metrics& metrics, const Metrics::RequestLabels& labels)
      : inner_(inner), metrics_(metrics), labels_(labels) {}
  async::Task<bool> Write(std::string data) override {
    metrics_.CountWatchEvent(labels_);
    return inner_.Write(std::move(data));
  }

 private:
  ChunkWriter& inner_;
  Metrics& metrics_;
  const Metrics::RequestLabels& labels_;
};

async::Task<void> CountedStream(Metrics* metrics, Metrics::RequestLabels labels,
                                std::function<async::Task<void>(ChunkWriter&)> inner,
                                ChunkWriter* writer) {
  metrics->LongRunningStarted(labels);
  CountingWriter counting(*writer, *metrics, labels);
  co_await inner(counting);
  metrics->LongRunningEnded(labels);
}

async::Task<Response> Instrumented(Metrics* metrics, Handler* next, Request req) {
  if (req.path == "/metrics" && req.method == "GET") {
    Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = metrics->Render();
    co_return r;
  }
  Metrics::RequestLabels labels = Metrics::RequestLabelsOf(req);
  const auto start = Clock::now();
  // The call first, then the await: no Request temporary inside the co_await (GCC 12).
  async::Task<Response> call = (*next)(std::move(req));
  Response r = co_await std::move(call);
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  metrics->ObserveRequest(labels, r.status, secs);
  if (r.stream) {
    auto inner = std::move(r.stream);
    r.stream = [metrics, labels, inner = std::move(inner)](ChunkWriter& w) {
      return CountedStream(metrics, labels, inner, &w);
    };
  }
  co_return r;
}

}  // namespace

Handler InstrumentHandler(Metrics& metrics, Handler next) {
  auto shared = std::make_shared<Handler>(std::move(next));
  return [&metrics, shared](Request req) {
    return Instrumented(&metrics, shared.get(), std::move(req));
  };
}

// ---- InstrumentedBackend

namespace {

// The resource of a store key "/registry/<group>/<resource>/...", or the key's first parts.
std::string TypeOf(std::string_view key) {
  auto parts = Split(key);
  if (parts.size() >= 3 && parts[0] == "registry") return std::string(parts[2]);
  if (!parts.empty()) return std::string(parts.back());
  return "";
}

class Timer {
 public:
  Timer(Metrics& m, std::string_view op, std::string_view key)
      : m_(m), op_(op), key_(key), start_(Clock::now()) {}
  ~Timer() {
    m_.ObserveStorage(op_, TypeOf(key_),
                      std::chrono::duration<double>(Clock::now() - start_).count());
  }
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

 private:
  Metrics& m_;
  std::string_view op_;
  std::string_view key_;
  Clock::time_point start_;
};

}  // namespace

Result<storage::KeyValue> InstrumentedBackend::Get(std::string_view key) {
  Timer t(metrics_, "get", key);
  return inner_.Get(key);
}
Result<storage::ListResult> InstrumentedBackend::List(const storage::ListOptions& opts) {
  Timer t(metrics_, "list", opts.prefix);
  return inner_.List(opts);
}
Result<storage::KeyValue> InstrumentedBackend::Create(std::string_view key,
                                                      std::string_view value) {
  Timer t(metrics_, "create", key);
  return inner_.Create(key, value);
}
Result<storage::KeyValue> InstrumentedBackend::Update(std::string_view key, std::string_view value,
                                                      storage::Revision expected_mod_revision) {
  Timer t(metrics_, "update", key);
  return inner_.Update(key, value, expected_mod_revision);
}
Result<storage::DeleteResult> InstrumentedBackend::Delete(std::string_view key,
                                                          storage::Revision expected_mod_revision) {
  Timer t(metrics_, "delete", key);
  return inner_.Delete(key, expected_mod_revision);
}
Result<std::unique_ptr<storage::WatchStream>> InstrumentedBackend::Watch(
    std::string_view prefix, storage::Revision from_revision) {
  Timer t(metrics_, "watch", prefix);
  return inner_.Watch(prefix, from_revision);
}
Status InstrumentedBackend::Compact(storage::Revision revision) {
  Timer t(metrics_, "compact", "");
  return inner_.Compact(revision);
}
Result<storage::Revision> InstrumentedBackend::CurrentRevision() {
  return inner_.CurrentRevision();
}
Result<storage::Revision> InstrumentedBackend::CompactedRevision() {
  return inner_.CompactedRevision();
}

}  // namespace kubepp::apiserver
