#include "api/defaults/defaults.h"

#include <gtest/gtest.h>

namespace kubepp::api::defaults {
namespace {

TEST(PodDefaults, UpstreamValues) {
  Pod pod;
  Container c;
  c.name = "a";
  c.image = "nginx";
  Probe probe;
  probe.httpGet = HTTPGetAction{};
  c.livenessProbe = probe;
  ContainerPort port;
  port.containerPort = 80;
  c.ports.push_back(port);
  pod.spec.containers.push_back(c);
  c.name = "b";
  c.image = "registry.local:5000/app:1.2";
  c.livenessProbe.reset();
  c.ports.clear();
  pod.spec.containers.push_back(c);
  SetDefaults(pod);
  SetPodCreateDefaults(pod);
  const auto& spec = pod.spec;
  EXPECT_EQ(spec.restartPolicy, "Always");
  EXPECT_EQ(spec.dnsPolicy, "ClusterFirst");
  EXPECT_EQ(spec.schedulerName, "default-scheduler");
  EXPECT_EQ(spec.terminationGracePeriodSeconds, 30);
  EXPECT_TRUE(spec.securityContext.has_value());
  EXPECT_EQ(spec.enableServiceLinks, true);
  EXPECT_EQ(spec.serviceAccountName, "default");
  EXPECT_EQ(spec.containers[0].imagePullPolicy, "Always");
  EXPECT_EQ(spec.containers[1].imagePullPolicy, "IfNotPresent");
  EXPECT_EQ(spec.containers[0].terminationMessagePath, "/dev/termination-log");
  EXPECT_EQ(spec.containers[0].terminationMessagePolicy, "File");
  EXPECT_EQ(spec.containers[0].ports[0].protocol, "TCP");
  const Probe& p = *spec.containers[0].livenessProbe;
  EXPECT_EQ(p.timeoutSeconds, 1);
  EXPECT_EQ(p.periodSeconds, 10);
  EXPECT_EQ(p.successThreshold, 1);
  EXPECT_EQ(p.failureThreshold, 3);
  EXPECT_EQ(p.httpGet->path, "/");
  EXPECT_EQ(p.httpGet->scheme, "HTTP");
  EXPECT_EQ(spec.tolerations.size(), 2U);
  EXPECT_EQ(pod.status.phase, "Pending");
  EXPECT_EQ(pod.status.qosClass, "BestEffort");
}

TEST(PodDefaults, QosClass) {
  PodSpec spec;
  Container c;
  ResourceRequirements r;
  r.limits["cpu"] = Quantity{"1"};
  r.limits["memory"] = Quantity{"1Gi"};
  r.requests = r.limits;
  c.resources = r;
  spec.containers.push_back(c);
  EXPECT_EQ(ComputeQosClass(spec), "Guaranteed");
  spec.containers[0].resources->requests["cpu"] = Quantity{"500m"};
  EXPECT_EQ(ComputeQosClass(spec), "Burstable");
}

TEST(ServiceDefaults, UpstreamValues) {
  Service svc;
  ServicePort p;
  p.port = 80;
  svc.spec.ports.push_back(p);
  SetDefaults(svc);
  EXPECT_EQ(svc.spec.type, "ClusterIP");
  EXPECT_EQ(svc.spec.sessionAffinity, "None");
  EXPECT_EQ(svc.spec.ports[0].protocol, "TCP");
  EXPECT_EQ(svc.spec.ports[0].targetPort, IntOrString::FromInt(80));
  EXPECT_EQ(svc.spec.internalTrafficPolicy, "Cluster");
  EXPECT_EQ(svc.spec.ipFamilyPolicy, "SingleStack");
  EXPECT_EQ(svc.spec.ipFamilies, std::vector<std::string>{"IPv4"});
}

TEST(WorkloadDefaults, Deployment) {
  Deployment d;
  SetDefaults(d);
  EXPECT_EQ(d.spec.replicas, 1);
  EXPECT_EQ(d.spec.strategy->type, "RollingUpdate");
  EXPECT_EQ(d.spec.strategy->rollingUpdate->maxSurge, IntOrString::FromString("25%"));
  EXPECT_EQ(d.spec.strategy->rollingUpdate->maxUnavailable, IntOrString::FromString("25%"));
  EXPECT_EQ(d.spec.revisionHistoryLimit, 10);
  EXPECT_EQ(d.spec.progressDeadlineSeconds, 600);
  EXPECT_EQ(d.spec.template_.spec.restartPolicy, "Always");
  EXPECT_FALSE(d.spec.template_.spec.enableServiceLinks.has_value());
}

TEST(WorkloadDefaults, JobSelectorAndLabels) {
  Job job;
  job.metadata.name = "pi";
  job.metadata.uid = "1234";
  GenerateJobSelector(job);
  SetDefaults(job);
  EXPECT_EQ(job.spec.completions, 1);
  EXPECT_EQ(job.spec.parallelism, 1);
  EXPECT_EQ(job.spec.backoffLimit, 6);
  EXPECT_EQ(job.spec.completionMode, "NonIndexed");
  EXPECT_EQ(job.spec.suspend, false);
  EXPECT_EQ(job.spec.podReplacementPolicy, "TerminatingOrFailed");
  EXPECT_EQ(job.spec.selector->matchLabels.at("batch.kubernetes.io/controller-uid"), "1234");
  const auto& labels = job.spec.template_.metadata.labels;
  EXPECT_EQ(labels.at("batch.kubernetes.io/job-name"), "pi");
  EXPECT_EQ(labels.at("job-name"), "pi");
  EXPECT_EQ(labels.at("controller-uid"), "1234");
  EXPECT_EQ(job.metadata.labels, labels);
}

TEST(WorkloadDefaults, CronJobAndOthers) {
  CronJob cj;
  SetDefaults(cj);
  EXPECT_EQ(cj.spec.concurrencyPolicy, "Allow");
  EXPECT_EQ(cj.spec.suspend, false);
  EXPECT_EQ(cj.spec.successfulJobsHistoryLimit, 3);
  EXPECT_EQ(cj.spec.failedJobsHistoryLimit, 1);
  PersistentVolume pv;
  SetDefaults(pv);
  EXPECT_EQ(pv.spec.persistentVolumeReclaimPolicy, "Retain");
  EXPECT_EQ(pv.spec.volumeMode, "Filesystem");
  Secret s;
  SetDefaults(s);
  EXPECT_EQ(s.type, "Opaque");
  PriorityClass pc;
  SetDefaults(pc);
  EXPECT_EQ(pc.preemptionPolicy, "PreemptLowerPriority");
}

}  // namespace
}  // namespace kubepp::api::defaults
