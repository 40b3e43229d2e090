#include "kubelet/kubelet/kubelet.h"

#include <filesystem>
#include <utility>

#include "base/log.h"

namespace kubepp::kubelet {

RuntimeState QueryRuntimeState(cri::CriClient& cri) {
  RuntimeState state;
  auto version = cri.Version(std::chrono::seconds(2));
  if (!version.IsOk()) {
    state.message = "container runtime is down";
    return state;
  }
  state.version = version->runtime_name() + "://" + version->runtime_version();
  auto status = cri.Status({}, std::chrono::seconds(2));
  if (!status.IsOk()) {
    state.message = "container runtime is down";
    return state;
  }
  bool runtime_ready = false;
  bool network_ready = false;
  std::string runtime_detail;
  std::string network_detail;
  for (const auto& c : status->status().conditions()) {
    const std::string detail = c.type() + "=" + (c.status() ? "true" : "false") +
                               " reason:" + c.reason() + " message:" + c.message();
    if (c.type() == "RuntimeReady") {
      runtime_ready = c.status();
      runtime_detail = detail;
    } else if (c.type() == "NetworkReady") {
      network_ready = c.status();
      network_detail = detail;
    }
  }
  if (!runtime_ready) {
    state.message = "container runtime not ready: " +
                    (runtime_detail.empty() ? std::string("RuntimeReady=false") : runtime_detail);
  } else if (!network_ready) {
    state.message = "container runtime network not ready: " +
                    (network_detail.empty() ? std::string("NetworkReady=false") : network_detail);
  }
  state.ready = runtime_ready && network_ready;
  return state;
}

Result<std::unique_ptr<Kubelet>> Kubelet::Start(async::Runtime& runtime, client::RestClient& client,
                                                KubeletOptions options) {
  std::error_code ec;
  std::filesystem::create_directories(options.root_dir, ec);
  if (ec) return Status::Internal("creating " + options.root_dir + ": " + ec.message());
  auto machine = ReadMachineInfo(options.root_dir);
  if (!machine.IsOk()) return machine.status();

  std::unique_ptr<Kubelet> k(new Kubelet());
  if (options.runtime_endpoint.empty()) {
    ContainerdOptions c = options.containerd;
    c.data_dir = options.root_dir + "/containerd";
    if (!options.node.pod_cidr.empty()) c.pod_cidr = options.node.pod_cidr;
    auto started = Containerd::Start(std::move(c));
    if (!started.IsOk()) return started.status();
    k->containerd_ = std::move(*started);
  } else {
    auto connected = Containerd::Connect(options.runtime_endpoint);
    if (!connected.IsOk()) return connected.status();
    k->containerd_ = std::move(*connected);
  }
  k->cri_ = std::make_unique<cri::CriClient>(
      cri::CriClientOptions{.endpoint = k->containerd_->Endpoint()});
  cri::CriClient* cri = k->cri_.get();
  k->node_status_ =
      std::make_unique<NodeStatusManager>(runtime, client, options.node, std::move(*machine),
                                          [cri] { return QueryRuntimeState(*cri); });
  k->node_status_->Start();
  KLOG_INFO("kubelet: node {} on runtime {}", options.node.node_name, k->containerd_->Endpoint());
  return k;
}

Kubelet::~Kubelet() { Stop(); }

void Kubelet::Stop() {
  if (node_status_ != nullptr) node_status_->Stop();
  if (containerd_ != nullptr) {
    if (Status s = containerd_->Stop(); !s.IsOk()) {
      KLOG_WARNING("kubelet: stopping containerd: {}", s.ToString());
    }
  }
}

}  // namespace kubepp::kubelet
