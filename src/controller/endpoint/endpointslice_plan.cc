#include "controller/endpoint/endpointslice_plan.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "controller/endpoint/pod_util.h"

namespace kubepp::controller {

namespace {

bool LessPort(const api::DiscoveryEndpointPort& a, const api::DiscoveryEndpointPort& b) {
  return std::tie(a.name, a.port, a.protocol, a.appProtocol) <
         std::tie(b.name, b.port, b.protocol, b.appProtocol);
}

// A port set as a string, for grouping.
std::string PortsKey(std::vector<api::DiscoveryEndpointPort> ports) {
  std::sort(ports.begin(), ports.end(), LessPort);
  std::string key;
  for (const auto& p : ports) {
    key += p.name + "/" + std::to_string(p.port.value_or(-1)) + "/" + p.protocol + "/" +
           p.appProtocol + ";";
  }
  return key;
}

// An endpoint's identity: its pod, else its first address.
std::string EndpointKey(const api::Endpoint& e) {
  if (e.targetRef && !e.targetRef->uid.empty()) return "uid:" + e.targetRef->uid;
  return e.addresses.empty() ? std::string() : "ip:" + e.addresses.front();
}

// Equal, ignoring the targetRef's resourceVersion.
bool SameEndpoint(api::Endpoint a, api::Endpoint b) {
  if (a.targetRef) a.targetRef->resourceVersion.clear();
  if (b.targetRef) b.targetRef->resourceVersion.clear();
  return a == b;
}

bool OwnedBy(const api::EndpointSlice& slice, const api::Service& service) {
  for (const auto& ref : slice.metadata.ownerReferences) {
    if (ref.kind == "Service" && ref.uid == service.metadata.uid) return true;
  }
  return false;
}

api::OwnerReference OwnerOf(const api::Service& service) {
  api::OwnerReference ref;
  ref.apiVersion = "v1";
  ref.kind = "Service";
  ref.name = service.metadata.name;
  ref.uid = service.metadata.uid;
  ref.controller = true;
  ref.blockOwnerDeletion = true;
  return ref;
}

void SetTriggerTime(api::EndpointSlice& slice, const std::string& trigger_time) {
  if (trigger_time.empty()) {
    slice.metadata.annotations.erase(kAnnotationLastChangeTriggerTime);
  } else {
    slice.metadata.annotations[kAnnotationLastChangeTriggerTime] = trigger_time;
  }
}

}  // namespace

std::map<std::string, std::string> SliceLabels(const api::Service& service) {
  std::map<std::string, std::string> labels = service.metadata.labels;
  labels.erase(kLabelServiceName);
  labels.erase(kLabelManagedBy);
  if (IsServiceIPSet(service)) {
    labels.erase(kLabelHeadless);
  } else {
    labels[kLabelHeadless] = "";
  }
  labels[kLabelServiceName] = service.metadata.name;
  labels[kLabelManagedBy] = kEndpointSliceControllerName;
  return labels;
}

std::vector<EndpointGroup> DesiredEndpointGroups(
    const api::Service& service, const std::vector<std::shared_ptr<const api::Pod>>& pods,
    const std::function<std::string(const std::string&)>& zone_of) {
  const std::string address_type = ServiceAddressType(service);
  const bool publish_not_ready = service.spec.publishNotReadyAddresses.value_or(false);
  std::map<std::string, EndpointGroup> groups;
  for (const auto& pod : pods) {
    if (!ShouldPodBeInEndpoints(*pod, /*include_terminating=*/true)) continue;
    std::string ip = PodAddress(*pod, address_type);
    if (ip.empty()) continue;
    std::vector<api::DiscoveryEndpointPort> ports;
    for (const auto& sp : service.spec.ports) {
      auto port = FindPort(*pod, sp);
      if (!port) continue;
      api::DiscoveryEndpointPort p;
      p.name = sp.name;
      p.port = *port;
      p.protocol = ProtocolOf(sp.protocol);
      p.appProtocol = sp.appProtocol;
      ports.push_back(std::move(p));
    }
    std::sort(ports.begin(), ports.end(), LessPort);

    const bool serving = IsPodReady(*pod);
    const bool terminating = !pod->metadata.deletionTimestamp.empty();
    api::Endpoint e;
    e.addresses.push_back(std::move(ip));
    api::EndpointConditions cond;
    cond.ready = publish_not_ready || (serving && !terminating);
    cond.serving = serving;
    cond.terminating = terminating;
    e.conditions = cond;
    api::ObjectReference ref;
    ref.kind = "Pod";
    ref.namespace_ = pod->metadata.namespace_;
    ref.name = pod->metadata.name;
    ref.uid = pod->metadata.uid;
    e.targetRef = std::move(ref);
    e.nodeName = pod->spec.nodeName;
    if (!pod->spec.nodeName.empty() && zone_of) e.zone = zone_of(pod->spec.nodeName);
    if (ShouldSetHostname(*pod, service)) e.hostname = pod->spec.hostname;

    std::string key = PortsKey(ports);
    EndpointGroup& g = groups[key];
    if (g.endpoints.empty()) g.ports = std::move(ports);
    g.endpoints.push_back(std::move(e));
  }
  std::vector<EndpointGroup> out;
  out.reserve(groups.size());
  for (auto& [key, g] : groups) {
    std::sort(
        g.endpoints.begin(), g.endpoints.end(), [](const api::Endpoint& a, const api::Endpoint& b) {
          return std::tie(a.addresses, a.targetRef->uid) < std::tie(b.addresses, b.targetRef->uid);
        });
    out.push_back(std::move(g));
  }
  return out;
}

SlicePlan PlanSlices(const api::Service& service, const std::vector<EndpointGroup>& desired,
                     const std::vector<std::shared_ptr<const api::EndpointSlice>>& existing,
                     int max_per_slice, const std::string& trigger_time) {
  const size_t max = static_cast<size_t>(std::max(1, max_per_slice));
  const std::string address_type = ServiceAddressType(service);
  const std::map<std::string, std::string> labels = SliceLabels(service);
  SlicePlan plan;

  // Existing slices by port set; the ones that cannot be kept are deleted.
  std::map<std::string, std::vector<const api::EndpointSlice*>> existing_by_ports;
  std::vector<const api::EndpointSlice*> deletable;
  for (const auto& s : existing) {
    if (s->addressType != address_type || !OwnedBy(*s, service)) {
      deletable.push_back(s.get());
      continue;
    }
    existing_by_ports[PortsKey(s->ports)].push_back(s.get());
  }
  std::set<std::string> desired_keys;
  for (const auto& g : desired) desired_keys.insert(PortsKey(g.ports));
  for (const auto& [key, slices] : existing_by_ports) {
    if (desired_keys.count(key) == 0)
      deletable.insert(deletable.end(), slices.begin(), slices.end());
  }

  size_t kept = 0;  // slices left as they are
  for (const auto& group : desired) {
    const std::string pkey = PortsKey(group.ports);
    // Desired endpoints not placed yet, by identity.
    std::map<std::string, const api::Endpoint*> pending;
    for (const auto& e : group.endpoints) pending.emplace(EndpointKey(e), &e);

    std::vector<api::EndpointSlice> updating;  // changed existing slices of this port set
    std::vector<const api::EndpointSlice*> unchanged;
    for (const api::EndpointSlice* s : existing_by_ports[pkey]) {
      api::EndpointSlice next = *s;
      next.endpoints.clear();
      bool changed = false;
      for (const auto& e : s->endpoints) {
        auto it = pending.find(EndpointKey(e));
        if (it == pending.end()) {
          changed = true;  // gone (or a duplicate)
          continue;
        }
        if (!SameEndpoint(e, *it->second)) changed = true;
        next.endpoints.push_back(*it->second);
        pending.erase(it);
      }
      if (next.metadata.labels != labels) {
        next.metadata.labels = labels;
        changed = true;
      }
      if (!changed) {
        unchanged.push_back(s);
        continue;
      }
      if (next.endpoints.empty()) {
        deletable.push_back(s);
      } else {
        updating.push_back(std::move(next));
      }
    }

    // What is left to place: in address order.
    std::vector<const api::Endpoint*> to_add;
    for (const auto& e : group.endpoints) {
      if (pending.count(EndpointKey(e)) != 0) to_add.push_back(&e);
    }
    size_t next_add = 0;
    // 1. Slices being updated anyway, fullest first.
    std::sort(updating.begin(), updating.end(),
              [](const api::EndpointSlice& a, const api::EndpointSlice& b) {
                return a.endpoints.size() > b.endpoints.size();
              });
    for (auto& s : updating) {
      while (next_add < to_add.size() && s.endpoints.size() < max) {
        s.endpoints.push_back(*to_add[next_add++]);
      }
    }
    // 2. One unchanged slice that can take all the rest (the fullest such).
    const size_t rest = to_add.size() - next_add;
    if (rest > 0 && rest < max) {
      const api::EndpointSlice* best = nullptr;
      for (const api::EndpointSlice* s : unchanged) {
        if (s->endpoints.size() + rest <= max &&
            (best == nullptr || s->endpoints.size() > best->endpoints.size())) {
          best = s;
        }
      }
      if (best != nullptr) {
        api::EndpointSlice next = *best;
        while (next_add < to_add.size()) next.endpoints.push_back(*to_add[next_add++]);
        updating.push_back(std::move(next));
        unchanged.erase(std::find(unchanged.begin(), unchanged.end(), best));
      }
    }
    // 3. New slices.
    while (next_add < to_add.size()) {
      api::EndpointSlice s;
      s.metadata.generateName = service.metadata.name + "-";
      s.metadata.namespace_ = service.metadata.namespace_;
      s.metadata.labels = labels;
      s.metadata.ownerReferences.push_back(OwnerOf(service));
      s.addressType = address_type;
      s.ports = group.ports;
      while (next_add < to_add.size() && s.endpoints.size() < max) {
        s.endpoints.push_back(*to_add[next_add++]);
      }
      SetTriggerTime(s, trigger_time);
      plan.to_create.push_back(std::move(s));
    }
    kept += unchanged.size();
    for (auto& s : updating) {
      SetTriggerTime(s, trigger_time);
      plan.to_update.push_back(std::move(s));
    }
  }

  // No slice left at all: keep (or make) one empty placeholder.
  if (kept == 0 && plan.to_update.empty() && plan.to_create.empty()) {
    const api::EndpointSlice* reuse = nullptr;
    for (const api::EndpointSlice* s : deletable) {
      if (s->addressType == address_type && OwnedBy(*s, service)) {
        reuse = s;
        break;
      }
    }
    if (reuse != nullptr) {
      deletable.erase(std::find(deletable.begin(), deletable.end(), reuse));
      if (!reuse->endpoints.empty() || !reuse->ports.empty() || reuse->metadata.labels != labels) {
        api::EndpointSlice next = *reuse;
        next.endpoints.clear();
        next.ports.clear();
        next.metadata.labels = labels;
        SetTriggerTime(next, trigger_time);
        plan.to_update.push_back(std::move(next));
      }
    } else {
      api::EndpointSlice s;
      s.metadata.generateName = service.metadata.name + "-";
      s.metadata.namespace_ = service.metadata.namespace_;
      s.metadata.labels = labels;
      s.metadata.ownerReferences.push_back(OwnerOf(service));
      s.addressType = address_type;
      plan.to_create.push_back(std::move(s));
    }
  }
  std::sort(deletable.begin(), deletable.end());
  deletable.erase(std::unique(deletable.begin(), deletable.end()), deletable.end());
  for (const api::EndpointSlice* s : deletable) plan.to_delete.push_back(*s);
  return plan;
}

}  // namespace kubepp::controller
