// Imports the pause and busybox archives into a throwaway containerd (its own root, state and
// socket under a temporary directory) with `ctr images import`, checks `ctr images ls` names
// them, and runs a busybox container with `ctr run`.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "cluster/image/oci_image.h"

namespace kubepp::cluster::image {
namespace {

using namespace std::chrono_literals;

constexpr const char* kContainerd = "/usr/bin/containerd";
constexpr const char* kCtr = "/usr/bin/ctr";

// What a finished command printed (stdout and stderr together) and its exit code.
struct Ran {
  int code = -1;
  std::string output;
};

Ran RunCommand(const std::vector<std::string>& args) {
  std::array<int, 2> fds{};
  if (::pipe2(fds.data(), O_CLOEXEC) != 0) return {};
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));  // NOLINT: execv API
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  Ran ran;
  std::array<char, 4096> buf{};
  while (true) {
    ssize_t n = ::read(fds[0], buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    ran.output.append(buf.data(), static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  ran.code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
  return ran;
}

bool CanConnect(const std::string& socket_path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof(addr.sun_path) - 1);
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API.
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ContainerdImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "containerd needs root";
    if (::access(kContainerd, X_OK) != 0 || ::access(kCtr, X_OK) != 0) {
      GTEST_SKIP() << "containerd/ctr not installed";
    }
    std::string templ = "/tmp/kubepp-ctrd-XXXXXX";
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    dir_ = templ;
    socket_ = dir_ + "/containerd.sock";
    std::ofstream(dir_ + "/config.toml") << "version = 2\n"
                                         << "root = \"" << dir_ << "/root\"\n"
                                         << "state = \"" << dir_
                                         << "/state\"\n"
                                         // Only what import and `ctr run` use: no CRI
                                         // (no CNI, no streaming server), no /opt/containerd.
                                         << "disabled_plugins = [\n"
                                         << "  \"io.containerd.grpc.v1.cri\",\n"
                                         << "  \"io.containerd.internal.v1.opt\",\n"
                                         << "  \"io.containerd.snapshotter.v1.aufs\",\n"
                                         << "  \"io.containerd.snapshotter.v1.btrfs\",\n"
                                         << "  \"io.containerd.snapshotter.v1.devmapper\",\n"
                                         << "  \"io.containerd.snapshotter.v1.zfs\",\n"
                                         << "  \"io.containerd.tracing.processor.v1.otlp\",\n"
                                         << "]\n"
                                         << "[grpc]\n"
                                         << "  address = \"" << socket_ << "\"\n"
                                         << "[ttrpc]\n"
                                         << "  address = \"" << socket_ << ".ttrpc\"\n"
                                         << "[plugins.\"io.containerd.grpc.v1.cri\"]\n"
                                         << "  restrict_oom_score_adj = true\n";
    std::string config = dir_ + "/config.toml";
    std::string log = dir_ + "/containerd.log";
    pid_t parent = ::getpid();
    pid_ = ::fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(1);
      // containerd 1.6 and its shims keep sockets and runc state under /run/containerd
      // whatever the config says: give them a private, empty /run in their own mount
      // namespace, which also keeps every snapshot and rootfs mount off the host.
      if (::unshare(CLONE_NEWNS) != 0 ||
          ::mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0 ||
          ::mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0) {
        ::_exit(126);
      }
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      ::execl(kContainerd, kContainerd, "--config", config.c_str(), nullptr);
      ::_exit(127);
    }
    for (int i = 0; i < 3000 && !CanConnect(socket_); ++i) {
      int wstatus = 0;
      if (::waitpid(pid_, &wstatus, WNOHANG) == pid_) {
        pid_ = -1;
        FAIL() << "containerd exited: " << Slurp(log);
      }
      std::this_thread::sleep_for(10ms);
    }
    ASSERT_TRUE(CanConnect(socket_)) << "containerd did not listen: " << Slurp(log);
  }

