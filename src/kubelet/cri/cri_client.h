// CriClient: a synchronous client of a CRI v1 runtime (containerd) on a unix socket.
//
// One method per CRI RPC kubepp uses (RuntimeService and ImageService of k8s.io/cri-api
// runtime/v1, our subset in proto/cri/api.proto). Methods take the generated request message
// and return the generated response message: the caller fills and reads protobuf fields
// directly, nothing is re-wrapped.
//
//   kubelet::cri::CriClient cri({.endpoint = "unix:///var/lib/kubepp/containerd.sock"});
//   Result<cri::v1::VersionResponse> v = cri.Version();
//   cri::v1::PullImageRequest pull;
//   pull.mutable_image()->set_image("localhost/busybox:kubepp");
//   auto ref = cri.PullImage(pull, std::chrono::minutes(5));  // longer than the default
//
// Every call carries a deadline: the per-call `timeout` argument, or options.timeout when it is
// zero. Errors come back as kubepp::Status:
//   - the runtime cannot be reached, or the deadline passed → ServiceUnavailable naming the
//     socket ("CRI runtime at unix:///... is unavailable: ...");
//   - NOT_FOUND (an unknown sandbox or container ID) → NotFound with the runtime's message;
//   - any other gRPC error → InternalError "CRI <Method>: <runtime's message>".
// An absent image is not an error for ImageStatus (the response has no image), as in CRI.
//
// Threading: every method is thread-safe and blocks the calling thread until the answer or the
// deadline (call it from the blocking pool, never from an io thread). The channel connects
// lazily and reconnects by itself; constructing a client never fails.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "api.pb.h"
#include "base/status.h"

namespace kubepp::kubelet::cri {

// The generated CRI messages (package runtime.v1), e.g. cri::v1::PodSandboxConfig.
namespace v1 = ::runtime::v1;

struct CriClientOptions {
  // The runtime's gRPC address, "unix:///absolute/path.sock" (a plain path gets the prefix).
  std::string endpoint;
  // Deadline of a call made with timeout 0 (upstream kubelet's --runtime-request-timeout).
  std::chrono::milliseconds timeout{std::chrono::minutes(2)};
  // Upper bound of the channel's reconnect back-off: small, since the runtime is local and a
  // restarted containerd should be noticed within about this long.
  std::chrono::milliseconds max_reconnect_backoff{std::chrono::seconds(1)};
  // Largest response accepted (upstream kubelet uses 16 MiB as well).
  int max_receive_bytes = 16 * 1024 * 1024;
};

// A client of one CRI runtime. Not copyable; shareable across threads.
class CriClient {
 public:
  explicit CriClient(CriClientOptions options);
  ~CriClient();
  CriClient(const CriClient&) = delete;
  CriClient& operator=(const CriClient&) = delete;

  // "unix:///..." this client talks to.
  const std::string& Endpoint() const { return options_.endpoint; }

  // RuntimeService. `timeout` 0 means options.timeout.
  Result<v1::VersionResponse> Version(std::chrono::milliseconds timeout = {});
  Result<v1::RunPodSandboxResponse> RunPodSandbox(const v1::RunPodSandboxRequest& request,
                                                  std::chrono::milliseconds timeout = {});
  Result<v1::StopPodSandboxResponse> StopPodSandbox(const v1::StopPodSandboxRequest& request,
                                                    std::chrono::milliseconds timeout = {});
  Result<v1::RemovePodSandboxResponse> RemovePodSandbox(const v1::RemovePodSandboxRequest& request,
                                                        std::chrono::milliseconds timeout = {});
  Result<v1::PodSandboxStatusResponse> PodSandboxStatus(const v1::PodSandboxStatusRequest& request,
                                                        std::chrono::milliseconds timeout = {});
  Result<v1::ListPodSandboxResponse> ListPodSandbox(const v1::ListPodSandboxRequest& request,
                                                    std::chrono::milliseconds timeout = {});
  Result<v1::CreateContainerResponse> CreateContainer(const v1::CreateContainerRequest& request,
                                                      std::chrono::milliseconds timeout = {});
  Result<v1::StartContainerResponse> StartContainer(const v1::StartContainerRequest& request,
                                                    std::chrono::milliseconds timeout = {});
  // The deadline should exceed request.timeout() (the grace period), or the call fails first.
  Result<v1::StopContainerResponse> StopContainer(const v1::StopContainerRequest& request,
                                                  std::chrono::milliseconds timeout = {});
  Result<v1::RemoveContainerResponse> RemoveContainer(const v1::RemoveContainerRequest& request,
                                                      std::chrono::milliseconds timeout = {});
  Result<v1::ListContainersResponse> ListContainers(const v1::ListContainersRequest& request,
                                                    std::chrono::milliseconds timeout = {});
  Result<v1::ContainerStatusResponse> ContainerStatus(const v1::ContainerStatusRequest& request,
                                                      std::chrono::milliseconds timeout = {});
  // A non-zero exit code of the command is a response (exit_code), not an error.
  Result<v1::ExecSyncResponse> ExecSync(const v1::ExecSyncRequest& request,
                                        std::chrono::milliseconds timeout = {});
  // CRI's runtime Status RPC (conditions RuntimeReady / NetworkReady).
  Result<v1::StatusResponse> Status(const v1::StatusRequest& request = {},
                                    std::chrono::milliseconds timeout = {});

  // ImageService.
  Result<v1::ListImagesResponse> ListImages(const v1::ListImagesRequest& request = {},
                                            std::chrono::milliseconds timeout = {});
  Result<v1::ImageStatusResponse> ImageStatus(const v1::ImageStatusRequest& request,
                                              std::chrono::milliseconds timeout = {});
  Result<v1::PullImageResponse> PullImage(const v1::PullImageRequest& request,
                                          std::chrono::milliseconds timeout = {});
  Result<v1::RemoveImageResponse> RemoveImage(const v1::RemoveImageRequest& request,
                                              std::chrono::milliseconds timeout = {});

 private:
  struct Stubs;  // the gRPC channel and stubs, kept out of this header

  CriClientOptions options_;      // endpoint (normalized to unix://) and deadlines
  std::unique_ptr<Stubs> stubs_;  // immutable after construction; gRPC stubs are thread-safe
};

}  // namespace kubepp::kubelet::cri
