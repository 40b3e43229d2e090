#include "controller/statefulset/statefulset_controller.h"

#include <mutex>

#include "api/selector.h"
#include "api/types.h"
#include "base/log.h"
#include "client/event_recorder.h"
#include "client/informer.h"
#include "client/rate_limiter.h"
#include "client/typed.h"
#include "controller/history/history.h"
#include "controller/queue_worker.h"
#include "controller/replicaset/replicaset_logic.h"
#include "controller/statefulset/statefulset_logic.h"

namespace kubepp::controller {

namespace {

namespace sts = statefulset;
using PodPtr = std::shared_ptr<const api::Pod>;
using SetPtr = std::shared_ptr<const api::StatefulSet>;
using ClaimPtr = std::shared_ptr<const api::PersistentVolumeClaim>;
using history::RevisionPtr;

constexpr char kComponent[] = "statefulset-controller";

std::string Title(std::string_view verb) {
  std::string out(verb);
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

class StatefulSetController;

// What the informer handlers reach the controller through: handlers cannot be removed from a
// shared informer, so they outlive the controller and must find it gone.
struct HandlerLink {
  std::mutex mu;                            // held while a handler runs
  StatefulSetController* target = nullptr;  // nullptr once the controller is stopping
};

// What ClaimPods does with one pod.
enum class Claim { kKeep, kIgnore, kAdopt, kRelease };

class StatefulSetController final : public Controller {
 public:
  explicit StatefulSetController(const ControllerContext& ctx);
  ~StatefulSetController() override { Stop(); }
  StatefulSetController(const StatefulSetController&) = delete;
  StatefulSetController& operator=(const StatefulSetController&) = delete;

  // controller::Controller
  void Start() override;
  void Stop() override;

  // Informer handlers (the informers' strands).
  void OnAddPod(const PodPtr& pod);
  void OnUpdatePod(const PodPtr& old_pod, const PodPtr& pod);
  void OnDeletePod(const PodPtr& pod);
  void Enqueue(const api::StatefulSet& set) {
    workers_.Queue().Add(replicaset::KeyOf(set.metadata));
  }

 private:
  SetPtr ResolveControllerRef(const std::string& ns, const api::OwnerReference& ref) const;
  std::vector<SetPtr> PodStatefulSets(const api::Pod& pod) const;

  async::Task<SyncResult> Sync(std::string key);
  async::Task<Status> CanAdopt(SetPtr set);
  async::Task<Status> AdoptOrphanRevisions(SetPtr set, api::Selector selector);
  async::Task<Result<std::vector<PodPtr>>> ClaimPods(SetPtr set, api::Selector selector);
  async::Task<Status> Execute(SetPtr set, api::StatefulSet update_set, sts::Action action);
  async::Task<Status> CreateClaims(SetPtr set, api::Pod pod);
  async::Task<Status> UpdateClaimsForPolicy(api::StatefulSet set, api::Pod pod);
  async::Task<Status> CreatePod(SetPtr set, api::Pod pod);
  async::Task<Status> DeletePod(SetPtr set, api::Pod pod);
  async::Task<Status> UpdatePod(SetPtr set, api::StatefulSet update_set, api::Pod pod);
  async::Task<Status> UpdateStatus(SetPtr set, api::StatefulSetStatus status);
  void PodEvent(const api::StatefulSet& set, std::string_view verb, const std::string& pod,
                const Status& s);

  client::RestClient& client_;                                 // API access
  const Clock& clock_;                                         // time
  ControllerOptions options_;                                  // worker count
  client::Informer<api::StatefulSet> set_informer_;            // StatefulSets
  client::Informer<api::Pod> pod_informer_;                    // Pods
  client::Informer<api::ControllerRevision> rev_informer_;     // ControllerRevisions
  client::Informer<api::PersistentVolumeClaim> pvc_informer_;  // PersistentVolumeClaims
  client::Lister<api::StatefulSet> set_lister_;                // StatefulSets cache
  client::Lister<api::Pod> pod_lister_;                        // Pods cache
  client::Lister<api::ControllerRevision> rev_lister_;         // ControllerRevisions cache
  client::Lister<api::PersistentVolumeClaim> pvc_lister_;      // claims cache
  client::EventRecorder recorder_;                             // events about StatefulSets
  std::shared_ptr<HandlerLink> link_;                          // the handlers' way in
  QueueWorkers workers_;                                       // queue + workers
};

StatefulSetController::StatefulSetController(const ControllerContext& ctx)
    : client_(*ctx.client),
      clock_(*ctx.clock),
      options_(ctx.options),
      set_informer_(ctx.informers->For<api::StatefulSet>()),
      pod_informer_(ctx.informers->For<api::Pod>()),
      rev_informer_(ctx.informers->For<api::ControllerRevision>()),
      pvc_informer_(ctx.informers->For<api::PersistentVolumeClaim>()),
      set_lister_(set_informer_.GetLister()),
      pod_lister_(pod_informer_.GetLister()),
      rev_lister_(rev_informer_.GetLister()),
      pvc_lister_(pvc_informer_.GetLister()),
      recorder_(*ctx.client, ctx.executor, client::EventSourceInfo{kComponent, ""}, *ctx.clock),
      link_(std::make_shared<HandlerLink>()),
      workers_("statefulset", ctx.executor, client::DefaultControllerRateLimiter(*ctx.clock),
               *ctx.clock, [this](std::string key) { return Sync(std::move(key)); }) {
  link_->target = this;
  std::weak_ptr<HandlerLink> weak = link_;
  auto with = [weak](auto fn) {
    auto link = weak.lock();
    if (!link) return;
    std::lock_guard<std::mutex> lock(link->mu);
    if (link->target != nullptr) fn(*link->target);
  };
  set_informer_.AddEventHandler({
      .on_add = [with](const SetPtr& s) { with([&](StatefulSetController& c) { c.Enqueue(*s); }); },
      .on_update = [with](
                       const SetPtr& /*old*/,
                       const SetPtr& s) { with([&](StatefulSetController& c) { c.Enqueue(*s); }); },
      .on_delete =
          [with](const SetPtr& s, bool /*unknown*/) {
            with([&](StatefulSetController& c) { c.Enqueue(*s); });
          },
  });
  pod_informer_.AddEventHandler({
      .on_add = [with](const PodPtr& p) { with([&](StatefulSetController& c) { c.OnAddPod(p); }); },
      .on_update =
          [with](const PodPtr& o, const PodPtr& n) {
            with([&](StatefulSetController& c) { c.OnUpdatePod(o, n); });
          },
      .on_delete =
          [with](const PodPtr& p, bool /*unknown*/) {
            with([&](StatefulSetController& c) { c.OnDeletePod(p); });
          },
  });
}

void StatefulSetController::Start() {
  auto a = set_informer_;
  auto b = pod_informer_;
  auto c = rev_informer_;
  auto d = pvc_informer_;
  workers_.Start(options_.concurrent_statefulset_syncs, [a, b, c, d] {
    return a.HasSynced() && b.HasSynced() && c.HasSynced() && d.HasSynced();
  });
}

void StatefulSetController::Stop() {
  {
    std::lock_guard<std::mutex> lock(link_->mu);
    link_->target = nullptr;
  }
  workers_.Stop();
  recorder_.Stop();
}

// ---- event handlers (upstream's addPod/updatePod/deletePod)

void StatefulSetController::OnAddPod(const PodPtr& pod) {
  if (!pod->metadata.deletionTimestamp.empty()) {
    OnDeletePod(pod);
    return;
  }
  if (const auto* ref = replicaset::GetControllerOf(pod->metadata); ref != nullptr) {
    if (auto set = ResolveControllerRef(pod->metadata.namespace_, *ref)) Enqueue(*set);
    return;
  }
  for (const auto& set : PodStatefulSets(*pod)) Enqueue(*set);
}

void StatefulSetController::OnUpdatePod(const PodPtr& old_pod, const PodPtr& pod) {
  if (old_pod->metadata.resourceVersion == pod->metadata.resourceVersion) return;  // resync
  const bool labels_changed = old_pod->metadata.labels != pod->metadata.labels;
  const auto* cur_ref = replicaset::GetControllerOf(pod->metadata);
  const auto* old_ref = replicaset::GetControllerOf(old_pod->metadata);
  const bool ref_changed = (cur_ref == nullptr) != (old_ref == nullptr) ||
                           (cur_ref != nullptr && !(*cur_ref == *old_ref));
  if (ref_changed && old_ref != nullptr) {
    if (auto set = ResolveControllerRef(old_pod->metadata.namespace_, *old_ref)) Enqueue(*set);
  }
  if (cur_ref != nullptr) {
    auto set = ResolveControllerRef(pod->metadata.namespace_, *cur_ref);
    if (!set) return;
    Enqueue(*set);
    // Ready now: look again once it has been ready for minReadySeconds.
    const int32_t min_ready = set->spec.minReadySeconds.value_or(0);
    if (!sts::IsPodReady(*old_pod) && sts::IsPodReady(*pod) && min_ready > 0) {
      workers_.Queue().AddAfter(replicaset::KeyOf(set->metadata),
                                std::chrono::seconds(min_ready) + std::chrono::seconds(1));
    }
    return;
  }
  if (labels_changed || ref_changed) {
    for (const auto& set : PodStatefulSets(*pod)) Enqueue(*set);
  }
}

void StatefulSetController::OnDeletePod(const PodPtr& pod) {
  const auto* ref = replicaset::GetControllerOf(pod->metadata);
  if (ref == nullptr) return;
  if (auto set = ResolveControllerRef(pod->metadata.namespace_, *ref)) Enqueue(*set);
}

SetPtr StatefulSetController::ResolveControllerRef(const std::string& ns,
                                                   const api::OwnerReference& ref) const {
  if (ref.kind != "StatefulSet") return nullptr;
  auto set = set_lister_.Get(ns, ref.name);
  if (!set || set->metadata.uid != ref.uid) return nullptr;
  return set;
}

std::vector<SetPtr> StatefulSetController::PodStatefulSets(const api::Pod& pod) const {
  std::vector<SetPtr> out;
  if (pod.metadata.labels.empty()) return out;
  for (auto& set : set_lister_.ListNamespace(pod.metadata.namespace_)) {
    auto sel = api::Selector::FromLabelSelector(set->spec.selector);
    if (!sel.IsOk() || sel->Empty()) continue;
    if (sel->Matches(pod.metadata.labels)) out.push_back(std::move(set));
  }
  return out;
}

// ---- sync (upstream's sync + UpdateStatefulSet + performUpdate)

async::Task<SyncResult> StatefulSetController::Sync(std::string key) {
  std::string ns;
  std::string name = key;
  if (auto slash = key.find('/'); slash != std::string::npos) {
    ns = key.substr(0, slash);
    name = key.substr(slash + 1);
  }
  SetPtr set = set_lister_.Get(ns, name);
  if (!set) co_return SyncResult{};
  auto selector = api::Selector::FromLabelSelector(set->spec.selector);
  if (!selector.IsOk()) {
    KLOG_ERROR("statefulset {}: invalid selector: {}", key, selector.status().ToString());
    co_return SyncResult{};
  }
  {
    api::Selector sel = *selector;
    auto adopt_task = AdoptOrphanRevisions(set, std::move(sel));
    Status adopted = co_await std::move(adopt_task);
    if (!adopted.IsOk()) co_return SyncResult{adopted};
  }
  api::Selector sel = *selector;
  auto claim_task = ClaimPods(set, std::move(sel));
  auto claimed = co_await std::move(claim_task);
  if (!claimed.IsOk()) co_return SyncResult{claimed.status()};
  const std::vector<PodPtr> pods = std::move(*claimed);
  std::vector<const api::Pod*> raw;
  raw.reserve(pods.size());
  for (const auto& p : pods) raw.push_back(p.get());

  // The set's revisions, oldest first.
  std::vector<RevisionPtr> revisions;
  for (auto& r : history::ListControllerRevisions(rev_lister_, ns, *selector)) {
    const auto* ref = replicaset::GetControllerOf(r->metadata);
    if (ref != nullptr && ref->uid == set->metadata.uid) revisions.push_back(std::move(r));
  }
  history::SortControllerRevisions(revisions);

  // getStatefulSetRevisions: the update revision is the set's template now.
  int32_t collision_count = set->status.collisionCount.value_or(0);
  api::ControllerRevision wanted = history::NewControllerRevision(
      set->metadata, sts::ControllerRefFor(*set), set->spec.template_.metadata.labels,
      sts::RevisionData(*set), history::NextRevision(revisions), collision_count);
  wanted.metadata.annotations = set->metadata.annotations;
  auto equal = history::FindEqualRevisions(revisions, wanted);
  api::ControllerRevision update_revision;
  if (!equal.empty() && history::EqualRevision(*revisions.back(), *equal.back())) {
    update_revision = *revisions.back();
  } else if (!equal.empty()) {
    // An older template again: roll back by moving that revision to the front.
    const api::ControllerRevision& old = *equal.back();
    auto bump = history::UpdateControllerRevision(client_, old, wanted.revision);
    auto bumped = co_await std::move(bump);
    if (!bumped.IsOk()) co_return SyncResult{bumped.status()};
    update_revision = std::move(*bumped);
  } else {
    auto create = history::CreateControllerRevision(client_, wanted, &collision_count);
    auto created = co_await std::move(create);
    if (!created.IsOk()) co_return SyncResult{created.status()};
    update_revision = std::move(*created);
  }
  api::ControllerRevision current_revision = update_revision;
  for (const auto& r : revisions) {
    if (r->metadata.name == set->status.currentRevision) {
      current_revision = *r;
      break;
    }
  }
  auto current_set = sts::ApplyRevision(*set, current_revision.data);
  auto update_set = sts::ApplyRevision(*set, update_revision.data);
  if (!current_set.IsOk() || !update_set.IsOk()) {
    Status bad = current_set.IsOk() ? update_set.status() : current_set.status();
    co_return SyncResult{bad};
  }
  // newVersionedStatefulSetPod reads the stored status of the current set.
  current_set->status = set->status;

  auto claims = [lister = pvc_lister_, ns](const std::string& claim) {
    return lister.Get(ns, claim);
  };
  sts::Plan plan = sts::PlanStatefulSet(
      *set, *current_set, *update_set, current_revision.metadata.name,
      update_revision.metadata.name, collision_count, raw, claims, clock_.WallNow());
  KLOG_V(4, "statefulset {}: {} actions{}", key, plan.actions.size(),
         plan.waiting ? ", waiting on a pod" : "");
  Status error;
  for (auto& action : plan.actions) {
    api::StatefulSet us = *update_set;
    auto exec = Execute(set, std::move(us), std::move(action));
    error = co_await std::move(exec);
    if (!error.IsOk()) break;
  }

  api::StatefulSetStatus status = plan.status;
  sts::CompleteRollingUpdate(*set, status);
  auto status_task = UpdateStatus(set, status);
  Status status_error = co_await std::move(status_task);

  // truncateHistory: unused revisions beyond the limit.
  std::vector<std::string> names;
  names.reserve(revisions.size());
  for (const auto& r : revisions) names.push_back(r->metadata.name);
  Status truncate_error;
  const std::vector<std::string> doomed_names = sts::RevisionsToTruncate(
      *set, names, raw, current_revision.metadata.name, update_revision.metadata.name);
  for (const auto& doomed : doomed_names) {
    for (const auto& r : revisions) {
      if (r->metadata.name != doomed) continue;
      api::ControllerRevision rev = *r;
      auto del = history::DeleteControllerRevision(client_, rev);
      Status s = co_await std::move(del);
      if (!s.IsOk() && truncate_error.IsOk()) truncate_error = s;
    }
  }
  if (!error.IsOk()) co_return SyncResult{error};
  if (!status_error.IsOk()) co_return SyncResult{status_error};
  if (!truncate_error.IsOk()) co_return SyncResult{truncate_error};
  SyncResult result;
  const int32_t min_ready = set->spec.minReadySeconds.value_or(0);
  if (min_ready > 0 && status.availableReplicas.value_or(0) != sts::Replicas(*set)) {
    result.requeue_after = std::chrono::seconds(min_ready);
  }
  co_return result;
}

async::Task<Status> StatefulSetController::CanAdopt(SetPtr set) {
  // Upstream's RecheckDeletionTimestamp: a fresh read, not the cache, decides.
  client::TypedClient<api::StatefulSet> client(client_, set->metadata.namespace_);
  std::string name = set->metadata.name;
  auto fresh = co_await client.Get(std::move(name));
  if (!fresh.IsOk()) co_return fresh.status();
  if (fresh->metadata.uid != set->metadata.uid) {
    co_return Status::Conflict("original StatefulSet " + replicaset::KeyOf(set->metadata) +
                               " is gone: got uid " + fresh->metadata.uid + ", wanted " +
                               set->metadata.uid);
  }
  if (!fresh->metadata.deletionTimestamp.empty()) {
    co_return Status::Conflict(replicaset::KeyOf(set->metadata) + " has just been deleted at " +
                               fresh->metadata.deletionTimestamp);
  }
  co_return Status::Ok();
}

async::Task<Status> StatefulSetController::AdoptOrphanRevisions(SetPtr set,
                                                                api::Selector selector) {
  std::vector<RevisionPtr> orphans;
  for (auto& r :
       history::ListControllerRevisions(rev_lister_, set->metadata.namespace_, selector)) {
    if (replicaset::GetControllerOf(r->metadata) == nullptr) orphans.push_back(std::move(r));
  }
  if (orphans.empty() || !set->metadata.deletionTimestamp.empty()) co_return Status::Ok();
  auto check = CanAdopt(set);
  Status can = co_await std::move(check);
  if (!can.IsOk()) co_return can;
  client::TypedClient<api::ControllerRevision> revs(client_, set->metadata.namespace_);
  for (const auto& r : orphans) {
    std::string patch = replicaset::AdoptPatch(sts::ControllerRefFor(*set), r->metadata.uid);
    std::string name = r->metadata.name;
    auto patched =
        co_await revs.Patch(std::move(name), client::PatchType::kStrategicMerge, std::move(patch));
    if (!patched.IsOk() && !patched.status().IsNotFound()) co_return patched.status();
  }
  co_return Status::Ok();
}

async::Task<Result<std::vector<PodPtr>>> StatefulSetController::ClaimPods(SetPtr set,
                                                                          api::Selector selector) {
  std::vector<PodPtr> claimed;
  Status first_error;
  std::optional<Status> can_adopt;
  const bool set_deleting = !set->metadata.deletionTimestamp.empty();
  for (auto& pod : pod_lister_.ListNamespace(set->metadata.namespace_)) {
    const bool matches = selector.Matches(pod->metadata.labels) && sts::IsMemberOf(*set, *pod);
    const auto* ref = replicaset::GetControllerOf(pod->metadata);
    Claim action = Claim::kIgnore;
    if (ref != nullptr) {
      if (ref->uid != set->metadata.uid) continue;
      if (matches) {
        action = Claim::kKeep;
      } else if (!set_deleting) {
        action = Claim::kRelease;
      }
    } else if (matches && !set_deleting && pod->metadata.deletionTimestamp.empty()) {
      action = Claim::kAdopt;
    }
    if (action == Claim::kKeep) claimed.push_back(pod);
    if (action == Claim::kKeep || action == Claim::kIgnore) continue;
    std::string patch;
    if (action == Claim::kAdopt) {
      if (!can_adopt) {
        auto check = CanAdopt(set);
        can_adopt = co_await std::move(check);
      }
      if (!can_adopt->IsOk()) {
        if (first_error.IsOk()) first_error = *can_adopt;
        continue;
      }
      patch = replicaset::AdoptPatch(sts::ControllerRefFor(*set), pod->metadata.uid);
    } else {
      patch = replicaset::ReleasePatch(set->metadata.uid, pod->metadata.uid);
    }
    client::TypedClient<api::Pod> pods(client_, set->metadata.namespace_);
    std::string pod_name = pod->metadata.name;
    auto patched = co_await pods.Patch(std::move(pod_name), client::PatchType::kStrategicMerge,
                                       std::move(patch));
    const Status s = patched.status();
    KLOG_V(2, "statefulset {}: {} pod {}: {}", replicaset::KeyOf(set->metadata),
           action == Claim::kAdopt ? "adopting" : "releasing", pod->metadata.name, s.ToString());
    if (action == Claim::kAdopt) {
      if (s.IsOk()) {
        claimed.push_back(std::make_shared<const api::Pod>(*patched));
      } else if (!s.IsNotFound() && first_error.IsOk()) {
        first_error = s;
      }
    } else if (!s.IsOk() && !s.IsNotFound() && !s.IsInvalid() && first_error.IsOk()) {
      first_error = s;
    }
  }
  if (!first_error.IsOk()) co_return first_error;
  co_return claimed;
}

// ---- actions (upstream's StatefulPodControl)

void StatefulSetController::PodEvent(const api::StatefulSet& set, std::string_view verb,
                                     const std::string& pod, const Status& s) {
  if (s.IsOk()) {
    recorder_.Event(
        set, client::kEventTypeNormal, "Successful" + Title(verb),
        std::string(verb) + " Pod " + pod + " in StatefulSet " + set.metadata.name + " successful");
  } else {
    recorder_.Event(set, client::kEventTypeWarning, "Failed" + Title(verb),
                    std::string(verb) + " Pod " + pod + " in StatefulSet " + set.metadata.name +
                        " failed error: " + s.Message());
  }
}

async::Task<Status> StatefulSetController::Execute(SetPtr set, api::StatefulSet update_set,
                                                   sts::Action action) {
  switch (action.type) {
    case sts::ActionType::kCreatePod: {
      auto t = CreatePod(set, std::move(action.pod));
      co_return co_await std::move(t);
    }
    case sts::ActionType::kDeletePod: {
      auto t = DeletePod(set, std::move(action.pod));
      co_return co_await std::move(t);
    }
    case sts::ActionType::kUpdatePod: {
      auto t = UpdatePod(set, std::move(update_set), std::move(action.pod));
      co_return co_await std::move(t);
    }
    case sts::ActionType::kCreateMissingClaims: {
      auto t = CreateClaims(set, std::move(action.pod));
      co_return co_await std::move(t);
    }
    case sts::ActionType::kUpdateClaims: {
      auto t = UpdateClaimsForPolicy(std::move(update_set), std::move(action.pod));
      co_return co_await std::move(t);
    }
  }
  co_return Status::Ok();
}

async::Task<Status> StatefulSetController::CreateClaims(SetPtr set, api::Pod pod) {
  client::TypedClient<api::PersistentVolumeClaim> pvcs(client_, set->metadata.namespace_);
  Status first_error;
  const auto wanted = sts::PersistentVolumeClaims(*set, pod);
  for (const auto& [tmpl, claim] : wanted) {
    const std::string claim_name = claim.metadata.name;
    ClaimPtr existing = pvc_lister_.Get(set->metadata.namespace_, claim_name);
    if (existing) {
      if (!existing->metadata.deletionTimestamp.empty() && first_error.IsOk()) {
        first_error = Status::Conflict("pvc " + claim_name + " is being deleted");
      }
      continue;
    }
    api::PersistentVolumeClaim body = claim;
    // The set's reference (whenDeleted=Delete) goes on at once; the pod's once it has a uid.
    (void)sts::UpdateClaimOwnerRefForSetAndPod(body, *set, pod);
    auto created = co_await pvcs.Create(std::move(body));
    if (created.IsOk()) {
      recorder_.Event(*set, client::kEventTypeNormal, "SuccessfulCreate",
                      "create Claim " + claim_name + " Pod " + pod.metadata.name +
                          " in StatefulSet " + set->metadata.name + " success");
    } else if (!created.status().IsAlreadyExists()) {
      recorder_.Event(*set, client::kEventTypeWarning, "FailedCreate",
                      "create Claim " + claim_name + " for Pod " + pod.metadata.name +
                          " in StatefulSet " + set->metadata.name +
                          " failed error: " + created.status().Message());
      if (first_error.IsOk()) {
        first_error = Status::Internal("failed to create PVC " + claim_name + ": " +
                                       created.status().Message());
      }
    }
  }
  co_return first_error;
}

async::Task<Status> StatefulSetController::UpdateClaimsForPolicy(api::StatefulSet set,
                                                                 api::Pod pod) {
  client::TypedClient<api::PersistentVolumeClaim> pvcs(client_, set.metadata.namespace_);
  const auto wanted = sts::PersistentVolumeClaims(set, pod);
  for (const auto& [tmpl, claim] : wanted) {
    ClaimPtr existing = pvc_lister_.Get(set.metadata.namespace_, claim.metadata.name);
    api::PersistentVolumeClaim updated;
    if (existing) {
      updated = *existing;
    } else {
      // Not in the cache yet (just created): read it.
      std::string claim_name = claim.metadata.name;
      auto fresh = co_await pvcs.Get(std::move(claim_name));
      if (!fresh.IsOk()) continue;
      updated = std::move(*fresh);
    }
    if (!sts::UpdateClaimOwnerRefForSetAndPod(updated, set, pod)) continue;
    auto r = co_await pvcs.Update(std::move(updated));
    if (!r.IsOk()) {
      co_return Status(r.status().Code(),
                       "could not update claim " + claim.metadata.name +
                           " for delete policy ownerRefs: " + r.status().Message());
    }
  }
  co_return Status::Ok();
}

async::Task<Status> StatefulSetController::CreatePod(SetPtr set, api::Pod pod) {
  const std::string name = pod.metadata.name;
  auto claims_task = CreateClaims(set, pod);
  Status claims = co_await std::move(claims_task);
  if (!claims.IsOk()) {
    PodEvent(*set, "create", name, claims);
    co_return claims;
  }
  client::TypedClient<api::Pod> pods(client_, set->metadata.namespace_);
  api::Pod body = pod;
  auto created = co_await pods.Create(std::move(body));
  if (!created.IsOk() && created.status().IsAlreadyExists()) co_return created.status();
  if (created.IsOk()) {
    // Set the claims' owners as far as possible now that the pod has a uid.
    api::StatefulSet s = *set;
    auto fix = UpdateClaimsForPolicy(std::move(s), *created);
    Status fixed = co_await std::move(fix);
    if (!fixed.IsOk()) {
      PodEvent(*set, "update", name, fixed);
      co_return fixed;
    }
  }
  PodEvent(*set, "create", name, created.status());
  co_return created.status();
}

async::Task<Status> StatefulSetController::DeletePod(SetPtr set, api::Pod pod) {
  client::TypedClient<api::Pod> pods(client_, set->metadata.namespace_);
  std::string name = pod.metadata.name;
  Status s = co_await pods.Delete(std::move(name));
  if (s.IsNotFound()) co_return Status::Ok();
  PodEvent(*set, "delete", pod.metadata.name, s);
  co_return s;
}

async::Task<Status> StatefulSetController::UpdatePod(SetPtr set, api::StatefulSet update_set,
                                                     api::Pod pod) {
  client::TypedClient<api::Pod> pods(client_, set->metadata.namespace_);
  const std::string name = pod.metadata.name;
  Status last;
  bool attempted = false;
  for (int attempt = 0; attempt < 5; ++attempt) {
    bool consistent = true;
    if (!sts::IdentityMatches(*set, pod)) {
      sts::UpdateIdentity(*set, pod);
      consistent = false;
    }
    if (!sts::StorageMatches(*set, pod)) {
      sts::UpdateStorage(*set, pod);
      consistent = false;
      auto claims_task = CreateClaims(set, pod);
      Status claims = co_await std::move(claims_task);
      if (!claims.IsOk()) {
        PodEvent(*set, "update", name, claims);
        co_return claims;
      }
    }
    {
      api::StatefulSet us = update_set;
      api::Pod p = pod;
      auto fix = UpdateClaimsForPolicy(std::move(us), std::move(p));
      Status fixed = co_await std::move(fix);
      if (!fixed.IsOk()) {
        PodEvent(*set, "update", name, fixed);
        co_return fixed;
      }
    }
    if (consistent) break;
    attempted = true;
    api::Pod body = pod;
    auto updated = co_await pods.Update(std::move(body));
    last = updated.status();
    if (updated.IsOk() || !last.IsConflict()) break;
    std::string n = name;
    auto fresh = co_await pods.Get(std::move(n));
    if (!fresh.IsOk()) break;
    pod = std::move(*fresh);
  }
  if (attempted) PodEvent(*set, "update", name, last);
  co_return last;
}

// ---- status (upstream's updateStatefulSetStatus: retried after a fresh read on conflict)

async::Task<Status> StatefulSetController::UpdateStatus(SetPtr set, api::StatefulSetStatus status) {
  api::StatefulSet current = *set;
  if (!sts::InconsistentStatus(current, status)) co_return Status::Ok();
  client::TypedClient<api::StatefulSet> client(client_, set->metadata.namespace_);
  Status last;
  for (int attempt = 0; attempt < 5; ++attempt) {
    status.conditions = current.status.conditions;
    current.status = status;
    api::StatefulSet body = current;
    auto updated = co_await client.UpdateStatus(std::move(body));
    if (updated.IsOk()) co_return Status::Ok();
    last = updated.status();
    if (!last.IsConflict()) break;
    std::string name = current.metadata.name;
    auto fresh = co_await client.Get(std::move(name));
    if (!fresh.IsOk()) co_return fresh.status();
    current = std::move(*fresh);
  }
  co_return last;
}

}  // namespace

std::unique_ptr<Controller> NewStatefulSetController(const ControllerContext& ctx) {
  return std::make_unique<StatefulSetController>(ctx);
}

}  // namespace kubepp::controller
