// Crashes: a child process writes and reads through an Engine in a loop, acknowledging each
// write that returned through a pipe; the parent SIGKILLs it after a random number of
// acknowledged writes (not after a time), many times over. After each kill an Engine reopened
// on the dir must hold every acknowledged write, and every page it serves — from L2 where the
// dead child left one, else SQLite — must equal the store's answer.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "engine_test_util.h"
#include "folio/engine/engine.h"
#include "folio/storage/document_store.h"

namespace folio {
namespace {

using engine_testing::ComparePage;
using engine_testing::Must;
using engine_testing::OpenOracle;
using engine_testing::RecvU64;
using engine_testing::SendU64;
using engine_testing::TempDir;

constexpr int kKills = 16;
constexpr uint64_t kChildMaxWrites = 100'000;  // a bound; the parent kills long before

Options EngineOptions(const std::string& dir) {
  Options options;
  options.data_dir = dir;
  options.l2_map_size_bytes = 64 << 20;
  options.l1_capacity_bytes = 4 << 20;
  return options;
}

// Every listing the child reads: the counter, the items (several shapes), and a static type
// the child never writes (its L2 pages survive every kill and must stay right).
std::vector<storage::Query> Listings() {
  std::vector<storage::Query> out;
  storage::Query counter;
  counter.type = "counter";
  out.push_back(counter);
  for (const char* sort : {"updated_at", "n"}) {
    for (int limit : {3, 100}) {
      for (auto axis : {storage::Axis::kPublished, storage::Axis::kDraft}) {
        storage::Query q;
        q.type = "item";
        q.sort = sort;
        q.limit = limit;
        q.axis = axis;
        out.push_back(q);
      }
    }
  }
  storage::Query fixed;
  fixed.type = "fixed";
  fixed.limit = 2;
  out.push_back(fixed);
  fixed.sort = "created_at";
  out.push_back(fixed);
  return out;
}

// Registers the types the children write and read, and publishes the counter (its root is
// returned), `fixed` documents of the type no child writes, and `items` items. The engine is
// closed again before any fork.
std::string Seed(const std::string& dir, int fixed, int items) {
  auto engine = Must(Engine::Open(EngineOptions(dir)), "setup open");
  Must(engine->RegisterType({"counter", "", {{"v", storage::FieldKind::kInteger}}, {}}), "reg");
  Must(engine->RegisterType({"item", "", {{"n", storage::FieldKind::kInteger}}, {}}), "reg");
  Must(engine->RegisterType({"fixed", "", {}, {}}), "reg");
  const std::string counter_root =
      engine_testing::CreatePublished(*engine, R"({"v":0})", "counter");
  for (int i = 0; i < fixed; ++i)
    engine_testing::CreatePublished(*engine, "{}", "fixed");
  for (int i = 0; i < items; ++i)
    engine_testing::CreatePublished(*engine, "{\"n\":" + std::to_string(i) + "}", "item");
  return counter_root;
}

// The child's loop: bump the counter (patch + publish), create and publish an item, and every
// so often unpublish one; acknowledge each write after it returned; read every listing.
[[noreturn]] void ChildLoop(const std::string& dir, const std::string& counter_root, uint64_t base,
                            int ack_fd) {
  try {
    auto engine = Must(Engine::Open(EngineOptions(dir)), "child open");
    const auto listings = Listings();
    std::vector<std::string> items;
    for (uint64_t k = 1; k <= kChildMaxWrites; ++k) {
      const uint64_t value = base + k;
      Must(engine->Write(storage::PatchOp{
               "default", counter_root, "{\"v\":" + std::to_string(value) + "}", {}}),
           "patch");
      Must(engine->Write(
               storage::LifecycleOp{"default", counter_root, storage::LifecycleAction::kPublish}),
           "publish");
      if (!SendU64(ack_fd, value)) ::_exit(3);
      auto item = Must(engine->Write(storage::CreateOp{
                           "default", "item", "{\"n\":" + std::to_string(value) + "}", {}}),
                       "create");
      Must(engine->Write(storage::LifecycleOp{"default", item.document.root_id,
                                              storage::LifecycleAction::kPublish}),
           "publish item");
      items.push_back(item.document.root_id);
      if (k % 3 == 0) {
        Must(engine->Write(storage::LifecycleOp{"default", items[items.size() / 2],
                                                storage::LifecycleAction::kUnpublish}),
             "unpublish");
      }
      for (const auto& q : listings)
        Must(engine->Query(q), "child query");
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "crash child: %s\n", e.what());
    ::_exit(2);
  }
  ::_exit(0);
}

TEST(EngineCrashTest, KilledAtRandomPointsLosesNoWriteAndLeavesNoStalePage) {
  TempDir dir;
  const std::string counter_root = Seed(dir.str(), /*fixed=*/5, /*items=*/0);

  std::mt19937 rng(4242);
  uint64_t acknowledged = 0;
  int pages_checked = 0, kv_pages = 0;
  const auto listings = Listings();
  for (int round = 0; round < kKills && !::testing::Test::HasFailure(); ++round) {
    const uint64_t kill_after = std::uniform_int_distribution<uint64_t>(1, 25)(rng);
    int acks[2];
    ASSERT_EQ(::pipe(acks), 0);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(acks[0]);
      ChildLoop(dir.str(), counter_root, acknowledged, acks[1]);
    }
    ::close(acks[1]);
    uint64_t got = 0, value = 0;
    while (got < kill_after && RecvU64(acks[0], &value)) {
      ++got;
      acknowledged = value;
    }
    ASSERT_EQ(got, kill_after) << "the child died on its own";
    ::kill(child, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    // Acknowledgements already in the pipe when the child died are acknowledged writes too.
    while (RecvU64(acks[0], &value))
      acknowledged = value;
    ::close(acks[0]);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << status;

    // Reopen (in this process; closed again before the next fork) and check.
    auto engine = Must(Engine::Open(EngineOptions(dir.str())), "reopen");
    auto oracle = OpenOracle(*engine);
    auto counter = Must(oracle->Get("default", counter_root, storage::Axis::kPublished), "counter");
    const auto v = nlohmann::json::parse(counter.data)["v"].get<uint64_t>();
    // The child may have committed one write past its last acknowledgement, never fewer.
    EXPECT_GE(v, acknowledged) << "round " << round << ": an acknowledged write was lost";
    EXPECT_LE(v, acknowledged + 1);
    acknowledged = v;  // the next child continues from what is stored
    for (const auto& q : listings) {
      for (int i = 0; i < 2; ++i) {  // first from L2 or SQLite, then from L1
        auto page = engine->Query(q);
        auto want = oracle->List(q);
        ASSERT_EQ(ComparePage(page, want), "")
            << "round " << round << " listing " << q.CanonicalKey() << " limit " << q.limit;
        ++pages_checked;
        if (page->tier() == Tier::kKv) ++kv_pages;
      }
    }
    auto item_get = Must(engine->Get("default", counter_root, storage::Axis::kPublished), "get");
    EXPECT_EQ(item_get.json(), counter.ToJson());
  }
  std::printf("crash: %d kills, %d pages checked after restarts, %d of them from L2\n", kKills,
              pages_checked, kv_pages);
  EXPECT_GT(kv_pages, 0) << "no page came from L2 after a restart: the test proves little";
}

// Kills the process at its `n`-th commit, between the commit and everything after it (the
// epoch bump, the L1 drops, the return).
class KillAtCommit : public EngineHooks {
 public:
  explicit KillAtCommit(int n) : left_(n) {}
  void AfterCommit() override {
    if (--left_ == 0) ::raise(SIGKILL);
  }

