// Forced interleavings through EngineHooks (latches, no sleeps):
//  - the stale-fill race: a reader that missed is held before its SQLite read, or between its
//    read and its fill, while a write commits and returns; when it resumes and fills, no later
//    reader (in this engine, or a fresh one reading L2) may be served the page it filled;
//  - coalescing: N readers missing on one key while the leader is held run one SQLite read.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine_test_util.h"
#include "folio/engine/engine.h"
#include "folio/storage/document_store.h"

namespace folio {
namespace {

using engine_testing::GateHooks;
using engine_testing::Must;
using engine_testing::OpenOracle;
using engine_testing::TempDir;

class EngineRaceTest : public ::testing::Test {
 protected:
  std::unique_ptr<Engine> Open(EngineHooks* hooks) {
    Options options;
    options.data_dir = dir_.str();
    options.l2_map_size_bytes = 64 << 20;
    options.l1_capacity_bytes = 16 << 20;
    options.hooks = hooks;
    auto engine = Must(Engine::Open(options), "open");
    storage::TypeDefinition post{"post", "", {{"views", storage::FieldKind::kInteger}}, {"tags"}};
    Must(engine->RegisterType(post), "register");
    return engine;
  }
  static std::string CreatePublished(Engine& engine, int views) {
    return engine_testing::CreatePublished(engine, "{\"views\":" + std::to_string(views) + "}");
  }
  static storage::Query ListQuery() {
    storage::Query q;
    q.type = "post";
    q.sort = "views";
    return q;
  }

  // Holds a reader at `gate`, runs a write (publish of a second post) while it waits, then lets
  // it fill. Returns the count the raced reader got.
  int RaceOneWrite(Engine& engine, engine_testing::Gate& gate) {
    gate.Arm();
    Result<PageRef> raced = Status::Internal("unset");
    std::thread reader([&] { raced = engine.Query(ListQuery()); });
    EXPECT_TRUE(gate.WaitReached()) << "the reader never reached the hook";
    CreatePublished(engine, 2);  // commits and returns while the reader is held
    gate.Release();
    reader.join();
    EXPECT_TRUE(raced.ok()) << raced.status().ToString();
    return raced.ok() ? raced->count() : -1;
  }

  void ExpectLaterReadersSeeTheWrite(std::unique_ptr<Engine>& engine) {
    // In this engine (L1 holds whatever the raced reader filled).
    for (int i = 0; i < 2; ++i) {
      auto page = Must(engine->Query(ListQuery()), "query");
      EXPECT_EQ(page.count(), 2) << "a later reader got the raced reader's stale page from "
                                 << TierName(page.tier());
    }
    // A fresh engine on the same dir: L1 is empty, so L2 answers if it holds the key.
    engine->FlushFills();
    engine.reset();
    auto fresh = Open(nullptr);
    auto page = Must(fresh->Query(ListQuery()), "query");
    EXPECT_EQ(page.count(), 2) << "a later process got a stale page from " << TierName(page.tier());
  }

