// VolumeBinding (upstream's volumebinding plugin, the part that applies when every claim is
// already bound): a pod's PersistentVolumeClaims must exist, belong to it (generic ephemeral
// volumes), not be deleted or lost, and be bound; the bound volumes' node affinity must match the
// node.
//
// kubepp has no StorageClass type yet, so every unbound claim is an "Immediate" binding-mode
// claim: there is no WaitForFirstConsumer binding, no dynamic provisioning, and hence nothing to
// score, reserve or pre-bind (upstream's Score needs a feature gate anyway). A claim counts as
// bound when spec.volumeName is set (upstream also wants the PV controller's
// pv.kubernetes.io/bind-completed annotation, which nothing in kubepp sets yet). A volume's
// required node affinity is matched against the node's labels and metadata.name (upstream
// matches labels only, so matchFields never match there: kubernetes#81725).
//
// Claims and volumes are read once per pod in PreFilter (Handle::Listers(); none without
// listers); Filter only matches the precompiled terms.
#include <string>
#include <vector>

#include "scheduler/plugins/helpers.h"
#include "scheduler/plugins/plugins.h"

namespace kubepp::scheduler::plugins {
namespace {

constexpr std::string_view kStateKey = "PreFilterVolumeBinding";

// Upstream's reasons (binder.go, volume_binding.go).
constexpr std::string_view kErrReasonUnboundImmediate =
    "pod has unbound immediate PersistentVolumeClaims";
constexpr std::string_view kErrReasonNodeConflict = "node(s) had volume node affinity conflict";
constexpr std::string_view kErrReasonPVNotExist =
    "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)";

// One bound claim's volume, as Filter needs it.
struct BoundVolume {
  std::shared_ptr<const api::PersistentVolume> pv;  // nullptr: the volume does not exist
  bool has_required = false;                        // spec.nodeAffinity.required is set
  std::vector<CompiledNodeSelectorTerm> terms;      // its terms, ORed; invalid ones never match
};

struct PreFilterState final : StateData {
  std::vector<BoundVolume> volumes;  // one per bound claim volume, in the pod's volume order
  std::unique_ptr<StateData> Clone() const override {
    return std::make_unique<PreFilterState>(*this);
  }
};

std::string Quote(std::string_view s) { return "\"" + std::string(s) + "\""; }

// The controller owner reference's uid equals the pod's (upstream's metav1.IsControlledBy).
bool IsControlledBy(const api::PersistentVolumeClaim& pvc, const api::Pod& pod) {
  for (const auto& ref : pvc.metadata.ownerReferences) {
    if (ref.controller.value_or(false)) return ref.uid == pod.metadata.uid;
  }
  return false;
}

BoundVolume MakeBoundVolume(std::shared_ptr<const api::PersistentVolume> pv) {
  BoundVolume v;
  if (pv != nullptr && pv->spec.nodeAffinity.has_value() &&
      pv->spec.nodeAffinity->required.has_value()) {
    v.has_required = true;
    for (const auto& t : pv->spec.nodeAffinity->required->nodeSelectorTerms)
      v.terms.emplace_back(t);
  }
  v.pv = std::move(pv);
  return v;
}

class VolumeBinding final : public PreFilterPlugin, public FilterPlugin {
 public:
  explicit VolumeBinding(Handle& handle) : handle_(handle) {}

  std::string_view Name() const override { return kVolumeBinding; }

