#include "storage/conformance/backend_conformance.h"

#include <atomic>
#include <map>
#include <random>
#include <set>
#include <thread>

namespace kubepp::storage {

using namespace std::chrono_literals;

std::string BackendFactoryName(const ::testing::TestParamInfo<BackendFactory>& info) {
  return info.param.name;
}

void BackendConformanceTest::SetUp() {
  static std::atomic<int> counter{0};
  std::random_device rd;
  prefix_ = "/conformance/" + std::to_string(rd()) + "-" + std::to_string(counter++) + "/";
  store_ = GetParam().make();
  ASSERT_NE(store_, nullptr);
}

void BackendConformanceTest::TearDown() { store_.reset(); }

namespace {

// Reads watch batches until `n` events arrived or `deadline` passed.
std::vector<WatchEvent> Collect(WatchStream& w, size_t n,
                                std::chrono::milliseconds deadline = 10s) {
  std::vector<WatchEvent> out;
  auto end = std::chrono::steady_clock::now() + deadline;
  while (out.size() < n && std::chrono::steady_clock::now() < end) {
    auto batch = w.Next(200ms);
    if (!batch.IsOk()) {
      ADD_FAILURE() << "watch failed: " << batch.status().ToString();
      break;
    }
    for (auto& e : batch->events) out.push_back(std::move(e));
  }
  return out;
}

std::vector<std::string> KeysOf(const std::vector<KeyValue>& items) {
  std::vector<std::string> keys;
  for (const auto& kv : items) keys.push_back(kv.key);
  return keys;
}

}  // namespace

TEST_P(BackendConformanceTest, CreateThenGet) {
  auto before = store().CurrentRevision();
  ASSERT_TRUE(before.IsOk()) << before.status().ToString();
  auto created = store().Create(Key("a"), "v1");
  ASSERT_TRUE(created.IsOk()) << created.status().ToString();
  EXPECT_EQ(created->key, Key("a"));
  EXPECT_EQ(created->value, "v1");
  EXPECT_GT(created->mod_revision, *before);
  EXPECT_EQ(created->create_revision, created->mod_revision);
  auto got = store().Get(Key("a"));
  ASSERT_TRUE(got.IsOk()) << got.status().ToString();
  EXPECT_EQ(*got, *created);
  auto now = store().CurrentRevision();
  ASSERT_TRUE(now.IsOk());
  EXPECT_GE(*now, created->mod_revision);
}

TEST_P(BackendConformanceTest, CreateExistingIsAlreadyExists) {
  ASSERT_TRUE(store().Create(Key("a"), "v1").IsOk());
  auto again = store().Create(Key("a"), "v2");
  ASSERT_FALSE(again.IsOk());
  EXPECT_TRUE(again.status().IsAlreadyExists()) << again.status().ToString();
  EXPECT_EQ(store().Get(Key("a"))->value, "v1");
}

TEST_P(BackendConformanceTest, GetMissingIsNotFound) {
  auto got = store().Get(Key("nope"));
  ASSERT_FALSE(got.IsOk());
  EXPECT_TRUE(got.status().IsNotFound()) << got.status().ToString();
}

TEST_P(BackendConformanceTest, UpdateIsCompareAndSwap) {
  auto created = store().Create(Key("a"), "v1");
  ASSERT_TRUE(created.IsOk());
  auto updated = store().Update(Key("a"), "v2", created->mod_revision);
  ASSERT_TRUE(updated.IsOk()) << updated.status().ToString();
  EXPECT_EQ(updated->value, "v2");
  EXPECT_EQ(updated->create_revision, created->create_revision);
  EXPECT_GT(updated->mod_revision, created->mod_revision);

  auto stale = store().Update(Key("a"), "v3", created->mod_revision);
  ASSERT_FALSE(stale.IsOk());
  EXPECT_TRUE(stale.status().IsConflict()) << stale.status().ToString();
  EXPECT_EQ(store().Get(Key("a"))->value, "v2");

  auto any = store().Update(Key("a"), "v4", 0);
  ASSERT_TRUE(any.IsOk()) << any.status().ToString();
  EXPECT_EQ(store().Get(Key("a"))->value, "v4");

  auto missing = store().Update(Key("b"), "x", 0);
  ASSERT_FALSE(missing.IsOk());
  EXPECT_TRUE(missing.status().IsNotFound()) << missing.status().ToString();
}

TEST_P(BackendConformanceTest, DeleteIsCompareAndSwap) {
  auto created = store().Create(Key("a"), "v1");
  ASSERT_TRUE(created.IsOk());
  auto stale = store().Delete(Key("a"), created->mod_revision + 1000);
  ASSERT_FALSE(stale.IsOk());
  EXPECT_TRUE(stale.status().IsConflict()) << stale.status().ToString();

  auto deleted = store().Delete(Key("a"), created->mod_revision);
  ASSERT_TRUE(deleted.IsOk()) << deleted.status().ToString();
  EXPECT_EQ(deleted->prev, *created);
  EXPECT_GT(deleted->revision, created->mod_revision);
  EXPECT_TRUE(store().Get(Key("a")).status().IsNotFound());

  auto again = store().Delete(Key("a"), 0);
  ASSERT_FALSE(again.IsOk());
  EXPECT_TRUE(again.status().IsNotFound()) << again.status().ToString();

  // A new incarnation gets a new create revision.
  auto recreated = store().Create(Key("a"), "v2");
  ASSERT_TRUE(recreated.IsOk());
  EXPECT_GT(recreated->create_revision, deleted->revision);
}

TEST_P(BackendConformanceTest, RevisionsGrowAcrossKeys) {
  Revision last = 0;
  for (int i = 0; i < 10; ++i) {
    auto kv = store().Create(Key("k" + std::to_string(i)), "v");
    ASSERT_TRUE(kv.IsOk());
    EXPECT_GT(kv->mod_revision, last);
    last = kv->mod_revision;
  }
}

TEST_P(BackendConformanceTest, ListByPrefixInKeyOrder) {
  for (const char* k : {"b", "a", "c/x", "c/y"}) ASSERT_TRUE(store().Create(Key(k), k).IsOk());
  // Siblings whose names extend the prefix without the separator must not appear.
  ASSERT_TRUE(store().Create(prefix().substr(0, prefix().size() - 1) + "-sibling", "s").IsOk());
  auto all = store().List({.prefix = prefix()});
  ASSERT_TRUE(all.IsOk()) << all.status().ToString();
  EXPECT_EQ(KeysOf(all->items),
            (std::vector<std::string>{Key("a"), Key("b"), Key("c/x"), Key("c/y")}));
  EXPECT_TRUE(all->continue_token.empty());
  EXPECT_EQ(all->items[0].value, "a");
  auto sub = store().List({.prefix = Key("c/")});
  ASSERT_TRUE(sub.IsOk());
  EXPECT_EQ(KeysOf(sub->items), (std::vector<std::string>{Key("c/x"), Key("c/y")}));
  auto none = store().List({.prefix = Key("zzz/")});
  ASSERT_TRUE(none.IsOk());
  EXPECT_TRUE(none->items.empty());
}

TEST_P(BackendConformanceTest, ListAtPastRevision) {
  auto a = store().Create(Key("a"), "a1");
  auto b = store().Create(Key("b"), "b1");
  ASSERT_TRUE(a.IsOk() && b.IsOk());
  Revision then = b->mod_revision;
  ASSERT_TRUE(store().Update(Key("a"), "a2", a->mod_revision).IsOk());
  ASSERT_TRUE(store().Delete(Key("b"), 0).IsOk());
  ASSERT_TRUE(store().Create(Key("c"), "c1").IsOk());

  auto past = store().List({.prefix = prefix(), .revision = then});
  ASSERT_TRUE(past.IsOk()) << past.status().ToString();
  EXPECT_EQ(past->revision, then);
  ASSERT_EQ(KeysOf(past->items), (std::vector<std::string>{Key("a"), Key("b")}));
  EXPECT_EQ(past->items[0].value, "a1");
  EXPECT_EQ(past->items[1].value, "b1");

  auto now = store().List({.prefix = prefix()});
  ASSERT_TRUE(now.IsOk());
  ASSERT_EQ(KeysOf(now->items), (std::vector<std::string>{Key("a"), Key("c")}));
  EXPECT_EQ(now->items[0].value, "a2");
}

TEST_P(BackendConformanceTest, PagingIsConsistentUnderConcurrentWrites) {
  constexpr int kKeys = 50;
  std::map<std::string, std::string> expected;
  for (int i = 0; i < kKeys; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "k%03d", i);
    ASSERT_TRUE(store().Create(Key(name), std::to_string(i)).IsOk());
    expected[Key(name)] = std::to_string(i);
  }
  std::vector<KeyValue> seen;
  ListOptions opts{.prefix = prefix(), .limit = 7};
  Revision first_rev = 0;
  int pages = 0;
  int writes = 0;
  while (true) {
    auto page = store().List(opts);
    ASSERT_TRUE(page.IsOk()) << page.status().ToString();
    if (pages == 0) first_rev = page->revision;
    EXPECT_EQ(page->revision, first_rev);
    EXPECT_LE(page->items.size(), 7u);
    ++pages;
    for (auto& kv : page->items) seen.push_back(kv);
    EXPECT_EQ(page->remaining, kKeys - static_cast<int64_t>(seen.size()));
    if (page->continue_token.empty()) break;
    // Writes between pages must not show up in later pages.
    char name[16];
    std::snprintf(name, sizeof name, "k%03d", 49 - writes);
    ASSERT_TRUE(store().Update(Key(name), "changed", 0).IsOk());
    ASSERT_TRUE(store().Create(Key("k000-new-" + std::to_string(writes)), "new").IsOk());
    std::snprintf(name, sizeof name, "k%03d", 10 + writes);
    ASSERT_TRUE(store().Delete(Key(name), 0).IsOk());
    ++writes;
    opts.continue_token = page->continue_token;
  }
  EXPECT_EQ(pages, 8);
  ASSERT_EQ(seen.size(), static_cast<size_t>(kKeys));
  for (const auto& kv : seen) EXPECT_EQ(kv.value, expected[kv.key]) << kv.key;
}

