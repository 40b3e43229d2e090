// Server-side apply and field management (metadata.managedFields), with upstream's semantics
// (sigs.k8s.io/structured-merge-diff as the v1.32 API server uses it):
//   - FieldSet: a set of field paths as a tree, encoded as upstream's FieldsV1 JSON
//     ("f:<field>", "k:{<merge keys>}" for associative list items, "v:<value>" for set items,
//     "." for the path itself when it also has children);
//   - the schema decides how each value is walked: structs by field, string maps by key,
//     lists with a patch merge key as associative lists (keyed by their list-map keys, e.g.
//     ports by containerPort+protocol), merge lists without a key as sets, every other list,
//     free-form JSON and the atomic structs/maps (LabelSelector, nodeSelector, ...) as leaves;
//   - UpdateManagedFields: a create/update/patch takes the fields it added or changed from
//     every other manager and loses nothing it did not touch; removed fields leave every set;
//   - Apply: merges an applied configuration into the live object, removes what the manager
//     applied before and no longer applies (unless someone else owns it), and reports
//     conflicts with other managers' fields whose value it changes (409 with upstream's
//     message and FieldManagerConflict causes) unless forced.
// Fields upstream never tracks are skipped (apiVersion, kind, metadata.name/namespace/uid/
// resourceVersion/generation/creationTimestamp/selfLink/managedFields), and so is the other
// half of a status-subresource kind (status on the main resource, all but status on /status).
//
// Pure functions over boost::json values and the embedded schema; thread-safe.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/schema.h"
#include "base/status.h"

namespace kubepp::api::managed {

// A set of field paths. Each node is one path; `member` says the path itself is in the set;
// children are keyed by their FieldsV1 path element ("f:name", "k:{\"name\":\"c\"}", "v:1").
// Empty children are never kept.
class FieldSet {
 public:
  using ChildList = std::vector<std::pair<std::string, FieldSet>>;  // sorted by key

  bool IsMember() const { return member_; }
  void SetMember(bool m) { member_ = m; }
  const ChildList& Children() const { return children_; }
  bool Empty() const { return !member_ && children_.empty(); }

  // The child with `key`, or nullptr.
  const FieldSet* Find(std::string_view key) const;
  // The child with `key`, added empty when missing.
  FieldSet& Child(std::string_view key);
  // Adds `child` under `key` (merged into an existing one); an empty child is dropped.
  void Insert(std::string key, FieldSet child);
  // Removes the child `key` and everything under it.
  void Erase(std::string_view key);
  // The path (a list of keys below this node) is a member.
  bool HasMember(const std::vector<std::string>& path) const;

  void Union(const FieldSet& other);
  // Removes every member of `other` (recursively; children of a removed member stay unless
  // they are members of `other` too), then drops empty children.
  void Difference(const FieldSet& other);
  FieldSet Intersection(const FieldSet& other) const;
  // Calls fn(path) for every member path, in key order.
  template <typename Fn>
  void ForEachMember(Fn&& fn) const {
    std::vector<std::string> path;
    Walk(path, fn);
  }

  // FieldsV1 JSON ({} for an empty set).
  boost::json::object ToJson() const;
  // Parses FieldsV1 JSON. Errors: BadRequest for a non-object or an unknown key prefix.
  static Result<FieldSet> FromJson(const boost::json::value& v);

  bool operator==(const FieldSet& other) const = default;

 private:
  template <typename Fn>
  void Walk(std::vector<std::string>& path, Fn& fn) const {
    if (member_) fn(static_cast<const std::vector<std::string>&>(path));
    for (const auto& [k, c] : children_) {
      path.push_back(k);
      c.Walk(path, fn);
      path.pop_back();
    }
  }
  ChildList::iterator LowerBound(std::string_view key);

