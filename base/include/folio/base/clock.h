// Clock: where folio reads the time, so tests can move it by hand.
//
// Thread-safe: every method may be called from any thread at once.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace folio {

class Clock {
 public:
  virtual ~Clock() = default;

  // Microseconds since the Unix epoch (wall time: TTLs and schedule windows are wall-clock
  // promises, and a persistent tier compares times across restarts).
  virtual int64_t NowMicros() const = 0;

  int64_t NowSeconds() const { return NowMicros() / 1'000'000; }

  // The process-wide real clock. Never null; lives for the whole program.
  static const Clock* Real();

 private:
  class RealClock;
};

class Clock::RealClock final : public Clock {
 public:
  int64_t NowMicros() const override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

inline const Clock* Clock::Real() {
  static const RealClock clock;
  return &clock;
}

// A clock that moves only when told. For tests.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_micros = 1'700'000'000'000'000) : now_(start_micros) {}
  int64_t NowMicros() const override { return now_.load(std::memory_order_acquire); }
  void AdvanceMicros(int64_t delta) { now_.fetch_add(delta, std::memory_order_acq_rel); }
  void AdvanceSeconds(int64_t delta) { AdvanceMicros(delta * 1'000'000); }
  void SetMicros(int64_t now) { now_.store(now, std::memory_order_release); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace folio
