// TestContainerd: a real containerd in a fresh temporary directory, for tests.
//
//   KUBEPP_ASSIGN_OR_RETURN(auto t, TestContainerd::Start());
//   cri::CriClient cri({.endpoint = t->Get().Endpoint()});
//
// Start() makes /tmp/kpp-ctd-XXXXXX (short, for the socket path) and runs Containerd there with
// kill_with_parent set, so a crashed test leaves no containerd behind. The destructor stops
// containerd by PID, unmounts everything under the directory and removes it. Tests that run
// sandboxes must stop and remove them before the destructor runs (shims outlive containerd).
// Not thread-safe: one test thread drives it.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "kubelet/containerd/containerd.h"

namespace kubepp::kubelet::testing {

// Whether this process can run containerd (root, and /usr/bin/containerd installed); tests
// skip otherwise, as every containerd test in the tree does.
bool CanRunContainerd();

class TestContainerd {
 public:
  // `options.data_dir` is replaced by the temporary directory; the rest is used as given.
  static Result<std::unique_ptr<TestContainerd>> Start(ContainerdOptions options = {});
  ~TestContainerd();
  TestContainerd(const TestContainerd&) = delete;
  TestContainerd& operator=(const TestContainerd&) = delete;

  // The running containerd.
  Containerd& Get() { return *containerd_; }
  // The temporary directory (containerd's data dir).
  const std::string& Dir() const { return dir_; }

 private:
  explicit TestContainerd(std::string dir) : dir_(std::move(dir)) {}

  std::string dir_;                         // removed by the destructor
  std::unique_ptr<Containerd> containerd_;  // the running containerd
};

}  // namespace kubepp::kubelet::testing
