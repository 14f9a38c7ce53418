// engine/detail/dropped_keys.h: what the filter remembers, and what it forgets.
#include "detail/dropped_keys.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace folio::detail {
namespace {

TEST(DroppedKeysTest, RemembersADroppedKeyUntilItIsFilledAgain) {
  DroppedKeys dropped;
  EXPECT_FALSE(dropped.Contains(42));
  dropped.Add(42);
  EXPECT_TRUE(dropped.Contains(42));
  EXPECT_FALSE(dropped.Contains(43));
  dropped.Forget(42);
  EXPECT_FALSE(dropped.Contains(42));
}

TEST(DroppedKeysTest, ACollisionForgetsTheOlderKeyAndForgettingIt_LeavesTheNewerOne) {
  DroppedKeys dropped;
  const uint64_t older = 7;
  const uint64_t newer = 7 + DroppedKeys::kSlots;  // same slot
  dropped.Add(older);
  dropped.Add(newer);
  EXPECT_FALSE(dropped.Contains(older));  // forgotten: costs one L2 check, never a stale page
  EXPECT_TRUE(dropped.Contains(newer));
  dropped.Forget(older);  // a refill of the older key must not clear the newer one
  EXPECT_TRUE(dropped.Contains(newer));
}

TEST(DroppedKeysTest, HashZeroIsAKeyLikeAnyOther) {
  DroppedKeys dropped;
  EXPECT_FALSE(dropped.Contains(0));
  dropped.Add(0);
  EXPECT_TRUE(dropped.Contains(0));
  dropped.Forget(0);
  EXPECT_FALSE(dropped.Contains(0));
}

TEST(DroppedKeysTest, ConcurrentAddsAndForgetsOfDistinctSlotsDoNotInterfere) {
  DroppedKeys dropped;
  constexpr uint64_t kPerThread = 1000;
  std::vector<std::thread> threads;
  for (uint64_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t i = 0; i < kPerThread; ++i) {
        const uint64_t h = t * kPerThread + i;  // 4,000 distinct slots of 4,096
        dropped.Add(h);
        if (i % 2 == 0) dropped.Forget(h);
      }
    });
  }
  for (auto& t : threads)
    t.join();
  for (uint64_t h = 0; h < 4 * kPerThread; ++h)
    EXPECT_EQ(dropped.Contains(h), (h % kPerThread) % 2 == 1) << h;
}

}  // namespace
}  // namespace folio::detail
