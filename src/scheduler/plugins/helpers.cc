#include "scheduler/plugins/helpers.h"

#include <algorithm>
#include <charconv>

namespace kubepp::scheduler::plugins {
namespace {

bool ParseInt64(const std::string& s, int64_t& out) {
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, out);
  return ec == std::errc() && ptr == end && !s.empty();
}

bool Compile(const api::NodeSelectorRequirement& r, CompiledRequirement& out) {
  using Op = CompiledRequirement::Op;
  out.key = r.key;
  const std::string& op = r.operator_;
  if (op == "In" || op == "NotIn") {
    if (r.values.empty()) return false;
    out.op = op == "In" ? Op::kIn : Op::kNotIn;
    out.values = r.values;
  } else if (op == "Exists" || op == "DoesNotExist") {
    if (!r.values.empty()) return false;
    out.op = op == "Exists" ? Op::kExists : Op::kDoesNotExist;
  } else if (op == "Gt" || op == "Lt") {
    if (r.values.size() != 1 || !ParseInt64(r.values[0], out.number)) return false;
    out.op = op == "Gt" ? Op::kGt : Op::kLt;
  } else {
    return false;
  }
  return true;
}

bool RequirementMatches(const CompiledRequirement& r, const std::string* value) {
  using Op = CompiledRequirement::Op;
  switch (r.op) {
    case Op::kIn:
      return value != nullptr &&
             std::find(r.values.begin(), r.values.end(), *value) != r.values.end();
    case Op::kNotIn:
      return value == nullptr ||
             std::find(r.values.begin(), r.values.end(), *value) == r.values.end();
    case Op::kExists:
      return value != nullptr;
    case Op::kDoesNotExist:
      return value == nullptr;
    case Op::kGt:
    case Op::kLt: {
      int64_t v = 0;
      if (value == nullptr || !ParseInt64(*value, v)) return false;
      return r.op == Op::kGt ? v > r.number : v < r.number;
    }
  }
  return false;
}

}  // namespace

bool ToleratesTaint(const api::Toleration& toleration, const api::Taint& taint) {
  if (!toleration.effect.empty() && toleration.effect != taint.effect) return false;
  if (!toleration.key.empty() && toleration.key != taint.key) return false;
  if (toleration.operator_ == "Exists") return true;
  if (toleration.operator_.empty() || toleration.operator_ == "Equal") {
    return toleration.value == taint.value;
  }
  return false;
}

bool TolerationsTolerateTaint(const std::vector<api::Toleration>& tolerations,
                              const api::Taint& taint) {
  return std::any_of(tolerations.begin(), tolerations.end(),
                     [&](const api::Toleration& t) { return ToleratesTaint(t, taint); });
}

const api::Taint* FindMatchingUntoleratedTaint(const std::vector<api::Taint>& taints,
                                               const std::vector<api::Toleration>& tolerations,
                                               bool (*filter)(const api::Taint&)) {
  for (const auto& taint : taints) {
    if (filter != nullptr && !filter(taint)) continue;
    if (!TolerationsTolerateTaint(tolerations, taint)) return &taint;
  }
  return nullptr;
}

CompiledNodeSelectorTerm::CompiledNodeSelectorTerm(const api::NodeSelectorTerm& term) {
  if (term.matchExpressions.empty() && term.matchFields.empty()) valid_ = false;
  for (const auto& r : term.matchExpressions) {
    CompiledRequirement c;
    if (!Compile(r, c)) valid_ = false;
    expressions_.push_back(std::move(c));
  }
  for (const auto& r : term.matchFields) {
    CompiledRequirement c;
    // Field selectors support only In/NotIn with exactly one value.
    if (!Compile(r, c) || r.values.size() != 1 ||
        (c.op != CompiledRequirement::Op::kIn && c.op != CompiledRequirement::Op::kNotIn)) {
      valid_ = false;
    }
    fields_.push_back(std::move(c));
  }
}

bool CompiledNodeSelectorTerm::Matches(const api::Node& node) const {
  if (!valid_) return false;
  const auto& labels = node.metadata.labels;
  for (const auto& r : expressions_) {
    auto it = labels.find(r.key);
    if (!RequirementMatches(r, it == labels.end() ? nullptr : &it->second)) return false;
  }
  static const std::string kEmpty;
  for (const auto& r : fields_) {
    // Only metadata.name is a node field the scheduler knows; others read as "".
    const std::string* value = r.key == "metadata.name" ? &node.metadata.name : &kEmpty;
    if (!RequirementMatches(r, value)) return false;
  }
  return true;
}

RequiredNodeAffinity::RequiredNodeAffinity(const api::Pod& pod) {
  node_selector_.assign(pod.spec.nodeSelector.begin(), pod.spec.nodeSelector.end());
  if (pod.spec.affinity.has_value() && pod.spec.affinity->nodeAffinity.has_value() &&
      pod.spec.affinity->nodeAffinity->requiredDuringSchedulingIgnoredDuringExecution.has_value()) {
    has_terms_ = true;
    for (const auto& t : pod.spec.affinity->nodeAffinity
                             ->requiredDuringSchedulingIgnoredDuringExecution->nodeSelectorTerms) {
      terms_.emplace_back(t);
    }
  }
}

bool RequiredNodeAffinity::Matches(const api::Node& node) const {
  const auto& labels = node.metadata.labels;
  for (const auto& [k, v] : node_selector_) {
    auto it = labels.find(k);
    if (it == labels.end() || it->second != v) return false;
  }
  if (!has_terms_) return true;
  return std::any_of(terms_.begin(), terms_.end(),
                     [&](const CompiledNodeSelectorTerm& t) { return t.Matches(node); });
}

}  // namespace kubepp::scheduler::plugins
