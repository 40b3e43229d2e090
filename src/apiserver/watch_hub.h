// WatchHub: the API server's watch cache. One storage watch over every API object feeds
//   - an in-memory copy of every object (LIST from memory, consistent with the store), and
//   - every API watch request (fan-out), with a window of recent events for replay.
// Each object version is turned into a CachedObject once: its JSON (with
// metadata.resourceVersion set) is serialized once and the bytes are shared by every LIST and
// WATCH response that carries it; labels are extracted once and field-selector values computed
// once, on first use. A watch from a resourceVersion older than the window is answered 410
// Expired ("too old resource version") and clients relist, as upstream.
//
// Threading: Subscribe/Unsubscribe/List from any thread (List may block briefly while the
// cache catches up: call it off the io threads); subscribers are woken by posting to their own
// executor (the connection strand) and then drain their queue there.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "storage/backend.h"

namespace kubepp::apiserver {

// Field-selector values of an object (metadata.name, spec.nodeName, ...), from its key and JSON.
using FieldsFunc = std::function<std::map<std::string, std::string>(std::string_view key,
                                                                    const boost::json::value& obj)>;

// One version of one API object, built once and shared (immutable but for the lazily computed
// field values).
class CachedObject {
 public:
  CachedObject(std::string key, storage::Revision revision, std::string json,
               std::map<std::string, std::string> labels, const FieldsFunc* fields_of)
      : key_(std::move(key)),
        revision_(revision),
        json_(std::move(json)),
        labels_(std::move(labels)),
        fields_of_(fields_of) {}

  const std::string& Key() const { return key_; }
  // The resourceVersion stamped into the JSON.
  storage::Revision Revision() const { return revision_; }
  // The object's JSON, metadata.resourceVersion set.
  const std::string& Json() const { return json_; }
  const std::map<std::string, std::string>& Labels() const { return labels_; }
  // Estimated heap bytes of this object (JSON, key, labels, the object itself).
  size_t HeapBytes() const;
  // Field-selector values, computed on first use (thread-safe).
  const std::map<std::string, std::string>& Fields() const;
  // The JSON parsed (for Table output and typed work).
  boost::json::value Parse() const;

 private:
  std::string key_;                                    // store key
  storage::Revision revision_;                         // metadata.resourceVersion
  std::string json_;                                   // serialized once
  std::map<std::string, std::string> labels_;          // metadata.labels
  const FieldsFunc* fields_of_;                        // the hub's field extractor
  mutable std::once_flag fields_once_;                 // guards fields_
  mutable std::map<std::string, std::string> fields_;  // field-selector values
};

// One change to one API object.
struct ApiEvent {
  storage::Revision revision{};                // the store revision of the change
  storage::EventType type{};                   // created / updated / deleted
  std::string key;                             // store key
  std::shared_ptr<const CachedObject> object;  // new object (or last state for delete), RV set
  std::shared_ptr<const CachedObject> prev;    // previous object (update/delete), RV set
};

// The objects under a prefix at one revision, in key order.
struct CacheSnapshot {
  storage::Revision revision{};
  std::vector<std::shared_ptr<const CachedObject>> items;
};

// A watcher's end of the hub. Created by Subscribe; the hub holds it while subscribed.
class Subscription {
 public:
  Subscription(std::string prefix, storage::Revision after, const boost::asio::any_io_executor& ex);

  // Takes the queued events (in order). Sets `overflowed` when the watcher fell too far behind
  // (it must end the watch; the client watches again).
  std::vector<std::shared_ptr<const ApiEvent>> Take(bool& overflowed);
  // The timer the watcher waits on; the hub cancels it to wake the watcher.
  boost::asio::steady_timer& Wake() { return wake_; }
  // Whether the hub woke the watcher since the last call (and forgets it). The watcher asks
  // before it waits on Wake(): a wake-up (its timer cancel) that ran while the watcher was busy
  // elsewhere, e.g. writing, had no wait to cancel and would otherwise be lost until the timer
  // expired.
  bool ConsumeWake();
  // Latest revision the hub has processed (for bookmarks).
  storage::Revision Progress() const;

