// folio::kv::KvStore — the L2 tier: a bounded, persistent cache of opaque page bytes in an LMDB
// environment inside the data dir, shared by every folio process that opens the same directory.
//
// What it promises
//   * Entries survive a restart. Each commit is durable when Put/PutBatch/Erase/Clear returns
//     (LMDB's default sync: data pages then the meta page are fsync'd). KvOptions::no_meta_sync
//     trades the last commit on an OS crash (never on a process crash, never integrity) for one
//     fsync less. KvOptions::durable_commits = false drops the fsyncs altogether (see there): a
//     process crash still loses nothing, an OS crash may lose recent commits or damage the
//     environment.
//   * Bounded: the environment never grows past map_size_bytes. When the pages in use pass
//     evict_high_watermark of the map, the writer that noticed evicts, in short batched write
//     transactions, down to evict_low_watermark. MDB_MAP_FULL on a Put triggers eviction and a
//     retry; it is never returned to the caller unless evicting everything still does not make
//     room.
//   * Zero-copy reads: Get() hands the visitor a view of the bytes inside LMDB's memory map. Reads
//     never open a write transaction; read transactions are pooled (MDB_NOTLS + reset/renew).
//   * Every value carries a header (magic, version, expiry, insertion time, XXH3-64 of the payload,
//     payload length). A value that fails verification is a miss (fault kCorruptValue), and is
//     erased later by a writer. An expired value is a miss (counted in `expirations`).
//   * A missing, truncated or corrupt environment found by Open() is moved aside
//     (data.mdb -> data.mdb.corrupt-<unix micros>) and recreated; the reason is in
//     KvStats::last_fault and goes to KvOptions::on_fault. A corrupt page met at run time
//     (MDB_CORRUPTED / MDB_PAGE_NOTFOUND / MDB_PANIC) makes that call return Corruption and counts
//     a fault; callers degrade to L3.
//
// Eviction order — an approximation of LRU, stated honestly
//   Reads cannot write, so recency is kept as FIFO with reinsertion ("second chance"): a
//   secondary database orders keys by a sequence number assigned when the key is written. A Get
//   hit records the key (1 in read_sample_every hits per thread, bounded, dropped under
//   contention) in an in-process sample; the next write transaction of this process moves sampled
//   keys that sit in the older half of the queue to its tail. Eviction removes from the head.
//   So: a key read often, by a process that also writes, survives like LRU; a key read only by a
//   process that never writes, or read rarely, is evicted in insertion order. Expired entries are
//   reclaimed when they reach the head, when a reader met them (the writer re-checks), or by
//   Maintain().
//
// Several processes: LMDB serializes writers across processes; readers never block. Every
// process sharing a directory must use the same map_size_bytes (a process that meets a larger map
// written by another gets Unavailable until it reopens). Stale reader slots left by crashed
// processes are cleared (mdb_reader_check) at Open() and periodically by writers. Recreation of a
// corrupt environment assumes no other process is still using it.
//
// Counters in KvStats are per-process (this KvStore object), except map bytes used, map size and
// entries, which describe the shared environment.
//
// Thread-safety: every method may be called from any thread at once, unless a method says
// otherwise. Gets run in parallel; Put/Erase/Clear/Maintain serialize on LMDB's writer lock.
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "folio/base/clock.h"
#include "folio/base/status.h"

namespace folio::kv {

// What went wrong, for counters and the fault callback.
enum class FaultKind : int {
  kCorruptValue = 0,    // a stored value failed header/checksum verification (served as a miss)
  kMapFullRecovered,    // MDB_MAP_FULL on a write; eviction made room and the write succeeded
  kMapFullUnrecovered,  // MDB_MAP_FULL even after evicting everything; the write failed
  kEnvRecreated,        // Open() moved a bad environment aside and made a new one
  kCorruption,          // LMDB reported a corrupt page at run time
  kIOError,             // the OS or LMDB failed an operation (the Status says which)
  kReadersFull,         // no free reader slot (after clearing stale ones)
  kMapResized,          // another process grew the map; this KvStore must be reopened
  kEnvDamaged,          // LMDB faulted or asserted on a damaged file (contained): this KvStore
                        // answers Corruption from then on, and the next Open moves the files aside
};
inline constexpr size_t kFaultKindCount = 9;
std::string_view FaultKindName(FaultKind kind) noexcept;

// Open-time options. Plain data; every field has a default.
struct KvOptions {
  // Directory of the LMDB environment (data.mdb, lock.mdb). Created if missing. Required.
  std::string dir;

  // Upper bound of the environment, bytes; rounded down to whole OS pages by LMDB. Default 256 MiB.
  // Every process sharing `dir` must use the same value. Minimum 256 KiB.
  size_t map_size_bytes = size_t{256} << 20;

  // Fraction of the map in use (live B-tree pages) above which a writer starts evicting.
  // Range (0, 1]; 1 turns proactive eviction off (MDB_MAP_FULL recovery still runs). Default 0.85.
  double evict_high_watermark = 0.85;

