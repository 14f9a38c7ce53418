#include "detail/lru_shard.h"

#include <cassert>
#include <cstring>
#include <new>
#include <utility>

namespace folio::cache::detail {

// ---- LruEntry ----

namespace {

// The bytes to allocate for an entry with a key of `key_size` bytes: rounded up to whole
// alignment units, so no two entries share a cache line.
size_t EntryAllocationSize(size_t key_size) {
  const size_t size = sizeof(LruEntry) + key_size;
  return (size + kEntryAlignment - 1) / kEntryAlignment * kEntryAlignment;
}

}  // namespace

LruEntry* LruEntry::Create(std::string_view key, uint64_t hash, Value value,
                           int64_t expires_at_micros, size_t charge) {
  void* memory =
      ::operator new (EntryAllocationSize(key.size()), std::align_val_t{kEntryAlignment});
  auto* entry = new (memory) LruEntry();
  entry->value = std::move(value);
  entry->hash = hash;
  entry->expires_at_micros = expires_at_micros;
  entry->charge = charge;
  entry->key_size = key.size();
  if (!key.empty()) std::memcpy(reinterpret_cast<char*>(entry + 1), key.data(), key.size());
  return entry;
}

void LruEntry::Destroy(LruEntry* entry) noexcept {
  const size_t size = EntryAllocationSize(entry->key_size);
  entry->~LruEntry();
  ::operator delete (entry, size, std::align_val_t{kEntryAlignment});
}

void LruEntry::DestroyChain(LruEntry* head) noexcept {
  while (head != nullptr) {
    LruEntry* next = head->next_hash;
    Destroy(head);
    head = next;
  }
}

// ---- LruHashTable ----

namespace {
constexpr size_t kInitialBuckets = 16;
}  // namespace

LruHashTable::LruHashTable()
    : length_(kInitialBuckets), buckets_(std::make_unique<LruEntry*[]>(kInitialBuckets)) {}

LruEntry** LruHashTable::FindPointer(std::string_view key, uint64_t hash) const noexcept {
  LruEntry** ptr = &buckets_[hash & (length_ - 1)];
  while (*ptr != nullptr && ((*ptr)->hash != hash || (*ptr)->key() != key)) {
    ptr = &(*ptr)->next_hash;
  }
  return ptr;
}

LruEntry* LruHashTable::Lookup(std::string_view key, uint64_t hash) const noexcept {
  return *FindPointer(key, hash);
}

LruEntry* LruHashTable::Insert(LruEntry* entry) {
  LruEntry** ptr = FindPointer(entry->key(), entry->hash);
  LruEntry* old = *ptr;
  entry->next_hash = (old == nullptr) ? nullptr : old->next_hash;
  *ptr = entry;
  if (old == nullptr) {
    ++elems_;
    if (elems_ > length_) Grow();
  }
  return old;
}

LruEntry* LruHashTable::Remove(std::string_view key, uint64_t hash) noexcept {
  LruEntry** ptr = FindPointer(key, hash);
  LruEntry* found = *ptr;
  if (found != nullptr) {
    *ptr = found->next_hash;
    --elems_;
  }
  return found;
}

void LruHashTable::RemoveEntry(LruEntry* entry) noexcept {
  LruEntry** ptr = &buckets_[entry->hash & (length_ - 1)];
  while (*ptr != entry) {
    assert(*ptr != nullptr && "RemoveEntry: entry not in the table");
    ptr = &(*ptr)->next_hash;
  }
  *ptr = entry->next_hash;
  --elems_;
}

void LruHashTable::Clear() noexcept {
  for (size_t i = 0; i < length_; ++i)
    buckets_[i] = nullptr;
  elems_ = 0;
}

void LruHashTable::Grow() {
  const size_t new_length = length_ * 2;
  auto new_buckets = std::make_unique<LruEntry*[]>(new_length);
  for (size_t i = 0; i < length_; ++i) {
    LruEntry* entry = buckets_[i];
    while (entry != nullptr) {
      LruEntry* next = entry->next_hash;
      LruEntry** head = &new_buckets[entry->hash & (new_length - 1)];
      entry->next_hash = *head;
      *head = entry;
      entry = next;
    }
  }
  buckets_ = std::move(new_buckets);
  length_ = new_length;
}

// ---- LruShard ----

LruShard::~LruShard() {
  LruLinks* link = lru_.next;
  while (link != &lru_) {
    LruLinks* next = link->next;
    LruEntry::Destroy(static_cast<LruEntry*>(link));
    link = next;
  }
}

void LruShard::Init(size_t capacity_bytes, const Clock* clock) noexcept {
  capacity_ = capacity_bytes;
  clock_ = clock;
}

void LruShard::Detach(LruEntry* entry, LruEntry** garbage) noexcept {
  entry->prev->next = entry->next;
  entry->next->prev = entry->prev;
  usage_ -= entry->charge;
  entry->next_hash = *garbage;
  *garbage = entry;
}

void LruShard::AppendNewest(LruEntry* entry) noexcept {
  entry->next = &lru_;
  entry->prev = lru_.prev;
  entry->prev->next = entry;
  entry->next->prev = entry;
}

Value LruShard::Lookup(std::string_view key, uint64_t hash, int64_t* expires_at_micros) {
  Value result;
  LruEntry* garbage = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    LruEntry* entry = table_.Lookup(key, hash);
    if (entry == nullptr) {
      ++misses_;
    } else if (entry->expires_at_micros != 0 && entry->ExpiredAt(clock_->NowMicros())) {
      table_.RemoveEntry(entry);
      Detach(entry, &garbage);
      ++expirations_;
      ++misses_;
    } else {
      // Move to the newest end.
      entry->prev->next = entry->next;
      entry->next->prev = entry->prev;
      AppendNewest(entry);
      ++hits_;
      result = entry->value;  // one reference count increment; no bytes copied
      if (expires_at_micros != nullptr) *expires_at_micros = entry->expires_at_micros;
    }
  }
  LruEntry::DestroyChain(garbage);
  return result;
}

