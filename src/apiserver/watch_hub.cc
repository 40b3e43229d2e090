#include "apiserver/watch_hub.h"

#include <boost/asio/post.hpp>
#include <boost/json.hpp>

#include "base/log.h"

namespace kubepp::apiserver {

namespace {
// Parses stored JSON and sets metadata.resourceVersion.
std::shared_ptr<const boost::json::value> WithRv(const std::string& bytes, storage::Revision rev) {
  boost::system::error_code ec;
  auto v = boost::json::parse(bytes, ec);
  if (ec || !v.is_object()) return nullptr;
  auto& meta = v.as_object()["metadata"];
  if (!meta.is_object()) meta = boost::json::object();
  meta.as_object()["resourceVersion"] = std::to_string(rev);
  return std::make_shared<const boost::json::value>(std::move(v));
}
}  // namespace

Subscription::Subscription(std::string prefix, storage::Revision after,
                           boost::asio::any_io_executor ex)
    : prefix_(std::move(prefix)), after_(after), wake_(std::move(ex)) {}

std::vector<std::shared_ptr<const ApiEvent>> Subscription::Take(bool& overflowed) {
  std::lock_guard lock(mu_);
  overflowed = overflowed_;
  std::vector<std::shared_ptr<const ApiEvent>> out(queue_.begin(), queue_.end());
  queue_.clear();
  return out;
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

WatchHub::WatchHub(storage::Backend& store, size_t window, size_t max_queue)
    : store_(store), window_(window), max_queue_(max_queue) {}

WatchHub::~WatchHub() { Stop(); }

Status WatchHub::Start() {
  KUBEPP_ASSIGN_OR_RETURN(storage::Revision rev, store_.CurrentRevision());
  KUBEPP_ASSIGN_OR_RETURN(auto stream, store_.Watch("/registry/", rev));
  {
    std::lock_guard lock(mu_);
    start_ = rev;
    progress_ = rev;
  }
  reader_ = std::thread([this, s = std::move(stream), rev]() mutable { Run(std::move(s), rev); });
  return Status::Ok();
}

void WatchHub::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
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

std::shared_ptr<const ApiEvent> WatchHub::Convert(const storage::WatchEvent& ev) {
  auto out = std::make_shared<ApiEvent>();
  out->revision = ev.kv.mod_revision;
  out->type = ev.type;
  out->key = ev.kv.key;
  if (ev.type == storage::EventType::kDeleted) {
    // The deleted object as it last was, stamped with the revision of the delete (upstream).
    if (ev.prev) out->object = WithRv(ev.prev->value, ev.kv.mod_revision);
  } else {
    out->object = WithRv(ev.kv.value, ev.kv.mod_revision);
  }
  if (ev.prev) out->prev = WithRv(ev.prev->value, ev.prev->mod_revision);
  if (!out->object) return nullptr;
  return out;
}

void WatchHub::WakeUp(const std::shared_ptr<Subscription>& sub) {
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
          // History is gone: every watcher must relist. Drop them; they reconnect and get 410.
          std::lock_guard lock(mu_);
          for (const auto& sub : subs_) {
            {
              std::lock_guard sl(sub->mu_);
              sub->overflowed_ = true;
            }
            WakeUp(sub);
          }
          recent_.clear();
          auto cur = store_.CurrentRevision();
          if (cur.IsOk()) last = start_ = progress_ = *cur;
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
    progress_ = last;
    for (auto& ev : events) {
      recent_.push_back(ev);
      for (const auto& sub : subs_) sub->Push(ev, max_queue_);
    }
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
                                                          boost::asio::any_io_executor ex) {
  auto sub = std::make_shared<Subscription>(prefix, after, std::move(ex));
  std::lock_guard lock(mu_);
  if (stopping_) return Status::Unavailable("the API server is shutting down");
  if (after < start_) {
    return Status(StatusCode::kExpired, "too old resource version: " + std::to_string(after) +
                                            " (" + std::to_string(start_ + 1) + ")");
  }
  for (const auto& ev : recent_) sub->Push(ev, max_queue_);
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

storage::Revision WatchHub::Progress() const {
  std::lock_guard lock(mu_);
  return progress_;
}

}  // namespace kubepp::apiserver
