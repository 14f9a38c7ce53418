// The engine's tiers against the direct SQLite page, all measured in one run, then the
// docs/design.md §6 ratios printed to stderr:
//   - L1 hit (sync Query, AsyncQuery with a callback and with use_future; 1 and 2 threads)
//     vs the direct page: ≥ 200×; 2 threads / 1 thread throughput ≥ 1.8×;
//   - L2 hit (L1 disabled) vs the direct page: ≥ 25×;
//   - a miss vs the direct page: ≤ 1.2×;
//   - a herd of threads missing on one fresh key at once: how many SQLite reads it costs.
//
// Data: FOLIO_BENCH_DOCS (default 100000) published documents of ~1 KB in one type, seeded
// exactly as storage_bench seeds them and into the same file in $TMPDIR
// (folio_bench_storage_<N>.sqlite, reused by later runs of either binary). Each engine serves
// that file (Options::db_path) from a data dir of its own under a fresh temp dir, removed at
// exit, so no engine sees another's L1, L2 or epoch.
//
// The baseline page is DocumentStore::List (statement cache, bound values, permission and
// schedule clauses, JSON assembled from stored text, next cursor) for the first page of 20,
// on a DocumentStore of the bench's own over the same file, opened as the engines open theirs.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/use_future.hpp>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "direct_page.h"
#include "folio/engine/engine.h"
#include "folio/storage/document_store.h"
#include "folio/tools/seed.h"
#include "seed_file.h"

namespace {

using folio::Engine;
using folio::PageRef;
using folio::Result;
using folio::Tier;
using folio::storage::DocumentStore;
using folio::storage::Query;

constexpr int kPageSize = 20;
constexpr int kHotQueries = 64;
constexpr uint64_t kFreshLimits = 10;  // FreshPage's page sizes: kPageSize .. kPageSize + 9  //
                                       // distinct warmed pages the hit benchmarks rotate through
constexpr int kHerdThreads = 8;

int64_t DocumentCount() {
  const char* env = std::getenv("FOLIO_BENCH_DOCS");
  return env != nullptr ? std::atoll(env) : 100000;
}

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "engine_bench: %s\n", why.c_str());
  std::exit(1);
}

// ---- Fixture -------------------------------------------------------------------------------

struct Fixture {
  std::string db_path;
  std::string type;
  std::filesystem::path root;        // temp dir holding one data dir per engine
  std::vector<std::string> cursors;  // cursors[i] opens page i + 2 of the listing (limit 20)

  std::unique_ptr<DocumentStore> direct;  // the baseline: no engine in between

  // Named by what they have enabled.
  std::unique_ptr<Engine> hot;      // L1 + L2: the L1-hit benchmarks
  std::unique_ptr<Engine> kv_only;  // L1 off, L2 on: the L2-hit benchmark
  // The same with l2_verify_checksums off: what the per-hit checksum costs.
  std::unique_ptr<Engine> kv_unverified;
  std::unique_ptr<Engine> bare;     // L1 off, L2 off: every query reads SQLite
  std::unique_ptr<Engine> cold;     // L1 + L2, queried on ever-fresh keys
  std::unique_ptr<Engine> cold_l1;  // L1 only, queried on ever-fresh keys
  std::unique_ptr<Engine> cold_l2;  // L2 only, queried on ever-fresh keys
  std::unique_ptr<Engine> herd;     // L1 + L2, for the herd

  std::vector<Query> hot_queries;  // page 1, then pages 2..kHotQueries by cursor

  static Fixture& Get() {
    static Fixture f;
    return f;
  }

  Query FirstPage() const {
    Query q;
    q.type = type;
    q.limit = kPageSize;
    return q;
  }

  // The k-th of a sequence of queries that never repeats a cache key for 10 passes over the
  // listing: pages by keyset cursor at limits 20..29, the limit turning with the page and the
  // pass, so every stretch of the sequence has the same mix of page sizes (mean 24.5) and two
  // benchmarks that run different numbers of iterations still read pages of the same cost.
  Query FreshPage(uint64_t k) const {
    const uint64_t pages = cursors.size() + 1;
    Query q = FirstPage();
    const uint64_t page = k % pages;
    if (page > 0) q.cursor = cursors[page - 1];
    q.limit = kPageSize + static_cast<int>((k / pages + page) % kFreshLimits);
    return q;
  }

