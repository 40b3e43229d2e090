#include "apiserver/openapi/openapi.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/uuid/detail/sha1.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <initializer_list>
#include <map>
#include <set>

#include "api/schema.h"
#include "apiserver/openapi/openapi_proto.h"

namespace kubepp::apiserver {
namespace json = boost::json;
using api::schema::Field;
using api::schema::Kind;
using api::schema::Schema;
using api::schema::Type;
using api::schema::TypeRef;

namespace {

// OpenAPI names of the schemas that have no entry in types.json.
constexpr std::string_view kTime = "io.k8s.apimachinery.pkg.apis.meta.v1.Time";
constexpr std::string_view kMicroTime = "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime";
constexpr std::string_view kQuantity = "io.k8s.apimachinery.pkg.api.resource.Quantity";
constexpr std::string_view kIntOrString = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
constexpr std::string_view kRawExtension = "io.k8s.apimachinery.pkg.runtime.RawExtension";
constexpr std::string_view kFieldsV1 = "io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1";
constexpr std::string_view kWatchEvent = "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent";
constexpr std::string_view kPatch = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";

std::string GvPath(const ResourceInfo& r) {
  return r.group.empty() ? "api/" + r.version : "apis/" + r.group + "/" + r.version;
}

// "rbac.authorization.k8s.io" -> "RbacAuthorization"; "" -> "Core".
std::string GroupCamel(std::string_view group) {
  if (group.empty()) return "Core";
  std::string g(group);
  if (g.ends_with(".k8s.io")) g.resize(g.size() - 7);
  std::string out;
  bool up = true;
  for (char c : g) {
    if (c == '.') {
      up = true;
      continue;
    }
    out += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    up = false;
  }
  return out;
}

std::string Capitalize(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
  return s;
}

std::string Tag(const ResourceInfo& r) {
  std::string g = GroupCamel(r.group);
  g[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(g[0])));
  return g + "_" + r.version;
}

std::string ContentHash(std::string_view data) {
  boost::uuids::detail::sha1 h;
  h.process_bytes(data.data(), data.size());
  boost::uuids::detail::sha1::digest_type digest;
  h.get_digest(digest);
  std::string out;
  char buf[16];
  for (auto word : digest) {
    if constexpr (sizeof(word) == 1) {
      std::snprintf(buf, sizeof(buf), "%02X", static_cast<unsigned>(word));
    } else {
      std::snprintf(buf, sizeof(buf), "%08X", static_cast<unsigned>(word));
    }
    out += buf;
  }
  return out;
}

json::object Gvk(std::string_view group, std::string_view version, std::string_view kind) {
  return {{"group", group}, {"kind", kind}, {"version", version}};
}

// Builds schemas and operations for one OpenAPI flavour (v2 or v3).
class Builder {
 public:
  Builder(const Schema& schema, bool v3, std::vector<std::pair<std::string, std::string>> gvs)
      : schema_(schema), v3_(v3), gvs_(std::move(gvs)) {}

  std::string Ref(std::string_view name) const {
    return std::string(v3_ ? "#/components/schemas/" : "#/definitions/") + std::string(name);
  }
  json::object RefSchema(std::string_view name) const { return {{"$ref", Ref(name)}}; }

  // Adds `name` (an OpenAPI name) and everything it references to `names`.
  void Collect(std::string_view name, std::set<std::string>& names) const {
    if (!names.insert(std::string(name)).second) return;
    if (name == kWatchEvent) Collect(kRawExtension, names);
    const Type* t = schema_.FindByOpenApiName(name);
    if (t == nullptr) return;
    for (const Field& f : t->fields) CollectRef(f.type, f.name, names);
  }

