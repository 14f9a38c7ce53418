// Counters the hot path can bump from many threads without sharing a cache line: each
// thread adds to its own stripe, and a reader sums the stripes.
#pragma once

#include <atomic>
#include <bit>
#include <cstdint>

#include "folio/engine/stats.h"

namespace folio::detail {

inline constexpr int kStripes = 16;

// This thread's stripe, fixed for the thread's life.
inline int ThreadStripe() {
  static std::atomic<int> next{0};
  thread_local int stripe = next.fetch_add(1, std::memory_order_relaxed) % kStripes;
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
  Stripe stripes_[kStripes];
};

// Latency in power-of-two nanosecond buckets. Record() is lock-free; Snapshot() is a
// consistent-enough read for monitoring (buckets are read one by one).
class alignas(128) AtomicHistogram {
 public:
  void Record(uint64_t nanos) {
    int bucket = nanos == 0 ? 0 : std::bit_width(nanos);
    if (bucket >= LatencyHistogram::kBuckets) bucket = LatencyHistogram::kBuckets - 1;
    counts_[bucket].fetch_add(1, std::memory_order_relaxed);
    sum_.fetch_add(nanos, std::memory_order_relaxed);
  }
  LatencyHistogram Snapshot() const {
    LatencyHistogram h;
    for (int i = 0; i < LatencyHistogram::kBuckets; ++i) {
      h.counts[i] = counts_[i].load(std::memory_order_relaxed);
      h.samples += h.counts[i];
    }
    h.sum_nanos = sum_.load(std::memory_order_relaxed);
    return h;
  }

 private:
  std::atomic<uint64_t> counts_[LatencyHistogram::kBuckets]{};
  std::atomic<uint64_t> sum_{0};
};

}  // namespace folio::detail

namespace folio::detail {

// A histogram per stripe, summed on read: for latencies recorded on the hot path.
class StripedHistogram {
 public:
  void Record(uint64_t nanos) { stripes_[ThreadStripe()].Record(nanos); }
  LatencyHistogram Snapshot() const {
    LatencyHistogram sum;
    for (const auto& stripe : stripes_) {
      LatencyHistogram h = stripe.Snapshot();
      for (int i = 0; i < LatencyHistogram::kBuckets; ++i)
        sum.counts[i] += h.counts[i];
      sum.samples += h.samples;
      sum.sum_nanos += h.sum_nanos;
    }
    return sum;
  }

 private:
  AtomicHistogram stripes_[kStripes];
};

}  // namespace folio::detail
