// ReadTar: the entries of a tar held in memory, for tests that check what an image archive or
// layer holds.
//
//   KUBEPP_ASSIGN_OR_RETURN(auto entries, testing::ReadTar(bytes));
//   entries.at("bin/sh").link_target == "/bin/busybox";
//
// Plain function; no shared state.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "cluster/image/oci_image.h"

namespace kubepp::cluster::image::testing {

// One entry as read back.
struct TarEntry {
  EntryType type = EntryType::kFile;  // file, directory or symlink
  uint32_t mode = 0;                  // permission bits (07777)
  int64_t uid = -1;                   // owner
  int64_t gid = -1;                   // group
  int64_t mtime = -1;                 // modification time (seconds)
  std::string data;                   // a file's bytes
  std::string link_target;            // a symlink's target
};

// Every entry of the tar in bytes by path (a directory's trailing '/' removed), and their order.
struct TarContents {
  std::map<std::string, TarEntry> entries;  // by path
  std::vector<std::string> order;           // paths in archive order
};

// Invalid when bytes is not a tar, or holds something else than files, directories, symlinks.
Result<TarContents> ReadTar(std::string_view bytes);

}  // namespace kubepp::cluster::image::testing
