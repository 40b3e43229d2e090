// The pure parts of the endpointslice controller: desired endpoints and slice planning.
#include "controller/endpoint/endpointslice_plan.h"

#include <gtest/gtest.h>

#include "controller/endpoint/pod_util.h"
#include "controller/endpoint/test_objects.h"

namespace kubepp::controller {
namespace {

using testing::MakePod;
using testing::MakeService;
using testing::Ptr;

std::string NoZone(const std::string& /*node*/) { return ""; }

std::vector<std::shared_ptr<const api::Pod>> Pods(int n, int first = 1) {
  std::vector<std::shared_ptr<const api::Pod>> out;
  for (int i = first; i < first + n; ++i) {
    out.push_back(
        Ptr(MakePod("p" + std::to_string(i), "web", "10.1.0." + std::to_string(i), true)));
  }
  return out;
}

// Gives the planned creations names and versions, as the server would.
std::vector<std::shared_ptr<const api::EndpointSlice>> Apply(
    const SlicePlan& plan, std::vector<std::shared_ptr<const api::EndpointSlice>> existing) {
  static int counter = 0;
  std::vector<std::shared_ptr<const api::EndpointSlice>> out;
  for (const auto& s : existing) {
    bool deleted = false;
    for (const auto& d : plan.to_delete) deleted |= d.metadata.name == s->metadata.name;
    bool updated = false;
    for (const auto& u : plan.to_update) {
      if (u.metadata.name == s->metadata.name) {
        out.push_back(std::make_shared<const api::EndpointSlice>(u));
        updated = true;
      }
    }
    if (!deleted && !updated) out.push_back(s);
  }
  for (auto c : plan.to_create) {
    c.metadata.name = c.metadata.generateName + std::to_string(++counter);
    c.metadata.uid = "slice-uid-" + c.metadata.name;
    out.push_back(std::make_shared<const api::EndpointSlice>(std::move(c)));
  }
  return out;
}

size_t CountEndpoints(const std::vector<std::shared_ptr<const api::EndpointSlice>>& slices) {
  size_t n = 0;
  for (const auto& s : slices) n += s->endpoints.size();
  return n;
}

TEST(DesiredEndpointGroupsTest, ConditionsTargetRefZoneAndPorts) {
  api::Service svc = MakeService("web", "web");
  api::Pod ready = MakePod("a", "web", "10.1.0.1", true);
  api::Pod unready = MakePod("b", "web", "10.1.0.2", false);
  api::Pod terminating = MakePod("c", "web", "10.1.0.3", true);
  terminating.metadata.deletionTimestamp = "2026-01-01T00:00:00Z";
  api::Pod other_port = MakePod("d", "web", "10.1.0.4", true, 9090);
  api::Pod no_ip = MakePod("e", "web", "", true);
  auto zone_of = [](const std::string& node) { return node == "node-1" ? "zone-a" : ""; };
  auto groups = DesiredEndpointGroups(
      svc, {Ptr(ready), Ptr(unready), Ptr(terminating), Ptr(other_port), Ptr(no_ip)}, zone_of);
  ASSERT_EQ(groups.size(), 2u);  // 8080 and 9090
  const auto& g = groups[0].ports.at(0).port == 8080 ? groups[0] : groups[1];
  ASSERT_EQ(g.endpoints.size(), 3u);
  EXPECT_EQ(g.ports.at(0).name, "http");
  EXPECT_EQ(g.ports.at(0).protocol, "TCP");
  const api::Endpoint& a = g.endpoints[0];
  EXPECT_EQ(a.addresses, std::vector<std::string>{"10.1.0.1"});
  EXPECT_EQ(a.conditions->ready, true);
  EXPECT_EQ(a.conditions->serving, true);
  EXPECT_EQ(a.conditions->terminating, false);
  EXPECT_EQ(a.targetRef->kind, "Pod");
  EXPECT_EQ(a.targetRef->name, "a");
  EXPECT_EQ(a.nodeName, "node-1");
  EXPECT_EQ(a.zone, "zone-a");
  const api::Endpoint& b = g.endpoints[1];
  EXPECT_EQ(b.conditions->ready, false);
  EXPECT_EQ(b.conditions->serving, false);
  const api::Endpoint& c = g.endpoints[2];
  EXPECT_EQ(c.conditions->ready, false);
  EXPECT_EQ(c.conditions->serving, true);
  EXPECT_EQ(c.conditions->terminating, true);
  // publishNotReadyAddresses: all ready.
  svc.spec.publishNotReadyAddresses = true;
  groups = DesiredEndpointGroups(svc, {Ptr(unready), Ptr(terminating)}, NoZone);
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].endpoints[0].conditions->ready, true);
  EXPECT_EQ(groups[0].endpoints[1].conditions->ready, true);
}

