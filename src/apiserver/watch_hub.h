// WatchHub: one storage watch over every API object, fanned out to every API watch request.
//
// A reader thread follows Backend::Watch("/registry/") and turns each change into a
// WatchEvent whose object JSON (with metadata.resourceVersion set) is built once and shared by
// every watcher. It keeps a window of recent events so that a watch from a past
// resourceVersion replays without touching the store; a resourceVersion older than the window
// is answered 410 Expired ("too old resource version"), and clients relist, as upstream.
//
// Threading: Subscribe/Unsubscribe from any thread; subscribers are woken by posting to their
// own executor (the connection strand) and then drain their queue there.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <boost/json/value.hpp>
#include <deque>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "async/runtime.h"
#include "storage/backend.h"

namespace kubepp::apiserver {

// One change to one API object.
struct ApiEvent {
  storage::Revision revision{};  // the store revision of the change
  storage::EventType type{};     // created / updated / deleted
  std::string key;               // store key
  std::shared_ptr<const boost::json::value>
      object;                                      // new object (or last state for delete), RV set
  std::shared_ptr<const boost::json::value> prev;  // previous object (update/delete), RV set
};

// A watcher's end of the hub. Created by Subscribe; the hub holds it while subscribed.
class Subscription {
 public:
  Subscription(std::string prefix, storage::Revision after, boost::asio::any_io_executor ex);

  // Takes the queued events (in order). Sets `overflowed` when the watcher fell too far behind
  // (it must end the watch; the client watches again).
  std::vector<std::shared_ptr<const ApiEvent>> Take(bool& overflowed);
  // The timer the watcher waits on; the hub cancels it to wake the watcher.
  boost::asio::steady_timer& Wake() { return wake_; }
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
  storage::Revision progress_ = 0;                     // hub progress at the last push or tick
};

class WatchHub {
 public:
  // `window` events are kept for replay; a watcher whose queue exceeds `max_queue` is dropped.
  WatchHub(storage::Backend& store, size_t window = 100000, size_t max_queue = 100000);
  ~WatchHub();

  // Starts following the store from its current revision.
  Status Start();
  // Stops following the store and ends every subscription (their watchers return).
  void Stop();

  // Subscribes to changes under `prefix` after revision `after` (events already in the window
  // are queued at once). Expired (410) when `after` is older than the window holds.
  Result<std::shared_ptr<Subscription>> Subscribe(const std::string& prefix,
                                                  storage::Revision after,
                                                  boost::asio::any_io_executor ex);
  void Unsubscribe(const std::shared_ptr<Subscription>& sub);
  // The latest revision delivered to subscribers.
  storage::Revision Progress() const;

 private:
  void Run(std::unique_ptr<storage::WatchStream> stream, storage::Revision start);
  std::shared_ptr<const ApiEvent> Convert(const storage::WatchEvent& ev);
  static void WakeUp(const std::shared_ptr<Subscription>& sub);

  storage::Backend& store_;                                  // the store followed
  const size_t window_;                                      // events kept for replay
  const size_t max_queue_;                                   // per-subscriber backlog limit
  std::thread reader_;                                       // follows the store watch
  mutable std::mutex mu_;                                    // guards the fields below
  std::deque<std::shared_ptr<const ApiEvent>> recent_;       // the replay window, in order
  storage::Revision start_ = 0;                              // the window covers revisions > start_
  storage::Revision progress_ = 0;                           // latest revision seen
  std::set<std::shared_ptr<Subscription>> subs_;             // live subscribers
  std::unique_ptr<storage::WatchStream>* stream_ = nullptr;  // for Cancel() on Stop
  bool stopping_ = false;                                    // Stop() was called
};

}  // namespace kubepp::apiserver
