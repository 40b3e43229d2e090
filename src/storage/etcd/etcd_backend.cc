#include "storage/etcd/etcd_backend.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "rpc.grpc.pb.h"

namespace kubepp::storage {

namespace {

namespace pb = ::etcdserverpb;
namespace mvccpb = ::mvccpb;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// The largest response we accept: lists of many large values.
constexpr int kMaxReceiveBytes = 1 << 30;
// Uncertain writes remembered for the caller's retry (oldest forgotten first).
constexpr size_t kMaxUncertainWrites = 4096;

// How a failed RPC relates to the request it carried.
enum class Failure {
  kNotSent,     // the request never left: safe to send elsewhere
  kUncertain,   // sent, outcome unknown (connection lost, timeout, leader change)
  kDefinitive,  // etcd answered with an error: the request was not applied
};

// gRPC takes system_clock deadlines; we reason in steady_clock.
std::chrono::system_clock::time_point GrpcDeadline(Clock::time_point t) {
  return std::chrono::system_clock::now() +
         std::chrono::duration_cast<std::chrono::system_clock::duration>(t - Clock::now());
}

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

Failure Classify(const grpc::Status& s) {
  switch (s.error_code()) {
    case grpc::StatusCode::UNAVAILABLE: {
      const std::string& m = s.error_message();
      if (Contains(m, "failed to connect") || Contains(m, "Connection refused") ||
          Contains(m, "connections to all backends failing")) {
        return Failure::kNotSent;
      }
      return Failure::kUncertain;
    }
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::UNKNOWN:
    case grpc::StatusCode::INTERNAL:
    case grpc::StatusCode::ABORTED:
      return Failure::kUncertain;
    default:
      return Failure::kDefinitive;
  }
}

// etcd's error (a gRPC status) as our Status.
Status FromGrpc(const grpc::Status& s, const std::string& endpoints) {
  const std::string& m = s.error_message();
  if (Contains(m, "required revision has been compacted")) return Status::Gone(m);
  if (Contains(m, "required revision is a future revision")) return Status::BadRequest(m);
  if (Contains(m, "request is too large") || Contains(m, "larger than max")) {
    return Status::TooLarge(m);
  }
  if (Contains(m, "too many requests")) return Status::TooManyRequests(m);
  switch (s.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::CANCELLED:
      return Status::Unavailable("etcd at " + endpoints + " is unavailable: " + m);
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::OUT_OF_RANGE:
      return Status::BadRequest("etcd: " + m);
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return Status::Unavailable("etcd at " + endpoints + ": " + m);
    default:
      return Status::Internal("etcd at " + endpoints + ": " + m);
  }
}

KeyValue FromProto(const mvccpb::KeyValue& kv) {
  return KeyValue{.key = kv.key(),
                  .value = kv.value(),
                  .create_revision = kv.create_revision(),
                  .mod_revision = kv.mod_revision()};
}

// etcd's [key, range_end) for every key under `prefix`.
std::pair<std::string, std::string> PrefixRange(std::string_view prefix) {
  if (prefix.empty()) return {std::string(1, '\0'), std::string(1, '\0')};  // every key
  std::string end = PrefixEnd(prefix);
  if (end.empty()) end = std::string(1, '\0');  // all 0xff: no upper bound
  return {std::string(prefix), end};
}

// Our events from one etcd watch response.
WatchEvent FromProto(const mvccpb::Event& e) {
  WatchEvent out;
  if (e.type() == mvccpb::Event::DELETE) {
    out.type = EventType::kDeleted;
    out.kv.key = e.kv().key();
    out.kv.mod_revision = e.kv().mod_revision();
    if (e.has_prev_kv()) {
      out.prev = FromProto(e.prev_kv());
      out.kv.create_revision = e.prev_kv().create_revision();
    }
    return out;
  }
  out.kv = FromProto(e.kv());
  out.type = e.kv().version() == 1 ? EventType::kCreated : EventType::kUpdated;
  if (out.type == EventType::kUpdated && e.has_prev_kv()) out.prev = FromProto(e.prev_kv());
  return out;
}

// One etcd member's channel and stubs.
struct Endpoint {
  std::string target;                      // "host:port"
  std::shared_ptr<grpc::Channel> channel;  // one HTTP/2 connection (local pool)
  std::unique_ptr<pb::KV::Stub> kv;        // KV service
  std::unique_ptr<pb::Watch::Stub> watch;  // Watch service
};

// A write whose outcome was unknown when the caller heard ServiceUnavailable.
struct UncertainWrite {
  bool create = false;    // a Create (else an Update)
  std::string value;      // the value written
  Revision expected = 0;  // the Update's expected mod_revision
};

}  // namespace

// The gRPC side of EtcdBackend: channels, fail-over state, uncertain writes. Thread-safe.
class EtcdBackend::Client : public std::enable_shared_from_this<EtcdBackend::Client> {
 public:
  explicit Client(const EtcdOptions& options) : options_(options) {
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(kMaxReceiveBytes);
    args.SetMaxSendMessageSize(-1);
    // Each backend owns its connections (a dead endpoint in one does not leak into another).
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    // Reconnect to a restarted member within a second.
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
    // Notice a silently dead member under a long watch (etcd permits pings every 5 s).
    args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
    args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 5000);
    for (const auto& e : options.endpoints) {
      std::string target = e;
      if (target.starts_with("http://")) target = target.substr(7);
      while (!target.empty() && target.back() == '/') target.pop_back();
      Endpoint ep;
      ep.target = target;
      ep.channel = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
      ep.kv = pb::KV::NewStub(ep.channel);
      ep.watch = pb::Watch::NewStub(ep.channel);
      if (!names_.empty()) names_ += ',';
      names_ += target;
      endpoints_.push_back(std::move(ep));
    }
  }

