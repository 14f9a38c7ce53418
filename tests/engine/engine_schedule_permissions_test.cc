// Schedule boundaries and principals (docs/design.md §3):
//  - a cached published page never outlives its type's next schedule boundary (scheduled_at
//    going live, expires_at going dark), in L1 and in L2, with no write in between — including
//    when the clock crosses the boundary while a reader is between its read and its fill;
//  - a page (or document) computed for one principal is never served to another whose
//    permissions differ.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine_test_util.h"
#include "folio/base/clock.h"
#include "folio/engine/engine.h"
#include "folio/storage/document_store.h"

namespace folio {
namespace {

using engine_testing::ComparePage;
using engine_testing::GateHooks;
using engine_testing::Must;
using engine_testing::OpenOracle;
using engine_testing::TempDir;

// A manual clock that, once armed, jumps forward by `jump` right after answering its next call:
// the reader that calls it next sees the old time, every later call the new one.
class JumpClock final : public Clock {
 public:
  explicit JumpClock(int64_t start) : now_(start) {}
  int64_t NowMicros() const override {
    int64_t now = now_.load();
    if (armed_.exchange(false)) now_.fetch_add(jump_);
    return now;
  }
  void ArmJump(int64_t jump_micros) {
    jump_ = jump_micros;
    armed_.store(true);
  }
  void AdvanceSeconds(int64_t s) { now_.fetch_add(s * 1'000'000); }

 private:
  mutable std::atomic<int64_t> now_;
  mutable std::atomic<bool> armed_{false};
  int64_t jump_ = 0;
};

constexpr int64_t kStart = 1'700'000'000'000'000;  // micros; a whole second
constexpr int64_t kStartSeconds = kStart / 1'000'000;

struct TierSetup {
  bool l1 = true;
  bool l2 = true;
};

class ScheduleTest : public ::testing::TestWithParam<TierSetup> {
 protected:
  std::unique_ptr<Engine> Open(const Clock* clock, EngineHooks* hooks = nullptr, bool l1 = true,
                               bool l2 = true) {
    Options options;
    options.data_dir = dir_.str();
    options.clock = clock;
    options.hooks = hooks;
    options.l1_capacity_bytes = l1 ? (16 << 20) : 0;
    options.l2_enabled = l2;
    options.l2_map_size_bytes = 64 << 20;
    auto engine = Must(Engine::Open(options), "open");
    storage::TypeDefinition post{"post", "", {{"views", storage::FieldKind::kInteger}}, {}};
    Must(engine->RegisterType(post), "register");
    return engine;
  }
  static std::string Publish(Engine& engine, const std::string& data,
                             std::optional<int64_t> scheduled_at = std::nullopt,
                             std::optional<int64_t> expires_at = std::nullopt) {
    storage::CreateOp op{"default", "post", data, {}};
    op.fields.scheduled_at = scheduled_at;
    op.fields.expires_at = expires_at;
    return engine_testing::CreatePublished(engine, std::move(op));
  }
  static storage::Query Listing() {
    storage::Query q;
    q.type = "post";
    return q;
  }
  // The engine's answer, checked against the store's at this instant.
  static PageRef QueryChecked(Engine& engine, const storage::Query& q = Listing()) {
    auto got = engine.Query(q);
    auto want = OpenOracle(engine)->List(q);
    EXPECT_EQ(ComparePage(got, want), "");
    return Must(std::move(got), "query");
  }

