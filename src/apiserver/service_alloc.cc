#include "apiserver/service_alloc.h"

#include <algorithm>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/json.hpp>
#include <charconv>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <utility>
#include <vector>

#include "api/codec.h"
#include "api/field_errors.h"
#include "api/types.h"
#include "api/validation/validation_util.h"
#include "apiserver/registry/service_util.h"
#include "base/log.h"

namespace kubepp::apiserver {
namespace {

namespace json = boost::json;
using api::Service;

struct Owner {
  std::string ns;
  std::string name;
  std::string uid;
};

std::string OwnerJson(const Owner& o) {
  return json::serialize(json::object{{"namespace", o.ns}, {"name", o.name}, {"uid", o.uid}});
}

Owner ParseOwner(std::string_view bytes) {
  Owner o;
  boost::system::error_code ec;
  json::value v = json::parse(bytes, ec);
  if (ec || !v.is_object()) return o;
  auto str = [&](std::string_view k) {
    const json::value* f = v.as_object().if_contains(k);
    return f != nullptr && f->is_string() ? std::string(f->as_string()) : std::string();
  };
  o.ns = str("namespace");
  o.name = str("name");
  o.uid = str("uid");
  return o;
}

Owner OwnerOf(const Service& svc) {
  return {svc.metadata.namespace_, svc.metadata.name, svc.metadata.uid};
}

std::optional<uint32_t> ParseUint(std::string_view s) {
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// Every node port `s` holds (spec.ports[*].nodePort and healthCheckNodePort).
std::set<uint32_t> HeldNodePorts(const Service& s) {
  std::set<uint32_t> out;
  if (!MayHoldNodePorts(s)) return out;
  for (const auto& p : s.spec.ports) {
    if (p.nodePort.value_or(0) > 0) out.insert(static_cast<uint32_t>(*p.nodePort));
  }
  if (NeedsHealthCheckNodePort(s) && s.spec.healthCheckNodePort.value_or(0) > 0) {
    out.insert(static_cast<uint32_t>(*s.spec.healthCheckNodePort));
  }
  return out;
}

Status DecodeService(const json::value& v, Service& out) {
  Status s = api::FromJson(v, out, nullptr);
  if (!s.IsOk()) return Status::Internal("service does not decode: " + s.Message());
  return Status::Ok();
}

// upstream's calculateRangeOffset: the lower band kept for values users ask for.
uint32_t StaticBand(uint32_t size, uint32_t step, uint32_t max) {
  constexpr uint32_t kMin = 16;
  if (size < kMin) return 0;
  return std::clamp(size / step, kMin, max);
}

}  // namespace

// A range of `size` values held as one store key each under `prefix`.
class ServiceAllocator::Range {
 public:
  using Namer = std::function<std::string(uint32_t)>;
  using Parser = std::function<std::optional<uint32_t>(std::string_view)>;

  Range(storage::Backend& store, std::string prefix, uint32_t size, uint32_t static_band,
        Namer name, Parser parse)
      : store_(store),
        prefix_(std::move(prefix)),
        size_(size),
        static_band_(static_band),
        name_(std::move(name)),
        parse_(std::move(parse)) {}

  uint32_t Size() const { return size_; }
  std::string Name(uint32_t v) const { return name_(v); }
  std::optional<uint32_t> Parse(std::string_view s) const { return parse_(s); }

  // Every record in the store: value -> (owner, mod_revision).
  Result<std::map<uint32_t, std::pair<Owner, storage::Revision>>> Records() {
    std::map<uint32_t, std::pair<Owner, storage::Revision>> out;
    storage::ListOptions opts;
    opts.prefix = prefix_;
    opts.limit = 1000;
    while (true) {
      KUBEPP_ASSIGN_OR_RETURN(auto page, store_.List(opts));
      for (const auto& kv : page.items) {
        auto v = parse_(std::string_view(kv.key).substr(prefix_.size()));
        if (v) out[*v] = {ParseOwner(kv.value), kv.mod_revision};
      }
      if (page.continue_token.empty()) break;
      opts.continue_token = page.continue_token;
    }
    return out;
  }

