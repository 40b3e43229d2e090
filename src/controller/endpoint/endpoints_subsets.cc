#include "controller/endpoint/endpoints_subsets.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <utility>

#include "controller/endpoint/pod_util.h"

namespace kubepp::controller {

namespace {

std::string UidOf(const api::EndpointAddress& a) { return a.targetRef ? a.targetRef->uid : ""; }

bool LessAddress(const api::EndpointAddress& a, const api::EndpointAddress& b) {
  if (a.ip != b.ip) return a.ip < b.ip;
  return UidOf(a) < UidOf(b);
}

auto PortTuple(const api::EndpointPort& p) {
  return std::tie(p.name, p.port, p.protocol, p.appProtocol);
}
bool LessPort(const api::EndpointPort& a, const api::EndpointPort& b) {
  return PortTuple(a) < PortTuple(b);
}

// Map key of an EndpointPort (EndpointPort has no operator<).
using PortKey = std::tuple<std::string, int32_t, std::string, std::string>;
PortKey KeyOf(const api::EndpointPort& p) { return {p.name, p.port, p.protocol, p.appProtocol}; }

// An address's identity in RepackSubsets.
using AddressKey = std::pair<std::string, std::string>;  // ip, targetRef uid

api::EndpointAddress WithoutResourceVersion(api::EndpointAddress a) {
  if (a.targetRef) a.targetRef->resourceVersion.clear();
  return a;
}

}  // namespace

std::vector<api::EndpointSubset> BuildSubsets(
    const api::Service& service, const std::vector<std::shared_ptr<const api::Pod>>& pods) {
  const bool tolerate_unready = service.spec.publishNotReadyAddresses.value_or(false);
  const std::string address_type = ServiceAddressType(service);
  std::vector<api::EndpointSubset> subsets;
  for (const auto& pod : pods) {
    if (!ShouldPodBeInEndpoints(*pod, tolerate_unready)) continue;
    std::string ip = PodAddress(*pod, address_type);
    if (ip.empty()) continue;
    api::EndpointAddress addr;
    addr.ip = std::move(ip);
    addr.nodeName = pod->spec.nodeName;
    api::ObjectReference ref;
    ref.kind = "Pod";
    ref.namespace_ = pod->metadata.namespace_;
    ref.name = pod->metadata.name;
    ref.uid = pod->metadata.uid;
    addr.targetRef = std::move(ref);
    if (ShouldSetHostname(*pod, service)) addr.hostname = pod->spec.hostname;

    const bool ready = tolerate_unready || IsPodReady(*pod);
    auto add = [&](std::vector<api::EndpointPort> ports) {
      api::EndpointSubset s;
      (ready ? s.addresses : s.notReadyAddresses).push_back(addr);
      s.ports = std::move(ports);
      subsets.push_back(std::move(s));
    };
    if (service.spec.ports.empty()) {
      // Headless without ports: the address alone (upstream does the same for any Service).
      if (!IsServiceIPSet(service)) add({});
      continue;
    }
    for (const auto& sp : service.spec.ports) {
      auto port = FindPort(*pod, sp);
      if (!port) continue;
      api::EndpointPort ep;
      ep.name = sp.name;
      ep.port = *port;
      ep.protocol = ProtocolOf(sp.protocol);
      ep.appProtocol = sp.appProtocol;
      add({ep});
    }
  }
  return RepackSubsets(subsets);
}

std::vector<api::EndpointSubset> RepackSubsets(const std::vector<api::EndpointSubset>& subsets) {
  // Each address (first copy wins) and, per port, which addresses offer it and whether ready
  // there. A subset without ports maps its addresses to a sentinel port (-1).
  std::map<AddressKey, api::EndpointAddress> all_addrs;
  std::map<PortKey, std::map<AddressKey, bool>> port_to_addrs;
  std::map<PortKey, api::EndpointPort> ports_by_key;
  auto map_address = [&](const api::EndpointAddress& a, const api::EndpointPort& port, bool ready) {
    AddressKey key{a.ip, UidOf(a)};
    all_addrs.emplace(key, a);
    PortKey pk = KeyOf(port);
    ports_by_key.emplace(pk, port);
    auto& addrs = port_to_addrs[pk];
    auto [it, inserted] = addrs.emplace(key, ready);
    if (!inserted && it->second) it->second = ready;  // not ready trumps ready
  };
  api::EndpointPort sentinel;
  sentinel.port = -1;
  for (const auto& s : subsets) {
    if (s.ports.empty()) {
      for (const auto& a : s.addresses) map_address(a, sentinel, true);
      for (const auto& a : s.notReadyAddresses) map_address(a, sentinel, false);
      continue;
    }
    for (const auto& p : s.ports) {
      for (const auto& a : s.addresses) map_address(a, p, true);
      for (const auto& a : s.notReadyAddresses) map_address(a, p, false);
    }
  }
  // Group ports by their exact (address, ready) set.
  std::map<std::map<AddressKey, bool>, std::vector<api::EndpointPort>> by_set;
  for (const auto& [pk, addrs] : port_to_addrs) {
    auto& ports = by_set[addrs];
    const api::EndpointPort& port = ports_by_key.at(pk);
    if (port.port > 0) ports.push_back(port);  // sentinels only force the set to exist
  }
  std::vector<api::EndpointSubset> out;
  out.reserve(by_set.size());
  for (auto& [addrs, ports] : by_set) {
    api::EndpointSubset s;
    for (const auto& [key, ready] : addrs) {
      (ready ? s.addresses : s.notReadyAddresses).push_back(all_addrs.at(key));
    }
    std::sort(s.addresses.begin(), s.addresses.end(), LessAddress);
    std::sort(s.notReadyAddresses.begin(), s.notReadyAddresses.end(), LessAddress);
    std::sort(ports.begin(), ports.end(), LessPort);
    s.ports = std::move(ports);
    out.push_back(std::move(s));
  }
  auto first = [](const api::EndpointSubset& s) -> const api::EndpointAddress* {
    if (!s.addresses.empty()) return &s.addresses.front();
    if (!s.notReadyAddresses.empty()) return &s.notReadyAddresses.front();
    return nullptr;
  };
  std::sort(out.begin(), out.end(),
            [&](const api::EndpointSubset& a, const api::EndpointSubset& b) {
              const auto* fa = first(a);
              const auto* fb = first(b);
              if (fa != nullptr && fb != nullptr) {
                if (LessAddress(*fa, *fb)) return true;
                if (LessAddress(*fb, *fa)) return false;
              } else if ((fa == nullptr) != (fb == nullptr)) {
                return fa == nullptr;
              }
              if (a.ports.size() != b.ports.size()) return a.ports.size() < b.ports.size();
              for (size_t i = 0; i < a.ports.size(); ++i) {
                if (LessPort(a.ports[i], b.ports[i])) return true;
                if (LessPort(b.ports[i], a.ports[i])) return false;
              }
              return false;
            });
  return out;
}

bool SubsetsEqual(const std::vector<api::EndpointSubset>& a,
                  const std::vector<api::EndpointSubset>& b) {
  if (a.size() != b.size()) return false;
  auto strip = [](const std::vector<api::EndpointAddress>& v) {
    std::vector<api::EndpointAddress> out;
    out.reserve(v.size());
    for (const auto& x : v) out.push_back(WithoutResourceVersion(x));
    return out;
  };
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].ports != b[i].ports) return false;
    if (strip(a[i].addresses) != strip(b[i].addresses)) return false;
    if (strip(a[i].notReadyAddresses) != strip(b[i].notReadyAddresses)) return false;
  }
  return true;
}

std::optional<api::Endpoints> DesiredEndpoints(const api::Service& service,
                                               std::vector<api::EndpointSubset> subsets,
                                               const api::Endpoints* current,
                                               const std::string& trigger_time) {
  std::map<std::string, std::string> labels = service.metadata.labels;
  if (IsServiceIPSet(service)) {
    labels.erase(kLabelHeadless);
  } else {
    labels[kLabelHeadless] = "";
  }
  if (current != nullptr && SubsetsEqual(current->subsets, subsets) &&
      current->metadata.labels == labels) {
    return std::nullopt;
  }
  api::Endpoints ep;
  if (current != nullptr) {
    ep = *current;
  } else {
    ep.metadata.name = service.metadata.name;
    ep.metadata.namespace_ = service.metadata.namespace_;
  }
  ep.subsets = std::move(subsets);
  ep.metadata.labels = std::move(labels);
  if (trigger_time.empty()) {
    ep.metadata.annotations.erase(kAnnotationLastChangeTriggerTime);
  } else {
    ep.metadata.annotations[kAnnotationLastChangeTriggerTime] = trigger_time;
  }
  return ep;
}

}  // namespace kubepp::controller
