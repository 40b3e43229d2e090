#include "apiserver/watch_hub.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include "base/log.h"

namespace kubepp::apiserver {

const std::map<std::string, std::string>& CachedObject::Fields() const {
  std::call_once(fields_once_, [this] {
    if (fields_of_ == nullptr || !*fields_of_) return;
    fields_ = (*fields_of_)(key_, Parse());
  });
  return fields_;
}

size_t CachedObject::HeapBytes() const {
  auto str = [](const std::string& x) { return x.capacity() > 15 ? x.capacity() + 1 : 0; };
  // make_shared: the control block and the object in one allocation.
  size_t n = sizeof(*this) + 16 + str(key_) + str(json_);
  for (const auto& [k, v] : labels_) n += 32 + 2 * sizeof(std::string) + str(k) + str(v);
  return n;
}

boost::json::value CachedObject::Parse() const {
  boost::system::error_code ec;
  auto v = boost::json::parse(json_, ec);
  if (ec) return boost::json::object();
  return v;
}

Subscription::Subscription(std::string prefix, storage::Revision after,
                           const boost::asio::any_io_executor& ex)
    : prefix_(std::move(prefix)), after_(after), wake_(ex) {}

std::vector<std::shared_ptr<const ApiEvent>> Subscription::Take(bool& overflowed) {
  std::lock_guard lock(mu_);
  overflowed = overflowed_;
  std::vector<std::shared_ptr<const ApiEvent>> out(queue_.begin(), queue_.end());
  queue_.clear();
  return out;
}

bool Subscription::ConsumeWake() {
  std::lock_guard lock(mu_);
  bool woken = woken_;
  woken_ = false;
  return woken;
}

storage::Revision Subscription::Progress() const {
  std::lock_guard lock(mu_);
  return progress_;
}

void Subscription::Push(const std::shared_ptr<const ApiEvent>& ev, size_t max_queue) {
  std::lock_guard lock(mu_);
  progress_ = std::max(progress_, ev->revision);
  if (ev->revision <= after_ || ev->key.compare(0, prefix_.size(), prefix_) != 0) return;
  if (queue_.size() >= max_queue) {
    overflowed_ = true;
    return;
  }
  queue_.push_back(ev);
}

WatchHub::WatchHub(storage::Backend& store, FieldsFunc fields_of, size_t window, size_t max_queue)
    : store_(store), fields_of_(std::move(fields_of)), window_(window), max_queue_(max_queue) {}

WatchHub::~WatchHub() { Stop(); }

std::shared_ptr<const CachedObject> WatchHub::Cache(const storage::KeyValue& kv,
                                                    storage::Revision rev) const {
  boost::system::error_code ec;
  auto v = boost::json::parse(kv.value, ec);
  if (ec || !v.is_object()) return nullptr;
  auto& meta = v.as_object()["metadata"];
  if (!meta.is_object()) meta = boost::json::object();
  auto& m = meta.as_object();
  m["resourceVersion"] = std::to_string(rev);
  std::map<std::string, std::string> labels;
  if (const auto* l = m.if_contains("labels"); l != nullptr && l->is_object()) {
    for (const auto& [k, val] : l->as_object()) {
      if (val.is_string()) labels.emplace(k, val.as_string());
    }
  }
  return std::make_shared<const CachedObject>(kv.key, rev, boost::json::serialize(v),
                                              std::move(labels), &fields_of_);
}

Result<storage::Revision> WatchHub::LoadAll(
    std::map<std::string, std::shared_ptr<const CachedObject>, std::less<>>& out) const {
  storage::ListOptions opts;
  opts.prefix = "/registry/";
  opts.limit = 2000;
  storage::Revision rev = 0;
  while (true) {
    KUBEPP_ASSIGN_OR_RETURN(auto page, store_.List(opts));
    rev = page.revision;
    for (const auto& kv : page.items) {
      if (auto obj = Cache(kv, kv.mod_revision)) out.emplace(kv.key, std::move(obj));
    }
    if (page.continue_token.empty()) break;
    opts.continue_token = page.continue_token;
  }
  return rev;
}

Status WatchHub::Start() {
  std::map<std::string, std::shared_ptr<const CachedObject>, std::less<>> objects;
  KUBEPP_ASSIGN_OR_RETURN(storage::Revision rev, LoadAll(objects));
  KUBEPP_ASSIGN_OR_RETURN(auto stream, store_.Watch("/registry/", rev));
  {
    std::lock_guard lock(mu_);
    start_ = rev;
    progress_ = rev;
    json_bytes_ = 0;
    for (const auto& [k, o] : objects) json_bytes_ += o->Json().size();
    objects_ = std::move(objects);
  }
  reader_ = std::thread([this, s = std::move(stream), rev]() mutable { Run(std::move(s), rev); });
  return Status::Ok();
}

void WatchHub::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    cv_.notify_all();
    if (stream_ != nullptr && *stream_) (*stream_)->Cancel();
    // End every watch: its watcher wakes, sees the end, and returns (the server can stop).
    for (const auto& sub : subs_) {
      {
        std::lock_guard sl(sub->mu_);
        sub->overflowed_ = true;
      }
      WakeUp(sub);
    }
  }
  if (reader_.joinable()) reader_.join();
}