  // Fraction of the map eviction brings usage down to. Range [0, evict_high_watermark). Default
  // 0.65.
  double evict_low_watermark = 0.65;

  // Entries evicted per eviction write transaction (keeps each txn short). Default 256.
  unsigned evict_batch_entries = 256;

  // TTL applied by Put() when it is given kDefaultTtl, microseconds; 0 = no expiry. Default 0.
  int64_t default_ttl_micros = 0;

  // LMDB reader slots for the whole environment (all processes together; the first opener sets
  // it). Each process's read-txn pool holds up to min(16, max_readers / 4) slots. Default 126.
  unsigned max_readers = 126;

  // Largest value Put() accepts, bytes (payload only); 0 = map_size_bytes / 16. Larger values are
  // refused with TooLarge rather than flushing the cache to make room. Default 0.
  size_t max_value_bytes = 0;

  // A Get hit records its key for recency refresh once per this many hits per thread; 1 = every
  // hit. Default 8.
  unsigned read_sample_every = 8;

  // Recompute each value's XXH3-64 on every Get. Default true.
  bool verify_checksums = true;

  // MDB_NOMETASYNC: commits fsync data but not the meta page; an OS crash may lose the last
  // committed transaction (integrity is kept). Default false (full sync on every commit).
  // Irrelevant when durable_commits is false.
  bool no_meta_sync = false;

  // false opens this process's handle with MDB_NOSYNC: a commit is written to the OS (page
  // cache) but not fsync'd, so writes cost no disk flush. What that gives up, honestly:
  //   * A process crash (SIGKILL, abort) loses nothing: the OS already has the pages.
  //   * An OS crash or power loss may lose any commit not yet flushed by the kernel (typically
  //     the last ~30 s), and, because LMDB then cannot rely on write ordering, may leave a damaged
  //     environment. Open() finds the damage it can see cheaply (a truncated data.mdb, a bad
  //     format record, an unreadable first/last page of a tree) and moves the files aside and
  //     recreates them; damage elsewhere surfaces later as Corruption from a call (callers degrade
  //     to L3) or as a value that fails its checksum (a miss). LMDB does not checksum its pages,
  //     and the value checksum covers the payload, not the key: after an OS crash a stale page
  //     could, in principle, serve another entry's intact value. If that matters, delete the
  //     directory after an unclean OS shutdown.
  //   For a cache whose every key carries a generation (the value for a key never changes),
  //   losing entries is harmless: they are misses, refilled from L3.
  // The destructor flushes (mdb_env_sync) before closing, so everything committed before a clean
  // close is durable. The flag is per process: processes sharing `dir` may differ. Default true.
  bool durable_commits = true;

  // How often writers call mdb_reader_check to clear slots of dead processes, microseconds of
  // `clock` time (also every 1024 writes). Default 10 s.
  int64_t reader_check_interval_micros = 10'000'000;

  // Source of time for TTLs. Not owned; must outlive the KvStore. nullptr = Clock::Real().
  const Clock* clock = nullptr;

  // Called (synchronously, on the thread that met the fault, possibly a reader) for every fault.
  // Must be thread-safe and must not throw. Empty = no callback.
  std::function<void(FaultKind kind, std::string_view reason)> on_fault;
};

// Counters. Per-process except map_bytes_used, map_size_bytes and entries (see the file comment).
struct KvStats {
  uint64_t hits = 0;
  uint64_t misses = 0;             // includes expired and corrupt values
  uint64_t puts = 0;               // successful Put() calls, plus entries of successful PutBatch()
  uint64_t erases = 0;             // Erase() calls that removed an entry
  uint64_t evictions = 0;          // entries removed to stay under the bound (by this process)
  uint64_t expirations = 0;        // Gets that found an expired entry
  uint64_t expired_reclaimed = 0;  // expired entries deleted by this process's writers
  uint64_t recency_refreshes = 0;  // sampled reads moved to the tail of the eviction queue
  uint64_t stale_readers_cleared = 0;
  uint64_t map_bytes_used = 0;  // live pages (all databases, incl. LMDB's free list) × page size
  uint64_t map_size_bytes = 0;  // the environment's configured bound
  uint64_t entries = 0;
  std::array<uint64_t, kFaultKindCount> faults{};  // indexed by FaultKind
  std::string last_fault;                          // "<kind>: <reason>", empty if none

  uint64_t fault(FaultKind kind) const { return faults[static_cast<size_t>(kind)]; }
};

// A non-owning reference to a callable `void(std::string_view)`, like C++26 std::function_ref.
// Cheap to copy; REQUIRES: the referenced callable outlives the ValueVisitor (pass it a lambda in
// the call expression).
class ValueVisitor {
 public:
  template <typename F>
  requires(!std::same_as<std::remove_cvref_t<F>, ValueVisitor> &&
           std::invocable<std::remove_reference_t<F>&, std::string_view>) ValueVisitor(F&& fn)
  noexcept  // NOLINT: implicit on purpose
      : object_(const_cast<void*>(static_cast<const void*>(std::addressof(fn)))),
        call_([](void* object, std::string_view value) {
          (*static_cast<std::remove_reference_t<F>*>(object))(value);
        }) {}

