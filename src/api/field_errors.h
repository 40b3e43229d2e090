// Validation errors with upstream's shapes (k8s.io/apimachinery/pkg/util/validation/field).
//
// An ErrorList becomes one 422 Invalid Status whose message and causes read like upstream's:
//   ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase ...
//   Pod "x" is invalid: [spec.containers: Required value, spec.restartPolicy: Unsupported ...]
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace kubepp::api {

enum class FieldErrorType {
  kRequired,      // "Required value"             FieldValueRequired
  kInvalid,       // "Invalid value"              FieldValueInvalid
  kNotSupported,  // "Unsupported value"          FieldValueNotSupported
  kDuplicate,     // "Duplicate value"            FieldValueDuplicate
  kForbidden,     // "Forbidden"                  FieldValueForbidden
  kTooLong,       // "Too long"                   FieldValueTooLong
  kTooMany,       // "Too many"                   FieldValueTooMany
  kNotFound,      // "Not found"                  FieldValueNotFound
  kInternal,      // "Internal error"             InternalError
};

struct FieldError {
  FieldErrorType type{};
  std::string field;      // JSON path, e.g. "spec.containers[0].name"
  std::string bad_value;  // the value as upstream prints it (quoted for strings), may be empty
  std::string detail;     // why, e.g. "must be no more than 63 characters"

  // "spec.containers: Required value" / "metadata.name: Invalid value: \"x\": detail"
  std::string ToString() const;
  // The metav1.CauseType string ("FieldValueRequired", ...).
  std::string_view CauseType() const;
};

using ErrorList = std::vector<FieldError>;

// Builders, named as upstream's field.Required/Invalid/... A string bad value is quoted.
FieldError Required(std::string field, std::string detail = "");
FieldError Invalid(std::string field, std::string_view value, std::string detail);
FieldError InvalidInt(std::string field, int64_t value, std::string detail);
FieldError NotSupported(std::string field, std::string_view value,
                        const std::vector<std::string>& valid);
FieldError Duplicate(std::string field, std::string_view value);
FieldError Forbidden(std::string field, std::string detail);
FieldError TooLong(std::string field, std::string_view value, size_t max);
FieldError NotFound(std::string field, std::string_view value);

// The 422 Status for `errors` on object `name` of `kind` in `group`: message as upstream,
// details with one cause per error.
Status InvalidStatus(std::string_view group, std::string_view kind, std::string_view name,
                     const ErrorList& errors);

// Name and label checks from apimachinery's validation package: each returns the problem
// messages (empty when valid), worded as upstream.
std::vector<std::string> IsDns1123Subdomain(std::string_view value);
std::vector<std::string> IsDns1123Label(std::string_view value);
std::vector<std::string> IsDns1035Label(std::string_view value);
std::vector<std::string> IsQualifiedName(std::string_view value);
std::vector<std::string> IsValidLabelValue(std::string_view value);

}  // namespace kubepp::api
