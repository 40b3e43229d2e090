// The result of a scheduler plugin call (upstream's framework.Status): a code, the reasons a node
// was rejected and the plugin that rejected it. "Does not fit" is a result, not a failure: only
// kError means something went wrong.
//
// A success Status holds no allocation, so returning one from Filter/Score on every node is free.
// Values; thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kubepp::scheduler {

// Upstream's framework.Code, same order.
enum class StatusCode : uint8_t {
  kSuccess,
  kError,                         // an internal error; the pod is retried with back-off
  kUnschedulable,                 // does not fit now; preemption may help
  kUnschedulableAndUnresolvable,  // does not fit, and preemption cannot help
  kWait,                          // Permit: wait for an approval
  kSkip,                          // PreFilter/PreScore: skip this plugin's Filter/Score
  kPending,                       // waiting for something outside the scheduler
};

// "Success", "Error", "Unschedulable", ... as upstream's Code.String().
std::string_view StatusCodeName(StatusCode code);

class Status {
 public:
  Status() = default;  // success
  explicit Status(StatusCode code) : code_(code) {}
  Status(StatusCode code, std::string reason) : code_(code) {
    reasons_.push_back(std::move(reason));
  }
  Status(StatusCode code, std::vector<std::string> reasons)
      : code_(code), reasons_(std::move(reasons)) {}

  static Status Success() { return {}; }
  static Status Error(std::string message) { return {StatusCode::kError, std::move(message)}; }
  static Status Unschedulable(std::string reason) {
    return {StatusCode::kUnschedulable, std::move(reason)};
  }
  static Status UnschedulableAndUnresolvable(std::string reason) {
    return {StatusCode::kUnschedulableAndUnresolvable, std::move(reason)};
  }
  static Status Skip() { return Status(StatusCode::kSkip); }

  StatusCode Code() const { return code_; }
  bool IsSuccess() const { return code_ == StatusCode::kSuccess; }
  bool IsSkip() const { return code_ == StatusCode::kSkip; }
  bool IsWait() const { return code_ == StatusCode::kWait; }
  bool IsError() const { return code_ == StatusCode::kError; }
  // Unschedulable, UnschedulableAndUnresolvable or Pending (upstream's IsRejected).
  bool IsRejected() const {
    return code_ == StatusCode::kUnschedulable ||
           code_ == StatusCode::kUnschedulableAndUnresolvable || code_ == StatusCode::kPending;
  }

  const std::vector<std::string>& Reasons() const { return reasons_; }
  // The reasons joined by ", " (upstream's Message()).
  std::string Message() const;
  void AppendReason(std::string reason) { reasons_.push_back(std::move(reason)); }

  // The plugin that returned this status ("" when not recorded).
  const std::string& Plugin() const { return plugin_; }
  void SetPlugin(std::string_view plugin) { plugin_ = plugin; }
  Status WithPlugin(std::string_view plugin) && {
    plugin_ = plugin;
    return std::move(*this);
  }

  // "Unschedulable: reason1, reason2" for logs and test failures.
  std::string ToString() const;

  bool operator==(const Status& other) const {
    return code_ == other.code_ && reasons_ == other.reasons_;
  }

 private:
  StatusCode code_ = StatusCode::kSuccess;  // what happened
  std::vector<std::string> reasons_;        // why (empty on success)
  std::string plugin_;                      // which plugin said so
};

}  // namespace kubepp::scheduler
