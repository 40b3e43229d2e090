#include "controller/daemonset/daemonset_logic.h"

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <cmath>

#include "api/codec.h"
#include "controller/history/history.h"
#include "controller/node/node_lifecycle.h"

namespace kubepp::controller::daemonset {

namespace {

std::optional<int64_t> ParseInt(std::string_view s) {
  int64_t v = 0;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc() || ptr != end || s.empty()) return std::nullopt;
  return v;
}

bool Contains(const std::vector<std::string>& values, const std::string& v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

bool FieldRequirementMatches(const api::NodeSelectorRequirement& req, const api::Node& node) {
  if (req.key != kObjectNameField) return false;
  if (req.operator_ == "In") return Contains(req.values, node.metadata.name);
  if (req.operator_ == "NotIn") return !Contains(req.values, node.metadata.name);
  return false;
}

bool PodTerminal(const api::Pod& pod) {
  return pod.status.phase == "Succeeded" || pod.status.phase == "Failed";
}

// Adds `tol` unless an equal one is there; replaces one with the same key, operator, value and
// effect (upstream's AddOrUpdateTolerationInPodSpec).
void AddOrUpdateToleration(std::vector<api::Toleration>& tolerations, const api::Toleration& tol) {
  bool updated = false;
  std::vector<api::Toleration> out;
  out.reserve(tolerations.size() + 1);
  for (const auto& old : tolerations) {
    const bool same = old.key == tol.key && old.operator_ == tol.operator_ &&
                      old.value == tol.value && old.effect == tol.effect;
    if (same) {
      if (old == tol) return;
      out.push_back(tol);
      updated = true;
      continue;
    }
    out.push_back(old);
  }
  if (!updated) out.push_back(tol);
  tolerations = std::move(out);
}

api::Toleration ExistsToleration(const char* key, const char* effect) {
  api::Toleration t;
  t.key = key;
  t.operator_ = "Exists";
  t.effect = effect;
  return t;
}

// upstream's findUpdatedPodsOnNode: at most one new and one old live pod, else !ok.
struct UpdatedPods {
  const api::Pod* new_pod = nullptr;  // runs the current template
  const api::Pod* old_pod = nullptr;  // runs an older one
  bool ok = true;                     // false: more than one of a kind (manage cleans up)
};
UpdatedPods FindUpdatedPodsOnNode(const std::vector<const api::Pod*>& pods, const std::string& hash,
                                  std::optional<int64_t> generation) {
  UpdatedPods out;
  for (const auto* pod : pods) {
    if (!pod->metadata.deletionTimestamp.empty()) continue;
    if (IsPodUpdated(*pod, hash, generation)) {
      if (out.new_pod != nullptr) return {nullptr, nullptr, false};
      out.new_pod = pod;
    } else {
      if (out.old_pod != nullptr) return {nullptr, nullptr, false};
      out.old_pod = pod;
    }
  }
  return out;
}

bool Available(const api::Pod& pod, const api::DaemonSet& ds, Clock::WallTime now) {
  return replicaset::IsPodAvailable(pod, ds.spec.minReadySeconds.value_or(0), now);
}

}  // namespace

// ---- node selection

bool NodeSelectorRequirementMatches(const api::NodeSelectorRequirement& req,
                                    const std::map<std::string, std::string>& labels) {
  auto it = labels.find(req.key);
  const bool has = it != labels.end();
  if (req.operator_ == "In") return has && Contains(req.values, it->second);
  if (req.operator_ == "NotIn") return !has || !Contains(req.values, it->second);
  if (req.operator_ == "Exists") return has;
  if (req.operator_ == "DoesNotExist") return !has;
  if (req.operator_ == "Gt" || req.operator_ == "Lt") {
    if (!has || req.values.size() != 1) return false;
    auto label = ParseInt(it->second);
    auto bound = ParseInt(req.values[0]);
    if (!label || !bound) return false;
    return req.operator_ == "Gt" ? *label > *bound : *label < *bound;
  }
  return false;
}

bool NodeSelectorTermMatches(const api::NodeSelectorTerm& term, const api::Node& node) {
  if (term.matchExpressions.empty() && term.matchFields.empty()) return false;
  for (const auto& req : term.matchExpressions) {
    if (!NodeSelectorRequirementMatches(req, node.metadata.labels)) return false;
  }
  for (const auto& req : term.matchFields) {
    if (!FieldRequirementMatches(req, node)) return false;
  }
  return true;
}

bool NodeSelectorMatches(const api::NodeSelector& selector, const api::Node& node) {
  return std::any_of(
      selector.nodeSelectorTerms.begin(), selector.nodeSelectorTerms.end(),
      [&](const api::NodeSelectorTerm& term) { return NodeSelectorTermMatches(term, node); });
}

bool RequiredNodeAffinityMatches(const api::PodSpec& spec, const api::Node& node) {
  for (const auto& [key, value] : spec.nodeSelector) {
    auto it = node.metadata.labels.find(key);
    if (it == node.metadata.labels.end() || it->second != value) return false;
  }
  if (spec.affinity && spec.affinity->nodeAffinity &&
      spec.affinity->nodeAffinity->requiredDuringSchedulingIgnoredDuringExecution) {
    return NodeSelectorMatches(
        *spec.affinity->nodeAffinity->requiredDuringSchedulingIgnoredDuringExecution, node);
  }
  return true;
}

bool ToleratesTaint(const api::Toleration& toleration, const api::Taint& taint) {
  return node::ToleratesTaint(toleration, taint);
}

void AddDaemonPodTolerations(api::PodSpec& spec) {
  AddOrUpdateToleration(spec.tolerations,
                        ExistsToleration(node::kTaintNotReady, node::kEffectNoExecute));
  AddOrUpdateToleration(spec.tolerations,
                        ExistsToleration(node::kTaintUnreachable, node::kEffectNoExecute));
  AddOrUpdateToleration(spec.tolerations,
                        ExistsToleration(node::kTaintDiskPressure, node::kEffectNoSchedule));
  AddOrUpdateToleration(spec.tolerations,
                        ExistsToleration(node::kTaintMemoryPressure, node::kEffectNoSchedule));
  AddOrUpdateToleration(spec.tolerations,
                        ExistsToleration(node::kTaintPidPressure, node::kEffectNoSchedule));
  AddOrUpdateToleration(spec.tolerations,
                        ExistsToleration(node::kTaintUnschedulable, node::kEffectNoSchedule));
  if (spec.hostNetwork.value_or(false)) {
    AddOrUpdateToleration(spec.tolerations, ExistsToleration(node::kTaintNetworkUnavailable,
                                                             node::kEffectNoSchedule));
  }
}

ShouldRun NodeShouldRunDaemonPod(const api::Node& node, const api::DaemonSet& ds) {
  const auto& tmpl_spec = ds.spec.template_.spec;
  // A template naming another node never runs here.
  if (!tmpl_spec.nodeName.empty() && tmpl_spec.nodeName != node.metadata.name) return {};
  api::PodSpec spec = tmpl_spec;
  AddDaemonPodTolerations(spec);
  if (!RequiredNodeAffinityMatches(spec, node)) return {};
  auto untolerated = FindUntoleratedTaint(node.spec.taints, spec.tolerations, [](const auto& t) {
    return t.effect == node::kEffectNoExecute || t.effect == node::kEffectNoSchedule;
  });
  if (untolerated) {
    // A pod already there may stay unless a NoExecute taint would evict it.
    auto no_execute = FindUntoleratedTaint(node.spec.taints, spec.tolerations, [](const auto& t) {
      return t.effect == node::kEffectNoExecute;
    });
    return {false, !no_execute.has_value()};
  }
  return {true, true};
}

// ---- pods

api::Affinity ReplaceNodeNameAffinity(const std::optional<api::Affinity>& affinity,
                                      const std::string& node_name) {
  api::NodeSelectorRequirement req;
  req.key = kObjectNameField;
  req.operator_ = "In";
  req.values = {node_name};
  api::NodeSelectorTerm term;
  term.matchFields = {req};
  api::Affinity out = affinity.value_or(api::Affinity{});
  if (!out.nodeAffinity) out.nodeAffinity = api::NodeAffinity{};
  api::NodeSelector selector;
  selector.nodeSelectorTerms = {term};
  out.nodeAffinity->requiredDuringSchedulingIgnoredDuringExecution = std::move(selector);
  return out;
}

std::optional<std::string> TargetNodeName(const api::Pod& pod) {
  if (!pod.spec.nodeName.empty()) return pod.spec.nodeName;
  const auto& aff = pod.spec.affinity;
  if (!aff || !aff->nodeAffinity ||
      !aff->nodeAffinity->requiredDuringSchedulingIgnoredDuringExecution) {
    return std::nullopt;
  }
  for (const auto& term :
       aff->nodeAffinity->requiredDuringSchedulingIgnoredDuringExecution->nodeSelectorTerms) {
    for (const auto& req : term.matchFields) {
      if (req.key == kObjectNameField && req.operator_ == "In") {
        if (req.values.size() != 1) return std::nullopt;
        return req.values[0];
      }
    }
  }
  return std::nullopt;
}

std::optional<int64_t> TemplateGeneration(const api::DaemonSet& ds) {
  auto it = ds.metadata.annotations.find(kTemplateGenerationAnnotation);
  if (it == ds.metadata.annotations.end()) return std::nullopt;
  return ParseInt(it->second);
}

api::OwnerReference ControllerRefFor(const api::DaemonSet& ds) {
  api::OwnerReference ref;
  ref.apiVersion = "apps/v1";
  ref.kind = "DaemonSet";
  ref.name = ds.metadata.name;
  ref.uid = ds.metadata.uid;
  ref.controller = true;
  ref.blockOwnerDeletion = true;
  return ref;
}

api::PodTemplateSpec DaemonPodTemplate(const api::DaemonSet& ds, std::optional<int64_t> generation,
                                       const std::string& hash) {
  api::PodTemplateSpec tmpl = ds.spec.template_;
  AddDaemonPodTolerations(tmpl.spec);
  if (generation) tmpl.metadata.labels[kPodTemplateGenerationLabel] = std::to_string(*generation);
  if (!hash.empty()) tmpl.metadata.labels[kControllerRevisionHashLabel] = hash;
  return tmpl;
}

api::Pod NewDaemonPod(const api::DaemonSet& ds, const api::PodTemplateSpec& tmpl,
                      const std::string& node_name) {
  api::Pod pod;
  pod.metadata.namespace_ = ds.metadata.namespace_;
  pod.metadata.generateName = ds.metadata.name + "-";
  pod.metadata.labels = tmpl.metadata.labels;
  pod.metadata.annotations = tmpl.metadata.annotations;
  pod.metadata.finalizers = tmpl.metadata.finalizers;
  pod.metadata.ownerReferences.push_back(ControllerRefFor(ds));
  pod.spec = tmpl.spec;
  pod.spec.affinity = ReplaceNodeNameAffinity(pod.spec.affinity, node_name);
  return pod;
}

bool IsPodUpdated(const api::Pod& pod, const std::string& hash, std::optional<int64_t> generation) {
  const auto& labels = pod.metadata.labels;
  if (generation) {
    auto it = labels.find(kPodTemplateGenerationLabel);
    if (it != labels.end() && it->second == std::to_string(*generation)) return true;
  }
  if (hash.empty()) return false;
  auto it = labels.find(kControllerRevisionHashLabel);
  return it != labels.end() && it->second == hash;
}

bool PodBefore(const api::Pod* a, const api::Pod* b) {
  const bool sa = !a->spec.nodeName.empty();
  const bool sb = !b->spec.nodeName.empty();
  if (sa != sb) return sa;
  auto ta = replicaset::ParseTime(a->metadata.creationTimestamp);
  auto tb = replicaset::ParseTime(b->metadata.creationTimestamp);
  if (ta != tb) {
    if (!ta || !tb) return ta.has_value() < tb.has_value();
    return *ta < *tb;
  }
  return a->metadata.name < b->metadata.name;
}

replicaset::ClaimAction DecideClaim(const api::DaemonSet& ds, const api::Selector& selector,
                                    const api::ObjectMeta& object) {
  using replicaset::ClaimAction;
  const bool ds_deleting = !ds.metadata.deletionTimestamp.empty();
  const bool matches = selector.Matches(object.labels);
  if (const auto* ref = replicaset::GetControllerOf(object); ref != nullptr) {
    if (ref->uid != ds.metadata.uid) return ClaimAction::kIgnore;
    if (matches) return ClaimAction::kKeep;
    if (ds_deleting) return ClaimAction::kIgnore;
    return ClaimAction::kRelease;
  }
  if (ds_deleting || !matches || !object.deletionTimestamp.empty()) return ClaimAction::kIgnore;
  if (object.namespace_ != ds.metadata.namespace_) return ClaimAction::kIgnore;
  return ClaimAction::kAdopt;
}

NodeToPods GroupPodsByNode(const std::vector<const api::Pod*>& pods,
                           bool include_deleted_terminal) {
  NodeToPods out;
  for (const auto* pod : pods) {
    if (!include_deleted_terminal && PodTerminal(*pod) &&
        !pod->metadata.deletionTimestamp.empty()) {
      continue;
    }
    auto node = TargetNodeName(*pod);
    if (!node) continue;
    out[*node].push_back(pod);
  }
  return out;
}

// ---- failed pods back-off

std::string FailedPodsBackoff::Key(const api::DaemonSet& ds, const std::string& node_name) {
  return ds.metadata.uid + "/" + std::to_string(ds.status.observedGeneration.value_or(0)) + "/" +
         node_name;
}

bool FailedPodsBackoff::IsInBackOffSinceUpdate(const std::string& key, Clock::TimePoint now) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  if (now - it->second.last_update > 2 * max_) return false;  // expired
  return now - it->second.last_update < it->second.backoff;
}

