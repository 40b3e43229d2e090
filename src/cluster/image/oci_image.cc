#include "cluster/image/oci_image.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string_view>

namespace kubepp::cluster::image {

namespace {

namespace json = boost::json;

constexpr std::string_view kOciLayoutMediaType = "application/vnd.oci.image.index.v1+json";
constexpr std::string_view kManifestMediaType = "application/vnd.oci.image.manifest.v1+json";
constexpr std::string_view kConfigMediaType = "application/vnd.oci.image.config.v1+json";
constexpr std::string_view kLayerMediaType = "application/vnd.oci.image.layer.v1.tar";
// containerd's annotation naming the image an index entry is imported as.
constexpr std::string_view kContainerdImageName = "io.containerd.image.name";
constexpr std::string_view kOciRefName = "org.opencontainers.image.ref.name";

std::string Errno(std::string_view what) { return std::string(what) + ": " + std::strerror(errno); }

// "sha256:<hex>" of data.
std::string Sha256Digest(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  KUBEPP_CHECK(EVP_Digest(data.data(), data.size(), md.data(), &len, EVP_sha256(), nullptr) == 1,
               "EVP_Digest(sha256) failed");
  static constexpr std::string_view kHex = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xf];
  }
  return out;
}

// The <hex> of "sha256:<hex>".
std::string_view Hex(std::string_view digest) { return digest.substr(digest.find(':') + 1); }

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound(Errno("cannot read " + path));
  std::stringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::Internal(Errno("reading " + path));
  return ss.str();
}

// A tar archive built in memory with libarchive: pax (restricted: plain ustar headers unless a
// name needs more), owners 0:0, mtime 0, no padding past the end-of-archive blocks.
class TarWriter {
 public:
  TarWriter() : archive_(archive_write_new(), &archive_write_free) {
    archive_write_set_format_pax_restricted(archive_.get());
    archive_write_set_bytes_in_last_block(archive_.get(), 1);
    open_ = archive_write_open2(archive_.get(), &out_, nullptr, &TarWriter::Append, nullptr,
                                nullptr) == ARCHIVE_OK;
  }

  // Adds one entry; data is the content of a regular file, link the target of a symlink.
  Status Add(const std::string& path, EntryType type, uint32_t mode, std::string_view data = {},
             const std::string& link = {}) {
    if (!open_) return Error("open");
    std::unique_ptr<archive_entry, void (*)(archive_entry*)> entry(archive_entry_new(),
                                                                   &archive_entry_free);
    archive_entry* e = entry.get();
    archive_entry_set_pathname(e, path.c_str());
    archive_entry_set_uid(e, 0);
    archive_entry_set_gid(e, 0);
    archive_entry_set_mtime(e, 0, 0);
    switch (type) {
      case EntryType::kFile:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
        break;
      case EntryType::kDirectory:
        archive_entry_set_filetype(e, AE_IFDIR);
        archive_entry_set_size(e, 0);
        break;
      case EntryType::kSymlink:
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_set_symlink(e, link.c_str());
        archive_entry_set_size(e, 0);
        break;
    }
    archive_entry_set_perm(e, mode & 07777);
    if (archive_write_header(archive_.get(), e) != ARCHIVE_OK) return Error("header of " + path);
    if (!data.empty()) {
      la_ssize_t n = archive_write_data(archive_.get(), data.data(), data.size());
      if (n != static_cast<la_ssize_t>(data.size())) return Error("data of " + path);
    }
    return Status::Ok();
  }

  // Ends the archive and returns its bytes.
  Result<std::string> Finish() {
    if (!open_) return Error("open");
    if (archive_write_close(archive_.get()) != ARCHIVE_OK) return Error("close");
    open_ = false;
    return std::move(out_);
  }

 private:
  static la_ssize_t Append(archive* /*a*/, void* client, const void* buffer, size_t length) {
    static_cast<std::string*>(client)->append(static_cast<const char*>(buffer), length);
    return static_cast<la_ssize_t>(length);
  }

  Status Error(const std::string& what) {
    const char* msg = archive_error_string(archive_.get());
    return Status::Internal("tar " + what + ": " + (msg != nullptr ? msg : "libarchive error"));
  }

