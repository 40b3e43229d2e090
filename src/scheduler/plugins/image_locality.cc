// ImageLocality: prefer nodes that already have the pod's images, weighted by how widely each
// image is spread (so one node with all images does not attract every pod).
#include <algorithm>
#include <string>

#include "scheduler/plugins/plugins.h"

namespace kubepp::scheduler::plugins {
namespace {

constexpr int64_t kMb = int64_t{1024} * 1024;
constexpr int64_t kMinThreshold = 23 * kMb;
constexpr int64_t kMaxContainerThreshold = 1000 * kMb;
constexpr std::string_view kPreScoreKey = "PreScoreImageLocality";

struct PreScoreState final : StateData {
  std::vector<std::string> images;  // normalized image of every init and app container
  int64_t total_num_nodes = 0;      // nodes in the snapshot
  std::unique_ptr<StateData> Clone() const override {
    return std::make_unique<PreScoreState>(*this);
  }
};

class ImageLocality final : public PreScorePlugin, public ScorePlugin {
 public:
  explicit ImageLocality(Handle& handle) : handle_(handle) {}
  std::string_view Name() const override { return kImageLocality; }

  Status PreScore(CycleState& state, const PodInfo& pod,
                  std::span<const NodeInfo* const> nodes) override {
    auto s = std::make_unique<PreScoreState>();
    for (const auto& c : pod.Pod().spec.initContainers) {
      s->images.push_back(NormalizedImageName(c.image));
    }
    for (const auto& c : pod.Pod().spec.containers) {
      s->images.push_back(NormalizedImageName(c.image));
    }
    s->total_num_nodes = static_cast<int64_t>(handle_.SnapshotSharedLister().NumNodes());
    if (s->total_num_nodes == 0) s->total_num_nodes = static_cast<int64_t>(nodes.size());
    state.Write(kPreScoreKey, std::move(s));
    return {};
  }

  Status Score(const CycleState& state, const PodInfo& /*pod*/, const NodeInfo& node,
               int64_t& score) const override {
    score = 0;
    const auto* s = state.Read<PreScoreState>(kPreScoreKey);
    if (s == nullptr) return Status::Error("ImageLocality: PreScore state missing");
    int64_t sum = 0;
    const auto& states = node.ImageStates();
    for (const auto& image : s->images) {
      auto it = states.find(image);
      if (it == states.end() || s->total_num_nodes == 0) continue;
      // Scaled by the share of nodes that have the image.
      sum += static_cast<int64_t>(static_cast<double>(it->second.size) *
                                  static_cast<double>(it->second.num_nodes) /
                                  static_cast<double>(s->total_num_nodes));
    }
    const int64_t max_threshold =
        kMaxContainerThreshold * static_cast<int64_t>(std::max<size_t>(s->images.size(), 1));
    sum = std::clamp(sum, kMinThreshold, max_threshold);
    score = kMaxNodeScore * (sum - kMinThreshold) / (max_threshold - kMinThreshold);
    return {};
  }

 private:
  Handle& handle_;  // for the snapshot's node count
};

}  // namespace

Result<std::unique_ptr<Plugin>> NewImageLocality(const PluginArgs& /*args*/, Handle& handle) {
  return std::unique_ptr<Plugin>(std::make_unique<ImageLocality>(handle));
}

}  // namespace kubepp::scheduler::plugins
