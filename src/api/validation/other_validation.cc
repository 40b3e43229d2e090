// coordination, discovery, events, scheduling, policy and networking validation.
#include <set>
#include <string>

#include "api/validation/validation.h"
#include "api/validation/validation_util.h"

namespace kubepp::api::validation {

void ValidateLease(const Lease& lease, const Lease* /*old*/, ErrorList& errors) {
  const auto& spec = lease.spec;
  if (spec.leaseDurationSeconds && *spec.leaseDurationSeconds <= 0) {
    errors.push_back(InvalidInt("spec.leaseDurationSeconds", *spec.leaseDurationSeconds,
                                "must be greater than 0"));
  }
  if (spec.leaseTransitions) {
    ValidateNonnegative(*spec.leaseTransitions, "spec.leaseTransitions", errors);
  }
  if (!spec.strategy.empty() && spec.strategy != "OldestEmulationVersion") {
    errors.push_back(NotSupported("spec.strategy", spec.strategy, {"OldestEmulationVersion"}));
  }
  if (!spec.preferredHolder.empty() && spec.strategy.empty()) {
    errors.push_back(
        Forbidden("spec.preferredHolder", "may only be specified if `strategy` is defined"));
  }
}

void ValidateEndpointSlice(const EndpointSlice& slice, const EndpointSlice* old,
                           ErrorList& errors) {
  if (slice.addressType != "IPv4" && slice.addressType != "IPv6" && slice.addressType != "FQDN") {
    if (slice.addressType.empty()) {
      errors.push_back(Required("addressType"));
    } else {
      errors.push_back(NotSupported("addressType", slice.addressType, {"FQDN", "IPv4", "IPv6"}));
    }
  }
  if (slice.endpoints.size() > 1000)
    errors.push_back({FieldErrorType::kTooMany, "endpoints", "", "must have at most 1000 items"});
  for (size_t i = 0; i < slice.endpoints.size(); ++i) {
    const Endpoint& ep = slice.endpoints[i];
    std::string p = Idx("endpoints", i);
    if (ep.addresses.empty()) {
      errors.push_back(Required(p + ".addresses", "must contain at least 1 address"));
    } else if (ep.addresses.size() > 100) {
      errors.push_back(
          {FieldErrorType::kTooMany, p + ".addresses", "", "must have at most 100 items"});
    }
    if (!ep.nodeName.empty()) {
      for (auto& m : IsDns1123Subdomain(ep.nodeName))
        errors.push_back(Invalid(p + ".nodeName", ep.nodeName, m));
    }
    if (!ep.hostname.empty()) {
      for (auto& m : IsDns1123Label(ep.hostname))
        errors.push_back(Invalid(p + ".hostname", ep.hostname, m));
    }
  }
  std::set<std::string> names;
  for (size_t i = 0; i < slice.ports.size(); ++i) {
    const auto& port = slice.ports[i];
    std::string p = Idx("ports", i);
    if (!port.name.empty()) {
      for (auto& m : IsDns1123Label(port.name))
        errors.push_back(Invalid(p + ".name", port.name, m));
    }
    if (!names.insert(port.name).second) errors.push_back(Duplicate(p + ".name", port.name));
    if (port.protocol.empty()) {
      errors.push_back(Required(p + ".protocol"));
    } else if (port.protocol != "TCP" && port.protocol != "UDP" && port.protocol != "SCTP") {
      errors.push_back(NotSupported(p + ".protocol", port.protocol, {"SCTP", "TCP", "UDP"}));
    }
    if (port.port) ValidatePortNumber(*port.port, p + ".port", errors);
  }
  if (old != nullptr && slice.addressType != old->addressType) {
    errors.push_back(Invalid("addressType", slice.addressType, "field is immutable"));
  }
}

void ValidateEventsEvent(const EventsEvent& ev, const EventsEvent* /*old*/, ErrorList& errors) {
  if (ev.eventTime.empty()) errors.push_back(Required("eventTime"));
  if (ev.type != "Normal" && ev.type != "Warning") {
    errors.push_back(Invalid("type", "", "has invalid value: " + ev.type));
  }
  if (!ev.deprecatedFirstTimestamp.empty()) {
    errors.push_back(Invalid("deprecatedFirstTimestamp", "", "needs to be unset"));
  }
  if (!ev.deprecatedLastTimestamp.empty()) {
    errors.push_back(Invalid("deprecatedLastTimestamp", "", "needs to be unset"));
  }
  if (ev.deprecatedCount.value_or(0) != 0) {
    errors.push_back(Invalid("deprecatedCount", "", "needs to be unset"));
  }
  if (ev.reportingController.empty()) {
    errors.push_back(Required("reportingController"));
  } else {
    for (auto& m : IsQualifiedName(ev.reportingController)) {
      errors.push_back(Invalid("reportingController", ev.reportingController, m));
    }
  }
  if (ev.reportingInstance.empty()) {
    errors.push_back(Required("reportingInstance"));
  } else if (ev.reportingInstance.size() > 128) {
    errors.push_back(Invalid("reportingInstance", "", "can have at most 128 characters"));
  }
  if (ev.action.empty()) {
    errors.push_back(Required("action"));
  } else if (ev.action.size() > 128) {
    errors.push_back(Invalid("action", "", "can have at most 128 characters"));
  }
  if (ev.reason.empty()) {
    errors.push_back(Required("reason"));
  } else if (ev.reason.size() > 128) {
    errors.push_back(Invalid("reason", "", "can have at most 128 characters"));
  }
  if (ev.note.size() > 1024) {
    errors.push_back(Invalid("note", "", "can have at most 1024 characters"));
  }
  const std::string& ns = ev.metadata.namespace_;
  if (ev.regarding && !ev.regarding->namespace_.empty() && ns != ev.regarding->namespace_) {
    errors.push_back(
        Invalid("regarding.namespace", ev.regarding->namespace_, "does not match event.namespace"));
  }
}

namespace {

// upstream's IsKnownSystemPriorityClass: "" when `pc` is one of the system classes as
// bootstrapped, else why not.
std::string UnknownSystemClass(const PriorityClass& pc) {
  struct SystemClass {
    const char* name;
    int32_t value;
  };
  for (const SystemClass& c : {SystemClass{"system-node-critical", 2000001000},
                               SystemClass{"system-cluster-critical", 2000000000}}) {
    if (pc.metadata.name != c.name) continue;
    if (pc.value != c.value) {
      return "value of " + pc.metadata.name + " PriorityClass must be " + std::to_string(c.value);
    }
    if (pc.globalDefault.value_or(false)) {
      return "globalDefault of " + pc.metadata.name + " PriorityClass must be false";
    }
    return "";
  }
  return pc.metadata.name + " is not a known system priority class";
}

}  // namespace

void ValidatePriorityClass(const PriorityClass& pc, const PriorityClass* old, ErrorList& errors) {
  if (old != nullptr) {
    // upstream's ValidatePriorityClassUpdate: value and preemptionPolicy are immutable.
    if (pc.value != old->value)
      errors.push_back(Forbidden("value", "may not be changed in an update."));
    if (pc.preemptionPolicy != old->preemptionPolicy) {
      errors.push_back(Invalid("preemptionPolicy", pc.preemptionPolicy, "field is immutable"));
    }
    return;
  }
  if (pc.metadata.name.starts_with("system-")) {
    if (std::string why = UnknownSystemClass(pc); !why.empty()) {
      errors.push_back(Forbidden("metadata.name",
                                 "priority class names with 'system-' prefix are reserved for "
                                 "system use only. error: " +
                                     why));
    }
  } else if (pc.value > 1000000000) {
    errors.push_back(
        Forbidden("value", "maximum allowed value of a user defined priority is 1000000000"));
  }
  if (pc.preemptionPolicy != "PreemptLowerPriority" && pc.preemptionPolicy != "Never") {
    errors.push_back(
        NotSupported("preemptionPolicy", pc.preemptionPolicy, {"Never", "PreemptLowerPriority"}));
  }
}

void ValidatePodDisruptionBudget(const PodDisruptionBudget& pdb, const PodDisruptionBudget* /*old*/,
                                 ErrorList& errors) {
  const auto& spec = pdb.spec;
  if (spec.minAvailable && spec.maxUnavailable) {
    errors.push_back(InvalidRaw("spec", "policy.PodDisruptionBudgetSpec{...}",
                                "minAvailable and maxUnavailable cannot be both set"));
  }
  auto check = [&](const std::optional<IntOrString>& v, const std::string& p) {
    if (!v) return;
    if (v->is_string) {
      const std::string& s = v->str_value;
      bool ok = s.size() >= 2 && s.back() == '%' &&
                s.substr(0, s.size() - 1).find_first_not_of("0123456789") == std::string::npos;
      if (!ok) {
        errors.push_back(Invalid(p, s,
                                 "a valid percent string must be a numeric string followed by an "
                                 "ending '%' (e.g. '1%',  or '93%', regex used for validation is "
                                 "'[0-9]+%')"));
      } else if (std::stoi(s.substr(0, s.size() - 1)) > 100) {
        errors.push_back(Invalid(p, s, "must not be greater than 100%"));
      }
    } else {
      ValidateNonnegative(v->int_value, p, errors);
    }
  };
  check(spec.minAvailable, "spec.minAvailable");
  check(spec.maxUnavailable, "spec.maxUnavailable");
  if (spec.selector) ValidateLabelSelector(*spec.selector, "spec.selector", errors);
  if (!spec.unhealthyPodEvictionPolicy.empty() &&
      spec.unhealthyPodEvictionPolicy != "IfHealthyBudget" &&
      spec.unhealthyPodEvictionPolicy != "AlwaysAllow") {
    errors.push_back(NotSupported("spec.unhealthyPodEvictionPolicy",
                                  spec.unhealthyPodEvictionPolicy,
                                  {"AlwaysAllow", "IfHealthyBudget"}));
  }
}

namespace {

void ValidateNetworkPolicyPorts(const std::vector<NetworkPolicyPort>& ports,
                                const std::string& path, ErrorList& errors) {
  for (size_t i = 0; i < ports.size(); ++i) {
    const auto& port = ports[i];
    std::string p = Idx(path, i);
    if (!port.protocol.empty() && port.protocol != "TCP" && port.protocol != "UDP" &&
        port.protocol != "SCTP") {
      errors.push_back(NotSupported(p + ".protocol", port.protocol, {"SCTP", "TCP", "UDP"}));
    }
    if (port.port) {
      if (port.port->is_string) {
        for (auto& m : PortNameErrors(port.port->str_value)) {
          errors.push_back(Invalid(p + ".port", port.port->str_value, m));
        }
        if (port.endPort) {
          errors.push_back(
              Forbidden(p + ".endPort", "may not be specified when `port` is non-numeric"));
        }
      } else {
        ValidatePortNumber(port.port->int_value, p + ".port", errors);
        if (port.endPort) {
          ValidatePortNumber(*port.endPort, p + ".endPort", errors);
          if (*port.endPort < port.port->int_value) {
            errors.push_back(InvalidInt(p + ".endPort", *port.endPort,
                                        "must be greater than or equal to `port`"));
          }
        }
      }
    } else if (port.endPort) {
      errors.push_back(Required(p + ".port", "must be specified when `endPort` is specified"));
    }
  }
}

void ValidateNetworkPolicyPeers(const std::vector<NetworkPolicyPeer>& peers,
                                const std::string& path, ErrorList& errors) {
  for (size_t i = 0; i < peers.size(); ++i) {
    const auto& peer = peers[i];
    std::string p = Idx(path, i);
    int n = int(peer.podSelector.has_value() || peer.namespaceSelector.has_value()) +
            int(peer.ipBlock.has_value());
    if (n == 0) {
      errors.push_back(Required(p, "must specify a peer"));
    } else if (n > 1) {
      errors.push_back(Forbidden(p, "may not specify both ipBlock and another peer"));
    }
    if (peer.podSelector) ValidateLabelSelector(*peer.podSelector, p + ".podSelector", errors);
    if (peer.namespaceSelector) {
      ValidateLabelSelector(*peer.namespaceSelector, p + ".namespaceSelector", errors);
    }
    if (peer.ipBlock && peer.ipBlock->cidr.empty()) {
      errors.push_back(Required(p + ".ipBlock.cidr"));
    }
  }
}

}  // namespace

void ValidateNetworkPolicy(const NetworkPolicy& np, const NetworkPolicy* /*old*/,
                           ErrorList& errors) {
  ValidateLabelSelector(np.spec.podSelector, "spec.podSelector", errors);
  for (size_t i = 0; i < np.spec.ingress.size(); ++i) {
    std::string p = Idx("spec.ingress", i);
    ValidateNetworkPolicyPorts(np.spec.ingress[i].ports, p + ".ports", errors);
    ValidateNetworkPolicyPeers(np.spec.ingress[i].from, p + ".from", errors);
  }
  for (size_t i = 0; i < np.spec.egress.size(); ++i) {
    std::string p = Idx("spec.egress", i);
    ValidateNetworkPolicyPorts(np.spec.egress[i].ports, p + ".ports", errors);
    ValidateNetworkPolicyPeers(np.spec.egress[i].to, p + ".to", errors);
  }
  if (np.spec.policyTypes.size() > 2) {
    errors.push_back(InvalidRaw("spec.policyTypes", GoStringSlice(np.spec.policyTypes),
                                "may not specify more than two policyTypes"));
  }
  for (size_t i = 0; i < np.spec.policyTypes.size(); ++i) {
    const auto& t = np.spec.policyTypes[i];
    if (t != "Ingress" && t != "Egress") {
      errors.push_back(NotSupported(Idx("spec.policyTypes", i), t, {"Egress", "Ingress"}));
    }
  }
}

namespace {

void ValidateIngressBackend(const IngressBackend& b, const std::string& p, ErrorList& errors) {
  if (b.service && b.resource) {
    errors.push_back(Invalid(p, "", "cannot set both resource and service backends"));
  } else if (b.service) {
    if (b.service->name.empty()) {
      errors.push_back(Required(p + ".service.name"));
    } else {
      for (auto& m : IsDns1035Label(b.service->name)) {
        errors.push_back(Invalid(p + ".service.name", b.service->name, m));
      }
    }
    bool has_name = b.service->port && !b.service->port->name.empty();
    bool has_number = b.service->port && b.service->port->number.value_or(0) != 0;
    if (has_name && has_number) {
      errors.push_back(Invalid(p + ".service.port", "", "cannot set both port name & port number"));
    } else if (has_name) {
      for (auto& m : PortNameErrors(b.service->port->name)) {
        errors.push_back(Invalid(p + ".service.port.name", b.service->port->name, m));
      }
    } else if (has_number) {
      ValidatePortNumber(*b.service->port->number, p + ".service.port.number", errors);
    } else {
      errors.push_back(Required(p, "port name or number is required"));
    }
  } else if (b.resource) {
    if (b.resource->kind.empty()) errors.push_back(Required(p + ".resource.kind"));
    if (b.resource->name.empty()) errors.push_back(Required(p + ".resource.name"));
  } else {
    errors.push_back(Invalid(p, "", "resource or service backend is required"));
  }
}

}  // namespace

void ValidateIngress(const Ingress& ing, const Ingress* /*old*/, ErrorList& errors) {
  const auto& spec = ing.spec;
  if (spec.rules.empty() && !spec.defaultBackend) {
    errors.push_back(InvalidRaw("spec.rules", "[]networking.IngressRule(nil)",
                                "either `defaultBackend` or `rules` must be specified"));
  }
  if (spec.defaultBackend)
    ValidateIngressBackend(*spec.defaultBackend, "spec.defaultBackend", errors);
  for (size_t i = 0; i < spec.rules.size(); ++i) {
    const auto& rule = spec.rules[i];
    std::string p = Idx("spec.rules", i);
    if (!rule.host.empty()) {
      std::string host = rule.host;
      if (host.starts_with("*.")) host = host.substr(2);
      for (auto& m : IsDns1123Subdomain(host)) errors.push_back(Invalid(p + ".host", rule.host, m));
    }
    if (!rule.http) continue;
    if (rule.http->paths.empty()) errors.push_back(Required(p + ".http.paths"));
    for (size_t j = 0; j < rule.http->paths.size(); ++j) {
      const auto& path = rule.http->paths[j];
      std::string pp = Idx(p + ".http.paths", j);
      if (path.pathType.empty()) {
        errors.push_back(Required(pp + ".pathType", "pathType must be specified"));
      } else if (path.pathType != "Exact" && path.pathType != "Prefix" &&
                 path.pathType != "ImplementationSpecific") {
        errors.push_back(NotSupported(pp + ".pathType", path.pathType,
                                      {"Exact", "ImplementationSpecific", "Prefix"}));
      }
      if ((path.pathType == "Exact" || path.pathType == "Prefix") &&
          (path.path.empty() || path.path[0] != '/')) {
        errors.push_back(Invalid(pp + ".path", path.path, "must be an absolute path"));
      }
      ValidateIngressBackend(path.backend, pp + ".backend", errors);
    }
  }
  for (size_t i = 0; i < spec.tls.size(); ++i) {
    for (size_t j = 0; j < spec.tls[i].hosts.size(); ++j) {
      std::string host = spec.tls[i].hosts[j];
      if (host.starts_with("*.")) host = host.substr(2);
      for (auto& m : IsDns1123Subdomain(host)) {
        errors.push_back(Invalid(Idx(Idx("spec.tls", i) + ".hosts", j), spec.tls[i].hosts[j], m));
      }
    }
  }
  if (!spec.ingressClassName.empty()) {
    for (auto& m : IsDns1123Subdomain(spec.ingressClassName)) {
      errors.push_back(Invalid("spec.ingressClassName", spec.ingressClassName, m));
    }
  }
}

void ValidateIngressClass(const IngressClass& ic, const IngressClass* old, ErrorList& errors) {
  if (ic.spec.controller.empty()) {
    errors.push_back(Required("spec.controller"));
  } else if (ic.spec.controller.size() > 250) {
    errors.push_back(TooLong("spec.controller", ic.spec.controller, 250));
  }
  if (ic.spec.parameters) {
    const auto& p = *ic.spec.parameters;
    if (p.kind.empty()) errors.push_back(Required("spec.parameters.kind"));
    if (p.name.empty()) errors.push_back(Required("spec.parameters.name"));
    if (!p.scope.empty() && p.scope != "Cluster" && p.scope != "Namespace") {
      errors.push_back(NotSupported("spec.parameters.scope", p.scope, {"Cluster", "Namespace"}));
    }
  }
  if (old != nullptr && ic.spec.controller != old->spec.controller) {
    errors.push_back(Invalid("spec.controller", ic.spec.controller, "field is immutable"));
  }
}

}  // namespace kubepp::api::validation