  // The schema of `name`.
  json::object Definition(std::string_view name) const {
    if (const Type* t = schema_.FindByOpenApiName(name)) return TypeSchema(*t);
    json::object o;
    if (name == kTime || name == kMicroTime) {
      o["description"] = name == kTime
                             ? "Time is a wrapper around time.Time which supports correct "
                               "marshaling to YAML and JSON."
                             : "MicroTime is version of Time with microsecond level precision.";
      o["type"] = "string";
      o["format"] = "date-time";
    } else if (name == kQuantity) {
      o["description"] =
          "Quantity is a fixed-point representation of a number, serialized as a string such "
          "as \"100m\", \"1Gi\" or \"2\".";
      if (v3_) {
        o["oneOf"] =
            json::array{json::object{{"type", "string"}}, json::object{{"type", "number"}}};
      } else {
        o["type"] = "string";
      }
    } else if (name == kIntOrString) {
      o["description"] =
          "IntOrString is a type that can hold an int32 or a string. When used in JSON or YAML "
          "marshalling and unmarshalling, it produces or consumes the inner type.";
      o["format"] = "int-or-string";
      if (v3_) {
        o["oneOf"] =
            json::array{json::object{{"type", "integer"}}, json::object{{"type", "string"}}};
      } else {
        o["type"] = "string";
      }
      o["x-kubernetes-int-or-string"] = true;
    } else if (name == kRawExtension) {
      o["description"] = "RawExtension holds an embedded object in its JSON form.";
      o["type"] = "object";
    } else if (name == kFieldsV1) {
      o["description"] =
          "FieldsV1 stores a set of fields in a data structure like a Trie, in JSON format.";
      o["type"] = "object";
    } else if (name == kPatch) {
      o["description"] =
          "Patch is provided to give a concrete name and type to the Kubernetes PATCH request "
          "body.";
      o["type"] = "object";
    } else if (name == kWatchEvent) {
      o["description"] = "Event represents a single event to a watched resource.";
      json::object props;
      props["object"] = Described(RefSchema(kRawExtension),
                                  "Object is the new state of the object for ADDED and MODIFIED, "
                                  "its last state for DELETED, a Status for ERROR.");
      props["type"] = json::object{{"type", "string"}};
      o["properties"] = std::move(props);
      o["required"] = json::array{"type", "object"};
      o["type"] = "object";
      o["x-kubernetes-group-version-kind"] = AllGvks("WatchEvent");
    }
    return o;
  }

  json::object QueryParam(std::string_view name, std::string_view type,
                          std::string_view description) const {
    json::object p{{"description", description}, {"in", "query"}, {"name", name}};
    if (v3_) {
      p["schema"] = json::object{{"type", type}, {"uniqueItems", true}};
    } else {
      p["type"] = type;
      p["uniqueItems"] = true;
    }
    return p;
  }
  json::object PathParam(std::string_view name, std::string_view description) const {
    json::object p{
        {"description", description}, {"in", "path"}, {"name", name}, {"required", true}};
    if (v3_) {
      p["schema"] = json::object{{"type", "string"}, {"uniqueItems", true}};
    } else {
      p["type"] = "string";
      p["uniqueItems"] = true;
    }
    return p;
  }

  // One operation. `body` is the request body's schema name ("" for none) with its content
  // types; `responses` maps HTTP codes to schema names.
  json::object Operation(std::string_view action, std::string_view id, std::string_view description,
                         std::string_view tag, const json::object* gvk, json::array params,
                         std::string_view body, const std::vector<std::string>& body_types,
                         const std::vector<std::pair<std::string, std::string>>& responses,
                         std::string_view response_type = "application/json") const {
    json::object op;
    op["description"] = description;
    op["operationId"] = id;
    if (!body.empty() && !v3_) {
      params.push_back(json::object{
          {"in", "body"}, {"name", "body"}, {"required", true}, {"schema", RefSchema(body)}});
    }
    if (!params.empty()) op["parameters"] = std::move(params);
    if (!body.empty() && v3_) {
      json::object content;
      for (const std::string& t : body_types)
        content[t] = json::object{{"schema", RefSchema(body)}};
      op["requestBody"] = json::object{{"content", std::move(content)}, {"required", true}};
    }
    if (!v3_) {
      json::array consumes;
      for (const std::string& t : body_types) consumes.emplace_back(t);
      if (body.empty()) consumes.emplace_back("*/*");
      op["consumes"] = std::move(consumes);
      op["produces"] = json::array{response_type};
      op["schemes"] = json::array{"https"};
    }
    json::object resps;
    for (const auto& [code, schema] : responses) {
      std::string text = code == "200"   ? "OK"
                         : code == "201" ? "Created"
                         : code == "202" ? "Accepted"
                                         : "";
      json::object r{{"description", text}};
      if (v3_) {
        r["content"] = json::object{{response_type, json::object{{"schema", RefSchema(schema)}}}};
      } else {
        r["schema"] = RefSchema(schema);
      }
      resps[code] = std::move(r);
    }
    resps["401"] = json::object{{"description", "Unauthorized"}};
    op["responses"] = std::move(resps);
    op["tags"] = json::array{tag};
    op["x-kubernetes-action"] = action;
    if (gvk != nullptr) op["x-kubernetes-group-version-kind"] = *gvk;
    return op;
  }

  // Adds the paths of resource `r` (whose kind's OpenAPI name is `kind_name`) to `paths`.
  void AddResource(const ResourceInfo& r, const Type& kind_type, const Type* list_type,
                   const Type* scale_type, json::object& paths) const;

