// NodeResourcesFit and NodeResourcesBalancedAllocation.
#include <algorithm>
#include <cmath>
#include <string>
#include <variant>

#include "scheduler/plugins/plugins.h"

namespace kubepp::scheduler::plugins {
namespace {

constexpr int64_t kMaxUtilization = 100;
constexpr int64_t kMaxCustomPriorityScore = 10;

enum class Strategy : uint8_t { kLeastAllocated, kMostAllocated, kRequestedToCapacityRatio };

// A scoring resource resolved once: which field of Resource it reads.
struct ScoredResource {
  enum class Kind : uint8_t { kCpu, kMemory, kEphemeralStorage, kScalar, kOther };
  Kind kind = Kind::kOther;
  std::string name;
  int64_t weight = 1;
};

std::vector<ScoredResource> Resolve(const std::vector<ResourceSpec>& specs) {
  std::vector<ScoredResource> out;
  for (const auto& s : specs) {
    ScoredResource r;
    r.name = s.name;
    r.weight = s.weight;
    if (s.name == kResourceCpu) {
      r.kind = ScoredResource::Kind::kCpu;
    } else if (s.name == kResourceMemory) {
      r.kind = ScoredResource::Kind::kMemory;
    } else if (s.name == kResourceEphemeralStorage) {
      r.kind = ScoredResource::Kind::kEphemeralStorage;
    } else if (IsScalarResourceName(s.name)) {
      r.kind = ScoredResource::Kind::kScalar;
    }
    out.push_back(std::move(r));
  }
  return out;
}

int64_t Get(const Resource& r, const ScoredResource& s) {
  switch (s.kind) {
    case ScoredResource::Kind::kCpu:
      return r.milli_cpu;
    case ScoredResource::Kind::kMemory:
      return r.memory;
    case ScoredResource::Kind::kEphemeralStorage:
      return r.ephemeral_storage;
    case ScoredResource::Kind::kScalar:
      return r.Scalar(s.name);
    case ScoredResource::Kind::kOther:
      return 0;
  }
  return 0;
}

// The pod's request per scoring resource; `non_zero` uses the 100m/200Mi defaults for cpu and
// memory (upstream's calculatePodResourceRequest with useRequested = false).
struct PodScoreRequests final : StateData {
  std::vector<int64_t> requests;  // aligned with the plugin's resources
  std::unique_ptr<StateData> Clone() const override {
    return std::make_unique<PodScoreRequests>(*this);
  }
};

PodScoreRequests ComputePodScoreRequests(const PodInfo& pod,
                                         const std::vector<ScoredResource>& resources,
                                         bool non_zero) {
  PodScoreRequests out;
  out.requests.reserve(resources.size());
  for (const auto& r : resources) {
    bool defaulted = non_zero && (r.kind == ScoredResource::Kind::kCpu ||
                                  r.kind == ScoredResource::Kind::kMemory);
    out.requests.push_back(Get(defaulted ? pod.non_zero_requests : pod.requests, r));
  }
  return out;
}

// (allocatable, requested) of one resource on a node with the pod added; (0, 0) for a scalar
// resource the pod does not request (it is then left out of the score).
std::pair<int64_t, int64_t> AllocatableAndRequested(const NodeInfo& node, const ScoredResource& r,
                                                    int64_t pod_request, bool use_requested) {
  const Resource& requested = use_requested ? node.Requested() : node.NonZeroRequested();
  switch (r.kind) {
    case ScoredResource::Kind::kCpu:
      return {node.Allocatable().milli_cpu, requested.milli_cpu + pod_request};
    case ScoredResource::Kind::kMemory:
      return {node.Allocatable().memory, requested.memory + pod_request};
    case ScoredResource::Kind::kEphemeralStorage:
      return {node.Allocatable().ephemeral_storage,
              node.Requested().ephemeral_storage + pod_request};
    case ScoredResource::Kind::kScalar:
      if (pod_request == 0) return {0, 0};
      return {node.Allocatable().Scalar(r.name), node.Requested().Scalar(r.name) + pod_request};
    case ScoredResource::Kind::kOther:
      return {0, 0};
  }
  return {0, 0};
}

int64_t LeastRequestedScore(int64_t requested, int64_t capacity) {
  if (capacity == 0 || requested > capacity) return 0;
  return (capacity - requested) * kMaxNodeScore / capacity;
}

int64_t MostRequestedScore(int64_t requested, int64_t capacity) {
  if (capacity == 0) return 0;
  requested = std::min(requested, capacity);
  return requested * kMaxNodeScore / capacity;
}

// Upstream's buildBrokenLinearFunction over the shape (scores already scaled to 0..100).
int64_t BrokenLinear(const std::vector<UtilizationShapePoint>& shape, int64_t p) {
  for (size_t i = 0; i < shape.size(); ++i) {
    if (p <= shape[i].utilization) {
      if (i == 0) return shape[0].score;
      const auto& a = shape[i - 1];
      const auto& b = shape[i];
      return a.score + (b.score - a.score) * (p - a.utilization) / (b.utilization - a.utilization);
    }
  }
  return shape.back().score;
}

constexpr std::string_view kFitPreScoreKey = "PreScoreNodeResourcesFit";
constexpr std::string_view kBalancedPreScoreKey = "PreScoreNodeResourcesBalancedAllocation";

class NodeResourcesFit final : public FilterPlugin, public PreScorePlugin, public ScorePlugin {
 public:
  NodeResourcesFit(const NodeResourcesFitArgs& args, Strategy strategy)
      : ignored_resources_(args.ignored_resources),
        ignored_groups_(args.ignored_resource_groups),
        strategy_(strategy),
        resources_(Resolve(args.scoring_strategy.resources)),
        shape_(args.scoring_strategy.shape) {
    for (auto& p : shape_)
      p.score = static_cast<int32_t>(p.score * (kMaxNodeScore / kMaxCustomPriorityScore));
  }

