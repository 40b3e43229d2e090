#include "scheduler/framework/cycle_state.h"

#include <algorithm>

namespace kubepp::scheduler {

void CycleState::Write(std::string_view key, std::unique_ptr<StateData> data) {
  for (auto& [k, v] : data_) {
    if (k == key) {
      v = std::move(data);
      return;
    }
  }
  data_.emplace_back(key, std::move(data));
}

void CycleState::Delete(std::string_view key) {
  std::erase_if(data_, [&](const auto& e) { return e.first == key; });
}

std::unique_ptr<CycleState> CycleState::Clone() const {
  auto out = std::make_unique<CycleState>();
  for (const auto& [k, v] : data_) out->data_.emplace_back(k, v ? v->Clone() : nullptr);
  out->skip_filter_plugins = skip_filter_plugins;
  out->skip_score_plugins = skip_score_plugins;
  return out;
}

}  // namespace kubepp::scheduler
