#include "folio/cache/lru_cache.h"

#include <xxhash.h>

#include <algorithm>
#include <string>
#include <thread>

#include "detail/lru_shard.h"

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

}  // namespace

Result<std::unique_ptr<LruCache>> LruCache::Open(const LruOptions& options) {
  if (options.shard_bits < -1 || options.shard_bits > kMaxShardBits) {
    return Status::InvalidArgument("shard_bits " + std::to_string(options.shard_bits) +
                                   " is out of range -1..." + std::to_string(kMaxShardBits));
  }
  const int shard_bits = options.shard_bits == -1 ? AutoShardBits() : options.shard_bits;
  const Clock* clock = options.clock != nullptr ? options.clock : Clock::Real();
  return std::unique_ptr<LruCache>(new LruCache(options.capacity_bytes, shard_bits, clock));
}

LruCache::LruCache(size_t capacity, int shard_bits, const Clock* clock)
    : capacity_(capacity),
      shard_bits_(shard_bits),
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
  return ShardFor(hash).Lookup(key, hash, nullptr);
}

Value LruCache::Lookup(std::string_view key, uint64_t hash, int64_t* expires_at_micros) {
  return ShardFor(hash).Lookup(key, hash, expires_at_micros);
}

void LruCache::Insert(std::string_view key, Value value, int64_t ttl_micros) {
  Insert(key, HashKey(key), std::move(value), ttl_micros);
}

void LruCache::Insert(std::string_view key, uint64_t hash, Value value, int64_t ttl_micros) {
  ShardFor(hash).Insert(key, hash, std::move(value), ttl_micros);
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
  return stats;
}

}  // namespace folio::cache
