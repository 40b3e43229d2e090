#include "storage/sqlite/sqlite_backend.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <future>
#include <optional>
#include <unordered_map>
#include <vector>

#include "base/log.h"

namespace kubepp::storage {

namespace {

constexpr int kSchemaVersion = 1;
// Revisions a stream replays from the log per read transaction.
constexpr Revision kReplayChunk = 2000;

// Schema. kv holds one row per revision (the MVCC log); current maps each live key to the
// revision of its value, so Get and List at the current revision need no scan of history.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS kv (
  rev INTEGER PRIMARY KEY,       -- the revision of this version (one write = one revision)
  key BLOB NOT NULL,             -- the key bytes
  value BLOB NOT NULL,           -- the value bytes (empty for a tombstone)
  create_rev INTEGER NOT NULL,   -- the revision that created this incarnation of the key
  prev_rev INTEGER NOT NULL,     -- the key's previous live version (0: none, a create)
  deleted INTEGER NOT NULL       -- 1 for a tombstone left by a delete
);
CREATE UNIQUE INDEX IF NOT EXISTS kv_key_rev ON kv (key, rev);
CREATE TABLE IF NOT EXISTS current (
  key BLOB PRIMARY KEY,          -- a live key
  rev INTEGER NOT NULL           -- the kv row holding its value
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (
  name TEXT PRIMARY KEY,         -- 'revision', 'compacted', 'purged'
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT OR IGNORE INTO meta (name, value) VALUES ('revision', 1), ('compacted', 0), ('purged', 1);
)sql";

bool HasPrefix(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

Status SqlStatus(int rc, sqlite3* db, std::string_view what) {
  std::string msg(what);
  msg += ": ";
  msg += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  int primary = rc & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) return Status::Unavailable(msg);
  return Status::Internal(msg);
}

size_t EventBytes(const WatchEvent& ev) {
  return ev.kv.key.size() + ev.kv.value.size() + (ev.prev ? ev.prev->value.size() : 0) + 64;
}

}  // namespace

// One SQLite connection with its cached prepared statements; used by one thread at a time.
class SqliteBackend::Connection {
 public:
  ~Connection() {
    for (auto& [sql, stmt] : stmts_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Opens `path` (creating it when `create`) and applies the pragmas every connection uses.
  static Result<std::unique_ptr<Connection>> Open(const std::string& path, bool create) {
    sqlite3* db = nullptr;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
    auto conn = std::unique_ptr<Connection>(new Connection(db, path));
    if (rc != SQLITE_OK) return conn->Error(rc, "open");
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, 10000);
    return conn;
  }

  sqlite3* db() const { return db_; }  // NOLINT(readability-identifier-naming)

  // The Status for a failed call: InternalError "sqlite <path>: <what>: <message>".
  Status Error(int rc, std::string_view what) const {
    return SqlStatus(rc, db_, "sqlite " + path_ + ": " + std::string(what));
  }

  // Runs SQL with no results.
  Status Exec(const char* sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
    sqlite3_free(err);
    if (rc != SQLITE_OK) return Error(rc, sql);
    return Status::Ok();
  }

  // A cached prepared statement for `sql` (owned by the connection).
  Result<sqlite3_stmt*> Prepare(const char* sql) {
    auto it = stmts_.find(sql);
    if (it != stmts_.end()) return it->second;
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return Error(rc, std::string("prepare ") + sql);
    stmts_.emplace(sql, stmt);
    return stmt;
  }

 private:
  Connection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_;                                           // owned
  std::string path_;                                      // the database file, for messages
  std::unordered_map<std::string, sqlite3_stmt*> stmts_;  // SQL text -> prepared statement
};

namespace {

// One use of a prepared statement: binds, steps, reads columns; resets it when done.
// Bound strings must outlive the Query (they are bound without copying).
class Query {
 public:
  explicit Query(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Query() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  Query& Int(int i, int64_t v) {
    Note(sqlite3_bind_int64(stmt_, i, v));
    return *this;
  }
  Query& Blob(int i, std::string_view b) {
    // A null pointer would bind NULL: empty blobs get a valid pointer.
    Note(sqlite3_bind_blob64(stmt_, i, b.empty() ? "" : b.data(), b.size(), SQLITE_STATIC));
    return *this;
  }
  Query& Text(int i, const char* s) {
    Note(sqlite3_bind_text(stmt_, i, s, -1, SQLITE_STATIC));
    return *this;
  }

  // true: a row is ready; false: done. The error code is in rc() on failure.
  Result<bool> Step() {
    if (bind_rc_ != SQLITE_OK) return Fail(bind_rc_);
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return Fail(rc);
  }
  // Steps to completion (for statements without rows).
  Status Run() {
    while (true) {
      auto row = Step();
      if (!row.IsOk()) return row.status();
      if (!*row) return Status::Ok();
    }
  }

  int64_t ColInt(int c) const { return sqlite3_column_int64(stmt_, c); }
  bool ColNull(int c) const { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }
  std::string ColBlob(int c) const {
    const void* p = sqlite3_column_blob(stmt_, c);
    int n = sqlite3_column_bytes(stmt_, c);
    if (p == nullptr || n <= 0) return {};
    return {static_cast<const char*>(p), static_cast<size_t>(n)};
  }

 private:
  void Note(int rc) {
    if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  }
  Status Fail(int rc) const {
    sqlite3* db = sqlite3_db_handle(stmt_);
    std::string what = "sqlite ";
    if (const char* file = sqlite3_db_filename(db, "main"); file != nullptr) what += file;
    what += ": ";
    const char* sql = sqlite3_sql(stmt_);
    what += sql != nullptr ? std::string_view(sql).substr(0, 60) : std::string_view("statement");
    return SqlStatus(rc, db, what);
  }

  sqlite3_stmt* stmt_;       // not owned (cached by the Connection)
  int bind_rc_ = SQLITE_OK;  // the first bind failure
};

}  // namespace

// State shared by the backend and its watch streams: the read connection pool and the
// in-memory event window fed by the writer's commits.
class SqliteBackend::Core {
 public:
  Core(std::string path, size_t max_events, size_t max_bytes)
      : path_(std::move(path)), max_events_(max_events), max_bytes_(max_bytes) {}