  void TearDown() override {
    if (dir_.empty()) return;
    for (const auto& id : containers_) {
      (void)Ctr({"task", "kill", "-s", "SIGKILL", id});
      (void)Ctr({"task", "rm", "-f", id});
      (void)Ctr({"containers", "rm", id});
    }
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int wstatus = 0;
      bool exited = false;
      for (int i = 0; i < 1000 && !exited; ++i) {
        exited = ::waitpid(pid_, &wstatus, WNOHANG) == pid_;
        if (!exited) std::this_thread::sleep_for(10ms);
      }
      if (!exited) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &wstatus, 0);
      }
    }
    // Snapshot and rootfs mounts left under the directory, deepest first.
    std::vector<std::string> mounts;
    std::ifstream mountinfo("/proc/self/mountinfo");
    for (std::string line; std::getline(mountinfo, line);) {
      std::istringstream fields(line);
      std::string id, parent_id, dev, root, point;
      fields >> id >> parent_id >> dev >> root >> point;
      if (point.starts_with(dir_ + "/")) mounts.push_back(point);
    }
    std::sort(mounts.rbegin(), mounts.rend());
    for (const auto& m : mounts) ::umount2(m.c_str(), MNT_DETACH);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    EXPECT_FALSE(ec) << ec.message();
  }

  Ran Ctr(std::vector<std::string> args) {
    args.insert(args.begin(), {kCtr, "--address", socket_, "-n", "k8s.io"});
    return RunCommand(args);
  }

  std::string dir_;                      // temporary directory holding everything
  std::string socket_;                   // containerd's gRPC socket
  pid_t pid_ = -1;                       // the containerd process
  std::vector<std::string> containers_;  // containers to remove in teardown
};

TEST_F(ContainerdImportTest, ImportsListsAndRuns) {
  auto busybox = BusyboxImage();
  ASSERT_TRUE(busybox.IsOk()) << busybox.status().ToString();
  auto pause = WriteImageArchive(PauseImage(KUBEPP_PAUSE_BINARY), dir_ + "/pause.tar");
  ASSERT_TRUE(pause.IsOk()) << pause.status().ToString();
  auto bb = WriteImageArchive(*busybox, dir_ + "/busybox.tar");
  ASSERT_TRUE(bb.IsOk()) << bb.status().ToString();

  for (const char* tar : {"/pause.tar", "/busybox.tar"}) {
    Ran ran = Ctr({"images", "import", dir_ + tar});
    ASSERT_EQ(ran.code, 0) << ran.output;
  }
  Ran ls = Ctr({"images", "ls", "-q"});
  ASSERT_EQ(ls.code, 0) << ls.output;
  // Exactly the two names: nothing else (no ref-name-only or digest-named extras).
  EXPECT_EQ(ls.output, "localhost/busybox:1.35\nlocalhost/pause:kubepp\n");
  Ran full = Ctr({"images", "ls"});
  EXPECT_NE(full.output.find(pause->manifest), std::string::npos) << full.output;
  EXPECT_NE(full.output.find(bb->manifest), std::string::npos) << full.output;

  // A container from the image: ctr gives it a new, empty network namespace (no CNI needed).
  containers_.emplace_back("kubepp-t1");
  Ran run = Ctr({"run", "--rm", "--fifo-dir", dir_ + "/fifo", "localhost/busybox:1.35", "kubepp-t1",
                 "/bin/echo", "hello"});
  EXPECT_EQ(run.code, 0) << run.output;
  EXPECT_EQ(run.output, "hello\n");

  // The pause image runs as its own sandbox process and stops on SIGTERM with exit 0.
  containers_.emplace_back("kubepp-p1");
  Ran start =
      Ctr({"run", "-d", "--fifo-dir", dir_ + "/fifo", "localhost/pause:kubepp", "kubepp-p1"});
  ASSERT_EQ(start.code, 0) << start.output;
  Ran kill = Ctr({"task", "kill", "-s", "SIGTERM", "kubepp-p1"});
  ASSERT_EQ(kill.code, 0) << kill.output;
  bool stopped = false;
  for (int i = 0; i < 1000 && !stopped; ++i) {
    Ran tasks = Ctr({"task", "ls"});
    stopped = tasks.output.find("STOPPED") != std::string::npos;
    if (!stopped) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(stopped);
  Ran rm = Ctr({"task", "rm", "kubepp-p1"});
  EXPECT_EQ(rm.code, 0) << rm.output;
  // ctr warns "task ... exit with non-zero exit code N" when the task did not exit 0.
  EXPECT_EQ(rm.output.find("non-zero exit code"), std::string::npos) << rm.output;
}

}  // namespace
}  // namespace kubepp::cluster::image