 private:
  int left_;
};

// A child fills L1 and L2 with every listing, then writes; it dies right after its n-th
// commit, for every n of one round of writes. The engine reopened afterwards must serve
// every listing as the store answers it, from L2 where the entry is still valid.
TEST(EngineCrashTest, KilledBetweenACommitAndItsInvalidationLeavesNoStalePage) {
  constexpr int kCommitsPerRound = 5;  // patch, publish, create, publish, unpublish
  int from_l2 = 0;
  for (int kill_at = 1; kill_at <= kCommitsPerRound; ++kill_at) {
    SCOPED_TRACE("killed after commit " + std::to_string(kill_at));
    TempDir dir;
    const std::string counter_root = Seed(dir.str(), /*fixed=*/3, /*items=*/3);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      try {
        KillAtCommit hooks(kill_at);
        Options options = EngineOptions(dir.str());
        options.hooks = &hooks;
        auto engine = Must(Engine::Open(options), "child open");
        for (const auto& q : Listings())
          Must(engine->Query(q), "warm");
        engine->FlushFills();
        Must(engine->Write(storage::PatchOp{"default", counter_root, "{\"v\":1}", {}}), "p");
        Must(engine->Write(
                 storage::LifecycleOp{"default", counter_root, storage::LifecycleAction::kPublish}),
             "publish");
        auto item =
            Must(engine->Write(storage::CreateOp{"default", "item", "{\"n\":-1}", {}}), "create");
        Must(engine->Write(storage::LifecycleOp{"default", item.document.root_id,
                                                storage::LifecycleAction::kPublish}),
             "publish item");
        Must(engine->Write(storage::LifecycleOp{"default", item.document.root_id,
                                                storage::LifecycleAction::kUnpublish}),
             "unpublish");
      } catch (...) {
        ::_exit(2);
      }
      ::_exit(0);  // not reached: the hook kills the child first
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;

    auto engine = Must(Engine::Open(EngineOptions(dir.str())), "reopen");
    auto oracle = OpenOracle(*engine);
    for (int pass = 0; pass < 2; ++pass) {
      for (const auto& q : Listings()) {
        auto got = engine->Query(q);
        EXPECT_EQ(ComparePage(got, oracle->List(q)), "") << q.CanonicalKey();
        if (got.ok() && got->tier() == Tier::kKv) ++from_l2;
      }
    }
  }
  // The listings the writes did not reach came back from L2: the check keeps them.
  EXPECT_GT(from_l2, 0);
}

}  // namespace
}  // namespace folio