  // A read connection, returned to the pool when the lease dies.
  class Lease {
   public:
    Lease(Core* core, std::unique_ptr<Connection> conn) : core_(core), conn_(std::move(conn)) {}
    ~Lease() {
      std::lock_guard lock(core_->pool_mu_);
      core_->idle_.push_back(std::move(conn_));
      core_->pool_cv_.notify_one();
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Connection& operator*() const { return *conn_; }
    Connection* operator->() const { return conn_.get(); }

   private:
    Core* core_;                        // owns the pool
    std::unique_ptr<Connection> conn_;  // the leased connection
  };

  void AddReader(std::unique_ptr<Connection> conn) {
    std::lock_guard lock(pool_mu_);
    idle_.push_back(std::move(conn));
  }

  std::unique_ptr<Lease> Acquire() {
    std::unique_lock lock(pool_mu_);
    pool_cv_.wait(lock, [this] { return !idle_.empty(); });
    auto conn = std::move(idle_.back());
    idle_.pop_back();
    return std::make_unique<Lease>(this, std::move(conn));
  }

  // Publishes committed events (consecutive revisions) and wakes streams.
  void Publish(std::vector<WatchEvent> events, Revision current) {
    std::lock_guard lock(mu_);
    for (auto& ev : events) {
      bytes_ += EventBytes(ev);
      window_.push_back(std::move(ev));
    }
    current_ = current;
    while (!window_.empty() && (window_.size() > max_events_ || bytes_ > max_bytes_)) {
      bytes_ -= EventBytes(window_.front());
      window_.pop_front();
      ++window_base_;
    }
    if (window_.empty()) window_base_ = current_ + 1;
    changed_.notify_all();
  }

  void SetCompacted(Revision compacted) {
    std::lock_guard lock(mu_);
    compacted_ = compacted;
    changed_.notify_all();
  }

  void Init(Revision current, Revision compacted) {
    std::lock_guard lock(mu_);
    current_ = current;
    compacted_ = compacted;
    window_base_ = current + 1;
  }

  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    changed_.notify_all();
  }

  Revision Current() {
    std::lock_guard lock(mu_);
    return current_;
  }
  Revision Compacted() {
    std::lock_guard lock(mu_);
    return compacted_;
  }
  bool Closed() {
    std::lock_guard lock(mu_);
    return closed_;
  }

  // Reads the events of revisions [lo, hi] under `prefix` from the log. Gone when the log was
  // compacted past `lo` in the snapshot read.
  Result<std::vector<WatchEvent>> ReadEvents(const std::string& prefix, Revision lo, Revision hi);

 private:
  friend class SqliteBackend::Stream;
  friend class SqliteBackend;

  std::string path_;   // the database file
  size_t max_events_;  // window bound (events)
  size_t max_bytes_;   // window bound (bytes)

  std::mutex pool_mu_;                             // guards idle_
  std::condition_variable pool_cv_;                // a connection came back
  std::vector<std::unique_ptr<Connection>> idle_;  // read connections not in use

  std::mutex mu_;                    // guards everything below
  std::condition_variable changed_;  // commits, compaction, close, cancel
  Revision current_ = 1;             // latest committed revision
  Revision compacted_ = 0;           // committed compacted revision
  std::deque<WatchEvent> window_;    // events of revisions window_base_ .. current_
  Revision window_base_ = 2;         // revision of window_.front()
  size_t bytes_ = 0;                 // approximate bytes held by window_
  bool closed_ = false;              // the backend is gone
};

namespace {

// Reads the 'revision' and 'compacted' meta rows in the connection's current transaction.
Status ReadMeta(sqlite3_stmt* stmt, Revision* current, Revision* compacted) {
  Query q(stmt);
  while (true) {
    KUBEPP_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    std::string name = q.ColBlob(0);
    if (name == "revision") *current = q.ColInt(1);
    if (name == "compacted") *compacted = q.ColInt(1);
  }
  return Status::Ok();
}

constexpr const char* kReadMetaSql = "SELECT name, value FROM meta";

// A read transaction: one snapshot for several statements.
class ReadTxn {
 public:
  explicit ReadTxn(sqlite3* db) : db_(db) {}
  ~ReadTxn() {
    if (begun_) sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
  }
  ReadTxn(const ReadTxn&) = delete;
  ReadTxn& operator=(const ReadTxn&) = delete;
  int Begin() {
    int rc = sqlite3_exec(db_, "BEGIN", nullptr, nullptr, nullptr);
    begun_ = rc == SQLITE_OK;
    return rc;
  }

