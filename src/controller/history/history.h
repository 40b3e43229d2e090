// ControllerRevision history (upstream's pkg/controller/history): the snapshots of a
// controller's template that the StatefulSet and DaemonSet controllers keep as
// apps/v1 ControllerRevisions, named "<parent>-<hash>" and labelled with their hash.
//
// - Pure helpers (no server): ControllerRevisionName, HashControllerRevision, EqualRevision,
//   FindEqualRevisions, SortControllerRevisions, NextRevision, NewControllerRevision.
// - Writes through the REST client (coroutines): CreateControllerRevision (hash collisions
//   resolved by bumping the caller's collision count, as upstream), UpdateControllerRevision
//   (sets .revision, retrying on conflict), DeleteControllerRevision.
// - ListControllerRevisions: a namespace's revisions matching a selector, from a lister.
//
// The hash is FNV-1 32 over the revision's `data` JSON text (object keys sorted, so equal data
// always hashes the same) plus the decimal probe, rendered with SafeEncodeString: stable, but not
// bit-compatible with upstream's hash of Go's JSON bytes.
//
// Thread-safe (stateless). The coroutines hold a reference to the RestClient, which must outlive
// them; the GCC 12 coroutine rules of typed.h apply to callers.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/selector.h"
#include "api/types.h"
#include "async/runtime.h"
#include "base/status.h"
#include "client/informer.h"
#include "client/rest_client.h"

namespace kubepp::controller::history {

// Label holding a revision's hash (upstream's ControllerRevisionHashLabel).
inline constexpr char kControllerRevisionHashLabel[] = "controller.kubernetes.io/hash";
// Longest name prefix kept, so that "<prefix>-<hash>" stays a valid name (upstream's 223).
inline constexpr size_t kMaxNamePrefixLength = 223;

using RevisionPtr = std::shared_ptr<const api::ControllerRevision>;

// "<prefix>-<hash>", the prefix cut to kMaxNamePrefixLength characters.
std::string ControllerRevisionName(std::string_view prefix, std::string_view hash);

// k8s.io/apimachinery rand.SafeEncodeString: each byte to "bcdfghjklmnpqrstvwxz2456789".
std::string SafeEncodeString(std::string_view s);

// The revision's data as JSON text with every object's keys sorted (what is hashed).
std::string CanonicalDataJson(const api::ControllerRevision& rev);

// FNV-1 32 of the canonical data text, then the decimal `probe` when set; SafeEncodeString of
// the decimal sum.
std::string HashControllerRevision(const api::ControllerRevision& rev,
                                   std::optional<int32_t> probe);

// Equal when both hash labels (when both present) are the same and the data are equal.
bool EqualRevision(const api::ControllerRevision& a, const api::ControllerRevision& b);

// Every revision of `revisions` equal to `needle` (order kept).
std::vector<RevisionPtr> FindEqualRevisions(const std::vector<RevisionPtr>& revisions,
                                            const api::ControllerRevision& needle);

// Ascending by .revision, then creationTimestamp, then name (upstream's byRevision).
void SortControllerRevisions(std::vector<RevisionPtr>& revisions);

// One more than the highest .revision (1 when there is none).
int64_t NextRevision(const std::vector<RevisionPtr>& revisions);

// A revision for `parent` (not yet created): namespace, labels = `template_labels`,
// controllerRef `owner`, `data`, `revision`, the hash label, name "<parent>-<hash>" with the
// collision count as probe (upstream's NewControllerRevision).
api::ControllerRevision NewControllerRevision(
    const api::ObjectMeta& parent, const api::OwnerReference& owner,
    const std::map<std::string, std::string>& template_labels, boost::json::value data,
    int64_t revision, std::optional<int32_t> collision_count);

// Creates `rev` (namespace, ownerReferences, labels, data and revision filled in; any name is
// replaced) as "<controller owner's name>-<hash>", hashed with *collision_count as the probe.
// When that name exists with different data (a hash collision), *collision_count is
// incremented and the next name tried; when it exists with equal data, the existing revision is
// returned. Invalid when `rev` has no controller owner reference; other errors are the client's.
// `collision_count` must stay valid until the task ends.
async::Task<Result<api::ControllerRevision>> CreateControllerRevision(
    client::RestClient& client, const api::ControllerRevision& rev, int32_t* collision_count);

// Sets rev.revision to `new_revision` (no write when it already is), re-reading and retrying on
// conflict; returns the stored revision.
async::Task<Result<api::ControllerRevision>> UpdateControllerRevision(
    client::RestClient& client, const api::ControllerRevision& rev, int64_t new_revision);

// Deletes the revision (NotFound counts as done).
async::Task<Status> DeleteControllerRevision(client::RestClient& client,
                                             const api::ControllerRevision& rev);

// The revisions of namespace `ns` whose labels match `selector` (an empty selector matches
// every one, as upstream's labels.Everything()).
std::vector<RevisionPtr> ListControllerRevisions(
    const client::Lister<api::ControllerRevision>& lister, std::string_view ns,
    const api::Selector& selector);

}  // namespace kubepp::controller::history
