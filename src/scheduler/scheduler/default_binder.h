// The scheduler's own plugins (upstream's defaultbinder, queuesort and schedulinggates):
// - DefaultBinder: Bind through POST pods/<name>/binding. BindAsync is what the scheduler's
//   binding cycle awaits; Bind (the framework's synchronous interface) blocks on it and must not
//   run on an io thread.
// - PrioritySort and SchedulingGates: their behaviour lives in the SchedulingQueue (priority
//   order, gated pods); the plugins exist so that configurations naming them (every upstream
//   profile does) are valid.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "async/runtime.h"
#include "client/rest_client.h"
#include "scheduler/framework/interface.h"

namespace kubepp::scheduler {

inline constexpr std::string_view kDefaultBinder = "DefaultBinder";
inline constexpr std::string_view kPrioritySort = "PrioritySort";
inline constexpr std::string_view kSchedulingGates = "SchedulingGates";

class DefaultBinder final : public BindPlugin {
 public:
  DefaultBinder(client::RestClient& client, async::asio::any_io_executor ex)
      : client_(client), ex_(std::move(ex)) {}
  std::string_view Name() const override { return kDefaultBinder; }
  // Blocks the calling (non-io) thread.
  Status Bind(CycleState& state, const PodInfo& pod, const std::string& node) override;
  // Binds `pod` to `node`; the API server's error on failure.
  async::Task<kubepp::Status> BindAsync(std::shared_ptr<const api::Pod> pod, std::string node);

 private:
  client::RestClient& client_;       // API access
  async::asio::any_io_executor ex_;  // where Bind runs BindAsync
};

// A plugin with no extension point of the framework (its work is done by the queue).
class QueuePlugin final : public Plugin {
 public:
  explicit QueuePlugin(std::string_view name) : name_(name) {}
  std::string_view Name() const override { return name_; }

 private:
  std::string_view name_;  // a string literal
};

}  // namespace kubepp::scheduler
