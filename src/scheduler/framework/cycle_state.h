// CycleState: data plugins keep for one pod's scheduling cycle (upstream's framework.CycleState),
// e.g. what PreFilter computed for Filter to read on every node, and which plugins' Filter/Score
// the framework skips for this pod.
//
// Written by PreFilter/PreScore (one thread), then read concurrently by Filter/Score: Read is
// const and takes no lock, so writes must be done before the filter phase starts. Keys are the
// plugins' static strings.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

namespace kubepp::scheduler {

// One plugin's per-cycle data.
class StateData {
 public:
  virtual ~StateData() = default;
  // A deep copy (preemption simulates on a copy of the state).
  virtual std::unique_ptr<StateData> Clone() const = 0;
};

class CycleState {
 public:
  CycleState() = default;
  CycleState(const CycleState&) = delete;
  CycleState& operator=(const CycleState&) = delete;
  CycleState(CycleState&&) = default;
  CycleState& operator=(CycleState&&) = default;
  ~CycleState() = default;

  // Stores `data` under `key` (replacing). `key` must outlive the state (a string literal).
  void Write(std::string_view key, std::unique_ptr<StateData> data);
  // The data under `key` as T, or nullptr when absent.
  template <typename T>
  const T* Read(std::string_view key) const {
    for (const auto& [k, v] : data_) {
      if (k == key) return static_cast<const T*>(v.get());
    }
    return nullptr;
  }
  template <typename T>
  T* ReadMutable(std::string_view key) {
    for (auto& [k, v] : data_) {
      if (k == key) return static_cast<T*>(v.get());
    }
    return nullptr;
  }
  void Delete(std::string_view key);

  // Deep copy.
  std::unique_ptr<CycleState> Clone() const;

  // Bit i: the framework's i-th Filter (resp. Score) plugin is skipped for this pod (set by
  // RunPreFilterPlugins / RunPreScorePlugins when the plugin's PreFilter/PreScore says Skip).
  uint64_t skip_filter_plugins = 0;
  uint64_t skip_score_plugins = 0;

 private:
  std::vector<std::pair<std::string_view, std::unique_ptr<StateData>>> data_;  // a few entries
};

}  // namespace kubepp::scheduler