  ~Fixture() {
    hot.reset();
    kv_only.reset();
    kv_unverified.reset();
    bare.reset();
    cold.reset();
    cold_l1.reset();
    cold_l2.reset();
    herd.reset();
    direct.reset();
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
  }

 private:
  Fixture() {
    const int64_t docs = DocumentCount();
    auto path = std::filesystem::temp_directory_path() /
                ("folio_bench_storage_" + std::to_string(docs) + ".sqlite");
    db_path = path.string();
    type = folio::tools::SeedTypeIds(1).front();
    SeedIfNeeded(docs);
    folio::storage::StoreOptions store_options;
    store_options.path = db_path;
    store_options.create_if_missing = false;
    store_options.read_connections = folio::Options{}.read_connections;
    auto store = DocumentStore::Open(store_options);
    if (!store.ok()) Die("opening the direct store: " + store.status().ToString());
    direct = std::move(*store);

    std::string tmpl = (std::filesystem::temp_directory_path() / "folio_engine_bench_XXXXXX");
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) == nullptr) Die("cannot create a temp dir");
    root = buf.data();

    hot = OpenEngine("hot", [](folio::Options&) {});
    kv_only = OpenEngine("kv_only", [](folio::Options& o) { o.l1_capacity_bytes = 0; });
    kv_unverified = OpenEngine("kv_unverified", [](folio::Options& o) {
      o.l1_capacity_bytes = 0;
      o.l2_verify_checksums = false;
    });
    bare = OpenEngine("bare", [](folio::Options& o) {
      o.l1_capacity_bytes = 0;
      o.l2_enabled = false;
    });
    cold = OpenEngine("cold", [](folio::Options& o) { o.l1_capacity_bytes = size_t{8} << 20; });
    cold_l1 = OpenEngine("cold_l1", [](folio::Options& o) {
      o.l1_capacity_bytes = size_t{8} << 20;
      o.l2_enabled = false;
    });
    cold_l2 = OpenEngine("cold_l2", [](folio::Options& o) { o.l1_capacity_bytes = 0; });
    herd = OpenEngine("herd", [](folio::Options&) {});

    // Every page's cursor, walking the listing once.
    Query q = FirstPage();
    for (;;) {
      auto page = direct->List(q);
      if (!page.ok()) Die("listing: " + page.status().ToString());
      if (!page->next_cursor) break;
      cursors.push_back(*page->next_cursor);
      q.cursor = *page->next_cursor;
    }
    if (cursors.size() + 1 < static_cast<size_t>(kHotQueries)) {
      Die("the listing has fewer than " + std::to_string(kHotQueries) +
          " pages; raise FOLIO_BENCH_DOCS");
    }
    {
      auto first = direct->List(FirstPage());
      std::fprintf(stderr,
                   "engine_bench: %zu pages of %d; page 1 is %zu bytes of JSON; cursor %zu bytes\n",
                   cursors.size() + 1, kPageSize, first.ok() ? first->documents_json.size() : 0,
                   cursors.front().size());
    }
    hot_queries.push_back(FirstPage());
    for (int i = 0; i + 1 < kHotQueries; ++i) {
      Query p = FirstPage();
      p.cursor = cursors[static_cast<size_t>(i)];
      hot_queries.push_back(std::move(p));
    }

    // Warm: L1 (and L2) of `hot`; L2 of `kv_only`, flushed so every lookup finds it.
    for (const Query& h : hot_queries) {
      ExpectTier(*hot, h, Tier::kDatabase, "hot warm-up");
      ExpectTier(*hot, h, Tier::kMemory, "hot after warm-up");
      ExpectTier(*kv_only, h, Tier::kDatabase, "kv_only warm-up");
      ExpectTier(*kv_unverified, h, Tier::kDatabase, "kv_unverified warm-up");
    }
    kv_only->FlushFills();
    kv_unverified->FlushFills();
    hot->FlushFills();
    for (const Query& h : hot_queries)
      ExpectTier(*kv_only, h, Tier::kKv, "kv_only after flush");
    for (const Query& h : hot_queries)
      ExpectTier(*kv_unverified, h, Tier::kKv, "kv_unverified after flush");
  }

  void SeedIfNeeded(int64_t docs) {
    const bool fresh = !std::filesystem::exists(db_path + ".ready");
    if (!fresh) return;
    for (const char* ext : {"", "-wal", "-shm"})
      std::filesystem::remove(db_path + ext);
    std::fprintf(stderr, "seeding %lld documents of ~1 KB into %s …\n",
                 static_cast<long long>(docs), db_path.c_str());
    folio::tools::SeedOptions seed;
    seed.count = docs;
    seed.types = 1;
    seed.body_bytes = 800;
    auto written = folio::bench::SeedFile(db_path, seed);
    if (!written.ok()) Die(written.status().ToString());
    std::FILE* ready = std::fopen((db_path + ".ready").c_str(), "w");
    if (ready != nullptr) std::fclose(ready);
  }

  template <typename Configure>
  std::unique_ptr<Engine> OpenEngine(const std::string& name, Configure configure) {
    folio::Options options;
    options.data_dir = (root / name).string();
    options.db_path = db_path;
    options.create_if_missing = false;
    configure(options);
    auto engine = Engine::Open(options);
    if (!engine.ok()) Die("opening engine '" + name + "': " + engine.status().ToString());
    return std::move(*engine);
  }

  static void ExpectTier(Engine& engine, const Query& q, Tier tier, const char* what) {
    auto page = engine.Query(q);
    if (!page.ok()) Die(std::string(what) + ": " + page.status().ToString());
    if (page->tier() != tier) {
      Die(std::string(what) + ": answered from " + folio::TierName(page->tier()) + ", expected " +
          folio::TierName(tier));
    }
  }
};

