// DependencyIndex on its own, with a fake predicate: a listing of (tenant, type, axis) whose
// rows are the roots whose published "score" is at least `min`, sorted by score ascending.
#include "detail/dependency_index.h"

#include <gtest/gtest.h>

#include <set>

namespace folio::detail {
namespace {

class ScoreAtLeast : public storage::ListingPredicate {
 public:
  explicit ScoreAtLeast(int64_t min) : min_(min) {
    key_ = "score>=";  // two steps: GCC 12 misfires -Wrestrict on "literal" + string
    key_ += std::to_string(min);
  }
  const std::string& key() const override { return key_; }
  const std::string& tenant() const override { return tenant_; }
  const std::string& type() const override { return type_; }
  storage::Axis axis() const override { return storage::Axis::kPublished; }
  std::optional<storage::SortPosition> Match(const storage::RootImage& root,
                                             int64_t now) const override {
    const storage::RowImage& row = root.published;
    if (!row.present || row.type != type_) return std::nullopt;
    if (row.scheduled_at && *row.scheduled_at > now) return std::nullopt;
    for (const auto& [field, value] : row.fields) {
      if (field == "score" && storage::CompareSqlValues(value, int64_t{min_}) >= 0) {
        return storage::SortPosition{value, row.id};
      }
    }
    return std::nullopt;
  }
  std::optional<EqualityKey> IndexKey() const override { return std::nullopt; }
  bool After(const storage::SortPosition& a, const storage::SortPosition& b) const override {
    int c = storage::CompareSqlValues(a.sort_value, b.sort_value);
    return c > 0 || (c == 0 && a.id > b.id);
  }

 private:
  int64_t min_;
  std::string key_;
  std::string tenant_ = "t", type_ = "post";
};

// score = v, filed by value: counts how often the index asks it to match.
class ScoreEquals : public ScoreAtLeast {
 public:
  ScoreEquals(storage::SqlValue v, int* calls)
      : ScoreAtLeast(0), value_(std::move(v)), calls_(calls) {}
  std::optional<storage::SortPosition> Match(const storage::RootImage& root,
                                             int64_t now) const override {
    ++*calls_;
    auto at = ScoreAtLeast::Match(root, now);
    if (!at || storage::CompareSqlValues(at->sort_value, value_) != 0) return std::nullopt;
    return at;
  }
  std::optional<EqualityKey> IndexKey() const override {
    return EqualityKey{"score", false, {value_}};
  }

 private:
  storage::SqlValue value_;
  int* calls_;
};

storage::RootImage Root(const std::string& id, int64_t score,
                        std::optional<int64_t> scheduled_at = std::nullopt) {
  static const std::string kTenant = "t", kType = "post", kVersion = "-v";
  storage::RootImage r;
  r.tenant = kTenant;  // strings, not literals: GCC 12 misfires -Wrestrict on those here
  r.root_id = id;
  r.published.present = true;
  r.published.id = id + kVersion;
  r.published.type = kType;
  r.published.scheduled_at = scheduled_at;
  r.published.fields = {{"score", int64_t{score}}};
  return r;
}

storage::SortPosition At(int64_t score, const std::string& root) {
  storage::SortPosition at{int64_t{score}, root};
  at.id += "-v";
  return at;
}

CacheKey Key(int n) {
  CacheKey k{};
  std::memcpy(k.data(), &n, sizeof n);
  return k;
}

class DependencyIndexTest : public ::testing::Test {
 protected:
  // Pages of "score >= 0": page 1 holds r1 (10), r2 (20), look-ahead r3; page 2 holds from
  // after r2: r3 (30), r4 (40), to the end.
  void SetUp() override {
    auto predicate = std::make_shared<ScoreAtLeast>(0);
    CacheKey pkey = Key(100);
    index_.AddPage({Key(1), 1}, pkey, predicate, std::nullopt, At(20, "r2"),
                   {RootHash("r1"), RootHash("r2"), RootHash("r3")});
    index_.AddPage({Key(2), 2}, pkey, predicate, At(20, "r2"), std::nullopt,
                   {RootHash("r3"), RootHash("r4")});
    // Another listing: score >= 35.
    index_.AddPage({Key(3), 3}, Key(101), std::make_shared<ScoreAtLeast>(35), std::nullopt,
                   std::nullopt, {RootHash("r4")});
    index_.AddDocument({Key(4), 4}, RootHash("r1"), storage::Axis::kPublished);
  }

  std::set<uint64_t> Drop(const storage::RootImage& root, bool published = true,
                          bool draft = false) {
    std::set<uint64_t> dropped;
    index_.DropTouched(root, RootHash(root.root_id), "post", published, draft,
                       /*now=*/1000,
                       [&](const DependencyIndex::Slot& s) { dropped.insert(s.hash); });
    return dropped;
  }

