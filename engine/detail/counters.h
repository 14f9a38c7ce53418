// Latency histograms the hot path can record into from many threads (counters are in
// folio/base/striped_counter.h).
#pragma once

#include <atomic>
#include <bit>
#include <cstdint>

#include "folio/base/striped_counter.h"
#include "folio/engine/stats.h"

namespace folio::detail {

using folio::StripedCounter;
using folio::ThreadStripe;
inline constexpr int kStripes = kCounterStripes;

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
