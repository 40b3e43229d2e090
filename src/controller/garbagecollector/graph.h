// The garbage collector's dependency graph (upstream's GraphBuilder: uidToNode, the
// processGraphChanges switch, absentOwnerCache).
//
// Every object of every monitored resource is a Node keyed by uid, with edges owner ->
// dependents from its ownerReferences. An owner referenced before it was observed gets a
// "virtual" node; the collector verifies it with a live GET and, when it is absent, feeds a
// virtual delete event back in. Process() decides which uids go to the attemptToDelete and
// attemptToOrphan queues (through the two callbacks), exactly where upstream adds them.
//
// Threading: not thread-safe; the owner (GarbageCollector) serializes every call with one mutex.
// The callbacks are called with that lock held and must not call back into the graph.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "api/types.h"

namespace kubepp::controller::gc {

inline constexpr char kFinalizerOrphanDependents[] = "orphan";
inline constexpr char kFinalizerDeleteDependents[] = "foregroundDeletion";

// Who an object is: owner coordinates plus namespace (upstream's objectReference).
struct ObjectIdentity {
  std::string api_version;  // "v1", "apps/v1"
  std::string kind;         // "ConfigMap"
  std::string name;         // metadata.name
  std::string uid;          // metadata.uid
  std::string namespace_;   // "" for cluster-scoped objects (or unknown scope of a virtual node)

  auto Tie() const { return std::tie(api_version, kind, name, uid, namespace_); }
  bool operator==(const ObjectIdentity& o) const { return Tie() == o.Tie(); }
  bool operator<(const ObjectIdentity& o) const { return Tie() < o.Tie(); }
  std::string ToString() const;
};

// The identity an owner reference names, in namespace `ns`.
ObjectIdentity IdentityOfOwner(const api::OwnerReference& ref, const std::string& ns);
// Same uid, name, kind and apiVersion (upstream's ownerReferenceMatchesCoordinates).
bool OwnerMatchesCoordinates(const api::OwnerReference& ref, const ObjectIdentity& id);
bool HasFinalizer(const api::ObjectMeta& meta, std::string_view finalizer);

// One object in the graph.
struct Node {
  ObjectIdentity identity;                  // who it is
  std::set<std::string> dependents;         // uids of the nodes whose ownerReferences name it
  std::vector<api::OwnerReference> owners;  // its own ownerReferences (empty when virtual)
  bool virtual_ = false;                    // referenced, not yet observed by an informer
  bool being_deleted = false;               // deletionTimestamp set
  bool deleting_dependents = false;         // being deleted with the foregroundDeletion finalizer
};

enum class EventType { kAdd, kUpdate, kDelete };

// One change seen by a monitor (or a virtual delete from the collector).
struct GraphEvent {
  EventType type = EventType::kAdd;
  bool virtual_ = false;                  // a verified absence, not an informer event (delete only)
  ObjectIdentity identity;                // from the object and its resource
  const api::ObjectMeta* meta = nullptr;  // the object now (null for virtual events)
  const api::ObjectMeta* old_meta = nullptr;  // the object before an update (may be null)
};

class Graph {
 public:
  using Enqueue = std::function<void(const std::string& uid)>;

  // `attempt_to_delete_rate_limited` is for re-checks that should back off (a replaced
  // virtual node); empty means use `attempt_to_delete`.
  Graph(Enqueue attempt_to_delete, Enqueue attempt_to_orphan,
        Enqueue attempt_to_delete_rate_limited = {}, size_t absent_owner_cache_size = 500);

  // Applies one change (upstream's processGraphChanges body).
  void Process(const GraphEvent& ev);

  // A copy of the node with `uid`.
  std::optional<Node> Get(const std::string& uid) const;
  // Copies of the dependents of `uid`.
  std::vector<Node> Dependents(const std::string& uid) const;
  // Dependents of `uid` whose reference to it has blockOwnerDeletion=true.
  std::vector<Node> BlockingDependents(const std::string& uid) const;
  size_t Size() const { return nodes_.size(); }

  // The cache of owners verified absent (an LRU upstream; here bounded, oldest out first).
  bool IsAbsent(const ObjectIdentity& id) const { return absent_.count(id) != 0; }
  void AddAbsent(const ObjectIdentity& id);

 private:
  void InsertNode(Node n);
  void AddDependentToOwners(const Node& n, const std::vector<api::OwnerReference>& owners);
  void RemoveDependentFromOwners(const Node& n, const std::vector<api::OwnerReference>& owners);
  void RemoveNode(const Node& n);
  void AddUnblockedOwnersToDeleteQueue(
      const std::vector<api::OwnerReference>& removed,
      const std::vector<std::pair<api::OwnerReference, api::OwnerReference>>& changed);
  void ProcessTransitions(const api::ObjectMeta* old_meta, const api::ObjectMeta& meta, Node& n);
  // Splits dependents of a node into those whose reference matches `owner` and those whose
  // reference with the same uid does not.
  void PartitionDependents(const std::set<std::string>& deps, const ObjectIdentity& owner,
                           std::vector<std::string>* matching,
                           std::vector<std::string>* nonmatching) const;
  std::optional<ObjectIdentity> AlternateOwnerIdentity(const std::vector<std::string>& deps,
                                                       const ObjectIdentity& absent) const;

  Enqueue attempt_to_delete_;                // adds a uid to attemptToDelete
  Enqueue attempt_to_orphan_;                // adds a uid to attemptToOrphan
  Enqueue attempt_to_delete_rate_limited_;   // AddRateLimited on attemptToDelete
  std::map<std::string, Node> nodes_;        // uid -> node (upstream's uidToNode)
  size_t absent_cap_;                        // bound of the absent-owner cache
  std::set<ObjectIdentity> absent_;          // owners verified absent
  std::deque<ObjectIdentity> absent_order_;  // insertion order, for eviction
};

}  // namespace kubepp::controller::gc