  Status Load() {
    KUBEPP_ASSIGN_OR_RETURN(auto records, Records());
    std::lock_guard lock(mu_);
    taken_.clear();
    for (const auto& [v, rec] : records) taken_.insert(v);
    return Status::Ok();
  }

  // Takes `v` for `owner`. OK when it was free or is already the owner's; AlreadyExists when
  // someone else holds it. A dry run only checks.
  Status Take(uint32_t v, const Owner& owner, bool dry_run) {
    const std::string key = prefix_ + name_(v);
    if (dry_run) {
      auto cur = store_.Get(key);
      if (cur.IsOk()) {
        return ParseOwner(cur->value).uid == owner.uid ? Status::Ok()
                                                       : Status::AlreadyExists("taken");
      }
      return cur.status().IsNotFound() ? Status::Ok() : cur.status();
    }
    auto created = store_.Create(key, OwnerJson(owner));
    if (created.IsOk()) {
      Mark(v, true);
      return Status::Ok();
    }
    if (!created.status().IsAlreadyExists()) return created.status();
    Mark(v, true);
    auto cur = store_.Get(key);
    if (cur.IsOk() && ParseOwner(cur->value).uid == owner.uid) return Status::Ok();
    return Status::AlreadyExists("taken");
  }

  // Takes a free value, preferring the upper band. NotFound when the range is full.
  Result<uint32_t> TakeNext(const Owner& owner, bool dry_run) {
    thread_local std::mt19937 rng{std::random_device{}()};
    std::pair<uint32_t, uint32_t> bands[] = {{static_band_, size_}, {0, static_band_}};
    for (auto [lo, hi] : bands) {
      if (hi <= lo) continue;
      const uint32_t n = hi - lo;
      const uint32_t start = std::uniform_int_distribution<uint32_t>(0, n - 1)(rng);
      for (uint32_t i = 0; i < n; ++i) {
        const uint32_t v = lo + (start + i) % n;
        if (IsMarked(v)) continue;
        Status s = Take(v, owner, dry_run);
        if (s.IsOk()) return v;
        if (!s.IsAlreadyExists()) return s;
      }
    }
    return Status::NotFound("range is full");
  }

  // Gives `v` back when `uid` holds it.
  void Free(uint32_t v, const std::string& uid) {
    const std::string key = prefix_ + name_(v);
    for (int attempt = 0; attempt < 3; ++attempt) {
      auto cur = store_.Get(key);
      if (!cur.IsOk()) {
        if (cur.status().IsNotFound()) Mark(v, false);
        return;
      }
      if (ParseOwner(cur->value).uid != uid) return;
      auto del = store_.Delete(key, cur->mod_revision);
      if (del.IsOk() || del.status().IsNotFound()) {
        Mark(v, false);
        return;
      }
      if (!del.status().IsConflict()) {
        KLOG_INFO("cannot release {}{}: {}", prefix_, name_(v), del.status().ToString());
        return;
      }
    }
  }

  // Removes the record of `v` whatever it holds (repair), guarded by its revision.
  void Drop(uint32_t v, storage::Revision rev) {
    auto del = store_.Delete(prefix_ + name_(v), rev);
    if (del.IsOk() || del.status().IsNotFound()) Mark(v, false);
  }

  // Writes a missing record for `owner` (repair). False when another owner holds `v`.
  bool Restore(uint32_t v, const Owner& owner) { return Take(v, owner, false).IsOk(); }

 private:
  void Mark(uint32_t v, bool taken) {
    std::lock_guard lock(mu_);
    if (taken) {
      taken_.insert(v);
    } else {
      taken_.erase(v);
    }
  }
  bool IsMarked(uint32_t v) {
    std::lock_guard lock(mu_);
    return taken_.contains(v);
  }

