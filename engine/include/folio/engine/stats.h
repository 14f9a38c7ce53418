// EngineStats: a snapshot of what the engine has done, for `folio stats`, /v1/stats and
// /metrics. Plain data.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace folio {

// A latency histogram with power-of-two bucket bounds in nanoseconds: bucket i counts samples
// in [2^(i-1), 2^i) ns (bucket 0: below 1 ns), the last bucket everything above.
struct LatencyHistogram {
  static constexpr int kBuckets = 40;  // up to ~550 s
  std::array<uint64_t, kBuckets> counts{};
  uint64_t samples = 0;
  uint64_t sum_nanos = 0;

  // The upper bound (ns) of the bucket holding quantile q (0..1); 0 with no samples.
  uint64_t QuantileUpperBoundNanos(double q) const;
};

struct TierStats {
  uint64_t hits = 0;
  uint64_t misses = 0;
  uint64_t fills = 0;        // entries written into this tier from below
  LatencyHistogram latency;  // of queries this tier answered (L1: sampled 1 in 64)
};

struct EngineStats {
  TierStats memory;               // L1
  TierStats kv;                   // L2
  TierStats database;             // L3: every query that read SQLite
  uint64_t coalesced_misses = 0;  // queries that waited for another's identical SQLite read
  uint64_t derived_forms = 0;     // page forms derived (compressed) and kept in L1 (DerivedForm)
  uint64_t writes = 0;
  uint64_t invalidations = 0;     // cached entries dropped by changes (and coarse events)
  uint64_t stale_fills = 0;       // pages and documents read before a change that touched
                                  // them, kept out of the caches
  uint64_t kv_stale = 0;          // L2 entries found, but changed since: answered from below
  uint64_t kv_skipped = 0;        // L2 not looked at: this process dropped the key for a change
                                  // since (its L2 entry would be stale): answered from below
  uint64_t freshness_resets = 0;  // the change log could not be followed: L1 was cleared
  uint64_t external_changes = 0;  // commits by other connections noticed by the poller
  uint64_t l2_fills_dropped = 0;  // fills dropped because the fill queue was full
  uint64_t l2_faults = 0;         // L2 failures answered from a lower tier
  std::vector<std::pair<std::string, uint64_t>> l2_faults_by_kind;
  uint64_t l1_bytes = 0, l1_entries = 0, l1_capacity_bytes = 0, l1_evictions = 0;
  uint64_t l2_bytes = 0, l2_entries = 0, l2_map_size_bytes = 0, l2_evictions = 0;
  bool l2_available = false;
};

}  // namespace folio
