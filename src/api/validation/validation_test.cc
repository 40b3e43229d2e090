#include "api/validation/validation.h"

#include <gtest/gtest.h>

#include "api/defaults/defaults.h"

namespace kubepp::api::validation {
namespace {

Pod MakePod() {
  Pod pod;
  pod.metadata.name = "web";
  pod.metadata.namespace_ = "default";
  Container c;
  c.name = "nginx";
  c.image = "nginx:1.25";
  pod.spec.containers.push_back(c);
  defaults::SetDefaults(pod);
  return pod;
}

std::string Message(const ErrorList& errors) {
  return InvalidStatus("", "Pod", "web", errors).Message();
}

TEST(PodValidation, ValidPodPasses) {
  ErrorList errors;
  ValidatePod(MakePod(), nullptr, errors);
  EXPECT_TRUE(errors.empty()) << Message(errors);
}

TEST(PodValidation, ContainersRequired) {
  Pod pod = MakePod();
  pod.spec.containers.clear();
  ErrorList errors;
  ValidatePod(pod, nullptr, errors);
  EXPECT_EQ(Message(errors), "Pod \"web\" is invalid: spec.containers: Required value");
}

TEST(PodValidation, ImageRequiredAndDuplicateNames) {
  Pod pod = MakePod();
  pod.spec.containers.push_back(pod.spec.containers[0]);
  pod.spec.containers[1].image.clear();
  ErrorList errors;
  ValidatePod(pod, nullptr, errors);
  EXPECT_EQ(Message(errors),
            "Pod \"web\" is invalid: [spec.containers[1].name: Duplicate value: \"nginx\", "
            "spec.containers[1].image: Required value]");
}

TEST(PodValidation, RestartPolicyAndPorts) {
  Pod pod = MakePod();
  pod.spec.restartPolicy = "Sometimes";
  ContainerPort port;
  port.containerPort = 70000;
  port.protocol = "TCP";
  pod.spec.containers[0].ports.push_back(port);
  ErrorList errors;
  ValidatePod(pod, nullptr, errors);
  EXPECT_EQ(Message(errors),
            "Pod \"web\" is invalid: [spec.containers[0].ports[0].containerPort: Invalid value: "
            "70000: must be between 1 and 65535, inclusive, spec.restartPolicy: Unsupported "
            "value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"]");
}

TEST(PodValidation, RequestsAboveLimits) {
  Pod pod = MakePod();
  ResourceRequirements r;
  r.requests["cpu"] = Quantity{"2"};
  r.limits["cpu"] = Quantity{"1"};
  pod.spec.containers[0].resources = r;
  ErrorList errors;
  ValidatePod(pod, nullptr, errors);
  EXPECT_EQ(Message(errors),
            "Pod \"web\" is invalid: spec.containers[0].resources.requests: Invalid value: "
            "\"2\": must be less than or equal to cpu limit of 1");
}

TEST(PodValidation, VolumeMountMustReferenceVolume) {
  Pod pod = MakePod();
  VolumeMount m;
  m.name = "data";
  m.mountPath = "/data";
  pod.spec.containers[0].volumeMounts.push_back(m);
  ErrorList errors;
  ValidatePod(pod, nullptr, errors);
  EXPECT_EQ(Message(errors),
            "Pod \"web\" is invalid: spec.containers[0].volumeMounts[0].name: Not found: \"data\"");
}

TEST(PodValidation, UpdateMayChangeImageOnly) {
  Pod old = MakePod();
  Pod pod = old;
  pod.spec.containers[0].image = "nginx:1.26";
  ErrorList errors;
  ValidatePod(pod, &old, errors);
  EXPECT_TRUE(errors.empty());
  pod.spec.containers[0].command = {"sh"};
  ValidatePod(pod, &old, errors);
  ASSERT_EQ(errors.size(), 1U);
  EXPECT_EQ(errors[0].field, "spec");
  EXPECT_TRUE(errors[0].ToString().starts_with(
      "spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`"));
}

Deployment MakeDeployment() {
  Deployment d;
  d.metadata.name = "web";
  d.spec.selector.matchLabels["app"] = "web";
  d.spec.template_.metadata.labels["app"] = "web";
  Container c;
  c.name = "nginx";
  c.image = "nginx";
  d.spec.template_.spec.containers.push_back(c);
  defaults::SetDefaults(d);
  return d;
}

TEST(DeploymentValidation, SelectorMustMatchTemplate) {
  Deployment d = MakeDeployment();
  d.spec.template_.metadata.labels["app"] = "other";
  ErrorList errors;
  ValidateDeployment(d, nullptr, errors);
  EXPECT_EQ(InvalidStatus("apps", "Deployment", "web", errors).Message(),
            "Deployment \"web\" is invalid: spec.template.metadata.labels: Invalid value: "
            "map[string]string{\"app\":\"other\"}: `selector` does not match template `labels`");
}

TEST(DeploymentValidation, SelectorImmutableAndReplicas) {
  Deployment old = MakeDeployment();
  Deployment d = old;
  d.spec.replicas = -1;
  d.spec.selector.matchLabels["tier"] = "x";
  d.spec.template_.metadata.labels["tier"] = "x";
  ErrorList errors;
  ValidateDeployment(d, &old, errors);
  ASSERT_EQ(errors.size(), 2U);
  EXPECT_EQ(errors[0].ToString(),
            "spec.replicas: Invalid value: -1: must be greater than or equal to 0");
  EXPECT_EQ(errors[1].field, "spec.selector");
  EXPECT_EQ(errors[1].detail, "field is immutable");
}

TEST(JobValidation, RestartPolicyAlwaysRejected) {
  Job job;
  job.metadata.name = "pi";
  job.metadata.uid = "u1";
  Container c;
  c.name = "pi";
  c.image = "perl";
  job.spec.template_.spec.containers.push_back(c);
  defaults::GenerateJobSelector(job);
  defaults::SetDefaults(job);
  ErrorList errors;
  ValidateJob(job, nullptr, errors);
  ASSERT_EQ(errors.size(), 1U);
  EXPECT_EQ(errors[0].ToString(),
            "spec.template.spec.restartPolicy: Unsupported value: \"Always\": supported values: "
            "\"OnFailure\", \"Never\"");
}

TEST(CronJobValidation, Schedule) {
  EXPECT_EQ(CronScheduleError("*/5 * * * *"), "");
  EXPECT_EQ(CronScheduleError("@hourly"), "");
  EXPECT_EQ(CronScheduleError("bad"), "expected exactly 5 fields, found 1: [bad]");
  EXPECT_EQ(CronScheduleError("61 * * * *"), "end of range (61) above maximum (59): 61");
  EXPECT_EQ(CronScheduleError("0 0 * JAN-MAR MON"), "");
}

TEST(ServiceValidation, PortsRequiredAndTypes) {
  Service svc;
  svc.metadata.name = "web";
  svc.spec.type = "Cluster";
  defaults::SetDefaults(svc);
  ErrorList errors;
  ValidateService(svc, nullptr, errors);
  EXPECT_EQ(InvalidStatus("", "Service", "web", errors).Message(),
            "Service \"web\" is invalid: [spec.type: Unsupported value: \"Cluster\": supported "
            "values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\", "
            "spec.ports: Required value]");
}

TEST(ServiceValidation, ClusterIpImmutable) {
  Service old;
  old.metadata.name = "web";
  ServicePort p;
  p.port = 80;
  old.spec.ports.push_back(p);
  old.spec.clusterIP = "10.96.0.10";
  defaults::SetDefaults(old);
  Service svc = old;
  svc.spec.clusterIP = "10.96.0.11";
  svc.spec.clusterIPs = {"10.96.0.11"};
  ErrorList errors;
  ValidateService(svc, &old, errors);
  ASSERT_EQ(errors.size(), 1U);
  EXPECT_EQ(errors[0].ToString(),
            "spec.clusterIPs[0]: Invalid value: []string{\"10.96.0.11\"}: may not change once set");
}

TEST(PriorityClassValidation, ValueImmutable) {
  PriorityClass old;
  old.metadata.name = "high";
  old.value = 1000;
  defaults::SetDefaults(old);
  PriorityClass pc = old;
  pc.value = 2000;
  ErrorList errors;
  ValidatePriorityClass(pc, &old, errors);
  ASSERT_EQ(errors.size(), 1U);
  EXPECT_EQ(errors[0].ToString(), "value: Forbidden: may not be changed in an update.");
}

}  // namespace
}  // namespace kubepp::api::validation
