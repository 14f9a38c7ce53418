// Concurrent read-your-writes: one writer thread and three reader threads share an Engine. The
// writer publishes what it has done (atomics) only after each write returns; a reader takes
// those numbers before it starts a query, and the page must reflect at least that state,
// whichever tier answers. Run under TSan too (build-engine-tsan).
#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/use_future.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "engine_test_util.h"
#include "folio/engine/engine.h"
#include "folio/storage/document_store.h"

namespace folio {
namespace {

using engine_testing::Must;
using engine_testing::TempDir;
using nlohmann::json;

constexpr int kWriterSteps = 150;  // each: create+publish one item, unpublish an old one,
                                   // and bump the counter document
constexpr int kLiveWindow = 5;     // items n > published - kLiveWindow stay published
constexpr int kMaxQueriesPerReader = 200'000;  // a bound; readers stop when the writer does

struct Shared {
  // Highest n whose publish returned; highest n whose unpublish returned; counter value whose
  // write returned. Stored (release) only after the engine call returned.
  std::atomic<int64_t> published{0};
  std::atomic<int64_t> unpublished{0};
  std::atomic<int64_t> counter{0};
  std::atomic<bool> done{false};
  std::atomic<int> failures{0};
  std::mutex failure_mu;
  std::string first_failure;

