// KUBEPP_CHECK / KUBEPP_DCHECK: broken internal invariants abort loudly.
//
// Never use these on network, user or disk input: those get a Status.
#pragma once

#include <fmt/format.h>

#include <string>

namespace kubepp::internal {
[[noreturn]] void CheckFailed(const char* file, int line, const char* expr, const std::string& msg);
}  // namespace kubepp::internal

// KUBEPP_CHECK(cond) or KUBEPP_CHECK(cond, "fmt {}", args...): always on.
#define KUBEPP_CHECK(cond, ...)                                                   \
  do {                                                                            \
    if (!(cond)) [[unlikely]] {                                                   \
      ::kubepp::internal::CheckFailed(__FILE__, __LINE__, #cond,                  \
                                      ::fmt::format("" __VA_OPT__(__VA_ARGS__))); \
    }                                                                             \
  } while (0)

#ifdef NDEBUG
#define KUBEPP_DCHECK(cond, ...) \
  do {                           \
  } while (0 && (cond))
#else
#define KUBEPP_DCHECK(cond, ...) KUBEPP_CHECK(cond __VA_OPT__(, ) __VA_ARGS__)
#endif