 private:
  friend class WatchHub;
  void Push(const std::shared_ptr<const ApiEvent>& ev, size_t max_queue);

  const std::string prefix_;        // store key prefix watched
  const storage::Revision after_;   // only events with revision > after_
  boost::asio::steady_timer wake_;  // cancelled to wake the watcher (on its executor)
  mutable std::mutex mu_;           // guards the fields below
  std::deque<std::shared_ptr<const ApiEvent>> queue_;  // events not yet taken
  bool overflowed_ = false;                            // queue grew past the limit
  bool woken_ = false;                                 // woken since the last ConsumeWake
  storage::Revision progress_ = 0;                     // hub progress at the last push or tick
};

class WatchHub {
 public:
  // `window` events are kept for replay; a watcher whose queue exceeds `max_queue` is dropped.
  // `fields_of` gives an object's field-selector values.
  WatchHub(storage::Backend& store, FieldsFunc fields_of, size_t window = 100000,
           size_t max_queue = 100000);
  ~WatchHub();

  // Loads every object and starts following the store from that revision.
  Status Start();
  // Stops following the store and ends every subscription (their watchers return).
  void Stop();

  // Subscribes to changes under `prefix` after revision `after` (events already in the window
  // are queued at once). Expired (410) when `after` is older than the window holds.
  Result<std::shared_ptr<Subscription>> Subscribe(const std::string& prefix,
                                                  storage::Revision after,
                                                  const boost::asio::any_io_executor& ex);
  void Unsubscribe(const std::shared_ptr<Subscription>& sub);
  // The latest revision delivered to subscribers.
  storage::Revision Progress() const;

  // The cached objects under `prefix`, once the cache has caught up with `min_revision` (0:
  // as it is now). Waits up to `wait`; Timeout when the cache is further behind.
  Result<CacheSnapshot> List(const std::string& prefix, storage::Revision min_revision,
                             std::chrono::milliseconds wait) const;
  struct CacheStats {
    size_t objects = 0;     // objects held
    size_t json_bytes = 0;  // their JSON
    size_t heap_bytes = 0;  // estimated heap they use (JSON, keys, labels, nodes, objects)
  };
  // What the cache holds (memory accounting, /metrics, benchmarks).
  CacheStats Stats() const;

 private:
  void Run(std::unique_ptr<storage::WatchStream> stream, storage::Revision start);
  std::shared_ptr<const ApiEvent> Convert(const storage::WatchEvent& ev) const;
  std::shared_ptr<const CachedObject> Cache(const storage::KeyValue& kv,
                                            storage::Revision rev) const;
  // Reads every object from the store (paged, at one revision) into `out`.
  Result<storage::Revision> LoadAll(
      std::map<std::string, std::shared_ptr<const CachedObject>, std::less<>>& out) const;
  static void WakeUp(const std::shared_ptr<Subscription>& sub);

  storage::Backend& store_;                             // the store followed
  FieldsFunc fields_of_;                                // field-selector values
  const size_t window_;                                 // events kept for replay
  const size_t max_queue_;                              // per-subscriber backlog limit
  std::thread reader_;                                  // follows the store watch
  mutable std::mutex mu_;                               // guards the fields below
  std::deque<std::shared_ptr<const ApiEvent>> recent_;  // the replay window, in order
  storage::Revision start_ = 0;                         // the window covers revisions > start_
  storage::Revision progress_ = 0;                      // latest revision seen
  std::set<std::shared_ptr<Subscription>> subs_;        // live subscribers
  std::map<std::string, std::shared_ptr<const CachedObject>, std::less<>>
      objects_;                                              // every object at progress_, by key
  size_t json_bytes_ = 0;                                    // sum of objects_' JSON sizes
  mutable std::condition_variable cv_;                       // progress_ advanced
  std::unique_ptr<storage::WatchStream>* stream_ = nullptr;  // for Cancel() on Stop
  bool stopping_ = false;                                    // Stop() was called
};

}  // namespace kubepp::apiserver