  std::string_view Name() const override { return kNodeResourcesFit; }

  Status Filter(const CycleState& /*state*/, const PodInfo& pod,
                const NodeInfo& node) const override {
    const Resource& req = pod.requests;
    const Resource& alloc = node.Allocatable();
    const Resource& used = node.Requested();
    Status status;  // success until a reason is found
    auto fail = [&status](std::string reason) {
      if (status.IsSuccess()) status = Status(StatusCode::kUnschedulable);
      status.AppendReason(std::move(reason));
    };
    if (static_cast<int64_t>(node.Pods().size()) + 1 > alloc.allowed_pod_number) {
      fail(std::string(kErrReasonTooManyPods));
    }
    if (req.IsEmptyRequest()) return status;
    if (req.milli_cpu > 0 && req.milli_cpu > alloc.milli_cpu - used.milli_cpu) {
      fail("Insufficient cpu");
    }
    if (req.memory > 0 && req.memory > alloc.memory - used.memory) fail("Insufficient memory");
    if (req.ephemeral_storage > 0 &&
        req.ephemeral_storage > alloc.ephemeral_storage - used.ephemeral_storage) {
      fail("Insufficient ephemeral-storage");
    }
    for (const auto& [name, quantity] : req.scalar_resources) {
      if (quantity == 0) continue;
      if (IsExtendedResourceName(name) && Ignored(name)) continue;
      if (quantity > alloc.Scalar(name) - used.Scalar(name)) fail("Insufficient " + name);
    }
    return status;
  }

  Status PreScore(CycleState& state, const PodInfo& pod,
                  std::span<const NodeInfo* const> /*nodes*/) override {
    state.Write(kFitPreScoreKey,
                std::make_unique<PodScoreRequests>(ComputePodScoreRequests(pod, resources_, true)));
    return {};
  }