  const EtcdOptions& options() const { return options_; }  // NOLINT(readability-identifier-naming)
  const std::string& Names() const { return names_; }
  size_t Size() const { return endpoints_.size(); }
  Endpoint& At(size_t i) { return endpoints_[i % endpoints_.size()]; }
  size_t Preferred() const { return preferred_.load(std::memory_order_relaxed); }
  int64_t Failovers() const { return failovers_.load(std::memory_order_relaxed); }

  // Moves the preference away from `failed` (unless another thread already did).
  void MoveOn(size_t failed) {
    size_t expected = failed % endpoints_.size();
    if (preferred_.compare_exchange_strong(expected, (expected + 1) % endpoints_.size())) {
      failovers_.fetch_add(1, std::memory_order_relaxed);
    }
  }

  // True when endpoint `i` has (or quickly gets) a connection, waiting until `deadline`.
  bool Connected(size_t i, Clock::time_point deadline) {
    auto& ch = *At(i).channel;
    while (true) {
      grpc_connectivity_state state = ch.GetState(/*try_to_connect=*/true);
      if (state == GRPC_CHANNEL_READY) return true;
      if (state == GRPC_CHANNEL_TRANSIENT_FAILURE || state == GRPC_CHANNEL_SHUTDOWN) return false;
      if (!ch.WaitForStateChange(state, GrpcDeadline(deadline))) return false;
    }
  }

