#include "controller/replicaset/expectations.h"

namespace kubepp::controller::replicaset {

bool Expectations::Satisfied(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return true;
  const Entry& e = it->second;
  if (e.adds <= 0 && e.dels <= 0) return true;
  return clock_.Now() - e.set_at > kExpectationsTimeout;
}

void Expectations::ExpectCreations(const std::string& key, int adds) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry& e = entries_[key];
  e.adds = adds;
  e.dels = 0;
  e.set_at = clock_.Now();
}

void Expectations::ExpectDeletions(const std::string& key,
                                   const std::vector<std::string>& pod_keys) {
  std::lock_guard<std::mutex> lock(mu_);
  Entry& e = entries_[key];
  e.pods = std::set<std::string>(pod_keys.begin(), pod_keys.end());
  e.adds = 0;
  e.dels = static_cast<int>(pod_keys.size());
  e.set_at = clock_.Now();
}

void Expectations::CreationObserved(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it != entries_.end()) --it->second.adds;
}

void Expectations::DeletionObserved(const std::string& key, const std::string& pod_key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.pods.erase(pod_key) == 0) return;
  --it->second.dels;
}

void Expectations::Delete(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.erase(key);
}

std::pair<int, int> Expectations::Pending(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return {0, 0};
  return {it->second.adds, it->second.dels};
}

}  // namespace kubepp::controller::replicaset
