#include "apiserver/server.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <boost/json.hpp>

#include "apiserver/registry/meta.h"
#include "base/log.h"

namespace kubepp::apiserver {
namespace {

// Field-selector values of an object from its store key: the kind's own (KindOps::Fields).
FieldsFunc FieldsOf(const Registry& registry) {
  auto by_prefix = std::make_shared<std::map<std::string, const ResourceInfo*, std::less<>>>();
  for (const auto& r : registry.All()) by_prefix->emplace(r->KeyPrefix(), r.get());
  return [by_prefix](std::string_view key,
                     const boost::json::value& obj) -> std::map<std::string, std::string> {
    // "/registry/<group>/<resource>/..." : the prefix ends at the third '/' after "/registry".
    size_t group_end = key.find('/', std::string_view("/registry/").size());
    if (group_end == std::string_view::npos) return {};
    size_t resource_end = key.find('/', group_end + 1);
    if (resource_end == std::string_view::npos) return {};
    auto it = by_prefix->find(key.substr(0, resource_end + 1));
    if (it == by_prefix->end()) return {};
    return it->second->ops->Fields(obj);
  };
}

}  // namespace

ApiServer::ApiServer(async::Runtime& runtime, storage::Backend& store, ApiServerOptions options,
                     const Clock& clock)
    : runtime_(runtime),
      store_(metrics_, store),
      options_(std::move(options)),
      clock_(clock),
      registry_(Registry::Default()),
      pool_(options_.blocking_threads),
      hub_(store_, FieldsOf(*registry_)) {}

ApiServer::~ApiServer() { Stop(); }

namespace {

namespace json = boost::json;

// The first up, non-loopback IPv4 address of the host, or "".
std::string HostAddress() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return "";
  std::string out;
  for (ifaddrs* a = list; a != nullptr && out.empty(); a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
    if ((a->ifa_flags & IFF_UP) == 0 || (a->ifa_flags & IFF_LOOPBACK) != 0) continue;
    char buf[INET_ADDRSTRLEN] = {};
    const auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);  // NOLINT: sockaddr API
    if (inet_ntop(AF_INET, &in->sin_addr, buf, sizeof(buf)) != nullptr) out = buf;
  }
  freeifaddrs(list);
  return out;
}

bool IsLoopbackOrAny(const std::string& ip) {
  return ip.empty() || ip == "0.0.0.0" || ip == "::" || ip.rfind("127.", 0) == 0 || ip == "::1" ||
         ip == "localhost";
}

std::string MetaString(const json::value& obj, std::string_view field) {
  const json::value* meta = obj.as_object().if_contains("metadata");
  if (meta == nullptr || !meta->is_object()) return "";
  const json::value* v = meta->as_object().if_contains(field);
  if (v == nullptr || !v->is_string()) return "";
  return std::string(v->as_string());
}

// Every top-level field but metadata (and status, owned by controllers).
json::object Content(const json::value& v) {
  json::object out = v.as_object();
  out.erase("metadata");
  out.erase("status");
  return out;
}

}  // namespace

Status ApiServer::Ensure(const ResourceInfo& info, const json::value& body, bool reconcile) {
  const std::string ns = MetaString(body, "namespace");
  const std::string name = MetaString(body, "name");
  const std::string key = info.Key(ns, name);
  auto current = store_.Get(key);
  if (current.IsOk() && !reconcile) return Status::Ok();
  PrepareOptions popts;
  popts.namespace_ = ns;
  popts.name = name;
  popts.now = clock_.WallNow();
  if (current.IsOk()) {
    boost::system::error_code ec;
    json::value old = json::parse(current->value, ec);
    if (ec || !old.is_object()) return Status::Internal("stored " + key + " does not parse");
    popts.op = Operation::kUpdate;
    KUBEPP_ASSIGN_OR_RETURN(auto prepared, info.ops->Prepare(body, &old, popts));
    if (Content(prepared.object) == Content(old)) return Status::Ok();
    auto updated = store_.Update(key, json::serialize(prepared.object), current->mod_revision);
    if (!updated.IsOk() && !updated.status().IsConflict()) return updated.status();
    return Status::Ok();
  }
  if (!current.status().IsNotFound()) return current.status();
  popts.op = Operation::kCreate;
  KUBEPP_ASSIGN_OR_RETURN(auto prepared, info.ops->Prepare(body, nullptr, popts));
  StorageHooks::Finish finish;
  if (info.resource == "services" && info.group.empty()) {
    KUBEPP_ASSIGN_OR_RETURN(finish, service_alloc_->BeginCreate(prepared.object, false));
  }
  auto created = store_.Create(key, json::serialize(prepared.object));
  if (finish) finish(created.IsOk());
  if (!created.IsOk() && !created.status().IsAlreadyExists()) return created.status();
  return Status::Ok();
}

