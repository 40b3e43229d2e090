#include "storage/memory/memory_backend.h"

#include <algorithm>

namespace kubepp::storage {

namespace {
bool HasPrefix(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}
}  // namespace

// A watcher reading the shared event log from its own position.
class MemoryBackend::Stream final : public WatchStream {
 public:
  Stream(MemoryBackend* backend, std::string prefix, Revision next)
      : backend_(backend), prefix_(std::move(prefix)), next_(next) {}
  ~Stream() override {
    std::lock_guard lock(backend_->mu_);
    --backend_->streams_;
  }

  Result<WatchBatch> Next(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(backend_->mu_);
    auto ready = [this] {
      return cancelled_ || backend_->closed_ || next_ <= backend_->current_ ||
             next_ < backend_->compacted_;
    };
    backend_->changed_.wait_for(lock, timeout, ready);
    if (cancelled_ || backend_->closed_) return Status::Unavailable("watch cancelled");
    if (next_ < backend_->compacted_) {
      return Status::Gone("required revision " + std::to_string(next_) + " has been compacted");
    }
    WatchBatch batch;
    for (; next_ <= backend_->current_; ++next_) {
      const WatchEvent& ev = backend_->log_[static_cast<size_t>(next_ - backend_->log_base_)];
      if (HasPrefix(ev.kv.key, prefix_)) batch.events.push_back(ev);
    }
    batch.revision = backend_->current_;
    return batch;
  }

  void Cancel() override {
    std::lock_guard lock(backend_->mu_);
    cancelled_ = true;
    backend_->changed_.notify_all();
  }

 private:
  MemoryBackend* backend_;  // outlives the stream (checked at destruction)
  std::string prefix_;      // keys watched
  Revision next_;           // the next revision to deliver
  bool cancelled_ = false;  // Cancel() was called (guarded by backend_->mu_)
};

MemoryBackend::~MemoryBackend() {
  std::lock_guard lock(mu_);
  closed_ = true;
  changed_.notify_all();
  KUBEPP_CHECK(streams_ == 0, "MemoryBackend destroyed with {} live watch streams", streams_);
}

const MemoryBackend::Version* MemoryBackend::VersionAt(const std::vector<Version>& versions,
                                                       Revision revision) const {
  for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
    if (it->mod_revision <= revision) return it->tombstone ? nullptr : &*it;
  }
  return nullptr;
}

void MemoryBackend::Append(const std::string& key, Version v) {
  auto& versions = keys_[key];
  WatchEvent ev;
  const Version* prev = versions.empty() || versions.back().tombstone ? nullptr : &versions.back();
  if (prev != nullptr) {
    ev.prev = KeyValue{key, prev->value, prev->create_revision, prev->mod_revision};
  }
  ev.type = v.tombstone ? EventType::kDeleted
                        : (prev != nullptr ? EventType::kUpdated : EventType::kCreated);
  ev.kv = KeyValue{key, v.tombstone ? std::string() : v.value, v.create_revision, v.mod_revision};
  versions.push_back(std::move(v));
  log_.push_back(std::move(ev));
  current_ = log_.back().kv.mod_revision;
  changed_.notify_all();
}

Result<KeyValue> MemoryBackend::Get(std::string_view key) {
  std::lock_guard lock(mu_);
  auto it = keys_.find(key);
  if (it == keys_.end() || it->second.back().tombstone) {
    return Status::NotFound("key not found");
  }
  const Version& v = it->second.back();
  return KeyValue{it->first, v.value, v.create_revision, v.mod_revision};
}

Result<ListResult> MemoryBackend::List(const ListOptions& opts) {
  std::lock_guard lock(mu_);
  Revision rev = opts.revision;
  std::string start = opts.prefix;
  if (!opts.continue_token.empty()) {
    KUBEPP_ASSIGN_OR_RETURN(auto token, DecodeContinueToken(opts.continue_token));
    rev = token.first;
    if (!HasPrefix(token.second, opts.prefix)) return Status::BadRequest("invalid continue token");
    start = token.second;
  }
  if (rev == 0) rev = current_;
  if (rev > current_) return Status::BadRequest("revision is in the future");
  if (rev < compacted_) {
    return Status::Gone("required revision " + std::to_string(rev) + " has been compacted");
  }
  ListResult out;
  out.revision = rev;
  for (auto it = keys_.lower_bound(start); it != keys_.end() && HasPrefix(it->first, opts.prefix);
       ++it) {
    const Version* v = VersionAt(it->second, rev);
    if (v == nullptr) continue;
    if (opts.limit > 0 && static_cast<int64_t>(out.items.size()) == opts.limit) {
      if (out.continue_token.empty()) out.continue_token = EncodeContinueToken(rev, it->first);
      ++out.remaining;
      continue;
    }
    out.items.push_back(KeyValue{it->first, v->value, v->create_revision, v->mod_revision});
  }
  return out;
}

