#include "folio/base/striped_counter.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

namespace folio {
namespace {

// Runs `n` threads at once, each taking its stripe, and returns the stripes they took.
std::vector<int> StripesOfLiveThreads(int n) {
  std::vector<int> stripes(static_cast<size_t>(n), -1);
  std::atomic<int> arrived{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      stripes[static_cast<size_t>(i)] = ThreadStripe();
      arrived.fetch_add(1);
      while (arrived.load() < n)
        std::this_thread::yield();  // all alive at once
    });
  }
  for (auto& t : threads)
    t.join();
  return stripes;
}

TEST(StripedCounterTest, SumsEveryThreadsAdds) {
  StripedCounter counter;
  std::vector<std::thread> threads;
  for (int t = 0; t < 24; ++t) {  // more threads than stripes: some share, none lose adds
    threads.emplace_back([&counter, t] {
      for (int i = 0; i < 1000; ++i)
        counter.Add(static_cast<uint64_t>(t % 3 + 1));
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(counter.Sum(), 8u * 1000 * (1 + 2 + 3));
}

TEST(StripedCounterTest, LiveThreadsGetDistinctStripes) {
  const int mine = ThreadStripe();
  EXPECT_EQ(ThreadStripe(), mine);  // fixed for the thread's life
  std::vector<int> stripes = StripesOfLiveThreads(kCounterStripes - 1);
  std::set<int> distinct(stripes.begin(), stripes.end());
  distinct.insert(mine);
  EXPECT_EQ(distinct.size(), static_cast<size_t>(kCounterStripes));
}

TEST(StripedCounterTest, ThreadsThatCameAndWentDoNotPushANewThreadOntoALiveOnesStripe) {
  const int mine = ThreadStripe();
  // Enough short-lived threads, one after another, to wrap any round-robin assignment.
  for (int i = 0; i < 2 * kCounterStripes + 1; ++i) {
    int theirs = -1;
    std::thread([&theirs] { theirs = ThreadStripe(); }).join();
    EXPECT_NE(theirs, mine) << "thread " << i << " shares this thread's stripe";
  }
}

}  // namespace
}  // namespace folio
