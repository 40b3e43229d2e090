#include "client/store.h"

#include <mutex>

namespace kubepp::client {

std::string MetaNamespaceKey(const api::ObjectMeta& meta) {
  if (meta.namespace_.empty()) return meta.name;
  return meta.namespace_ + "/" + meta.name;
}

std::pair<std::string, std::string> SplitMetaNamespaceKey(std::string_view key) {
  auto slash = key.find('/');
  if (slash == std::string_view::npos) return {"", std::string(key)};
  return {std::string(key.substr(0, slash)), std::string(key.substr(slash + 1))};
}

ObjectStore::ObjectStore(MetaFunc meta) : meta_(std::move(meta)) {
  indexers_.emplace(kNamespaceIndex, [m = meta_](const void* obj) {
    return std::vector<std::string>{m(obj).namespace_};
  });
  indices_[kNamespaceIndex];
}

Status ObjectStore::AddIndexers(const std::map<std::string, IndexFunc>& indexers) {
  std::unique_lock lock(mu_);
  for (const auto& [name, fn] : indexers) {
    if (indexers_.count(name) != 0) return Status::AlreadyExists("indexer conflict: " + name);
  }
  for (const auto& [name, fn] : indexers) {
    Index& index = indices_[name];
    for (const auto& [key, obj] : items_) {
      for (auto& v : fn(obj.get())) index[std::move(v)].insert(key);
    }
    indexers_.emplace(name, fn);
  }
  return Status::Ok();
}

void ObjectStore::IndexLocked(const std::string& key, const void* obj) {
  for (const auto& [name, fn] : indexers_) {
    Index& index = indices_.find(name)->second;
    for (auto& v : fn(obj)) index[std::move(v)].insert(key);
  }
}

void ObjectStore::UnindexLocked(const std::string& key, const void* obj) {
  for (const auto& [name, fn] : indexers_) {
    Index& index = indices_.find(name)->second;
    for (const auto& v : fn(obj)) {
      auto it = index.find(v);
      if (it == index.end()) continue;
      it->second.erase(key);
      if (it->second.empty()) index.erase(it);
    }
  }
}

ObjectPtr ObjectStore::Get(std::string_view key) const {
  std::shared_lock lock(mu_);
  auto it = items_.find(std::string(key));
  return it == items_.end() ? nullptr : it->second;
}

std::vector<ObjectPtr> ObjectStore::List() const {
  std::shared_lock lock(mu_);
  std::vector<ObjectPtr> out;
  out.reserve(items_.size());
  for (const auto& [key, obj] : items_) out.push_back(obj);
  return out;
}

std::vector<std::string> ObjectStore::ListKeys() const {
  std::shared_lock lock(mu_);
  std::vector<std::string> out;
  out.reserve(items_.size());
  for (const auto& [key, obj] : items_) out.push_back(key);
  return out;
}

Result<std::vector<ObjectPtr>> ObjectStore::ByIndex(std::string_view index,
                                                    std::string_view value) const {
  std::shared_lock lock(mu_);
  auto idx = indices_.find(index);
  if (idx == indices_.end()) {
    return Status::NotFound("Index with name " + std::string(index) + " does not exist");
  }
  std::vector<ObjectPtr> out;
  auto keys = idx->second.find(std::string(value));
  if (keys == idx->second.end()) return out;
  out.reserve(keys->second.size());
  for (const auto& key : keys->second) {
    auto it = items_.find(key);
    if (it != items_.end()) out.push_back(it->second);
  }
  return out;
}

std::vector<std::string> ObjectStore::IndexValues(std::string_view index) const {
  std::shared_lock lock(mu_);
  std::vector<std::string> out;
  auto idx = indices_.find(index);
  if (idx == indices_.end()) return out;
  for (const auto& [value, keys] : idx->second) out.push_back(value);
  return out;
}

size_t ObjectStore::Size() const {
  std::shared_lock lock(mu_);
  return items_.size();
}

ObjectPtr ObjectStore::Upsert(const std::string& key, ObjectPtr obj) {
  std::unique_lock lock(mu_);
  ObjectPtr old;
  auto it = items_.find(key);
  if (it != items_.end()) {
    old = std::move(it->second);
    UnindexLocked(key, old.get());
    it->second = std::move(obj);
    IndexLocked(key, it->second.get());
  } else {
    auto [ins, ok] = items_.emplace(key, std::move(obj));
    IndexLocked(key, ins->second.get());
  }
  return old;
}

ObjectPtr ObjectStore::Erase(const std::string& key) {
  std::unique_lock lock(mu_);
  auto it = items_.find(key);
  if (it == items_.end()) return nullptr;
  ObjectPtr old = std::move(it->second);
  items_.erase(it);
  UnindexLocked(key, old.get());
  return old;
}

void ObjectStore::Replace(std::unordered_map<std::string, ObjectPtr> items) {
  std::unique_lock lock(mu_);
  items_ = std::move(items);
  for (auto& [name, index] : indices_) index.clear();
  for (const auto& [key, obj] : items_) IndexLocked(key, obj.get());
}

}  // namespace kubepp::client
