#include "controller/namespace_deleter.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <utility>

#include "api/codec.h"
#include "base/log.h"
#include "base/rfc3339.h"
#include "client/resource.h"
#include "client/typed.h"

namespace kubepp::controller {

namespace json = boost::json;

namespace {

// The conditions this controller owns, in upstream's order, with their "all is well" reason and
// message (status False).
struct ConditionKind {
  std::string_view type;
  std::string_view ok_reason;
  std::string_view ok_message;
};
constexpr std::array<ConditionKind, 5> kConditions = {{
    {"NamespaceDeletionDiscoveryFailure", "ResourcesDiscovered",
     "All resources successfully discovered"},
    {"NamespaceDeletionGroupVersionParsingFailure", "ParsedGroupVersions",
     "All legacy kube types successfully parsed"},
    {"NamespaceDeletionContentFailure", "ContentDeleted",
     "All content successfully deleted, may be waiting on finalization"},
    {"NamespaceContentRemaining", "ContentRemoved", "All content successfully removed"},
    {"NamespaceFinalizersRemaining", "ContentHasNoFinalizers",
     "All content-preserving finalizers finished"},
}};

std::string Join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

// The condition `type` should have now (status True with a failure, else the ok condition).
api::NamespaceCondition Desired(const ConditionKind& kind, const NamespaceDeletionReport& report) {
  api::NamespaceCondition c;
  c.type = std::string(kind.type);
  c.status = "False";
  c.reason = std::string(kind.ok_reason);
  c.message = std::string(kind.ok_message);
  auto fail = [&c](std::string_view reason, std::string message) {
    c.status = "True";
    c.reason = std::string(reason);
    c.message = std::move(message);
  };
  if (kind.type == "NamespaceDeletionDiscoveryFailure" && report.discovery_error) {
    fail("DiscoveryFailed", *report.discovery_error);
  } else if (kind.type == "NamespaceDeletionContentFailure" && !report.content_errors.empty()) {
    std::vector<std::string> msgs = report.content_errors;
    std::sort(msgs.begin(), msgs.end());
    fail("ContentDeletionFailed",
         fmt::format("Failed to delete all resource types, {} remaining: {}", msgs.size(),
                     Join(msgs, ", ")));
  } else if (kind.type == "NamespaceContentRemaining") {
    std::vector<std::string> parts;
    for (const auto& [gr, n] : report.remaining) {
      if (n > 0) parts.push_back(fmt::format("{} has {} resource instances", gr, n));
    }
    std::sort(parts.begin(), parts.end());
    if (!parts.empty()) {
      fail("SomeResourcesRemain", "Some resources are remaining: " + Join(parts, ", "));
    }
  } else if (kind.type == "NamespaceFinalizersRemaining") {
    std::vector<std::string> parts;
    for (const auto& [f, n] : report.finalizers) {
      if (n > 0) parts.push_back(fmt::format("{} in {} resource instances", f, n));
    }
    std::sort(parts.begin(), parts.end());
    if (!parts.empty()) {
      fail("SomeFinalizersRemain",
           "Some content in the namespace has finalizers remaining: " + Join(parts, ", "));
    }
  }
  return c;
}

const json::object* ObjectField(const json::value& v, std::string_view key) {
  const auto* o = v.if_object();
  if (o == nullptr) return nullptr;
  const auto* f = o->if_contains(key);
  return f == nullptr ? nullptr : f->if_object();
}

const json::array* Items(const json::value& list) {
  const auto* o = list.if_object();
  if (o == nullptr) return nullptr;
  const auto* items = o->if_contains("items");
  return items == nullptr ? nullptr : items->if_array();
}

std::optional<int64_t> IntField(const json::object* o, std::string_view key) {
  if (o == nullptr) return std::nullopt;
  const auto* f = o->if_contains(key);
  if (f == nullptr) return std::nullopt;
  if (f->is_int64()) return f->get_int64();
  if (f->is_uint64()) return static_cast<int64_t>(f->get_uint64());
  return std::nullopt;
}

std::string StringField(const json::object* o, std::string_view key) {
  if (o == nullptr) return "";
  const auto* f = o->if_contains(key);
  if (f == nullptr || !f->is_string()) return "";
  return std::string(f->get_string());
}

bool HasKubernetesFinalizer(const api::Namespace& ns) {
  return std::find(ns.spec.finalizers.begin(), ns.spec.finalizers.end(), kKubernetesFinalizer) !=
         ns.spec.finalizers.end();
}

// The resource's "not supported" answers: the verb is not offered (405) or the resource is gone.
bool NotSupported(const Status& s) {
  return s.IsNotFound() || s.Code() == StatusCode::kMethodNotAllowed;
}

}  // namespace

bool ApplyNamespaceDeletionConditions(const NamespaceDeletionReport& report, Clock::WallTime now,
                                      std::vector<api::NamespaceCondition>* conditions) {
  bool changed = false;
  for (const auto& kind : kConditions) {
    api::NamespaceCondition want = Desired(kind, report);
    auto it = std::find_if(conditions->begin(), conditions->end(),
                           [&](const api::NamespaceCondition& c) { return c.type == kind.type; });
    if (it != conditions->end() && it->status == want.status && it->reason == want.reason &&
        it->message == want.message) {
      continue;
    }
    want.lastTransitionTime = FormatRfc3339(now);
    if (it == conditions->end()) {
      conditions->push_back(std::move(want));
    } else {
      *it = std::move(want);
    }
    changed = true;
  }
  return changed;
}

int64_t EstimatePodsGracefulTermination(const json::value& pods,
                                        Clock::WallTime namespace_deleted_at, Clock::WallTime now) {
  int64_t estimate = 0;
  if (const auto* items = Items(pods)) {
    for (const auto& pod : *items) {
      const auto* status = ObjectField(pod, "status");
      std::string phase = StringField(status, "phase");
      if (phase == "Succeeded" || phase == "Failed") continue;
      const auto* spec = ObjectField(pod, "spec");
      int64_t grace = IntField(spec, "terminationGracePeriodSeconds").value_or(0);
      if (auto g = IntField(ObjectField(pod, "metadata"), "deletionGracePeriodSeconds")) grace = *g;
      estimate = std::max(estimate, grace);
    }
  }
  // Time already spent since the namespace was deleted counts against the estimate.
  if (now - namespace_deleted_at >= std::chrono::seconds(estimate)) return 0;
  return estimate;
}

Clock::Duration RemainingContentRequeue(int64_t estimate_seconds) {
  return std::chrono::seconds(estimate_seconds / 2 + 1);
}

NamespacedResourcesDeleter::NamespacedResourcesDeleter(client::RestClient* client,
                                                       const Clock* clock)
    : client_(client), clock_(clock) {}

async::Task<SyncResult> NamespacedResourcesDeleter::Delete(std::string name) {
  client::TypedClient<api::Namespace> namespaces(*client_);
  auto got = co_await namespaces.Get(name);
  if (!got.IsOk()) {
    if (got.status().IsNotFound()) co_return SyncResult{};
    co_return SyncResult{got.status(), std::nullopt};
  }
  if (got->metadata.deletionTimestamp.empty()) co_return SyncResult{};
  auto ns = co_await SetTerminating(std::move(*got));
  if (!ns.IsOk()) {
    if (ns.status().IsNotFound()) co_return SyncResult{};
    co_return SyncResult{ns.status(), std::nullopt};
  }
  if (ns->spec.finalizers.empty()) co_return SyncResult{};

  auto estimate = co_await DeleteAllContent(*ns);
  if (!estimate.IsOk()) co_return SyncResult{estimate.status(), std::nullopt};
  if (*estimate > 0) {
    KLOG_V(2, "namespace {}: content remains, looking again in {} s", name, *estimate / 2 + 1);
    co_return SyncResult{Status::Ok(), RemainingContentRequeue(*estimate)};
  }
  Status fin = co_await Finalize(std::move(*ns));
  co_return SyncResult{fin, std::nullopt};
}

async::Task<Result<api::Namespace>> NamespacedResourcesDeleter::SetTerminating(api::Namespace ns) {
  if (ns.status.phase == "Terminating") co_return ns;
  client::TypedClient<api::Namespace> namespaces(*client_);
  api::Namespace updated = ns;
  updated.status.phase = "Terminating";
  auto res = co_await namespaces.UpdateStatus(std::move(updated));
  co_return res;
}

async::Task<Result<int64_t>> NamespacedResourcesDeleter::DeleteAllContent(api::Namespace ns) {
  NamespaceDeletionReport report;
  std::vector<Status> errors;
  Clock::WallTime deleted_at = clock_->WallNow();
  if (auto t = ParseRfc3339(ns.metadata.deletionTimestamp)) deleted_at = *t;

  std::vector<ApiResource> resources;
  auto discovered = co_await DiscoverPreferredResources(client_);
  if (!discovered.IsOk()) {
    // Discovery errors are not fatal for what was found, but here nothing was.
    report.discovery_error = discovered.status().Message();
    errors.push_back(discovered.status());
  } else {
    if (!discovered->failed_groups.empty()) {
      std::vector<std::string> failed;
      for (const auto& [gv, why] : discovered->failed_groups)
        failed.push_back(fmt::format("{}: {}", gv, why));
      report.discovery_error = fmt::format(
          "Discovery failed for some groups, {} failing: unable to retrieve the complete list of "
          "server APIs: {}",
          failed.size(), Join(failed, ", "));
      errors.push_back(Status::Unavailable(*report.discovery_error));
    }
    resources = std::move(discovered->resources);
  }

  int64_t estimate = 0;
  for (auto& resource : resources) {
    if (!resource.ref.namespaced || !resource.Supports("delete")) continue;
    std::string gr = resource.ref.resource + "." + resource.ref.group;  // upstream's "pods."
    auto outcome = co_await DeleteAllOf(resource, ns.metadata.name, deleted_at);
    if (!outcome.IsOk()) {
      report.content_errors.push_back(outcome.status().Message());
      errors.push_back(outcome.status());
      continue;
    }
    estimate = std::max(estimate, outcome->estimate);
    if (outcome->remaining > 0) {
      report.remaining[gr] += outcome->remaining;
      for (const auto& [f, n] : outcome->finalizers) report.finalizers[f] += n;
    }
  }

  // Conditions are written whenever they changed, also when all went well after a failure.
  if (ApplyNamespaceDeletionConditions(report, clock_->WallNow(), &ns.status.conditions)) {
    client::TypedClient<api::Namespace> namespaces(*client_);
    auto updated = co_await namespaces.UpdateStatus(std::move(ns));
    if (!updated.IsOk() && !updated.status().IsNotFound()) {
      KLOG_V(2, "namespace controller: updating conditions: {}", updated.status().ToString());
    }
  }
  if (!errors.empty()) {
    std::vector<std::string> msgs;
    msgs.reserve(errors.size());
    for (const auto& e : errors) msgs.push_back(e.Message());
    co_return Status(errors.front().Code(), Join(msgs, "; "));
  }
  co_return estimate;
}

async::Task<Result<NamespacedResourcesDeleter::ResourceOutcome>>
NamespacedResourcesDeleter::DeleteAllOf(ApiResource resource, std::string ns,
                                        Clock::WallTime deleted_at) {
  ResourceOutcome out;
  client::ObjectPath collection{resource.ref, ns, "", ""};
  // Pods still within their grace period are expected to go on their own.
  if (resource.ref.group.empty() && resource.ref.resource == "pods") {
    client::ListOptions opts;
    client::ObjectPath path = collection;
    auto pods = co_await client_->List(std::move(path), std::move(opts));
    if (!pods.IsOk()) co_return pods.status();
    out.estimate = EstimatePodsGracefulTermination(*pods, deleted_at, clock_->WallNow());
  }

  bool deleted = false;
  if (resource.Supports("deletecollection")) {
    client::DeleteOptions opts;
    opts.propagation_policy = "Background";
    client::ObjectPath path = collection;
    auto res = co_await client_->Delete(std::move(path), std::move(opts));
    if (res.IsOk()) {
      deleted = true;
    } else if (!NotSupported(res.status())) {
      co_return res.status();
    }
  }
  if (!deleted) {
    Status s = co_await DeleteEachItem(resource, ns);
    if (!s.IsOk()) co_return s;
  }

  // What remains?
  if (!resource.Supports("list")) co_return out;
  client::ListOptions opts;
  client::ObjectPath path = collection;
  auto left = co_await client_->List(std::move(path), std::move(opts));
  if (!left.IsOk()) {
    if (NotSupported(left.status())) co_return out;
    co_return left.status();
  }
  const auto* items = Items(*left);
  if (items == nullptr || items->empty()) co_return out;
  out.remaining = static_cast<int>(items->size());
  for (const auto& item : *items) {
    const auto* meta = ObjectField(item, "metadata");
    if (meta == nullptr) continue;
    const auto* fins = meta->if_contains("finalizers");
    if (fins == nullptr || !fins->is_array()) continue;
    for (const auto& f : fins->get_array()) {
      if (f.is_string()) out.finalizers[std::string(f.get_string())] += 1;
    }
  }
  if (out.estimate != 0) co_return out;
  // Finalizers are a normal reason to remain (give the garbage collector time).
  if (!out.finalizers.empty()) {
    out.estimate = kFinalizerEstimateSeconds;
    co_return out;
  }
  co_return Status::Conflict(fmt::format(
      "unexpected items still remain in namespace: {} for gvr: {}", ns, resource.GroupResource()));
}

async::Task<Status> NamespacedResourcesDeleter::DeleteEachItem(ApiResource resource,
                                                               std::string ns) {
  if (!resource.Supports("list")) co_return Status::Ok();
  client::ListOptions opts;
  client::ObjectPath path{resource.ref, ns, "", ""};
  auto list = co_await client_->List(std::move(path), std::move(opts));
  if (!list.IsOk()) {
    if (NotSupported(list.status())) co_return Status::Ok();
    co_return list.status();
  }
  const auto* items = Items(*list);
  if (items == nullptr) co_return Status::Ok();
  for (const auto& item : *items) {
    std::string name = StringField(ObjectField(item, "metadata"), "name");
    if (name.empty()) continue;
    client::DeleteOptions del;
    del.propagation_policy = "Background";
    client::ObjectPath one{resource.ref, ns, std::move(name), ""};
    auto res = co_await client_->Delete(std::move(one), std::move(del));
    if (!res.IsOk() && !NotSupported(res.status())) co_return res.status();
  }
  co_return Status::Ok();
}

async::Task<Status> NamespacedResourcesDeleter::Finalize(api::Namespace ns) {
  // Retried on conflict with a fresh copy (upstream's retryOnConflictError).
  client::TypedClient<api::Namespace> namespaces(*client_);
  for (int attempt = 0;; ++attempt) {
    if (!HasKubernetesFinalizer(ns)) co_return Status::Ok();
    api::Namespace updated = ns;
    auto& fins = updated.spec.finalizers;
    fins.erase(std::remove(fins.begin(), fins.end(), kKubernetesFinalizer), fins.end());
    if (updated.apiVersion.empty()) updated.apiVersion = "v1";
    if (updated.kind.empty()) updated.kind = "Namespace";
    client::ObjectPath path{client::ResourceOf<api::Namespace>(), "", updated.metadata.name,
                            "finalize"};
    json::value body = api::ToJson(updated);
    client::WriteOptions opts;
    auto res = co_await client_->Update(std::move(path), std::move(body), std::move(opts));
    if (res.IsOk() || res.status().IsNotFound()) co_return Status::Ok();
    if (!res.status().IsConflict() || attempt >= 5) co_return res.status();
    std::string name = ns.metadata.name;
    auto fresh = co_await namespaces.Get(std::move(name));
    if (!fresh.IsOk()) {
      if (fresh.status().IsNotFound()) co_return Status::Ok();
      co_return fresh.status();
    }
    ns = std::move(*fresh);
  }
}

}  // namespace kubepp::controller
