#include "scheduler/framework/node_info.h"

#include <algorithm>
#include <atomic>

namespace kubepp::scheduler {
namespace {

std::atomic<int64_t> g_generation{0};  // process-wide NodeInfo generation counter

bool HasPodAffinity(const PodInfo& p) {
  return !p.required_affinity_terms.empty() || !p.required_anti_affinity_terms.empty() ||
         !p.preferred_affinity_terms.empty() || !p.preferred_anti_affinity_terms.empty();
}

AffinityTerm MakeTerm(const api::PodAffinityTerm& term, const api::Pod& pod,
                      std::string& parse_error) {
  AffinityTerm out;
  out.topology_key = term.topologyKey;
  out.namespaces.insert(term.namespaces.begin(), term.namespaces.end());
  if (term.namespaceSelector.has_value()) {
    auto ns = api::Selector::FromLabelSelector(*term.namespaceSelector);
    if (ns.IsOk()) {
      out.namespace_selector = std::move(ns.value());
    } else {
      parse_error = ns.status().Message();
    }
  }
  if (out.namespaces.empty() && !term.namespaceSelector.has_value()) {
    out.namespaces.insert(pod.metadata.namespace_);
  }
  if (!term.labelSelector.has_value()) {
    out.selector_matches_nothing = true;
  } else {
    auto sel = api::Selector::FromLabelSelector(*term.labelSelector);
    if (sel.IsOk()) {
      out.selector = std::move(sel.value());
    } else {
      parse_error = sel.status().Message();
      out.selector_matches_nothing = true;
    }
  }
  return out;
}

void AddPorts(const std::vector<api::ContainerPort>& ports, std::vector<HostPort>& out) {
  for (const auto& p : ports) {
    if (!p.hostPort.has_value() || *p.hostPort <= 0) continue;
    HostPort hp;
    hp.ip = p.hostIP.empty() ? "0.0.0.0" : p.hostIP;
    hp.protocol = p.protocol.empty() ? "TCP" : p.protocol;
    hp.port = *p.hostPort;
    out.push_back(std::move(hp));
  }
}

void EraseOne(std::vector<std::shared_ptr<const PodInfo>>& v, std::string_view key) {
  auto it = std::find_if(v.begin(), v.end(), [&](const auto& p) { return p->key == key; });
  if (it != v.end()) {
    // Order does not matter: swap with the last one.
    *it = std::move(v.back());
    v.pop_back();
  }
}

}  // namespace

void HostPortInfo::Add(const HostPort& port) { ports_.push_back(port); }

void HostPortInfo::Remove(const HostPort& port) {
  auto it = std::find(ports_.begin(), ports_.end(), port);
  if (it != ports_.end()) ports_.erase(it);
}

bool HostPortInfo::CheckConflict(const HostPort& port) const {
  for (const auto& used : ports_) {
    if (used.port != port.port || used.protocol != port.protocol) continue;
    if (used.ip == port.ip || used.ip == "0.0.0.0" || port.ip == "0.0.0.0") return true;
  }
  return false;
}

bool AffinityTerm::Matches(const api::Pod& pod) const {
  bool ns_ok = namespaces.contains(pod.metadata.namespace_) ||
               (namespace_selector.has_value() && namespace_selector->Empty());
  if (!ns_ok) return false;
  return !selector_matches_nothing && selector.Matches(pod.metadata.labels);
}

std::shared_ptr<const PodInfo> PodInfo::Make(std::shared_ptr<const api::Pod> pod) {
  auto info = std::make_shared<PodInfo>();
  const api::Pod& p = *pod;
  info->key =
      p.metadata.uid.empty() ? p.metadata.namespace_ + "/" + p.metadata.name : p.metadata.uid;
  info->requests = PodRequests(p);
  info->non_zero_requests = PodNonZeroRequests(p);
  if (p.spec.affinity.has_value()) {
    const auto& a = *p.spec.affinity;
    if (a.podAffinity.has_value()) {
      for (const auto& t : a.podAffinity->requiredDuringSchedulingIgnoredDuringExecution) {
        info->required_affinity_terms.push_back(MakeTerm(t, p, info->parse_error));
      }
      for (const auto& t : a.podAffinity->preferredDuringSchedulingIgnoredDuringExecution) {
        info->preferred_affinity_terms.push_back(
            {MakeTerm(t.podAffinityTerm, p, info->parse_error), t.weight});
      }
    }
    if (a.podAntiAffinity.has_value()) {
      for (const auto& t : a.podAntiAffinity->requiredDuringSchedulingIgnoredDuringExecution) {
        info->required_anti_affinity_terms.push_back(MakeTerm(t, p, info->parse_error));
      }
      for (const auto& t : a.podAntiAffinity->preferredDuringSchedulingIgnoredDuringExecution) {
        info->preferred_anti_affinity_terms.push_back(
            {MakeTerm(t.podAffinityTerm, p, info->parse_error), t.weight});
      }
    }
  }
  for (const auto& c : p.spec.containers) AddPorts(c.ports, info->host_ports);
  for (const auto& c : p.spec.initContainers) {
    if (c.restartPolicy == "Always") AddPorts(c.ports, info->host_ports);
  }
  info->pod = std::move(pod);
  return info;
}

std::string NormalizedImageName(std::string_view name) {
  auto colon = name.rfind(':');
  auto slash = name.rfind('/');
  bool has_tag =
      colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash);
  std::string out(name);
  if (!has_tag) out += ":latest";
  return out;
}

void NodeInfo::Bump() { generation_ = ++g_generation; }

const std::string& NodeInfo::NodeName() const {
  static const std::string kEmpty;
  return node_ ? node_->metadata.name : kEmpty;
}

void NodeInfo::SetNode(std::shared_ptr<const api::Node> node) {
  node_ = std::move(node);
  allocatable_ = Resource::FromList(node_->status.allocatable);
  image_states_.clear();
  for (const auto& image : node_->status.images) {
    for (const auto& name : image.names) {
      image_states_[name] = ImageStateSummary{image.sizeBytes.value_or(0), 0};
    }
  }
  Bump();
}

void NodeInfo::RemoveNode() {
  node_.reset();
  Bump();
}

void NodeInfo::AddPod(std::shared_ptr<const PodInfo> pod) {
  requested_.Add(pod->requests);
  non_zero_requested_.milli_cpu += pod->non_zero_requests.milli_cpu;
  non_zero_requested_.memory += pod->non_zero_requests.memory;
  for (const auto& port : pod->host_ports) used_ports_.Add(port);
  if (HasPodAffinity(*pod)) pods_with_affinity_.push_back(pod);
  if (!pod->required_anti_affinity_terms.empty()) pods_with_required_anti_affinity_.push_back(pod);
  pods_.push_back(std::move(pod));
  Bump();
}

bool NodeInfo::RemovePod(std::string_view key) {
  auto it = std::find_if(pods_.begin(), pods_.end(), [&](const auto& p) { return p->key == key; });
  if (it == pods_.end()) return false;
  std::shared_ptr<const PodInfo> pod = std::move(*it);
  *it = std::move(pods_.back());
  pods_.pop_back();
  EraseOne(pods_with_affinity_, key);
  EraseOne(pods_with_required_anti_affinity_, key);
  requested_.Sub(pod->requests);
  non_zero_requested_.milli_cpu -= pod->non_zero_requests.milli_cpu;
  non_zero_requested_.memory -= pod->non_zero_requests.memory;
  for (const auto& port : pod->host_ports) used_ports_.Remove(port);
  Bump();
  return true;
}

}  // namespace kubepp::scheduler
