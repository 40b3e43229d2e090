#include "controller/job/job_logic.h"

#include <algorithm>
#include <charconv>

namespace kubepp::controller::job {

bool IsIndexed(const api::Job& job) { return job.spec.completionMode == "Indexed"; }

const api::JobCondition* FindTrueCondition(const api::Job& job, std::string_view type) {
  for (const auto& c : job.status.conditions) {
    if (c.type == type && c.status == "True") return &c;
  }
  return nullptr;
}

bool IsJobFinished(const api::Job& job) {
  return FindTrueCondition(job, kJobComplete) != nullptr ||
         FindTrueCondition(job, kJobFailed) != nullptr;
}

bool SetCondition(api::JobStatus& status, const std::string& type, const std::string& cond_status,
                  const std::string& reason, const std::string& message, Clock::WallTime now) {
  const std::string ts = FormatRfc3339(now);
  for (auto& c : status.conditions) {
    if (c.type != type) continue;
    if (c.status == cond_status && c.reason == reason && c.message == message) return false;
    if (c.status != cond_status) c.lastTransitionTime = ts;
    c.status = cond_status;
    c.reason = reason;
    c.message = message;
    c.lastProbeTime = ts;
    return true;
  }
  api::JobCondition c;
  c.type = type;
  c.status = cond_status;
  c.reason = reason;
  c.message = message;
  c.lastProbeTime = ts;
  c.lastTransitionTime = ts;
  status.conditions.push_back(std::move(c));
  return true;
}

api::OwnerReference ControllerRefFor(const api::Job& job) {
  api::OwnerReference ref;
  ref.apiVersion = "batch/v1";
  ref.kind = "Job";
  ref.name = job.metadata.name;
  ref.uid = job.metadata.uid;
  ref.controller = true;
  ref.blockOwnerDeletion = true;
  return ref;
}

api::Pod PodFromTemplate(const api::Job& job, std::optional<int> index) {
  const auto& tmpl = job.spec.template_;
  api::Pod pod;
  pod.metadata.namespace_ = job.metadata.namespace_;
  pod.metadata.labels = tmpl.metadata.labels;
  pod.metadata.annotations = tmpl.metadata.annotations;
  pod.metadata.finalizers = tmpl.metadata.finalizers;
  pod.metadata.generateName = job.metadata.name + "-";
  pod.spec = tmpl.spec;
  if (!job.spec.manualSelector.value_or(false)) {
    pod.metadata.labels.emplace(kControllerUidLabel, job.metadata.uid);
    pod.metadata.labels.emplace(kJobNameLabel, job.metadata.name);
    pod.metadata.labels.emplace(kLegacyControllerUidLabel, job.metadata.uid);
    pod.metadata.labels.emplace(kLegacyJobNameLabel, job.metadata.name);
  }
  if (index) {
    const std::string idx = std::to_string(*index);
    pod.metadata.generateName = job.metadata.name + "-" + idx + "-";
    pod.metadata.annotations[kCompletionIndexKey] = idx;
    pod.metadata.labels[kCompletionIndexKey] = idx;
    if (pod.spec.hostname.empty()) pod.spec.hostname = job.metadata.name + "-" + idx;
    for (auto* list : {&pod.spec.containers, &pod.spec.initContainers}) {
      for (auto& c : *list) {
        const bool has = std::any_of(c.env.begin(), c.env.end(), [](const api::EnvVar& e) {
          return e.name == "JOB_COMPLETION_INDEX";
        });
        if (has) continue;
        api::EnvVar env;
        env.name = "JOB_COMPLETION_INDEX";
        api::EnvVarSource src;
        api::ObjectFieldSelector field;
        field.fieldPath = std::string("metadata.labels['") + kCompletionIndexKey + "']";
        src.fieldRef = field;
        env.valueFrom = src;
        c.env.push_back(std::move(env));
      }
    }
  }
  if (std::find(pod.metadata.finalizers.begin(), pod.metadata.finalizers.end(),
                kTrackingFinalizer) == pod.metadata.finalizers.end()) {
    pod.metadata.finalizers.emplace_back(kTrackingFinalizer);
  }
  pod.metadata.ownerReferences.push_back(ControllerRefFor(job));
  return pod;
}

namespace {

std::optional<int> ParseNonNegative(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

}  // namespace

std::optional<int> PodIndex(const api::Pod& pod) {
  if (auto it = pod.metadata.annotations.find(kCompletionIndexKey);
      it != pod.metadata.annotations.end()) {
    return ParseNonNegative(it->second);
  }
  if (auto it = pod.metadata.labels.find(kCompletionIndexKey); it != pod.metadata.labels.end()) {
    return ParseNonNegative(it->second);
  }
  return std::nullopt;
}

std::set<int> ParseIndexes(std::string_view text, int completions) {
  std::set<int> out;
  while (!text.empty()) {
    auto comma = text.find(',');
    std::string_view part = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    auto dash = part.find('-');
    std::optional<int> lo;
    std::optional<int> hi;
    if (dash == std::string_view::npos) {
      lo = hi = ParseNonNegative(part);
    } else {
      lo = ParseNonNegative(part.substr(0, dash));
      hi = ParseNonNegative(part.substr(dash + 1));
    }
    if (!lo || !hi || *lo > *hi) continue;
    for (int i = *lo; i <= *hi && i < completions; ++i) out.insert(i);
  }
  return out;
}

std::string FormatIndexes(const std::set<int>& indexes) {
  std::string out;
  auto it = indexes.begin();
  while (it != indexes.end()) {
    int lo = *it;
    int hi = lo;
    ++it;
    while (it != indexes.end() && *it == hi + 1) {
      hi = *it;
      ++it;
    }
    if (!out.empty()) out += ',';
    out += std::to_string(lo);
    if (hi > lo) out += "-" + std::to_string(hi);
  }
  return out;
}

bool IsPodActive(const api::Pod& pod) {
  return pod.status.phase != "Succeeded" && pod.status.phase != "Failed" &&
         pod.metadata.deletionTimestamp.empty();
}

bool IsPodReady(const api::Pod& pod) {
  return std::any_of(
      pod.status.conditions.begin(), pod.status.conditions.end(),
      [](const api::PodCondition& c) { return c.type == "Ready" && c.status == "True"; });
}

bool IsPodFailed(const api::Pod& pod, const api::Job& job) {
  if (pod.status.phase == "Failed") return true;
  if (job.spec.podReplacementPolicy == "Failed" || job.spec.podFailurePolicy) return false;
  return !pod.metadata.deletionTimestamp.empty() && pod.status.phase != "Succeeded";
}

PolicyDecision MatchPodFailurePolicy(const api::Job& job, const api::Pod& pod) {
  if (!job.spec.podFailurePolicy) return {};
  const auto& rules = job.spec.podFailurePolicy->rules;
  for (size_t i = 0; i < rules.size(); ++i) {
    const auto& rule = rules[i];
    if (rule.onExitCodes) {
      const auto& req = *rule.onExitCodes;
      for (const auto& cs : pod.status.containerStatuses) {
        if (!req.containerName.empty() && req.containerName != cs.name) continue;
        if (!cs.state || !cs.state->terminated) continue;
        const int32_t code = cs.state->terminated->exitCode;
        const bool in = std::find(req.values.begin(), req.values.end(), code) != req.values.end();
        const bool match = req.operator_ == "In" ? in : (!in && code != 0);
        if (match) {
          return {rule.action, "Container " + cs.name + " for pod " + pod.metadata.namespace_ +
                                   "/" + pod.metadata.name + " failed with exit code " +
                                   std::to_string(code) + " matching " + rule.action +
                                   " rule at index " + std::to_string(i)};
        }
      }
    }
    for (const auto& pattern : rule.onPodConditions) {
      const std::string want = pattern.status.empty() ? "True" : pattern.status;
      for (const auto& c : pod.status.conditions) {
        if (c.type == pattern.type && c.status == want) {
          return {rule.action, "Pod " + pod.metadata.namespace_ + "/" + pod.metadata.name +
                                   " has condition " + c.type + " matching " + rule.action +
                                   " rule at index " + std::to_string(i)};
        }
      }
    }
  }
  return {};
}

Clock::Duration PodFailureBackoff(int failures, Clock::Duration base, Clock::Duration max) {
  if (failures <= 0) return Clock::Duration::zero();
  Clock::Duration d = base;
  for (int i = 1; i < failures && d < max; ++i) d *= 2;
  return std::min(d, max);
}

}  // namespace kubepp::controller::job