void LruShard::Insert(std::string_view key, uint64_t hash, Value value, int64_t ttl_micros) {
  // A null value or a negative TTL is "nothing to cache": it only removes the old entry.
  const bool has_value = value != nullptr && ttl_micros >= 0;
  const size_t charge = key.size() + (value != nullptr ? value->size() : 0) + kEntryOverheadBytes;
  const bool cacheable = has_value && charge <= capacity_;
  // Read once: it dates the new entry and tells expired victims from live ones below.
  const int64_t now = clock_->NowMicros();

  // Allocate (and copy the key) before taking the lock.
  LruEntry* fresh = nullptr;
  if (cacheable) {
    fresh = LruEntry::Create(key, hash, std::move(value), ttl_micros > 0 ? now + ttl_micros : 0,
                             charge);
  }

  LruEntry* garbage = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (fresh == nullptr) {
      // Not cached; drop the old value so a stale one is never served after this call.
      if (has_value) ++rejected_inserts_;
      if (LruEntry* old = table_.Remove(key, hash)) Detach(old, &garbage);
    } else {
      if (LruEntry* old = table_.Insert(fresh)) Detach(old, &garbage);
      AppendNewest(fresh);
      usage_ += charge;
      ++inserts_;
      // charge <= capacity_, so this stops before it reaches `fresh`, the newest entry.
      while (usage_ > capacity_) {
        auto* victim = static_cast<LruEntry*>(lru_.next);
        assert(victim != fresh);
        table_.RemoveEntry(victim);
        Detach(victim, &garbage);
        if (victim->ExpiredAt(now)) {
          ++expirations_;
        } else {
          ++evictions_;
        }
      }
    }
    BumpEpoch();  // a front's copy of this key (evicted here or not) may now be stale
  }
  LruEntry::DestroyChain(garbage);
}

void LruShard::Touch(std::string_view key, uint64_t hash) {
  std::lock_guard<std::mutex> lock(mu_);
  if (LruEntry* entry = table_.Lookup(key, hash)) {
    entry->prev->next = entry->next;
    entry->next->prev = entry->prev;
    AppendNewest(entry);
  }
}

bool LruShard::Contains(std::string_view key, uint64_t hash) {
  std::lock_guard<std::mutex> lock(mu_);
  return table_.Lookup(key, hash) != nullptr;
}

bool LruShard::Erase(std::string_view key, uint64_t hash) {
  LruEntry* garbage = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (LruEntry* entry = table_.Remove(key, hash)) Detach(entry, &garbage);
    BumpEpoch();
  }
  const bool erased = garbage != nullptr;
  LruEntry::DestroyChain(garbage);
  return erased;
}

void LruShard::Clear() {
  LruEntry* garbage = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    // Chain every entry for destruction and reset the list, table and charge in one go.
    for (LruLinks* link = lru_.next; link != &lru_; link = link->next) {
      auto* entry = static_cast<LruEntry*>(link);
      entry->next_hash = garbage;
      garbage = entry;
    }
    lru_.next = lru_.prev = &lru_;
    table_.Clear();
    usage_ = 0;
    BumpEpoch();
  }
  LruEntry::DestroyChain(garbage);
}

void LruShard::AddStatsTo(LruStats* stats) const {
  std::lock_guard<std::mutex> lock(mu_);
  stats->hits += hits_;
  stats->misses += misses_;
  stats->inserts += inserts_;
  stats->rejected_inserts += rejected_inserts_;
  stats->evictions += evictions_;
  stats->expirations += expirations_;
  stats->bytes_in_use += usage_;
  stats->entries += table_.size();
}

}  // namespace folio::cache::detail
