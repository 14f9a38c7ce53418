// StripedCounter: a counter many threads bump on a hot path without sharing a cache line.
// Each thread adds to its own stripe (fixed for the thread's life; live threads get distinct
// stripes while there are no more than kCounterStripes of them); Sum() adds the stripes.
//
// Thread-safety: Add and Sum from any thread at once. Sum is not a snapshot across stripes.
#pragma once

#include <atomic>
#include <cstdint>

namespace folio {

inline constexpr int kCounterStripes = 16;

namespace detail {

// Live threads per stripe. Trivially destructible, so a thread that exits after static
// destruction began can still give its stripe back.
inline std::atomic<int> g_stripe_holders[kCounterStripes] = {};

// A thread's claim on a stripe: the one with the fewest live holders at the thread's first
// use, given back when the thread exits. Until more than kCounterStripes threads use counters
// at once, no two live threads share a stripe. (Handing stripes out round-robin did not hold
// that: once 16 threads had come and gone, a new thread landed on a long-lived thread's
// stripe, and two benchmark threads bumping one cache line ran at half speed.)
class StripeClaim {
 public:
  StripeClaim() {
    int best = 0;
    for (int i = 1; i < kCounterStripes; ++i) {
      if (g_stripe_holders[i].load(std::memory_order_relaxed) <
          g_stripe_holders[best].load(std::memory_order_relaxed)) {
        best = i;
      }
    }
    // Two threads starting at once may pick the same stripe: counts stay exact, only the
    // cache line is shared.
    g_stripe_holders[best].fetch_add(1, std::memory_order_relaxed);
    stripe_ = best;
  }
  ~StripeClaim() { g_stripe_holders[stripe_].fetch_sub(1, std::memory_order_relaxed); }
  StripeClaim(const StripeClaim&) = delete;
  StripeClaim& operator=(const StripeClaim&) = delete;

  int stripe() const { return stripe_; }

 private:
  int stripe_;
};

}  // namespace detail

// This thread's stripe, 0..kCounterStripes-1, fixed for the thread's life.
inline int ThreadStripe() {
  thread_local detail::StripeClaim claim;
  return claim.stripe();
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
