#include "apiserver/service_alloc.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <set>

#include "api/codec.h"
#include "api/types.h"
#include "storage/memory/memory_backend.h"

namespace kubepp::apiserver {
namespace {

namespace json = boost::json;

constexpr const char* kServicesPrefix = "/registry/core/services/";

api::Service MakeService(const std::string& name, const std::string& type = "ClusterIP") {
  api::Service svc;
  svc.apiVersion = "v1";
  svc.kind = "Service";
  svc.metadata.name = name;
  svc.metadata.namespace_ = "default";
  svc.metadata.uid = "uid-" + name;
  svc.spec.type = type;
  api::ServicePort p;
  p.name = "http";
  p.port = 80;
  p.protocol = "TCP";
  svc.spec.ports.push_back(p);
  return svc;
}

api::Service Decode(const json::value& v) {
  api::Service svc;
  EXPECT_TRUE(api::FromJson(v, svc, nullptr).IsOk());
  return svc;
}

class ServiceAllocTest : public ::testing::Test {
 protected:
  void SetUp() override { Open("198.19.0.0/24", "30000-30099"); }

  void Open(const std::string& ips, const std::string& ports) {
    ServiceAllocatorOptions o;
    o.cluster_ip_range = ips;
    o.node_port_range = ports;
    o.services_prefix = kServicesPrefix;
    auto a = ServiceAllocator::Make(store_, o);
    ASSERT_TRUE(a.IsOk()) << a.status().ToString();
    alloc_ = std::move(a).value();
    ASSERT_TRUE(alloc_->Start().IsOk());
  }

  // Creates `svc` as the handler does: BeginCreate, store, finish.
  Result<api::Service> Create(const api::Service& svc, bool dry_run = false) {
    json::value obj = api::ToJson(svc);
    KUBEPP_ASSIGN_OR_RETURN(auto finish, alloc_->BeginCreate(obj, dry_run));
    if (!dry_run) {
      auto stored = store_.Create(kServicesPrefix + std::string("default/") + svc.metadata.name,
                                  json::serialize(obj));
      finish(stored.IsOk());
      if (!stored.IsOk()) return stored.status();
    }
    return Decode(obj);
  }

  Result<api::Service> Update(const api::Service& svc, const api::Service& old) {
    json::value obj = api::ToJson(svc);
    json::value old_obj = api::ToJson(old);
    KUBEPP_ASSIGN_OR_RETURN(auto finish, alloc_->BeginUpdate(obj, old_obj, false));
    const std::string key = kServicesPrefix + std::string("default/") + svc.metadata.name;
    auto cur = store_.Get(key);
    EXPECT_TRUE(cur.IsOk());
    auto stored = store_.Update(key, json::serialize(obj), cur->mod_revision);
    finish(stored.IsOk());
    return Decode(obj);
  }

  void Delete(const api::Service& svc) {
    const std::string key = kServicesPrefix + std::string("default/") + svc.metadata.name;
    auto cur = store_.Get(key);
    ASSERT_TRUE(cur.IsOk());
    ASSERT_TRUE(store_.Delete(key, cur->mod_revision).IsOk());
    alloc_->AfterDelete(api::ToJson(svc));
  }

  bool Recorded(const std::string& what, const std::string& value) {
    return store_.Get("/registry/ranges/" + what + "/" + value).IsOk();
  }

  storage::MemoryBackend store_;
  std::unique_ptr<ServiceAllocator> alloc_;
};

TEST_F(ServiceAllocTest, DynamicClusterIPsAreUniqueAndPreferTheUpperBand) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    auto svc = Create(MakeService("s" + std::to_string(i)));
    ASSERT_TRUE(svc.IsOk()) << svc.status().ToString();
    const std::string ip = svc->spec.clusterIP;
    EXPECT_EQ(svc->spec.clusterIPs, std::vector<std::string>{ip});
    EXPECT_EQ(svc->spec.ipFamilies, std::vector<std::string>{"IPv4"});
    EXPECT_EQ(svc->spec.ipFamilyPolicy, "SingleStack");
    ASSERT_EQ(ip.rfind("198.19.0.", 0), 0u) << ip;
    // A /24 has 254 usable addresses; the static band is the lowest 16.
    int last = std::stoi(ip.substr(9));
    EXPECT_GT(last, 16) << ip;
    EXPECT_LT(last, 255) << ip;
    EXPECT_TRUE(seen.insert(ip).second) << "duplicate " << ip;
    EXPECT_TRUE(Recorded("serviceips", ip));
  }
  EXPECT_EQ(alloc_->FirstIP(), "198.19.0.1");
}

