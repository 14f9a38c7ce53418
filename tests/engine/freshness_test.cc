// The freshness protocol (engine/detail/freshness.h) on its own: a real store, a real L1 and
// a shared epoch, no Engine. Each test drives the protocol step by step: read a page, change
// the database, then ask what may be served.
#include "detail/freshness.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <string>

#include "detail/page_codec.h"
#include "detail/query_key.h"
#include "engine_test_util.h"
#include "folio/base/clock.h"
#include "folio/cache/lru_cache.h"
#include "folio/storage/document_store.h"

namespace folio::detail {
namespace {

using engine_testing::Must;
using engine_testing::TempDir;

class FreshnessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_.SetMicros(1'700'000'000'000'000);
    store_ = OpenStore();
    storage::TypeDefinition post{
        "post",
        "",
        {{"views", storage::FieldKind::kInteger}, {"cat", storage::FieldKind::kText}},
        {}};
    Must(store_->RegisterType(post), "register");
    cache::LruOptions lru;
    lru.capacity_bytes = 1 << 20;
    lru.shard_bits = 0;
    lru.clock = &clock_;
    l1_ = Must(cache::LruCache::Open(lru), "l1");
    epoch_ = Must(SharedEpoch::Open((dir_.path() / "folio.epoch").string()), "epoch");
    freshness_ = OpenFreshness(*store_, *epoch_);
  }

  std::unique_ptr<storage::DocumentStore> OpenStore() {
    storage::StoreOptions so;
    so.path = (dir_.path() / "folio.sqlite").string();
    so.clock = &clock_;
    return Must(storage::DocumentStore::Open(so), "store");
  }

  std::unique_ptr<Freshness> OpenFreshness(storage::DocumentStore& store, SharedEpoch& epoch) {
    Freshness::Config config;
    config.store = &store;
    config.l1 = l1_.get();
    config.epoch = &epoch;
    config.clock = &clock_;
    return Must(Freshness::Open(config), "freshness");
  }

  std::string Publish(const std::string& data) {
    return engine_testing::CreatePublished(*store_, data);
  }
  void Patch(const std::string& root, const std::string& data) {
    Must(store_->Patch(storage::PatchOp{"default", root, data, {}}), "patch");
    Must(store_->Apply(storage::LifecycleOp{"default", root, storage::LifecycleAction::kPublish}),
         "publish");
  }

  static storage::Query ByCat(const std::string& cat) {
    storage::Query q;
    q.type = "post";
    q.filters.push_back({"cat", storage::FilterOp::kEq, {cat}});
    return q;
  }

  // Reads `q` from the store as the engine would: the page's L1 slot and its trailer.
  struct Read {
    DependencyIndex::Slot slot;
    CacheKey predicate_key;
    std::shared_ptr<const storage::ListingPredicate> predicate;
    PageTrailer trailer;
  };
  Read ReadPage(const storage::Query& q) {
    auto page = Must(store_->List(q), "list");
    Read r;
    r.slot.key = PageKey(store_->instance_id(), q, 0);
    r.slot.hash = cache::LruCache::HashKey(KeyView(r.slot.key));
    r.predicate_key = PredicateKey(store_->instance_id(), q);
    r.predicate = page.dependency->shared_predicate();
    r.trailer = TrailerFor(*page.dependency);
    return r;
  }
  bool Admit(const Read& r) {
    return freshness_->AdmitPage(r.slot, r.predicate_key, r.predicate, r.trailer, [&] {
      l1_->Insert(KeyView(r.slot.key), r.slot.hash, std::make_shared<const std::string>("page"));
    });
  }
  bool Cached(const Read& r) { return l1_->Contains(KeyView(r.slot.key), r.slot.hash); }
  // Publishes a post in cat "a" and one in "b", admits the page of each listing; the root of
  // the post in "a".
  std::string AdmitPagesOfCatsAAndB(Read* page_a, Read* page_b) {
    const std::string a = Publish(R"({"cat":"a","views":1})");
    Publish(R"({"cat":"b","views":1})");
    freshness_->AfterWrite();
    *page_a = ReadPage(ByCat("a"));
    *page_b = ReadPage(ByCat("b"));
    EXPECT_TRUE(Admit(*page_a));
    EXPECT_TRUE(Admit(*page_b));
    return a;
  }

  TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<storage::DocumentStore> store_;
  std::unique_ptr<cache::LruCache> l1_;
  std::unique_ptr<SharedEpoch> epoch_;
  std::unique_ptr<Freshness> freshness_;
  storage::LogPosition checked_at_;  // what the L2 checks say they checked through
};

TEST_F(FreshnessTest, AChangeDropsExactlyThePagesItTouches) {
  Read page_a, page_b;
  const std::string a = AdmitPagesOfCatsAAndB(&page_a, &page_b);
  EXPECT_EQ(freshness_->indexed_entries(), 2u);

  Patch(a, R"({"views":2})");  // a row of page a only
  freshness_->AfterWrite();
  EXPECT_FALSE(Cached(page_a));
  EXPECT_TRUE(Cached(page_b));

  Publish(R"({"cat":"b","views":7})");  // enters page b's listing
  freshness_->AfterWrite();
  EXPECT_FALSE(Cached(page_b));
  EXPECT_EQ(freshness_->invalidations(), 2u);
}

TEST_F(FreshnessTest, AKeyDroppedForAChangeIsRememberedUntilItIsAdmittedAgain) {
  Read page_a, page_b;
  const std::string a = AdmitPagesOfCatsAAndB(&page_a, &page_b);
  EXPECT_FALSE(freshness_->DroppedForChange(page_a.slot.hash));

  Patch(a, R"({"views":2})");
  freshness_->AfterWrite();
  EXPECT_TRUE(freshness_->DroppedForChange(page_a.slot.hash));   // its L2 copy predates it
  EXPECT_FALSE(freshness_->DroppedForChange(page_b.slot.hash));  // untouched, not dropped

  ASSERT_TRUE(Admit(ReadPage(ByCat("a"))));  // the refill
  EXPECT_FALSE(freshness_->DroppedForChange(page_a.slot.hash));
}

TEST_F(FreshnessTest, APageReadBeforeATouchingChangeIsNotAdmitted) {
  const std::string a = Publish(R"({"cat":"a","views":1})");
  freshness_->AfterWrite();
  Read stale = ReadPage(ByCat("a"));
  Read unrelated = ReadPage(ByCat("b"));
  Patch(a, R"({"views":2})");
  freshness_->AfterWrite();  // applied before the readers fill
  EXPECT_FALSE(Admit(stale));
  EXPECT_FALSE(Cached(stale));
  EXPECT_TRUE(Admit(unrelated));  // the change is outside its filter
  EXPECT_TRUE(Cached(unrelated));
}

TEST_F(FreshnessTest, AnL2EntryIsCheckedAgainstTheChangesSinceItsRead) {
  Publish(R"({"cat":"a","views":1})");
  freshness_->AfterWrite();
  Read page = ReadPage(ByCat("a"));
  EXPECT_TRUE(freshness_->UntouchedSince("default", "post", storage::Axis::kPublished,
                                         page.trailer.read_at, &checked_at_));
  // A change in the type, outside the page's filter: the fast check says "look closer",
  // the full check says the page holds.
  const std::string b = Publish(R"({"cat":"b","views":1})");
  freshness_->AfterWrite();
  EXPECT_FALSE(freshness_->UntouchedSince("default", "post", storage::Axis::kPublished,
                                          page.trailer.read_at, &checked_at_));
  EXPECT_TRUE(freshness_->CheckPage(*page.predicate, page.trailer, &checked_at_));
  EXPECT_EQ(checked_at_, freshness_->applied());
  // The same document moved into the page's listing: no longer.
  Patch(b, R"({"cat":"a"})");
  freshness_->AfterWrite();
  EXPECT_FALSE(freshness_->CheckPage(*page.predicate, page.trailer, &checked_at_));
}

TEST_F(FreshnessTest, AFreshProcessChecksEntriesReadBeforeItStarted) {
  Publish(R"({"cat":"a","views":1})");
  freshness_->AfterWrite();
  Read page = ReadPage(ByCat("a"));
  Publish(R"({"cat":"b","views":3})");
  // A process that starts now knows the log but has no root images: it loads them.
  auto later = OpenFreshness(*store_, *epoch_);
  EXPECT_TRUE(later->CheckPage(*page.predicate, page.trailer, &checked_at_));
  Publish(R"({"cat":"a","views":0})");
  ASSERT_TRUE(later->OnDataVersionChanged().ok());
  EXPECT_FALSE(later->CheckPage(*page.predicate, page.trailer, &checked_at_));
}

TEST_F(FreshnessTest, APositionOfAnotherTimelineIsNeverServed) {
  Publish(R"({"cat":"a","views":1})");
  freshness_->AfterWrite();
  Read page = ReadPage(ByCat("a"));
  storage::LogPosition forged = page.trailer.read_at;
  forged.salt ^= 1;
  EXPECT_FALSE(freshness_->UntouchedSince("default", "post", storage::Axis::kPublished, forged,
                                          &checked_at_));
  storage::LogPosition ahead = page.trailer.read_at;
  ahead.seq += 100;
  EXPECT_FALSE(freshness_->UntouchedSince("default", "post", storage::Axis::kPublished, ahead,
                                          &checked_at_));
  EXPECT_FALSE(freshness_->CheckDocument("default", "x", forged));
}

TEST_F(FreshnessTest, ADatabaseThatWentBackInTimeClearsL1AndItsPositions) {
  Publish(R"({"cat":"a","views":1})");
  freshness_->AfterWrite();
  store_.reset();
  // A backup as a file copy: the database and its WAL, if closing left one.
  const auto db = dir_.path() / "folio.sqlite";
  const auto wal = dir_.path() / "folio.sqlite-wal";
  std::filesystem::copy_file(db, dir_.path() / "backup.sqlite");
  const bool had_wal = std::filesystem::exists(wal);
  if (had_wal) std::filesystem::copy_file(wal, dir_.path() / "backup.sqlite-wal");
  store_ = OpenStore();
  freshness_ = OpenFreshness(*store_, *epoch_);
  Publish(R"({"cat":"a","views":2})");
  freshness_->AfterWrite();
  Read page = ReadPage(ByCat("a"));  // read in the timeline about to be lost
  ASSERT_TRUE(Admit(page));
  freshness_.reset();
  store_.reset();
  std::filesystem::remove(wal);
  std::filesystem::remove(dir_.path() / "folio.sqlite-shm");
  std::filesystem::copy_file(dir_.path() / "backup.sqlite", db,
                             std::filesystem::copy_options::overwrite_existing);
  if (had_wal) std::filesystem::copy_file(dir_.path() / "backup.sqlite-wal", wal);
  store_ = OpenStore();
  freshness_ = OpenFreshness(*store_, *epoch_);
  Publish(R"({"cat":"a","views":3})");  // the same seq again, another salt
  freshness_->AfterWrite();
  EXPECT_FALSE(freshness_->UntouchedSince("default", "post", storage::Axis::kPublished,
                                          page.trailer.read_at, &checked_at_));
  EXPECT_FALSE(freshness_->CheckPage(*page.predicate, page.trailer, &checked_at_));
}

TEST_F(FreshnessTest, ALogFollowedAcrossARollbackResetsL1) {
  Publish(R"({"cat":"a","views":1})");
  freshness_->AfterWrite();
  Read page = ReadPage(ByCat("a"));
  ASSERT_TRUE(Admit(page));
  // Another program rewrites history under us: the position we applied disappears.
  const storage::LogPosition applied = freshness_->applied();
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_.path() / "folio.sqlite").c_str(), &db), SQLITE_OK);
    std::string sql = "DELETE FROM folio_changes WHERE seq >= " + std::to_string(applied.seq) + ";";
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  Publish(R"({"cat":"c","views":1})");
  ASSERT_TRUE(freshness_->OnDataVersionChanged().ok());
  EXPECT_EQ(freshness_->resets(), 1u);
  EXPECT_FALSE(Cached(page));
  EXPECT_EQ(freshness_->indexed_entries(), 0u);
}

