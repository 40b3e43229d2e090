// libFuzzer target: every write path a request body takes before it reaches the store, for every
// kind the API server serves (apiserver/registry): decode with unknown-field detection, metadata
// rules, defaults and validation (KindOps::Prepare) on create, on update and on a status update
// against a valid stored object; the protobuf body decoder; JSON merge, strategic merge and JSON
// patches applied to the stored object; and the Table row and field selector values of each
// object that prepares. Every input must end in an OK or an error Status: a crash, an uncaught
// exception, a sanitizer report, a hang or a leak is a bug.
//
// Input: one mode byte, the kind as `<resource>[.<group>]` ("pods", "deployments.apps"), a
// newline, then the body:
//   c  create            body = the object (JSON)
//   u  update            body = the object (JSON); old = the kind's stored fixture
//   t  status update     as u, through the status subresource
//   p  protobuf create   body = a Kubernetes protobuf body ("k8s\0" + runtime.Unknown)
//   m  merge patch       body = an RFC 7386 patch of the fixture, then an update
//   s  strategic patch   body = a strategic merge patch of the fixture, then an update
//   j  JSON patch        body = an RFC 6902 patch of the fixture, then an update
// Any other mode byte picks one of these by value; a kind name that no resource has picks a
// kind by a hash of the name, so every input runs somewhere. No newline: the input is ignored.
//
// Built as the libFuzzer binary api_decode_fuzz (clang) and, with replay_main.cc, as the unit
// test api_decode_fuzz_replay (any compiler). See docs/DEVELOPMENT.md ("Fuzzing").
#include <boost/json.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/patch.h"
#include "api/protobuf.h"
#include "api/strategic_merge.h"
#include "apiserver/registry/resource.h"
#include "base/check.h"
#include "base/status.h"

