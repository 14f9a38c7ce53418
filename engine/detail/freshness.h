// Freshness: the protocol that decides whether a cached page or document may be served — the
// whole of docs/design.md §4 in one unit.
//
//  - Change log. SQLite triggers log every change (root, tenant, type, axes) with the write
//    (storage/changes.h). Freshness applies the log in order: for each changed root it loads
//    the root as it now stands and drops, through the DependencyIndex, exactly the L1 entries
//    the change can alter. `applied()` is the log position applied so far.
//  - Read-your-writes. A write through this process applies the log up to itself before it
//    returns (AfterWrite). Other folio processes bump the shared epoch after their writes; a
//    read that sees the epoch moved applies the log first (Sync). Other programs' writes are
//    found by the poller (OnDataVersionChanged) within the configured bound.
//  - No stale fill. A page or document carries the log position of the snapshot it was read
//    from. It enters L1 (Admit*) only if no change applied since that position touches it,
//    checked under the same lock that applies changes; once in, later changes find it in the
//    index.
//  - L2. Entries are shared by processes and survive restarts and crashes, so their validity
//    must follow from committed state alone: an entry carries its read position; a hit is
//    served only if that position is in the retained log of this timeline (same seq, same
//    salt) and no change since touches it (Check*). Past the retained log, in another
//    timeline, or ahead of what this process applied: a miss.
//  - Coarse fallback. Generations (type registration, import) key every entry; a log that
//    cannot be followed (pruned past us, or the database went back in time) clears L1.
//  - Schedule boundaries: a published page lives until its type's next scheduled_at /
//    expires_at (PageDeadlineMicros); what a boundary lookup found is reused until a change
//    to the type is applied.
//
// Thread-safety: every method may be called from any thread at once. Sync's fast path is two
// atomic loads; applying changes, admissions and L2 checks share one mutex.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "detail/counters.h"
#include "detail/dependency_index.h"
#include "detail/dropped_keys.h"
#include "detail/generation_table.h"
#include "detail/page_codec.h"
#include "detail/query_key.h"
#include "detail/shared_epoch.h"
#include "folio/base/clock.h"
#include "folio/base/status.h"
#include "folio/cache/lru_cache.h"
#include "folio/storage/document_store.h"

namespace folio::detail {

class Freshness {
 public:
  struct Config {
    storage::DocumentStore* store = nullptr;  // not owned
    cache::LruCache* l1 = nullptr;            // not owned
    SharedEpoch* epoch = nullptr;             // not owned
    const Clock* clock = nullptr;             // not owned
    // Changes kept in memory to check L2 entries and fills against (the log keeps
    // storage::kChangeLogRetained).
    size_t history_limit = storage::kChangeLogRetained;
    // Roots an L2 entry or a fill is checked against before it is called a miss instead.
    size_t check_limit = 256;
    // Root images kept for those checks.
    size_t image_limit = 8192;
  };

  // Loads the generations and the retained log.
  static Result<std::unique_ptr<Freshness>> Open(const Config& config);

  // Before a lookup: applies the log when another folio process wrote since we looked.
  void Sync();
  // After a write through this process committed: tells the other processes, then applies
  // the log up to (at least) that write.
  void AfterWrite();
  // The poller saw SQLite's data_version move (a commit by any connection): apply the log.
  Status OnDataVersionChanged();

  // The generation keying entries of (tenant, type, axis), and of a tenant's documents.
  uint64_t Generation(std::string_view tenant, std::string_view type, storage::Axis axis) const {
    return generations_.Get(tenant, type, axis);
  }
  uint64_t TenantGeneration(std::string_view tenant) const {
    return generations_.GetTenant(tenant);
  }

  // ---- Admission to L1 ----
  // Runs `insert` (the L1 insert) and files the page in the index, unless a change applied
  // since the page's read touches it (or cannot be checked): then nothing is inserted and
  // false is returned.
  bool AdmitPage(const DependencyIndex::Slot& slot, const CacheKey& predicate_key,
                 std::shared_ptr<const storage::ListingPredicate> predicate,
                 const PageTrailer& trailer, const std::function<void()>& insert);
  bool AdmitDocument(const DependencyIndex::Slot& slot, const std::string& tenant,
                     const std::string& root_id, storage::Axis axis, storage::LogPosition read_at,
                     const std::function<void()>& insert);

  // ---- L2 ----
  // The check every L2 page hit makes first: true when `read_at` is a position of this
  // timeline that this process knows and no change to (tenant, type, axis) was applied since.
  // On true, *checked_at is the applied position the answer holds for: the page is what a
  // read there would list, so it can be admitted as read there (AdmitPage checks only the
  // changes after it).
  bool UntouchedSince(const std::string& tenant, const std::string& type, storage::Axis axis,
                      storage::LogPosition read_at, storage::LogPosition* checked_at) const;
  // The whole check, when UntouchedSince said no: whether any root changed since the page's
  // read can alter it (its rows, or its listing within its range). False also when that
  // cannot be told (too many changes, a root no longer in memory): a miss, never a stale page.
  // On true, *checked_at as for UntouchedSince.
  bool CheckPage(const storage::ListingPredicate& predicate, const PageTrailer& trailer,
                 storage::LogPosition* checked_at);
  // Whether an L2 document read at `read_at` is still current.
  bool CheckDocument(const std::string& tenant, const std::string& root_id,
                     storage::LogPosition read_at) const;