  bool member_ = false;  // this path itself is in the set
  ChildList children_;   // sub-paths by path element, sorted
};

// Upstream's text form of a path: ".spec.containers[name=\"c\"].image", "[=\"v\"]" for set
// values.
std::string PathString(const std::vector<std::string>& path);

// The fields `obj` sets, as the applied configuration of a `type` (upstream's ToFieldSet).
// Errors: BadRequest-free: InternalError with upstream's wording for fields the schema does
// not declare (".spec.foo: field not declared in schema") and list items without their key.
Result<FieldSet> ToFieldSet(const boost::json::value& obj, const schema::Type& type);

// What changed from `lhs` to `rhs` (either may be null: absent), both of `type`.
struct Comparison {
  FieldSet added;     // paths only in rhs (non-leaf paths too)
  FieldSet modified;  // leaves in both with different values
  FieldSet removed;   // paths only in lhs
};
Result<Comparison> Compare(const boost::json::value* lhs, const boost::json::value* rhs,
                           const schema::Type& type);

// `config` merged into `live` (upstream's Merge): maps and structs merge, associative lists
// merge item by key, sets are unions, everything else is replaced by config's value.
boost::json::value Merge(const boost::json::value& live, const boost::json::value& config,
                         const schema::Type& type);

// The object of kind `type` as upstream's field manager sees a new, empty one: its Go value
// structs (metadata, spec, ...) present and empty, its required lists present and null.
const boost::json::value& ZeroObject(const schema::Type& type);

// One metadata.managedFields entry.
struct Entry {
  std::string manager;      // the field manager
  std::string operation;    // "Update" or "Apply"
  std::string api_version;  // e.g. "apps/v1"
  std::string subresource;  // "" or "status" / "scale"
  std::string time;         // RFC 3339, "" when unset
  FieldSet fields;          // the fields it owns
  // Upstream's identity: manager, operation, subresource, and apiVersion for updates.
  bool SameManager(const Entry& other) const;
};

// Decodes metadata.managedFields. Errors: BadRequest naming the first bad entry (operation,
// apiVersion, fieldsType, fieldsV1).
Result<std::vector<Entry>> DecodeEntries(const boost::json::value& managed_fields);
// Encodes entries sorted as upstream (operation, time, manager, apiVersion, subresource).
boost::json::array EncodeEntries(std::vector<Entry> entries);

// Who writes, and how.
struct WriteContext {
  const schema::Type* type = nullptr;  // the kind's schema type
  std::string manager;                 // field manager name
  std::string api_version;             // the resource's group/version
  std::string subresource;             // "", "status" or "scale"
  bool has_status = false;             // the kind has a status subresource
  std::string now;                     // RFC 3339 time of the write
};

// The field manager of a request: `field_manager` when set, else the User-Agent up to the
// first '/', printable characters only, at most 128 bytes (upstream's managerOrUserAgent).
std::string ManagerOf(std::string_view field_manager, std::string_view user_agent);

// Create/update/patch: sets `obj`'s metadata.managedFields for a write that turns `live`
// (nullptr on create) into `obj`. `sent` is the request body's metadata.managedFields
// (nullptr when absent): on the main resource it replaces the live entries when it decodes to
// at least one entry, and resets them when it is [] or [{}]; otherwise the live entries are the
// base. On an internal failure the live entries are kept as they were (upstream's
// UpdateNoErrors).
void UpdateManagedFields(const boost::json::value* live, boost::json::value& obj,
                         const boost::json::value* sent, const WriteContext& ctx);

// Server-side apply of `config` onto `live` (nullptr: the object does not exist yet). Returns
// the merged object with its metadata.managedFields set, ready for the usual preparation
// (defaults, validation). Errors: Conflict (409, upstream's message and causes) unless
// `force`; BadRequest for a config of another apiVersion or with managedFields; InternalError
// for fields the schema does not declare (upstream's wording).
Result<boost::json::value> Apply(const boost::json::value* live, const boost::json::value& config,
                                 const WriteContext& ctx, bool force);

}  // namespace kubepp::api::managed