namespace kubepp::fuzz {
namespace {

namespace json = boost::json;
using apiserver::Operation;
using apiserver::PrepareOptions;
using apiserver::ResourceInfo;

// The modes, in the order a non-mode byte selects them by value.
constexpr std::string_view kModes = "cutpmsj";

// Valid bodies for the kinds whose bare metadata does not validate: the stored fixture an
// update or a patch starts from. Kinds not listed start from {"metadata": {"name": "fuzz"}}.
// Keyed by `<resource>[.<group>]`.
struct FixtureBody {
  std::string_view resource;  // `<resource>[.<group>]`
  std::string_view body;      // a create body that prepares without errors
};
constexpr FixtureBody kFixtureBodies[] = {
    {"pods", R"({"metadata":{"name":"fuzz","labels":{"app":"fuzz"}},
      "spec":{"containers":[{"name":"c","image":"busybox","ports":[{"containerPort":80}],
      "resources":{"limits":{"cpu":"1","memory":"64Mi"}}}]}})"},
    {"services", R"({"metadata":{"name":"fuzz"},
      "spec":{"selector":{"app":"fuzz"},"ports":[{"port":80,"targetPort":8080}]}})"},
    {"replicationcontrollers", R"({"metadata":{"name":"fuzz"},"spec":{"replicas":1,
      "selector":{"app":"fuzz"},"template":{"metadata":{"labels":{"app":"fuzz"}},
      "spec":{"containers":[{"name":"c","image":"busybox"}]}}}})"},
    {"podtemplates",
     R"({"metadata":{"name":"fuzz"},"template":{"metadata":{"labels":{"app":"fuzz"}},
      "spec":{"containers":[{"name":"c","image":"busybox"}]}}})"},
    {"controllerrevisions.apps", R"({"metadata":{"name":"fuzz"},"revision":1,
      "data":{"spec":{"template":{}}}})"},
    {"deployments.apps", R"({"metadata":{"name":"fuzz"},"spec":{"replicas":1,
      "selector":{"matchLabels":{"app":"fuzz"}},"template":{"metadata":{"labels":{"app":"fuzz"}},
      "spec":{"containers":[{"name":"c","image":"busybox"}]}}}})"},
    {"replicasets.apps", R"({"metadata":{"name":"fuzz"},"spec":{"replicas":1,
      "selector":{"matchLabels":{"app":"fuzz"}},"template":{"metadata":{"labels":{"app":"fuzz"}},
      "spec":{"containers":[{"name":"c","image":"busybox"}]}}}})"},
    {"statefulsets.apps", R"({"metadata":{"name":"fuzz"},"spec":{"replicas":1,
      "serviceName":"fuzz","selector":{"matchLabels":{"app":"fuzz"}},
      "template":{"metadata":{"labels":{"app":"fuzz"}},
      "spec":{"containers":[{"name":"c","image":"busybox"}]}},
      "volumeClaimTemplates":[{"metadata":{"name":"data"},"spec":{"accessModes":["ReadWriteOnce"],
      "resources":{"requests":{"storage":"1Gi"}}}}]}})"},
    {"daemonsets.apps", R"({"metadata":{"name":"fuzz"},"spec":{
      "selector":{"matchLabels":{"app":"fuzz"}},"template":{"metadata":{"labels":{"app":"fuzz"}},
      "spec":{"containers":[{"name":"c","image":"busybox"}]}}}})"},
    {"jobs.batch", R"({"metadata":{"name":"fuzz"},"spec":{"template":{
      "spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"busybox"}]}}}})"},
    {"cronjobs.batch", R"({"metadata":{"name":"fuzz"},"spec":{"schedule":"*/5 * * * *",
      "jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"OnFailure",
      "containers":[{"name":"c","image":"busybox"}]}}}}}})"},
    {"horizontalpodautoscalers.autoscaling", R"({"metadata":{"name":"fuzz"},"spec":{
      "scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"fuzz"},
      "minReplicas":1,"maxReplicas":3,"targetCPUUtilizationPercentage":80}})"},
    {"persistentvolumes", R"({"metadata":{"name":"fuzz"},"spec":{"capacity":{"storage":"1Gi"},
      "accessModes":["ReadWriteOnce"],"hostPath":{"path":"/tmp/fuzz"}}})"},
    {"persistentvolumeclaims", R"({"metadata":{"name":"fuzz"},"spec":{
      "accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}})"},
    {"limitranges", R"({"metadata":{"name":"fuzz"},"spec":{"limits":[{"type":"Container",
      "default":{"cpu":"500m"},"defaultRequest":{"cpu":"100m"}}]}})"},
    {"resourcequotas", R"({"metadata":{"name":"fuzz"},"spec":{"hard":{"pods":"10"}}})"},
    {"endpoints", R"({"metadata":{"name":"fuzz"},"subsets":[{"addresses":[{"ip":"10.0.0.1"}],
      "ports":[{"port":80,"protocol":"TCP"}]}]})"},
    {"endpointslices.discovery.k8s.io", R"({"metadata":{"name":"fuzz"},"addressType":"IPv4",
      "endpoints":[{"addresses":["10.0.0.1"]}],"ports":[{"port":80,"protocol":"TCP"}]})"},
    {"leases.coordination.k8s.io", R"({"metadata":{"name":"fuzz"},"spec":{
      "holderIdentity":"a","leaseDurationSeconds":15}})"},
    {"priorityclasses.scheduling.k8s.io", R"({"metadata":{"name":"fuzz"},"value":1000})"},
    {"poddisruptionbudgets.policy", R"({"metadata":{"name":"fuzz"},"spec":{"minAvailable":1,
      "selector":{"matchLabels":{"app":"fuzz"}}}})"},
    {"networkpolicies.networking.k8s.io", R"({"metadata":{"name":"fuzz"},"spec":{
      "podSelector":{"matchLabels":{"app":"fuzz"}},"policyTypes":["Ingress"],
      "ingress":[{"ports":[{"port":80}]}]}})"},
    {"ingresses.networking.k8s.io", R"({"metadata":{"name":"fuzz"},"spec":{"rules":[{
      "host":"fuzz.example.com","http":{"paths":[{"path":"/","pathType":"Prefix",
      "backend":{"service":{"name":"fuzz","port":{"number":80}}}}]}}]}})"},
    {"ingressclasses.networking.k8s.io", R"({"metadata":{"name":"fuzz"},"spec":{
      "controller":"example.com/fuzz"}})"},
    {"events", R"({"metadata":{"name":"fuzz"},"involvedObject":{"kind":"Pod","name":"fuzz",
      "namespace":"default"},"reason":"Fuzz","message":"m","type":"Normal",
      "source":{"component":"fuzz"},"firstTimestamp":"2024-01-01T00:00:00Z",
      "lastTimestamp":"2024-01-01T00:00:00Z","count":1})"},
    {"events.events.k8s.io",
     R"({"metadata":{"name":"fuzz"},"eventTime":"2024-01-01T00:00:00.000000Z",
      "reportingController":"example.com/fuzz","reportingInstance":"fuzz-1","action":"Fuzz",
      "reason":"Fuzz","type":"Normal","regarding":{"kind":"Pod","name":"fuzz",
      "namespace":"default"}})"},
};