  // Upstream's podHasPVCs (every claim checked in volume order, the first problem returned),
  // then GetPodVolumeClaims (any unbound claim rejects the pod).
  Status PreFilter(CycleState& state, const PodInfo& pod_info,
                   std::span<const NodeInfo* const> /*nodes*/,
                   PreFilterResult& /*result*/) override {
    const api::Pod& pod = pod_info.Pod();
    const ClusterLister* listers = handle_.Listers();
    bool has_claims = false;
    bool has_unbound = false;
    std::vector<std::shared_ptr<const api::PersistentVolumeClaim>> bound;
    for (const auto& vol : pod.spec.volumes) {
      std::string claim_name;
      bool ephemeral = false;
      if (vol.persistentVolumeClaim.has_value()) {
        claim_name = vol.persistentVolumeClaim->claimName;
      } else if (vol.ephemeral.has_value()) {
        claim_name = pod.metadata.name + "-" + vol.name;  // upstream's ephemeral.VolumeClaimName
        ephemeral = true;
      } else {
        continue;
      }
      has_claims = true;
      auto pvc = listers != nullptr
                     ? listers->GetPersistentVolumeClaim(pod.metadata.namespace_, claim_name)
                     : nullptr;
      if (pvc == nullptr) {
        return Status::UnschedulableAndUnresolvable(
            ephemeral ? "waiting for ephemeral volume controller to create the "
                        "persistentvolumeclaim " +
                            Quote(claim_name)
                      : "persistentvolumeclaim " + Quote(claim_name) + " not found");
      }
      if (pvc->status.phase == "Lost") {
        return Status::UnschedulableAndUnresolvable(
            "persistentvolumeclaim " + Quote(pvc->metadata.name) +
            " bound to non-existent persistentvolume " + Quote(pvc->spec.volumeName));
      }
      if (!pvc->metadata.deletionTimestamp.empty()) {
        return Status::UnschedulableAndUnresolvable(
            "persistentvolumeclaim " + Quote(pvc->metadata.name) + " is being deleted");
      }
      if (ephemeral &&
          (pvc->metadata.namespace_ != pod.metadata.namespace_ || !IsControlledBy(*pvc, pod))) {
        return Status::UnschedulableAndUnresolvable(
            "PVC " + pvc->metadata.namespace_ + "/" + pvc->metadata.name +
            " was not created for pod " + pod.metadata.namespace_ + "/" + pod.metadata.name +
            " (pod is not owner)");
      }
      if (pvc->spec.volumeName.empty()) {
        has_unbound = true;
      } else {
        bound.push_back(std::move(pvc));
      }
    }
    if (!has_claims) return Status::Skip();
    if (has_unbound) {
      return Status::UnschedulableAndUnresolvable(std::string(kErrReasonUnboundImmediate));
    }
    auto s = std::make_unique<PreFilterState>();
    s->volumes.reserve(bound.size());
    for (const auto& pvc : bound) {
      s->volumes.push_back(MakeBoundVolume(listers->GetPersistentVolume(pvc->spec.volumeName)));
    }
    state.Write(kStateKey, std::move(s));
    return {};
  }

  // Upstream's checkBoundClaims: the first missing volume or node affinity conflict decides.
  Status Filter(const CycleState& state, const PodInfo& /*pod*/,
                const NodeInfo& node) const override {
    if (node.Node() == nullptr) return Status::UnschedulableAndUnresolvable("node not found");
    const auto* s = state.Read<PreFilterState>(kStateKey);
    if (s == nullptr) return Status::Error("VolumeBinding: PreFilter state missing");
    for (const BoundVolume& v : s->volumes) {
      if (v.pv == nullptr) {
        return Status::UnschedulableAndUnresolvable(std::string(kErrReasonPVNotExist));
      }
      if (!v.has_required) continue;
      bool matches = false;
      for (const auto& term : v.terms) {
        if (term.Matches(*node.Node())) {
          matches = true;
          break;
        }
      }
      if (!matches) {
        return Status::UnschedulableAndUnresolvable(std::string(kErrReasonNodeConflict));
      }
    }
    return {};
  }

 private:
  Handle& handle_;  // for Listers(); outlives the plugin
};

}  // namespace

Result<std::unique_ptr<Plugin>> NewVolumeBinding(const PluginArgs& args, Handle& handle) {
  if (!std::holds_alternative<std::monostate>(args)) {
    return kubepp::Status::Invalid("VolumeBinding takes no args");
  }
  return std::unique_ptr<Plugin>(std::make_unique<VolumeBinding>(handle));
}

}  // namespace kubepp::scheduler::plugins
