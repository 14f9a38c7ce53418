// folio::Options: how an Engine is opened. Plain data; every field has a default and a unit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "folio/base/clock.h"

namespace folio {

class EngineHooks;

struct Options {
  // ---- Where ----
  // The data directory: holds folio.sqlite (unless db_path says otherwise), the LMDB tier in
  // kv/, and folio.epoch (the cross-process write signal). Created when missing.
  std::string data_dir = "./folio-data";
  // The SQLite file to serve; empty means <data_dir>/folio.sqlite.
  std::string db_path;
  // Create the database when it does not exist (false: opening a missing file is an error).
  // Every open applies pending migrations, whatever this says.
  bool create_if_missing = true;

  // ---- L1: in-process LRU ----
  // Capacity in bytes of page data (plus per-entry overhead); 0 disables L1. Default 256 MiB.
  size_t l1_capacity_bytes = size_t{256} << 20;
  // log2 of the shard count; -1 picks from the hardware. See folio::cache::LruOptions.
  int l1_shard_bits = -1;
  // Per-thread fronts of 256 recently served pages ahead of L1's shards, so a repeated hit
  // writes no memory other threads write (folio::cache::LruOptions::thread_front). They keep
  // at most 256 pages per thread alive past their L1 eviction. Default on.
  bool l1_thread_front = true;

  // ---- L2: LMDB in <data_dir>/kv ----
  // LMDB allows one open environment per process: while an Engine of this process uses a
  // data dir's L2, another Engine opened on the same data dir in this process runs without
  // L2 (EngineStats::l2_available is false). Other processes share it as usual.
  bool l2_enabled = true;
  // Upper bound of the LMDB map, bytes. Every process on the data dir must agree. Default 1 GiB.
  size_t l2_map_size_bytes = size_t{1} << 30;
  // fsync every L2 commit. Off by default: an L2 entry is checked against the change log on
  // every hit, so an entry an OS crash loses is only a miss, and a damaged environment is
  // detected and recreated at open.
  bool l2_durable_commits = false;
  // Hash every L2 value on every hit (XXH3 of the whole page: ~0.6 µs for 24 KB, a third of
  // an L2 hit), so bytes damaged in the file while folio runs (a disk error, a stray writer)
  // are a miss, never an answer. Default on. Off trusts LMDB's pages within one boot: in
  // non-durable mode an environment written before the last reboot (the case that can tear
  // pages) is discarded anyway, and every page's structure is still checked.
  bool l2_verify_checksums = true;
  // Fills waiting for the background L2 writer; beyond this, fills are dropped (and counted).
  size_t l2_fill_queue_limit = 4096;

  // ---- Pages ----
  // Upper bound on how long a cached page lives, microseconds; 0 = no bound (pages are dropped
  // by invalidation, schedule boundaries and eviction). Default 0.
  int64_t page_ttl_micros = 0;

  // ---- L3: SQLite ----
  // Threads that run blocking SQLite work for the async API. Default 2.
  int sqlite_threads = 2;
  // Read connections in the store's pool. Default 4.
  int read_connections = 4;
  // Versions kept per document (0 keeps all). Default 10.
  int keep_versions = 10;
  // A write that returned survives a power loss or an OS crash (SQLite synchronous=FULL: an
  // fsync of the WAL per commit). false (synchronous=NORMAL) keeps writes across a crash of
  // the process only; the last commits may be lost to a power loss — and the cache then
  // never serves a page of the lost commits (log positions carry salts). Default true.
  bool durable_writes = true;

  // ---- Consistency ----
  // Writes made to the SQLite file by other programs are reflected within this bound,
  // microseconds. Writes through folio, in any process, are reflected at once. Default 100 ms.
  int64_t external_write_bound_micros = 100'000;

  // ---- Testing ----
  // Time source; nullptr = Clock::Real(). Not owned; must outlive the Engine.
  const Clock* clock = nullptr;
  // Interleaving points for race tests; nullptr in production. Not owned.
  EngineHooks* hooks = nullptr;
};

// Places where a test can stop the engine to force an interleaving. Called on the thread
// doing the work; an implementation may block (on a latch) to let another thread run.
class EngineHooks {
 public:
  virtual ~EngineHooks() = default;
  // A query missed L1 and L2 and is about to read SQLite (its key and log position are already
  // taken).
  virtual void BeforeDatabaseRead() {}
  // A query read its page from SQLite and is about to fill L1 and L2.
  virtual void BeforeFill() {}
  // A write committed and is about to tell other processes and drop what it changed.
  virtual void AfterCommit() {}
};

}  // namespace folio