  // Runs one KV RPC with fail-over. `idempotent`: may be re-sent after an uncertain failure.
  // On failure returns the Status and sets *uncertain when a write may have been applied.
  template <typename Req, typename Resp>
  Status Call(grpc::Status (pb::KV::Stub::*rpc)(grpc::ClientContext*, const Req&, Resp*),
              const Req& req, Resp* resp, bool idempotent, bool* uncertain = nullptr) {
    if (uncertain != nullptr) *uncertain = false;
    const auto dial_deadline = Clock::now() + options_.dial_timeout;
    size_t start = Preferred();
    size_t sent_attempts = 0;
    std::string last_error = "no endpoint accepted a connection";
    for (size_t attempt = 0;; ++attempt) {
      size_t i = start + attempt;
      if (attempt > 0 && attempt % endpoints_.size() == 0) {
        // Every endpoint refused: wait a little for one to come back, within dial_timeout.
        if (Clock::now() >= dial_deadline || sent_attempts >= endpoints_.size()) break;
        std::this_thread::sleep_for(50ms);
      }
      auto connect_deadline = std::min(dial_deadline, Clock::now() + options_.dial_timeout);
      if (!Connected(i, std::max(connect_deadline, Clock::now() + 100ms))) {
        last_error = At(i).target + ": cannot connect";
        if (i % endpoints_.size() == Preferred()) MoveOn(i);
        continue;
      }
      grpc::ClientContext ctx;
      ctx.set_deadline(GrpcDeadline(Clock::now() + options_.request_timeout));
      grpc::Status s = (At(i).kv.get()->*rpc)(&ctx, req, resp);
      if (s.ok()) return Status::Ok();
      Failure f = Classify(s);
      if (f == Failure::kDefinitive) return FromGrpc(s, names_);
      last_error = At(i).target + ": " + s.error_message();
      MoveOn(i);
      if (f == Failure::kNotSent) continue;
      // Sent: a read goes to the next endpoint; a write's outcome is unknown.
      ++sent_attempts;
      if (!idempotent) {
        if (uncertain != nullptr) *uncertain = true;
        return Status::Unavailable("etcd at " + names_ + ": write outcome unknown (" + last_error +
                                   "); retry the request");
      }
      if (sent_attempts >= endpoints_.size()) break;
    }
    return Status::Unavailable("etcd at " + names_ + " is unavailable: " + last_error);
  }

  // Runs a compare-guarded Txn (Create, or Update at an expected revision). When its outcome
  // is unknown it is sent again on the next endpoint (up to once per endpoint): the compare
  // makes a second application impossible, and if the first one did land, the retry fails its
  // compare and ResolveUncertain recognises our own write. Still unknown after the last try:
  // ServiceUnavailable, and the write stays remembered for the caller's own retry.
  Status ConditionalWrite(const pb::TxnRequest& req, pb::TxnResponse* resp, std::string_view key,
                          const UncertainWrite& write) {
    const size_t tries = std::max<size_t>(2, endpoints_.size());
    for (size_t attempt = 0;; ++attempt) {
      bool uncertain = false;
      resp->Clear();
      Status s = Call(&pb::KV::Stub::Txn, req, resp, false, &uncertain);
      if (s.IsOk() || !uncertain) return s;
      RememberUncertain(key, write);
      if (attempt + 1 >= tries) return s;
    }
  }

  // Remembers a write the caller was told failed with an unknown outcome.
  void RememberUncertain(std::string_view key, UncertainWrite w) {
    std::lock_guard lock(mu_);
    if (uncertain_.size() >= kMaxUncertainWrites) uncertain_.erase(uncertain_.begin());
    uncertain_[std::string(key)] = std::move(w);
  }

  // True (and forgets it) when the caller's retry of an uncertain write finds it applied.
  bool ResolveUncertain(std::string_view key, bool create, std::string_view value,
                        Revision expected, const KeyValue& current) {
    std::lock_guard lock(mu_);
    auto it = uncertain_.find(key);
    if (it == uncertain_.end()) return false;
    const UncertainWrite& w = it->second;
    bool applied = w.create == create && w.value == value && current.value == value &&
                   (create ? current.create_revision == current.mod_revision
                           : w.expected == expected && current.mod_revision > expected);
    if (applied) uncertain_.erase(it);
    return applied;
  }

  // Forgets an uncertain write once a retry settled it.
  void ForgetUncertain(std::string_view key) {
    std::lock_guard lock(mu_);
    auto it = uncertain_.find(key);
    if (it != uncertain_.end()) uncertain_.erase(it);
  }

  bool HasUncertain(std::string_view key) {
    std::lock_guard lock(mu_);
    return uncertain_.contains(key);
  }

  void NoteCompacted(Revision r) {
    Revision cur = compacted_.load();
    while (r > cur && !compacted_.compare_exchange_weak(cur, r)) {
    }
  }
  Revision KnownCompacted() const { return compacted_.load(); }
  void CountFailover() { failovers_.fetch_add(1, std::memory_order_relaxed); }

