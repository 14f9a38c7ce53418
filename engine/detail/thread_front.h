// ThreadFront: a small per-thread front to L1 — the pages this thread was served most
// recently, in a 4-way set-associative table indexed by key hash.
//
// Why: an L1 hit takes its shard's lock, moves the entry in the shard's LRU list and bumps the
// page's shared reference count — all writes to memory other threads write too, and on a
// machine where moving a cache line between cores costs ~200 ns, two threads hitting the same
// hot pages get slower than one. A front hit writes nothing another thread touches: the slot
// is this thread's, and it holds the page through a reference count of its own (an owner
// that keeps L1's reference), so copying it stays on this core.
//
// Correctness rides on the same keys as L1: a key carries its generation, so a write makes
// every front entry of its (tenant, type) unreachable at once; an entry keeps the L1 entry's
// expiry (schedule boundaries, page TTL) and is dropped at it. Memory: at most kSlots (256)
// pages per thread stay alive after L1 evicts them (bounded; released as slots are reused).
//
// Thread-safety: thread-confined by construction (thread_local storage).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "detail/query_key.h"

namespace folio::detail {

class ThreadFront {
 public:
  static constexpr size_t kWays = 4;
  static constexpr size_t kSets = 64;
  static constexpr size_t kSlots = kWays * kSets;
  using Bytes = std::shared_ptr<const std::string>;

  // The page under `key` if this thread holds it and it has not expired at `now_micros`
  // (read lazily: `now` is called only for entries that can expire).
  template <typename Now>
  static Bytes Lookup(uint64_t owner, const CacheKey& key, uint64_t hash, Now&& now) {
    Set& set = Sets()[hash % kSets];
    for (Slot& slot : set.ways) {
      if (slot.owner != owner || slot.key != key || slot.page == nullptr) continue;
      if (slot.expires_at_micros != 0 && now() >= slot.expires_at_micros) {
        slot.page.reset();
        return nullptr;
      }
      return slot.page;
    }
    return nullptr;
  }

  // Remembers `page` (a reference from L1) with its L1 expiry (0 = never).
  static void Remember(uint64_t owner, const CacheKey& key, uint64_t hash, const Bytes& page,
                       int64_t expires_at_micros) {
    Set& set = Sets()[hash % kSets];
    Slot* victim = nullptr;
    for (Slot& slot : set.ways) {
      if (slot.page == nullptr || (slot.owner == owner && slot.key == key)) {
        victim = &slot;
        break;
      }
    }
    if (victim == nullptr) victim = &set.ways[set.next_victim++ % kWays];  // round robin
    Slot& slot = *victim;
    slot.owner = owner;
    slot.key = key;
    slot.expires_at_micros = expires_at_micros;
    // A control block of this thread's own, whose deleter holds L1's reference.
    slot.page = Bytes(page.get(), [keep = page](const std::string*) {});
  }

 private:
  struct Slot {
    uint64_t owner = 0;  // which Engine (a process-unique id, never reused)
    CacheKey key{};
    int64_t expires_at_micros = 0;
    Bytes page;
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

}  // namespace folio::detail
