// The API's scalar types that are not plain C++ types: resource.Quantity and
// intstr.IntOrString. Their JSON forms follow upstream.
#pragma once

#include <cstdint>
#include <string>

namespace kubepp::api {

// A resource.Quantity ("100m", "64Mi", "1.5"), kept as the text the user wrote. JSON: a string
// (numbers are accepted on input and kept as their decimal text). Parsing and arithmetic live in
// api/quantity.h.
struct Quantity {
  std::string text;  // the quantity as written, e.g. "500m"
  bool operator==(const Quantity&) const = default;
};

// intstr.IntOrString: JSON 8080 or "http".
struct IntOrString {
  bool is_string = false;  // which of the two is set
  int32_t int_value = 0;   // the number, when !is_string
  std::string str_value;   // the string, when is_string

  static IntOrString FromInt(int32_t v) { return {false, v, {}}; }
  static IntOrString FromString(std::string s) { return {true, 0, std::move(s)}; }
  bool operator==(const IntOrString&) const = default;
};

}  // namespace kubepp::api
