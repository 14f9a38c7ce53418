// One shard of LruCache: a mutex, an intrusive hash table and an LRU list over the same entries.
//
// Private to cache/. Thread-safe: every public method takes the shard's mutex. Entries removed
// under the lock are destroyed after it is released, so dropping what may be the last reference
// to a large value (and freeing it) never lengthens a critical section.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>

#include "folio/base/clock.h"
#include "folio/cache/lru_cache.h"

namespace folio::cache::detail {

// Shards are aligned (and so padded) to this, so two shards never share a cache line, nor a pair
// of adjacent lines that the spatial prefetcher of x86 cores pulls in together.
inline constexpr size_t kShardAlignment = 128;

// Entries are allocated on cache-line boundaries and padded to whole lines: a hit rewrites its
// entry's LRU links and its neighbours', and entries of different shards must not share a line,
// or threads working on different shards would still invalidate each other's caches.
inline constexpr size_t kEntryAlignment = 64;

// The links of the circular, doubly linked LRU list. The shard's list head is a bare LruLinks.
struct LruLinks {
  LruLinks* prev = nullptr;
  LruLinks* next = nullptr;
};

// A cached entry: one allocation holding the node and, right behind it, the key's bytes.
struct LruEntry : LruLinks {
  LruEntry* next_hash = nullptr;  // hash-bucket chain; once removed, the to-destroy chain
  Value value;
  uint64_t hash = 0;
  int64_t expires_at_micros = 0;  // 0: never expires
  size_t charge = 0;
  size_t key_size = 0;

  std::string_view key() const noexcept {
    return {reinterpret_cast<const char*>(this + 1), key_size};
  }
  bool ExpiredAt(int64_t now_micros) const noexcept {
    return expires_at_micros != 0 && now_micros >= expires_at_micros;
  }

  static LruEntry* Create(std::string_view key, uint64_t hash, Value value,
                          int64_t expires_at_micros, size_t charge);
  static void Destroy(LruEntry* entry) noexcept;
  // Destroys `head` and every entry chained behind it through next_hash.
  static void DestroyChain(LruEntry* head) noexcept;
};

// An open hash table of chained entries keyed by (hash, key), in the manner of LevelDB's
// HandleTable: no allocation per lookup or insert, only when the bucket array doubles (it grows
// when there are more entries than buckets, so chains stay short). Not thread-safe by itself.
class LruHashTable {
 public:
  LruHashTable();

  LruEntry* Lookup(std::string_view key, uint64_t hash) const noexcept;
  // Inserts `entry`; returns the entry it displaced (same key), or nullptr.
  LruEntry* Insert(LruEntry* entry);
  // Removes and returns the entry for the key, or nullptr.
  LruEntry* Remove(std::string_view key, uint64_t hash) noexcept;
  // REQUIRES: `entry` is in the table.
  void RemoveEntry(LruEntry* entry) noexcept;
  // Forgets every entry (the caller owns and frees them).
  void Clear() noexcept;

  size_t size() const noexcept { return elems_; }

 private:
  LruEntry** FindPointer(std::string_view key, uint64_t hash) const noexcept;
  void Grow();

  size_t length_ = 0;  // a power of two
  size_t elems_ = 0;
  std::unique_ptr<LruEntry*[]> buckets_;
};

class alignas(kShardAlignment) LruShard {
 public:
  LruShard() = default;
  LruShard(const LruShard&) = delete;
  LruShard& operator=(const LruShard&) = delete;
  ~LruShard();

  // Called once, before the shard is shared between threads.
  void Init(size_t capacity_bytes, const Clock* clock) noexcept;

  // `expires_at_micros`, when not null, receives a hit's expiry.
  Value Lookup(std::string_view key, uint64_t hash, int64_t* expires_at_micros);
  void Insert(std::string_view key, uint64_t hash, Value value, int64_t ttl_micros);
  // Makes `key` the most recently used entry if present; counts nothing.
  void Touch(std::string_view key, uint64_t hash);
  // Whether `key` has an entry; counts nothing, moves nothing.
  bool Contains(std::string_view key, uint64_t hash);
  bool Erase(std::string_view key, uint64_t hash);
  void Clear();
  // Adds this shard's counters to *stats.
  void AddStatsTo(LruStats* stats) const;

  // Changes whenever an entry of this shard is inserted, replaced, erased or cleared (not on
  // eviction or expiry: a copy held elsewhere stays right then). A thread front trusts a copy
  // only while the epoch it was taken under is current. Lock-free to read.
  uint64_t epoch() const noexcept { return epoch_.value.load(std::memory_order_acquire); }

 private:
  void BumpEpoch() noexcept { epoch_.value.fetch_add(1, std::memory_order_acq_rel); }

  // Unlinks `entry` (already out of the table) from the LRU list, takes its charge off, and
  // pushes it on the *garbage chain for destruction after the lock is released.
  // REQUIRES: mu_ held.
  void Detach(LruEntry* entry, LruEntry** garbage) noexcept;
  // REQUIRES: mu_ held.
  void AppendNewest(LruEntry* entry) noexcept;

  mutable std::mutex mu_;
  // Set by Init, then read-only.
  size_t capacity_ = 0;
  const Clock* clock_ = nullptr;

  // Guarded by mu_.
  LruHashTable table_;
  LruLinks lru_{&lru_, &lru_};  // lru_.next is the oldest entry, lru_.prev the newest
  size_t usage_ = 0;            // sum of the charges of the entries in table_
  uint64_t hits_ = 0;
  uint64_t misses_ = 0;
  uint64_t inserts_ = 0;
  uint64_t rejected_inserts_ = 0;
  uint64_t evictions_ = 0;
  uint64_t expirations_ = 0;

  // On its own cache lines: read by every front hit, written only by writers.
  struct alignas(kShardAlignment) Epoch {
    std::atomic<uint64_t> value{0};
  } epoch_;
};

}  // namespace folio::cache::detail
