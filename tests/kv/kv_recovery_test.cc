// What KvStore does with damaged bytes: a garbage or truncated environment is moved aside and
// recreated; a value whose header or checksum fails is a miss, erased later by a writer.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <lmdb.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "folio/kv/kv_store.h"
#include "kv_test_util.h"

namespace folio::kv {
namespace {

using testing::Key;
using testing::MakeValue;
using testing::TempDir;

constexpr size_t kMap = size_t{2} << 20;

class KvRecoveryTest : public ::testing::Test {
 protected:
  KvOptions Options() {
    KvOptions options;
    options.dir = dir_.path();
    options.map_size_bytes = kMap;
    options.clock = &clock_;
    options.on_fault = [this](FaultKind kind, std::string_view reason) {
      std::lock_guard<std::mutex> lock(mu_);
      reported_.emplace_back(std::string(FaultKindName(kind)) + ": " + std::string(reason));
    };
    return options;
  }

  void WriteSomeEntries() {
    Result<std::unique_ptr<KvStore>> store = KvStore::Open(Options());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    for (int i = 0; i < 60; ++i)
      ASSERT_TRUE((*store)->Put(Key(i), MakeValue(8000, i)).ok());
  }

  std::vector<std::string> MovedAsideFiles() const {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
      const std::string name = entry.path().filename().string();
      if (name.rfind("data.mdb.corrupt-", 0) == 0) names.push_back(name);
    }
    return names;
  }

  // After recreation: empty, usable, and the recreation is counted and explained.
  void ExpectRecreatedAndUsable(const std::string& reason_fragment) {
    Result<std::unique_ptr<KvStore>> opened = KvStore::Open(Options());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    KvStore& store = **opened;
    KvStats stats = store.Stats();
    EXPECT_EQ(stats.fault(FaultKind::kEnvRecreated), 1u);
    EXPECT_NE(stats.last_fault.find("env_recreated"), std::string::npos) << stats.last_fault;
    EXPECT_NE(stats.last_fault.find(reason_fragment), std::string::npos) << stats.last_fault;
    EXPECT_EQ(stats.entries, 0u);
    EXPECT_EQ(MovedAsideFiles().size(), 1u);
    {
      std::lock_guard<std::mutex> lock(mu_);
      ASSERT_EQ(reported_.size(), 1u);
      EXPECT_EQ(reported_[0].rfind("env_recreated: ", 0), 0u) << reported_[0];
    }
    EXPECT_TRUE(store.GetCopy(Key(1)).status().IsNotFound());
    ASSERT_TRUE(store.Put("fresh", "v").ok());
    EXPECT_EQ(*store.GetCopy("fresh"), "v");
  }

