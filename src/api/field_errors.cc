#include "api/field_errors.h"

#include <fmt/format.h>

#include <regex>

namespace kubepp::api {
namespace {

std::string Quote(std::string_view v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

constexpr std::string_view kDns1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
constexpr std::string_view kDns1123SubdomainFmt =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
constexpr std::string_view kDns1035LabelFmt = "[a-z]([-a-z0-9]*[a-z0-9])?";
constexpr std::string_view kQualifiedNameFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
constexpr std::string_view kLabelValueFmt = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";

bool Matches(std::string_view value, std::string_view pattern) {
  // std::regex is slow to build: cache one per pattern (patterns are the constants above).
  static thread_local std::vector<std::pair<std::string_view, std::regex>> cache;
  for (auto& [p, re] : cache) {
    if (p.data() == pattern.data()) return std::regex_match(value.begin(), value.end(), re);
  }
  cache.emplace_back(pattern, std::regex(std::string(pattern), std::regex::ECMAScript));
  return std::regex_match(value.begin(), value.end(), cache.back().second);
}

std::string RegexError(std::string_view msg, std::string_view fmt_re,
                       std::initializer_list<std::string_view> examples) {
  std::string out(msg);
  if (examples.size() > 0) {
    out += " (e.g. ";
    bool first = true;
    for (auto e : examples) {
      if (!first) out += ", or ";
      out += "'" + std::string(e) + "'";
      first = false;
    }
    out += ", regex used for validation is '" + std::string(fmt_re) + "')";
  } else {
    out += " (regex used for validation is '" + std::string(fmt_re) + "')";
  }
  return out;
}

}  // namespace

std::string_view FieldError::CauseType() const {
  switch (type) {
    case FieldErrorType::kRequired:
      return "FieldValueRequired";
    case FieldErrorType::kInvalid:
      return "FieldValueInvalid";
    case FieldErrorType::kNotSupported:
      return "FieldValueNotSupported";
    case FieldErrorType::kDuplicate:
      return "FieldValueDuplicate";
    case FieldErrorType::kForbidden:
      return "FieldValueForbidden";
    case FieldErrorType::kTooLong:
      return "FieldValueTooLong";
    case FieldErrorType::kTooMany:
      return "FieldValueTooMany";
    case FieldErrorType::kNotFound:
      return "FieldValueNotFound";
    case FieldErrorType::kInternal:
      return "InternalError";
  }
  return "InternalError";
}

namespace {
std::string_view TypeText(FieldErrorType t) {
  switch (t) {
    case FieldErrorType::kRequired:
      return "Required value";
    case FieldErrorType::kInvalid:
      return "Invalid value";
    case FieldErrorType::kNotSupported:
      return "Unsupported value";
    case FieldErrorType::kDuplicate:
      return "Duplicate value";
    case FieldErrorType::kForbidden:
      return "Forbidden";
    case FieldErrorType::kTooLong:
      return "Too long";
    case FieldErrorType::kTooMany:
      return "Too many";
    case FieldErrorType::kNotFound:
      return "Not found";
    case FieldErrorType::kInternal:
      return "Internal error";
  }
  return "Internal error";
}
}  // namespace

std::string FieldError::ToString() const {
  // Upstream: "<field>: <type>[: <value>][: <detail>]"; Required/Forbidden/TooLong/TooMany
  // omit the value.
  std::string out = field.empty() ? std::string() : field + ": ";
  out += TypeText(type);
  bool show_value = type == FieldErrorType::kInvalid || type == FieldErrorType::kNotSupported ||
                    type == FieldErrorType::kDuplicate || type == FieldErrorType::kNotFound;
  if (show_value && !bad_value.empty()) out += ": " + bad_value;
  if (!detail.empty()) out += ": " + detail;
  return out;
}

FieldError Required(std::string field, std::string detail) {
  return {FieldErrorType::kRequired, std::move(field), "", std::move(detail)};
}
FieldError Invalid(std::string field, std::string_view value, std::string detail) {
  return {FieldErrorType::kInvalid, std::move(field), Quote(value), std::move(detail)};
}
FieldError InvalidInt(std::string field, int64_t value, std::string detail) {
  return {FieldErrorType::kInvalid, std::move(field), std::to_string(value), std::move(detail)};
}
FieldError NotSupported(std::string field, std::string_view value,
                        const std::vector<std::string>& valid) {
  std::string detail;
  if (!valid.empty()) {
    detail = "supported values: ";
    for (size_t i = 0; i < valid.size(); ++i) {
      if (i > 0) detail += ", ";
      detail += Quote(valid[i]);
    }
  }
  return {FieldErrorType::kNotSupported, std::move(field), Quote(value), std::move(detail)};
}
FieldError Duplicate(std::string field, std::string_view value) {
  return {FieldErrorType::kDuplicate, std::move(field), Quote(value), ""};
}
FieldError Forbidden(std::string field, std::string detail) {
  return {FieldErrorType::kForbidden, std::move(field), "", std::move(detail)};
}
FieldError TooLong(std::string field, std::string_view /*value*/, size_t max) {
  return {FieldErrorType::kTooLong, std::move(field), "",
          fmt::format("may not be more than {} bytes", max)};
}
FieldError NotFound(std::string field, std::string_view value) {
  return {FieldErrorType::kNotFound, std::move(field), Quote(value), ""};
}

Status InvalidStatus(std::string_view group, std::string_view kind, std::string_view name,
                     const ErrorList& errors) {
  StatusDetails details;
  details.name = std::string(name);
  details.group = std::string(group);
  details.kind = std::string(kind);
  std::string list;
  for (const auto& e : errors) {
    details.causes.push_back({std::string(e.CauseType()),
                              e.ToString().substr(e.field.empty() ? 0 : e.field.size() + 2),
                              e.field});
    if (!list.empty()) list += ", ";
    list += e.ToString();
  }
  std::string message = fmt::format("{} \"{}\" is invalid: ", kind, name);
  message += errors.size() == 1 ? list : "[" + list + "]";
  return Status(StatusCode::kInvalid, std::move(message), std::move(details));
}

std::vector<std::string> IsDns1123Subdomain(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > 253) errs.push_back("must be no more than 253 characters");
  if (!Matches(value, kDns1123SubdomainFmt)) {
    errs.push_back(RegexError(
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
        "or '.', and must start and end with an alphanumeric character",
        kDns1123SubdomainFmt, {"example.com"}));
  }
  return errs;
}

std::vector<std::string> IsDns1123Label(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > 63) errs.push_back("must be no more than 63 characters");
  if (!Matches(value, kDns1123LabelFmt)) {
    errs.push_back(RegexError(
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
        "and must start and end with an alphanumeric character",
        kDns1123LabelFmt, {"my-name", "123-abc"}));
  }
  return errs;
}