void FailedPodsBackoff::Next(const std::string& key, Clock::TimePoint now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end() || now - it->second.last_update > 2 * max_) {
    entries_[key] = Entry{initial_, now};
    return;
  }
  it->second.backoff = std::min(it->second.backoff * 2, max_);
  it->second.last_update = now;
}

Clock::Duration FailedPodsBackoff::Get(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(key);
  return it == entries_.end() ? Clock::Duration{} : it->second.backoff;
}

void FailedPodsBackoff::GC(Clock::TimePoint now) {
  std::lock_guard<std::mutex> lock(mu_);
  std::erase_if(entries_, [&](const auto& kv) { return now - kv.second.last_update > 2 * max_; });
}

// ---- manage

ManagePlan PlanManage(const api::DaemonSet& ds, const std::vector<const api::Node*>& nodes,
                      const NodeToPods& node_to_pods, const std::string& hash,
                      FailedPodsBackoff& backoff, Clock::TimePoint now, Clock::WallTime wall_now) {
  ManagePlan plan;
  const bool surge = AllowsSurge(ds);
  std::set<std::string> node_names;
  for (const auto* node : nodes) {
    const std::string& name = node->metadata.name;
    node_names.insert(name);
    const ShouldRun sr = NodeShouldRunDaemonPod(*node, ds);
    auto it = node_to_pods.find(name);
    const bool exists = it != node_to_pods.end() && !it->second.empty();
    if (sr.should_run && !exists) {
      plan.nodes_needing_pods.push_back(name);
      continue;
    }
    if (!exists) continue;
    const auto& daemon_pods = it->second;
    if (!sr.should_continue_running) {
      for (const auto* pod : daemon_pods) {
        if (pod->metadata.deletionTimestamp.empty()) plan.pods_to_delete.push_back(pod);
      }
      continue;
    }
    std::vector<const api::Pod*> running;
    for (const auto* pod : daemon_pods) {
      if (!pod->metadata.deletionTimestamp.empty()) continue;
      if (pod->status.phase == "Failed") {
        const std::string key = FailedPodsBackoff::Key(ds, name);
        if (backoff.IsInBackOffSinceUpdate(key, now)) {
          Clock::Duration delay = backoff.Get(key);
          if (!plan.requeue_after || delay < *plan.requeue_after) plan.requeue_after = delay;
          continue;
        }
        backoff.Next(key, now);
        plan.failed_pods.push_back(pod);
        plan.pods_to_delete.push_back(pod);
      } else if (pod->status.phase == "Succeeded") {
        // A daemon pod may end Succeeded when its node shuts down gracefully: replace it.
        plan.pods_to_delete.push_back(pod);
      } else {
        running.push_back(pod);
      }
    }
    if (!surge) {
      // More than one running pod: keep the oldest.
      if (running.size() <= 1) continue;
      std::sort(running.begin(), running.end(), PodBefore);
      for (size_t i = 1; i < running.size(); ++i) plan.pods_to_delete.push_back(running[i]);
      continue;
    }
    if (running.size() <= 1) {
      if (running.empty() && sr.should_run) plan.nodes_needing_pods.push_back(name);
      continue;
    }
    // Surging: keep the oldest new pod and the oldest old pod while the new one is not yet
    // available and the old one is ready; everything else goes.
    const auto generation = TemplateGeneration(ds);
    std::sort(running.begin(), running.end(), PodBefore);
    const api::Pod* oldest_new = nullptr;
    const api::Pod* oldest_old = nullptr;
    for (const auto* pod : running) {
      if (IsPodUpdated(*pod, hash, generation)) {
        if (oldest_new == nullptr) {
          oldest_new = pod;
          continue;
        }
      } else if (oldest_old == nullptr) {
        oldest_old = pod;
        continue;
      }
      plan.pods_to_delete.push_back(pod);
    }
    if (oldest_new != nullptr && oldest_old != nullptr) {
      if (!replicaset::IsPodReady(*oldest_old) || Available(*oldest_new, ds, wall_now)) {
        plan.pods_to_delete.push_back(oldest_old);
      }
    }
  }
  // Pods for nodes that are gone and were never bound (bound ones are pod GC's).
  for (const auto& [node, pods] : node_to_pods) {
    if (node_names.contains(node)) continue;
    for (const auto* pod : pods) {
      if (pod->spec.nodeName.empty()) plan.pods_to_delete.push_back(pod);
    }
  }
  return plan;
}

