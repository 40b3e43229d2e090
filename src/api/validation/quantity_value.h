// Numeric value of a resource.Quantity text ("100m", "1.5Gi", "2e3"), enough to compare two
// quantities (requests ≤ limits, QoS). Not a full resource.Quantity implementation.
#pragma once

#include <optional>
#include <string_view>

namespace kubepp::api::validation {

// The quantity's value (in base units: cores, bytes), or nullopt when it does not parse.
std::optional<long double> QuantityValue(std::string_view text);

}  // namespace kubepp::api::validation