  TempDir dir_;
  ManualClock clock_;
  std::mutex mu_;
  std::vector<std::string> reported_;
};

TEST_F(KvRecoveryTest, GarbageDataFileIsMovedAsideAndRecreated) {
  WriteSomeEntries();
  const std::string data = dir_.File("data.mdb");
  const auto size = std::filesystem::file_size(data);
  {
    std::ofstream out(data, std::ios::binary | std::ios::trunc);
    const std::string garbage = MakeValue(size, 99);
    out.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  ExpectRecreatedAndUsable("env_open");
}

TEST_F(KvRecoveryTest, TruncatedDataFileIsMovedAsideAndRecreated) {
  WriteSomeEntries();
  const std::string data = dir_.File("data.mdb");
  std::filesystem::resize_file(data, std::filesystem::file_size(data) / 2);
  ExpectRecreatedAndUsable("truncated");
}

TEST_F(KvRecoveryTest, DataFileShorterThanItsMetaPagesIsRecreated) {
  WriteSomeEntries();
  std::filesystem::resize_file(dir_.File("data.mdb"), 100);  // not even one meta page
  ExpectRecreatedAndUsable("env_open");
}

TEST_F(KvRecoveryTest, GarbageLockFileIsMovedAsideAndRecreated) {
  WriteSomeEntries();
  const std::string lock = dir_.File("lock.mdb");
  const auto size = std::filesystem::file_size(lock);
  {
    std::ofstream out(lock, std::ios::binary | std::ios::trunc);
    const std::string garbage = MakeValue(size, 7);
    out.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  Result<std::unique_ptr<KvStore>> opened = KvStore::Open(Options());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  ASSERT_TRUE((*opened)->Put("fresh", "v").ok());
  EXPECT_EQ(*(*opened)->GetCopy("fresh"), "v");
}

TEST_F(KvRecoveryTest, MissingDirectoryIsCreated) {
  KvOptions options = Options();
  options.dir = dir_.File("nested/deeper");
  Result<std::unique_ptr<KvStore>> opened = KvStore::Open(options);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  ASSERT_TRUE((*opened)->Put("k", "v").ok());
  EXPECT_EQ((*opened)->Stats().fault(FaultKind::kEnvRecreated), 0u);
}

// Writes raw bytes under `key` in the store's `entries` database, bypassing the value format.
void WriteRawValue(const std::string& dir, const std::string& key, const std::string& bytes) {
  MDB_env* env = nullptr;
  ASSERT_EQ(mdb_env_create(&env), 0);
  ASSERT_EQ(mdb_env_set_mapsize(env, kMap), 0);
  ASSERT_EQ(mdb_env_set_maxdbs(env, 4), 0);
  ASSERT_EQ(mdb_env_open(env, dir.c_str(), 0, 0644), 0);
  MDB_txn* txn = nullptr;
  ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
  MDB_dbi dbi;
  ASSERT_EQ(mdb_dbi_open(txn, "entries", 0, &dbi), 0);
  MDB_val k{key.size(), const_cast<char*>(key.data())};
  MDB_val v{bytes.size(), const_cast<char*>(bytes.data())};
  ASSERT_EQ(mdb_put(txn, dbi, &k, &v, 0), 0);
  ASSERT_EQ(mdb_txn_commit(txn), 0);
  mdb_env_close(env);
}

// Reads the raw stored bytes of `key` (header included).
std::string ReadRawValue(const std::string& dir, const std::string& key) {
  MDB_env* env = nullptr;
  std::string out;
  if (mdb_env_create(&env) != 0) return out;
  mdb_env_set_maxdbs(env, 4);
  mdb_env_set_mapsize(env, kMap);
  if (mdb_env_open(env, dir.c_str(), MDB_RDONLY, 0644) == 0) {
    MDB_txn* txn = nullptr;
    if (mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) == 0) {
      MDB_dbi dbi;
      MDB_val k{key.size(), const_cast<char*>(key.data())};
      MDB_val v;
      if (mdb_dbi_open(txn, "entries", 0, &dbi) == 0 && mdb_get(txn, dbi, &k, &v) == 0) {
        out.assign(static_cast<const char*>(v.mv_data), v.mv_size);
      }
      mdb_txn_abort(txn);
    }
  }
  mdb_env_close(env);
  return out;
}

TEST_F(KvRecoveryTest, ValuesThatFailVerificationAreMissesAndAreErasedByTheNextWrite) {
  KvOptions options = Options();
  {
    Result<std::unique_ptr<KvStore>> store = KvStore::Open(options);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Put("flipped", MakeValue(6000, 1)).ok());
    ASSERT_TRUE((*store)->Put("good", MakeValue(6000, 2)).ok());
  }
  // One payload byte changed (checksum fails), one value that is not ours at all, one too short
  // to hold a header, one whose length field lies.
  std::string flipped = ReadRawValue(dir_.path(), "flipped");
  ASSERT_EQ(flipped.size(), 40u + 6000u);
  flipped[3000] = static_cast<char>(flipped[3000] ^ 0x01);
  ASSERT_NO_FATAL_FAILURE(WriteRawValue(dir_.path(), "flipped", flipped));
  ASSERT_NO_FATAL_FAILURE(WriteRawValue(dir_.path(), "garbage", MakeValue(6000, 3)));
  ASSERT_NO_FATAL_FAILURE(WriteRawValue(dir_.path(), "short", "abc"));
  std::string lying = ReadRawValue(dir_.path(), "good");
  lying.resize(lying.size() - 1);
  ASSERT_NO_FATAL_FAILURE(WriteRawValue(dir_.path(), "lying", lying));

  Result<std::unique_ptr<KvStore>> opened = KvStore::Open(options);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  KvStore& store = **opened;
  for (const char* key : {"flipped", "garbage", "short", "lying"}) {
    bool called = false;
    Status status = store.Get(key, [&](std::string_view) { called = true; });
    EXPECT_TRUE(status.IsNotFound()) << key << ": " << status.ToString();
    EXPECT_FALSE(called) << key;
  }
  Result<std::string> good = store.GetCopy("good");
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, MakeValue(6000, 2));

  KvStats stats = store.Stats();
  EXPECT_EQ(stats.fault(FaultKind::kCorruptValue), 4u);
  EXPECT_EQ(stats.misses, 4u);
  EXPECT_EQ(stats.entries, 5u) << "the read path never deletes";