// ---- rolling update

Result<int32_t> ScaledValue(const api::IntOrString& v, int32_t total, bool round_up) {
  if (!v.is_string) return v.int_value;
  const std::string& s = v.str_value;
  if (s.empty() || s.back() != '%') {
    return Status::Invalid("invalid type: string is not a percentage: " + s);
  }
  auto pct = ParseInt(std::string_view(s).substr(0, s.size() - 1));
  if (!pct) return Status::Invalid("invalid value for IntOrString: invalid value \"" + s + "\"");
  const double scaled = static_cast<double>(*pct) * total / 100.0;
  return static_cast<int32_t>(round_up ? std::ceil(scaled) : std::floor(scaled));
}

namespace {
const api::RollingUpdateDaemonSet* RollingUpdateOf(const api::DaemonSet& ds) {
  const auto& us = ds.spec.updateStrategy;
  // The API server defaults an absent strategy to RollingUpdate.
  if (us && us->type != "RollingUpdate" && !us->type.empty()) return nullptr;
  if (!us || !us->rollingUpdate) return nullptr;
  return &*us->rollingUpdate;
}
}  // namespace

Result<int32_t> SurgeCount(const api::DaemonSet& ds, int32_t desired) {
  const auto* ru = RollingUpdateOf(ds);
  if (ru == nullptr || !ru->maxSurge) return 0;
  return ScaledValue(*ru->maxSurge, desired, true);
}

