// Fakes for the plugin unit tests: a ClusterLister over plain vectors and a Handle over a
// Snapshot (tests that need the framework's runners build a real Framework instead).
//
//   fakes::FakeClusterLister lister;
//   lister.claims.push_back(claim);
//   fakes::FakeHandle h;
//   h.snapshot = Snapshot::FromObjects(pods, nodes);
//   h.listers = &lister;
//   auto plugin = NewVolumeBinding({}, h);
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "scheduler/framework/interface.h"

namespace kubepp::scheduler::plugins::fakes {

// Objects by the vectors below; lookups by namespace and name.
class FakeClusterLister : public ClusterLister {
 public:
  std::vector<std::shared_ptr<const api::Service>> Services(std::string_view ns) const override {
    return InNamespace(services, ns);
  }
  std::vector<std::shared_ptr<const api::ReplicationController>> ReplicationControllers(
      std::string_view ns) const override {
    return InNamespace(rcs, ns);
  }
  std::vector<std::shared_ptr<const api::ReplicaSet>> ReplicaSets(
      std::string_view ns) const override {
    return InNamespace(replica_sets, ns);
  }
  std::vector<std::shared_ptr<const api::StatefulSet>> StatefulSets(
      std::string_view ns) const override {
    return InNamespace(stateful_sets, ns);
  }
  std::shared_ptr<const api::Namespace> GetNamespace(std::string_view name) const override {
    return Find(namespaces, "", name);
  }
  std::vector<std::shared_ptr<const api::Namespace>> Namespaces() const override {
    return namespaces;
  }
  std::shared_ptr<const api::PersistentVolumeClaim> GetPersistentVolumeClaim(
      std::string_view ns, std::string_view name) const override {
    return Find(claims, ns, name);
  }
  std::shared_ptr<const api::PersistentVolume> GetPersistentVolume(
      std::string_view name) const override {
    return Find(volumes, "", name);
  }
  std::vector<std::shared_ptr<const api::PodDisruptionBudget>> PodDisruptionBudgets()
      const override {
    return pdbs;
  }

  void AddNamespace(const std::string& name, std::map<std::string, std::string> labels) {
    auto n = std::make_shared<api::Namespace>();
    n->metadata.name = name;
    n->metadata.labels = std::move(labels);
    namespaces.push_back(n);
  }

  std::vector<std::shared_ptr<const api::Service>> services;
  std::vector<std::shared_ptr<const api::ReplicationController>> rcs;
  std::vector<std::shared_ptr<const api::ReplicaSet>> replica_sets;
  std::vector<std::shared_ptr<const api::StatefulSet>> stateful_sets;
  std::vector<std::shared_ptr<const api::Namespace>> namespaces;
  std::vector<std::shared_ptr<const api::PersistentVolumeClaim>> claims;
  std::vector<std::shared_ptr<const api::PersistentVolume>> volumes;  // cluster-scoped
  std::vector<std::shared_ptr<const api::PodDisruptionBudget>> pdbs;  // every namespace's

 private:
  template <typename T>
  static std::vector<std::shared_ptr<const T>> InNamespace(
      const std::vector<std::shared_ptr<const T>>& all, std::string_view ns) {
    std::vector<std::shared_ptr<const T>> out;
    for (const auto& o : all) {
      if (o->metadata.namespace_ == ns) out.push_back(o);
    }
    return out;
  }
  template <typename T>
  static std::shared_ptr<const T> Find(const std::vector<std::shared_ptr<const T>>& all,
                                       std::string_view ns, std::string_view name) {
    for (const auto& o : all) {
      if (o->metadata.namespace_ == ns && o->metadata.name == name) return o;
    }
    return nullptr;
  }
};

// A Handle with a snapshot and optional listers; its runners answer Error (plugins under test
// through it must not need them).
class FakeHandle : public Handle {
 public:
  const Snapshot& SnapshotSharedLister() const override { return snapshot; }
  const ClusterLister* Listers() const override { return listers; }
  Status RunFilterPluginsWithNominatedPods(const CycleState& /*state*/, const PodInfo& /*pod*/,
                                           const NodeInfo& /*node*/) const override {
    return Status::Error("FakeHandle runs no plugins");
  }
  Status RunPreFilterExtensionAddPod(CycleState& /*state*/, const PodInfo& /*pod*/,
                                     const PodInfo& /*pod_to_add*/,
                                     const NodeInfo& /*node*/) const override {
    return Status::Error("FakeHandle runs no plugins");
  }
  Status RunPreFilterExtensionRemovePod(CycleState& /*state*/, const PodInfo& /*pod*/,
                                        const PodInfo& /*pod_to_remove*/,
                                        const NodeInfo& /*node*/) const override {
    return Status::Error("FakeHandle runs no plugins");
  }

  Snapshot snapshot;                       // what SnapshotSharedLister returns
  const ClusterLister* listers = nullptr;  // borrowed; may stay null
};

}  // namespace kubepp::scheduler::plugins::fakes