  DependencyIndex index_;
};

TEST_F(DependencyIndexTest, ARowOfAPageDropsItAndItsDocuments) {
  EXPECT_EQ(Drop(Root("r1", -5)), (std::set<uint64_t>{1, 4}));  // left the listing
  EXPECT_EQ(index_.size(), 2u);
}

TEST_F(DependencyIndexTest, ANewRowDropsOnlyThePagesWhoseRangeItFallsIn) {
  EXPECT_EQ(Drop(Root("n1", 15)), (std::set<uint64_t>{1}));  // inside (start, r2]
  EXPECT_EQ(Drop(Root("n2", 25)), (std::set<uint64_t>{2}));  // inside (r2, end)
  EXPECT_EQ(Drop(Root("n3", -1)), (std::set<uint64_t>{}));   // outside every filter
  EXPECT_EQ(Drop(Root("n4", 36)), (std::set<uint64_t>{3}));  // page 2 went already
}

TEST_F(DependencyIndexTest, TheLookAheadRowIsADependency) {
  EXPECT_EQ(Drop(Root("r3", -1)), (std::set<uint64_t>{1, 2}));
}

TEST_F(DependencyIndexTest, AChangeOnAnotherAxisLeavesPublishedEntries) {
  EXPECT_EQ(Drop(Root("r1", 10), /*published=*/false, /*draft=*/true), (std::set<uint64_t>{}));
  EXPECT_EQ(index_.size(), 4u);
}

TEST_F(DependencyIndexTest, ARowScheduledForLaterDropsThePagesItWillJoin) {
  EXPECT_EQ(Drop(Root("n5", 12, /*scheduled_at=*/5000)), (std::set<uint64_t>{1}));
}

TEST_F(DependencyIndexTest, SweepKeepsOnlyLiveEntries) {
  index_.Sweep([](const DependencyIndex::Slot& s) { return s.hash == 2; });
  EXPECT_EQ(index_.size(), 1u);
  EXPECT_EQ(index_.listings(), 1u);
  EXPECT_EQ(Drop(Root("r1", 10)), (std::set<uint64_t>{}));  // page 1 and the document went
  EXPECT_EQ(Drop(Root("r4", 40)), (std::set<uint64_t>{2}));
  EXPECT_EQ(index_.listings(), 0u);
}

TEST_F(DependencyIndexTest, APageFilledAgainAndAgainKeepsOneFilingPerRoot) {
  // Filings: page 1 (3 roots), page 2 (2), page 3 (1), the document (1).
  EXPECT_EQ(index_.root_filings(), 7u);
  auto predicate = std::make_shared<ScoreAtLeast>(0);
  for (int round = 0; round < 1000; ++round) {
    // A hot page dropped by a change to one of its rows, then filled again: the rows that did
    // not change keep one filing each, however often that happens.
    ASSERT_EQ(Drop(Root("r1", 10)), (std::set<uint64_t>{1, 4}));
    index_.AddPage({Key(1), 1}, Key(100), predicate, std::nullopt, At(20, "r2"),
                   {RootHash("r1"), RootHash("r2"), RootHash("r3")});
    index_.AddDocument({Key(4), 4}, RootHash("r1"), storage::Axis::kPublished);
  }
  EXPECT_EQ(index_.root_filings(), 7u);
  EXPECT_EQ(index_.size(), 4u);
  // Removing entries takes them off their roots' lists.
  index_.Sweep([](const DependencyIndex::Slot&) { return false; });
  EXPECT_EQ(index_.root_filings(), 0u);
}

TEST(DependencyIndexValuesTest, AChangeIsMatchedOnlyAgainstListingsOfItsValue) {
  DependencyIndex index;
  int calls = 0;
  for (int v = 0; v < 100; ++v) {
    index.AddPage({Key(v), static_cast<uint64_t>(v)}, Key(1000 + v),
                  std::make_shared<ScoreEquals>(int64_t{v}, &calls), std::nullopt, std::nullopt,
                  {});
  }
  // score 20.0 equals the integer 20: only that listing is asked, and it goes.
  storage::RootImage root = Root("x", 0);
  root.published.fields = {{"score", 20.0}};
  std::set<uint64_t> dropped;
  index.DropTouched(root, RootHash("x"), "post", true, false, 1000,
                    [&](const DependencyIndex::Slot& s) { dropped.insert(s.hash); });
  EXPECT_EQ(dropped, (std::set<uint64_t>{20}));
  EXPECT_EQ(calls, 1);
  // A value no listing is filed under asks none; 20.5 is not 20.
  root.published.fields = {{"score", 20.5}};
  index.DropTouched(root, RootHash("x"), "post", true, false, 1000,
                    [&](const DependencyIndex::Slot& s) { dropped.insert(s.hash); });
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(index.listings(), 99u);
}

TEST(DependencyIndexValuesTest, AListingFiledTwiceUnderOneValueIsRemovedOnce) {
  // What `in (3, '3')` on an integer field compiles to: the value 3, twice.
  class Twice : public ScoreEquals {
   public:
    using ScoreEquals::ScoreEquals;
    std::optional<EqualityKey> IndexKey() const override {
      return EqualityKey{"score", false, {int64_t{3}, 3.0}};
    }
  };
  DependencyIndex index;
  int calls = 0;
  index.AddPage({Key(1), 1}, Key(2), std::make_shared<Twice>(int64_t{3}, &calls), std::nullopt,
                std::nullopt, {});
  std::set<uint64_t> dropped;
  index.DropTouched(Root("x", 3), RootHash("x"), "post", true, false, 1000,
                    [&](const DependencyIndex::Slot& s) { dropped.insert(s.hash); });
  EXPECT_EQ(dropped, (std::set<uint64_t>{1}));
  EXPECT_EQ(index.size(), 0u);
  EXPECT_EQ(index.listings(), 0u);
}

}  // namespace
}  // namespace folio::detail