TEST_F(FreshnessTest, DocumentsFollowTheirRootOnly) {
  const std::string a = Publish(R"({"cat":"a"})");
  const std::string b = Publish(R"({"cat":"b"})");
  freshness_->AfterWrite();
  const storage::LogPosition read_at = freshness_->applied();
  DependencyIndex::Slot slot{
      DocumentKey(store_->instance_id(), "default", a, storage::Axis::kPublished, {}, 0), 0};
  slot.hash = cache::LruCache::HashKey(KeyView(slot.key));
  ASSERT_TRUE(
      freshness_->AdmitDocument(slot, "default", a, storage::Axis::kPublished, read_at, [&] {
        l1_->Insert(KeyView(slot.key), slot.hash, std::make_shared<const std::string>("d"));
      }));
  Patch(b, R"({"cat":"c"})");
  freshness_->AfterWrite();
  EXPECT_TRUE(l1_->Contains(KeyView(slot.key), slot.hash));
  EXPECT_TRUE(freshness_->CheckDocument("default", a, read_at));
  Patch(a, R"({"cat":"d"})");
  freshness_->AfterWrite();
  EXPECT_FALSE(l1_->Contains(KeyView(slot.key), slot.hash));
  EXPECT_FALSE(freshness_->CheckDocument("default", a, read_at));
}

