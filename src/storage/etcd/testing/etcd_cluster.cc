#include "storage/etcd/testing/etcd_cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace kubepp::storage::testing {

namespace {

using namespace std::chrono_literals;

// A free TCP port on 127.0.0.1 (bound to port 0, then released: racy but fine for tests).
Result<int> FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return Status::Internal(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API.
  auto* sa = reinterpret_cast<sockaddr*>(&addr);
  if (::bind(fd, sa, sizeof(addr)) != 0 || ::getsockname(fd, sa, &len) != 0) {
    ::close(fd);
    return Status::Internal(std::string("bind: ") + std::strerror(errno));
  }
  ::close(fd);
  return static_cast<int>(ntohs(addr.sin_port));
}

// GET /health on 127.0.0.1:port; true when etcd answers {"health":"true"}.
bool Healthy(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  timeval tv{.tv_sec = 1, .tv_usec = 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API.
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return false;
  }
  std::string req = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    ::close(fd);
    return false;
  }
  std::string resp;
  std::array<char, 1024> buf{};
  while (true) {
    ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    if (n <= 0) break;
    resp.append(buf.data(), static_cast<size_t>(n));
  }
  ::close(fd);
  return resp.find(R"("health":"true")") != std::string::npos;
}

}  // namespace

EtcdCluster::EtcdCluster(EtcdClusterOptions options, std::string dir)
    : options_(std::move(options)), dir_(std::move(dir)) {}

Result<std::unique_ptr<EtcdCluster>> EtcdCluster::Start(const EtcdClusterOptions& options) {
  if (options.members < 1) return Status::BadRequest("an etcd cluster needs at least 1 member");
  if (::access(options.etcd_binary.c_str(), X_OK) != 0) {
    return Status::Unavailable("etcd binary " + options.etcd_binary + " is not executable");
  }
  std::string templ = (std::filesystem::temp_directory_path() / "kubepp-etcd-XXXXXX").string();
  if (::mkdtemp(templ.data()) == nullptr) {
    return Status::Internal(std::string("mkdtemp: ") + std::strerror(errno));
  }
  std::unique_ptr<EtcdCluster> cluster(new EtcdCluster(options, templ));
  for (int i = 0; i < options.members; ++i) {
    Member m;
    m.name = "m" + std::to_string(i);
    KUBEPP_ASSIGN_OR_RETURN(m.client_port, FreePort());
    KUBEPP_ASSIGN_OR_RETURN(m.peer_port, FreePort());
    m.client_endpoint = "127.0.0.1:" + std::to_string(m.client_port);
    if (!cluster->initial_cluster_.empty()) cluster->initial_cluster_ += ',';
    cluster->initial_cluster_ += m.name + "=http://127.0.0.1:" + std::to_string(m.peer_port);
    cluster->members_.push_back(std::move(m));
  }
  for (int i = 0; i < options.members; ++i) KUBEPP_RETURN_IF_ERROR(cluster->Launch(i));
  auto deadline = std::chrono::steady_clock::now() + options.start_timeout;
  for (int i = 0; i < options.members; ++i)
    KUBEPP_RETURN_IF_ERROR(cluster->WaitHealthy(i, deadline));
  return cluster;
}

EtcdCluster::~EtcdCluster() {
  for (int i = 0; i < Size(); ++i) (void)Kill(i);
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::vector<std::string> EtcdCluster::ClientEndpoints() const {
  std::vector<std::string> out;
  out.reserve(members_.size());
  for (const auto& m : members_) out.push_back(m.client_endpoint);
  return out;
}

const std::string& EtcdCluster::ClientEndpoint(int member) const {
  return members_.at(static_cast<size_t>(member)).client_endpoint;
}

bool EtcdCluster::IsRunning(int member) const {
  return members_.at(static_cast<size_t>(member)).pid > 0;
}

Status EtcdCluster::Launch(int member) {
  Member& m = members_.at(static_cast<size_t>(member));
  std::string client_url = "http://127.0.0.1:" + std::to_string(m.client_port);
  std::string peer_url = "http://127.0.0.1:" + std::to_string(m.peer_port);
  std::vector<std::string> args = {
      options_.etcd_binary,
      "--name",
      m.name,
      "--data-dir",
      dir_ + "/" + m.name,
      "--listen-client-urls",
      client_url,
      "--advertise-client-urls",
      client_url,
      "--listen-peer-urls",
      peer_url,
      "--initial-advertise-peer-urls",
      peer_url,
      "--initial-cluster",
      initial_cluster_,
      "--initial-cluster-state",
      "new",
      "--initial-cluster-token",
      "kubepp-test",
      // Room for a kMaxValueBytes value plus the request around it.
      "--max-request-bytes",
      "2097152",
      "--quota-backend-bytes",
      "8589934592",
      // Fast fail-over on loopback: a dead leader is replaced in about half a second.
      "--heartbeat-interval",
      "50",
      "--election-timeout",
      "500",
      "--logger",
      "zap",
      "--log-level",
      "warn",
  };
  std::string log_path = dir_ + "/" + m.name + ".log";
  std::vector<char*> argv;
  argv.reserve(args.size() + 1);
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return Status::Internal(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);
    int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  m.pid = pid;
  return Status::Ok();
}

Status EtcdCluster::WaitHealthy(int member, std::chrono::steady_clock::time_point deadline) {
  Member& m = members_.at(static_cast<size_t>(member));
  while (std::chrono::steady_clock::now() < deadline) {
    if (Healthy(m.client_port)) return Status::Ok();
    int wstatus = 0;
    if (m.pid > 0 && ::waitpid(m.pid, &wstatus, WNOHANG) == m.pid) {
      m.pid = -1;
      return Status::Unavailable("etcd member " + m.name +
                                 " exited during start: " + LogTail(member));
    }
    std::this_thread::sleep_for(50ms);
  }
  return Status::Unavailable("etcd member " + m.name + " at " + m.client_endpoint +
                             " did not become healthy: " + LogTail(member));
}

Status EtcdCluster::Kill(int member) {
  Member& m = members_.at(static_cast<size_t>(member));
  if (m.pid <= 0) return Status::Ok();
  ::kill(m.pid, SIGKILL);
  int wstatus = 0;
  while (::waitpid(m.pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  m.pid = -1;
  return Status::Ok();
}

Status EtcdCluster::Restart(int member) {
  KUBEPP_RETURN_IF_ERROR(Kill(member));
  KUBEPP_RETURN_IF_ERROR(Launch(member));
  return WaitHealthy(member, std::chrono::steady_clock::now() + options_.start_timeout);
}

std::string EtcdCluster::LogTail(int member) const {
  std::ifstream in(dir_ + "/" + members_.at(static_cast<size_t>(member)).name + ".log");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string all = ss.str();
  constexpr size_t kTail = 2000;
  return all.size() > kTail ? all.substr(all.size() - kTail) : all;
}

}  // namespace kubepp::storage::testing
