// StripedCounter: a counter many threads bump on a hot path without sharing a cache line.
// Each thread adds to its own stripe (fixed for the thread's life); Sum() adds the stripes.
//
// Thread-safety: Add and Sum from any thread at once. Sum is not a snapshot across stripes.
#pragma once

#include <atomic>
#include <cstdint>

namespace folio {

inline constexpr int kCounterStripes = 16;

// This thread's stripe, 0..kCounterStripes-1.
inline int ThreadStripe() {
  static std::atomic<int> next{0};
  thread_local int stripe = next.fetch_add(1, std::memory_order_relaxed) % kCounterStripes;
  return stripe;
}

class StripedCounter {
 public:
  void Add(uint64_t n = 1) {
    stripes_[ThreadStripe()].value.fetch_add(n, std::memory_order_relaxed);
  }
  uint64_t Sum() const {
    uint64_t sum = 0;
    for (const auto& s : stripes_)
      sum += s.value.load(std::memory_order_relaxed);
    return sum;
  }

 private:
  // 128, not 64: the adjacent-line prefetcher moves lines in pairs.
  struct alignas(128) Stripe {
    std::atomic<uint64_t> value{0};
  };
  Stripe stripes_[kCounterStripes];
};

}  // namespace folio
