// Helpers shared by the validation translation units (not a public interface).
#pragma once

#include <fmt/format.h>

#include <string>
#include <vector>

#include "api/field_errors.h"
#include "api/types.h"

namespace kubepp::api::validation {

inline std::string Idx(const std::string& path, size_t i) { return fmt::format("{}[{}]", path, i); }
inline std::string Key(const std::string& path, const std::string& k) {
  return fmt::format("{}[{}]", path, k);
}

// Go's %v-ish rendering of a string slice: []string{"a", "b"}.
std::string GoStringSlice(const std::vector<std::string>& v);
// Go's %#v of a LabelSelector, as upstream prints it in immutability errors.
std::string GoLabelSelector(const LabelSelector& s);

// "must be between 1 and 65535, inclusive" checks.
void ValidatePortNumber(int64_t port, const std::string& path, ErrorList& errors);
// IsValidPortName's messages (empty when valid).
std::vector<std::string> PortNameErrors(const std::string& name);
// ValidateLabels: keys are qualified names, values label values; errors on `path` (the map).
void ValidateLabelMap(const std::map<std::string, std::string>& labels, const std::string& path,
                      ErrorList& errors);
// ValidateLabelSelector: matchLabels and matchExpressions.
void ValidateLabelSelector(const LabelSelector& s, const std::string& path, ErrorList& errors);
// ValidateNonnegativeField: "must be greater than or equal to 0".
void ValidateNonnegative(int64_t v, const std::string& path, ErrorList& errors);
// ValidatePodTemplateSpec: labels, and the pod spec under `path`.spec.
void ValidatePodTemplateSpecAt(const PodTemplateSpec& tmpl, const std::string& path,
                               ErrorList& errors);
// "field is immutable" with the value printed raw.
FieldError Immutable(std::string field, std::string value);
// IntOrString as Go's %#v prints it (intstr.IntOrString{Type:0, IntVal:1, StrVal:""}).
std::string GoIntOrString(const IntOrString& v);

}  // namespace kubepp::api::validation
