// Reflector + SharedInformer + Lister + SharedInformerFactory (client-go's tools/cache).
//
// A SharedInformer keeps an ObjectStore in step with one resource on the API server:
// - List in pages (limit/continue; a continue token that expired restarts as one full list),
//   replace the store, then watch from the list's resourceVersion with allowWatchBookmarks and
//   a timeoutSeconds drawn from [min_watch_timeout, 2*min_watch_timeout).
// - A watch that ends or breaks resumes from the last resourceVersion seen (events and
//   bookmarks); a watch answered 410 Gone/Expired relists. Errors back off (800 ms doubling to
//   30 s, with jitter, as upstream's reflector).
// - Event handlers get OnAdd / OnUpdate(old, new) / OnDelete(obj, final_state_unknown). After a
//   relist, objects that vanished are delivered as deletes with final_state_unknown = true
//   (upstream's DeletedFinalStateUnknown) and survivors as updates. A handler with a resync
//   period also gets OnUpdate(obj, obj) for every object that often.
// - HasSynced() turns true once the first list is in the store and its handlers have run.
//
// Threading: the informer runs on its own strand. Handlers run there, one at a time, in event
// order, and must not block (enqueue keys into a WorkQueue and return). The store is readable
// from any thread. Start() once; Stop() from a non-io thread waits for the loop to end.
// Objects handed out are shared and immutable.
#pragma once

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <typeindex>
#include <vector>

#include "api/codec.h"
#include "api/selector.h"
#include "async/backoff.h"
#include "async/gate.h"
#include "async/runtime.h"
#include "client/rest_client.h"
#include "client/store.h"
#include "client/typed.h"
#include "client/watch.h"

namespace kubepp::client {

// How an informer decodes and reads the objects of one kind (type-erased so that the informer
// machinery is compiled once).
struct ObjectCodec {
  ResourceRef resource;                                                // what to list and watch
  std::function<Result<ObjectPtr>(const boost::json::value&)> decode;  // JSON -> typed object
  ObjectStore::MetaFunc meta;                                          // typed object -> metadata
};

template <typename T>
ObjectCodec CodecFor() {
  ObjectCodec c;
  c.resource = ResourceOf<T>();
  c.decode = [](const boost::json::value& v) -> Result<ObjectPtr> {
    auto obj = std::make_shared<T>();
    Status s = api::FromJson(v, *obj);
    if (!s.IsOk()) return s;
    return ObjectPtr(std::move(obj));
  };
  c.meta = [](const void* p) -> const api::ObjectMeta& {
    return static_cast<const T*>(p)->metadata;
  };
  return c;
}

struct InformerOptions {
  std::string namespace_;      // "" = all namespaces
  std::string label_selector;  // restricts what is listed and watched
  std::string field_selector;
  int64_t page_size = 500;                      // list page size (0: no paging)
  std::chrono::seconds min_watch_timeout{300};  // upstream's minWatchTimeout
  async::BackoffPolicy backoff{std::chrono::milliseconds(800), std::chrono::seconds(30), 2.0, 1.0,
                               std::chrono::minutes(2)};
};

// Type-erased handlers (see Informer<T> for the typed ones). Any may be empty.
struct EventHandler {
  std::function<void(const ObjectPtr&)> on_add;
  std::function<void(const ObjectPtr& old_obj, const ObjectPtr& new_obj)> on_update;
  std::function<void(const ObjectPtr&, bool final_state_unknown)> on_delete;
};

class SharedInformer {
 public:
  SharedInformer(RestClient& client, const async::asio::any_io_executor& ex, ObjectCodec codec,
                 InformerOptions options, const Clock& clock = Clock::Real());
  ~SharedInformer();
  SharedInformer(const SharedInformer&) = delete;
  SharedInformer& operator=(const SharedInformer&) = delete;

  // Adds a handler; once started, it first gets OnAdd for every object in the store. `resync`
  // > 0 also delivers OnUpdate(obj, obj) for every object that often. Any thread.
  void AddEventHandler(EventHandler handler,
                       std::chrono::milliseconds resync = std::chrono::milliseconds(0));
  // Adds indexes to the store (any time; existing objects are indexed).
  Status AddIndexers(const std::map<std::string, ObjectStore::IndexFunc>& indexers) {
    return store_.AddIndexers(indexers);
  }