Result<int32_t> UnavailableCount(const api::DaemonSet& ds, int32_t desired) {
  const auto* ru = RollingUpdateOf(ds);
  if (ru == nullptr) return 0;
  return ScaledValue(ru->maxUnavailable.value_or(api::IntOrString::FromInt(1)), desired, true);
}

bool AllowsSurge(const api::DaemonSet& ds) {
  auto surge = SurgeCount(ds, 1);
  return surge.IsOk() && *surge != 0;
}

Result<RollingPlan> PlanRollingUpdate(const api::DaemonSet& ds,
                                      const std::vector<const api::Node*>& nodes,
                                      const NodeToPods& node_to_pods, const std::string& hash,
                                      Clock::WallTime wall_now) {
  // upstream's updatedDesiredNodeCounts: nodes that should run a pod and have none count too.
  NodeToPods all = node_to_pods;
  std::map<std::string, const api::Node*> by_name;
  int32_t desired = 0;
  for (const auto* node : nodes) {
    by_name[node->metadata.name] = node;
    if (!NodeShouldRunDaemonPod(*node, ds).should_run) continue;
    ++desired;
    all.try_emplace(node->metadata.name);
  }
  KUBEPP_ASSIGN_OR_RETURN(int32_t max_unavailable, UnavailableCount(ds, desired));
  KUBEPP_ASSIGN_OR_RETURN(int32_t max_surge, SurgeCount(ds, desired));
  if (desired > 0 && max_unavailable == 0 && max_surge == 0) max_unavailable = 1;
  const auto generation = TemplateGeneration(ds);

  RollingPlan plan;
  if (max_surge == 0) {
    int32_t num_unavailable = 0;
    std::vector<const api::Pod*> replacements;  // unavailable old pods: always replaced
    std::vector<const api::Pod*> candidates;    // available old pods
    for (const auto& [node, pods] : all) {
      UpdatedPods up = FindUpdatedPodsOnNode(pods, hash, generation);
      if (!up.ok) {
        ++num_unavailable;  // manage cleans the node up
        continue;
      }
      if ((up.old_pod == nullptr) == (up.new_pod == nullptr)) {
        ++num_unavailable;  // nothing yet, or both: manage acts
      } else if (up.new_pod != nullptr) {
        if (!Available(*up.new_pod, ds, wall_now)) ++num_unavailable;
      } else if (!Available(*up.old_pod, ds, wall_now)) {
        replacements.push_back(up.old_pod);
        ++num_unavailable;
      } else if (num_unavailable < max_unavailable) {
        candidates.push_back(up.old_pod);
      }
    }
    int32_t remaining = std::max(0, max_unavailable - num_unavailable);
    remaining = std::min(remaining, static_cast<int32_t>(candidates.size()));
    plan.pods_to_delete = std::move(replacements);
    plan.pods_to_delete.insert(plan.pods_to_delete.end(), candidates.begin(),
                               candidates.begin() + remaining);
    return plan;
  }

  int32_t num_surge = 0;
  std::vector<std::string> allowed_new;  // nodes whose old pod is unavailable
  std::vector<std::string> candidate_new;
  for (const auto& [node, pods] : all) {
    UpdatedPods up = FindUpdatedPodsOnNode(pods, hash, generation);
    if (!up.ok) {
      ++num_surge;
      continue;
    }
    if (up.old_pod == nullptr) continue;  // manage handles it
    if (up.new_pod == nullptr) {
      if (!Available(*up.old_pod, ds, wall_now)) {
        auto n = by_name.find(node);
        if (n == by_name.end()) {
          return Status::NotFound("couldn't get node for nodeName \"" + node + "\"");
        }
        if (!NodeShouldRunDaemonPod(*n->second, ds).should_run) {
          plan.pods_to_delete.push_back(up.old_pod);
          continue;
        }
        allowed_new.push_back(node);
      } else if (num_surge < max_surge) {
        candidate_new.push_back(node);
      }
      continue;
    }
    // Already surged here: wait for the new pod, then remove the old one.
    if (!Available(*up.new_pod, ds, wall_now)) {
      ++num_surge;
      continue;
    }
    plan.pods_to_delete.push_back(up.old_pod);
  }
  int32_t remaining = std::max(0, max_surge - num_surge);
  remaining = std::min(remaining, static_cast<int32_t>(candidate_new.size()));
  plan.nodes_to_create = std::move(allowed_new);
  plan.nodes_to_create.insert(plan.nodes_to_create.end(), candidate_new.begin(),
                              candidate_new.begin() + remaining);
  return plan;
}

