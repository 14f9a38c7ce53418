#include "detail/read_txn_pool.h"

#include <functional>
#include <thread>

namespace folio::kv::detail {

ReadTxnPool::ReadTxnPool(MDB_env* env, size_t slots)
    : env_(env),
      slot_count_(slots == 0 ? 1 : slots),
      slots_(std::make_unique<std::atomic<MDB_txn*>[]>(slot_count_)) {
  for (size_t i = 0; i < slot_count_; ++i)
    slots_[i].store(nullptr, std::memory_order_relaxed);
}

ReadTxnPool::~ReadTxnPool() {
  Drain();
}

void ReadTxnPool::Abandon() noexcept {
  for (size_t i = 0; i < slot_count_; ++i)
    slots_[i].store(nullptr, std::memory_order_release);
}

void ReadTxnPool::Drain() noexcept {
  for (size_t i = 0; i < slot_count_; ++i) {
    if (MDB_txn* txn = slots_[i].exchange(nullptr, std::memory_order_acq_rel)) {
      mdb_txn_abort(txn);
    }
  }
}

size_t ReadTxnPool::StartSlot() const noexcept {
  // Threads start probing at different slots so they rarely fight over one.
  thread_local const size_t hint = std::hash<std::thread::id>{}(std::this_thread::get_id());
  return hint % slot_count_;
}

Rc ReadTxnPool::Acquire(ReadTxn* out) noexcept {
  const size_t start = StartSlot();
  for (size_t i = 0; i < slot_count_; ++i) {
    std::atomic<MDB_txn*>& slot = slots_[(start + i) % slot_count_];
    if (slot.load(std::memory_order_relaxed) == nullptr) continue;
    MDB_txn* txn = slot.exchange(nullptr, std::memory_order_acquire);
    if (txn == nullptr) continue;
    ReadTxn pooled(txn);
    Rc rc = pooled.Renew();
    if (rc.ok()) {
      *out = std::move(pooled);
      return rc;
    }
    // A txn that cannot be renewed is dropped (aborted by ~ReadTxn); begin a fresh one below.
    break;
  }
  return ReadTxn::Begin(env_, out);
}

void ReadTxnPool::Release(ReadTxn txn) noexcept {
  if (!txn) return;
  txn.Reset();
  const size_t start = StartSlot();
  for (size_t i = 0; i < slot_count_; ++i) {
    std::atomic<MDB_txn*>& slot = slots_[(start + i) % slot_count_];
    MDB_txn* expected = nullptr;
    if (slot.compare_exchange_strong(expected, txn.get(), std::memory_order_release,
                                     std::memory_order_relaxed)) {
      (void)txn.release();
      return;
    }
  }
  // Every slot is full: ~ReadTxn aborts this one.
}

}  // namespace folio::kv::detail