 private:
  EtcdOptions options_;                 // as given to Open
  std::string names_;                   // "host:port,host:port" for messages
  std::vector<Endpoint> endpoints_;     // one per member, in the order given
  std::atomic<size_t> preferred_{0};    // the endpoint requests try first
  std::atomic<int64_t> failovers_{0};   // times a request or watch moved to another endpoint
  std::atomic<Revision> compacted_{0};  // highest compaction revision this client knows of
  std::mutex mu_;                       // guards uncertain_
  std::map<std::string, UncertainWrite, std::less<>> uncertain_;  // key -> uncertain write
};

namespace {

// One etcd watch (with re-establishment on another member) behind a queue. A reader thread
// owns the gRPC stream; Next() runs on the consumer's thread.
class EtcdWatchStream final : public WatchStream {
 public:
  EtcdWatchStream(std::shared_ptr<EtcdBackend::Client> client, std::string prefix, Revision from)
      : client_(std::move(client)), prefix_(std::move(prefix)), delivered_(from), returned_(from) {
    reader_ = std::thread([this] { Run(); });
  }

  ~EtcdWatchStream() override {
    Cancel();
    reader_.join();
  }

  Result<WatchBatch> Next(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(mu_);
    changed_.wait_for(lock, timeout,
                      [&] { return cancelled_ || !queue_.empty() || !error_.IsOk(); });
    if (cancelled_) return Status::Unavailable("watch cancelled");
    WatchBatch batch;
    batch.revision = returned_;
    if (!queue_.empty()) {
      for (auto& b : queue_) {
        for (auto& e : b.events) batch.events.push_back(std::move(e));
        batch.revision = std::max(batch.revision, b.revision);
      }
      queue_.clear();
      returned_ = batch.revision;
      return batch;
    }
    if (!error_.IsOk()) return error_;
    return batch;
  }

  void Cancel() override {
    std::lock_guard lock(mu_);
    if (cancelled_) return;
    cancelled_ = true;
    if (ctx_ != nullptr) ctx_->TryCancel();
    changed_.notify_all();
  }

 private:
  // The reader thread: opens the watch on some endpoint, pumps responses into the queue, and
  // re-opens from the last delivered revision when the stream breaks.
  void Run() {
    auto [key, range_end] = PrefixRange(prefix_);
    Clock::time_point broken_since{};
    size_t endpoint = client_->Preferred();
    bool first = true;
    while (true) {
      {
        std::lock_guard lock(mu_);
        if (cancelled_) return;
      }
      if (!first) {
        if (broken_since == Clock::time_point{}) broken_since = Clock::now();
        if (Clock::now() - broken_since > client_->options().watch_reconnect_timeout) {
          Fail(Status::Unavailable("watch: etcd at " + client_->Names() +
                                   " is unavailable: " + last_error_));
          return;
        }
        std::unique_lock lock(mu_);
        if (changed_.wait_for(lock, 100ms, [&] { return cancelled_; })) return;
      }
      first = false;
      if (!client_->Connected(endpoint, Clock::now() + client_->options().dial_timeout)) {
        last_error_ = client_->At(endpoint).target + ": cannot connect";
        ++endpoint;
        client_->CountFailover();
        continue;
      }
      grpc::ClientContext ctx;
      {
        std::lock_guard lock(mu_);
        if (cancelled_) return;
        ctx_ = &ctx;
      }
      bool progressed = Pump(ctx, endpoint, key, range_end);
      {
        std::lock_guard lock(mu_);
        ctx_ = nullptr;
        if (cancelled_ || done_) return;
      }
      if (progressed) broken_since = {};
      ++endpoint;  // the stream broke: next member
      client_->CountFailover();
    }
  }

