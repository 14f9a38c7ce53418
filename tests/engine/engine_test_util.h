// Shared helpers for the engine's cross-cutting suites: unique temp dirs, Must(), a one-shot
// gate for forcing interleavings through EngineHooks, forked children and pipe messaging for
// multi-process tests, an oracle store on the engine's database and a comparison of an engine
// page with its answer.
#pragma once

#include "support/temp_dir.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include "folio/base/status.h"
#include "folio/engine/engine.h"
#include "folio/storage/document_store.h"

namespace folio::engine_testing {

// The value of `r`, or a thrown exception (GoogleTest reports it as a failure of the test).
template <typename T>
T Must(Result<T> r, const std::string& what = "operation") {
  if (!r.ok()) throw std::runtime_error(what + " failed: " + r.status().ToString());
  return std::move(r).value();
}
inline void Must(const Status& s, const std::string& what = "operation") {
  if (!s.ok()) throw std::runtime_error(what + " failed: " + s.ToString());
}

using test::TempDir;

// A one-shot stop point: the first thread that calls Pass() while armed blocks there until
// Release(); WaitReached() returns once some thread is blocked in it. Unarmed, Pass() is free.
class Gate {
 public:
  void Arm() {
    std::lock_guard lock(mu_);
    armed_ = true;
    reached_ = false;
    released_ = false;
  }
  void Pass() {
    std::unique_lock lock(mu_);
    if (!armed_) return;
    armed_ = false;
    reached_ = true;
    cv_.notify_all();
    cv_.wait(lock, [this] { return released_; });
  }
  // Returns false when nobody arrived within `seconds` (a hung test fails instead of hanging).
  bool WaitReached(int seconds = 30) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(seconds), [this] { return reached_; });
  }
  void Release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool armed_ = false, reached_ = false, released_ = false;
};

// Hooks whose two positions each have a Gate, plus an optional action run at the position
// (before the gate).
class GateHooks : public EngineHooks {
 public:
  void BeforeDatabaseRead() override { before_read.Pass(); }
  void BeforeFill() override {
    if (on_fill) on_fill();
    before_fill.Pass();
  }
  Gate before_read;
  Gate before_fill;
  std::function<void()> on_fill;
};

