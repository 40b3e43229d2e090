// Status and Result<T>: errors as values.
//
// Codes mirror the Kubernetes metav1.Status `reason` values so that an error raised deep in
// the store or the admission chain reaches the client with the right reason and HTTP code
// without translation tables at every layer. Both types are cheap to move; an OK Status holds
// no allocation. Exceptions never cross kubepp interfaces: adapters over throwing libraries
// convert to Status.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/check.h"

namespace kubepp {

// StatusCode: one value per Kubernetes StatusReason (plus kOk).
enum class StatusCode {
  kOk,
  kBadRequest,             // 400 BadRequest
  kUnauthorized,           // 401 Unauthorized
  kForbidden,              // 403 Forbidden
  kNotFound,               // 404 NotFound
  kMethodNotAllowed,       // 405 MethodNotAllowed
  kNotAcceptable,          // 406 NotAcceptable
  kAlreadyExists,          // 409 AlreadyExists
  kConflict,               // 409 Conflict
  kGone,                   // 410 Gone
  kExpired,                // 410 Expired (resourceVersion too old)
  kRequestEntityTooLarge,  // 413 RequestEntityTooLarge
  kUnsupportedMediaType,   // 415 UnsupportedMediaType
  kInvalid,                // 422 Invalid
  kTooManyRequests,        // 429 TooManyRequests
  kInternalError,          // 500 InternalError
  kServiceUnavailable,     // 503 ServiceUnavailable (also: a store that cannot be reached)
  kTimeout,                // 504 Timeout
};

// The Kubernetes reason string ("NotFound"), "" for kOk.
std::string_view ReasonOf(StatusCode code);
// The HTTP status code the API server answers with (200 for kOk).
int HttpCodeOf(StatusCode code);

// One cause of an error, as metav1.StatusCause: e.g. {"FieldValueRequired", "Required value",
// "spec.containers"}.
struct StatusCause {
  std::string type;     // metav1.CauseType, e.g. "FieldValueInvalid"
  std::string message;  // human-readable, e.g. "Invalid value: \"x\": must be ..."
  std::string field;    // JSON path of the field, e.g. "metadata.name"
  bool operator==(const StatusCause&) const = default;
};

// Extra information about an error, as metav1.StatusDetails.
struct StatusDetails {
  std::string name;                 // name of the object the error concerns
  std::string group;                // API group of that object ("" for core)
  std::string kind;                 // resource or kind, e.g. "configmaps"
  std::vector<StatusCause> causes;  // field-level causes (validation errors)
  int retry_after_seconds = 0;      // hint for TooManyRequests / ServiceUnavailable
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message);
  Status(StatusCode code, std::string message, StatusDetails details);

  static Status Ok() { return {}; }
  static Status NotFound(std::string msg) { return {StatusCode::kNotFound, std::move(msg)}; }
  static Status AlreadyExists(std::string msg) {
    return {StatusCode::kAlreadyExists, std::move(msg)};
  }
  static Status Conflict(std::string msg) { return {StatusCode::kConflict, std::move(msg)}; }
  static Status Invalid(std::string msg) { return {StatusCode::kInvalid, std::move(msg)}; }
  static Status BadRequest(std::string msg) { return {StatusCode::kBadRequest, std::move(msg)}; }
  static Status Forbidden(std::string msg) { return {StatusCode::kForbidden, std::move(msg)}; }
  static Status Unauthorized(std::string msg) {
    return {StatusCode::kUnauthorized, std::move(msg)};
  }
  static Status Gone(std::string msg) { return {StatusCode::kGone, std::move(msg)}; }
  static Status Expired(std::string msg) { return {StatusCode::kExpired, std::move(msg)}; }
  static Status Timeout(std::string msg) { return {StatusCode::kTimeout, std::move(msg)}; }
  static Status TooManyRequests(std::string msg) {
    return {StatusCode::kTooManyRequests, std::move(msg)};
  }
  static Status Unavailable(std::string msg) {
    return {StatusCode::kServiceUnavailable, std::move(msg)};
  }
  static Status Internal(std::string msg) { return {StatusCode::kInternalError, std::move(msg)}; }
  static Status TooLarge(std::string msg) {
    return {StatusCode::kRequestEntityTooLarge, std::move(msg)};
  }

