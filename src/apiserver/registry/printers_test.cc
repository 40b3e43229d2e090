#include "apiserver/registry/printers.h"

#include <gtest/gtest.h>

#include "apiserver/registry/meta.h"

namespace kubepp::apiserver {
namespace {

Clock::WallTime Now() { return *ParseRfc3339("2024-01-01T01:00:00Z"); }

std::vector<std::string> Strings(const Cells& cells) {
  std::vector<std::string> out;
  for (const auto& c : cells) {
    out.push_back(c.is_string() ? std::string(c.as_string()) : boost::json::serialize(c));
  }
  return out;
}

TEST(PodPrinter, CrashLoopWithRestartAge) {
  api::Pod pod;
  pod.metadata.creationTimestamp = "2024-01-01T00:00:00Z";
  pod.spec.containers.resize(1);
  pod.status.phase = "Running";
  api::ContainerStatus cs;
  cs.restartCount = 5;
  cs.state = api::ContainerState{};
  cs.state->waiting = api::ContainerStateWaiting{"", "CrashLoopBackOff"};
  cs.lastState = api::ContainerState{};
  cs.lastState->terminated = api::ContainerStateTerminated{};
  cs.lastState->terminated->finishedAt = "2024-01-01T00:55:00Z";
  pod.status.containerStatuses.push_back(cs);
  Cells cells;
  PodRow(pod, Now(), cells);
  EXPECT_EQ(Strings(cells),
            (std::vector<std::string>{"0/1", "CrashLoopBackOff", "5 (5m ago)", "60m", "<none>",
                                      "<none>", "<none>", "<none>"}));
  EXPECT_EQ(PodColumns().size(), cells.size() + 1);
}

TEST(PodPrinter, InitAndCompleted) {
  api::Pod pod;
  pod.metadata.creationTimestamp = "2024-01-01T00:59:30Z";
  pod.spec.initContainers.resize(2);
  pod.spec.containers.resize(1);
  pod.status.phase = "Pending";
  api::ContainerStatus init;
  init.state = api::ContainerState{};
  init.state->running = api::ContainerStateRunning{};
  pod.status.initContainerStatuses.push_back(init);
  Cells cells;
  PodRow(pod, Now(), cells);
  EXPECT_EQ(Strings(cells)[1], "Init:0/2");
  EXPECT_EQ(Strings(cells)[3], "30s");

  api::Pod done;
  done.spec.containers.resize(1);
  done.status.phase = "Succeeded";
  api::ContainerStatus cs;
  cs.state = api::ContainerState{};
  cs.state->terminated = api::ContainerStateTerminated{};
  cs.state->terminated->reason = "Completed";
  done.status.containerStatuses.push_back(cs);
  cells.clear();
  PodRow(done, Now(), cells);
  EXPECT_EQ(Strings(cells)[1], "Completed");
  done.metadata.deletionTimestamp = "2024-01-01T00:59:00Z";
  done.status.phase = "Running";
  cells.clear();
  PodRow(done, Now(), cells);
  EXPECT_EQ(Strings(cells)[1], "Terminating");
}

TEST(NodePrinter, StatusAndRoles) {
  api::Node node;
  node.metadata.labels["node-role.kubernetes.io/control-plane"] = "";
  node.spec.unschedulable = true;
  api::NodeCondition ready;
  ready.type = "Ready";
  ready.status = "True";
  node.status.conditions.push_back(ready);
  node.status.nodeInfo = api::NodeSystemInfo{};
  node.status.nodeInfo->kubeletVersion = "v1.32.0";
  api::NodeAddress addr;
  addr.type = "InternalIP";
  addr.address = "10.0.0.1";
  node.status.addresses.push_back(addr);
  Cells cells;
  NodeRow(node, Now(), cells);
  EXPECT_EQ(Strings(cells), (std::vector<std::string>{"Ready,SchedulingDisabled", "control-plane",
                                                      "<unknown>", "v1.32.0", "10.0.0.1", "<none>",
                                                      "<unknown>", "<unknown>", "<unknown>"}));
}

TEST(ServicePrinter, NodePort) {
  api::Service svc;
  svc.spec.type = "NodePort";
  svc.spec.clusterIPs = {"10.96.0.5"};
  api::ServicePort p;
  p.port = 80;
  p.nodePort = 30080;
  p.protocol = "TCP";
  svc.spec.ports.push_back(p);
  svc.spec.selector["app"] = "web";
  Cells cells;
  ServiceRow(svc, Now(), cells);
  EXPECT_EQ(Strings(cells), (std::vector<std::string>{"NodePort", "10.96.0.5", "<none>",
                                                      "80:30080/TCP", "<unknown>", "app=web"}));
}

TEST(JobPrinter, CompleteWithDuration) {
  api::Job job;
  job.spec.completions = 1;
  job.status.succeeded = 1;
  job.status.startTime = "2024-01-01T00:00:00Z";
  job.status.completionTime = "2024-01-01T00:00:12Z";
  api::JobCondition c;
  c.type = "Complete";
  c.status = "True";
  job.status.conditions.push_back(c);
  Cells cells;
  JobRow(job, Now(), cells);
  auto s = Strings(cells);
  EXPECT_EQ(s[0], "Complete");
  EXPECT_EQ(s[1], "1/1");
  EXPECT_EQ(s[2], "12s");
}

TEST(EventPrinter, NoLeadingName) {
  api::Event ev;
  ev.metadata.name = "web.1";
  ev.type = "Normal";
  ev.reason = "Scheduled";
  ev.involvedObject.kind = "Pod";
  ev.involvedObject.name = "web";
  ev.firstTimestamp = "2024-01-01T00:58:00Z";
  ev.message = "Successfully assigned default/web to node1 ";
  Cells cells{boost::json::value("web.1")};
  EventRow(ev, Now(), cells);
  EXPECT_EQ(Strings(cells), (std::vector<std::string>{
                                "2m", "Normal", "Scheduled", "pod/web", "", "",
                                "Successfully assigned default/web to node1", "2m", "1", "web.1"}));
  EXPECT_EQ(EventColumns().size(), cells.size());
}

TEST(Formatting, LabelSelector) {
  api::LabelSelector s;
  s.matchLabels["app"] = "web";
  api::LabelSelectorRequirement r;
  r.key = "env";
  r.operator_ = "In";
  r.values = {"prod", "dev"};
  s.matchExpressions.push_back(r);
  EXPECT_EQ(FormatLabelSelector(s), "app=web,env in (dev,prod)");
  EXPECT_EQ(FormatLabels({}), "<none>");
}

}  // namespace
}  // namespace kubepp::apiserver
