#include "controller/history/history.h"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <utility>

#include "client/typed.h"

namespace kubepp::controller::history {

namespace {

// Writes `v` as JSON with every object's keys in ascending order.
void WriteCanonical(const boost::json::value& v, std::string& out) {
  if (const auto* o = v.if_object()) {
    std::vector<const boost::json::key_value_pair*> members;
    members.reserve(o->size());
    for (const auto& kv : *o) members.push_back(&kv);
    std::sort(members.begin(), members.end(),
              [](const auto* a, const auto* b) { return a->key() < b->key(); });
    out += '{';
    bool first = true;
    for (const auto* kv : members) {
      if (!first) out += ',';
      first = false;
      out += boost::json::serialize(boost::json::value(kv->key()));
      out += ':';
      WriteCanonical(kv->value(), out);
    }
    out += '}';
    return;
  }
  if (const auto* a = v.if_array()) {
    out += '[';
    bool first = true;
    for (const auto& e : *a) {
      if (!first) out += ',';
      first = false;
      WriteCanonical(e, out);
    }
    out += ']';
    return;
  }
  out += boost::json::serialize(v);
}

const api::OwnerReference* ControllerOf(const api::ObjectMeta& meta) {
  for (const auto& ref : meta.ownerReferences) {
    if (ref.controller.value_or(false)) return &ref;
  }
  return nullptr;
}

const std::string* HashLabel(const api::ControllerRevision& rev) {
  auto it = rev.metadata.labels.find(kControllerRevisionHashLabel);
  return it == rev.metadata.labels.end() ? nullptr : &it->second;
}

}  // namespace

std::string ControllerRevisionName(std::string_view prefix, std::string_view hash) {
  if (prefix.size() > kMaxNamePrefixLength) prefix = prefix.substr(0, kMaxNamePrefixLength);
  std::string out(prefix);
  out += '-';
  out += hash;
  return out;
}

std::string SafeEncodeString(std::string_view s) {
  static constexpr std::string_view kAlphanums = "bcdfghjklmnpqrstvwxz2456789";
  std::string out(s.size(), ' ');
  for (size_t i = 0; i < s.size(); ++i) {
    out[i] = kAlphanums[static_cast<unsigned char>(s[i]) % kAlphanums.size()];
  }
  return out;
}

std::string CanonicalDataJson(const api::ControllerRevision& rev) {
  std::string out;
  if (rev.data.is_null()) return out;  // no data: nothing hashed (upstream's empty Raw)
  WriteCanonical(rev.data, out);
  return out;
}

std::string HashControllerRevision(const api::ControllerRevision& rev,
                                   std::optional<int32_t> probe) {
  // FNV-1 (multiply, then xor), as Go's hash/fnv New32.
  uint32_t h = 2166136261U;
  auto write = [&h](std::string_view bytes) {
    for (char c : bytes) {
      h *= 16777619U;
      h ^= static_cast<unsigned char>(c);
    }
  };
  write(CanonicalDataJson(rev));
  if (probe) write(std::to_string(*probe));
  return SafeEncodeString(std::to_string(h));
}

bool EqualRevision(const api::ControllerRevision& a, const api::ControllerRevision& b) {
  const std::string* ha = HashLabel(a);
  const std::string* hb = HashLabel(b);
  if (ha != nullptr && hb != nullptr && *ha != *hb) return false;
  return a.data == b.data;
}

std::vector<RevisionPtr> FindEqualRevisions(const std::vector<RevisionPtr>& revisions,
                                            const api::ControllerRevision& needle) {
  std::vector<RevisionPtr> out;
  for (const auto& r : revisions) {
    if (r && EqualRevision(*r, needle)) out.push_back(r);
  }
  return out;
}

void SortControllerRevisions(std::vector<RevisionPtr>& revisions) {
  std::stable_sort(revisions.begin(), revisions.end(),
                   [](const RevisionPtr& a, const RevisionPtr& b) {
                     if (a->revision != b->revision) return a->revision < b->revision;
                     // RFC 3339 UTC times of one format sort as text.
                     const auto& ta = a->metadata.creationTimestamp;
                     const auto& tb = b->metadata.creationTimestamp;
                     if (ta != tb) return ta < tb;
                     return a->metadata.name < b->metadata.name;
                   });
}

int64_t NextRevision(const std::vector<RevisionPtr>& revisions) {
  int64_t max = 0;
  for (const auto& r : revisions) {
    if (r) max = std::max(max, r->revision);
  }
  return max + 1;
}

api::ControllerRevision NewControllerRevision(
    const api::ObjectMeta& parent, const api::OwnerReference& owner,
    const std::map<std::string, std::string>& template_labels, boost::json::value data,
    int64_t revision, std::optional<int32_t> collision_count) {
  api::ControllerRevision rev;
  rev.metadata.namespace_ = parent.namespace_;
  rev.metadata.labels = template_labels;
  rev.metadata.ownerReferences = {owner};
  rev.data = std::move(data);
  rev.revision = revision;
  const std::string hash = HashControllerRevision(rev, collision_count);
  rev.metadata.name = ControllerRevisionName(parent.name, hash);
  rev.metadata.labels[kControllerRevisionHashLabel] = hash;
  return rev;
}

async::Task<Result<api::ControllerRevision>> CreateControllerRevision(
    client::RestClient& client, const api::ControllerRevision& rev, int32_t* collision_count) {
  if (collision_count == nullptr) co_return Status::Invalid("collisionCount should not be nil");
  const api::OwnerReference* owner = ControllerOf(rev.metadata);
  if (owner == nullptr) {
    co_return Status::Invalid("controller revision has no controller owner reference");
  }
  const std::string prefix = owner->name;
  client::TypedClient<api::ControllerRevision> revisions(client, rev.metadata.namespace_);
  // Each collision moves the probe on; a bound keeps a broken server from looping forever.
  for (int attempt = 0; attempt < 1000; ++attempt) {
    api::ControllerRevision clone = rev;
    const std::string hash = HashControllerRevision(rev, *collision_count);
    clone.metadata.name = ControllerRevisionName(prefix, hash);
    clone.metadata.generateName.clear();
    clone.metadata.resourceVersion.clear();
    clone.metadata.uid.clear();
    std::string name = clone.metadata.name;
    auto created = co_await revisions.Create(std::move(clone));
    if (created.IsOk() || !created.status().IsAlreadyExists()) co_return created;
    auto existing = co_await revisions.Get(std::move(name));
    if (!existing.IsOk()) co_return existing.status();
    if (existing->data == rev.data) co_return existing;
    ++*collision_count;
  }
  co_return Status::Internal("controller revision: too many hash collisions");
}

async::Task<Result<api::ControllerRevision>> UpdateControllerRevision(
    client::RestClient& client, const api::ControllerRevision& rev, int64_t new_revision) {
  api::ControllerRevision current = rev;
  client::TypedClient<api::ControllerRevision> revisions(client, rev.metadata.namespace_);
  Status last;
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (current.revision == new_revision) co_return current;
    current.revision = new_revision;
    api::ControllerRevision body = current;
    auto updated = co_await revisions.Update(std::move(body));
    if (updated.IsOk()) co_return updated;
    last = updated.status();
    if (!last.IsConflict()) co_return last;
    std::string name = rev.metadata.name;
    auto fresh = co_await revisions.Get(std::move(name));
    if (!fresh.IsOk()) co_return fresh.status();
    current = std::move(*fresh);
  }
  co_return last;
}

async::Task<Status> DeleteControllerRevision(client::RestClient& client,
                                             const api::ControllerRevision& rev) {
  client::TypedClient<api::ControllerRevision> revisions(client, rev.metadata.namespace_);
  std::string name = rev.metadata.name;
  Status s = co_await revisions.Delete(std::move(name));
  if (s.IsNotFound()) co_return Status::Ok();
  co_return s;
}

std::vector<RevisionPtr> ListControllerRevisions(
    const client::Lister<api::ControllerRevision>& lister, std::string_view ns,
    const api::Selector& selector) {
  return lister.ListNamespace(ns, selector);
}

}  // namespace kubepp::controller::history
