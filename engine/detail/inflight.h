// InflightReads: concurrent misses on one cache key share one SQLite read. The first caller
// for a key becomes the leader and reads; the others wait for its result.
//
// Thread-safety: all methods, from any thread.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "detail/query_key.h"
#include "folio/base/status.h"

namespace folio::detail {

class InflightReads {
 public:
  using Bytes = std::shared_ptr<const std::string>;

  class Flight {
   public:
    // Blocks until the leader finishes; its result.
    Result<Bytes> Wait() {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return done_; });
      return result_;
    }

   private:
    friend class InflightReads;
    std::mutex mu_;
    std::condition_variable cv_;
    bool done_ = false;
    Result<Bytes> result_ = Status::Unavailable("read in progress");
  };

  // The flight for `key`, and whether the caller leads it (must then call Finish).
  std::pair<std::shared_ptr<Flight>, bool> Join(const CacheKey& key) {
    std::lock_guard lock(mu_);
    auto [it, inserted] = flights_.try_emplace(key);
    if (inserted) it->second = std::make_shared<Flight>();
    return {it->second, inserted};
  }

  // The leader hands its result to the waiters; later callers for the key start afresh.
  void Finish(const CacheKey& key, const std::shared_ptr<Flight>& flight, Result<Bytes> result) {
    {
      std::lock_guard lock(mu_);
      flights_.erase(key);
    }
    {
      std::lock_guard lock(flight->mu_);
      flight->result_ = std::move(result);
      flight->done_ = true;
    }
    flight->cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::map<CacheKey, std::shared_ptr<Flight>> flights_;
};

}  // namespace folio::detail
