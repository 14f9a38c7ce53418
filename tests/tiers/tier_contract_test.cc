// One contract, two tiers: the in-process LRU (cache/) and the LMDB tier (kv/) both store
// opaque bytes under opaque keys, with a per-entry TTL. Each test here runs over both.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "folio/base/clock.h"
#include "folio/cache/lru_cache.h"
#include "folio/kv/kv_store.h"

namespace folio {
namespace {

// The shared surface, adapted from each tier's own API.
class Tier {
 public:
  virtual ~Tier() = default;
  virtual void Put(const std::string& key, const std::string& value, int64_t ttl_micros) = 0;
  virtual std::optional<std::string> Get(const std::string& key) = 0;
  virtual void Erase(const std::string& key) = 0;
  virtual void Clear() = 0;
};

class LruTier : public Tier {
 public:
  explicit LruTier(const Clock* clock) {
    cache::LruOptions options;
    options.capacity_bytes = 64 << 20;
    options.clock = clock;
    cache_ = std::move(*cache::LruCache::Open(options));
  }
  void Put(const std::string& key, const std::string& value, int64_t ttl) override {
    cache_->Insert(key, std::make_shared<const std::string>(value), ttl);
  }
  std::optional<std::string> Get(const std::string& key) override {
    cache::Value v = cache_->Lookup(key);
    if (v == nullptr) return std::nullopt;
    return *v;
  }
  void Erase(const std::string& key) override { cache_->Erase(key); }
  void Clear() override { cache_->Clear(); }

 private:
  std::unique_ptr<cache::LruCache> cache_;
};

class KvTier : public Tier {
 public:
  explicit KvTier(const Clock* clock)
      : dir_(std::filesystem::temp_directory_path() /
             ("folio_contract_" + std::to_string(::getpid()) + "_" +
              std::to_string(reinterpret_cast<uintptr_t>(this)))) {
    std::filesystem::remove_all(dir_);
    kv::KvOptions options;
    options.dir = dir_.string();
    options.map_size_bytes = 64 << 20;
    options.durable_commits = false;
    options.clock = clock;
    auto store = kv::KvStore::Open(options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }
  ~KvTier() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Put(const std::string& key, const std::string& value, int64_t ttl) override {
    Status s = store_->Put(key, value, ttl);
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  std::optional<std::string> Get(const std::string& key) override {
    auto v = store_->GetCopy(key);
    if (!v.ok()) {
      EXPECT_TRUE(v.status().IsNotFound()) << v.status().ToString();
      return std::nullopt;
    }
    return *v;
  }
  void Erase(const std::string& key) override { EXPECT_TRUE(store_->Erase(key).ok()); }
  void Clear() override { EXPECT_TRUE(store_->Clear().ok()); }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<kv::KvStore> store_;
};

using TierFactory = std::function<std::unique_ptr<Tier>(const Clock*)>;

class TierContractTest : public ::testing::TestWithParam<std::pair<const char*, TierFactory>> {
 protected:
  void SetUp() override { tier_ = GetParam().second(&clock_); }
  ManualClock clock_;
  std::unique_ptr<Tier> tier_;
};

TEST_P(TierContractTest, MissThenHitReturnsTheExactBytes) {
  EXPECT_EQ(tier_->Get("k"), std::nullopt);
  const std::string binary("a\0b\xff\x01", 5);
  tier_->Put("k", binary, 0);
  EXPECT_EQ(tier_->Get("k"), binary);
  EXPECT_EQ(tier_->Get("K"), std::nullopt) << "keys are bytes: case matters";
}

TEST_P(TierContractTest, PutReplacesTheValue) {
  tier_->Put("k", "one", 0);
  tier_->Put("k", "two", 0);
  EXPECT_EQ(tier_->Get("k"), "two");
}

TEST_P(TierContractTest, EraseRemovesOnlyThatKey) {
  tier_->Put("a", "1", 0);
  tier_->Put("b", "2", 0);
  tier_->Erase("a");
  tier_->Erase("never-there");
  EXPECT_EQ(tier_->Get("a"), std::nullopt);
  EXPECT_EQ(tier_->Get("b"), "2");
}

TEST_P(TierContractTest, ClearRemovesEverything) {
  for (int i = 0; i < 50; ++i)
    tier_->Put("key" + std::to_string(i), std::to_string(i), 0);
  tier_->Clear();
  for (int i = 0; i < 50; ++i)
    EXPECT_EQ(tier_->Get("key" + std::to_string(i)), std::nullopt);
  tier_->Put("after", "x", 0);
  EXPECT_EQ(tier_->Get("after"), "x");
}

TEST_P(TierContractTest, TtlExpiresExactlyAtTheDeadline) {
  tier_->Put("short", "s", 5'000'000);
  tier_->Put("forever", "f", 0);
  clock_.AdvanceMicros(4'999'999);
  EXPECT_EQ(tier_->Get("short"), "s");
  clock_.AdvanceMicros(1);
  EXPECT_EQ(tier_->Get("short"), std::nullopt);
  clock_.AdvanceSeconds(10LL * 365 * 24 * 3600);
  EXPECT_EQ(tier_->Get("forever"), "f");
}

TEST_P(TierContractTest, ReplacingAnEntryReplacesItsTtl) {
  tier_->Put("k", "old", 1'000'000);
  tier_->Put("k", "new", 0);
  clock_.AdvanceSeconds(5);
  EXPECT_EQ(tier_->Get("k"), "new");
}

TEST_P(TierContractTest, PageSizedValuesRoundTrip) {
  std::string page(24 * 1024, '\0');
  for (size_t i = 0; i < page.size(); ++i)
    page[i] = static_cast<char>(i * 31 + 7);
  for (int i = 0; i < 20; ++i)
    tier_->Put("page" + std::to_string(i), page + char('A' + i), 0);
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(tier_->Get("page" + std::to_string(i)), page + char('A' + i));
}

INSTANTIATE_TEST_SUITE_P(
    BothTiers, TierContractTest,
    ::testing::Values(
        std::pair<const char*, TierFactory>{
            "lru", [](const Clock* c) { return std::unique_ptr<Tier>(new LruTier(c)); }},
        std::pair<const char*, TierFactory>{
            "kv", [](const Clock* c) { return std::unique_ptr<Tier>(new KvTier(c)); }}),
    [](const auto& info) { return std::string(info.param.first); });

}  // namespace
}  // namespace folio