  // Runs one gRPC watch stream until it breaks. Returns true when the stream was established.
  bool Pump(grpc::ClientContext& ctx, size_t endpoint, const std::string& key,
            const std::string& range_end) {
    auto stream = client_->At(endpoint).watch->Watch(&ctx);
    pb::WatchRequest req;
    auto* create = req.mutable_create_request();
    create->set_key(key);
    create->set_range_end(range_end);
    create->set_start_revision(delivered_ + 1);
    create->set_prev_kv(true);
    create->set_progress_notify(true);
    bool established = false;
    if (stream->Write(req)) {
      pb::WatchResponse resp;
      while (stream->Read(&resp)) {
        if (resp.compact_revision() > 0) {
          client_->NoteCompacted(resp.compact_revision());
          Fail(Status::Gone("watch from revision " + std::to_string(delivered_ + 1) +
                            " fell behind etcd's compaction at revision " +
                            std::to_string(resp.compact_revision())));
          ctx.TryCancel();
          break;
        }
        if (resp.canceled()) {
          Fail(Status::Unavailable("etcd cancelled the watch: " + resp.cancel_reason()));
          ctx.TryCancel();
          break;
        }
        if (resp.created()) {
          established = true;
          continue;
        }
        WatchBatch batch;
        for (const auto& e : resp.events()) {
          if (e.kv().mod_revision() <= delivered_) continue;  // never twice
          batch.events.push_back(FromProto(e));
        }
        if (!batch.events.empty()) {
          batch.revision = batch.events.back().kv.mod_revision;
        } else if (resp.events_size() == 0) {
          batch.revision = resp.header().revision();  // a progress notification
        }
        if (batch.revision <= delivered_) continue;
        Push(std::move(batch));
      }
    }
    (void)stream->Finish();
    if (!established) last_error_ = client_->At(endpoint).target + ": watch stream failed";
    return established;
  }

  void Push(WatchBatch batch) {
    std::lock_guard lock(mu_);
    delivered_ = batch.revision;
    queue_.push_back(std::move(batch));
    changed_.notify_all();
  }

  void Fail(Status s) {
    std::lock_guard lock(mu_);
    done_ = true;
    error_ = std::move(s);
    changed_.notify_all();
  }

  std::shared_ptr<EtcdBackend::Client> client_;  // channels; outlives the reader thread
  std::string prefix_;                           // the watched prefix
  std::string last_error_;                       // why the last stream attempt failed (reader)
  std::mutex mu_;                                // guards everything below
  std::condition_variable changed_;              // queue_, error_ or cancelled_ changed
  std::deque<WatchBatch> queue_;                 // batches not yet returned by Next()
  Revision delivered_ = 0;                       // highest revision pushed to queue_
  Revision returned_ = 0;                        // highest revision returned by Next()
  Status error_;                                 // the terminal error, after queue_ drains
  bool done_ = false;                            // the reader ended for good (error_ set)
  bool cancelled_ = false;                       // Cancel() was called
  grpc::ClientContext* ctx_ = nullptr;           // the live stream's context, for TryCancel
  std::thread reader_;                           // runs Run(); joined by the destructor
};

pb::RequestOp RangeOp(std::string_view key) {
  pb::RequestOp op;
  op.mutable_request_range()->set_key(std::string(key));
  return op;
}

}  // namespace

EtcdBackend::EtcdBackend(std::shared_ptr<Client> client) : client_(std::move(client)) {}
EtcdBackend::~EtcdBackend() = default;

Result<std::unique_ptr<EtcdBackend>> EtcdBackend::Open(const EtcdOptions& options) {
  if (options.endpoints.empty()) return Status::BadRequest("etcd: no endpoints given");
  for (const auto& e : options.endpoints) {
    if (e.empty() || e.starts_with("https://") ||
        (Contains(e, "://") && !e.starts_with("http://"))) {
      return Status::BadRequest("etcd endpoint \"" + e +
                                "\" is not supported (want host:port or http://host:port)");
    }
  }
  if (options.request_timeout <= 0ms || options.dial_timeout <= 0ms) {
    return Status::BadRequest("etcd: timeouts must be positive");
  }
  return std::unique_ptr<EtcdBackend>(new EtcdBackend(std::make_shared<Client>(options)));
}

int64_t EtcdBackend::FailoverCount() const { return client_->Failovers(); }

Result<KeyValue> EtcdBackend::Get(std::string_view key) {
  if (key.empty()) return Status::BadRequest("empty key");
  pb::RangeRequest req;
  req.set_key(std::string(key));
  pb::RangeResponse resp;
  KUBEPP_RETURN_IF_ERROR(client_->Call(&pb::KV::Stub::Range, req, &resp, true));
  if (resp.kvs_size() == 0) return Status::NotFound("key not found");
  return FromProto(resp.kvs(0));
}