std::vector<std::string> IsDns1035Label(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > 63) errs.push_back("must be no more than 63 characters");
  if (!Matches(value, kDns1035LabelFmt)) {
    errs.push_back(RegexError(
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with "
        "an alphabetic character, and end with an alphanumeric character",
        kDns1035LabelFmt, {"my-name", "abc-123"}));
  }
  return errs;
}

std::vector<std::string> IsQualifiedName(std::string_view value) {
  std::vector<std::string> errs;
  std::string_view name = value;
  auto slash = value.find('/');
  if (slash != std::string_view::npos) {
    auto prefix = value.substr(0, slash);
    name = value.substr(slash + 1);
    if (prefix.empty()) {
      errs.push_back("prefix part must be non-empty");
    } else {
      for (auto& m : IsDns1123Subdomain(prefix)) errs.push_back("prefix part " + m);
    }
    if (name.find('/') != std::string_view::npos) {
      errs.push_back(RegexError(
          "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must "
          "start and end with an alphanumeric character",
          kQualifiedNameFmt, {"MyName", "my.name", "123-abc"}));
      return errs;
    }
  }
  if (name.empty()) {
    errs.push_back("name part must be non-empty");
  } else if (name.size() > 63) {
    errs.push_back("name part must be no more than 63 characters");
  }
  if (!name.empty() && !Matches(name, kQualifiedNameFmt)) {
    errs.push_back(RegexError(
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and "
        "end with an alphanumeric character",
        kQualifiedNameFmt, {"MyName", "my.name", "123-abc"}));
  }
  return errs;
}

std::vector<std::string> IsValidLabelValue(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > 63) errs.push_back("must be no more than 63 characters");
  if (!Matches(value, kLabelValueFmt)) {
    errs.push_back(RegexError(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
        "or '.', and must start and end with an alphanumeric character",
        kLabelValueFmt, {"MyValue", "my_value", "12345"}));
  }
  return errs;
}

}  // namespace kubepp::api
