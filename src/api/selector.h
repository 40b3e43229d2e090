// Label and field selectors (apimachinery's labels.Parse and fields.ParseSelector).
//
//   app=web,tier!=db,env in (prod,staging),!canary,release
// Label selectors support =, ==, !=, in, notin, exists (key) and !key; field selectors
// support =, == and !=. Parse errors are BadRequest with the offending text.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "api/types.h"
#include "base/status.h"

namespace kubepp::api {

struct Requirement {
  enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kDoesNotExist };
  std::string key;
  Op op = Op::kEquals;
  std::vector<std::string> values;  // one for = and !=; the set for in/notin

  bool Matches(const std::map<std::string, std::string>& labels) const;
};

class Selector {
 public:
  // Matches everything.
  Selector() = default;
  static Result<Selector> ParseLabels(std::string_view text);
  static Result<Selector> ParseFields(std::string_view text);
  // From a metav1.LabelSelector (matchLabels + matchExpressions). Invalid operators: Invalid.
  static Result<Selector> FromLabelSelector(const LabelSelector& selector);

  bool Empty() const { return requirements_.empty(); }
  bool Matches(const std::map<std::string, std::string>& labels) const;
  const std::vector<Requirement>& Requirements() const { return requirements_; }

 private:
  std::vector<Requirement> requirements_;  // all must match
};

}  // namespace kubepp::api
