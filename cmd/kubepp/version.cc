#include "base/version.h"

#include <cstdio>
#include <string_view>

#include "cmd/kubepp/roles.h"

namespace kubepp::cmd {

int VersionMain(int argc, char** argv) {
  bool short_form = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (a == "--short") {
      short_form = true;
    } else if (a == "--help" || a == "-h") {
      std::printf("Usage: kubepp version [--short]\n");
      return 0;
    } else {
      std::fprintf(stderr, "kubepp version: unknown flag \"%s\"\n", argv[i]);
      return 2;
    }
  }
  if (short_form) {
    std::printf("%s\n", kKubeppVersion);
    return 0;
  }
  std::printf("kubepp version %s (commit %s)\nKubernetes API: %s\n", kKubeppVersion, kGitCommit,
              kKubernetesVersion);
  return 0;
}

}  // namespace kubepp::cmd
