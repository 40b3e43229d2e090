// The event recorder against the real API server: creation, aggregation into counts, similar
// events combined, and re-creation of a deleted event.
#include "client/event_recorder.h"

#include <gtest/gtest.h>

#include "client/testing/api_server_fixture.h"
#include "client/typed.h"

namespace kubepp::client {
namespace {

class EventRecorderTest : public testing::ApiServerFixture {
 protected:
  std::vector<api::Event> Events(const std::string& ns) {
    TypedClient<api::Event> events(*client_, ns);
    auto list = Run(events.List(ListOptions{}));
    EXPECT_TRUE(list.IsOk()) << list.status().ToString();
    return list.IsOk() ? list->items : std::vector<api::Event>{};
  }
  api::ConfigMap Subject() {
    api::ConfigMap cm;
    cm.metadata.name = "subject";
    cm.metadata.namespace_ = "default";
    cm.metadata.uid = "1234";
    return cm;
  }
};

TEST_F(EventRecorderTest, RepeatsBecomeCounts) {
  EventRecorder rec(*client_, runtime_.Executor(), {"test-controller", "node-1"});
  api::ConfigMap cm = Subject();
  for (int i = 0; i < 3; ++i) rec.Event(cm, kEventTypeNormal, "Synced", "all good");
  rec.Event(cm, kEventTypeWarning, "Failed", "something broke");
  rec.Flush();
  EXPECT_EQ(rec.Written(), 4u);
  EXPECT_EQ(rec.Failed(), 0u);
  auto events = Events("default");
  ASSERT_EQ(events.size(), 2u);
  const api::Event* synced = nullptr;
  for (const auto& e : events) {
    if (e.reason == "Synced") synced = &e;
  }
  ASSERT_NE(synced, nullptr);
  EXPECT_EQ(synced->count, 3);
  EXPECT_EQ(synced->type, "Normal");
  EXPECT_EQ(synced->message, "all good");
  EXPECT_EQ(synced->involvedObject.kind, "ConfigMap");
  EXPECT_EQ(synced->involvedObject.name, "subject");
  EXPECT_EQ(synced->involvedObject.uid, "1234");
  ASSERT_TRUE(synced->source.has_value());
  EXPECT_EQ(synced->source->component, "test-controller");
  EXPECT_EQ(synced->source->host, "node-1");
  EXPECT_EQ(synced->reportingComponent, "test-controller");
  EXPECT_FALSE(synced->firstTimestamp.empty());
  EXPECT_FALSE(synced->lastTimestamp.empty());
  EXPECT_EQ(synced->metadata.name.rfind("subject.", 0), 0u);

  // A deleted event is written again, keeping its count.
  TypedClient<api::Event> api_events(*client_, "default");
  ASSERT_TRUE(Run(api_events.Delete(synced->metadata.name)).IsOk());
  rec.Event(cm, kEventTypeNormal, "Synced", "all good");
  rec.Flush();
  bool found = false;
  for (const auto& e : Events("default")) {
    if (e.reason == "Synced") {
      found = true;
      EXPECT_EQ(e.count, 4);
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(EventRecorderTest, SimilarEventsAreCombined) {
  EventRecorder rec(*client_, runtime_.Executor(), {"test-controller", ""});
  api::ConfigMap cm = Subject();
  for (int i = 0; i < 12; ++i) {
    rec.Event(cm, kEventTypeWarning, "BackOff", "attempt " + std::to_string(i));
  }
  rec.Flush();
  auto events = Events("default");
  // 9 distinct events, then one combined event counted 3 times.
  ASSERT_EQ(events.size(), 10u);
  int combined = 0;
  for (const auto& e : events) {
    if (e.message.rfind("(combined from similar events): ", 0) == 0) {
      ++combined;
      EXPECT_EQ(e.count, 3);
    }
  }
  EXPECT_EQ(combined, 1);
}

TEST_F(EventRecorderTest, ClusterScopedObjectsGoToDefault) {
  EventRecorder rec(*client_, runtime_.Executor(), {"test-controller", ""});
  api::Node node;
  node.metadata.name = "n1";
  rec.Event(node, kEventTypeNormal, "Registered", "hello");
  rec.Stop();
  auto events = Events("default");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].involvedObject.kind, "Node");
  EXPECT_EQ(events[0].involvedObject.namespace_, "");
}

}  // namespace
}  // namespace kubepp::client
