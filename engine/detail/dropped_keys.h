// DroppedKeys: the cache keys this process dropped from L1 because a change touched them, so
// a reader does not look up their L2 entries only to find them stale.
//
// When the catch-up drops a page or a document from L1 for a change, the L2 entry under the
// same key, if there is one, was read before that change, and the L2 check would refuse it —
// after a read of the whole value out of the map, a checksum over it and a decode of its
// trailer (~30 µs of the first read after a publish, measured with mix_bench Publish/engine).
// Remembering the dropped key lets the next reader go straight to SQLite.
//
// The filter decides only whether to look in L2, never what is served: forgetting a key (a
// collision, a refill) costs one L2 check, and a false "dropped" (another process refilled
// L2 since) costs one SQLite read. Neither can serve a stale page.
//
// A fixed, direct-mapped table of key hashes: no lock, no allocation. A slot holds the newest
// hash filed in it.
//
// Thread-safety: every method may be called from any thread at once.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace folio::detail {

class DroppedKeys {
 public:
  static constexpr size_t kSlots = 4096;

  // A change dropped the key with this hash from L1.
  void Add(uint64_t hash) { Slot(hash).store(Stored(hash), std::memory_order_relaxed); }
  // Whether the key was dropped and not filled since (as far as the table remembers).
  bool Contains(uint64_t hash) const {
    return Slot(hash).load(std::memory_order_relaxed) == Stored(hash);
  }
  // The key was filled again: its next L2 entry is worth a look.
  void Forget(uint64_t hash) {
    uint64_t expected = Stored(hash);
    Slot(hash).compare_exchange_strong(expected, 0, std::memory_order_relaxed);
  }

 private:
  // 0 marks an empty slot, so a hash of 0 is filed as 1 (a shared slot value: harmless).
  static uint64_t Stored(uint64_t hash) { return hash == 0 ? 1 : hash; }
  std::atomic<uint64_t>& Slot(uint64_t hash) { return slots_[hash % kSlots]; }
  const std::atomic<uint64_t>& Slot(uint64_t hash) const { return slots_[hash % kSlots]; }

  std::array<std::atomic<uint64_t>, kSlots> slots_{};
};

}  // namespace folio::detail
