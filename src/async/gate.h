// Gate: refuses new work once closed and lets Stop() wait for work in flight (Seastar's gate).
//
//   if (auto hold = gate.TryEnter()) { ... }   // work runs only while the gate is open
//   gate.Close(); gate.Wait();                 // in Stop(): no new work, then drain
//
// Thread-safe. A Holder is movable, releases on destruction.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace kubepp::async {

class Gate {
 public:
  class Holder {
   public:
    Holder() = default;
    explicit Holder(Gate* gate) : gate_(gate) {}
    Holder(Holder&& other) noexcept : gate_(other.gate_) { other.gate_ = nullptr; }
    Holder& operator=(Holder&& other) noexcept;
    Holder(const Holder&) = delete;
    Holder& operator=(const Holder&) = delete;
    ~Holder() { Release(); }

    explicit operator bool() const { return gate_ != nullptr; }
    void Release();

   private:
    Gate* gate_ = nullptr;  // the gate entered, nullptr when empty
  };

  Gate() = default;
  ~Gate();
  Gate(const Gate&) = delete;
  Gate& operator=(const Gate&) = delete;

  // Enters the gate; the returned Holder is empty (false) when the gate is closed.
  Holder TryEnter();
  // Refuses new entries from now on. Idempotent.
  void Close();
  bool IsClosed() const;
  // Blocks until nobody holds the gate. Call after Close() from a non-io thread.
  void Wait();
  // Number of holders now.
  int64_t InFlight() const;

 private:
  mutable std::mutex mu_;         // guards the fields below
  std::condition_variable idle_;  // notified when count_ drops to zero
  int64_t count_ = 0;             // holders now
  bool closed_ = false;           // no new entries
};

}  // namespace kubepp::async
