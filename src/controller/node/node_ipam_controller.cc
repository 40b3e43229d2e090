#include "controller/node/node_ipam_controller.h"

#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "base/log.h"
#include "client/event_recorder.h"
#include "client/rate_limiter.h"
#include "client/typed.h"
#include "controller/node/cidr_set.h"
#include "controller/queue_worker.h"

namespace kubepp::controller {
namespace {

class NodeIpamController final : public Controller {
 public:
  NodeIpamController(const ControllerContext& ctx, node::CidrSet cidrs)
      : client_(ctx.client),
        clock_(ctx.clock != nullptr ? *ctx.clock : Clock::Real()),
        nodes_(ctx.informers->For<api::Node>()),
        cidrs_(std::move(cidrs)),
        recorder_(*ctx.client, ctx.executor, client::EventSourceInfo{"cidrAllocator", ""}, clock_),
        workers_("node-ipam", ctx.executor, client::DefaultControllerRateLimiter(clock_), clock_,
                 [this](std::string name) { return Sync(std::move(name)); }) {
    client::ResourceEventHandler<api::Node> h;
    h.on_add = [this](const std::shared_ptr<const api::Node>& n) {
      if (n->spec.podCIDR.empty()) workers_.Queue().Add(n->metadata.name);
    };
    h.on_update = [this](const std::shared_ptr<const api::Node>& /*old_node*/,
                         const std::shared_ptr<const api::Node>& n) {
      if (n->spec.podCIDR.empty()) workers_.Queue().Add(n->metadata.name);
    };
    h.on_delete = [this](const std::shared_ptr<const api::Node>& n, bool /*unknown*/) {
      std::lock_guard lock(mu_);
      auto it = allocated_.find(n->metadata.name);
      std::string cidr = it != allocated_.end() ? it->second : n->spec.podCIDR;
      if (it != allocated_.end()) allocated_.erase(it);
      if (!cidr.empty() && initialized_) {
        Status s = cidrs_.Release(cidr);
        if (!s.IsOk()) KLOG_WARNING("node ipam: releasing {}: {}", cidr, s.ToString());
        // Nodes waiting for a subnet (range full, backing off) may have one now.
        for (const auto& waiting : nodes_.GetLister().List()) {
          if (waiting->spec.podCIDR.empty()) workers_.Queue().Add(waiting->metadata.name);
        }
      }
    };
    nodes_.AddEventHandler(std::move(h));
  }
  ~NodeIpamController() override { Stop(); }
  NodeIpamController(const NodeIpamController&) = delete;
  NodeIpamController& operator=(const NodeIpamController&) = delete;

  // Controller
  void Start() override {
    client::Informer<api::Node> nodes = nodes_;
    workers_.Start(1, [nodes] { return nodes.HasSynced(); });
  }
  void Stop() override {
    workers_.Stop();
    recorder_.Stop();
  }

 private:
  // Marks the subnets of every node in the cache used (once, before the first allocation).
  void InitializeLocked() {
    if (initialized_) return;
    initialized_ = true;
    for (const auto& n : nodes_.GetLister().List()) {
      if (n->spec.podCIDR.empty()) continue;
      Status s = cidrs_.Occupy(n->spec.podCIDR);
      if (!s.IsOk()) {
        KLOG_WARNING("node ipam: node {} has {}: {}", n->metadata.name, n->spec.podCIDR,
                     s.ToString());
        continue;
      }
      allocated_[n->metadata.name] = n->spec.podCIDR;
    }
  }

  async::Task<SyncResult> Sync(std::string name) {
    auto n = nodes_.GetLister().Get("", name);
    std::optional<std::string> cidr;
    {
      std::lock_guard lock(mu_);
      InitializeLocked();
      if (n == nullptr) co_return SyncResult{};
      if (!n->spec.podCIDR.empty()) {
        if (cidrs_.Occupy(n->spec.podCIDR).IsOk()) allocated_[name] = n->spec.podCIDR;
        co_return SyncResult{};
      }
      // Allocated by us and patched, the cache not there yet.
      if (allocated_.count(name) != 0) co_return SyncResult{};
      auto next = cidrs_.AllocateNext();
      if (next.IsOk()) {
        cidr = *next;
        allocated_[name] = *cidr;
      }
    }
    if (!cidr.has_value()) {
      recorder_.Event(*n, client::kEventTypeNormal, "CIDRNotAvailable",
                      "Node " + name + " status is now: CIDRNotAvailable");
      co_return SyncResult{Status::Unavailable("no CIDR left for node " + name), std::nullopt};
    }
    std::string patch =
        R"({"spec":{"podCIDR":")" + *cidr + R"(","podCIDRs":[")" + *cidr + R"("]}})";
    client::TypedClient<api::Node> nodes(*client_);
    auto r = co_await nodes.Patch(name, client::PatchType::kMerge, std::move(patch));
    if (!r.IsOk()) {
      std::lock_guard lock(mu_);
      allocated_.erase(name);
      (void)cidrs_.Release(*cidr);
      if (r.status().IsNotFound()) co_return SyncResult{};
      co_return SyncResult{r.status(), std::nullopt};
    }
    KLOG_INFO("node ipam: node {} gets {}", name, *cidr);
    co_return SyncResult{};
  }

  client::RestClient* client_;                    // API access
  const Clock& clock_;                            // back-off
  client::Informer<api::Node> nodes_;             // nodes
  std::mutex mu_;                                 // guards the fields below
  node::CidrSet cidrs_;                           // the cluster CIDR's subnets
  std::map<std::string, std::string> allocated_;  // node name -> its subnet
  bool initialized_ = false;                      // existing nodes' subnets are marked
  client::EventRecorder recorder_;                // CIDRNotAvailable
  QueueWorkers workers_;                          // node names
};

// What runs when IPAM is off: nothing.
class DisabledController final : public Controller {
 public:
  void Start() override {}
  void Stop() override {}
};

}  // namespace

std::unique_ptr<Controller> NewNodeIpamController(const ControllerContext& ctx) {
  if (!ctx.options.allocate_node_cidrs) return std::make_unique<DisabledController>();
  auto cidrs = node::CidrSet::Create(ctx.options.cluster_cidr, ctx.options.node_cidr_mask_size);
  if (!cidrs.IsOk()) {
    KLOG_ERROR("node ipam: {}; not allocating node CIDRs", cidrs.status().ToString());
    return std::make_unique<DisabledController>();
  }
  return std::make_unique<NodeIpamController>(ctx, std::move(*cidrs));
}

}  // namespace kubepp::controller
