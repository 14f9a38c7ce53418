// ThreadFront: a small per-thread front to an LruCache — the values this thread looked up most
// recently, in a 4-way set-associative table indexed by key hash.
//
// Why: a shard hit takes the shard's lock, moves the entry in the shard's LRU list and bumps
// the value's shared reference count — writes to memory other threads write too. Where moving
// a cache line between cores costs ~200 ns (this project's 2-vCPU machines), two threads
// hitting the same hot keys get slower than one. A front hit writes nothing another thread
// touches: the slot is this thread's, and it holds the value through a reference count of its
// own (an owner that keeps the shard's reference), so handing out a copy stays on this core.
//
// Staying right: each slot remembers its shard's epoch, taken BEFORE the shard lookup that
// filled it; any Insert, Erase or Clear in that shard moves the epoch (after its change), so a
// lookup that starts after such a call returns never trusts an older copy. A slot keeps the
// entry's expiry and is dropped at it. Eviction does not move the epoch: an evicted value is
// still the right value, and at most kSlots values per thread stay alive past their eviction.
//
// Thread-safety: thread-confined (thread_local storage); slots of different caches are told
// apart by a process-unique cache id.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "folio/cache/lru_cache.h"

namespace folio::cache::detail {

class ThreadFront {
 public:
  static constexpr size_t kWays = 4;
  static constexpr size_t kSets = 64;
  static constexpr size_t kSlots = kWays * kSets;

  // The value under `key` if this thread holds it under epoch `epoch` and it has not expired
  // (`now()` is called only for entries that can expire). On a hit, *expires_at_micros gets
  // the entry's expiry when not null.
  template <typename Now>
  static Value Lookup(uint64_t cache_id, uint64_t epoch, std::string_view key, uint64_t hash,
                      Now&& now, int64_t* expires_at_micros) {
    Set& set = Sets()[hash % kSets];
    for (Slot& slot : set.ways) {
      if (slot.value == nullptr || slot.hash != hash || slot.cache_id != cache_id ||
          slot.key != key) {
        continue;
      }
      if (slot.epoch != epoch || (slot.expires_at_micros != 0 && now() >= slot.expires_at_micros)) {
        slot.value.reset();
        return nullptr;
      }
      if (expires_at_micros != nullptr) *expires_at_micros = slot.expires_at_micros;
      return slot.value;
    }
    return nullptr;
  }

  // Remembers `value`, found in the shard under `epoch` (read before that lookup).
  static void Remember(uint64_t cache_id, uint64_t epoch, std::string_view key, uint64_t hash,
                       const Value& value, int64_t expires_at_micros) {
    Set& set = Sets()[hash % kSets];
    Slot* victim = nullptr;
    for (Slot& slot : set.ways) {
      if (slot.value == nullptr ||
          (slot.hash == hash && slot.cache_id == cache_id && slot.key == key)) {
        victim = &slot;
        break;
      }
    }
    if (victim == nullptr) victim = &set.ways[set.next_victim++ % kWays];  // round robin
    victim->cache_id = cache_id;
    victim->hash = hash;
    victim->key.assign(key);
    victim->epoch = epoch;
    victim->expires_at_micros = expires_at_micros;
    // A control block of this thread's own, whose deleter holds the shard's reference.
    victim->value = Value(value.get(), [keep = value](const std::string*) {});
  }

  // Counts front hits; every kPromoteEvery-th tells the caller to also touch the shard, so a
  // key served from fronts still ages like a used one in the shard's LRU order.
  static bool ShouldPromote() {
    thread_local uint32_t tick = 0;
    return (++tick % kPromoteEvery) == 0;
  }
  static constexpr uint32_t kPromoteEvery = 64;

 private:
  struct Slot {
    uint64_t cache_id = 0;
    uint64_t hash = 0;
    uint64_t epoch = 0;
    int64_t expires_at_micros = 0;
    std::string key;
    Value value;
  };
  struct Set {
    std::array<Slot, kWays> ways;
    uint32_t next_victim = 0;
  };

  static std::array<Set, kSets>& Sets() {
    thread_local std::array<Set, kSets> sets;
    return sets;
  }
};

}  // namespace folio::cache::detail
