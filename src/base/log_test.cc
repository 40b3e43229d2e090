#include "base/log.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace kubepp {
namespace {

TEST(LogTest, KlogFormatAndVerbosity) {
  auto path = std::filesystem::temp_directory_path() /
              ("kubepp-log-test-" + std::to_string(::getpid()) + ".log");
  InitLogging({.verbosity = 1, .file = path.string()});
  KLOG_INFO("hello {}", 42);
  KLOG_V(1, "verbose one");
  KLOG_V(2, "verbose two");
  KLOG_WARNING("careful");
  spdlog::default_logger()->flush();
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string text = ss.str();
  std::filesystem::remove(path);
  EXPECT_NE(text.find("log_test.cc:"), std::string::npos) << text;
  EXPECT_NE(text.find("] hello 42"), std::string::npos) << text;
  EXPECT_NE(text.find("] verbose one"), std::string::npos);
  EXPECT_EQ(text.find("verbose two"), std::string::npos);
  // klog: first letter is the severity.
  EXPECT_EQ(text[0], 'I');
  EXPECT_NE(text.find("\nW"), std::string::npos);
  spdlog::drop_all();
}

}  // namespace
}  // namespace kubepp