TEST_P(BackendConformanceTest, BadContinueTokenIsBadRequest) {
  ASSERT_TRUE(store().Create(Key("a"), "v").IsOk());
  auto bad = store().List({.prefix = prefix(), .continue_token = "!!not-a-token!!"});
  ASSERT_FALSE(bad.IsOk());
  EXPECT_EQ(bad.status().Code(), StatusCode::kBadRequest) << bad.status().ToString();
}

TEST_P(BackendConformanceTest, WatchFromPastRevisionHasNoGapOrDuplicate) {
  auto start = store().CurrentRevision();
  ASSERT_TRUE(start.IsOk());
  // History before the watch starts.
  auto a = store().Create(Key("a"), "a1");
  ASSERT_TRUE(a.IsOk());
  auto a2 = store().Update(Key("a"), "a2", a->mod_revision);
  ASSERT_TRUE(a2.IsOk());
  ASSERT_TRUE(store().Create(Key("b"), "b1").IsOk());
  auto watch = store().Watch(prefix(), *start);
  ASSERT_TRUE(watch.IsOk()) << watch.status().ToString();
  // Live changes, from another thread while the watch reads.
  std::thread writer([this] {
    for (int i = 0; i < 20; ++i) {
      ASSERT_TRUE(store().Create(Key("live" + std::to_string(i)), "x").IsOk());
    }
    ASSERT_TRUE(store().Delete(Key("a"), 0).IsOk());
  });
  auto events = Collect(**watch, 24);
  writer.join();
  ASSERT_EQ(events.size(), 24u);
  EXPECT_EQ(events[0].type, EventType::kCreated);
  EXPECT_EQ(events[0].kv.value, "a1");
  EXPECT_FALSE(events[0].prev.has_value());
  EXPECT_EQ(events[1].type, EventType::kUpdated);
  EXPECT_EQ(events[1].kv.value, "a2");
  ASSERT_TRUE(events[1].prev.has_value());
  EXPECT_EQ(events[1].prev->value, "a1");
  EXPECT_EQ(events[1].kv.create_revision, a->create_revision);
  EXPECT_EQ(events[2].kv.key, Key("b"));
  const WatchEvent& del = events.back();
  EXPECT_EQ(del.type, EventType::kDeleted);
  EXPECT_EQ(del.kv.key, Key("a"));
  ASSERT_TRUE(del.prev.has_value());
  EXPECT_EQ(del.prev->value, "a2");
  std::set<Revision> revs;
  for (size_t i = 0; i < events.size(); ++i) {
    revs.insert(events[i].kv.mod_revision);
    if (i > 0) {
      EXPECT_GT(events[i].kv.mod_revision, events[i - 1].kv.mod_revision);
    }
    if (i >= 3 && i < 23) {
      EXPECT_EQ(events[i].kv.key, Key("live" + std::to_string(i - 3)));
    }
  }
  EXPECT_EQ(revs.size(), events.size());
  // Nothing more arrives.
  auto more = (*watch)->Next(100ms);
  ASSERT_TRUE(more.IsOk());
  EXPECT_TRUE(more->events.empty());
  EXPECT_GE(more->revision, del.kv.mod_revision);
}

