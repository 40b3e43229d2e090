// Builders of Services and Pods for the endpoint controllers' tests.
#pragma once

#include <memory>
#include <string>

#include "api/types.h"

namespace kubepp::controller::testing {

inline api::Service MakeService(const std::string& name, const std::string& app) {
  api::Service s;
  s.metadata.name = name;
  s.metadata.namespace_ = "default";
  s.metadata.uid = "svc-uid-" + name;
  s.spec.selector["app"] = app;
  s.spec.clusterIP = "10.0.0.10";
  api::ServicePort http;
  http.name = "http";
  http.port = 80;
  http.protocol = "TCP";
  http.targetPort = api::IntOrString::FromString("web");
  s.spec.ports.push_back(http);
  return s;
}

// A running pod of `app` with IP `ip`, a container port named "web" on `port`.
inline api::Pod MakePod(const std::string& name, const std::string& app, const std::string& ip,
                        bool ready, int32_t port = 8080) {
  api::Pod p;
  p.metadata.name = name;
  p.metadata.namespace_ = "default";
  p.metadata.uid = "uid-" + name;
  p.metadata.labels["app"] = app;
  api::Container c;
  c.name = "c";
  c.image = "img";
  api::ContainerPort cp;
  cp.name = "web";
  cp.containerPort = port;
  cp.protocol = "TCP";
  c.ports.push_back(cp);
  p.spec.containers.push_back(c);
  p.spec.nodeName = "node-1";
  p.status.phase = "Running";
  p.status.podIP = ip;
  api::PodCondition cond;
  cond.type = "Ready";
  cond.status = ready ? "True" : "False";
  p.status.conditions.push_back(cond);
  return p;
}

inline std::shared_ptr<const api::Pod> Ptr(api::Pod p) {
  return std::make_shared<const api::Pod>(std::move(p));
}

}  // namespace kubepp::controller::testing