 private:
  sqlite3* db_;         // the connection
  bool begun_ = false;  // BEGIN succeeded
};

}  // namespace

Result<std::vector<WatchEvent>> SqliteBackend::Core::ReadEvents(const std::string& prefix,
                                                                Revision lo, Revision hi) {
  auto conn = Acquire();
  ReadTxn txn((*conn)->db());
  if (int rc = txn.Begin(); rc != SQLITE_OK) return (*conn)->Error(rc, "begin");
  Revision current = 0;
  Revision compacted = 0;
  KUBEPP_ASSIGN_OR_RETURN(auto meta, (*conn)->Prepare(kReadMetaSql));
  KUBEPP_RETURN_IF_ERROR(ReadMeta(meta, &current, &compacted));
  if (lo < compacted) {
    return Status::Gone("required revision " + std::to_string(lo) + " has been compacted");
  }
  static constexpr const char* kSql =
      "SELECT k.rev, k.key, k.value, k.create_rev, k.deleted, k.prev_rev, p.value, "
      "p.create_rev FROM kv AS k LEFT JOIN kv AS p ON p.rev = k.prev_rev "
      "WHERE k.rev >= ?1 AND k.rev <= ?2 ORDER BY k.rev";
  KUBEPP_ASSIGN_OR_RETURN(auto stmt, (*conn)->Prepare(kSql));
  Query q(stmt);
  q.Int(1, lo).Int(2, hi);
  std::vector<WatchEvent> out;
  while (true) {
    KUBEPP_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    std::string key = q.ColBlob(1);
    if (!HasPrefix(key, prefix)) continue;
    WatchEvent ev;
    Revision rev = q.ColInt(0);
    bool deleted = q.ColInt(4) != 0;
    Revision prev_rev = q.ColInt(5);
    ev.kv = KeyValue{key, deleted ? std::string() : q.ColBlob(2), q.ColInt(3), rev};
    if (prev_rev != 0) {
      if (q.ColNull(7)) {
        return Status::Internal("sqlite " + path_ + ": revision " + std::to_string(rev) +
                                " refers to a missing previous version");
      }
      ev.prev = KeyValue{key, q.ColBlob(6), q.ColInt(7), prev_rev};
    }
    ev.type =
        deleted ? EventType::kDeleted : (prev_rev != 0 ? EventType::kUpdated : EventType::kCreated);
    out.push_back(std::move(ev));
  }
  return out;
}

// A watcher: replays from the log until it reaches the in-memory window, then reads the window.
class SqliteBackend::Stream final : public WatchStream {
 public:
  Stream(std::shared_ptr<Core> core, std::string prefix, Revision next)
      : core_(std::move(core)), prefix_(std::move(prefix)), next_(next) {}

  Result<WatchBatch> Next(std::chrono::milliseconds timeout) override {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock lock(core_->mu_);
    while (true) {
      auto ready = [this] {
        return cancelled_ || core_->closed_ || next_ <= core_->current_ ||
               next_ < core_->compacted_;
      };
      core_->changed_.wait_until(lock, deadline, ready);
      if (cancelled_ || core_->closed_) return Status::Unavailable("watch cancelled");
      if (next_ < core_->compacted_) {
        return Status::Gone("required revision " + std::to_string(next_) + " has been compacted");
      }
      WatchBatch batch;
      if (next_ > core_->current_) {  // timed out
        batch.revision = core_->current_;
        return batch;
      }
      if (next_ >= core_->window_base_) {
        for (; next_ <= core_->current_; ++next_) {
          const WatchEvent& ev = core_->window_[static_cast<size_t>(next_ - core_->window_base_)];
          if (HasPrefix(ev.kv.key, prefix_)) batch.events.push_back(ev);
        }
        batch.revision = core_->current_;
        return batch;
      }
      // Behind the window: replay a chunk from the log (committed, so complete up to hi).
      Revision hi = std::min(core_->current_, next_ + kReplayChunk - 1);
      lock.unlock();
      auto events = core_->ReadEvents(prefix_, next_, hi);
      lock.lock();
      if (!events.IsOk()) return std::move(events).status();
      next_ = hi + 1;
      if (!events->empty()) {
        batch.events = std::move(*events);
        batch.revision = hi;
        return batch;
      }
      // Nothing under the prefix in this chunk: go on (the deadline still applies).
      if (std::chrono::steady_clock::now() >= deadline) {
        batch.revision = hi;
        return batch;
      }
    }
  }

  void Cancel() override {
    std::lock_guard lock(core_->mu_);
    cancelled_ = true;
    core_->changed_.notify_all();
  }

 private:
  std::shared_ptr<Core> core_;  // shared with the backend; outlives it if need be
  std::string prefix_;          // keys watched
  Revision next_;               // the next revision to deliver (guarded by core_->mu_)
  bool cancelled_ = false;      // Cancel() was called (guarded by core_->mu_)
};

// A queued write and the caller waiting for it.
struct SqliteBackend::WriteOutcome {
  Status status;                 // OK, or why the write did not happen
  KeyValue kv;                   // the stored value (create/update) or the tombstone (delete)
  std::optional<KeyValue> prev;  // the previous value (update/delete)
};

struct SqliteBackend::WriteOp {
  enum class Kind { kCreate, kUpdate, kDelete, kCompact };
  Kind kind{};                      // what to do
  std::string key;                  // the key (empty for kCompact)
  std::string value;                // the new value (create/update)
  Revision revision = 0;            // expected mod revision (update/delete), target (compact)
  std::promise<WriteOutcome> done;  // fulfilled by the writer after the commit
  WriteOutcome outcome;             // filled during the batch, sent after the commit
};

SqliteBackend::SqliteBackend(SqliteOptions options) : options_(std::move(options)) {}

Result<std::unique_ptr<SqliteBackend>> SqliteBackend::Open(SqliteOptions options) {
  if (options.path.empty()) return Status::BadRequest("sqlite: empty database path");
  options.read_connections = std::max(options.read_connections, 1);
  options.max_batch_writes = std::max(options.max_batch_writes, 1);
  options.compact_batch_revisions = std::max<int64_t>(options.compact_batch_revisions, 1);
  auto backend = std::unique_ptr<SqliteBackend>(new SqliteBackend(std::move(options)));
  KUBEPP_RETURN_IF_ERROR(backend->Init());
  return backend;
}

Status SqliteBackend::Init() {
  const std::string& path = options_.path;
  std::string lock_path = path + ".lock";
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) {
    return Status::Internal("sqlite " + path + ": cannot open lock file " + lock_path + ": " +
                            std::strerror(errno));
  }
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return Status::Unavailable("sqlite " + path + ": the store is in use by another process");
  }
  if (sqlite3_threadsafe() == 0) return Status::Internal("sqlite: library built without threads");

