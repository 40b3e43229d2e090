// Go's time.ParseDuration, for the flags that upstream components take as durations
// ("15s", "1m30s", "500ms", "2h", "1.5h"). Units: ns, us (µs), ms, s, m, h.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "base/status.h"

namespace kubepp {

// A non-negative duration; "0" alone is allowed without a unit. InvalidArgument-style
// BadRequest with Go's message otherwise (`time: invalid duration "x"`).
Result<std::chrono::nanoseconds> ParseGoDuration(std::string_view text);

// Go's Duration.String(): "1m30s", "500ms", "0s".
std::string FormatGoDuration(std::chrono::nanoseconds d);

}  // namespace kubepp