  // Whether this process dropped the entry keyed `key_hash` from L1 for a change and has not
  // admitted it since: its L2 entry, if any, predates that change, so an L2 lookup would only
  // find it stale (DroppedKeys). Lock-free.
  bool DroppedForChange(uint64_t key_hash) const { return dropped_.Contains(key_hash); }

  // ---- Schedule ----
  // The instant (micros; 0 = none) a published page of (tenant, type) read at `read_micros`
  // stops being valid: its type's next schedule boundary strictly after the read.
  int64_t PageDeadlineMicros(const std::string& tenant, const std::string& type, bool published,
                             int64_t read_micros);

  // The shared predicate of a listing, compiled once (nullptr when the query is invalid).
  std::shared_ptr<const storage::ListingPredicate> Predicate(const CacheKey& predicate_key,
                                                             const storage::Query& query);

  storage::LogPosition applied() const;
  // applied().seq without a lock: what a lookup records on the hot path.
  int64_t applied_seq() const { return applied_seq_.load(std::memory_order_acquire); }
  uint64_t invalidations() const { return invalidations_.Sum(); }
  uint64_t resets() const { return resets_.Sum(); }
  size_t indexed_entries() const;

 private:
  explicit Freshness(const Config& config);

  struct LoggedChange {
    storage::LogPosition position;
    std::string tenant, type, root_id;
    uint64_t root_hash;
    bool published, draft;
  };

  // Applies the log from applied_ to its head. Serialized by catchup_mu_.
  void CatchUp();
  // REQUIRES: catchup_mu_ held. `opening`: the first catch-up, in Open, when nothing is
  // cached yet (no roots to load, nothing to drop or count).
  Status CatchUpLocked(bool opening = false);
  // REQUIRES: mu_ held. Whether `position` is a position of this timeline we still know.
  bool KnownLocked(storage::LogPosition position) const;
  // REQUIRES: mu_ held. Whether `read_at` is known and no change to the root was applied
  // after it.
  bool RootUnchangedSinceLocked(const std::string& tenant, const std::string& root_id,
                                storage::LogPosition read_at) const;
  // REQUIRES: mu_ held. The roots changed after `since` in `scope` (tenant, type, axis); nullopt
  // when more than check_limit. When a change on `axis` of any scope is to one of `roots` (the
  // hashes a page shows or embeds), sets *touched and stops.
  std::optional<std::vector<const LoggedChange*>> ChangesSinceLocked(
      storage::LogPosition since, const std::string& tenant, const std::string& type,
      storage::Axis axis, const std::vector<uint64_t>* roots, bool* touched) const;
  // REQUIRES: mu_ held. A root changed since the page's read whose image is not in memory
  // makes the answer "touched", and is added to *missing when that is not null.
  bool PageUntouchedLocked(
      const storage::ListingPredicate& predicate, const PageTrailer& trailer, int64_t now_seconds,
      std::vector<std::pair<std::string, std::string>>* missing = nullptr) const;
  void ResetLocked();
  void RememberImageLocked(storage::RootImage image);
  static std::string RootKey(std::string_view tenant, std::string_view root_id);
  // tenant '\x1f' type, into `out`: the key of boundaries_ and type_changes_.
  static void TypeKeyInto(std::string& out, std::string_view tenant, std::string_view type);

  const Config config_;
  GenerationTable generations_;

  std::atomic<uint64_t> seen_epoch_{0};
  std::mutex catchup_mu_;  // one CatchUp at a time; held across its SQLite reads

  std::atomic<int64_t> applied_seq_{0};  // mirrors applied_.seq

  mutable std::mutex mu_;  // everything below
  storage::LogPosition applied_;
  std::deque<LoggedChange> history_;  // seq order; the newest config_.history_limit
  std::unordered_map<std::string, int64_t> scope_last_change_;  // DependencyIndex::ScopeKey → seq
  std::unordered_map<std::string, int64_t> root_last_change_;   // root id → seq
  std::unordered_map<std::string, storage::RootImage> images_;  // RootKey → as it stands
  std::deque<std::string> image_order_;                         // eviction order of images_
  DependencyIndex index_;
  DroppedKeys dropped_;  // lock-free; written under mu_, read without it
  size_t sweep_at_ = 4096;
  std::unordered_map<CacheKey, std::shared_ptr<const storage::ListingPredicate>, CacheKeyHash>
      predicates_;

  struct BoundaryEntry {
    bool known = false;
    uint64_t changes = 0;  // type_changes_ when computed
    int64_t after = 0;     // seconds: the time the boundary was looked up for
    std::optional<int64_t> boundary;
  };
  std::mutex boundary_mu_;
  std::unordered_map<std::string, BoundaryEntry> boundaries_;  // tenant '\x1f' type
  std::unordered_map<std::string, uint64_t> type_changes_;     // guarded by boundary_mu_

  StripedCounter invalidations_, resets_;
};

}  // namespace folio::detail