  KUBEPP_ASSIGN_OR_RETURN(writer_, Connection::Open(path, /*create=*/true));
  Connection& w = *writer_;
  // The first read of the file: a file that is not a database fails here.
  {
    KUBEPP_ASSIGN_OR_RETURN(auto stmt, w.Prepare("PRAGMA journal_mode=WAL"));
    Query q(stmt);
    KUBEPP_ASSIGN_OR_RETURN(bool row, q.Step());
    std::string mode = row ? q.ColBlob(0) : "";
    if (mode != "wal") {
      return Status::Internal("sqlite " + path + ": cannot switch to WAL mode (got '" + mode +
                              "')");
    }
  }
  KUBEPP_RETURN_IF_ERROR(w.Exec("PRAGMA synchronous=FULL"));
  KUBEPP_RETURN_IF_ERROR(w.Exec("PRAGMA wal_autocheckpoint=0"));  // the checkpointer does it
  {
    KUBEPP_ASSIGN_OR_RETURN(auto stmt, w.Prepare("PRAGMA user_version"));
    Query q(stmt);
    KUBEPP_ASSIGN_OR_RETURN(bool row, q.Step());
    int64_t version = row ? q.ColInt(0) : 0;
    if (version != 0 && version != kSchemaVersion) {
      return Status::Internal("sqlite " + path + ": unknown schema version " +
                              std::to_string(version));
    }
    if (version == 0) {
      // A new file, or a database that is not ours: refuse files with foreign tables.
      KUBEPP_ASSIGN_OR_RETURN(auto count_stmt,
                              w.Prepare("SELECT count(*) FROM sqlite_master WHERE name NOT IN "
                                        "('kv', 'kv_key_rev', 'current', 'meta')"));
      Query c(count_stmt);
      KUBEPP_ASSIGN_OR_RETURN(bool has, c.Step());
      if (has && c.ColInt(0) != 0) {
        return Status::Internal("sqlite " + path + ": not a kubepp store (foreign tables)");
      }
    }
  }
  if (options_.verify_on_open) {
    KUBEPP_ASSIGN_OR_RETURN(auto stmt, w.Prepare("PRAGMA quick_check"));
    Query q(stmt);
    KUBEPP_ASSIGN_OR_RETURN(bool row, q.Step());
    std::string verdict = row ? q.ColBlob(0) : "no answer";
    if (verdict != "ok") {
      return Status::Internal("sqlite " + path + ": integrity check failed: " + verdict);
    }
  }
  KUBEPP_RETURN_IF_ERROR(w.Exec("BEGIN IMMEDIATE"));
  Status schema = w.Exec(kSchema);
  if (schema.IsOk()) schema = w.Exec("PRAGMA user_version=1");
  if (schema.IsOk()) schema = w.Exec("COMMIT");
  if (!schema.IsOk()) {
    (void)w.Exec("ROLLBACK");
    return schema;
  }

  Revision current = 0;
  Revision compacted = 0;
  Revision purged = 0;
  Revision max_rev = 0;
  {
    KUBEPP_ASSIGN_OR_RETURN(auto stmt,
                            w.Prepare("SELECT (SELECT value FROM meta WHERE name='revision'),"
                                      " (SELECT value FROM meta WHERE name='compacted'),"
                                      " (SELECT value FROM meta WHERE name='purged'),"
                                      " (SELECT coalesce(max(rev), 0) FROM kv)"));
    Query q(stmt);
    KUBEPP_ASSIGN_OR_RETURN(bool row, q.Step());
    if (row) {
      current = q.ColInt(0);
      compacted = q.ColInt(1);
      purged = q.ColInt(2);
      max_rev = q.ColInt(3);
    }
  }
  if (current < 1 || compacted < 0 || compacted > current || max_rev > current || purged < 1) {
    return Status::Internal("sqlite " + path + ": inconsistent store metadata (revision " +
                            std::to_string(current) + ", compacted " + std::to_string(compacted) +
                            ", newest row " + std::to_string(max_rev) + ")");
  }
  next_revision_ = current + 1;
  purge_chunk_ = options_.compact_batch_revisions;
  purged_ = purged;
  purge_target_ = compacted;

  core_ = std::make_shared<Core>(path, options_.watch_window_events, options_.watch_window_bytes);
  core_->Init(current, compacted);
  for (int i = 0; i < options_.read_connections; ++i) {
    KUBEPP_ASSIGN_OR_RETURN(auto reader, Connection::Open(path, /*create=*/false));
    KUBEPP_RETURN_IF_ERROR(reader->Exec("PRAGMA query_only=1"));
    core_->AddReader(std::move(reader));
  }
  KUBEPP_ASSIGN_OR_RETURN(checkpointer_, Connection::Open(path, /*create=*/false));

