// Resource: the amounts the scheduler adds and compares (upstream's framework.Resource), and the
// pod request helpers of upstream's component-helpers/resource (PodRequests):
//   requests = max(sum of app containers + restartable init containers (sidecars),
//                  each init container + the sidecars started before it) + spec.overhead.
// The "non-zero" variant, used only for scoring, counts a container without a cpu request as
// 100m and one without a memory request as 200Mi (upstream's DefaultMilliCPURequest /
// DefaultMemoryRequest), so best-effort pods still spread.
//
// Values and pure functions; thread-compatible. Quantities are parsed once, when a PodInfo or
// NodeInfo is built, never in Filter/Score.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/types.h"

namespace kubepp::scheduler {

inline constexpr std::string_view kResourceCpu = "cpu";
inline constexpr std::string_view kResourceMemory = "memory";
inline constexpr std::string_view kResourceEphemeralStorage = "ephemeral-storage";
inline constexpr std::string_view kResourcePods = "pods";

// Defaults for containers without requests, used by the "non-zero" requests (scoring only).
inline constexpr int64_t kDefaultMilliCpuRequest = 100;
inline constexpr int64_t kDefaultMemoryRequest = 200LL * 1024 * 1024;

// Extended resources ("example.com/gpu"), hugepages-*, kubernetes.io/-prefixed and
// attachable-volumes-* names: the resources kept in Resource::scalar_resources (upstream's
// IsScalarResourceName).
bool IsScalarResourceName(std::string_view name);
// A name with a domain that is not kubernetes.io (upstream's IsExtendedResourceName).
bool IsExtendedResourceName(std::string_view name);

struct Resource {
  int64_t milli_cpu = 0;           // cpu in millicores
  int64_t memory = 0;              // bytes
  int64_t ephemeral_storage = 0;   // bytes
  int64_t allowed_pod_number = 0;  // "pods" (node allocatable only)
  // Scalar resources by name, sorted by name; usually empty (no heap then).
  std::vector<std::pair<std::string, int64_t>> scalar_resources;

  // From a ResourceList (requests, allocatable, overhead). cpu in millis, others as Value();
  // names that are neither cpu/memory/ephemeral-storage/pods nor scalar are ignored, as are
  // quantities that do not parse.
  static Resource FromList(const std::map<std::string, api::Quantity>& list);

  int64_t Scalar(std::string_view name) const;
  void SetScalar(std::string_view name, int64_t value);
  void AddScalar(std::string_view name, int64_t value);

  // Adds/subtracts every field (scalars by name).
  void Add(const Resource& other);
  void Sub(const Resource& other);
  // Each field becomes max(this, other).
  void SetMax(const Resource& other);
  // No cpu, memory, ephemeral storage or scalar resource (pods is not looked at).
  bool IsEmptyRequest() const;

  bool operator==(const Resource&) const = default;
};

// The pod's effective requests (see the file comment), overhead included.
Resource PodRequests(const api::Pod& pod);
// As PodRequests, but containers missing a cpu/memory request count 100m / 200Mi.
Resource PodNonZeroRequests(const api::Pod& pod);

}  // namespace kubepp::scheduler
