// Behaviour of folio::kv::KvStore in one process: reads, writes, TTL, persistence, the bound.

#include "folio/kv/kv_store.h"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "kv_test_util.h"

namespace folio::kv {
namespace {

using testing::Key;
using testing::MakeValue;
using testing::TempDir;

constexpr size_t kSmallMap = size_t{2} << 20;  // 2 MiB
constexpr size_t kValueBytes = 16 << 10;       // 16 KiB

class KvStoreTest : public ::testing::Test {
 protected:
  KvOptions Options() const {
    KvOptions options;
    options.dir = dir_.path();
    options.map_size_bytes = kSmallMap;
    options.clock = &clock_;
    return options;
  }

  std::unique_ptr<KvStore> OpenStore(const KvOptions& options) {
    Result<std::unique_ptr<KvStore>> store = KvStore::Open(options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }

  TempDir dir_;
  ManualClock clock_;
};

TEST_F(KvStoreTest, PutThenGetHandsTheVisitorTheStoredBytes) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  const std::string value = MakeValue(5000, 1);
  ASSERT_TRUE(store->Put("k", value).ok());

  int calls = 0;
  std::string seen;
  Status status = store->Get("k", [&](std::string_view bytes) {
    ++calls;
    seen.assign(bytes);
  });
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(seen, value);

  Result<std::string> copy = store->GetCopy("k");
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(*copy, value);

  KvStats stats = store->Stats();
  EXPECT_EQ(stats.hits, 2u);
  EXPECT_EQ(stats.misses, 0u);
  EXPECT_EQ(stats.puts, 1u);
  EXPECT_EQ(stats.entries, 1u);
}

TEST_F(KvStoreTest, MissingKeyIsNotFoundAndNeverCallsTheVisitor) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  bool called = false;
  Status status = store->Get("absent", [&](std::string_view) { called = true; });
  EXPECT_TRUE(status.IsNotFound()) << status.ToString();
  EXPECT_FALSE(called);
  EXPECT_TRUE(store->GetCopy("absent").status().IsNotFound());
  EXPECT_EQ(store->Stats().misses, 2u);
}

TEST_F(KvStoreTest, EmptyValueRoundTrips) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Put("empty", "").ok());
  Result<std::string> copy = store->GetCopy("empty");
  ASSERT_TRUE(copy.ok()) << copy.status().ToString();
  EXPECT_EQ(*copy, "");
}

TEST_F(KvStoreTest, OverwriteReplacesTheValue) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Put("k", MakeValue(3000, 1)).ok());
  ASSERT_TRUE(store->Put("k", MakeValue(7000, 2)).ok());
  Result<std::string> copy = store->GetCopy("k");
  ASSERT_TRUE(copy.ok());
  EXPECT_EQ(*copy, MakeValue(7000, 2));
  EXPECT_EQ(store->Stats().entries, 1u);
}

TEST_F(KvStoreTest, EraseRemovesTheEntryAndIsIdempotent) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Put("a", "1").ok());
  ASSERT_TRUE(store->Put("b", "2").ok());
  ASSERT_TRUE(store->Erase("a").ok());
  EXPECT_TRUE(store->GetCopy("a").status().IsNotFound());
  EXPECT_EQ(*store->GetCopy("b"), "2");
  EXPECT_TRUE(store->Erase("a").ok());
  EXPECT_TRUE(store->Erase("never").ok());
  KvStats stats = store->Stats();
  EXPECT_EQ(stats.erases, 1u);
  EXPECT_EQ(stats.entries, 1u);
}

TEST_F(KvStoreTest, ClearDropsEveryEntry) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(store->Put(Key(i), MakeValue(1000, i)).ok());
  ASSERT_TRUE(store->Clear().ok());
  EXPECT_EQ(store->Stats().entries, 0u);
  for (int i = 0; i < 20; ++i)
    EXPECT_TRUE(store->GetCopy(Key(i)).status().IsNotFound());
  ASSERT_TRUE(store->Put("after", "x").ok());
  EXPECT_EQ(*store->GetCopy("after"), "x");
}

