#include "api/strategic_merge.h"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <string>
#include <utility>
#include <vector>

#include "api/schema.h"

namespace kubepp::api {
namespace json = boost::json;
using schema::Kind;
using schema::TypeRef;

namespace {

constexpr std::string_view kDirective = "$patch";
constexpr std::string_view kRetainKeys = "$retainKeys";
constexpr std::string_view kDeleteFromPrimitiveList = "$deleteFromPrimitiveList";
constexpr std::string_view kSetElementOrder = "$setElementOrder";

// What the schema says about one field: its type and how its value patches.
struct FieldMeta {
  const TypeRef* ref = nullptr;  // nullptr: free-form / unknown
  bool merge = false;            // patchStrategy contains "merge"
  std::string_view merge_key;    // patchMergeKey
};

FieldMeta Lookup(const TypeRef* ref, std::string_view key) {
  if (ref == nullptr) return {};
  if (ref->kind == Kind::kMap) return {ref->elem, false, {}};
  if (ref->kind != Kind::kObject) return {};
  const schema::Field* f = ref->object->FindField(key);
  if (f == nullptr) return {};
  return {f->type, f->Merges(), f->patch_merge_key};
}

const TypeRef* ElemOf(const TypeRef* ref) {
  return ref != nullptr && ref->kind == Kind::kArray ? ref->elem : nullptr;
}

// Erases `key` keeping the order of the other keys (json::object::erase moves the last one).
void EraseKey(json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end()) return;
  if (std::next(it) == o.end()) {
    o.erase(it);
    return;
  }
  json::object out(o.storage());
  out.reserve(o.size() - 1);
  for (auto& kv : o) {
    if (kv.key() != key) out.emplace(kv.key(), std::move(kv.value()));
  }
  o = std::move(out);
}

// Go's %v rendering of a decoded JSON value, for upstream-worded error messages.
std::string GoFormat(const json::value& v) {
  switch (v.kind()) {
    case json::kind::object: {
      std::vector<std::pair<std::string, const json::value*>> items;
      for (const auto& [k, e] : v.get_object()) items.emplace_back(std::string(k), &e);
      std::sort(items.begin(), items.end());
      std::string out = "map[";
      for (size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += ' ';
        out += items[i].first + ":" + GoFormat(*items[i].second);
      }
      return out + "]";
    }
    case json::kind::array: {
      std::string out = "[";
      for (size_t i = 0; i < v.get_array().size(); ++i) {
        if (i > 0) out += ' ';
        out += GoFormat(v.get_array()[i]);
      }
      return out + "]";
    }
    case json::kind::string:
      return std::string(v.get_string());
    case json::kind::null:
      return "<nil>";
    default:
      return json::serialize(v);
  }
}

std::string GoTypeName(const json::value& v) {
  switch (v.kind()) {
    case json::kind::object:
      return "map[string]interface {}";
    case json::kind::array:
      return "[]interface {}";
    case json::kind::string:
      return "string";
    case json::kind::bool_:
      return "bool";
    case json::kind::null:
      return "<nil>";
    default:
      return "float64";
  }
}

Status ErrBadArgType(std::string_view expected, const json::value& actual) {
  return Status::BadRequest("expected a " + std::string(expected) + ", but received a " +
                            GoTypeName(actual));
}
Status ErrNoMergeKey(const json::value& m, std::string_view key) {
  return Status::BadRequest("map: " + GoFormat(m) +
                            " does not contain declared merge key: " + std::string(key));
}
Status ErrBadPatchType(const json::value& t, const json::value& m) {
  return Status::BadRequest("unknown patch type: " + GoFormat(t) + " in map: " + GoFormat(m));
}

// Values of the same Go type (numbers are all float64 in Go).
bool SameJsonType(const json::value& a, const json::value& b) {
  auto cls = [](const json::value& v) {
    if (v.is_number()) return 1;
    return static_cast<int>(v.kind()) + 2;
  };
  return cls(a) == cls(b);
}

bool ScalarEqual(const json::value& a, const json::value& b) {
  if (a.is_number() && b.is_number()) return a.to_number<double>() == b.to_number<double>();
  return a == b;
}

// The element kind of the lists: 0 none, 1 object, 2 scalar. Errors like upstream's
// sliceElementType.
Result<int> ElementKind(const json::array& a, const json::array& b) {
  const json::value* first = nullptr;
  for (const json::array* list : {&a, &b}) {
    for (const json::value& v : *list) {
      if (first == nullptr) {
        first = &v;
        if (v.is_array()) return Status::BadRequest("lists of lists are not supported");
      } else if (!SameJsonType(*first, v)) {
        json::array both;
        both.emplace_back(a);
        both.emplace_back(b);
        return Status::BadRequest("list element types are not identical: " + GoFormat(both));
      }
    }
  }
  if (first == nullptr) return 0;
  return first->is_object() ? 1 : 2;
}

class Merger {
 public:
  Result<json::object> MergeMap(json::object original, json::object patch, const TypeRef* ref);

