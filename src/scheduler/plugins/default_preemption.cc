// DefaultPreemption: the PostFilter that makes room for a pod by preempting lower-priority pods
// (upstream's plugins/defaultpreemption and framework/preemption Evaluator, v1.32).
//
// PostFilter runs on the scheduling thread: it checks the pod may preempt, dry-runs preemption on
// the nodes Filter found Unschedulable (on copies of the NodeInfo and CycleState, through the
// handle's runners), picks the best candidate, preempts its victims through
// Handle::Preemption() and nominates the node.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "base/rfc3339.h"
#include "scheduler/framework/schedule_one.h"
#include "scheduler/plugins/plugins.h"

namespace kubepp::scheduler::plugins {
namespace {

constexpr std::string_view kNotHelpful = "Preemption is not helpful for scheduling";
constexpr std::string_view kNoVictims = "No preemption victims found for incoming pod";

int32_t PodPriority(const api::Pod& pod) { return pod.spec.priority.value_or(0); }

// Upstream's podTerminatingByPreemption: being deleted, and the DisruptionTarget condition says
// the scheduler preempted it.
bool PodTerminatingByPreemption(const api::Pod& pod) {
  if (pod.metadata.deletionTimestamp.empty()) return false;
  for (const auto& c : pod.status.conditions) {
    if (c.type == "DisruptionTarget") {
      return c.status == "True" && c.reason == "PreemptionByScheduler";
    }
  }
  return false;
}

// A PodDisruptionBudget with its selector compiled (nullopt: matches no pod).
struct CompiledPdb {
  std::shared_ptr<const api::PodDisruptionBudget> pdb;  // the budget
  std::optional<api::Selector> selector;  // spec.selector; unset, empty or invalid: nullopt
};

// A node preemption would work on (upstream's Candidate with its Victims).
struct Candidate {
  std::string node;                                     // the node's name
  std::vector<std::shared_ptr<const PodInfo>> victims;  // most important first
  int64_t num_pdb_violations = 0;                       // victims whose PDB would be violated
};

// Helpers of one PostFilter call that need its notion of "now".
class VictimOrder {
 public:
  explicit VictimOrder(Clock::WallTime now) : now_(now) {}

  // status.startTime; now when unset (upstream's GetPodStartTime).
  Clock::WallTime StartTime(const api::Pod& pod) const {
    if (pod.status.startTime.empty()) return now_;
    return ParseRfc3339(pod.status.startTime).value_or(now_);
  }
  // Upstream's MoreImportantPod: higher priority, then started earlier.
  bool MoreImportant(const api::Pod& a, const api::Pod& b) const {
    const int32_t pa = PodPriority(a);
    const int32_t pb = PodPriority(b);
    if (pa != pb) return pa > pb;
    return StartTime(a) < StartTime(b);
  }
  void Sort(std::vector<std::shared_ptr<const PodInfo>>& pods) const {
    std::stable_sort(pods.begin(), pods.end(), [this](const auto& a, const auto& b) {
      return MoreImportant(a->Pod(), b->Pod());
    });
  }
  // The start time of the earliest-started victim of the highest priority (upstream's
  // GetEarliestPodStartTime). `victims` is not empty.
  Clock::WallTime EarliestStartOfHighest(
      const std::vector<std::shared_ptr<const PodInfo>>& victims) const {
    int32_t max_priority = PodPriority(victims.front()->Pod());
    Clock::WallTime earliest = StartTime(victims.front()->Pod());
    for (const auto& v : victims) {
      const int32_t p = PodPriority(v->Pod());
      if (p == max_priority) {
        earliest = std::min(earliest, StartTime(v->Pod()));
      } else if (p > max_priority) {
        max_priority = p;
        earliest = StartTime(v->Pod());
      }
    }
    return earliest;
  }

