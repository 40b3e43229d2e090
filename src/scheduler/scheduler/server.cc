#include "scheduler/scheduler/server.h"

#include "base/check.h"
#include "base/log.h"

namespace kubepp::scheduler {

SchedulerServer::SchedulerServer(async::Runtime& runtime, client::RestClient& client,
                                 SchedulerServerOptions options, const Clock& clock)
    : runtime_(runtime), client_(client), options_(std::move(options)), clock_(clock) {}

SchedulerServer::~SchedulerServer() { Stop(); }

kubepp::Status SchedulerServer::Start() {
  KUBEPP_CHECK(!started_.exchange(true), "SchedulerServer started twice");
  {
    // Bad profiles are a start-up error, not something found once leading.
    client::SharedInformerFactory probe(client_, runtime_.Executor(), {}, clock_);
    auto s = Scheduler::New(runtime_, client_, probe, options_.scheduler, clock_);
    if (!s.IsOk()) return s.status();
    for (const auto& line : (*s)->Describe()) KLOG_V(1, "scheduler: profile {}", line);
  }
  client::LeaderElectionConfig config = options_.leader_election;
  if (options_.leader_elect) {
    if (config.identity.empty()) config.identity = client::DefaultLeaderIdentity();
    if (kubepp::Status s = client::LeaderElector::Validate(config); !s.IsOk()) return s;
  }
  if (options_.port >= 0) {
    apiserver::HttpServerOptions hopts;
    hopts.bind_address = options_.bind_address;
    hopts.port = options_.port;
    auto handler = [this](apiserver::Request req) { return Serve(std::move(req)); };
    http_ = std::make_unique<apiserver::HttpServer>(runtime_, hopts, handler);
    if (kubepp::Status s = http_->Start(); !s.IsOk()) {
      http_.reset();
      return s.WithPrefix("serving /metrics");
    }
    KLOG_INFO("scheduler: serving /healthz and /metrics on {}:{}", options_.bind_address,
              http_->Port());
  }
  thread_ = std::thread([this] { Loop(); });
  if (!options_.leader_elect) {
    Post(Command::kLead);
    return kubepp::Status::Ok();
  }
  config.on_started_leading = [this] { Post(Command::kLead); };
  config.on_stopped_leading = [this] {
    if (!stopped_.load()) Post(Command::kLost);
  };
  config.on_new_leader = [id = config.identity](const std::string& leader) {
    if (leader != id) KLOG_INFO("scheduler: the leader is {}", leader);
  };
  KLOG_INFO("scheduler: campaigning for lease {}/{} as {}", config.lease_namespace,
            config.lease_name, config.identity);
  elector_ = std::make_unique<client::LeaderElector>(client_, runtime_.Executor(), config, clock_);
  elector_->Start();
  return kubepp::Status::Ok();
}

void SchedulerServer::Stop() {
  if (!started_.load() || stopped_.exchange(true)) return;
  Post(Command::kStop);  // scheduling stops first (no more binds), then the lease goes
  if (thread_.joinable()) thread_.join();
  if (elector_) elector_->Stop();
  if (http_) http_->Stop();
}

async::Task<apiserver::Response> SchedulerServer::Serve(apiserver::Request req) {
  apiserver::Response res;
  res.content_type = "text/plain; charset=utf-8";
  if (req.method != "GET" && req.method != "HEAD") {
    res.status = 405;
    res.body = "method not allowed\n";
    co_return res;
  }
  if (req.path == "/healthz" || req.path == "/livez" || req.path == "/readyz") {
    res.body = "ok";
    co_return res;
  }
  if (req.path == "/metrics") {
    res.content_type = "text/plain; version=0.0.4; charset=utf-8";
    std::lock_guard lock(mu_);
    res.body =
        "# HELP leader_election_master_status Whether this instance is the leader.\n"
        "# TYPE leader_election_master_status gauge\n"
        "leader_election_master_status{name=\"kube-scheduler\"} " +
        std::string(leading_.load() ? "1" : "0") + "\n";
    if (scheduler_) res.body += scheduler_->MetricsText();
    co_return res;
  }
  res.status = 404;
  res.body = "404 page not found\n";
  co_return res;
}

Scheduler* SchedulerServer::Get() const {
  std::lock_guard lock(mu_);
  return scheduler_.get();
}

void SchedulerServer::Post(Command c) {
  {
    std::lock_guard lock(mu_);
    commands_.push_back(c);
  }
  cv_.notify_all();
}

void SchedulerServer::Loop() {
  for (;;) {
    Command c = Command::kStop;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return !commands_.empty(); });
      c = commands_.front();
      commands_.erase(commands_.begin());
    }
    switch (c) {
      case Command::kLead:
        if (!leading_.load() && !lost_.load() && !stopped_.load()) Run();
        break;
      case Command::kLost:
        KLOG_ERROR("scheduler: leader election lost");
        Halt();
        lost_.store(true);
        if (options_.on_lost) options_.on_lost();
        return;
      case Command::kStop:
        Halt();
        return;
    }
  }
}

void SchedulerServer::Run() {
  informers_ = std::make_unique<client::SharedInformerFactory>(client_, runtime_.Executor(),
                                                               client::InformerOptions{}, clock_);
  auto s = Scheduler::New(runtime_, client_, *informers_, options_.scheduler, clock_);
  KUBEPP_CHECK(s.IsOk(), "the scheduler was checked at Start: {}", s.status().ToString());
  informers_->Start();
  {
    std::lock_guard lock(mu_);
    scheduler_ = std::move(*s);
  }
  scheduler_->Start();
  leading_.store(true);
  KLOG_INFO("scheduler: started");
}

void SchedulerServer::Halt() {
  std::unique_ptr<Scheduler> s;
  {
    std::lock_guard lock(mu_);
    s = std::move(scheduler_);
  }
  if (s) s->Stop();
  if (informers_) informers_->Stop();
  s.reset();
  informers_.reset();
  leading_.store(false);
}

}  // namespace kubepp::scheduler
