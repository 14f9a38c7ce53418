// InflightReads: concurrent misses on one cache key share one SQLite read. The first caller
// for a key becomes the leader and reads; the others either wait for its result (the
// blocking API: the caller's own thread waits) or park a completion on the flight (the async
// API: no engine thread waits; the leader runs the parked completions when it finishes).
//
// Thread-safety: all methods, from any thread.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "detail/query_key.h"
#include "folio/base/status.h"

namespace folio::detail {

class InflightReads {
 public:
  using Bytes = std::shared_ptr<const std::string>;
  using Completion = std::function<void(const Result<Bytes>&)>;

  class Flight {
   public:
    // Blocks until the leader finishes; its result.
    Result<Bytes> Wait() {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return done_; });
      return result_;
    }

    // Hands `done` to the leader, which calls it with its result when it finishes (on its
    // thread). When the leader already finished, `done` runs here, now.
    void Park(Completion done) {
      {
        std::lock_guard lock(mu_);
        if (!done_) {
          parked_.push_back(std::move(done));
          return;
        }
      }
      done(result_);  // result_ no longer changes once done_
    }

   private:
    friend class InflightReads;
    std::pair<CacheKey, int64_t> key_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool done_ = false;
    Result<Bytes> result_ = Status::Unavailable("read in progress");
    std::vector<Completion> parked_;
  };

  // The flight for `key` among readers that started at change-log position `applied_seq`,
  // and whether the caller leads it (must then call Finish).
  std::pair<std::shared_ptr<Flight>, bool> Join(const CacheKey& key, int64_t applied_seq) {
    std::lock_guard lock(mu_);
    auto [it, inserted] = flights_.try_emplace({key, applied_seq});
    if (inserted) {
      it->second = std::make_shared<Flight>();
      it->second->key_ = {key, applied_seq};
    }
    return {it->second, inserted};
  }

  // The leader hands its result to the waiters and runs the parked completions; later
  // callers for the key start afresh.
  void Finish(const std::shared_ptr<Flight>& flight, Result<Bytes> result) {
    {
      std::lock_guard lock(mu_);
      flights_.erase(flight->key_);
    }
    std::vector<Completion> parked;
    {
      std::lock_guard lock(flight->mu_);
      flight->result_ = std::move(result);
      flight->done_ = true;
      parked.swap(flight->parked_);
    }
    flight->cv_.notify_all();
    for (auto& done : parked)
      done(flight->result_);
  }

 private:
  std::mutex mu_;
  std::map<std::pair<CacheKey, int64_t>, std::shared_ptr<Flight>> flights_;
};

}  // namespace folio::detail