  ASSERT_TRUE(store.Put("unrelated", "v").ok());
  stats = store.Stats();
  EXPECT_EQ(stats.entries, 2u) << "the next write erased the four bad values";
  EXPECT_EQ(ReadRawValue(dir_.path(), "flipped"), "");
}

// The root page number of the named database `name` (from its record in LMDB's main database).
size_t RootPage(const std::string& dir, const char* name) {
  MDB_env* env = nullptr;
  size_t root = 0;
  if (mdb_env_create(&env) != 0) return 0;
  mdb_env_set_maxdbs(env, 4);
  mdb_env_set_mapsize(env, kMap);
  if (mdb_env_open(env, dir.c_str(), MDB_RDONLY, 0644) == 0) {
    MDB_txn* txn = nullptr;
    if (mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn) == 0) {
      MDB_dbi main_dbi;
      MDB_val k{std::strlen(name), const_cast<char*>(name)};
      MDB_val v;
      // LMDB 0.9's MDB_db record: pad, flags, depth, 4 page/entry counts, then md_root.
      if (mdb_dbi_open(txn, nullptr, 0, &main_dbi) == 0 && mdb_get(txn, main_dbi, &k, &v) == 0 &&
          v.mv_size == 48) {
        std::memcpy(&root, static_cast<const char*>(v.mv_data) + 40, sizeof(root));
      }
      mdb_txn_abort(txn);
    }
  }
  mdb_env_close(env);
  return root;
}

// A page damaged under a running store (after Open's probe passed): the operation that meets it
// returns Corruption and counts a fault; it does not crash and is not reported as a miss.
TEST_F(KvRecoveryTest, CorruptPageMetAtRunTimeIsACorruptionStatusAndAFault) {
  {
    Result<std::unique_ptr<KvStore>> store = KvStore::Open(Options());
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Put("a", "1").ok());
    ASSERT_TRUE((*store)->Put("b", "2").ok());
  }
  const size_t root = RootPage(dir_.path(), "entries");
  ASSERT_GT(root, 1u);
  const long page_size = ::sysconf(_SC_PAGESIZE);

  Result<std::unique_ptr<KvStore>> opened = KvStore::Open(Options());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  KvStore& store = **opened;
  ASSERT_EQ(*store.GetCopy("a"), "1");

  // Turn the root leaf's page flags (offset 10 of the page header) into P_OVERFLOW.
  const int fd = ::open(dir_.File("data.mdb").c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  const uint16_t overflow_flags = 0x04;
  ASSERT_EQ(::pwrite(fd, &overflow_flags, sizeof(overflow_flags),
                     static_cast<off_t>(root * static_cast<size_t>(page_size) + 10)),
            static_cast<ssize_t>(sizeof(overflow_flags)));
  ::close(fd);

  Status status = store.Get("a", [](std::string_view) {});
  EXPECT_TRUE(status.IsCorruption()) << status.ToString();
  KvStats stats = store.Stats();
  EXPECT_EQ(stats.fault(FaultKind::kCorruption), 1u);
  EXPECT_EQ(stats.misses, 0u);
  EXPECT_NE(stats.last_fault.find("corruption"), std::string::npos) << stats.last_fault;
  // The first damaged page stops all use of the environment (the writer would copy pages by
  // the sizes they claim), and marks it for the next Open to move aside.
  EXPECT_TRUE(store.Put("c", "3").IsCorruption());
  EXPECT_TRUE(std::filesystem::exists(dir_.File("DAMAGED")));
}

// The same damage found by Open()'s probe of every tree: moved aside and recreated.
TEST_F(KvRecoveryTest, CorruptRootPageFoundAtOpenIsMovedAsideAndRecreated) {
  WriteSomeEntries();
  const size_t root = RootPage(dir_.path(), "order");
  ASSERT_GT(root, 1u);
  const int fd = ::open(dir_.File("data.mdb").c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  const uint16_t overflow_flags = 0x04;
  ASSERT_EQ(::pwrite(fd, &overflow_flags, sizeof(overflow_flags),
                     static_cast<off_t>(root * static_cast<size_t>(::sysconf(_SC_PAGESIZE)) + 10)),
            static_cast<ssize_t>(sizeof(overflow_flags)));
  ::close(fd);
  ExpectRecreatedAndUsable("probe");
}

TEST_F(KvRecoveryTest, ChecksumVerificationCanBeTurnedOff) {
  KvOptions options = Options();
  {
    Result<std::unique_ptr<KvStore>> store = KvStore::Open(options);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Put("k", MakeValue(100, 1)).ok());
  }
  std::string raw = ReadRawValue(dir_.path(), "k");
  raw[60] = static_cast<char>(raw[60] ^ 0x10);
  ASSERT_NO_FATAL_FAILURE(WriteRawValue(dir_.path(), "k", raw));
  options.verify_checksums = false;
  Result<std::unique_ptr<KvStore>> opened = KvStore::Open(options);
  ASSERT_TRUE(opened.ok());
  Result<std::string> copy = (*opened)->GetCopy("k");
  ASSERT_TRUE(copy.ok()) << "header checks still pass; the payload is not rehashed";
  EXPECT_EQ(*copy, raw.substr(40));
}