Status ApiServer::Bootstrap() {
  const ResourceInfo* ns = registry_->Find("", "v1", "namespaces");
  for (const char* name : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    KUBEPP_RETURN_IF_ERROR(Ensure(
        *ns,
        json::object{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}},
        false));
  }
  // The system priority classes (upstream's scheduling/v1 bootstrap).
  const ResourceInfo* pc = registry_->Find("scheduling.k8s.io", "v1", "priorityclasses");
  struct SystemClass {
    const char* name;
    int64_t value;
    const char* description;
  };
  for (const SystemClass& c :
       {SystemClass{"system-node-critical", 2000001000,
                    "Used for system critical pods that must not be moved from their current "
                    "node."},
        SystemClass{"system-cluster-critical", 2000000000,
                    "Used for system critical pods that must run in the cluster, but can be "
                    "moved to another node if necessary."}}) {
    KUBEPP_RETURN_IF_ERROR(Ensure(*pc,
                                  json::object{{"apiVersion", "scheduling.k8s.io/v1"},
                                               {"kind", "PriorityClass"},
                                               {"metadata", {{"name", c.name}}},
                                               {"value", c.value},
                                               {"description", c.description}},
                                  false));
  }
  return Status::Ok();
}

// The `kubernetes` Service in default (first address of the service range, port 443 to this
// server) with its Endpoints and EndpointSlice, as upstream's control-plane reconciler keeps
// them.
Status ApiServer::BootstrapKubernetesService() {
  const int port = http_ ? http_->Port() : options_.http.port;
  const ResourceInfo* svc = registry_->Find("", "v1", "services");
  json::object labels{{"component", "apiserver"}, {"provider", "kubernetes"}};
  json::object port_spec{
      {"name", "https"}, {"port", 443}, {"protocol", "TCP"}, {"targetPort", port}};
  KUBEPP_RETURN_IF_ERROR(Ensure(
      *svc,
      json::object{
          {"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata", {{"name", "kubernetes"}, {"namespace", "default"}, {"labels", labels}}},
          {"spec",
           {{"type", "ClusterIP"},
            {"clusterIP", service_alloc_->FirstIP()},
            {"sessionAffinity", "None"},
            {"ports", json::array{port_spec}}}}},
      true));
  std::string address = options_.advertise_address;
  if (address.empty()) {
    address =
        IsLoopbackOrAny(options_.http.bind_address) ? HostAddress() : options_.http.bind_address;
  }
  if (address.empty() || IsLoopbackOrAny(address)) {
    KLOG_INFO("no non-loopback address to advertise: the kubernetes Service has no endpoints");
    return Status::Ok();
  }
  const ResourceInfo* ep = registry_->Find("", "v1", "endpoints");
  json::object ep_port{{"name", "https"}, {"port", port}, {"protocol", "TCP"}};
  KUBEPP_RETURN_IF_ERROR(
      Ensure(*ep,
             json::object{{"apiVersion", "v1"},
                          {"kind", "Endpoints"},
                          {"metadata",
                           {{"name", "kubernetes"},
                            {"namespace", "default"},
                            {"labels", {{"endpointslice.kubernetes.io/skip-mirror", "true"}}}}},
                          {"subsets", json::array{json::object{
                                          {"addresses", json::array{json::object{{"ip", address}}}},
                                          {"ports", json::array{ep_port}}}}}},
             true));
  const ResourceInfo* slice = registry_->Find("discovery.k8s.io", "v1", "endpointslices");
  return Ensure(
      *slice,
      json::object{{"apiVersion", "discovery.k8s.io/v1"},
                   {"kind", "EndpointSlice"},
                   {"metadata",
                    {{"name", "kubernetes"},
                     {"namespace", "default"},
                     {"labels", {{"kubernetes.io/service-name", "kubernetes"}}}}},
                   {"addressType", "IPv4"},
                   {"endpoints", json::array{json::object{{"addresses", json::array{address}},
                                                          {"conditions", {{"ready", true}}}}}},
                   {"ports", json::array{ep_port}}},
      true);
}

