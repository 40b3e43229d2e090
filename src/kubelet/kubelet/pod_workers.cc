#include "kubelet/kubelet/pod_workers.h"

#include <algorithm>
#include <utility>

#include "base/log.h"
#include "client/typed.h"
#include "kubelet/podactions/pod_actions.h"
#include "kubelet/status/pod_status.h"

namespace kubepp::kubelet {
namespace {

template <typename T>
async::Task<std::optional<T>> Wrap(async::Task<T> task) {
  co_return co_await std::move(task);
}
// Runs an API call to completion from a worker thread.
template <typename T>
T Call(async::Runtime& runtime, async::Task<T> task) {
  auto out = async::BlockOn(runtime.Executor(), Wrap(std::move(task)));
  return std::move(*out);
}

std::string KeyOf(const api::ObjectMeta& m) { return m.namespace_ + "/" + m.name; }

std::chrono::seconds GracePeriod(const api::Pod& pod) {
  if (pod.metadata.deletionGracePeriodSeconds.has_value()) {
    return std::chrono::seconds(*pod.metadata.deletionGracePeriodSeconds);
  }
  return std::chrono::seconds(pod.spec.terminationGracePeriodSeconds.value_or(30));
}

// The container's restart count (its annotation; 0 without one).
int32_t RestartCountOf(const cri::v1::ContainerStatus& c) {
  auto it = c.annotations().find(kContainerRestartCountAnnotation);
  if (it == c.annotations().end()) return 0;
  try {
    return std::stoi(it->second);
  } catch (...) {
    return 0;
  }
}

// The newest and the one-before CRI containers named `name` (view.containers is newest first).
void Latest(const PodRuntimeView& view, const std::string& name, ContainerRuntimeState& out) {
  for (const auto& c : view.containers) {
    if (ContainerName(c) != name) continue;
    if (!out.current.has_value()) {
      out.current = c;
    } else if (!out.previous.has_value()) {
      out.previous = c;
      break;
    }
  }
  if (out.current.has_value()) out.restart_count = RestartCountOf(*out.current);
}

}  // namespace

PodWorkers::PodWorkers(async::Runtime& runtime, client::RestClient& client, cri::CriClient& cri,
                       PodWorkersOptions options, const Clock& clock)
    : runtime_(runtime), client_(client), cri_(cri), options_(std::move(options)), clock_(clock) {
  client::InformerOptions io;
  io.field_selector = "spec.nodeName=" + options_.node_name;
  informer_ = std::make_unique<client::SharedInformer>(client_, runtime_.Executor(),
                                                       client::CodecFor<api::Pod>(), io, clock_);
  EnvSources sources;
  sources.config_map = [this](const std::string& ns, const std::string& name) {
    auto r = GetConfigMap(ns, name);
    return r.IsOk() ? *r : nullptr;
  };
  sources.secret = [this](const std::string& ns, const std::string& name) {
    auto r = GetSecret(ns, name);
    return r.IsOk() ? *r : nullptr;
  };
  runtime_manager_ = std::make_unique<RuntimeManager>(cri_, options_.config, std::move(sources));
}

PodWorkers::~PodWorkers() { Stop(); }

void PodWorkers::Start() {
  client::EventHandler h;
  h.on_add = [this](const client::ObjectPtr& obj) {
    Enqueue(KeyOf(static_cast<const api::Pod*>(obj.get())->metadata));
  };
  h.on_update = [this](const client::ObjectPtr&, const client::ObjectPtr& obj) {
    Enqueue(KeyOf(static_cast<const api::Pod*>(obj.get())->metadata));
  };
  informer_->AddEventHandler(std::move(h));
  informer_->Start();
  for (int i = 0; i < std::max(1, options_.workers); ++i) threads_.emplace_back([this] { Work(); });
  threads_.emplace_back([this] { Relist(); });
}

void PodWorkers::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
  informer_->Stop();
}

void PodWorkers::Enqueue(const std::string& key) {
  std::lock_guard lock(mu_);
  if (active_.contains(key)) {
    dirty_.insert(key);
    return;
  }
  if (queued_.insert(key).second) {
    queue_.push_back(key);
    cv_.notify_one();
  }
}

void PodWorkers::Work() {
  for (;;) {
    std::string key;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      key = queue_.front();
      queue_.pop_front();
      queued_.erase(key);
      active_.insert(key);
    }
    SyncPod(key);
    std::lock_guard lock(mu_);
    active_.erase(key);
    if (dirty_.erase(key) > 0 && queued_.insert(key).second) {
      queue_.push_back(key);
      cv_.notify_one();
    }
  }
}

void PodWorkers::Relist() {
  while (!informer_->WaitForSync(std::chrono::milliseconds(200))) {
    std::lock_guard lock(mu_);
    if (stopping_) return;
  }
  for (;;) {
    {
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, options_.resync, [this] { return stopping_; })) return;
    }
    client::Lister<api::Pod> lister(&informer_->Store());
    for (const auto& pod : lister.List()) Enqueue(KeyOf(pod->metadata));
    CleanupOrphans();
  }
}

