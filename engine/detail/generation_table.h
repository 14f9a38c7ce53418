// GenerationTable: the current invalidation generations of every (tenant, type) — one per
// axis, published and draft — readable on the hot path without a lock.
//
// The table is an immutable snapshot replaced whole by Publish(). Each thread keeps its own
// reference to the snapshot it last used and re-fetches (under a mutex) only when the
// table's version has moved, so a lookup in the steady state is one atomic load of a line
// nobody writes, plus a hash lookup in the thread's snapshot.
//
// Thread-safety: Get and Publish may be called from any thread at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "folio/storage/types.h"

namespace folio::detail {

// The value that keys an axis's cached pages: its generation counter mixed with its salt.
uint64_t SaltedGeneration(int64_t generation, int64_t salt);

class GenerationTable {
 public:
  GenerationTable();

  // The generation of (tenant, type) on `axis`; 0 when it never had a row written.
  uint64_t Get(std::string_view tenant, std::string_view type, storage::Axis axis) const;

  // The sum of the generations of every type and axis of `tenant`: it moves whenever any of
  // them does,
  // so it can key what depends on a tenant without knowing the type (a get by root id).
  uint64_t GetTenant(std::string_view tenant) const;

  // Replaces the table with `rows`; returns how many (tenant, type, axis) generations changed.
  // What Get returns is each row's generation salted with its salt (SaltedGeneration), so a
  // value seen once is never seen again for another database state.
  size_t Publish(const std::vector<storage::TypeGeneration>& rows);

 private:
  uint64_t Find(std::string_view tenant, char separator, std::string_view type) const;

  struct Snapshot {
    uint64_t version = 0;
    // Keys: tenant '\x1f' type (published), tenant '\x1d' type (draft); tenant '\x1e' for the
    // tenant's sum.
    std::unordered_map<std::string, uint64_t> generations;
  };

  const uint64_t id_;  // tells this table apart from a later one at the same address
  std::atomic<uint64_t> version_{0};
  mutable std::mutex mu_;
  std::shared_ptr<const Snapshot> current_;
};

}  // namespace folio::detail
