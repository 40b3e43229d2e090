#include "controller/manager/controller_manager.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <climits>
#include <random>
#include <ranges>

#include "base/log.h"
#include "controller/cronjob/cronjob_controller.h"
#include "controller/daemonset/daemonset_controller.h"
#include "controller/deployment/deployment_controller.h"
#include "controller/disruption/disruption_controller.h"
#include "controller/endpoint/endpoints_controller.h"
#include "controller/endpoint/endpointslice_controller.h"
#include "controller/garbagecollector/garbage_collector.h"
#include "controller/job/job_controller.h"
#include "controller/namespace_controller.h"
#include "controller/node/node_ipam_controller.h"
#include "controller/node/node_lifecycle_controller.h"
#include "controller/node/pod_gc_controller.h"
#include "controller/replicaset/replicaset_controller.h"
#include "controller/resourcequota/resource_quota_controller.h"
#include "controller/serviceaccount/serviceaccounts_controller.h"
#include "controller/statefulset/statefulset_controller.h"
#include "controller/ttlafterfinished/ttlafterfinished_controller.h"

namespace kubepp::controller {

std::span<const ControllerDescriptor> DefaultControllers() {
  // Upstream's names (1.28+) and the aliases they replaced.
  static const std::array kTable = {
      ControllerDescriptor{"serviceaccount-controller", "serviceaccount", false,
                           &NewServiceAccountController},
      ControllerDescriptor{"garbage-collector-controller", "garbagecollector", false,
                           [](const ControllerContext& ctx) { return NewGarbageCollector(ctx); }},
      ControllerDescriptor{"namespace-controller", "namespace", false, &NewNamespaceController},
      ControllerDescriptor{"replicaset-controller", "replicaset", false, &NewReplicaSetController},
      ControllerDescriptor{"deployment-controller", "deployment", false, &NewDeploymentController},
      ControllerDescriptor{"endpoints-controller", "endpoint", false, &NewEndpointsController},
      ControllerDescriptor{"endpointslice-controller", "endpointslice", false,
                           &NewEndpointSliceController},
      ControllerDescriptor{"job-controller", "job", false,
                           [](const ControllerContext& ctx) { return NewJobController(ctx); }},
      ControllerDescriptor{"node-ipam-controller", "nodeipam", false, &NewNodeIpamController},
      ControllerDescriptor{"node-lifecycle-controller", "nodelifecycle", false,
                           &NewNodeLifecycleController},
      ControllerDescriptor{"pod-garbage-collector-controller", "podgc", false,
                           [](const ControllerContext& ctx) { return NewPodGcController(ctx); }},
      ControllerDescriptor{
          "statefulset-controller", "statefulset", false,
          [](const ControllerContext& ctx) { return NewStatefulSetController(ctx); }},
      ControllerDescriptor{
          "daemonset-controller", "daemonset", false,
          [](const ControllerContext& ctx) { return NewDaemonSetController(ctx); }},
      ControllerDescriptor{"cronjob-controller", "cronjob", false,
                           [](const ControllerContext& ctx) { return NewCronJobController(ctx); }},
      ControllerDescriptor{
          "ttl-after-finished-controller", "ttl-after-finished", false,
          [](const ControllerContext& ctx) { return NewTtlAfterFinishedController(ctx); }},
      ControllerDescriptor{
          "resourcequota-controller", "resourcequota", false,
          [](const ControllerContext& ctx) { return NewResourceQuotaController(ctx); }},
      ControllerDescriptor{
          "disruption-controller", "disruption", false,
          [](const ControllerContext& ctx) { return NewDisruptionController(ctx); }},
  };
  return kTable;
}

Result<std::vector<const ControllerDescriptor*>> SelectControllers(
    std::span<const ControllerDescriptor> table, const std::vector<std::string>& flags) {
  auto known = [&](std::string_view name) {
    return std::any_of(table.begin(), table.end(), [&](const ControllerDescriptor& d) {
      return d.name == name || d.alias == name;
    });
  };
  bool star = false;
  for (const auto& f : flags) {
    if (f == "*") {
      star = true;
      continue;
    }
    std::string_view name = f;
    if (!name.empty() && name.front() == '-') name.remove_prefix(1);
    if (!known(name)) {
      return Status::Invalid("\"" + std::string(name) +
                             "\" is not in the list of known controllers");
    }
  }
  std::vector<const ControllerDescriptor*> out;
  for (const auto& d : table) {
    auto named = [&](std::string_view prefix) {
      return std::any_of(flags.begin(), flags.end(), [&](const std::string& f) {
        std::string_view v = f;
        if (!v.starts_with(prefix)) return false;
        v.remove_prefix(prefix.size());
        return v == d.name || (!d.alias.empty() && v == d.alias);
      });
    };
    bool enabled = false;
    if (named("-")) {
      enabled = false;
    } else if (named("")) {
      enabled = true;
    } else {
      enabled = star && !d.disabled_by_default;
    }
    if (enabled) out.push_back(&d);
  }
  return out;
}

ControllerManager::ControllerManager(async::Runtime& runtime, client::RestClient& client,
                                     ControllerManagerOptions options,
                                     std::span<const ControllerDescriptor> table,
                                     const Clock& clock)
    : runtime_(runtime), client_(client), options_(std::move(options)), clock_(clock) {
  auto picked = SelectControllers(table, options_.controllers);
  if (picked.IsOk()) {
    picked_ = std::move(*picked);
  } else {
    selection_ = picked.status();
  }
}

ControllerManager::~ControllerManager() { Stop(); }

Status ControllerManager::Start() {
  KUBEPP_CHECK(!started_.exchange(true), "ControllerManager started twice");
  if (!selection_.IsOk()) return selection_;
  thread_ = std::thread([this] { Loop(); });
  if (!options_.leader_elect) {
    Post(Command::kLead);
    return Status::Ok();
  }
  client::LeaderElectionConfig config = options_.leader_election;
  if (config.identity.empty()) config.identity = client::DefaultLeaderIdentity();
  config.on_started_leading = [this] { Post(Command::kLead); };
  config.on_stopped_leading = [this] {
    if (!stopped_.load()) Post(Command::kLost);
  };
  config.on_new_leader = [id = config.identity](const std::string& leader) {
    if (leader != id) KLOG_INFO("controller-manager: the leader is {}", leader);
  };
  if (Status s = client::LeaderElector::Validate(config); !s.IsOk()) {
    Post(Command::kStop);
    thread_.join();
    return s;
  }
  KLOG_INFO("controller-manager: campaigning for lease {}/{} as {}", config.lease_namespace,
            config.lease_name, config.identity);
  elector_ = std::make_unique<client::LeaderElector>(client_, runtime_.Executor(), config, clock_);
  elector_->Start();
  return Status::Ok();
}

void ControllerManager::Stop() {
  if (!started_.load() || stopped_.exchange(true)) return;
  // Controllers first (they stop writing), then the lease is released.
  Post(Command::kStop);
  if (thread_.joinable()) thread_.join();
  if (elector_) elector_->Stop();
}

std::vector<std::string> ControllerManager::Running() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> names;
  names.reserve(running_.size());
  for (const auto& [name, c] : running_) names.push_back(name);
  return names;
}

