// SharedEpoch: a 64-bit counter in a small memory-mapped file (<data_dir>/folio.epoch) that
// every folio process on a data dir maps. A writer bumps it after its commit; a reader
// compares it with the value it last acted on. Reading it is one atomic load from shared
// memory — no system call, no lock — which is what lets read-your-writes hold across
// processes without putting SQLite on the hot path.
//
// Thread-safety: all methods, from any thread and any process.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "folio/base/status.h"

namespace folio::detail {

class SharedEpoch {
 public:
  // Maps `path`, creating it (zeroed) when missing. A file of the wrong size is rebuilt.
  static Result<std::unique_ptr<SharedEpoch>> Open(const std::string& path);
  ~SharedEpoch();
  SharedEpoch(const SharedEpoch&) = delete;
  SharedEpoch& operator=(const SharedEpoch&) = delete;

  uint64_t Load() const { return counter_->load(std::memory_order_acquire); }
  void Bump() { counter_->fetch_add(1, std::memory_order_acq_rel); }

 private:
  SharedEpoch(void* map, size_t size);
  void* map_;
  size_t size_;
  std::atomic<uint64_t>* counter_;
};

}  // namespace folio::detail