 private:
  void CollectRef(const TypeRef* ref, std::string_view field, std::set<std::string>& names) const {
    if (ref == nullptr) return;
    switch (ref->kind) {
      case Kind::kArray:
      case Kind::kMap:
        CollectRef(ref->elem, field, names);
        return;
      case Kind::kObject:
        Collect(ref->object->openapi_name, names);
        return;
      default:
        if (std::string_view n = NamedScalar(ref->kind, field); !n.empty()) Collect(n, names);
        return;
    }
  }

  static std::string_view NamedScalar(Kind kind, std::string_view field) {
    switch (kind) {
      case Kind::kTime:
        return kTime;
      case Kind::kMicroTime:
        return kMicroTime;
      case Kind::kQuantity:
        return kQuantity;
      case Kind::kIntOrString:
        return kIntOrString;
      case Kind::kJson:
        return field == "fieldsV1" ? kFieldsV1 : kRawExtension;
      default:
        return {};
    }
  }

  // The schema of a value of type `ref` (without description).
  json::object ValueSchema(const TypeRef* ref, std::string_view field) const {
    switch (ref->kind) {
      case Kind::kString:
        return {{"type", "string"}};
      case Kind::kBytes:
        return {{"type", "string"}, {"format", "byte"}};
      case Kind::kInt32:
        return {{"type", "integer"}, {"format", "int32"}};
      case Kind::kInt64:
        return {{"type", "integer"}, {"format", "int64"}};
      case Kind::kDouble:
        return {{"type", "number"}, {"format", "double"}};
      case Kind::kBool:
        return {{"type", "boolean"}};
      case Kind::kArray:
        return {{"type", "array"}, {"items", ValueSchema(ref->elem, field)}};
      case Kind::kMap:
        return {{"type", "object"}, {"additionalProperties", ValueSchema(ref->elem, field)}};
      case Kind::kObject:
        return RefSchema(ref->object->openapi_name);
      default:
        return RefSchema(NamedScalar(ref->kind, field));
    }
  }

  // `s` with a description; a v3 $ref is wrapped in allOf (siblings of $ref are ignored in
  // OpenAPI 3.0), as upstream does.
  json::object Described(json::object s, std::string_view description) const {
    if (description.empty()) return s;
    if (v3_ && s.contains("$ref")) s = json::object{{"allOf", json::array{std::move(s)}}};
    s["description"] = description;
    return s;
  }

  json::object FieldSchema(const Field& f) const {
    json::object s = ValueSchema(f.type, f.name);
    bool extras = !f.description.empty() || !f.patch_strategy.empty();
    if (v3_ && extras && s.contains("$ref")) s = json::object{{"allOf", json::array{std::move(s)}}};
    if (!f.description.empty()) s["description"] = f.description;
    if (!f.patch_merge_key.empty()) s["x-kubernetes-patch-merge-key"] = f.patch_merge_key;
    if (!f.patch_strategy.empty()) s["x-kubernetes-patch-strategy"] = f.patch_strategy;
    return s;
  }

  json::array AllGvks(std::string_view kind) const {
    json::array out;
    for (const auto& [group, version] : gvs_) out.push_back(Gvk(group, version, kind));
    return out;
  }

  json::object TypeSchema(const Type& t) const {
    json::object o;
    if (!t.description.empty()) o["description"] = t.description;
    json::object props;
    json::array required;
    for (const Field& f : t.fields) {
      props[f.name] = FieldSchema(f);
      if (f.required) required.emplace_back(f.name);
    }
    if (!props.empty()) o["properties"] = std::move(props);
    if (!required.empty()) o["required"] = std::move(required);
    o["type"] = "object";
    if (t.name == "DeleteOptions") {
      o["x-kubernetes-group-version-kind"] = AllGvks("DeleteOptions");
    } else if (t.gvk) {
      o["x-kubernetes-group-version-kind"] =
          json::array{Gvk(t.gvk->group, t.gvk->version, t.gvk->kind)};
    }
    return o;
  }

