#include "kubelet/nodestatus/machine_info.h"

#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace kubepp::kubelet {
namespace {

// The first line of a file, trimmed; "" when unreadable.
std::string FirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) return {};
  while (!line.empty() && (line.back() == '\n' || line.back() == ' ' || line.back() == '\r')) {
    line.pop_back();
  }
  return line;
}

std::string OsImage() {
  std::ifstream in("/etc/os-release");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("PRETTY_NAME=", 0) != 0) continue;
    std::string v = line.substr(12);
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
      v = v.substr(1, v.size() - 2);
    }
    return v;
  }
  return "Linux";
}

}  // namespace

std::string GoArch(const std::string& m) {
  if (m == "x86_64") return "amd64";
  if (m == "aarch64" || m == "arm64") return "arm64";
  if (m == "i386" || m == "i686") return "386";
  if (m.rfind("armv", 0) == 0) return "arm";
  if (m == "ppc64le") return "ppc64le";
  if (m == "s390x") return "s390x";
  if (m == "riscv64") return "riscv64";
  return m;
}

Result<MachineInfo> ReadMachineInfo(const std::string& root_dir) {
  MachineInfo info;
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  info.num_cores = cores > 0 ? cores : 1;

  std::ifstream meminfo("/proc/meminfo");
  std::string key;
  int64_t kib = 0;
  std::string unit;
  while (meminfo >> key >> kib) {
    std::getline(meminfo, unit);
    if (key == "MemTotal:") {
      info.memory_capacity_bytes = kib * 1024;
      break;
    }
  }
  if (info.memory_capacity_bytes <= 0) {
    return Status::Internal("reading MemTotal from /proc/meminfo failed");
  }

  struct statvfs fs {};
  if (statvfs(root_dir.c_str(), &fs) != 0) {
    return Status::Internal("statfs " + root_dir + " failed");
  }
  info.fs_capacity_bytes = static_cast<int64_t>(fs.f_blocks) * static_cast<int64_t>(fs.f_frsize);

  info.machine_id = FirstLine("/etc/machine-id");
  info.system_uuid = FirstLine("/sys/class/dmi/id/product_uuid");
  info.boot_id = FirstLine("/proc/sys/kernel/random/boot_id");
  struct utsname u {};
  if (uname(&u) == 0) {
    info.kernel_version = u.release;
    info.architecture = GoArch(u.machine);
  }
  info.os_image = OsImage();
  return info;
}

}  // namespace kubepp::kubelet
