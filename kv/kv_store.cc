// LmdbKvStore: KvStore over one LMDB environment with four named databases:
//   entries : key -> value header + payload (detail/value_format.h)
//   order   : 8-byte big-endian sequence -> key   (eviction queue; head = oldest)
//   recency : key -> 8-byte big-endian sequence   (where the key sits in `order`)
//   meta    : "format" -> "1"
// The three data databases change together in one write txn, so they always agree.

#include "folio/kv/kv_store.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <mutex>
#include <optional>
#include <span>
#include <system_error>
#include <vector>

#include "detail/fault_containment.h"
#include "detail/lmdb.h"
#include "detail/read_txn_pool.h"
#include "detail/value_format.h"

namespace folio::kv {

std::string_view FaultKindName(FaultKind kind) noexcept {
  switch (kind) {
    case FaultKind::kCorruptValue:
      return "corrupt_value";
    case FaultKind::kMapFullRecovered:
      return "map_full_recovered";
    case FaultKind::kMapFullUnrecovered:
      return "map_full_unrecovered";
    case FaultKind::kEnvRecreated:
      return "env_recreated";
    case FaultKind::kCorruption:
      return "corruption";
    case FaultKind::kIOError:
      return "io_error";
    case FaultKind::kReadersFull:
      return "readers_full";
    case FaultKind::kEnvDamaged:
      return "env_damaged";
    case FaultKind::kMapResized:
      return "map_resized";
  }
  return "unknown";
}

Result<std::string> KvStore::GetCopy(std::string_view key) const {
  std::string copy;
  Status status = Get(key, [&copy](std::string_view value) { copy.assign(value); });
  if (!status.ok()) return status;
  return copy;
}

namespace {

using detail::Cursor;
using detail::DbDel;
using detail::DbGet;
using detail::DbPut;
using detail::DbReserve;
using detail::DecodeResult;
using detail::DecodeValue;
using detail::Env;
using detail::PooledReadTxn;
using detail::Rc;
using detail::ReadTxn;
using detail::ReadTxnPool;
using detail::ValueHeader;
using detail::WriteTxn;

namespace fs = std::filesystem;

constexpr char kEntriesDb[] = "entries";
constexpr char kOrderDb[] = "order";
constexpr char kRecencyDb[] = "recency";
constexpr char kMetaDb[] = "meta";
constexpr std::string_view kFormatKey = "format";
constexpr std::string_view kFormatValue = "1";
constexpr size_t kMaxPendingKeys = 256;  // per list (refresh / doomed)
constexpr uint64_t kReaderCheckEveryWrites = 1024;
constexpr size_t kMinMapBytes = size_t{256} << 10;

// Sequences are stored big-endian so LMDB's default memcmp order is numeric order.
using SeqKey = std::array<char, 8>;

SeqKey EncodeSeq(uint64_t seq) {
  SeqKey out;
  for (int i = 7; i >= 0; --i) {
    out[static_cast<size_t>(i)] = static_cast<char>(seq & 0xff);
    seq >>= 8;
  }
  return out;
}

bool DecodeSeq(std::string_view bytes, uint64_t* seq) {
  if (bytes.size() != 8) return false;
  uint64_t value = 0;
  for (char c : bytes)
    value = (value << 8) | static_cast<unsigned char>(c);
  *seq = value;
  return true;
}

std::string_view View(const SeqKey& key) {
  return std::string_view(key.data(), key.size());
}

int64_t SaturatingAdd(int64_t a, int64_t b) {
  if (b > 0 && a > std::numeric_limits<int64_t>::max() - b) {
    return std::numeric_limits<int64_t>::max();
  }
  return a + b;
}

bool Expired(const ValueHeader& header, int64_t now) {
  return header.expires_at_micros != 0 && header.expires_at_micros <= now;
}

struct Dbis {
  MDB_dbi entries = 0;
  MDB_dbi order = 0;
  MDB_dbi recency = 0;
  MDB_dbi meta = 0;
};

// Left in the kv dir by a process that contained a fault on its environment: whoever opens
// the dir next moves the files aside instead of trusting them.
constexpr char kDamagedMarker[] = "DAMAGED";

// Why TryOpenEnv failed, and whether moving the files aside could help.
struct OpenFailure {
  Status status;
  bool env_is_bad = false;  // corrupt / truncated / incompatible: move aside and recreate
};

struct OpenedEnv {
  Env env;
  Dbis dbis;
  size_t page_size = 0;
  size_t map_pages = 0;
  unsigned max_key_bytes = 0;
  int stale_readers_cleared = 0;
};

Rc OpenDbi(MDB_txn* txn, const char* name, MDB_dbi* dbi) {
  return Rc(mdb_dbi_open(txn, name, MDB_CREATE, dbi));
}

OpenFailure Bad(std::string reason) {
  return OpenFailure{Status::Corruption(std::move(reason)), true};
}

OpenFailure FromRc(Rc rc, std::string_view op) {
  return OpenFailure{rc.ToStatus(op), rc.corrupt()};
}

// Opens the environment and checks it is one kv/ can use. On failure returns the reason and
// whether the files are bad (as opposed to, say, a permission error).
Result<OpenedEnv> TryOpenEnv(const KvOptions& options, OpenFailure* failure) {
  OpenedEnv out;
  auto fail = [&](OpenFailure f) -> Result<OpenedEnv> {
    *failure = std::move(f);
    return failure->status;
  };
  const fs::path damaged_marker = fs::path(options.dir) / kDamagedMarker;
  std::error_code marker_ec;
  if (fs::exists(damaged_marker, marker_ec)) {
    return fail(
        Bad("a process contained a fault on this environment (" + damaged_marker.string() + ")"));
  }
  Rc rc = Env::Create(&out.env);
  if (!rc.ok()) return fail(FromRc(rc, "env_create"));
  MDB_env* env = out.env.get();
  mdb_env_set_assert(env, detail::OnLmdbAssert);
  if (!(rc = Rc(mdb_env_set_mapsize(env, options.map_size_bytes))).ok()) {
    return fail(FromRc(rc, "env_set_mapsize"));
  }
  if (!(rc = Rc(mdb_env_set_maxreaders(env, options.max_readers))).ok()) {
    return fail(FromRc(rc, "env_set_maxreaders"));
  }
  if (!(rc = Rc(mdb_env_set_maxdbs(env, 4))).ok()) return fail(FromRc(rc, "env_set_maxdbs"));
  // MDB_NOTLS: read txns are pooled and renewed on any thread. MDB_NORDAHEAD: lookups are random.
  unsigned flags = MDB_NOTLS | MDB_NORDAHEAD;
  if (options.no_meta_sync) flags |= MDB_NOMETASYNC;
  if (!options.durable_commits) flags |= MDB_NOSYNC;
  if (!(rc = Rc(mdb_env_open(env, options.dir.c_str(), flags, 0644))).ok()) {
    return fail(FromRc(rc, "env_open"));
  }
  mdb_reader_check(env, &out.stale_readers_cleared);

  MDB_envinfo info;
  MDB_stat stat;
  if (!(rc = Rc(mdb_env_info(env, &info))).ok()) return fail(FromRc(rc, "env_info"));
  if (!(rc = Rc(mdb_env_stat(env, &stat))).ok()) return fail(FromRc(rc, "env_stat"));
  out.page_size = stat.ms_psize;
  out.map_pages = info.me_mapsize / stat.ms_psize;
  out.max_key_bytes = static_cast<unsigned>(mdb_env_get_maxkeysize(env));

  // A data file shorter than the last committed page would be read past its end through the map
  // (SIGBUS), so a truncated file is caught here, before any page is touched.
  std::error_code ec;
  const fs::path data_path = fs::path(options.dir) / "data.mdb";
  const uintmax_t file_bytes = fs::file_size(data_path, ec);
  if (ec)
    return fail(OpenFailure{Status::IOError("stat " + data_path.string() + ": " + ec.message())});
  const uintmax_t needed = (static_cast<uintmax_t>(info.me_last_pgno) + 1) * stat.ms_psize;
  if (file_bytes < needed) {
    return fail(Bad("data.mdb is truncated: " + std::to_string(file_bytes) +
                    " bytes, its last committed page ends at " + std::to_string(needed)));
  }

  {
    WriteTxn txn;
    if (!(rc = WriteTxn::Begin(env, &txn)).ok()) return fail(FromRc(rc, "txn_begin"));
    if (!(rc = OpenDbi(txn.get(), kEntriesDb, &out.dbis.entries)).ok() ||
        !(rc = OpenDbi(txn.get(), kOrderDb, &out.dbis.order)).ok() ||
        !(rc = OpenDbi(txn.get(), kRecencyDb, &out.dbis.recency)).ok() ||
        !(rc = OpenDbi(txn.get(), kMetaDb, &out.dbis.meta)).ok()) {
      return fail(FromRc(rc, "dbi_open"));
    }
    std::string_view format;
    rc = DbGet(txn.get(), out.dbis.meta, kFormatKey, &format);
    if (rc.not_found()) {
      if (!(rc = DbPut(txn.get(), out.dbis.meta, kFormatKey, kFormatValue)).ok()) {
        return fail(FromRc(rc, "put format"));
      }
    } else if (!rc.ok()) {
      return fail(FromRc(rc, "get format"));
    } else if (format != kFormatValue) {
      return fail(Bad("environment has kv format '" + std::string(format) + "', expected '" +
                      std::string(kFormatValue) + "'"));
    }
    if (!(rc = txn.Commit()).ok()) return fail(FromRc(rc, "txn_commit"));
  }

  // Touch both ends of every tree, so a damaged root or edge page is found now rather than by the
  // first reader.
  {
    ReadTxn txn;
    if (!(rc = ReadTxn::Begin(env, &txn)).ok()) return fail(FromRc(rc, "txn_begin"));
    for (MDB_dbi dbi : {out.dbis.entries, out.dbis.order, out.dbis.recency}) {
      Cursor cursor;
      if (!(rc = Cursor::Open(txn.get(), dbi, &cursor)).ok()) return fail(FromRc(rc, "cursor"));
      for (MDB_cursor_op op : {MDB_FIRST, MDB_LAST}) {
        rc = cursor.Get(op, nullptr, nullptr);
        if (!rc.ok() && !rc.not_found()) return fail(FromRc(rc, "probe"));
      }
    }
  }
  return out;
}

// Renames data.mdb and lock.mdb to <name>.corrupt-<micros>. Returns where data.mdb went.
Result<std::string> MoveAside(const std::string& dir, int64_t now_micros) {
  std::string moved;
  for (const char* name : {"data.mdb", "lock.mdb"}) {
    const fs::path from = fs::path(dir) / name;
    std::error_code ec;
    if (!fs::exists(from, ec)) continue;
    fs::path to;
    for (int n = 0;; ++n) {
      std::string suffix = ".corrupt-" + std::to_string(now_micros);
      if (n > 0) suffix += "-" + std::to_string(n);
      to = fs::path(dir) / (std::string(name) + suffix);
      if (!fs::exists(to, ec)) break;
    }
    fs::rename(from, to, ec);
    if (ec) {
      return Status::IOError("move aside " + from.string() + " -> " + to.string() + ": " +
                             ec.message());
    }
    if (moved.empty()) moved = to.string();
  }
  std::error_code ec;
  fs::remove(fs::path(dir) / kDamagedMarker, ec);
  return moved;
}

// TryOpenEnv, with a fault on damaged pages contained: the files are then bad.
Result<OpenedEnv> ContainedOpen(const KvOptions& options, OpenFailure* failure) {
  std::optional<Result<OpenedEnv>> opened;
  if (detail::RunContained([&] { opened.emplace(TryOpenEnv(options, failure)); })) {
    return std::move(*opened);
  }
  // What the jump skipped (the env, its txns) is leaked on purpose: closing could fault again.
  *failure = Bad("opening faulted on a damaged page: " + detail::LastContainedFault());
  return failure->status;
}

class LmdbKvStore final : public KvStore {
 public:
  LmdbKvStore(const KvOptions& options, OpenedEnv opened)
      : options_(options),
        clock_(options.clock != nullptr ? options.clock : Clock::Real()),
        env_(std::move(opened.env)),
        dbis_(opened.dbis),
        page_size_(opened.page_size),
        map_pages_(opened.map_pages),
        high_pages_(static_cast<size_t>(options.evict_high_watermark *
                                        static_cast<double>(opened.map_pages))),
        low_pages_(static_cast<size_t>(options.evict_low_watermark *
                                       static_cast<double>(opened.map_pages))),
        max_key_bytes_(opened.max_key_bytes),
        max_value_bytes_(options.max_value_bytes != 0 ? options.max_value_bytes
                                                      : options.map_size_bytes / 16),
        read_pool_(env_.get(), std::min<size_t>(16, std::max(1u, options.max_readers / 4))) {
    stale_readers_cleared_.store(static_cast<uint64_t>(opened.stale_readers_cleared));
    last_reader_check_micros_.store(clock_->NowMicros());
  }

