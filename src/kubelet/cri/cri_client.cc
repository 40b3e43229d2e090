#include "kubelet/cri/cri_client.h"

#include <grpcpp/grpcpp.h>

#include <string_view>
#include <utility>

#include "api.grpc.pb.h"

namespace kubepp::kubelet::cri {

namespace {

using Clock = std::chrono::system_clock;

std::string NormalizeEndpoint(std::string endpoint) {
  constexpr std::string_view kUnix = "unix://";
  if (endpoint.rfind(kUnix, 0) == 0) return endpoint;
  return std::string(kUnix) + endpoint;
}

// The runtime's gRPC error as our Status.
kubepp::Status FromGrpc(const grpc::Status& s, std::string_view method,
                        const std::string& endpoint) {
  const std::string& m = s.error_message();
  switch (s.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return kubepp::Status::Unavailable("CRI runtime at " + endpoint + " is unavailable (" +
                                         std::string(method) + "): " + m);
    case grpc::StatusCode::NOT_FOUND:
      return kubepp::Status::NotFound("CRI " + std::string(method) + ": " + m);
    default:
      return kubepp::Status::Internal("CRI " + std::string(method) + ": " + m);
  }
}

}  // namespace

struct CriClient::Stubs {
  std::shared_ptr<grpc::Channel> channel;             // the one connection to the runtime
  std::unique_ptr<v1::RuntimeService::Stub> runtime;  // RuntimeService RPCs
  std::unique_ptr<v1::ImageService::Stub> image;      // ImageService RPCs
};

CriClient::CriClient(CriClientOptions options)
    : options_(std::move(options)), stubs_(std::make_unique<Stubs>()) {
  options_.endpoint = NormalizeEndpoint(std::move(options_.endpoint));
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(options_.max_receive_bytes);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS,
              static_cast<int>(options_.max_reconnect_backoff.count()));
  stubs_->channel =
      grpc::CreateCustomChannel(options_.endpoint, grpc::InsecureChannelCredentials(), args);
  stubs_->runtime = v1::RuntimeService::NewStub(stubs_->channel);
  stubs_->image = v1::ImageService::NewStub(stubs_->channel);
}

CriClient::~CriClient() = default;

namespace {

// One unary call with a deadline: `rpc(ctx, response)` runs the stub method.
template <typename Response, typename Rpc>
Result<Response> Invoke(std::string_view method, const CriClientOptions& options,
                        std::chrono::milliseconds timeout, Rpc&& rpc) {
  if (timeout <= std::chrono::milliseconds::zero()) timeout = options.timeout;
  grpc::ClientContext ctx;
  ctx.set_deadline(Clock::now() + timeout);
  Response response;
  grpc::Status s = std::forward<Rpc>(rpc)(&ctx, &response);
  if (!s.ok()) return FromGrpc(s, method, options.endpoint);
  return response;
}

}  // namespace

// Defines CriClient::<Method> over stub <Service>: a call of the same-named RPC.
#define KUBEPP_CRI_CALL(Service, Method)                                              \
  Result<v1::Method##Response> CriClient::Method(const v1::Method##Request& request,  \
                                                 std::chrono::milliseconds timeout) { \
    return Invoke<v1::Method##Response>(                                              \
        #Method, options_, timeout,                                                   \
        [&](grpc::ClientContext* ctx, v1::Method##Response* response) {               \
          return stubs_->Service->Method(ctx, request, response);                     \
        });                                                                           \
  }

KUBEPP_CRI_CALL(runtime, RunPodSandbox)
KUBEPP_CRI_CALL(runtime, StopPodSandbox)
KUBEPP_CRI_CALL(runtime, RemovePodSandbox)
KUBEPP_CRI_CALL(runtime, PodSandboxStatus)
KUBEPP_CRI_CALL(runtime, ListPodSandbox)
KUBEPP_CRI_CALL(runtime, CreateContainer)
KUBEPP_CRI_CALL(runtime, StartContainer)
KUBEPP_CRI_CALL(runtime, StopContainer)
KUBEPP_CRI_CALL(runtime, RemoveContainer)
KUBEPP_CRI_CALL(runtime, ListContainers)
KUBEPP_CRI_CALL(runtime, ContainerStatus)
KUBEPP_CRI_CALL(runtime, ExecSync)
KUBEPP_CRI_CALL(runtime, Status)
KUBEPP_CRI_CALL(image, ListImages)
KUBEPP_CRI_CALL(image, ImageStatus)
KUBEPP_CRI_CALL(image, PullImage)
KUBEPP_CRI_CALL(image, RemoveImage)

#undef KUBEPP_CRI_CALL

Result<v1::VersionResponse> CriClient::Version(std::chrono::milliseconds timeout) {
  v1::VersionRequest request;
  request.set_version("0.1.0");  // what upstream kubelet sends (kubeRuntimeAPIVersion)
  return Invoke<v1::VersionResponse>("Version", options_, timeout,
                                     [&](grpc::ClientContext* ctx, v1::VersionResponse* response) {
                                       return stubs_->runtime->Version(ctx, request, response);
                                     });
}

}  // namespace kubepp::kubelet::cri