  bool IsOk() const { return code_ == StatusCode::kOk; }
  bool IsNotFound() const { return code_ == StatusCode::kNotFound; }
  bool IsAlreadyExists() const { return code_ == StatusCode::kAlreadyExists; }
  bool IsConflict() const { return code_ == StatusCode::kConflict; }
  bool IsInvalid() const { return code_ == StatusCode::kInvalid; }
  bool IsGone() const { return code_ == StatusCode::kGone || code_ == StatusCode::kExpired; }
  bool IsUnavailable() const { return code_ == StatusCode::kServiceUnavailable; }

  StatusCode Code() const { return code_; }
  std::string_view Reason() const { return ReasonOf(code_); }
  int HttpCode() const { return HttpCodeOf(code_); }
  const std::string& Message() const;
  // Details, or nullptr when the error carries none.
  const StatusDetails* Details() const { return details_.get(); }

  // "NotFound: message" (or "OK"), for logs and test failures.
  std::string ToString() const;

  // A copy with "prefix: " in front of the message.
  Status WithPrefix(std::string_view prefix) const;

  bool operator==(const Status& other) const {
    return code_ == other.code_ && Message() == other.Message();
  }

 private:
  StatusCode code_ = StatusCode::kOk;             // what kind of error, kOk when none
  std::string message_;                           // human-readable, empty when OK
  std::shared_ptr<const StatusDetails> details_;  // optional, shared: Status copies stay cheap
};

// Result<T>: a T, or the Status saying why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  Result(Status status) : status_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    KUBEPP_CHECK(!status_.IsOk(), "Result built from an OK Status without a value");
  }

  bool IsOk() const { return value_.has_value(); }
  const Status& status() const& { return status_; }  // NOLINT(readability-identifier-naming)
  Status status() && { return std::move(status_); }  // NOLINT(readability-identifier-naming)

  T& value() & {  // NOLINT(readability-identifier-naming)
    KUBEPP_CHECK(value_.has_value(), "value() of a failed Result: {}", status_.ToString());
    return *value_;
  }
  const T& value() const& {  // NOLINT(readability-identifier-naming)
    KUBEPP_CHECK(value_.has_value(), "value() of a failed Result: {}", status_.ToString());
    return *value_;
  }
  T&& value() && {  // NOLINT(readability-identifier-naming)
    KUBEPP_CHECK(value_.has_value(), "value() of a failed Result: {}", status_.ToString());
    return std::move(*value_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::optional<T> value_;  // set on success
  Status status_;           // the error when value_ is empty
};

}  // namespace kubepp

#define KUBEPP_CONCAT_INNER(a, b) a##b
#define KUBEPP_CONCAT(a, b) KUBEPP_CONCAT_INNER(a, b)

// Returns the Status from the enclosing function when `expr` is not OK.
#define KUBEPP_RETURN_IF_ERROR(expr)                   \
  do {                                                 \
    ::kubepp::Status kubepp_status_ = (expr);          \
    if (!kubepp_status_.IsOk()) return kubepp_status_; \
  } while (0)

// `KUBEPP_ASSIGN_OR_RETURN(auto x, F());` assigns F()'s value or returns its Status.
#define KUBEPP_ASSIGN_OR_RETURN(lhs, expr) \
  KUBEPP_ASSIGN_OR_RETURN_IMPL(KUBEPP_CONCAT(kubepp_result_, __LINE__), lhs, expr)
// NOLINTBEGIN(bugprone-macro-parentheses): `lhs` is a declaration, `tmp` a fresh name.
#define KUBEPP_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.IsOk()) return std::move(tmp).status();   \
  lhs = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)
