#include "client/event_recorder.h"

#include <fmt/format.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json.hpp>

#include "base/log.h"
#include "client/typed.h"

namespace kubepp::client {

namespace asio = async::asio;
namespace json = boost::json;
using async::Task;

EventRecorder::EventRecorder(RestClient& client, asio::any_io_executor ex, EventSourceInfo source,
                             const Clock& clock)
    : client_(client), ex_(std::move(ex)), source_(std::move(source)), clock_(clock) {}

EventRecorder::~EventRecorder() { Stop(); }

void EventRecorder::Event(const api::ObjectReference& object, std::string type, std::string reason,
                          std::string message) {
  auto hold = gate_.TryEnter();
  if (!hold) return;
  bool start = false;
  {
    std::lock_guard lock(mu_);
    queue_.push_back(
        Pending{object, std::move(type), std::move(reason), std::move(message), clock_.WallNow()});
    if (!writing_) {
      writing_ = true;
      start = true;
    }
  }
  if (start) asio::co_spawn(ex_, Writer(std::move(hold)), asio::detached);
}

void EventRecorder::Flush() {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [this] { return queue_.empty() && !writing_; });
}

void EventRecorder::Stop() {
  Flush();
  gate_.Close();
  gate_.Wait();
}

uint64_t EventRecorder::Written() const {
  std::lock_guard lock(mu_);
  return written_;
}

uint64_t EventRecorder::Failed() const {
  std::lock_guard lock(mu_);
  return failed_;
}

Task<void> EventRecorder::Writer(async::Gate::Holder hold) {
  while (true) {
    Pending p;
    {
      std::lock_guard lock(mu_);
      if (queue_.empty()) {
        writing_ = false;
        idle_.notify_all();
        break;
      }
      p = std::move(queue_.front());
      queue_.pop_front();
    }
    co_await Write(std::move(p));
  }
  hold.Release();
}

Task<void> EventRecorder::Write(Pending p) {
  const api::ObjectReference& obj = p.object;
  // Upstream's aggregate key: source, involved object, type and reason (not the message).
  std::string agg_key = fmt::format("{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}",
                                    source_.component, source_.host, obj.kind, obj.namespace_,
                                    obj.name, obj.uid, obj.apiVersion, p.type, p.reason);
  std::string message = p.message;
  std::string ns = obj.namespace_.empty() ? std::string("default") : obj.namespace_;
  std::string key;
  Logged entry;
  bool existing = false;
  {
    std::lock_guard lock(mu_);
    Similar& s = similar_[agg_key];
    auto now = clock_.Now();
    if (now - s.last > kAggregateInterval) s.messages.clear();
    s.last = now;
    s.messages[p.message] = true;
    key = agg_key + "\x1f" + message;
    if (static_cast<int>(s.messages.size()) >= kAggregateMaxEvents) {
      // Upstream: one combined event per aggregate key, its message the latest one.
      s.messages.erase(p.message);
      message = "(combined from similar events): " + p.message;
      key = agg_key;
    }
    auto it = logged_.find(key);
    if (it != logged_.end()) {
      existing = true;
      it->second.count += 1;
      entry = it->second;
      logged_lru_.splice(logged_lru_.begin(), logged_lru_, it->second.lru);
    }
  }
  const std::string now_ts = FormatRfc3339(p.when);
  ObjectPath path{ResourceOf<api::Event>(), ns, "", ""};
  bool ok = false;
  std::string name;
  std::string first_ts = now_ts;
  int32_t count = 1;
  bool create = !existing;
  if (existing) {
    name = entry.name;
    first_ts = entry.first_timestamp;
    count = entry.count;
    json::object patch{{"count", count}, {"lastTimestamp", now_ts}, {"message", message}};
    ObjectPath target = path;
    target.name = name;
    PatchOptions opts;
    auto res = co_await client_.Patch(std::move(target), PatchType::kStrategicMerge,
                                      json::serialize(patch), std::move(opts));
    if (res.IsOk()) {
      ok = true;
    } else if (res.status().IsNotFound()) {
      create = true;  // the event was deleted (or expired): write it again
    } else {
      KLOG_V(1, "event recorder: patching event {}/{}: {}", ns, name, res.status().ToString());
    }
  }
  if (create) {
    api::Event ev;
    if (name.empty()) {
      auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(p.when.time_since_epoch());
      name = fmt::format("{}.{:x}", obj.name, nanos.count());
    }
    ev.metadata.name = name;
    ev.metadata.namespace_ = ns;
    ev.involvedObject = obj;
    ev.reason = p.reason;
    ev.message = message;
    ev.type = p.type;
    ev.source = api::EventSource{source_.component, source_.host};
    ev.reportingComponent = source_.component;
    ev.reportingInstance = source_.host;
    ev.firstTimestamp = first_ts;
    ev.lastTimestamp = now_ts;
    ev.count = count;
    TypedClient<api::Event> events(client_, ns);
    auto res = co_await events.Create(std::move(ev));
    ok = res.IsOk();
    if (!ok) {
      KLOG_V(1, "event recorder: creating event {}/{}: {}", ns, name, res.status().ToString());
    }
  }
  std::lock_guard lock(mu_);
  if (!ok) {
    ++failed_;
    co_return;
  }
  ++written_;
  auto it = logged_.find(key);
  if (it == logged_.end()) {
    logged_lru_.push_front(key);
    it = logged_.emplace(key, Logged{count, first_ts, name, ns, logged_lru_.begin()}).first;
    while (logged_.size() > kCacheSize) {
      logged_.erase(logged_lru_.back());
      logged_lru_.pop_back();
    }
  } else {
    it->second.name = name;
    it->second.first_timestamp = first_ts;
  }
}

}  // namespace kubepp::client