  storage::Backend& store_;
  const std::string prefix_;    // "/registry/ranges/<what>/"
  const uint32_t size_;         // values are 0..size-1
  const uint32_t static_band_;  // values below this are left to explicit requests
  const Namer name_;            // value -> key suffix
  const Parser parse_;          // key suffix -> value
  std::mutex mu_;               // guards taken_
  std::set<uint32_t> taken_;    // values known to be taken (a hint; the store decides)
};

namespace {

// What one Begin* took, for its Finish.
struct Taken {
  std::vector<uint32_t> ips;
  std::vector<uint32_t> ports;
};

struct IpRange {
  uint32_t base = 0;  // the network address
  uint32_t size = 0;  // addresses in the CIDR
};

}  // namespace

Result<std::unique_ptr<ServiceAllocator>> ServiceAllocator::Make(storage::Backend& store,
                                                                 ServiceAllocatorOptions options) {
  boost::system::error_code ec;
  auto net = boost::asio::ip::make_network_v4(options.cluster_ip_range, ec);
  if (ec) {
    return Status::BadRequest("--service-cluster-ip-range: \"" + options.cluster_ip_range +
                              "\" is not an IPv4 CIDR");
  }
  if (net.prefix_length() > 29 || net.prefix_length() < 12) {
    return Status::BadRequest("--service-cluster-ip-range: the prefix length must be 12..29, got " +
                              options.cluster_ip_range);
  }
  net = net.canonical();
  const uint32_t base = net.network().to_uint();
  const uint32_t size = uint32_t{1} << (32 - net.prefix_length());
  // Usable addresses exclude the network and broadcast addresses: value v is base + 1 + v.
  const uint32_t usable = size - 2;
  auto ip_name = [base](uint32_t v) {
    return boost::asio::ip::address_v4(base + 1 + v).to_string();
  };
  auto ip_parse = [base, usable](std::string_view s) -> std::optional<uint32_t> {
    boost::system::error_code e;
    auto a = boost::asio::ip::make_address_v4(s, e);
    if (e) return std::nullopt;
    uint32_t u = a.to_uint();
    if (u <= base || u - base - 1 >= usable) return std::nullopt;
    return u - base - 1;
  };

  const std::string& pr = options.node_port_range;
  auto dash = pr.find('-');
  std::optional<uint32_t> lo;
  std::optional<uint32_t> hi;
  if (dash != std::string::npos) {
    lo = ParseUint(std::string_view(pr).substr(0, dash));
    hi = ParseUint(std::string_view(pr).substr(dash + 1));
  }
  if (!lo || !hi || *lo == 0 || *hi > 65535 || *hi < *lo) {
    return Status::BadRequest("--service-node-port-range: \"" + pr +
                              "\" is not a port range like 30000-32767");
  }
  const uint32_t port_base = *lo;
  const uint32_t port_size = *hi - *lo + 1;
  auto port_name = [port_base](uint32_t v) { return std::to_string(port_base + v); };
  auto port_parse = [port_base, port_size](std::string_view s) -> std::optional<uint32_t> {
    auto p = ParseUint(s);
    if (!p || *p < port_base || *p - port_base >= port_size) return std::nullopt;
    return *p - port_base;
  };

  auto ips = std::make_unique<Range>(store, "/registry/ranges/serviceips/", usable,
                                     StaticBand(usable, 16, 256), ip_name, ip_parse);
  auto ports = std::make_unique<Range>(store, "/registry/ranges/servicenodeports/", port_size,
                                       StaticBand(port_size, 32, 128), port_name, port_parse);
  return std::unique_ptr<ServiceAllocator>(
      new ServiceAllocator(store, std::move(options), std::move(ips), std::move(ports)));
}

ServiceAllocator::ServiceAllocator(storage::Backend& store, ServiceAllocatorOptions options,
                                   std::unique_ptr<Range> ips, std::unique_ptr<Range> ports)
    : store_(store), options_(std::move(options)), ips_(std::move(ips)), ports_(std::move(ports)) {}

ServiceAllocator::~ServiceAllocator() = default;

std::string ServiceAllocator::FirstIP() const { return ips_->Name(0); }

namespace {

// Every Service in the store.
Result<std::vector<Service>> ListServices(storage::Backend& store, const std::string& prefix) {
  std::vector<Service> out;
  storage::ListOptions opts;
  opts.prefix = prefix;
  opts.limit = 500;
  while (true) {
    KUBEPP_ASSIGN_OR_RETURN(auto page, store.List(opts));
    for (const auto& kv : page.items) {
      boost::system::error_code ec;
      json::value v = json::parse(kv.value, ec);
      Service svc;
      if (!ec && api::FromJson(v, svc, nullptr).IsOk()) out.push_back(std::move(svc));
    }
    if (page.continue_token.empty()) break;
    opts.continue_token = page.continue_token;
  }
  return out;
}

}  // namespace

Status ServiceAllocator::Start() {
  KUBEPP_ASSIGN_OR_RETURN(auto services, ListServices(store_, options_.services_prefix));
  // Who should hold what, by the services themselves.
  std::map<uint32_t, Owner> want_ips;
  std::map<uint32_t, Owner> want_ports;
  for (const auto& svc : services) {
    if (NeedsClusterIP(svc)) {
      for (const auto& ip : svc.spec.clusterIPs) {
        if (auto v = ips_->Parse(ip)) want_ips[*v] = OwnerOf(svc);
      }
    }
    for (uint32_t p : HeldNodePorts(svc)) {
      if (auto v = ports_->Parse(std::to_string(p))) want_ports[*v] = OwnerOf(svc);
    }
  }
  auto repair = [](Range& range, const std::map<uint32_t, Owner>& want,
                   const char* what) -> Status {
    KUBEPP_ASSIGN_OR_RETURN(auto records, range.Records());
    for (const auto& [v, rec] : records) {
      auto w = want.find(v);
      if (w == want.end() || w->second.uid != rec.first.uid) {
        KLOG_INFO("repair: releasing leaked {} {} (held for {}/{})", what, range.Name(v),
                  rec.first.ns, rec.first.name);
        range.Drop(v, rec.second);
      }
    }
    for (const auto& [v, owner] : want) {
      auto r = records.find(v);
      if (r != records.end() && r->second.first.uid == owner.uid) continue;
      if (!range.Restore(v, owner)) {
        KLOG_INFO("repair: {} {} of service {}/{} is held by another service", what, range.Name(v),
                  owner.ns, owner.name);
      }
    }
    return range.Load();
  };
  KUBEPP_RETURN_IF_ERROR(repair(*ips_, want_ips, "cluster IP"));
  KUBEPP_RETURN_IF_ERROR(repair(*ports_, want_ports, "node port"));
  return Status::Ok();
}

namespace {

// Gives back what was taken for `owner_uid` (a failed or dry write).
StorageHooks::Finish Rollback(ServiceAllocator::Range& ips, ServiceAllocator::Range& ports,
                              Taken taken, std::string owner_uid, std::set<uint32_t> release_ips,
                              std::set<uint32_t> release_ports) {
  return [&ips, &ports, taken = std::move(taken), uid = std::move(owner_uid),
          rel_ips = std::move(release_ips), rel_ports = std::move(release_ports)](bool stored) {
    if (stored) {
      for (uint32_t v : rel_ips) ips.Free(v, uid);
      for (uint32_t v : rel_ports) ports.Free(v, uid);
    } else {
      for (uint32_t v : taken.ips) ips.Free(v, uid);
      for (uint32_t v : taken.ports) ports.Free(v, uid);
    }
  };
}

// The allocation steps shared by create and update: fills in what `svc` still needs, taking it
// from the ranges; appends what it took to `taken`; `held_ports` are the node ports the old
// object already holds (kept without a new allocation).
class AllocationPass {
 public:
  AllocationPass(ServiceAllocator::Range& ips, ServiceAllocator::Range& ports, std::string ip_range,
                 std::string port_range, bool dry_run)
      : ips_(ips),
        ports_(ports),
        ip_range_(std::move(ip_range)),
        port_range_(std::move(port_range)),
        dry_run_(dry_run) {}