std::shared_ptr<const ApiEvent> WatchHub::Convert(const storage::WatchEvent& ev) const {
  auto out = std::make_shared<ApiEvent>();
  out->revision = ev.kv.mod_revision;
  out->type = ev.type;
  out->key = ev.kv.key;
  // The previous version is the one the cache holds (shared, not rebuilt) when it has it.
  if (ev.prev) {
    std::lock_guard lock(mu_);
    auto it = objects_.find(ev.kv.key);
    if (it != objects_.end() && it->second->Revision() == ev.prev->mod_revision) {
      out->prev = it->second;
    }
  }
  if (ev.prev && !out->prev) out->prev = Cache(*ev.prev, ev.prev->mod_revision);
  if (ev.type == storage::EventType::kDeleted) {
    // The deleted object as it last was, stamped with the revision of the delete (upstream).
    if (ev.prev) out->object = Cache(*ev.prev, ev.kv.mod_revision);
  } else {
    out->object = Cache(ev.kv, ev.kv.mod_revision);
  }
  if (!out->object) return nullptr;
  return out;
}

void WatchHub::WakeUp(const std::shared_ptr<Subscription>& sub) {
  {
    std::lock_guard lock(sub->mu_);
    sub->woken_ = true;
  }
  boost::asio::post(sub->wake_.get_executor(), [sub] { sub->wake_.cancel(); });
}

