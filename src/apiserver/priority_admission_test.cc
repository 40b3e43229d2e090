// The Priority admission plugin through the real API server (memory store, loopback).
#include "apiserver/priority_admission.h"

#include <gtest/gtest.h>

#include "api/types.h"
#include "client/testing/api_server_fixture.h"
#include "client/typed.h"

namespace kubepp::apiserver {
namespace {

class PriorityAdmissionTest : public client::testing::ApiServerFixture {
 protected:
  Result<api::PriorityClass> CreateClass(const std::string& name, int32_t value,
                                         bool global_default = false,
                                         const std::string& policy = "") {
    api::PriorityClass pc;
    pc.metadata.name = name;
    pc.value = value;
    if (global_default) pc.globalDefault = true;
    pc.preemptionPolicy = policy;
    client::TypedClient<api::PriorityClass> pcs(*client_);
    return Run(pcs.Create(std::move(pc)));
  }
  Result<api::Pod> CreatePod(api::Pod pod, const std::string& ns = "default") {
    client::TypedClient<api::Pod> pods(*client_, ns);
    return Run(pods.Create(std::move(pod)));
  }
  static api::Pod MakePod(const std::string& name, const std::string& class_name = "") {
    api::Pod pod;
    pod.metadata.name = name;
    pod.spec.priorityClassName = class_name;
    api::Container c;
    c.name = "c";
    c.image = "busybox";
    pod.spec.containers.push_back(std::move(c));
    return pod;
  }
};

TEST_F(PriorityAdmissionTest, ClassFoundSetsPriorityAndPolicy) {
  ASSERT_TRUE(CreateClass("high", 1000, false, "Never").IsOk());
  auto pod = CreatePod(MakePod("p", "high"));
  ASSERT_TRUE(pod.IsOk()) << pod.status().ToString();
  EXPECT_EQ(pod->spec.priorityClassName, "high");
  EXPECT_EQ(pod->spec.priority, 1000);
  EXPECT_EQ(pod->spec.preemptionPolicy, "Never");
  // Stored as answered.
  client::TypedClient<api::Pod> pods(*client_, "default");
  auto got = Run(pods.Get("p"));
  ASSERT_TRUE(got.IsOk()) << got.status().ToString();
  EXPECT_EQ(got->spec.priority, 1000);

  // A priority equal to the class's is accepted.
  api::Pod same = MakePod("same", "high");
  same.spec.priority = 1000;
  EXPECT_TRUE(CreatePod(same).IsOk());
}

TEST_F(PriorityAdmissionTest, UnknownClassIsForbidden) {
  auto pod = CreatePod(MakePod("p", "nope"));
  ASSERT_FALSE(pod.IsOk());
  EXPECT_EQ(pod.status().Code(), StatusCode::kForbidden) << pod.status().ToString();
  EXPECT_EQ(pod.status().Message(),
            "pods \"p\" is forbidden: no PriorityClass with name nope was found");
  ASSERT_NE(pod.status().Details(), nullptr);
  EXPECT_EQ(pod.status().Details()->name, "p");
  EXPECT_EQ(pod.status().Details()->kind, "pods");

  // A generated name: the error names the generateName, as upstream's does.
  api::Pod gen = MakePod("", "nope");
  gen.metadata.generateName = "web-";
  auto generated = CreatePod(gen);
  ASSERT_FALSE(generated.IsOk());
  EXPECT_EQ(generated.status().Message(),
            "pods \"web-\" is forbidden: no PriorityClass with name nope was found");
}

TEST_F(PriorityAdmissionTest, NoClassNoDefaultIsZero) {
  auto pod = CreatePod(MakePod("p"));
  ASSERT_TRUE(pod.IsOk()) << pod.status().ToString();
  EXPECT_EQ(pod->spec.priorityClassName, "");
  EXPECT_EQ(pod->spec.priority, 0);
  EXPECT_EQ(pod->spec.preemptionPolicy, "PreemptLowerPriority");
}

TEST_F(PriorityAdmissionTest, GlobalDefaultIsPicked) {
  ASSERT_TRUE(CreateClass("low", 10).IsOk());
  ASSERT_TRUE(CreateClass("fallback", 500, true).IsOk());
  auto pod = CreatePod(MakePod("p"));
  ASSERT_TRUE(pod.IsOk()) << pod.status().ToString();
  EXPECT_EQ(pod->spec.priorityClassName, "fallback");
  EXPECT_EQ(pod->spec.priority, 500);
  EXPECT_EQ(pod->spec.preemptionPolicy, "PreemptLowerPriority");
  // A named class still wins over the default.
  auto named = CreatePod(MakePod("named", "low"));
  ASSERT_TRUE(named.IsOk()) << named.status().ToString();
  EXPECT_EQ(named->spec.priority, 10);
}

TEST_F(PriorityAdmissionTest, ExplicitMismatchingPriorityIsForbidden) {
  ASSERT_TRUE(CreateClass("high", 1000).IsOk());
  api::Pod pod = MakePod("p", "high");
  pod.spec.priority = 5;
  auto created = CreatePod(pod);
  ASSERT_FALSE(created.IsOk());
  EXPECT_EQ(created.status().Code(), StatusCode::kForbidden);
  EXPECT_EQ(created.status().Message(),
            "pods \"p\" is forbidden: the integer value of priority (5) must not be provided in "
            "pod spec; priority admission controller computed 1000 from the given PriorityClass "
            "name");

  // Without a class the computed value is 0.
  api::Pod bare = MakePod("bare");
  bare.spec.priority = 7;
  auto rejected = CreatePod(bare);
  ASSERT_FALSE(rejected.IsOk());
  EXPECT_EQ(rejected.status().Message(),
            "pods \"bare\" is forbidden: the integer value of priority (7) must not be provided "
            "in pod spec; priority admission controller computed 0 from the given PriorityClass "
            "name");
  bare.spec.priority = 0;
  EXPECT_TRUE(CreatePod(bare).IsOk());
}

TEST_F(PriorityAdmissionTest, ContradictingPreemptionPolicyIsForbidden) {
  ASSERT_TRUE(CreateClass("polite", 100, false, "Never").IsOk());
  api::Pod pod = MakePod("p", "polite");
  pod.spec.preemptionPolicy = "PreemptLowerPriority";
  auto created = CreatePod(pod);
  ASSERT_FALSE(created.IsOk());
  EXPECT_EQ(created.status().Code(), StatusCode::kForbidden);
  EXPECT_EQ(created.status().Message(),
            "pods \"p\" is forbidden: the string value of PreemptionPolicy (PreemptLowerPriority) "
            "must not be provided in pod spec; priority admission controller computed Never "
            "from the given PriorityClass name");
  // No class: the computed policy is PreemptLowerPriority.
  api::Pod never = MakePod("never");
  never.spec.preemptionPolicy = "Never";
  auto rejected = CreatePod(never);
  ASSERT_FALSE(rejected.IsOk());
  EXPECT_EQ(rejected.status().Code(), StatusCode::kForbidden);
}

TEST_F(PriorityAdmissionTest, SystemClassesAllowedInAnyNamespace) {
  // Upstream dropped the kube-system-only rule in 1.17 (ResourceQuota limits them instead).
  auto pod = CreatePod(MakePod("p", "system-node-critical"));
  ASSERT_TRUE(pod.IsOk()) << pod.status().ToString();
  EXPECT_EQ(pod->spec.priority, 2000001000);
  auto sys = CreatePod(MakePod("s", "system-cluster-critical"), "kube-system");
  ASSERT_TRUE(sys.IsOk()) << sys.status().ToString();
  EXPECT_EQ(sys->spec.priority, 2000000000);
}

TEST_F(PriorityAdmissionTest, OnlyOneGlobalDefault) {
  ASSERT_TRUE(CreateClass("first", 100, true).IsOk());
  auto second = CreateClass("second", 200, true);
  ASSERT_FALSE(second.IsOk());
  EXPECT_EQ(second.status().Code(), StatusCode::kForbidden) << second.status().ToString();
  EXPECT_EQ(second.status().Message(),
            "priorityclasses.scheduling.k8s.io \"second\" is forbidden: PriorityClass first is "
            "already marked as default. Only one default can exist");

  client::TypedClient<api::PriorityClass> pcs(*client_);
  // The default itself may be updated.
  auto first = Run(pcs.Get("first"));
  ASSERT_TRUE(first.IsOk());
  first->description = "changed";
  auto updated = Run(pcs.Update(*first));
  EXPECT_TRUE(updated.IsOk()) << updated.status().ToString();
  // Another class may not become the default.
  ASSERT_TRUE(CreateClass("third", 300).IsOk());
  auto third = Run(pcs.Get("third"));
  ASSERT_TRUE(third.IsOk());
  third->globalDefault = true;
  auto promoted = Run(pcs.Update(*third));
  ASSERT_FALSE(promoted.IsOk());
  EXPECT_EQ(promoted.status().Code(), StatusCode::kForbidden) << promoted.status().ToString();
}

TEST_F(PriorityAdmissionTest, PriorityClassValidation) {
  auto reserved = CreateClass("system-mine", 10);
  ASSERT_FALSE(reserved.IsOk());
  EXPECT_NE(reserved.status().Message().find(
                "metadata.name: Forbidden: priority class names with 'system-' prefix are "
                "reserved for system use only. error: system-mine is not a known system priority "
                "class"),
            std::string::npos)
      << reserved.status().ToString();
  auto too_high = CreateClass("huge", 1000000001);
  ASSERT_FALSE(too_high.IsOk());
  EXPECT_NE(too_high.status().Message().find(
                "value: Forbidden: maximum allowed value of a user defined priority is 1000000000"),
            std::string::npos)
      << too_high.status().ToString();
}

}  // namespace
}  // namespace kubepp::apiserver
