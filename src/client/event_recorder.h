// EventRecorder: core/v1 Events about objects, with upstream's aggregation (client-go's
// record.EventRecorder + EventCorrelator).
//
// - Event(ref, type, reason, message) is non-blocking: events are queued and written in order
//   by one background writer.
// - Repeats of the same event (same source, involved object, type, reason and message) within
//   the cache are not new objects: the existing Event is patched (strategic merge) with count+1
//   and a new lastTimestamp, as upstream's eventLogger. If it vanished, it is created again.
// - Many similar events (same source, object, type and reason; 10 different messages within
//   10 minutes) collapse into one whose message starts with "(combined from similar events): ",
//   as upstream's EventAggregator.
// - New events are named "<object name>.<hex unix nanoseconds>" in the object's namespace
//   ("default" for cluster-scoped objects), with source {component, host},
//   reportingComponent/reportingInstance, firstTimestamp/lastTimestamp and count.
// Not done: upstream's spam filter (a per-object token bucket, 25 burst, 1 per 5 minutes).
//
// Thread-safe. Stop() (or the destructor) writes what is queued, then stops; non-io thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <list>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>

#include "api/types.h"
#include "async/gate.h"
#include "async/runtime.h"
#include "base/clock.h"
#include "client/rest_client.h"

namespace kubepp::client {

inline constexpr char kEventTypeNormal[] = "Normal";
inline constexpr char kEventTypeWarning[] = "Warning";

struct EventSourceInfo {
  std::string component;  // e.g. "deployment-controller"
  std::string host;       // node or instance name
};

// An ObjectReference to a typed object (kind and apiVersion from its type).
template <typename T>
api::ObjectReference ReferenceTo(const T& obj) {
  api::ObjectReference ref;
  ref.apiVersion = std::string(T::kGroup).empty()
                       ? std::string(T::kVersion)
                       : std::string(T::kGroup) + "/" + std::string(T::kVersion);
  ref.kind = T::kKind;
  ref.name = obj.metadata.name;
  ref.namespace_ = obj.metadata.namespace_;
  ref.uid = obj.metadata.uid;
  ref.resourceVersion = obj.metadata.resourceVersion;
  return ref;
}

class EventRecorder {
 public:
  static constexpr size_t kCacheSize = 4096;                     // upstream's maxLruCacheEntries
  static constexpr int kAggregateMaxEvents = 10;                 // similar events before combining
  static constexpr std::chrono::minutes kAggregateInterval{10};  // window for similar events

  EventRecorder(RestClient& client, async::asio::any_io_executor ex, EventSourceInfo source,
                const Clock& clock = Clock::Real());
  ~EventRecorder();
  EventRecorder(const EventRecorder&) = delete;
  EventRecorder& operator=(const EventRecorder&) = delete;

  // Queues an event (type kEventTypeNormal or kEventTypeWarning).
  void Event(const api::ObjectReference& object, std::string type, std::string reason,
             std::string message);
  template <typename T>
  void Event(const T& obj, std::string type, std::string reason, std::string message) {
    Event(ReferenceTo(obj), std::move(type), std::move(reason), std::move(message));
  }

  // Blocks until everything queued so far is written (or failed). Non-io thread.
  void Flush();
  // Flushes, then refuses new events. Idempotent.
  void Stop();

  // Events written (created or patched) and failed, so far.
  uint64_t Written() const;
  uint64_t Failed() const;

 private:
  struct Pending {
    api::ObjectReference object;
    std::string type, reason, message;
    Clock::WallTime when;
  };
  // What the recorder remembers about an event it wrote (upstream's eventLog).
  struct Logged {
    int32_t count = 0;
    std::string first_timestamp;
    std::string name;  // the Event object's name
    std::string namespace_;
    std::list<std::string>::iterator lru;  // position in logged_lru_
  };
  // Messages seen for one aggregate key (upstream's aggregateRecord).
  struct Similar {
    std::map<std::string, bool> messages;  // distinct messages in the window
    Clock::TimePoint last{};
  };

  async::Task<void> Writer(async::Gate::Holder hold);
  async::Task<void> Write(Pending p);

  RestClient& client_;                                // API access
  async::asio::any_io_executor ex_;                   // where the writer runs
  EventSourceInfo source_;                            // component / host
  const Clock& clock_;                                // timestamps and windows
  async::Gate gate_;                                  // the writer in flight
  mutable std::mutex mu_;                             // guards the fields below
  std::condition_variable idle_;                      // queue empty and writer idle
  std::deque<Pending> queue_;                         // events not yet written
  bool writing_ = false;                              // a writer coroutine is running
  uint64_t written_ = 0;                              // successful writes
  uint64_t failed_ = 0;                               // failed writes
  std::unordered_map<std::string, Logged> logged_;    // event key -> what was written
  std::list<std::string> logged_lru_;                 // keys, most recent first
  std::unordered_map<std::string, Similar> similar_;  // aggregate key -> messages seen
};

}  // namespace kubepp::client