  ~LmdbKvStore() override {
    if (leak_env_.load(std::memory_order_acquire)) {
      read_pool_.Abandon();
      env_.Leak();
      return;
    }
    read_pool_.Drain();
    // Without per-commit fsyncs, a clean close still leaves everything committed durable.
    if (!options_.durable_commits) (void)mdb_env_sync(env_.get(), /*force=*/1);
  }

  // Every operation runs contained (detail/fault_containment.h): LMDB faulting or asserting on
  // a damaged file loses this environment, not the process.
  Status Get(std::string_view key, ValueVisitor visit) const override {
    return Contained("get", [&] { return GetUncontained(key, visit); });
  }
  Status Put(std::string_view key, std::string_view value, int64_t ttl_micros) override {
    return Contained("put", [&] { return PutUncontained(key, value, ttl_micros); });
  }
  Status PutBatch(std::span<const KvEntry> entries) override {
    return Contained("put", [&] { return PutBatchUncontained(entries); });
  }
  Status Erase(std::string_view key) override {
    return Contained("erase", [&] { return EraseUncontained(key); });
  }
  Status Clear() override {
    return Contained("clear", [&] { return ClearUncontained(); });
  }
  Status Maintain() override {
    return Contained("maintain", [&] { return MaintainUncontained(); });
  }
  KvStats Stats() const override;