TEST_P(BackendConformanceTest, WatchFromNowSeesOnlyLaterChanges) {
  ASSERT_TRUE(store().Create(Key("old"), "x").IsOk());
  auto watch = store().Watch(prefix(), 0);
  ASSERT_TRUE(watch.IsOk()) << watch.status().ToString();
  ASSERT_TRUE(store().Create(Key("new"), "y").IsOk());
  auto events = Collect(**watch, 1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kv.key, Key("new"));
}

TEST_P(BackendConformanceTest, WatchFiltersByPrefix) {
  auto start = store().CurrentRevision();
  ASSERT_TRUE(start.IsOk());
  auto watch = store().Watch(Key("in/"), *start);
  ASSERT_TRUE(watch.IsOk());
  ASSERT_TRUE(store().Create(Key("out/1"), "x").IsOk());
  ASSERT_TRUE(store().Create(Key("in/1"), "y").IsOk());
  ASSERT_TRUE(store().Create(Key("in-not/1"), "z").IsOk());
  ASSERT_TRUE(store().Create(Key("in/2"), "w").IsOk());
  auto events = Collect(**watch, 2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kv.key, Key("in/1"));
  EXPECT_EQ(events[1].kv.key, Key("in/2"));
  auto more = (*watch)->Next(200ms);
  ASSERT_TRUE(more.IsOk());
  EXPECT_TRUE(more->events.empty());
}

