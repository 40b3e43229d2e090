#include "cluster/image/oci_image.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <boost/json.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "cluster/image/testing/tar_reader.h"

namespace kubepp::cluster::image {
namespace {

namespace json = boost::json;
using testing::ReadTar;
using testing::TarContents;
using namespace std::chrono_literals;

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Sha256(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md.data(), &len, EVP_sha256(), nullptr);
  std::string out = "sha256:";
  for (unsigned int i = 0; i < len; ++i) {
    std::array<char, 3> hex{};
    std::snprintf(hex.data(), hex.size(), "%02x", md[i]);
    out += hex.data();
  }
  return out;
}

std::string BlobPath(const std::string& digest) { return "blobs/sha256/" + digest.substr(7); }

class ImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ =
        (std::filesystem::temp_directory_path() / "kubepp-image-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Writes spec to dir_/file and reads the archive back.
  TarContents Build(const ImageSpec& spec, const std::string& file, ImageDigests* digests) {
    auto written = WriteImageArchive(spec, dir_ + "/" + file);
    EXPECT_TRUE(written.IsOk()) << written.status().ToString();
    if (!written.IsOk()) return {};
    *digests = *written;
    auto contents = ReadTar(Slurp(dir_ + "/" + file));
    EXPECT_TRUE(contents.IsOk()) << contents.status().ToString();
    return contents.IsOk() ? *contents : TarContents{};
  }

  std::string dir_;  // temporary directory for archives
};

// The archive is an OCI layout plus docker's manifest.json; every blob is named by its sha256,
// every descriptor matches its blob, the diff_id is the layer's digest.
TEST_F(ImageTest, PauseArchiveStructure) {
  ImageDigests d;
  TarContents tar = Build(PauseImage(KUBEPP_PAUSE_BINARY), "pause.tar", &d);
  ASSERT_FALSE(tar.entries.empty());

  EXPECT_EQ(json::parse(tar.entries.at("oci-layout").data).at("imageLayoutVersion"), "1.0.0");
  for (const auto& [path, e] : tar.entries) {
    EXPECT_EQ(e.uid, 0) << path;
    EXPECT_EQ(e.gid, 0) << path;
    EXPECT_EQ(e.mtime, 0) << path;
    if (path.starts_with("blobs/sha256/")) {
      EXPECT_EQ("blobs/sha256/" + Sha256(e.data).substr(7), path);
    }
  }

  json::value index = json::parse(tar.entries.at("index.json").data);
  EXPECT_EQ(index.at("schemaVersion"), 2);
  const auto& manifests = index.at("manifests").as_array();
  ASSERT_EQ(manifests.size(), 1U);
  const auto& entry = manifests[0];
  EXPECT_EQ(entry.at("mediaType"), "application/vnd.oci.image.manifest.v1+json");
  EXPECT_EQ(entry.at("digest"), json::value(d.manifest));
  EXPECT_EQ(entry.at("annotations").at("io.containerd.image.name"), "localhost/pause:kubepp");
  EXPECT_EQ(entry.at("annotations").at("org.opencontainers.image.ref.name"), "kubepp");
  EXPECT_EQ(entry.at("platform").at("architecture"), json::value(HostArchitecture()));
  EXPECT_EQ(entry.at("platform").at("os"), "linux");

  const std::string& manifest_blob = tar.entries.at(BlobPath(d.manifest)).data;
  EXPECT_EQ(entry.at("size"), static_cast<int64_t>(manifest_blob.size()));
  json::value manifest = json::parse(manifest_blob);
  EXPECT_EQ(manifest.at("schemaVersion"), 2);
  EXPECT_EQ(manifest.at("mediaType"), "application/vnd.oci.image.manifest.v1+json");
  EXPECT_EQ(manifest.at("config").at("mediaType"), "application/vnd.oci.image.config.v1+json");
  EXPECT_EQ(manifest.at("config").at("digest"), json::value(d.config));
  const std::string& config_blob = tar.entries.at(BlobPath(d.config)).data;
  EXPECT_EQ(manifest.at("config").at("size"), static_cast<int64_t>(config_blob.size()));
  const auto& layers = manifest.at("layers").as_array();
  ASSERT_EQ(layers.size(), 1U);
  ASSERT_EQ(d.layers.size(), 1U);
  EXPECT_EQ(layers[0].at("mediaType"), "application/vnd.oci.image.layer.v1.tar");
  EXPECT_EQ(layers[0].at("digest"), json::value(d.layers[0]));
  const std::string& layer_blob = tar.entries.at(BlobPath(d.layers[0])).data;
  EXPECT_EQ(layers[0].at("size"), static_cast<int64_t>(layer_blob.size()));

  json::value config = json::parse(config_blob);
  EXPECT_EQ(config.at("architecture"), json::value(HostArchitecture()));
  EXPECT_EQ(config.at("os"), "linux");
  EXPECT_EQ(config.at("config").at("Entrypoint"), json::array{"/pause"});
  EXPECT_EQ(config.at("rootfs").at("type"), "layers");
  EXPECT_EQ(config.at("rootfs").at("diff_ids"), json::array{json::value(Sha256(layer_blob))});
  EXPECT_EQ(config.at("history").as_array().size(), 1U);

  json::value docker = json::parse(tar.entries.at("manifest.json").data);
  ASSERT_EQ(docker.as_array().size(), 1U);
  EXPECT_EQ(docker.at(0).at("Config"), json::value(BlobPath(d.config)));
  EXPECT_EQ(docker.at(0).at("RepoTags"), json::array{"localhost/pause:kubepp"});
  EXPECT_EQ(docker.at(0).at("Layers"), json::array{json::value(BlobPath(d.layers[0]))});

  // The layer holds exactly /pause: the built binary, executable.
  auto layer = ReadTar(layer_blob);
  ASSERT_TRUE(layer.IsOk()) << layer.status().ToString();
  ASSERT_EQ(layer->order, std::vector<std::string>{"pause"});
  const auto& pause = layer->entries.at("pause");
  EXPECT_EQ(pause.type, EntryType::kFile);
  EXPECT_EQ(pause.mode, 0755U);
  EXPECT_EQ(pause.uid, 0);
  EXPECT_EQ(pause.mtime, 0);
  EXPECT_EQ(pause.data, Slurp(KUBEPP_PAUSE_BINARY));
}

TEST_F(ImageTest, SameInputSameDigestsAndBytes) {
  ImageDigests a;
  ImageDigests b;
  Build(PauseImage(KUBEPP_PAUSE_BINARY), "a.tar", &a);
  Build(PauseImage(KUBEPP_PAUSE_BINARY), "b.tar", &b);
  EXPECT_EQ(a.manifest, b.manifest);
  EXPECT_EQ(a.config, b.config);
  EXPECT_EQ(a.layers, b.layers);
  EXPECT_EQ(Slurp(dir_ + "/a.tar"), Slurp(dir_ + "/b.tar"));

  auto spec = BusyboxImage();
  ASSERT_TRUE(spec.IsOk()) << spec.status().ToString();
  ImageSpec reversed = *spec;
  std::reverse(reversed.files.begin(), reversed.files.end());
  Build(*spec, "c.tar", &a);
  Build(reversed, "d.tar", &b);
  EXPECT_EQ(a.manifest, b.manifest) << "entry order must not matter";
}

TEST_F(ImageTest, BusyboxLayer) {
  auto spec = BusyboxImage();
  ASSERT_TRUE(spec.IsOk()) << spec.status().ToString();
  ImageDigests d;
  TarContents tar = Build(*spec, "busybox.tar", &d);
  ASSERT_FALSE(tar.entries.empty());
  json::value index = json::parse(tar.entries.at("index.json").data);
  EXPECT_EQ(index.at("manifests").at(0).at("annotations").at("io.containerd.image.name"),
            "localhost/busybox:1.35");
  EXPECT_EQ(index.at("manifests").at(0).at("annotations").at("org.opencontainers.image.ref.name"),
            "1.35");
  json::value config = json::parse(tar.entries.at(BlobPath(d.config)).data);
  EXPECT_EQ(config.at("config").at("Cmd"), json::array{"sh"});
  EXPECT_EQ(config.at("config").at("Env"),
            json::array{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"});

  auto layer = ReadTar(tar.entries.at(BlobPath(d.layers.at(0))).data);
  ASSERT_TRUE(layer.IsOk()) << layer.status().ToString();
  const auto& e = layer->entries;
  EXPECT_TRUE(std::is_sorted(layer->order.begin(), layer->order.end()));
  EXPECT_EQ(e.at("bin/busybox").type, EntryType::kFile);
  EXPECT_EQ(e.at("bin/busybox").mode, 0755U);
  EXPECT_EQ(e.at("bin/busybox").data, Slurp("/bin/busybox"));
  for (const char* applet : {"bin/sh", "bin/ls", "usr/bin/wget", "bin/sleep", "sbin/ip"}) {
    ASSERT_TRUE(e.contains(applet)) << applet;
    EXPECT_EQ(e.at(applet).type, EntryType::kSymlink) << applet;
    EXPECT_EQ(e.at(applet).link_target, "/bin/busybox") << applet;
  }
  for (const char* dir : {"bin", "sbin", "usr", "usr/bin", "usr/sbin", "etc", "root"}) {
    ASSERT_TRUE(e.contains(dir)) << dir;
    EXPECT_EQ(e.at(dir).type, EntryType::kDirectory) << dir;
  }
  EXPECT_EQ(e.at("tmp").type, EntryType::kDirectory);
  EXPECT_EQ(e.at("tmp").mode, 01777U);
  EXPECT_TRUE(e.at("etc/passwd").data.starts_with("root:x:0:0:root:/root:/bin/sh\n"));
  EXPECT_NE(e.at("etc/passwd").data.find("nobody:x:65534:65534:"), std::string::npos);
  EXPECT_NE(e.at("etc/group").data.find("root:x:0:"), std::string::npos);
  for (const auto& [path, entry] : e) {
    EXPECT_EQ(entry.uid, 0) << path;
    EXPECT_EQ(entry.mtime, 0) << path;
  }
}

TEST_F(ImageTest, AddsParentsAndRejectsBadPaths) {
  ImageSpec spec{.name = "localhost/t:1", .files = {LayerEntry::File("/a/b/c", "x")}};
  ImageDigests d;
  TarContents tar = Build(spec, "t.tar", &d);
  auto layer = ReadTar(tar.entries.at(BlobPath(d.layers.at(0))).data);
  ASSERT_TRUE(layer.IsOk());
  EXPECT_EQ(layer->order, (std::vector<std::string>{"a", "a/b", "a/b/c"}));
  EXPECT_EQ(layer->entries.at("a/b").mode, 0755U);
  EXPECT_EQ(layer->entries.at("a/b/c").data, "x");
  EXPECT_EQ(layer->entries.at("a/b/c").mode, 0644U);

  auto out = dir_ + "/bad.tar";
  spec.files = {LayerEntry::File("/a/../b", "x")};
  EXPECT_TRUE(WriteImageArchive(spec, out).status().IsInvalid());
  spec.files = {LayerEntry::File("/a", "x"), LayerEntry::File("a", "y")};
  EXPECT_TRUE(WriteImageArchive(spec, out).status().IsInvalid());
  spec.files = {LayerEntry::File("/a", "x"), LayerEntry::File("/a/b", "y")};
  EXPECT_TRUE(WriteImageArchive(spec, out).status().IsInvalid());
  spec.files = {LayerEntry::HostFile("/a", dir_ + "/missing")};
  EXPECT_TRUE(WriteImageArchive(spec, out).status().IsNotFound());
  spec.files = {};
  spec.name = "";
  EXPECT_TRUE(WriteImageArchive(spec, out).status().IsInvalid());
  EXPECT_FALSE(std::filesystem::exists(out));
}

// Signal bits the process with pid catches (/proc/<pid>/status SigCgt).
uint64_t CaughtSignals(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("SigCgt:")) return std::stoull(line.substr(7), nullptr, 16);
  }
  return 0;
}

// Waits (up to 10 s) until pid has installed its SIGTERM handler.
bool WaitForHandler(pid_t pid) {
  for (int i = 0; i < 1000; ++i) {
    if ((CaughtSignals(pid) & (uint64_t{1} << (SIGTERM - 1))) != 0) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

TEST(PauseTest, ExitsZeroOnSigtermAndSigint) {
  for (int sig : {SIGTERM, SIGINT}) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 2);
      ::execl(KUBEPP_PAUSE_BINARY, KUBEPP_PAUSE_BINARY, nullptr);
      ::_exit(127);
    }
    ASSERT_TRUE(WaitForHandler(pid));
    ASSERT_EQ(::kill(pid, sig), 0);
    int wstatus = 0;
    ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
    EXPECT_TRUE(WIFEXITED(wstatus)) << "signal " << sig << " status " << wstatus;
    EXPECT_EQ(WEXITSTATUS(wstatus), 0);
  }
}

