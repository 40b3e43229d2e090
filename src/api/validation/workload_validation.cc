// apps/v1, autoscaling/v1 and batch/v1 validation (upstream pkg/apis/{apps,batch,autoscaling}/
// validation).
#include <sstream>

#include "api/selector.h"
#include "api/validation/validation.h"
#include "api/validation/validation_util.h"

namespace kubepp::api::validation {
namespace {

// Selector required, valid, non-empty, and matching the template's labels.
void ValidateSelectorAndTemplate(const LabelSelector& selector, const PodTemplateSpec& tmpl,
                                 std::string_view kind, ErrorList& errors) {
  if (selector.matchLabels.empty() && selector.matchExpressions.empty()) {
    errors.push_back(Required("spec.selector"));
  } else {
    ValidateLabelSelector(selector, "spec.selector", errors);
    auto sel = Selector::FromLabelSelector(selector);
    if (sel.IsOk() && !sel.value().Matches(tmpl.metadata.labels)) {
      errors.push_back(InvalidRaw("spec.template.metadata.labels",
                                  GoMapString(tmpl.metadata.labels),
                                  "`selector` does not match template `labels`"));
    }
  }
  (void)kind;
  ValidatePodTemplateSpecAt(tmpl, "spec.template", errors);
}

void ValidateRestartAlways(const PodTemplateSpec& tmpl, ErrorList& errors) {
  if (tmpl.spec.restartPolicy != "Always") {
    errors.push_back(
        NotSupported("spec.template.spec.restartPolicy", tmpl.spec.restartPolicy, {"Always"}));
  }
  if (tmpl.spec.activeDeadlineSeconds) {
    errors.push_back(Forbidden("spec.template.spec.activeDeadlineSeconds",
                               "activeDeadlineSeconds in ReplicaSet is not Supported"));
  }
}

void ValidateSelectorImmutable(const LabelSelector& now, const LabelSelector& before,
                               ErrorList& errors) {
  if (!(now == before)) errors.push_back(Immutable("spec.selector", GoLabelSelector(now)));
}

// IsValidPercent-style checks of a maxSurge/maxUnavailable value.
void ValidateIntOrPercent(const std::optional<IntOrString>& v, const std::string& path,
                          ErrorList& errors) {
  if (!v) return;
  if (v->is_string) {
    const std::string& s = v->str_value;
    bool ok = s.size() >= 2 && s.back() == '%' &&
              s.substr(0, s.size() - 1).find_first_not_of("0123456789") == std::string::npos;
    if (!ok) {
      errors.push_back(Invalid(path, s,
                               "a valid percent string must be a numeric string followed by an "
                               "ending '%' (e.g. '1%',  or '93%', regex used for validation is "
                               "'[0-9]+%')"));
    } else if (std::stoi(s.substr(0, s.size() - 1)) > 100) {
      errors.push_back(Invalid(path, s, "must not be greater than 100%"));
    }
  } else {
    ValidateNonnegative(v->int_value, path, errors);
  }
}

bool IsZero(const std::optional<IntOrString>& v) {
  if (!v) return true;
  if (!v->is_string) return v->int_value == 0;
  return v->str_value == "0%";
}

}  // namespace

void ValidateDeployment(const Deployment& d, const Deployment* old, ErrorList& errors) {
  const auto& spec = d.spec;
  ValidateNonnegative(spec.replicas.value_or(0), "spec.replicas", errors);
  ValidateSelectorAndTemplate(spec.selector, spec.template_, "deployment", errors);
  ValidateRestartAlways(spec.template_, errors);
  if (spec.strategy) {
    const auto& s = *spec.strategy;
    if (s.type != "Recreate" && s.type != "RollingUpdate") {
      errors.push_back(NotSupported("spec.strategy.type", s.type, {"Recreate", "RollingUpdate"}));
    }
    if (s.type == "Recreate" && s.rollingUpdate) {
      errors.push_back(Forbidden("spec.strategy.rollingUpdate",
                                 "may not be specified when strategy `type` is 'Recreate'"));
    }
    if (s.type == "RollingUpdate" && s.rollingUpdate) {
      const auto& ru = *s.rollingUpdate;
      ValidateIntOrPercent(ru.maxUnavailable, "spec.strategy.rollingUpdate.maxUnavailable", errors);
      ValidateIntOrPercent(ru.maxSurge, "spec.strategy.rollingUpdate.maxSurge", errors);
      if (IsZero(ru.maxUnavailable) && IsZero(ru.maxSurge)) {
        errors.push_back(InvalidRaw("spec.strategy.rollingUpdate.maxUnavailable",
                                    GoIntOrString(ru.maxUnavailable.value_or(IntOrString{})),
                                    "may not be 0 when `maxSurge` is 0"));
      }
    }
  }
  ValidateNonnegative(spec.minReadySeconds.value_or(0), "spec.minReadySeconds", errors);
  ValidateNonnegative(spec.revisionHistoryLimit.value_or(0), "spec.revisionHistoryLimit", errors);
  if (spec.progressDeadlineSeconds) {
    ValidateNonnegative(*spec.progressDeadlineSeconds, "spec.progressDeadlineSeconds", errors);
    if (*spec.progressDeadlineSeconds <= spec.minReadySeconds.value_or(0)) {
      errors.push_back(InvalidInt("spec.progressDeadlineSeconds", *spec.progressDeadlineSeconds,
                                  "must be greater than minReadySeconds"));
    }
  }
  if (old != nullptr) ValidateSelectorImmutable(spec.selector, old->spec.selector, errors);
}

void ValidateReplicaSet(const ReplicaSet& rs, const ReplicaSet* old, ErrorList& errors) {
  ValidateNonnegative(rs.spec.replicas.value_or(0), "spec.replicas", errors);
  ValidateNonnegative(rs.spec.minReadySeconds.value_or(0), "spec.minReadySeconds", errors);
  ValidateSelectorAndTemplate(rs.spec.selector, rs.spec.template_, "replicaset", errors);
  ValidateRestartAlways(rs.spec.template_, errors);
  if (old != nullptr) ValidateSelectorImmutable(rs.spec.selector, old->spec.selector, errors);
}

void ValidateStatefulSet(const StatefulSet& sts, const StatefulSet* old, ErrorList& errors) {
  const auto& spec = sts.spec;
  if (spec.podManagementPolicy != "OrderedReady" && spec.podManagementPolicy != "Parallel") {
    errors.push_back(NotSupported("spec.podManagementPolicy", spec.podManagementPolicy,
                                  {"OrderedReady", "Parallel"}));
  }
  if (spec.updateStrategy) {
    const auto& us = *spec.updateStrategy;
    if (us.type != "RollingUpdate" && us.type != "OnDelete") {
      errors.push_back(
          NotSupported("spec.updateStrategy.type", us.type, {"OnDelete", "RollingUpdate"}));
    }
    if (us.type == "OnDelete" && us.rollingUpdate) {
      errors.push_back(Invalid("spec.updateStrategy.rollingUpdate", "",
                               "only allowed for updateStrategy 'RollingUpdate'"));
    }
    if (us.rollingUpdate && us.rollingUpdate->partition) {
      ValidateNonnegative(*us.rollingUpdate->partition,
                          "spec.updateStrategy.rollingUpdate.partition", errors);
    }
  }
  ValidateNonnegative(spec.replicas.value_or(0), "spec.replicas", errors);
  ValidateNonnegative(spec.minReadySeconds.value_or(0), "spec.minReadySeconds", errors);
  ValidateSelectorAndTemplate(spec.selector, spec.template_, "statefulset", errors);
  if (spec.template_.spec.restartPolicy != "Always") {
    errors.push_back(NotSupported("spec.template.spec.restartPolicy",
                                  spec.template_.spec.restartPolicy, {"Always"}));
  }
  if (spec.template_.spec.activeDeadlineSeconds) {
    errors.push_back(Forbidden("spec.template.spec.activeDeadlineSeconds",
                               "activeDeadlineSeconds in StatefulSet is not Supported"));
  }
  if (old != nullptr) {
    // Only replicas, ordinals, template, updateStrategy, persistentVolumeClaimRetentionPolicy,
    // minReadySeconds and revisionHistoryLimit may change.
    StatefulSetSpec munged = spec;
    munged.replicas = old->spec.replicas;
    munged.ordinals = old->spec.ordinals;
    munged.template_ = old->spec.template_;
    munged.updateStrategy = old->spec.updateStrategy;
    munged.persistentVolumeClaimRetentionPolicy = old->spec.persistentVolumeClaimRetentionPolicy;
    munged.minReadySeconds = old->spec.minReadySeconds;
    munged.revisionHistoryLimit = old->spec.revisionHistoryLimit;
    if (!(munged == old->spec)) {
      errors.push_back(
          Forbidden("spec",
                    "updates to statefulset spec for fields other than 'replicas', 'ordinals', "
                    "'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and "
                    "'minReadySeconds' are forbidden"));
    }
  }
}

void ValidateDaemonSet(const DaemonSet& ds, const DaemonSet* old, ErrorList& errors) {
  const auto& spec = ds.spec;
  ValidateSelectorAndTemplate(spec.selector, spec.template_, "daemonset", errors);
  if (spec.template_.spec.restartPolicy != "Always") {
    errors.push_back(NotSupported("spec.template.spec.restartPolicy",
                                  spec.template_.spec.restartPolicy, {"Always"}));
  }
  if (spec.template_.spec.activeDeadlineSeconds) {
    errors.push_back(Forbidden("spec.template.spec.activeDeadlineSeconds",
                               "activeDeadlineSeconds in DaemonSet is not Supported"));
  }
  ValidateNonnegative(spec.minReadySeconds.value_or(0), "spec.minReadySeconds", errors);
  if (spec.updateStrategy) {
    const auto& us = *spec.updateStrategy;
    if (us.type != "RollingUpdate" && us.type != "OnDelete") {
      errors.push_back(
          NotSupported("spec.updateStrategy.type", us.type, {"OnDelete", "RollingUpdate"}));
    }
    if (us.type == "RollingUpdate" && us.rollingUpdate) {
      const auto& ru = *us.rollingUpdate;
      ValidateIntOrPercent(ru.maxUnavailable, "spec.updateStrategy.rollingUpdate.maxUnavailable",
                           errors);
      ValidateIntOrPercent(ru.maxSurge, "spec.updateStrategy.rollingUpdate.maxSurge", errors);
      if (IsZero(ru.maxUnavailable) && IsZero(ru.maxSurge)) {
        errors.push_back(InvalidRaw("spec.updateStrategy.rollingUpdate.maxUnavailable",
                                    GoIntOrString(ru.maxUnavailable.value_or(IntOrString{})),
                                    "may not be 0 when `maxSurge` is 0"));
      }
    }
  }
  if (old != nullptr) ValidateSelectorImmutable(spec.selector, old->spec.selector, errors);
}

void ValidateControllerRevision(const ControllerRevision& cr, const ControllerRevision* old,
                                ErrorList& errors) {
  ValidateNonnegative(cr.revision, "revision", errors);
  if (old != nullptr && !(cr.data == old->data)) {
    errors.push_back(Forbidden("data", "field is immutable"));
  }
}

void ValidateHorizontalPodAutoscaler(const HorizontalPodAutoscaler& hpa,
                                     const HorizontalPodAutoscaler* /*old*/, ErrorList& errors) {
  const auto& spec = hpa.spec;
  if (spec.minReplicas && *spec.minReplicas < 1) {
    errors.push_back(
        InvalidInt("spec.minReplicas", *spec.minReplicas, "must be greater than or equal to 1"));
  }
  if (spec.maxReplicas < 1) {
    errors.push_back(InvalidInt("spec.maxReplicas", spec.maxReplicas, "must be greater than 0"));
  }
  if (spec.minReplicas && spec.maxReplicas < *spec.minReplicas) {
    errors.push_back(InvalidInt("spec.maxReplicas", spec.maxReplicas,
                                "must be greater than or equal to `minReplicas`"));
  }
  if (spec.scaleTargetRef.kind.empty()) {
    errors.push_back(Required("spec.scaleTargetRef.kind"));
  }
  if (spec.scaleTargetRef.name.empty()) {
    errors.push_back(Required("spec.scaleTargetRef.name"));
  }
  if (spec.targetCPUUtilizationPercentage && *spec.targetCPUUtilizationPercentage < 1) {
    errors.push_back(InvalidInt("spec.targetCPUUtilizationPercentage",
                                *spec.targetCPUUtilizationPercentage,
                                "must be greater than or equal to 1"));
  }
}

namespace {

void ValidateJobSpec(const JobSpec& spec, const std::string& path, bool check_selector,
                     ErrorList& errors) {
  ValidateNonnegative(spec.parallelism.value_or(0), path + ".parallelism", errors);
  ValidateNonnegative(spec.completions.value_or(0), path + ".completions", errors);
  ValidateNonnegative(spec.backoffLimit.value_or(0), path + ".backoffLimit", errors);
  if (spec.activeDeadlineSeconds) {
    ValidateNonnegative(*spec.activeDeadlineSeconds, path + ".activeDeadlineSeconds", errors);
  }
  if (spec.ttlSecondsAfterFinished) {
    ValidateNonnegative(*spec.ttlSecondsAfterFinished, path + ".ttlSecondsAfterFinished", errors);
  }
  if (spec.completionMode != "NonIndexed" && spec.completionMode != "Indexed" &&
      !spec.completionMode.empty()) {
    errors.push_back(
        NotSupported(path + ".completionMode", spec.completionMode, {"NonIndexed", "Indexed"}));
  }
  if (spec.completionMode == "Indexed" && !spec.completions) {
    errors.push_back(Required(path + ".completions", "when completion mode is Indexed"));
  }
  if (check_selector) {
    if (!spec.selector) {
      errors.push_back(Required(path + ".selector"));
    } else {
      ValidateLabelSelector(*spec.selector, path + ".selector", errors);
      auto sel = Selector::FromLabelSelector(*spec.selector);
      if (sel.IsOk() && !sel.value().Matches(spec.template_.metadata.labels)) {
        errors.push_back(InvalidRaw(path + ".template.metadata.labels",
                                    GoMapString(spec.template_.metadata.labels),
                                    "`selector` does not match template `labels`"));
      }
    }
  }
  ValidatePodTemplateSpecAt(spec.template_, path + ".template", errors);
  const std::string& rp = spec.template_.spec.restartPolicy;
  if (rp != "OnFailure" && rp != "Never") {
    errors.push_back(
        NotSupported(path + ".template.spec.restartPolicy", rp, {"OnFailure", "Never"}));
  }
}

}  // namespace

void ValidateJob(const Job& job, const Job* old, ErrorList& errors) {
  ValidateJobSpec(job.spec, "spec", true, errors);
  if (!job.spec.manualSelector.value_or(false) && job.spec.selector) {
    // The generated selector selects on the controller uid only.
    for (const auto& [k, v] : job.spec.selector->matchLabels) {
      if (k != "batch.kubernetes.io/controller-uid" && k != "controller-uid") {
        errors.push_back(InvalidRaw("spec.selector", GoLabelSelector(*job.spec.selector),
                                    "`selector` not auto-generated"));
        break;
      }
    }
  }
  if (old == nullptr) return;
  if (!(job.spec.selector == old->spec.selector)) {
    errors.push_back(
        Immutable("spec.selector", GoLabelSelector(job.spec.selector.value_or(LabelSelector{}))));
  }
  if (job.spec.completionMode != old->spec.completionMode) {
    errors.push_back(Invalid("spec.completionMode", job.spec.completionMode, "field is immutable"));
  }
  if (job.spec.completions != old->spec.completions && job.spec.completionMode != "Indexed") {
    errors.push_back(
        InvalidInt("spec.completions", job.spec.completions.value_or(0), "field is immutable"));
  }
  // The template may change only while the job is suspended (for scheduling directives).
  if (!(job.spec.template_ == old->spec.template_) && !old->spec.suspend.value_or(false)) {
    errors.push_back(
        InvalidRaw("spec.template", "core.PodTemplateSpec{...}", "field is immutable"));
  }
}

std::string CronScheduleError(const std::string& schedule) {
  // robfig/cron's standard parser (5 fields, or a descriptor such as @hourly).
  if (schedule.empty()) return "empty spec string";
  if (schedule[0] == '@') {
    static const std::vector<std::string> kDescriptors = {
        "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"};
    if (std::find(kDescriptors.begin(), kDescriptors.end(), schedule) != kDescriptors.end() ||
        schedule.starts_with("@every ")) {
      return "";
    }
    return "unrecognized descriptor: " + schedule;
  }
  std::vector<std::string> fields;
  std::istringstream in(schedule);
  for (std::string f; in >> f;) fields.push_back(f);
  if (fields.size() != 5) {
    std::string list;
    for (size_t i = 0; i < fields.size(); ++i) list += (i > 0 ? " " : "") + fields[i];
    return fmt::format("expected exactly 5 fields, found {}: [{}]", fields.size(), list);
  }
  struct Bounds {
    int min, max;
    std::vector<std::string> names;  // name for min+i
  };
  const Bounds bounds[5] = {
      {0, 59, {}},
      {0, 23, {}},
      {1, 31, {}},
      {1, 12, {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
      {0, 6, {"sun", "mon", "tue", "wed", "thu", "fri", "sat"}}};
  auto parse_int = [](const std::string& s, const Bounds& b, int& out) -> std::string {
    std::string lower;
    for (char c : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (size_t i = 0; i < b.names.size(); ++i) {
      if (lower == b.names[i]) {
        out = b.min + static_cast<int>(i);
        return "";
      }
    }
    if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) {
      return fmt::format(
          "failed to parse int from {}: strconv.Atoi: parsing \"{}\": invalid "
          "syntax",
          s, s);
    }
    out = std::stoi(s);
    return "";
  };
  for (size_t fi = 0; fi < 5; ++fi) {
    const Bounds& b = bounds[fi];
    std::istringstream parts(fields[fi]);
    for (std::string expr; std::getline(parts, expr, ',');) {
      std::string range = expr;
      std::string step;
      if (auto slash = expr.find('/'); slash != std::string::npos) {
        range = expr.substr(0, slash);
        step = expr.substr(slash + 1);
      }
      int lo = b.min;
      int hi = b.max;
      if (range != "*" && range != "?") {
        auto dash = range.find('-');
        std::string err = parse_int(range.substr(0, dash), b, lo);
        if (!err.empty()) return err;
        hi = lo;
        if (dash != std::string::npos) {
          err = parse_int(range.substr(dash + 1), b, hi);
          if (!err.empty()) return err;
        }
      }
      if (!step.empty()) {
        int s = 0;
        std::string err = parse_int(step, Bounds{0, 0, {}}, s);
        if (!err.empty()) return err;
        if (s == 0) return "step of range should be a positive number: " + expr;
      }
      if (lo < b.min)
        return fmt::format("beginning of range ({}) below minimum ({}): {}", lo, b.min, expr);
      if (hi > b.max)
        return fmt::format("end of range ({}) above maximum ({}): {}", hi, b.max, expr);
      if (lo > hi)
        return fmt::format("beginning of range ({}) beyond end of range ({}): {}", lo, hi, expr);
    }
  }
  return "";
}

void ValidateCronJob(const CronJob& cj, const CronJob* /*old*/, ErrorList& errors) {
  if (cj.metadata.name.size() > 52) {
    errors.push_back(
        Invalid("metadata.name", cj.metadata.name, "must be no more than 52 characters"));
  }
  const auto& spec = cj.spec;
  if (spec.schedule.empty()) {
    errors.push_back(Required("spec.schedule"));
  } else if (spec.schedule.find("TZ=") != std::string::npos) {
    errors.push_back(Invalid("spec.schedule", spec.schedule,
                             "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"));
  } else if (std::string err = CronScheduleError(spec.schedule); !err.empty()) {
    errors.push_back(Invalid("spec.schedule", spec.schedule, err));
  }
  if (spec.concurrencyPolicy != "Allow" && spec.concurrencyPolicy != "Forbid" &&
      spec.concurrencyPolicy != "Replace") {
    if (spec.concurrencyPolicy.empty()) {
      errors.push_back(Required("spec.concurrencyPolicy"));
    } else {
      errors.push_back(NotSupported("spec.concurrencyPolicy", spec.concurrencyPolicy,
                                    {"Allow", "Forbid", "Replace"}));
    }
  }
  if (spec.startingDeadlineSeconds) {
    ValidateNonnegative(*spec.startingDeadlineSeconds, "spec.startingDeadlineSeconds", errors);
  }
  ValidateNonnegative(spec.successfulJobsHistoryLimit.value_or(0),
                      "spec.successfulJobsHistoryLimit", errors);
  ValidateNonnegative(spec.failedJobsHistoryLimit.value_or(0), "spec.failedJobsHistoryLimit",
                      errors);
  ValidateJobSpec(spec.jobTemplate.spec, "spec.jobTemplate.spec", false, errors);
}

}  // namespace kubepp::api::validation