TEST_F(KvStoreTest, RejectsBadArguments) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->Put("", "v").IsInvalidArgument());
  EXPECT_TRUE(store->Put(std::string(512, 'k'), "v").IsInvalidArgument());
  EXPECT_TRUE(store->Put(std::string(511, 'k'), "v").ok());
  EXPECT_TRUE(store->Put("k", "v", -5).IsInvalidArgument());
  EXPECT_EQ(store->Put("k", std::string(kSmallMap / 16 + 1, 'v')).code(), Status::Code::kTooLarge);
  EXPECT_TRUE(store->Get("", [](std::string_view) {}).IsInvalidArgument());

  KvOptions bad = Options();
  bad.evict_low_watermark = 0.9;
  bad.evict_high_watermark = 0.8;
  EXPECT_TRUE(KvStore::Open(bad).status().IsInvalidArgument());
  bad = Options();
  bad.dir.clear();
  EXPECT_TRUE(KvStore::Open(bad).status().IsInvalidArgument());
}

TEST_F(KvStoreTest, ExpiredEntryIsAMissIsCountedAndIsReclaimedByTheNextWrite) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Put("short", "v", /*ttl_micros=*/10'000'000).ok());
  ASSERT_TRUE(store->Put("forever", "w", /*ttl_micros=*/0).ok());
  EXPECT_TRUE(store->GetCopy("short").ok());

  clock_.AdvanceMicros(9'999'999);
  EXPECT_TRUE(store->GetCopy("short").ok()) << "expires at exactly +10 s, not before";
  clock_.AdvanceMicros(1);
  EXPECT_TRUE(store->GetCopy("short").status().IsNotFound());
  EXPECT_TRUE(store->GetCopy("forever").ok());

  KvStats stats = store->Stats();
  EXPECT_EQ(stats.expirations, 1u);
  EXPECT_EQ(stats.entries, 2u) << "a reader never deletes";

  ASSERT_TRUE(store->Put("other", "x").ok());
  stats = store->Stats();
  EXPECT_EQ(stats.expired_reclaimed, 1u);
  EXPECT_EQ(stats.entries, 2u);  // forever + other
  EXPECT_TRUE(store->GetCopy("short").status().IsNotFound());
}

TEST_F(KvStoreTest, DefaultTtlAppliesWhenPutIsGivenNone) {
  KvOptions options = Options();
  options.default_ttl_micros = 1'000'000;
  auto store = OpenStore(options);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Put("defaulted", "v").ok());
  ASSERT_TRUE(store->Put("pinned", "v", 0).ok());
  clock_.AdvanceSeconds(1);
  EXPECT_TRUE(store->GetCopy("defaulted").status().IsNotFound());
  EXPECT_TRUE(store->GetCopy("pinned").ok());
}

TEST_F(KvStoreTest, MaintainReclaimsExpiredEntriesNobodyRead) {
  KvOptions options = Options();
  options.evict_batch_entries = 8;  // several Maintain() calls are needed to scan 30 entries
  auto store = OpenStore(options);
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < 30; ++i)
    ASSERT_TRUE(store->Put(Key(i), "v", 1'000'000).ok());
  ASSERT_TRUE(store->Put("keep", "v", 0).ok());
  clock_.AdvanceSeconds(2);
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(store->Maintain().ok());
  KvStats stats = store->Stats();
  EXPECT_EQ(stats.expired_reclaimed, 30u);
  EXPECT_EQ(stats.entries, 1u);
  EXPECT_EQ(stats.expirations, 0u) << "no Get saw them";
}

TEST_F(KvStoreTest, EntriesSurviveCloseAndReopen) {
  {
    auto store = OpenStore(Options());
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < 50; ++i)
      ASSERT_TRUE(store->Put(Key(i), MakeValue(3000, i)).ok());
    ASSERT_TRUE(store->Erase(Key(7)).ok());
    ASSERT_TRUE(store->Put("ttl", "v", 5'000'000).ok());
  }
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < 50; ++i) {
    Result<std::string> copy = store->GetCopy(Key(i));
    if (i == 7) {
      EXPECT_TRUE(copy.status().IsNotFound());
    } else {
      ASSERT_TRUE(copy.ok()) << Key(i) << ": " << copy.status().ToString();
      EXPECT_EQ(*copy, MakeValue(3000, i));
    }
  }
  EXPECT_TRUE(store->GetCopy("ttl").ok());
  clock_.AdvanceSeconds(5);
  EXPECT_TRUE(store->GetCopy("ttl").status().IsNotFound()) << "expiry is persisted";
  EXPECT_EQ(store->Stats().faults, (std::array<uint64_t, kFaultKindCount>{}));
}

