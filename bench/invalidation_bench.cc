// invalidation_bench: what one write costs the caches with 1,000 and 100,000 pages cached.
//
// An engine over a database of its own (2,000 published documents of one type, a queryable
// integer `views`) caches N listing pages, each of a distinct listing (`views = i`, i < N:
// most are empty pages). That is the costly shape for precise invalidation: every listing of
// the written (tenant, type, axis) is a predicate the changed root is matched against. Each
// iteration writes through a DocumentStore of its own on the engine's file, as another writer
// would (a merge patch and a publish of one document, not timed), and then times
// Engine::Refresh(): reading the change log, loading the changed root, matching it against
// every cached listing and dropping what it reaches — the whole invalidation. The dropped pages
// are read again (not timed), so N stays N.
//
// Pages of one listing (cursors of one query) cost far less per page: one match per listing,
// then a range comparison per page.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "folio/engine/engine.h"
#include "folio/storage/document_store.h"

namespace {

using folio::Engine;

constexpr int kDocuments = 2000;

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "invalidation_bench: %s\n", why.c_str());
  std::exit(1);
}

template <typename T>
T Must(folio::Result<T> r, const char* what) {
  if (!r.ok()) Die(std::string(what) + ": " + r.status().ToString());
  return std::move(r).value();
}

folio::storage::Query ViewsEq(int64_t v) {
  folio::storage::Query q;
  q.type = "post";
  q.filters.push_back({"views", folio::storage::FilterOp::kEq, {v}});
  return q;
}

void BM_InvalidationCost(benchmark::State& state) {
  const int pages = static_cast<int>(state.range(0));
  const auto dir = std::filesystem::temp_directory_path() /
                   ("folio_invalidation_bench_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::vector<std::string> roots;
  {
    folio::Options options;
    options.data_dir = dir.string();
    options.l1_capacity_bytes = size_t{1} << 30;
    options.l2_enabled = false;  // the L1 index is what is measured
    options.durable_writes = false;
    auto engine = Must(Engine::Open(options), "open");
    Must(engine->RegisterType({"post", "", {{"views", folio::storage::FieldKind::kInteger}}, {}}),
         "register");
    std::vector<folio::storage::WriteOp> batch;
    for (int i = 0; i < kDocuments; ++i) {
      batch.push_back(folio::storage::CreateOp{
          "default", "post", "{\"views\":" + std::to_string(pages + i) + "}", {}});
    }
    for (const auto& r : Must(engine->WriteBatch(batch), "create"))
      roots.push_back(r.document.root_id);
    batch.clear();
    for (const auto& root : roots) {
      batch.push_back(
          folio::storage::LifecycleOp{"default", root, folio::storage::LifecycleAction::kPublish});
    }
    Must(engine->WriteBatch(batch), "publish");
    for (int i = 0; i < pages; ++i)
      Must(engine->Query(ViewsEq(i)), "fill");
    if (engine->Stats().l1_entries < static_cast<uint64_t>(pages)) Die("pages did not fit in L1");
    folio::storage::StoreOptions store_options;
    store_options.path = engine->options().db_path;
    store_options.create_if_missing = false;
    store_options.durable_writes = options.durable_writes;
    auto writer = Must(folio::storage::DocumentStore::Open(store_options), "open writer");

    std::mt19937 rng(42);
    const uint64_t invalidations_before = engine->Stats().invalidations;
    for (auto _ : state) {
      state.PauseTiming();
      const std::string& root = roots[rng() % roots.size()];
      // Into one of the cached listings: that page, and nothing else, must go.
      const int64_t views = static_cast<int64_t>(rng() % static_cast<uint64_t>(pages));
      Must(writer->Patch({"default", root, "{\"views\":" + std::to_string(views) + "}", {}}),
           "patch");
      Must(writer->Apply({"default", root, folio::storage::LifecycleAction::kPublish}), "publish");
      state.ResumeTiming();
      if (!engine->Refresh().ok()) Die("refresh failed");
      state.PauseTiming();
      Must(engine->Query(ViewsEq(views)), "refill");
      state.ResumeTiming();
    }
    state.counters["pages_cached"] = pages;
    state.counters["dropped_per_write"] =
        static_cast<double>(engine->Stats().invalidations - invalidations_before) /
        static_cast<double>(state.iterations());
  }
  std::filesystem::remove_all(dir);
  state.SetLabel("Engine::Refresh after a patch + publish: log read, root load, match, drops");
}
BENCHMARK(BM_InvalidationCost)
    ->Arg(1000)
    ->Arg(100000)
    ->Unit(benchmark::kMicrosecond)
    ->Iterations(300);

}  // namespace

BENCHMARK_MAIN();
