#include "controller/resourcequota/quota_evaluator.h"

#include <gtest/gtest.h>

namespace kubepp::controller::resourcequota {
namespace {

const Clock::WallTime kNow = Clock::WallTime(std::chrono::seconds(1'700'000'000));

using Amounts = std::map<std::string, std::string>;

api::Container MakeContainer(const std::string& name, const Amounts& requests,
                             const Amounts& limits = {}) {
  api::Container c;
  c.name = name;
  if (!requests.empty() || !limits.empty()) {
    c.resources.emplace();
    for (const auto& [k, v] : requests) c.resources->requests[k] = api::Quantity{v};
    for (const auto& [k, v] : limits) c.resources->limits[k] = api::Quantity{v};
  }
  return c;
}

api::Pod MakePod(std::vector<api::Container> containers) {
  api::Pod p;
  p.metadata.name = "p";
  p.metadata.namespace_ = "ns";
  p.spec.containers = std::move(containers);
  return p;
}

std::string Text(const ResourceList& l, const std::string& name) {
  auto it = l.find(name);
  return it == l.end() ? "<absent>" : it->second.ToString();
}

TEST(QuotaEvaluatorTest, PodRequestsSumAppsAndMaxInit) {
  auto pod = MakePod({MakeContainer("a", {{"cpu", "100m"}, {"memory", "64Mi"}}),
                      MakeContainer("b", {{"cpu", "200m"}, {"memory", "64Mi"}})});
  // A big init container wins for cpu; a small one loses.
  pod.spec.initContainers = {MakeContainer("i1", {{"cpu", "500m"}}),
                             MakeContainer("i2", {{"memory", "100Mi"}})};
  auto reqs = PodRequests(pod);
  EXPECT_EQ(Text(reqs, "cpu"), "500m");
  EXPECT_EQ(Text(reqs, "memory"), "128Mi");
  // Overhead on top.
  pod.spec.overhead["cpu"] = api::Quantity{"250m"};
  EXPECT_EQ(Text(PodRequests(pod), "cpu"), "750m");
}

TEST(QuotaEvaluatorTest, PodRequestsWithSidecars) {
  auto pod = MakePod({MakeContainer("app", {{"cpu", "1"}})});
  auto sidecar = MakeContainer("sidecar", {{"cpu", "500m"}});
  sidecar.restartPolicy = "Always";
  // Sidecar first: the later init container runs beside it (500m + 2 = 2500m) and beats
  // app + sidecar (1500m).
  pod.spec.initContainers = {sidecar, MakeContainer("init", {{"cpu", "2"}})};
  EXPECT_EQ(Text(PodRequests(pod), "cpu"), "2500m");
  pod.spec.initContainers = {sidecar, MakeContainer("init", {{"cpu", "100m"}})};
  EXPECT_EQ(Text(PodRequests(pod), "cpu"), "1500m");
}

TEST(QuotaEvaluatorTest, PodLimitsOverheadOnlyWhereLimited) {
  auto pod = MakePod({MakeContainer("a", {}, {{"cpu", "1"}})});
  pod.spec.overhead["cpu"] = api::Quantity{"100m"};
  pod.spec.overhead["memory"] = api::Quantity{"10Mi"};
  auto limits = PodLimits(pod);
  EXPECT_EQ(Text(limits, "cpu"), "1100m");
  EXPECT_EQ(Text(limits, "memory"), "<absent>");
}

TEST(QuotaEvaluatorTest, PodUsage) {
  auto pod = MakePod({MakeContainer("a", {{"cpu", "250m"}, {"memory", "1Gi"}},
                                    {{"cpu", "500m"}, {"memory", "2Gi"}})});
  pod.spec.containers[0].resources->requests["example.com/gpu"] = api::Quantity{"2"};
  pod.spec.containers[0].resources->requests["hugepages-2Mi"] = api::Quantity{"4Mi"};
  auto u = PodUsage(pod, kNow);
  EXPECT_EQ(Text(u, "pods"), "1");
  EXPECT_EQ(Text(u, "count/pods"), "1");
  EXPECT_EQ(Text(u, "cpu"), "250m");
  EXPECT_EQ(Text(u, "requests.cpu"), "250m");
  EXPECT_EQ(Text(u, "limits.cpu"), "500m");
  EXPECT_EQ(Text(u, "requests.memory"), "1Gi");
  EXPECT_EQ(Text(u, "limits.memory"), "2Gi");
  EXPECT_EQ(Text(u, "requests.example.com/gpu"), "2");
  EXPECT_EQ(Text(u, "hugepages-2Mi"), "4Mi");
  EXPECT_EQ(Text(u, "requests.hugepages-2Mi"), "4Mi");
  EXPECT_EQ(Text(u, "requests.ephemeral-storage"), "<absent>");

  // Terminal pods only keep count/pods.
  pod.status.phase = "Succeeded";
  u = PodUsage(pod, kNow);
  EXPECT_EQ(u.size(), 1U);
  EXPECT_EQ(Text(u, "count/pods"), "1");
}

TEST(QuotaEvaluatorTest, QuotaV1PodPastGrace) {
  auto pod = MakePod({});
  EXPECT_TRUE(QuotaV1Pod(pod, kNow));
  pod.metadata.deletionTimestamp = FormatRfc3339(kNow - std::chrono::seconds(10));
  pod.metadata.deletionGracePeriodSeconds = 30;
  EXPECT_TRUE(QuotaV1Pod(pod, kNow));  // deletion + grace still ahead
  pod.metadata.deletionGracePeriodSeconds = 5;
  EXPECT_FALSE(QuotaV1Pod(pod, kNow));
  pod.metadata.deletionTimestamp.clear();
  pod.status.phase = "Failed";
  EXPECT_FALSE(QuotaV1Pod(pod, kNow));
}

TEST(QuotaEvaluatorTest, Scopes) {
  auto best_effort = MakePod({MakeContainer("a", {})});
  auto burstable = MakePod({MakeContainer("a", {{"cpu", "100m"}})});
  auto zero = MakePod({MakeContainer("a", {{"cpu", "0"}})});
  EXPECT_TRUE(IsBestEffort(best_effort));
  EXPECT_FALSE(IsBestEffort(burstable));
  EXPECT_TRUE(IsBestEffort(zero));
  burstable.spec.activeDeadlineSeconds = 60;
  api::ScopedResourceSelectorRequirement req;
  req.operator_ = "Exists";
  req.scopeName = kScopeTerminating;
  EXPECT_TRUE(PodMatchesScope(req, burstable));
  EXPECT_FALSE(PodMatchesScope(req, best_effort));
  req.scopeName = kScopeNotTerminating;
  EXPECT_TRUE(PodMatchesScope(req, best_effort));
  req.scopeName = kScopeBestEffort;
  EXPECT_TRUE(PodMatchesScope(req, best_effort));
  req.scopeName = kScopeNotBestEffort;
  EXPECT_TRUE(PodMatchesScope(req, burstable));

  req.scopeName = kScopePriorityClass;
  req.operator_ = "In";
  req.values = {"high"};
  burstable.spec.priorityClassName = "high";
  EXPECT_TRUE(PodMatchesScope(req, burstable));
  EXPECT_FALSE(PodMatchesScope(req, best_effort));
  req.operator_ = "NotIn";
  EXPECT_TRUE(PodMatchesScope(req, best_effort));
}

TEST(QuotaEvaluatorTest, ServiceUsage) {
  api::Service svc;
  svc.spec.type = "NodePort";
  svc.spec.ports.resize(2);
  auto u = ServiceUsage(svc);
  EXPECT_EQ(Text(u, "services"), "1");
  EXPECT_EQ(Text(u, "services.nodeports"), "2");
  EXPECT_EQ(Text(u, "services.loadbalancers"), "0");
  svc.spec.type = "LoadBalancer";
  svc.spec.allocateLoadBalancerNodePorts = false;
  svc.spec.ports[0].nodePort = 30001;
  u = ServiceUsage(svc);
  EXPECT_EQ(Text(u, "services.loadbalancers"), "1");
  EXPECT_EQ(Text(u, "services.nodeports"), "1");
}

TEST(QuotaEvaluatorTest, PvcUsage) {
  api::PersistentVolumeClaim pvc;
  pvc.spec.storageClassName = "fast";
  pvc.spec.resources.emplace();
  pvc.spec.resources->requests["storage"] = api::Quantity{"1500m"};  // rounds up to 2
  auto u = PvcUsage(pvc);
  EXPECT_EQ(Text(u, "persistentvolumeclaims"), "1");
  EXPECT_EQ(Text(u, "requests.storage"), "2");
  EXPECT_EQ(Text(u, "fast.storageclass.storage.k8s.io/requests.storage"), "2");
  EXPECT_EQ(Text(u, "fast.storageclass.storage.k8s.io/persistentvolumeclaims"), "1");
  pvc.spec.resources->requests["storage"] = api::Quantity{"1Gi"};
  pvc.status.allocatedResources["storage"] = api::Quantity{"2Gi"};
  EXPECT_EQ(Text(PvcUsage(pvc), "requests.storage"), "2Gi");
}

TEST(QuotaEvaluatorTest, ObjectCountNames) {
  EXPECT_EQ(ObjectCountGroupResource("count/deployments.apps"), "deployments.apps");
  EXPECT_EQ(ObjectCountGroupResource("count/configmaps"), "configmaps");
  EXPECT_EQ(ObjectCountGroupResource("configmaps"), "configmaps");
  EXPECT_EQ(ObjectCountGroupResource("secrets"), "secrets");
  EXPECT_EQ(ObjectCountGroupResource("count/pods"), std::nullopt);
  EXPECT_EQ(ObjectCountGroupResource("count/services"), std::nullopt);
  EXPECT_EQ(ObjectCountGroupResource("requests.cpu"), std::nullopt);
}

TEST(QuotaEvaluatorTest, CalculateUsageAndStatus) {
  auto a = MakePod({MakeContainer("a", {{"cpu", "500m"}, {"memory", "64Mi"}})});
  auto b = MakePod({MakeContainer("a", {{"cpu", "700m"}})});
  auto done = MakePod({MakeContainer("a", {{"cpu", "4"}})});
  done.status.phase = "Succeeded";
  NamespaceObjects objs;
  objs.pods = {&a, &b, &done};
  objs.object_counts["configmaps"] = 3;
  objs.object_counts["deployments.apps"] = 2;

  api::ResourceQuota quota;
  quota.spec.hard = {{"pods", {"10"}},
                     {"requests.cpu", {"2"}},
                     {"limits.memory", {"1Gi"}},
                     {"count/configmaps", {"5"}},
                     {"count/deployments.apps", {"5"}},
                     {"count/widgets.example.com", {"1"}},
                     {"count/pods", {"10"}},
                     {"services", {"3"}}};
  auto usage = CalculateUsage(quota.spec, objs, kNow);
  EXPECT_EQ(Text(usage, "pods"), "2");
  EXPECT_EQ(Text(usage, "count/pods"), "3");
  EXPECT_EQ(Text(usage, "requests.cpu"), "1200m");
  EXPECT_EQ(Text(usage, "limits.memory"), "0");  // tracked, nothing charged
  EXPECT_EQ(Text(usage, "count/configmaps"), "3");
  EXPECT_EQ(Text(usage, "count/deployments.apps"), "2");
  EXPECT_EQ(Text(usage, "services"), "0");
  EXPECT_EQ(Text(usage, "count/widgets.example.com"), "<absent>");  // unknown resource

  quota.status.used["count/widgets.example.com"] = api::Quantity{"7"};  // kept as is
  quota.status.used["secrets"] = api::Quantity{"1"};                    // not in hard: dropped
  auto status = ComputeStatus(quota, usage);
  EXPECT_EQ(status.hard, quota.spec.hard);
  EXPECT_EQ(status.used.at("requests.cpu").text, "1200m");
  EXPECT_EQ(status.used.at("count/widgets.example.com").text, "7");
  EXPECT_FALSE(status.used.contains("secrets"));
  EXPECT_FALSE(status.used.contains("memory"));  // only names in hard
  EXPECT_TRUE(StatusNeedsUpdate(quota, status));
  quota.status = status;
  EXPECT_FALSE(StatusNeedsUpdate(quota, status));
  // Same values written differently are no change.
  quota.status.used["requests.cpu"] = api::Quantity{"1.2"};
  EXPECT_FALSE(StatusNeedsUpdate(quota, status));
}

TEST(QuotaEvaluatorTest, ScopedQuotaCountsMatchingPodsOnly) {
  auto best_effort = MakePod({MakeContainer("a", {})});
  auto burstable = MakePod({MakeContainer("a", {{"cpu", "100m"}})});
  burstable.spec.activeDeadlineSeconds = 30;
  NamespaceObjects objs;
  objs.pods = {&best_effort, &burstable};
  objs.object_counts["configmaps"] = 4;
  api::ResourceQuotaSpec spec;
  spec.hard = {{"pods", {"5"}}, {"requests.cpu", {"1"}}, {"configmaps", {"9"}}};
  spec.scopes = {kScopeBestEffort};
  auto usage = CalculateUsage(spec, objs, kNow);
  EXPECT_EQ(Text(usage, "pods"), "1");
  EXPECT_EQ(Text(usage, "requests.cpu"), "0");
  EXPECT_EQ(Text(usage, "configmaps"), "0");  // object counts match no scope
  spec.scopes = {kScopeTerminating, kScopeNotBestEffort};
  usage = CalculateUsage(spec, objs, kNow);
  EXPECT_EQ(Text(usage, "pods"), "1");
  EXPECT_EQ(Text(usage, "requests.cpu"), "100m");
  // The same through a scopeSelector.
  spec.scopes.clear();
  spec.scopeSelector.emplace();
  api::ScopedResourceSelectorRequirement req;
  req.scopeName = kScopeNotTerminating;
  req.operator_ = "Exists";
  spec.scopeSelector->matchExpressions = {req};
  usage = CalculateUsage(spec, objs, kNow);
  EXPECT_EQ(Text(usage, "pods"), "1");
  EXPECT_EQ(Text(usage, "requests.cpu"), "0");
}

}  // namespace
}  // namespace kubepp::controller::resourcequota
