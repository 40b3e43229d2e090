#include "api/managed_fields.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <map>
#include <mutex>
#include <unordered_map>

namespace kubepp::api::managed {

namespace json = boost::json;
using schema::Field;
using schema::Kind;
using schema::Type;
using schema::TypeRef;

// ---------------------------------------------------------------------------------------------
// FieldSet

FieldSet::ChildList::iterator FieldSet::LowerBound(std::string_view key) {
  return std::lower_bound(children_.begin(), children_.end(), key,
                          [](const auto& c, std::string_view k) { return c.first < k; });
}

const FieldSet* FieldSet::Find(std::string_view key) const {
  auto it = std::lower_bound(children_.begin(), children_.end(), key,
                             [](const auto& c, std::string_view k) { return c.first < k; });
  if (it == children_.end() || it->first != key) return nullptr;
  return &it->second;
}

FieldSet& FieldSet::Child(std::string_view key) {
  auto it = LowerBound(key);
  if (it == children_.end() || it->first != key) {
    it = children_.emplace(it, std::string(key), FieldSet());
  }
  return it->second;
}

void FieldSet::Insert(std::string key, FieldSet child) {
  if (child.Empty()) return;
  auto it = LowerBound(key);
  if (it != children_.end() && it->first == key) {
    it->second.Union(child);
    return;
  }
  children_.emplace(it, std::move(key), std::move(child));
}

void FieldSet::Erase(std::string_view key) {
  auto it = LowerBound(key);
  if (it != children_.end() && it->first == key) children_.erase(it);
}

bool FieldSet::HasMember(const std::vector<std::string>& path) const {
  const FieldSet* node = this;
  for (const auto& k : path) {
    node = node->Find(k);
    if (node == nullptr) return false;
  }
  return node->member_;
}

void FieldSet::Union(const FieldSet& other) {
  member_ = member_ || other.member_;
  for (const auto& [k, c] : other.children_) {
    auto it = LowerBound(k);
    if (it != children_.end() && it->first == k) {
      it->second.Union(c);
    } else {
      children_.emplace(it, k, c);
    }
  }
}

void FieldSet::Difference(const FieldSet& other) {
  if (other.member_) member_ = false;
  if (other.children_.empty() || children_.empty()) return;
  auto out = children_.begin();
  auto o = other.children_.begin();
  for (auto it = children_.begin(); it != children_.end(); ++it) {
    while (o != other.children_.end() && o->first < it->first) ++o;
    if (o != other.children_.end() && o->first == it->first) it->second.Difference(o->second);
    if (it->second.Empty()) continue;
    if (out != it) *out = std::move(*it);
    ++out;
  }
  children_.erase(out, children_.end());
}

FieldSet FieldSet::Intersection(const FieldSet& other) const {
  FieldSet out;
  out.member_ = member_ && other.member_;
  auto o = other.children_.begin();
  for (const auto& [k, c] : children_) {
    while (o != other.children_.end() && o->first < k) ++o;
    if (o == other.children_.end()) break;
    if (o->first != k) continue;
    FieldSet i = c.Intersection(o->second);
    if (!i.Empty()) out.children_.emplace_back(k, std::move(i));
  }
  return out;
}

json::object FieldSet::ToJson() const {
  json::object out;
  out.reserve(children_.size() + (member_ && !children_.empty() ? 1 : 0));
  if (member_ && !children_.empty()) out.emplace(".", json::object());
  for (const auto& [k, c] : children_) out.emplace(k, c.ToJson());
  return out;
}

Result<FieldSet> FieldSet::FromJson(const json::value& v) {
  if (!v.is_object()) return Status::BadRequest("error decoding set: FieldsV1 must be an object");
  FieldSet out;
  for (const auto& kv : v.get_object()) {
    std::string_view k = kv.key();
    if (k == ".") {
      out.member_ = true;
      continue;
    }
    if (k.size() < 2 || k[1] != ':' || (k[0] != 'f' && k[0] != 'k' && k[0] != 'v' && k[0] != 'i')) {
      return Status::BadRequest(fmt::format("error decoding set: unknown path element {}", k));
    }
    KUBEPP_ASSIGN_OR_RETURN(FieldSet child, FromJson(kv.value()));
    if (child.Empty()) child.member_ = true;
    out.Insert(std::string(k), std::move(child));
  }
  return out;
}

std::string PathString(const std::vector<std::string>& path) {
  std::string out;
  for (const auto& k : path) {
    std::string_view body = std::string_view(k).substr(std::min<size_t>(2, k.size()));
    if (k.rfind("f:", 0) == 0) {
      out += '.';
      out += body;
    } else if (k.rfind("k:", 0) == 0) {
      boost::system::error_code ec;
      json::value keys = json::parse(body, ec);
      out += '[';
      if (!ec && keys.is_object()) {
        bool first = true;
        for (const auto& kv : keys.get_object()) {
          if (!first) out += ',';
          first = false;
          out += kv.key();
          out += '=';
          out += json::serialize(kv.value());
        }
      } else {
        out += body;
      }
      out += ']';
    } else if (k.rfind("v:", 0) == 0) {
      out += "[=";
      out += body;
      out += ']';
    } else {
      out += '[';
      out += body;
      out += ']';
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// How the schema shapes a value

namespace {

enum class Shape {
  kLeaf,       // scalar, atomic list/map/struct, free-form JSON
  kStruct,     // a schema type: fields by name
  kMap,        // string keys, each entry its own path
  kAssocList,  // items keyed by their list-map keys
  kSetList,    // items are their own keys
};

// A list-map key and its default (upstream's OpenAPI default for a key field; "" = none).
struct KeyField {
  std::string_view name;
  std::string_view default_value;
};

struct Node {
  Shape shape = Shape::kLeaf;
  const Type* type = nullptr;     // kStruct: the type
  const TypeRef* elem = nullptr;  // kMap / lists: the element type
  std::array<KeyField, 2> keys{};
  size_t num_keys = 0;  // kAssocList: keys[0..num_keys), sorted by name
};

// Lists whose upstream list-map keys are more than the patch merge key.
struct MultiKeyList {
  std::string_view type;
  std::string_view field;
  std::array<KeyField, 2> keys;
};
constexpr std::array<MultiKeyList, 4> kMultiKeyLists = {{
    {"Container", "ports", {{{"containerPort", ""}, {"protocol", "TCP"}}}},
    {"EphemeralContainer", "ports", {{{"containerPort", ""}, {"protocol", "TCP"}}}},
    {"ServiceSpec", "ports", {{{"port", ""}, {"protocol", "TCP"}}}},
    {"PodSpec", "topologySpreadConstraints", {{{"topologyKey", ""}, {"whenUnsatisfiable", ""}}}},
}};

// Structs upstream marks +structType=atomic: owned and replaced as a whole.
constexpr std::array<std::string_view, 13> kAtomicStructs = {
    "LabelSelector",       "NodeSelector",          "NodeSelectorTerm",
    "ObjectReference",     "LocalObjectReference",  "TypedLocalObjectReference",
    "ObjectFieldSelector", "ResourceFieldSelector", "ConfigMapKeySelector",
    "SecretKeySelector",   "SecretReference",       "TypedObjectReference",
    "ScopeSelector",
};

// Maps upstream marks +mapType=atomic.
constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kAtomicMaps = {{
    {"PodSpec", "nodeSelector"},
    {"ServiceSpec", "selector"},
    {"ReplicationControllerSpec", "selector"},
}};

Node NodeFor(const TypeRef* ref, const Field* field, const Type* parent) {
  Node n;
  if (ref == nullptr) return n;
  switch (ref->kind) {
    case Kind::kObject:
      if (ref->object == nullptr) return n;
      if (std::find(kAtomicStructs.begin(), kAtomicStructs.end(), ref->object->name) !=
          kAtomicStructs.end()) {
        return n;
      }
      n.shape = Shape::kStruct;
      n.type = ref->object;
      return n;
    case Kind::kMap:
      if (field != nullptr && parent != nullptr) {
        for (const auto& [t, f] : kAtomicMaps) {
          if (t == parent->name && f == field->name) return n;
        }
      }
      n.shape = Shape::kMap;
      n.elem = ref->elem;
      return n;
    case Kind::kArray:
      if (field == nullptr) return n;  // a list of lists: atomic
      n.elem = ref->elem;
      if (parent != nullptr) {
        for (const auto& m : kMultiKeyLists) {
          if (m.type == parent->name && m.field == field->name) {
            n.shape = Shape::kAssocList;
            n.keys = m.keys;
            n.num_keys = 2;
            return n;
          }
        }
      }
      if (field->Merges()) {
        if (field->patch_merge_key.empty()) {
          n.shape = Shape::kSetList;
        } else {
          n.shape = Shape::kAssocList;
          n.keys[0] = {field->patch_merge_key, ""};
          n.num_keys = 1;
        }
      }
      return n;
    default:
      return n;
  }
}

Node ElemNode(const Node& n) { return NodeFor(n.elem, nullptr, nullptr); }

// Where a value sits, for the fields upstream never tracks.
enum class Level { kRoot, kMeta, kOther };

bool Stripped(Level level, std::string_view field) {
  if (level == Level::kRoot) return field == "apiVersion" || field == "kind";
  if (level == Level::kMeta) {
    return field == "name" || field == "namespace" || field == "creationTimestamp" ||
           field == "selfLink" || field == "uid" || field == "clusterName" ||
           field == "generation" || field == "managedFields" || field == "resourceVersion";
  }
  return false;
}

Level ChildLevel(Level level, std::string_view field) {
  return level == Level::kRoot && field == "metadata" ? Level::kMeta : Level::kOther;
}

// The "k:{...}" key of an associative list item; "" when a key field is missing (its name in
// *missing).
std::string ItemKey(const json::value& item, const Node& n, std::string_view* missing) {
  if (!item.is_object()) {
    if (missing != nullptr) *missing = n.keys[0].name;
    return "";
  }
  const auto& o = item.get_object();
  json::object key;
  for (size_t i = 0; i < n.num_keys; ++i) {
    const KeyField& k = n.keys[i];
    const json::value* v = o.if_contains(k.name);
    if (v != nullptr && !v->is_null()) {
      key.emplace(k.name, *v);
    } else if (!k.default_value.empty()) {
      key.emplace(k.name, k.default_value);
    } else {
      if (missing != nullptr) *missing = k.name;
      return "";
    }
  }
  return "k:" + json::serialize(key);
}

std::string ValueKey(const json::value& item) { return "v:" + json::serialize(item); }

std::string MissingKeyError(const std::string& path, size_t index, std::string_view key) {
  return fmt::format(
      "{}: element {}: associative list with keys has an element that omits key field \"{}\" "
      "(and doesn't have default value)",
      path, index, key);
}

// ---------------------------------------------------------------------------------------------
// ToFieldSet

Status ToSet(const json::value& v, const Node& n, FieldSet& out, std::string& path, Level level) {
  switch (n.shape) {
    case Shape::kLeaf:
      out.SetMember(true);
      return Status::Ok();
    case Shape::kStruct:
    case Shape::kMap: {
      if (!v.is_object()) {
        out.SetMember(true);
        return Status::Ok();
      }
      Node elem = n.shape == Shape::kMap ? ElemNode(n) : Node{};
      for (const auto& kv : v.get_object()) {
        std::string_view k = kv.key();
        if (Stripped(level, k)) continue;
        size_t mark = path.size();
        path += '.';
        path += k;
        Node cn = elem;
        if (n.shape == Shape::kStruct) {
          const Field* f = n.type->FindField(k);
          if (f == nullptr) return Status::Internal(path + ": field not declared in schema");
          cn = NodeFor(f->type, f, n.type);
        }
        FieldSet c;
        if (Status s = ToSet(kv.value(), cn, c, path, ChildLevel(level, k)); !s.IsOk()) return s;
        if (n.shape == Shape::kMap) c.SetMember(true);
        path.resize(mark);
        std::string key = "f:";
        key += k;
        out.Insert(std::move(key), std::move(c));
      }
      return Status::Ok();
    }
    case Shape::kAssocList:
    case Shape::kSetList: {
      if (!v.is_array()) {
        out.SetMember(true);
        return Status::Ok();
      }
      Node elem = ElemNode(n);
      const auto& arr = v.get_array();
      for (size_t i = 0; i < arr.size(); ++i) {
        if (n.shape == Shape::kSetList) {
          out.Child(ValueKey(arr[i])).SetMember(true);
          continue;
        }
        std::string_view missing;
        std::string key = ItemKey(arr[i], n, &missing);
        if (key.empty()) return Status::Internal(MissingKeyError(path, i, missing));
        size_t mark = path.size();
        path += PathString({key});
        FieldSet c;
        if (Status s = ToSet(arr[i], elem, c, path, Level::kOther); !s.IsOk()) return s;
        path.resize(mark);
        c.SetMember(true);
        out.Insert(std::move(key), std::move(c));
      }
      return Status::Ok();
    }
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Compare

bool IsContainerFor(const json::value& v, const Node& n) {
  if (v.is_null()) return true;
  if (n.shape == Shape::kStruct || n.shape == Shape::kMap) return v.is_object();
  return v.is_array();
}

bool EmptyContainer(const json::value* v) {
  if (v == nullptr || v->is_null()) return true;
  if (v->is_object()) return v->get_object().empty();
  if (v->is_array()) return v->get_array().empty();
  return false;
}

// Items of a keyed list: (key, item), first occurrence of a key only, sorted by key.
Result<std::vector<std::pair<std::string, const json::value*>>> IndexItems(const json::value* v,
                                                                           const Node& n) {
  std::vector<std::pair<std::string, const json::value*>> out;
  if (v == nullptr || !v->is_array()) return out;
  out.reserve(v->get_array().size());
  size_t i = 0;
  for (const auto& item : v->get_array()) {
    std::string key;
    if (n.shape == Shape::kSetList) {
      key = ValueKey(item);
    } else {
      std::string_view missing;
      key = ItemKey(item, n, &missing);
      if (key.empty()) return Status::Internal(MissingKeyError("", i, missing));
    }
    out.emplace_back(std::move(key), &item);
    ++i;
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const auto& a, const auto& b) { return a.first == b.first; }),
            out.end());
  return out;
}

Status CompareAt(const json::value* l, const json::value* r, const Node& n, Comparison& out,
                 Level level);

Status CompareChild(std::string key, const json::value* l, const json::value* r, const Node& n,
                    Comparison& out, Level level) {
  Comparison c;
  if (Status s = CompareAt(l, r, n, c, level); !s.IsOk()) return s;
  if (!c.added.Empty()) out.added.Insert(key, std::move(c.added));
  if (!c.modified.Empty()) out.modified.Insert(key, std::move(c.modified));
  if (!c.removed.Empty()) out.removed.Insert(std::move(key), std::move(c.removed));
  return Status::Ok();
}

Status CompareAt(const json::value* l, const json::value* r, const Node& n, Comparison& out,
                 Level level) {
  // Equal values differ nowhere below: skip the walk (most of an update).
  if (l != nullptr && r != nullptr && level == Level::kOther && *l == *r) return Status::Ok();
  bool leaf = n.shape == Shape::kLeaf;
  if (!leaf) {
    if ((l != nullptr && !IsContainerFor(*l, n)) || (r != nullptr && !IsContainerFor(*r, n))) {
      leaf = true;
    } else if (EmptyContainer(l) && EmptyContainer(r)) {
      leaf = true;  // keeps the empty/null distinction, as upstream
    }
  }
  if (leaf) {
    if (l == nullptr) {
      out.added.SetMember(true);
    } else if (r == nullptr) {
      out.removed.SetMember(true);
    } else if (*l != *r) {
      out.modified.SetMember(true);
    }
    return Status::Ok();
  }
  switch (n.shape) {
    case Shape::kStruct:
    case Shape::kMap: {
      const json::object* lo = l != nullptr && l->is_object() ? &l->get_object() : nullptr;
      const json::object* ro = r != nullptr && r->is_object() ? &r->get_object() : nullptr;
      Node elem = n.shape == Shape::kMap ? ElemNode(n) : Node{};
      auto child_node = [&](std::string_view k) {
        if (n.shape == Shape::kMap) return elem;
        const Field* f = n.type->FindField(k);
        return f != nullptr ? NodeFor(f->type, f, n.type) : Node{};
      };
      if (lo != nullptr) {
        for (const auto& kv : *lo) {
          if (Stripped(level, kv.key())) continue;
          const json::value* rv = ro != nullptr ? ro->if_contains(kv.key()) : nullptr;
          std::string key = "f:";
          key += kv.key();
          Status s = CompareChild(std::move(key), &kv.value(), rv, child_node(kv.key()), out,
                                  ChildLevel(level, kv.key()));
          if (!s.IsOk()) return s;
        }
      }
      if (ro != nullptr) {
        for (const auto& kv : *ro) {
          if (Stripped(level, kv.key())) continue;
          if (lo != nullptr && lo->contains(kv.key())) continue;
          std::string key = "f:";
          key += kv.key();
          Status s = CompareChild(std::move(key), nullptr, &kv.value(), child_node(kv.key()), out,
                                  ChildLevel(level, kv.key()));
          if (!s.IsOk()) return s;
        }
      }
      break;
    }
    case Shape::kAssocList:
    case Shape::kSetList: {
      KUBEPP_ASSIGN_OR_RETURN(auto litems, IndexItems(l, n));
      KUBEPP_ASSIGN_OR_RETURN(auto ritems, IndexItems(r, n));
      Node elem = n.shape == Shape::kSetList ? Node{} : ElemNode(n);
      auto li = litems.begin();
      auto ri = ritems.begin();
      while (li != litems.end() || ri != ritems.end()) {
        Status s;
        if (ri == ritems.end() || (li != litems.end() && li->first < ri->first)) {
          s = CompareChild(std::move(li->first), li->second, nullptr, elem, out, Level::kOther);
          ++li;
        } else if (li == litems.end() || ri->first < li->first) {
          s = CompareChild(std::move(ri->first), nullptr, ri->second, elem, out, Level::kOther);
          ++ri;
        } else {
          s = CompareChild(std::move(li->first), li->second, ri->second, elem, out, Level::kOther);
          ++li;
          ++ri;
        }
        if (!s.IsOk()) return s;
      }
      break;
    }
    case Shape::kLeaf:
      break;
  }
  if (l == nullptr) {
    out.added.SetMember(true);
  } else if (r == nullptr) {
    out.removed.SetMember(true);
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Merge

json::value MergeAt(const json::value* l, const json::value& r, const Node& n);

// Keyed list merge: shared items merged in config's order, live-only items kept where they were
// (upstream's interleaving).
json::value MergeList(const json::array& la, const json::array& ra, const Node& n) {
  Node elem = n.shape == Shape::kSetList ? Node{} : ElemNode(n);
  auto key_of = [&](const json::value& item) {
    return n.shape == Shape::kSetList ? ValueKey(item) : ItemKey(item, n, nullptr);
  };
  std::vector<std::string> lkeys;
  std::vector<std::string> rkeys;
  lkeys.reserve(la.size());
  rkeys.reserve(ra.size());
  std::unordered_map<std::string, size_t> lpos;
  std::unordered_map<std::string, size_t> rpos;
  for (size_t i = 0; i < la.size(); ++i) {
    lkeys.push_back(key_of(la[i]));
    if (!lkeys.back().empty()) lpos.emplace(lkeys.back(), i);
  }
  for (size_t i = 0; i < ra.size(); ++i) {
    rkeys.push_back(key_of(ra[i]));
    if (!rkeys.back().empty()) rpos.emplace(rkeys.back(), i);
  }
  auto in_r = [&](size_t li) { return !lkeys[li].empty() && rpos.count(lkeys[li]) > 0; };
  auto first_l = [&](size_t li) { return lkeys[li].empty() || lpos.at(lkeys[li]) == li; };
  auto first_r = [&](size_t ri) { return rkeys[ri].empty() || rpos.at(rkeys[ri]) == ri; };
  // Shared keys in config order.
  std::vector<size_t> shared;
  for (size_t i = 0; i < ra.size(); ++i) {
    if (first_r(i) && !rkeys[i].empty() && lpos.count(rkeys[i]) > 0) shared.push_back(i);
  }
  size_t next_shared = 0;
  json::array out;
  out.reserve(std::max(la.size(), ra.size()));
  size_t li = 0;
  size_t ri = 0;
  auto merged_r = [&](size_t i) {
    const json::value* lv = nullptr;
    if (!rkeys[i].empty()) {
      auto it = lpos.find(rkeys[i]);
      if (it != lpos.end()) lv = &la[it->second];
    }
    return MergeAt(lv, ra[i], elem);
  };
  while (li < la.size() || ri < ra.size()) {
    if (li < la.size() && !first_l(li)) {
      ++li;  // a repeated live key
      continue;
    }
    if (ri < ra.size() && !first_r(ri)) {
      ++ri;
      continue;
    }
    if (li < la.size() && ri < ra.size() && !lkeys[li].empty() && lkeys[li] == rkeys[ri]) {
      out.push_back(merged_r(ri));
      ++li;
      ++ri;
      if (next_shared < shared.size()) ++next_shared;
      continue;
    }
    if (li < la.size() && in_r(li)) {
      bool is_next = next_shared < shared.size() && rkeys[shared[next_shared]] == lkeys[li];
      if (!is_next) {
        ++li;  // emitted when config reaches it
        continue;
      }
    } else if (li < la.size()) {
      out.push_back(la[li]);
      ++li;
      continue;
    }
    if (ri < ra.size()) {
      if (next_shared < shared.size() && shared[next_shared] == ri) ++next_shared;
      out.push_back(merged_r(ri));
      ++ri;
    } else {
      ++li;
    }
  }
  return out;
}

json::value MergeAt(const json::value* l, const json::value& r, const Node& n) {
  if (l == nullptr || l->is_null() || r.is_null() || n.shape == Shape::kLeaf) return r;
  switch (n.shape) {
    case Shape::kStruct:
    case Shape::kMap: {
      if (!l->is_object() || !r.is_object()) return r;
      json::object out = l->get_object();
      Node elem = n.shape == Shape::kMap ? ElemNode(n) : Node{};
      for (const auto& kv : r.get_object()) {
        Node cn = elem;
        if (n.shape == Shape::kStruct) {
          const Field* f = n.type->FindField(kv.key());
          cn = f != nullptr ? NodeFor(f->type, f, n.type) : Node{};
        }
        json::value merged = MergeAt(out.if_contains(kv.key()), kv.value(), cn);
        out[kv.key()] = std::move(merged);
      }
      return out;
    }
    case Shape::kAssocList:
    case Shape::kSetList:
      if (!l->is_array() || !r.is_array()) return r;
      return MergeList(l->get_array(), r.get_array(), n);
    case Shape::kLeaf:
      break;
  }
  return r;
}

// Removes the value at `path` (FieldSet keys from index i on) from `v`.
void RemovePath(json::value& v, const std::vector<std::string>& path, size_t i, const Node& n) {
  if (i >= path.size()) return;
  const std::string& k = path[i];
  bool last = i + 1 == path.size();
  if (k.rfind("f:", 0) == 0 && v.is_object() &&
      (n.shape == Shape::kStruct || n.shape == Shape::kMap)) {
    std::string_view name = std::string_view(k).substr(2);
    auto& o = v.get_object();
    auto it = o.find(name);
    if (it == o.end()) return;
    if (last) {
      o.erase(it);
      return;
    }
    Node cn = ElemNode(n);
    if (n.shape == Shape::kStruct) {
      const Field* f = n.type->FindField(name);
      cn = f != nullptr ? NodeFor(f->type, f, n.type) : Node{};
    }
    RemovePath(it->value(), path, i + 1, cn);
    return;
  }
  if ((k.rfind("k:", 0) == 0 || k.rfind("v:", 0) == 0) && v.is_array() &&
      (n.shape == Shape::kAssocList || n.shape == Shape::kSetList)) {
    auto& arr = v.get_array();
    Node elem = ElemNode(n);
    for (auto it = arr.begin(); it != arr.end(); ++it) {
      std::string key = n.shape == Shape::kSetList ? ValueKey(*it) : ItemKey(*it, n, nullptr);
      if (key != k) continue;
      if (last) {
        arr.erase(it);
      } else {
        RemovePath(*it, path, i + 1, elem);
      }
      return;
    }
  }
}

Node RootNode(const Type& type) {
  Node n;
  n.shape = Shape::kStruct;
  n.type = &type;
  return n;
}

// Drops what a write through `ctx`'s endpoint never owns: status on the main resource of a kind
// with a status subresource, everything but status on /status.
void FilterReset(FieldSet& set, const WriteContext& ctx) {
  if (ctx.subresource == "status") {
    FieldSet keep;
    if (const FieldSet* s = set.Find("f:status")) keep.Insert("f:status", *s);
    set = std::move(keep);
  } else if (ctx.subresource.empty() && ctx.has_status) {
    set.Erase("f:status");
  }
  set.SetMember(false);
}

void FilterReset(Comparison& c, const WriteContext& ctx) {
  FilterReset(c.added, ctx);
  FilterReset(c.modified, ctx);
  FilterReset(c.removed, ctx);
}

json::value ZeroStruct(const Type& type, int depth) {
  json::object out;
  if (depth > 8) return out;
  for (const auto& f : type.fields) {
    bool value_struct = f.name == "metadata" || f.name == "spec" || f.name == "status" ||
                        f.name == "template" || f.name == "jobTemplate";
    if (f.type == nullptr) continue;
    if (f.type->kind == Kind::kObject && f.type->object != nullptr && value_struct) {
      out.emplace(f.name, ZeroStruct(*f.type->object, depth + 1));
      continue;
    }
    if (!f.required || depth == 0) continue;  // apiVersion/kind are stripped anyway
    switch (f.type->kind) {
      case Kind::kString:
        out.emplace(f.name, "");
        break;
      case Kind::kInt32:
      case Kind::kInt64:
        out.emplace(f.name, 0);
        break;
      case Kind::kBool:
        out.emplace(f.name, false);
        break;
      default:
        out.emplace(f.name, nullptr);
        break;
    }
  }
  return out;
}

constexpr size_t kMaxUpdateManagers = 10;

// Upstream's capManagers: beyond 10 update entries, the oldest merge into "ancient-changes".
void CapManagers(std::vector<Entry>& entries) {
  auto count = [&] {
    return std::count_if(entries.begin(), entries.end(),
                         [](const Entry& e) { return e.operation == "Update"; });
  };
  while (static_cast<size_t>(count()) > kMaxUpdateManagers) {
    auto oldest = entries.end();
    for (auto it = entries.begin(); it != entries.end(); ++it) {
      if (it->operation != "Update" || it->manager == "ancient-changes") continue;
      if (oldest == entries.end() || it->time < oldest->time) oldest = it;
    }
    if (oldest == entries.end()) return;
    Entry old = std::move(*oldest);
    entries.erase(oldest);
    auto anc = std::find_if(entries.begin(), entries.end(), [&](const Entry& e) {
      return e.operation == "Update" && e.manager == "ancient-changes" &&
             e.api_version == old.api_version;
    });
    if (anc == entries.end()) {
      old.manager = "ancient-changes";
      old.subresource.clear();
      entries.push_back(std::move(old));
    } else {
      anc->fields.Union(old.fields);
      anc->time = std::max(anc->time, old.time);
    }
  }
}

void SetManagedFields(json::value& obj, std::vector<Entry> entries) {
  if (!obj.is_object()) return;
  auto& meta = obj.get_object()["metadata"];
  if (!meta.is_object()) meta = json::object();
  if (entries.empty()) {
    meta.get_object().erase("managedFields");
  } else {
    meta.get_object()["managedFields"] = EncodeEntries(std::move(entries));
  }
}

const json::value* MetaField(const json::value& obj, std::string_view field) {
  if (!obj.is_object()) return nullptr;
  const json::value* meta = obj.get_object().if_contains("metadata");
  if (meta == nullptr || !meta->is_object()) return nullptr;
  return meta->get_object().if_contains(field);
}

bool IsEmptyEntry(const json::value& e) {
  if (!e.is_object()) return false;
  for (const auto& kv : e.get_object()) {
    const json::value& v = kv.value();
    if (v.is_null()) continue;
    if (v.is_string() && v.get_string().empty()) continue;
    if (v.is_object() && v.get_object().empty()) continue;
    return false;
  }
  return true;
}

// Upstream's isResetManagedFields: [] or [{}].
bool IsReset(const json::value& mf) {
  if (!mf.is_array()) return false;
  const auto& a = mf.get_array();
  return a.empty() || (a.size() == 1 && IsEmptyEntry(a[0]));
}

std::string PrintManager(const Entry& e) {
  std::string out = fmt::format("\"{}\"", e.manager);
  if (!e.subresource.empty()) out += fmt::format(" with subresource \"{}\"", e.subresource);
  if (e.operation == "Update") out += " using " + e.api_version;
  return out;
}

std::string GroupVersionOf(const json::value& obj) {
  if (!obj.is_object()) return "";
  const json::value* v = obj.get_object().if_contains("apiVersion");
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : "";
}

std::string MetaString(const json::value& obj, std::string_view field) {
  const json::value* v = MetaField(obj, field);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : "";
}

constexpr std::string_view kLastApplied = "kubectl.kubernetes.io/last-applied-configuration";

// The live object's client-side apply annotation, or nullptr.
const json::string* LastApplied(const json::value& obj) {
  const json::value* ann = MetaField(obj, "annotations");
  if (ann == nullptr || !ann->is_object()) return nullptr;
  const json::value* v = ann->get_object().if_contains(kLastApplied);
  if (v == nullptr || !v->is_string() || v->get_string().empty()) return nullptr;
  return &v->get_string();
}

// Upstream's lastAppliedManager: the fields kubectl's client-side apply last set and that still
// hold that value; "kubectl" taking them over by server-side apply is no conflict.
FieldSet AllowedFromLastApplied(const json::value& live, const Type& type) {
  const json::string* text = LastApplied(live);
  if (text == nullptr) return {};
  boost::system::error_code ec;
  json::value last = json::parse(*text, ec);
  if (ec || !last.is_object()) return {};
  auto set = ToFieldSet(last, type);
  auto cmp = Compare(&last, &live, type);
  if (!set.IsOk() || !cmp.IsOk()) return {};
  set->Difference(cmp->modified);
  set->Difference(cmp->added);
  set->Difference(cmp->removed);
  return std::move(*set);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Public functions

Result<FieldSet> ToFieldSet(const json::value& obj, const Type& type) {
  FieldSet out;
  std::string path;
  if (Status s = ToSet(obj, RootNode(type), out, path, Level::kRoot); !s.IsOk()) return s;
  out.SetMember(false);
  return out;
}

Result<Comparison> Compare(const json::value* lhs, const json::value* rhs, const Type& type) {
  Comparison out;
  if (Status s = CompareAt(lhs, rhs, RootNode(type), out, Level::kRoot); !s.IsOk()) return s;
  out.added.SetMember(false);
  out.removed.SetMember(false);
  out.modified.SetMember(false);
  return out;
}

json::value Merge(const json::value& live, const json::value& config, const Type& type) {
  return MergeAt(&live, config, RootNode(type));
}

const json::value& ZeroObject(const Type& type) {
  static std::mutex mu;
  static std::unordered_map<const Type*, json::value> cache;
  std::lock_guard lock(mu);
  auto it = cache.find(&type);
  if (it == cache.end()) it = cache.emplace(&type, ZeroStruct(type, 0)).first;
  return it->second;
}

bool Entry::SameManager(const Entry& other) const {
  if (manager != other.manager || operation != other.operation ||
      subresource != other.subresource) {
    return false;
  }
  return operation == "Apply" || api_version == other.api_version;
}

Result<std::vector<Entry>> DecodeEntries(const json::value& managed_fields) {
  std::vector<Entry> out;
  if (managed_fields.is_null()) return out;
  if (!managed_fields.is_array()) return Status::BadRequest("managedFields must be a list");
  const auto& arr = managed_fields.get_array();
  out.reserve(arr.size());
  for (size_t i = 0; i < arr.size(); ++i) {
    if (!arr[i].is_object()) return Status::BadRequest("managedFields entries must be objects");
    const auto& o = arr[i].get_object();
    auto str = [&](std::string_view k) {
      const json::value* v = o.if_contains(k);
      return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
    };
    Entry e;
    e.manager = str("manager");
    e.operation = str("operation");
    e.api_version = str("apiVersion");
    e.subresource = str("subresource");
    e.time = str("time");
    if (e.operation != "Apply" && e.operation != "Update") {
      return Status::BadRequest("operation must be `Apply` or `Update`");
    }
    if (e.api_version.empty()) return Status::BadRequest("apiVersion must not be empty");
    std::string type = str("fieldsType");
    if (type.empty()) {
      return Status::BadRequest(fmt::format("missing fieldsType in managed fields entry {}", i));
    }
    if (type != "FieldsV1") {
      return Status::BadRequest(
          fmt::format("invalid fieldsType \"{}\" in managed fields entry {}", type, i));
    }
    if (const json::value* f = o.if_contains("fieldsV1"); f != nullptr && !f->is_null()) {
      KUBEPP_ASSIGN_OR_RETURN(e.fields, FieldSet::FromJson(*f));
    }
    // A repeated manager: the later entry wins, as upstream's map.
    auto same =
        std::find_if(out.begin(), out.end(), [&](const Entry& x) { return x.SameManager(e); });
    if (same != out.end()) {
      *same = std::move(e);
    } else {
      out.push_back(std::move(e));
    }
  }
  return out;
}

json::array EncodeEntries(std::vector<Entry> entries) {
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    if (a.operation != b.operation) return a.operation < b.operation;
    if (a.time != b.time) return a.time < b.time;
    if (a.manager != b.manager) return a.manager < b.manager;
    if (a.api_version != b.api_version) return a.api_version < b.api_version;
    return a.subresource < b.subresource;
  });
  json::array out;
  out.reserve(entries.size());
  for (const auto& e : entries) {
    json::object o;
    o.reserve(7);
    o.emplace("manager", e.manager);
    o.emplace("operation", e.operation);
    o.emplace("apiVersion", e.api_version);
    if (!e.time.empty()) o.emplace("time", e.time);
    o.emplace("fieldsType", "FieldsV1");
    o.emplace("fieldsV1", e.fields.ToJson());
    if (!e.subresource.empty()) o.emplace("subresource", e.subresource);
    out.emplace_back(std::move(o));
  }
  return out;
}

std::string ManagerOf(std::string_view field_manager, std::string_view user_agent) {
  if (!field_manager.empty()) return std::string(field_manager);
  std::string_view prefix = user_agent.substr(0, user_agent.find('/'));
  std::string out;
  for (char c : prefix) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) continue;  // not printable
    if (out.size() + 1 > 128) break;
    out += c;
  }
  return out;
}

void UpdateManagedFields(const json::value* live, json::value& obj, const json::value* sent,
                         const WriteContext& ctx) {
  std::vector<Entry> live_entries;
  if (live != nullptr) {
    if (const json::value* mf = MetaField(*live, "managedFields")) {
      auto d = DecodeEntries(*mf);
      if (d.IsOk()) live_entries = std::move(*d);  // undecodable: reset
    }
  }
  std::vector<Entry> entries;
  bool from_request = false;
  if (ctx.subresource.empty() && sent != nullptr && !sent->is_null()) {
    if (IsReset(*sent)) {
      from_request = true;
    } else if (auto d = DecodeEntries(*sent); d.IsOk() && !d->empty()) {
      entries = std::move(*d);
      from_request = true;
    }
  }
  if (!from_request) entries = live_entries;
  const json::value& before = live != nullptr ? *live : ZeroObject(*ctx.type);
  auto cmp = Compare(&before, &obj, *ctx.type);
  if (!cmp.IsOk()) {
    SetManagedFields(obj, std::move(live_entries));  // keep what was there
    return;
  }
  FilterReset(*cmp, ctx);
  FieldSet changed = std::move(cmp->added);
  changed.Union(cmp->modified);
  for (auto& e : entries) {
    e.fields.Difference(changed);
    e.fields.Difference(cmp->removed);
  }
  std::erase_if(entries, [](const Entry& e) { return e.fields.Empty(); });
  if (!changed.Empty()) {
    Entry self{ctx.manager, "Update", ctx.api_version, ctx.subresource, ctx.now, {}};
    auto it = std::find_if(entries.begin(), entries.end(),
                           [&](const Entry& e) { return e.SameManager(self); });
    if (it == entries.end()) {
      self.fields = std::move(changed);
      entries.push_back(std::move(self));
    } else {
      it->fields.Union(changed);
      it->time = ctx.now;
    }
  }
  CapManagers(entries);
  SetManagedFields(obj, std::move(entries));
}

Result<json::value> Apply(const json::value* live, const json::value& config,
                          const WriteContext& ctx, bool force) {
  if (!config.is_object()) return Status::BadRequest("the apply patch must be an object");
  std::string gv = GroupVersionOf(config);
  if (gv != ctx.api_version) {
    return Status::BadRequest(fmt::format(
        "Incorrect version specified in apply patch. Specified patch version: {}, expected: {}", gv,
        ctx.api_version));
  }
  if (const json::value* mf = MetaField(config, "managedFields"); mf != nullptr && !mf->is_null()) {
    return Status::BadRequest("metadata.managedFields must be nil");
  }
  auto applied = ToFieldSet(config, *ctx.type);
  if (!applied.IsOk()) {
    std::string kind = ctx.type->gvk ? ctx.type->gvk->kind : ctx.type->name;
    std::string group = ctx.type->gvk ? ctx.type->gvk->group : "";
    return Status::Internal(
        fmt::format("failed to create typed patch object ({}/{}; {}/{}, Kind={}): {}",
                    MetaString(config, "namespace"), MetaString(config, "name"), group,
                    ctx.type->gvk ? ctx.type->gvk->version : "", kind, applied.status().Message()));
  }
  FilterReset(*applied, ctx);

  const json::value& before = live != nullptr ? *live : ZeroObject(*ctx.type);
  std::vector<Entry> entries;
  if (live != nullptr) {
    if (const json::value* mf = MetaField(*live, "managedFields")) {
      auto d = DecodeEntries(*mf);
      if (d.IsOk()) entries = std::move(*d);
    }
  }
  json::value merged = Merge(before, config, *ctx.type);

  Entry self{ctx.manager, "Apply", ctx.api_version, ctx.subresource, "", {}};
  auto self_it = std::find_if(entries.begin(), entries.end(),
                              [&](const Entry& e) { return e.SameManager(self); });
  FieldSet last;
  if (self_it == entries.end()) {
    self.fields = std::move(*applied);
    entries.push_back(std::move(self));
    self_it = entries.end() - 1;
  } else {
    last = std::move(self_it->fields);
    self_it->fields = std::move(*applied);
    self_it->api_version = ctx.api_version;
  }
  size_t self_index = static_cast<size_t>(self_it - entries.begin());

  // What the manager applied before and applies no more goes, unless someone owns it.
  if (!last.Empty()) {
    FieldSet owned;
    for (const auto& e : entries) owned.Union(e.fields);
    Node root = RootNode(*ctx.type);
    last.ForEachMember([&](const std::vector<std::string>& path) {
      if (!owned.HasMember(path)) RemovePath(merged, path, 0, root);
    });
  }

  KUBEPP_ASSIGN_OR_RETURN(Comparison cmp, Compare(&before, &merged, *ctx.type));
  // The object changed (beyond its managedFields, which Merge copied from live): a new time.
  bool object_changed = !cmp.added.Empty() || !cmp.modified.Empty() || !cmp.removed.Empty();
  FilterReset(cmp, ctx);
  FieldSet changed = std::move(cmp.added);
  changed.Union(cmp.modified);

  struct Conflict {
    const Entry* entry;
    std::vector<std::string> path;
  };
  std::vector<Conflict> conflicts;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i == self_index) continue;
    FieldSet c = entries[i].fields.Intersection(changed);
    c.ForEachMember([&](const std::vector<std::string>& path) {
      conflicts.push_back({&entries[i], path});
    });
  }
  if (!conflicts.empty() && !force && ctx.manager == "kubectl" && live != nullptr) {
    // Upgrading from client-side apply: what the last-applied annotation set is kubectl's.
    FieldSet allowed = AllowedFromLastApplied(*live, *ctx.type);
    std::erase_if(conflicts, [&](const Conflict& c) { return allowed.HasMember(c.path); });
  }
  if (!conflicts.empty() && !force) {
    StatusDetails details;
    for (const auto& c : conflicts) {
      details.causes.push_back(
          {"FieldManagerConflict", "conflict with " + PrintManager(*c.entry), PathString(c.path)});
    }
    std::string message;
    if (conflicts.size() == 1) {
      message = fmt::format("Apply failed with 1 conflict: conflict with {}: {}",
                            PrintManager(*conflicts[0].entry), PathString(conflicts[0].path));
    } else {
      std::vector<const Entry*> managers;
      for (const auto& c : conflicts) {
        if (std::find(managers.begin(), managers.end(), c.entry) == managers.end()) {
          managers.push_back(c.entry);
        }
      }
      std::sort(managers.begin(), managers.end(), [](const Entry* a, const Entry* b) {
        return std::tie(a->manager, a->operation, a->api_version, a->subresource) <
               std::tie(b->manager, b->operation, b->api_version, b->subresource);
      });
      std::string lines;
      for (const Entry* m : managers) {
        if (!lines.empty()) lines += "\n";
        lines += "conflicts with " + PrintManager(*m) + ":";
        for (const auto& c : conflicts) {
          if (c.entry == m) lines += "\n- " + PathString(c.path);
        }
      }
      message = fmt::format("Apply failed with {} conflicts: {}", conflicts.size(), lines);
    }
    return Status(StatusCode::kConflict, std::move(message), std::move(details));
  }
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i == self_index) continue;
    entries[i].fields.Difference(changed);
    entries[i].fields.Difference(cmp.removed);
  }
  if (object_changed || live == nullptr) entries[self_index].time = ctx.now;
  std::erase_if(entries, [](const Entry& e) { return e.fields.Empty(); });
  if (ctx.manager == "kubectl" && LastApplied(merged) != nullptr) {
    // Upstream's lastAppliedUpdater keeps the client-side apply annotation in step (outside
    // of field ownership).
    json::value annotation = config;
    if (json::value* meta = annotation.get_object().if_contains("metadata");
        meta != nullptr && meta->is_object()) {
      json::value* ann = meta->get_object().if_contains("annotations");
      if (ann != nullptr && ann->is_object()) ann->get_object().erase(kLastApplied);
    }
    merged.get_object()["metadata"].get_object()["annotations"].get_object()[kLastApplied] =
        json::serialize(annotation);
  }
  SetManagedFields(merged, std::move(entries));
  return merged;
}

}  // namespace kubepp::api::managed
