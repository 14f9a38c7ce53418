// Processes sharing one data dir:
//  - two folio processes: once a write in one returns (signalled through a pipe, no sleeps),
//    the other's very next query reflects it, though its L1 and L2 were warm;
//  - an external writer (raw SQLite in another process, no folio code): the engine notices the
//    change within Options::external_write_bound_micros (polled with a generous deadline; the
//    observed latency is printed).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>

#include "engine_test_util.h"
#include "folio/engine/engine.h"
#include "folio/storage/document_store.h"

namespace folio {
namespace {

using engine_testing::ComparePage;
using engine_testing::ForkedChild;
using engine_testing::Must;
using engine_testing::OpenOracle;
using engine_testing::RecvString;
using engine_testing::RecvU64;
using engine_testing::SendString;
using engine_testing::SendU64;
using engine_testing::TempDir;

Options EngineOptions(const std::string& dir) {
  Options options;
  options.data_dir = dir;
  options.l2_map_size_bytes = 64 << 20;
  options.l1_capacity_bytes = 16 << 20;
  return options;
}

storage::Query Listing(const char* sort = "updated_at") {
  storage::Query q;
  q.type = "post";
  q.sort = sort;
  q.limit = 100;
  return q;
}

std::string CreatePublished(Engine& engine, int views) {
  return engine_testing::CreatePublished(engine, "{\"views\":" + std::to_string(views) + "}");
}

bool PageHasViews(const PageRef& page, int views) {
  auto docs = nlohmann::json::parse(page.documents_json());
  for (const auto& d : docs) {
    if (d["data"].value("views", -1) == views) return true;
  }
  return false;
}

// Message codes on the pipes.
enum : uint64_t { kReady = 1, kWarm, kWrote, kOk, kFail, kDone };

// The child: the other folio process. Returns its exit code (0 = all good).
int ChildMain(const std::string& dir, int from_parent, int to_parent) {
  try {
    uint64_t msg = 0;
    if (!RecvU64(from_parent, &msg) || msg != kReady) return 10;  // parent created the db
    auto engine = Must(Engine::Open(EngineOptions(dir)), "child open");
    auto oracle = OpenOracle(*engine);  // the parent registered the type before kReady
    // 1) Parent warms; we publish; we tell it after the write returned.
    if (!SendU64(to_parent, kReady)) return 11;
    if (!RecvU64(from_parent, &msg) || msg != kWarm) return 12;
    CreatePublished(*engine, 200);
    if (!SendU64(to_parent, kWrote)) return 13;
    // 2) We warm (L1 and L2); the parent writes; our next query must reflect it.
    if (!RecvU64(from_parent, &msg) || msg != kDone) return 14;
    for (int i = 0; i < 2; ++i)
      Must(engine->Query(Listing()), "child warm");
    auto warm = Must(engine->Query(Listing()), "child warm");
    if (warm.tier() != Tier::kMemory) return 15;
    engine->FlushFills();
    if (!SendU64(to_parent, kWarm)) return 16;
    if (!RecvU64(from_parent, &msg) || msg != kWrote) return 17;
    auto page = Must(engine->Query(Listing()), "child query");
    const bool seen = PageHasViews(page, 300);
    auto want = oracle->List(Listing());
    const std::string diff = ComparePage(page, want);
    std::string report = seen && diff.empty()
                             ? ""
                             : ("tier " + std::string(TierName(page.tier())) + " " + diff +
                                " page " + std::string(page.documents_json()));
    if (!SendString(to_parent, report)) return 18;
    // 3) We fill L2 with a listing the parent never asked for; the parent reads it from L2,
    //    then must see our next write.
    Must(engine->Query(Listing("views")), "child fill l2");
    engine->FlushFills();
    if (!SendU64(to_parent, kWarm)) return 19;
    if (!RecvU64(from_parent, &msg) || msg != kDone) return 20;  // parent read it from L2
    CreatePublished(*engine, 400);
    if (!SendU64(to_parent, kWrote)) return 21;
    if (!RecvU64(from_parent, &msg) || msg != kDone) return 22;
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "child: %s\n", e.what());
    return 30;
  }
}

TEST(EngineMultiprocessTest, WritesInOneProcessAreSeenByTheOthersNextQuery) {
  TempDir dir;
  // Fork before anything is opened: LMDB and SQLite handles must not cross a fork.
  ForkedChild child;
  ASSERT_TRUE(child.Start([&] { return ChildMain(dir.str(), child.from, child.to); }));
  const int to_child = child.to, from_child = child.from;
  uint64_t msg = 0;
  {
    auto engine = Must(Engine::Open(EngineOptions(dir.str())), "parent open");
    storage::TypeDefinition post{"post", "", {{"views", storage::FieldKind::kInteger}}, {}};
    Must(engine->RegisterType(post), "register");
    auto oracle = OpenOracle(*engine);
    CreatePublished(*engine, 100);
    ASSERT_TRUE(SendU64(to_child, kReady));
    ASSERT_TRUE(RecvU64(from_child, &msg));
    ASSERT_EQ(msg, kReady);

    // 1) Warm our caches, then the child writes.
    Must(engine->Query(Listing()), "warm");
    auto warm = Must(engine->Query(Listing()), "warm");
    EXPECT_EQ(warm.tier(), Tier::kMemory);
    EXPECT_FALSE(PageHasViews(warm, 200));
    engine->FlushFills();
    ASSERT_TRUE(SendU64(to_child, kWarm));
    ASSERT_TRUE(RecvU64(from_child, &msg));
    ASSERT_EQ(msg, kWrote);
    auto after = Must(engine->Query(Listing()), "after child write");
    EXPECT_TRUE(PageHasViews(after, 200))
        << "the child's publish returned, but our next query (" << TierName(after.tier())
        << ") did not show it: " << after.documents_json();
    EXPECT_EQ(ComparePage(after, oracle->List(Listing())), "");

    // 2) The child warms; we write; its next query must show it.
    ASSERT_TRUE(SendU64(to_child, kDone));
    ASSERT_TRUE(RecvU64(from_child, &msg));
    ASSERT_EQ(msg, kWarm);
    CreatePublished(*engine, 300);
    ASSERT_TRUE(SendU64(to_child, kWrote));
    std::string report;
    ASSERT_TRUE(RecvString(from_child, &report));
    EXPECT_EQ(report, "") << "the child's next query after our write returned was stale";

    // 3) A page the child filled into L2 answers us from L2; then the child writes again.
    ASSERT_TRUE(RecvU64(from_child, &msg));
    ASSERT_EQ(msg, kWarm);
    auto from_l2 = Must(engine->Query(Listing("views")), "l2 query");
    EXPECT_EQ(from_l2.tier(), Tier::kKv) << "expected the child's L2 fill to answer";
    EXPECT_EQ(ComparePage(from_l2, oracle->List(Listing("views"))), "");
    ASSERT_TRUE(SendU64(to_child, kDone));
    ASSERT_TRUE(RecvU64(from_child, &msg));
    ASSERT_EQ(msg, kWrote);
    auto l2_after = Must(engine->Query(Listing("views")), "l2 after");
    EXPECT_TRUE(PageHasViews(l2_after, 400))
        << "stale page from " << TierName(l2_after.tier()) << ": " << l2_after.documents_json();
    EXPECT_EQ(ComparePage(l2_after, oracle->List(Listing("views"))), "");
    ASSERT_TRUE(SendU64(to_child, kDone));
  }
  const int code = child.Wait();
  EXPECT_EQ(code, 0) << "child failed with exit code " << code;
}

// ---- External writers ----

// Another program writing the SQLite file through the raw SQLite C API (what the sqlite3 shell
// or a Node app would do), no folio code. Forked before the engine starts its threads; runs
// each statement it is sent and answers with the result code once the commit returned.
class ExternalWriter {
 public:
  explicit ExternalWriter(const std::string& db_path) {
    const bool started = child_.Start([&] {
      std::string sql;
      while (RecvString(child_.from, &sql)) {
        sqlite3* db = nullptr;
        int rc = sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
        if (rc == SQLITE_OK) {
          sqlite3_busy_timeout(db, 5000);
          char* err = nullptr;
          rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
          if (rc != SQLITE_OK) std::fprintf(stderr, "external sql: %s\n", err ? err : "?");
          sqlite3_free(err);
        }
        sqlite3_close(db);
        if (!SendU64(child_.to, static_cast<uint64_t>(rc))) break;
      }
      return 0;
    });
    if (!started) throw std::runtime_error("fork");
  }
  // Runs `sql`; returns the SQLite result code (0 = committed).
  int Run(const std::string& sql) {
    uint64_t rc = 999;
    if (!SendString(child_.to, sql) || !RecvU64(child_.from, &rc)) return -1;
    return static_cast<int>(rc);
  }

