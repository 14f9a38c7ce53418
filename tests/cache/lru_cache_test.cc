#include "folio/cache/lru_cache.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <list>
#include <memory>
#include <new>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "folio/base/clock.h"

// Counts heap allocations made by this thread while g_count_allocations is set, so a test can
// prove that a cache hit allocates nothing. Replaces the global allocation functions for this
// test binary only.
namespace {
thread_local bool g_count_allocations = false;
std::atomic<size_t> g_allocations{0};
}  // namespace

// Not inlined: GCC would otherwise see free() of memory from "operator new" wherever it inlines a
// delete, and warn (-Wmismatched-new-delete) although the replaced pair matches.
[[gnu::noinline]] void* operator new(size_t size) {
  if (g_count_allocations) g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept {
  std::free(p);
}
[[gnu::noinline]] void operator delete(void* p, size_t) noexcept {
  std::free(p);
}
[[gnu::noinline]] void* operator new(size_t size, std::align_val_t align) {
  if (g_count_allocations) g_allocations.fetch_add(1, std::memory_order_relaxed);
  const size_t a = static_cast<size_t>(align);
  if (void* p = std::aligned_alloc(a, (size + a - 1) / a * a)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p, std::align_val_t) noexcept {
  std::free(p);
}
[[gnu::noinline]] void operator delete(void* p, size_t, std::align_val_t) noexcept {
  std::free(p);
}

namespace folio::cache {
namespace {

Value MakeValue(std::string bytes) {
  return std::make_shared<const std::string>(std::move(bytes));
}

size_t ChargeOf(std::string_view key, size_t value_size) {
  return key.size() + value_size + kEntryOverheadBytes;
}

std::unique_ptr<LruCache> NewCache(size_t capacity, int shard_bits = 0,
                                   const Clock* clock = nullptr) {
  auto cache =
      LruCache::Open({.capacity_bytes = capacity, .shard_bits = shard_bits, .clock = clock});
  EXPECT_TRUE(cache.ok()) << cache.status().ToString();
  return std::move(cache).value();
}

// prefix + n ("k" + 7 -> "k7"). Built by append: GCC 12 at -O3 warns falsely (-Wrestrict,
// PR105329) on `"literal" + std::string`.
std::string Name(std::string_view prefix, uint64_t n) {
  std::string name(prefix);
  name += std::to_string(n);
  return name;
}

// The value cached for `key` as a string, or "<miss>".
std::string Get(LruCache& cache, std::string_view key) {
  Value v = cache.Lookup(key);
  return v == nullptr ? "<miss>" : *v;
}

TEST(LruCacheTest, HitAndMiss) {
  auto cache = NewCache(1 << 20);
  EXPECT_EQ(Get(*cache, "a"), "<miss>");

  cache->Insert("a", MakeValue("alpha"));
  EXPECT_EQ(Get(*cache, "a"), "alpha");
  EXPECT_EQ(Get(*cache, "b"), "<miss>");

  cache->Insert("b", MakeValue("beta"));
  EXPECT_EQ(Get(*cache, "a"), "alpha");
  EXPECT_EQ(Get(*cache, "b"), "beta");
  // The precomputed-hash overload finds the same entry.
  Value b = cache->Lookup("b", LruCache::HashKey("b"));
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(*b, "beta");

  LruStats stats = cache->GetStats();
  EXPECT_EQ(stats.hits, 4u);
  EXPECT_EQ(stats.misses, 2u);
  EXPECT_EQ(stats.inserts, 2u);
  EXPECT_EQ(stats.entries, 2u);
  EXPECT_EQ(stats.bytes_in_use, ChargeOf("a", 5) + ChargeOf("b", 4));
}

TEST(LruCacheTest, HitSharesTheInsertedBuffer) {
  auto cache = NewCache(1 << 20);
  Value inserted = MakeValue(std::string(24 * 1024, 'x'));
  cache->Insert("page", inserted);
  Value hit = cache->Lookup("page");
  // The very same buffer: a hit copies no bytes.
  EXPECT_EQ(hit.get(), inserted.get());
  EXPECT_EQ(inserted.use_count(), 3);  // ours, the cache's, the hit's
}

TEST(LruCacheTest, LookupAllocatesNothing) {
  auto cache = NewCache(1 << 20, /*shard_bits=*/-1);
  // Longer than any small-string buffer, so building a std::string key would allocate.
  const std::string key = "published/article/en/page-000042?sort=date&limit=50";
  const std::string absent = "published/article/en/page-000043?sort=date&limit=50";
  cache->Insert(key, MakeValue("bytes"));
  const uint64_t hash = LruCache::HashKey(key);

  g_allocations = 0;
  g_count_allocations = true;
  size_t hits = 0;
  for (int i = 0; i < 100; ++i) {
    hits += cache->Lookup(key) != nullptr;
    hits += cache->Lookup(key, hash) != nullptr;
    hits += cache->Lookup(absent) != nullptr;
  }
  g_count_allocations = false;
  EXPECT_EQ(hits, 200u);
  EXPECT_EQ(g_allocations.load(), 0u);
}

TEST(LruCacheTest, ReplaceExisting) {
  auto cache = NewCache(1 << 20);
  cache->Insert("k", MakeValue("one"));
  cache->Insert("k", MakeValue("twenty-two"));
  EXPECT_EQ(Get(*cache, "k"), "twenty-two");

  LruStats stats = cache->GetStats();
  EXPECT_EQ(stats.entries, 1u);
  EXPECT_EQ(stats.bytes_in_use, ChargeOf("k", 10));
  EXPECT_EQ(stats.inserts, 2u);
  EXPECT_EQ(stats.evictions, 0u);  // a replacement is not an eviction
}

TEST(LruCacheTest, ContainsCountsNothingAndLeavesTheLruOrder) {
  // Room for two entries: a probe of the older one must not save it from eviction.
  auto cache = NewCache(ChargeOf("a", 5) + ChargeOf("b", 4) + 8);
  const uint64_t ha = LruCache::HashKey("a");
  EXPECT_FALSE(cache->Contains("a", ha));
  cache->Insert("a", MakeValue("alpha"));
  cache->Insert("b", MakeValue("beta"));
  EXPECT_TRUE(cache->Contains("a", ha));
  LruStats stats = cache->GetStats();
  EXPECT_EQ(stats.hits, 0u);
  EXPECT_EQ(stats.misses, 0u);
  cache->Insert("c", MakeValue("gamma"));  // evicts the least recently used: still "a"
  EXPECT_FALSE(cache->Contains("a", ha));
  EXPECT_TRUE(cache->Contains("c", LruCache::HashKey("c")));
  EXPECT_TRUE(cache->Erase("c"));
  EXPECT_FALSE(cache->Contains("c", LruCache::HashKey("c")));
}

TEST(LruCacheTest, Erase) {
  auto cache = NewCache(1 << 20);
  EXPECT_FALSE(cache->Erase("a"));
  cache->Insert("a", MakeValue("alpha"));
  cache->Insert("b", MakeValue("beta"));

  EXPECT_TRUE(cache->Erase("a"));
  EXPECT_EQ(Get(*cache, "a"), "<miss>");
  EXPECT_EQ(Get(*cache, "b"), "beta");
  EXPECT_FALSE(cache->Erase("a"));
  EXPECT_TRUE(cache->Erase("b", LruCache::HashKey("b")));
  EXPECT_EQ(Get(*cache, "b"), "<miss>");

  LruStats stats = cache->GetStats();
  EXPECT_EQ(stats.entries, 0u);
  EXPECT_EQ(stats.bytes_in_use, 0u);
  EXPECT_EQ(stats.evictions, 0u);
}

TEST(LruCacheTest, EntriesArePinned) {
  // Room for exactly one entry of this size, in one shard.
  const std::string big(998, 'b');
  // "v1" + big, by append (see Name()).
  auto payload = [&](std::string_view tag) { return std::string(tag).append(big); };
  auto cache = NewCache(ChargeOf("k1", big.size() + 2));

  cache->Insert("k1", MakeValue(payload("v1")));
  Value held_replaced = cache->Lookup("k1");
  cache->Insert("k1", MakeValue(payload("v2")));  // replaced
  Value held_evicted = cache->Lookup("k1");
  cache->Insert("k2", MakeValue(payload("v3")));  // evicts k1
  EXPECT_EQ(Get(*cache, "k1"), "<miss>");
  Value held_erased = cache->Lookup("k2");
  EXPECT_TRUE(cache->Erase("k2"));
  cache->Insert("k3", MakeValue(payload("v4")));
  Value held_cleared = cache->Lookup("k3");
  cache->Clear();

  // Every held value outlived its entry, intact.
  ASSERT_NE(held_replaced, nullptr);
  ASSERT_NE(held_evicted, nullptr);
  ASSERT_NE(held_erased, nullptr);
  ASSERT_NE(held_cleared, nullptr);
  EXPECT_EQ(*held_replaced, payload("v1"));
  EXPECT_EQ(*held_evicted, payload("v2"));
  EXPECT_EQ(*held_erased, payload("v3"));
  EXPECT_EQ(*held_cleared, payload("v4"));
  // And the cache holds none of them any more: they no longer count against capacity.
  EXPECT_EQ(held_cleared.use_count(), 1);
  LruStats stats = cache->GetStats();
  EXPECT_EQ(stats.entries, 0u);
  EXPECT_EQ(stats.bytes_in_use, 0u);
}

TEST(LruCacheTest, EvictionOrder) {
  // One shard with room for exactly three equal entries.
  auto cache = NewCache(3 * ChargeOf("k1", 2));
  cache->Insert("k1", MakeValue("v1"));
  cache->Insert("k2", MakeValue("v2"));
  cache->Insert("k3", MakeValue("v3"));
  EXPECT_EQ(Get(*cache, "k1"), "v1");  // k1 becomes the most recently used; k2 the oldest

  cache->Insert("k4", MakeValue("v4"));
  EXPECT_EQ(Get(*cache, "k2"), "<miss>");
  EXPECT_EQ(Get(*cache, "k1"), "v1");
  EXPECT_EQ(Get(*cache, "k3"), "v3");
  EXPECT_EQ(Get(*cache, "k4"), "v4");
  // Order now, oldest first: k1 k3 k4.
  cache->Insert("k5", MakeValue("v5"));
  EXPECT_EQ(Get(*cache, "k1"), "<miss>");
  EXPECT_EQ(Get(*cache, "k3"), "v3");

  // A replacement also counts as a use.
  cache->Insert("k4", MakeValue("V4"));  // order: k5 k3 k4
  cache->Insert("k6", MakeValue("v6"));  // evicts k5
  EXPECT_EQ(Get(*cache, "k5"), "<miss>");
  EXPECT_EQ(Get(*cache, "k4"), "V4");

  EXPECT_EQ(cache->GetStats().evictions, 3u);
  EXPECT_EQ(cache->GetStats().entries, 3u);
}

TEST(LruCacheTest, HeavyEntries) {
  const size_t light = ChargeOf("s0", 100);
  auto cache = NewCache(10 * light);
  for (int i = 0; i < 10; ++i) {
    cache->Insert(Name("s", i), MakeValue(std::string(100, 's')));
  }
  EXPECT_EQ(cache->GetStats().entries, 10u);

  // One entry charged as much as five light ones pushes out the five oldest.
  const std::string heavy_key = "heavy";
  const size_t heavy_value = 5 * light - heavy_key.size() - kEntryOverheadBytes;
  cache->Insert(heavy_key, MakeValue(std::string(heavy_value, 'h')));
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(Get(*cache, Name("s", i)), "<miss>") << i;
  for (int i = 5; i < 10; ++i)
    EXPECT_NE(Get(*cache, Name("s", i)), "<miss>") << i;
  EXPECT_NE(Get(*cache, heavy_key), "<miss>");

  LruStats stats = cache->GetStats();
  EXPECT_EQ(stats.evictions, 5u);
  EXPECT_EQ(stats.entries, 6u);
  EXPECT_EQ(stats.bytes_in_use, 10 * light);
}

TEST(LruCacheTest, ZeroSizeCache) {
  auto cache = NewCache(0, /*shard_bits=*/-1);
  EXPECT_EQ(cache->capacity(), 0u);
  cache->Insert("", MakeValue(""));
  cache->Insert("k", MakeValue("v"));
  EXPECT_EQ(Get(*cache, ""), "<miss>");
  EXPECT_EQ(Get(*cache, "k"), "<miss>");
  EXPECT_FALSE(cache->Erase("k"));

  LruStats stats = cache->GetStats();
  EXPECT_EQ(stats.inserts, 0u);
  EXPECT_EQ(stats.rejected_inserts, 2u);
  EXPECT_EQ(stats.misses, 2u);
  EXPECT_EQ(stats.hits, 0u);
  EXPECT_EQ(stats.entries, 0u);
  EXPECT_EQ(stats.bytes_in_use, 0u);
}

TEST(LruCacheTest, EntryLargerThanShardNotCached) {
  // Four shards of exactly 1000 bytes each.
  auto cache = NewCache(4000, /*shard_bits=*/2);
  ASSERT_EQ(cache->num_shards(), 4u);
  const std::string key = "key";
  const size_t fits = 1000 - key.size() - kEntryOverheadBytes;

  cache->Insert(key, MakeValue(std::string(fits + 1, 'x')));
  EXPECT_EQ(Get(*cache, key), "<miss>");
  EXPECT_EQ(cache->GetStats().rejected_inserts, 1u);

  cache->Insert(key, MakeValue(std::string(fits, 'y')));  // exactly a shard's capacity
  EXPECT_EQ(Get(*cache, key), std::string(fits, 'y'));
  EXPECT_EQ(cache->GetStats().bytes_in_use, 1000u);

  // A too-large replacement drops the old value instead of leaving it to be served stale.
  cache->Insert(key, MakeValue(std::string(fits + 1, 'z')));
  EXPECT_EQ(Get(*cache, key), "<miss>");
  LruStats stats = cache->GetStats();
  EXPECT_EQ(stats.rejected_inserts, 2u);
  EXPECT_EQ(stats.inserts, 1u);
  EXPECT_EQ(stats.entries, 0u);
  EXPECT_EQ(stats.bytes_in_use, 0u);
}

TEST(LruCacheTest, NullValueOrNegativeTtlRemovesTheOldEntry) {
  auto cache = NewCache(1 << 20);
  cache->Insert("a", MakeValue("alpha"));
  cache->Insert("b", MakeValue("beta"));
  cache->Insert("a", nullptr);
  cache->Insert("b", MakeValue("beta2"), /*ttl_micros=*/-1);
  EXPECT_EQ(Get(*cache, "a"), "<miss>");
  EXPECT_EQ(Get(*cache, "b"), "<miss>");
  LruStats stats = cache->GetStats();
  EXPECT_EQ(stats.inserts, 2u);
  EXPECT_EQ(stats.rejected_inserts, 0u);
  EXPECT_EQ(stats.entries, 0u);
  EXPECT_EQ(stats.bytes_in_use, 0u);
}

TEST(LruCacheTest, LookupReportsTheEntrysExpiry) {
  ManualClock clock;
  auto cache = NewCache(1 << 20, /*shard_bits=*/-1, &clock);
  const int64_t start = clock.NowMicros();
  cache->Insert("timed", MakeValue("t"), /*ttl_micros=*/7'000'000);
  cache->Insert("forever", MakeValue("f"));
  int64_t expires = -1;
  Value hit = cache->Lookup("timed", LruCache::HashKey("timed"), &expires);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(expires, start + 7'000'000);
  hit = cache->Lookup("forever", LruCache::HashKey("forever"), &expires);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(expires, 0);
  expires = 42;
  EXPECT_EQ(cache->Lookup("absent", LruCache::HashKey("absent"), &expires), nullptr);
  EXPECT_EQ(expires, 42);  // untouched on a miss
}

TEST(LruCacheTest, TtlExpiry) {
  ManualClock clock;
  auto cache = NewCache(1 << 20, /*shard_bits=*/-1, &clock);
  cache->Insert("short", MakeValue("s"), /*ttl_micros=*/10'000'000);
  cache->Insert("long", MakeValue("l"), /*ttl_micros=*/20'000'000);
  cache->Insert("forever", MakeValue("f"));  // ttl 0: never expires

  clock.AdvanceMicros(9'999'999);
  EXPECT_EQ(Get(*cache, "short"), "s");
  clock.AdvanceMicros(1);  // exactly at the deadline: expired
  EXPECT_EQ(Get(*cache, "short"), "<miss>");
  EXPECT_EQ(Get(*cache, "long"), "l");

  LruStats stats = cache->GetStats();
  EXPECT_EQ(stats.expirations, 1u);
  EXPECT_EQ(stats.misses, 1u);
  EXPECT_EQ(stats.hits, 2u);
  EXPECT_EQ(stats.entries, 2u);
  EXPECT_EQ(stats.bytes_in_use, ChargeOf("long", 1) + ChargeOf("forever", 1));

  clock.AdvanceSeconds(365LL * 24 * 3600);
  EXPECT_EQ(Get(*cache, "long"), "<miss>");
  EXPECT_EQ(Get(*cache, "forever"), "f");
  EXPECT_EQ(cache->GetStats().expirations, 2u);

  // Replacing an entry replaces its TTL too.
  cache->Insert("forever", MakeValue("F"), /*ttl_micros=*/1);
  clock.AdvanceMicros(1);
  EXPECT_EQ(Get(*cache, "forever"), "<miss>");
  cache->Insert("short", MakeValue("S"), /*ttl_micros=*/5);
  cache->Insert("short", MakeValue("S2"));
  clock.AdvanceSeconds(1000);
  EXPECT_EQ(Get(*cache, "short"), "S2");
  EXPECT_EQ(cache->GetStats().expirations, 3u);
}

TEST(LruCacheTest, ExpiredEntryPushedOutCountsAsExpiration) {
  ManualClock clock;
  auto cache = NewCache(2 * ChargeOf("k1", 1), /*shard_bits=*/0, &clock);
  cache->Insert("k1", MakeValue("1"), /*ttl_micros=*/1000);
  cache->Insert("k2", MakeValue("2"));
  clock.AdvanceMicros(1000);
  cache->Insert("k3", MakeValue("3"));  // pushes out k1, which has expired
  cache->Insert("k4", MakeValue("4"));  // pushes out k2, which is live
  LruStats stats = cache->GetStats();
  EXPECT_EQ(stats.expirations, 1u);
  EXPECT_EQ(stats.evictions, 1u);
  EXPECT_EQ(stats.entries, 2u);
}

TEST(LruCacheTest, ClearRemovesEverything) {
  auto cache = NewCache(1 << 20, /*shard_bits=*/3);
  for (int i = 0; i < 200; ++i)
    cache->Insert(Name("k", i), MakeValue("v"));
  EXPECT_EQ(cache->GetStats().entries, 200u);
  cache->Clear();
  for (int i = 0; i < 200; ++i)
    EXPECT_EQ(Get(*cache, Name("k", i)), "<miss>");
  LruStats stats = cache->GetStats();
  EXPECT_EQ(stats.entries, 0u);
  EXPECT_EQ(stats.bytes_in_use, 0u);
  EXPECT_EQ(stats.evictions, 0u);
  // Still usable.
  cache->Insert("k1", MakeValue("again"));
  EXPECT_EQ(Get(*cache, "k1"), "again");
}

TEST(LruCacheTest, StatsSumAcrossShards) {
  auto cache = NewCache(1 << 20, /*shard_bits=*/4);
  size_t bytes = 0;
  for (int i = 0; i < 100; ++i) {
    std::string key = Name("key-", i);
    cache->Insert(key, MakeValue(std::string(i, 'v')));
    bytes += ChargeOf(key, i);
  }
  for (int i = 0; i < 150; ++i)
    cache->Lookup(Name("key-", i));
  LruStats stats = cache->GetStats();
  EXPECT_EQ(stats.hits, 100u);
  EXPECT_EQ(stats.misses, 50u);
  EXPECT_EQ(stats.inserts, 100u);
  EXPECT_EQ(stats.entries, 100u);
  EXPECT_EQ(stats.bytes_in_use, bytes);
  EXPECT_EQ(stats.evictions, 0u);
  EXPECT_EQ(stats.expirations, 0u);
}

TEST(LruCacheTest, OpenValidatesShardBits) {
  EXPECT_TRUE(LruCache::Open({.capacity_bytes = 1, .shard_bits = -2}).status().IsInvalidArgument());
  EXPECT_TRUE(LruCache::Open({.capacity_bytes = 1, .shard_bits = LruCache::kMaxShardBits + 1})
                  .status()
                  .IsInvalidArgument());
  auto one = LruCache::Open({.capacity_bytes = 1, .shard_bits = 0});
  ASSERT_TRUE(one.ok());
  EXPECT_EQ((*one)->num_shards(), 1u);
  auto max = LruCache::Open({.capacity_bytes = 1, .shard_bits = LruCache::kMaxShardBits});
  ASSERT_TRUE(max.ok());
  EXPECT_EQ((*max)->num_shards(), size_t{1} << LruCache::kMaxShardBits);
}

TEST(LruCacheTest, AutoShardCountFollowsHardware) {
  auto cache = NewCache(1 << 20, /*shard_bits=*/-1);
  const size_t shards = cache->num_shards();
  const size_t threads = std::max(1u, std::thread::hardware_concurrency());
  EXPECT_EQ(shards & (shards - 1), 0u) << shards;  // a power of two
  EXPECT_GE(shards, 16u);
  EXPECT_GE(shards, 4 * threads);
  EXPECT_LT(shards, std::max<size_t>(32, 8 * threads));  // the *next* power of two, not more
  EXPECT_EQ(cache->capacity(), size_t{1} << 20);
}

// A model of a single-shard LRU: the exact entries, order, charges and counters the cache must
// have. With one shard the cache is fully deterministic, so the comparison is exact.
class LruModel {
 public:
  LruModel(size_t capacity) : capacity_(capacity) {}

  struct Entry {
    std::string key;
    Value value;
    int64_t expires_at;
    size_t charge;
  };

  void Insert(const std::string& key, Value value, int64_t ttl, int64_t now) {
    const size_t charge = ChargeOf(key, value->size());
    Remove(key);
    if (charge > capacity_) {
      ++stats_.rejected_inserts;
      return;
    }
    lru_.push_back({key, std::move(value), ttl > 0 ? now + ttl : 0, charge});
    ++stats_.inserts;
    while (Usage() > capacity_) {
      const Entry& victim = lru_.front();
      if (Expired(victim, now)) {
        ++stats_.expirations;
      } else {
        ++stats_.evictions;
      }
      lru_.pop_front();
    }
  }

  Value Lookup(const std::string& key, int64_t now) {
    auto it = Find(key);
    if (it == lru_.end()) {
      ++stats_.misses;
      return nullptr;
    }
    if (Expired(*it, now)) {
      lru_.erase(it);
      ++stats_.expirations;
      ++stats_.misses;
      return nullptr;
    }
    lru_.splice(lru_.end(), lru_, it);
    ++stats_.hits;
    return lru_.back().value;
  }

  bool Remove(const std::string& key) {
    auto it = Find(key);
    if (it == lru_.end()) return false;
    lru_.erase(it);
    return true;
  }

  void Clear() { lru_.clear(); }

  // The counters, with bytes and entries computed from the live entries.
  LruStats Stats() const {
    LruStats stats = stats_;
    stats.bytes_in_use = Usage();
    stats.entries = lru_.size();
    return stats;
  }

 private:
  static bool Expired(const Entry& e, int64_t now) {
    return e.expires_at != 0 && now >= e.expires_at;
  }
  size_t Usage() const {
    size_t usage = 0;
    for (const Entry& e : lru_)
      usage += e.charge;
    return usage;
  }
  std::list<Entry>::iterator Find(const std::string& key) {
    return std::find_if(lru_.begin(), lru_.end(), [&](const Entry& e) { return e.key == key; });
  }

  size_t capacity_;
  std::list<Entry> lru_;  // front: oldest
  LruStats stats_;
};

void ExpectSameStats(const LruStats& got, const LruStats& want, int step) {
  EXPECT_EQ(got.bytes_in_use, want.bytes_in_use) << "step " << step;
  EXPECT_EQ(got.entries, want.entries) << "step " << step;
  EXPECT_EQ(got.hits, want.hits) << "step " << step;
  EXPECT_EQ(got.misses, want.misses) << "step " << step;
  EXPECT_EQ(got.inserts, want.inserts) << "step " << step;
  EXPECT_EQ(got.rejected_inserts, want.rejected_inserts) << "step " << step;
  EXPECT_EQ(got.evictions, want.evictions) << "step " << step;
  EXPECT_EQ(got.expirations, want.expirations) << "step " << step;
}

TEST(LruCacheTest, ByteAccountingExact) {
  // Single shard: every insert, replace, erase, eviction, expiration and clear is checked against
  // the model, counters and bytes, after every step.
  constexpr size_t kCapacity = 16 * 1024;
  ManualClock clock;
  auto cache = NewCache(kCapacity, /*shard_bits=*/0, &clock);
  LruModel model(kCapacity);
  std::mt19937_64 rng(20240501);
  auto uniform = [&](uint64_t n) { return rng() % n; };

  for (int step = 0; step < 20'000; ++step) {
    const std::string key = Name("key-", uniform(40));
    const uint64_t op = uniform(100);
    if (op < 45) {
      // Sizes up to a bit over capacity, so some inserts are rejected.
      const size_t size = uniform(10) == 0 ? uniform(kCapacity + 200) : uniform(2000);
      Value value = MakeValue(Name(key + "#", step).append(size, '.'));
      const int64_t ttl = uniform(3) == 0 ? static_cast<int64_t>(1 + uniform(5000)) : 0;
      cache->Insert(key, value, ttl);
      model.Insert(key, value, ttl, clock.NowMicros());
    } else if (op < 80) {
      Value got = cache->Lookup(key);
      Value want = model.Lookup(key, clock.NowMicros());
      ASSERT_EQ(got, want) << "step " << step << " key " << key;  // same buffer, or both null
    } else if (op < 90) {
      ASSERT_EQ(cache->Erase(key), model.Remove(key)) << "step " << step;
    } else if (op < 99) {
      clock.AdvanceMicros(static_cast<int64_t>(uniform(2000)));
    } else {
      cache->Clear();
      model.Clear();
    }
    ExpectSameStats(cache->GetStats(), model.Stats(), step);
    if (testing::Test::HasFailure()) return;
  }
  LruStats stats = cache->GetStats();
  // The run exercised every path.
  EXPECT_GT(stats.evictions, 100u);
  EXPECT_GT(stats.expirations, 100u);
  EXPECT_GT(stats.rejected_inserts, 10u);
  EXPECT_GT(stats.hits, 1000u);
}

TEST(LruCacheTest, ByteAccountingExactAcrossShards) {
  // Many shards: the shard a key lands in is the cache's business, so instead of modelling the
  // eviction order this checks, at checkpoints, that bytes and entries equal the charges of the
  // values a probe of the whole key space finds, and that every value found is the last one
  // written for its key.
  constexpr size_t kCapacity = 64 * 1024;
  constexpr int kKeys = 200;
  ManualClock clock;
  auto cache = NewCache(kCapacity, /*shard_bits=*/3, &clock);
  std::vector<Value> last_written(kKeys);
  std::mt19937_64 rng(7);
  auto uniform = [&](uint64_t n) { return rng() % n; };

  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 400; ++i) {
      const int k = static_cast<int>(uniform(kKeys));
      const std::string key = Name("key-", k);
      const uint64_t op = uniform(100);
      if (op < 60) {
        Value value = MakeValue(std::string(uniform(2500), 'a' + k % 26));
        cache->Insert(key, value, uniform(4) == 0 ? 1 + uniform(3000) : 0);
        last_written[k] = value;
      } else if (op < 85) {
        cache->Lookup(key);
      } else if (op < 95) {
        cache->Erase(key);
        last_written[k] = nullptr;
      } else if (op < 99) {
        clock.AdvanceMicros(static_cast<int64_t>(uniform(1000)));
      } else {
        cache->Clear();
        std::fill(last_written.begin(), last_written.end(), nullptr);
      }
    }
    // Probe: this also removes entries that have expired, so read the stats after it.
    size_t bytes = 0;
    size_t entries = 0;
    for (int k = 0; k < kKeys; ++k) {
      const std::string key = Name("key-", k);
      Value got = cache->Lookup(key);
      if (got == nullptr) continue;
      ASSERT_EQ(got, last_written[k]) << key;
      bytes += ChargeOf(key, got->size());
      ++entries;
    }
    LruStats stats = cache->GetStats();
    ASSERT_EQ(stats.bytes_in_use, bytes) << "round " << round;
    ASSERT_EQ(stats.entries, entries) << "round " << round;
    ASSERT_LE(stats.bytes_in_use, kCapacity);
  }
  EXPECT_GT(cache->GetStats().evictions, 100u);
  EXPECT_GT(cache->GetStats().expirations, 10u);
}

}  // namespace
}  // namespace folio::cache