// ---- status

api::DaemonSetStatus CalculateStatus(const api::DaemonSet& ds,
                                     const std::vector<const api::Node*>& nodes,
                                     const NodeToPods& node_to_pods, const std::string& hash,
                                     Clock::WallTime wall_now) {
  api::DaemonSetStatus st = ds.status;
  int32_t desired = 0;
  int32_t current = 0;
  int32_t misscheduled = 0;
  int32_t ready = 0;
  int32_t available = 0;
  int32_t updated = 0;
  const auto generation = TemplateGeneration(ds);
  for (const auto* node : nodes) {
    const bool should_run = NodeShouldRunDaemonPod(*node, ds).should_run;
    auto it = node_to_pods.find(node->metadata.name);
    const bool scheduled = it != node_to_pods.end() && !it->second.empty();
    if (!should_run) {
      if (scheduled) ++misscheduled;
      continue;
    }
    ++desired;
    if (!scheduled) continue;
    ++current;
    std::vector<const api::Pod*> pods = it->second;
    std::sort(pods.begin(), pods.end(), PodBefore);
    const api::Pod& pod = *pods.front();
    if (replicaset::IsPodReady(pod)) {
      ++ready;
      if (Available(pod, ds, wall_now)) ++available;
    }
    if (IsPodUpdated(pod, hash, generation)) ++updated;
  }
  st.desiredNumberScheduled = desired;
  st.currentNumberScheduled = current;
  st.numberMisscheduled = misscheduled;
  st.numberReady = ready;
  st.numberAvailable = available;
  st.numberUnavailable = desired - available;
  st.updatedNumberScheduled = updated;
  return st;
}

