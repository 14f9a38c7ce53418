// cache_bench: the cost of an L1 hit (folio::cache::LruCache) next to a baseline LRU behind one
// mutex (std::mutex + std::list + std::unordered_map), with 1 and 2 threads.
//
// Setup: kKeys keys of ~50 bytes, each with a ~24 KB value, preloaded into caches large enough
// to hold them all, so every lookup is a hit. Each thread walks its own slice of a precomputed
// random order of the keys: the timed loop allocates nothing and copies no value bytes (both
// caches hand out a shared_ptr). At the end, the ratio of each L1 benchmark to the baseline with
// the same thread count is printed.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "folio/cache/lru_cache.h"

namespace {

using folio::cache::LruCache;
using folio::cache::Value;

constexpr size_t kKeys = 4096;
constexpr size_t kValueBytes = 24 * 1024;
constexpr size_t kOrderLength = 1 << 16;  // a power of two

// The baseline: the textbook LRU, every operation under one mutex.
class MutexLru {
 public:
  explicit MutexLru(size_t capacity_bytes) : capacity_(capacity_bytes) {}

  Value Lookup(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second);  // most recent first
    return it->second->value;
  }

  void Insert(const std::string& key, Value value) {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = index_.find(key); it != index_.end()) {
      usage_ -= it->second->charge;
      lru_.erase(it->second);
      index_.erase(it);
    }
    const size_t charge = key.size() + value->size() + folio::cache::kEntryOverheadBytes;
    lru_.push_front({key, std::move(value), charge});
    index_.emplace(key, lru_.begin());
    usage_ += charge;
    while (usage_ > capacity_ && !lru_.empty()) {
      usage_ -= lru_.back().charge;
      index_.erase(lru_.back().key);
      lru_.pop_back();
    }
  }

  size_t size() {
    std::lock_guard<std::mutex> lock(mu_);
    return index_.size();
  }

 private:
  struct Entry {
    std::string key;
    Value value;
    size_t charge;
  };
  std::mutex mu_;
  const size_t capacity_;
  size_t usage_ = 0;
  std::list<Entry> lru_;
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
};

// Keys, values and access order, built once and shared by every benchmark.
struct Workload {
  std::vector<std::string> keys;
  std::vector<uint64_t> hashes;
  std::vector<Value> values;
  std::vector<uint32_t> order;  // random key indices
  size_t capacity_bytes = 0;

  Workload() {
    std::mt19937_64 rng(42);
    for (size_t i = 0; i < kKeys; ++i) {
      char key[64];
      std::snprintf(key, sizeof key, "published/article/en/page-%06zu?sort=date&limit=50", i);
      keys.emplace_back(key);
      hashes.push_back(LruCache::HashKey(keys.back()));
      values.push_back(std::make_shared<const std::string>(kValueBytes, 'a' + i % 26));
    }
    for (size_t i = 0; i < kOrderLength; ++i)
      order.push_back(static_cast<uint32_t>(rng() % kKeys));
    // Twice the data, so no shard of the L1 (keys spread unevenly) evicts anything.
    capacity_bytes = 2 * kKeys * (kValueBytes + 64 + folio::cache::kEntryOverheadBytes);
  }

  // Where thread `t` starts in `order`, so threads do not walk in lockstep.
  size_t StartFor(int thread_index) const { return (thread_index * 7919u) % kOrderLength; }
};

const Workload& GetWorkload() {
  static const Workload workload;
  return workload;
}

LruCache& GetL1() {
  static std::unique_ptr<LruCache> cache = [] {
    const Workload& w = GetWorkload();
    auto opened = LruCache::Open({.capacity_bytes = w.capacity_bytes});
    if (!opened.ok()) std::abort();
    std::unique_ptr<LruCache> c = std::move(opened).value();
    for (size_t i = 0; i < kKeys; ++i)
      c->Insert(w.keys[i], w.values[i]);
    if (c->GetStats().entries != kKeys) std::abort();  // every lookup below must be a hit
    return c;
  }();
  return *cache;
}

MutexLru& GetMutexLru() {
  static std::unique_ptr<MutexLru> cache = [] {
    const Workload& w = GetWorkload();
    auto c = std::make_unique<MutexLru>(w.capacity_bytes);
    for (size_t i = 0; i < kKeys; ++i)
      c->Insert(w.keys[i], w.values[i]);
    if (c->size() != kKeys) std::abort();
    return c;
  }();
  return *cache;
}

// Builds the shared state before any thread of a benchmark starts timing.
void SetUpAll(const benchmark::State&) {
  GetL1();
  GetMutexLru();
}

// Hits on the 4,096-key workload; `precomputed_hash` passes the key's hash in, as the engine
// does, instead of letting the cache hash the key.
void RunL1(benchmark::State& state, bool precomputed_hash) {
  const Workload& w = GetWorkload();
  LruCache& cache = GetL1();
  size_t i = w.StartFor(state.thread_index());
  size_t misses = 0;
  for (auto _ : state) {
    const uint32_t k = w.order[i];
    Value v = precomputed_hash ? cache.Lookup(w.keys[k], w.hashes[k]) : cache.Lookup(w.keys[k]);
    misses += v == nullptr;
    benchmark::DoNotOptimize(v.get());
    i = (i + 1) & (kOrderLength - 1);
  }
  if (misses != 0) state.SkipWithError("L1 lookup missed");
  state.SetItemsProcessed(state.iterations());
}

