// MachineInfo: what the kubelet reports about the machine it runs on (upstream gets it from
// cAdvisor): cores, memory, the capacity of the filesystem holding the kubelet's root dir, and
// the identity strings of Node.status.nodeInfo.
//
//   auto info = ReadMachineInfo("/var/lib/kubepp/node-1");
//   if (info.IsOk()) node.status.capacity["cpu"] = ...;
//
// Pure reads of /proc, /sys, /etc and statfs; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"

namespace kubepp::kubelet {

struct MachineInfo {
  int64_t num_cores = 0;              // online CPUs
  int64_t memory_capacity_bytes = 0;  // MemTotal
  int64_t fs_capacity_bytes = 0;      // the root dir's filesystem (ephemeral-storage)
  std::string machine_id;             // /etc/machine-id ("" when absent)
  std::string system_uuid;            // /sys/class/dmi/id/product_uuid ("" when unreadable)
  std::string boot_id;                // /proc/sys/kernel/random/boot_id
  std::string kernel_version;         // uname -r
  std::string os_image;               // PRETTY_NAME of /etc/os-release
  std::string architecture;           // GOARCH spelling: amd64, arm64, ...
};

// Reads the machine; `root_dir` must exist (its filesystem gives ephemeral-storage).
// Internal when /proc/meminfo or statfs cannot be read.
Result<MachineInfo> ReadMachineInfo(const std::string& root_dir);

// uname's machine in Go's spelling (x86_64 -> amd64, aarch64 -> arm64, ...).
std::string GoArch(const std::string& uname_machine);

}  // namespace kubepp::kubelet