void PodWorkers::CleanupOrphans() {
  // Sandboxes whose pod the API server no longer has (deleted while we were away, or deleted
  // for good by us): remove them and their containers.
  auto sandboxes = cri_.ListPodSandbox({});
  if (!sandboxes.IsOk()) return;
  client::Lister<api::Pod> lister(&informer_->Store());
  std::set<std::string> live;
  for (const auto& pod : lister.List()) live.insert(pod->metadata.uid);
  std::set<std::string> orphans;
  for (const auto& s : sandboxes->items()) {
    auto it = s.labels().find(kPodUidLabel);
    if (it != s.labels().end() && !live.contains(it->second)) orphans.insert(it->second);
  }
  for (const auto& uid : orphans) {
    if (Status s = runtime_manager_->KillPod(uid, std::chrono::seconds(2), true); !s.IsOk()) {
      KLOG_WARNING("kubelet: removing the sandboxes of deleted pod {}: {}", uid, s.ToString());
    }
    std::lock_guard lock(mu_);
    memory_.erase(uid);
  }
}

void PodWorkers::SyncPod(const std::string& key) {
  client::Lister<api::Pod> lister(&informer_->Store());
  const auto slash = key.find('/');
  auto pod = lister.Get(key.substr(0, slash), key.substr(slash + 1));
  if (pod == nullptr) return;  // gone: CleanupOrphans removes what is left
  if (!pod->metadata.deletionTimestamp.empty()) {
    SyncDeleted(*pod);
  } else {
    SyncRunning(*pod);
  }
}

void PodWorkers::SyncDeleted(const api::Pod& pod) {
  // Upstream's SyncTerminatingPod: every container stopped with the grace period, then the
  // sandboxes; the status manager then deletes the object for good.
  const std::string& uid = pod.metadata.uid;
  if (Status s = runtime_manager_->KillPod(uid, GracePeriod(pod), /*remove=*/true); !s.IsOk()) {
    KLOG_WARNING("kubelet: killing pod {}/{}: {}", pod.metadata.namespace_, pod.metadata.name,
                 s.ToString());
    return;
  }
  client::TypedClient<api::Pod> pods(client_, pod.metadata.namespace_);
  client::DeleteOptions opts;
  opts.grace_period_seconds = 0;
  opts.precondition_uid = uid;
  std::string name = pod.metadata.name;
  Status s = Call(runtime_, pods.Delete(name, opts));
  if (!s.IsOk() && !s.IsNotFound() && !s.IsConflict()) {
    KLOG_WARNING("kubelet: deleting pod {}/{}: {}", pod.metadata.namespace_, pod.metadata.name,
                 s.ToString());
  }
  std::lock_guard lock(mu_);
  memory_.erase(uid);
}

void PodWorkers::SyncRunning(const api::Pod& pod) {
  const std::string& uid = pod.metadata.uid;
  std::shared_ptr<PodMemory> memory;
  {
    std::lock_guard lock(mu_);
    auto& slot = memory_[uid];
    if (slot == nullptr) slot = std::make_shared<PodMemory>();
    memory = slot;  // shared: CleanupOrphans may drop the map's entry meanwhile
  }
  auto view = runtime_manager_->GetPodState(uid);
  if (!view.IsOk()) {
    KLOG_WARNING("kubelet: reading pod {}/{} from the runtime: {}", pod.metadata.namespace_,
                 pod.metadata.name, view.status().ToString());
    return;
  }
  const bool terminal = pod.status.phase == "Succeeded" || pod.status.phase == "Failed";
  if (terminal) {
    // Nothing restarts; stop whatever still runs (the sandbox stays for logs until deletion).
    bool running = std::any_of(view->containers.begin(), view->containers.end(), [](const auto& c) {
      return c.state() == cri::v1::CONTAINER_RUNNING;
    });
    if (running) (void)runtime_manager_->KillPod(uid, GracePeriod(pod), /*remove=*/false);
    return;
  }

  const Clock::WallTime now = clock_.WallNow();
  PodActions actions = ComputePodActions(pod, view->sandboxes, view->containers, {}, backoff_, now);
  if (actions.kill_pod) {
    if (Status s = runtime_manager_->KillPod(uid, GracePeriod(pod), /*remove=*/false); !s.IsOk()) {
      KLOG_WARNING("kubelet: killing pod {}/{}: {}", pod.metadata.namespace_, pod.metadata.name,
                   s.ToString());
      return;
    }
  } else {
    for (const auto& [id, kill] : actions.containers_to_kill) {
      KLOG_INFO("kubelet: {}", kill.message);
      (void)runtime_manager_->KillContainer(id, GracePeriod(pod));
    }
  }

  SandboxInfo sandbox;
  const bool starting =
      !actions.init_containers_to_start.empty() || !actions.containers_to_start.empty();
  if (actions.create_sandbox) {
    auto made = runtime_manager_->RunSandbox(pod, actions.attempt);
    if (!made.IsOk()) {
      KLOG_WARNING("kubelet: creating the sandbox of pod {}/{}: {}", pod.metadata.namespace_,
                   pod.metadata.name, made.status().ToString());
      return;
    }
    sandbox = std::move(*made);
  } else if (starting) {
    sandbox.id = actions.sandbox_id;
    sandbox.config = MakeSandboxConfig(pod, actions.attempt, runtime_manager_->Options());
    for (const auto& s : view->sandboxes) {
      if (s.id() == sandbox.id) sandbox.ip = s.network().ip();
    }
  }

  auto start = [&](const api::Container& c) {
    ContainerRuntimeState prior;
    Latest(*view, c.name, prior);
    // Upstream: the restart count of a new container is the previous one's + 1.
    const auto restarts =
        static_cast<uint32_t>(prior.current.has_value() ? prior.restart_count + 1 : 0);
    ContainerStartError err;
    auto id = runtime_manager_->StartContainer(pod, sandbox, c, restarts, {}, &err);
    if (id.IsOk()) {
      memory->waiting.erase(c.name);
      return true;
    }
    memory->waiting[c.name] = {err.reason, err.message};
    KLOG_WARNING("kubelet: starting container {} of pod {}/{}: {}: {}", c.name,
                 pod.metadata.namespace_, pod.metadata.name, err.reason, err.message);
    return false;
  };
  for (size_t i : actions.init_containers_to_start) {
    if (!start(pod.spec.initContainers[i])) break;
  }
  for (size_t i : actions.containers_to_start) start(pod.spec.containers[i]);
  for (const auto& [name, message] : actions.backoff) {
    memory->waiting[name] = {kReasonCrashLoopBackOff, message};
  }

  // Re-read the runtime only when this sync changed it; the relist of a settled pod costs one
  // read.
  const bool acted =
      actions.kill_pod || actions.create_sandbox || starting || !actions.containers_to_kill.empty();
  if (!acted) {
    WriteStatus(pod, *memory, *view);
    return;
  }
  auto fresh = runtime_manager_->GetPodState(uid);
  if (fresh.IsOk()) WriteStatus(pod, *memory, *fresh);
}