TEST_P(BackendConformanceTest, CompactedRevisionsAreGone) {
  auto a = store().Create(Key("a"), "1");
  ASSERT_TRUE(a.IsOk());
  auto a2 = store().Update(Key("a"), "2", a->mod_revision);
  ASSERT_TRUE(a2.IsOk());
  auto b = store().Create(Key("b"), "1");
  ASSERT_TRUE(b.IsOk());
  ASSERT_TRUE(store().Compact(a2->mod_revision).IsOk());
  auto compacted = store().CompactedRevision();
  ASSERT_TRUE(compacted.IsOk());
  EXPECT_GE(*compacted, a2->mod_revision);

  auto old_watch = store().Watch(prefix(), a->mod_revision - 1);
  ASSERT_FALSE(old_watch.IsOk());
  EXPECT_TRUE(old_watch.status().IsGone()) << old_watch.status().ToString();
  auto old_list = store().List({.prefix = prefix(), .revision = a->mod_revision});
  ASSERT_FALSE(old_list.IsOk());
  EXPECT_TRUE(old_list.status().IsGone()) << old_list.status().ToString();

  // The compaction revision itself is still readable, and so is the present.
  auto at = store().List({.prefix = prefix(), .revision = a2->mod_revision});
  ASSERT_TRUE(at.IsOk()) << at.status().ToString();
  ASSERT_EQ(at->items.size(), 1u);
  EXPECT_EQ(at->items[0].value, "2");
  EXPECT_EQ(store().Get(Key("a"))->value, "2");
  EXPECT_EQ(store().Get(Key("b"))->value, "1");
  // A watch from the compaction revision still works.
  auto w = store().Watch(prefix(), a2->mod_revision);
  ASSERT_TRUE(w.IsOk()) << w.status().ToString();
  auto events = Collect(**w, 1);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kv.key, Key("b"));
  // Compacting backwards is a no-op; into the future is refused.
  EXPECT_TRUE(store().Compact(a->mod_revision).IsOk());
  auto now = store().CurrentRevision();
  ASSERT_TRUE(now.IsOk());
  EXPECT_FALSE(store().Compact(*now + 1000).IsOk());
}

TEST_P(BackendConformanceTest, PagingAcrossCompactionIsGone) {
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(store().Create(Key("k" + std::to_string(i)), "v").IsOk());
  auto page = store().List({.prefix = prefix(), .limit = 2});
  ASSERT_TRUE(page.IsOk());
  ASSERT_FALSE(page->continue_token.empty());
  ASSERT_TRUE(store().Update(Key("k0"), "w", 0).IsOk());
  auto now = store().CurrentRevision();
  ASSERT_TRUE(now.IsOk());
  ASSERT_TRUE(store().Compact(*now).IsOk());
  auto next =
      store().List({.prefix = prefix(), .limit = 2, .continue_token = page->continue_token});
  ASSERT_FALSE(next.IsOk());
  EXPECT_TRUE(next.status().IsGone()) << next.status().ToString();
}