Result<ListResult> EtcdBackend::List(const ListOptions& opts) {
  auto [key, range_end] = PrefixRange(opts.prefix);
  Revision revision = opts.revision;
  if (!opts.continue_token.empty()) {
    KUBEPP_ASSIGN_OR_RETURN(auto token, DecodeContinueToken(opts.continue_token));
    if (!token.second.starts_with(opts.prefix)) {
      return Status::BadRequest("continue token does not match the listed prefix");
    }
    revision = token.first;
    key = std::move(token.second);
  }
  if (revision < 0 || opts.limit < 0) return Status::BadRequest("negative revision or limit");
  pb::RangeRequest req;
  req.set_key(key);
  req.set_range_end(range_end);
  req.set_revision(revision);
  req.set_limit(opts.limit);
  pb::RangeResponse resp;
  Status s = client_->Call(&pb::KV::Stub::Range, req, &resp, true);
  if (!s.IsOk()) {
    if (s.IsGone()) {
      client_->NoteCompacted(revision + 1);
      return Status::Gone("revision " + std::to_string(revision) + " has been compacted");
    }
    return s;
  }
  ListResult out;
  out.revision = revision != 0 ? revision : resp.header().revision();
  out.items.reserve(static_cast<size_t>(resp.kvs_size()));
  for (auto& kv : *resp.mutable_kvs()) {
    out.items.push_back(KeyValue{.key = std::move(*kv.mutable_key()),
                                 .value = std::move(*kv.mutable_value()),
                                 .create_revision = kv.create_revision(),
                                 .mod_revision = kv.mod_revision()});
  }
  if (resp.more() && !out.items.empty()) {
    std::string next = out.items.back().key;
    next.push_back('\0');
    out.continue_token = EncodeContinueToken(out.revision, next);
    out.remaining = std::max<int64_t>(0, resp.count() - static_cast<int64_t>(out.items.size()));
  }
  return out;
}

Result<KeyValue> EtcdBackend::Create(std::string_view key, std::string_view value) {
  KUBEPP_RETURN_IF_ERROR(ValidateWrite(key, value));
  pb::TxnRequest req;
  auto* cmp = req.add_compare();
  cmp->set_key(std::string(key));
  cmp->set_target(pb::Compare::CREATE);
  cmp->set_result(pb::Compare::EQUAL);
  cmp->set_create_revision(0);
  auto* put = req.add_success()->mutable_request_put();
  put->set_key(std::string(key));
  put->set_value(std::string(value));
  pb::TxnResponse resp;
  KUBEPP_RETURN_IF_ERROR(
      client_->ConditionalWrite(req, &resp, key, {.create = true, .value = std::string(value)}));
  if (resp.succeeded()) {
    client_->ForgetUncertain(key);
    Revision rev = resp.header().revision();
    return KeyValue{.key = std::string(key),
                    .value = std::string(value),
                    .create_revision = rev,
                    .mod_revision = rev};
  }
  // The key exists. If it is our own earlier write whose outcome was unknown, this retry
  // succeeded (only then is the key read back).
  if (client_->HasUncertain(key)) {
    auto current = Get(key);
    if (current.IsOk() && client_->ResolveUncertain(key, true, value, 0, *current)) {
      return std::move(current).value();
    }
  }
  return Status::AlreadyExists("key already exists");
}