  void Start();
  // Ends the loop and waits for it. Idempotent. Call from a non-io thread.
  void Stop();
  bool HasSynced() const { return synced_.load(); }
  // Blocks until synced or `timeout` passes; false on timeout. Non-io thread.
  bool WaitForSync(std::chrono::milliseconds timeout) const;

  const ObjectStore& Store() const { return store_; }
  const ObjectCodec& Codec() const { return codec_; }
  // The resourceVersion of the last list, event or bookmark applied.
  std::string LastSyncResourceVersion() const;
  // Lists and watches started so far (tests, metrics).
  uint64_t Lists() const { return lists_.load(); }
  uint64_t Watches() const { return watches_.load(); }

 private:
  struct Handler {
    EventHandler fns;                     // what to call
    std::chrono::milliseconds resync{0};  // 0: never
    Clock::TimePoint next_resync{};       // when it is due
  };

  async::Task<void> Run(async::Gate::Holder hold);
  async::Task<void> ResyncLoop(async::Gate::Holder hold);
  async::Task<Status> ListAndWatch();
  async::Task<Status> ListAll(std::string* rv);
  async::Task<Status> WatchOnce(bool* resumable);
  Status Apply(const WatchEvent& ev);
  async::Task<bool> SleepFor(Clock::Duration d, async::asio::steady_timer* timer);
  void SetLastRv(std::string rv);
  void DistributeAdd(const ObjectPtr& obj);
  void DistributeUpdate(const ObjectPtr& old_obj, const ObjectPtr& new_obj);
  void DistributeDelete(const ObjectPtr& obj, bool unknown);

  RestClient& client_;                      // API access
  async::asio::any_io_executor strand_;     // everything below runs here
  ObjectCodec codec_;                       // decode + metadata
  InformerOptions options_;                 // what to watch, how
  const Clock& clock_;                      // resync and back-off timing
  ObjectStore store_;                       // the cache
  std::vector<Handler> handlers_;           // strand only
  async::asio::steady_timer sleep_timer_;   // back-off sleeps (strand only)
  async::asio::steady_timer resync_timer_;  // resync ticks (strand only)
  WatchStream* watch_ = nullptr;            // the open watch, for Stop (strand only)
  bool stopping_ = false;                   // strand only
  bool started_ = false;                    // Start() ran
  async::Gate gate_;                        // the loops in flight
  std::atomic<bool> synced_{false};         // first list delivered
  std::atomic<uint64_t> lists_{0};          // lists started
  std::atomic<uint64_t> watches_{0};        // watches opened
  mutable std::mutex rv_mu_;                // guards last_rv_
  std::string last_rv_;                     // resume point
};

// ---- typed facade

template <typename T>
struct ResourceEventHandler {
  std::function<void(const std::shared_ptr<const T>&)> on_add;
  std::function<void(const std::shared_ptr<const T>& old_obj, const std::shared_ptr<const T>& obj)>
      on_update;
  std::function<void(const std::shared_ptr<const T>&, bool final_state_unknown)> on_delete;
};

// Reads an informer's store as T (client-go's listers). Cheap to copy; any thread.
template <typename T>
class Lister {
 public:
  explicit Lister(const ObjectStore* store) : store_(store) {}

  // nullptr when absent. `ns` is "" for cluster-scoped kinds.
  std::shared_ptr<const T> Get(std::string_view ns, std::string_view name) const {
    std::string key = ns.empty() ? std::string(name) : std::string(ns) + "/" + std::string(name);
    return std::static_pointer_cast<const T>(store_->Get(key));
  }
  std::vector<std::shared_ptr<const T>> List(const api::Selector& selector = {}) const {
    return Filter(store_->List(), selector);
  }
  std::vector<std::shared_ptr<const T>> ListNamespace(std::string_view ns,
                                                      const api::Selector& selector = {}) const {
    auto objs = store_->ByIndex(kNamespaceIndex, ns);
    if (!objs.IsOk()) return {};
    return Filter(std::move(*objs), selector);
  }
  std::vector<std::shared_ptr<const T>> ByIndex(std::string_view index,
                                                std::string_view value) const {
    auto objs = store_->ByIndex(index, value);
    if (!objs.IsOk()) return {};
    return Filter(std::move(*objs), api::Selector());
  }

