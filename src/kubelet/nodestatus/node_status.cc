#include "kubelet/nodestatus/node_status.h"

#include <algorithm>
#include <utility>

#include "api/quantity.h"
#include "base/log.h"
#include "base/version.h"
#include "client/typed.h"

namespace kubepp::kubelet {
namespace {

constexpr char kAttachDetachAnnotation[] = "volumes.kubernetes.io/controller-managed-attach-detach";
constexpr int64_t kEvictionHardMemoryBytes = 100LL * 1024 * 1024;  // memory.available<100Mi
constexpr int64_t kEvictionHardNodefsPercent = 10;                 // nodefs.available<10%

std::map<std::string, std::string> DefaultLabels(const NodeStatusOptions& o, const MachineInfo& m) {
  return {
      {"kubernetes.io/hostname", o.hostname.empty() ? o.node_name : o.hostname},
      {"kubernetes.io/os", "linux"},
      {"kubernetes.io/arch", m.architecture},
      {"beta.kubernetes.io/os", "linux"},
      {"beta.kubernetes.io/arch", m.architecture},
  };
}

// Runs an API call to completion from the status thread (BlockOn needs a default-constructible
// result, so it travels in an optional).
template <typename T>
async::Task<std::optional<T>> Wrap(async::Task<T> task) {
  co_return co_await std::move(task);
}
template <typename T>
T Call(async::Runtime& runtime, async::Task<T> task) {
  auto out = async::BlockOn(runtime.Executor(), Wrap(std::move(task)));
  return std::move(*out);
}

api::Quantity Ki(int64_t bytes) { return api::Quantity{std::to_string(bytes / 1024) + "Ki"}; }

api::NodeCondition Condition(const std::string& type, bool is_true, const std::string& reason,
                             const std::string& message) {
  api::NodeCondition c;
  c.type = type;
  c.status = is_true ? "True" : "False";
  c.reason = reason;
  c.message = message;
  return c;
}

}  // namespace

api::Node InitialNode(const NodeStatusOptions& options, const MachineInfo& machine) {
  api::Node n;
  n.metadata.name = options.node_name;
  n.metadata.labels = options.node_labels;
  for (auto& [k, v] : DefaultLabels(options, machine)) n.metadata.labels[k] = v;
  n.metadata.annotations[kAttachDetachAnnotation] = "true";
  n.spec.taints = options.register_with_taints;
  if (!options.pod_cidr.empty()) {
    n.spec.podCIDR = options.pod_cidr;
    n.spec.podCIDRs = {options.pod_cidr};
  }
  return n;
}

void SetNodeStatus(api::Node& node, const NodeStatusOptions& options, const MachineInfo& machine,
                   const RuntimeState& runtime, Clock::WallTime now) {
  api::NodeStatus& s = node.status;
  const std::string now_text = FormatRfc3339(now);

  s.capacity = {
      {"cpu", api::Quantity{std::to_string(machine.num_cores)}},
      {"memory", Ki(machine.memory_capacity_bytes)},
      {"pods", api::Quantity{std::to_string(options.max_pods)}},
      {"ephemeral-storage", Ki(machine.fs_capacity_bytes)},
      {"hugepages-1Gi", api::Quantity{"0"}},
      {"hugepages-2Mi", api::Quantity{"0"}},
  };
  const int64_t memory =
      std::max<int64_t>(0, machine.memory_capacity_bytes - kEvictionHardMemoryBytes);
  const int64_t storage =
      machine.fs_capacity_bytes - machine.fs_capacity_bytes * kEvictionHardNodefsPercent / 100;
  s.allocatable = s.capacity;
  s.allocatable["memory"] = Ki(memory);
  s.allocatable["ephemeral-storage"] = api::Quantity{std::to_string(storage)};

  s.addresses.clear();
  if (!options.node_ip.empty()) {
    s.addresses.push_back(api::NodeAddress{.address = options.node_ip, .type = "InternalIP"});
  }
  s.addresses.push_back(
      api::NodeAddress{.address = options.hostname.empty() ? options.node_name : options.hostname,
                       .type = "Hostname"});
  s.daemonEndpoints = api::NodeDaemonEndpoints{};
  s.daemonEndpoints->kubeletEndpoint = api::DaemonEndpoint{.Port = options.kubelet_port};

  api::NodeSystemInfo info;
  info.machineID = machine.machine_id;
  info.systemUUID = machine.system_uuid;
  info.bootID = machine.boot_id;
  info.kernelVersion = machine.kernel_version;
  info.osImage = machine.os_image;
  info.containerRuntimeVersion = runtime.version;
  info.kubeletVersion = kKubernetesVersion;
  info.operatingSystem = "linux";
  info.architecture = machine.architecture;
  s.nodeInfo = std::move(info);

  // Upstream's condition setters, in upstream's order.
  std::vector<api::NodeCondition> want = {
      Condition("MemoryPressure", false, "KubeletHasSufficientMemory",
                "kubelet has sufficient memory available"),
      Condition("DiskPressure", false, "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
      Condition("PIDPressure", false, "KubeletHasSufficientPID",
                "kubelet has sufficient PID available"),
      runtime.ready
          ? Condition("Ready", true, "KubeletReady", "kubelet is posting ready status")
          : Condition("Ready", false, "KubeletNotReady",
                      runtime.message.empty() ? "container runtime is down" : runtime.message),
  };
  for (auto& c : want) {
    c.lastHeartbeatTime = now_text;
    c.lastTransitionTime = now_text;
    for (const auto& old : s.conditions) {
      if (old.type == c.type && old.status == c.status && !old.lastTransitionTime.empty()) {
        c.lastTransitionTime = old.lastTransitionTime;
      }
    }
  }
  // Conditions others own (e.g. NetworkUnavailable) stay.
  for (const auto& old : s.conditions) {
    bool ours = std::any_of(want.begin(), want.end(),
                            [&](const api::NodeCondition& c) { return c.type == old.type; });
    if (!ours) want.push_back(old);
  }
  s.conditions = std::move(want);
}

namespace {
// Quantities as the API server writes them back (8388608Ki reads 8Gi).
void Canonicalize(std::map<std::string, api::Quantity>& quantities) {
  for (auto& [name, q] : quantities) {
    if (auto parsed = api::ParseQuantity(q.text); parsed.IsOk()) q = parsed->ToQuantity();
  }
}
}  // namespace

bool NodeStatusChanged(const api::NodeStatus& a, const api::NodeStatus& b) {
  api::NodeStatus x = a;
  api::NodeStatus y = b;
  Canonicalize(x.capacity);
  Canonicalize(x.allocatable);
  Canonicalize(y.capacity);
  Canonicalize(y.allocatable);
  for (auto& c : x.conditions) c.lastHeartbeatTime.clear();
  for (auto& c : y.conditions) c.lastHeartbeatTime.clear();
  return !(x == y);
}

bool ReconcileExistingNode(const api::Node& want, api::Node& existing) {
  bool changed = false;
  for (const char* key : {"kubernetes.io/hostname", "kubernetes.io/os", "kubernetes.io/arch",
                          "beta.kubernetes.io/os", "beta.kubernetes.io/arch"}) {
    auto it = want.metadata.labels.find(key);
    if (it == want.metadata.labels.end()) continue;
    auto& cur = existing.metadata.labels[key];
    if (cur != it->second) {
      cur = it->second;
      changed = true;
    }
  }
  auto& ann = existing.metadata.annotations[kAttachDetachAnnotation];
  if (ann != "true") {
    ann = "true";
    changed = true;
  }
  return changed;
}

// ---- NodeStatusManager

NodeStatusManager::NodeStatusManager(async::Runtime& runtime, client::RestClient& client,
                                     NodeStatusOptions options, MachineInfo machine,
                                     std::function<RuntimeState()> runtime_state,
                                     const Clock& clock)
    : runtime_(runtime),
      client_(client),
      options_(std::move(options)),
      machine_(std::move(machine)),
      runtime_state_(std::move(runtime_state)),
      clock_(clock) {}

NodeStatusManager::~NodeStatusManager() { Stop(); }

void NodeStatusManager::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { Run(); });
}

