// What keeps `folio serve` serving when the process runs short of file descriptors: a
// connection limit that follows RLIMIT_NOFILE, and a backoff for the accept loop (an accept
// that fails for want of descriptors fails again at once, and retrying at once spins a core
// and floods the log while no connection is served).
//
// Thread-safety: the free functions may be called from any thread; AcceptBackoff and
// RateLimitedLog are plain values, one per accepting thread.
#pragma once

#include <chrono>
#include <cstdint>

namespace folio::app {

// Descriptors kept back from connections for what else the process opens: SQLite's database,
// WAL and shared-memory files per connection, LMDB, the epoch file, logs, the acceptors.
inline constexpr uint64_t kReservedFileDescriptors = 64;

// The soft RLIMIT_NOFILE now in force (UINT64_MAX when unlimited, 0 if it cannot be read).
uint64_t FileDescriptorSoftLimit();

// Raises the soft RLIMIT_NOFILE to the hard limit, as most servers do at start, and returns
// the soft limit in force afterwards (0 if it cannot be read).
uint64_t RaiseFileDescriptorLimit();

// The connections to accept: `configured`, capped so that connections plus the reserve fit
// in `fd_soft_limit` (at least 1). A limit of 0 (unknown) leaves `configured` as it is.
int EffectiveMaxConnections(int configured, uint64_t fd_soft_limit);

// The delay before the next accept after a failed one: 5 ms, doubling to at most 1 s; reset
// by a successful accept.
class AcceptBackoff {
 public:
  static constexpr std::chrono::milliseconds kFirst{5};
  static constexpr std::chrono::milliseconds kMax{1000};

  std::chrono::milliseconds Next() {
    const auto delay = next_;
    next_ = next_ * 2 > kMax ? kMax : next_ * 2;
    return delay;
  }
  void Reset() { next_ = kFirst; }

 private:
  std::chrono::milliseconds next_ = kFirst;
};

// Lets one line through per interval and counts the ones it held back, so a failure that
// repeats thousands of times a second logs once a second with its count.
class RateLimitedLog {
 public:
  explicit RateLimitedLog(std::chrono::steady_clock::duration interval) : interval_(interval) {}

  // True when a line may be written now; `*suppressed` is then how many were held back
  // since the last one written.
  bool Allow(std::chrono::steady_clock::time_point now, uint64_t* suppressed) {
    if (written_once_ && now - last_ < interval_) {
      ++held_back_;
      return false;
    }
    written_once_ = true;
    last_ = now;
    *suppressed = held_back_;
    held_back_ = 0;
    return true;
  }

 private:
  std::chrono::steady_clock::duration interval_;
  std::chrono::steady_clock::time_point last_{};
  bool written_once_ = false;
  uint64_t held_back_ = 0;
};

}  // namespace folio::app
