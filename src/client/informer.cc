#include "client/informer.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/json.hpp>
#include <random>
#include <thread>
#include <unordered_set>

#include "base/log.h"

namespace kubepp::client {

namespace asio = async::asio;
namespace json = boost::json;
using async::Task;

namespace {

std::string ListResourceVersion(const json::value& list) {
  const json::object* o = list.if_object();
  if (o == nullptr) return "";
  const json::value* meta = o->if_contains("metadata");
  if (meta == nullptr || !meta->is_object()) return "";
  const json::value* rv = meta->get_object().if_contains("resourceVersion");
  return rv != nullptr && rv->is_string() ? std::string(rv->get_string()) : std::string();
}

std::string ListContinue(const json::value& list) {
  const json::object* o = list.if_object();
  if (o == nullptr) return "";
  const json::value* meta = o->if_contains("metadata");
  if (meta == nullptr || !meta->is_object()) return "";
  const json::value* c = meta->get_object().if_contains("continue");
  return c != nullptr && c->is_string() ? std::string(c->get_string()) : std::string();
}

// Transport trouble and throttling: the watch may be resumed from the same resourceVersion.
bool Resumable(const Status& s) {
  return s.IsUnavailable() || s.Code() == StatusCode::kTimeout ||
         s.Code() == StatusCode::kTooManyRequests;
}

}  // namespace

SharedInformer::SharedInformer(RestClient& client, const asio::any_io_executor& ex,
                               ObjectCodec codec, InformerOptions options, const Clock& clock)
    : client_(client),
      strand_(asio::make_strand(ex)),
      codec_(std::move(codec)),
      options_(std::move(options)),
      clock_(clock),
      store_(codec_.meta),
      sleep_timer_(strand_),
      resync_timer_(strand_) {}

SharedInformer::~SharedInformer() { Stop(); }

void SharedInformer::AddEventHandler(EventHandler handler, std::chrono::milliseconds resync) {
  auto hold = gate_.TryEnter();
  if (!hold) return;
  asio::post(strand_, [this, h = std::move(handler), resync, hold = std::move(hold)]() mutable {
    if (stopping_) return;
    // Catch the new handler up with what the store holds, then it gets every later event.
    if (h.on_add) {
      for (const auto& obj : store_.List()) h.on_add(obj);
    }
    bool start_resync = resync.count() > 0 && started_ &&
                        std::none_of(handlers_.begin(), handlers_.end(),
                                     [](const Handler& x) { return x.resync.count() > 0; });
    handlers_.push_back(Handler{std::move(h), resync, clock_.Now() + resync});
    if (start_resync) {
      if (auto rh = gate_.TryEnter()) {
        asio::co_spawn(strand_, ResyncLoop(std::move(rh)), asio::detached);
      }
    }
  });
}

void SharedInformer::Start() {
  auto hold = gate_.TryEnter();
  if (!hold) return;
  asio::post(strand_, [this, hold = std::move(hold)]() mutable {
    if (started_ || stopping_) return;
    started_ = true;
    asio::co_spawn(strand_, Run(std::move(hold)), asio::detached);
    bool any_resync = std::any_of(handlers_.begin(), handlers_.end(),
                                  [](const Handler& x) { return x.resync.count() > 0; });
    if (any_resync) {
      if (auto rh = gate_.TryEnter()) {
        asio::co_spawn(strand_, ResyncLoop(std::move(rh)), asio::detached);
      }
    }
  });
}

void SharedInformer::Stop() {
  if (auto hold = gate_.TryEnter()) {
    asio::post(strand_, [this, hold = std::move(hold)] {
      stopping_ = true;
      if (watch_ != nullptr) watch_->Close();
      sleep_timer_.cancel();
      resync_timer_.cancel();
    });
  }
  gate_.Close();
  gate_.Wait();
}

bool SharedInformer::WaitForSync(std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!HasSynced()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

std::string SharedInformer::LastSyncResourceVersion() const {
  std::lock_guard lock(rv_mu_);
  return last_rv_;
}

void SharedInformer::SetLastRv(std::string rv) {
  if (rv.empty()) return;
  std::lock_guard lock(rv_mu_);
  last_rv_ = std::move(rv);
}

Task<bool> SharedInformer::SleepFor(Clock::Duration d, asio::steady_timer* timer) {
  if (stopping_) co_return false;
  timer->expires_after(d);
  auto [ec] = co_await timer->async_wait(async::kUseAwaitable);
  co_return !ec && !stopping_;
}

Task<void> SharedInformer::Run(async::Gate::Holder hold) {
  async::Backoff backoff(options_.backoff, clock_);
  while (!stopping_) {
    Status s = co_await ListAndWatch();
    if (stopping_) break;
    if (!s.IsOk()) {
      KLOG_V(1, "informer {}: list and watch ended: {}", codec_.resource.resource, s.ToString());
    }
    auto delay = backoff.Next();
    co_await SleepFor(delay, &sleep_timer_);
  }
  hold.Release();
}

Task<Status> SharedInformer::ListAndWatch() {
  std::string rv;
  Status listed = co_await ListAll(&rv);
  if (!listed.IsOk()) co_return listed;
  async::Backoff watch_backoff(options_.backoff, clock_);
  while (!stopping_) {
    bool resumable = false;
    Status s = co_await WatchOnce(&resumable);
    if (stopping_) break;
    if (s.IsGone()) {
      KLOG_V(1, "informer {}: watch answered {}; relisting", codec_.resource.resource,
             s.ToString());
      co_return s;
    }
    if (!s.IsOk()) {
      if (!resumable) co_return s;
      auto delay = watch_backoff.Next();
      co_await SleepFor(delay, &sleep_timer_);
      continue;
    }
    watch_backoff.Reset();
  }
  co_return Status::Ok();
}

Task<Status> SharedInformer::ListAll(std::string* rv) {
  ++lists_;
  ListOptions opts;
  opts.label_selector = options_.label_selector;
  opts.field_selector = options_.field_selector;
  opts.limit = options_.page_size;
  std::unordered_map<std::string, ObjectPtr> items;
  while (true) {
    ObjectPath path{codec_.resource, options_.namespace_, "", ""};
    ListOptions page_opts = opts;
    auto page = co_await client_.List(std::move(path), std::move(page_opts));
    if (stopping_) co_return Status::Ok();
    if (!page.IsOk()) {
      if (page.status().IsGone() && !opts.continue_token.empty()) {
        // The continue token expired: one full list instead (upstream's pager does the same).
        items.clear();
        opts.continue_token.clear();
        opts.limit = 0;
        continue;
      }
      co_return page.status();
    }
    *rv = ListResourceVersion(*page);
    json::value* list_items = page->as_object().if_contains("items");
    if (list_items != nullptr && list_items->is_array()) {
      items.reserve(items.size() + list_items->get_array().size());
      for (const json::value& item : list_items->get_array()) {
        auto obj = codec_.decode(item);
        if (!obj.IsOk()) {
          KLOG_WARNING("informer {}: skipping an object that does not decode: {}",
                       codec_.resource.resource, obj.status().ToString());
          continue;
        }
        std::string key = MetaNamespaceKey(codec_.meta(obj->get()));
        items.insert_or_assign(std::move(key), std::move(*obj));
      }
    }
    std::string next = ListContinue(*page);
    if (next.empty()) break;
    opts.continue_token = std::move(next);
  }

  // Replace the store, and tell the handlers what changed (upstream's Replace: survivors and
  // newcomers as updates/adds, vanished objects as deletes whose final state is unknown).
  std::vector<std::pair<ObjectPtr, ObjectPtr>> changes;  // (old or null, new)
  changes.reserve(items.size());
  for (const auto& [key, obj] : items) changes.emplace_back(store_.Get(key), obj);
  std::vector<ObjectPtr> vanished;
  for (const auto& key : store_.ListKeys()) {
    if (items.count(key) == 0) vanished.push_back(store_.Get(key));
  }
  store_.Replace(std::move(items));
  SetLastRv(*rv);
  for (const auto& obj : vanished) {
    if (obj) DistributeDelete(obj, true);
  }
  for (const auto& [old_obj, new_obj] : changes) {
    if (old_obj) {
      DistributeUpdate(old_obj, new_obj);
    } else {
      DistributeAdd(new_obj);
    }
  }
  synced_.store(true);
  co_return Status::Ok();
}

Task<Status> SharedInformer::WatchOnce(bool* resumable) {
  static thread_local std::minstd_rand rng(std::random_device{}());
  ListOptions opts;
  opts.label_selector = options_.label_selector;
  opts.field_selector = options_.field_selector;
  opts.resource_version = LastSyncResourceVersion();
  opts.allow_watch_bookmarks = true;
  int64_t min_timeout = options_.min_watch_timeout.count();
  opts.timeout_seconds = min_timeout + std::uniform_int_distribution<int64_t>(
                                           0, std::max<int64_t>(min_timeout - 1, 0))(rng);
  ObjectPath path{codec_.resource, options_.namespace_, "", ""};
  ++watches_;
  auto opened = co_await client_.Watch(std::move(path), std::move(opts));
  if (!opened.IsOk()) {
    *resumable = Resumable(opened.status());
    co_return opened.status();
  }
  std::unique_ptr<WatchStream> stream = std::move(*opened);
  if (stopping_) co_return Status::Ok();
  watch_ = stream.get();
  Status result;
  while (true) {
    auto ev = co_await stream->Next();
    if (!ev.IsOk()) {
      result = ev.status();
      *resumable = Resumable(result);
      break;
    }
    if (!ev->has_value()) break;  // the server ended the watch: watch again
    Status s = Apply(**ev);
    if (!s.IsOk()) {
      result = s;
      *resumable = s.Code() == StatusCode::kTooManyRequests;
      break;
    }
  }
  watch_ = nullptr;
  co_return result;
}

Status SharedInformer::Apply(const WatchEvent& ev) {
  switch (ev.type) {
    case WatchEventType::kError:
      return StatusFromObject(ev.object, 500);
    case WatchEventType::kBookmark: {
      const json::object* o = ev.object.if_object();
      const json::value* meta = o != nullptr ? o->if_contains("metadata") : nullptr;
      if (meta != nullptr && meta->is_object()) {
        const json::value* rv = meta->get_object().if_contains("resourceVersion");
        if (rv != nullptr && rv->is_string()) SetLastRv(std::string(rv->get_string()));
      }
      return Status::Ok();
    }
    case WatchEventType::kAdded:
    case WatchEventType::kModified:
    case WatchEventType::kDeleted:
      break;
  }
  auto obj = codec_.decode(ev.object);
  if (!obj.IsOk()) {
    return Status::Internal("watch event does not decode: " + obj.status().Message());
  }
  const api::ObjectMeta& meta = codec_.meta(obj->get());
  std::string key = MetaNamespaceKey(meta);
  std::string rv = meta.resourceVersion;
  if (ev.type == WatchEventType::kDeleted) {
    ObjectPtr old = store_.Erase(key);
    DistributeDelete(*obj, false);
  } else {
    ObjectPtr old = store_.Upsert(key, *obj);
    if (old) {
      DistributeUpdate(old, *obj);
    } else {
      DistributeAdd(*obj);
    }
  }
  SetLastRv(std::move(rv));
  return Status::Ok();
}

void SharedInformer::DistributeAdd(const ObjectPtr& obj) {
  for (auto& h : handlers_) {
    if (h.fns.on_add) h.fns.on_add(obj);
  }
}

void SharedInformer::DistributeUpdate(const ObjectPtr& old_obj, const ObjectPtr& new_obj) {
  for (auto& h : handlers_) {
    if (h.fns.on_update) h.fns.on_update(old_obj, new_obj);
  }
}

void SharedInformer::DistributeDelete(const ObjectPtr& obj, bool unknown) {
  for (auto& h : handlers_) {
    if (h.fns.on_delete) h.fns.on_delete(obj, unknown);
  }
}

Task<void> SharedInformer::ResyncLoop(async::Gate::Holder hold) {
  while (!stopping_) {
    Clock::Duration period = Clock::Duration::max();
    for (const auto& h : handlers_) {
      if (h.resync.count() > 0) period = std::min<Clock::Duration>(period, h.resync);
    }
    if (period == Clock::Duration::max()) break;
    if (!co_await SleepFor(period, &resync_timer_)) break;
    if (!synced_.load()) continue;
    auto now = clock_.Now();
    std::vector<ObjectPtr> objs;
    for (auto& h : handlers_) {
      if (h.resync.count() <= 0 || now < h.next_resync) continue;
      if (objs.empty()) objs = store_.List();
      if (h.fns.on_update) {
        for (const auto& obj : objs) h.fns.on_update(obj, obj);
      }
      h.next_resync = now + h.resync;
    }
  }
  hold.Release();
}

// ---- SharedInformerFactory

SharedInformerFactory::SharedInformerFactory(RestClient& client, asio::any_io_executor ex,
                                             InformerOptions defaults, const Clock& clock)
    : client_(client), ex_(std::move(ex)), defaults_(std::move(defaults)), clock_(clock) {}

SharedInformerFactory::~SharedInformerFactory() { Stop(); }

std::shared_ptr<SharedInformer> SharedInformerFactory::Get(
    std::type_index type, const std::function<ObjectCodec()>& codec) {
  std::lock_guard lock(mu_);
  auto it = informers_.find(type);
  if (it != informers_.end()) return it->second;
  auto inf = std::make_shared<SharedInformer>(client_, ex_, codec(), defaults_, clock_);
  informers_.emplace(type, inf);
  return inf;
}

void SharedInformerFactory::Start() {
  std::lock_guard lock(mu_);
  for (auto& [type, inf] : informers_) {
    if (started_[type]) continue;
    started_[type] = true;
    inf->Start();
  }
}

void SharedInformerFactory::Stop() {
  std::vector<std::shared_ptr<SharedInformer>> all;
  {
    std::lock_guard lock(mu_);
    for (auto& [type, inf] : informers_) all.push_back(inf);
  }
  for (auto& inf : all) inf->Stop();
}

bool SharedInformerFactory::WaitForCacheSync(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<std::shared_ptr<SharedInformer>> started;
  {
    std::lock_guard lock(mu_);
    for (auto& [type, inf] : informers_) {
      if (started_[type]) started.push_back(inf);
    }
  }
  for (auto& inf : started) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!inf->WaitForSync(std::max(left, std::chrono::milliseconds(0)))) return false;
  }
  return true;
}

}  // namespace kubepp::client
