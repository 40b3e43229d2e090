// EtcdBackend: storage::Backend over an etcd v3 cluster (Debian's etcd-server), through etcd's
// gRPC API (our own subset in proto/etcd).
//
// Mapping: Create is Txn(create_revision == 0 → Put); Update/Delete are Txn(mod_revision ==
// expected → Put/DeleteRange with prev_kv, else Range to tell NotFound from Conflict); List is a
// Range at one revision with a limit (remaining from the Range's count); Watch is one etcd watch
// stream (prev_kv) read by one thread per WatchStream; Compact is etcd's Compact.
//
// Fail-over across endpoints: requests go to one preferred endpoint. A request that was never
// sent (the endpoint refuses connections or cannot be reached within dial_timeout) moves on to
// the next endpoint, transparently, for reads and writes alike. Once sent, a request that fails
// with an availability error (connection lost, timeout, leader change) moves the preference on
// and:
// - reads are retried on the next endpoint;
// - compare-guarded writes (Create; Update/Delete at an expected revision) cannot apply twice,
//   so Create and Update are re-sent on the next endpoint (once per endpoint). If the first try
//   had landed, the re-send fails its compare and the backend recognises its own write (same key,
//   same value, revisions consistent with that write) and answers OK rather than
//   AlreadyExists/Conflict. A Delete is not re-sent (its re-send could only say NotFound);
// - everything else (unconditional Update/Delete, RawPut) is not re-sent, since it could apply
//   twice: ServiceUnavailable ("write outcome unknown").
// Writes still uncertain after the last try answer ServiceUnavailable and stay remembered, so
// the caller's own retry of the same Create/Update gets the same recognition. Watch streams that
// lose their member re-open on the next endpoint from the last delivered revision + 1, so the
// consumer sees no gap and no duplicate.
//
// Errors: unreachable endpoints, UNAVAILABLE and DEADLINE_EXCEEDED → ServiceUnavailable naming
// the endpoints; etcd's "compacted" → Gone; "future revision" → BadRequest; "request is too
// large" → RequestEntityTooLarge (values over kMaxValueBytes are refused before sending). Every
// RPC carries a deadline: nothing blocks longer than about request_timeout + dial_timeout.
//
// Thread-safe; every method blocks on the network (call through async::RunBlocking from io
// threads). WatchStreams must be destroyed before the backend that made them.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "storage/backend.h"

namespace kubepp::storage {

struct EtcdOptions {
  // Client endpoints, "host:port" or "http://host:port". The first is preferred.
  std::vector<std::string> endpoints;
  // Deadline of each RPC once it is sent.
  std::chrono::milliseconds request_timeout{10000};
  // How long a request waits for some endpoint to accept a connection before
  // ServiceUnavailable.
  std::chrono::milliseconds dial_timeout{2000};
  // How long a broken watch keeps trying to re-open on some endpoint before it fails with
  // ServiceUnavailable.
  std::chrono::milliseconds watch_reconnect_timeout{10000};
};

class EtcdBackend final : public Backend {
 public:
  // Checks the options and prepares one gRPC channel per endpoint; does not contact etcd
  // (connections open lazily). BadRequest for no endpoint or a non-http endpoint.
  static Result<std::unique_ptr<EtcdBackend>> Open(const EtcdOptions& options);
  ~EtcdBackend() override;
  EtcdBackend(const EtcdBackend&) = delete;
  EtcdBackend& operator=(const EtcdBackend&) = delete;

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

  // Requests (and watch streams) moved to another endpoint after a failure, since Open.
  int64_t FailoverCount() const;

  // A plain etcd Put through the same channels, deadlines and fail-over, with none of the
  // backend's checks: the ceiling the backend's writes are measured against in benchmarks.
  Status RawPut(std::string_view key, std::string_view value);
  // The create-if-absent Txn the backend sends, sent bare (no checks, no re-send): separates
  // etcd's own cost of a compare-guarded Txn from the backend's overhead in benchmarks.
  Status RawCreateTxn(std::string_view key, std::string_view value);

  class Client;  // the gRPC side, private to etcd_backend.cc

 private:
  explicit EtcdBackend(std::shared_ptr<Client> client);

  std::shared_ptr<Client> client_;  // channels and state; shared with live watch streams
};

}  // namespace kubepp::storage