  void operator()(std::string_view value) const { call_(object_, value); }

 private:
  void* object_;
  void (*call_)(void*, std::string_view);
};

struct KvEntry;

class KvStore {
 public:
  // Put() with this TTL uses KvOptions::default_ttl_micros.
  static constexpr int64_t kDefaultTtl = -1;

  // Opens (creating, or moving aside and recreating, as needed) the environment in options.dir.
  // The caller owns the result. Fails with InvalidArgument for bad options, IOError when the
  // directory or files cannot be created or opened, Corruption when a recreated environment is
  // still unusable.
  // Several KvStores may open the same dir from different processes; within one process open a
  // directory at most once (an LMDB rule).
  static Result<std::unique_ptr<KvStore>> Open(const KvOptions& options);

  // Closes the environment. REQUIRES: no call on this object is in progress.
  virtual ~KvStore() = default;
  KvStore(const KvStore&) = delete;
  KvStore& operator=(const KvStore&) = delete;

  // Looks up `key` and, on a hit, calls visit(value) once with the payload, inside the read
  // transaction, then returns OK. Returns NotFound on a miss (absent, expired, or a value that
  // failed verification), Corruption / IOError / Busy / Unavailable when LMDB fails.
  // `value` points into the memory map: it is valid only during the call. The visitor must not
  // keep it, hand it to another thread, suspend a coroutine with it, or call a writing method of
  // this KvStore (the read txn stays open while it runs). It must not throw.
  // Thread-safe; never writes to the environment.
  virtual Status Get(std::string_view key, ValueVisitor visit) const = 0;

  // Get() that copies the payload out. Thread-safe.
  Result<std::string> GetCopy(std::string_view key) const;

  // Stores `value` under `key`, replacing any previous value. ttl_micros: > 0 expires that many
  // microseconds from now, 0 never expires, kDefaultTtl uses KvOptions::default_ttl_micros.
  // May evict other entries (batched write transactions) before returning. Returns
  // InvalidArgument for an empty key, a key longer than LMDB's limit (511 bytes) or a negative
  // TTL other than kDefaultTtl; TooLarge for a value over max_value_bytes; Busy when even an
  // empty map has no room; Corruption / IOError when LMDB fails.
  // Thread-safe; blocks while another thread or process writes.
  virtual Status Put(std::string_view key, std::string_view value,
                     int64_t ttl_micros = kDefaultTtl) = 0;

  // Stores every entry in ONE write transaction: afterwards all of them are visible, or (on an
  // error) none. Each entry behaves as Put(entry.key, entry.value, entry.ttl_micros); a key that
  // appears twice ends with its last value. Cheaper than one Put per entry: one commit (one
  // fsync pair unless durable_commits is false) and one writer-lock acquisition for the batch.
  // Eviction and MDB_MAP_FULL recovery are those of Put: on MDB_MAP_FULL the store evicts, in
  // its own transactions, and retries the whole batch. An empty batch is OK and writes nothing.
  // Every entry is checked before anything is written; the first bad one fails the call, naming
  // its index ("entry 3: empty key"): InvalidArgument for an empty or too-long key or a negative
  // TTL other than kDefaultTtl, TooLarge for a value over max_value_bytes. TooLarge also when
  // the values total more than max(map_size_bytes / 4, max_value_bytes) bytes (split the batch:
  // it would flush most of the cache to make room, or never fit). Busy when even an empty map
  // has no room; Corruption / IOError when LMDB fails. KvStats::puts grows by entries.size().
  // The entries' bytes are only read during the call. Thread-safe; blocks while another thread
  // or process writes, and holds LMDB's writer lock for the whole batch.
  virtual Status PutBatch(std::span<const KvEntry> entries) = 0;

  // Removes `key`. OK whether or not it was present. Thread-safe.
  virtual Status Erase(std::string_view key) = 0;

  // Removes every entry (all processes see an empty cache). Thread-safe.
  virtual Status Clear() = 0;

  // Housekeeping a caller may run periodically: clears stale reader slots, applies pending
  // recency refreshes, deletes up to evict_batch_entries expired entries found by a scan, and
  // evicts if over the high watermark. Thread-safe.
  virtual Status Maintain() = 0;

  // A snapshot of the counters. Thread-safe; opens a read transaction, never writes.
  virtual KvStats Stats() const = 0;

 protected:
  KvStore() = default;
};

// One entry of KvStore::PutBatch. Views only: the bytes must stay valid for the call.
struct KvEntry {
  std::string_view key;
  std::string_view value;
  int64_t ttl_micros = KvStore::kDefaultTtl;  // as Put's ttl_micros
};

}  // namespace folio::kv