 private:
  Clock::WallTime now_;  // the start time of pods that have none
};

// Splits `pods` (in order) into those whose eviction would violate a PDB and the others
// (upstream's filterPodsWithPDBViolation): each matching PDB not listing the pod in
// disruptedPods loses one allowed disruption per pod; below zero the pod violates it.
void FilterPodsWithPdbViolation(const std::vector<std::shared_ptr<const PodInfo>>& pods,
                                const std::vector<CompiledPdb>& pdbs,
                                std::vector<std::shared_ptr<const PodInfo>>& violating,
                                std::vector<std::shared_ptr<const PodInfo>>& non_violating) {
  std::vector<int32_t> allowed;
  allowed.reserve(pdbs.size());
  for (const auto& p : pdbs) allowed.push_back(p.pdb->status.disruptionsAllowed);
  for (const auto& pi : pods) {
    const api::Pod& pod = pi->Pod();
    bool violated = false;
    if (!pod.metadata.labels.empty()) {
      for (size_t i = 0; i < pdbs.size(); ++i) {
        const CompiledPdb& c = pdbs[i];
        if (c.pdb->metadata.namespace_ != pod.metadata.namespace_) continue;
        if (!c.selector.has_value() || !c.selector->Matches(pod.metadata.labels)) continue;
        if (c.pdb->status.disruptedPods.contains(pod.metadata.name)) continue;
        if (--allowed[i] < 0) violated = true;
      }
    }
    (violated ? violating : non_violating).push_back(pi);
  }
}

// "msg", or "[msg1, msg2]" for several distinct messages (apimachinery's aggregate error).
std::string AggregateMessage(const std::vector<std::string>& messages) {
  std::set<std::string> seen;
  std::vector<std::string> distinct;
  for (const auto& m : messages) {
    if (seen.insert(m).second) distinct.push_back(m);
  }
  if (distinct.size() == 1) return distinct.front();
  std::string out = "[";
  for (size_t i = 0; i < distinct.size(); ++i) {
    if (i > 0) out += ", ";
    out += distinct[i];
  }
  return out + "]";
}

class DefaultPreemption final : public PostFilterPlugin {
 public:
  DefaultPreemption(DefaultPreemptionArgs args, Handle& handle)
      : args_(args), handle_(handle), rng_(std::random_device{}()) {}

  std::string_view Name() const override { return kDefaultPreemption; }

  // PostFilter: any message is prefixed "preemption: ".
  Status PostFilter(CycleState& state, const PodInfo& pod, const NodeToStatus& filtered,
                    PostFilterResult& result) override {
    Status s = Preempt(state, pod, filtered, result);
    const std::string msg = s.Message();
    if (msg.empty()) return s;
    return {s.Code(), "preemption: " + msg};
  }

 private:
  // Upstream's Evaluator.Preempt.
  Status Preempt(CycleState& state, const PodInfo& pod, const NodeToStatus& filtered,
                 PostFilterResult& result) {
    const api::Pod& p = pod.Pod();
    if (std::string msg = IneligibleReason(p, filtered); !msg.empty()) {
      return Status::Unschedulable(std::move(msg));
    }

    const Snapshot& snapshot = handle_.SnapshotSharedLister();
    if (snapshot.NumNodes() == 0) return Status::Error("no nodes available");
    const VictimOrder order(std::chrono::system_clock::now());

    std::vector<const NodeInfo*> potential;
    for (const auto& n : snapshot.NodeInfos()) {
      const Status* s = filtered.Get(n->NodeName());
      const Status& st = s != nullptr ? *s : filtered.AbsentNodesStatus();
      if (st.Code() == StatusCode::kUnschedulable) potential.push_back(n.get());
    }

    std::vector<Candidate> candidates;
    FitError fit_error;
    fit_error.num_all_nodes = static_cast<int32_t>(snapshot.NumNodes());
    if (!potential.empty()) {
      std::vector<std::string> errors;
      candidates = DryRunPreemption(state, pod, potential, order,
                                    fit_error.diagnosis.node_to_status, errors);
      if (candidates.empty() && !errors.empty()) return Status::Error(AggregateMessage(errors));
    }

    if (candidates.empty()) {
      fit_error.diagnosis.node_to_status.SetAbsentNodesStatus(
          Status::UnschedulableAndUnresolvable(std::string(kNotHelpful)));
      // Preemption cannot help anywhere: the pod's nomination, if any, is stale (the scheduler
      // clears it with the PodScheduled condition).
      result.mode = PostFilterResult::Mode::kOverride;
      result.nominated_node_name.clear();
      return Status::Unschedulable(fit_error.Error());
    }

    const Candidate& best = SelectCandidate(candidates, order);
    if (Status s = PrepareCandidate(best, p); !s.IsSuccess()) return s;
    result.mode = PostFilterResult::Mode::kOverride;
    result.nominated_node_name = best.node;
    return {};
  }