TEST_P(BackendConformanceTest, CancelUnblocksWatch) {
  auto watch = store().Watch(prefix(), 0);
  ASSERT_TRUE(watch.IsOk());
  WatchStream* w = watch->get();
  std::thread canceller([w] {
    std::this_thread::sleep_for(50ms);
    w->Cancel();
  });
  auto t0 = std::chrono::steady_clock::now();
  Result<WatchBatch> r = WatchBatch{};
  while (r.IsOk() && std::chrono::steady_clock::now() - t0 < 5s) r = w->Next(2s);
  canceller.join();
  ASSERT_FALSE(r.IsOk());
  EXPECT_TRUE(r.status().IsUnavailable()) << r.status().ToString();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
}

TEST_P(BackendConformanceTest, ConcurrentCasIncrementsLoseNothing) {
  constexpr int kThreads = 32;
  constexpr int kIncrements = 25;
  ASSERT_TRUE(store().Create(Key("counter"), "0").IsOk());
  std::atomic<int> conflicts{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        while (true) {
          auto cur = store().Get(Key("counter"));
          if (!cur.IsOk()) {
            failures++;
            return;
          }
          int n = std::stoi(cur->value);
          auto up = store().Update(Key("counter"), std::to_string(n + 1), cur->mod_revision);
          if (up.IsOk()) break;
          if (!up.status().IsConflict()) {
            failures++;
            return;
          }
          conflicts++;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(store().Get(Key("counter"))->value, std::to_string(kThreads * kIncrements));
}

TEST_P(BackendConformanceTest, OneMebibyteValues) {
  std::string big(1 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 131) & 0xff);
  auto created = store().Create(Key("big"), big);
  ASSERT_TRUE(created.IsOk()) << created.status().ToString();
  auto got = store().Get(Key("big"));
  ASSERT_TRUE(got.IsOk());
  EXPECT_TRUE(got->value == big);
  std::string too_big(kMaxValueBytes + 1, 'x');
  auto refused = store().Create(Key("huge"), too_big);
  ASSERT_FALSE(refused.IsOk());
  EXPECT_EQ(refused.status().Code(), StatusCode::kRequestEntityTooLarge)
      << refused.status().ToString();
  auto refused_update = store().Update(Key("big"), too_big, 0);
  ASSERT_FALSE(refused_update.IsOk());
  EXPECT_TRUE(store().Get(Key("big"))->value == big);
}

TEST_P(BackendConformanceTest, KeysWithAnyBytes) {
  std::vector<std::string> keys = {Key(std::string("nul\0inside", 10)), Key("\xff\xfe"),
                                   Key("\x01"), Key("utf8-\xc3\xa9"), Key(std::string(1, '\0'))};
  for (const auto& k : keys) {
    auto kv = store().Create(k, k + "-value");
    ASSERT_TRUE(kv.IsOk()) << kv.status().ToString();
  }
  for (const auto& k : keys) {
    auto got = store().Get(k);
    ASSERT_TRUE(got.IsOk());
    EXPECT_EQ(got->value, k + "-value");
  }
  auto all = store().List({.prefix = prefix()});
  ASSERT_TRUE(all.IsOk());
  auto sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(KeysOf(all->items), sorted);
  // Paging over binary keys.
  std::vector<std::string> paged;
  ListOptions opts{.prefix = prefix(), .limit = 2};
  for (int guard = 0; guard < 10; ++guard) {
    auto page = store().List(opts);
    ASSERT_TRUE(page.IsOk()) << page.status().ToString();
    for (auto& kv : page->items) paged.push_back(kv.key);
    if (page->continue_token.empty()) break;
    opts.continue_token = page->continue_token;
  }
  EXPECT_EQ(paged, sorted);
}

TEST_P(BackendConformanceTest, EmptyKeyIsBadRequest) {
  auto r = store().Create("", "v");
  ASSERT_FALSE(r.IsOk());
  EXPECT_EQ(r.status().Code(), StatusCode::kBadRequest);
}

}  // namespace kubepp::storage
