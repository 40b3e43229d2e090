#include "controller/job/job_logic.h"

#include <gtest/gtest.h>

namespace kubepp::controller::job {
namespace {

api::Job MakeJob() {
  api::Job j;
  j.metadata.name = "pi";
  j.metadata.namespace_ = "default";
  j.metadata.uid = "uid-1";
  j.spec.template_.metadata.labels = {{"app", "pi"}};
  j.spec.template_.spec.containers.resize(1);
  j.spec.template_.spec.containers[0].name = "c";
  return j;
}

TEST(JobLogicTest, IndexesRoundTrip) {
  EXPECT_EQ(FormatIndexes({}), "");
  EXPECT_EQ(FormatIndexes({0, 1, 2, 4, 6, 7}), "0-2,4,6-7");
  EXPECT_EQ(ParseIndexes("0-2,4,6-7", 10), (std::set<int>{0, 1, 2, 4, 6, 7}));
  EXPECT_EQ(ParseIndexes("1,x,3-2,8-12", 10), (std::set<int>{1, 8, 9}));
}

TEST(JobLogicTest, PodFromTemplate) {
  auto j = MakeJob();
  auto pod = PodFromTemplate(j, std::nullopt);
  EXPECT_EQ(pod.metadata.generateName, "pi-");
  EXPECT_EQ(pod.metadata.labels.at("app"), "pi");
  EXPECT_EQ(pod.metadata.labels.at(kControllerUidLabel), "uid-1");
  EXPECT_EQ(pod.metadata.labels.at(kJobNameLabel), "pi");
  EXPECT_EQ(pod.metadata.labels.at(kLegacyJobNameLabel), "pi");
  ASSERT_EQ(pod.metadata.finalizers.size(), 1U);
  EXPECT_EQ(pod.metadata.finalizers[0], kTrackingFinalizer);
  ASSERT_EQ(pod.metadata.ownerReferences.size(), 1U);
  EXPECT_EQ(pod.metadata.ownerReferences[0].kind, "Job");
  EXPECT_EQ(pod.metadata.ownerReferences[0].controller, true);

  auto indexed = PodFromTemplate(j, 3);
  EXPECT_EQ(indexed.metadata.generateName, "pi-3-");
  EXPECT_EQ(indexed.spec.hostname, "pi-3");
  EXPECT_EQ(indexed.metadata.annotations.at(kCompletionIndexKey), "3");
  EXPECT_EQ(PodIndex(indexed), 3);
  ASSERT_EQ(indexed.spec.containers[0].env.size(), 1U);
  EXPECT_EQ(indexed.spec.containers[0].env[0].name, "JOB_COMPLETION_INDEX");
}

TEST(JobLogicTest, Backoff) {
  using std::chrono::seconds;
  EXPECT_EQ(PodFailureBackoff(0, seconds(10), seconds(360)), Clock::Duration::zero());
  EXPECT_EQ(PodFailureBackoff(1, seconds(10), seconds(360)), seconds(10));
  EXPECT_EQ(PodFailureBackoff(3, seconds(10), seconds(360)), seconds(40));
  EXPECT_EQ(PodFailureBackoff(30, seconds(10), seconds(360)), seconds(360));
}

TEST(JobLogicTest, PodFailurePolicy) {
  auto j = MakeJob();
  api::PodFailurePolicy policy;
  api::PodFailurePolicyRule ignore;
  ignore.action = "Ignore";
  api::PodFailurePolicyOnPodConditionsPattern disruption;
  disruption.type = "DisruptionTarget";
  disruption.status = "True";
  ignore.onPodConditions.push_back(disruption);
  api::PodFailurePolicyRule fail;
  fail.action = "FailJob";
  fail.onExitCodes.emplace();
  fail.onExitCodes->operator_ = "In";
  fail.onExitCodes->values = {42};
  policy.rules = {ignore, fail};
  j.spec.podFailurePolicy = policy;

  api::Pod pod;
  pod.metadata.name = "p";
  pod.metadata.namespace_ = "default";
  pod.status.phase = "Failed";
  api::ContainerStatus cs;
  cs.name = "c";
  cs.state.emplace();
  cs.state->terminated.emplace();
  cs.state->terminated->exitCode = 1;
  pod.status.containerStatuses = {cs};
  EXPECT_EQ(MatchPodFailurePolicy(j, pod).action, "");
  pod.status.containerStatuses[0].state->terminated->exitCode = 42;
  auto d = MatchPodFailurePolicy(j, pod);
  EXPECT_EQ(d.action, "FailJob");
  EXPECT_EQ(
      d.message,
      "Container c for pod default/p failed with exit code 42 matching FailJob rule at index 1");
  api::PodCondition cond;
  cond.type = "DisruptionTarget";
  cond.status = "True";
  pod.status.conditions = {cond};
  EXPECT_EQ(MatchPodFailurePolicy(j, pod).action, "Ignore");
}

TEST(JobLogicTest, PodFailedAndConditions) {
  auto j = MakeJob();
  api::Pod pod;
  pod.status.phase = "Running";
  EXPECT_FALSE(IsPodFailed(pod, j));
  pod.metadata.deletionTimestamp = "2024-01-01T00:00:00Z";
  EXPECT_TRUE(IsPodFailed(pod, j));
  j.spec.podReplacementPolicy = "Failed";
  EXPECT_FALSE(IsPodFailed(pod, j));

  api::JobStatus st;
  auto now = Clock::Real().WallNow();
  EXPECT_TRUE(SetCondition(st, kJobComplete, "True", "", "", now));
  EXPECT_FALSE(SetCondition(st, kJobComplete, "True", "", "", now));
  j.status = st;
  EXPECT_TRUE(IsJobFinished(j));
}

}  // namespace
}  // namespace kubepp::controller::job