  // Upstream's PodEligibleToPreemptOthers: "" when the pod may preempt, else why not.
  std::string IneligibleReason(const api::Pod& pod, const NodeToStatus& filtered) const {
    if (pod.spec.preemptionPolicy == "Never") return "not eligible due to preemptionPolicy=Never.";
    const std::string& nominated = pod.status.nominatedNodeName;
    if (nominated.empty()) return {};
    // Filters rejecting the nominated node for good: preempt again elsewhere.
    const Status* s = filtered.Get(nominated);
    const Status& st = s != nullptr ? *s : filtered.AbsentNodesStatus();
    if (st.Code() == StatusCode::kUnschedulableAndUnresolvable) return {};
    const NodeInfo* node = handle_.SnapshotSharedLister().Get(nominated);
    if (node == nullptr) return {};
    const int32_t priority = PodPriority(pod);
    for (const auto& pi : node->Pods()) {
      if (PodPriority(pi->Pod()) < priority && PodTerminatingByPreemption(pi->Pod())) {
        return "not eligible due to a terminating pod on the nominated node.";
      }
    }
    return {};
  }

  // max(nodes * percentage / 100, absolute), at most `num_nodes` (upstream's
  // calculateNumCandidates).
  int32_t NumCandidates(int32_t num_nodes) const {
    auto n = static_cast<int32_t>(static_cast<int64_t>(num_nodes) *
                                  args_.min_candidate_nodes_percentage / 100);
    n = std::max(n, args_.min_candidate_nodes_absolute);
    return std::min(n, num_nodes);
  }

  std::vector<CompiledPdb> CompilePdbs() const {
    std::vector<CompiledPdb> out;
    const ClusterLister* listers = handle_.Listers();
    if (listers == nullptr) return out;
    for (auto& pdb : listers->PodDisruptionBudgets()) {
      CompiledPdb c{.pdb = pdb, .selector = std::nullopt};
      if (pdb->spec.selector.has_value()) {
        auto sel = api::Selector::FromLabelSelector(*pdb->spec.selector);
        // A nil, empty or invalid selector matches nothing.
        if (sel.IsOk() && !sel->Empty()) c.selector = std::move(*sel);
      }
      out.push_back(std::move(c));
    }
    return out;
  }

  // Upstream's DryRunPreemption, sequentially from a random offset: stops once a candidate
  // without PDB violations exists and there are `NumCandidates` candidates. Rejected nodes'
  // statuses go to `statuses`, Error messages also to `errors`. Candidates without PDB
  // violations come first.
  std::vector<Candidate> DryRunPreemption(const CycleState& state, const PodInfo& pod,
                                          const std::vector<const NodeInfo*>& potential,
                                          const VictimOrder& order, NodeToStatus& statuses,
                                          std::vector<std::string>& errors) {
    const std::vector<CompiledPdb> pdbs = CompilePdbs();
    const auto num_nodes = static_cast<int32_t>(potential.size());
    const int32_t want = NumCandidates(num_nodes);
    const int32_t offset = std::uniform_int_distribution<int32_t>(0, num_nodes - 1)(rng_);
    std::vector<Candidate> non_violating;
    std::vector<Candidate> violating;
    for (int32_t i = 0; i < num_nodes; ++i) {
      const NodeInfo& original = *potential[(offset + i) % num_nodes];
      std::shared_ptr<NodeInfo> node = original.Clone();
      std::unique_ptr<CycleState> state_copy = state.Clone();
      Candidate c;
      c.node = original.NodeName();
      Status s = SelectVictimsOnNode(*state_copy, pod, *node, pdbs, order, c);
      if (s.IsSuccess() && !c.victims.empty()) {
        auto& list = c.num_pdb_violations == 0 ? non_violating : violating;
        if (std::cmp_less(list.size(), want)) list.push_back(std::move(c));
        const size_t found = non_violating.size() + violating.size();
        if (!non_violating.empty() && std::cmp_greater_equal(found, want)) break;
        continue;
      }
      if (s.IsSuccess()) {
        s = Status::Error("expected at least one victim pod on node \"" + c.node + "\"");
      }
      if (s.IsError()) errors.push_back(s.Message());
      statuses.Set(c.node, std::move(s));
    }
    for (auto& c : violating) non_violating.push_back(std::move(c));
    return non_violating;
  }