Result<KeyValue> MemoryBackend::Create(std::string_view key, std::string_view value) {
  KUBEPP_RETURN_IF_ERROR(ValidateWrite(key, value));
  std::lock_guard lock(mu_);
  auto it = keys_.find(key);
  if (it != keys_.end() && !it->second.back().tombstone) {
    return Status::AlreadyExists("key already exists");
  }
  Revision rev = current_ + 1;
  Append(std::string(key), Version{std::string(value), rev, rev, false});
  return KeyValue{std::string(key), std::string(value), rev, rev};
}

Result<KeyValue> MemoryBackend::Update(std::string_view key, std::string_view value,
                                       Revision expected_mod_revision) {
  KUBEPP_RETURN_IF_ERROR(ValidateWrite(key, value));
  std::lock_guard lock(mu_);
  auto it = keys_.find(key);
  if (it == keys_.end() || it->second.back().tombstone) return Status::NotFound("key not found");
  const Version& cur = it->second.back();
  if (expected_mod_revision != 0 && cur.mod_revision != expected_mod_revision) {
    return Status::Conflict("mod revision mismatch");
  }
  Revision rev = current_ + 1;
  Revision created = cur.create_revision;
  Append(it->first, Version{std::string(value), created, rev, false});
  return KeyValue{std::string(key), std::string(value), created, rev};
}

Result<DeleteResult> MemoryBackend::Delete(std::string_view key, Revision expected_mod_revision) {
  if (key.empty()) return Status::BadRequest("empty key");
  std::lock_guard lock(mu_);
  auto it = keys_.find(key);
  if (it == keys_.end() || it->second.back().tombstone) return Status::NotFound("key not found");
  const Version& cur = it->second.back();
  if (expected_mod_revision != 0 && cur.mod_revision != expected_mod_revision) {
    return Status::Conflict("mod revision mismatch");
  }
  DeleteResult out;
  out.prev = KeyValue{it->first, cur.value, cur.create_revision, cur.mod_revision};
  out.revision = current_ + 1;
  Append(it->first, Version{"", cur.create_revision, out.revision, true});
  return out;
}

Result<std::unique_ptr<WatchStream>> MemoryBackend::Watch(std::string_view prefix,
                                                          Revision from_revision) {
  std::lock_guard lock(mu_);
  Revision next = from_revision == 0 ? current_ + 1 : from_revision + 1;
  if (next < compacted_) {
    return Status::Gone("required revision " + std::to_string(next) + " has been compacted");
  }
  if (next > current_ + 1) return Status::BadRequest("watch revision is in the future");
  ++streams_;
  return std::unique_ptr<WatchStream>(std::make_unique<Stream>(this, std::string(prefix), next));
}

Status MemoryBackend::Compact(Revision revision) {
  std::lock_guard lock(mu_);
  if (revision > current_) return Status::BadRequest("compaction revision is in the future");
  if (revision <= compacted_) return Status::Ok();
  compacted_ = revision;
  // Keep, per key, the newest version at `revision` (if live) and everything after it.
  for (auto it = keys_.begin(); it != keys_.end();) {
    auto& versions = it->second;
    auto first_kept = std::find_if(versions.begin(), versions.end(), [revision](const Version& v) {
      return v.mod_revision > revision;
    });
    if (first_kept != versions.begin() && !std::prev(first_kept)->tombstone) --first_kept;
    versions.erase(versions.begin(), first_kept);
    it = versions.empty() ? keys_.erase(it) : std::next(it);
  }
  while (!log_.empty() && log_base_ < revision) {
    log_.pop_front();
    ++log_base_;
  }
  changed_.notify_all();
  return Status::Ok();
}

Result<Revision> MemoryBackend::CurrentRevision() {
  std::lock_guard lock(mu_);
  return current_;
}

Result<Revision> MemoryBackend::CompactedRevision() {
  std::lock_guard lock(mu_);
  return compacted_;
}

}  // namespace kubepp::storage