  void RecordFault(FaultKind kind, std::string reason) const;

 private:
  Status GetUncontained(std::string_view key, ValueVisitor visit) const;
  Status PutUncontained(std::string_view key, std::string_view value, int64_t ttl_micros);
  Status PutBatchUncontained(std::span<const KvEntry> entries);
  Status EraseUncontained(std::string_view key);
  Status ClearUncontained();
  Status MaintainUncontained();

  // Runs one operation contained. After a contained fault (or a corrupt page seen cleanly) the
  // environment is lost for good: this and every later call answer Corruption without
  // touching LMDB, and the files are marked for the next Open to move aside; after a fault
  // the destructor also leaks the env instead of closing it.
  template <typename Fn>
  Status Contained(const char* op, Fn&& fn) const {
    if (damaged_.load(std::memory_order_acquire)) return DamagedStatus();
    Status result;
    if (detail::RunContained([&] { result = fn(); })) return result;
    MarkDamaged(op);
    return DamagedStatus();
  }
  void MarkDamaged(const char* op) const;
  // From now on every call answers Corruption without touching LMDB, and the next Open moves
  // the files aside; `leak`: a fault cut LMDB short, so the env is leaked, never closed.
  void StopUsing(bool leak, const std::string& why) const;
  Status DamagedStatus() const;

  // Turns a failed LMDB call into a Status, counting the matching fault.
  Status Failure(Rc rc, std::string_view op) const;

  Status ValidateKey(std::string_view key) const;
  // Checks one entry as Put does; ttl_micros is resolved (kDefaultTtl -> the default) in place.
  Status ValidateEntry(std::string_view key, std::string_view value, int64_t* ttl_micros) const;
  void SampleRead(std::string_view key) const;
  void Doom(std::string_view key) const;

  // Write-side helpers; each runs inside the caller's write txn.
  Rc NextSeq(MDB_txn* txn, uint64_t* seq) const;
  size_t UsedPages(MDB_txn* txn) const;
  Rc DeleteEntry(MDB_txn* txn, std::string_view key, bool* existed) const;
  Rc ApplyPending(MDB_txn* txn, uint64_t* next_seq);
  // Writes one entry inside the caller's write txn; *seq is the entry's sequence (incremented).
  Rc PutInTxn(MDB_txn* txn, std::string_view key, std::string_view value, int64_t expires_at,
              int64_t now, uint64_t* seq);
  // One write txn: pending reader hints, then every entry (TTLs already resolved), then commit.
  Rc PutOnce(std::span<const KvEntry> entries, int64_t now, bool* over_high);
  // Put/PutBatch after validation: PutOnce with MDB_MAP_FULL recovery, then eviction.
  // value_bytes: the entries' total value size; is_batch picks the wording of fault reasons.
  Status PutWithRecovery(std::span<const KvEntry> entries, int64_t now, size_t value_bytes,
                         bool is_batch);

  // Evicts from the head of the queue, one short txn per batch, until at most
  // min(target_pages, pages in use now - min_freed_pages) are in use, or the queue is empty.
  // *evicted counts entries removed.
  Rc EvictTo(size_t target_pages, size_t min_freed_pages, uint64_t* evicted);
  Rc DropAll();
  void MaybeCheckReaders();

  const KvOptions options_;
  const Clock* const clock_;
  Env env_;  // destroyed after read_pool_ (declared before it)
  const Dbis dbis_;
  const size_t page_size_;
  const size_t map_pages_;
  const size_t high_pages_;
  const size_t low_pages_;
  const unsigned max_key_bytes_;
  const size_t max_value_bytes_;
  mutable ReadTxnPool read_pool_;

  // Keys found by readers: to move to the queue's tail, or to re-check and delete.
  mutable std::mutex pending_mu_;
  mutable std::vector<std::string> refresh_keys_;
  mutable std::vector<std::string> doomed_keys_;

