#include "controller/garbagecollector/graph.h"

#include <algorithm>
#include <utility>

namespace kubepp::controller::gc {

std::string ObjectIdentity::ToString() const {
  std::string out = "[" + api_version + "/" + kind + ", namespace: " + namespace_ +
                    ", name: " + name + ", uid: " + uid + "]";
  return out;
}

ObjectIdentity IdentityOfOwner(const api::OwnerReference& ref, const std::string& ns) {
  ObjectIdentity id;
  id.api_version = ref.apiVersion;
  id.kind = ref.kind;
  id.name = ref.name;
  id.uid = ref.uid;
  id.namespace_ = ns;
  return id;
}

bool OwnerMatchesCoordinates(const api::OwnerReference& ref, const ObjectIdentity& id) {
  return ref.uid == id.uid && ref.name == id.name && ref.kind == id.kind &&
         ref.apiVersion == id.api_version;
}

bool HasFinalizer(const api::ObjectMeta& meta, std::string_view finalizer) {
  return std::find(meta.finalizers.begin(), meta.finalizers.end(), finalizer) !=
         meta.finalizers.end();
}

namespace {

bool BeingDeleted(const api::ObjectMeta& meta) { return !meta.deletionTimestamp.empty(); }

bool Blocks(const api::OwnerReference& ref) {
  return ref.blockOwnerDeletion.has_value() && *ref.blockOwnerDeletion;
}

// Deletion of `meta` has just started waiting for `finalizer` (upstream's
// deletionStartsWithFinalizer).
bool DeletionStartsWithFinalizer(const api::ObjectMeta* old_meta, const api::ObjectMeta& meta,
                                 std::string_view finalizer) {
  if (!BeingDeleted(meta) || !HasFinalizer(meta, finalizer)) return false;
  if (old_meta == nullptr) return true;
  return !BeingDeleted(*old_meta) || !HasFinalizer(*old_meta, finalizer);
}

using RefPair = std::pair<api::OwnerReference, api::OwnerReference>;

// upstream's referencesDiffs, by uid.
void ReferencesDiffs(const std::vector<api::OwnerReference>& old_refs,
                     const std::vector<api::OwnerReference>& new_refs,
                     std::vector<api::OwnerReference>* added,
                     std::vector<api::OwnerReference>* removed, std::vector<RefPair>* changed) {
  std::map<std::string, api::OwnerReference> old_by_uid;
  for (const auto& r : old_refs) old_by_uid[r.uid] = r;
  for (const auto& r : new_refs) {
    auto it = old_by_uid.find(r.uid);
    if (it == old_by_uid.end()) {
      added->push_back(r);
      continue;
    }
    if (!(it->second == r)) changed->emplace_back(it->second, r);
    old_by_uid.erase(it);
  }
  for (auto& [uid, r] : old_by_uid) removed->push_back(r);
}

}  // namespace

Graph::Graph(Enqueue attempt_to_delete, Enqueue attempt_to_orphan,
             Enqueue attempt_to_delete_rate_limited, size_t absent_owner_cache_size)
    : attempt_to_delete_(std::move(attempt_to_delete)),
      attempt_to_orphan_(std::move(attempt_to_orphan)),
      attempt_to_delete_rate_limited_(std::move(attempt_to_delete_rate_limited)),
      absent_cap_(std::max<size_t>(absent_owner_cache_size, 1)) {
  if (!attempt_to_delete_rate_limited_) attempt_to_delete_rate_limited_ = attempt_to_delete_;
}

void Graph::AddAbsent(const ObjectIdentity& id) {
  if (!absent_.insert(id).second) return;
  absent_order_.push_back(id);
  while (absent_order_.size() > absent_cap_) {
    absent_.erase(absent_order_.front());
    absent_order_.pop_front();
  }
}

std::optional<Node> Graph::Get(const std::string& uid) const {
  auto it = nodes_.find(uid);
  if (it == nodes_.end()) return std::nullopt;
  return it->second;
}

std::vector<Node> Graph::Dependents(const std::string& uid) const {
  std::vector<Node> out;
  auto it = nodes_.find(uid);
  if (it == nodes_.end()) return out;
  for (const auto& d : it->second.dependents) {
    auto dep = nodes_.find(d);
    if (dep != nodes_.end()) out.push_back(dep->second);
  }
  return out;
}

std::vector<Node> Graph::BlockingDependents(const std::string& uid) const {
  std::vector<Node> out;
  for (auto& dep : Dependents(uid)) {
    bool blocks = std::any_of(dep.owners.begin(), dep.owners.end(),
                              [&](const auto& ref) { return ref.uid == uid && Blocks(ref); });
    if (blocks) out.push_back(std::move(dep));
  }
  return out;
}

void Graph::InsertNode(Node n) {
  std::string uid = n.identity.uid;
  auto owners = n.owners;
  auto [it, inserted] = nodes_.insert_or_assign(uid, std::move(n));
  AddDependentToOwners(it->second, owners);
}

void Graph::AddDependentToOwners(const Node& n, const std::vector<api::OwnerReference>& owners) {
  for (const auto& owner : owners) {
    auto it = nodes_.find(owner.uid);
    if (it == nodes_.end()) {
      // An owner not observed yet: a virtual node, verified by attemptToDelete.
      Node v;
      v.identity = IdentityOfOwner(owner, n.identity.namespace_);
      v.virtual_ = true;
      v.dependents.insert(n.identity.uid);
      nodes_.emplace(owner.uid, std::move(v));
      attempt_to_delete_(owner.uid);
      continue;
    }
    it->second.dependents.insert(n.identity.uid);
  }
}

void Graph::RemoveDependentFromOwners(const Node& n,
                                      const std::vector<api::OwnerReference>& owners) {
  for (const auto& owner : owners) {
    auto it = nodes_.find(owner.uid);
    if (it != nodes_.end()) it->second.dependents.erase(n.identity.uid);
  }
}

void Graph::RemoveNode(const Node& n) {
  Node copy = n;  // `n` may live in nodes_
  nodes_.erase(copy.identity.uid);
  RemoveDependentFromOwners(copy, copy.owners);
}

void Graph::AddUnblockedOwnersToDeleteQueue(const std::vector<api::OwnerReference>& removed,
                                            const std::vector<RefPair>& changed) {
  for (const auto& ref : removed) {
    if (Blocks(ref) && nodes_.count(ref.uid) != 0) attempt_to_delete_(ref.uid);
  }
  for (const auto& [old_ref, new_ref] : changed) {
    if (Blocks(old_ref) && !Blocks(new_ref) && nodes_.count(new_ref.uid) != 0) {
      attempt_to_delete_(new_ref.uid);
    }
  }
}

void Graph::ProcessTransitions(const api::ObjectMeta* old_meta, const api::ObjectMeta& meta,
                               Node& n) {
  if (DeletionStartsWithFinalizer(old_meta, meta, kFinalizerOrphanDependents)) {
    attempt_to_orphan_(n.identity.uid);
    return;
  }
  if (DeletionStartsWithFinalizer(old_meta, meta, kFinalizerDeleteDependents)) {
    n.deleting_dependents = true;
    for (const auto& dep : n.dependents) attempt_to_delete_(dep);
    attempt_to_delete_(n.identity.uid);
  }
}

void Graph::PartitionDependents(const std::set<std::string>& deps, const ObjectIdentity& owner,
                                std::vector<std::string>* matching,
                                std::vector<std::string>* nonmatching) const {
  const bool owner_namespaced = !owner.namespace_.empty();
  for (const auto& uid : deps) {
    auto it = nodes_.find(uid);
    if (it == nodes_.end()) continue;
    const Node& dep = it->second;
    bool found_match = false;
    bool found_mismatch = false;
    if (owner_namespaced && owner.namespace_ != dep.identity.namespace_) {
      found_mismatch = true;  // a namespaced owner only owns objects of its namespace
    } else {
      for (const auto& ref : dep.owners) {
        if (ref.uid != owner.uid) continue;
        if (OwnerMatchesCoordinates(ref, owner)) {
          found_match = true;
        } else {
          found_mismatch = true;
        }
      }
    }
    if (found_match) matching->push_back(uid);
    if (found_mismatch) nonmatching->push_back(uid);
  }
}

std::optional<ObjectIdentity> Graph::AlternateOwnerIdentity(const std::vector<std::string>& deps,
                                                            const ObjectIdentity& absent) const {
  const bool absent_cluster_scoped = absent.namespace_.empty();
  std::set<ObjectIdentity> seen{absent};
  std::optional<ObjectIdentity> first;
  std::optional<ObjectIdentity> first_greater;
  for (const auto& uid : deps) {
    auto it = nodes_.find(uid);
    if (it == nodes_.end()) continue;
    const Node& dep = it->second;
    for (const auto& ref : dep.owners) {
      if (ref.uid != absent.uid) continue;
      if (OwnerMatchesCoordinates(ref, absent) &&
          (absent_cluster_scoped || absent.namespace_ == dep.identity.namespace_)) {
        continue;
      }
      ObjectIdentity alt = IdentityOfOwner(ref, dep.identity.namespace_);
      if (absent_cluster_scoped && alt.api_version == absent.api_version &&
          alt.kind == absent.kind) {
        alt.namespace_.clear();  // this apiVersion/kind is known to be cluster-scoped
      }
      if (!seen.insert(alt).second) continue;
      if (!first) first = alt;
      if (!first_greater && absent < alt) first_greater = alt;
    }
  }
  if (first_greater) return first_greater;
  return first;
}

void Graph::Process(const GraphEvent& ev) {
  const std::string uid = ev.identity.uid;
  auto found_it = nodes_.find(uid);
  bool found = found_it != nodes_.end();
  if (found && !ev.virtual_ && found_it->second.virtual_) {
    // First informer event for a node so far only referenced: it is observed now.
    Node& existing = found_it->second;
    if (!(ev.identity == existing.identity)) {
      // Dependents that named it by other coordinates may point at something else: recheck.
      std::vector<std::string> matching;
      std::vector<std::string> invalid;
      PartitionDependents(existing.dependents, ev.identity, &matching, &invalid);
      for (const auto& dep : invalid) attempt_to_delete_(dep);
      existing.identity = ev.identity;
    }
    existing.virtual_ = false;
  }

  if ((ev.type == EventType::kAdd || ev.type == EventType::kUpdate) && ev.meta != nullptr) {
    const api::ObjectMeta& meta = *ev.meta;
    if (!found) {
      Node n;
      n.identity = ev.identity;
      n.owners = meta.ownerReferences;
      n.being_deleted = BeingDeleted(meta);
      n.deleting_dependents = n.being_deleted && HasFinalizer(meta, kFinalizerDeleteDependents);
      InsertNode(std::move(n));
      ProcessTransitions(ev.old_meta, meta, nodes_.at(uid));
      return;
    }
    Node& existing = found_it->second;
    std::vector<api::OwnerReference> added;
    std::vector<api::OwnerReference> removed;
    std::vector<RefPair> changed;
    ReferencesDiffs(existing.owners, meta.ownerReferences, &added, &removed, &changed);
    if (!added.empty() || !removed.empty() || !changed.empty()) {
      AddUnblockedOwnersToDeleteQueue(removed, changed);
      existing.owners = meta.ownerReferences;
      Node snapshot = existing;  // the calls below may add virtual nodes (rehash-free map, but
                                 // keep them independent of `existing` anyway)
      AddDependentToOwners(snapshot, added);
      RemoveDependentFromOwners(snapshot, removed);
    }
    Node& n = nodes_.at(uid);
    if (BeingDeleted(meta)) n.being_deleted = true;
    ProcessTransitions(ev.old_meta, meta, n);
    return;
  }

  if (ev.type != EventType::kDelete || !found) return;
  bool remove_existing = true;
  Node& existing = found_it->second;
  if (ev.virtual_) {
    const ObjectIdentity& deleted = ev.identity;
    if (existing.virtual_) {
      std::vector<std::string> matching;
      std::vector<std::string> nonmatching;
      PartitionDependents(existing.dependents, deleted, &matching, &nonmatching);
      if (!nonmatching.empty()) {
        // Some dependents name this uid by other coordinates: keep the node for them.
        remove_existing = false;
        if (!matching.empty()) {
          AddAbsent(deleted);
          for (const auto& dep : matching) attempt_to_delete_(dep);
        }
        if (existing.identity == deleted) {
          auto alt = AlternateOwnerIdentity(nonmatching, deleted);
          if (alt) {
            existing.identity = *alt;
            attempt_to_delete_rate_limited_(uid);
          }
        }
      }
    } else if (!(existing.identity == deleted)) {
      // A real node, verified absent under other coordinates: only those dependents are wrong.
      remove_existing = false;
      std::vector<std::string> matching;
      std::vector<std::string> nonmatching;
      PartitionDependents(existing.dependents, deleted, &matching, &nonmatching);
      if (!matching.empty()) {
        AddAbsent(deleted);
        for (const auto& dep : matching) attempt_to_delete_(dep);
      }
    }
  }
  if (!remove_existing) return;
  Node gone = existing;
  RemoveNode(gone);
  if (!gone.dependents.empty()) AddAbsent(ev.identity);
  for (const auto& dep : gone.dependents) attempt_to_delete_(dep);
  for (const auto& owner : gone.owners) {
    auto it = nodes_.find(owner.uid);
    // Let an owner deleting its dependents in the foreground check whether it is done.
    if (it != nodes_.end() && it->second.deleting_dependents) attempt_to_delete_(owner.uid);
  }
}

}  // namespace kubepp::controller::gc
