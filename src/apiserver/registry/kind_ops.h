// KindOps<T>: the typed implementation of a kind's behaviour, from its API type T and a few
// optional hooks. The generic parts (decode, metadata, status subresource rules, generation,
// encode) are here once; a kind supplies only what is its own.
//
// Instantiate in a few translation units only (registry_*.cc): each instantiation pulls in the
// codec for every type T holds.
#pragma once

#include <fmt/format.h>

#include <memory>

#include "api/codec.h"
#include "api/types.h"
#include "apiserver/registry/meta.h"
#include "apiserver/registry/resource.h"

namespace kubepp::apiserver {

// What a kind adds to the generic machinery. Every hook is optional.
template <typename T>
struct KindHooks {
  NameRule name_rule = NameRule::kDns1123Subdomain;
  bool tracks_generation = false;  // metadata.generation starts at 1, bumps on spec changes
  // Status given on create is kept although status is a subresource (upstream's Node: the
  // kubelet registers its node with capacity, allocatable and conditions in one create).
  bool keep_status_on_create = false;
  // Defaults applied on create and update (upstream's SetDefaults_* + PrepareForCreate).
  void (*defaults)(T& obj, Operation op) = nullptr;
  // Before defaults on update: carries values over from the stored object (upstream's
  // PrepareForUpdate), e.g. a Service's allocated ClusterIP when the body omits it.
  void (*prepare_for_update)(T& obj, const T& old, const PrepareOptions& options) = nullptr;
  // Kind-specific validation; `old` is set on update.
  void (*validate)(const T& obj, const T* old, api::ErrorList& errors) = nullptr;
  // Table cells after NAME, matching ResourceInfo::columns[1..].
  void (*row)(const T& obj, Clock::WallTime now, std::vector<boost::json::value>& cells) = nullptr;
  // Kind-specific selectable fields (beyond metadata.name / metadata.namespace).
  void (*fields)(const T& obj, std::map<std::string, std::string>& out) = nullptr;
};

template <typename T>
class TypedKindOps final : public KindOps {
 public:
  TypedKindOps(bool namespaced, bool has_status, KindHooks<T> hooks)
      : namespaced_(namespaced), has_status_(has_status), hooks_(hooks) {}

  Result<Prepared> Prepare(const boost::json::value& body, const boost::json::value* old,
                           const PrepareOptions& options) const override {
    Prepared out;
    T obj;
    if (Status s = Decode(body, obj, &out.unknown); !s.IsOk()) return s;
    api::ErrorList errors;
    if (options.op == Operation::kCreate) {
      PrepareMetaForCreate(obj.metadata, options, hooks_.tracks_generation);
      if constexpr (requires { obj.status; }) {
        if (has_status_ && !hooks_.keep_status_on_create) obj.status = {};
      }
      if (hooks_.defaults != nullptr) hooks_.defaults(obj, options.op);
      ValidateMeta(obj.metadata, namespaced_, hooks_.name_rule, errors);
      if (hooks_.validate != nullptr) hooks_.validate(obj, nullptr, errors);
    } else {
      T prev;
      if (Status s = Decode(*old, prev, nullptr); !s.IsOk()) {
        return Status::Internal("stored object does not decode: " + s.Message());
      }
      if (options.status_subresource) {
        // A status update changes status only.
        if constexpr (requires { obj.status; }) {
          auto status = std::move(obj.status);
          std::string rv = obj.metadata.resourceVersion;
          obj = prev;
          obj.status = std::move(status);
          obj.metadata.resourceVersion = rv;
        }
      } else if constexpr (requires { obj.status; }) {
        if (has_status_) obj.status = prev.status;
      }
      PrepareMetaForUpdate(obj.metadata, prev.metadata);
      if constexpr (requires { obj.spec; }) {
        if (hooks_.tracks_generation && !(obj.spec == prev.spec)) {
          obj.metadata.generation = prev.metadata.generation.value_or(0) + 1;
        }
      }
      if (hooks_.prepare_for_update != nullptr) hooks_.prepare_for_update(obj, prev, options);
      if (hooks_.defaults != nullptr) hooks_.defaults(obj, options.op);
      ValidateMeta(obj.metadata, namespaced_, hooks_.name_rule, errors);
      ValidateMetaUpdate(obj.metadata, prev.metadata, errors);
      if (hooks_.validate != nullptr) hooks_.validate(obj, &prev, errors);
    }
    if (!errors.empty()) {
      return api::InvalidStatus(T::kGroup, T::kKind, obj.metadata.name, errors);
    }
    obj.apiVersion = ApiVersion();
    obj.kind = T::kKind;
    out.object = api::ToJson(obj);
    return out;
  }

