#include "api/schema.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "base/check.h"

namespace kubepp::api {
// Defined in the generated schema_data.cc.
extern const char* const kSchemaJsonParts[];
extern const int kSchemaJsonPartCount;
}  // namespace kubepp::api

namespace kubepp::api::schema {
namespace json = boost::json;

namespace {

std::string GvkKey(std::string_view group, std::string_view version, std::string_view kind) {
  std::string key;
  key.reserve(group.size() + version.size() + kind.size() + 2);
  key.append(group).append("/").append(version).append("/").append(kind);
  return key;
}

std::string StringAt(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

}  // namespace

bool Field::Merges() const { return patch_strategy.find("merge") != std::string::npos; }

bool Field::RetainsKeys() const { return patch_strategy.find("retainKeys") != std::string::npos; }

const Field* Type::FindField(std::string_view json_name) const {
  auto it = field_index_.find(json_name);
  return it == field_index_.end() ? nullptr : &fields[it->second];
}

const Schema& Schema::Embedded() {
  static const Schema* const kSchema = [] {
    std::string text;
    for (int i = 0; i < kSchemaJsonPartCount; ++i) text += kSchemaJsonParts[i];
    auto parsed = Parse(text);
    KUBEPP_CHECK(parsed.IsOk(), "embedded API schema is malformed: {}", parsed.status().ToString());
    return std::move(parsed).value().release();  // lives for the whole process
  }();
  return *kSchema;
}

Result<const TypeRef*> Schema::ParseTypeRef(std::string_view text) {
  if (auto it = ref_cache_.find(text); it != ref_cache_.end()) return it->second;
  TypeRef ref;
  static const std::map<std::string_view, Kind> kScalars = {
      {"string", Kind::kString},       {"time", Kind::kTime},
      {"microtime", Kind::kMicroTime}, {"bytes", Kind::kBytes},
      {"int32", Kind::kInt32},         {"int64", Kind::kInt64},
      {"double", Kind::kDouble},       {"bool", Kind::kBool},
      {"quantity", Kind::kQuantity},   {"int-or-string", Kind::kIntOrString},
      {"json", Kind::kJson},
  };
  if (text.size() >= 2 && ((text.front() == '[' && text.back() == ']') ||
                           (text.front() == '{' && text.back() == '}'))) {
    ref.kind = text.front() == '[' ? Kind::kArray : Kind::kMap;
    KUBEPP_ASSIGN_OR_RETURN(ref.elem, ParseTypeRef(text.substr(1, text.size() - 2)));
  } else if (auto s = kScalars.find(text); s != kScalars.end()) {
    ref.kind = s->second;
  } else if (const Type* t = FindByName(text); t != nullptr) {
    ref.kind = Kind::kObject;
    ref.object = t;
  } else {
    return Status::BadRequest("unknown field type \"" + std::string(text) + "\"");
  }
  const TypeRef* stored = &refs_.emplace_back(ref);
  ref_cache_.emplace(std::string(text), stored);
  return stored;
}

Result<std::unique_ptr<Schema>> Schema::Parse(std::string_view json_text) {
  boost::system::error_code ec;
  json::value doc = json::parse(json_text, ec);
  if (ec) return Status::BadRequest("schema is not JSON: " + ec.message());
  if (!doc.is_object() || !doc.as_object().contains("types") ||
      !doc.as_object().at("types").is_object()) {
    return Status::BadRequest("schema has no \"types\" object");
  }
  std::unique_ptr<Schema> schema(new Schema());
  schema->kubernetes_version_ = StringAt(doc.as_object(), "kubernetesVersion");
  const json::object& types = doc.as_object().at("types").as_object();
  // Pass 1: every type, so that field types can name any of them.
  for (const auto& [name, tv] : types) {
    if (!tv.is_object())
      return Status::BadRequest("type " + std::string(name) + " is not an object");
    const json::object& to = tv.as_object();
    Type t;
    t.name = std::string(name);
    t.package = StringAt(to, "package");
    t.openapi_name = StringAt(to, "openapiName");
    if (t.openapi_name.empty()) t.openapi_name = t.package + "." + t.name;
    t.description = StringAt(to, "description");
    if (const json::value* g = to.if_contains("gvk"); g != nullptr && g->is_object()) {
      t.gvk = Gvk{StringAt(g->as_object(), "group"), StringAt(g->as_object(), "version"),
                  StringAt(g->as_object(), "kind")};
    }
    schema->types_.emplace(t.name, std::move(t));
  }
  for (auto& [name, t] : schema->types_) {
    schema->by_openapi_.emplace(t.openapi_name, &t);
    if (t.gvk) schema->by_gvk_.emplace(GvkKey(t.gvk->group, t.gvk->version, t.gvk->kind), &t);
  }
  // Pass 2: fields.
  for (auto& [name, t] : schema->types_) {
    const json::value* fv = types.at(name).as_object().if_contains("fields");
    if (fv == nullptr) continue;
    if (!fv->is_array()) return Status::BadRequest("type " + name + ": fields is not a list");
    for (const json::value& f : fv->as_array()) {
      if (!f.is_object()) return Status::BadRequest("type " + name + ": a field is not an object");
      const json::object& fo = f.as_object();
      Field field;
      field.name = StringAt(fo, "name");
      field.type_text = StringAt(fo, "type");
      auto ref = schema->ParseTypeRef(field.type_text);
      if (!ref.IsOk()) return ref.status().WithPrefix("type " + name + " field " + field.name);
      field.type = *ref;
      const json::value* req = fo.if_contains("required");
      field.required = req != nullptr && req->is_bool() && req->get_bool();
      field.description = StringAt(fo, "description");
      field.patch_strategy = StringAt(fo, "patchStrategy");
      field.patch_merge_key = StringAt(fo, "patchMergeKey");
      t.field_index_.emplace(field.name, t.fields.size());
      t.fields.push_back(std::move(field));
    }
  }
  return schema;
}

const Type* Schema::FindByName(std::string_view cpp_name) const {
  auto it = types_.find(cpp_name);
  return it == types_.end() ? nullptr : &it->second;
}

const Type* Schema::FindByOpenApiName(std::string_view openapi_name) const {
  auto it = by_openapi_.find(openapi_name);
  return it == by_openapi_.end() ? nullptr : it->second;
}

const Type* Schema::Find(std::string_view name) const {
  if (const Type* t = FindByName(name); t != nullptr) return t;
  return FindByOpenApiName(name);
}

const Type* Schema::FindByGvk(std::string_view group, std::string_view version,
                              std::string_view kind) const {
  auto it = by_gvk_.find(GvkKey(group, version, kind));
  return it == by_gvk_.end() ? nullptr : it->second;
}

}  // namespace kubepp::api::schema
