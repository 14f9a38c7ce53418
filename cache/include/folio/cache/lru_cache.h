// LruCache: folio's L1 tier, an in-process, sharded, byte-bounded LRU cache with per-entry TTL.
//
// What it is for: keeping hot, already-serialized result pages in memory so that a repeated query
// is answered without touching L2 (LMDB) or L3 (SQLite). The cache knows nothing about documents:
// a key is an opaque byte string, a value is an opaque, immutable byte buffer.
//
// Ownership:
//  - Keys are copied in on Insert; the caller's bytes may be reused as soon as Insert returns.
//  - A Value is a shared reference to an immutable buffer. Insert takes one reference; Lookup hands
//    out another, so a hit copies no value bytes and allocates nothing. A Value returned by Lookup
//    stays valid for as long as the caller holds it, even if the entry is replaced, evicted,
//    expired, erased or cleared meanwhile (the entry is "pinned" by the reference, not in the
//    cache: it no longer counts against capacity once it has left the cache).
//  - The Clock passed in LruOptions is borrowed and must outlive the cache.
//
// Capacity: every entry is charged key.size() + value->size() + kEntryOverheadBytes. Capacity is
// split evenly across shards (a key's shard is picked by its hash), and each shard evicts its
// least recently used entries when its charge exceeds its share. So the largest entry the cache
// can hold is capacity() / num_shards() bytes of charge; a larger one is not cached. With
// capacity_bytes == 0 the cache is disabled: every Insert caches nothing, every Lookup misses.
//
// Thread safety: every method may be called from any thread at once. A call on one key takes only
// the lock of that key's shard (one mutex per shard; shards sit on their own cache lines), so
// threads working on different shards do not contend. GetStats() and Clear() visit the shards one
// at a time; they never hold two shard locks together.
//
// Thread fronts (LruOptions::thread_front): each thread also keeps its 256 most recently looked
// up values in a front of its own, so a repeated hit takes no lock and writes no memory another
// thread writes — the difference between hits that scale with threads and hits that get slower
// (see detail/thread_front.h). A lookup still never returns a value that an Insert, Erase or
// Clear of its shard has replaced or removed before the lookup began, nor an expired one. What
// changes: a front hit refreshes the key's LRU position only 1 time in 64, and up to 256 values
// per thread stay alive after their eviction (not counted against capacity).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "folio/base/clock.h"
#include "folio/base/status.h"
#include "folio/base/striped_counter.h"

namespace folio::cache {

namespace detail {
class LruShard;
}  // namespace detail

// A cached value: a shared, immutable byte buffer. nullptr means "no value" (a miss).
using Value = std::shared_ptr<const std::string>;

// Bytes charged per entry on top of its key and value sizes. It stands for the memory the cache
// spends per entry beyond the payload: the entry node (72 bytes on LP64 — LRU links, hash-chain
// link, hash, expiry, charge, key size, the Value reference — allocated together with the key
// and padded to whole 64-byte cache lines, ~32 bytes on average), its hash-table slot (8), and
// the shared_ptr control block and std::string header a make_shared'd value carries (~48).
// A fixed constant, so byte accounting is exact and predictable, not a malloc measurement.
inline constexpr size_t kEntryOverheadBytes = 128;

struct LruOptions {
  // Total capacity in bytes of charge (see kEntryOverheadBytes), split across the shards.
  // 0 disables the cache. No default: the caller must size the cache.
  size_t capacity_bytes = 0;

  // log2 of the shard count, 0..kMaxShardBits. -1 (the default) picks it from the hardware:
  // the next power of two >= 4 x std::thread::hardware_concurrency(), at least 16 shards.
  // Note that more shards means a smaller largest-cacheable entry (capacity / shards).
  int shard_bits = -1;

  // Where TTLs read the time. nullptr (the default) means Clock::Real(). Borrowed, not owned;
  // must outlive the cache.
  const Clock* clock = nullptr;

