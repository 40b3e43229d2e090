#include "scheduler/scheduler/default_binder.h"

#include <boost/json.hpp>

#include "client/typed.h"

namespace kubepp::scheduler {

async::Task<kubepp::Status> DefaultBinder::BindAsync(std::shared_ptr<const api::Pod> pod,
                                                     std::string node) {
  boost::json::object meta;
  meta["name"] = pod->metadata.name;
  meta["namespace"] = pod->metadata.namespace_;
  if (!pod->metadata.uid.empty()) meta["uid"] = pod->metadata.uid;
  boost::json::object target;
  target["kind"] = "Node";
  target["name"] = node;
  boost::json::object body;
  body["apiVersion"] = "v1";
  body["kind"] = "Binding";
  body["metadata"] = std::move(meta);
  body["target"] = std::move(target);
  client::ObjectPath path{client::ResourceOf<api::Pod>(), pod->metadata.namespace_,
                          pod->metadata.name, "binding"};
  boost::json::value v(std::move(body));
  client::WriteOptions opts;
  auto res = co_await client_.Create(std::move(path), std::move(v), std::move(opts));
  if (!res.IsOk()) co_return res.status();
  co_return kubepp::Status::Ok();
}

Status DefaultBinder::Bind(CycleState& /*state*/, const PodInfo& pod, const std::string& node) {
  kubepp::Status s = async::BlockOn(ex_, BindAsync(pod.pod, node));
  if (s.IsOk()) return Status();
  return Status::Error(s.ToString());
}

}  // namespace kubepp::scheduler
