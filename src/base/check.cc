#include "base/check.h"

#include <cstdio>
#include <cstdlib>

namespace kubepp::internal {

void CheckFailed(const char* file, int line, const char* expr, const std::string& msg) {
  // stderr directly: the logger may be the thing that is broken.
  std::fprintf(stderr, "F %s:%d] Check failed: %s%s%s\n", file, line, expr, msg.empty() ? "" : ": ",
               msg.c_str());
  std::fflush(stderr);
  std::abort();
}

}  // namespace kubepp::internal
