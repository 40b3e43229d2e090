#include "base/status.h"

#include <fmt/format.h>

namespace kubepp {

std::string_view ReasonOf(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "";
    case StatusCode::kBadRequest:
      return "BadRequest";
    case StatusCode::kUnauthorized:
      return "Unauthorized";
    case StatusCode::kForbidden:
      return "Forbidden";
    case StatusCode::kNotFound:
      return "NotFound";
    case StatusCode::kMethodNotAllowed:
      return "MethodNotAllowed";
    case StatusCode::kNotAcceptable:
      return "NotAcceptable";
    case StatusCode::kAlreadyExists:
      return "AlreadyExists";
    case StatusCode::kConflict:
      return "Conflict";
    case StatusCode::kGone:
      return "Gone";
    case StatusCode::kExpired:
      return "Expired";
    case StatusCode::kRequestEntityTooLarge:
      return "RequestEntityTooLarge";
    case StatusCode::kUnsupportedMediaType:
      return "UnsupportedMediaType";
    case StatusCode::kInvalid:
      return "Invalid";
    case StatusCode::kTooManyRequests:
      return "TooManyRequests";
    case StatusCode::kInternalError:
      return "InternalError";
    case StatusCode::kServiceUnavailable:
      return "ServiceUnavailable";
    case StatusCode::kTimeout:
      return "Timeout";
  }
  return "InternalError";
}

int HttpCodeOf(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kBadRequest:
      return 400;
    case StatusCode::kUnauthorized:
      return 401;
    case StatusCode::kForbidden:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kMethodNotAllowed:
      return 405;
    case StatusCode::kNotAcceptable:
      return 406;
    case StatusCode::kAlreadyExists:
      return 409;
    case StatusCode::kConflict:
      return 409;
    case StatusCode::kGone:
      return 410;
    case StatusCode::kExpired:
      return 410;
    case StatusCode::kRequestEntityTooLarge:
      return 413;
    case StatusCode::kUnsupportedMediaType:
      return 415;
    case StatusCode::kInvalid:
      return 422;
    case StatusCode::kTooManyRequests:
      return 429;
    case StatusCode::kInternalError:
      return 500;
    case StatusCode::kServiceUnavailable:
      return 503;
    case StatusCode::kTimeout:
      return 504;
  }
  return 500;
}

Status::Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

Status::Status(StatusCode code, std::string message, StatusDetails details)
    : code_(code),
      message_(std::move(message)),
      details_(std::make_shared<const StatusDetails>(std::move(details))) {}

const std::string& Status::Message() const { return message_; }

std::string Status::ToString() const {
  if (IsOk()) return "OK";
  return fmt::format("{}: {}", ReasonOf(code_), message_);
}

Status Status::WithPrefix(std::string_view prefix) const {
  Status copy = *this;
  copy.message_ = fmt::format("{}: {}", prefix, message_);
  return copy;
}

}  // namespace kubepp