// `<resource>[.<group>]`, the name inputs use for a kind.
std::string KindKey(const ResourceInfo& info) {
  return info.group.empty() ? info.resource : info.resource + "." + info.group;
}

// A fixed time, so that runs are reproducible.
Clock::WallTime FixedNow() { return Clock::WallTime(std::chrono::seconds(1700000000)); }

PrepareOptions OptionsFor(const ResourceInfo& info, Operation op) {
  PrepareOptions options;
  options.op = op;
  options.namespace_ = info.namespaced ? "default" : "";
  options.name = op == Operation::kUpdate ? "fuzz" : "";
  options.now = FixedNow();
  return options;
}

// The registry and, for each of its kinds (same index), the stored object updates start from.
struct Fixture {
  std::unique_ptr<apiserver::Registry> registry;  // every served kind
  std::vector<json::value> stored;                // per kind: a prepared, valid object
  bool verbose = false;  // KUBEPP_FUZZ_VERBOSE is set: print each Prepare's outcome to stderr
};

json::value MustParse(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  KUBEPP_CHECK(!ec, "fixture body does not parse: {}", ec.message());
  return v;
}

Fixture BuildFixture() {
  Fixture fixture;
  fixture.registry = apiserver::Registry::Default();
  fixture.verbose = std::getenv("KUBEPP_FUZZ_VERBOSE") != nullptr;
  for (const auto& info : fixture.registry->All()) {
    std::string key = KindKey(*info);
    json::value body = MustParse(R"({"metadata":{"name":"fuzz"}})");
    for (const FixtureBody& fb : kFixtureBodies) {
      if (fb.resource == key) body = MustParse(fb.body);
    }
    auto prepared = info->ops->Prepare(body, nullptr, OptionsFor(*info, Operation::kCreate));
    // The fixture bodies are the harness's own data: one that no longer validates (the rules
    // got stricter) must be updated, not silently fuzzed from a worse starting point.
    KUBEPP_CHECK(prepared.IsOk(), "fixture for {} does not prepare: {}", key,
                 prepared.status().Message());
    json::value stored = std::move(prepared->object);
    stored.as_object()["metadata"].as_object()["resourceVersion"] = "1";
    fixture.stored.push_back(std::move(stored));
  }
  return fixture;
}

const Fixture& GetFixture() {
  static const Fixture kFixture = BuildFixture();
  return kFixture;
}

// With KUBEPP_FUZZ_VERBOSE: why an input stopped before Prepare.
void NoteFailure(const char* step, const Status& status) {
  if (GetFixture().verbose) std::fprintf(stderr, "%s: %s\n", step, status.Message().c_str());
}

// Runs the read paths of an object that prepared: Table row and field selector values.
void ReadBack(const ResourceInfo& info, const json::value& object) {
  auto row = info.ops->Row(object, FixedNow());
  KUBEPP_CHECK(row.size() == info.columns.size(), "{}: {} cells for {} columns", KindKey(info),
               row.size(), info.columns.size());
  auto fields = info.ops->Fields(object);
  KUBEPP_CHECK(fields.count("metadata.name") == 1, "{}: no metadata.name field", KindKey(info));
}

void Prepare(const ResourceInfo& info, const json::value& body, const json::value* old,
             Operation op, bool status_subresource) {
  PrepareOptions options = OptionsFor(info, op);
  if (status_subresource) {
    options.status_subresource = true;
    options.subresource = "status";
  }
  auto prepared = info.ops->Prepare(body, old, options);
  if (GetFixture().verbose) {
    std::fprintf(stderr, "%s %s: %s\n", old == nullptr ? "create" : "update", KindKey(info).c_str(),
                 prepared.IsOk() ? "OK" : prepared.status().Message().c_str());
  }
  if (prepared.IsOk()) ReadBack(info, prepared->object);
}