  // Upstream's SelectVictimsOnNode on copies of the node and the state: removes every pod of
  // lower priority; when the pod then fits, adds back as many as possible (PDB-protected ones
  // first, most important first). Fills c.victims and c.num_pdb_violations.
  Status SelectVictimsOnNode(CycleState& state, const PodInfo& pod, NodeInfo& node,
                             const std::vector<CompiledPdb>& pdbs, const VictimOrder& order,
                             Candidate& c) const {
    auto remove = [&](const std::shared_ptr<const PodInfo>& victim) {
      node.RemovePod(victim->key);
      return handle_.RunPreFilterExtensionRemovePod(state, pod, *victim, node);
    };
    auto add = [&](const std::shared_ptr<const PodInfo>& victim) {
      node.AddPod(victim);
      return handle_.RunPreFilterExtensionAddPod(state, pod, *victim, node);
    };

    const int32_t priority = PodPriority(pod.Pod());
    std::vector<std::shared_ptr<const PodInfo>> potential;
    const std::vector<std::shared_ptr<const PodInfo>> pods = node.Pods();  // copy: node changes
    for (const auto& pi : pods) {
      if (PodPriority(pi->Pod()) >= priority) continue;
      potential.push_back(pi);
      if (Status s = remove(pi); !s.IsSuccess()) return Status::Error(s.Message());
    }
    if (potential.empty()) return Status::UnschedulableAndUnresolvable(std::string(kNoVictims));

    // Not even without every lower-priority pod: this node cannot help.
    if (Status s = handle_.RunFilterPluginsWithNominatedPods(state, pod, node); !s.IsSuccess()) {
      return s;
    }

    order.Sort(potential);
    std::vector<std::shared_ptr<const PodInfo>> violating;
    std::vector<std::shared_ptr<const PodInfo>> non_violating;
    FilterPodsWithPdbViolation(potential, pdbs, violating, non_violating);
    // Adds `pi` back; when the pod no longer fits, takes it out again as a victim.
    auto reprieve = [&](const std::shared_ptr<const PodInfo>& pi, bool& fits) -> Status {
      if (Status s = add(pi); !s.IsSuccess()) return Status::Error(s.Message());
      fits = handle_.RunFilterPluginsWithNominatedPods(state, pod, node).IsSuccess();
      if (!fits) {
        if (Status s = remove(pi); !s.IsSuccess()) return Status::Error(s.Message());
        c.victims.push_back(pi);
      }
      return {};
    };
    for (const auto& pi : violating) {
      bool fits = false;
      if (Status s = reprieve(pi, fits); !s.IsSuccess()) return s;
      if (!fits) ++c.num_pdb_violations;
    }
    for (const auto& pi : non_violating) {
      bool fits = false;
      if (Status s = reprieve(pi, fits); !s.IsSuccess()) return s;
    }
    if (!violating.empty() && !non_violating.empty()) order.Sort(c.victims);
    return {};
  }

  // Upstream's SelectCandidate / pickOneNodeForPreemption: each criterion keeps the candidates
  // with the best score; the first one left wins.
  static const Candidate& SelectCandidate(const std::vector<Candidate>& candidates,
                                          const VictimOrder& order) {
    if (candidates.size() == 1) return candidates.front();
    using Score = int64_t (*)(const Candidate&, const VictimOrder&);
    const Score criteria[] = {
        // Fewest PDB violations.
        [](const Candidate& c, const VictimOrder&) -> int64_t { return -c.num_pdb_violations; },
        // Lowest highest-priority victim (victims are sorted most important first).
        [](const Candidate& c, const VictimOrder&) -> int64_t {
          return -static_cast<int64_t>(PodPriority(c.victims.front()->Pod()));
        },
        // Smallest sum of priorities, each offset to be non-negative (so fewer pods of a
        // negative priority beat more of them).
        [](const Candidate& c, const VictimOrder&) -> int64_t {
          int64_t sum = 0;
          for (const auto& v : c.victims) {
            sum += static_cast<int64_t>(PodPriority(v->Pod())) +
                   static_cast<int64_t>(std::numeric_limits<int32_t>::max()) + 1;
          }
          return -sum;
        },
        // Fewest victims.
        [](const Candidate& c, const VictimOrder&) -> int64_t {
          return -static_cast<int64_t>(c.victims.size());
        },
        // The latest start among the earliest-started highest-priority victims.
        [](const Candidate& c, const VictimOrder& o) -> int64_t {
          return std::chrono::duration_cast<std::chrono::nanoseconds>(
                     o.EarliestStartOfHighest(c.victims).time_since_epoch())
              .count();
        },
    };
    std::vector<const Candidate*> left;
    left.reserve(candidates.size());
    for (const auto& c : candidates) left.push_back(&c);
    for (Score score : criteria) {
      std::vector<const Candidate*> best;
      int64_t max = std::numeric_limits<int64_t>::min();
      for (const Candidate* c : left) {
        const int64_t s = score(*c, order);
        if (s > max) {
          max = s;
          best.clear();
        }
        if (s == max) best.push_back(c);
      }
      if (best.size() == 1) return *best.front();
      left = std::move(best);
    }
    return *left.front();
  }