// Pipes: a fixed-size message both ways; EOF or error reads as false.
inline bool WriteAll(int fd, const void* data, size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}
inline bool ReadAll(int fd, void* data, size_t n) {
  char* p = static_cast<char*>(data);
  while (n > 0) {
    ssize_t r = ::read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}
inline bool SendU64(int fd, uint64_t v) {
  return WriteAll(fd, &v, sizeof v);
}
inline bool RecvU64(int fd, uint64_t* v) {
  return ReadAll(fd, v, sizeof *v);
}
inline bool SendString(int fd, const std::string& s) {
  return SendU64(fd, s.size()) && WriteAll(fd, s.data(), s.size());
}
inline bool RecvString(int fd, std::string* s) {
  uint64_t n = 0;
  if (!RecvU64(fd, &n) || n > (1u << 20)) return false;
  s->resize(n);
  return ReadAll(fd, s->data(), n);
}

// A forked child process and a pipe each way. Fork before opening anything (SQLite and LMDB
// handles and threads must not cross a fork). The child runs `main` (given the child's own
// ForkedChild: `from` reads what the parent sends, `to` writes back) and exits with its
// return value, never unwinding into the test body; the parent's end gets EOF-ended children
// reaped by Wait() or the destructor.
class ForkedChild {
 public:
  ForkedChild() = default;
  ForkedChild(const ForkedChild&) = delete;
  ForkedChild& operator=(const ForkedChild&) = delete;
  ~ForkedChild() { Wait(); }

  // False if a pipe or the fork failed. In the child, never returns.
  template <typename Main>
  bool Start(Main main) {
    int down[2], up[2];
    if (::pipe(down) != 0 || ::pipe(up) != 0) return false;
    ::signal(SIGPIPE, SIG_IGN);  // a child that died is a failed write, not a killed test
    pid_ = ::fork();
    if (pid_ < 0) return false;
    if (pid_ == 0) {
      ::close(down[1]);
      ::close(up[0]);
      to = up[1];
      from = down[0];
      int code = 98;
      try {
        code = main();
      } catch (...) {  // Must() throws: the child must not unwind into the test body
        code = 99;
      }
      ::_exit(code);  // no gtest teardown, no TempDir removal in the child
    }
    ::close(down[0]);
    ::close(up[1]);
    to = down[1];
    from = up[0];
    return true;
  }
  // Closes the pipe to the child (EOF), reaps it: its exit code, -1 if it did not exit
  // normally or was never started.
  int Wait() {
    if (pid_ <= 0) return -1;
    ::close(to);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    ::close(from);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  int to = -1;    // the parent writes to the child here (in the child: back to the parent)
  int from = -1;  // … and reads here

 private:
  pid_t pid_ = -1;
};

// Creates `op`'s document through `writer` (an Engine or a DocumentStore: anything with
// Write(WriteOp)) and publishes it; its root id. A failed write throws (a test failure).
template <typename Writer>
std::string CreatePublished(Writer& writer, storage::CreateOp op) {
  const std::string tenant = op.tenant;
  auto created = Must(writer.Write(storage::WriteOp(std::move(op))), "create");
  Must(writer.Write(storage::WriteOp(storage::LifecycleOp{tenant, created.document.root_id,
                                                          storage::LifecycleAction::kPublish})),
       "publish");
  return created.document.root_id;
}
// A document of `type` with `data`, in the default tenant.
template <typename Writer>
std::string CreatePublished(Writer& writer, std::string data, std::string type = "post") {
  return CreatePublished(writer,
                         storage::CreateOp{"default", std::move(type), std::move(data), {}});
}

// The oracle the suites compare an engine with: a DocumentStore of its own on the engine's
// database file (WAL lets it read beside the engine's connections), on the engine's clock so
// schedule windows agree, sharing nothing else with the engine. A store loads the types when
// it opens and again only for a type it does not know: open the oracle after the types it is
// asked about were last registered. Close it before the file is replaced or the process forks.
inline std::unique_ptr<storage::DocumentStore> OpenOracle(const Engine& engine) {
  storage::StoreOptions options;
  options.path = engine.options().db_path;
  options.create_if_missing = false;
  options.clock = engine.options().clock;
  return Must(storage::DocumentStore::Open(options), "open the oracle store");
}

// Why an engine page differs from the store's answer to the same query; empty when equal.
inline std::string ComparePage(const Result<PageRef>& got, const Result<storage::Page>& want) {
  if (got.ok() != want.ok()) {
    return std::string("engine ") + (got.ok() ? "ok" : got.status().ToString()) + " vs store " +
           (want.ok() ? "ok" : want.status().ToString());
  }
  if (!got.ok()) {
    if (got.status().code() != want.status().code()) {
      return "engine " + got.status().ToString() + " vs store " + want.status().ToString();
    }
    return "";
  }
  if (got->documents_json() != want->documents_json) {
    return "documents differ (tier " + std::string(TierName(got->tier())) +
           ")\n engine: " + std::string(got->documents_json()) +
           "\n store:  " + want->documents_json;
  }
  if (got->count() != want->count) {
    return "count " + std::to_string(got->count()) + " vs " + std::to_string(want->count);
  }
  auto cursor = got->next_cursor();
  if (cursor.has_value() != want->next_cursor.has_value()) {
    return std::string("next_cursor presence differs (tier ") + TierName(got->tier()) + ")";
  }
  if (cursor && *cursor != *want->next_cursor) return "next_cursor differs";
  return "";
}

}  // namespace folio::engine_testing