  Status Score(const CycleState& state, const PodInfo& /*pod*/, const NodeInfo& node,
               int64_t& score) const override {
    score = 0;
    const auto* s = state.Read<PodScoreRequests>(kFitPreScoreKey);
    if (s == nullptr) return Status::Error("NodeResourcesFit: PreScore state missing");
    int64_t node_score = 0;
    int64_t weight_sum = 0;
    for (size_t i = 0; i < resources_.size(); ++i) {
      auto [allocatable, requested] =
          AllocatableAndRequested(node, resources_[i], s->requests[i], false);
      if (allocatable == 0) continue;
      const int64_t weight = resources_[i].weight;
      int64_t resource_score = 0;
      switch (strategy_) {
        case Strategy::kLeastAllocated:
          resource_score = LeastRequestedScore(requested, allocatable);
          break;
        case Strategy::kMostAllocated:
          resource_score = MostRequestedScore(requested, allocatable);
          break;
        case Strategy::kRequestedToCapacityRatio: {
          int64_t p =
              requested > allocatable ? kMaxUtilization : requested * kMaxUtilization / allocatable;
          resource_score = BrokenLinear(shape_, p);
          if (resource_score <= 0) continue;
          break;
        }
      }
      node_score += resource_score * weight;
      weight_sum += weight;
    }
    if (weight_sum == 0) return {};
    if (strategy_ == Strategy::kRequestedToCapacityRatio) {
      score = static_cast<int64_t>(
          std::round(static_cast<double>(node_score) / static_cast<double>(weight_sum)));
    } else {
      score = node_score / weight_sum;
    }
    return {};
  }

 private:
  bool Ignored(const std::string& name) const {
    if (std::find(ignored_resources_.begin(), ignored_resources_.end(), name) !=
        ignored_resources_.end()) {
      return true;
    }
    auto slash = name.find('/');
    if (slash == std::string::npos) return false;
    std::string_view group(name.data(), slash);
    return std::find(ignored_groups_.begin(), ignored_groups_.end(), group) !=
           ignored_groups_.end();
  }

  std::vector<std::string> ignored_resources_;  // extended resources Filter ignores
  std::vector<std::string> ignored_groups_;     // their domains
  Strategy strategy_;                           // how Score scores
  std::vector<ScoredResource> resources_;       // what Score looks at, with weights
  std::vector<UtilizationShapePoint> shape_;    // RequestedToCapacityRatio, scores 0..100
};

class BalancedAllocation final : public PreScorePlugin, public ScorePlugin {
 public:
  explicit BalancedAllocation(const NodeResourcesBalancedAllocationArgs& args)
      : resources_(Resolve(args.resources)) {}

  std::string_view Name() const override { return kNodeResourcesBalancedAllocation; }

  // Best-effort pods (no requests for any scored resource) are not scored, as upstream
  // (kubernetes#129138): else they would all pile onto the same node.
  Status PreScore(CycleState& state, const PodInfo& pod,
                  std::span<const NodeInfo* const> /*nodes*/) override {
    auto s = std::make_unique<PodScoreRequests>(ComputePodScoreRequests(pod, resources_, false));
    if (std::all_of(s->requests.begin(), s->requests.end(), [](int64_t v) { return v == 0; })) {
      return Status::Skip();
    }
    state.Write(kBalancedPreScoreKey, std::move(s));
    return {};
  }

