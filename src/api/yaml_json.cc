#include "api/yaml_json.h"

#include <yaml-cpp/yaml.h>

#include <array>
#include <boost/json.hpp>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <string>

namespace kubepp::api {

namespace json = boost::json;

namespace {

bool OneOf(std::string_view s, std::initializer_list<std::string_view> options) {
  for (auto o : options) {
    if (s == o) return true;
  }
  return false;
}

// A plain scalar as YAML 1.1 resolves it.
json::value PlainScalar(const std::string& s) {
  if (OneOf(s, {"", "~", "null", "Null", "NULL"})) return nullptr;
  if (OneOf(s, {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y"})) {
    return true;
  }
  if (OneOf(s, {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N"})) {
    return false;
  }
  std::string_view t = s;
  bool neg = false;
  std::string_view digits = t;
  if (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) {
    neg = digits[0] == '-';
    digits.remove_prefix(1);
  }
  auto parse_int = [&](std::string_view d, int base) -> std::optional<json::value> {
    if (d.empty()) return std::nullopt;
    uint64_t v = 0;
    auto [p, ec] = std::from_chars(d.data(), d.data() + d.size(), v, base);
    if (ec != std::errc() || p != d.data() + d.size()) return std::nullopt;
    if (neg) {
      if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) + 1) return std::nullopt;
      return json::value(static_cast<int64_t>(0 - v));
    }
    if (v <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return json::value(static_cast<int64_t>(v));
    }
    return json::value(v);
  };
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    if (auto v = parse_int(digits.substr(2), 16)) return *v;
  } else if (digits.size() > 2 && digits[0] == '0' && digits[1] == 'o') {
    if (auto v = parse_int(digits.substr(2), 8)) return *v;
  } else if (digits.size() > 1 && digits[0] == '0' &&
             digits.find_first_not_of("01234567") == std::string_view::npos) {
    if (auto v = parse_int(digits.substr(1), 8)) return *v;
  } else if (auto v = parse_int(digits, 10)) {
    return *v;
  }
  if (OneOf(digits, {".inf", ".Inf", ".INF"})) {
    return neg ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  }
  if (OneOf(t, {".nan", ".NaN", ".NAN"})) return std::numeric_limits<double>::quiet_NaN();
  // A float: digits with a '.' or an exponent, nothing else.
  if (!digits.empty() && digits.find_first_not_of("0123456789.eE+-_") == std::string_view::npos &&
      (std::isdigit(static_cast<unsigned char>(digits[0])) != 0 || digits[0] == '.')) {
    double d = 0;
    auto [p, ec] = std::from_chars(t.data() + (t[0] == '+' ? 1 : 0), t.data() + t.size(), d);
    if (ec == std::errc() && p == t.data() + t.size()) return d;
  }
  // NOLINTNEXTLINE(modernize-return-braced-init-list): braces would build a JSON array
  return json::value(json::string(s));
}

Result<json::value> Convert(const YAML::Node& node, int depth) {
  if (depth > 256) return Status::BadRequest("error decoding YAML: too deeply nested");
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return json::value(nullptr);
    case YAML::NodeType::Scalar: {
      // Quoted and block scalars carry the non-specific tag "!": always strings.
      if (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str") {
        return json::value(json::string(node.Scalar()));
      }
      return PlainScalar(node.Scalar());
    }
    case YAML::NodeType::Sequence: {
      json::array out;
      out.reserve(node.size());
      for (const auto& item : node) {
        KUBEPP_ASSIGN_OR_RETURN(json::value v, Convert(item, depth + 1));
        out.push_back(std::move(v));
      }
      return json::value(std::move(out));
    }
    case YAML::NodeType::Map: {
      json::object out;
      for (const auto& kv : node) {
        if (!kv.first.IsScalar()) {
          return Status::BadRequest("error decoding YAML: map keys must be scalars");
        }
        KUBEPP_ASSIGN_OR_RETURN(json::value v, Convert(kv.second, depth + 1));
        out[kv.first.Scalar()] = std::move(v);
      }
      return json::value(std::move(out));
    }
  }
  return json::value(nullptr);
}

}  // namespace

Result<json::value> YamlToJson(std::string_view yaml) {
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    return Convert(root, 0);
  } catch (const YAML::Exception& e) {
    return Status::BadRequest(std::string("error decoding YAML: ") + e.what());
  }
}

}  // namespace kubepp::api
