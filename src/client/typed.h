// TypedClient<T>: the REST verbs on one generated API type (api::Pod, api::Lease, ...), like
// client-go's typed clientsets (`client.CoreV1().Pods(ns)`).
//
//   TypedClient<api::ConfigMap> cms(*rest, "default");
//   auto cm = co_await cms.Get(name);
//
// Objects are encoded and decoded with api/codec.h; apiVersion and kind are filled in on writes.
// Errors are RestClient's. Holds a reference to the RestClient, which must outlive it; cheap to
// copy. The same GCC 12 rule applies: pass named variables to calls inside `co_await`.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "api/codec.h"
#include "client/rest_client.h"
#include "client/watch.h"

namespace kubepp::client {

// One page of a typed list.
template <typename T>
struct TypedList {
  std::vector<T> items;
  std::string resource_version;  // metadata.resourceVersion of the list
  std::string continue_token;    // metadata.continue: more pages follow when set
};

// Decodes a JSON object into T. Internal (500) when the server sent something T cannot hold.
template <typename T>
Result<T> DecodeObject(const boost::json::value& v) {
  T out;
  Status s = api::FromJson(v, out);
  if (!s.IsOk()) return Status::Internal("decoding " + std::string(T::kKind) + ": " + s.Message());
  return out;
}

// Decodes a list answer ({"metadata": {...}, "items": [...]}).
template <typename T>
Result<TypedList<T>> DecodeList(const boost::json::value& v) {
  TypedList<T> out;
  const auto* o = v.if_object();
  if (o == nullptr) return Status::Internal("list answer is not an object");
  if (const auto* meta = o->if_contains("metadata"); meta && meta->is_object()) {
    if (const auto* rv = meta->get_object().if_contains("resourceVersion"); rv && rv->is_string()) {
      out.resource_version = std::string(rv->get_string());
    }
    if (const auto* c = meta->get_object().if_contains("continue"); c && c->is_string()) {
      out.continue_token = std::string(c->get_string());
    }
  }
  if (const auto* items = o->if_contains("items"); items && items->is_array()) {
    out.items.reserve(items->get_array().size());
    for (const auto& item : items->get_array()) {
      KUBEPP_ASSIGN_OR_RETURN(T obj, DecodeObject<T>(item));
      out.items.push_back(std::move(obj));
    }
  }
  return out;
}

template <typename T>
class TypedClient {
 public:
  // `ns` is ignored for cluster-scoped kinds.
  explicit TypedClient(RestClient& client, std::string ns = "")
      : client_(&client), ns_(std::move(ns)) {}

  async::Task<Result<T>> Get(std::string name) {
    ObjectPath p = Path(std::move(name));
    auto v = co_await client_->Get(std::move(p));
    if (!v.IsOk()) co_return v.status();
    co_return DecodeObject<T>(*v);
  }

  async::Task<Result<TypedList<T>>> List(ListOptions opts) {
    ObjectPath p = Path("");
    auto v = co_await client_->List(std::move(p), std::move(opts));
    if (!v.IsOk()) co_return v.status();
    co_return DecodeList<T>(*v);
  }

  async::Task<Result<T>> Create(T obj, WriteOptions opts) {
    ObjectPath p = Path("");
    FillTypeMeta(obj);
    boost::json::value body = api::ToJson(obj);
    auto v = co_await client_->Create(std::move(p), std::move(body), std::move(opts));
    if (!v.IsOk()) co_return v.status();
    co_return DecodeObject<T>(*v);
  }
  async::Task<Result<T>> Create(T obj) {
    WriteOptions opts;  // named: a prvalue argument to a coroutine is destroyed twice by GCC 12
    return Create(std::move(obj), std::move(opts));
  }

  async::Task<Result<T>> Update(T obj, WriteOptions opts) {
    std::string sub;
    return Put(std::move(obj), std::move(opts), std::move(sub));
  }
  async::Task<Result<T>> Update(T obj) {
    WriteOptions opts;
    std::string sub;
    return Put(std::move(obj), std::move(opts), std::move(sub));
  }
  async::Task<Result<T>> UpdateStatus(T obj, WriteOptions opts) {
    std::string sub = "status";
    return Put(std::move(obj), std::move(opts), std::move(sub));
  }
  async::Task<Result<T>> UpdateStatus(T obj) {
    WriteOptions opts;
    std::string sub = "status";
    return Put(std::move(obj), std::move(opts), std::move(sub));
  }

  async::Task<Result<T>> Patch(std::string name, PatchType type, std::string patch,
                               PatchOptions opts, std::string subresource) {
    ObjectPath p = Path(std::move(name));
    p.subresource = std::move(subresource);
    auto v = co_await client_->Patch(std::move(p), type, std::move(patch), std::move(opts));
    if (!v.IsOk()) co_return v.status();
    co_return DecodeObject<T>(*v);
  }
  async::Task<Result<T>> Patch(std::string name, PatchType type, std::string patch) {
    PatchOptions opts;
    std::string sub;
    return Patch(std::move(name), type, std::move(patch), std::move(opts), std::move(sub));
  }

  async::Task<Status> Delete(std::string name, DeleteOptions opts) {
    ObjectPath p = Path(std::move(name));
    auto v = co_await client_->Delete(std::move(p), std::move(opts));
    co_return v.status();
  }
  async::Task<Status> Delete(std::string name) {
    DeleteOptions opts;
    return Delete(std::move(name), std::move(opts));
  }

  async::Task<Result<std::unique_ptr<WatchStream>>> Watch(ListOptions opts) {
    ObjectPath p = Path("");
    co_return co_await client_->Watch(std::move(p), std::move(opts));
  }

  const std::string& Namespace() const { return ns_; }

 private:
  ObjectPath Path(std::string name) const {
    return ObjectPath{ResourceOf<T>(), ns_, std::move(name), ""};
  }
  static void FillTypeMeta(T& obj) {
    if (obj.apiVersion.empty()) obj.apiVersion = ResourceOf<T>().GroupVersion();
    if (obj.kind.empty()) obj.kind = T::kKind;
  }
  async::Task<Result<T>> Put(T obj, WriteOptions opts, std::string subresource) {
    ObjectPath p = Path(obj.metadata.name);
    p.subresource = std::move(subresource);
    FillTypeMeta(obj);
    boost::json::value body = api::ToJson(obj);
    auto v = co_await client_->Update(std::move(p), std::move(body), std::move(opts));
    if (!v.IsOk()) co_return v.status();
    co_return DecodeObject<T>(*v);
  }

  RestClient* client_;  // not owned
  std::string ns_;      // namespace of every call ("" for all namespaces / cluster-scoped)
};

}  // namespace kubepp::client