  // Maintain()'s resume point for its expiry scan of `entries`.
  std::mutex scan_mu_;
  std::string scan_from_;

  mutable std::atomic<uint64_t> hits_{0};
  mutable std::atomic<uint64_t> misses_{0};
  mutable std::atomic<uint64_t> expirations_{0};
  std::atomic<uint64_t> puts_{0};
  std::atomic<uint64_t> erases_{0};
  std::atomic<uint64_t> evictions_{0};
  std::atomic<uint64_t> expired_reclaimed_{0};
  std::atomic<uint64_t> refreshes_{0};
  mutable std::atomic<uint64_t> stale_readers_cleared_{0};
  std::atomic<uint64_t> writes_since_reader_check_{0};
  std::atomic<int64_t> last_reader_check_micros_{0};
  mutable std::array<std::atomic<uint64_t>, kFaultKindCount> faults_{};
  mutable std::atomic<bool> damaged_{false};   // damage seen: the environment is not used again
  mutable std::atomic<bool> leak_env_{false};  // a contained fault: never close it either
  mutable std::mutex last_fault_mu_;
  mutable std::string last_fault_;
};

void LmdbKvStore::RecordFault(FaultKind kind, std::string reason) const {
  faults_[static_cast<size_t>(kind)].fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(last_fault_mu_);
    last_fault_.assign(FaultKindName(kind));
    last_fault_ += ": ";
    last_fault_ += reason;
  }
  if (options_.on_fault) options_.on_fault(kind, reason);
}

void LmdbKvStore::MarkDamaged(const char* op) const {
  const std::string what = std::string(op) + " faulted: " + detail::LastContainedFault();
  StopUsing(/*leak=*/true, what);
  RecordFault(FaultKind::kEnvDamaged, what);
}

void LmdbKvStore::StopUsing(bool leak, const std::string& why) const {
  if (leak) leak_env_.store(true, std::memory_order_release);
  if (damaged_.exchange(true, std::memory_order_acq_rel)) return;
  // The marker outlives this process, so the next Open (here or in another process sharing
  // the dir) moves these files aside rather than walking them again.
  const fs::path marker = fs::path(options_.dir) / kDamagedMarker;
  if (FILE* f = std::fopen(marker.c_str(), "w")) {
    std::fprintf(f, "%s\n", why.c_str());
    std::fclose(f);
  }
}

Status LmdbKvStore::DamagedStatus() const {
  return Status::Corruption("L2 environment in " + options_.dir +
                            " is damaged and no longer used; reopen it");
}

Status LmdbKvStore::Failure(Rc rc, std::string_view op) const {
  Status status = rc.ToStatus(op);
  if (rc.corrupt()) {
    RecordFault(FaultKind::kCorruption, status.message());
    // A damaged page seen cleanly is the first sign of damage that the next walk over it
    // (the writer's above all: it copies pages by the sizes they claim) may not survive:
    // stop using the environment now. Nothing was cut short, so it is closed normally.
    StopUsing(/*leak=*/false, std::string(op) + ": " + status.message());
  } else if (rc.code() == MDB_MAP_RESIZED) {
    RecordFault(FaultKind::kMapResized, status.message());
  } else if (rc.code() == MDB_READERS_FULL) {
    RecordFault(FaultKind::kReadersFull, status.message());
  } else if (!rc.not_found()) {
    RecordFault(FaultKind::kIOError, status.message());
  }
  return status;
}

Status LmdbKvStore::ValidateKey(std::string_view key) const {
  if (key.empty()) return Status::InvalidArgument("empty key");
  if (key.size() > max_key_bytes_) {
    return Status::InvalidArgument("key of " + std::to_string(key.size()) +
                                   " bytes is over LMDB's limit of " +
                                   std::to_string(max_key_bytes_));
  }
  return Status::Ok();
}

void LmdbKvStore::SampleRead(std::string_view key) const {
  thread_local unsigned tick = 0;
  if (++tick < options_.read_sample_every) return;
  tick = 0;
  // A hint only: never wait for the lock, drop the sample when full.
  std::unique_lock<std::mutex> lock(pending_mu_, std::try_to_lock);
  if (!lock.owns_lock() || refresh_keys_.size() >= kMaxPendingKeys) return;
  refresh_keys_.emplace_back(key);
}

void LmdbKvStore::Doom(std::string_view key) const {
  // Also a hint: a key not recorded here is reclaimed when it reaches the head of the queue.
  std::unique_lock<std::mutex> lock(pending_mu_, std::try_to_lock);
  if (!lock.owns_lock() || doomed_keys_.size() >= kMaxPendingKeys) return;
  doomed_keys_.emplace_back(key);
}

Status LmdbKvStore::GetUncontained(std::string_view key, ValueVisitor visit) const {
  FOLIO_RETURN_IF_ERROR(ValidateKey(key));
  PooledReadTxn txn(&read_pool_);
  Rc rc = txn.rc();
  if (rc.code() == MDB_READERS_FULL) {
    // Slots may be held by dead processes; clearing them writes only the lock table.
    int dead = 0;
    mdb_reader_check(env_.get(), &dead);
    stale_readers_cleared_.fetch_add(static_cast<uint64_t>(dead), std::memory_order_relaxed);
    if (dead > 0) return GetUncontained(key, visit);
  }
  if (!rc.ok()) return Failure(rc, "read txn_begin");

  std::string_view stored;
  rc = DbGet(txn.get(), dbis_.entries, key, &stored);
  if (rc.not_found()) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    return Status::NotFound("absent");
  }
  if (!rc.ok()) return Failure(rc, "get");