  std::unique_ptr<archive, int (*)(archive*)> archive_;  // the libarchive writer
  std::string out_;                                      // the bytes written so far
  bool open_ = false;                                    // open and not yet finished
};

// An entry with its path normalised ("a/b", no leading, trailing or doubled '/').
struct Normalized {
  const LayerEntry* entry = nullptr;  // nullptr for an added parent directory
  EntryType type = EntryType::kDirectory;
  uint32_t mode = 0755;
};

// Normalises every path, adds missing parent directories and checks the tree is well formed.
// The map's order (std::string's) is the archive order: a parent sorts before its children.
Result<std::map<std::string, Normalized>> NormalizeEntries(const std::vector<LayerEntry>& files) {
  std::map<std::string, Normalized> out;
  for (const auto& f : files) {
    std::string path;
    std::string_view rest = f.path;
    while (!rest.empty()) {
      size_t slash = rest.find('/');
      std::string_view part = rest.substr(0, slash);
      rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
      if (part.empty()) continue;
      if (part == "." || part == "..") return Status::Invalid("bad image path " + f.path);
      if (!path.empty()) path += '/';
      path += part;
    }
    if (path.empty()) return Status::Invalid("bad image path \"" + f.path + "\"");
    if (f.type == EntryType::kSymlink && f.link_target.empty()) {
      return Status::Invalid("symlink " + f.path + " has no target");
    }
    auto [it, inserted] = out.try_emplace(path, Normalized{&f, f.type, f.mode});
    if (!inserted) {
      // An explicit directory may replace one added as a parent.
      if (it->second.entry == nullptr && f.type == EntryType::kDirectory) {
        it->second = Normalized{&f, f.type, f.mode};
        continue;
      }
      return Status::Invalid("image path " + path + " appears twice");
    }
    for (size_t slash = path.rfind('/'); slash != std::string::npos && slash > 0;
         slash = path.rfind('/', slash - 1)) {
      auto parent = out.try_emplace(path.substr(0, slash), Normalized{});
      if (parent.first->second.type != EntryType::kDirectory) {
        return Status::Invalid("image path " + path + " is under a non-directory");
      }
      if (!parent.second) break;  // its own parents are there already
    }
  }
  return out;
}

// The layer tar of files.
Result<std::string> BuildLayer(const std::vector<LayerEntry>& files) {
  KUBEPP_ASSIGN_OR_RETURN(auto entries, NormalizeEntries(files));
  TarWriter tar;
  for (const auto& [path, n] : entries) {
    if (n.type == EntryType::kFile) {
      std::string data = n.entry->content;
      if (!n.entry->source.empty()) {
        KUBEPP_ASSIGN_OR_RETURN(data, ReadFile(n.entry->source));
      }
      KUBEPP_RETURN_IF_ERROR(tar.Add(path, n.type, n.mode, data));
    } else if (n.type == EntryType::kSymlink) {
      KUBEPP_RETURN_IF_ERROR(tar.Add(path, n.type, 0777, {}, n.entry->link_target));
    } else {
      KUBEPP_RETURN_IF_ERROR(tar.Add(path, n.type, n.mode));
    }
  }
  return tar.Finish();
}

json::array Strings(const std::vector<std::string>& v) {
  json::array out;
  for (const auto& s : v) out.emplace_back(s);
  return out;
}

json::object Descriptor(std::string_view media_type, const std::string& digest, size_t size) {
  return json::object{
      {"mediaType", media_type}, {"digest", digest}, {"size", static_cast<int64_t>(size)}};
}

// The tag of a reference ("kubepp" of "localhost/pause:kubepp"), "latest" without one.
std::string TagOf(const std::string& name) {
  size_t colon = name.rfind(':');
  size_t slash = name.rfind('/');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) {
    return "latest";
  }
  return name.substr(colon + 1);
}