  Status ClusterIP(Service& svc, Taken& taken) {
    const Owner owner = OwnerOf(svc);
    std::string ip = svc.spec.clusterIP;
    if (ip.empty() && !svc.spec.clusterIPs.empty()) ip = svc.spec.clusterIPs.front();
    if (ip.empty()) {
      auto v = ips_.TakeNext(owner, dry_run_);
      if (!v.IsOk()) {
        if (v.status().IsNotFound()) {
          return Status::Internal("Internal error occurred: failed to allocate a serviceIP: " +
                                  v.status().Message());
        }
        return v.status();
      }
      if (!dry_run_) taken.ips.push_back(*v);
      ip = ips_.Name(*v);
    } else {
      auto v = ips_.Parse(ip);
      std::vector<std::string> shown = svc.spec.clusterIPs;
      if (shown.empty()) shown = {ip};
      if (!v) {
        return Invalid(svc, "spec.clusterIPs", api::validation::GoStringSlice(shown),
                       "failed to allocate IP " + ip + ": the provided IP (" + ip +
                           ") is not in the valid range. The range of valid IPs is " + ip_range_);
      }
      Status s = ips_.Take(*v, owner, dry_run_);
      if (s.IsAlreadyExists()) {
        return Invalid(svc, "spec.clusterIPs", api::validation::GoStringSlice(shown),
                       "failed to allocate IP " + ip + ": provided IP is already allocated");
      }
      KUBEPP_RETURN_IF_ERROR(s);
      if (!dry_run_) taken.ips.push_back(*v);
    }
    svc.spec.clusterIP = ip;
    svc.spec.clusterIPs = {ip};
    if (svc.spec.ipFamilies.empty()) svc.spec.ipFamilies = {"IPv4"};
    if (svc.spec.ipFamilyPolicy.empty()) svc.spec.ipFamilyPolicy = "SingleStack";
    return Status::Ok();
  }

