#include "kubelet/kubelet/kubelet.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <utility>

#include "base/log.h"
#include "cluster/image/oci_image.h"

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
  if (k->containerd_->Owned() && !options.pause_binary.empty()) {
    if (Status s = ImportBuiltinImages(*cri, k->containerd_->Socket(), options.pause_binary,
                                       options.ctr_binary, options.root_dir + "/images");
        !s.IsOk()) {
      KLOG_WARNING("kubelet: importing the built-in images: {}", s.ToString());
    }
  }
  const MachineInfo& m = *machine;
  PodWorkersOptions pw;
  pw.node_name = options.node.node_name;
  pw.config = options.pods;
  pw.config.pod_logs_root = options.root_dir + "/pods";
  if (!options.node.node_ip.empty()) pw.config.host_ips = {options.node.node_ip};
  pw.config.node_hostname = options.node.hostname;
  pw.config.node_memory_capacity = m.memory_capacity_bytes;
  pw.config.node_allocatable_milli_cpu = m.num_cores * 1000;
  pw.config.node_allocatable_memory = m.memory_capacity_bytes - 100LL * 1024 * 1024;
  pw.config.node_allocatable_ephemeral_storage = m.fs_capacity_bytes * 9 / 10;
  k->pod_workers_ = std::make_unique<PodWorkers>(runtime, client, *cri, std::move(pw));
  k->node_status_ =
      std::make_unique<NodeStatusManager>(runtime, client, options.node, std::move(*machine),
                                          [cri] { return QueryRuntimeState(*cri); });
  k->node_status_->Start();
  k->pod_workers_->Start();
  KLOG_INFO("kubelet: node {} on runtime {}", options.node.node_name, k->containerd_->Endpoint());
  return k;
}

Kubelet::~Kubelet() { Stop(); }

void Kubelet::Stop() {
  if (pod_workers_ != nullptr) pod_workers_->Stop();
  if (node_status_ != nullptr) node_status_->Stop();
  if (containerd_ != nullptr) {
    if (Status s = containerd_->Stop(); !s.IsOk()) {
      KLOG_WARNING("kubelet: stopping containerd: {}", s.ToString());
    }
  }
}

}  // namespace kubepp::kubelet

namespace kubepp::kubelet {

Status ImportBuiltinImages(cri::CriClient& cri, const std::string& socket,
                           const std::string& pause_binary, const std::string& ctr_binary,
                           const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::Internal("creating " + dir + ": " + ec.message());
  auto busybox = cluster::image::BusyboxImage();
  if (!busybox.IsOk()) return busybox.status();
  const std::vector<std::pair<cluster::image::ImageSpec, std::string>> images = {
      {cluster::image::PauseImage(pause_binary), "pause.tar"}, {*busybox, "busybox.tar"}};
  for (const auto& [spec, file] : images) {
    cri::v1::ImageStatusRequest req;
    req.mutable_image()->set_image(spec.name);
    auto have = cri.ImageStatus(req);
    if (have.IsOk() && have->has_image()) continue;
    const std::string path = (std::filesystem::path(dir) / file).string();
    auto written = cluster::image::WriteImageArchive(spec, path);
    if (!written.IsOk()) return written.status();
    // ctr speaks containerd's own API (CRI has no import); fork/exec, no shell.
    pid_t pid = ::fork();
    if (pid < 0) return Status::Internal("fork failed");
    if (pid == 0) {
      int null = ::open("/dev/null", O_WRONLY);
      if (null >= 0) {
        ::dup2(null, 1);
        ::dup2(null, 2);
      }
      ::execl(ctr_binary.c_str(), ctr_binary.c_str(), "--address", socket.c_str(), "-n", "k8s.io",
              "images", "import", path.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    int ws = 0;
    ::waitpid(pid, &ws, 0);
    if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
      std::string msg = "ctr images import ";
      msg += path;
      msg += " failed";
      return Status::Internal(msg);
    }
    KLOG_INFO("kubelet: imported {} ({})", spec.name, written->manifest);
  }
  return Status::Ok();
}

}  // namespace kubepp::kubelet
