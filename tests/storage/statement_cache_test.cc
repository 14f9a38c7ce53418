// Cached statements stay compiled: re-running a listing, a keyset page, a schedule-boundary
// lookup or a write with new bound values must not make SQLite re-compile it. (A statement
// whose plan depends on a bound value is re-compiled on every run: a type id bound against the
// per-type partial indexes did that to the schedule-boundary lookup, ~75 us a call.)
#include <gtest/gtest.h>

#include "store_fixture.h"

namespace folio::storage::testing {
namespace {

class StatementCacheTest : public StoreTest {};

TEST_F(StatementCacheTest, ReRunningWithNewValuesDoesNotRecompile) {
  std::vector<std::string> roots;
  for (int i = 0; i < 8; ++i) {
    roots.push_back(Create({{"views", i}, {"category", i % 2 ? "a" : "b"}, {"tags", {"x"}}}));
    Publish(roots.back());
  }
  auto run_everything = [&](int round) {
    Query q = PostQuery();
    q.limit = 3;
    ListAll(*store_, q);  // first page and keyset pages
    q.filters.push_back({"category", FilterOp::kEq, {FilterValue(std::string("a"))}});
    q.sort = "views";
    ListAll(*store_, q);
    Must(store_->NextScheduleBoundary("default", "post", clock_.NowSeconds() + round));
    Must(store_->Patch(PatchOp{"default",
                               roots[static_cast<size_t>(round) % roots.size()],
                               json{{"views", 100 + round}}.dump(),
                               {}}));
    Publish(roots[static_cast<size_t>(round) % roots.size()]);
  };
  run_everything(0);  // compiles and caches every statement
  const uint64_t before = store_->StatementReprepares();
  for (int round = 1; round <= 5; ++round)
    run_everything(round);
  EXPECT_EQ(store_->StatementReprepares(), before);
}

TEST_F(StatementCacheTest, ScheduleBoundaryOfAnUnknownTypeIsNone) {
  EXPECT_FALSE(Must(store_->NextScheduleBoundary("default", "no-such-type", 0)).has_value());
}

}  // namespace
}  // namespace folio::storage::testing