Status WriteFileAtomically(const std::string& path, std::string_view data) {
  std::string tmp = path + ".tmp-XXXXXX";
  int fd = ::mkstemp(tmp.data());
  if (fd < 0) return Status::Internal(Errno("cannot create " + tmp));
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Status err = Status::Internal(Errno("writing " + tmp));
      ::close(fd);
      ::unlink(tmp.c_str());
      return err;
    }
    done += static_cast<size_t>(n);
  }
  if (::fchmod(fd, 0644) != 0 || ::close(fd) != 0) {
    Status err = Status::Internal(Errno("closing " + tmp));
    ::unlink(tmp.c_str());
    return err;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status err = Status::Internal(Errno("renaming to " + path));
    ::unlink(tmp.c_str());
    return err;
  }
  return Status::Ok();
}

// Runs argv and returns its standard output; Unavailable when it cannot run or fails.
Result<std::string> Output(const std::vector<std::string>& args) {
  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) return Status::Internal(Errno("pipe"));
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));  // NOLINT: execv API
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return Status::Internal(Errno("fork"));
  }
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  std::string out;
  std::array<char, 4096> buf{};
  while (true) {
    ssize_t n = ::read(fds[0], buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf.data(), static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
    return Status::Unavailable(args[0] + " failed (wait status " + std::to_string(wstatus) + ")");
  }
  return out;
}

}  // namespace

LayerEntry LayerEntry::File(std::string path, std::string content, uint32_t mode) {
  return {.path = std::move(path),
          .type = EntryType::kFile,
          .mode = mode,
          .content = std::move(content)};
}

LayerEntry LayerEntry::HostFile(std::string path, std::string source, uint32_t mode) {
  return {
      .path = std::move(path), .type = EntryType::kFile, .mode = mode, .source = std::move(source)};
}

LayerEntry LayerEntry::Directory(std::string path, uint32_t mode) {
  return {.path = std::move(path), .type = EntryType::kDirectory, .mode = mode};
}

LayerEntry LayerEntry::Symlink(std::string path, std::string target) {
  return {.path = std::move(path),
          .type = EntryType::kSymlink,
          .mode = 0777,
          .link_target = std::move(target)};
}

std::string HostArchitecture() {
#if defined(__x86_64__)
  return "amd64";
#elif defined(__aarch64__)
  return "arm64";
#elif defined(__arm__)
  return "arm";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return "ppc64le";
#elif defined(__s390x__)
  return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
  return "riscv64";
#else
  return "unknown";
#endif
}