  void Fail(const std::string& what) {
    if (failures.fetch_add(1) == 0) {
      std::lock_guard lock(failure_mu);
      first_failure = what;
    }
  }
};

std::vector<int64_t> Field(std::string_view documents_json, const char* field) {
  std::vector<int64_t> out;
  json docs = json::parse(documents_json);
  for (const auto& d : docs)
    out.push_back(d["data"][field].get<int64_t>());
  return out;
}

void Writer(Engine& engine, Shared& shared, const std::string& counter_root,
            std::vector<std::string>& roots) {
  for (int n = 1; n <= kWriterSteps && shared.failures.load() == 0; ++n) {
    auto created = engine.Write(storage::CreateOp{"default", "item", json{{"n", n}}.dump(), {}});
    if (!created.ok()) return shared.Fail("create: " + created.status().ToString());
    roots.push_back(created->document.root_id);
    auto pub = engine.Write(storage::LifecycleOp{"default", created->document.root_id,
                                                 storage::LifecycleAction::kPublish});
    if (!pub.ok()) return shared.Fail("publish: " + pub.status().ToString());
    shared.published.store(n, std::memory_order_release);
    if (n > kLiveWindow) {
      const int64_t old = n - kLiveWindow;
      auto unpub = engine.Write(storage::LifecycleOp{"default", roots[static_cast<size_t>(old - 1)],
                                                     storage::LifecycleAction::kUnpublish});
      if (!unpub.ok()) return shared.Fail("unpublish: " + unpub.status().ToString());
      shared.unpublished.store(old, std::memory_order_release);
    }
    // The counter document: a patch to the draft, then a publish of it.
    auto patch = engine.Write(storage::PatchOp{"default", counter_root, json{{"v", n}}.dump(), {}});
    if (!patch.ok()) return shared.Fail("patch: " + patch.status().ToString());
    auto pub_counter = engine.Write(
        storage::LifecycleOp{"default", counter_root, storage::LifecycleAction::kPublish});
    if (!pub_counter.ok())
      return shared.Fail("publish counter: " + pub_counter.status().ToString());
    shared.counter.store(n, std::memory_order_release);
  }
}

void Reader(Engine& engine, Shared& shared, int id) {
  storage::Query all;
  all.type = "item";
  all.sort = "n";
  all.limit = 100;
  storage::Query top = all;
  top.limit = 1;  // a different key: the newest item only
  storage::Query drafts = all;
  drafts.axis = storage::Axis::kDraft;
  drafts.limit = 1;
  storage::Query counter;
  counter.type = "counter";
  for (int i = 0; i < kMaxQueriesPerReader && shared.failures.load() == 0; ++i) {
    const bool last_round = shared.done.load(std::memory_order_acquire);
    // Snapshot what has returned before this query starts.
    const int64_t unpublished = shared.unpublished.load(std::memory_order_acquire);
    const int64_t published = shared.published.load(std::memory_order_acquire);
    const int64_t count = shared.counter.load(std::memory_order_acquire);
    const int shape = (i + id) % 4;
    Result<PageRef> page = Status::Internal("unset");
    if (shape == 3 && id == 0) {
      page = engine.AsyncQuery(all, boost::asio::use_future).get();
    } else {
      page = engine.Query(shape == 0 ? all : shape == 1 ? top : shape == 2 ? drafts : counter);
    }
    if (!page.ok()) return shared.Fail("query: " + page.status().ToString());
    const char* tier = TierName(page->tier());
    if (shape == 3 && id != 0) {
      auto v = Field(page->documents_json(), "v");
      if (count > 0 && (v.size() != 1 || v[0] < count)) {
        return shared.Fail("counter page (" + std::string(tier) + ") shows " +
                           std::string(page->documents_json()) + " after counter " +
                           std::to_string(count) + " returned");
      }
      continue;
    }
    auto ns = Field(page->documents_json(), "n");
    if (static_cast<int>(ns.size()) != page->count()) return shared.Fail("count mismatch");
    const int64_t max = ns.empty() ? 0 : ns.front();  // sorted by n, descending
    if (max < published) {
      return shared.Fail("reader " + std::to_string(id) + " shape " + std::to_string(shape) + " (" +
                         tier + ") newest n " + std::to_string(max) + " after publish of " +
                         std::to_string(published) + " returned");
    }
    if (shape == 0) {
      for (int64_t n : ns) {
        if (n <= unpublished) {
          return shared.Fail("reader " + std::to_string(id) + " (" + tier + ") still lists n " +
                             std::to_string(n) + " after unpublish of " +
                             std::to_string(unpublished) + " returned");
        }
      }
    }
    if (last_round) break;
  }
}

TEST(EngineConcurrencyTest, QueriesStartedAfterAWriteReturnedReflectIt) {
  TempDir dir;
  Options options;
  options.data_dir = dir.str();
  options.l2_map_size_bytes = 64 << 20;
  options.l1_capacity_bytes = 8 << 20;
  auto engine = Must(Engine::Open(options), "open");
  storage::TypeDefinition item{"item", "", {{"n", storage::FieldKind::kInteger}}, {}};
  storage::TypeDefinition counter{"counter", "", {{"v", storage::FieldKind::kInteger}}, {}};
  Must(engine->RegisterType(item), "register");
  Must(engine->RegisterType(counter), "register");
  auto c = Must(engine->Write(storage::CreateOp{"default", "counter", R"({"v":0})", {}}), "create");
  Must(engine->Write(
           storage::LifecycleOp{"default", c.document.root_id, storage::LifecycleAction::kPublish}),
       "publish");

  Shared shared;
  std::vector<std::string> roots;
  std::vector<std::thread> readers;
  for (int id = 0; id < 3; ++id) {
    readers.emplace_back([&engine, &shared, id] { Reader(*engine, shared, id); });
  }
  std::thread writer([&] {
    Writer(*engine, shared, c.document.root_id, roots);
    shared.done.store(true, std::memory_order_release);
  });
  writer.join();
  for (auto& r : readers)
    r.join();
  EXPECT_EQ(shared.failures.load(), 0) << shared.first_failure;
  EXPECT_EQ(shared.published.load(), kWriterSteps);

  EngineStats stats = engine->Stats();
  std::printf("concurrency: memory hits %llu, kv hits %llu, database reads %llu, coalesced %llu\n",
              static_cast<unsigned long long>(stats.memory.hits),
              static_cast<unsigned long long>(stats.kv.hits),
              static_cast<unsigned long long>(stats.database.hits),
              static_cast<unsigned long long>(stats.coalesced_misses));
  EXPECT_GT(stats.memory.hits, 0u);  // the caches were in play
}

}  // namespace
}  // namespace folio
