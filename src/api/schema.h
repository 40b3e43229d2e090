// A runtime view of the one API schema (schema/types.json, embedded in the binary): every API
// type with its OpenAPI name, GVK, description and fields (type, required, description, patch
// strategy and merge key). The OpenAPI documents and strategic merge patch are built from it.
//
// Schema::Embedded() parses the embedded text once, on first use (thread-safe); the result is
// immutable and lives for the whole process, so the pointers it hands out never dangle.
// Schema::Parse() builds a separate instance from any text (tests). A malformed embedded schema
// is a build bug and aborts.
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace kubepp::api::schema {

struct Type;

// What a field's value is. Scalars map to one JSON type; kArray and kMap have an element type;
// kObject names another schema type.
enum class Kind {
  kString,
  kTime,       // RFC 3339 seconds (metav1.Time)
  kMicroTime,  // RFC 3339 microseconds (metav1.MicroTime)
  kBytes,      // base64 string
  kInt32,
  kInt64,
  kDouble,
  kBool,
  kQuantity,     // resource.Quantity: string (or number on input)
  kIntOrString,  // intstr.IntOrString
  kJson,         // free-form JSON (RawExtension, FieldsV1)
  kArray,        // "[T]"
  kMap,          // "{T}": string keys
  kObject,       // a named type
};

// A parsed field type, e.g. "[Container]" is {kArray, elem: {kObject, object: Container}}.
struct TypeRef {
  Kind kind = Kind::kString;
  const TypeRef* elem = nullptr;  // element type for kArray / kMap, owned by the Schema
  const Type* object = nullptr;   // the named type for kObject, owned by the Schema
};

struct Field {
  std::string name;               // JSON name, e.g. "containers"
  std::string type_text;          // as declared, e.g. "[Container]"
  const TypeRef* type = nullptr;  // parsed type, owned by the Schema
  bool required = false;          // listed in the type's `required`
  std::string description;        // help text
  std::string patch_strategy;     // "", "merge", "retainKeys" or "merge,retainKeys"
  std::string patch_merge_key;    // e.g. "name" for containers; "" when none

  // The list (or map) merges element-wise under strategic merge patch.
  bool Merges() const;
  // The field's value carries $retainKeys semantics.
  bool RetainsKeys() const;
};

// A Kubernetes group/version/kind.
struct Gvk {
  std::string group;    // "" for core
  std::string version;  // "v1"
  std::string kind;     // "Pod"
  bool operator==(const Gvk&) const = default;
};

struct Type {
  std::string name;           // C++ (schema) name, e.g. "Pod", "EventsEvent"
  std::string package;        // e.g. "io.k8s.api.core.v1"
  std::string openapi_name;   // e.g. "io.k8s.api.core.v1.Pod"
  std::optional<Gvk> gvk;     // set for kinds
  std::string description;    // help text
  std::vector<Field> fields;  // in declaration (alphabetical) order

  // The field with JSON name `json_name`, or nullptr.
  const Field* FindField(std::string_view json_name) const;

 private:
  friend class Schema;
  std::map<std::string, size_t, std::less<>> field_index_;  // JSON name -> index in fields
};

class Schema {
 public:
  // The schema embedded at build time; parsed on first call, then shared (thread-safe).
  static const Schema& Embedded();
  // Parses a types.json document. Errors: BadRequest naming the first problem (bad JSON, a
  // field type naming an unknown type, ...).
  static Result<std::unique_ptr<Schema>> Parse(std::string_view json_text);

  Schema(const Schema&) = delete;
  Schema& operator=(const Schema&) = delete;

  // A type by C++ name ("Pod") or by OpenAPI name ("io.k8s.api.core.v1.Pod"); nullptr if none.
  const Type* Find(std::string_view name) const;
  const Type* FindByName(std::string_view cpp_name) const;
  const Type* FindByOpenApiName(std::string_view openapi_name) const;
  // The kind with this group/version/kind, or nullptr.
  const Type* FindByGvk(std::string_view group, std::string_view version,
                        std::string_view kind) const;
  // Every type by C++ name.
  const std::map<std::string, Type, std::less<>>& Types() const { return types_; }
  // The Kubernetes version the schema follows, e.g. "v1.32.0".
  const std::string& KubernetesVersion() const { return kubernetes_version_; }

 private:
  Schema() = default;
  Result<const TypeRef*> ParseTypeRef(std::string_view text);

  std::string kubernetes_version_;                                // "v1.32.0"
  std::map<std::string, Type, std::less<>> types_;                // by C++ name
  std::map<std::string, const Type*, std::less<>> by_openapi_;    // by OpenAPI name
  std::map<std::string, const Type*, std::less<>> by_gvk_;        // by "group/version/kind"
  std::deque<TypeRef> refs_;                                      // owns every TypeRef
  std::map<std::string, const TypeRef*, std::less<>> ref_cache_;  // type text -> parsed
};

}  // namespace kubepp::api::schema