  const Schema& schema_;                                  // the types
  bool v3_;                                               // OpenAPI 3.0 (else Swagger 2.0)
  std::vector<std::pair<std::string, std::string>> gvs_;  // every served (group, version)
};

bool Has(const ResourceInfo& r, std::string_view verb) {
  return std::find(r.verbs.begin(), r.verbs.end(), verb) != r.verbs.end();
}

void Builder::AddResource(const ResourceInfo& r, const Type& kind_type, const Type* list_type,
                          const Type* scale_type, json::object& paths) const {
  const std::string prefix = "/" + GvPath(r);
  const std::string gv = GroupCamel(r.group) + Capitalize(r.version);
  const std::string tag = Tag(r);
  const std::string& kind = r.kind;
  const std::string kind_name = kind_type.openapi_name;
  const std::string ns_word = r.namespaced ? "Namespaced" : "";
  const json::object gvk = Gvk(r.group, r.version, kind);
  const std::string base =
      r.namespaced ? prefix + "/namespaces/{namespace}/" + r.resource : prefix + "/" + r.resource;
  const std::string item = base + "/{name}";
  const std::string status_name =
      std::string(Schema::Embedded().FindByName("MetaStatus")
                      ? Schema::Embedded().FindByName("MetaStatus")->openapi_name
                      : "io.k8s.apimachinery.pkg.apis.meta.v1.Status");
  const std::string delete_options =
      Schema::Embedded().FindByName("DeleteOptions") != nullptr
          ? Schema::Embedded().FindByName("DeleteOptions")->openapi_name
          : "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions";

  auto pretty = [&] {
    return QueryParam("pretty", "string", "If 'true', then the output is pretty printed.");
  };
  auto name_param = [&] { return PathParam("name", "name of the " + kind); };
  auto ns_param = [&] {
    return PathParam("namespace", "object name and auth scope, such as for teams and projects");
  };
  auto list_params = [&] {
    return json::array{
        QueryParam("allowWatchBookmarks", "boolean",
                   "allowWatchBookmarks requests watch events with type \"BOOKMARK\"."),
        QueryParam("continue", "string",
                   "The continue option should be set when retrieving more results from the "
                   "server."),
        QueryParam("fieldSelector", "string",
                   "A selector to restrict the list of returned objects by their fields."),
        QueryParam("labelSelector", "string",
                   "A selector to restrict the list of returned objects by their labels."),
        QueryParam("limit", "integer", "limit is a maximum number of responses to return."),
        QueryParam("resourceVersion", "string",
                   "resourceVersion sets a constraint on what resource versions a request may "
                   "be served from."),
        QueryParam("resourceVersionMatch", "string",
                   "resourceVersionMatch determines how resourceVersion is applied to list "
                   "calls."),
        QueryParam("sendInitialEvents", "boolean",
                   "`sendInitialEvents=true` may be set together with `watch=true`."),
        QueryParam("timeoutSeconds", "integer", "Timeout for the list/watch call."),
        QueryParam("watch", "boolean",
                   "Watch for changes to the described resources and return them as a stream "
                   "of add, update, and remove notifications."),
    };
  };
  auto write_params = [&](bool patch) {
    json::array p{
        QueryParam("dryRun", "string",
                   "When present, indicates that modifications should not be persisted. Valid "
                   "values are: - All: all dry run stages will be processed"),
        QueryParam("fieldManager", "string",
                   "fieldManager is a name associated with the actor or entity that is making "
                   "these changes."),
        QueryParam("fieldValidation", "string",
                   "fieldValidation instructs the server on how to handle objects in the request "
                   "containing unknown or duplicate fields. Valid values are: - Ignore - Warn "
                   "(the default) - Strict"),
    };
    if (patch) {
      p.push_back(QueryParam("force", "boolean",
                             "Force is going to \"force\" Apply requests. It must be unset for "
                             "non-apply patch requests."));
    }
    return p;
  };
  auto delete_params = [&] {
    return json::array{
        QueryParam("dryRun", "string",
                   "When present, indicates that modifications should not be persisted."),
        QueryParam("gracePeriodSeconds", "integer",
                   "The duration in seconds before the object should be deleted."),
        QueryParam("ignoreStoreReadErrorWithClusterBreakingPotential", "boolean",
                   "if set to true, it will trigger an unsafe deletion of the resource in case "
                   "the normal deletion flow fails with a corrupt object error."),
        QueryParam("orphanDependents", "boolean", "Deprecated: please use the PropagationPolicy."),
        QueryParam("propagationPolicy", "string",
                   "Whether and how garbage collection will be performed: Orphan, Background or "
                   "Foreground."),
    };
  };
  auto path_item = [&](const std::string& path, bool with_name, bool with_ns) -> json::object& {
    json::value& v = paths[path];
    if (!v.is_object()) {
      json::array params;
      if (with_name) params.push_back(name_param());
      if (with_ns) params.push_back(ns_param());
      params.push_back(pretty());
      v = json::object{{"parameters", std::move(params)}};
    }
    return v.as_object();
  };
  const std::vector<std::string> write_types = {"*/*"};
  const std::vector<std::string> patch_types = {"application/json-patch+json",
                                                "application/merge-patch+json",
                                                "application/strategic-merge-patch+json"};
  const std::vector<std::string> no_types;
  const std::string list_name = list_type != nullptr ? list_type->openapi_name : kind_name;

  // Collection.
  if (Has(r, "list") || Has(r, "create") || Has(r, "deletecollection")) {
    json::object& coll = path_item(base, false, r.namespaced);
    if (Has(r, "list")) {
      coll["get"] =
          Operation("list", "list" + gv + ns_word + kind, "list or watch objects of kind " + kind,
                    tag, &gvk, list_params(), "", no_types, {{"200", list_name}});
    }
    if (Has(r, "create")) {
      coll["post"] = Operation("post", "create" + gv + ns_word + kind, "create a " + kind, tag,
                               &gvk, write_params(false), kind_name, write_types,
                               {{"200", kind_name}, {"201", kind_name}, {"202", kind_name}});
    }
    if (Has(r, "deletecollection")) {
      json::array params = delete_params();
      for (json::value& p : list_params()) params.push_back(std::move(p));
      coll["delete"] = Operation("deletecollection", "delete" + gv + "Collection" + ns_word + kind,
                                 "delete collection of " + kind, tag, &gvk, std::move(params),
                                 delete_options, write_types, {{"200", status_name}});
    }
  }
  // One object.
  if (Has(r, "get") || Has(r, "update") || Has(r, "patch") || Has(r, "delete")) {
    json::object& one = path_item(item, true, r.namespaced);
    if (Has(r, "get")) {
      one["get"] = Operation("get", "read" + gv + ns_word + kind, "read the specified " + kind, tag,
                             &gvk, {}, "", no_types, {{"200", kind_name}});
    }
    if (Has(r, "update")) {
      one["put"] = Operation("put", "replace" + gv + ns_word + kind,
                             "replace the specified " + kind, tag, &gvk, write_params(false),
                             kind_name, write_types, {{"200", kind_name}, {"201", kind_name}});
    }
    if (Has(r, "patch")) {
      one["patch"] =
          Operation("patch", "patch" + gv + ns_word + kind,
                    "partially update the specified " + kind, tag, &gvk, write_params(true),
                    std::string(kPatch), patch_types, {{"200", kind_name}, {"201", kind_name}});
    }
    if (Has(r, "delete")) {
      one["delete"] = Operation("delete", "delete" + gv + ns_word + kind, "delete a " + kind, tag,
                                &gvk, delete_params(), delete_options, write_types,
                                {{"200", kind_name}, {"202", kind_name}});
    }
  }
  // Subresources.
  auto subresource = [&](std::string_view sub, const std::string& schema_name,
                         const json::object& sub_gvk) {
    const std::string suffix = Capitalize(std::string(sub));
    json::object& s = path_item(item + "/" + std::string(sub), true, r.namespaced);
    s["get"] = Operation("get", "read" + gv + ns_word + kind + suffix,
                         "read " + std::string(sub) + " of the specified " + kind, tag, &sub_gvk,
                         {}, "", no_types, {{"200", schema_name}});
    s["put"] = Operation("put", "replace" + gv + ns_word + kind + suffix,
                         "replace " + std::string(sub) + " of the specified " + kind, tag, &sub_gvk,
                         write_params(false), schema_name, write_types,
                         {{"200", schema_name}, {"201", schema_name}});
    s["patch"] = Operation("patch", "patch" + gv + ns_word + kind + suffix,
                           "partially update " + std::string(sub) + " of the specified " + kind,
                           tag, &sub_gvk, write_params(true), std::string(kPatch), patch_types,
                           {{"200", schema_name}, {"201", schema_name}});
  };
  if (r.has_status) subresource("status", kind_name, gvk);
  if (r.has_scale && scale_type != nullptr && scale_type->gvk) {
    subresource("scale", scale_type->openapi_name,
                Gvk(scale_type->gvk->group, scale_type->gvk->version, scale_type->gvk->kind));
  }
  // Lists across namespaces and the deprecated watch paths.
  if (r.namespaced && Has(r, "list")) {
    json::object& all = path_item(prefix + "/" + r.resource, false, false);
    all["get"] = Operation("list", "list" + gv + kind + "ForAllNamespaces",
                           "list or watch objects of kind " + kind, tag, &gvk, {}, "", no_types,
                           {{"200", list_name}});
    all["parameters"].as_array() = list_params();
    all["parameters"].as_array().push_back(pretty());
  }
  if (Has(r, "watch")) {
    const std::string wbase = r.namespaced ? prefix + "/watch/namespaces/{namespace}/" + r.resource
                                           : prefix + "/watch/" + r.resource;
    std::string event(kWatchEvent);
    const std::string watch_type = "application/json;stream=watch";
    json::object& wl = path_item(wbase, false, r.namespaced);
    wl["get"] = Operation("watchlist", "watch" + gv + ns_word + kind + "List",
                          "watch individual changes to a list of " + kind, tag, &gvk, list_params(),
                          "", no_types, {{"200", event}}, watch_type);
    json::object& wo = path_item(wbase + "/{name}", true, r.namespaced);
    wo["get"] = Operation("watch", "watch" + gv + ns_word + kind,
                          "watch changes to an object of kind " + kind, tag, &gvk, list_params(),
                          "", no_types, {{"200", event}}, watch_type);
    if (r.namespaced) {
      json::object& wa = path_item(prefix + "/watch/" + r.resource, false, false);
      wa["get"] = Operation("watchlist", "watch" + gv + kind + "ListForAllNamespaces",
                            "watch individual changes to a list of " + kind, tag, &gvk,
                            list_params(), "", no_types, {{"200", event}}, watch_type);
    }
  }
}

std::string Serialize(const json::value& v) { return json::serialize(v); }

// Media types /openapi/v2 serves, as kube-openapi does: JSON, and gnostic's protobuf under its
// current name and its deprecated '@' alias (answered with the current name).
constexpr std::string_view kJson = "application/json";
constexpr std::string_view kProtobuf = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";
constexpr std::string_view kProtobufDeprecated =
    "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";

// One media range of an Accept header.
struct MediaRange {
  std::string type;     // "application" or "*"
  std::string subtype;  // "json", "*", ...
  double q = 1;         // quality
};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The ranges of `accept` ("" counts as "*/*") in preference order: by q, then specific types
// before wildcards (as goautoneg sorts them). Ranges with q=0 are refused and dropped.
std::vector<MediaRange> ParseAccept(std::string_view accept) {
  if (Trim(accept).empty()) accept = "*/*";
  std::vector<MediaRange> out;
  size_t pos = 0;
  while (pos <= accept.size()) {
    size_t comma = accept.find(',', pos);
    if (comma == std::string_view::npos) comma = accept.size();
    std::string_view clause = accept.substr(pos, comma - pos);
    pos = comma + 1;
    MediaRange m;
    size_t semi = clause.find(';');
    std::string_view range = Trim(clause.substr(0, semi));
    while (semi != std::string_view::npos) {
      size_t next = clause.find(';', semi + 1);
      std::string_view param = Trim(clause.substr(semi + 1, next - semi - 1));
      if (param.starts_with("q=")) {
        std::string q(param.substr(2));
        char* end = nullptr;
        m.q = std::strtod(q.c_str(), &end);
        if (end == q.c_str()) m.q = 1;
      }
      semi = next;
    }
    size_t slash = range.find('/');
    if (range == "*") {
      m.type = m.subtype = "*";
    } else if (slash == std::string_view::npos) {
      continue;
    } else {
      m.type = Trim(range.substr(0, slash));
      m.subtype = Trim(range.substr(slash + 1));
    }
    if (m.q <= 0 || m.type.empty() || m.subtype.empty()) continue;
    out.push_back(std::move(m));
  }
  std::stable_sort(out.begin(), out.end(), [](const MediaRange& a, const MediaRange& b) {
    if (a.q != b.q) return a.q > b.q;
    if ((a.type != "*") != (b.type != "*")) return a.type != "*";
    return a.subtype != "*" && b.subtype == "*";
  });
  return out;
}

// The first of `offered` (full media types) that the most preferred matching range of
// `accept` admits, or "" when none is acceptable.
std::string_view Negotiate(std::string_view accept,
                           std::initializer_list<std::string_view> offered) {
  for (const MediaRange& m : ParseAccept(accept)) {
    for (std::string_view o : offered) {
      size_t slash = o.find('/');
      if (m.type != "*" && m.type != o.substr(0, slash)) continue;
      if (m.subtype != "*" && m.subtype != o.substr(slash + 1)) continue;
      return o;
    }
  }
  return {};
}

std::string HttpDateOneYearAhead() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() +
                                                       std::chrono::hours(24 * 365));
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

}  // namespace

