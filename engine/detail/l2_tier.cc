#include "detail/l2_tier.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>

namespace folio::detail {
namespace {

constexpr size_t kFillBatch = 64;
// How long the writer gathers fills after the first one wakes it. A miss that wakes the writer
// pays a futex wake and, on a VM, an IPI (~7 µs here); gathering makes that once per burst
// instead of once per miss, and puts a burst in one LMDB commit.
constexpr auto kFillGather = std::chrono::milliseconds(1);
// How long the writer keeps looking at the queue by itself (every kFillGather) after the last
// fill, before it sleeps until signalled. While it lingers no miss signals it: under steady
// traffic the read path never pays the wake (measured ~27 µs of the reader's CPU per miss on
// this 2-vCPU VM: mix_bench Publish/engine, first_read_fill_p50_us). Idle, it costs one
// wake-up per kFillGather for this long, then nothing.
constexpr auto kLinger = std::chrono::milliseconds(250);

std::string StatusKind(const Status& s) {
  switch (s.code()) {
    case Status::Code::kCorruption:
      return "corruption";
    case Status::Code::kBusy:
      return "busy";
    case Status::Code::kUnavailable:
      return "unavailable";
    case Status::Code::kTooLarge:
      return "too_large";
    default:
      return "io_error";
  }
}

std::string CurrentBootId() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  return id;
}

}  // namespace

