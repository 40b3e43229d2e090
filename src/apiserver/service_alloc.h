// ServiceAllocator: ClusterIPs from the service range and NodePorts from the node-port range
// (upstream's ipallocator and portallocator behind the Service registry).
//
// Allocations live in the store, one key per taken address or port:
//   /registry/ranges/serviceips/<ip>          -> {"namespace","name","uid"} of the owner
//   /registry/ranges/servicenodeports/<port>  -> the same
// A create-if-absent takes one, so no address or port is ever handed out twice, even by API
// servers sharing a store; a delete guarded by the owner's uid gives it back. An in-memory set
// of taken values (loaded at Start, kept current by this process, corrected by the store when
// another process took a value) keeps dynamic allocation to about one store write.
//
// Like upstream, dynamic allocation prefers the upper part of each range and leaves the lower
// "static band" to addresses and ports users ask for (ServiceIPStaticSubrange,
// ServiceNodePortStaticSubrange). Start() also repairs what a crash can leave behind: records
// without a live owner are freed, services whose records are missing get them back.
//
// IPv4 single-stack; dual-stack ranges are not supported yet.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "apiserver/storage_hooks.h"
#include "storage/backend.h"

namespace kubepp::apiserver {

struct ServiceAllocatorOptions {
  std::string cluster_ip_range = "198.19.0.0/16";  // --service-cluster-ip-range
  std::string node_port_range = "30000-32767";     // --service-node-port-range
  std::string services_prefix;                     // store prefix of Service objects
};

class ServiceAllocator final : public StorageHooks {
 public:
  // Parses the ranges (BadRequest with a clear message when malformed).
  static Result<std::unique_ptr<ServiceAllocator>> Make(storage::Backend& store,
                                                        ServiceAllocatorOptions options);
  ~ServiceAllocator() override;

  // Loads the taken values and repairs leaked or missing records. Call before serving.
  Status Start();

  // The first address of the service range (the `kubernetes` Service's ClusterIP).
  std::string FirstIP() const;

  Result<Finish> BeginCreate(boost::json::value& obj, bool dry_run) override;
  Result<Finish> BeginUpdate(boost::json::value& obj, const boost::json::value& old,
                             bool dry_run) override;
  void AfterDelete(const boost::json::value& obj) override;

  // A range of small integers (offsets into the IP range, or ports) held in the store.
  class Range;

 private:
  ServiceAllocator(storage::Backend& store, ServiceAllocatorOptions options,
                   std::unique_ptr<Range> ips, std::unique_ptr<Range> ports);

  storage::Backend& store_;          // where allocations live
  ServiceAllocatorOptions options_;  // ranges and prefixes
  std::unique_ptr<Range> ips_;       // ClusterIPs
  std::unique_ptr<Range> ports_;     // NodePorts (and healthCheckNodePorts)
};

}  // namespace kubepp::apiserver
