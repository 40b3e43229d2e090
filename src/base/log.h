// klog-style logging over spdlog.
//
//   KLOG_INFO("listening on {}", addr);      I1122 05:03:00.123456  1234 server.cc:42] listening
//   ... KLOG_V(2, "sync {} took {}", key, d);    only when the process runs with -v=2 or more
//
// Thread-safe. Before InitLogging the default logger writes to stderr at verbosity 0.
#pragma once

#include <spdlog/spdlog.h>

#include <string>

namespace kubepp {

struct LogOptions {
  int verbosity = 0;   // -v: KLOG_V(n) lines print when n <= verbosity
  std::string file;    // write here instead of stderr when set
  bool quiet = false;  // only warnings and errors
};

// Configures the process-wide logger. Call once from main, before threads start.
void InitLogging(const LogOptions& options);
// The current -v level.
int LogVerbosity();
// Changes -v at run time (tests).
void SetLogVerbosity(int v);

}  // namespace kubepp

#define KUBEPP_LOG_AT(level, ...) \
  SPDLOG_LOGGER_CALL(::spdlog::default_logger_raw(), level, __VA_ARGS__)
#define KLOG_INFO(...) KUBEPP_LOG_AT(::spdlog::level::info, __VA_ARGS__)
#define KLOG_WARNING(...) KUBEPP_LOG_AT(::spdlog::level::warn, __VA_ARGS__)
#define KLOG_ERROR(...) KUBEPP_LOG_AT(::spdlog::level::err, __VA_ARGS__)
#define KLOG_V(n, ...)                                           \
  do {                                                           \
    if (::kubepp::LogVerbosity() >= (n)) KLOG_INFO(__VA_ARGS__); \
  } while (0)
