// Helpers shared by the printers' translation units (not a public interface).
#pragma once

#include <string>
#include <vector>

#include "api/types.h"
#include "apiserver/registry/resource.h"

namespace kubepp::apiserver {

inline TableColumn Col(std::string name, std::string type, std::string description,
                       int priority = 0) {
  return {std::move(name), std::move(type), "", std::move(description), priority};
}
inline TableColumn NameColumn() {
  return {"Name", "string", "name",
          "Name must be unique within a namespace. Is required when creating resources, although "
          "some resources may allow a client to request the generation of an appropriate name "
          "automatically. Name is primarily intended for creation idempotence and configuration "
          "definition. Cannot be updated. More info: "
          "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
          0};
}
inline TableColumn AgeColumn() {
  return {"Age", "string", "",
          "CreationTimestamp is a timestamp representing the server time when this object was "
          "created. It is not guaranteed to be set in happens-before order across separate "
          "operations. Clients may not set this value. It is represented in RFC3339 form and is "
          "in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: "
          "https://git.k8s.io/community/contributors/devel/sig-architecture/"
          "api-conventions.md#metadata",
          0};
}
inline std::string OrNone(const std::string& s) { return s.empty() ? "<none>" : s; }
inline std::string Join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i > 0 ? sep : "") + parts[i];
  return out;
}
inline std::string ContainerNames(const api::PodSpec& spec) {
  std::vector<std::string> names;
  for (const auto& c : spec.containers) names.push_back(c.name);
  return Join(names, ",");
}
inline std::string ContainerImages(const api::PodSpec& spec) {
  std::vector<std::string> images;
  for (const auto& c : spec.containers) images.push_back(c.image);
  return Join(images, ",");
}

}  // namespace kubepp::apiserver
