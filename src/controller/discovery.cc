#include "controller/discovery.h"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <utility>

namespace kubepp::controller {

namespace json = boost::json;

bool ApiResource::Supports(std::string_view verb) const {
  return std::find(verbs.begin(), verbs.end(), verb) != verbs.end();
}

std::string ApiResource::GroupResource() const {
  if (ref.group.empty()) return ref.resource;
  return ref.resource + "." + ref.group;
}

namespace {

std::string StringField(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return "";
  return std::string(v->get_string());
}

// GET `target` as JSON.
async::Task<Result<json::value>> GetJson(client::RestClient* client, std::string target) {
  client::HttpRequest req;
  req.target = std::move(target);
  auto res = co_await client->Do(std::move(req));
  if (!res.IsOk()) co_return res.status();
  if (res->status < 200 || res->status > 299) co_return client::StatusFromResponse(*res);
  boost::system::error_code ec;
  json::value v = json::parse(res->body, ec);
  if (ec) co_return Status::Internal("discovery answer is not JSON: " + ec.message());
  co_return v;
}

}  // namespace

Result<std::vector<ApiResource>> ParseApiResourceList(const json::value& list,
                                                      const std::string& group,
                                                      const std::string& version) {
  const auto* o = list.if_object();
  if (o == nullptr) return Status::Internal("APIResourceList is not an object");
  std::vector<ApiResource> out;
  const auto* resources = o->if_contains("resources");
  if (resources == nullptr || !resources->is_array()) return out;
  for (const auto& r : resources->get_array()) {
    const auto* ro = r.if_object();
    if (ro == nullptr) continue;
    ApiResource res;
    res.ref.resource = StringField(*ro, "name");
    if (res.ref.resource.empty() || res.ref.resource.find('/') != std::string::npos) continue;
    res.ref.group = group;
    res.ref.version = version;
    res.ref.kind = StringField(*ro, "kind");
    const auto* ns = ro->if_contains("namespaced");
    res.ref.namespaced = ns != nullptr && ns->is_bool() && ns->get_bool();
    if (const auto* verbs = ro->if_contains("verbs"); verbs != nullptr && verbs->is_array()) {
      for (const auto& v : verbs->get_array()) {
        if (v.is_string()) res.verbs.emplace_back(v.get_string());
      }
    }
    out.push_back(std::move(res));
  }
  return out;
}

async::Task<Result<DiscoveryResult>> DiscoverPreferredResources(client::RestClient* client) {
  // (group, version) pairs to read: the core group's first version, then each group's preferred.
  std::vector<std::pair<std::string, std::string>> gvs;
  std::string api_path = "/api";
  auto api = co_await GetJson(client, std::move(api_path));
  if (!api.IsOk()) co_return api.status();
  if (const auto* o = api->if_object()) {
    const auto* versions = o->if_contains("versions");
    if (versions != nullptr && versions->is_array() && !versions->get_array().empty() &&
        versions->get_array()[0].is_string()) {
      gvs.emplace_back("", std::string(versions->get_array()[0].get_string()));
    }
  }
  std::string apis_path = "/apis";
  auto apis = co_await GetJson(client, std::move(apis_path));
  if (!apis.IsOk()) co_return apis.status();
  if (const auto* o = apis->if_object()) {
    const auto* groups = o->if_contains("groups");
    if (groups != nullptr && groups->is_array()) {
      for (const auto& g : groups->get_array()) {
        const auto* go = g.if_object();
        if (go == nullptr) continue;
        std::string name = StringField(*go, "name");
        const auto* pref = go->if_contains("preferredVersion");
        std::string version;
        if (pref != nullptr && pref->is_object())
          version = StringField(pref->get_object(), "version");
        if (version.empty()) {
          const auto* versions = go->if_contains("versions");
          if (versions != nullptr && versions->is_array() && !versions->get_array().empty() &&
              versions->get_array()[0].is_object()) {
            version = StringField(versions->get_array()[0].get_object(), "version");
          }
        }
        if (!name.empty() && !version.empty()) gvs.emplace_back(name, version);
      }
    }
  }
  DiscoveryResult out;
  for (const auto& [group, version] : gvs) {
    // (no ?: on strings in a coroutine body: GCC 12 destroys such temporaries twice)
    std::string target = "/api/" + version;
    std::string gv = version;
    if (!group.empty()) {
      target = "/apis/" + group + "/" + version;
      gv = group + "/" + version;
    }
    auto list = co_await GetJson(client, std::move(target));
    if (!list.IsOk()) {
      out.failed_groups[gv] = list.status().Message();
      continue;
    }
    auto parsed = ParseApiResourceList(*list, group, version);
    if (!parsed.IsOk()) {
      out.failed_groups[gv] = parsed.status().Message();
      continue;
    }
    for (auto& r : *parsed) out.resources.push_back(std::move(r));
  }
  co_return out;
}

}  // namespace kubepp::controller
