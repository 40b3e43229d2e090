// Parsing RFC 3339 times as Kubernetes writes them (metav1.Time, metav1.MicroTime). The
// formatting half is in base/clock.h.
#pragma once

#include <optional>
#include <string_view>

#include "base/clock.h"

namespace kubepp {

// "2024-01-02T03:04:05Z", with an optional fraction and a Z or ±hh:mm offset. nullopt when
// malformed or outside 1843..2096 (WallTime counts nanoseconds in 64 bits; callers subtract
// two such times, so every result stays within half of that range).
std::optional<Clock::WallTime> ParseRfc3339(std::string_view text);

}  // namespace kubepp
