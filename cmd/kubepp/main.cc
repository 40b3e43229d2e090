// kubepp: one binary, many roles (like k3s). main() only dispatches; each role wires itself.
#include <cstdio>
#include <string_view>

#include "cmd/kubepp/roles.h"

namespace kubepp::cmd {
namespace {

constexpr int kExitUsage = 2;

void PrintUsage(std::FILE* out) {
  std::fprintf(out,
               "kubepp: Kubernetes in C++.\n\n"
               "Usage:\n  kubepp ROLE [flags]\n\nRoles:\n");
  for (const Role& role : Roles()) {
    std::fprintf(out, "  %-26.*s %.*s\n", static_cast<int>(role.name.size()), role.name.data(),
                 static_cast<int>(role.summary.size()), role.summary.data());
  }
  std::fprintf(out, "\nRun 'kubepp ROLE --help' for the flags of a role.\n");
}

}  // namespace

int Main(int argc, char** argv) {
  if (argc < 2) {
    PrintUsage(stderr);
    return kExitUsage;
  }
  std::string_view arg = argv[1];
  if (arg == "--help" || arg == "-h" || arg == "help") {
    PrintUsage(stdout);
    return 0;
  }
  if (arg == "--version") return VersionMain(argc - 1, argv + 1);
  for (const Role& role : Roles()) {
    if (role.name != arg) continue;
    if (role.main == nullptr) {
      std::fprintf(stderr, "kubepp: role \"%.*s\" is not implemented yet (tracked in %.*s)\n",
                   static_cast<int>(arg.size()), arg.data(), static_cast<int>(role.issue.size()),
                   role.issue.data());
      return 1;
    }
    return role.main(argc - 1, argv + 1);
  }
  if (!arg.empty() && arg[0] == '-') {
    std::fprintf(stderr, "kubepp: unknown flag \"%.*s\"; a role comes first: see 'kubepp --help'\n",
                 static_cast<int>(arg.size()), arg.data());
  } else {
    std::fprintf(stderr, "kubepp: unknown role \"%.*s\"; see 'kubepp --help' for the roles\n",
                 static_cast<int>(arg.size()), arg.data());
  }
  return kExitUsage;
}

}  // namespace kubepp::cmd

int main(int argc, char** argv) { return kubepp::cmd::Main(argc, argv); }