// A data.mdb truncated under a live map: the next touch of a page past the end is a SIGBUS.
// Contained: the store answers Corruption from then on, marks the dir, and the next Open
// moves the files aside and starts afresh.
TEST_F(KvRecoveryTest, TruncatedWhileOpenIsContainedAndRecreatedAtTheNextOpen) {
  {
    Result<std::unique_ptr<KvStore>> opened = KvStore::Open(Options());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    KvStore& store = **opened;
    for (int i = 0; i < 60; ++i)
      ASSERT_TRUE(store.Put(Key(i), MakeValue(8000, i)).ok());
    std::filesystem::resize_file(dir_.File("data.mdb"), 100);
    for (int i = 0; i < 60; ++i) {
      Status s = store.Get(Key(i), [](std::string_view) {});
      EXPECT_TRUE(s.IsCorruption()) << i << ": " << s.ToString();
    }
    EXPECT_TRUE(store.Put("after", "x").IsCorruption());
    EXPECT_TRUE(store.Maintain().IsCorruption());
    KvStats stats = store.Stats();
    EXPECT_EQ(stats.fault(FaultKind::kEnvDamaged), 1u);
    EXPECT_NE(stats.last_fault.find("SIGBUS"), std::string::npos) << stats.last_fault;
    EXPECT_TRUE(std::filesystem::exists(dir_.File("DAMAGED")));
  }  // closing a damaged store must not fault either
  {
    std::lock_guard<std::mutex> lock(mu_);
    reported_.clear();
  }
  ExpectRecreatedAndUsable("contained a fault");
  EXPECT_FALSE(std::filesystem::exists(dir_.File("DAMAGED")));
}

// Random bytes over the data pages (never the two meta pages) while serving: whatever LMDB
// makes of them — a corrupt-page error, an assertion, a wild pointer — each Get answers the
// value as written, a miss or an error, and never takes the process down. (Writes are left
// out: LMDB's writer meeting the damage first is not covered, see docs/operations.md.)
TEST_F(KvRecoveryTest, RandomBytesOverDataPagesWhileOpenNeverCrash) {
  const long page_size = ::sysconf(_SC_PAGESIZE);
  int contained = 0;
  for (uint32_t seed = 1; seed <= 12; ++seed) {
    std::filesystem::remove_all(dir_.path());
    std::filesystem::create_directories(dir_.path());
    Result<std::unique_ptr<KvStore>> opened = KvStore::Open(Options());
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    KvStore& store = **opened;
    for (int i = 0; i < 200; ++i)
      ASSERT_TRUE(store.Put(Key(i), MakeValue(1500, i)).ok());
    const auto file_bytes = std::filesystem::file_size(dir_.File("data.mdb"));
    const size_t pages = static_cast<size_t>(file_bytes) / static_cast<size_t>(page_size);
    ASSERT_GT(pages, 4u);
    std::mt19937 rng(seed);
    const int fd = ::open(dir_.File("data.mdb").c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    for (int burst = 0; burst < 16; ++burst) {
      const size_t page = 2 + rng() % (pages - 2);
      const size_t offset = rng() % static_cast<size_t>(page_size - 64);
      std::array<unsigned char, 64> junk;
      for (auto& b : junk)
        b = static_cast<unsigned char>(rng());
      ASSERT_EQ(::pwrite(fd, junk.data(), junk.size(),
                         static_cast<off_t>(page * static_cast<size_t>(page_size) + offset)),
                static_cast<ssize_t>(junk.size()));
    }
    ::close(fd);
    for (int i = 0; i < 200; ++i) {
      auto got = store.GetCopy(Key(i));
      if (got.ok()) {
        EXPECT_EQ(*got, MakeValue(1500, i)) << "seed " << seed << " key " << i;
      }
    }
    contained += store.Stats().fault(FaultKind::kEnvDamaged) > 0 ? 1 : 0;
  }
  // How often the damage reached a fault or an assertion is the bytes' luck; it is printed so
  // a run shows the containment was exercised, not asserted on.
  std::printf("random damage: %d of 12 environments needed containment\n", contained);
}

}  // namespace
}  // namespace folio::kv