void PodWorkers::WriteStatus(const api::Pod& pod, const PodMemory& memory,
                             const PodRuntimeView& view) {
  PodRuntimeState state;
  if (!view.sandboxes.empty()) state.sandbox = view.sandboxes.front();
  int ready_sandboxes = 0;
  for (const auto& s : view.sandboxes) {
    if (s.state() == cri::v1::SANDBOX_READY) ++ready_sandboxes;
  }
  state.multiple_ready_sandboxes = ready_sandboxes > 1;
  auto fill = [&](const std::vector<api::Container>& specs,
                  std::vector<ContainerRuntimeState>& out) {
    for (const auto& c : specs) {
      ContainerRuntimeState cs;
      cs.name = c.name;
      Latest(view, c.name, cs);
      if (auto it = memory.waiting.find(c.name); it != memory.waiting.end()) {
        cs.waiting_reason = it->second.first;
        cs.waiting_message = it->second.second;
      }
      // No probes yet: a running container is started and ready.
      const bool running =
          cs.current.has_value() && cs.current->state() == cri::v1::CONTAINER_RUNNING;
      cs.started = running;
      cs.ready = running;
      out.push_back(std::move(cs));
    }
  };
  fill(pod.spec.initContainers, state.init_containers);
  fill(pod.spec.containers, state.containers);
  state.host_ips = options_.config.host_ips;
  api::PodStatus status = GeneratePodStatus(pod, state, clock_.WallNow());
  if (PodStatusEqual(pod.status, status)) return;
  api::Pod updated = pod;
  updated.status = std::move(status);
  client::TypedClient<api::Pod> pods(client_, pod.metadata.namespace_);
  auto r = Call(runtime_, pods.UpdateStatus(updated));
  if (!r.IsOk() && !r.status().IsConflict() && !r.status().IsNotFound()) {
    KLOG_WARNING("kubelet: updating the status of pod {}/{}: {}", pod.metadata.namespace_,
                 pod.metadata.name, r.status().ToString());
  }
}

Result<std::shared_ptr<const api::ConfigMap>> PodWorkers::GetConfigMap(const std::string& ns,
                                                                       const std::string& name) {
  client::TypedClient<api::ConfigMap> cms(client_, ns);
  auto r = Call(runtime_, cms.Get(name));
  if (!r.IsOk()) return r.status();
  return std::make_shared<const api::ConfigMap>(std::move(*r));
}

Result<std::shared_ptr<const api::Secret>> PodWorkers::GetSecret(const std::string& ns,
                                                                 const std::string& name) {
  client::TypedClient<api::Secret> secrets(client_, ns);
  auto r = Call(runtime_, secrets.Get(name));
  if (!r.IsOk()) return r.status();
  return std::make_shared<const api::Secret>(std::move(*r));
}

}  // namespace kubepp::kubelet