// Without fsync, an OS crash can leave LMDB pages half written. LMDB does not checksum its
// pages, so a non-durable environment is trusted only within the boot that wrote it: the
// first process to open it after a reboot discards it. (A process crash is harmless: the OS
// still has every page.) Serialized across processes by an flock.
bool L2Tier::DiscardIfWrittenBeforeReboot() {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(config_.dir, ec);
  const fs::path dir(config_.dir);
  int fd = ::open((dir / "boot.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  ::flock(fd, LOCK_EX);
  const std::string boot = CurrentBootId();
  std::string recorded;
  {
    std::ifstream in(dir / "boot_id");
    std::getline(in, recorded);
  }
  bool discarded = false;
  if (!boot.empty() && recorded != boot) {
    if (!recorded.empty() || fs::exists(dir / "data.mdb", ec)) {
      fs::remove(dir / "data.mdb", ec);
      fs::remove(dir / "lock.mdb", ec);
      discarded = true;
    }
    std::ofstream out(dir / "boot_id", std::ios::trunc);
    out << boot << "\n";
  }
  ::flock(fd, LOCK_UN);
  ::close(fd);
  return discarded;
}

L2Tier::L2Tier(Config config)
    : config_(std::move(config)), clock_(config_.clock ? config_.clock : Clock::Real()) {
  Reopen("");
  writer_ = std::thread([this] { WriterLoop(); });
}

L2Tier::~L2Tier() {
  Flush();
  {
    std::lock_guard lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  writer_.join();
}

std::shared_ptr<kv::KvStore> L2Tier::Current() const {
  std::lock_guard lock(store_mu_);
  return store_;
}

bool L2Tier::available() const {
  return Current() != nullptr;
}

void L2Tier::Fault(const std::string& kind) {
  faults_.Add();
  std::lock_guard lock(fault_kinds_mu_);
  ++fault_kinds_[kind];
}

std::vector<std::pair<std::string, uint64_t>> L2Tier::FaultsByKind() const {
  std::lock_guard lock(fault_kinds_mu_);
  return {fault_kinds_.begin(), fault_kinds_.end()};
}

L2Tier::Outcome L2Tier::Get(const CacheKey& key, Validator valid, Bytes* out) {
  std::shared_ptr<kv::KvStore> store = Current();
  if (store == nullptr) return Outcome::kFault;
  bool well_formed = true;
  Status s = store->Get(KeyView(key), [&](std::string_view value) {
    if (!valid(value)) {
      well_formed = false;
      return;
    }
    *out = std::make_shared<const std::string>(value);  // the one copy: out of the map, into L1
  });
  if (s.ok()) {
    if (well_formed) return Outcome::kHit;
    Fault("malformed_page");
    return Outcome::kMiss;
  }
  if (s.IsNotFound()) return Outcome::kMiss;
  Fault(StatusKind(s));
  if (s.code() == Status::Code::kCorruption || s.code() == Status::Code::kUnavailable) {
    std::lock_guard lock(store_mu_);
    needs_reopen_ = true;
  }
  return Outcome::kFault;
}

void L2Tier::EnqueueFill(const CacheKey& key, Bytes bytes, int64_t ttl_micros) {
  const int64_t expires_at = ttl_micros > 0 ? clock_->NowMicros() + ttl_micros : 0;
  bool wake = false;
  {
    std::lock_guard lock(queue_mu_);
    if (queue_.size() >= config_.queue_limit) {
      dropped_.Add();
      return;
    }
    queue_.push_back(Fill{key, std::move(bytes), expires_at});
    ++enqueued_;
    // A gathering writer wakes by itself; only an idle one, or a full batch, needs a signal.
    wake = writer_idle_ || queue_.size() == kFillBatch;
    writer_idle_ = false;
  }
  if (wake) queue_cv_.notify_one();
}

void L2Tier::Flush() {
  std::unique_lock lock(queue_mu_);
  const uint64_t target = enqueued_;
  flush_target_ = std::max(flush_target_, target);
  queue_cv_.notify_one();  // no gathering while someone waits for the queue to drain
  drained_cv_.wait(lock, [&] { return written_ >= target || stopping_; });
}

void L2Tier::WriterLoop() {
  std::vector<Fill> batch;
  std::vector<kv::KvEntry> entries;
  for (;;) {
    {
      std::unique_lock lock(queue_mu_);
      const auto lingering_until = std::chrono::steady_clock::now() + kLinger;
      while (!stopping_ && queue_.empty()) {
        if (std::chrono::steady_clock::now() < lingering_until) {
          queue_cv_.wait_for(lock, kFillGather);
        } else {
          writer_idle_ = true;  // the next fill signals
          queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        }
      }
      writer_idle_ = false;
      queue_cv_.wait_for(lock, kFillGather, [&] {
        return stopping_ || queue_.size() >= kFillBatch || flush_target_ > written_;
      });
      if (queue_.empty() && stopping_) return;
      while (!queue_.empty() && batch.size() < kFillBatch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    std::shared_ptr<kv::KvStore> store = Current();
    if (store != nullptr) {
      entries.clear();
      // A fill keeps the expiry it was queued with: a page queued just before its schedule
      // boundary must not live past it because the writer got to it late. (kv measures the TTL
      // from its own clock reading inside PutBatch, a few microseconds later still.)
      const int64_t now = clock_->NowMicros();
      for (const Fill& f : batch) {
        int64_t ttl = 0;
        if (f.expires_at_micros != 0) {
          ttl = f.expires_at_micros - now;
          if (ttl <= 0) continue;  // expired while queued: not worth writing
        }
        entries.push_back(kv::KvEntry{KeyView(f.key), *f.bytes, ttl});
      }
      Status s = entries.empty() ? Status::Ok() : store->PutBatch(entries);
      if (s.ok()) {
        fills_.Add(entries.size());
      } else {
        Fault(StatusKind(s));
        if (s.code() == Status::Code::kCorruption) {
          std::lock_guard lock(store_mu_);
          needs_reopen_ = true;
        }
      }
    }
    {
      std::lock_guard lock(queue_mu_);
      written_ += batch.size();
    }
    drained_cv_.notify_all();
    batch.clear();
  }
}

void L2Tier::Reopen(const std::string& why) {
  std::shared_ptr<kv::KvStore> old;
  {
    std::lock_guard lock(store_mu_);
    old = std::move(store_);
    needs_reopen_ = false;
  }
  if (!why.empty()) Fault(why);
  // LMDB allows one open of an environment per process: wait for in-flight users of the old
  // store to let go before opening again.
  while (old != nullptr && old.use_count() > 1) {
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  old.reset();

  if (!config_.durable_commits && DiscardIfWrittenBeforeReboot()) Fault("discarded_after_reboot");
  kv::KvOptions options;
  options.dir = config_.dir;
  options.map_size_bytes = config_.map_size_bytes;
  options.durable_commits = config_.durable_commits;
  options.verify_checksums = config_.verify_checksums;
  options.clock = config_.clock;
  auto opened = kv::KvStore::Open(options);
  if (!opened.ok()) {
    Fault("open_failed");
    return;
  }
  std::lock_guard lock(store_mu_);
  store_ = std::move(*opened);
}

void L2Tier::Maintain() {
  bool reopen;
  {
    std::lock_guard lock(store_mu_);
    reopen = needs_reopen_ || store_ == nullptr;
  }
  std::error_code ec;
  if (!reopen && !std::filesystem::exists(std::filesystem::path(config_.dir) / "data.mdb", ec)) {
    Reopen("files_missing");
    return;
  }
  if (reopen) {
    Reopen("");
    return;
  }
  if (auto store = Current()) {
    Status s = store->Maintain();
    if (!s.ok()) Fault(StatusKind(s));
  }
}

std::optional<kv::KvStats> L2Tier::KvStatsSnapshot() const {
  auto store = Current();
  if (store == nullptr) return std::nullopt;
  return store->Stats();
}

}  // namespace folio::detail
