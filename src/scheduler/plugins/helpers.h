// Matching helpers shared by the plugins (upstream's component-helpers/scheduling/corev1):
// tolerations against taints, and node selector terms compiled once per pod.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "api/types.h"

namespace kubepp::scheduler::plugins {

// Upstream's Toleration.ToleratesTaint.
bool ToleratesTaint(const api::Toleration& toleration, const api::Taint& taint);
bool TolerationsTolerateTaint(const std::vector<api::Toleration>& tolerations,
                              const api::Taint& taint);

// The first taint that passes `filter` (all taints when null) and no toleration tolerates.
const api::Taint* FindMatchingUntoleratedTaint(const std::vector<api::Taint>& taints,
                                               const std::vector<api::Toleration>& tolerations,
                                               bool (*filter)(const api::Taint&));

// One NodeSelectorRequirement, validated and parsed.
struct CompiledRequirement {
  enum class Op : uint8_t { kIn, kNotIn, kExists, kDoesNotExist, kGt, kLt };
  std::string key;
  Op op = Op::kIn;
  std::vector<std::string> values;  // In/NotIn
  int64_t number = 0;               // Gt/Lt
};

// A NodeSelectorTerm (requirements ANDed). An invalid or empty term matches nothing.
class CompiledNodeSelectorTerm {
 public:
  explicit CompiledNodeSelectorTerm(const api::NodeSelectorTerm& term);
  bool Matches(const api::Node& node) const;
  bool Valid() const { return valid_; }

 private:
  std::vector<CompiledRequirement> expressions_;  // on node labels
  std::vector<CompiledRequirement> fields_;       // on node fields (metadata.name)
  bool valid_ = true;                             // parsed, and not empty
};

// spec.nodeSelector AND any of the required nodeSelectorTerms (upstream's
// RequiredNodeAffinity).
class RequiredNodeAffinity {
 public:
  explicit RequiredNodeAffinity(const api::Pod& pod);
  bool Matches(const api::Node& node) const;
  bool Empty() const { return node_selector_.empty() && !has_terms_; }

 private:
  std::vector<std::pair<std::string, std::string>> node_selector_;  // spec.nodeSelector
  bool has_terms_ = false;                                          // required affinity was given
  std::vector<CompiledNodeSelectorTerm> terms_;  // ORed; invalid ones never match
};

}  // namespace kubepp::scheduler::plugins