  // Checkpoints: a background thread copies the WAL into the database (PASSIVE: it blocks no
  // one) every checkpoint_wal_pages new pages. Under a steady write load it never catches the
  // writer, so the WAL could not restart and would grow without bound: when the WAL reaches
  // four times the threshold, the writer finishes the checkpoint itself between batches (only
  // the frames the background pass has not copied yet, so briefly); the next write then
  // restarts the WAL from its beginning.
  sqlite3_wal_hook(
      w.db(),
      [](void* arg, sqlite3* /*db*/, const char* /*name*/, int pages) -> int {
        auto* self = static_cast<SqliteBackend*>(arg);
        if (pages < self->wal_pages_) self->wal_signalled_ = 0;  // the WAL restarted
        self->wal_pages_ = pages;
        if (pages - self->wal_signalled_ >= self->options_.checkpoint_wal_pages) {
          self->wal_signalled_ = pages;
          std::lock_guard lock(self->checkpoint_mu_);
          self->checkpoint_wanted_ = true;
          self->checkpoint_cv_.notify_one();
        }
        return SQLITE_OK;
      },
      this);

  if (options_.auto_compact_interval.count() > 0) {
    next_auto_compact_ = std::chrono::steady_clock::now() + options_.auto_compact_interval;
  }
  writer_thread_ = std::thread([this] { WriterLoop(); });
  checkpointer_thread_ = std::thread([this] { CheckpointLoop(); });
  return Status::Ok();
}

SqliteBackend::~SqliteBackend() {
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
    queue_cv_.notify_all();
  }
  if (writer_thread_.joinable()) writer_thread_.join();
  {
    std::lock_guard lock(checkpoint_mu_);
    checkpoint_wanted_ = true;
    checkpoint_cv_.notify_all();
  }
  if (checkpointer_thread_.joinable()) checkpointer_thread_.join();
  if (core_ != nullptr) core_->Close();
  checkpointer_.reset();
  writer_.reset();
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

SqliteBackend::WriteOutcome SqliteBackend::Submit(std::unique_ptr<WriteOp> op) {
  auto result = op->done.get_future();
  {
    std::lock_guard lock(queue_mu_);
    if (stopping_) return WriteOutcome{Status::Unavailable("sqlite store is closed"), {}, {}};
    queue_.push_back(std::move(op));
    queue_cv_.notify_one();
  }
  return result.get();
}

void SqliteBackend::WriterLoop() {
  while (true) {
    std::deque<std::unique_ptr<WriteOp>> batch;
    bool purge = false;
    {
      std::unique_lock lock(queue_mu_);
      auto has_work = [this] { return stopping_ || !queue_.empty() || purged_ < purge_target_; };
      if (options_.auto_compact_interval.count() > 0) {
        queue_cv_.wait_until(lock, next_auto_compact_, has_work);
      } else {
        queue_cv_.wait(lock, has_work);
      }
      if (queue_.empty() && stopping_) return;
      size_t bytes = 0;
      while (!queue_.empty() && batch.size() < static_cast<size_t>(options_.max_batch_writes) &&
             (batch.empty() || bytes + queue_.front()->value.size() <= options_.max_batch_bytes)) {
        bytes += queue_.front()->value.size();
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      purge = purged_ < purge_target_ && !stopping_;
    }
    if (options_.auto_compact_interval.count() > 0 &&
        std::chrono::steady_clock::now() >= next_auto_compact_) {
      next_auto_compact_ = std::chrono::steady_clock::now() + options_.auto_compact_interval;
      Revision target = next_revision_ - 1 - options_.auto_compact_retain;
      if (target > core_->Compacted()) {
        auto op = std::make_unique<WriteOp>();
        op->kind = WriteOp::Kind::kCompact;
        op->revision = target;
        batch.push_back(std::move(op));
      }
    }
    if (!batch.empty()) RunBatch(batch);
    if (wal_pages_ >= 4 * options_.checkpoint_wal_pages) {
      int rc = sqlite3_wal_checkpoint_v2(writer_->db(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                         nullptr);
      if (rc == SQLITE_OK) {
        writer_checkpoints_.fetch_add(1, std::memory_order_relaxed);
      } else if ((rc & 0xff) != SQLITE_BUSY) {
        KLOG_WARNING("sqlite store {}: checkpoint failed: {}", options_.path,
                     sqlite3_errmsg(writer_->db()));
      }
      // Busy (the background pass runs): try again after the next batch.
    }
    // One small purge chunk between write batches: writers wait for at most one chunk.
    if (purge) PurgeChunk();
  }
}

void SqliteBackend::RunBatch(std::deque<std::unique_ptr<WriteOp>>& batch) {
  Connection& w = *writer_;
  Revision first = next_revision_;
  Revision rev = first;
  Revision compact_to = 0;
  std::vector<WatchEvent> events;
  events.reserve(batch.size());

  auto run = [&]() -> Status {
    KUBEPP_RETURN_IF_ERROR(w.Exec("BEGIN IMMEDIATE"));
    KUBEPP_ASSIGN_OR_RETURN(auto lookup,
                            w.Prepare("SELECT c.rev, k.create_rev, k.value FROM current AS c "
                                      "JOIN kv AS k ON k.rev = c.rev WHERE c.key = ?1"));
    KUBEPP_ASSIGN_OR_RETURN(auto insert,
                            w.Prepare("INSERT INTO kv (rev, key, value, create_rev, prev_rev, "
                                      "deleted) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
    KUBEPP_ASSIGN_OR_RETURN(auto upsert,
                            w.Prepare("INSERT OR REPLACE INTO current (key, rev) VALUES (?1, ?2)"));
    KUBEPP_ASSIGN_OR_RETURN(auto remove, w.Prepare("DELETE FROM current WHERE key = ?1"));
    KUBEPP_ASSIGN_OR_RETURN(auto set_meta, w.Prepare("UPDATE meta SET value = ?2 WHERE name = ?1"));
    Revision compacted = core_->Compacted();
    for (auto& op : batch) {
      WriteOutcome& out = op->outcome;
      if (op->kind == WriteOp::Kind::kCompact) {
        if (op->revision > rev - 1) {
          out.status = Status::BadRequest("compaction revision is in the future");
        } else if (op->revision > std::max(compacted, compact_to)) {
          compact_to = op->revision;
        }
        continue;
      }
      std::optional<KeyValue> cur;
      {
        Query q(lookup);
        q.Blob(1, op->key);
        KUBEPP_ASSIGN_OR_RETURN(bool row, q.Step());
        if (row) cur = KeyValue{op->key, q.ColBlob(2), q.ColInt(1), q.ColInt(0)};
      }
      if (op->kind == WriteOp::Kind::kCreate && cur) {
        out.status = Status::AlreadyExists("key already exists");
        continue;
      }
      if (op->kind != WriteOp::Kind::kCreate) {
        if (!cur) {
          out.status = Status::NotFound("key not found");
          continue;
        }
        if (op->revision != 0 && cur->mod_revision != op->revision) {
          out.status = Status::Conflict("mod revision mismatch");
          continue;
        }
      }
      bool deleted = op->kind == WriteOp::Kind::kDelete;
      Revision create_rev = cur ? cur->create_revision : rev;
      {
        Query q(insert);
        q.Int(1, rev)
            .Blob(2, op->key)
            .Blob(3, deleted ? std::string_view() : std::string_view(op->value))
            .Int(4, create_rev)
            .Int(5, cur ? cur->mod_revision : 0)
            .Int(6, deleted ? 1 : 0);
        KUBEPP_RETURN_IF_ERROR(q.Run());
      }
      if (deleted) {
        Query q(remove);
        q.Blob(1, op->key);
        KUBEPP_RETURN_IF_ERROR(q.Run());
      } else {
        Query q(upsert);
        q.Blob(1, op->key).Int(2, rev);
        KUBEPP_RETURN_IF_ERROR(q.Run());
      }
      out.kv = KeyValue{op->key, deleted ? std::string() : op->value, create_rev, rev};
      out.prev = cur;
      WatchEvent ev;
      ev.type = deleted ? EventType::kDeleted : (cur ? EventType::kUpdated : EventType::kCreated);
      ev.kv = out.kv;
      ev.prev = std::move(cur);
      events.push_back(std::move(ev));
      ++rev;
    }
    if (rev != first) {
      Query q(set_meta);
      q.Text(1, "revision").Int(2, rev - 1);
      KUBEPP_RETURN_IF_ERROR(q.Run());
    }
    if (compact_to != 0) {
      Query q(set_meta);
      q.Text(1, "compacted").Int(2, compact_to);
      KUBEPP_RETURN_IF_ERROR(q.Run());
    }
    return w.Exec("COMMIT");
  };

  Status status = run();
  if (!status.IsOk()) {
    if (sqlite3_get_autocommit(w.db()) == 0) (void)w.Exec("ROLLBACK");
    KLOG_ERROR("sqlite store {}: write batch failed: {}", options_.path, status.ToString());
    for (auto& op : batch) op->done.set_value(WriteOutcome{status, {}, {}});
    return;
  }
  next_revision_ = rev;
  commits_.fetch_add(1, std::memory_order_relaxed);
  writes_.fetch_add(rev - first, std::memory_order_relaxed);
  if (compact_to != 0) {
    core_->SetCompacted(compact_to);
    std::lock_guard lock(queue_mu_);
    purge_target_ = compact_to;
  }
  if (!events.empty()) core_->Publish(std::move(events), rev - 1);
  for (auto& op : batch) op->done.set_value(std::move(op->outcome));
}

void SqliteBackend::PurgeChunk() {
  Revision lo = 0;
  Revision hi = 0;
  {
    std::lock_guard lock(queue_mu_);
    lo = purged_;
    hi = std::min(purge_target_, lo + purge_chunk_);
  }
  if (hi <= lo) return;
  Connection& w = *writer_;
  int64_t rows = 0;
  auto t0 = std::chrono::steady_clock::now();
  std::chrono::steady_clock::duration took{};
  auto run = [&]() -> Status {
    KUBEPP_RETURN_IF_ERROR(w.Exec("BEGIN IMMEDIATE"));
    // A version is superseded once a later version of its key exists below the compacted
    // revision (strictly below: the event at the compacted revision keeps its previous value,
    // so a watch from the compacted revision still gets prev); tombstones below it go too.
    KUBEPP_ASSIGN_OR_RETURN(
        auto superseded,
        w.Prepare("DELETE FROM kv WHERE rev IN (SELECT prev_rev FROM kv WHERE rev >= ?1 AND "
                  "rev < ?2 AND prev_rev > 0)"));
    KUBEPP_ASSIGN_OR_RETURN(auto tombstones,
                            w.Prepare("DELETE FROM kv WHERE rev >= ?1 AND rev < ?2 AND deleted"));
    KUBEPP_ASSIGN_OR_RETURN(auto set_meta, w.Prepare("UPDATE meta SET value = ?2 WHERE name = ?1"));
    {
      Query q(superseded);
      q.Int(1, lo).Int(2, hi);
      KUBEPP_RETURN_IF_ERROR(q.Run());
      rows += sqlite3_changes(w.db());
    }
    {
      Query q(tombstones);
      q.Int(1, lo).Int(2, hi);
      KUBEPP_RETURN_IF_ERROR(q.Run());
      rows += sqlite3_changes(w.db());
    }
    {
      Query q(set_meta);
      q.Text(1, "purged").Int(2, hi);
      KUBEPP_RETURN_IF_ERROR(q.Run());
    }
    took = std::chrono::steady_clock::now() - t0;
    return w.Exec("COMMIT");
  };
  Status status = run();
  // Adapt the chunk so that its deletes (what a write waits for beyond one fsync) stay short,
  // whatever the value sizes.
  if (took > options_.compact_chunk_target) {
    purge_chunk_ = std::max<int64_t>(16, purge_chunk_ / 2);
  } else if (took < options_.compact_chunk_target / 2) {
    purge_chunk_ = std::min(options_.compact_batch_revisions, purge_chunk_ * 2);
  }
  if (!status.IsOk()) {
    if (sqlite3_get_autocommit(w.db()) == 0) (void)w.Exec("ROLLBACK");
    KLOG_ERROR("sqlite store {}: compaction batch failed: {}", options_.path, status.ToString());
    // Try again after the next write batch instead of spinning.
    std::unique_lock lock(queue_mu_);
    queue_cv_.wait_for(lock, std::chrono::milliseconds(100));
    return;
  }
  purged_rows_.fetch_add(rows, std::memory_order_relaxed);
  purge_batches_.fetch_add(1, std::memory_order_relaxed);
  std::lock_guard lock(queue_mu_);
  purged_ = hi;
  purge_cv_.notify_all();
}

void SqliteBackend::CheckpointLoop() {
  while (true) {
    {
      std::unique_lock lock(checkpoint_mu_);
      checkpoint_cv_.wait(lock, [this] { return checkpoint_wanted_; });
      checkpoint_wanted_ = false;
    }
    {
      std::lock_guard lock(queue_mu_);
      if (stopping_) return;
    }
    // PASSIVE: copies what it can without blocking the writer or readers.
    int rc = sqlite3_wal_checkpoint_v2(checkpointer_->db(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                       nullptr, nullptr);
    if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY) {
      KLOG_WARNING("sqlite store {}: checkpoint failed: {}", options_.path,
                   sqlite3_errmsg(checkpointer_->db()));
    }
    checkpoints_.fetch_add(1, std::memory_order_relaxed);
  }
}

Result<KeyValue> SqliteBackend::Get(std::string_view key) {
  if (key.empty()) return Status::BadRequest("empty key");
  auto conn = core_->Acquire();
  KUBEPP_ASSIGN_OR_RETURN(auto stmt,
                          (*conn)->Prepare("SELECT k.value, k.create_rev, k.rev FROM current AS c "
                                           "JOIN kv AS k ON k.rev = c.rev WHERE c.key = ?1"));
  Query q(stmt);
  std::string k(key);
  q.Blob(1, k);
  KUBEPP_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return Status::NotFound("key not found");
  return KeyValue{std::move(k), q.ColBlob(0), q.ColInt(1), q.ColInt(2)};
}

Result<ListResult> SqliteBackend::List(const ListOptions& opts) {
  Revision rev = opts.revision;
  std::string start = opts.prefix;
  if (!opts.continue_token.empty()) {
    KUBEPP_ASSIGN_OR_RETURN(auto token, DecodeContinueToken(opts.continue_token));
    rev = token.first;
    if (!HasPrefix(token.second, opts.prefix)) return Status::BadRequest("invalid continue token");
    start = std::move(token.second);
  }
  std::string end = PrefixEnd(opts.prefix);
  bool bounded = !end.empty();

  auto conn = core_->Acquire();
  Connection& c = **conn;
  ReadTxn txn(c.db());
  if (int rc = txn.Begin(); rc != SQLITE_OK) return c.Error(rc, "begin");
  Revision current = 0;
  Revision compacted = 0;
  KUBEPP_ASSIGN_OR_RETURN(auto meta, c.Prepare(kReadMetaSql));
  KUBEPP_RETURN_IF_ERROR(ReadMeta(meta, &current, &compacted));
  if (rev == 0) rev = current;
  if (rev > current) return Status::BadRequest("revision is in the future");
  if (rev < compacted) {
    return Status::Gone("required revision " + std::to_string(rev) + " has been compacted");
  }
  bool latest = rev == current;

  // The page (limit + 1 rows: the extra one tells where the next page starts).
  const char* page_sql = nullptr;
  const char* count_sql = nullptr;
  if (latest) {
    page_sql = bounded ? "SELECT c.key, k.value, k.create_rev, k.rev FROM current AS c JOIN kv "
                         "AS k ON k.rev = c.rev WHERE c.key >= ?1 AND c.key < ?2 ORDER BY c.key "
                         "LIMIT ?4"
                       : "SELECT c.key, k.value, k.create_rev, k.rev FROM current AS c JOIN kv "
                         "AS k ON k.rev = c.rev WHERE c.key >= ?1 ORDER BY c.key LIMIT ?4";
    count_sql = bounded ? "SELECT count(*) FROM current WHERE key >= ?1 AND key < ?2"
                        : "SELECT count(*) FROM current WHERE key >= ?1";
  } else {
    page_sql = bounded
                   ? "SELECT k.key, k.value, k.create_rev, k.rev FROM (SELECT max(rev) AS r FROM "
                     "kv WHERE key >= ?1 AND key < ?2 AND rev <= ?3 GROUP BY key) AS l JOIN kv "
                     "AS k ON k.rev = l.r WHERE NOT k.deleted ORDER BY k.key LIMIT ?4"
                   : "SELECT k.key, k.value, k.create_rev, k.rev FROM (SELECT max(rev) AS r FROM "
                     "kv WHERE key >= ?1 AND rev <= ?3 GROUP BY key) AS l JOIN kv AS k ON "
                     "k.rev = l.r WHERE NOT k.deleted ORDER BY k.key LIMIT ?4";
    count_sql = bounded ? "SELECT count(*) FROM (SELECT max(rev) AS r FROM kv WHERE key >= ?1 AND "
                          "key < ?2 AND rev <= ?3 GROUP BY key) AS l JOIN kv AS k ON k.rev = l.r "
                          "WHERE NOT k.deleted"
                        : "SELECT count(*) FROM (SELECT max(rev) AS r FROM kv WHERE key >= ?1 AND "
                          "rev <= ?3 GROUP BY key) AS l JOIN kv AS k ON k.rev = l.r WHERE NOT "
                          "k.deleted";
  }
  ListResult out;
  out.revision = rev;
  std::string next_key;
  bool more = false;
  {
    KUBEPP_ASSIGN_OR_RETURN(auto stmt, c.Prepare(page_sql));
    Query q(stmt);
    q.Blob(1, start).Int(4, opts.limit > 0 ? opts.limit + 1 : -1);
    if (bounded) q.Blob(2, end);
    if (!latest) q.Int(3, rev);
    while (true) {
      KUBEPP_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      if (opts.limit > 0 && static_cast<int64_t>(out.items.size()) == opts.limit) {
        next_key = q.ColBlob(0);
        more = true;
        break;
      }
      out.items.push_back(KeyValue{q.ColBlob(0), q.ColBlob(1), q.ColInt(2), q.ColInt(3)});
    }
  }
  if (more) {
    KUBEPP_ASSIGN_OR_RETURN(auto stmt, c.Prepare(count_sql));
    Query q(stmt);
    q.Blob(1, next_key);
    if (bounded) q.Blob(2, end);
    if (!latest) q.Int(3, rev);
    KUBEPP_ASSIGN_OR_RETURN(bool row, q.Step());
    out.remaining = row ? q.ColInt(0) : 0;
    out.continue_token = EncodeContinueToken(rev, next_key);
  }
  return out;
}

Result<KeyValue> SqliteBackend::Create(std::string_view key, std::string_view value) {
  KUBEPP_RETURN_IF_ERROR(ValidateWrite(key, value));
  auto op = std::make_unique<WriteOp>();
  op->kind = WriteOp::Kind::kCreate;
  op->key = key;
  op->value = value;
  WriteOutcome out = Submit(std::move(op));
  if (!out.status.IsOk()) return out.status;
  return std::move(out.kv);
}

Result<KeyValue> SqliteBackend::Update(std::string_view key, std::string_view value,
                                       Revision expected_mod_revision) {
  KUBEPP_RETURN_IF_ERROR(ValidateWrite(key, value));
  auto op = std::make_unique<WriteOp>();
  op->kind = WriteOp::Kind::kUpdate;
  op->key = key;
  op->value = value;
  op->revision = expected_mod_revision;
  WriteOutcome out = Submit(std::move(op));
  if (!out.status.IsOk()) return out.status;
  return std::move(out.kv);
}

Result<DeleteResult> SqliteBackend::Delete(std::string_view key, Revision expected_mod_revision) {
  if (key.empty()) return Status::BadRequest("empty key");
  auto op = std::make_unique<WriteOp>();
  op->kind = WriteOp::Kind::kDelete;
  op->key = key;
  op->revision = expected_mod_revision;
  WriteOutcome out = Submit(std::move(op));
  if (!out.status.IsOk()) return out.status;
  DeleteResult result;
  result.prev = std::move(*out.prev);
  result.revision = out.kv.mod_revision;
  return result;
}

Result<std::unique_ptr<WatchStream>> SqliteBackend::Watch(std::string_view prefix,
                                                          Revision from_revision) {
  std::lock_guard lock(core_->mu_);
  Revision next = from_revision == 0 ? core_->current_ + 1 : from_revision + 1;
  if (next < core_->compacted_) {
    return Status::Gone("required revision " + std::to_string(next) + " has been compacted");
  }
  if (next > core_->current_ + 1) return Status::BadRequest("watch revision is in the future");
  return std::unique_ptr<WatchStream>(std::make_unique<Stream>(core_, std::string(prefix), next));
}

Status SqliteBackend::Compact(Revision revision) {
  auto op = std::make_unique<WriteOp>();
  op->kind = WriteOp::Kind::kCompact;
  op->revision = revision;
  return Submit(std::move(op)).status;
}

Result<Revision> SqliteBackend::CurrentRevision() { return core_->Current(); }

Result<Revision> SqliteBackend::CompactedRevision() { return core_->Compacted(); }

SqliteStats SqliteBackend::Stats() const {
  SqliteStats s;
  s.commits = commits_.load();
  s.writes = writes_.load();
  s.purged_rows = purged_rows_.load();
  s.purge_batches = purge_batches_.load();
  s.checkpoints = checkpoints_.load();
  s.writer_checkpoints = writer_checkpoints_.load();
  std::lock_guard lock(queue_mu_);
  s.purged_up_to = purged_;
  return s;
}

void SqliteBackend::WaitForPurge() {
  std::unique_lock lock(queue_mu_);
  purge_cv_.wait(lock, [this] { return purged_ >= purge_target_ || stopping_; });
}

}  // namespace kubepp::storage