 private:
  ForkedChild child_;  // EOF on destruction: the child exits
};

TEST(EngineExternalWriterTest, ChangesBySqliteOutsideFolioAreSeenWithinTheBound) {
  TempDir dir;
  const std::string db_path = (dir.path() / "folio.sqlite").string();
  ExternalWriter external(db_path);  // forked before the engine's threads exist
  Options options = EngineOptions(dir.str());
  auto engine = Must(Engine::Open(options), "open");
  storage::TypeDefinition post{"post", "", {{"views", storage::FieldKind::kInteger}}, {}};
  Must(engine->RegisterType(post), "register");
  auto oracle = OpenOracle(*engine);
  const std::string root = CreatePublished(*engine, 1);
  CreatePublished(*engine, 2);

  storage::Query by_views = Listing("views");
  storage::Query hot = Listing();
  hot.filters.push_back({"views", storage::FilterOp::kEq, {int64_t{999}}});
  // Warm both listings (L1 and L2).
  for (int i = 0; i < 2; ++i) {
    Must(engine->Query(by_views), "warm");
    EXPECT_EQ(Must(engine->Query(hot), "warm").count(), 0);
  }
  engine->FlushFills();
  ASSERT_EQ(Must(engine->Query(hot), "warm").tier(), Tier::kMemory);

  struct Case {
    std::string sql;
    std::function<bool()> seen;
  };
  std::vector<Case> cases = {
      {"UPDATE documents SET data = json_set(data, '$.views', 999) WHERE root_id = '" + root +
           "' AND is_published = 1",
       [&] {
         auto p = engine->Query(hot);
         return p.ok() && p->count() == 1;
       }},
      {"UPDATE documents SET is_published = 0, status = 'draft' WHERE root_id = '" + root +
           "' AND is_published = 1",
       [&] {
         auto p = engine->Query(by_views);
         return p.ok() && p->count() == 1;
       }},
  };
  const double bound_ms = static_cast<double>(options.external_write_bound_micros) / 1000.0;
  for (size_t i = 0; i < cases.size(); ++i) {
    ASSERT_EQ(external.Run(cases[i].sql), 0) << cases[i].sql;
    const auto committed = std::chrono::steady_clock::now();
    // Poll, with a generous deadline (5 s), for the change to show.
    bool seen = false;
    auto seen_at = committed;
    for (int poll = 0; poll < 5000 && !seen; ++poll) {
      seen = cases[i].seen();
      seen_at = std::chrono::steady_clock::now();
      if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    const double latency_ms =
        std::chrono::duration<double, std::milli>(seen_at - committed).count();
    std::printf("external writer case %zu: seen after %.1f ms (bound %.0f ms)\n", i, latency_ms,
                bound_ms);
    ASSERT_TRUE(seen) << "an external change was never reflected: " << cases[i].sql;
    // Every listing agrees with the store again.
    EXPECT_EQ(ComparePage(engine->Query(by_views), oracle->List(by_views)), "");
    EXPECT_EQ(ComparePage(engine->Query(hot), oracle->List(hot)), "");
  }
  EXPECT_GE(engine->Stats().external_changes, 1u);
}

}  // namespace
}  // namespace folio