struct OpenApi::Docs {
  std::string v2;             // Swagger 2.0 document
  std::string v2_etag;        // its hash
  std::string v2_pb;          // the same document as gnostic's openapi.v2.Document protobuf
  std::string v2_pb_etag;     // its hash
  std::string v3_index;       // /openapi/v3 body
  std::string v3_index_etag;  // its hash
  std::map<std::string, std::pair<std::string, std::string>, std::less<>> v3;  // gv -> doc, hash
  std::vector<std::string> order;  // gv paths in registry order
};

OpenApi::OpenApi(const Registry& registry) : registry_(registry) {}
OpenApi::~OpenApi() = default;

const OpenApi::Docs& OpenApi::Built() const {
  std::call_once(once_, [this] {
    const Schema& schema = Schema::Embedded();
    auto docs = std::make_unique<Docs>();
    // Group-versions in registry order, with their resources.
    std::vector<std::pair<std::string, std::string>> gvs;
    std::map<std::string, std::vector<const ResourceInfo*>> by_gv;
    for (const auto& r : registry_.All()) {
      std::string path = GvPath(*r);
      if (!by_gv.contains(path)) {
        docs->order.push_back(path);
        gvs.emplace_back(r->group, r->version);
      }
      by_gv[path].push_back(r.get());
    }
    const Type* scale = schema.FindByGvk("autoscaling", "v1", "Scale");
    const std::string status_name = schema.FindByName("MetaStatus") != nullptr
                                        ? schema.FindByName("MetaStatus")->openapi_name
                                        : "io.k8s.apimachinery.pkg.apis.meta.v1.Status";
    json::object info{{"title", "Kubernetes"}, {"version", schema.KubernetesVersion()}};

    auto build = [&](bool v3, const std::vector<std::string>& gv_paths) {
      Builder b(schema, v3, gvs);
      std::set<std::string> names;
      json::object paths;
      for (const std::string& gv : gv_paths) {
        for (const ResourceInfo* r : by_gv[gv]) {
          const Type* kind = schema.FindByGvk(r->group, r->version, r->kind);
          if (kind == nullptr) continue;
          const Type* list = schema.FindByGvk(r->group, r->version, r->kind + "List");
          b.Collect(kind->openapi_name, names);
          if (list != nullptr) b.Collect(list->openapi_name, names);
          if (r->has_scale && scale != nullptr) b.Collect(scale->openapi_name, names);
          b.AddResource(*r, *kind, list, scale, paths);
        }
        // GET /<gv>/: the resource list.
        if (const Type* arl = schema.FindByName("APIResourceList"); arl != nullptr) {
          b.Collect(arl->openapi_name, names);
          const ResourceInfo& first = *by_gv[gv].front();
          paths["/" + gv + "/"] =
              json::object{{"get", b.Operation("",
                                               "get" + GroupCamel(first.group) +
                                                   Capitalize(first.version) + "APIResources",
                                               "get available resources", Tag(first), nullptr, {},
                                               "", {}, {{"200", arl->openapi_name}})}};
          paths["/" + gv + "/"].as_object()["get"].as_object().erase("x-kubernetes-action");
        }
      }
      for (std::string_view extra : {std::string_view(status_name),
                                     std::string_view("DeleteOptions"), kWatchEvent, kPatch}) {
        const Type* t = schema.Find(extra);
        b.Collect(t != nullptr ? std::string_view(t->openapi_name) : extra, names);
      }
      json::object defs;
      for (const std::string& n : names) defs[n] = b.Definition(n);
      json::object doc;
      json::object security{{"BearerToken", json::array()}};
      if (v3) {
        doc["openapi"] = "3.0.0";
        doc["info"] = info;
        doc["paths"] = std::move(paths);
        doc["components"] =
            json::object{{"schemas", std::move(defs)},
                         {"securitySchemes",
                          json::object{{"BearerToken",
                                        json::object{{"description", "Bearer Token authentication"},
                                                     {"in", "header"},
                                                     {"name", "authorization"},
                                                     {"type", "apiKey"}}}}}};
      } else {
        doc["swagger"] = "2.0";
        doc["info"] = info;
        doc["paths"] = std::move(paths);
        doc["definitions"] = std::move(defs);
        doc["securityDefinitions"] = json::object{
            {"BearerToken", json::object{{"description", "Bearer Token authentication"},
                                         {"in", "header"},
                                         {"name", "authorization"},
                                         {"type", "apiKey"}}}};
      }
      doc["security"] = json::array{security};
      return Serialize(doc);
    };

    docs->v2 = build(false, docs->order);
    docs->v2_etag = ContentHash(docs->v2);
    // The protobuf form is converted from the JSON text just built, so both always agree.
    docs->v2_pb = SwaggerToProto(json::parse(docs->v2).as_object()).SerializeAsString();
    docs->v2_pb_etag = ContentHash(docs->v2_pb);
    json::object index_paths;
    for (const std::string& gv : docs->order) {
      std::string doc = build(true, {gv});
      std::string hash = ContentHash(doc);
      std::string url = "/openapi/v3/" + gv;
      url += "?hash=";
      url += hash;
      index_paths[gv] = json::object{{"serverRelativeURL", std::move(url)}};
      docs->v3.emplace(gv, std::make_pair(std::move(doc), std::move(hash)));
    }
    docs->v3_index = Serialize(json::object{{"paths", std::move(index_paths)}});
    docs->v3_index_etag = ContentHash(docs->v3_index);
    docs_ = std::move(docs);
  });
  return *docs_;
}