void BM_L1Hit(benchmark::State& state) {
  RunL1(state, false);
}
void BM_L1HitPrecomputedHash(benchmark::State& state) {
  RunL1(state, true);
}

void BM_MutexLruHit(benchmark::State& state) {
  const Workload& w = GetWorkload();
  MutexLru& cache = GetMutexLru();
  size_t i = w.StartFor(state.thread_index());
  size_t misses = 0;
  for (auto _ : state) {
    Value v = cache.Lookup(w.keys[w.order[i]]);
    misses += v == nullptr;
    benchmark::DoNotOptimize(v.get());
    i = (i + 1) & (kOrderLength - 1);
  }
  if (misses != 0) state.SkipWithError("baseline lookup missed");
  state.SetItemsProcessed(state.iterations());
}

// A hot set that fits a thread's front (64 keys, as a page cache's head of popular queries
// would), with the same cache with and without thread fronts.
constexpr size_t kHotKeys = 64;

LruCache& GetHotL1(bool thread_front) {
  auto make = [](bool front) {
    const Workload& w = GetWorkload();
    auto opened = LruCache::Open({.capacity_bytes = w.capacity_bytes, .thread_front = front});
    if (!opened.ok()) std::abort();
    std::unique_ptr<LruCache> c = std::move(opened).value();
    for (size_t i = 0; i < kHotKeys; ++i)
      c->Insert(w.keys[i], w.values[i]);
    return c;
  };
  static std::unique_ptr<LruCache> plain = make(false);
  static std::unique_ptr<LruCache> fronted = make(true);
  return thread_front ? *fronted : *plain;
}

void RunHot(benchmark::State& state, bool thread_front) {
  const Workload& w = GetWorkload();
  LruCache& cache = GetHotL1(thread_front);
  size_t i = static_cast<size_t>(state.thread_index()) * 17;
  size_t misses = 0;
  for (auto _ : state) {
    const size_t k = i++ % kHotKeys;
    Value v = cache.Lookup(w.keys[k], w.hashes[k]);
    misses += v == nullptr;
    benchmark::DoNotOptimize(v.get());
  }
  if (misses != 0) state.SkipWithError("hot lookup missed");
  state.SetItemsProcessed(state.iterations());
}

void BM_L1HotHit(benchmark::State& state) {
  RunHot(state, false);
}
void BM_L1HotHitThreadFront(benchmark::State& state) {
  RunHot(state, true);
}

BENCHMARK(BM_MutexLruHit)->Setup(SetUpAll)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_L1Hit)->Setup(SetUpAll)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_L1HitPrecomputedHash)->Setup(SetUpAll)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_L1HotHit)->Setup(SetUpAll)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_L1HotHitThreadFront)->Setup(SetUpAll)->Threads(1)->Threads(2)->UseRealTime();

// Prints the usual console table, then each L1 benchmark's throughput as a ratio of the baseline
// with the same thread count, measured in the same run.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      // Single runs, or the median when --benchmark_repetitions asks for several.
      const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      if ((run.run_type != Run::RT_Iteration && !median) || run.error_occurred) continue;
      auto it = run.counters.find("items_per_second");
      if (it == run.counters.end()) continue;
      double& slot = items_per_second_[run.run_name.function_name][run.threads];
      if (median || run.repetitions <= 1) slot = it->second.value;
    }
    ConsoleReporter::ReportRuns(runs);
  }

  void PrintRatios() const {
    std::printf(
        "\nThroughput with 2 threads / 1 thread (docs/design.md §6 target for the L1 hit: >= "
        "1.8x):\n");
    for (const auto& [name, by_threads] : items_per_second_) {
      auto one = by_threads.find(1), two = by_threads.find(2);
      if (one == by_threads.end() || two == by_threads.end() || one->second <= 0) continue;
      std::printf("  %-28s %.2fx\n", name.c_str(), two->second / one->second);
    }
    auto base = items_per_second_.find("BM_MutexLruHit");
    if (base == items_per_second_.end()) return;
    std::printf("\nThroughput relative to BM_MutexLruHit (same thread count):\n");
    for (const auto& [name, by_threads] : items_per_second_) {
      if (name == base->first) continue;
      for (const auto& [threads, ips] : by_threads) {
        auto b = base->second.find(threads);
        if (b == base->second.end() || b->second <= 0) continue;
        std::printf("  %-28s threads:%d  %.2fx  (%.1f M items/s vs %.1f M items/s)\n", name.c_str(),
                    threads, ips / b->second, ips / 1e6, b->second / 1e6);
      }
    }
  }

 private:
  std::map<std::string, std::map<int, double>> items_per_second_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintRatios();
  benchmark::Shutdown();
  return 0;
}
