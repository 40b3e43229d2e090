// SqliteBackend: storage::Backend on one embedded SQLite file, the default store.
//
// Contract: everything in storage/backend.h. In addition:
// - Durability: the file is in WAL mode with synchronous=FULL; a write is acknowledged only
//   after the transaction carrying it has committed (WAL fsynced), so it survives kill -9 and
//   power loss.
// - Threads: Open() starts one writer thread and one checkpointer thread; both are joined by
//   the destructor. Writes from any thread are queued to the writer, which batches every
//   queued write into one transaction and one fsync (group commit) and then wakes the callers.
//   Reads (Get, List, watch replay) run on a small pool of read connections and never wait for
//   the writer (WAL readers do not block it, nor it them).
// - Watch: fed from the writer's commits through an in-memory window of recent events; a
//   watch that starts before the window replays from the revision log, then continues with the
//   window with no gap or duplicate. Streams may outlive the backend; they then answer
//   ServiceUnavailable.
// - Compaction: Compact() commits the new compacted revision at once (older reads answer Gone),
//   then the writer deletes superseded versions and tombstones in small transactions between
//   write batches, so writers wait at most one small batch. Optional periodic auto-compaction.
// - One process at a time: Open() takes an exclusive lock on "<path>.lock"; a second Open of
//   the same file answers ServiceUnavailable.
// - Bad files: a corrupt, truncated or foreign file makes Open() answer InternalError naming
//   the path and SQLite's message. SQLite errors at run time become Status values.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "storage/backend.h"

namespace kubepp::storage {

struct SqliteOptions {
  std::string path;             // the database file; created when absent (its directory must exist)
  int read_connections = 4;     // size of the read connection pool
  int max_batch_writes = 1024;  // most writes one group commit carries
  size_t max_batch_bytes = size_t{32} << 20;     // most value bytes one group commit carries
  size_t watch_window_events = 16384;            // recent events kept in memory for watchers
  size_t watch_window_bytes = size_t{64} << 20;  // bound on the window's value bytes
  // Most revisions purged per compaction transaction. The writer shrinks the chunk (down to
  // 16) while a chunk's deletes take longer than compact_chunk_target (large values) and
  // grows it back.
  int64_t compact_batch_revisions = 1000;
  std::chrono::microseconds compact_chunk_target{2000};  // aim for deletes this short
  // Auto-compaction: every interval, compact to (current - auto_compact_retain). 0 = off.
  std::chrono::milliseconds auto_compact_interval{0};
  int64_t auto_compact_retain = 10000;  // revisions kept by auto-compaction
  bool verify_on_open = true;           // run PRAGMA quick_check in Open()
  int64_t checkpoint_wal_pages = 4000;  // WAL size (pages) that triggers a background checkpoint
};

// Counters for tests and benchmarks.
struct SqliteStats {
  int64_t commits = 0;             // write transactions committed (group commits)
  int64_t writes = 0;              // writes (create/update/delete) committed
  int64_t purged_rows = 0;         // old versions and tombstones deleted by compaction
  int64_t purge_batches = 0;       // compaction transactions
  int64_t checkpoints = 0;         // background WAL checkpoints run
  int64_t writer_checkpoints = 0;  // checkpoints the writer finished itself (WAL at 4x)
  Revision purged_up_to = 0;       // compaction has physically removed history below this
};

class SqliteBackend final : public Backend {
 public:
  // Opens (creating if needed) the store in options.path. InternalError for a corrupt or
  // foreign file, ServiceUnavailable when another process holds it.
  static Result<std::unique_ptr<SqliteBackend>> Open(SqliteOptions options);
  ~SqliteBackend() override;

  SqliteBackend(const SqliteBackend&) = delete;
  SqliteBackend& operator=(const SqliteBackend&) = delete;

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

  // A snapshot of the counters. Thread-safe.
  SqliteStats Stats() const;
  // Blocks until compaction has physically purged everything below the compacted revision
  // (tests, benchmarks). Thread-safe.
  void WaitForPurge();

 private:
  class Core;
  class Connection;
  class Stream;
  struct WriteOp;
  struct WriteOutcome;

  explicit SqliteBackend(SqliteOptions options);
  Status Init();
  // Queues `op` for the writer and waits for its outcome.
  WriteOutcome Submit(std::unique_ptr<WriteOp> op);
  void WriterLoop();
  // Runs one batch as one transaction; fills every op's outcome.
  void RunBatch(std::deque<std::unique_ptr<WriteOp>>& batch);
  // Deletes one chunk of compacted history. Writer thread only.
  void PurgeChunk();
  void CheckpointLoop();

  SqliteOptions options_;               // as given to Open
  std::shared_ptr<Core> core_;          // state shared with watch streams (readers, event window)
  std::unique_ptr<Connection> writer_;  // the writer thread's connection
  std::unique_ptr<Connection> checkpointer_;  // the checkpointer thread's connection
  int lock_fd_ = -1;                          // flock()ed "<path>.lock" (one process per store)

  mutable std::mutex queue_mu_;                 // guards queue_, stopping_, purge state
  std::condition_variable queue_cv_;            // wakes the writer
  std::deque<std::unique_ptr<WriteOp>> queue_;  // writes waiting for the writer
  bool stopping_ = false;                       // the destructor runs: refuse new writes
  std::condition_variable purge_cv_;            // notified when a purge chunk commits
  Revision next_revision_ = 2;  // the revision the next write gets (writer thread only)
  Revision purged_ = 1;         // history below this is purged (guarded by queue_mu_)
  int64_t purge_chunk_ = 0;     // revisions in the next purge chunk (writer thread only)
  Revision purge_target_ = 0;   // the committed compacted revision (guarded by queue_mu_)
  std::chrono::steady_clock::time_point next_auto_compact_;  // writer thread only

  std::mutex checkpoint_mu_;               // guards checkpoint_wanted_
  std::condition_variable checkpoint_cv_;  // wakes the checkpointer
  bool checkpoint_wanted_ = false;         // the WAL grew past checkpoint_wal_pages

  std::atomic<int64_t> commits_{0};             // see SqliteStats
  std::atomic<int64_t> writes_{0};              // see SqliteStats
  std::atomic<int64_t> purged_rows_{0};         // see SqliteStats
  std::atomic<int64_t> purge_batches_{0};       // see SqliteStats
  std::atomic<int64_t> checkpoints_{0};         // see SqliteStats
  std::atomic<int64_t> writer_checkpoints_{0};  // see SqliteStats
  int64_t wal_pages_ = 0;      // WAL size after the last commit (writer thread only)
  int64_t wal_signalled_ = 0;  // WAL size when the checkpointer was last woken (writer only)

  std::thread writer_thread_;        // runs WriterLoop
  std::thread checkpointer_thread_;  // runs CheckpointLoop
};

}  // namespace kubepp::storage