  TempDir dir_;
};

TEST_P(ScheduleTest, CachedPageDoesNotOutliveScheduledAtOrExpiresAt) {
  ManualClock clock(kStart);
  const TierSetup setup = GetParam();
  auto engine = Open(&clock, nullptr, setup.l1, setup.l2);
  Publish(*engine, R"({"views":1})");
  Publish(*engine, R"({"views":2})", kStartSeconds + 100);                // goes live
  Publish(*engine, R"({"views":3})", std::nullopt, kStartSeconds + 200);  // goes dark

  EXPECT_EQ(QueryChecked(*engine).count(), 2);
  engine->FlushFills();
  PageRef cached = QueryChecked(*engine);
  EXPECT_EQ(cached.count(), 2);
  EXPECT_NE(cached.tier(), Tier::kDatabase) << "the page was not cached: the test proves nothing";

  clock.AdvanceSeconds(99);  // 1 s before the boundary: still cached, still 2
  EXPECT_EQ(QueryChecked(*engine).count(), 2);
  clock.AdvanceSeconds(1);  // exactly at scheduled_at: live
  EXPECT_EQ(QueryChecked(*engine).count(), 3);
  engine->FlushFills();
  EXPECT_EQ(QueryChecked(*engine).count(), 3);
  clock.AdvanceSeconds(100);  // exactly at expires_at: gone
  EXPECT_EQ(QueryChecked(*engine).count(), 2);
  engine->FlushFills();
  EXPECT_EQ(QueryChecked(*engine).count(), 2);
}

INSTANTIATE_TEST_SUITE_P(Tiers, ScheduleTest,
                         ::testing::Values(TierSetup{true, true}, TierSetup{false, true},
                                           TierSetup{true, false}),
                         [](const auto& info) {
                           return std::string(info.param.l1 ? "L1" : "noL1") +
                                  (info.param.l2 ? "L2" : "noL2");
                         });

class ScheduleRaceTest : public ScheduleTest {};

TEST_F(ScheduleRaceTest, BoundaryPassingBetweenReadAndFill) {
  // The reader reads (the scheduled post not live yet) and is held before its fill while the
  // clock moves past scheduled_at. What it fills must not be served after the boundary — not
  // by L1, not by L2 (checked through a fresh engine).
  ManualClock clock(kStart);
  GateHooks hooks;
  auto engine = Open(&clock, &hooks);
  Publish(*engine, R"({"views":1})");
  Publish(*engine, R"({"views":2})", kStartSeconds + 10);
  hooks.on_fill = [&] { clock.AdvanceSeconds(15); };  // descheduled for 15 s right here
  auto raced = Must(engine->Query(Listing()), "raced query");
  hooks.on_fill = nullptr;
  EXPECT_EQ(raced.count(), 1);
  PageRef later = QueryChecked(*engine);
  EXPECT_EQ(later.count(), 2) << "stale page from " << TierName(later.tier());
  engine->FlushFills();
  engine.reset();
  auto fresh = Open(&clock, nullptr, /*l1=*/false);
  PageRef from_l2 = QueryChecked(*fresh);
  EXPECT_EQ(from_l2.count(), 2) << "stale page from " << TierName(from_l2.tier());
}

TEST_F(ScheduleRaceTest, BoundaryPassingDuringTheRead) {
  // The clock crosses scheduled_at between the store's read (which took the time) and the
  // engine's computation of the page's lifetime: the page read before the boundary must not
  // be cached past it. L2 is off so no other thread reads the clock.
  JumpClock clock(kStart);
  struct ArmOnce : EngineHooks {
    JumpClock* clock = nullptr;
    std::atomic<bool> armed{false};
    void BeforeDatabaseRead() override {
      if (armed.exchange(false)) clock->ArmJump(15'000'000);
    }
  } arm;
  arm.clock = &clock;
  auto engine = Open(&clock, &arm, /*l1=*/true, /*l2=*/false);
  Publish(*engine, R"({"views":1})");
  Publish(*engine, R"({"views":2})", kStartSeconds + 10);
  arm.armed = true;
  auto raced = Must(engine->Query(Listing()), "raced query");
  EXPECT_EQ(raced.count(), 1);  // the store read at the old time
  auto later = Must(engine->Query(Listing()), "later query");
  auto want = Must(OpenOracle(*engine)->List(Listing()), "list");
  EXPECT_EQ(want.count, 2);
  EXPECT_EQ(later.count(), 2) << "page read before the boundary served after it, from "
                              << TierName(later.tier());
}

// ---- Principals ----

class PrincipalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options options;
    options.data_dir = dir_.str();
    options.l2_map_size_bytes = 64 << 20;
    engine_ = Must(Engine::Open(options), "open");
    storage::TypeDefinition post{"post", "", {{"views", storage::FieldKind::kInteger}}, {}};
    Must(engine_->RegisterType(post), "register");
    open_ = Publish(R"({"views":1})");     // no rules: readable by all
    editors_ = Publish(R"({"views":2})");  // editors only
    Must(engine_->SetPermissions("default", editors_, {{"role", "editor", "read", "allow"}}),
         "perm");
    not_bob_ = Publish(R"({"views":3})");  // public, but bob is denied
    Must(
        engine_->SetPermissions("default", not_bob_,
                                {{"public", "", "read", "allow"}, {"user", "bob", "read", "deny"}}),
        "perm");
    group_ = Publish(R"({"views":4})");  // group g1 only
    Must(engine_->SetPermissions("default", group_, {{"group", "g1", "read", "allow"}}), "perm");

