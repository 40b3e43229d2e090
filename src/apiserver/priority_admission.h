// Upstream's Priority admission plugin (plugin/pkg/admission/priority) as StorageHooks.
//
// PodPriorityAdmission (pods, on create): resolves spec.priority and spec.preemptionPolicy from
// the scheduling.k8s.io/v1 PriorityClass named by spec.priorityClassName, or from the
// globalDefault class (its name goes into spec.priorityClassName) when none is named, or 0 and
// PreemptLowerPriority when there is no default class. A class that does not exist, or a
// priority / preemptionPolicy in the pod that differs from the computed one, is 403 Forbidden
// with upstream's messages. Like upstream since 1.17, the system-* classes may be used in any
// namespace (limiting them is ResourceQuota's job).
//
// PriorityClassAdmission (priorityclasses, on create and update): only one class may be
// globalDefault (403 Forbidden naming the existing one).
//
// Both read the PriorityClasses straight from the store (upstream reads an informer's lister):
// every method blocks and runs on the handler's blocking pool. Neither takes anything, so the
// Finish they return is empty. Thread-safe: no mutable state.
#pragma once

#include <string>

#include "apiserver/registry/resource.h"
#include "apiserver/storage_hooks.h"
#include "storage/backend.h"

namespace kubepp::apiserver {

class PodPriorityAdmission final : public StorageHooks {
 public:
  // `priority_classes`: the PriorityClass resource (its store keys); both must outlive this.
  PodPriorityAdmission(storage::Backend& store, const ResourceInfo& priority_classes)
      : store_(store), priority_classes_(priority_classes) {}

  // StorageHooks
  Result<Finish> BeginCreate(boost::json::value& obj, bool dry_run) override;
  // Pod updates keep what create resolved (pod validation forbids changing it): no-op.
  Result<Finish> BeginUpdate(boost::json::value& obj, const boost::json::value& old,
                             bool dry_run) override;
  void AfterDelete(const boost::json::value& /*obj*/) override {}

 private:
  storage::Backend& store_;               // where PriorityClasses live
  const ResourceInfo& priority_classes_;  // their store keys
};

class PriorityClassAdmission final : public StorageHooks {
 public:
  PriorityClassAdmission(storage::Backend& store, const ResourceInfo& priority_classes)
      : store_(store), priority_classes_(priority_classes) {}

  // StorageHooks
  Result<Finish> BeginCreate(boost::json::value& obj, bool dry_run) override;
  Result<Finish> BeginUpdate(boost::json::value& obj, const boost::json::value& old,
                             bool dry_run) override;
  void AfterDelete(const boost::json::value& /*obj*/) override {}

 private:
  // Forbidden when `obj` is globalDefault and another class already is (on update: another
  // than `obj` itself).
  Status CheckSingleDefault(const boost::json::value& obj, bool creating);

  storage::Backend& store_;               // where PriorityClasses live
  const ResourceInfo& priority_classes_;  // their store keys
};

}  // namespace kubepp::apiserver