// Keys and values owned by the test, viewed by the KvEntry list handed to PutBatch.
struct Batch {
  std::vector<std::string> keys;
  std::vector<std::string> values;
  std::vector<int64_t> ttls;

  void Add(std::string key, std::string value, int64_t ttl = KvStore::kDefaultTtl) {
    keys.push_back(std::move(key));
    values.push_back(std::move(value));
    ttls.push_back(ttl);
  }
  std::vector<KvEntry> Entries() const {
    std::vector<KvEntry> entries;
    for (size_t i = 0; i < keys.size(); ++i)
      entries.push_back(KvEntry{keys[i], values[i], ttls[i]});
    return entries;
  }
};

// durable_commits = false (MDB_NOSYNC): nothing is fsync'd per commit, yet a clean close and a
// reopen see every committed write.
TEST_F(KvStoreTest, NonDurableCommitsPersistAcrossCloseAndReopen) {
  KvOptions options = Options();
  options.durable_commits = false;
  {
    auto store = OpenStore(options);
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < 30; ++i)
      ASSERT_TRUE(store->Put(Key(i), MakeValue(3000, i)).ok());
    Batch batch;
    for (int i = 30; i < 40; ++i)
      batch.Add(Key(i), MakeValue(3000, i));
    ASSERT_TRUE(store->PutBatch(batch.Entries()).ok());
    ASSERT_TRUE(store->Erase(Key(3)).ok());
  }
  // Reopened durable and non-durable: the flag is per handle, the files are the same.
  for (bool durable : {true, false}) {
    KvOptions reopen = Options();
    reopen.durable_commits = durable;
    auto store = OpenStore(reopen);
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < 40; ++i) {
      Result<std::string> copy = store->GetCopy(Key(i));
      if (i == 3) {
        EXPECT_TRUE(copy.status().IsNotFound());
      } else {
        ASSERT_TRUE(copy.ok()) << Key(i) << ": " << copy.status().ToString();
        EXPECT_EQ(*copy, MakeValue(3000, i));
      }
    }
    EXPECT_EQ(store->Stats().faults, (std::array<uint64_t, kFaultKindCount>{}));
  }
}

TEST_F(KvStoreTest, PutBatchWritesEveryEntryReadably) {
  KvOptions options = Options();
  options.default_ttl_micros = 5'000'000;
  auto store = OpenStore(options);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Put(Key(0), "old").ok());
  Batch batch;
  for (int i = 0; i < 20; ++i)
    batch.Add(Key(i), MakeValue(2000 + i, i), /*ttl=*/0);
  batch.Add("defaulted", "d");                 // KvOptions::default_ttl_micros
  batch.Add("short", "s", /*ttl=*/1'000'000);  // its own TTL
  batch.Add(Key(5), "last wins", /*ttl=*/0);   // a key twice: the later entry stays
  batch.Add("empty", "", /*ttl=*/0);
  Status status = store->PutBatch(batch.Entries());
  ASSERT_TRUE(status.ok()) << status.ToString();

  for (int i = 0; i < 20; ++i) {
    Result<std::string> copy = store->GetCopy(Key(i));
    ASSERT_TRUE(copy.ok()) << Key(i) << ": " << copy.status().ToString();
    EXPECT_EQ(*copy, i == 5 ? std::string("last wins") : MakeValue(2000 + i, i));
  }
  EXPECT_EQ(*store->GetCopy("defaulted"), "d");
  EXPECT_EQ(*store->GetCopy("short"), "s");
  EXPECT_EQ(*store->GetCopy("empty"), "");
  KvStats stats = store->Stats();
  EXPECT_EQ(stats.puts, 1u + 24u) << "one per entry";
  EXPECT_EQ(stats.entries, 23u);

  clock_.AdvanceSeconds(1);
  EXPECT_TRUE(store->GetCopy("short").status().IsNotFound());
  EXPECT_TRUE(store->GetCopy("defaulted").ok());
  clock_.AdvanceSeconds(4);
  EXPECT_TRUE(store->GetCopy("defaulted").status().IsNotFound());
  EXPECT_TRUE(store->GetCopy(Key(0)).ok());

  // The eviction queue stayed consistent: deleting and rewriting every key works.
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(store->Erase(Key(i)).ok());
  EXPECT_EQ(store->Stats().erases, 20u);
  ASSERT_TRUE(store->Maintain().ok());
  EXPECT_EQ(store->Stats().entries, 1u);  // "empty"

  EXPECT_TRUE(store->PutBatch({}).ok()) << "an empty batch is a no-op";
  EXPECT_EQ(store->Stats().puts, 25u);
}