TEST(PlanSlicesTest, NewServiceSplitsAtMaxAndLabelsOwners) {
  api::Service svc = MakeService("web", "web");
  svc.metadata.labels["team"] = "x";
  auto groups = DesiredEndpointGroups(svc, Pods(5), NoZone);
  SlicePlan plan = PlanSlices(svc, groups, {}, 2, "t");
  ASSERT_EQ(plan.to_create.size(), 3u);
  EXPECT_TRUE(plan.to_update.empty());
  EXPECT_TRUE(plan.to_delete.empty());
  const auto& s = plan.to_create[0];
  EXPECT_EQ(s.metadata.generateName, "web-");
  EXPECT_EQ(s.metadata.labels.at(kLabelServiceName), "web");
  EXPECT_EQ(s.metadata.labels.at(kLabelManagedBy), "endpointslice-controller.k8s.io");
  EXPECT_EQ(s.metadata.labels.at("team"), "x");
  EXPECT_EQ(s.addressType, "IPv4");
  ASSERT_EQ(s.metadata.ownerReferences.size(), 1u);
  EXPECT_EQ(s.metadata.ownerReferences[0].kind, "Service");
  EXPECT_EQ(s.metadata.ownerReferences[0].uid, svc.metadata.uid);
  EXPECT_EQ(s.metadata.ownerReferences[0].controller, true);
  EXPECT_EQ(s.metadata.ownerReferences[0].blockOwnerDeletion, true);
  EXPECT_EQ(s.endpoints.size(), 2u);
  EXPECT_EQ(plan.to_create[2].endpoints.size(), 1u);
}

TEST(PlanSlicesTest, MinimalChurn) {
  api::Service svc = MakeService("web", "web");
  auto existing =
      Apply(PlanSlices(svc, DesiredEndpointGroups(svc, Pods(5), NoZone), {}, 3, ""), {});
  ASSERT_EQ(existing.size(), 2u);
  // Same pods: nothing to do.
  SlicePlan same = PlanSlices(svc, DesiredEndpointGroups(svc, Pods(5), NoZone), existing, 3, "");
  EXPECT_TRUE(same.to_create.empty());
  EXPECT_TRUE(same.to_update.empty());
  EXPECT_TRUE(same.to_delete.empty());
  // One more pod: it goes into the slice with room, nothing else is written.
  SlicePlan one_more =
      PlanSlices(svc, DesiredEndpointGroups(svc, Pods(6), NoZone), existing, 3, "");
  EXPECT_TRUE(one_more.to_create.empty());
  ASSERT_EQ(one_more.to_update.size(), 1u);
  EXPECT_EQ(one_more.to_update[0].endpoints.size(), 3u);
  EXPECT_TRUE(one_more.to_delete.empty());
  existing = Apply(one_more, existing);
  // A readiness change: only the slice holding that pod is updated.
  auto pods = Pods(6);
  api::Pod p1 = *pods[0];
  p1.status.conditions[0].status = "False";
  pods[0] = Ptr(p1);
  SlicePlan change = PlanSlices(svc, DesiredEndpointGroups(svc, pods, NoZone), existing, 3, "");
  ASSERT_EQ(change.to_update.size(), 1u);
  EXPECT_TRUE(change.to_create.empty());
  EXPECT_TRUE(change.to_delete.empty());
  existing = Apply(change, existing);
  EXPECT_EQ(CountEndpoints(existing), 6u);
  // Pods 1-3 go: their slice empties and is deleted.
  SlicePlan fewer =
      PlanSlices(svc, DesiredEndpointGroups(svc, Pods(3, 4), NoZone), existing, 3, "");
  EXPECT_TRUE(fewer.to_create.empty());
  EXPECT_EQ(fewer.to_delete.size() + fewer.to_update.size(), 1u);
  existing = Apply(fewer, existing);
  EXPECT_EQ(CountEndpoints(existing), 3u);
  // No pods at all: one empty placeholder stays.
  SlicePlan none = PlanSlices(svc, DesiredEndpointGroups(svc, {}, NoZone), existing, 3, "");
  existing = Apply(none, existing);
  ASSERT_EQ(existing.size(), 1u);
  EXPECT_TRUE(existing[0]->endpoints.empty());
  EXPECT_TRUE(existing[0]->ports.empty());
  SlicePlan still_none = PlanSlices(svc, DesiredEndpointGroups(svc, {}, NoZone), existing, 3, "");
  EXPECT_TRUE(still_none.to_create.empty() && still_none.to_update.empty() &&
              still_none.to_delete.empty());
}

TEST(PlanSlicesTest, PortSetChangesAndForeignOwners) {
  api::Service svc = MakeService("web", "web");
  auto existing =
      Apply(PlanSlices(svc, DesiredEndpointGroups(svc, Pods(2), NoZone), {}, 10, ""), {});
  ASSERT_EQ(existing.size(), 1u);
  // The service now targets another port: new slice for the new port set, old one deleted.
  svc.spec.ports[0].targetPort = api::IntOrString::FromInt(7000);
  SlicePlan plan = PlanSlices(svc, DesiredEndpointGroups(svc, Pods(2), NoZone), existing, 10, "");
  ASSERT_EQ(plan.to_create.size(), 1u);
  EXPECT_EQ(plan.to_create[0].ports.at(0).port, 7000);
  ASSERT_EQ(plan.to_delete.size(), 1u);
  // A slice owned by an older Service of the same name is deleted.
  api::Service recreated = svc;
  recreated.metadata.uid = "another";
  SlicePlan again =
      PlanSlices(recreated, DesiredEndpointGroups(recreated, Pods(2), NoZone), existing, 10, "");
  EXPECT_EQ(again.to_delete.size(), 1u);
  EXPECT_EQ(again.to_create.size(), 1u);
}

}  // namespace
}  // namespace kubepp::controller
