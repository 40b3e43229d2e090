// MemoryBackend: the storage::Backend contract held in process memory. For unit tests of code
// above the store, and as the reference the conformance suite is checked against. Nothing is
// durable. Thread-safe (one mutex; fine for tests, not for benchmarks of real workloads).
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>

#include "storage/backend.h"

namespace kubepp::storage {

class MemoryBackend final : public Backend {
 public:
  MemoryBackend() = default;
  ~MemoryBackend() override;

  // storage::Backend
  Result<KeyValue> Get(std::string_view key) override;
  Result<ListResult> List(const ListOptions& opts) override;
  Result<KeyValue> Create(std::string_view key, std::string_view value) override;
  Result<KeyValue> Update(std::string_view key, std::string_view value,
                          Revision expected_mod_revision) override;
  Result<DeleteResult> Delete(std::string_view key, Revision expected_mod_revision) override;
  Result<std::unique_ptr<WatchStream>> Watch(std::string_view prefix,
                                             Revision from_revision) override;
  Status Compact(Revision revision) override;
  Result<Revision> CurrentRevision() override;
  Result<Revision> CompactedRevision() override;

 private:
  class Stream;

  // One version of a key: a value, or a tombstone left by a delete.
  struct Version {
    std::string value;           // the bytes (empty for a tombstone)
    Revision create_revision{};  // revision that created this incarnation
    Revision mod_revision{};     // revision of this version
    bool tombstone = false;      // this version is a delete
  };

  // The newest version of `key` at `revision`, or nullptr. Requires mu_.
  const Version* VersionAt(const std::vector<Version>& versions, Revision revision) const;
  // Appends one change at the next revision and wakes watchers. Requires mu_.
  void Append(const std::string& key, Version v);

  std::mutex mu_;                    // guards everything below
  std::condition_variable changed_;  // notified on every write, compaction and close
  Revision current_ = 1;             // latest revision (1 = empty store, as etcd)
  Revision compacted_ = 0;           // reads below this are Gone
  std::map<std::string, std::vector<Version>, std::less<>> keys_;  // key -> versions, oldest first
  std::deque<WatchEvent> log_;  // events of revisions log_base_ .. current_
  Revision log_base_ = 2;       // revision of log_.front()
  bool closed_ = false;         // set by the destructor to end streams
  int streams_ = 0;             // live streams (must be 0 at destruction)
};

}  // namespace kubepp::storage
