#include "detail/dependency_index.h"

#include <algorithm>

namespace folio::detail {

std::optional<storage::SortPosition> ListedNowOrLater(const storage::ListingPredicate& predicate,
                                                      const storage::RootImage& root,
                                                      int64_t now_seconds) {
  if (auto at = predicate.Match(root, now_seconds)) return at;
  const storage::RowImage& row = root.on(predicate.axis());
  if (predicate.axis() == storage::Axis::kPublished && row.present && row.scheduled_at &&
      *row.scheduled_at > now_seconds) {
    return predicate.Match(root, *row.scheduled_at);
  }
  return std::nullopt;
}

bool InPageRange(const storage::ListingPredicate& predicate, const storage::SortPosition& position,
                 const std::optional<storage::SortPosition>& after,
                 const std::optional<storage::SortPosition>& through) {
  if (after && !predicate.After(position, *after)) return false;
  if (through && predicate.After(position, *through)) return false;
  return true;
}

std::string DependencyIndex::Scope(std::string_view tenant, std::string_view type,
                                   storage::Axis axis) {
  std::string scope;
  scope.reserve(tenant.size() + type.size() + 3);
  scope.append(tenant);
  scope.push_back('\x1f');
  scope.append(type);
  scope.push_back('\x1f');
  scope.push_back(axis == storage::Axis::kPublished ? 'p' : 'd');
  return scope;
}

void DependencyIndex::AddPage(const Slot& slot, const CacheKey& predicate_key,
                              std::shared_ptr<const storage::ListingPredicate> predicate,
                              std::optional<storage::SortPosition> after,
                              std::optional<storage::SortPosition> through,
                              std::vector<uint64_t> root_hashes) {
  Remove(slot.key);  // a refill replaces what the key depended on
  const std::string scope = Scope(predicate->tenant(), predicate->type(), predicate->axis());
  auto& listings = groups_[scope];
  auto& group = listings[predicate_key];
  if (group == nullptr) {
    group = std::make_unique<Group>();
    group->scope = scope;
    group->predicate_key = predicate_key;
    group->predicate = std::move(predicate);
  }
  group->pages.insert(slot.key);
  for (uint64_t root : root_hashes)
    by_root_[root].push_back(slot.key);
  Entry entry;
  entry.slot = slot;
  entry.group = group.get();
  entry.after = std::move(after);
  entry.through = std::move(through);
  entry.root_hashes = std::move(root_hashes);
  entry.axis = group->predicate->axis();
  entries_.insert_or_assign(slot.key, std::move(entry));
}

void DependencyIndex::AddDocument(const Slot& slot, uint64_t root_hash, storage::Axis axis) {
  Remove(slot.key);
  by_root_[root_hash].push_back(slot.key);
  Entry entry;
  entry.slot = slot;
  entry.root_hashes = {root_hash};
  entry.axis = axis;
  entries_.insert_or_assign(slot.key, std::move(entry));
}

void DependencyIndex::Remove(const CacheKey& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  if (Group* group = it->second.group) {
    group->pages.erase(key);
    if (group->pages.empty()) {
      auto scope = groups_.find(group->scope);
      scope->second.erase(group->predicate_key);  // destroys *group
      if (scope->second.empty()) groups_.erase(scope);
    }
  }
  entries_.erase(it);
}

size_t DependencyIndex::DropTouched(const storage::RootImage& root, uint64_t root_hash,
                                    const std::string& type, bool published, bool draft,
                                    int64_t now_seconds,
                                    const std::function<void(const Slot&)>& drop) {
  auto on_changed_axis = [&](storage::Axis axis) {
    return axis == storage::Axis::kPublished ? published : draft;
  };
  std::vector<CacheKey> doomed;
  // 1. Entries that show the root.
  if (auto list = by_root_.find(root_hash); list != by_root_.end()) {
    std::vector<CacheKey> kept;
    for (const CacheKey& key : list->second) {
      auto it = entries_.find(key);
      if (it == entries_.end()) continue;
      const Entry& entry = it->second;
      if (std::find(entry.root_hashes.begin(), entry.root_hashes.end(), root_hash) ==
          entry.root_hashes.end()) {
        continue;  // re-filed since without this root
      }
      if (on_changed_axis(entry.axis)) {
        doomed.push_back(key);
      } else {
        kept.push_back(key);
      }
    }
    if (kept.empty()) {
      by_root_.erase(list);
    } else {
      list->second = std::move(kept);
    }
  }
  // 2. Pages whose listing the root now belongs to, within their range.
  for (storage::Axis axis : {storage::Axis::kPublished, storage::Axis::kDraft}) {
    if (!on_changed_axis(axis)) continue;
    auto listings = groups_.find(Scope(root.tenant, type, axis));
    if (listings == groups_.end()) continue;
    for (const auto& [predicate_key, group] : listings->second) {
      const storage::ListingPredicate& predicate = *group->predicate;
      std::optional<storage::SortPosition> at = ListedNowOrLater(predicate, root, now_seconds);
      if (!at) continue;
      for (const CacheKey& key : group->pages) {
        const Entry& entry = entries_.at(key);
        if (InPageRange(predicate, *at, entry.after, entry.through)) doomed.push_back(key);
      }
    }
  }
  size_t dropped = 0;
  for (const CacheKey& key : doomed) {
    auto it = entries_.find(key);
    if (it == entries_.end()) continue;  // doomed twice
    drop(it->second.slot);
    Remove(key);
    ++dropped;
  }
  return dropped;
}

void DependencyIndex::Sweep(const std::function<bool(const Slot&)>& alive) {
  std::vector<CacheKey> dead;
  for (const auto& [key, entry] : entries_) {
    if (!alive(entry.slot)) dead.push_back(key);
  }
  for (const CacheKey& key : dead)
    Remove(key);
  by_root_.clear();
  for (const auto& [key, entry] : entries_) {
    for (uint64_t root : entry.root_hashes)
      by_root_[root].push_back(key);
  }
}

void DependencyIndex::Clear() {
  entries_.clear();
  by_root_.clear();
  groups_.clear();
}

size_t DependencyIndex::listings() const {
  size_t n = 0;
  for (const auto& [scope, listings] : groups_)
    n += listings.size();
  return n;
}

}  // namespace folio::detail