TEST_F(KvStoreTest, PutBatchWithAnInvalidEntryWritesNothing) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Put(Key(0), "before").ok());
  struct Case {
    std::string key;
    std::string value;
    int64_t ttl;
    Status::Code code;
  };
  const std::vector<Case> cases = {
      {"", "v", 0, Status::Code::kInvalidArgument},
      {std::string(512, 'k'), "v", 0, Status::Code::kInvalidArgument},
      {"k", "v", -5, Status::Code::kInvalidArgument},
      {"k", std::string(kSmallMap / 16 + 1, 'v'), 0, Status::Code::kTooLarge},
  };
  for (const Case& bad : cases) {
    Batch batch;
    for (int i = 0; i < 3; ++i)
      batch.Add(Key(i), MakeValue(1000, 100 + i));
    batch.Add(bad.key, bad.value, bad.ttl);  // index 3
    for (int i = 3; i < 6; ++i)
      batch.Add(Key(i), MakeValue(1000, 100 + i));
    Status status = store->PutBatch(batch.Entries());
    EXPECT_EQ(status.code(), bad.code) << status.ToString();
    EXPECT_NE(status.message().find("entry 3"), std::string::npos) << status.ToString();
  }
  EXPECT_EQ(*store->GetCopy(Key(0)), "before");
  for (int i = 1; i < 6; ++i)
    EXPECT_TRUE(store->GetCopy(Key(i)).status().IsNotFound()) << Key(i);
  KvStats stats = store->Stats();
  EXPECT_EQ(stats.entries, 1u);
  EXPECT_EQ(stats.puts, 1u);

  // Each value is fine, but together they are over a quarter of the map.
  Batch big;
  for (int i = 0; i < 40; ++i)
    big.Add(Key(i), MakeValue(kValueBytes, i));
  Status status = store->PutBatch(big.Entries());
  EXPECT_EQ(status.code(), Status::Code::kTooLarge) << status.ToString();
  EXPECT_EQ(*store->GetCopy(Key(0)), "before");
  EXPECT_EQ(store->Stats().entries, 1u);
}

// Batches of 16 16-KiB values written until ten times the map's size went through: every batch
// succeeds whole, usage stays under the bound, the newest batches are kept.
TEST_F(KvStoreTest, PutBatchEvictsToMakeRoomAndStaysUnderTheBound) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  constexpr int kPerBatch = 16;
  const int batches = static_cast<int>(10 * kSmallMap / kValueBytes / kPerBatch);
  for (int b = 0; b < batches; ++b) {
    Batch batch;
    for (int i = b * kPerBatch; i < (b + 1) * kPerBatch; ++i)
      batch.Add(Key(i), MakeValue(kValueBytes, i));
    Status status = store->PutBatch(batch.Entries());
    ASSERT_TRUE(status.ok()) << "batch " << b << ": " << status.ToString();
    KvStats stats = store->Stats();
    ASSERT_LE(stats.map_bytes_used, static_cast<uint64_t>(0.85 * kSmallMap)) << "after " << b;
    for (int i = b * kPerBatch; i < (b + 1) * kPerBatch; ++i)
      ASSERT_TRUE(store->GetCopy(Key(i)).ok()) << Key(i) << " of the batch just written";
  }
  const int puts = batches * kPerBatch;
  KvStats stats = store->Stats();
  EXPECT_EQ(stats.puts, static_cast<uint64_t>(puts));
  EXPECT_GT(stats.evictions, 0u);
  EXPECT_EQ(stats.evictions + stats.entries, static_cast<uint64_t>(puts));
  EXPECT_EQ(stats.fault(FaultKind::kMapFullUnrecovered), 0u);
  for (int i = puts - 2 * kPerBatch; i < puts; ++i)
    EXPECT_EQ(*store->GetCopy(Key(i)), MakeValue(kValueBytes, i));
  EXPECT_TRUE(store->GetCopy(Key(0)).status().IsNotFound());
}

