// Two processes on one environment. The child is fork()ed before either side opens LMDB (an
// LMDB env must not cross a fork); the two sides take turns through pipes, never sleeps.

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <memory>
#include <string>
#include <vector>

#include "folio/kv/kv_store.h"
#include "kv_test_util.h"

namespace folio::kv {
namespace {

using testing::Key;
using testing::MakeValue;
using testing::TempDir;

constexpr int kBoundMillis = 20'000;  // a hang bound only; nothing is timed

// A one-shot signal between processes: Signal() writes a byte, Wait() reads one.
class PipeLatch {
 public:
  PipeLatch() {
    if (::pipe(fds_) != 0) std::abort();
  }
  ~PipeLatch() {
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  void Signal() const {
    const char byte = 1;
    if (::write(fds_[1], &byte, 1) != 1) std::abort();
  }
  bool Wait() const {
    pollfd p{fds_[0], POLLIN, 0};
    if (::poll(&p, 1, kBoundMillis) != 1) return false;
    char byte = 0;
    return ::read(fds_[0], &byte, 1) == 1;
  }

 private:
  int fds_[2];
};

KvOptions Options(const std::string& dir) {
  KvOptions options;
  options.dir = dir;
  options.map_size_bytes = size_t{8} << 20;
  return options;
}

// Exit status of the child; 0 = all its checks passed.
int WaitChild(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

constexpr int kKeysEach = 40;

TEST(KvMultiProcessTest, TwoProcessesReadAndWriteTheSameEnvironmentAtOnce) {
  TempDir dir;
  PipeLatch child_wrote;   // child -> parent: my keys are committed
  PipeLatch parent_wrote;  // parent -> child: my keys are committed
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // Child: only _exit() from here, never return into the test framework.
    Result<std::unique_ptr<KvStore>> store = KvStore::Open(Options(dir.path()));
    if (!store.ok()) ::_exit(10);
    for (int i = 0; i < kKeysEach; ++i) {
      if (!(*store)->Put("child/" + Key(i), MakeValue(6000, i)).ok()) ::_exit(11);
    }
    child_wrote.Signal();
    if (!parent_wrote.Wait()) ::_exit(12);
    for (int i = 0; i < kKeysEach; ++i) {
      Result<std::string> copy = (*store)->GetCopy("parent/" + Key(i));
      if (!copy.ok() || *copy != MakeValue(6000, 1000 + i)) ::_exit(13);
    }
    // Its own keys, overwritten by the parent meanwhile, show the parent's version.
    Result<std::string> overwritten = (*store)->GetCopy("child/" + Key(0));
    if (!overwritten.ok() || *overwritten != "parent was here") ::_exit(14);
    ::_exit(0);
  }

  Result<std::unique_ptr<KvStore>> opened = KvStore::Open(Options(dir.path()));
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  KvStore& store = **opened;
  // Written while the child is (possibly) still writing: writers from two processes interleave.
  for (int i = 0; i < kKeysEach / 2; ++i) {
    ASSERT_TRUE(store.Put("parent/" + Key(i), MakeValue(6000, 1000 + i)).ok());
  }
  ASSERT_TRUE(child_wrote.Wait()) << "child never signalled";
  for (int i = 0; i < kKeysEach; ++i) {
    Result<std::string> copy = store.GetCopy("child/" + Key(i));
    ASSERT_TRUE(copy.ok()) << "child/" << Key(i) << ": " << copy.status().ToString();
    EXPECT_EQ(*copy, MakeValue(6000, i));
  }
  for (int i = kKeysEach / 2; i < kKeysEach; ++i) {
    ASSERT_TRUE(store.Put("parent/" + Key(i), MakeValue(6000, 1000 + i)).ok());
  }
  ASSERT_TRUE(store.Put("child/" + Key(0), "parent was here").ok());
  parent_wrote.Signal();
  EXPECT_EQ(WaitChild(pid), 0);
  EXPECT_EQ(store.Stats().entries, static_cast<uint64_t>(2 * kKeysEach));
}

// A process that dies inside a read leaves its reader slot behind; a live process clears it.
TEST(KvMultiProcessTest, ReaderSlotOfADeadProcessIsCleared) {
  TempDir dir;
  PipeLatch parent_opened;
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (!parent_opened.Wait()) ::_exit(20);
    Result<std::unique_ptr<KvStore>> store = KvStore::Open(Options(dir.path()));
    if (!store.ok()) ::_exit(21);
    if (!(*store)->Put("k", "v").ok()) ::_exit(22);
    // Dies holding the read transaction.
    (void)(*store)->Get("k", [](std::string_view) { ::_exit(0); });
    ::_exit(23);
  }
  // The parent must hold the environment open: the first opener of an environment resets its
  // reader table, which would hide the stale slot.
  Result<std::unique_ptr<KvStore>> opened = KvStore::Open(Options(dir.path()));
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  parent_opened.Signal();
  ASSERT_EQ(WaitChild(pid), 0);
  EXPECT_EQ((*opened)->Stats().stale_readers_cleared, 0u);
  ASSERT_TRUE((*opened)->Maintain().ok());
  EXPECT_GE((*opened)->Stats().stale_readers_cleared, 1u);
  EXPECT_EQ(*(*opened)->GetCopy("k"), "v");
}

// durable_commits = false skips fsync, not write(): a process killed right after its commits
// (no destructor, no mdb_env_sync) loses none of them.
TEST(KvMultiProcessTest, NonDurableCommitsSurviveSigkillOfTheWriter) {
  TempDir dir;
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    KvOptions options = Options(dir.path());
    options.durable_commits = false;
    Result<std::unique_ptr<KvStore>> store = KvStore::Open(options);
    if (!store.ok()) ::_exit(30);
    for (int i = 0; i < kKeysEach; ++i) {
      if (!(*store)->Put(Key(i), MakeValue(6000, i)).ok()) ::_exit(31);
    }
    std::vector<std::string> keys;
    std::vector<std::string> values;
    for (int i = kKeysEach; i < 2 * kKeysEach; ++i) {
      keys.push_back(Key(i));
      values.push_back(MakeValue(6000, i));
    }
    std::vector<KvEntry> batch;
    for (size_t j = 0; j < keys.size(); ++j)
      batch.push_back(KvEntry{keys[j], values[j]});
    if (!(*store)->PutBatch(batch).ok()) ::_exit(32);
    ::raise(SIGKILL);
    ::_exit(33);
  }
  ASSERT_EQ(WaitChild(pid), 128 + SIGKILL);
  Result<std::unique_ptr<KvStore>> opened = KvStore::Open(Options(dir.path()));
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  for (int i = 0; i < 2 * kKeysEach; ++i) {
    Result<std::string> copy = (*opened)->GetCopy(Key(i));
    ASSERT_TRUE(copy.ok()) << Key(i) << ": " << copy.status().ToString();
    EXPECT_EQ(*copy, MakeValue(6000, i));
  }
  KvStats stats = (*opened)->Stats();
  EXPECT_EQ(stats.entries, static_cast<uint64_t>(2 * kKeysEach));
  EXPECT_EQ(stats.fault(FaultKind::kEnvRecreated), 0u);
}

}  // namespace
}  // namespace folio::kv
