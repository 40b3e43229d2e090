// Informers against the real API server: list (paged) then watch, handlers, listers and
// indexes, resume after a disconnect, relist on 410, resync, the shared factory.
#include "client/informer.h"

#include <gtest/gtest.h>

#include <atomic>

#include "api/types.h"
#include "client/testing/api_server_fixture.h"
#include "client/typed.h"

namespace kubepp::client {
namespace {

using std::chrono::milliseconds;

class InformerTest : public testing::ApiServerFixture {
 protected:
  InformerOptions FastOptions() {
    InformerOptions o;
    o.page_size = 2;  // several pages for a handful of objects
    o.backoff.initial = milliseconds(50);
    o.backoff.max = milliseconds(500);
    return o;
  }
  void CreateConfigMap(const std::string& ns, const std::string& name, const std::string& app) {
    TypedClient<api::ConfigMap> cms(*client_, ns);
    api::ConfigMap cm;
    cm.metadata.name = name;
    cm.metadata.labels["app"] = app;
    // After a server restart the first write may go out on a keep-alive connection the old
    // server closed; a POST is not retried by the transport (as Go's), so the test retries.
    auto r = Run(cms.Create(cm));
    for (int i = 0; i < 3 && !r.IsOk() && r.status().IsUnavailable(); ++i) r = Run(cms.Create(cm));
    ASSERT_TRUE(r.IsOk()) << r.status().ToString();
  }
};

// Counts what a handler saw. Handlers run on the informer's strand; the test reads atomics.
struct Counts {
  std::atomic<int> adds{0};
  std::atomic<int> updates{0};
  std::atomic<int> resyncs{0};  // updates with the same object on both sides
  std::atomic<int> deletes{0};
  std::atomic<int> unknown_deletes{0};
  std::mutex mu;
  std::vector<std::string> log;  // "ADD ns/name" ...

  ResourceEventHandler<api::ConfigMap> Handler() {
    ResourceEventHandler<api::ConfigMap> h;
    h.on_add = [this](const std::shared_ptr<const api::ConfigMap>& cm) {
      ++adds;
      Log("ADD " + MetaNamespaceKey(cm->metadata));
    };
    h.on_update = [this](const std::shared_ptr<const api::ConfigMap>& old_cm,
                         const std::shared_ptr<const api::ConfigMap>& cm) {
      if (old_cm == cm) {
        ++resyncs;
        return;
      }
      ++updates;
      Log("UPDATE " + MetaNamespaceKey(cm->metadata));
    };
    h.on_delete = [this](const std::shared_ptr<const api::ConfigMap>& cm, bool unknown) {
      ++deletes;
      if (unknown) ++unknown_deletes;
      Log("DELETE " + MetaNamespaceKey(cm->metadata));
    };
    return h;
  }
  void Log(std::string s) {
    std::lock_guard lock(mu);
    log.push_back(std::move(s));
  }
};

TEST_F(InformerTest, ListsThenWatchesWithListersAndIndexes) {
  CreateConfigMap("default", "a", "web");
  CreateConfigMap("default", "b", "db");
  CreateConfigMap("kube-system", "c", "web");
  SharedInformerFactory factory(*client_, runtime_.Executor(), FastOptions());
  Informer<api::ConfigMap> inf = factory.For<api::ConfigMap>();
  EXPECT_EQ(&factory.For<api::ConfigMap>().Raw(), &inf.Raw());  // one informer per kind
  ASSERT_TRUE(inf.AddIndexer("app",
                             [](const api::ConfigMap& cm) {
                               auto it = cm.metadata.labels.find("app");
                               if (it == cm.metadata.labels.end())
                                 return std::vector<std::string>{};
                               return std::vector<std::string>{it->second};
                             })
                  .IsOk());
  Counts counts;
  inf.AddEventHandler(counts.Handler());
  factory.Start();
  ASSERT_TRUE(factory.WaitForCacheSync(std::chrono::seconds(20)));
  EXPECT_EQ(counts.adds.load(), 3);
  EXPECT_EQ(inf.Raw().Lists(), 1u);

  Lister<api::ConfigMap> lister = inf.GetLister();
  EXPECT_EQ(lister.List().size(), 3u);
  EXPECT_EQ(lister.ListNamespace("default").size(), 2u);
  ASSERT_NE(lister.Get("kube-system", "c"), nullptr);
  EXPECT_EQ(lister.Get("kube-system", "nope"), nullptr);
  EXPECT_EQ(lister.ByIndex("app", "web").size(), 2u);
  auto sel = api::Selector::ParseLabels("app=db");
  ASSERT_TRUE(sel.IsOk());
  EXPECT_EQ(lister.List(*sel).size(), 1u);

  // Watch: add, update, delete.
  CreateConfigMap("default", "d", "web");
  TypedClient<api::ConfigMap> cms(*client_, "default");
  auto b = Run(cms.Get("b"));
  ASSERT_TRUE(b.IsOk());
  api::ConfigMap changed = *b;
  changed.metadata.labels["app"] = "web";
  ASSERT_TRUE(Run(cms.Update(changed)).IsOk());
  ASSERT_TRUE(Run(cms.Delete("a")).IsOk());
  ASSERT_TRUE(Eventually([&] { return counts.deletes.load() == 1; }));
  EXPECT_EQ(counts.adds.load(), 4);
  EXPECT_EQ(counts.updates.load(), 1);
  EXPECT_EQ(counts.unknown_deletes.load(), 0);
  EXPECT_EQ(lister.List().size(), 3u);
  EXPECT_EQ(lister.Get("default", "a"), nullptr);
  // The index follows the update: b moved from db to web, a left.
  EXPECT_EQ(lister.ByIndex("app", "web").size(), 3u);
  EXPECT_EQ(lister.ByIndex("app", "db").size(), 0u);
  {
    std::lock_guard lock(counts.mu);
    EXPECT_EQ(counts.log.back(), "DELETE default/a");
  }

  // A handler added later first sees what the store holds.
  Counts late;
  inf.AddEventHandler(late.Handler());
  ASSERT_TRUE(Eventually([&] { return late.adds.load() == 3; }));
  factory.Stop();
}

TEST_F(InformerTest, ResumesWatchWithoutRelisting) {
  InformerOptions o = FastOptions();
  o.min_watch_timeout = std::chrono::seconds(1);  // the server ends each watch after 1-2 s
  SharedInformer inf(*client_, runtime_.Executor(), CodecFor<api::ConfigMap>(), o);
  Counts counts;
  Informer<api::ConfigMap>(std::shared_ptr<SharedInformer>(&inf, [](SharedInformer*) {
  })).AddEventHandler(counts.Handler());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(std::chrono::seconds(20)));
  // The watch times out and is reopened from the last resourceVersion.
  ASSERT_TRUE(Eventually([&] { return inf.Watches() >= 2; }));
  CreateConfigMap("default", "after-rewatch", "x");
  ASSERT_TRUE(Eventually([&] { return counts.adds.load() == 1; }));
  EXPECT_EQ(inf.Lists(), 1u);

