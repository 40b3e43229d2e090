// VolumeBinding: PreFilter's claim checks, Filter's bound-volume checks, and the FitError messages
// through a Framework with the default profile, on a fake ClusterLister.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "scheduler/framework/framework.h"
#include "scheduler/framework/schedule_one.h"
#include "scheduler/plugins/plugins.h"
#include "scheduler/plugins/testing/fakes.h"

namespace kubepp::scheduler::plugins {
namespace {

using fakes::FakeClusterLister;
using fakes::FakeHandle;

using Labels = std::map<std::string, std::string>;

constexpr const char* kZone = "topology.kubernetes.io/zone";

std::shared_ptr<api::Node> MakeNode(const std::string& name, Labels labels,
                                    const std::string& cpu = "4") {
  auto n = std::make_shared<api::Node>();
  n->metadata.name = name;
  n->metadata.labels = std::move(labels);
  n->status.allocatable = {{"cpu", {cpu}}, {"memory", {"8Gi"}}, {"pods", {"110"}}};
  return n;
}

std::shared_ptr<api::Pod> MakePod(const std::string& name) {
  auto p = std::make_shared<api::Pod>();
  p->metadata.name = name;
  p->metadata.namespace_ = "default";
  p->metadata.uid = "uid-" + name;
  api::Container c;
  c.name = "c";
  c.image = "nginx";
  p->spec.containers.push_back(std::move(c));
  return p;
}

void AddClaimVolume(api::Pod& pod, const std::string& volume, const std::string& claim) {
  api::Volume v;
  v.name = volume;
  v.persistentVolumeClaim.emplace();
  v.persistentVolumeClaim->claimName = claim;
  pod.spec.volumes.push_back(std::move(v));
}

void AddEphemeralVolume(api::Pod& pod, const std::string& volume) {
  api::Volume v;
  v.name = volume;
  v.ephemeral.emplace();
  v.ephemeral->volumeClaimTemplate.emplace();
  pod.spec.volumes.push_back(std::move(v));
}

// A claim in "default", bound to `volume` unless it is "".
std::shared_ptr<api::PersistentVolumeClaim> MakeClaim(const std::string& name,
                                                      const std::string& volume) {
  auto c = std::make_shared<api::PersistentVolumeClaim>();
  c->metadata.name = name;
  c->metadata.namespace_ = "default";
  c->spec.volumeName = volume;
  c->status.phase = volume.empty() ? "Pending" : "Bound";
  return c;
}

api::OwnerReference ControllerRef(const api::Pod& pod, bool controller = true) {
  api::OwnerReference r;
  r.apiVersion = "v1";
  r.kind = "Pod";
  r.name = pod.metadata.name;
  r.uid = pod.metadata.uid;
  r.controller = controller;
  return r;
}

api::NodeSelectorRequirement Requirement(const std::string& key, const std::string& op,
                                         std::vector<std::string> values) {
  api::NodeSelectorRequirement r;
  r.key = key;
  r.operator_ = op;
  r.values = std::move(values);
  return r;
}

// A volume; with `terms`, spec.nodeAffinity.required holds them.
std::shared_ptr<api::PersistentVolume> MakeVolume(
    const std::string& name, std::optional<std::vector<api::NodeSelectorTerm>> terms = {}) {
  auto v = std::make_shared<api::PersistentVolume>();
  v->metadata.name = name;
  if (terms.has_value()) {
    v->spec.nodeAffinity.emplace();
    v->spec.nodeAffinity->required.emplace();
    v->spec.nodeAffinity->required->nodeSelectorTerms = std::move(*terms);
  }
  return v;
}

api::NodeSelectorTerm ZoneTerm(const std::string& zone) {
  api::NodeSelectorTerm t;
  t.matchExpressions = {Requirement(kZone, "In", {zone})};
  return t;
}

std::unique_ptr<Plugin> Build(Handle& handle) {
  auto p = NewVolumeBinding({}, handle);
  KUBEPP_CHECK(p.IsOk(), "{}", p.status().ToString());
  return std::move(p.value());
}

// Zone a: a1; zone b: b1.
FakeHandle TwoZones(const FakeClusterLister* lister) {
  FakeHandle h;
  h.snapshot =
      Snapshot::FromObjects({}, {MakeNode("a1", {{kZone, "a"}}), MakeNode("b1", {{kZone, "b"}})});
  h.listers = lister;
  return h;
}

// PreFilter over every node, then Filter on each: node -> status. A PreFilter rejection is
// returned under "*", a Skip as "skip" (and no Filter runs).
std::map<std::string, Status> RunFilters(Plugin& plugin, const FakeHandle& h, const api::Pod& pod) {
  std::map<std::string, Status> out;
  auto info = PodInfo::Make(std::make_shared<const api::Pod>(pod));
  CycleState state;
  PreFilterResult r;
  std::vector<const NodeInfo*> nodes;
  for (const auto& n : h.snapshot.NodeInfos()) nodes.push_back(n.get());
  Status s = dynamic_cast<PreFilterPlugin&>(plugin).PreFilter(state, *info, nodes, r);
  EXPECT_TRUE(r.AllNodes());
  if (s.IsSkip()) {
    out["skip"] = s;
    return out;
  }
  if (!s.IsSuccess()) {
    out["*"] = s;
    return out;
  }
  // Filter reads a clone of the state (preemption's path) as well as the original.
  std::unique_ptr<CycleState> clone = state.Clone();
  for (const NodeInfo* n : nodes) {
    Status fs = dynamic_cast<FilterPlugin&>(plugin).Filter(state, *info, *n);
    EXPECT_EQ(fs, dynamic_cast<FilterPlugin&>(plugin).Filter(*clone, *info, *n));
    out[n->NodeName()] = fs;
  }
  return out;
}

Status Unresolvable(const std::string& reason) {
  return {StatusCode::kUnschedulableAndUnresolvable, reason};
}

const Status kNodeConflict = Unresolvable("node(s) had volume node affinity conflict");
const Status kPVNotExist =
    Unresolvable("node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)");
const Status kUnbound = Unresolvable("pod has unbound immediate PersistentVolumeClaims");

// ---------------------------------------------------------------------------------------------
// PreFilter

TEST(VolumeBindingTest, NameAndArgs) {
  FakeHandle h;
  auto pl = Build(h);
  EXPECT_EQ(pl->Name(), "VolumeBinding");
  EXPECT_EQ(dynamic_cast<PreFilterPlugin&>(*pl).GetPreFilterExtensions(), nullptr);
  EXPECT_EQ(dynamic_cast<ScorePlugin*>(pl.get()), nullptr);
  EXPECT_EQ(dynamic_cast<ReservePlugin*>(pl.get()), nullptr);
  auto bad = NewVolumeBinding(InterPodAffinityArgs{}, h);
  ASSERT_FALSE(bad.IsOk());
  EXPECT_TRUE(bad.status().IsInvalid()) << bad.status().ToString();
  // Registered under its name.
  EXPECT_NE(NewInTreeRegistry().Find(kVolumeBinding), nullptr);
}

TEST(VolumeBindingTest, PodWithoutClaimsSkips) {
  FakeClusterLister lister;
  FakeHandle h = TwoZones(&lister);
  auto pl = Build(h);
  auto pod = MakePod("p");
  EXPECT_EQ(RunFilters(*pl, h, *pod).count("skip"), 1U);

  // Volumes of other kinds do not count.
  api::Volume v;
  v.name = "scratch";
  v.emptyDir.emplace();
  pod->spec.volumes.push_back(v);
  EXPECT_EQ(RunFilters(*pl, h, *pod).count("skip"), 1U);
}

TEST(VolumeBindingTest, MissingClaim) {
  FakeClusterLister lister;
  FakeHandle h = TwoZones(&lister);
  auto pl = Build(h);
  auto pod = MakePod("p");
  AddClaimVolume(*pod, "vol", "data");
  EXPECT_EQ(RunFilters(*pl, h, *pod)["*"],
            Unresolvable("persistentvolumeclaim \"data\" not found"));

  // A claim of the same name in another namespace is not the pod's.
  auto other = MakeClaim("data", "pv1");
  other->metadata.namespace_ = "other";
  lister.claims.push_back(other);
  lister.volumes.push_back(MakeVolume("pv1"));
  EXPECT_EQ(RunFilters(*pl, h, *pod)["*"],
            Unresolvable("persistentvolumeclaim \"data\" not found"));

  // Without listers every claim is missing.
  FakeHandle no_listers = TwoZones(nullptr);
  auto pl2 = Build(no_listers);
  EXPECT_EQ(RunFilters(*pl2, no_listers, *pod)["*"],
            Unresolvable("persistentvolumeclaim \"data\" not found"));
}

TEST(VolumeBindingTest, DeletingAndLostClaims) {
  FakeClusterLister lister;
  FakeHandle h = TwoZones(&lister);
  auto pl = Build(h);
  auto claim = MakeClaim("data", "pv1");
  claim->metadata.deletionTimestamp = "2026-01-01T00:00:00Z";
  lister.claims.push_back(claim);
  lister.volumes.push_back(MakeVolume("pv1"));
  auto pod = MakePod("p");
  AddClaimVolume(*pod, "vol", "data");
  EXPECT_EQ(RunFilters(*pl, h, *pod)["*"],
            Unresolvable("persistentvolumeclaim \"data\" is being deleted"));

  claim->metadata.deletionTimestamp.clear();
  claim->status.phase = "Lost";
  EXPECT_EQ(RunFilters(*pl, h, *pod)["*"],
            Unresolvable("persistentvolumeclaim \"data\" bound to non-existent persistentvolume "
                         "\"pv1\""));
}

TEST(VolumeBindingTest, UnboundClaim) {
  FakeClusterLister lister;
  FakeHandle h = TwoZones(&lister);
  auto pl = Build(h);
  lister.claims.push_back(MakeClaim("data", ""));
  auto pod = MakePod("p");
  AddClaimVolume(*pod, "vol", "data");
  EXPECT_EQ(RunFilters(*pl, h, *pod)["*"], kUnbound);

  // Every claim is checked before binding is looked at: a later missing claim wins.
  AddClaimVolume(*pod, "vol2", "gone");
  EXPECT_EQ(RunFilters(*pl, h, *pod)["*"],
            Unresolvable("persistentvolumeclaim \"gone\" not found"));
}

TEST(VolumeBindingTest, EphemeralClaim) {
  FakeClusterLister lister;
  FakeHandle h = TwoZones(&lister);
  auto pl = Build(h);
  auto pod = MakePod("p");
  AddEphemeralVolume(*pod, "scratch");

  // Not created yet.
  EXPECT_EQ(RunFilters(*pl, h, *pod)["*"],
            Unresolvable("waiting for ephemeral volume controller to create the "
                         "persistentvolumeclaim \"p-scratch\""));

  // Created, but not controlled by the pod.
  auto claim = MakeClaim("p-scratch", "pv1");
  lister.claims.push_back(claim);
  lister.volumes.push_back(MakeVolume("pv1"));
  const Status not_owner =
      Unresolvable("PVC default/p-scratch was not created for pod default/p (pod is not owner)");
  EXPECT_EQ(RunFilters(*pl, h, *pod)["*"], not_owner);
  claim->metadata.ownerReferences = {ControllerRef(*pod, /*controller=*/false)};
  EXPECT_EQ(RunFilters(*pl, h, *pod)["*"], not_owner);
  auto other = MakePod("p");
  other->metadata.uid = "uid-older-p";
  claim->metadata.ownerReferences = {ControllerRef(*other)};
  EXPECT_EQ(RunFilters(*pl, h, *pod)["*"], not_owner);

  // Owned and bound: fits everywhere.
  claim->metadata.ownerReferences = {ControllerRef(*pod)};
  auto got = RunFilters(*pl, h, *pod);
  ASSERT_EQ(got.count("*"), 0U) << got["*"].ToString();
  EXPECT_TRUE(got["a1"].IsSuccess()) << got["a1"].ToString();
  EXPECT_TRUE(got["b1"].IsSuccess()) << got["b1"].ToString();

  // Owned but unbound.
  claim->spec.volumeName.clear();
  EXPECT_EQ(RunFilters(*pl, h, *pod)["*"], kUnbound);
}

// ---------------------------------------------------------------------------------------------
// Filter

TEST(VolumeBindingTest, BoundClaimWithoutVolume) {
  FakeClusterLister lister;
  FakeHandle h = TwoZones(&lister);
  auto pl = Build(h);
  lister.claims.push_back(MakeClaim("data", "pv-gone"));
  auto pod = MakePod("p");
  AddClaimVolume(*pod, "vol", "data");
  auto got = RunFilters(*pl, h, *pod);
  EXPECT_EQ(got["a1"], kPVNotExist);
  EXPECT_EQ(got["b1"], kPVNotExist);
}

TEST(VolumeBindingTest, VolumeNodeAffinity) {
  FakeClusterLister lister;
  FakeHandle h = TwoZones(&lister);
  auto pl = Build(h);
  lister.claims.push_back(MakeClaim("data", "pv1"));
  auto pv = MakeVolume("pv1", std::vector<api::NodeSelectorTerm>{ZoneTerm("a")});
  lister.volumes.push_back(pv);
  auto pod = MakePod("p");
  AddClaimVolume(*pod, "vol", "data");
  auto got = RunFilters(*pl, h, *pod);
  EXPECT_TRUE(got["a1"].IsSuccess()) << got["a1"].ToString();
  EXPECT_EQ(got["b1"], kNodeConflict);

  // Terms are ORed.
  pv->spec.nodeAffinity->required->nodeSelectorTerms.push_back(ZoneTerm("b"));
  got = RunFilters(*pl, h, *pod);
  EXPECT_TRUE(got["a1"].IsSuccess());
  EXPECT_TRUE(got["b1"].IsSuccess());

  // matchFields on metadata.name.
  api::NodeSelectorTerm by_name;
  by_name.matchFields = {Requirement("metadata.name", "In", {"b1"})};
  pv->spec.nodeAffinity->required->nodeSelectorTerms = {by_name};
  got = RunFilters(*pl, h, *pod);
  EXPECT_EQ(got["a1"], kNodeConflict);
  EXPECT_TRUE(got["b1"].IsSuccess());

  // required without terms, or with an invalid term, matches no node.
  pv->spec.nodeAffinity->required->nodeSelectorTerms.clear();
  got = RunFilters(*pl, h, *pod);
  EXPECT_EQ(got["a1"], kNodeConflict);
  EXPECT_EQ(got["b1"], kNodeConflict);
  api::NodeSelectorTerm invalid;
  invalid.matchExpressions = {Requirement(kZone, "In", {})};
  pv->spec.nodeAffinity->required->nodeSelectorTerms = {invalid, ZoneTerm("b")};
  got = RunFilters(*pl, h, *pod);
  EXPECT_EQ(got["a1"], kNodeConflict);
  EXPECT_TRUE(got["b1"].IsSuccess());

  // nodeAffinity without required: any node.
  pv->spec.nodeAffinity->required.reset();
  got = RunFilters(*pl, h, *pod);
  EXPECT_TRUE(got["a1"].IsSuccess());
  EXPECT_TRUE(got["b1"].IsSuccess());
}

TEST(VolumeBindingTest, FirstFailingVolumeDecides) {
  FakeClusterLister lister;
  FakeHandle h = TwoZones(&lister);
  auto pl = Build(h);
  lister.claims = {MakeClaim("zoned", "pv-a"), MakeClaim("dangling", "pv-gone")};
  lister.volumes = {MakeVolume("pv-a", std::vector<api::NodeSelectorTerm>{ZoneTerm("a")})};
  auto pod = MakePod("p");
  AddClaimVolume(*pod, "v1", "zoned");
  AddClaimVolume(*pod, "v2", "dangling");
  auto got = RunFilters(*pl, h, *pod);
  EXPECT_EQ(got["a1"], kPVNotExist);
  EXPECT_EQ(got["b1"], kNodeConflict);
}

// ---------------------------------------------------------------------------------------------
// Through the framework with the default profile.

// DefaultProfile() without DefaultPreemption (which needs preemption actions and would add a
// post-filter message).
KubeSchedulerProfile ProfileWithoutPreemption() {
  KubeSchedulerProfile p = DefaultProfile();
  auto& enabled = p.plugins.multi_point.enabled;
  std::erase_if(enabled, [](const auto& e) { return e.name == kDefaultPreemption; });
  return p;
}

struct Attempt {
  Status status;
  ScheduleResult result;
  std::optional<FitError> fit;
};

Attempt Schedule(const FakeClusterLister& lister, const Snapshot& snap, const api::Pod& pod) {
  Registry registry = NewInTreeRegistry();
  auto fw_or = Framework::New(registry, ProfileWithoutPreemption(), &lister);
  KUBEPP_CHECK(fw_or.IsOk(), "{}", fw_or.status().ToString());
  auto& fw = *fw_or.value();
  fw.SetSnapshot(&snap);
  std::mt19937_64 rng(1);
  NodeCursor cursor;
  CycleState state;
  Attempt a;
  a.status = SchedulePod(fw, state, *PodInfo::Make(std::make_shared<const api::Pod>(pod)), snap, 0,
                         cursor, rng, a.result, a.fit);
  return a;
}

TEST(VolumeBindingFrameworkTest, DefaultProfileMessages) {
  FakeClusterLister lister;
  // a1 is in the volume's zone but has too little cpu; b1 is in the other zone.
  Snapshot snap = Snapshot::FromObjects(
      {}, {MakeNode("a1", {{kZone, "a"}}, "1"), MakeNode("b1", {{kZone, "b"}})});
  auto pod = MakePod("p");
  AddClaimVolume(*pod, "vol", "data");

  // A PreFilter rejection names the claim.
  Attempt a = Schedule(lister, snap, *pod);
  EXPECT_EQ(a.status.Code(), StatusCode::kUnschedulable);
  ASSERT_TRUE(a.fit.has_value());
  EXPECT_EQ(a.fit->Error(), "0/2 nodes are available: persistentvolumeclaim \"data\" not found.");
  EXPECT_EQ(a.fit->diagnosis.unschedulable_plugins, std::set<std::string>{"VolumeBinding"});

  lister.claims.push_back(MakeClaim("data", ""));
  a = Schedule(lister, snap, *pod);
  ASSERT_TRUE(a.fit.has_value());
  EXPECT_EQ(a.fit->Error(),
            "0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims.");

  // Bound to a zone-a volume: b1 conflicts, a1 is too small.
  lister.claims = {MakeClaim("data", "pv1")};
  lister.volumes = {MakeVolume("pv1", std::vector<api::NodeSelectorTerm>{ZoneTerm("a")})};
  api::ResourceRequirements req;
  req.requests = {{"cpu", {"2"}}};
  pod->spec.containers[0].resources = req;
  a = Schedule(lister, snap, *pod);
  EXPECT_EQ(a.status.Code(), StatusCode::kUnschedulable);
  ASSERT_TRUE(a.fit.has_value());
  EXPECT_EQ(a.fit->Error(),
            "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had volume node affinity "
            "conflict.");

  // Small enough: a1.
  pod->spec.containers[0].resources->requests = {{"cpu", {"500m"}}};
  a = Schedule(lister, snap, *pod);
  ASSERT_TRUE(a.status.IsSuccess()) << a.status.ToString();
  EXPECT_EQ(a.result.suggested_host, "a1");
  EXPECT_EQ(a.result.feasible_nodes, 1);

  // The volume is gone.
  lister.volumes.clear();
  a = Schedule(lister, snap, *pod);
  ASSERT_TRUE(a.fit.has_value());
  EXPECT_EQ(a.fit->Error(),
            "0/2 nodes are available: 2 node(s) unavailable due to one or more pvc(s) bound to "
            "non-existent pv(s).");
}

}  // namespace
}  // namespace kubepp::scheduler::plugins