TEST_F(ServiceAllocTest, RequestedIPTakenOrOutOfRangeIs422) {
  auto a = MakeService("a");
  a.spec.clusterIP = "198.19.0.10";
  ASSERT_TRUE(Create(a).IsOk());
  auto b = MakeService("b");
  b.spec.clusterIP = "198.19.0.10";
  auto taken = Create(b);
  ASSERT_FALSE(taken.IsOk());
  EXPECT_EQ(taken.status().Code(), StatusCode::kInvalid);
  EXPECT_EQ(taken.status().Message(),
            "Service \"b\" is invalid: spec.clusterIPs: Invalid value: []string{\"198.19.0.10\"}: "
            "failed to allocate IP 198.19.0.10: provided IP is already allocated");
  b.spec.clusterIP = "203.0.113.7";
  auto outside = Create(b);
  ASSERT_FALSE(outside.IsOk());
  EXPECT_NE(outside.status().Message().find(
                "the provided IP (203.0.113.7) is not in the valid range. The range of valid IPs "
                "is 198.19.0.0/24"),
            std::string::npos)
      << outside.status().Message();
}

TEST_F(ServiceAllocTest, DeleteAndFailedWritesGiveAddressesBack) {
  auto a = MakeService("a");
  a.spec.clusterIP = "198.19.0.10";
  auto created = Create(a);
  ASSERT_TRUE(created.IsOk());
  Delete(*created);
  EXPECT_FALSE(Recorded("serviceips", "198.19.0.10"));
  // Another service may take it now.
  auto b = MakeService("b");
  b.spec.clusterIP = "198.19.0.10";
  ASSERT_TRUE(Create(b).IsOk());

  // A create whose store write fails gives back what it took.
  auto c = MakeService("c");
  c.spec.clusterIP = "198.19.0.11";
  json::value obj = api::ToJson(c);
  auto finish = alloc_->BeginCreate(obj, false);
  ASSERT_TRUE(finish.IsOk());
  EXPECT_TRUE(Recorded("serviceips", "198.19.0.11"));
  (*finish)(false);
  EXPECT_FALSE(Recorded("serviceips", "198.19.0.11"));
}

TEST_F(ServiceAllocTest, DryRunTakesNothing) {
  auto a = MakeService("a", "NodePort");
  auto dry = Create(a, /*dry_run=*/true);
  ASSERT_TRUE(dry.IsOk()) << dry.status().ToString();
  EXPECT_FALSE(dry->spec.clusterIP.empty());
  EXPECT_GE(dry->spec.ports[0].nodePort.value_or(0), 30000);
  EXPECT_FALSE(Recorded("serviceips", dry->spec.clusterIP));
  EXPECT_FALSE(Recorded("servicenodeports", std::to_string(*dry->spec.ports[0].nodePort)));
}

TEST_F(ServiceAllocTest, NodePorts) {
  auto a = MakeService("a", "NodePort");
  api::ServicePort udp = a.spec.ports[0];
  udp.name = "dns";
  udp.protocol = "UDP";
  a.spec.ports.push_back(udp);  // same port number over UDP: shares the node port
  auto created = Create(a);
  ASSERT_TRUE(created.IsOk()) << created.status().ToString();
  int32_t np = created->spec.ports[0].nodePort.value_or(0);
  EXPECT_GE(np, 30000);
  EXPECT_LE(np, 30099);
  EXPECT_EQ(created->spec.ports[1].nodePort.value_or(0), np);
  EXPECT_TRUE(Recorded("servicenodeports", std::to_string(np)));

  auto b = MakeService("b", "NodePort");
  b.spec.ports[0].nodePort = np;
  auto taken = Create(b);
  ASSERT_FALSE(taken.IsOk());
  EXPECT_EQ(taken.status().Message(),
            "Service \"b\" is invalid: spec.ports[0].nodePort: Invalid value: " +
                std::to_string(np) + ": provided port is already allocated");
  b.spec.ports[0].nodePort = 31000;
  auto outside = Create(b);
  ASSERT_FALSE(outside.IsOk());
  EXPECT_EQ(outside.status().Message(),
            "Service \"b\" is invalid: spec.ports[0].nodePort: Invalid value: 31000: provided port "
            "is not in the valid range. The range of valid ports is 30000-30099");
  // The failed creates kept no cluster IP.
  b.spec.ports[0].nodePort = 30005;
  ASSERT_TRUE(Create(b).IsOk());
}

