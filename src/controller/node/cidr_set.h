// CidrSet: the pod CIDRs of a cluster CIDR cut into subnets of one size (upstream's
// pkg/controller/nodeipam/ipam/cidrset). IPv4 only.
//
// Allocation is round-robin as upstream: the next search starts after the last subnet handed
// out, so a freed subnet is reused only once the range wraps around.
// Thread-compatible (the IPAM controller guards it with a mutex).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace kubepp::controller::node {

class CidrSet {
 public:
  // `cluster_cidr` like "198.18.0.0/16"; `mask_size` the subnets' prefix length (>= the
  // cluster's, at most 32, and at most 24 bits of subnets). Invalid when malformed.
  static Result<CidrSet> Create(const std::string& cluster_cidr, int mask_size);

  // The next free subnet ("198.18.3.0/24"); NotFound (CIDR range full) when none is left.
  Result<std::string> AllocateNext();
  // Marks a subnet used (an existing node's). Invalid when it is not one of ours.
  Status Occupy(const std::string& cidr);
  // Frees a subnet. Invalid when it is not one of ours.
  Status Release(const std::string& cidr);
  // Subnets in use now.
  int Used() const { return used_count_; }
  int Max() const { return static_cast<int>(used_.size()); }

 private:
  CidrSet(uint32_t base, int cluster_prefix, int mask_size);
  // The index of `cidr` among the subnets, or an error.
  Result<int> IndexOf(const std::string& cidr) const;
  std::string Format(int index) const;

  uint32_t base_;           // the cluster network address
  int cluster_prefix_;      // its prefix length
  int mask_size_;           // the subnets' prefix length
  std::vector<bool> used_;  // one bit per subnet
  int used_count_ = 0;      // set bits in used_
  int next_candidate_ = 0;  // where the next search starts
};

// Parses "a.b.c.d/n" (IPv4). Invalid when malformed.
Result<std::pair<uint32_t, int>> ParseIpv4Cidr(const std::string& cidr);

}  // namespace kubepp::controller::node