 private:
  static std::vector<std::shared_ptr<const T>> Filter(std::vector<ObjectPtr> objs,
                                                      const api::Selector& selector) {
    std::vector<std::shared_ptr<const T>> out;
    out.reserve(objs.size());
    for (auto& o : objs) {
      auto t = std::static_pointer_cast<const T>(std::move(o));
      if (selector.Empty() || selector.Matches(t->metadata.labels)) out.push_back(std::move(t));
    }
    return out;
  }

  const ObjectStore* store_;  // the informer's store (outlives the lister)
};

// A typed view of a SharedInformer. Cheap to copy.
template <typename T>
class Informer {
 public:
  explicit Informer(std::shared_ptr<SharedInformer> informer) : informer_(std::move(informer)) {}

  void AddEventHandler(ResourceEventHandler<T> h,
                       std::chrono::milliseconds resync = std::chrono::milliseconds(0)) {
    EventHandler e;
    if (h.on_add) {
      e.on_add = [f = std::move(h.on_add)](const ObjectPtr& o) {
        f(std::static_pointer_cast<const T>(o));
      };
    }
    if (h.on_update) {
      e.on_update = [f = std::move(h.on_update)](const ObjectPtr& a, const ObjectPtr& b) {
        f(std::static_pointer_cast<const T>(a), std::static_pointer_cast<const T>(b));
      };
    }
    if (h.on_delete) {
      e.on_delete = [f = std::move(h.on_delete)](const ObjectPtr& o, bool unknown) {
        f(std::static_pointer_cast<const T>(o), unknown);
      };
    }
    informer_->AddEventHandler(std::move(e), resync);
  }
  // Adds an index computed from T.
  Status AddIndexer(const std::string& name, std::function<std::vector<std::string>(const T&)> fn) {
    std::map<std::string, ObjectStore::IndexFunc> m;
    m.emplace(name, [f = std::move(fn)](const void* p) { return f(*static_cast<const T*>(p)); });
    return informer_->AddIndexers(m);
  }
  Lister<T> GetLister() const { return Lister<T>(&informer_->Store()); }
  SharedInformer& Raw() const { return *informer_; }
  bool HasSynced() const { return informer_->HasSynced(); }

 private:
  std::shared_ptr<SharedInformer> informer_;  // shared with the factory
};

// One informer per kind, shared by every controller of a process (SharedInformerFactory).
// Thread-safe. Informers live until the factory is destroyed (which stops them).
class SharedInformerFactory {
 public:
  SharedInformerFactory(RestClient& client, async::asio::any_io_executor ex,
                        InformerOptions defaults = {}, const Clock& clock = Clock::Real());
  ~SharedInformerFactory();

  // The informer for T, created on first use (not started until Start()).
  template <typename T>
  Informer<T> For() {
    return Informer<T>(Get(std::type_index(typeid(T)), [] { return CodecFor<T>(); }));
  }
  // Starts every informer created so far that is not running yet. Call again after adding more.
  void Start();
  // Stops every informer (non-io thread).
  void Stop();
  // Blocks until every started informer has synced; false on timeout.
  bool WaitForCacheSync(std::chrono::milliseconds timeout);

 private:
  std::shared_ptr<SharedInformer> Get(std::type_index type,
                                      const std::function<ObjectCodec()>& codec);

  RestClient& client_;               // shared by the informers
  async::asio::any_io_executor ex_;  // where informers run
  InformerOptions defaults_;         // options of every informer
  const Clock& clock_;               // time
  std::mutex mu_;                    // guards the fields below
  std::map<std::type_index, std::shared_ptr<SharedInformer>> informers_;  // by type
  std::map<std::type_index, bool> started_;                               // Start() ran
};

}  // namespace kubepp::client
