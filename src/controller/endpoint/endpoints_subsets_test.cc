// The pure parts of the endpoints controller: which pods and ports, repacking, change detection.
#include "controller/endpoint/endpoints_subsets.h"

#include <gtest/gtest.h>

#include "controller/endpoint/pod_util.h"
#include "controller/endpoint/test_objects.h"

namespace kubepp::controller {
namespace {

using testing::MakePod;
using testing::MakeService;
using testing::Ptr;

std::vector<std::string> Ips(const std::vector<api::EndpointAddress>& addrs) {
  std::vector<std::string> out;
  for (const auto& a : addrs) out.push_back(a.ip);
  return out;
}

TEST(FindPortTest, NumbersNamesAndProtocols) {
  api::Pod pod = MakePod("a", "web", "10.1.0.1", true, 9090);
  api::ServicePort sp;
  sp.port = 80;
  EXPECT_EQ(FindPort(pod, sp), 80);  // no targetPort: the port itself
  sp.targetPort = api::IntOrString::FromInt(8000);
  EXPECT_EQ(FindPort(pod, sp), 8000);
  sp.targetPort = api::IntOrString::FromString("web");
  EXPECT_EQ(FindPort(pod, sp), 9090);
  sp.protocol = "UDP";
  EXPECT_EQ(FindPort(pod, sp), std::nullopt);
  sp.protocol = "TCP";
  sp.targetPort = api::IntOrString::FromString("nope");
  EXPECT_EQ(FindPort(pod, sp), std::nullopt);
}

TEST(BuildSubsetsTest, ReadyAndNotReadyPodsWithTargetRefs) {
  api::Service svc = MakeService("web", "web");
  std::vector<std::shared_ptr<const api::Pod>> pods{Ptr(MakePod("b", "web", "10.1.0.2", true)),
                                                    Ptr(MakePod("a", "web", "10.1.0.1", true)),
                                                    Ptr(MakePod("c", "web", "10.1.0.3", false))};
  auto subsets = BuildSubsets(svc, pods);
  ASSERT_EQ(subsets.size(), 1u);
  EXPECT_EQ(Ips(subsets[0].addresses), (std::vector<std::string>{"10.1.0.1", "10.1.0.2"}));
  EXPECT_EQ(Ips(subsets[0].notReadyAddresses), (std::vector<std::string>{"10.1.0.3"}));
  ASSERT_EQ(subsets[0].ports.size(), 1u);
  EXPECT_EQ(subsets[0].ports[0].port, 8080);
  EXPECT_EQ(subsets[0].ports[0].name, "http");
  EXPECT_EQ(subsets[0].ports[0].protocol, "TCP");
  const auto& a = subsets[0].addresses[0];
  ASSERT_TRUE(a.targetRef.has_value());
  EXPECT_EQ(a.targetRef->kind, "Pod");
  EXPECT_EQ(a.targetRef->name, "a");
  EXPECT_EQ(a.targetRef->namespace_, "default");
  EXPECT_EQ(a.targetRef->uid, "uid-a");
  EXPECT_EQ(a.nodeName, "node-1");
  EXPECT_EQ(a.hostname, "");
}

TEST(BuildSubsetsTest, SkipsPodsWithoutIpTerminalOrTerminating) {
  api::Service svc = MakeService("web", "web");
  api::Pod no_ip = MakePod("a", "web", "", true);
  api::Pod failed = MakePod("b", "web", "10.1.0.2", true);
  failed.status.phase = "Failed";
  api::Pod deleting = MakePod("c", "web", "10.1.0.3", true);
  deleting.metadata.deletionTimestamp = "2026-01-01T00:00:00Z";
  api::Pod ok = MakePod("d", "web", "10.1.0.4", true);
  std::vector<std::shared_ptr<const api::Pod>> pods{Ptr(no_ip), Ptr(failed), Ptr(deleting),
                                                    Ptr(ok)};
  auto subsets = BuildSubsets(svc, pods);
  ASSERT_EQ(subsets.size(), 1u);
  EXPECT_EQ(Ips(subsets[0].addresses), (std::vector<std::string>{"10.1.0.4"}));
  EXPECT_TRUE(subsets[0].notReadyAddresses.empty());

  // publishNotReadyAddresses: terminating and unready pods are published as ready.
  svc.spec.publishNotReadyAddresses = true;
  api::Pod unready = MakePod("e", "web", "10.1.0.5", false);
  pods.push_back(Ptr(unready));
  subsets = BuildSubsets(svc, pods);
  ASSERT_EQ(subsets.size(), 1u);
  EXPECT_EQ(Ips(subsets[0].addresses),
            (std::vector<std::string>{"10.1.0.3", "10.1.0.4", "10.1.0.5"}));
  EXPECT_TRUE(subsets[0].notReadyAddresses.empty());
}

TEST(BuildSubsetsTest, PodsMissingANamedPortAreSkippedForThatPortOnly) {
  api::Service svc = MakeService("web", "web");
  api::ServicePort metrics;
  metrics.name = "metrics";
  metrics.port = 9100;
  metrics.protocol = "TCP";
  metrics.targetPort = api::IntOrString::FromString("metrics");
  svc.spec.ports.push_back(metrics);
  api::Pod with = MakePod("a", "web", "10.1.0.1", true);
  api::ContainerPort mp;
  mp.name = "metrics";
  mp.containerPort = 9100;
  mp.protocol = "TCP";
  with.spec.containers[0].ports.push_back(mp);
  api::Pod without = MakePod("b", "web", "10.1.0.2", true);
  auto subsets = BuildSubsets(svc, {Ptr(with), Ptr(without)});
  // Grouped per port (upstream's N-to-M repacking): http has a and b, metrics only a.
  ASSERT_EQ(subsets.size(), 2u);
  EXPECT_EQ(Ips(subsets[0].addresses), (std::vector<std::string>{"10.1.0.1", "10.1.0.2"}));
  ASSERT_EQ(subsets[0].ports.size(), 1u);
  EXPECT_EQ(subsets[0].ports[0].name, "http");
  EXPECT_EQ(Ips(subsets[1].addresses), (std::vector<std::string>{"10.1.0.1"}));
  ASSERT_EQ(subsets[1].ports.size(), 1u);
  EXPECT_EQ(subsets[1].ports[0].name, "metrics");
  EXPECT_EQ(subsets[1].ports[0].port, 9100);
}

TEST(BuildSubsetsTest, DifferentPortNumbersMakeDifferentSubsets) {
  api::Service svc = MakeService("web", "web");
  auto subsets = BuildSubsets(svc, {Ptr(MakePod("a", "web", "10.1.0.1", true, 8080)),
                                    Ptr(MakePod("b", "web", "10.1.0.2", true, 9090)),
                                    Ptr(MakePod("c", "web", "10.1.0.3", false, 8080))});
  ASSERT_EQ(subsets.size(), 2u);
  EXPECT_EQ(Ips(subsets[0].addresses), (std::vector<std::string>{"10.1.0.1"}));
  EXPECT_EQ(Ips(subsets[0].notReadyAddresses), (std::vector<std::string>{"10.1.0.3"}));
  EXPECT_EQ(subsets[0].ports[0].port, 8080);
  EXPECT_EQ(Ips(subsets[1].addresses), (std::vector<std::string>{"10.1.0.2"}));
  EXPECT_EQ(subsets[1].ports[0].port, 9090);
}

TEST(BuildSubsetsTest, HeadlessHostnameAndNoPorts) {
  api::Service svc = MakeService("db", "db");
  svc.spec.clusterIP = "None";
  svc.spec.ports.clear();
  api::Pod p = MakePod("db-0", "db", "10.1.0.7", true);
  p.spec.hostname = "db-0";
  p.spec.subdomain = "db";
  auto subsets = BuildSubsets(svc, {Ptr(p)});
  ASSERT_EQ(subsets.size(), 1u);
  EXPECT_TRUE(subsets[0].ports.empty());
  ASSERT_EQ(subsets[0].addresses.size(), 1u);
  EXPECT_EQ(subsets[0].addresses[0].hostname, "db-0");
  // Not headless and no ports: nothing.
  svc.spec.clusterIP = "10.0.0.9";
  EXPECT_TRUE(BuildSubsets(svc, {Ptr(p)}).empty());
}

TEST(RepackSubsetsTest, NotReadyTrumpsReadyAndPortsMerge) {
  api::EndpointAddress a;
  a.ip = "10.0.0.1";
  api::EndpointPort p1;
  p1.name = "a";
  p1.port = 1;
  api::EndpointPort p2;
  p2.name = "b";
  p2.port = 2;
  api::EndpointSubset s1;
  s1.addresses = {a};
  s1.ports = {p2};
  api::EndpointSubset s2;
  s2.addresses = {a};
  s2.ports = {p1};
  auto out = RepackSubsets({s1, s2});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].ports.size(), 2u);
  EXPECT_EQ(out[0].ports[0].name, "a");
  // The same address not ready on one port: it moves to its own group there.
  api::EndpointSubset s3;
  s3.notReadyAddresses = {a};
  s3.ports = {p1};
  out = RepackSubsets({s1, s2, s3});
  ASSERT_EQ(out.size(), 2u);
}

