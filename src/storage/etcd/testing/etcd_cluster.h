// EtcdCluster: real etcd processes (Debian's etcd-server) on loopback, for tests and benches.
//
// Start() launches 1 or 3 members on free 127.0.0.1 ports in a fresh temporary directory and
// waits until every member answers /health; the destructor kills every member it started (by
// PID, SIGKILL) and removes the directory. Kill()/Restart() simulate a member crash and its
// return. Not thread-safe: one test thread drives a cluster. Members die with the test process
// (PR_SET_PDEATHSIG), so a crashed test leaves no etcd behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"

namespace kubepp::storage::testing {

struct EtcdClusterOptions {
  int members = 1;                                 // 1 or 3 (any odd number works)
  std::string etcd_binary = "/usr/bin/etcd";       // the etcd server to run
  std::chrono::milliseconds start_timeout{30000};  // per Start()/Restart(), until healthy
};

// A running etcd cluster owned by the test that started it.
class EtcdCluster {
 public:
  // Starts the members and waits until they are healthy. ServiceUnavailable (with the tail
  // of the member's log) when etcd is missing or does not become healthy in time.
  static Result<std::unique_ptr<EtcdCluster>> Start(const EtcdClusterOptions& options = {});
  ~EtcdCluster();
  EtcdCluster(const EtcdCluster&) = delete;
  EtcdCluster& operator=(const EtcdCluster&) = delete;

  // "127.0.0.1:port" of every member's client URL, in member order.
  std::vector<std::string> ClientEndpoints() const;
  // "127.0.0.1:port" of one member.
  const std::string& ClientEndpoint(int member) const;
  int Size() const { return static_cast<int>(members_.size()); }
  bool IsRunning(int member) const;
  // kill -9 of one member; returns once the process is reaped.
  Status Kill(int member);
  // Starts a killed member again on the same ports and data dir; waits until it is healthy.
  Status Restart(int member);
  // The temporary directory holding every member's data dir and log.
  const std::string& Dir() const { return dir_; }

 private:
  // One etcd process.
  struct Member {
    std::string name;             // "m0", "m1", ...
    int client_port = 0;          // client URL port on 127.0.0.1
    int peer_port = 0;            // peer URL port on 127.0.0.1
    std::string client_endpoint;  // "127.0.0.1:<client_port>"
    pid_t pid = -1;               // the running process, -1 when not running
  };

  EtcdCluster(EtcdClusterOptions options, std::string dir);
  Status Launch(int member);
  Status WaitHealthy(int member, std::chrono::steady_clock::time_point deadline);
  std::string LogTail(int member) const;

  EtcdClusterOptions options_;   // how the cluster was asked for
  std::string dir_;              // temporary directory removed by the destructor
  std::string initial_cluster_;  // --initial-cluster value naming every member
  std::vector<Member> members_;  // every member, running or not
};

}  // namespace kubepp::storage::testing