  Status Score(const CycleState& state, const PodInfo& /*pod*/, const NodeInfo& node,
               int64_t& score) const override {
    score = 0;
    const auto* s = state.Read<PodScoreRequests>(kBalancedPreScoreKey);
    if (s == nullptr)
      return Status::Error("NodeResourcesBalancedAllocation: PreScore state missing");
    // At most a handful of resources: a fixed buffer, no allocation.
    constexpr size_t kMaxResources = 16;
    double fractions[kMaxResources] = {};
    size_t n = 0;
    double total = 0;
    for (size_t i = 0; i < resources_.size() && n < kMaxResources; ++i) {
      auto [allocatable, requested] =
          AllocatableAndRequested(node, resources_[i], s->requests[i], true);
      if (allocatable == 0) continue;
      double f = static_cast<double>(requested) / static_cast<double>(allocatable);
      f = std::min(f, 1.0);
      total += f;
      fractions[n++] = f;
    }
    double std_dev = 0;
    if (n == 2) {
      std_dev = std::abs((fractions[0] - fractions[1]) / 2);
    } else if (n > 2) {
      double mean = total / static_cast<double>(n);
      double sum = 0;
      for (size_t i = 0; i < n; ++i) sum += (fractions[i] - mean) * (fractions[i] - mean);
      std_dev = std::sqrt(sum / static_cast<double>(n));
    }
    score = static_cast<int64_t>((1 - std_dev) * static_cast<double>(kMaxNodeScore));
    return {};
  }

 private:
  std::vector<ScoredResource> resources_;  // what is balanced, with weights (unused by the formula)
};

kubepp::Status ValidateResources(const std::vector<ResourceSpec>& resources) {
  for (const auto& r : resources) {
    if (r.weight <= 0 || r.weight > 100) {
      return kubepp::Status::Invalid("resource weight of " + r.name +
                                     " should be in the range [1, 100]");
    }
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<Plugin>> NewNodeResourcesFit(const PluginArgs& args, Handle& /*handle*/) {
  NodeResourcesFitArgs fit_args;
  if (const auto* a = std::get_if<NodeResourcesFitArgs>(&args)) {
    fit_args = *a;
  } else if (!std::holds_alternative<std::monostate>(args)) {
    return kubepp::Status::Invalid("want args to be of type NodeResourcesFitArgs");
  }
  const auto& ss = fit_args.scoring_strategy;
  Strategy strategy = Strategy::kLeastAllocated;
  if (ss.type == "MostAllocated") {
    strategy = Strategy::kMostAllocated;
  } else if (ss.type == "RequestedToCapacityRatio") {
    strategy = Strategy::kRequestedToCapacityRatio;
    if (ss.shape.empty())
      return kubepp::Status::Invalid(
          "scoringStrategy.shape: Required value: at least one point must be specified");
    for (size_t i = 0; i < ss.shape.size(); ++i) {
      const auto& p = ss.shape[i];
      if (p.utilization < 0 || p.utilization > 100 || p.score < 0 || p.score > 10 ||
          (i > 0 && p.utilization <= ss.shape[i - 1].utilization)) {
        return kubepp::Status::Invalid(
            "scoringStrategy.shape: Invalid value: utilization must be increasing in 0..100 and "
            "score in 0..10");
      }
    }
  } else if (ss.type != "LeastAllocated" && !ss.type.empty()) {
    return kubepp::Status::Invalid("scoringStrategy.type: Unsupported value: \"" + ss.type + "\"");
  }
  if (kubepp::Status s = ValidateResources(ss.resources); !s.IsOk()) return s;
  return std::unique_ptr<Plugin>(std::make_unique<NodeResourcesFit>(fit_args, strategy));
}

Result<std::unique_ptr<Plugin>> NewNodeResourcesBalancedAllocation(const PluginArgs& args,
                                                                   Handle& /*handle*/) {
  NodeResourcesBalancedAllocationArgs ba_args;
  if (const auto* a = std::get_if<NodeResourcesBalancedAllocationArgs>(&args)) {
    ba_args = *a;
  } else if (!std::holds_alternative<std::monostate>(args)) {
    return kubepp::Status::Invalid("want args to be of type NodeResourcesBalancedAllocationArgs");
  }
  if (kubepp::Status s = ValidateResources(ba_args.resources); !s.IsOk()) return s;
  return std::unique_ptr<Plugin>(std::make_unique<BalancedAllocation>(ba_args));
}

}  // namespace kubepp::scheduler::plugins
