// Many threads insert, look up, erase and expire over a small key space at once. Every hit must be
// a value some writer wrote for that key, intact; afterwards the counters and the byte accounting
// must add up. Bounded by iterations, not time. Run it under ThreadSanitizer (FOLIO_TSAN=ON) to
// check the locking.
#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "folio/base/clock.h"
#include "folio/cache/lru_cache.h"

namespace folio::cache {
namespace {

constexpr int kThreads = 6;
constexpr int kOpsPerThread = 60'000;
constexpr int kKeys = 64;
constexpr size_t kCapacity = 48 * 1024;  // well below the working set, so eviction never stops

std::string KeyName(int k) {
  // By append: GCC 12 at -O3 warns falsely (-Wrestrict, PR105329) on `"literal" + std::string`.
  std::string name = "stress-key-";
  name += std::to_string(k);
  return name;
}

// "<key>|<writer>|<seq>|" followed by `padding` copies of a byte derived from the key.
std::string EncodeValue(int k, int writer, int seq, size_t padding) {
  std::string v = KeyName(k) + "|" + std::to_string(writer) + "|" + std::to_string(seq) + "|";
  v.append(padding, static_cast<char>('a' + k % 26));
  return v;
}

// Whether `v` is a value EncodeValue could have produced for key k.
bool IsValueFor(const std::string& v, int k) {
  const std::string prefix = KeyName(k) + "|";
  if (v.compare(0, prefix.size(), prefix) != 0) return false;
  const size_t body = v.find('|', prefix.size());
  if (body == std::string::npos) return false;
  const size_t pad = v.find('|', body + 1);
  if (pad == std::string::npos) return false;
  for (size_t i = pad + 1; i < v.size(); ++i) {
    if (v[i] != static_cast<char>('a' + k % 26)) return false;
  }
  return true;
}

struct ThreadTally {
  uint64_t lookups = 0;
  uint64_t hits = 0;
  uint64_t inserts = 0;
  uint64_t bad_values = 0;
};

// Run with and without thread fronts: a front must never hand out a value its shard replaced,
// erased or cleared, nor a damaged one, and must not lose a counted hit.
class LruCacheStressTest : public ::testing::TestWithParam<bool> {};

TEST_P(LruCacheStressTest, ConcurrentMixedOperations) {
  ManualClock clock;
  auto opened = LruCache::Open(
      {.capacity_bytes = kCapacity, .shard_bits = 2, .clock = &clock, .thread_front = GetParam()});
  ASSERT_TRUE(opened.ok());
  LruCache& cache = **opened;

  std::vector<ThreadTally> tallies(kThreads);
  std::barrier start(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(1000 + t);
      ThreadTally& tally = tallies[t];
      // Hold some values across operations, so entries are pinned while being evicted.
      std::vector<std::pair<int, Value>> held(8);
      start.arrive_and_wait();
      for (int i = 0; i < kOpsPerThread; ++i) {
        const int k = static_cast<int>(rng() % kKeys);
        const std::string key = KeyName(k);
        const unsigned op = rng() % 100;
        if (op < 30) {
          const int64_t ttl = rng() % 4 == 0 ? 1 + rng() % 500 : 0;
          cache.Insert(key, std::make_shared<const std::string>(EncodeValue(k, t, i, rng() % 1500)),
                       ttl);
          ++tally.inserts;
        } else if (op < 90) {
          Value v = (op % 2 == 0) ? cache.Lookup(key) : cache.Lookup(key, LruCache::HashKey(key));
          ++tally.lookups;
          if (v != nullptr) {
            ++tally.hits;
            if (!IsValueFor(*v, k)) ++tally.bad_values;
            held[i % held.size()] = {k, std::move(v)};
          }
        } else if (op < 97) {
          cache.Erase(key);
        } else if (op < 99) {
          clock.AdvanceMicros(1 + rng() % 100);
        } else if (rng() % 20 == 0) {
          cache.Clear();
        }
      }
      // Values held past all that are still intact.
      for (const auto& [k, v] : held) {
        if (v != nullptr && !IsValueFor(*v, k)) ++tally.bad_values;
      }
    });
  }
  for (auto& th : threads)
    th.join();

  ThreadTally total;
  for (const ThreadTally& t : tallies) {
    total.lookups += t.lookups;
    total.hits += t.hits;
    total.inserts += t.inserts;
    total.bad_values += t.bad_values;
  }
  EXPECT_EQ(total.bad_values, 0u);

  LruStats stats = cache.GetStats();
  // No update lost: the per-shard counters add up to what the threads did.
  EXPECT_EQ(stats.hits, total.hits);
  EXPECT_EQ(stats.hits + stats.misses, total.lookups);
  EXPECT_EQ(stats.inserts + stats.rejected_inserts, total.inserts);
  EXPECT_EQ(stats.rejected_inserts, 0u);  // every value fits a shard
  EXPECT_LE(stats.bytes_in_use, kCapacity);
  // The run was not trivial: there were hits, and eviction and expiry both happened.
  EXPECT_GT(stats.hits, 1000u);
  EXPECT_GT(stats.evictions, 100u);
  EXPECT_GT(stats.expirations, 0u);

  // Final accounting, quiescent: the bytes and entries equal what a probe of every key finds.
  size_t bytes = 0;
  size_t entries = 0;
  for (int k = 0; k < kKeys; ++k) {
    const std::string key = KeyName(k);
    Value v = cache.Lookup(key);  // removes an entry that has expired, so stats come after
    if (v == nullptr) continue;
    EXPECT_TRUE(IsValueFor(*v, k)) << key;
    bytes += key.size() + v->size() + kEntryOverheadBytes;
    ++entries;
  }
  stats = cache.GetStats();
  EXPECT_EQ(stats.bytes_in_use, bytes);
  EXPECT_EQ(stats.entries, entries);

  cache.Clear();
  stats = cache.GetStats();
  EXPECT_EQ(stats.bytes_in_use, 0u);
  EXPECT_EQ(stats.entries, 0u);
}

INSTANTIATE_TEST_SUITE_P(Fronts, LruCacheStressTest, ::testing::Bool(), [](const auto& info) {
  return info.param ? "WithThreadFronts" : "ShardsOnly";
});

}  // namespace
}  // namespace folio::cache