  Status NodePorts(Service& svc, const std::set<uint32_t>& held, Taken& taken) {
    if (!MayHoldNodePorts(svc)) return Status::Ok();
    const Owner owner = OwnerOf(svc);
    std::map<int32_t, int32_t> by_port;  // service port -> node port within this service
    std::set<uint32_t> mine = held;      // node ports this service holds now
    // Ports asked for by number first, so a dynamic pick cannot take one of them.
    for (size_t i = 0; i < svc.spec.ports.size(); ++i) {
      auto& p = svc.spec.ports[i];
      if (p.nodePort.value_or(0) == 0) continue;
      const std::string field = "spec.ports[" + std::to_string(i) + "].nodePort";
      KUBEPP_RETURN_IF_ERROR(TakePort(svc, owner, *p.nodePort, field, mine, taken));
      by_port[p.port] = *p.nodePort;
    }
    if (NeedsNodePorts(svc)) {
      for (auto& p : svc.spec.ports) {
        if (p.nodePort.value_or(0) != 0) continue;
        if (auto same = by_port.find(p.port); same != by_port.end()) {
          p.nodePort = same->second;  // the same port over another protocol
          continue;
        }
        KUBEPP_ASSIGN_OR_RETURN(int32_t np, NextPort(owner, "nodePort", taken));
        mine.insert(static_cast<uint32_t>(np));
        p.nodePort = np;
        by_port[p.port] = np;
      }
    }
    if (NeedsHealthCheckNodePort(svc)) {
      int32_t hc = svc.spec.healthCheckNodePort.value_or(0);
      if (hc != 0) {
        KUBEPP_RETURN_IF_ERROR(TakePort(svc, owner, hc, "spec.healthCheckNodePort", mine, taken));
      } else {
        KUBEPP_ASSIGN_OR_RETURN(hc, NextPort(owner, "healthCheck nodePort", taken));
        svc.spec.healthCheckNodePort = hc;
      }
    }
    return Status::Ok();
  }

 private:
  Status TakePort(const Service& svc, const Owner& owner, int32_t port, const std::string& field,
                  std::set<uint32_t>& mine, Taken& taken) {
    if (mine.contains(static_cast<uint32_t>(port))) return Status::Ok();
    auto v = ports_.Parse(std::to_string(port));
    if (!v) {
      return InvalidPort(
          svc, field, port,
          "provided port is not in the valid range. The range of valid ports is " + port_range_);
    }
    Status s = ports_.Take(*v, owner, dry_run_);
    if (s.IsAlreadyExists()) {
      return InvalidPort(svc, field, port, "provided port is already allocated");
    }
    KUBEPP_RETURN_IF_ERROR(s);
    mine.insert(static_cast<uint32_t>(port));
    if (!dry_run_) taken.ports.push_back(*v);
    return Status::Ok();
  }

  Result<int32_t> NextPort(const Owner& owner, const char* what, Taken& taken) {
    auto v = ports_.TakeNext(owner, dry_run_);
    if (!v.IsOk()) {
      if (v.status().IsNotFound()) {
        return Status::Internal(std::string("Internal error occurred: failed to allocate a ") +
                                what + ": " + v.status().Message());
      }
      return v.status();
    }
    if (!dry_run_) taken.ports.push_back(*v);
    return static_cast<int32_t>(std::stoul(ports_.Name(*v)));
  }