Result<KeyValue> EtcdBackend::Update(std::string_view key, std::string_view value,
                                     Revision expected_mod_revision) {
  KUBEPP_RETURN_IF_ERROR(ValidateWrite(key, value));
  pb::TxnRequest req;
  auto* cmp = req.add_compare();
  cmp->set_key(std::string(key));
  if (expected_mod_revision != 0) {
    cmp->set_target(pb::Compare::MOD);
    cmp->set_result(pb::Compare::EQUAL);
    cmp->set_mod_revision(expected_mod_revision);
  } else {
    cmp->set_target(pb::Compare::CREATE);
    cmp->set_result(pb::Compare::GREATER);
    cmp->set_create_revision(0);
  }
  auto* put = req.add_success()->mutable_request_put();
  put->set_key(std::string(key));
  put->set_value(std::string(value));
  put->set_prev_kv(true);
  *req.add_failure() = RangeOp(key);
  pb::TxnResponse resp;
  if (expected_mod_revision != 0) {
    KUBEPP_RETURN_IF_ERROR(client_->ConditionalWrite(
        req, &resp, key,
        {.create = false, .value = std::string(value), .expected = expected_mod_revision}));
  } else {
    // Unconditional: re-sending could apply it twice, so an unknown outcome is reported.
    KUBEPP_RETURN_IF_ERROR(client_->Call(&pb::KV::Stub::Txn, req, &resp, false));
  }
  if (resp.succeeded()) {
    client_->ForgetUncertain(key);
    Revision rev = resp.header().revision();
    Revision created = rev;
    if (resp.responses_size() > 0 && resp.responses(0).response_put().has_prev_kv()) {
      created = resp.responses(0).response_put().prev_kv().create_revision();
    }
    return KeyValue{.key = std::string(key),
                    .value = std::string(value),
                    .create_revision = created,
                    .mod_revision = rev};
  }
  if (resp.responses_size() == 0 || resp.responses(0).response_range().kvs_size() == 0) {
    return Status::NotFound("key not found");
  }
  KeyValue current = FromProto(resp.responses(0).response_range().kvs(0));
  if (client_->ResolveUncertain(key, false, value, expected_mod_revision, current)) {
    return current;
  }
  return Status::Conflict("key was modified: mod_revision " + std::to_string(current.mod_revision) +
                          ", expected " + std::to_string(expected_mod_revision));
}

Result<DeleteResult> EtcdBackend::Delete(std::string_view key, Revision expected_mod_revision) {
  if (key.empty()) return Status::BadRequest("empty key");
  pb::TxnRequest req;
  auto* cmp = req.add_compare();
  cmp->set_key(std::string(key));
  if (expected_mod_revision != 0) {
    cmp->set_target(pb::Compare::MOD);
    cmp->set_result(pb::Compare::EQUAL);
    cmp->set_mod_revision(expected_mod_revision);
  } else {
    cmp->set_target(pb::Compare::CREATE);
    cmp->set_result(pb::Compare::GREATER);
    cmp->set_create_revision(0);
  }
  auto* del = req.add_success()->mutable_request_delete_range();
  del->set_key(std::string(key));
  del->set_prev_kv(true);
  *req.add_failure() = RangeOp(key);
  pb::TxnResponse resp;
  KUBEPP_RETURN_IF_ERROR(client_->Call(&pb::KV::Stub::Txn, req, &resp, false));
  if (resp.succeeded()) {
    const auto& d = resp.responses(0).response_delete_range();
    if (d.prev_kvs_size() == 0) return Status::NotFound("key not found");
    return DeleteResult{.prev = FromProto(d.prev_kvs(0)), .revision = resp.header().revision()};
  }
  if (resp.responses_size() == 0 || resp.responses(0).response_range().kvs_size() == 0) {
    return Status::NotFound("key not found");
  }
  return Status::Conflict("key was modified: mod_revision " +
                          std::to_string(resp.responses(0).response_range().kvs(0).mod_revision()) +
                          ", expected " + std::to_string(expected_mod_revision));
}

Result<std::unique_ptr<WatchStream>> EtcdBackend::Watch(std::string_view prefix,
                                                        Revision from_revision) {
  if (from_revision < 0) return Status::BadRequest("negative revision");
  // One read settles the start: the current revision for "from now", or Gone when
  // from_revision + 1 is compacted (the compaction is global: any key tells).
  if (from_revision == 0) {
    KUBEPP_ASSIGN_OR_RETURN(from_revision, CurrentRevision());
  } else {
    pb::RangeRequest req;
    req.set_key(std::string(1, '\0'));
    req.set_count_only(true);
    req.set_revision(from_revision + 1);
    pb::RangeResponse resp;
    Status s = client_->Call(&pb::KV::Stub::Range, req, &resp, true);
    if (s.IsGone()) {
      return Status::Gone("watch from revision " + std::to_string(from_revision) +
                          ": history has been compacted");
    }
    // A future start revision is fine for a watch: it waits.
    if (!s.IsOk() && s.Code() != StatusCode::kBadRequest) return s;
  }
  return std::unique_ptr<WatchStream>(
      new EtcdWatchStream(client_, std::string(prefix), from_revision));
}

