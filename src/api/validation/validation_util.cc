#include "api/validation/validation_util.h"

#include "api/validation/validation.h"

namespace kubepp::api::validation {
namespace {

std::string GoQuote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

FieldError InvalidRaw(std::string field, std::string value, std::string detail) {
  return {FieldErrorType::kInvalid, std::move(field), std::move(value), std::move(detail)};
}

std::string GoMapString(const std::map<std::string, std::string>& m) {
  if (m.empty()) return "map[string]string(nil)";
  std::string out = "map[string]string{";
  bool first = true;
  for (const auto& [k, v] : m) {
    if (!first) out += ", ";
    out += GoQuote(k) + ":" + GoQuote(v);
    first = false;
  }
  return out + "}";
}

std::string GoStringSlice(const std::vector<std::string>& v) {
  if (v.empty()) return "[]string(nil)";
  std::string out = "[]string{";
  for (size_t i = 0; i < v.size(); ++i) out += (i > 0 ? ", " : "") + GoQuote(v[i]);
  return out + "}";
}

std::string GoLabelSelector(const LabelSelector& s) {
  std::string out =
      "v1.LabelSelector{MatchLabels:" + GoMapString(s.matchLabels) + ", MatchExpressions:";
  if (s.matchExpressions.empty()) return out + "[]v1.LabelSelectorRequirement(nil)}";
  out += "[]v1.LabelSelectorRequirement{";
  for (size_t i = 0; i < s.matchExpressions.size(); ++i) {
    const auto& e = s.matchExpressions[i];
    out += fmt::format("{}v1.LabelSelectorRequirement{{Key:{}, Operator:{}, Values:{}}}",
                       i > 0 ? ", " : "", GoQuote(e.key), GoQuote(e.operator_),
                       GoStringSlice(e.values));
  }
  return out + "}}";
}

std::string GoIntOrString(const IntOrString& v) {
  return fmt::format("intstr.IntOrString{{Type:{}, IntVal:{}, StrVal:{}}}", v.is_string ? 1 : 0,
                     v.int_value, GoQuote(v.str_value));
}

FieldError Immutable(std::string field, std::string value) {
  return InvalidRaw(std::move(field), std::move(value), "field is immutable");
}

void ValidatePortNumber(int64_t port, const std::string& path, ErrorList& errors) {
  if (port < 1 || port > 65535) {
    errors.push_back(InvalidInt(path, port, "must be between 1 and 65535, inclusive"));
  }
}

std::vector<std::string> PortNameErrors(const std::string& name) {
  std::vector<std::string> errs;
  if (name.size() > 15) errs.emplace_back("must be no more than 15 characters");
  if (name.empty() ||
      name.find_first_not_of("-abcdefghijklmnopqrstuvwxyz0123456789") != std::string::npos) {
    errs.emplace_back("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
  }
  if (name.find_first_of("abcdefghijklmnopqrstuvwxyz") == std::string::npos) {
    errs.emplace_back("must contain at least one letter (a-z)");
  }
  if (name.find("--") != std::string::npos) {
    errs.emplace_back("must not contain consecutive hyphens");
  }
  if (!name.empty() && (name.front() == '-' || name.back() == '-')) {
    errs.emplace_back("must not begin or end with a hyphen");
  }
  return errs;
}

void ValidateLabelMap(const std::map<std::string, std::string>& labels, const std::string& path,
                      ErrorList& errors) {
  for (const auto& [k, v] : labels) {
    for (auto& msg : IsQualifiedName(k)) errors.push_back(Invalid(path, k, msg));
    for (auto& msg : IsValidLabelValue(v)) errors.push_back(Invalid(path, v, msg));
  }
}

void ValidateLabelSelector(const LabelSelector& s, const std::string& path, ErrorList& errors) {
  for (size_t i = 0; i < s.matchExpressions.size(); ++i) {
    const auto& e = s.matchExpressions[i];
    std::string p = Idx(path + ".matchExpressions", i);
    if (e.operator_ == "In" || e.operator_ == "NotIn") {
      if (e.values.empty()) {
        errors.push_back(
            Required(p + ".values", "must be specified when `operator` is 'In' or 'NotIn'"));
      }
    } else if (e.operator_ == "Exists" || e.operator_ == "DoesNotExist") {
      if (!e.values.empty()) {
        errors.push_back(Forbidden(p + ".values",
                                   "may not be specified when `operator` is 'Exists' or "
                                   "'DoesNotExist'"));
      }
    } else {
      errors.push_back(Invalid(p + ".operator", e.operator_, "not a valid selector operator"));
    }
    for (auto& msg : IsQualifiedName(e.key)) errors.push_back(Invalid(p + ".key", e.key, msg));
  }
  ValidateLabelMap(s.matchLabels, path + ".matchLabels", errors);
}

void ValidateNonnegative(int64_t v, const std::string& path, ErrorList& errors) {
  if (v < 0) errors.push_back(InvalidInt(path, v, "must be greater than or equal to 0"));
}

void ValidatePodTemplateSpecAt(const PodTemplateSpec& tmpl, const std::string& path,
                               ErrorList& errors) {
  ValidateLabelMap(tmpl.metadata.labels, path + ".metadata.labels", errors);
  ValidatePodSpec(tmpl.spec, path + ".spec", errors);
}

}  // namespace kubepp::api::validation
