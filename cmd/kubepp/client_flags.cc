#include "cmd/kubepp/client_flags.h"

#include <cstdio>

#include "base/duration.h"

namespace kubepp::cmd {

Result<client::RestConfig> ClientConfigFromFlags(const std::string& kubeconfig,
                                                 const std::string& master,
                                                 std::string user_agent) {
  if (kubeconfig.empty() && master.empty()) {
    return Status::Invalid(
        "neither --kubeconfig nor --master was given: cannot find the API server");
  }
  client::RestConfig config;
  if (!kubeconfig.empty()) {
    auto kc = client::LoadKubeconfigFile(kubeconfig);
    if (!kc.IsOk()) return kc.status().WithPrefix("cannot read --kubeconfig " + kubeconfig);
    auto rc = client::ConfigFromKubeconfig(*kc);
    if (!rc.IsOk()) return rc.status().WithPrefix("--kubeconfig " + kubeconfig);
    config = std::move(*rc);
  }
  if (!master.empty()) config.server = master;
  config.user_agent = std::move(user_agent);
  return config;
}

bool ParseDurationFlag(std::string_view role, std::string_view flag, const std::string& text,
                       std::chrono::nanoseconds* out) {
  auto d = ParseGoDuration(text);
  if (!d.IsOk() || d->count() < 0) {
    std::fprintf(stderr, "kubepp %.*s: invalid argument \"%s\" for \"--%.*s\": %s\n",
                 static_cast<int>(role.size()), role.data(), text.c_str(),
                 static_cast<int>(flag.size()), flag.data(),
                 d.IsOk() ? "must not be negative" : d.status().Message().c_str());
    return false;
  }
  *out = std::chrono::duration_cast<std::chrono::nanoseconds>(*d);
  return true;
}

}  // namespace kubepp::cmd