  ValueHeader header;
  std::string_view payload;
  const DecodeResult decoded = DecodeValue(stored, options_.verify_checksums, &header, &payload);
  if (decoded != DecodeResult::kOk) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    RecordFault(FaultKind::kCorruptValue,
                "value of a " + std::to_string(key.size()) +
                    "-byte key: " + std::string(detail::DecodeResultName(decoded)));
    Doom(key);
    return Status::NotFound("corrupt value");
  }
  if (Expired(header, clock_->NowMicros())) {
    misses_.fetch_add(1, std::memory_order_relaxed);
    expirations_.fetch_add(1, std::memory_order_relaxed);
    Doom(key);
    return Status::NotFound("expired");
  }
  hits_.fetch_add(1, std::memory_order_relaxed);
  visit(payload);
  SampleRead(key);
  return Status::Ok();
}

Rc LmdbKvStore::NextSeq(MDB_txn* txn, uint64_t* seq) const {
  Cursor cursor;
  Rc rc = Cursor::Open(txn, dbis_.order, &cursor);
  if (!rc.ok()) return rc;
  std::string_view last;
  rc = cursor.Get(MDB_LAST, &last, nullptr);
  if (rc.not_found()) {
    *seq = 1;
    return Rc();
  }
  if (!rc.ok()) return rc;
  uint64_t value = 0;
  if (!DecodeSeq(last, &value)) return Rc(MDB_CORRUPTED);
  *seq = value + 1;
  return Rc();
}

size_t LmdbKvStore::UsedPages(MDB_txn* txn) const {
  // Two meta pages, plus every page of every tree: LMDB's free list (dbi 0), the main db (dbi 1)
  // that names the others, and ours. Free pages are reusable space, so they do not count.
  size_t pages = 2;
  for (MDB_dbi dbi :
       {MDB_dbi{0}, MDB_dbi{1}, dbis_.entries, dbis_.order, dbis_.recency, dbis_.meta}) {
    MDB_stat stat;
    if (mdb_stat(txn, dbi, &stat) == MDB_SUCCESS) {
      pages += stat.ms_branch_pages + stat.ms_leaf_pages + stat.ms_overflow_pages;
    }
  }
  return pages;
}

Rc LmdbKvStore::DeleteEntry(MDB_txn* txn, std::string_view key, bool* existed) const {
  *existed = false;
  Rc rc = DbDel(txn, dbis_.entries, key);
  if (rc.ok()) {
    *existed = true;
  } else if (!rc.not_found()) {
    return rc;
  }
  std::string_view seq_view;
  rc = DbGet(txn, dbis_.recency, key, &seq_view);
  if (rc.not_found()) return Rc();
  if (!rc.ok()) return rc;
  const std::string seq_key(seq_view);  // the view dies at the next write
  rc = DbDel(txn, dbis_.order, seq_key);
  if (!rc.ok() && !rc.not_found()) return rc;
  rc = DbDel(txn, dbis_.recency, key);
  if (!rc.ok() && !rc.not_found()) return rc;
  return Rc();
}

Rc LmdbKvStore::ApplyPending(MDB_txn* txn, uint64_t* next_seq) {
  std::vector<std::string> refresh;
  std::vector<std::string> doomed;
  {
    std::lock_guard<std::mutex> lock(pending_mu_);
    refresh.swap(refresh_keys_);
    doomed.swap(doomed_keys_);
  }
  const int64_t now = clock_->NowMicros();
  for (const std::string& key : doomed) {
    // Re-check inside the write txn: another writer may have replaced the value since.
    std::string_view stored;
    Rc rc = DbGet(txn, dbis_.entries, key, &stored);
    if (rc.not_found()) continue;
    if (!rc.ok()) return rc;
    ValueHeader header;
    std::string_view payload;
    const DecodeResult decoded = DecodeValue(stored, /*verify_checksum=*/true, &header, &payload);
    const bool expired = decoded == DecodeResult::kOk && Expired(header, now);
    if (decoded == DecodeResult::kOk && !expired) continue;
    bool existed = false;
    if (!(rc = DeleteEntry(txn, key, &existed)).ok()) return rc;
    if (existed && expired) expired_reclaimed_.fetch_add(1, std::memory_order_relaxed);
  }
  if (refresh.empty()) return Rc();

  std::sort(refresh.begin(), refresh.end());
  refresh.erase(std::unique(refresh.begin(), refresh.end()), refresh.end());
  MDB_stat stat;
  Rc rc(mdb_stat(txn, dbis_.entries, &stat));
  if (!rc.ok()) return rc;
  // Second chance only for keys in the older half of the queue: refreshing a key near the tail
  // would cost a write and change nothing.
  const uint64_t half = stat.ms_entries / 2;
  for (const std::string& key : refresh) {
    std::string_view seq_view;
    rc = DbGet(txn, dbis_.recency, key, &seq_view);
    if (rc.not_found()) continue;
    if (!rc.ok()) return rc;
    uint64_t seq = 0;
    if (!DecodeSeq(seq_view, &seq)) return Rc(MDB_CORRUPTED);
    if (*next_seq - seq <= half) continue;
    const SeqKey old_key = EncodeSeq(seq);
    const SeqKey new_key = EncodeSeq((*next_seq)++);
    if (!(rc = DbDel(txn, dbis_.order, View(old_key))).ok() && !rc.not_found()) return rc;
    if (!(rc = DbPut(txn, dbis_.order, View(new_key), key, MDB_APPEND)).ok()) return rc;
    if (!(rc = DbPut(txn, dbis_.recency, key, View(new_key))).ok()) return rc;
    refreshes_.fetch_add(1, std::memory_order_relaxed);
  }
  return Rc();
}

Rc LmdbKvStore::PutInTxn(MDB_txn* txn, std::string_view key, std::string_view value,
                         int64_t expires_at, int64_t now, uint64_t* seq) {
  // The key's old place in the queue, if it had one.
  std::string_view old_seq;
  Rc rc = DbGet(txn, dbis_.recency, key, &old_seq);
  if (rc.ok()) {
    const std::string old_key(old_seq);
    rc = DbDel(txn, dbis_.order, old_key);
    if (!rc.ok() && !rc.not_found()) return rc;
  } else if (!rc.not_found()) {
    return rc;
  }

  char* dst = nullptr;
  rc = DbReserve(txn, dbis_.entries, key, detail::kValueHeaderBytes + value.size(), &dst);
  if (!rc.ok()) return rc;
  detail::EncodeValue(expires_at, now, value, dst);
  const SeqKey seq_key = EncodeSeq((*seq)++);
  if (!(rc = DbPut(txn, dbis_.order, View(seq_key), key, MDB_APPEND)).ok()) return rc;
  return DbPut(txn, dbis_.recency, key, View(seq_key));
}