Status ApiServer::Start() {
  const ResourceInfo* services = registry_->Find("", "v1", "services");
  ServiceAllocatorOptions aopts;
  aopts.cluster_ip_range = options_.service_cluster_ip_range;
  aopts.node_port_range = options_.service_node_port_range;
  aopts.services_prefix = services->KeyPrefix();
  KUBEPP_ASSIGN_OR_RETURN(service_alloc_, ServiceAllocator::Make(store_, aopts));
  KUBEPP_RETURN_IF_ERROR(service_alloc_->Start());
  KUBEPP_RETURN_IF_ERROR(Bootstrap());
  KUBEPP_RETURN_IF_ERROR(hub_.Start());
  metrics_.AddGauge("kubepp_watch_cache_objects", "Objects held in the watch cache.",
                    [this] { return static_cast<double>(hub_.Stats().objects); });
  metrics_.AddGauge("kubepp_watch_cache_json_bytes",
                    "Bytes of JSON of the objects held in the watch cache.",
                    [this] { return static_cast<double>(hub_.Stats().json_bytes); });
  metrics_.AddGauge("kubepp_watch_cache_heap_bytes",
                    "Estimated heap bytes the watch cache's objects use (JSON, keys, labels, "
                    "index).",
                    [this] { return static_cast<double>(hub_.Stats().heap_bytes); });
  ApiHandlerOptions hopts;
  handler_ = std::make_unique<ApiHandler>(*registry_, store_, hub_, pool_, clock_, hopts);
  handler_->SetStorageHooks(services, service_alloc_.get());
  // The Priority admission plugin (pods have no other storage hooks to chain with).
  const ResourceInfo* pods = registry_->Find("", "v1", "pods");
  const ResourceInfo* pcs = registry_->Find("scheduling.k8s.io", "v1", "priorityclasses");
  pod_priority_ = std::make_unique<PodPriorityAdmission>(store_, *pcs);
  priority_classes_ = std::make_unique<PriorityClassAdmission>(store_, *pcs);
  handler_->SetStorageHooks(pods, pod_priority_.get());
  handler_->SetStorageHooks(pcs, priority_classes_.get());
  Handler api = [h = handler_.get()](Request req) { return h->Handle(std::move(req)); };
  http_ = std::make_unique<HttpServer>(runtime_, options_.http,
                                       InstrumentHandler(metrics_, std::move(api)));
  KUBEPP_RETURN_IF_ERROR(http_->Start());
  // After the listener: the kubernetes Service points at the port actually bound.
  KUBEPP_RETURN_IF_ERROR(BootstrapKubernetesService());
  KLOG_INFO("API server listening on {}:{}", options_.http.bind_address, http_->Port());
  return Status::Ok();
}

void ApiServer::Stop() {
  // Watches first: they end when the hub stops, so the HTTP server's drain does not wait on
  // them.
  hub_.Stop();
  if (http_) http_->Stop();
  pool_.Stop();
}

}  // namespace kubepp::apiserver
