// ObjectStore: the thread-safe, indexed cache behind an informer (client-go's ThreadSafeStore +
// Indexer).
//
// Objects are immutable and shared: the store holds `shared_ptr<const void>` to the decoded
// typed object (the informer decodes each watch event once; the store, every handler and every
// lister read share that one copy). Keys are "namespace/name" (or "name" when cluster-scoped).
// Indexes map an index value to the set of keys whose object produced it; the "namespace"
// index always exists.
//
// Threading: reads from any thread (shared lock); writes only from the owning informer.
// Readers must treat objects as read-only (copy before changing, as upstream).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "api/types.h"
#include "base/status.h"

namespace kubepp::client {

using ObjectPtr = std::shared_ptr<const void>;

// "namespace/name", or "name" for a cluster-scoped object (MetaNamespaceKeyFunc).
std::string MetaNamespaceKey(const api::ObjectMeta& meta);
// Splits a key back into namespace ("" when none) and name.
std::pair<std::string, std::string> SplitMetaNamespaceKey(std::string_view key);

inline constexpr char kNamespaceIndex[] = "namespace";

class ObjectStore {
 public:
  // Reads the metadata of a stored object.
  using MetaFunc = std::function<const api::ObjectMeta&(const void*)>;
  // The index values of an object (may be several, or none).
  using IndexFunc = std::function<std::vector<std::string>(const void*)>;

  explicit ObjectStore(MetaFunc meta);

  // Adds indexes; existing objects are indexed at once. AlreadyExists for a name in use.
  Status AddIndexers(const std::map<std::string, IndexFunc>& indexers);

  ObjectPtr Get(std::string_view key) const;  // nullptr when absent
  std::vector<ObjectPtr> List() const;
  std::vector<std::string> ListKeys() const;
  // Objects whose index `index` produced `value`. NotFound for an unknown index.
  Result<std::vector<ObjectPtr>> ByIndex(std::string_view index, std::string_view value) const;
  // The values index `index` holds now.
  std::vector<std::string> IndexValues(std::string_view index) const;
  size_t Size() const;

  // Writers (the informer). Each returns the object it replaced or removed (or nullptr).
  ObjectPtr Upsert(const std::string& key, ObjectPtr obj);
  ObjectPtr Erase(const std::string& key);
  // Replaces everything with `items`.
  void Replace(std::unordered_map<std::string, ObjectPtr> items);

  const MetaFunc& Meta() const { return meta_; }

 private:
  using Index = std::unordered_map<std::string, std::set<std::string>>;  // value -> keys
  void IndexLocked(const std::string& key, const void* obj);
  void UnindexLocked(const std::string& key, const void* obj);

  const MetaFunc meta_;                                     // metadata of a stored object
  mutable std::shared_mutex mu_;                            // guards the fields below
  std::unordered_map<std::string, ObjectPtr> items_;        // key -> object
  std::map<std::string, IndexFunc, std::less<>> indexers_;  // index name -> function
  std::map<std::string, Index, std::less<>> indices_;       // index name -> its index
};

}  // namespace kubepp::client
