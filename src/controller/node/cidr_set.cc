#include "controller/node/cidr_set.h"

#include <charconv>

namespace kubepp::controller::node {

Result<std::pair<uint32_t, int>> ParseIpv4Cidr(const std::string& cidr) {
  auto slash = cidr.find('/');
  if (slash == std::string::npos) return Status::Invalid("not a CIDR: " + cidr);
  uint32_t addr = 0;
  const char* p = cidr.data();
  const char* end = cidr.data() + slash;
  for (int i = 0; i < 4; ++i) {
    unsigned octet = 0;
    auto [q, ec] = std::from_chars(p, end, octet);
    if (ec != std::errc() || octet > 255 || q == p)
      return Status::Invalid("not an IPv4 CIDR: " + cidr);
    addr = (addr << 8) | octet;
    p = q;
    if (i < 3) {
      if (p == end || *p != '.') return Status::Invalid("not an IPv4 CIDR: " + cidr);
      ++p;
    }
  }
  if (p != end) return Status::Invalid("not an IPv4 CIDR: " + cidr);
  int prefix = -1;
  const char* pe = cidr.data() + cidr.size();
  auto [q, ec] = std::from_chars(cidr.data() + slash + 1, pe, prefix);
  if (ec != std::errc() || q != pe || prefix < 0 || prefix > 32) {
    return Status::Invalid("bad prefix length: " + cidr);
  }
  uint32_t mask = prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix);
  return std::make_pair(addr & mask, prefix);
}

Result<CidrSet> CidrSet::Create(const std::string& cluster_cidr, int mask_size) {
  KUBEPP_ASSIGN_OR_RETURN(auto parsed, ParseIpv4Cidr(cluster_cidr));
  if (mask_size < parsed.second || mask_size > 32) {
    return Status::Invalid("node CIDR mask size " + std::to_string(mask_size) +
                           " does not fit cluster CIDR " + cluster_cidr);
  }
  if (mask_size - parsed.second > 24) {
    return Status::Invalid("too many node CIDRs in " + cluster_cidr);
  }
  return CidrSet(parsed.first, parsed.second, mask_size);
}

CidrSet::CidrSet(uint32_t base, int cluster_prefix, int mask_size)
    : base_(base),
      cluster_prefix_(cluster_prefix),
      mask_size_(mask_size),
      used_(size_t{1} << (mask_size - cluster_prefix), false) {}

std::string CidrSet::Format(int index) const {
  uint32_t addr = base_ + (mask_size_ == 32 ? static_cast<uint32_t>(index)
                                            : static_cast<uint32_t>(index) << (32 - mask_size_));
  return std::to_string(addr >> 24) + "." + std::to_string((addr >> 16) & 255) + "." +
         std::to_string((addr >> 8) & 255) + "." + std::to_string(addr & 255) + "/" +
         std::to_string(mask_size_);
}

Result<int> CidrSet::IndexOf(const std::string& cidr) const {
  KUBEPP_ASSIGN_OR_RETURN(auto parsed, ParseIpv4Cidr(cidr));
  if (parsed.second != mask_size_) {
    return Status::Invalid(cidr + " is not a /" + std::to_string(mask_size_));
  }
  uint32_t cluster_mask = cluster_prefix_ == 0 ? 0 : ~uint32_t{0} << (32 - cluster_prefix_);
  if ((parsed.first & cluster_mask) != base_) {
    return Status::Invalid(cidr + " is outside the cluster CIDR");
  }
  uint32_t offset = parsed.first - base_;
  return static_cast<int>(mask_size_ == 32 ? offset : offset >> (32 - mask_size_));
}

Result<std::string> CidrSet::AllocateNext() {
  int max = Max();
  for (int i = 0; i < max; ++i) {
    int candidate = (next_candidate_ + i) % max;
    if (used_[static_cast<size_t>(candidate)]) continue;
    used_[static_cast<size_t>(candidate)] = true;
    ++used_count_;
    next_candidate_ = (candidate + 1) % max;
    return Format(candidate);
  }
  return Status::NotFound(
      "CIDR allocation failed; there are no remaining CIDRs left to allocate in the accepted "
      "range");
}

Status CidrSet::Occupy(const std::string& cidr) {
  KUBEPP_ASSIGN_OR_RETURN(int index, IndexOf(cidr));
  if (!used_[static_cast<size_t>(index)]) {
    used_[static_cast<size_t>(index)] = true;
    ++used_count_;
  }
  return Status::Ok();
}

Status CidrSet::Release(const std::string& cidr) {
  KUBEPP_ASSIGN_OR_RETURN(int index, IndexOf(cidr));
  if (used_[static_cast<size_t>(index)]) {
    used_[static_cast<size_t>(index)] = false;
    --used_count_;
  }
  return Status::Ok();
}

}  // namespace kubepp::controller::node
