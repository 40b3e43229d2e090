// What the roles that talk to an API server share (controller-manager, scheduler, later kubelet
// and proxy): --kubeconfig/--master into a RestConfig, and Go duration flags.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "base/status.h"
#include "client/kubeconfig.h"

namespace kubepp::cmd {

// The client configuration from --kubeconfig (a file) and --master (overrides its server).
// Invalid when neither is given; the file's errors otherwise.
Result<client::RestConfig> ClientConfigFromFlags(const std::string& kubeconfig,
                                                 const std::string& master, std::string user_agent);

// Parses a Go duration flag ("15s", "1m30s") into `out`; false (with upstream's message printed
// as "kubepp <role>: invalid argument ...") when malformed or negative.
bool ParseDurationFlag(std::string_view role, std::string_view flag, const std::string& text,
                       std::chrono::nanoseconds* out);
template <typename D>
bool ParseDurationFlag(std::string_view role, std::string_view flag, const std::string& text,
                       D* out) {
  std::chrono::nanoseconds ns{};
  if (!ParseDurationFlag(role, flag, text, &ns)) return false;
  *out = std::chrono::duration_cast<D>(ns);
  return true;
}

}  // namespace kubepp::cmd