  std::vector<boost::json::value> Row(const boost::json::value& object,
                                      Clock::WallTime now) const override {
    std::vector<boost::json::value> cells;
    T obj;
    if (!Decode(object, obj, nullptr).IsOk()) return cells;
    cells.emplace_back(obj.metadata.name);
    if (hooks_.row != nullptr) {
      hooks_.row(obj, now, cells);
    } else {
      cells.emplace_back(AgeOf(obj.metadata.creationTimestamp, now));
    }
    return cells;
  }

  std::map<std::string, std::string> Fields(const boost::json::value& object) const override {
    std::map<std::string, std::string> out;
    T obj;
    if (!Decode(object, obj, nullptr).IsOk()) return out;
    out["metadata.name"] = obj.metadata.name;
    if (namespaced_) out["metadata.namespace"] = obj.metadata.namespace_;
    if (hooks_.fields != nullptr) hooks_.fields(obj, out);
    return out;
  }

 private:
  static std::string ApiVersion() {
    std::string group = T::kGroup;
    return group.empty() ? std::string(T::kVersion) : group + "/" + T::kVersion;
  }

  // Decodes and checks apiVersion/kind against T's (upstream's wording on mismatch).
  static Status Decode(const boost::json::value& body, T& obj, std::vector<std::string>* unknown) {
    Status s = api::FromJson(body, obj, unknown);
    if (!s.IsOk()) {
      return Status::BadRequest(fmt::format("{} in version \"{}\" cannot be handled as a {}: {}",
                                            T::kKind, T::kVersion, T::kKind, s.Message()));
    }
    if (!obj.kind.empty() && obj.kind != T::kKind) {
      return Status::BadRequest(
          fmt::format("{} in version \"{}\" cannot be handled as a {}: "
                      "kind mismatch",
                      obj.kind, T::kVersion, T::kKind));
    }
    if (!obj.apiVersion.empty() && obj.apiVersion != ApiVersion()) {
      return Status::BadRequest(fmt::format(
          "the API version in the data ({}) does not match the expected API version ({})",
          obj.apiVersion, ApiVersion()));
    }
    return Status::Ok();
  }

  bool namespaced_;     // the kind is namespaced
  bool has_status_;     // status is a subresource (reset on create, kept on update)
  KindHooks<T> hooks_;  // the kind's own behaviour
};

// Registers kind T as `resource` with `hooks`.
template <typename T>
ResourceInfo MakeResource(std::string resource, std::string singular, bool namespaced,
                          std::vector<std::string> short_names, std::vector<std::string> categories,
                          bool has_status, bool has_scale, std::vector<TableColumn> columns,
                          KindHooks<T> hooks) {
  ResourceInfo info;
  info.group = T::kGroup;
  info.version = T::kVersion;
  info.resource = std::move(resource);
  info.singular = std::move(singular);
  info.kind = T::kKind;
  info.namespaced = namespaced;
  info.short_names = std::move(short_names);
  info.categories = std::move(categories);
  info.verbs = {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"};
  info.has_status = has_status;
  info.has_scale = has_scale;
  if (columns.empty()) {
    columns = {{"Name", "string", "name", "Name must be unique within a namespace.", 0},
               {"Age", "string", "",
                "CreationTimestamp is a timestamp representing the server "
                "time when this object was created.",
                0}};
    hooks.row = nullptr;
  }
  info.columns = std::move(columns);
  info.ops = std::make_unique<TypedKindOps<T>>(namespaced, has_status, hooks);
  return info;
}

}  // namespace kubepp::apiserver
