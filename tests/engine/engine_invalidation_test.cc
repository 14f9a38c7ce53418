// Precise invalidation through a whole Engine: a write drops only the pages it changes.
//
// Too wide: a change outside a page's filter, or outside its key range, leaves the page
// answered from L1 — and from L2, in an engine opened afterwards (what another process or a
// restart sees: an empty L1 and the shared L2; LMDB allows one environment per process, so
// the engines that check L2 take turns). Engines open side by side share the epoch and the
// log, not L2. Too narrow: a document updated into a page's
// range, one leaving it, deleted, unpublished, re-permissioned, or an external UPDATE of the
// JSON a q_* column reads, each reaches the pages it changes, in both engines. Plus: a held
// miss with a parked waiter does not delay an unrelated query.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <boost/asio/use_future.hpp>
#include <chrono>
#include <future>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "engine_test_util.h"
#include "folio/engine/engine.h"
#include "folio/storage/document_store.h"

namespace folio {
namespace {

using engine_testing::ComparePage;
using engine_testing::GateHooks;
using engine_testing::Must;
using engine_testing::TempDir;

class InvalidationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    engine_ = OpenEngine();
    storage::TypeDefinition post{
        "post",
        "",
        {{"views", storage::FieldKind::kInteger}, {"cat", storage::FieldKind::kText}},
        {"tags"}};
    Must(engine_->RegisterType(post), "register");
    storage::StoreOptions so;
    so.path = (dir_.path() / "folio.sqlite").string();
    so.create_if_missing = false;
    direct_ = Must(storage::DocumentStore::Open(so), "open direct store");
  }

  std::unique_ptr<Engine> OpenEngine(EngineHooks* hooks = nullptr, int threads = 2) {
    Options options;
    options.data_dir = dir_.str();
    options.l1_capacity_bytes = 16 << 20;
    options.l2_map_size_bytes = 64 << 20;
    options.external_write_bound_micros = 20'000;
    options.hooks = hooks;
    options.sqlite_threads = threads;
    return Must(Engine::Open(options), "open engine");
  }

  // Writes through `engine` (default: engine_).
  std::string Create(const std::string& data, Engine* engine = nullptr) {
    return engine_testing::CreatePublished(engine ? *engine : *engine_, data);
  }
  void Publish(const std::string& root, Engine* engine = nullptr) {
    Engine& e = engine ? *engine : *engine_;
    Must(e.Write(storage::LifecycleOp{"default", root, storage::LifecycleAction::kPublish}),
         "publish");
  }
  void Edit(const std::string& root, const std::string& patch, Engine* engine = nullptr) {
    Engine& e = engine ? *engine : *engine_;
    Must(e.Write(storage::PatchOp{"default", root, patch, {}}), "patch");
    Publish(root, &e);
  }

  static storage::Query ByCat(const std::string& cat, int limit = 20) {
    storage::Query q;
    q.type = "post";
    q.filters.push_back({"cat", storage::FilterOp::kEq, {cat}});
    q.sort = "views";
    q.order = storage::SortOrder::kAsc;
    q.limit = limit;
    return q;
  }

  // Queries through `engine` and checks the page against the store; the tier that answered.
  Tier Ask(Engine& engine, const storage::Query& q) {
    auto got = engine.Query(q);
    EXPECT_EQ(ComparePage(got, direct_->List(q)), "") << q.CanonicalKey();
    return got.ok() ? got->tier() : Tier::kDatabase;
  }