Rc LmdbKvStore::PutOnce(std::span<const KvEntry> entries, int64_t now, bool* over_high) {
  WriteTxn txn;
  Rc rc = WriteTxn::Begin(env_.get(), &txn);
  if (!rc.ok()) return rc;
  uint64_t seq = 0;
  if (!(rc = NextSeq(txn.get(), &seq)).ok()) return rc;
  if (!(rc = ApplyPending(txn.get(), &seq)).ok()) return rc;
  for (const KvEntry& entry : entries) {
    const int64_t expires_at = entry.ttl_micros > 0 ? SaturatingAdd(now, entry.ttl_micros) : 0;
    if (!(rc = PutInTxn(txn.get(), entry.key, entry.value, expires_at, now, &seq)).ok()) {
      return rc;
    }
  }
  *over_high = UsedPages(txn.get()) > high_pages_;
  return txn.Commit();
}

Rc LmdbKvStore::EvictTo(size_t target_pages, size_t min_freed_pages, uint64_t* evicted) {
  *evicted = 0;
  const int64_t now = clock_->NowMicros();
  for (bool first = true;; first = false) {
    WriteTxn txn;
    Rc rc = WriteTxn::Begin(env_.get(), &txn);
    if (!rc.ok()) return rc;
    const size_t used = UsedPages(txn.get());
    if (first && min_freed_pages > 0) {
      target_pages = std::min(target_pages, used > min_freed_pages ? used - min_freed_pages : 0);
    }
    if (used <= target_pages) return Rc();  // another writer got here first
    Cursor cursor;
    if (!(rc = Cursor::Open(txn.get(), dbis_.order, &cursor)).ok()) return rc;
    unsigned in_batch = 0;
    bool queue_empty = false;
    while (in_batch < options_.evict_batch_entries) {
      std::string_view key_view;
      rc = cursor.Get(MDB_FIRST, nullptr, &key_view);
      if (rc.not_found()) {
        queue_empty = true;
        break;
      }
      if (!rc.ok()) return rc;
      const std::string key(key_view);
      if (!(rc = cursor.Del()).ok()) return rc;
      std::string_view stored;
      bool expired = false;
      rc = DbGet(txn.get(), dbis_.entries, key, &stored);
      if (rc.ok()) {
        ValueHeader header;
        std::string_view payload;
        expired = DecodeValue(stored, /*verify_checksum=*/false, &header, &payload) ==
                      DecodeResult::kOk &&
                  Expired(header, now);
        rc = DbDel(txn.get(), dbis_.entries, key);
      }
      if (!rc.ok() && !rc.not_found()) return rc;
      const bool existed = rc.ok();
      rc = DbDel(txn.get(), dbis_.recency, key);
      if (!rc.ok() && !rc.not_found()) return rc;
      ++in_batch;
      if (existed) {
        ++*evicted;
        (expired ? expired_reclaimed_ : evictions_).fetch_add(1, std::memory_order_relaxed);
      }
      if (UsedPages(txn.get()) <= target_pages) break;
    }
    cursor.Close();
    if (!(rc = txn.Commit()).ok()) return rc;
    if (queue_empty) return Rc();
  }
}

Rc LmdbKvStore::DropAll() {
  WriteTxn txn;
  Rc rc = WriteTxn::Begin(env_.get(), &txn);
  if (!rc.ok()) return rc;
  MDB_stat stat;
  if (!(rc = Rc(mdb_stat(txn.get(), dbis_.entries, &stat))).ok()) return rc;
  for (MDB_dbi dbi : {dbis_.entries, dbis_.order, dbis_.recency}) {
    if (!(rc = Rc(mdb_drop(txn.get(), dbi, 0))).ok()) return rc;
  }
  if (!(rc = txn.Commit()).ok()) return rc;
  evictions_.fetch_add(stat.ms_entries, std::memory_order_relaxed);
  return Rc();
}

void LmdbKvStore::MaybeCheckReaders() {
  const int64_t now = clock_->NowMicros();
  const uint64_t writes = writes_since_reader_check_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (writes < kReaderCheckEveryWrites &&
      now - last_reader_check_micros_.load(std::memory_order_relaxed) <
          options_.reader_check_interval_micros) {
    return;
  }
  writes_since_reader_check_.store(0, std::memory_order_relaxed);
  last_reader_check_micros_.store(now, std::memory_order_relaxed);
  int dead = 0;
  mdb_reader_check(env_.get(), &dead);
  stale_readers_cleared_.fetch_add(static_cast<uint64_t>(dead), std::memory_order_relaxed);
}

Status LmdbKvStore::ValidateEntry(std::string_view key, std::string_view value,
                                  int64_t* ttl_micros) const {
  FOLIO_RETURN_IF_ERROR(ValidateKey(key));
  if (value.size() > max_value_bytes_) {
    return Status::TooLarge("value of " + std::to_string(value.size()) +
                            " bytes is over the L2 limit of " + std::to_string(max_value_bytes_));
  }
  if (*ttl_micros == kDefaultTtl) *ttl_micros = options_.default_ttl_micros;
  if (*ttl_micros < 0) return Status::InvalidArgument("negative ttl");
  return Status::Ok();
}

Status LmdbKvStore::PutUncontained(std::string_view key, std::string_view value,
                                   int64_t ttl_micros) {
  FOLIO_RETURN_IF_ERROR(ValidateEntry(key, value, &ttl_micros));
  const KvEntry entry{key, value, ttl_micros};
  return PutWithRecovery(std::span<const KvEntry>(&entry, 1), clock_->NowMicros(), value.size(),
                         /*is_batch=*/false);
}