bool StatusNeedsUpdate(const api::DaemonSet& ds, const api::DaemonSetStatus& status) {
  const auto& cur = ds.status;
  const bool same =
      cur.desiredNumberScheduled == status.desiredNumberScheduled &&
      cur.currentNumberScheduled == status.currentNumberScheduled &&
      cur.numberMisscheduled == status.numberMisscheduled &&
      cur.numberReady == status.numberReady &&
      cur.updatedNumberScheduled.value_or(0) == status.updatedNumberScheduled.value_or(0) &&
      cur.numberAvailable.value_or(0) == status.numberAvailable.value_or(0) &&
      cur.numberUnavailable.value_or(0) == status.numberUnavailable.value_or(0) &&
      cur.collisionCount == status.collisionCount &&
      cur.observedGeneration.value_or(0) >= ds.metadata.generation;
  return !same;
}

// ---- history

boost::json::value RevisionData(const api::DaemonSet& ds) {
  boost::json::value tmpl = api::ToJson(ds.spec.template_);
  if (!tmpl.is_object()) tmpl = boost::json::object{};
  tmpl.as_object()["$patch"] = "replace";
  boost::json::object spec;
  spec["template"] = std::move(tmpl);
  boost::json::object patch;
  patch["spec"] = std::move(spec);
  return patch;
}