 private:
  Status ApplyRetainKeys(json::object& original, json::object& patch);
  Status ApplySetElementOrder(json::object& original, json::object& patch, const TypeRef* ref);
  Result<json::array> MergeList(json::array original, json::array patch, const FieldMeta& meta,
                                bool delete_list);
  // A value taken from the patch where the original has none: its directives applied.
  Result<json::value> Fresh(const json::value& patch_value, const FieldMeta& meta);
};

Result<json::value> Merger::Fresh(const json::value& v, const FieldMeta& meta) {
  if (v.is_object()) {
    KUBEPP_ASSIGN_OR_RETURN(json::object m, MergeMap({}, v.get_object(), meta.ref));
    return json::value(std::move(m));
  }
  if (v.is_array() && meta.merge) {
    KUBEPP_ASSIGN_OR_RETURN(json::array a, MergeList({}, v.get_array(), meta, false));
    return json::value(std::move(a));
  }
  return v;
}

Status Merger::ApplyRetainKeys(json::object& original, json::object& patch) {
  auto it = patch.find(kRetainKeys);
  if (it == patch.end()) return Status::Ok();
  json::value retain = it->value();
  EraseKey(patch, kRetainKeys);
  if (!retain.is_array()) return Status::BadRequest("invalid patch format of retainKeys");
  auto listed = [&](std::string_view key) {
    return std::any_of(
        retain.get_array().begin(), retain.get_array().end(),
        [&](const json::value& r) { return r.is_string() && r.get_string() == key; });
  };
  for (const auto& [k, v] : patch) {
    if (v.is_null() || k.starts_with(kDeleteFromPrimitiveList) || k.starts_with(kSetElementOrder)) {
      continue;
    }
    if (!listed(k)) return Status::BadRequest("invalid patch format of retainKeys");
  }
  std::vector<std::string> drop;
  for (const auto& [k, v] : original) {
    if (!listed(k)) drop.emplace_back(k);
  }
  for (const std::string& k : drop) EraseKey(original, k);
  return Status::Ok();
}

// The index of `item` in `order`: by merge key value for objects, by value for scalars.
int IndexIn(const json::array& order, const json::value& item, std::string_view merge_key,
            bool objects) {
  const json::value* want = &item;
  if (objects) {
    want = item.is_object() ? item.get_object().if_contains(merge_key) : nullptr;
  }
  for (size_t i = 0; i < order.size(); ++i) {
    const json::value* have = &order[i];
    if (objects) have = have->is_object() ? have->get_object().if_contains(merge_key) : nullptr;
    if (want == nullptr || have == nullptr) {
      if (want == have) return static_cast<int>(i);
      continue;
    }
    if (ScalarEqual(*want, *have)) return static_cast<int>(i);
  }
  return -1;
}

bool IsDeleteElement(const json::value& v) {
  if (!v.is_object()) return false;
  const json::value* d = v.get_object().if_contains(kDirective);
  return d != nullptr && d->is_string() && d->get_string() == "delete";
}

// Sorts `items` by their position in `order` (stable; unknown ones last). Objects must carry
// the merge key, as upstream checks.
Result<json::array> SortByOrder(json::array items, const json::array& order,
                                std::string_view merge_key, bool objects) {
  json::array deletes;
  if (objects) {
    for (const json::array* list : {static_cast<const json::array*>(&items), &order}) {
      for (const json::value& v : *list) {
        if (!v.is_object()) return ErrBadArgType("map[string]interface {}", v);
        if (!v.get_object().contains(merge_key)) return ErrNoMergeKey(v, merge_key);
      }
    }
    json::array keep;
    for (json::value& v : items) (IsDeleteElement(v) ? deletes : keep).push_back(std::move(v));
    items = std::move(keep);
  }
  std::vector<std::pair<int, size_t>> keys;
  for (size_t i = 0; i < items.size(); ++i) {
    int idx = IndexIn(order, items[i], merge_key, objects);
    keys.emplace_back(idx < 0 ? static_cast<int>(order.size()) : idx, i);
  }
  std::stable_sort(keys.begin(), keys.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  json::array out;
  out.reserve(items.size() + deletes.size());
  for (const auto& [idx, i] : keys) out.push_back(std::move(items[i]));
  for (json::value& v : deletes) out.push_back(std::move(v));
  return out;
}

// Upstream's normalizeElementOrder: patch items in patch order, server-only items in server
// order, interleaved by the server order where both are known (else the patch item first).
Result<json::array> NormalizeOrder(json::array patch_items, json::array server_only,
                                   const json::array& patch_order, const json::array& server_order,
                                   std::string_view merge_key, bool objects) {
  KUBEPP_ASSIGN_OR_RETURN(json::array right,
                          SortByOrder(std::move(patch_items), patch_order, merge_key, objects));
  KUBEPP_ASSIGN_OR_RETURN(json::array left,
                          SortByOrder(std::move(server_only), server_order, merge_key, objects));
  json::array out;
  out.reserve(left.size() + right.size());
  size_t i = 0;
  size_t j = 0;
  while (i < left.size() || j < right.size()) {
    if (j >= right.size()) {
      out.push_back(std::move(left[i++]));
    } else if (i >= left.size()) {
      out.push_back(std::move(right[j++]));
    } else {
      int li = IndexIn(server_order, left[i], merge_key, objects);
      int ri = IndexIn(server_order, right[j], merge_key, objects);
      if (li >= 0 && ri >= 0 && li < ri) {
        out.push_back(std::move(left[i++]));
      } else {
        out.push_back(std::move(right[j++]));
      }
    }
  }
  return out;
}

// Splits `merged` into the items present in `by` and the others (server-only).
Result<std::pair<json::array, json::array>> Partition(const json::array& merged,
                                                      const json::array& by,
                                                      std::string_view merge_key, bool objects) {
  std::pair<json::array, json::array> out;
  for (const json::value& v : merged) {
    if (objects) {
      if (!v.is_object()) return ErrBadArgType("map[string]interface {}", v);
      if (!v.get_object().contains(merge_key)) return ErrNoMergeKey(v, merge_key);
    }
    (IndexIn(by, v, merge_key, objects) >= 0 ? out.first : out.second).push_back(v);
  }
  return out;
}

Result<json::array> Merger::MergeList(json::array original, json::array patch,
                                      const FieldMeta& meta, bool delete_list) {
  if (original.empty() && patch.empty()) return original;
  KUBEPP_ASSIGN_OR_RETURN(int kind, ElementKind(original, patch));
  const bool objects = kind == 1;
  std::string_view merge_key = meta.merge_key;
  json::array merged;
  if (!objects) {
    if (delete_list) {
      json::array kept;
      for (json::value& v : original) {
        bool gone = std::any_of(patch.begin(), patch.end(),
                                [&](const json::value& d) { return ScalarEqual(v, d); });
        if (!gone) kept.push_back(std::move(v));
      }
      return kept;
    }
    for (const json::array* list : {&original, &patch}) {
      for (const json::value& v : *list) {
        bool seen = std::any_of(merged.begin(), merged.end(),
                                [&](const json::value& m) { return ScalarEqual(m, v); });
        if (!seen) merged.push_back(v);
      }
    }
    merge_key = {};
  } else {
    if (merge_key.empty()) {
      return Status::BadRequest("cannot merge lists without merge key for type struct");
    }
    // Special elements first: deletions and replace.
    json::array plain;
    bool replace = false;
    for (const json::value& v : patch) {
      const json::object& e = v.get_object();
      const json::value* directive = e.if_contains(kDirective);
      if (directive == nullptr) {
        plain.push_back(v);
        continue;
      }
      if (directive->is_string() && directive->get_string() == "delete") {
        const json::value* key = e.if_contains(merge_key);
        if (key == nullptr) return ErrNoMergeKey(v, merge_key);
        json::array kept;
        for (json::value& o : original) {
          const json::value* ok = o.is_object() ? o.get_object().if_contains(merge_key) : nullptr;
          if (ok != nullptr && ScalarEqual(*ok, *key)) continue;
          kept.push_back(std::move(o));
        }
        original = std::move(kept);
      } else if (directive->is_string() && directive->get_string() == "replace") {
        replace = true;
      } else if (directive->is_string() && directive->get_string() == "merge") {
        return Status::BadRequest("merging lists cannot yet be specified in the patch");
      } else {
        return ErrBadPatchType(*directive, v);
      }
    }
    if (replace) {
      // The rest of the patch list is the new value (its elements' own directives applied).
      json::array fresh;
      for (const json::value& v : plain) {
        KUBEPP_ASSIGN_OR_RETURN(json::value f, Fresh(v, {ElemOf(meta.ref), false, {}}));
        fresh.push_back(std::move(f));
      }
      original = std::move(fresh);
      plain.clear();
    }
    patch = std::move(plain);
    merged = original;
    for (const json::value& v : patch) {
      const json::value* key = v.get_object().if_contains(merge_key);
      if (key == nullptr) return ErrNoMergeKey(v, merge_key);
      auto found = std::find_if(merged.begin(), merged.end(), [&](const json::value& o) {
        if (!o.is_object()) return false;
        const json::value* ok = o.get_object().if_contains(merge_key);
        return ok != nullptr && ScalarEqual(*ok, *key);
      });
      if (found != merged.end()) {
        KUBEPP_ASSIGN_OR_RETURN(json::object m,
                                MergeMap(found->get_object(), v.get_object(), ElemOf(meta.ref)));
        *found = std::move(m);
      } else {
        KUBEPP_ASSIGN_OR_RETURN(json::object m, MergeMap({}, v.get_object(), ElemOf(meta.ref)));
        merged.emplace_back(std::move(m));
      }
    }
  }
  KUBEPP_ASSIGN_OR_RETURN(auto parts, Partition(merged, patch, merge_key, objects));
  return NormalizeOrder(std::move(parts.first), std::move(parts.second), patch, original, merge_key,
                        objects);
}

// The field name after "<prefix>/", or the upstream error for a malformed directive key.
Result<std::string> ExtractKey(std::string_view key, std::string_view prefix) {
  size_t slash = key.find('/');
  if (slash == std::string_view::npos || key.substr(0, slash) != prefix) {
    if (prefix == kDeleteFromPrimitiveList) {
      return Status::BadRequest("invalid patch format of primitive list");
    }
    return Status::BadRequest("invalid patch format of setElementOrder list");
  }
  return std::string(key.substr(slash + 1));
}

// Upstream's validatePatchWithSetOrderList: the patch list's order must agree with the
// $setElementOrder list.
Status ValidateSetOrder(const json::array& patch_list, const json::array& order,
                        std::string_view merge_key) {
  if (order.empty() || patch_list.empty()) return Status::Ok();
  json::array non_delete;
  for (const json::value& v : patch_list) {
    if (!merge_key.empty()) {
      if (!v.is_object()) return ErrBadArgType("map[string]interface {}", v);
      if (IsDeleteElement(v)) continue;
    }
    non_delete.push_back(v);
  }
  size_t p = 0;
  size_t s = 0;
  while (p < non_delete.size() && s < order.size()) {
    const json::value& item = non_delete[p];
    if (item.is_object() && item.get_object().contains(kDirective)) {
      ++p;
      continue;
    }
    bool equal = false;
    if (merge_key.empty()) {
      equal = ScalarEqual(item, order[s]);
    } else {
      if (!order[s].is_object()) return ErrBadArgType("map[string]interface {}", order[s]);
      const json::value* a = item.get_object().if_contains(merge_key);
      const json::value* b = order[s].get_object().if_contains(merge_key);
      if (a == nullptr) return ErrNoMergeKey(item, merge_key);
      if (b == nullptr) return ErrNoMergeKey(order[s], merge_key);
      equal = ScalarEqual(*a, *b);
    }
    if (equal) ++p;
    ++s;
  }
  if (p < non_delete.size() && s >= order.size()) {
    return Status::BadRequest("The order in patch list:\n" + GoFormat(patch_list) +
                              "\n doesn't match $setElementOrder list:\n" + GoFormat(order) + "\n");
  }
  return Status::Ok();
}

Status Merger::ApplySetElementOrder(json::object& original, json::object& patch,
                                    const TypeRef* ref) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : patch) {
    if (k.starts_with(kSetElementOrder)) keys.emplace_back(k);
  }
  for (const std::string& key : keys) {
    json::value order_value = patch.at(key);
    EraseKey(patch, key);
    if (!order_value.is_array()) return ErrBadArgType("[]interface {}", order_value);
    const json::array& order = order_value.get_array();
    KUBEPP_ASSIGN_OR_RETURN(std::string field, ExtractKey(key, kSetElementOrder));
    json::value* orig = original.if_contains(field);
    json::value* pat = patch.if_contains(field);
    if (orig != nullptr && !orig->is_array()) return ErrBadArgType("[]interface {}", *orig);
    if (pat != nullptr && !pat->is_array()) return ErrBadArgType("[]interface {}", *pat);
    FieldMeta meta = Lookup(ref, field);
    std::string_view merge_key = meta.merge ? meta.merge_key : std::string_view();
    json::array empty;
    const json::array& orig_list = orig != nullptr ? orig->get_array() : empty;
    const json::array& patch_list = pat != nullptr ? pat->get_array() : empty;
    KUBEPP_RETURN_IF_ERROR(ValidateSetOrder(patch_list, order, merge_key));
    if (orig == nullptr && pat == nullptr) continue;
    json::array merged;
    if (orig != nullptr && pat == nullptr) {
      merged = orig_list;
    } else if (orig == nullptr) {
      KUBEPP_ASSIGN_OR_RETURN(json::value fresh, Fresh(*pat, meta));
      merged = std::move(fresh.as_array());
    } else if (meta.merge) {
      KUBEPP_ASSIGN_OR_RETURN(merged, MergeList(orig_list, patch_list, meta, false));
    } else {
      merged = patch_list;
    }
    KUBEPP_ASSIGN_OR_RETURN(int kind, ElementKind(orig_list, patch_list));
    const bool objects = kind == 1;
    if (merged.empty() || kind == 0) {
      original[field] = std::move(merged);
      EraseKey(patch, field);
      continue;
    }
    if (objects && merge_key.empty()) {
      // Upstream sorts by a missing key; every element lacks it, so the order stays.
      original[field] = std::move(merged);
      EraseKey(patch, field);
      continue;
    }
    KUBEPP_ASSIGN_OR_RETURN(auto parts, Partition(merged, order, merge_key, objects));
    KUBEPP_ASSIGN_OR_RETURN(json::array both,
                            NormalizeOrder(std::move(parts.first), std::move(parts.second), order,
                                           orig_list, merge_key, objects));
    original[field] = std::move(both);
    EraseKey(patch, field);
  }
  return Status::Ok();
}

