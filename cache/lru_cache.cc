#include "folio/cache/lru_cache.h"

#include <xxhash.h>

#include <algorithm>
#include <string>
#include <thread>

#include "detail/lru_shard.h"
#include "detail/thread_front.h"

namespace folio::cache {

namespace {

// The next power of two >= 4 x hardware threads, at least 16 shards: enough that threads
// rarely meet on one shard's mutex, few enough that each shard keeps a useful slice of capacity.
int AutoShardBits() {
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  const size_t wanted = std::max<size_t>(16, size_t{4} * threads);
  int bits = 0;
  while ((size_t{1} << bits) < wanted && bits < LruCache::kMaxShardBits)
    ++bits;
  return bits;
}

std::atomic<uint64_t> next_cache_id{1};

}  // namespace

Result<std::unique_ptr<LruCache>> LruCache::Open(const LruOptions& options) {
  if (options.shard_bits < -1 || options.shard_bits > kMaxShardBits) {
    return Status::InvalidArgument("shard_bits " + std::to_string(options.shard_bits) +
                                   " is out of range -1..." + std::to_string(kMaxShardBits));
  }
  const int shard_bits = options.shard_bits == -1 ? AutoShardBits() : options.shard_bits;
  const Clock* clock = options.clock != nullptr ? options.clock : Clock::Real();
  return std::unique_ptr<LruCache>(
      new LruCache(options.capacity_bytes, shard_bits, clock, options.thread_front));
}

LruCache::LruCache(size_t capacity, int shard_bits, const Clock* clock, bool thread_front)
    : capacity_(capacity),
      shard_bits_(shard_bits),
      clock_(clock),
      thread_front_(thread_front && capacity > 0),
      id_(next_cache_id.fetch_add(1, std::memory_order_relaxed)),
      shards_(std::make_unique<detail::LruShard[]>(size_t{1} << shard_bits)) {
  // Split capacity so the shares add up to it exactly: the first `remainder` shards get one
  // byte more.
  const size_t shards = num_shards();
  const size_t share = capacity / shards;
  const size_t remainder = capacity % shards;
  for (size_t i = 0; i < shards; ++i) {
    shards_[i].Init(share + (i < remainder ? 1 : 0), clock);
  }
}

LruCache::~LruCache() = default;

uint64_t LruCache::HashKey(std::string_view key) noexcept {
  return XXH3_64bits(key.data(), key.size());
}

detail::LruShard& LruCache::ShardFor(uint64_t hash) const noexcept {
  // The top bits pick the shard; the shard's hash table uses the low bits.
  return shards_[shard_bits_ == 0 ? 0 : hash >> (64 - shard_bits_)];
}

Value LruCache::Lookup(std::string_view key) {
  return Lookup(key, HashKey(key));
}

Value LruCache::Lookup(std::string_view key, uint64_t hash) {
  return Lookup(key, hash, nullptr);
}

Value LruCache::Lookup(std::string_view key, uint64_t hash, int64_t* expires_at_micros) {
  detail::LruShard& shard = ShardFor(hash);
  if (!thread_front_) return shard.Lookup(key, hash, expires_at_micros);
  // The epoch is read before anything else: a copy is trusted only if no Insert, Erase or
  // Clear of this shard finished since it was taken.
  const uint64_t epoch = shard.epoch();
  Value front = detail::ThreadFront::Lookup(
      id_, epoch, key, hash, [this] { return clock_->NowMicros(); }, expires_at_micros);
  if (front != nullptr) {
    front_hits_.Add();
    if (detail::ThreadFront::ShouldPromote()) shard.Touch(key, hash);
    return front;
  }
  int64_t expires_at = 0;
  Value hit = shard.Lookup(key, hash, &expires_at);
  if (hit != nullptr) {
    detail::ThreadFront::Remember(id_, epoch, key, hash, hit, expires_at);
    if (expires_at_micros != nullptr) *expires_at_micros = expires_at;
  }
  return hit;
}

void LruCache::Insert(std::string_view key, Value value, int64_t ttl_micros) {
  Insert(key, HashKey(key), std::move(value), ttl_micros);
}

void LruCache::Insert(std::string_view key, uint64_t hash, Value value, int64_t ttl_micros) {
  ShardFor(hash).Insert(key, hash, std::move(value), ttl_micros);
}

bool LruCache::Contains(std::string_view key, uint64_t hash) const {
  return ShardFor(hash).Contains(key, hash);
}

bool LruCache::Erase(std::string_view key) {
  return Erase(key, HashKey(key));
}

bool LruCache::Erase(std::string_view key, uint64_t hash) {
  return ShardFor(hash).Erase(key, hash);
}

void LruCache::Clear() {
  for (size_t i = 0; i < num_shards(); ++i)
    shards_[i].Clear();
}

LruStats LruCache::GetStats() const {
  LruStats stats;
  for (size_t i = 0; i < num_shards(); ++i)
    shards_[i].AddStatsTo(&stats);
  stats.front_hits = front_hits_.Sum();
  stats.hits += stats.front_hits;
  return stats;
}

}  // namespace folio::cache