bool RevisionMatches(const api::DaemonSet& ds, const api::ControllerRevision& rev) {
  api::ControllerRevision want;
  want.data = RevisionData(ds);
  return history::CanonicalDataJson(want) == history::CanonicalDataJson(rev);
}

api::ControllerRevision NewRevision(const api::DaemonSet& ds, int64_t revision) {
  api::ControllerRevision rev;
  rev.metadata.namespace_ = ds.metadata.namespace_;
  rev.data = RevisionData(ds);
  rev.revision = revision;
  const std::string hash = history::HashControllerRevision(rev, ds.status.collisionCount);
  rev.metadata.name = history::ControllerRevisionName(ds.metadata.name, hash);
  rev.metadata.labels = ds.spec.template_.metadata.labels;
  rev.metadata.labels[kControllerRevisionHashLabel] = hash;
  rev.metadata.annotations = ds.metadata.annotations;
  rev.metadata.ownerReferences = {ControllerRefFor(ds)};
  return rev;
}

std::vector<const api::ControllerRevision*> RevisionsToDelete(
    const api::DaemonSet& ds, std::vector<const api::ControllerRevision*> old,
    const std::set<std::string>& live_hashes) {
  std::vector<const api::ControllerRevision*> out;
  const int64_t keep = ds.spec.revisionHistoryLimit.value_or(10);
  int64_t to_kill = static_cast<int64_t>(old.size()) - keep;
  if (to_kill <= 0) return out;
  std::sort(old.begin(), old.end(), [](const auto* a, const auto* b) {
    if (a->revision != b->revision) return a->revision < b->revision;
    return a->metadata.name < b->metadata.name;
  });
  for (const auto* rev : old) {
    if (to_kill <= 0) break;
    auto it = rev->metadata.labels.find(kControllerRevisionHashLabel);
    if (it != rev->metadata.labels.end() && live_hashes.contains(it->second)) continue;
    out.push_back(rev);
    --to_kill;
  }
  return out;
}

}  // namespace kubepp::controller::daemonset
