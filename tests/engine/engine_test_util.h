// Shared helpers for the engine's cross-cutting suites: unique temp dirs, Must(), a one-shot
// gate for forcing interleavings through EngineHooks, pipe messaging for multi-process tests,
// an oracle store on the engine's database and a comparison of an engine page with its answer.
#pragma once

#include "support/temp_dir.h"

#include <gtest/gtest.h>
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
