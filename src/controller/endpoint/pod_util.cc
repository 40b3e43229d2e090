#include "controller/endpoint/pod_util.h"

namespace kubepp::controller {

bool IsPodReady(const api::Pod& pod) {
  for (const auto& c : pod.status.conditions) {
    if (c.type == "Ready") return c.status == "True";
  }
  return false;
}

bool IsPodTerminal(const api::Pod& pod) {
  return pod.status.phase == "Succeeded" || pod.status.phase == "Failed";
}

bool ShouldPodBeInEndpoints(const api::Pod& pod, bool include_terminating) {
  if (IsPodTerminal(pod)) return false;
  if (pod.status.podIP.empty() && pod.status.podIPs.empty()) return false;
  if (!include_terminating && !pod.metadata.deletionTimestamp.empty()) return false;
  return true;
}

bool ShouldSetHostname(const api::Pod& pod, const api::Service& service) {
  return !pod.spec.hostname.empty() && pod.spec.subdomain == service.metadata.name &&
         pod.metadata.namespace_ == service.metadata.namespace_;
}

bool IsServiceIPSet(const api::Service& service) {
  return !service.spec.clusterIP.empty() && service.spec.clusterIP != "None";
}

namespace {
bool IsIPv6(const std::string& ip) { return ip.find(':') != std::string::npos; }
}  // namespace

std::string ServiceAddressType(const api::Service& service) {
  if (!service.spec.ipFamilies.empty()) return service.spec.ipFamilies.front();
  if (IsServiceIPSet(service) && IsIPv6(service.spec.clusterIP)) return "IPv6";
  return "IPv4";
}

std::string PodAddress(const api::Pod& pod, const std::string& address_type) {
  const bool want_v6 = address_type == "IPv6";
  for (const auto& ip : pod.status.podIPs) {
    if (!ip.ip.empty() && IsIPv6(ip.ip) == want_v6) return ip.ip;
  }
  if (!pod.status.podIP.empty() && IsIPv6(pod.status.podIP) == want_v6) return pod.status.podIP;
  return "";
}

std::string ProtocolOf(const std::string& protocol) { return protocol.empty() ? "TCP" : protocol; }

std::optional<int32_t> FindPort(const api::Pod& pod, const api::ServicePort& port) {
  if (!port.targetPort) return port.port;
  if (!port.targetPort->is_string) return port.targetPort->int_value;
  const std::string& name = port.targetPort->str_value;
  const std::string protocol = ProtocolOf(port.protocol);
  for (const auto& c : pod.spec.containers) {
    for (const auto& p : c.ports) {
      if (p.name == name && ProtocolOf(p.protocol) == protocol) return p.containerPort;
    }
  }
  return std::nullopt;
}

std::string PodLastChangeTime(const api::Pod& pod) {
  for (const auto& c : pod.status.conditions) {
    if (c.type == "Ready" && !c.lastTransitionTime.empty()) return c.lastTransitionTime;
  }
  return pod.metadata.creationTimestamp;
}

}  // namespace kubepp::controller