// With proactive eviction off, batches run into MDB_MAP_FULL: the store evicts and retries the
// whole batch, and no batch reports an error.
TEST_F(KvStoreTest, PutBatchRecoversFromMapFull) {
  KvOptions options = Options();
  options.evict_high_watermark = 1.0;
  options.evict_low_watermark = 0.9;
  auto store = OpenStore(options);
  ASSERT_NE(store, nullptr);
  constexpr int kPerBatch = 24;  // 384 KiB: under the batch limit (a quarter of 2 MiB)
  const int batches = static_cast<int>(10 * kSmallMap / kValueBytes / kPerBatch);
  for (int b = 0; b < batches; ++b) {
    Batch batch;
    for (int i = b * kPerBatch; i < (b + 1) * kPerBatch; ++i)
      batch.Add(Key(i), MakeValue(kValueBytes, i));
    Status status = store->PutBatch(batch.Entries());
    ASSERT_TRUE(status.ok()) << "batch " << b << ": " << status.ToString();
    for (int i = b * kPerBatch; i < (b + 1) * kPerBatch; ++i)
      ASSERT_TRUE(store->GetCopy(Key(i)).ok()) << Key(i) << " of the batch just written";
  }
  KvStats stats = store->Stats();
  EXPECT_GT(stats.fault(FaultKind::kMapFullRecovered), 0u);
  EXPECT_EQ(stats.fault(FaultKind::kMapFullUnrecovered), 0u);
  EXPECT_EQ(stats.puts, static_cast<uint64_t>(batches * kPerBatch));
  EXPECT_LE(stats.map_bytes_used, stats.map_size_bytes);
}

// Writes ten times the map's size; every put succeeds, usage stays under the bound, and the
// newest entries are the ones kept.
TEST_F(KvStoreTest, EvictionKeepsTheMapUnderItsBoundWhileWritingTenTimesItsSize) {
  auto store = OpenStore(Options());
  ASSERT_NE(store, nullptr);
  const int puts = static_cast<int>(10 * kSmallMap / kValueBytes);
  for (int i = 0; i < puts; ++i) {
    Status status = store->Put(Key(i), MakeValue(kValueBytes, i));
    ASSERT_TRUE(status.ok()) << "put " << i << ": " << status.ToString();
    KvStats stats = store->Stats();
    ASSERT_LE(stats.map_bytes_used, stats.map_size_bytes) << "after put " << i;
    // Eviction runs after the put that crossed the high watermark, so usage is back under it.
    ASSERT_LE(stats.map_bytes_used, static_cast<uint64_t>(0.85 * kSmallMap)) << "after put " << i;
  }
  KvStats stats = store->Stats();
  EXPECT_EQ(stats.puts, static_cast<uint64_t>(puts));
  EXPECT_GT(stats.evictions, 0u);
  EXPECT_EQ(stats.evictions + stats.entries, static_cast<uint64_t>(puts));
  EXPECT_EQ(stats.fault(FaultKind::kMapFullUnrecovered), 0u);
  // Eviction went down to about the low watermark (65%) of 2 MiB: more than 40 16-KiB values.
  EXPECT_GT(stats.entries, 40u);
  for (int i = puts - 40; i < puts; ++i) {
    Result<std::string> copy = store->GetCopy(Key(i));
    ASSERT_TRUE(copy.ok()) << "recent " << Key(i) << " was evicted";
    EXPECT_EQ(*copy, MakeValue(kValueBytes, i));
  }
  EXPECT_TRUE(store->GetCopy(Key(0)).status().IsNotFound()) << "the oldest entry was kept";
}

// The recency approximation: a key this process keeps reading is moved to the tail of the queue
// by its writes, so it outlives keys written at the same time and never read.
TEST_F(KvStoreTest, KeyReadBetweenWritesSurvivesEviction) {
  KvOptions options = Options();
  options.read_sample_every = 1;
  auto store = OpenStore(options);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Put("hot", MakeValue(kValueBytes, 1)).ok());
  ASSERT_TRUE(store->Put("cold", MakeValue(kValueBytes, 2)).ok());
  const int puts = static_cast<int>(10 * kSmallMap / kValueBytes);
  for (int i = 0; i < puts; ++i) {
    ASSERT_TRUE(store->GetCopy("hot").ok()) << "hot evicted before put " << i;
    ASSERT_TRUE(store->Put(Key(i), MakeValue(kValueBytes, i)).ok());
  }
  EXPECT_TRUE(store->GetCopy("hot").ok());
  EXPECT_TRUE(store->GetCopy("cold").status().IsNotFound());
  EXPECT_GT(store->Stats().recency_refreshes, 0u);
}