TEST_F(FreshnessTest, AnotherWriterIsSeenThroughTheSharedEpoch) {
  freshness_->AfterWrite();
  Read page = ReadPage(ByCat("a"));
  ASSERT_TRUE(Admit(page));
  // A second "process": its own store and epoch mapping of the same files.
  auto other_store = OpenStore();
  auto other_epoch = Must(SharedEpoch::Open((dir_.path() / "folio.epoch").string()), "epoch");
  Must(other_store->Create(storage::CreateOp{"default", "post", R"({"cat":"a"})", {}}), "create");
  other_epoch->Bump();
  freshness_->Sync();  // sees the epoch move, applies the log
  // A draft create does not reach the published page…
  EXPECT_TRUE(Cached(page));
  EXPECT_EQ(freshness_->applied(), Must(store_->ChangeLogHead(), "head"));
}

TEST_F(FreshnessTest, ScheduleBoundariesAreLookedUpAgainAfterAChange) {
  Publish(R"({"cat":"a"})");
  freshness_->AfterWrite();
  const int64_t now = clock_.NowMicros();
  EXPECT_EQ(freshness_->PageDeadlineMicros("default", "post", true, now), 0);
  storage::CreateOp op{"default", "post", R"({"cat":"a"})", {}};
  op.fields.scheduled_at = clock_.NowSeconds() + 60;
  auto c = Must(store_->Create(op), "create");
  Must(store_->Apply(
           storage::LifecycleOp{"default", c.document.root_id, storage::LifecycleAction::kPublish}),
       "publish");
  freshness_->AfterWrite();
  EXPECT_EQ(freshness_->PageDeadlineMicros("default", "post", true, now),
            (clock_.NowSeconds() + 60) * 1'000'000);
  EXPECT_EQ(freshness_->PageDeadlineMicros("default", "post", false, now), 0);
}

}  // namespace
}  // namespace folio::detail