  // Waits (up to 10 s) until `engine` answers `q` as the store does: how a test sees the
  // poller apply another program's write, without a timing assert.
  void WaitUntilCurrent(Engine& engine, const storage::Query& q) {
    for (int i = 0; i < 10000; ++i) {
      if (ComparePage(engine.Query(q), direct_->List(q)).empty()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  void ExternalSql(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_.path() / "folio.sqlite").c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char* error = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    EXPECT_EQ(rc, SQLITE_OK) << (error ? error : "");
    sqlite3_free(error);
    sqlite3_close(db);
  }

  TempDir dir_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<storage::DocumentStore> direct_;
};

TEST_F(InvalidationTest, APublishOutsideAPagesFilterLeavesItCachedInEveryTier) {
  Create(R"({"cat":"a","views":1})");
  const std::string other = Create(R"({"cat":"b","views":1})");
  const storage::Query q = ByCat("a");
  EXPECT_EQ(Ask(*engine_, q), Tier::kDatabase);
  EXPECT_EQ(Ask(*engine_, q), Tier::kMemory);
  engine_->FlushFills();

  Edit(other, R"({"views":2})");  // stays outside cat=a
  Create(R"({"cat":"c","views":0})");
  EXPECT_EQ(Ask(*engine_, q), Tier::kMemory);

  // An engine opened now has an empty L1: the L2 entry, read before those writes, is checked
  // against them and served.
  engine_.reset();
  auto second = OpenEngine();
  EXPECT_EQ(Ask(*second, q), Tier::kKv);
  EXPECT_EQ(Ask(*second, q), Tier::kMemory);
}

TEST_F(InvalidationTest, APublishOutsideAPagesKeyRangeLeavesItCached) {
  for (int v = 1; v <= 6; ++v)
    Create(R"({"cat":"a","views":)" + std::to_string(v * 10) + "}");
  storage::Query first = ByCat("a", 2);  // views 10, 20; a next page follows
  auto page = Must(engine_->Query(first), "first page");
  storage::Query second_page = first;
  second_page.cursor = std::string(*page.next_cursor());
  EXPECT_EQ(Ask(*engine_, second_page), Tier::kDatabase);  // views 30, 40
  engine_->FlushFills();

  // 55 sorts after the first page's last row: the first page (a next page follows either
  // way) is untouched; the second page's range (20, 40] is untouched too.
  Create(R"({"cat":"a","views":55})");
  EXPECT_EQ(Ask(*engine_, first), Tier::kMemory);
  EXPECT_EQ(Ask(*engine_, second_page), Tier::kMemory);
  engine_.reset();
  auto other = OpenEngine();
  EXPECT_EQ(Ask(*other, first), Tier::kKv);
  EXPECT_EQ(Ask(*other, second_page), Tier::kKv);

  // 35 lands inside the second page's range: it goes; the first stays.
  Create(R"({"cat":"a","views":35})", other.get());
  EXPECT_EQ(Ask(*other, first), Tier::kMemory);
  EXPECT_EQ(Ask(*other, second_page), Tier::kDatabase);
  other->FlushFills();
  other.reset();
  engine_ = OpenEngine();
  EXPECT_EQ(Ask(*engine_, first), Tier::kKv);        // read before 35, still valid
  EXPECT_EQ(Ask(*engine_, second_page), Tier::kKv);  // the refill
}

TEST_F(InvalidationTest, EveryKindOfChangeReachesThePagesItChanges) {
  const std::string a1 = Create(R"({"cat":"a","views":1})");
  const std::string a2 = Create(R"({"cat":"a","views":2})");
  const std::string b = Create(R"({"cat":"b","views":3})");
  const storage::Query q = ByCat("a");
  storage::Query editor_view = q;
  editor_view.principal.roles = {"editor"};
  auto other = OpenEngine();
  auto both = [&](const char* what) {
    SCOPED_TRACE(what);
    Ask(*engine_, q);
    Ask(*other, q);
    Ask(*engine_, editor_view);
    Ask(*other, editor_view);
  };
  both("warm");
  Edit(b, R"({"cat":"a"})");  // updated into the page
  both("into");
  Edit(a1, R"({"cat":"z"})");  // leaving it
  both("leaving");
  Must(engine_->Write(storage::LifecycleOp{"default", a2, storage::LifecycleAction::kUnpublish}),
       "unpublish");
  both("unpublished");
  Publish(a2);
  both("republished");
  Must(engine_->SetPermissions("default", a2, {{"role", "editor", "read", "allow"}}), "perm");
  both("re-permissioned");
  Must(engine_->Write(storage::LifecycleOp{"default", b, storage::LifecycleAction::kDelete}),
       "delete");
  both("deleted");
  // Another program rewrites the JSON a q_* column reads: the poller finds it.
  ExternalSql("UPDATE documents SET data = json_set(data, '$.cat', 'a') WHERE root_id = '" + a1 +
              "' AND is_published = 1");
  WaitUntilCurrent(*engine_, q);
  WaitUntilCurrent(*other, q);
  WaitUntilCurrent(*engine_, editor_view);
  WaitUntilCurrent(*other, editor_view);
  both("external update");
  EXPECT_GT(engine_->Stats().external_changes, 0u);
  EXPECT_GT(engine_->Stats().invalidations, 0u);
}

TEST_F(InvalidationTest, ASingleDocumentIsDroppedOnlyByChangesToItsRoot) {
  const std::string a = Create(R"({"cat":"a","views":1})");
  const std::string b = Create(R"({"cat":"b","views":1})");
  auto get = [&](Engine& e, const std::string& root) {
    auto got = e.Get("default", root, storage::Axis::kPublished);
    EXPECT_TRUE(got.ok()) << got.status().ToString();
    auto want = direct_->Get("default", root, storage::Axis::kPublished);
    EXPECT_TRUE(want.ok());
    if (got.ok() && want.ok()) {
      EXPECT_EQ(got->json(), want->ToJson());
    }
    return got.ok() ? got->tier() : Tier::kDatabase;
  };
  EXPECT_EQ(get(*engine_, a), Tier::kDatabase);
  EXPECT_EQ(get(*engine_, a), Tier::kMemory);
  engine_->FlushFills();
  Edit(b, R"({"views":5})");
  EXPECT_EQ(get(*engine_, a), Tier::kMemory);
  engine_.reset();
  auto other = OpenEngine();
  EXPECT_EQ(get(*other, a), Tier::kKv);  // served from L2 as well
  Edit(a, R"({"views":6})", other.get());
  EXPECT_EQ(get(*other, a), Tier::kDatabase);
  other->FlushFills();
  other.reset();
  engine_ = OpenEngine();
  EXPECT_EQ(get(*engine_, a), Tier::kKv);  // the refill; the copy read before the edit is gone
}

TEST_F(InvalidationTest, APageDroppedForAChangeIsReadFromSQLiteWithoutAnL2Lookup) {
  const std::string a = Create(R"({"cat":"a","views":1})");
  const storage::Query q = ByCat("a");
  EXPECT_EQ(Ask(*engine_, q), Tier::kDatabase);
  engine_->FlushFills();  // L2 holds the page as read before the edit

  Edit(a, R"({"views":2})");
  const EngineStats before = engine_->Stats();
  EXPECT_EQ(Ask(*engine_, q), Tier::kDatabase);
  const EngineStats after = engine_->Stats();
  EXPECT_EQ(after.kv_skipped, before.kv_skipped + 1);
  EXPECT_EQ(after.kv_stale, before.kv_stale);  // the stale L2 copy was not read
  EXPECT_EQ(after.kv.misses, before.kv.misses);
  EXPECT_EQ(Ask(*engine_, q), Tier::kMemory);

  // Another process's view (an empty L1): the refill is in L2 and served from there.
  engine_->FlushFills();
  engine_.reset();
  auto other = OpenEngine();
  EXPECT_EQ(Ask(*other, q), Tier::kKv);
  EXPECT_EQ(other->Stats().kv_skipped, 0u);
}

TEST_F(InvalidationTest, AHeldMissWithAParkedWaiterDoesNotDelayAnUnrelatedQuery) {
  engine_.reset();
  GateHooks hooks;
  engine_ = OpenEngine(&hooks, /*threads=*/2);
  Create(R"({"cat":"a","views":1})");
  Create(R"({"cat":"b","views":1})");
  hooks.before_read.Arm();
  // The leader holds one engine thread at its SQLite read.
  auto leader = engine_->AsyncQuery(ByCat("a"), boost::asio::use_future);
  ASSERT_TRUE(hooks.before_read.WaitReached());
  // A waiter for the same page parks on the read instead of holding the other thread…
  auto waiter = engine_->AsyncQuery(ByCat("a"), boost::asio::use_future);
  // …so an unrelated miss still gets a thread and completes while the leader is held.
  auto unrelated = engine_->AsyncQuery(ByCat("b"), boost::asio::use_future);
  ASSERT_EQ(unrelated.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_TRUE(unrelated.get().ok());
  EXPECT_EQ(waiter.wait_for(std::chrono::seconds(0)), std::future_status::timeout);
  hooks.before_read.Release();
  auto led = leader.get();
  auto waited = waiter.get();
  ASSERT_TRUE(led.ok() && waited.ok());
  EXPECT_EQ(led->bytes().get(), waited->bytes().get());  // one read, shared
  EXPECT_EQ(engine_->Stats().coalesced_misses, 1u);
}

TEST_F(InvalidationTest, AReaderThatRacedAWriteLeavesNoStalePage) {
  engine_.reset();
  GateHooks hooks;
  engine_ = OpenEngine(&hooks);
  const std::string root = Create(R"({"cat":"a","views":1})");
  const storage::Query q = ByCat("a");
  hooks.before_fill.Arm();
  auto reader = std::async(std::launch::async, [&] { return engine_->Query(q); });
  ASSERT_TRUE(hooks.before_fill.WaitReached());
  Edit(root, R"({"views":9})");  // commits and is applied while the reader holds its page
  hooks.before_fill.Release();
  ASSERT_TRUE(reader.get().ok());
  EXPECT_EQ(Ask(*engine_, q), Tier::kDatabase);  // the raced page was not admitted
  EXPECT_GE(engine_->Stats().stale_fills, 1u);
  engine_->FlushFills();
  engine_.reset();
  auto other = OpenEngine();
  Ask(*other, q);  // compared with the store: never the raced page
}

}  // namespace
}  // namespace folio
