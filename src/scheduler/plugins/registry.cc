#include "scheduler/plugins/plugins.h"

namespace kubepp::scheduler::plugins {

Registry NewInTreeRegistry() {
  Registry r;
  auto add = [&r](std::string_view name, PluginFactory f) {
    kubepp::Status s = r.Register(std::string(name), std::move(f));
    KUBEPP_CHECK(s.IsOk(), "{}", s.ToString());
  };
  add(kNodeName, &NewNodeName);
  add(kNodeUnschedulable, &NewNodeUnschedulable);
  add(kNodePorts, &NewNodePorts);
  add(kTaintToleration, &NewTaintToleration);
  add(kNodeAffinity, &NewNodeAffinity);
  add(kNodeResourcesFit, &NewNodeResourcesFit);
  add(kNodeResourcesBalancedAllocation, &NewNodeResourcesBalancedAllocation);
  add(kImageLocality, &NewImageLocality);
  add(kPodTopologySpread, &NewPodTopologySpread);
  add(kInterPodAffinity, &NewInterPodAffinity);
  add(kVolumeBinding, &NewVolumeBinding);
  add(kDefaultPreemption, &NewDefaultPreemption);
  return r;
}

KubeSchedulerProfile DefaultProfile() {
  KubeSchedulerProfile p;
  p.plugins.multi_point.enabled = {
      {std::string(kNodeUnschedulable), 0},
      {std::string(kNodeName), 0},
      {std::string(kTaintToleration), 3},
      {std::string(kNodeAffinity), 2},
      {std::string(kNodePorts), 0},
      {std::string(kNodeResourcesFit), 1},
      {std::string(kVolumeBinding), 0},
      {std::string(kPodTopologySpread), 2},
      {std::string(kInterPodAffinity), 2},
      {std::string(kDefaultPreemption), 0},
      {std::string(kNodeResourcesBalancedAllocation), 1},
      {std::string(kImageLocality), 1},
  };
  return p;
}

}  // namespace kubepp::scheduler::plugins
