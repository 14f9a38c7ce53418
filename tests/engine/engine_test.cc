#include "folio/engine/engine.h"

#include <gtest/gtest.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "engine_test_util.h"
#include "folio/storage/document_store.h"

namespace folio {
namespace {

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("folio_engine_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    Options options;
    options.data_dir = dir_.string();
    options.l2_map_size_bytes = 64 << 20;
    options.l1_capacity_bytes = 16 << 20;
    auto engine = Engine::Open(options);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(*engine);
    storage::TypeDefinition post{"post", "", {{"views", storage::FieldKind::kInteger}}, {"tags"}};
    ASSERT_TRUE(engine_->RegisterType(post).ok());
  }
  void TearDown() override {
    engine_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::string CreatePublished(const std::string& data) {
    return engine_testing::CreatePublished(*engine_, data);
  }

  std::filesystem::path dir_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineTest, ReadThroughThenMemoryThenWriteInvalidates) {
  CreatePublished(R"({"views":1})");
  storage::Query q;
  q.type = "post";
  auto first = engine_->Query(q);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->tier(), Tier::kDatabase);
  EXPECT_EQ(first->count(), 1);
  auto second = engine_->Query(q);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->tier(), Tier::kMemory);
  EXPECT_EQ(second->bytes().get(), first->bytes().get());
  CreatePublished(R"({"views":2})");
  auto third = engine_->Query(q);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(third->tier(), Tier::kDatabase);
  EXPECT_EQ(third->count(), 2);
}

TEST_F(EngineTest, AsyncQueryWithFuture) {
  CreatePublished(R"({"views":1})");
  storage::Query q;
  q.type = "post";
  auto fut = engine_->AsyncQuery(q, boost::asio::use_future);
  Result<PageRef> r = fut.get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->count(), 1);
  auto fut2 = engine_->AsyncQuery(q, boost::asio::use_future);
  EXPECT_EQ(fut2.get()->tier(), Tier::kMemory);
}

// LMDB allows one environment per process: a second Engine on the data dir runs without L2
// while the first is open, and the next one opened after it closed has L2 again.
TEST_F(EngineTest, ASecondEngineOnTheDataDirInOneProcessRunsWithoutL2) {
  Options options;
  options.data_dir = dir_.string();
  options.l2_map_size_bytes = 64 << 20;
  auto second = Engine::Open(options);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_TRUE(engine_->Stats().l2_available);
  EXPECT_FALSE((*second)->Stats().l2_available);
  engine_.reset();
  second->reset();
  auto third = Engine::Open(options);
  ASSERT_TRUE(third.ok());
  EXPECT_TRUE((*third)->Stats().l2_available);
}

TEST_F(EngineTest, L2AnswersAfterL1IsGone) {
  CreatePublished(R"({"views":1})");
  storage::Query q;
  q.type = "post";
  ASSERT_TRUE(engine_->Query(q).ok());
  engine_->FlushFills();
  engine_.reset();
  Options options;
  options.data_dir = dir_.string();
  options.l2_map_size_bytes = 64 << 20;
  auto reopened = Engine::Open(options);
  ASSERT_TRUE(reopened.ok());
  auto page = (*reopened)->Query(q);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->tier(), Tier::kKv);
  EXPECT_EQ(page->count(), 1);
  engine_ = std::move(*reopened);
}