void NodeStatusManager::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool NodeStatusManager::Sleep(Clock::Duration d) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, d, [this] { return stopping_; });
  return !stopping_;
}

void NodeStatusManager::Run() {
  // Registration, retried with back-off (upstream: 100 ms doubling to 7 s).
  Clock::Duration backoff = std::chrono::milliseconds(100);
  for (;;) {
    kubepp::Status s = Register();
    if (s.IsOk()) break;
    KLOG_WARNING("kubelet: unable to register node {} with the API server: {}", options_.node_name,
                 s.ToString());
    if (!Sleep(backoff)) return;
    backoff = std::min<Clock::Duration>(backoff * 2, std::chrono::seconds(7));
  }
  registered_.store(true);
  KLOG_INFO("kubelet: registered node {}", options_.node_name);

  Clock::TimePoint next_status = clock_.Now() + options_.status_update_frequency;
  Clock::TimePoint next_lease = clock_.Now();
  for (;;) {
    const Clock::TimePoint now = clock_.Now();
    if (now >= next_lease) {
      if (kubepp::Status s = RenewLease(); !s.IsOk()) {
        KLOG_WARNING("kubelet: renewing the node lease: {}", s.ToString());
      }
      next_lease = now + options_.lease_renew_interval;
    }
    if (now >= next_status) {
      if (kubepp::Status s = UpdateStatus(false); !s.IsOk()) {
        KLOG_WARNING("kubelet: updating node status: {}", s.ToString());
      }
      next_status = now + options_.status_update_frequency;
    }
    const Clock::TimePoint wake = std::min(next_lease, next_status);
    if (!Sleep(std::max<Clock::Duration>(wake - clock_.Now(), Clock::Duration::zero()))) return;
  }
}

