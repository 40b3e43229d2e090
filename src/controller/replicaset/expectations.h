// Expectations: the creations and deletions a controller issued for a key and has not yet seen
// come back through its informer (upstream's UIDTrackingControllerExpectations). While a key
// has unmet expectations that are younger than kExpectationsTimeout, its Sync must not create
// or delete more (the cache is known to be stale).
//
// Thread-safe: Syncs (io threads) set expectations; informer handlers (their strand) lower them.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "base/clock.h"

namespace kubepp::controller::replicaset {

class Expectations {
 public:
  // upstream's ExpectationsTimeout: unmet expectations older than this no longer block a sync.
  static constexpr std::chrono::minutes kExpectationsTimeout{5};

  explicit Expectations(const Clock& clock) : clock_(clock) {}

  // True when `key` has no expectations, they are met, or they expired.
  bool Satisfied(const std::string& key) const;
  // Expects `adds` creations (replacing what was expected before).
  void ExpectCreations(const std::string& key, int adds);
  // Expects the deletion of the pods `pod_keys` ("ns/name").
  void ExpectDeletions(const std::string& key, const std::vector<std::string>& pod_keys);
  // One creation was seen (or will never happen).
  void CreationObserved(const std::string& key);
  // The deletion of `pod_key` was seen (or will never happen); ignored when not expected.
  void DeletionObserved(const std::string& key, const std::string& pod_key);
  // Forgets `key` (its ReplicaSet is gone).
  void Delete(const std::string& key);
  // Creations and deletions still expected (tests).
  std::pair<int, int> Pending(const std::string& key) const;

 private:
  struct Entry {
    int adds = 0;                // creations not yet observed
    int dels = 0;                // deletions not yet observed
    std::set<std::string> pods;  // pod keys whose deletion is expected
    Clock::TimePoint set_at{};   // when the expectations were set (expiry)
  };

  const Clock& clock_;                    // expiry
  mutable std::mutex mu_;                 // guards entries_
  std::map<std::string, Entry> entries_;  // by controller key
};

}  // namespace kubepp::controller::replicaset
