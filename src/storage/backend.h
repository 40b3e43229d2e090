// storage::Backend: the versioned key-value store under the API server (what etcd is to
// Kubernetes).
//
// Model (etcd v3's MVCC): one global revision counter. Every successful write (create, update,
// delete) is one new revision, strictly greater than every earlier one; a key's value carries
// the revision that created the key (create_revision) and the one that last changed it
// (mod_revision). Reads see every write acknowledged before they started (linearizable).
//
// Contract for every implementation:
// - Thread-safe: any method may be called from any thread concurrently. Methods block (disk,
//   network), so io threads call them through async::RunBlocking.
// - Durability: a write returns OK only after it is durable; it then survives kill -9.
// - Errors (Status codes): NotFound (Get/Update/Delete of a missing key), AlreadyExists (Create
//   of a present key), Conflict (expected_mod_revision differs from the key's mod_revision),
//   Gone (a revision older than the compacted revision), RequestEntityTooLarge (value over
//   kMaxValueBytes), BadRequest (malformed continue token, empty key), ServiceUnavailable (the
//   store cannot be reached or is closed), InternalError (corruption and other surprises).
//   Never an exception, never a crash on bad input or a bad file.
// - Keys and values are arbitrary bytes (NUL included). Keys are ordered bytewise.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace kubepp::storage {

// A store revision. Revisions start at 1 and only grow; 0 means "none / latest" in options.
using Revision = int64_t;

// The largest value a backend accepts (etcd's default request limit is 1.5 MiB).
inline constexpr size_t kMaxValueBytes = size_t{1536} * 1024;

struct KeyValue {
  std::string key;             // the full key
  std::string value;           // the value bytes (empty for a delete event's object)
  Revision create_revision{};  // the revision that created this key (this incarnation)
  Revision mod_revision{};     // the revision of the last change to this key
  bool operator==(const KeyValue&) const = default;
};

struct ListOptions {
  std::string prefix;          // list keys starting with this ("" = every key)
  Revision revision = 0;       // read at this revision; 0 = the current one
  int64_t limit = 0;           // at most this many items per page; 0 = no limit
  std::string continue_token;  // from a previous page; then `revision` is taken from the token
};

struct ListResult {
  std::vector<KeyValue> items;  // in key order
  Revision revision{};          // the revision this page (and every later page) reads at
  std::string continue_token;   // non-empty when more items follow
  int64_t remaining = 0;        // items after this page (0 when none follow)
};

struct DeleteResult {
  KeyValue prev;        // the value that was deleted
  Revision revision{};  // the revision of the delete
};

enum class EventType { kCreated, kUpdated, kDeleted };

struct WatchEvent {
  EventType type{};
  // kCreated/kUpdated: the new value. kDeleted: the key, empty value, mod_revision = the
  // revision of the delete, create_revision = the deleted value's create_revision.
  KeyValue kv;
  std::optional<KeyValue> prev;  // the previous value (set for kUpdated and kDeleted)
};

struct WatchBatch {
  std::vector<WatchEvent> events;  // in revision order; empty on a timeout or progress notice
  // The stream has delivered every change up to and including this revision (>= the last
  // event's mod_revision). Lets a watch cache know how fresh it is with no events.
  Revision revision{};
};

// A stream of changes under a prefix. Owned by one consumer thread; Cancel() may be called
// from any thread.
class WatchStream {
 public:
  virtual ~WatchStream() = default;
  // Blocks until changes arrive or `timeout` passes (then an empty batch). Every change after
  // the watch's start revision is delivered exactly once, in revision order, with no gaps.
  // Errors: Gone when the stream fell behind a compaction; ServiceUnavailable when the store
  // went away or Cancel() was called (the consumer may watch again from batch.revision).
  virtual Result<WatchBatch> Next(std::chrono::milliseconds timeout) = 0;
  // Ends the stream: a blocked Next() returns ServiceUnavailable promptly. Idempotent.
  virtual void Cancel() = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;

  // The current value of `key`. NotFound when absent.
  virtual Result<KeyValue> Get(std::string_view key) = 0;

  // Keys under opts.prefix, in key order, consistent at one revision across all pages.
  // Gone when the revision (or the token's) is compacted; BadRequest for a malformed token.
  virtual Result<ListResult> List(const ListOptions& opts) = 0;

  // Creates `key` only if absent. Returns the stored value with its revisions.
  virtual Result<KeyValue> Create(std::string_view key, std::string_view value) = 0;

  // Replaces the value of `key` if its mod_revision equals `expected_mod_revision` (0: any).
  // NotFound when absent, Conflict when the revision differs.
  virtual Result<KeyValue> Update(std::string_view key, std::string_view value,
                                  Revision expected_mod_revision) = 0;

  // Deletes `key` if its mod_revision equals `expected_mod_revision` (0: any).
  virtual Result<DeleteResult> Delete(std::string_view key, Revision expected_mod_revision) = 0;

  // Watches changes under `prefix` with revision > `from_revision` (0: from now on).
  // Gone when from_revision + 1 is older than the compacted revision.
  virtual Result<std::unique_ptr<WatchStream>> Watch(std::string_view prefix,
                                                     Revision from_revision) = 0;

  // Discards history before `revision`: later reads at revisions < `revision` answer Gone;
  // the current value of every key stays. Compacting to an older revision than before is OK
  // (no-op); a revision in the future is BadRequest.
  virtual Status Compact(Revision revision) = 0;

  // The latest revision (every acknowledged write has a revision <= it).
  virtual Result<Revision> CurrentRevision() = 0;

  // The revision history is compacted to (reads below it answer Gone); 0 before any compaction.
  virtual Result<Revision> CompactedRevision() = 0;
};

// The first key after every key with `prefix` ("" for an empty prefix: no upper bound),
// as etcd's range_end for a prefix.
std::string PrefixEnd(std::string_view prefix);

// Continue tokens shared by every backend: opaque to callers, carry the revision of the
// first page and the key to start the next page at.
std::string EncodeContinueToken(Revision revision, std::string_view next_key);
// BadRequest when `token` is not one of ours.
Result<std::pair<Revision, std::string>> DecodeContinueToken(std::string_view token);

// Checks shared by every backend's writes: a non-empty key, a value within kMaxValueBytes.
Status ValidateWrite(std::string_view key, std::string_view value);

}  // namespace kubepp::storage
