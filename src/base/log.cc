#include "base/log.h"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <atomic>

namespace kubepp {
namespace {
std::atomic<int> g_verbosity{0};
// klog's header: Lmmdd hh:mm:ss.uuuuuu threadid file:line] msg
constexpr const char* kKlogPattern = "%L%m%d %H:%M:%S.%f %7t %s:%#] %v";
}  // namespace

void InitLogging(const LogOptions& options) {
  g_verbosity.store(options.verbosity, std::memory_order_relaxed);
  std::shared_ptr<spdlog::logger> logger;
  if (!options.file.empty()) {
    logger = spdlog::basic_logger_mt("kubepp", options.file);
  } else {
    logger = spdlog::stderr_logger_mt("kubepp");
  }
  logger->set_pattern(kKlogPattern);
  logger->set_level(options.quiet ? spdlog::level::warn : spdlog::level::info);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

int LogVerbosity() { return g_verbosity.load(std::memory_order_relaxed); }
void SetLogVerbosity(int v) { g_verbosity.store(v, std::memory_order_relaxed); }

}  // namespace kubepp
