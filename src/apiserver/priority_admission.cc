#include "apiserver/priority_admission.h"

#include <boost/json.hpp>
#include <optional>
#include <vector>

#include "api/codec.h"
#include "api/types.h"

namespace kubepp::apiserver {
namespace {

namespace json = boost::json;
using api::PriorityClass;

constexpr std::string_view kPreemptLowerPriority = "PreemptLowerPriority";

Result<PriorityClass> DecodeClass(std::string_view bytes, std::string_view key) {
  boost::system::error_code ec;
  json::value v = json::parse(bytes, ec);
  if (ec || !v.is_object()) return Status::Internal("stored " + std::string(key) + " is not JSON");
  PriorityClass pc;
  Status s = api::FromJson(v, pc, nullptr);
  if (!s.IsOk()) return Status::Internal("stored " + std::string(key) + ": " + s.Message());
  return pc;
}

// The PriorityClass `name`, or NotFound.
Result<PriorityClass> GetClass(storage::Backend& store, const ResourceInfo& info,
                               const std::string& name) {
  const std::string key = info.Key("", name);
  KUBEPP_ASSIGN_OR_RETURN(auto kv, store.Get(key));
  return DecodeClass(kv.value, key);
}

// upstream's getDefaultPriorityClass: the globalDefault class; when a race left several, the
// one with the lowest value.
Result<std::optional<PriorityClass>> DefaultClass(storage::Backend& store,
                                                  const ResourceInfo& info) {
  std::optional<PriorityClass> out;
  storage::ListOptions opts;
  opts.prefix = info.KeyPrefix();
  opts.limit = 500;
  while (true) {
    KUBEPP_ASSIGN_OR_RETURN(auto page, store.List(opts));
    for (const auto& kv : page.items) {
      KUBEPP_ASSIGN_OR_RETURN(PriorityClass pc, DecodeClass(kv.value, kv.key));
      if (!pc.globalDefault.value_or(false)) continue;
      if (!out || out->value > pc.value) out = std::move(pc);
    }
    if (page.continue_token.empty()) break;
    opts.continue_token = page.continue_token;
  }
  return out;
}

std::string MetaField(const json::value& obj, std::string_view field) {
  const json::value* meta = obj.as_object().if_contains("metadata");
  if (meta == nullptr || !meta->is_object()) return "";
  const json::value* v = meta->as_object().if_contains(field);
  if (v == nullptr || !v->is_string()) return "";
  return std::string(v->as_string());
}

// upstream's admission.NewForbidden: `<resource> "<name>" is forbidden: <why>`.
Status Forbidden(const std::string& group, const std::string& resource, const std::string& name,
                 const std::string& why) {
  const std::string qualified = group.empty() ? resource : resource + "." + group;
  return {StatusCode::kForbidden, qualified + " \"" + name + "\" is forbidden: " + why,
          StatusDetails{name, group, resource, {}, 0}};
}

// The name a pod's error is about: the generateName when the name was generated from it (the
// name upstream's create handler has at admission time).
std::string PodNameForError(const json::value& obj) {
  std::string name = MetaField(obj, "name");
  std::string generate = MetaField(obj, "generateName");
  constexpr size_t kMaxPrefix = 58;  // meta.cc: generated names are prefix + 5 characters
  const std::string prefix = generate.substr(0, kMaxPrefix);
  if (!generate.empty() && name.size() == prefix.size() + 5 && name.starts_with(prefix)) {
    return generate;
  }
  return name;
}

}  // namespace

// upstream's admitPod on create.
Result<StorageHooks::Finish> PodPriorityAdmission::BeginCreate(json::value& obj, bool /*dry_run*/) {
  if (!obj.is_object()) return Status::Internal("pod is not an object");
  json::value& spec_value = obj.as_object()["spec"];
  if (!spec_value.is_object()) spec_value = json::object();
  json::object& spec = spec_value.as_object();
  auto forbidden = [&](const std::string& why) {
    return Forbidden("", "pods", PodNameForError(obj), why);
  };
  std::string class_name;
  if (const json::value* v = spec.if_contains("priorityClassName");
      v != nullptr && v->is_string()) {
    class_name = std::string(v->as_string());
  }
  int64_t priority = 0;
  std::string policy;  // "" : the class has none, the pod's (if any) is kept
  if (class_name.empty()) {
    auto dpc = DefaultClass(store_, priority_classes_);
    if (!dpc.IsOk()) {
      return Status::Internal("failed to get default priority class: " + dpc.status().Message());
    }
    if (*dpc) {
      class_name = (*dpc)->metadata.name;
      priority = (*dpc)->value;
      policy = (*dpc)->preemptionPolicy;
      spec["priorityClassName"] = class_name;
    } else {
      policy = kPreemptLowerPriority;
    }
  } else {
    auto pc = GetClass(store_, priority_classes_, class_name);
    if (!pc.IsOk()) {
      if (pc.status().IsNotFound()) {
        return forbidden("no PriorityClass with name " + class_name + " was found");
      }
      return Status::Internal("failed to get PriorityClass with name " + class_name + ": " +
                              pc.status().Message());
    }
    priority = pc->value;
    policy = pc->preemptionPolicy;
  }
  if (const json::value* v = spec.if_contains("priority"); v != nullptr && !v->is_null()) {
    boost::system::error_code ec;
    const auto given = v->to_number<int64_t>(ec);
    if (ec || given != priority) {
      return forbidden("the integer value of priority (" +
                       (ec ? json::serialize(*v) : std::to_string(given)) +
                       ") must not be provided in pod spec; priority admission controller "
                       "computed " +
                       std::to_string(priority) + " from the given PriorityClass name");
    }
  }
  spec["priority"] = priority;
  if (!policy.empty()) {
    if (const json::value* v = spec.if_contains("preemptionPolicy");
        v != nullptr && v->is_string() && !v->as_string().empty() && v->as_string() != policy) {
      return forbidden("the string value of PreemptionPolicy (" + std::string(v->as_string()) +
                       ") must not be provided in pod spec; priority admission controller "
                       "computed " +
                       policy + " from the given PriorityClass name");
    }
    spec["preemptionPolicy"] = policy;
  }
  return Finish();
}

Result<StorageHooks::Finish> PodPriorityAdmission::BeginUpdate(json::value& /*obj*/,
                                                               const json::value& /*old*/,
                                                               bool /*dry_run*/) {
  return Finish();
}

// upstream's validatePriorityClass.
Status PriorityClassAdmission::CheckSingleDefault(const json::value& obj, bool creating) {
  const json::value* gd = obj.as_object().if_contains("globalDefault");
  if (gd == nullptr || !gd->is_bool() || !gd->as_bool()) return Status::Ok();
  auto dpc = DefaultClass(store_, priority_classes_);
  if (!dpc.IsOk()) {
    return Status::Internal("failed to get default priority class: " + dpc.status().Message());
  }
  const std::string name = MetaField(obj, "name");
  if (!*dpc || (!creating && (*dpc)->metadata.name == name)) return Status::Ok();
  return Forbidden(priority_classes_.group, priority_classes_.resource, name,
                   "PriorityClass " + (*dpc)->metadata.name +
                       " is already marked as default. Only one default can exist");
}

Result<StorageHooks::Finish> PriorityClassAdmission::BeginCreate(json::value& obj,
                                                                 bool /*dry_run*/) {
  if (!obj.is_object()) return Status::Internal("priority class is not an object");
  KUBEPP_RETURN_IF_ERROR(CheckSingleDefault(obj, true));
  return Finish();
}

Result<StorageHooks::Finish> PriorityClassAdmission::BeginUpdate(json::value& obj,
                                                                 const json::value& /*old*/,
                                                                 bool /*dry_run*/) {
  if (!obj.is_object()) return Status::Internal("priority class is not an object");
  KUBEPP_RETURN_IF_ERROR(CheckSingleDefault(obj, false));
  return Finish();
}

}  // namespace kubepp::apiserver