TEST_F(ServiceAllocTest, TypeChangesAllocateAndRelease) {
  auto created = Create(MakeService("a"));
  ASSERT_TRUE(created.IsOk());
  api::Service np = *created;
  np.spec.type = "NodePort";
  auto updated = Update(np, *created);
  ASSERT_TRUE(updated.IsOk()) << updated.status().ToString();
  int32_t port = updated->spec.ports[0].nodePort.value_or(0);
  ASSERT_GE(port, 30000);
  EXPECT_EQ(updated->spec.clusterIP, created->spec.clusterIP);
  EXPECT_TRUE(Recorded("servicenodeports", std::to_string(port)));

  api::Service back = *updated;
  back.spec.type = "ClusterIP";
  back.spec.ports[0].nodePort.reset();
  ASSERT_TRUE(Update(back, *updated).IsOk());
  EXPECT_FALSE(Recorded("servicenodeports", std::to_string(port)));

  api::Service ext = back;
  ext.spec.type = "ExternalName";
  ext.spec.externalName = "example.com";
  ext.spec.clusterIP.clear();
  ext.spec.clusterIPs.clear();
  ASSERT_TRUE(Update(ext, back).IsOk());
  EXPECT_FALSE(Recorded("serviceips", created->spec.clusterIP));
}

TEST_F(ServiceAllocTest, HeadlessAndExternalNameTakeNothing) {
  auto h = MakeService("h");
  h.spec.clusterIP = "None";
  auto headless = Create(h);
  ASSERT_TRUE(headless.IsOk());
  EXPECT_EQ(headless->spec.clusterIP, "None");
  auto e = MakeService("e", "ExternalName");
  e.spec.externalName = "example.com";
  auto ext = Create(e);
  ASSERT_TRUE(ext.IsOk());
  EXPECT_TRUE(ext->spec.clusterIP.empty());
}

TEST_F(ServiceAllocTest, FullRangeIsAnInternalError) {
  Open("198.19.0.0/29", "30000-30001");  // 6 usable addresses, 2 ports
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(Create(MakeService("s" + std::to_string(i))).IsOk());
  auto full = Create(MakeService("s6"));
  ASSERT_FALSE(full.IsOk());
  EXPECT_EQ(full.status().Code(), StatusCode::kInternalError);
  EXPECT_NE(full.status().Message().find("failed to allocate a serviceIP: range is full"),
            std::string::npos);
}

TEST_F(ServiceAllocTest, StartRepairsLeaksAndMissingRecords) {
  // A record whose service never got stored (a crash between the two writes).
  ASSERT_TRUE(store_
                  .Create("/registry/ranges/serviceips/198.19.0.50",
                          R"({"namespace":"default","name":"ghost","uid":"uid-ghost"})")
                  .IsOk());
  // A stored service whose record is missing.
  auto svc = MakeService("real");
  svc.spec.clusterIP = "198.19.0.60";
  svc.spec.clusterIPs = {"198.19.0.60"};
  ASSERT_TRUE(
      store_.Create(kServicesPrefix + std::string("default/real"), api::ToJsonString(svc)).IsOk());
  Open("198.19.0.0/24", "30000-30099");
  EXPECT_FALSE(Recorded("serviceips", "198.19.0.50"));
  EXPECT_TRUE(Recorded("serviceips", "198.19.0.60"));
  auto other = MakeService("other");
  other.spec.clusterIP = "198.19.0.60";
  EXPECT_FALSE(Create(other).IsOk());
}

TEST(ServiceAllocMake, BadRangesAreRejected) {
  storage::MemoryBackend store;
  ServiceAllocatorOptions o;
  o.cluster_ip_range = "not-a-cidr";
  EXPECT_FALSE(ServiceAllocator::Make(store, o).IsOk());
  o.cluster_ip_range = "198.19.0.0/16";
  o.node_port_range = "32767-30000";
  EXPECT_FALSE(ServiceAllocator::Make(store, o).IsOk());
}

}  // namespace
}  // namespace kubepp::apiserver