  // Per-thread fronts ahead of the shards (see the file comment). Default off.
  bool thread_front = false;
};

// Counters since the cache was created. A snapshot: each shard is read under its own lock, so
// the sum is consistent per shard but not across shards while other threads keep working.
struct LruStats {
  uint64_t hits = 0;              // Lookups that returned a value (front hits included)
  uint64_t front_hits = 0;        // of which answered by a thread front
  uint64_t misses = 0;            // Lookups that returned nullptr (absent or expired)
  uint64_t inserts = 0;           // Inserts that cached their value (replacements included)
  uint64_t rejected_inserts = 0;  // Inserts not cached: charge above the shard's capacity
                                  // (always the case when capacity is 0)
  uint64_t evictions = 0;         // live entries removed to make room (LRU order)
  uint64_t expirations = 0;       // expired entries removed (found by Lookup, or at the LRU end)
  size_t bytes_in_use = 0;        // sum of the charges of the entries in the cache now
  size_t entries = 0;             // entries in the cache now (expired ones not yet removed count)
};

class LruCache {
 public:
  static constexpr int kMaxShardBits = 16;

  // Creates a cache. InvalidArgument if options.shard_bits is outside -1..kMaxShardBits.
  static Result<std::unique_ptr<LruCache>> Open(const LruOptions& options);

  LruCache(const LruCache&) = delete;
  LruCache& operator=(const LruCache&) = delete;
  // Frees every entry still cached. Values held by callers stay valid.
  // REQUIRES: no other thread is calling into this cache.
  ~LruCache();

  // The hash the cache uses for `key` (XXH3, 64 bits). A caller that looks the same key up in
  // several places can compute it once and pass it to the overloads below.
  static uint64_t HashKey(std::string_view key) noexcept;

  // Returns the value cached for `key`, marking it most recently used, or nullptr if there is
  // none or it has expired (an expired entry is removed and counted as an expiration and a
  // miss). Allocates nothing.
  Value Lookup(std::string_view key);
  // REQUIRES: hash == HashKey(key)
  Value Lookup(std::string_view key, uint64_t hash);
  // As above; on a hit also stores the entry's expiry (microseconds of the options' clock, 0 =
  // never) in *expires_at_micros, so a caller that keeps the value can keep its deadline too.
  // REQUIRES: hash == HashKey(key), expires_at_micros != nullptr
  Value Lookup(std::string_view key, uint64_t hash, int64_t* expires_at_micros);

  // Caches `value` under a copy of `key`, replacing any entry for the key, as the most recently
  // used entry of its shard; evicts least recently used entries as needed. ttl_micros > 0: the
  // entry expires ttl_micros after this call (by the options' clock); 0: it never expires.
  // If the entry's charge exceeds its shard's capacity (always when capacity is 0), nothing is
  // cached (a rejected insert) and any existing entry for the key is removed, so a stale value is
  // never served after the call. Likewise a null `value` or a negative ttl_micros (already
  // expired) caches nothing and removes any existing entry; neither is counted.
  void Insert(std::string_view key, Value value, int64_t ttl_micros = 0);
  // REQUIRES: hash == HashKey(key)
  void Insert(std::string_view key, uint64_t hash, Value value, int64_t ttl_micros = 0);

  // Whether the cache holds an entry for `key` (expired or not). Counts nothing and leaves the
  // LRU order as it is: for bookkeeping by the cache's owner, not for serving.
  // REQUIRES: hash == HashKey(key)
  bool Contains(std::string_view key, uint64_t hash) const;

  // Removes the entry for `key`. Returns whether there was one (expired or not).
  bool Erase(std::string_view key);
  // REQUIRES: hash == HashKey(key)
  bool Erase(std::string_view key, uint64_t hash);

  // Removes every entry. Not counted as evictions. Values held by callers stay valid.
  void Clear();

  // Sums the per-shard counters. Locks each shard briefly, one at a time.
  LruStats GetStats() const;

  // capacity_bytes as given in the options; the shards' capacities add up to it exactly.
  size_t capacity() const noexcept { return capacity_; }
  size_t num_shards() const noexcept { return size_t{1} << shard_bits_; }

 private:
  LruCache(size_t capacity, int shard_bits, const Clock* clock, bool thread_front);

  detail::LruShard& ShardFor(uint64_t hash) const noexcept;

  const size_t capacity_;
  const int shard_bits_;
  const Clock* const clock_;
  const bool thread_front_;
  const uint64_t id_;  // process-unique: tells this cache's front slots from another's
  StripedCounter front_hits_;
  // Array of num_shards() shards, each aligned to its own cache lines.
  std::unique_ptr<detail::LruShard[]> shards_;
};

}  // namespace folio::cache
