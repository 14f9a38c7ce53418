// LruCache with thread fronts: repeated hits come from the thread's front, yet a lookup never
// returns what an Insert, Erase or Clear replaced or removed before it began, nor an expired
// value.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>

#include "folio/base/clock.h"
#include "folio/cache/lru_cache.h"

namespace folio::cache {
namespace {

std::unique_ptr<LruCache> FrontedCache(const Clock* clock, size_t capacity = 1 << 20) {
  auto cache = LruCache::Open(
      {.capacity_bytes = capacity, .shard_bits = 2, .clock = clock, .thread_front = true});
  EXPECT_TRUE(cache.ok());
  return std::move(cache).value();
}

Value Make(const std::string& s) {
  return std::make_shared<const std::string>(s);
}

std::string Get(LruCache& cache, const std::string& key) {
  Value v = cache.Lookup(key);
  return v == nullptr ? "<miss>" : *v;
}

// Runs `fn` on a thread of its own and waits: the thread's front is separate from this one's.
template <typename Fn>
void OnOtherThread(Fn fn) {
  std::thread t(fn);
  t.join();
}

TEST(ThreadFrontTest, RepeatedHitsComeFromTheFrontAndShareTheBuffer) {
  ManualClock clock;
  auto cache = FrontedCache(&clock);
  cache->Insert("k", Make("value"));
  Value first = cache->Lookup("k");
  Value second = cache->Lookup("k");
  Value third = cache->Lookup("k");
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first.get(), second.get()) << "a front hit hands out the same bytes, not a copy";
  EXPECT_EQ(second.get(), third.get());
  LruStats stats = cache->GetStats();
  EXPECT_EQ(stats.hits, 3u);
  EXPECT_EQ(stats.front_hits, 2u);
  EXPECT_EQ(stats.misses, 0u);
}

TEST(ThreadFrontTest, EraseAndReplaceAndClearReachEveryThreadsFront) {
  ManualClock clock;
  auto cache = FrontedCache(&clock);
  cache->Insert("k", Make("v1"));
  // Warm this thread's front.
  EXPECT_EQ(Get(*cache, "k"), "v1");
  EXPECT_EQ(Get(*cache, "k"), "v1");

  OnOtherThread([&] { cache->Insert("k", Make("v2")); });
  EXPECT_EQ(Get(*cache, "k"), "v2");
  EXPECT_EQ(Get(*cache, "k"), "v2");

  OnOtherThread([&] { EXPECT_TRUE(cache->Erase("k")); });
  EXPECT_EQ(Get(*cache, "k"), "<miss>");

  cache->Insert("k", Make("v3"));
  EXPECT_EQ(Get(*cache, "k"), "v3");
  EXPECT_EQ(Get(*cache, "k"), "v3");
  OnOtherThread([&] { cache->Clear(); });
  EXPECT_EQ(Get(*cache, "k"), "<miss>");
}

TEST(ThreadFrontTest, AFrontCopyExpiresWithItsEntry) {
  ManualClock clock;
  auto cache = FrontedCache(&clock);
  cache->Insert("k", Make("v"), /*ttl_micros=*/1000);
  EXPECT_EQ(Get(*cache, "k"), "v");
  EXPECT_EQ(Get(*cache, "k"), "v");  // from the front
  int64_t expires = 0;
  ASSERT_NE(cache->Lookup("k", LruCache::HashKey("k"), &expires), nullptr);
  EXPECT_EQ(expires, clock.NowMicros() + 1000);
  clock.AdvanceMicros(1000);
  EXPECT_EQ(Get(*cache, "k"), "<miss>");
}

TEST(ThreadFrontTest, FrontsOfTwoCachesDoNotMix) {
  ManualClock clock;
  auto a = FrontedCache(&clock);
  auto b = FrontedCache(&clock);
  a->Insert("k", Make("from a"));
  b->Insert("k", Make("from b"));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Get(*a, "k"), "from a");
    EXPECT_EQ(Get(*b, "k"), "from b");
  }
}

TEST(ThreadFrontTest, FrontHitsStillRefreshTheShardsLruOrder) {
  ManualClock clock;
  // One shard of room for about three entries.
  auto opened = LruCache::Open({.capacity_bytes = 3 * (kEntryOverheadBytes + 2),
                                .shard_bits = 0,
                                .clock = &clock,
                                .thread_front = true});
  ASSERT_TRUE(opened.ok());
  LruCache& cache = **opened;
  cache.Insert("a", Make("1"));
  cache.Insert("b", Make("2"));
  cache.Insert("c", Make("3"));
  // Many front hits on "a": some of them refresh its place in the shard.
  for (int i = 0; i < 200; ++i)
    EXPECT_EQ(Get(cache, "a"), "1");
  cache.Insert("d", Make("4"));  // evicts the least recently used: "b", not "a"
  EXPECT_EQ(Get(cache, "b"), "<miss>");
  EXPECT_EQ(Get(cache, "a"), "1");
}

TEST(ThreadFrontTest, DisabledWithZeroCapacity) {
  ManualClock clock;
  auto cache = FrontedCache(&clock, /*capacity=*/0);
  cache->Insert("k", Make("v"));
  EXPECT_EQ(Get(*cache, "k"), "<miss>");
  EXPECT_EQ(cache->GetStats().front_hits, 0u);
}

}  // namespace
}  // namespace folio::cache