void ControllerManager::Post(Command c) {
  {
    std::lock_guard lock(mu_);
    commands_.push_back(c);
  }
  cv_.notify_all();
}

void ControllerManager::Loop() {
  while (true) {
    Command c = Command::kNone;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return !commands_.empty(); });
      c = commands_.front();
      commands_.erase(commands_.begin());
    }
    switch (c) {
      case Command::kLead:
        if (!leading_.load() && !lost_.load() && !stopped_.load()) RunControllers();
        break;
      case Command::kLost:
        KLOG_ERROR("controller-manager: leader election lost");
        StopControllers();
        lost_.store(true);
        if (options_.on_lost) options_.on_lost();
        return;
      case Command::kStop:
        StopControllers();
        return;
      case Command::kNone:
        break;
    }
  }
}

void ControllerManager::RunControllers() {
  informers_ = std::make_unique<client::SharedInformerFactory>(client_, runtime_.Executor(),
                                                               client::InformerOptions{}, clock_);
  ControllerContext ctx;
  ctx.client = &client_;
  ctx.informers = informers_.get();
  ctx.executor = runtime_.Executor();
  ctx.clock = &clock_;
  ctx.options = options_.controller_options;
  std::vector<std::pair<std::string, std::unique_ptr<Controller>>> made;
  for (const ControllerDescriptor* d : picked_) {
    auto c = d->factory(ctx);
    if (!c) {
      KLOG_WARNING("controller-manager: {} is not started", d->name);
      continue;
    }
    made.emplace_back(std::string(d->name), std::move(c));
  }
  informers_->Start();
  for (auto& [name, c] : made) {
    c->Start();
    KLOG_INFO("controller-manager: started {}", name);
  }
  {
    std::lock_guard lock(mu_);
    running_ = std::move(made);
  }
  leading_.store(true);
}

void ControllerManager::StopControllers() {
  std::vector<std::pair<std::string, std::unique_ptr<Controller>>> running;
  {
    std::lock_guard lock(mu_);
    running.swap(running_);
  }
  // A controller that is slow to stop is worth a line: its standby waits for the lease.
  auto timed = [](std::string_view what, const std::function<void()>& fn) {
    auto start = std::chrono::steady_clock::now();
    fn();
    auto took = std::chrono::steady_clock::now() - start;
    if (took > std::chrono::seconds(1)) {
      KLOG_INFO("controller-manager: stopping {} took {} ms", what,
                std::chrono::duration_cast<std::chrono::milliseconds>(took).count());
    }
  };
  for (auto& [name, controller] : std::ranges::reverse_view(running)) {
    Controller* c = controller.get();
    timed(name, [c] { c->Stop(); });
  }
  if (informers_) timed("the shared informers", [this] { informers_->Stop(); });
  running.clear();
  informers_.reset();
  leading_.store(false);
}

}  // namespace kubepp::controller