TEST(DesiredEndpointsTest, SkipsWhenUnchangedAndSetsLabels) {
  api::Service svc = MakeService("web", "web");
  svc.metadata.labels["team"] = "x";
  auto subsets = BuildSubsets(svc, {Ptr(MakePod("a", "web", "10.1.0.1", true))});
  auto first = DesiredEndpoints(svc, subsets, nullptr, "2026-01-01T00:00:00Z");
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->metadata.name, "web");
  EXPECT_EQ(first->metadata.labels.at("team"), "x");
  EXPECT_EQ(first->metadata.labels.count(kLabelHeadless), 0u);
  EXPECT_EQ(first->metadata.annotations.at(kAnnotationLastChangeTriggerTime),
            "2026-01-01T00:00:00Z");
  // The same again: no write, whatever the trigger time.
  api::Endpoints current = *first;
  current.subsets[0].addresses[0].targetRef->resourceVersion = "42";  // ignored
  EXPECT_FALSE(DesiredEndpoints(svc, subsets, &current, "2027-01-01T00:00:00Z").has_value());
  // Headless: the label appears.
  svc.spec.clusterIP = "None";
  auto headless = DesiredEndpoints(svc, subsets, &current, "");
  ASSERT_TRUE(headless.has_value());
  EXPECT_EQ(headless->metadata.labels.count(kLabelHeadless), 1u);
  EXPECT_EQ(headless->metadata.annotations.count(kAnnotationLastChangeTriggerTime), 0u);
}

}  // namespace
}  // namespace kubepp::controller
