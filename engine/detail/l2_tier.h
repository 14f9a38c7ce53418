// L2Tier: the engine's view of the LMDB tier. It never fails a query: any error is a counted
// fault and the caller goes on to SQLite. Fills are written by a background thread in
// batches (one LMDB transaction per batch), so a miss never waits for an LMDB commit.
// A tier whose files vanished or reported corruption is closed and reopened by Maintain(),
// which the engine calls from its background poller.
//
// Thread-safety: all methods, from any thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "detail/counters.h"
#include "detail/query_key.h"
#include "folio/base/clock.h"
#include "folio/kv/kv_store.h"

namespace folio::detail {

class L2Tier {
 public:
  using Bytes = std::shared_ptr<const std::string>;
  using Validator = bool (*)(std::string_view);

  struct Config {
    std::string dir;
    size_t map_size_bytes = 0;
    bool durable_commits = false;
    bool verify_checksums = true;
    size_t queue_limit = 4096;
    const Clock* clock = nullptr;
  };

  // Opens the LMDB environment; when that fails the tier starts unavailable (a fault) and
  // Maintain() keeps trying.
  explicit L2Tier(Config config);
  ~L2Tier();  // flushes pending fills, then stops the writer thread

  enum class Outcome { kHit, kMiss, kFault };
  // On a hit whose bytes pass `valid`, copies them into *out (the fill for L1).
  Outcome Get(const CacheKey& key, Validator valid, Bytes* out);
  // `ttl_micros` counts from this call (0: no expiry): the entry expires at the same instant
  // however long it waits in the queue. The writer gathers fills for up to 1 ms (or 64
  // fills) per commit, so a burst of misses wakes it once.
  void EnqueueFill(const CacheKey& key, Bytes bytes, int64_t ttl_micros);
  // Waits until every fill queued before the call is written (or dropped on a fault).
  void Flush();
  // Reopens a missing or failing environment; runs kv housekeeping.
  void Maintain();

  bool available() const;
  uint64_t faults() const { return faults_.Sum(); }
  uint64_t dropped_fills() const { return dropped_.Sum(); }
  uint64_t fills() const { return fills_.Sum(); }
  std::vector<std::pair<std::string, uint64_t>> FaultsByKind() const;
  // Stats of the open environment; empty when unavailable.
  std::optional<kv::KvStats> KvStatsSnapshot() const;

 private:
  struct Fill {
    CacheKey key;
    Bytes bytes;
    int64_t expires_at_micros;  // 0: never
  };

  std::shared_ptr<kv::KvStore> Current() const;
  // True when the environment was written before this boot (non-durable mode) and was removed.
  bool DiscardIfWrittenBeforeReboot();
  void Fault(const std::string& kind);
  void Reopen(const std::string& why);
  void WriterLoop();

  const Config config_;
  const Clock* const clock_;

  mutable std::mutex store_mu_;
  std::shared_ptr<kv::KvStore> store_;
  bool needs_reopen_ = false;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::condition_variable drained_cv_;
  std::deque<Fill> queue_;
  uint64_t enqueued_ = 0, written_ = 0;  // fills taken off the queue, counting drops
  uint64_t flush_target_ = 0;            // Flush() waits until written_ reaches this
  bool writer_idle_ = false;             // asleep until signalled (past kLinger): needs one
  bool stopping_ = false;
  std::thread writer_;

  StripedCounter faults_, dropped_, fills_;
  mutable std::mutex fault_kinds_mu_;
  std::map<std::string, uint64_t> fault_kinds_;
};

}  // namespace folio::detail