kubepp::Status NodeStatusManager::Register() {
  client::TypedClient<api::Node> nodes(client_);
  api::Node want = InitialNode(options_, machine_);
  SetNodeStatus(want, options_, machine_, runtime_state_(), clock_.WallNow());
  auto created = Call(runtime_, nodes.Create(want));
  if (created.IsOk()) {
    last_ = std::move(*created);
    // The API server keeps the status given on create; the first report is this one.
    last_report_ = clock_.Now();
    return kubepp::Status::Ok();
  }
  if (!created.status().IsAlreadyExists()) return created.status();
  // It exists (our restart, or made by someone): reconcile labels, then post our status.
  std::string name = options_.node_name;
  auto got = Call(runtime_, nodes.Get(name));
  if (!got.IsOk()) return got.status();
  api::Node existing = std::move(*got);
  if (ReconcileExistingNode(want, existing)) {
    auto updated = Call(runtime_, nodes.Update(existing));
    if (!updated.IsOk()) return updated.status();
    existing = std::move(*updated);
  }
  last_ = std::move(existing);
  return UpdateStatus(true);
}

kubepp::Status NodeStatusManager::UpdateStatus(bool force) {
  client::TypedClient<api::Node> nodes(client_);
  const RuntimeState runtime = runtime_state_();
  // upstream's nodeStatusUpdateRetry
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (!last_.has_value() || attempt > 0) {
      std::string name = options_.node_name;
      auto got = Call(runtime_, nodes.Get(name));
      if (!got.IsOk()) return got.status();
      last_ = std::move(*got);
    }
    api::Node node = *last_;
    SetNodeStatus(node, options_, machine_, runtime, clock_.WallNow());
    const bool due = clock_.Now() - last_report_ >= options_.status_report_frequency;
    if (!force && !due && !NodeStatusChanged(last_->status, node.status)) {
      return kubepp::Status::Ok();
    }
    auto updated = Call(runtime_, nodes.UpdateStatus(node));
    if (updated.IsOk()) {
      last_ = std::move(*updated);
      last_report_ = clock_.Now();
      return kubepp::Status::Ok();
    }
    if (!updated.status().IsConflict()) return updated.status();
  }
  return kubepp::Status::Conflict("update node status exceeds retry count");
}

kubepp::Status NodeStatusManager::RenewLease() {
  client::TypedClient<api::Lease> leases(client_, kNodeLeaseNamespace);
  std::string name = options_.node_name;
  auto got = Call(runtime_, leases.Get(name));
  if (!got.IsOk() && !got.status().IsNotFound()) return got.status();
  api::Lease lease;
  if (got.IsOk()) lease = std::move(*got);
  lease.metadata.name = options_.node_name;
  lease.metadata.namespace_ = kNodeLeaseNamespace;
  lease.spec.holderIdentity = options_.node_name;
  lease.spec.leaseDurationSeconds = options_.lease_duration_seconds;
  lease.spec.renewTime = FormatRfc3339Micro(clock_.WallNow());
  // Owned by the Node, so that deleting the Node deletes its Lease (upstream's
  // setNodeOwnerFunc).
  if (lease.metadata.ownerReferences.empty() && last_.has_value() && !last_->metadata.uid.empty()) {
    api::OwnerReference ref;
    ref.apiVersion = "v1";
    ref.kind = "Node";
    ref.name = last_->metadata.name;
    ref.uid = last_->metadata.uid;
    lease.metadata.ownerReferences.push_back(std::move(ref));
  }
  if (got.IsOk()) {
    auto r = Call(runtime_, leases.Update(lease));
    return r.status();
  }
  auto r = Call(runtime_, leases.Create(lease));
  return r.status();
}

}  // namespace kubepp::kubelet