Status LmdbKvStore::PutBatchUncontained(std::span<const KvEntry> entries) {
  if (entries.empty()) return Status::Ok();
  // Validate everything before writing anything; keep the resolved TTLs for the write.
  std::vector<KvEntry> resolved(entries.begin(), entries.end());
  size_t value_bytes = 0;
  for (size_t i = 0; i < resolved.size(); ++i) {
    KvEntry& entry = resolved[i];
    Status status = ValidateEntry(entry.key, entry.value, &entry.ttl_micros);
    if (!status.ok()) {
      const std::string message = "entry " + std::to_string(i) + ": " + status.message();
      return status.code() == Status::Code::kTooLarge ? Status::TooLarge(message)
                                                      : Status::InvalidArgument(message);
    }
    value_bytes += entry.value.size();
  }
  const size_t batch_limit = std::max(options_.map_size_bytes / 4, max_value_bytes_);
  if (value_bytes > batch_limit) {
    return Status::TooLarge("batch of " + std::to_string(resolved.size()) + " values totalling " +
                            std::to_string(value_bytes) + " bytes is over the L2 batch limit of " +
                            std::to_string(batch_limit) + "; split it");
  }
  return PutWithRecovery(resolved, clock_->NowMicros(), value_bytes, /*is_batch=*/true);
}

Status LmdbKvStore::PutWithRecovery(std::span<const KvEntry> entries, int64_t now,
                                    size_t value_bytes, bool is_batch) {
  // MDB_MAP_FULL: make more room on each attempt (at least 1/8 of the map and down to the low
  // watermark, then 1/4 and half of it, then everything), then drop the databases outright; only
  // then give up. Fragmentation of free space, or pages pinned by an old reader in another
  // process, can make LMDB full while usage is under the watermark; hence the minimum amounts.
  std::string map_full_note;
  for (int attempt = 0;; ++attempt) {
    bool over_high = false;
    Rc rc = PutOnce(entries, now, &over_high);
    if (rc.ok()) {
      puts_.fetch_add(entries.size(), std::memory_order_relaxed);
      if (!map_full_note.empty()) RecordFault(FaultKind::kMapFullRecovered, map_full_note);
      MaybeCheckReaders();
      if (over_high) {
        uint64_t evicted = 0;
        rc = EvictTo(low_pages_, 0, &evicted);
        // The put is committed: an eviction that fails is counted, not returned.
        if (!rc.ok() && !rc.map_full()) (void)Failure(rc, "evict");
      }
      return Status::Ok();
    }
    if (!rc.map_full()) return Failure(rc, "put");
    const std::string what = is_batch
                                 ? "batch of " + std::to_string(entries.size()) + " entries (" +
                                       std::to_string(value_bytes) + " value bytes)"
                                 : "put of a " + std::to_string(value_bytes) + "-byte value";
    if (attempt >= 4) {
      Status status =
          Status::Busy("L2 map full even after dropping every entry (" +
                       (is_batch ? what : std::to_string(value_bytes) + "-byte value") + ")");
      RecordFault(FaultKind::kMapFullUnrecovered, status.message());
      return status;
    }
    map_full_note = what + ", " + std::to_string(attempt + 1) + " eviction round(s)";
    uint64_t evicted = 0;
    if (attempt < 3) {
      const size_t target = attempt == 0 ? low_pages_ : attempt == 1 ? low_pages_ / 2 : 0;
      const size_t min_freed = attempt == 0 ? map_pages_ / 8 : map_pages_ / 4;
      rc = EvictTo(target, min_freed, &evicted);
    }
    if (attempt == 3 || (!rc.ok() && rc.map_full())) {
      rc = DropAll();
      attempt = std::max(attempt, 3);
    }
    if (!rc.ok() && !rc.map_full()) return Failure(rc, "evict");
  }
}

Status LmdbKvStore::EraseUncontained(std::string_view key) {
  FOLIO_RETURN_IF_ERROR(ValidateKey(key));
  WriteTxn txn;
  Rc rc = WriteTxn::Begin(env_.get(), &txn);
  if (!rc.ok()) return Failure(rc, "txn_begin");
  bool existed = false;
  if (!(rc = DeleteEntry(txn.get(), key, &existed)).ok()) return Failure(rc, "erase");
  if (!(rc = txn.Commit()).ok()) return Failure(rc, "commit");
  if (existed) erases_.fetch_add(1, std::memory_order_relaxed);
  MaybeCheckReaders();
  return Status::Ok();
}

Status LmdbKvStore::ClearUncontained() {
  {
    std::lock_guard<std::mutex> lock(pending_mu_);
    refresh_keys_.clear();
    doomed_keys_.clear();
  }
  WriteTxn txn;
  Rc rc = WriteTxn::Begin(env_.get(), &txn);
  if (!rc.ok()) return Failure(rc, "txn_begin");
  for (MDB_dbi dbi : {dbis_.entries, dbis_.order, dbis_.recency}) {
    if (!(rc = Rc(mdb_drop(txn.get(), dbi, 0))).ok()) return Failure(rc, "drop");
  }
  if (!(rc = txn.Commit()).ok()) return Failure(rc, "commit");
  return Status::Ok();
}

