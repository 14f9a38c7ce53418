// DependencyIndex: which cached entries (listing pages and single documents) a change to a
// root can reach, found without scanning the cache.
//
// A page is filed twice: under each root it shows (a change to one of its rows drops it), and
// in its listing's group under (tenant, type, axis), where a change is matched once per
// listing (ListingPredicate::Match) and then against each page's key range. A document is
// filed under its root. So the cost of a change is the number of listings of its (tenant,
// type, axis) plus the entries it drops — never the size of the cache.
//
// Entries are removed when dropped; entries whose L1 copy was evicted are swept out in
// batches (Sweep), so the index stays proportional to what L1 holds.
//
// Thread-safety: none; the owner (Freshness) serializes every call.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "detail/page_codec.h"
#include "detail/query_key.h"
#include "folio/storage/changes.h"

namespace folio::detail {

struct CacheKeyHash {
  size_t operator()(const CacheKey& k) const noexcept {
    uint64_t h;
    std::memcpy(&h, k.data(), sizeof h);  // keys are hashes already
    return static_cast<size_t>(h);
  }
};

// Where `root` stands in the listing of `predicate` now, or — when its published row is
// scheduled to go live later — once it does: a page that will show the row at its
// scheduled_at must go now, since it was given no deadline for that instant.
std::optional<storage::SortPosition> ListedNowOrLater(const storage::ListingPredicate& predicate,
                                                      const storage::RootImage& root,
                                                      int64_t now_seconds);

// True when `position` falls inside (after, through].
bool InPageRange(const storage::ListingPredicate& predicate, const storage::SortPosition& position,
                 const std::optional<storage::SortPosition>& after,
                 const std::optional<storage::SortPosition>& through);

class DependencyIndex {
 public:
  // Where an entry lives in L1, to drop it.
  struct Slot {
    CacheKey key;
    uint64_t hash;  // LruCache::HashKey(key)
  };

  // Files a listing page. `predicate_key` groups the pages of one listing (PredicateKey).
  void AddPage(const Slot& slot, const CacheKey& predicate_key,
               std::shared_ptr<const storage::ListingPredicate> predicate,
               std::optional<storage::SortPosition> after,
               std::optional<storage::SortPosition> through, std::vector<uint64_t> root_hashes);
  // Files a single document of `root_hash` (RootHash) read on `axis`.
  void AddDocument(const Slot& slot, uint64_t root_hash, storage::Axis axis);

  // Calls `drop` for (and removes) every entry that `root` — as it stands now, changed on the
  // axes given — can alter; `root_hash` is RootHash(root.tenant, root.root_id) and `type` is
  // the type the change names (a row that moved between types is logged under both).
  // Returns how many entries were dropped.
  size_t DropTouched(const storage::RootImage& root, uint64_t root_hash, const std::string& type,
                     bool published, bool draft, int64_t now_seconds,
                     const std::function<void(const Slot&)>& drop);

  // The key of a (tenant, type, axis): tenant '\x1f' type '\x1f' 'p'|'d'.
  static std::string ScopeKey(std::string_view tenant, std::string_view type, storage::Axis axis);
  // The same into `out`, reusing its buffer.
  static void ScopeKeyInto(std::string& out, std::string_view tenant, std::string_view type,
                           storage::Axis axis);

  // Removes every entry for which `alive` is false.
  void Sweep(const std::function<bool(const Slot&)>& alive);
  void Clear();
  size_t size() const { return entries_.size(); }
  size_t listings() const;
  // How many (root, entry) filings the per-root lists hold: one per root of each entry.
  size_t root_filings() const;

 private:
  struct Group;
  struct Entry {
    Slot slot;
    Group* group = nullptr;  // pages only
    std::optional<storage::SortPosition> after, through;
    std::vector<uint64_t> root_hashes;  // pages: its rows; documents: its root
    storage::Axis axis = storage::Axis::kPublished;
  };
  struct Group {
    std::string scope;  // tenant '\x1f' type '\x1f' axis
    CacheKey predicate_key;
    std::shared_ptr<const storage::ListingPredicate> predicate;
    std::unordered_set<CacheKey, CacheKeyHash> pages;
    // Where the group is filed by value (ListingPredicate::IndexKey): field key and values.
    std::string index_field;
    std::vector<std::string> index_values;
  };
  // The listings of one (tenant, type, axis). A listing whose predicate names an equality
  // (IndexKey) is filed under each of its values, so a change is matched only against the
  // listings its row's values can satisfy, and against the others (`unindexed`).
  struct Scope {
    std::unordered_map<CacheKey, std::unique_ptr<Group>, CacheKeyHash> groups;
    std::unordered_set<Group*> unindexed;
    // field key ('q' + field, or 'f' + facet name) → value key → listings
    std::unordered_map<std::string, std::unordered_map<std::string, std::unordered_set<Group*>>>
        by_value;
  };

  void Remove(const CacheKey& key);
  // Calls `visit` for every listing of `scope` that `row` may match.
  static void ForCandidates(const Scope& scope, const storage::RowImage& row,
                            const std::function<void(const Group&)>& visit);

  std::unordered_map<CacheKey, Entry, CacheKeyHash> entries_;
  // root hash → the entries that show it. Exact: Remove takes an entry off its roots' lists,
  // so a page filled again and again (a hot page after each publish) does not grow them.
  std::unordered_map<uint64_t, std::vector<CacheKey>> by_root_;
  std::unordered_map<std::string, Scope> scopes_;
};

}  // namespace folio::detail
