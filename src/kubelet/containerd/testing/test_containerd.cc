#include "kubelet/containerd/testing/test_containerd.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "base/log.h"

namespace kubepp::kubelet::testing {

bool CanRunContainerd() { return ::geteuid() == 0 && ::access("/usr/bin/containerd", X_OK) == 0; }

Result<std::unique_ptr<TestContainerd>> TestContainerd::Start(ContainerdOptions options) {
  std::string templ = "/tmp/kpp-ctd-XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) {
    return Status::Internal(std::string("mkdtemp: ") + std::strerror(errno));
  }
  std::unique_ptr<TestContainerd> t(new TestContainerd(templ));
  options.data_dir = templ;
  options.kill_with_parent = true;
  KUBEPP_ASSIGN_OR_RETURN(t->containerd_, Containerd::Start(std::move(options)));
  return t;
}

TestContainerd::~TestContainerd() {
  if (containerd_ != nullptr) {
    Status s = containerd_->Stop();
    if (!s.IsOk()) KLOG_WARNING("stopping test containerd: {}", s.ToString());
  }
  Status s = UnmountUnder(dir_);
  if (!s.IsOk()) KLOG_WARNING("cleaning up {}: {}", dir_, s.ToString());
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
  if (ec) KLOG_WARNING("removing {}: {}", dir_, ec.message());
}

}  // namespace kubepp::kubelet::testing
