// kv/detail/read_txn_pool.h — reuse of LMDB read transactions across Gets and threads.
//
// A fixed array of slots, each holding a reset read txn (it keeps its reader slot in the lock
// table but pins no snapshot, so it never holds back page reuse). Acquire() takes one from a slot
// with an atomic exchange and renews it; when every slot is empty it begins a new txn. Release()
// resets the txn and puts it back into an empty slot, or aborts it when all are full. No mutex.
//
// REQUIRES: the env was opened with MDB_NOTLS (a txn is renewed on whichever thread takes it), and
// the pool is destroyed before the env is closed.
// Thread-safe: Acquire/Release from any thread at once.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>

#include "detail/lmdb.h"

namespace folio::kv::detail {

class ReadTxnPool {
 public:
  ReadTxnPool(MDB_env* env, size_t slots);
  ~ReadTxnPool();
  ReadTxnPool(const ReadTxnPool&) = delete;
  ReadTxnPool& operator=(const ReadTxnPool&) = delete;

  // A live read txn with a fresh snapshot, in *out.
  Rc Acquire(ReadTxn* out) noexcept;
  // Gives a txn from Acquire() back. Accepts an empty txn (no-op).
  void Release(ReadTxn txn) noexcept;

  // Aborts every pooled txn (frees their reader slots). Safe at any time.
  void Drain() noexcept;
  // Forgets every pooled txn without touching LMDB: for an env lost to a contained fault.
  void Abandon() noexcept;

 private:
  size_t StartSlot() const noexcept;

  MDB_env* env_;
  size_t slot_count_;
  std::unique_ptr<std::atomic<MDB_txn*>[]> slots_;
};

// Holds a txn from a pool for one scope; returns it on destruction (also on unwind).
class PooledReadTxn {
 public:
  explicit PooledReadTxn(ReadTxnPool* pool) noexcept : pool_(pool), rc_(pool->Acquire(&txn_)) {}
  ~PooledReadTxn() { pool_->Release(std::move(txn_)); }
  PooledReadTxn(const PooledReadTxn&) = delete;
  PooledReadTxn& operator=(const PooledReadTxn&) = delete;

  // The outcome of acquiring; get() is null unless ok().
  Rc rc() const noexcept { return rc_; }
  MDB_txn* get() const noexcept { return txn_.get(); }

 private:
  ReadTxnPool* pool_;
  ReadTxn txn_;
  Rc rc_;
};

}  // namespace folio::kv::detail