// With proactive eviction off, the map fills up: MDB_MAP_FULL is recovered by evicting, and no
// put reports an error.
TEST_F(KvStoreTest, MapFullIsRecoveredWithoutAnErrorToTheCaller) {
  KvOptions options = Options();
  options.evict_high_watermark = 1.0;
  options.evict_low_watermark = 0.9;
  auto store = OpenStore(options);
  ASSERT_NE(store, nullptr);
  const int puts = static_cast<int>(10 * kSmallMap / kValueBytes);
  for (int i = 0; i < puts; ++i) {
    Status status = store->Put(Key(i), MakeValue(kValueBytes, i));
    ASSERT_TRUE(status.ok()) << "put " << i << ": " << status.ToString();
  }
  KvStats stats = store->Stats();
  EXPECT_GT(stats.fault(FaultKind::kMapFullRecovered), 0u);
  EXPECT_EQ(stats.fault(FaultKind::kMapFullUnrecovered), 0u);
  EXPECT_GT(stats.evictions, 0u);
  EXPECT_LE(stats.map_bytes_used, stats.map_size_bytes);
  Result<std::string> last = store->GetCopy(Key(puts - 1));
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(*last, MakeValue(kValueBytes, puts - 1));
}

// A value that cannot fit even in an empty map is refused with a Status, after evicting.
TEST_F(KvStoreTest, ValueThatCannotFitEvenAloneFailsWithAStatus) {
  KvOptions options = Options();
  options.max_value_bytes = kSmallMap;
  auto store = OpenStore(options);
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->Put("small", "v").ok());
  Status status = store->Put("huge", std::string(kSmallMap - 4096, 'x'));
  EXPECT_EQ(status.code(), Status::Code::kBusy) << status.ToString();
  EXPECT_EQ(store->Stats().fault(FaultKind::kMapFullUnrecovered), 1u);
  ASSERT_TRUE(store->Put("after", "v").ok()) << "the store is still usable";
  EXPECT_EQ(*store->GetCopy("after"), "v");
}

// Readers on several threads while a writer rewrites the same keys: every hit is a whole value
// of one of the versions written, never a torn or foreign one.
TEST_F(KvStoreTest, ConcurrentReadersSeeWholeValuesWhileAWriterRewrites) {
  KvOptions options = Options();
  options.map_size_bytes = size_t{16} << 20;
  auto store = OpenStore(options);
  ASSERT_NE(store, nullptr);
  constexpr int kKeys = 16;
  constexpr int kVersions = 30;
  auto seed = [](int key, int version) { return static_cast<uint64_t>(key * 1000 + version); };
  for (int k = 0; k < kKeys; ++k)
    ASSERT_TRUE(store->Put(Key(k), MakeValue(4000, seed(k, 0))).ok());

  std::atomic<bool> done{false};
  std::atomic<int> bad{0};
  std::atomic<int> hits{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&, t] {
      for (int round = 0; !done.load() || round < 50; ++round) {
        const int k = (round + t) % kKeys;
        std::string copy;
        Status status = store->Get(Key(k), [&](std::string_view v) { copy.assign(v); });
        if (!status.ok()) {
          bad.fetch_add(1);
          continue;
        }
        hits.fetch_add(1);
        bool matches = false;
        for (int v = 0; v < kVersions && !matches; ++v)
          matches = copy == MakeValue(4000, seed(k, v));
        if (!matches) bad.fetch_add(1);
      }
    });
  }
  for (int v = 1; v < kVersions; ++v) {
    for (int k = 0; k < kKeys; ++k)
      ASSERT_TRUE(store->Put(Key(k), MakeValue(4000, seed(k, v))).ok());
  }
  done.store(true);
  for (std::thread& reader : readers)
    reader.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GE(hits.load(), 200);
  for (int k = 0; k < kKeys; ++k)
    EXPECT_EQ(*store->GetCopy(Key(k)), MakeValue(4000, seed(k, kVersions - 1)));
}

}  // namespace
}  // namespace folio::kv