  static Status Invalid(const Service& svc, std::string field, std::string raw_value,
                        std::string detail) {
    api::FieldError e;
    e.type = api::FieldErrorType::kInvalid;
    e.field = std::move(field);
    e.bad_value = std::move(raw_value);
    e.detail = std::move(detail);
    return api::InvalidStatus("", "Service", svc.metadata.name, {e});
  }
  static Status InvalidPort(const Service& svc, std::string field, int64_t port,
                            std::string detail) {
    return api::InvalidStatus("", "Service", svc.metadata.name,
                              {api::InvalidInt(std::move(field), port, std::move(detail))});
  }

  ServiceAllocator::Range& ips_;
  ServiceAllocator::Range& ports_;
  std::string ip_range_;
  std::string port_range_;
  bool dry_run_;
};

}  // namespace

Result<StorageHooks::Finish> ServiceAllocator::BeginCreate(json::value& obj, bool dry_run) {
  Service svc;
  KUBEPP_RETURN_IF_ERROR(DecodeService(obj, svc));
  Taken taken;
  AllocationPass pass(*ips_, *ports_, options_.cluster_ip_range, options_.node_port_range, dry_run);
  Status s = Status::Ok();
  if (NeedsClusterIP(svc)) s = pass.ClusterIP(svc, taken);
  if (s.IsOk()) s = pass.NodePorts(svc, {}, taken);
  Finish finish = Rollback(*ips_, *ports_, std::move(taken), svc.metadata.uid, {}, {});
  if (!s.IsOk()) {
    finish(false);
    return s;
  }
  obj = api::ToJson(svc);
  return finish;
}

Result<StorageHooks::Finish> ServiceAllocator::BeginUpdate(json::value& obj,
                                                           const json::value& old_obj,
                                                           bool dry_run) {
  Service svc;
  Service old;
  KUBEPP_RETURN_IF_ERROR(DecodeService(obj, svc));
  KUBEPP_RETURN_IF_ERROR(DecodeService(old_obj, old));
  Taken taken;
  AllocationPass pass(*ips_, *ports_, options_.cluster_ip_range, options_.node_port_range, dry_run);
  Status s = Status::Ok();
  std::set<uint32_t> release_ips;
  if (NeedsClusterIP(svc) && !NeedsClusterIP(old)) {
    s = pass.ClusterIP(svc, taken);
  } else if (NeedsClusterIP(old) && !NeedsClusterIP(svc)) {
    for (const auto& ip : old.spec.clusterIPs) {
      if (auto v = ips_->Parse(ip)) release_ips.insert(*v);
    }
  }
  const std::set<uint32_t> held = HeldNodePorts(old);
  if (s.IsOk()) s = pass.NodePorts(svc, held, taken);
  std::set<uint32_t> release_ports;
  if (s.IsOk()) {
    const std::set<uint32_t> now = HeldNodePorts(svc);
    for (uint32_t p : held) {
      if (now.contains(p)) continue;
      if (auto v = ports_->Parse(std::to_string(p))) release_ports.insert(*v);
    }
  }
  if (dry_run) {
    release_ips.clear();
    release_ports.clear();
  }
  Finish finish = Rollback(*ips_, *ports_, std::move(taken), svc.metadata.uid,
                           std::move(release_ips), std::move(release_ports));
  if (!s.IsOk()) {
    finish(false);
    return s;
  }
  obj = api::ToJson(svc);
  return finish;
}

void ServiceAllocator::AfterDelete(const json::value& obj) {
  Service svc;
  if (!DecodeService(obj, svc).IsOk()) return;
  if (NeedsClusterIP(svc)) {
    for (const auto& ip : svc.spec.clusterIPs) {
      if (auto v = ips_->Parse(ip)) ips_->Free(*v, svc.metadata.uid);
    }
  }
  for (uint32_t p : HeldNodePorts(svc)) {
    if (auto v = ports_->Parse(std::to_string(p))) ports_->Free(*v, svc.metadata.uid);
  }
}

}  // namespace kubepp::apiserver
