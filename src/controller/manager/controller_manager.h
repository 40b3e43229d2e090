// ControllerManager: runs the control loops of `kubepp controller-manager` (upstream's
// kube-controller-manager): picks the controllers named by --controllers from the table,
// campaigns for the kube-system/kube-controller-manager Lease (when leader election is on) and,
// while leading, runs every picked controller over one SharedInformerFactory.
//
//   ControllerManager cm(runtime, *client, options, DefaultControllers());
//   KUBEPP_RETURN_IF_ERROR(cm.Start());
//   runtime.WaitForSignal();   // returns early (0) when leadership is lost
//   cm.Stop();
//   return cm.LostLeadership() ? 1 : 0;
//
// Like upstream, leadership is held at most once: when it is lost the controllers stop and
// `on_lost` runs (the process then exits and is restarted by its supervisor); the lease is
// released on Stop() so a standby takes over at once.
// Threading: Start()/Stop() from a non-io thread. Controllers start and stop on the manager's
// own thread (never on an io thread: stopping waits for workers).
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "async/runtime.h"
#include "base/clock.h"
#include "base/status.h"
#include "client/informer.h"
#include "client/leader_election.h"
#include "client/rest_client.h"
#include "controller/controller.h"

namespace kubepp::controller {

struct ControllerManagerOptions {
  // --controllers: "*" (every controller on by default), "name" (enable), "-name" (disable).
  std::vector<std::string> controllers = {"*"};
  ControllerOptions controller_options;
  bool leader_elect = true;  // --leader-elect
  client::LeaderElectionConfig leader_election{
      .lease_namespace = "kube-system",         // --leader-elect-resource-namespace
      .lease_name = "kube-controller-manager",  // --leader-elect-resource-name
  };
  std::function<void()> on_lost;  // leadership was lost (manager thread)
};

// The controllers kubepp has, in start order.
std::span<const ControllerDescriptor> DefaultControllers();

// Which entries of `table` --controllers enables (upstream's IsControllerEnabled). Invalid for a
// name that is not in the table ("\"foo\" is not in the list of known controllers").
Result<std::vector<const ControllerDescriptor*>> SelectControllers(
    std::span<const ControllerDescriptor> table, const std::vector<std::string>& flags);

class ControllerManager {
 public:
  ControllerManager(async::Runtime& runtime, client::RestClient& client,
                    ControllerManagerOptions options, std::span<const ControllerDescriptor> table,
                    const Clock& clock = Clock::Real());
  ~ControllerManager();
  ControllerManager(const ControllerManager&) = delete;
  ControllerManager& operator=(const ControllerManager&) = delete;

  // Validates the options and starts campaigning (or runs the controllers at once without
  // leader election).
  Status Start();
  // Stops the controllers and the informers, releases the lease. Idempotent.
  void Stop();

  bool Leading() const { return leading_.load(); }
  bool LostLeadership() const { return lost_.load(); }
  // Names of the controllers running now.
  std::vector<std::string> Running() const;

 private:
  enum class Command { kNone, kLead, kLost, kStop };
  void Loop();
  void Post(Command c);
  void RunControllers();
  void StopControllers();

  async::Runtime& runtime_;                                   // io threads
  client::RestClient& client_;                                // API access
  ControllerManagerOptions options_;                          // settings
  std::vector<const ControllerDescriptor*> picked_;           // from --controllers
  Status selection_;                                          // why --controllers is invalid
  const Clock& clock_;                                        // time
  std::unique_ptr<client::LeaderElector> elector_;            // when leader-elect
  std::unique_ptr<client::SharedInformerFactory> informers_;  // while leading
  std::vector<std::pair<std::string, std::unique_ptr<Controller>>> running_;  // while leading

  std::thread thread_;                // runs Loop()
  mutable std::mutex mu_;             // guards commands_, running_ (names)
  std::condition_variable cv_;        // commands_ changed
  std::vector<Command> commands_;     // for Loop()
  std::atomic<bool> leading_{false};  // controllers running
  std::atomic<bool> lost_{false};     // leadership lost
  std::atomic<bool> started_{false};  // Start() ran
  std::atomic<bool> stopped_{false};  // Stop() ran
};

}  // namespace kubepp::controller