  // The server goes away and comes back on the same port: the watch resumes from where it was
  // when nothing was written meanwhile. (A server whose bootstrap writes on start moves the
  // store past the informer's resourceVersion; then the resumed watch is answered 410 and the
  // informer relists, which is also right.)
  uint64_t watches = inf.Watches();
  auto rev_before = store_.CurrentRevision();
  int port = port_;
  StopServer();
  StartServer(port);
  auto rev_after = store_.CurrentRevision();
  ASSERT_TRUE(rev_before.IsOk() && rev_after.IsOk());
  ASSERT_TRUE(Eventually([&] { return inf.Watches() > watches; }));
  CreateConfigMap("default", "after-restart", "x");
  ASSERT_TRUE(Eventually([&] { return counts.adds.load() == 2; }));
  EXPECT_EQ(inf.Lists(), *rev_before == *rev_after ? 1u : 2u);
  inf.Stop();
}

TEST_F(InformerTest, RelistsWhenTheWatchIsGone) {
  CreateConfigMap("default", "keep", "x");
  CreateConfigMap("default", "doomed", "x");
  SharedInformer inf(*client_, runtime_.Executor(), CodecFor<api::ConfigMap>(), FastOptions());
  Counts counts;
  Informer<api::ConfigMap>(std::shared_ptr<SharedInformer>(&inf, [](SharedInformer*) {
  })).AddEventHandler(counts.Handler());
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(std::chrono::seconds(20)));
  ASSERT_EQ(counts.adds.load(), 2);

  // While the informer's server is down, the objects change through another server on the
  // same store. The restarted server's watch window starts after those changes, so resuming
  // from the informer's resourceVersion answers 410 and the informer relists.
  int port = port_;
  StopServer();
  {
    StartServer(0);
    auto other = NewClient();
    TypedClient<api::ConfigMap> cms(*other, "default");
    ASSERT_TRUE(Run(cms.Delete("doomed")).IsOk());
    api::ConfigMap fresh;
    fresh.metadata.name = "fresh";
    ASSERT_TRUE(Run(cms.Create(fresh)).IsOk());
    other.reset();
    StopServer();
  }
  StartServer(port);
  ASSERT_TRUE(Eventually([&] { return counts.deletes.load() == 1 && counts.adds.load() == 3; }));
  EXPECT_EQ(counts.unknown_deletes.load(), 1);  // the final state of "doomed" was not seen
  EXPECT_GE(counts.updates.load(), 1);          // "keep" survived the relist
  EXPECT_EQ(inf.Lists(), 2u);
  Lister<api::ConfigMap> lister(&inf.Store());
  EXPECT_NE(lister.Get("default", "fresh"), nullptr);
  EXPECT_EQ(lister.Get("default", "doomed"), nullptr);
  inf.Stop();
}

TEST_F(InformerTest, ResyncDeliversEveryObjectAgain) {
  CreateConfigMap("default", "a", "x");
  CreateConfigMap("default", "b", "x");
  SharedInformer inf(*client_, runtime_.Executor(), CodecFor<api::ConfigMap>(), FastOptions());
  Counts counts;
  Informer<api::ConfigMap>(std::shared_ptr<SharedInformer>(&inf, [](SharedInformer*) {
  })).AddEventHandler(counts.Handler(), milliseconds(50));
  inf.Start();
  ASSERT_TRUE(inf.WaitForSync(std::chrono::seconds(20)));
  ASSERT_TRUE(Eventually([&] { return counts.resyncs.load() >= 4; }));
  inf.Stop();
}

}  // namespace
}  // namespace kubepp::client
