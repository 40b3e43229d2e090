// SchedulerServer: `kubepp scheduler` as a process part (upstream's cmd/kube-scheduler/app):
// campaigns for the kube-system/kube-scheduler Lease (when leader election is on) and, while
// leading, runs informers + Scheduler. Like upstream, leadership is held at most once: when it
// is lost scheduling stops and `on_lost` runs (the process exits and its supervisor restarts
// it); Stop() releases the Lease so a standby takes over at once.
//
//   SchedulerServer server(runtime, *client, options);
//   KUBEPP_RETURN_IF_ERROR(server.Start());
//   runtime.WaitForSignal();
//   server.Stop();
//
// Threading: Start()/Stop() from a non-io thread. The scheduler starts and stops on the
// server's own thread (never an io thread: stopping waits).
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "apiserver/http/http_server.h"
#include "async/runtime.h"
#include "base/clock.h"
#include "base/status.h"
#include "client/informer.h"
#include "client/leader_election.h"
#include "client/rest_client.h"
#include "scheduler/scheduler/scheduler.h"

namespace kubepp::scheduler {

struct SchedulerServerOptions {
  SchedulerOptions scheduler;
  bool leader_elect = true;
  client::LeaderElectionConfig leader_election{
      .lease_namespace = "kube-system",
      .lease_name = "kube-scheduler",
  };
  std::function<void()> on_lost;  // leadership was lost (server thread)
  // /healthz, /livez, /readyz and /metrics over plain HTTP (upstream's --secure-port 10259,
  // which is HTTPS there); port 0 picks a free port, < 0 serves nothing.
  std::string bind_address = "127.0.0.1";
  int port = 10259;
};

class SchedulerServer {
 public:
  SchedulerServer(async::Runtime& runtime, client::RestClient& client,
                  SchedulerServerOptions options, const Clock& clock = Clock::Real());
  ~SchedulerServer();
  SchedulerServer(const SchedulerServer&) = delete;
  SchedulerServer& operator=(const SchedulerServer&) = delete;

  // Checks the profiles (by building a scheduler once) and the leader election settings, then
  // campaigns (or schedules at once without leader election).
  kubepp::Status Start();
  void Stop();

  bool Leading() const { return leading_.load(); }
  // The port /metrics is served on (0 when not serving).
  int Port() const { return http_ ? http_->Port() : 0; }
  bool LostLeadership() const { return lost_.load(); }
  // The running scheduler (nullptr while not leading). Valid until Stop().
  Scheduler* Get() const;

 private:
  enum class Command { kLead, kLost, kStop };
  void Loop();
  void Post(Command c);
  void Run();
  void Halt();
  async::Task<apiserver::Response> Serve(apiserver::Request req);

  async::Runtime& runtime_;                                   // io threads
  client::RestClient& client_;                                // API access
  SchedulerServerOptions options_;                            // settings
  const Clock& clock_;                                        // time
  std::unique_ptr<client::LeaderElector> elector_;            // when leader-elect
  std::unique_ptr<client::SharedInformerFactory> informers_;  // while leading
  std::unique_ptr<Scheduler> scheduler_;                      // while leading
  std::unique_ptr<apiserver::HttpServer> http_;               // /metrics, /healthz
  std::thread thread_;                                        // runs Loop()
  mutable std::mutex mu_;                                     // guards commands_, scheduler_
  std::condition_variable cv_;                                // commands_ changed
  std::vector<Command> commands_;                             // for Loop()
  std::atomic<bool> leading_{false};
  std::atomic<bool> lost_{false};
  std::atomic<bool> started_{false};
  std::atomic<bool> stopped_{false};
};

}  // namespace kubepp::scheduler