Status EtcdBackend::Compact(Revision revision) {
  if (revision <= 0) return Status::BadRequest("compaction revision must be positive");
  pb::CompactionRequest req;
  req.set_revision(revision);
  pb::CompactionResponse resp;
  Status s = client_->Call(&pb::KV::Stub::Compact, req, &resp, true);
  if (s.IsGone()) return Status::Ok();  // already compacted at or past `revision`
  if (!s.IsOk()) return s;
  client_->NoteCompacted(revision);
  return Status::Ok();
}

Result<Revision> EtcdBackend::CurrentRevision() {
  pb::RangeRequest req;
  req.set_key(std::string(1, '\0'));
  req.set_count_only(true);
  pb::RangeResponse resp;
  KUBEPP_RETURN_IF_ERROR(client_->Call(&pb::KV::Stub::Range, req, &resp, true));
  return resp.header().revision();
}

Result<Revision> EtcdBackend::CompactedRevision() {
  // Revision 1 readable: never compacted (past 1).
  pb::RangeRequest req;
  req.set_key(std::string(1, '\0'));
  req.set_count_only(true);
  req.set_revision(1);
  pb::RangeResponse resp;
  Status s = client_->Call(&pb::KV::Stub::Range, req, &resp, true);
  if (s.IsOk()) return client_->KnownCompacted() > 1 ? 1 : client_->KnownCompacted();
  if (!s.IsGone()) return s;
  // etcd tells the exact compaction revision to a watch that starts before it.
  Status last = Status::Unavailable("etcd at " + client_->Names() + " is unavailable");
  for (size_t attempt = 0; attempt < client_->Size(); ++attempt) {
    size_t i = client_->Preferred() + attempt;
    grpc::ClientContext ctx;
    ctx.set_deadline(GrpcDeadline(Clock::now() + client_->options().request_timeout));
    auto stream = client_->At(i).watch->Watch(&ctx);
    pb::WatchRequest wreq;
    wreq.mutable_create_request()->set_key(std::string(1, '\0'));
    wreq.mutable_create_request()->set_start_revision(1);
    Revision found = 0;
    if (stream->Write(wreq)) {
      pb::WatchResponse wresp;
      while (stream->Read(&wresp)) {
        if (wresp.compact_revision() > 0) {
          found = wresp.compact_revision();
          break;
        }
        if (wresp.canceled()) break;
      }
    }
    ctx.TryCancel();
    (void)stream->Finish();
    if (found > 0) {
      client_->NoteCompacted(found);
      return client_->KnownCompacted();
    }
  }
  return last;
}

Status EtcdBackend::RawPut(std::string_view key, std::string_view value) {
  pb::PutRequest req;
  req.set_key(std::string(key));
  req.set_value(std::string(value));
  pb::PutResponse resp;
  return client_->Call(&pb::KV::Stub::Put, req, &resp, false);
}

Status EtcdBackend::RawCreateTxn(std::string_view key, std::string_view value) {
  pb::TxnRequest req;
  auto* cmp = req.add_compare();
  cmp->set_key(std::string(key));
  cmp->set_target(pb::Compare::CREATE);
  cmp->set_result(pb::Compare::EQUAL);
  cmp->set_create_revision(0);
  auto* put = req.add_success()->mutable_request_put();
  put->set_key(std::string(key));
  put->set_value(std::string(value));
  pb::TxnResponse resp;
  KUBEPP_RETURN_IF_ERROR(client_->Call(&pb::KV::Stub::Txn, req, &resp, false));
  return resp.succeeded() ? Status::Ok() : Status::AlreadyExists("key already exists");
}

}  // namespace kubepp::storage