const std::string& OpenApi::V2() const { return Built().v2; }
const std::string& OpenApi::V2Protobuf() const { return Built().v2_pb; }
const std::string& OpenApi::V3Index() const { return Built().v3_index; }
const std::string* OpenApi::V3(std::string_view gv_path) const {
  const Docs& d = Built();
  auto it = d.v3.find(gv_path);
  return it == d.v3.end() ? nullptr : &it->second.first;
}
std::vector<std::string> OpenApi::GroupVersionPaths() const { return Built().order; }

std::optional<Response> OpenApi::Serve(const Request& req) const {
  const std::string& p = req.path;
  const bool v2 = p == "/openapi/v2" || p == "/openapi/v2/";
  const bool index = p == "/openapi/v3" || p == "/openapi/v3/";
  const bool v3 = !index && p.starts_with("/openapi/v3/");
  if (!v2 && !index && !v3) return std::nullopt;
  if (req.method != "GET" && req.method != "HEAD") {
    return ErrorResponse(Status(StatusCode::kMethodNotAllowed,
                                "the server does not allow this method on the requested resource"));
  }
  const std::string_view type =
      v2 ? Negotiate(req.Header("accept"), {kJson, kProtobufDeprecated, kProtobuf})
         : Negotiate(req.Header("accept"), {kJson});
  if (type.empty()) {
    std::string message = "only the following media types are accepted: application/json";
    if (v2) message += ", " + std::string(kProtobuf);
    Response r = ErrorResponse(Status(StatusCode::kNotAcceptable, message));
    if (v2) r.headers["Vary"] = "Accept";
    return r;
  }
  const bool protobuf = type != kJson;
  const Docs& d = Built();
  const std::string* body = nullptr;
  const std::string* etag = nullptr;
  if (v2 && protobuf) {
    body = &d.v2_pb;
    etag = &d.v2_pb_etag;
  } else if (v2) {
    body = &d.v2;
    etag = &d.v2_etag;
  } else if (index) {
    body = &d.v3_index;
    etag = &d.v3_index_etag;
  } else {
    std::string_view gv = std::string_view(p).substr(std::string_view("/openapi/v3/").size());
    while (!gv.empty() && gv.back() == '/') gv.remove_suffix(1);
    auto it = d.v3.find(gv);
    if (it == d.v3.end()) {
      return ErrorResponse(Status::NotFound("the server could not find the requested resource"));
    }
    body = &it->second.first;
    etag = &it->second.second;
  }
  Response r;
  r.content_type = protobuf ? kProtobuf : kJson;
  r.headers["ETag"] = "\"" + *etag + "\"";
  if (v2) r.headers["Vary"] = "Accept";
  if (v3 && req.HasQuery("hash")) {
    if (req.Query("hash") != *etag) {
      r.status = 301;
      r.content_type = "text/plain; charset=utf-8";
      r.headers["Location"] = std::string(p) + "?hash=" + *etag;
      return r;
    }
    r.headers["Vary"] = "Accept";
    r.headers["Cache-Control"] = "public, immutable";
    r.headers["Expires"] = HttpDateOneYearAhead();
  }
  if (req.Header("if-none-match") == r.headers["ETag"]) {
    r.status = 304;
    return r;
  }
  r.body = *body;
  return r;
}

std::optional<Response> ServeOpenApi(const Request& req, const Registry& registry) {
  if (!req.path.starts_with("/openapi/")) return std::nullopt;
  static std::mutex mu;
  static auto* cache = new std::map<const Registry*, std::unique_ptr<OpenApi>>();  // never freed
  const OpenApi* api = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu);
    auto& slot = (*cache)[&registry];
    if (!slot) slot = std::make_unique<OpenApi>(registry);
    api = slot.get();
  }
  return api->Serve(req);
}

}  // namespace kubepp::apiserver