// As PID 1 of a new PID namespace, pause reaps an orphan that exits there.
TEST(PauseTest, ReapsOrphansAsPid1) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root for a PID namespace";
  // A fork into a new PID namespace: the child is its PID 1.
  auto pause_pid = static_cast<pid_t>(::syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, 0, 0, 0, 0));
  ASSERT_GE(pause_pid, 0) << std::strerror(errno);
  if (pause_pid == 0) {
    ::execl(KUBEPP_PAUSE_BINARY, KUBEPP_PAUSE_BINARY, nullptr);
    ::_exit(127);
  }
  ASSERT_TRUE(WaitForHandler(pause_pid));

  // helper joins the namespace and forks parent, the first process in it after pause; parent
  // forks orphan, reports orphan's pid (as the host sees it) and exits. orphan exits at once:
  // now a zombie whose parent is the namespace's init, which alone can reap it.
  std::array<int, 2> fds{};
  ASSERT_EQ(::pipe(fds.data()), 0);
  pid_t helper = ::fork();
  ASSERT_GE(helper, 0);
  if (helper == 0) {
    std::string ns = "/proc/" + std::to_string(pause_pid) + "/ns/pid";
    int fd = ::open(ns.c_str(), O_RDONLY);
    if (fd < 0 || ::setns(fd, CLONE_NEWPID) != 0) ::_exit(1);
    pid_t parent = ::fork();
    if (parent == 0) {
      if (::fork() == 0) ::_exit(0);
      // Our /proc is the host's: it shows the child's host pid.
      pid_t host_pid = 0;
      std::ifstream("/proc/thread-self/children") >> host_pid;
      (void)!::write(fds[1], &host_pid, sizeof(host_pid));
      ::_exit(0);
    }
    int status = 0;
    ::_exit(::waitpid(parent, &status, 0) == parent ? 0 : 1);
  }
  ::close(fds[1]);
  pid_t orphan = 0;
  ASSERT_EQ(::read(fds[0], &orphan, sizeof(orphan)), static_cast<ssize_t>(sizeof(orphan)));
  ASSERT_GT(orphan, 0);
  ::close(fds[0]);
  int wstatus = 0;
  ASSERT_EQ(::waitpid(helper, &wstatus, 0), helper);
  ASSERT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);

  bool gone = false;
  for (int i = 0; i < 1000 && !gone; ++i) {
    gone = !std::filesystem::exists("/proc/" + std::to_string(orphan));
    if (!gone) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(gone) << "orphan " << orphan << " was not reaped";

  ASSERT_EQ(::kill(pause_pid, SIGTERM), 0);
  ASSERT_EQ(::waitpid(pause_pid, &wstatus, 0), pause_pid);
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) << wstatus;
}

}  // namespace
}  // namespace kubepp::cluster::image
