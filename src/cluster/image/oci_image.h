// OCI images built from local content, for nodes without registry access (issue #7).
//
// WriteImageArchive packs an ImageSpec (a list of files, directories and symlinks, plus the
// container defaults) into one tar file that `ctr -n k8s.io images import <file>` (containerd
// 1.6) imports under spec.name. The tar is an OCI image layout (oci-layout, index.json,
// blobs/sha256/<hex>) that also carries docker-save's manifest.json, so both of containerd's
// importers find the name. The image has one uncompressed layer
// (application/vnd.oci.image.layer.v1.tar, so its digest is also its diff_id).
//
// Output is deterministic: entries are sorted, mtimes are 0, owners are 0:0, and nothing
// depends on the time or the host (except the architecture), so the same input gives the same
// digests and the same archive bytes.
//
//   auto spec = image::PauseImage("/path/to/kubepp-pause");
//   KUBEPP_ASSIGN_OR_RETURN(auto digests, image::WriteImageArchive(spec, "pause.tar"));
//   // digests.manifest == "sha256:..." is what `ctr images ls` shows as the image's digest.
//
// Threading: plain functions without shared state; call from any thread (they block on file
// I/O, and BusyboxImage runs `busybox --list-full`).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace kubepp::cluster::image {

// What a layer entry is.
enum class EntryType { kFile, kDirectory, kSymlink };

// One file, directory or symlink of an image's filesystem.
struct LayerEntry {
  std::string path;                   // in the image: "/bin/sh" or "bin/sh" (same thing)
  EntryType type = EntryType::kFile;  // what the entry is
  uint32_t mode = 0644;               // permission bits, incl. setuid/setgid/sticky (01777)
  std::string content;                // kFile: its bytes, when source is empty
  std::string source;                 // kFile: a host file whose bytes are read at write time
  std::string link_target;            // kSymlink: where it points ("/bin/busybox")

  static LayerEntry File(std::string path, std::string content, uint32_t mode = 0644);
  static LayerEntry HostFile(std::string path, std::string source, uint32_t mode = 0755);
  static LayerEntry Directory(std::string path, uint32_t mode = 0755);
  static LayerEntry Symlink(std::string path, std::string target);
};

// An image to build: its name, its one layer, and the container defaults of its config.
struct ImageSpec {
  std::string name;                     // full reference, e.g. "localhost/pause:kubepp"
  std::vector<LayerEntry> files;        // the layer; missing parent directories are added (0755)
  std::vector<std::string> entrypoint;  // config.Entrypoint
  std::vector<std::string> cmd;         // config.Cmd
  std::vector<std::string> env;         // config.Env, "NAME=value"
  std::string working_dir;              // config.WorkingDir ("" leaves it out)
  std::string user;                     // config.User ("" leaves it out), e.g. "65535:65535"
  std::string created_by;               // the history entry's created_by
};

// The digests of a written image ("sha256:<hex>").
struct ImageDigests {
  std::string manifest;             // the image manifest: what containerd lists as the digest
  std::string config;               // the image config (the image ID)
  std::vector<std::string> layers;  // each layer tar (== its diff_id: layers are uncompressed)
};

// The platform written into configs and the index: "amd64" / "arm64" / ... from the build's
// target architecture (the one kubepp-pause is built for).
std::string HostArchitecture();

// Writes spec as an image archive to out_path (replaced atomically: written to a temporary
// file beside it, then renamed). Invalid for a bad name or path (empty, "..", duplicates, a
// file whose parent is not a directory); NotFound/Internal when a source cannot be read or the
// output cannot be written.
Result<ImageDigests> WriteImageArchive(const ImageSpec& spec, const std::string& out_path);

// localhost/pause:kubepp: /pause (from pause_binary, the kubepp-pause build), Entrypoint
// ["/pause"], User 65535:65535 as upstream's pause image.
ImageSpec PauseImage(const std::string& pause_binary);

// localhost/busybox:1.35: /bin/busybox (a static busybox) with every applet of
// `busybox --list-full` as a symlink to it, /etc/passwd, /etc/group, /tmp (1777), /root;
// Cmd ["sh"] and the usual PATH. Unavailable when busybox cannot be run.
Result<ImageSpec> BusyboxImage(const std::string& busybox = "/bin/busybox");

inline constexpr const char* kPauseImageName = "localhost/pause:kubepp";
inline constexpr const char* kBusyboxImageName = "localhost/busybox:1.35";

}  // namespace kubepp::cluster::image