  TempDir dir_;
};

TEST_F(EngineRaceTest, WriteBetweenReadAndFillLeavesNoStalePage) {
  GateHooks hooks;
  auto engine = Open(&hooks);
  CreatePublished(*engine, 1);
  // The raced reader read before the write: it must have seen one post (the interleaving
  // happened as intended).
  EXPECT_EQ(RaceOneWrite(*engine, hooks.before_fill), 1);
  ExpectLaterReadersSeeTheWrite(engine);
}

TEST_F(EngineRaceTest, WriteBetweenMissAndReadLeavesNoStalePage) {
  GateHooks hooks;
  auto engine = Open(&hooks);
  CreatePublished(*engine, 1);
  // Held after its generation was taken, before its read: it reads after the commit.
  EXPECT_EQ(RaceOneWrite(*engine, hooks.before_read), 2);
  ExpectLaterReadersSeeTheWrite(engine);
}

TEST_F(EngineRaceTest, WriteDuringFillOfAWarmKey) {
  // The raced reader's key was cached and then invalidated by an earlier write: its refill
  // must not resurrect a page older than a write that returned before a later reader started.
  GateHooks hooks;
  auto engine = Open(&hooks);
  std::string first = CreatePublished(*engine, 1);
  ASSERT_EQ(Must(engine->Query(ListQuery()), "warm").count(), 1);
  Must(engine->Write(storage::PatchOp{"default", first, R"({"views":5})", {}}), "patch");
  Must(engine->Write(storage::LifecycleOp{"default", first, storage::LifecycleAction::kPublish}),
       "publish");
  EXPECT_EQ(RaceOneWrite(*engine, hooks.before_fill), 1);
  ExpectLaterReadersSeeTheWrite(engine);
}

TEST_F(EngineRaceTest, ConcurrentMissesOnOneKeyRunOneDatabaseRead) {
  GateHooks hooks;
  auto engine = Open(&hooks);
  CreatePublished(*engine, 1);
  CreatePublished(*engine, 2);
  constexpr int kReaders = 6;
  const EngineStats before = engine->Stats();

  hooks.before_read.Arm();
  std::vector<Result<PageRef>> results(kReaders, Status::Internal("unset"));
  std::vector<std::thread> threads;
  threads.emplace_back([&] { results[0] = engine->Query(ListQuery()); });
  ASSERT_TRUE(hooks.before_read.WaitReached()) << "the leader never reached the hook";
  for (int i = 1; i < kReaders; ++i) {
    threads.emplace_back([&, i] { results[static_cast<size_t>(i)] = engine->Query(ListQuery()); });
  }
  // Wait (bounded) until every follower has joined the leader's flight. coalesced_misses is
  // counted when a follower joins, before it blocks.
  bool joined = false;
  for (int spin = 0; spin < 50'000'000 && !joined; ++spin) {
    joined = engine->Stats().coalesced_misses - before.coalesced_misses >= kReaders - 1;
    if (!joined) std::this_thread::yield();
  }
  hooks.before_read.Release();
  for (auto& t : threads)
    t.join();
  ASSERT_TRUE(joined) << "followers did not coalesce onto the held leader";

  const EngineStats after = engine->Stats();
  EXPECT_EQ(after.database.hits - before.database.hits, 1u);
  EXPECT_EQ(after.coalesced_misses - before.coalesced_misses, static_cast<uint64_t>(kReaders - 1));
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->documents_json(), results[0]->documents_json());
    EXPECT_EQ(r->count(), 2);
  }
  // And the coalesced page is the store's page.
  auto want = Must(OpenOracle(*engine)->List(ListQuery()), "list");
  EXPECT_EQ(results[0]->documents_json(), want.documents_json);
}

TEST_F(EngineRaceTest, FollowerStartedAfterAWriteDoesNotJoinAStaleFlight) {
  // A leader held before its fill (it read the old state); a write returns; a new reader of
  // the same query starts: it must not be handed the held leader's old page.
  GateHooks hooks;
  auto engine = Open(&hooks);
  CreatePublished(*engine, 1);
  hooks.before_fill.Arm();
  Result<PageRef> raced = Status::Internal("unset");
  std::thread leader([&] { raced = engine->Query(ListQuery()); });
  ASSERT_TRUE(hooks.before_fill.WaitReached());
  CreatePublished(*engine, 2);
  // Runs while the leader is still held: it must not wait for (or take) the leader's page.
  auto later = Must(engine->Query(ListQuery()), "later query");
  EXPECT_EQ(later.count(), 2);
  hooks.before_fill.Release();
  leader.join();
  ASSERT_TRUE(raced.ok());
  EXPECT_EQ(raced->count(), 1);
  EXPECT_EQ(Must(engine->Query(ListQuery()), "final").count(), 2);
}

}  // namespace
}  // namespace folio
