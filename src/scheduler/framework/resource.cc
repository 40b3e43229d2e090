#include "scheduler/framework/resource.h"

#include <algorithm>

#include "api/quantity.h"

namespace kubepp::scheduler {
namespace {

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// The iterator at `name`, or where it would be inserted.
auto FindScalar(std::vector<std::pair<std::string, int64_t>>& v, std::string_view name) {
  return std::lower_bound(v.begin(), v.end(), name,
                          [](const auto& entry, std::string_view n) { return entry.first < n; });
}

int64_t ValueOf(const api::Quantity& q) {
  auto parsed = api::ParseQuantity(q);
  return parsed.IsOk() ? parsed.value().Value() : 0;
}

int64_t MilliValueOf(const api::Quantity& q) {
  auto parsed = api::ParseQuantity(q);
  return parsed.IsOk() ? parsed.value().MilliValue() : 0;
}

// One container's requests; with non_zero, a missing cpu/memory request counts the default.
Resource ContainerRequests(const api::Container& container, bool non_zero) {
  Resource r;
  bool has_cpu = false;
  bool has_memory = false;
  if (container.resources.has_value()) {
    const auto& requests = container.resources->requests;
    r = Resource::FromList(requests);
    has_cpu = requests.contains(std::string(kResourceCpu));
    has_memory = requests.contains(std::string(kResourceMemory));
  }
  if (non_zero) {
    if (!has_cpu) r.milli_cpu = kDefaultMilliCpuRequest;
    if (!has_memory) r.memory = kDefaultMemoryRequest;
  }
  return r;
}

Resource Requests(const api::Pod& pod, bool non_zero) {
  Resource reqs;
  for (const auto& c : pod.spec.containers) reqs.Add(ContainerRequests(c, non_zero));
  Resource sidecars;  // restartable init containers started so far
  Resource init_max;  // the largest init-time footprint
  for (const auto& c : pod.spec.initContainers) {
    Resource r = ContainerRequests(c, non_zero);
    if (c.restartPolicy == "Always") {
      reqs.Add(r);
      sidecars.Add(r);
      init_max.SetMax(sidecars);
    } else {
      r.Add(sidecars);
      init_max.SetMax(r);
    }
  }
  reqs.SetMax(init_max);
  if (!pod.spec.overhead.empty()) reqs.Add(Resource::FromList(pod.spec.overhead));
  return reqs;
}

}  // namespace

bool IsExtendedResourceName(std::string_view name) {
  if (name.find('/') == std::string_view::npos) return false;               // native
  if (name.find("kubernetes.io/") != std::string_view::npos) return false;  // prefixed native
  return !StartsWith(name, "requests.");
}

bool IsScalarResourceName(std::string_view name) {
  return IsExtendedResourceName(name) || StartsWith(name, "hugepages-") ||
         name.find("kubernetes.io/") != std::string_view::npos ||
         StartsWith(name, "attachable-volumes-");
}

Resource Resource::FromList(const std::map<std::string, api::Quantity>& list) {
  Resource r;
  for (const auto& [name, quantity] : list) {
    if (name == kResourceCpu) {
      r.milli_cpu += MilliValueOf(quantity);
    } else if (name == kResourceMemory) {
      r.memory += ValueOf(quantity);
    } else if (name == kResourceEphemeralStorage) {
      r.ephemeral_storage += ValueOf(quantity);
    } else if (name == kResourcePods) {
      r.allowed_pod_number += ValueOf(quantity);
    } else if (IsScalarResourceName(name)) {
      r.AddScalar(name, ValueOf(quantity));
    }
  }
  return r;
}

int64_t Resource::Scalar(std::string_view name) const {
  auto it = std::lower_bound(scalar_resources.begin(), scalar_resources.end(), name,
                             [](const auto& entry, std::string_view n) { return entry.first < n; });
  return it != scalar_resources.end() && it->first == name ? it->second : 0;
}

void Resource::SetScalar(std::string_view name, int64_t value) {
  auto it = FindScalar(scalar_resources, name);
  if (it != scalar_resources.end() && it->first == name) {
    it->second = value;
  } else {
    scalar_resources.emplace(it, std::string(name), value);
  }
}

void Resource::AddScalar(std::string_view name, int64_t value) {
  auto it = FindScalar(scalar_resources, name);
  if (it != scalar_resources.end() && it->first == name) {
    it->second += value;
  } else {
    scalar_resources.emplace(it, std::string(name), value);
  }
}

void Resource::Add(const Resource& other) {
  milli_cpu += other.milli_cpu;
  memory += other.memory;
  ephemeral_storage += other.ephemeral_storage;
  allowed_pod_number += other.allowed_pod_number;
  for (const auto& [name, value] : other.scalar_resources) AddScalar(name, value);
}

void Resource::Sub(const Resource& other) {
  milli_cpu -= other.milli_cpu;
  memory -= other.memory;
  ephemeral_storage -= other.ephemeral_storage;
  allowed_pod_number -= other.allowed_pod_number;
  for (const auto& [name, value] : other.scalar_resources) AddScalar(name, -value);
}

void Resource::SetMax(const Resource& other) {
  milli_cpu = std::max(milli_cpu, other.milli_cpu);
  memory = std::max(memory, other.memory);
  ephemeral_storage = std::max(ephemeral_storage, other.ephemeral_storage);
  allowed_pod_number = std::max(allowed_pod_number, other.allowed_pod_number);
  for (const auto& [name, value] : other.scalar_resources) {
    if (value > Scalar(name)) SetScalar(name, value);
  }
}

bool Resource::IsEmptyRequest() const {
  return milli_cpu == 0 && memory == 0 && ephemeral_storage == 0 && scalar_resources.empty();
}

Resource PodRequests(const api::Pod& pod) { return Requests(pod, false); }
Resource PodNonZeroRequests(const api::Pod& pod) { return Requests(pod, true); }

}  // namespace kubepp::scheduler
