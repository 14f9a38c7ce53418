#include "detail/dependency_index.h"

#include <algorithm>
#include <cmath>

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

namespace {

// One key per class of values CompareSqlValues calls equal: integers and integral reals in
// int64's range share theirs; NULL (and NaN) has none, as it equals nothing.
std::optional<std::string> ValueKey(const storage::SqlValue& v) {
  std::string key;
  if (const auto* i = std::get_if<int64_t>(&v)) {
    key = "n";
    key += std::to_string(*i);
  } else if (const auto* d = std::get_if<double>(&v)) {
    if (std::isnan(*d)) return std::nullopt;
    if (std::trunc(*d) == *d && *d >= -9223372036854775808.0 && *d < 9223372036854775808.0) {
      key = "n";
      key += std::to_string(static_cast<int64_t>(*d));
    } else {
      key = "r";
      key.append(reinterpret_cast<const char*>(d), sizeof *d);
    }
  } else if (const auto* t = std::get_if<std::string>(&v)) {
    key = "t";
    key += *t;
  } else {
    return std::nullopt;
  }
  return key;
}

std::string FieldKey(bool facet, const std::string& field) {
  std::string key(1, facet ? 'f' : 'q');
  key += field;
  return key;
}

}  // namespace

void DependencyIndex::ScopeKeyInto(std::string& out, std::string_view tenant, std::string_view type,
                                   storage::Axis axis) {
  out.assign(tenant);
  out.push_back('\x1f');
  out.append(type);
  out.push_back('\x1f');
  out.push_back(axis == storage::Axis::kPublished ? 'p' : 'd');
}

std::string DependencyIndex::ScopeKey(std::string_view tenant, std::string_view type,
                                      storage::Axis axis) {
  std::string key;
  ScopeKeyInto(key, tenant, type, axis);
  return key;
}

void DependencyIndex::AddPage(const Slot& slot, const CacheKey& predicate_key,
                              std::shared_ptr<const storage::ListingPredicate> predicate,
                              std::optional<storage::SortPosition> after,
                              std::optional<storage::SortPosition> through,
                              std::vector<uint64_t> root_hashes) {
  Remove(slot.key);  // a refill replaces what the key depended on
  const std::string scope_key = ScopeKey(predicate->tenant(), predicate->type(), predicate->axis());
  Scope& scope = scopes_[scope_key];
  auto& group = scope.groups[predicate_key];
  if (group == nullptr) {
    group = std::make_unique<Group>();
    group->scope = scope_key;
    group->predicate_key = predicate_key;
    group->predicate = std::move(predicate);
    std::optional<storage::ListingPredicate::EqualityKey> index = group->predicate->IndexKey();
    if (index) {
      group->index_field = FieldKey(index->facet, index->field);
      for (const auto& value : index->values) {
        if (auto key = ValueKey(value)) group->index_values.push_back(std::move(*key));
      }
      // `in (3, '3')` on an integer field is 3 twice: one filing per value.
      std::sort(group->index_values.begin(), group->index_values.end());
      group->index_values.erase(std::unique(group->index_values.begin(), group->index_values.end()),
                                group->index_values.end());
    }
    if (group->index_field.empty()) {
      scope.unindexed.insert(group.get());
    } else {
      auto& values = scope.by_value[group->index_field];
      for (const auto& value : group->index_values)
        values[value].insert(group.get());
    }
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
  for (uint64_t root : it->second.root_hashes) {
    auto list = by_root_.find(root);
    if (list == by_root_.end()) continue;
    std::erase(list->second, key);
    if (list->second.empty()) by_root_.erase(list);
  }
  if (Group* group = it->second.group) {
    group->pages.erase(key);
    if (group->pages.empty()) {
      auto scope = scopes_.find(group->scope);
      Scope& listings = scope->second;
      if (group->index_field.empty()) {
        listings.unindexed.erase(group);
      } else {
        auto field = listings.by_value.find(group->index_field);
        if (field != listings.by_value.end()) {
          for (const auto& value : group->index_values) {
            auto groups = field->second.find(value);
            if (groups == field->second.end()) continue;
            groups->second.erase(group);
            if (groups->second.empty()) field->second.erase(groups);
          }
          if (field->second.empty()) listings.by_value.erase(field);
        }
      }
      listings.groups.erase(group->predicate_key);  // destroys *group
      if (listings.groups.empty()) scopes_.erase(scope);
    }
  }
  entries_.erase(it);
}

void DependencyIndex::ForCandidates(const Scope& scope, const storage::RowImage& row,
                                    const std::function<void(const Group&)>& visit) {
  for (const Group* group : scope.unindexed)
    visit(*group);
  for (const auto& field_entry : scope.by_value) {
    // Not a structured binding: lambdas cannot capture those before C++20 P1091 (clang 14).
    const std::string& field_key = field_entry.first;
    const auto& values = field_entry.second;
    auto visit_value = [&](const storage::SqlValue& value) {
      auto key = ValueKey(value);
      if (!key) return;
      auto groups = values.find(*key);
      if (groups == values.end()) return;
      for (const Group* group : groups->second)
        visit(*group);
    };
    const std::string_view field = std::string_view(field_key).substr(1);
    if (field_key[0] == 'f') {
      // A listing filed under two of the row's facet values is visited twice: harmless. A
      // facet stored as a number matches filters by numeric value ("5", "5.0"), which the
      // filing by text cannot tell: every listing of that facet is a candidate.
      for (const auto& facet : row.facets) {
        if (facet.field != field) continue;
        if (facet.text) {
          visit_value(storage::SqlValue(*facet.text));
        } else if (facet.number) {
          for (const auto& [value_key, groups] : values) {
            for (const Group* group : groups)
              visit(*group);
          }
        }
      }
    } else {
      for (const auto& [name, value] : row.fields) {
        if (name == field) {
          visit_value(value);
          break;
        }
      }
    }
  }
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
  // The list is exact (Remove keeps it so); the doomed leave it through Remove below.
  if (auto list = by_root_.find(root_hash); list != by_root_.end()) {
    for (const CacheKey& key : list->second) {
      if (on_changed_axis(entries_.at(key).axis)) doomed.push_back(key);
    }
  }
  // 2. Pages whose listing the root now belongs to, within their range.
  for (storage::Axis axis : {storage::Axis::kPublished, storage::Axis::kDraft}) {
    if (!on_changed_axis(axis) || !root.on(axis).present) continue;  // no row: no listing
    auto scope = scopes_.find(ScopeKey(root.tenant, type, axis));
    if (scope == scopes_.end()) continue;
    ForCandidates(scope->second, root.on(axis), [&](const Group& group) {
      const storage::ListingPredicate& predicate = *group.predicate;
      std::optional<storage::SortPosition> at = ListedNowOrLater(predicate, root, now_seconds);
      if (!at) return;
      for (const CacheKey& key : group.pages) {
        const Entry& entry = entries_.at(key);
        if (InPageRange(predicate, *at, entry.after, entry.through)) doomed.push_back(key);
      }
    });
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
}

void DependencyIndex::Clear() {
  entries_.clear();
  by_root_.clear();
  scopes_.clear();
}

size_t DependencyIndex::root_filings() const {
  size_t n = 0;
  for (const auto& [root, keys] : by_root_)
    n += keys.size();
  return n;
}

size_t DependencyIndex::listings() const {
  size_t n = 0;
  for (const auto& [key, scope] : scopes_)
    n += scope.groups.size();
  return n;
}

}  // namespace folio::detail