bool Answered(benchmark::State& state, const Result<PageRef>& page, Tier tier) {
  if (!page.ok()) {
    state.SkipWithError(page.status().ToString().c_str());
    return false;
  }
  if (page->tier() != tier) {
    state.SkipWithError((std::string("answered from ") + folio::TierName(page->tier())).c_str());
    return false;
  }
  return true;
}

// ---- L3: the baseline ------------------------------------------------------------------------

void BM_DirectPage_First(benchmark::State& state) {
  Fixture& f = Fixture::Get();
  folio::bench::RunDirectPage(state, *f.direct, f.FirstPage(), kPageSize,
                              "DocumentStore::List, page 1 of 20");
}
BENCHMARK(BM_DirectPage_First)->Unit(benchmark::kMicrosecond);

// The same through pages all over the listing (the keys BM_EngineMiss_AllTiers uses).
void BM_DirectPage_Rotating(benchmark::State& state) {
  Fixture& f = Fixture::Get();
  static uint64_t next = 0;
  for (auto _ : state) {
    Query q = f.FreshPage(next++);  // one cursor copy: noise next to a SQLite read
    auto page = f.direct->List(q);
    if (!page.ok()) {
      state.SkipWithError(page.status().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(page);
  }
  state.SetLabel("DocumentStore::List, keyset pages across the listing");
}
BENCHMARK(BM_DirectPage_Rotating)->Unit(benchmark::kMicrosecond);

// ---- L1 hits -------------------------------------------------------------------------------

// Each thread starts at its own place in the 64 warmed pages.
size_t StartIndex(const benchmark::State& state) {
  return static_cast<size_t>(state.thread_index()) * 17;
}

void BM_L1Hit_Sync(benchmark::State& state) {
  Fixture& f = Fixture::Get();
  size_t i = StartIndex(state);
  for (auto _ : state) {
    auto page = f.hot->Query(f.hot_queries[i++ % kHotQueries]);
    if (!Answered(state, page, Tier::kMemory)) break;
    benchmark::DoNotOptimize(page);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_L1Hit_Sync)->Threads(1)->Threads(2)->UseRealTime()->Unit(benchmark::kNanosecond);

// A plain callback: an L1 hit completes inline, before AsyncQuery returns. The query is passed
// as a caller would pass a query it keeps; an L1 hit copies nothing of it.
void BM_L1Hit_AsyncCallback(benchmark::State& state) {
  Fixture& f = Fixture::Get();
  size_t i = StartIndex(state);
  for (auto _ : state) {
    std::optional<Result<PageRef>> got;
    f.hot->AsyncQuery(f.hot_queries[i++ % kHotQueries],
                      [&got](Result<PageRef> page) { got.emplace(std::move(page)); });
    if (!got) {
      state.SkipWithError("an L1 hit did not complete inline");
      break;
    }
    if (!Answered(state, *got, Tier::kMemory)) break;
    benchmark::DoNotOptimize(got);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_L1Hit_AsyncCallback)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime()
    ->Unit(benchmark::kNanosecond);

void BM_L1Hit_AsyncFuture(benchmark::State& state) {
  Fixture& f = Fixture::Get();
  size_t i = StartIndex(state);
  for (auto _ : state) {
    auto future = f.hot->AsyncQuery(f.hot_queries[i++ % kHotQueries], boost::asio::use_future);
    Result<PageRef> page = future.get();
    if (!Answered(state, page, Tier::kMemory)) break;
    benchmark::DoNotOptimize(page);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_L1Hit_AsyncFuture)
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime()
    ->Unit(benchmark::kNanosecond);

// ---- L2 hits (L1 disabled) ---------------------------------------------------------------

void L2Hits(benchmark::State& state, Engine& engine, const char* label) {
  Fixture& f = Fixture::Get();
  size_t i = 0;
  for (auto _ : state) {
    auto page = engine.Query(f.hot_queries[i++ % kHotQueries]);
    if (!Answered(state, page, Tier::kKv)) break;
    benchmark::DoNotOptimize(page);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(label);
}

void BM_L2Hit_Sync(benchmark::State& state) {
  L2Hits(state, *Fixture::Get().kv_only,
         "L1 disabled; LMDB get, checksum, copy out, L1 insert (rejected)");
}
BENCHMARK(BM_L2Hit_Sync)->Unit(benchmark::kMicrosecond);

// Options::l2_verify_checksums = false: the page's structure is still checked, its bytes not
// hashed.
void BM_L2Hit_Unverified(benchmark::State& state) {
  L2Hits(state, *Fixture::Get().kv_unverified, "as BM_L2Hit_Sync with l2_verify_checksums off");
}
BENCHMARK(BM_L2Hit_Unverified)->Unit(benchmark::kMicrosecond);

// ---- Misses --------------------------------------------------------------------------------

// L1 and L2 disabled: the engine's whole miss path (key, generation, coalescing, SQLite,
// page encoding, TTL) on the direct page's query.
void BM_EngineMiss_NoCacheTiers(benchmark::State& state) {
  Fixture& f = Fixture::Get();
  const Query q = f.FirstPage();
  for (auto _ : state) {
    auto page = f.bare->Query(q);
    if (!Answered(state, page, Tier::kDatabase)) break;
    benchmark::DoNotOptimize(page);
  }
  state.SetLabel("L1 off, L2 off: first page through the engine");
}
BENCHMARK(BM_EngineMiss_NoCacheTiers)->Unit(benchmark::kMicrosecond);

// Every query a key never seen before, through an engine with L1 and L2 on (L1 miss, L2 miss,
// SQLite, L1 insert, L2 fill queued and written by the engine's writer thread meanwhile), or
// with only one of them on, to tell their costs apart. Compare with BM_DirectPage_Rotating.
void FreshMisses(benchmark::State& state, Engine& engine, uint64_t& next, const char* label) {
  Fixture& f = Fixture::Get();
  for (auto _ : state) {
    Query q = f.FreshPage(next++);  // one cursor copy: noise next to a SQLite read
    auto page = engine.Query(q);
    if (!Answered(state, page, Tier::kDatabase)) break;
    benchmark::DoNotOptimize(page);
  }
  state.SetLabel(label);
}

void BM_EngineMiss_NoCacheTiersRotating(benchmark::State& state) {
  static uint64_t next = 0;
  FreshMisses(state, *Fixture::Get().bare, next, "L1 off, L2 off, keyset pages across the listing");
}
BENCHMARK(BM_EngineMiss_NoCacheTiersRotating)->Unit(benchmark::kMicrosecond);

void BM_EngineMiss_AllTiers(benchmark::State& state) {
  static uint64_t next = 0;
  FreshMisses(state, *Fixture::Get().cold, next, "L1 + L2 on, a fresh key every time");
}
BENCHMARK(BM_EngineMiss_AllTiers)->Unit(benchmark::kMicrosecond);

void BM_EngineMiss_L1Only(benchmark::State& state) {
  static uint64_t next = 0;
  FreshMisses(state, *Fixture::Get().cold_l1, next, "L1 on, L2 off, a fresh key every time");
}
BENCHMARK(BM_EngineMiss_L1Only)->Unit(benchmark::kMicrosecond);

void BM_EngineMiss_L2Only(benchmark::State& state) {
  static uint64_t next = 0;
  FreshMisses(state, *Fixture::Get().cold_l2, next, "L1 off, L2 on, a fresh key every time");
}
BENCHMARK(BM_EngineMiss_L2Only)->Unit(benchmark::kMicrosecond);

// ---- The herd ------------------------------------------------------------------------------

// kHerdThreads workers that, on each round, all query the same page at once.
class Herd {
 public:
  Herd(Engine* engine, int n) : engine_(engine), n_(n) {
    for (int i = 0; i < n; ++i)
      threads_.emplace_back([this] { Work(); });
  }
  ~Herd() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    start_cv_.notify_all();
    for (auto& t : threads_)
      t.join();
  }

  // Every worker queries `q` at once; returns when all have their page. Returns the number
  // of failed queries.
  int Run(const Query* q) {
    {
      std::lock_guard lock(mu_);
      query_ = q;
      done_ = 0;
      failures_ = 0;
      arrived_.store(0, std::memory_order_relaxed);
      ++round_;
    }
    start_cv_.notify_all();
    std::unique_lock lock(mu_);
    done_cv_.wait(lock, [this] { return done_ == n_; });
    return failures_;
  }

 private:
  void Work() {
    uint64_t seen = 0;
    for (;;) {
      const Query* q = nullptr;
      {
        std::unique_lock lock(mu_);
        start_cv_.wait(lock, [&] { return stop_ || round_ != seen; });
        if (stop_) return;
        seen = round_;
        q = query_;
      }
      // Line up: nobody queries before every worker is awake.
      arrived_.fetch_add(1, std::memory_order_acq_rel);
      while (arrived_.load(std::memory_order_acquire) < n_)
        std::this_thread::yield();
      auto page = engine_->Query(*q);
      std::lock_guard lock(mu_);
      if (!page.ok()) ++failures_;
      if (++done_ == n_) done_cv_.notify_one();
    }
  }

  Engine* const engine_;
  const int n_;
  std::mutex mu_;
  std::condition_variable start_cv_, done_cv_;
  uint64_t round_ = 0;
  const Query* query_ = nullptr;
  int done_ = 0;
  int failures_ = 0;
  bool stop_ = false;
  std::atomic<int> arrived_{0};
  std::vector<std::thread> threads_;
};

void BM_Herd(benchmark::State& state) {
  Fixture& f = Fixture::Get();
  static uint64_t next = 0;
  Herd herd(f.herd.get(), kHerdThreads);
  const folio::EngineStats before = f.herd->Stats();
  for (auto _ : state) {
    const Query q = f.FreshPage(next++);
    if (herd.Run(&q) != 0) {
      state.SkipWithError("a herd query failed");
      break;
    }
  }
  const folio::EngineStats after = f.herd->Stats();
  const double herds = static_cast<double>(std::max<int64_t>(1, state.iterations()));
  state.counters["db_reads_per_herd"] =
      static_cast<double>(after.database.hits - before.database.hits) / herds;
  state.counters["coalesced_per_herd"] =
      static_cast<double>(after.coalesced_misses - before.coalesced_misses) / herds;
  state.counters["l1_hits_per_herd"] =
      static_cast<double>(after.memory.hits - before.memory.hits) / herds;
  state.counters["l2_hits_per_herd"] = static_cast<double>(after.kv.hits - before.kv.hits) / herds;
  state.SetLabel(std::to_string(kHerdThreads) + " threads, one fresh key per herd");
}
BENCHMARK(BM_Herd)->UseRealTime()->Unit(benchmark::kMicrosecond);

// ---- Results and the summary ---------------------------------------------------------------

struct Measured {
  double real_ns = 0;  // wall time per operation (per iteration summed over threads)
  std::map<std::string, double> counters;
};

std::map<std::string, Measured>& Results() {
  static std::map<std::string, Measured> results;
  return results;
}

// The console reporter, keeping each run's figures for the summary.
class CapturingReporter : public benchmark::ConsoleReporter {
 public:
  using benchmark::ConsoleReporter::ConsoleReporter;

  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.run_type != Run::RT_Iteration || run.error_occurred || run.iterations == 0) {
        continue;
      }
      Measured m;
      m.real_ns = run.real_accumulated_time * 1e9 / static_cast<double>(run.iterations);
      for (const auto& [name, counter] : run.counters)
        m.counters[name] = counter.value;
      Results()[run.benchmark_name()] = m;  // the last repetition wins
    }
    benchmark::ConsoleReporter::ReportRuns(runs);
  }
};

std::optional<double> TimeOf(const std::string& name) {
  auto it = Results().find(name);
  if (it == Results().end()) return std::nullopt;
  return it->second.real_ns;
}

std::optional<double> CounterOf(const std::string& name, const std::string& counter) {
  auto it = Results().find(name);
  if (it == Results().end()) return std::nullopt;
  auto c = it->second.counters.find(counter);
  if (c == it->second.counters.end()) return std::nullopt;
  return c->second;
}

std::string FormatNanos(std::optional<double> ns) {
  if (!ns) return "n/a";
  char buf[64];
  if (*ns >= 1000) {
    std::snprintf(buf, sizeof buf, "%.2f us", *ns / 1000);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f ns", *ns);
  }
  return buf;
}

enum class Want { kAtLeast, kAtMost, kInfo };

void Row(const std::string& what, std::optional<double> value, const char* unit, Want want,
         double target, int precision = 2) {
  char measured[64] = "n/a";
  if (value) std::snprintf(measured, sizeof measured, "%.*f%s", precision, *value, unit);
  char goal[64] = "";
  const char* verdict = "";
  if (want != Want::kInfo) {
    std::snprintf(goal, sizeof goal, "%s %.2f%s", want == Want::kAtLeast ? ">=" : "<=", target,
                  unit);
    if (!value) {
      verdict = "n/a";
    } else {
      const bool met = want == Want::kAtLeast ? *value >= target : *value <= target;
      verdict = met ? "MET" : "MISSED";
    }
  }
  std::fprintf(stderr, "  %-58s %12s  %10s  %s\n", what.c_str(), measured, goal, verdict);
}

std::optional<double> Ratio(std::optional<double> num, std::optional<double> den) {
  if (!num || !den || *den <= 0) return std::nullopt;
  return *num / *den;
}

void PrintSummary() {
  const std::string t1 = "/real_time/threads:1", t2 = "/real_time/threads:2";
  const auto direct = TimeOf("BM_DirectPage_First");
  const auto direct_rot = TimeOf("BM_DirectPage_Rotating");
  const auto l1 = TimeOf("BM_L1Hit_Sync" + t1);
  const auto l1_2 = TimeOf("BM_L1Hit_Sync" + t2);
  const auto cb = TimeOf("BM_L1Hit_AsyncCallback" + t1);
  const auto cb_2 = TimeOf("BM_L1Hit_AsyncCallback" + t2);
  const auto fut = TimeOf("BM_L1Hit_AsyncFuture" + t1);
  const auto fut_2 = TimeOf("BM_L1Hit_AsyncFuture" + t2);
  const auto l2 = TimeOf("BM_L2Hit_Sync");
  const auto l2_unverified = TimeOf("BM_L2Hit_Unverified");
  const auto miss = TimeOf("BM_EngineMiss_NoCacheTiers");
  const auto miss_rot = TimeOf("BM_EngineMiss_NoCacheTiersRotating");
  const auto miss_all = TimeOf("BM_EngineMiss_AllTiers");
  const auto miss_l1 = TimeOf("BM_EngineMiss_L1Only");
  const auto miss_l2 = TimeOf("BM_EngineMiss_L2Only");
  const auto herd = TimeOf("BM_Herd/real_time");

  std::fprintf(stderr, "\nengine_bench summary: %lld published documents, one run\n",
               static_cast<long long>(DocumentCount()));
  std::fprintf(stderr,
               "  per operation (wall time; for N threads, wall time / all threads' ops)\n");
  const std::pair<const char*, std::optional<double>> times[] = {
      {"direct page, DocumentStore::List, 20 docs", direct},
      {"direct page, keyset pages across the listing", direct_rot},
      {"L1 hit, Query, 1 thread", l1},
      {"L1 hit, Query, 2 threads", l1_2},
      {"L1 hit, AsyncQuery + callback, 1 thread", cb},
      {"L1 hit, AsyncQuery + callback, 2 threads", cb_2},
      {"L1 hit, AsyncQuery + use_future, 1 thread", fut},
      {"L1 hit, AsyncQuery + use_future, 2 threads", fut_2},
      {"L2 hit (L1 off), Query", l2},
      {"L2 hit (L1 off), checksums off", l2_unverified},
      {"miss, L1 off + L2 off, first page", miss},
      {"miss, L1 off + L2 off, keyset pages across the listing", miss_rot},
      {"miss, L1 + L2 on, fresh key each time", miss_all},
      {"miss, L1 on, L2 off, fresh key each time", miss_l1},
      {"miss, L1 off, L2 on, fresh key each time", miss_l2},
      {"herd of 8 on one fresh key (whole herd)", herd},
  };
  for (const auto& [what, t] : times)
    std::fprintf(stderr, "    %-56s %14s\n", what, FormatNanos(t).c_str());

  std::fprintf(stderr, "\n  %-58s %12s  %10s  %s\n", "ratio (docs/design.md §6)", "measured",
               "target", "verdict");
  Row("L1 hit (Query, 1 thread) vs direct page", Ratio(direct, l1), "x", Want::kAtLeast, 200);
  Row("L1 hit (AsyncQuery + callback) vs direct page", Ratio(direct, cb), "x", Want::kAtLeast, 200);
  Row("L1 hit (AsyncQuery + use_future) vs direct page", Ratio(direct, fut), "x", Want::kInfo, 0);
  Row("L1 hit throughput, 2 threads / 1 thread (Query)", Ratio(l1, l1_2), "x", Want::kAtLeast, 1.8);
  Row("L1 hit throughput, 2 threads / 1 thread (callback)", Ratio(cb, cb_2), "x", Want::kAtLeast,
      1.8);
  Row("L1 hit throughput, 2 threads / 1 thread (use_future)", Ratio(fut, fut_2), "x", Want::kInfo,
      0);
  Row("L2 hit (L1 off) vs direct page", Ratio(direct, l2), "x", Want::kAtLeast, 25);
  Row("  (checksums off) vs direct page", Ratio(direct, l2_unverified), "x", Want::kInfo, 0);
  Row("miss (L1 + L2 off) / direct page", Ratio(miss, direct), "x", Want::kAtMost, 1.2);
  Row("miss (L1 + L2 on, fresh keys) / direct rotating page", Ratio(miss_all, direct_rot), "x",
      Want::kAtMost, 1.2);
  Row("  (L1 + L2 off, same keys) / direct rotating page", Ratio(miss_rot, direct_rot), "x",
      Want::kInfo, 0);
  Row("  (L1 only, fresh keys) / direct rotating page", Ratio(miss_l1, direct_rot), "x",
      Want::kInfo, 0);
  Row("  (L2 only, fresh keys) / direct rotating page", Ratio(miss_l2, direct_rot), "x",
      Want::kInfo, 0);
  Row("herd of 8: SQLite reads per herd", CounterOf("BM_Herd/real_time", "db_reads_per_herd"), "",
      Want::kAtMost, 1, 4);
  Row("herd of 8: coalesced waits per herd", CounterOf("BM_Herd/real_time", "coalesced_per_herd"),
      "", Want::kInfo, 0, 4);
  Row("herd of 8: L1 hits per herd (arrived after the fill)",
      CounterOf("BM_Herd/real_time", "l1_hits_per_herd"), "", Want::kInfo, 0, 4);
  std::fprintf(stderr, "  (the Redis and nginx targets are measured elsewhere)\n");
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  Fixture::Get();  // seed and warm before anything is timed
  CapturingReporter reporter(isatty(STDOUT_FILENO) ? benchmark::ConsoleReporter::OO_ColorTabular
                                                   : benchmark::ConsoleReporter::OO_Tabular);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  PrintSummary();
  benchmark::Shutdown();
  return 0;
}