Result<json::object> Merger::MergeMap(json::object original, json::object patch,
                                      const TypeRef* ref) {
  if (auto it = patch.find(kDirective); it != patch.end()) {
    json::value directive = it->value();
    if (directive.is_string() && directive.get_string() == "replace") {
      EraseKey(patch, kDirective);
      return MergeMap({}, std::move(patch), ref);
    }
    if (directive.is_string() && directive.get_string() == "delete") return json::object();
    if (!directive.is_string() || directive.get_string() != "merge") {
      return ErrBadPatchType(directive, patch);
    }
    EraseKey(patch, kDirective);
  }
  KUBEPP_RETURN_IF_ERROR(ApplyRetainKeys(original, patch));
  KUBEPP_RETURN_IF_ERROR(ApplySetElementOrder(original, patch, ref));

  for (const auto& [pkey, patch_value] : patch) {
    std::string key(pkey);
    bool delete_list = false;
    if (key.starts_with(kDeleteFromPrimitiveList)) {
      KUBEPP_ASSIGN_OR_RETURN(key, ExtractKey(key, kDeleteFromPrimitiveList));
      delete_list = true;
    }
    if (patch_value.is_null()) {
      EraseKey(original, key);
      continue;
    }
    FieldMeta meta = Lookup(ref, key);
    json::value* orig = original.if_contains(key);
    if (orig == nullptr) {
      if (delete_list) continue;  // nothing to delete from
      KUBEPP_ASSIGN_OR_RETURN(json::value fresh, Fresh(patch_value, meta));
      original[key] = std::move(fresh);
      continue;
    }
    if (!SameJsonType(*orig, patch_value)) {
      if (delete_list) return ErrBadArgType("[]interface {}", *orig);
      KUBEPP_ASSIGN_OR_RETURN(json::value fresh, Fresh(patch_value, meta));
      *orig = std::move(fresh);
      continue;
    }
    if (orig->is_object()) {
      KUBEPP_ASSIGN_OR_RETURN(json::object m, MergeMap(std::move(orig->get_object()),
                                                       patch_value.get_object(), meta.ref));
      original[key] = std::move(m);
    } else if (orig->is_array()) {
      if (meta.merge) {
        KUBEPP_ASSIGN_OR_RETURN(
            json::array a,
            MergeList(std::move(orig->get_array()), patch_value.get_array(), meta, delete_list));
        original[key] = std::move(a);
      } else {
        *orig = patch_value;
      }
    } else {
      *orig = patch_value;
    }
  }
  return original;
}

}  // namespace

Result<json::value> ApplyStrategicMergePatch(const json::value& doc, const json::value& patch,
                                             std::string_view type_name) {
  const schema::Type* type = schema::Schema::Embedded().Find(type_name);
  if (type == nullptr) {
    return Status::BadRequest("strategic merge patch: unknown type \"" + std::string(type_name) +
                              "\"");
  }
  if (!doc.is_object()) return Status::BadRequest("invalid JSON document");
  if (!patch.is_object()) {
    return Status::BadRequest("json: cannot unmarshal " +
                              std::string(patch.is_array() ? "array" : "value") +
                              " into Go value of type map[string]interface {}");
  }
  TypeRef top{Kind::kObject, nullptr, type};
  Merger merger;
  KUBEPP_ASSIGN_OR_RETURN(json::object merged,
                          merger.MergeMap(doc.get_object(), patch.get_object(), &top));
  return json::value(std::move(merged));
}

}  // namespace kubepp::api