Result<ImageDigests> WriteImageArchive(const ImageSpec& spec, const std::string& out_path) {
  if (spec.name.empty() || spec.name.find_first_of(" \t\n\"") != std::string::npos) {
    return Status::Invalid("bad image name \"" + spec.name + "\"");
  }
  KUBEPP_ASSIGN_OR_RETURN(std::string layer, BuildLayer(spec.files));
  ImageDigests digests;
  std::string layer_digest = Sha256Digest(layer);
  digests.layers.push_back(layer_digest);

  json::object container;
  if (!spec.user.empty()) container["User"] = spec.user;
  if (!spec.env.empty()) container["Env"] = Strings(spec.env);
  if (!spec.entrypoint.empty()) container["Entrypoint"] = Strings(spec.entrypoint);
  if (!spec.cmd.empty()) container["Cmd"] = Strings(spec.cmd);
  if (!spec.working_dir.empty()) container["WorkingDir"] = spec.working_dir;
  json::object config{
      // Fixed, so that a rebuild gives the same digests.
      {"created", "1970-01-01T00:00:00Z"},
      {"architecture", HostArchitecture()},
      {"os", "linux"},
      {"config", std::move(container)},
      {"rootfs",
       json::object{{"type", "layers"}, {"diff_ids", json::array{json::value(layer_digest)}}}},
      {"history",
       json::array{json::object{
           {"created", "1970-01-01T00:00:00Z"},
           {"created_by", spec.created_by.empty() ? "kubepp image build" : spec.created_by}}}},
  };
  std::string config_blob = json::serialize(config);
  digests.config = Sha256Digest(config_blob);

  json::object manifest{
      {"schemaVersion", 2},
      {"mediaType", kManifestMediaType},
      {"config", Descriptor(kConfigMediaType, digests.config, config_blob.size())},
      {"layers", json::array{Descriptor(kLayerMediaType, layer_digest, layer.size())}},
  };
  std::string manifest_blob = json::serialize(manifest);
  digests.manifest = Sha256Digest(manifest_blob);

  json::object index_entry = Descriptor(kManifestMediaType, digests.manifest, manifest_blob.size());
  index_entry["annotations"] =
      json::object{{kContainerdImageName, spec.name}, {kOciRefName, TagOf(spec.name)}};
  index_entry["platform"] = json::object{{"architecture", HostArchitecture()}, {"os", "linux"}};
  json::object index{
      {"schemaVersion", 2},
      {"mediaType", kOciLayoutMediaType},
      {"manifests", json::array{std::move(index_entry)}},
  };

  auto blob_path = [](const std::string& digest) {
    return "blobs/sha256/" + std::string(Hex(digest));
  };
  // docker save's manifest.json: the importer of docker archives reads the name from RepoTags.
  json::array docker_manifest{json::object{
      {"Config", blob_path(digests.config)},
      {"RepoTags", json::array{json::value(spec.name)}},
      {"Layers", json::array{json::value(blob_path(layer_digest))}},
  }};

  std::map<std::string, std::string_view> blobs = {
      {blob_path(layer_digest), layer},
      {blob_path(digests.config), config_blob},
      {blob_path(digests.manifest), manifest_blob},
  };
  TarWriter tar;
  KUBEPP_RETURN_IF_ERROR(tar.Add("blobs", EntryType::kDirectory, 0755));
  KUBEPP_RETURN_IF_ERROR(tar.Add("blobs/sha256", EntryType::kDirectory, 0755));
  for (const auto& [path, data] : blobs) {
    KUBEPP_RETURN_IF_ERROR(tar.Add(path, EntryType::kFile, 0644, data));
  }
  KUBEPP_RETURN_IF_ERROR(tar.Add("index.json", EntryType::kFile, 0644, json::serialize(index)));
  KUBEPP_RETURN_IF_ERROR(
      tar.Add("manifest.json", EntryType::kFile, 0644, json::serialize(docker_manifest)));
  KUBEPP_RETURN_IF_ERROR(
      tar.Add("oci-layout", EntryType::kFile, 0644, R"({"imageLayoutVersion":"1.0.0"})"));
  KUBEPP_ASSIGN_OR_RETURN(std::string archive_bytes, tar.Finish());
  KUBEPP_RETURN_IF_ERROR(WriteFileAtomically(out_path, archive_bytes));
  return digests;
}

ImageSpec PauseImage(const std::string& pause_binary) {
  return ImageSpec{
      .name = kPauseImageName,
      .files = {LayerEntry::HostFile("/pause", pause_binary, 0755)},
      .entrypoint = {"/pause"},
      .user = "65535:65535",
      .created_by = "kubepp image build pause",
  };
}

Result<ImageSpec> BusyboxImage(const std::string& busybox) {
  KUBEPP_ASSIGN_OR_RETURN(std::string list, Output({busybox, "--list-full"}));
  ImageSpec spec{
      .name = kBusyboxImageName,
      .cmd = {"sh"},
      .env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
      .created_by = "kubepp image build busybox",
  };
  spec.files.push_back(LayerEntry::HostFile("/bin/busybox", busybox, 0755));
  std::set<std::string> applets;
  std::istringstream lines(list);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line == "bin/busybox") continue;
    applets.insert(line);
  }
  if (!applets.contains("bin/sh")) {
    return Status::Unavailable(busybox + " --list-full has no bin/sh: not a full busybox");
  }
  for (const auto& applet : applets) {
    spec.files.push_back(LayerEntry::Symlink("/" + applet, "/bin/busybox"));
  }
  spec.files.push_back(LayerEntry::File("/etc/passwd",
                                        "root:x:0:0:root:/root:/bin/sh\n"
                                        "nobody:x:65534:65534:nobody:/home:/bin/false\n"));
  spec.files.push_back(LayerEntry::File("/etc/group", "root:x:0:\nnobody:x:65534:\n"));
  spec.files.push_back(LayerEntry::Directory("/tmp", 01777));
  spec.files.push_back(LayerEntry::Directory("/root", 0700));
  spec.files.push_back(LayerEntry::Directory("/home", 0755));
  return spec;
}

}  // namespace kubepp::cluster::image
