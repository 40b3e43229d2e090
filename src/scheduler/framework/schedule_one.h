// The pure part of one scheduling attempt (upstream's pkg/scheduler/schedule_one.go): find the
// feasible nodes (only as many as percentageOfNodesToScore asks for, starting where the previous
// attempt stopped), score them, pick the best, and the FitError message when none fits.
//
// Single-threaded: called by the scheduling loop; Filter runs on the caller's thread.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "scheduler/framework/framework.h"

namespace kubepp::scheduler {

inline constexpr int32_t kMinFeasibleNodesToFind = 100;
inline constexpr int32_t kMinFeasibleNodesPercentageToFind = 5;
inline constexpr int32_t kDefaultPercentageOfNodesToScore = 0;  // adaptive

// How many feasible nodes to look for among `num_all_nodes` (upstream's numFeasibleNodesToFind):
// all below 100 nodes; else `percentage` (the profile's, else the global one; 0 = adaptive:
// 50 - nodes/125, at least 5) percent, at least 100.
int32_t NumFeasibleNodesToFind(std::optional<int32_t> profile_percentage, int32_t global_percentage,
                               int32_t num_all_nodes);

// Why a pod fits nowhere (upstream's framework.Diagnosis).
struct Diagnosis {
  NodeToStatus node_to_status;                  // per rejected node
  std::set<std::string> unschedulable_plugins;  // plugins that rejected some node
  std::string pre_filter_msg;                   // set when PreFilter rejected the pod
  std::string post_filter_msg;                  // preemption's message
};

// "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node
// affinity/selector." (upstream's FitError.Error(): reasons counted over nodes, "<n> <reason>"
// sorted as strings, joined by ", "; then " <postFilterMsg>." when set).
struct FitError {
  int32_t num_all_nodes = 0;
  Diagnosis diagnosis;
  std::string Error() const;
};

// The chosen node.
struct ScheduleResult {
  std::string suggested_host;   // node name
  int32_t evaluated_nodes = 0;  // feasible + rejected nodes looked at
  int32_t feasible_nodes = 0;
};

// Remembers where the next search starts (upstream's nextStartNodeIndex).
struct NodeCursor {
  int64_t next_start_node_index = 0;
};

// Filters nodes for `pod`: PreFilter, then Filter from the cursor on until enough feasible
// nodes are found. Feasible nodes go to `feasible`; rejections to `diagnosis`. A PreFilter
// rejection is not an error (feasible stays empty); Error statuses are returned.
Status FindNodesThatFitPod(Framework& fw, CycleState& state, const PodInfo& pod,
                           const Snapshot& snapshot, int32_t global_percentage, NodeCursor& cursor,
                           std::vector<const NodeInfo*>& feasible, Diagnosis& diagnosis);

// The node with the highest total score; ties broken uniformly at random (reservoir sampling,
// upstream's selectHost). `scores` must not be empty.
const NodeInfo* SelectHost(std::span<const NodePluginScores> scores, std::mt19937_64& rng);

// One attempt: FindNodesThatFitPod, PreScore/Score when more than one node fits, SelectHost.
// On success `result` is set. No fit: `fit_error` is set and the Status is Unschedulable with
// its message (the per-node codes are in fit_error->diagnosis). Errors: an Error Status. No
// nodes at all: Unschedulable "no nodes available to schedule pods" with fit_error empty.
Status SchedulePod(Framework& fw, CycleState& state, const PodInfo& pod, const Snapshot& snapshot,
                   int32_t global_percentage, NodeCursor& cursor, std::mt19937_64& rng,
                   ScheduleResult& result, std::optional<FitError>& fit_error);

}  // namespace kubepp::scheduler