Status LmdbKvStore::MaintainUncontained() {
  int dead = 0;
  mdb_reader_check(env_.get(), &dead);
  stale_readers_cleared_.fetch_add(static_cast<uint64_t>(dead), std::memory_order_relaxed);
  writes_since_reader_check_.store(0, std::memory_order_relaxed);
  last_reader_check_micros_.store(clock_->NowMicros(), std::memory_order_relaxed);

  bool over_high = false;
  {
    std::lock_guard<std::mutex> scan_lock(scan_mu_);
    WriteTxn txn;
    Rc rc = WriteTxn::Begin(env_.get(), &txn);
    if (!rc.ok()) return Failure(rc, "txn_begin");
    uint64_t seq = 0;
    if (!(rc = NextSeq(txn.get(), &seq)).ok()) return Failure(rc, "next seq");
    if (!(rc = ApplyPending(txn.get(), &seq)).ok()) return Failure(rc, "apply pending");

    // One bounded step of a scan for expired entries, resuming where the last call stopped.
    std::vector<std::string> expired;
    {
      Cursor cursor;
      if (!(rc = Cursor::Open(txn.get(), dbis_.entries, &cursor)).ok()) {
        return Failure(rc, "cursor");
      }
      std::string_view key = scan_from_;
      std::string_view stored;
      rc = scan_from_.empty() ? cursor.Get(MDB_FIRST, &key, &stored)
                              : cursor.Get(MDB_SET_RANGE, &key, &stored);
      const int64_t now = clock_->NowMicros();
      unsigned scanned = 0;
      for (; rc.ok() && scanned < options_.evict_batch_entries; ++scanned) {
        ValueHeader header;
        std::string_view payload;
        if (DecodeValue(stored, /*verify_checksum=*/false, &header, &payload) ==
                DecodeResult::kOk &&
            Expired(header, now)) {
          expired.emplace_back(key);
        }
        rc = cursor.Get(MDB_NEXT, &key, &stored);
      }
      if (rc.ok()) {
        scan_from_.assign(key);
      } else if (rc.not_found()) {
        scan_from_.clear();  // wrapped: the next call starts from the first key
      } else {
        return Failure(rc, "scan");
      }
    }
    for (const std::string& key : expired) {
      bool existed = false;
      if (!(rc = DeleteEntry(txn.get(), key, &existed)).ok()) return Failure(rc, "reclaim");
      if (existed) expired_reclaimed_.fetch_add(1, std::memory_order_relaxed);
    }
    over_high = UsedPages(txn.get()) > high_pages_;
    if (!(rc = txn.Commit()).ok()) return Failure(rc, "commit");
  }
  if (over_high) {
    uint64_t evicted = 0;
    Rc rc = EvictTo(low_pages_, 0, &evicted);
    if (!rc.ok()) return Failure(rc, "evict");
  }
  return Status::Ok();
}

KvStats LmdbKvStore::Stats() const {
  KvStats stats;
  stats.hits = hits_.load(std::memory_order_relaxed);
  stats.misses = misses_.load(std::memory_order_relaxed);
  stats.puts = puts_.load(std::memory_order_relaxed);
  stats.erases = erases_.load(std::memory_order_relaxed);
  stats.evictions = evictions_.load(std::memory_order_relaxed);
  stats.expirations = expirations_.load(std::memory_order_relaxed);
  stats.expired_reclaimed = expired_reclaimed_.load(std::memory_order_relaxed);
  stats.recency_refreshes = refreshes_.load(std::memory_order_relaxed);
  stats.stale_readers_cleared = stale_readers_cleared_.load(std::memory_order_relaxed);
  stats.map_size_bytes = map_pages_ * page_size_;
  for (size_t i = 0; i < kFaultKindCount; ++i) {
    stats.faults[i] = faults_[i].load(std::memory_order_relaxed);
  }
  {
    std::lock_guard<std::mutex> lock(last_fault_mu_);
    stats.last_fault = last_fault_;
  }
  (void)Contained("stats", [&] {
    PooledReadTxn txn(&read_pool_);
    if (txn.rc().ok()) {
      stats.map_bytes_used = UsedPages(txn.get()) * page_size_;
      MDB_stat stat;
      if (mdb_stat(txn.get(), dbis_.entries, &stat) == MDB_SUCCESS) stats.entries = stat.ms_entries;
    }
    return Status::Ok();
  });
  return stats;
}

Status ValidateOptions(const KvOptions& options) {
  if (options.dir.empty()) return Status::InvalidArgument("KvOptions::dir is empty");
  if (options.map_size_bytes < kMinMapBytes) {
    return Status::InvalidArgument("KvOptions::map_size_bytes " +
                                   std::to_string(options.map_size_bytes) + " is under " +
                                   std::to_string(kMinMapBytes));
  }
  if (!(options.evict_high_watermark > 0.0 && options.evict_high_watermark <= 1.0)) {
    return Status::InvalidArgument("KvOptions::evict_high_watermark must be in (0, 1]");
  }
  if (!(options.evict_low_watermark >= 0.0 &&
        options.evict_low_watermark < options.evict_high_watermark)) {
    return Status::InvalidArgument(
        "KvOptions::evict_low_watermark must be in [0, evict_high_watermark)");
  }
  if (options.evict_batch_entries == 0) {
    return Status::InvalidArgument("KvOptions::evict_batch_entries is 0");
  }
  if (options.default_ttl_micros < 0) {
    return Status::InvalidArgument("KvOptions::default_ttl_micros is negative");
  }
  if (options.max_readers == 0) return Status::InvalidArgument("KvOptions::max_readers is 0");
  if (options.read_sample_every == 0) {
    return Status::InvalidArgument("KvOptions::read_sample_every is 0");
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<KvStore>> KvStore::Open(const KvOptions& options) {
  FOLIO_RETURN_IF_ERROR(ValidateOptions(options));
  std::error_code ec;
  fs::create_directories(options.dir, ec);
  if (ec) return Status::IOError("create " + options.dir + ": " + ec.message());

  detail::InstallFaultHandlers();
  OpenFailure failure;
  Result<OpenedEnv> opened = ContainedOpen(options, &failure);
  std::string recreated_reason;
  if (!opened.ok()) {
    if (!failure.env_is_bad) return failure.status;
    const Clock* clock = options.clock != nullptr ? options.clock : Clock::Real();
    Result<std::string> moved = MoveAside(options.dir, clock->NowMicros());
    if (!moved.ok()) return moved.status();
    recreated_reason = failure.status.message() + "; moved aside to " +
                       (moved->empty() ? std::string("(nothing)") : *moved);
    OpenFailure second;
    opened = ContainedOpen(options, &second);
    if (!opened.ok()) {
      return Status::Corruption("L2 environment in " + options.dir +
                                " unusable after recreation: " + second.status.message() +
                                " (first failure: " + recreated_reason + ")");
    }
  }
  auto store = std::make_unique<LmdbKvStore>(options, std::move(opened).value());
  if (!recreated_reason.empty()) store->RecordFault(FaultKind::kEnvRecreated, recreated_reason);
  return std::unique_ptr<KvStore>(std::move(store));
}

}  // namespace folio::kv
