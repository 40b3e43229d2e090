// The roles of the multi-call kubepp binary. Each role's entry point parses its own flags
// (argv[0] is the role name) and returns the process exit code.
#pragma once

#include <span>
#include <string_view>

namespace kubepp::cmd {

using RoleMain = int (*)(int argc, char** argv);

struct Role {
  std::string_view name;     // argv[1], e.g. "apiserver"
  std::string_view summary;  // one line for `kubepp --help`
  RoleMain main;             // nullptr while the role is not built yet
  std::string_view issue;    // where the missing role is tracked, when main is nullptr
};

// Every role, in the order `kubepp --help` lists them.
std::span<const Role> Roles();

int VersionMain(int argc, char** argv);
int ApiServerMain(int argc, char** argv);
int ControllerManagerMain(int argc, char** argv);
int SchedulerMain(int argc, char** argv);
int ImageMain(int argc, char** argv);
int KubeletMain(int argc, char** argv);

}  // namespace kubepp::cmd
