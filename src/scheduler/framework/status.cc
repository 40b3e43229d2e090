#include "scheduler/framework/status.h"

namespace kubepp::scheduler {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kSuccess:
      return "Success";
    case StatusCode::kError:
      return "Error";
    case StatusCode::kUnschedulable:
      return "Unschedulable";
    case StatusCode::kUnschedulableAndUnresolvable:
      return "UnschedulableAndUnresolvable";
    case StatusCode::kWait:
      return "Wait";
    case StatusCode::kSkip:
      return "Skip";
    case StatusCode::kPending:
      return "Pending";
  }
  return "Unknown";
}

std::string Status::Message() const {
  std::string out;
  for (const auto& reason : reasons_) {
    if (!out.empty()) out += ", ";
    out += reason;
  }
  return out;
}

std::string Status::ToString() const {
  std::string out(StatusCodeName(code_));
  if (!reasons_.empty()) {
    out += ": ";
    out += Message();
  }
  if (!plugin_.empty()) {
    out += " (plugin ";
    out += plugin_;
    out += ")";
  }
  return out;
}

}  // namespace kubepp::scheduler