// Invalidation is per (tenant, type): a publish to one type leaves another type's pages, and
// the same type's pages of another tenant, where they are.
TEST_F(EngineTest, AWriteToOneTypeLeavesOtherTypesAndTenantsCached) {
  storage::TypeDefinition page_type{"page", "", {}, {}};
  ASSERT_TRUE(engine_->RegisterType(page_type).ok());
  CreatePublished(R"({"views":1})");
  auto other = engine_->Write(storage::CreateOp{"default", "page", R"({"x":1})", {}});
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(engine_
                  ->Write(storage::LifecycleOp{"default", other->document.root_id,
                                               storage::LifecycleAction::kPublish})
                  .ok());
  auto tenant_b = engine_->Write(storage::CreateOp{"b", "post", R"({"views":3})", {}});
  ASSERT_TRUE(tenant_b.ok());
  ASSERT_TRUE(engine_
                  ->Write(storage::LifecycleOp{"b", tenant_b->document.root_id,
                                               storage::LifecycleAction::kPublish})
                  .ok());

  storage::Query pages;
  pages.type = "page";
  storage::Query posts_b;
  posts_b.tenant = "b";
  posts_b.type = "post";
  storage::Query posts;
  posts.type = "post";
  ASSERT_TRUE(engine_->Query(pages).ok());
  ASSERT_TRUE(engine_->Query(posts_b).ok());
  ASSERT_TRUE(engine_->Query(posts).ok());
  const uint64_t invalidations_before = engine_->Stats().invalidations;

  CreatePublished(R"({"views":2})");  // tenant default, type post

  auto pages_after = engine_->Query(pages);
  auto posts_b_after = engine_->Query(posts_b);
  auto posts_after = engine_->Query(posts);
  ASSERT_TRUE(pages_after.ok() && posts_b_after.ok() && posts_after.ok());
  EXPECT_EQ(pages_after->tier(), Tier::kMemory);
  EXPECT_EQ(posts_b_after->tier(), Tier::kMemory);
  EXPECT_EQ(posts_after->tier(), Tier::kDatabase);
  // The draft create reaches no cached page; the publish drops the one published page it
  // joins.
  EXPECT_EQ(engine_->Stats().invalidations - invalidations_before, 1u);
}

// A draft save cannot change a published listing, so it leaves the published pages cached and
// refreshes the draft ones; the publish then refreshes both.
TEST_F(EngineTest, ADraftSaveKeepsPublishedPagesAndThePublishRefreshesThem) {
  const std::string root = CreatePublished(R"({"views":1})");
  storage::Query published;
  published.type = "post";
  storage::Query drafts = published;
  drafts.axis = storage::Axis::kDraft;
  ASSERT_TRUE(engine_->Query(published).ok());
  ASSERT_TRUE(engine_->Query(drafts).ok());

  ASSERT_TRUE(engine_->Write(storage::PatchOp{"default", root, R"({"views":2})", {}}).ok());
  auto kept = engine_->Query(published);
  auto refreshed = engine_->Query(drafts);
  ASSERT_TRUE(kept.ok() && refreshed.ok());
  EXPECT_EQ(kept->tier(), Tier::kMemory);
  EXPECT_NE(std::string(kept->documents_json()).find(R"("views":1)"), std::string::npos);
  EXPECT_EQ(refreshed->tier(), Tier::kDatabase);
  EXPECT_NE(std::string(refreshed->documents_json()).find(R"("views":2)"), std::string::npos);
  // What the engine served is what SQLite answers now.
  auto direct = engine_testing::OpenOracle(*engine_)->List(published);
  ASSERT_TRUE(direct.ok());
  EXPECT_EQ(std::string(kept->documents_json()), direct->documents_json);

  ASSERT_TRUE(
      engine_->Write(storage::LifecycleOp{"default", root, storage::LifecycleAction::kPublish})
          .ok());
  auto after_publish = engine_->Query(published);
  ASSERT_TRUE(after_publish.ok());
  EXPECT_EQ(after_publish->tier(), Tier::kDatabase);
  EXPECT_NE(std::string(after_publish->documents_json()).find(R"("views":2)"), std::string::npos);
}