// As the API server parses a create or update body (api_handler.cc ParseBody).
bool ParseBody(std::string_view text, json::value& out) {
  boost::system::error_code ec;
  json::parse_options opts;
  opts.max_depth = 256;
  out = json::parse(text, ec, {}, opts);
  return !ec;
}

// As the API server parses a patch (api_handler.cc Patch).
bool ParsePatch(std::string_view text, json::value& out) {
  boost::system::error_code ec;
  out = json::parse(text, ec);
  return !ec;
}

// The kind the protobuf body decoded to, else `fallback`.
const ResourceInfo& KindOf(const apiserver::Registry& registry, const json::value& object,
                           const ResourceInfo& fallback) {
  const json::object* obj = object.if_object();
  if (obj == nullptr) return fallback;
  const json::value* api_version = obj->if_contains("apiVersion");
  const json::value* kind = obj->if_contains("kind");
  if (api_version == nullptr || kind == nullptr || !api_version->is_string() ||
      !kind->is_string()) {
    return fallback;
  }
  for (const auto& info : registry.All()) {
    if (info->GroupVersion() == api_version->as_string() && info->kind == kind->as_string()) {
      return *info;
    }
  }
  return fallback;
}

void Run(std::string_view input) {
  const Fixture& fixture = GetFixture();
  const auto& kinds = fixture.registry->All();
  if (input.empty() || kinds.empty()) return;
  size_t newline = input.find('\n');
  if (newline == std::string_view::npos) return;
  char mode = input[0];
  if (kModes.find(mode) == std::string_view::npos) {
    mode = kModes[static_cast<unsigned char>(mode) % kModes.size()];
  }
  std::string_view name = input.substr(1, newline - 1);
  std::string_view body = input.substr(newline + 1);

  size_t index = kinds.size();
  for (size_t i = 0; i < kinds.size(); ++i) {
    if (KindKey(*kinds[i]) == name) index = i;
  }
  if (index == kinds.size()) {
    size_t hash = 0;
    for (char c : name) hash = hash * 31 + static_cast<unsigned char>(c);
    index = hash % kinds.size();
  }
  const ResourceInfo& info = *kinds[index];
  const json::value& stored = fixture.stored[index];

  json::value value;
  switch (mode) {
    case 'c':
      if (ParseBody(body, value)) Prepare(info, value, nullptr, Operation::kCreate, false);
      return;
    case 'u':
      if (ParseBody(body, value)) Prepare(info, value, &stored, Operation::kUpdate, false);
      return;
    case 't':
      if (ParseBody(body, value)) {
        Prepare(info, value, &stored, Operation::kUpdate, info.has_status);
      }
      return;
    case 'p': {
      auto decoded = api::ProtobufBodyToJson(body);
      if (!decoded.IsOk()) {
        NoteFailure("protobuf", decoded.status());
        return;
      }
      Prepare(KindOf(*fixture.registry, *decoded, info), *decoded, nullptr, Operation::kCreate,
              false);
      return;
    }
    case 'm':
      // The API server rejects a merge or strategic patch that is not an object up front.
      if (ParsePatch(body, value) && value.is_object()) {
        Prepare(info, api::ApplyMergePatch(stored, value), &stored, Operation::kUpdate, false);
      }
      return;
    case 's':
      if (ParsePatch(body, value) && value.is_object()) {
        auto patched = api::ApplyStrategicMergePatch(stored, value, info.kind);
        if (!patched.IsOk()) return NoteFailure("strategic merge patch", patched.status());
        Prepare(info, *patched, &stored, Operation::kUpdate, false);
      }
      return;
    case 'j':
      if (ParsePatch(body, value)) {
        auto patched = api::ApplyJsonPatch(stored, value);
        if (!patched.IsOk()) return NoteFailure("json patch", patched.status());
        Prepare(info, *patched, &stored, Operation::kUpdate, false);
      }
      return;
    default:
      KUBEPP_CHECK(false, "mode {} is not handled", mode);
  }
}

}  // namespace
}  // namespace kubepp::fuzz

// NOLINTNEXTLINE(readability-identifier-naming): the name libFuzzer calls.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): libFuzzer hands out bytes.
  kubepp::fuzz::Run(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