void WatchHub::Run(std::unique_ptr<storage::WatchStream> stream, storage::Revision start) {
  storage::Revision last = start;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stream_ = &stream;
  }
  while (true) {
    auto batch = stream->Next(std::chrono::milliseconds(1000));
    {
      std::lock_guard lock(mu_);
      if (stopping_) break;
    }
    if (!batch.IsOk()) {
      KLOG_WARNING("watch hub: store watch ended ({}); resuming from revision {}",
                   batch.status().ToString(), last);
      std::unique_ptr<storage::WatchStream> next;
      while (true) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        {
          std::lock_guard lock(mu_);
          if (stopping_) break;
        }
        auto w = store_.Watch("/registry/", last);
        if (w.IsOk()) {
          next = std::move(*w);
          break;
        }
        if (w.status().IsGone()) {
          // History is gone: reload every object, and every watcher must relist. Drop them;
          // they reconnect and get 410.
          std::map<std::string, std::shared_ptr<const CachedObject>, std::less<>> objects;
          auto rev = LoadAll(objects);
          if (!rev.IsOk()) continue;
          std::lock_guard lock(mu_);
          for (const auto& sub : subs_) {
            {
              std::lock_guard sl(sub->mu_);
              sub->overflowed_ = true;
            }
            WakeUp(sub);
          }
          recent_.clear();
          json_bytes_ = 0;
          for (const auto& [k, o] : objects) json_bytes_ += o->Json().size();
          objects_ = std::move(objects);
          last = start_ = progress_ = *rev;
          cv_.notify_all();
        }
      }
      std::lock_guard lock(mu_);
      if (stopping_ || !next) break;
      stream = std::move(next);
      continue;
    }
    std::vector<std::shared_ptr<const ApiEvent>> events;
    for (const auto& ev : batch->events) {
      if (auto converted = Convert(ev)) events.push_back(std::move(converted));
    }
    std::lock_guard lock(mu_);
    last = std::max(last, batch->revision);
    for (auto& ev : events) {
      auto it = objects_.find(ev->key);
      if (it != objects_.end()) {
        json_bytes_ -= it->second->Json().size();
        if (ev->type == storage::EventType::kDeleted) {
          objects_.erase(it);
        } else {
          it->second = ev->object;
          json_bytes_ += ev->object->Json().size();
        }
      } else if (ev->type != storage::EventType::kDeleted) {
        objects_.emplace(ev->key, ev->object);
        json_bytes_ += ev->object->Json().size();
      }
      recent_.push_back(ev);
      for (const auto& sub : subs_) sub->Push(ev, max_queue_);
    }
    progress_ = last;
    cv_.notify_all();
    while (recent_.size() > window_) {
      start_ = recent_.front()->revision;
      recent_.pop_front();
    }
    for (const auto& sub : subs_) {
      {
        std::lock_guard sl(sub->mu_);
        sub->progress_ = std::max(sub->progress_, last);
      }
      if (!events.empty()) WakeUp(sub);
    }
  }
  std::lock_guard lock(mu_);
  stream_ = nullptr;
}

Result<std::shared_ptr<Subscription>> WatchHub::Subscribe(const std::string& prefix,
                                                          storage::Revision after,
                                                          const boost::asio::any_io_executor& ex) {
  auto sub = std::make_shared<Subscription>(prefix, after, ex);
  std::lock_guard lock(mu_);
  if (stopping_) return Status::Unavailable("the API server is shutting down");
  if (after < start_) {
    return Status(StatusCode::kExpired, "too old resource version: " + std::to_string(after) +
                                            " (" + std::to_string(start_ + 1) + ")");
  }
  auto first = std::upper_bound(recent_.begin(), recent_.end(), after,
                                [](storage::Revision r, const std::shared_ptr<const ApiEvent>& ev) {
                                  return r < ev->revision;
                                });
  for (auto it = first; it != recent_.end(); ++it) sub->Push(*it, max_queue_);
  {
    std::lock_guard sl(sub->mu_);
    sub->progress_ = progress_;
  }
  subs_.insert(sub);
  return sub;
}

void WatchHub::Unsubscribe(const std::shared_ptr<Subscription>& sub) {
  std::lock_guard lock(mu_);
  subs_.erase(sub);
}

Result<CacheSnapshot> WatchHub::List(const std::string& prefix, storage::Revision min_revision,
                                     std::chrono::milliseconds wait) const {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, wait, [&] { return progress_ >= min_revision || stopping_; })) {
    return Status::Timeout("Too large resource version: " + std::to_string(min_revision) +
                           ", current: " + std::to_string(progress_));
  }
  if (stopping_) return Status::Unavailable("the API server is shutting down");
  CacheSnapshot snap;
  snap.revision = progress_;
  for (auto it = objects_.lower_bound(prefix);
       it != objects_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    snap.items.push_back(it->second);
  }
  return snap;
}

WatchHub::CacheStats WatchHub::Stats() const {
  std::lock_guard lock(mu_);
  CacheStats out;
  out.objects = objects_.size();
  out.json_bytes = json_bytes_;
  constexpr size_t kMapNode = 32 + sizeof(std::string) + sizeof(std::shared_ptr<int>);
  for (const auto& [k, o] : objects_) {
    out.heap_bytes += kMapNode + (k.capacity() > 15 ? k.capacity() + 1 : 0) + o->HeapBytes();
  }
  return out;
}

storage::Revision WatchHub::Progress() const {
  std::lock_guard lock(mu_);
  return progress_;
}

}  // namespace kubepp::apiserver