  // Upstream's prepareCandidate: preempts every victim, then clears the nomination of
  // lower-priority pods nominated to the node (failures there are not fatal).
  Status PrepareCandidate(const Candidate& c, const api::Pod& preemptor) const {
    PreemptionActions* actions = handle_.Preemption();
    if (actions == nullptr) return Status::Error("preemption needs the API");
    for (const auto& v : c.victims) {
      if (kubepp::Status s = actions->PreemptPod(preemptor, v->Pod(), c.node); !s.IsOk()) {
        return Status::Error(s.Message());
      }
    }
    if (const PodNominator* nominator = handle_.Nominator(); nominator != nullptr) {
      const int32_t priority = PodPriority(preemptor);
      for (const auto& np : nominator->NominatedPodsForNode(c.node)) {
        if (PodPriority(np->Pod()) < priority) (void)actions->ClearNominatedNodeName(np->Pod());
      }
    }
    return {};
  }

  DefaultPreemptionArgs args_;  // how many candidates to dry-run
  Handle& handle_;              // snapshot, runners, listers, nominator, actions (borrowed)
  std::mt19937_64 rng_;         // the dry run's random start
};

// Upstream's ValidateDefaultPreemptionArgs.
kubepp::Status Validate(const DefaultPreemptionArgs& a) {
  std::vector<std::string> errs;
  if (a.min_candidate_nodes_percentage < 0 || a.min_candidate_nodes_percentage > 100) {
    errs.push_back("minCandidateNodesPercentage: Invalid value: " +
                   std::to_string(a.min_candidate_nodes_percentage) +
                   ": not in valid range [0, 100]");
  }
  if (a.min_candidate_nodes_absolute < 0) {
    errs.push_back("minCandidateNodesAbsolute: Invalid value: " +
                   std::to_string(a.min_candidate_nodes_absolute) +
                   ": not in valid range [0, inf)");
  }
  if (a.min_candidate_nodes_percentage == 0 && a.min_candidate_nodes_absolute == 0) {
    errs.emplace_back(
        "minCandidateNodesPercentage: Invalid value: 0: cannot be zero at the same time as "
        "minCandidateNodesAbsolute");
    errs.emplace_back(
        "minCandidateNodesAbsolute: Invalid value: 0: cannot be zero at the same time as "
        "minCandidateNodesPercentage");
  }
  if (errs.empty()) return kubepp::Status::Ok();
  if (errs.size() == 1) return kubepp::Status::Invalid(errs.front());
  std::string msg = "[";
  for (size_t i = 0; i < errs.size(); ++i) {
    if (i > 0) msg += ", ";
    msg += errs[i];
  }
  return kubepp::Status::Invalid(msg + "]");
}

}  // namespace

Result<std::unique_ptr<Plugin>> NewDefaultPreemption(const PluginArgs& args, Handle& handle) {
  DefaultPreemptionArgs a;
  if (const auto* p = std::get_if<DefaultPreemptionArgs>(&args)) {
    a = *p;
  } else if (!std::holds_alternative<std::monostate>(args)) {
    return kubepp::Status::Invalid("want args to be of type DefaultPreemptionArgs");
  }
  if (kubepp::Status s = Validate(a); !s.IsOk()) return s;
  return std::unique_ptr<Plugin>(std::make_unique<DefaultPreemption>(a, handle));
}

}  // namespace kubepp::scheduler::plugins