    storage::Principal anon;
    storage::Principal alice;
    alice.user_id = "alice";
    alice.roles = {"editor"};
    storage::Principal bob = alice;  // same roles, but bob
    bob.user_id = "bob";
    storage::Principal carol;
    carol.user_id = "carol";
    carol.groups = {"g1"};
    storage::Principal editor_only;
    editor_only.roles = {"editor"};
    storage::Principal two_roles;
    two_roles.user_id = "alice";
    two_roles.roles = {"viewer", "editor"};
    principals_ = {anon, alice, bob, carol, editor_only, two_roles};
    oracle_ = OpenOracle(*engine_);
  }
  std::string Publish(const std::string& data) {
    return engine_testing::CreatePublished(*engine_, data);
  }
  // Queries as each principal in order (twice each, so the second is cached) and checks every
  // page against the store's answer for that principal.
  void CheckAll(const std::vector<size_t>& order) {
    for (size_t i : order) {
      storage::Query q;
      q.type = "post";
      q.sort = "views";
      q.principal = principals_[i];
      for (int round = 0; round < 2; ++round) {
        auto got = engine_->Query(q);
        auto want = oracle_->List(q);
        ASSERT_EQ(ComparePage(got, want), "") << "principal " << q.principal.CanonicalKey();
      }
      for (const std::string& root : {open_, editors_, not_bob_, group_}) {
        auto got = engine_->Get("default", root, storage::Axis::kPublished, principals_[i]);
        auto want = oracle_->Get("default", root, storage::Axis::kPublished, principals_[i]);
        ASSERT_EQ(got.ok(), want.ok()) << "get " << root << " as " << principals_[i].CanonicalKey();
        if (got.ok()) {
          ASSERT_EQ(got->json(), want->ToJson());
        }
      }
    }
  }

  TempDir dir_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<storage::DocumentStore> oracle_;
  std::string open_, editors_, not_bob_, group_;
  std::vector<storage::Principal> principals_;
};

TEST_F(PrincipalTest, PagesAreNeverSharedBetweenPrincipals) {
  // Sanity: the principals really see different things.
  auto count = [&](size_t i) {
    storage::Query q;
    q.type = "post";
    q.principal = principals_[i];
    return Must(oracle_->List(q), "list").count;
  };
  EXPECT_EQ(count(0), 2);  // anon: open, not_bob
  EXPECT_EQ(count(1), 3);  // alice: open, editors, not_bob
  EXPECT_EQ(count(2), 2);  // bob: open, editors
  EXPECT_EQ(count(3), 3);  // carol: open, not_bob, group
  // Warm in one order, then read in others: every answer must be the principal's own.
  CheckAll({1, 0, 2, 3, 4, 5});
  CheckAll({0, 1, 3, 2, 5, 4});
  CheckAll({5, 4, 3, 2, 1, 0});
  engine_->FlushFills();
  CheckAll({2, 1, 0, 3, 4, 5});
}

TEST_F(PrincipalTest, PermissionChangeReachesCachedPages) {
  CheckAll({0, 1, 2, 3});
  // Bob is no longer denied; editors lose access; anon is denied the open one.
  Must(engine_->SetPermissions("default", not_bob_, {}), "perm");
  Must(engine_->SetPermissions("default", editors_, {{"role", "editor", "read", "deny"}}), "perm");
  Must(engine_->SetPermissions("default", open_, {{"user", "alice", "read", "allow"}}), "perm");
  CheckAll({0, 1, 2, 3, 4, 5});
}

}  // namespace
}  // namespace folio
