#include "kubelet/kuberuntime/runtime_manager.h"

#include <algorithm>
#include <filesystem>
#include <utility>

#include "base/log.h"

namespace kubepp::kubelet {
namespace {

// Upstream's default pull policy: Always for ":latest" or no tag, else IfNotPresent (the API
// server sets it on create; this covers objects made without defaults).
std::string PullPolicy(const api::Container& c) {
  if (!c.imagePullPolicy.empty()) return c.imagePullPolicy;
  const std::string& image = c.image;
  const auto slash = image.rfind('/');
  const auto colon = image.rfind(':');
  const bool tagged = colon != std::string::npos && (slash == std::string::npos || colon > slash);
  if (image.find('@') != std::string::npos) return "IfNotPresent";
  if (!tagged || image.substr(colon + 1) == "latest") return "Always";
  return "IfNotPresent";
}

}  // namespace

RuntimeManager::RuntimeManager(cri::CriClient& cri, PodConfigOptions options, EnvSources sources)
    : cri_(cri), options_(std::move(options)), sources_(std::move(sources)) {}

Result<PodRuntimeView> RuntimeManager::GetPodState(const std::string& pod_uid) {
  PodRuntimeView view;
  cri::v1::ListPodSandboxRequest sreq;
  (*sreq.mutable_filter()->mutable_label_selector())[kPodUidLabel] = pod_uid;
  auto sandboxes = cri_.ListPodSandbox(sreq);
  if (!sandboxes.IsOk()) return sandboxes.status();
  for (const auto& s : sandboxes->items()) {
    cri::v1::PodSandboxStatusRequest req;
    req.set_pod_sandbox_id(s.id());
    auto st = cri_.PodSandboxStatus(req);
    if (st.IsOk()) {
      view.sandboxes.push_back(st->status());
    } else if (!st.status().IsNotFound()) {
      return st.status();
    }
  }
  cri::v1::ListContainersRequest creq;
  (*creq.mutable_filter()->mutable_label_selector())[kPodUidLabel] = pod_uid;
  auto containers = cri_.ListContainers(creq);
  if (!containers.IsOk()) return containers.status();
  for (const auto& c : containers->containers()) {
    cri::v1::ContainerStatusRequest req;
    req.set_container_id(c.id());
    auto st = cri_.ContainerStatus(req);
    if (st.IsOk()) {
      view.containers.push_back(st->status());
    } else if (!st.status().IsNotFound()) {
      return st.status();
    }
  }
  std::sort(view.sandboxes.begin(), view.sandboxes.end(),
            [](const auto& a, const auto& b) { return a.created_at() > b.created_at(); });
  std::sort(view.containers.begin(), view.containers.end(),
            [](const auto& a, const auto& b) { return a.created_at() > b.created_at(); });
  return view;
}

Result<SandboxInfo> RuntimeManager::RunSandbox(const api::Pod& pod, uint32_t attempt) {
  SandboxInfo info;
  info.config = MakeSandboxConfig(pod, attempt, options_);
  std::error_code ec;
  std::filesystem::create_directories(info.config.log_directory(), ec);
  if (ec) {
    return Status::Internal("creating pod log directory " + info.config.log_directory() + ": " +
                            ec.message());
  }
  cri::v1::RunPodSandboxRequest run;
  *run.mutable_config() = info.config;
  auto r = cri_.RunPodSandbox(run);
  if (!r.IsOk()) return r.status();
  info.id = r->pod_sandbox_id();
  cri::v1::PodSandboxStatusRequest req;
  req.set_pod_sandbox_id(info.id);
  auto st = cri_.PodSandboxStatus(req);
  if (!st.IsOk()) return st.status();
  info.ip = st->status().network().ip();
  return info;
}

ContainerStartError RuntimeManager::EnsureImage(const api::Pod& /*pod*/,
                                                const api::Container& container,
                                                const SandboxInfo& sandbox) {
  const std::string policy = PullPolicy(container);
  cri::v1::ImageStatusRequest sreq;
  sreq.mutable_image()->set_image(container.image);
  auto present = cri_.ImageStatus(sreq);
  const bool have = present.IsOk() && present->has_image() && !present->image().id().empty();
  if (have && policy != "Always") return {};
  if (policy == "Never") {
    return {"ErrImageNeverPull",
            "Container image \"" + container.image + "\" is not present with pull policy of Never"};
  }
  cri::v1::PullImageRequest pull;
  pull.mutable_image()->set_image(container.image);
  *pull.mutable_sandbox_config() = sandbox.config;
  auto pulled = cri_.PullImage(pull);
  if (!pulled.IsOk()) {
    // Always with the image present locally: upstream fails the pull too (no registry here).
    return {"ErrImagePull", pulled.status().Message()};
  }
  return {};
}

Result<std::string> RuntimeManager::StartContainer(const api::Pod& pod, const SandboxInfo& sandbox,
                                                   const api::Container& container,
                                                   uint32_t restart_count,
                                                   const std::vector<cri::v1::Mount>& mounts,
                                                   ContainerStartError* error) {
  auto fail = [&](const std::string& reason, const std::string& message) -> Status {
    if (error != nullptr) *error = {reason, message};
    return Status::Invalid(reason + ": " + message);
  };
  if (ContainerStartError e = EnsureImage(pod, container, sandbox); !e.reason.empty()) {
    return fail(e.reason, e.message);
  }
  auto env = MakeEnvironment(pod, container, sources_, options_);
  if (!env.IsOk()) return fail("CreateContainerConfigError", env.status().Message());
  cri::v1::CreateContainerRequest create;
  create.set_pod_sandbox_id(sandbox.id);
  *create.mutable_config() =
      MakeContainerConfig(pod, container, restart_count, *env, mounts, options_);
  *create.mutable_sandbox_config() = sandbox.config;
  auto created = cri_.CreateContainer(create);
  if (!created.IsOk()) return fail("CreateContainerError", created.status().Message());
  cri::v1::StartContainerRequest start;
  start.set_container_id(created->container_id());
  auto started = cri_.StartContainer(start);
  if (!started.IsOk()) return fail("RunContainerError", started.status().Message());
  return created->container_id();
}

Status RuntimeManager::KillContainer(const std::string& container_id, std::chrono::seconds grace) {
  cri::v1::StopContainerRequest stop;
  stop.set_container_id(container_id);
  stop.set_timeout(grace.count());
  // The runtime waits the grace period itself; give the call room beyond it.
  auto r = cri_.StopContainer(
      stop, std::chrono::duration_cast<std::chrono::milliseconds>(grace + std::chrono::minutes(2)));
  if (!r.IsOk() && !r.status().IsNotFound()) return r.status();
  return Status::Ok();
}

Status RuntimeManager::KillPod(const std::string& pod_uid, std::chrono::seconds grace,
                               bool remove) {
  auto view = GetPodState(pod_uid);
  if (!view.IsOk()) return view.status();
  for (const auto& c : view->containers) {
    if (c.state() == cri::v1::CONTAINER_RUNNING || c.state() == cri::v1::CONTAINER_CREATED) {
      KUBEPP_RETURN_IF_ERROR(KillContainer(c.id(), grace));
    }
    if (remove) {
      cri::v1::RemoveContainerRequest rm;
      rm.set_container_id(c.id());
      auto r = cri_.RemoveContainer(rm);
      if (!r.IsOk() && !r.status().IsNotFound()) return r.status();
    }
  }
  for (const auto& s : view->sandboxes) {
    cri::v1::StopPodSandboxRequest stop;
    stop.set_pod_sandbox_id(s.id());
    auto r = cri_.StopPodSandbox(stop);
    if (!r.IsOk() && !r.status().IsNotFound()) return r.status();
    if (remove) {
      cri::v1::RemovePodSandboxRequest rm;
      rm.set_pod_sandbox_id(s.id());
      auto rr = cri_.RemovePodSandbox(rm);
      if (!rr.IsOk() && !rr.status().IsNotFound()) return rr.status();
    }
  }
  return Status::Ok();
}

}  // namespace kubepp::kubelet