// The async forms complete on the caller's executor: a coroutine resumes on its io_context's
// thread (by post, even on an L1 hit), and a bound callback runs there too.
TEST_F(EngineTest, AsyncFormsCompleteOnTheCallersExecutor) {
  CreatePublished(R"({"views":1})");
  boost::asio::io_context io;
  std::thread::id io_thread;
  std::vector<Tier> tiers;
  bool bound_ran_on_io = false;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        storage::Query q;
        q.type = "post";
        for (int i = 0; i < 2; ++i) {
          Result<PageRef> page = co_await engine_->AsyncQuery(q, boost::asio::use_awaitable);
          EXPECT_TRUE(page.ok());
          EXPECT_EQ(std::this_thread::get_id(), io_thread);
          if (page.ok()) tiers.push_back(page->tier());
        }
        // A named operation, not a temporary in the co_await expression: GCC 12 destroys such
        // temporaries twice (GCC bug 101367).
        storage::WriteOp create = storage::CreateOp{"default", "post", R"({"views":2})", {}};
        auto written = co_await engine_->AsyncWrite(std::move(create), boost::asio::use_awaitable);
        EXPECT_TRUE(written.ok());
        EXPECT_EQ(std::this_thread::get_id(), io_thread);
        engine_->AsyncQuery(q, boost::asio::bind_executor(io, [&](Result<PageRef> page) {
                              // After the write (a new draft, which no published listing
                              // shows): still the cached page, completed on io's thread.
                              bound_ran_on_io = std::this_thread::get_id() == io_thread &&
                                                page.ok() && page->tier() == Tier::kMemory &&
                                                page->count() == 1;
                            }));
      },
      boost::asio::detached);
  io_thread = std::this_thread::get_id();
  io.run();
  ASSERT_EQ(tiers.size(), 2u);
  EXPECT_EQ(tiers[0], Tier::kDatabase);
  EXPECT_EQ(tiers[1], Tier::kMemory);
  EXPECT_TRUE(bound_ran_on_io);
}

// A bad limit is an error naming it, through every path that sizes buffers from the limit.
TEST_F(EngineTest, OutOfRangeLimitsAreRefusedWithoutHarm) {
  CreatePublished(R"({"views":1})");
  for (int limit : {0, -5, 101, 1'000'000'000}) {
    storage::Query q;
    q.type = "post";
    q.limit = limit;
    auto page = engine_->Query(q);
    ASSERT_FALSE(page.ok()) << limit;
    EXPECT_TRUE(page.status().IsInvalidArgument()) << page.status().ToString();
    EXPECT_NE(page.status().message().find("limit"), std::string::npos);
  }
}

// A non-durable L2 is trusted only within the boot that wrote it (LMDB pages unsynced at an
// OS crash may be torn); a durable one survives a reboot.
TEST_F(EngineTest, NonDurableL2IsDiscardedAfterAReboot) {
  CreatePublished(R"({"views":1})");
  storage::Query q;
  q.type = "post";
  ASSERT_TRUE(engine_->Query(q).ok());
  engine_->FlushFills();
  engine_.reset();
  for (bool durable : {false, true}) {
    {
      std::ofstream boot(dir_ / "kv" / "boot_id", std::ios::trunc);
      boot << "a-boot-before-this-one\n";
    }
    Options options;
    options.data_dir = dir_.string();
    options.l2_map_size_bytes = 64 << 20;
    options.l2_durable_commits = durable;
    auto reopened = Engine::Open(options);
    ASSERT_TRUE(reopened.ok());
    auto page = (*reopened)->Query(q);
    ASSERT_TRUE(page.ok());
    bool discarded = false;
    for (const auto& [kind, n] : (*reopened)->Stats().l2_faults_by_kind) {
      if (kind == "discarded_after_reboot" && n > 0) discarded = true;
    }
    if (durable) {
      EXPECT_EQ(page->tier(), Tier::kKv);  // refilled after the discard, and kept
      EXPECT_FALSE(discarded);
    } else {
      EXPECT_EQ(page->tier(), Tier::kDatabase);
      EXPECT_TRUE(discarded);
    }
    (*reopened)->FlushFills();
  }
}

// The per-thread front answers repeated hits, yet a write still invalidates at once and a
// page never outlives the L1 entry's deadline.
TEST_F(EngineTest, ThreadFrontFollowsInvalidationAndExpiry) {
  CreatePublished(R"({"views":1})");
  storage::Query q;
  q.type = "post";
  ASSERT_TRUE(engine_->Query(q).ok());
  for (int i = 0; i < 3; ++i) {
    auto hit = engine_->Query(q);
    ASSERT_TRUE(hit.ok());
    EXPECT_EQ(hit->tier(), Tier::kMemory);
    EXPECT_EQ(hit->count(), 1);
  }
  CreatePublished(R"({"views":2})");
  auto after = engine_->Query(q);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->tier(), Tier::kDatabase);
  EXPECT_EQ(after->count(), 2);
}

}  // namespace
}  // namespace folio
