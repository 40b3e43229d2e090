#include "kubelet/podactions/backoff.h"

#include <algorithm>

#include "kubelet/kuberuntime/pod_config.h"

namespace kubepp::kubelet {

Backoff::Duration Backoff::Get(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  return it == entries_.end() ? Duration::zero() : it->second.backoff;
}

void Backoff::Next(const std::string& key, Time event_time, Time now) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || HasExpired(event_time, it->second.last_update)) {
    entries_[key] = Entry{.backoff = initial_, .last_update = now};
    return;
  }
  it->second.backoff = std::min(it->second.backoff * 2, max_);
  it->second.last_update = now;
}

bool Backoff::IsInBackOffSince(const std::string& key, Time event_time, Time now) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || HasExpired(event_time, it->second.last_update)) return false;
  return now - event_time < it->second.backoff;
}

bool Backoff::IsInBackOffSinceUpdate(const std::string& key, Time event_time) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || HasExpired(event_time, it->second.last_update)) return false;
  return event_time - it->second.last_update < it->second.backoff;
}

void Backoff::Reset(const std::string& key) {
  std::lock_guard lock(mu_);
  entries_.erase(key);
}

void Backoff::GC(Time now) {
  std::lock_guard lock(mu_);
  std::erase_if(entries_, [&](const auto& kv) { return HasExpired(now, kv.second.last_update); });
}

size_t Backoff::Size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

std::string GetStableKey(const api::Pod& pod, const api::Container& container) {
  return pod.metadata.name + "_" + pod.metadata.namespace_ + "_" + pod.metadata.uid + "_" +
         container.name + "_" + ContainerHash(container);
}

}  // namespace kubepp::kubelet
