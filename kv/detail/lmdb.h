// kv/detail/lmdb.h — folio's own small RAII layer over the LMDB C API. Internal to kv/.
//
// Every handle is move-only and releases what it owns in a noexcept destructor:
//   Env      — an MDB_env; closed on destruction (after every txn and cursor made from it).
//   ReadTxn  — a read-only MDB_txn; aborted on destruction. Reset()/Renew() let a pool keep the
//              reader slot without pinning a snapshot (the env must be opened with MDB_NOTLS for a
//              txn to be renewed on another thread).
//   WriteTxn — a read-write MDB_txn; an uncommitted one aborts on destruction. Commit() clears the
//              handle before calling mdb_txn_commit, so a failed commit is never aborted twice.
//   Cursor   — an MDB_cursor; closed on destruction. REQUIRES: destroyed before its txn ends
//              (a write txn frees its cursors itself, so Cursor must not outlive it).
//
// LMDB return codes travel inside kv/ as an Rc (a [[nodiscard]] wrapper of the int) so the store
// can ask "was this MDB_MAP_FULL?"; Rc::ToStatus turns one into a folio Status. No int code leaves
// kv/.
//
// Thread-safety: a handle is a value; using one handle from two threads at once is a data race.
// LMDB's own rules apply on top: one write txn per env at a time (LMDB serializes writers with a
// lock shared across processes), and a string_view from Get() is valid only until its txn ends.
#pragma once

#include <lmdb.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "folio/base/status.h"

namespace folio::kv::detail {

// An LMDB return code. 0 (MDB_SUCCESS) is ok.
class [[nodiscard]] Rc {
 public:
  constexpr Rc() noexcept = default;
  constexpr explicit Rc(int code) noexcept : code_(code) {}

  constexpr bool ok() const noexcept { return code_ == MDB_SUCCESS; }
  constexpr int code() const noexcept { return code_; }
  constexpr bool not_found() const noexcept { return code_ == MDB_NOTFOUND; }
  constexpr bool map_full() const noexcept { return code_ == MDB_MAP_FULL; }
  // The stored bytes (or the environment) are damaged or unusable: MDB_CORRUPTED,
  // MDB_PAGE_NOTFOUND, MDB_PANIC, MDB_INVALID, MDB_VERSION_MISMATCH, MDB_INCOMPATIBLE.
  bool corrupt() const noexcept;

  // "lmdb <op>: <mdb_strerror>" with a Status code chosen for the error: NotFound for
  // MDB_NOTFOUND, Corruption for corrupt(), Busy for MDB_READERS_FULL / MDB_MAP_FULL /
  // MDB_TXN_FULL, Unavailable for MDB_MAP_RESIZED, IOError otherwise.
  // REQUIRES: !ok()
  Status ToStatus(std::string_view op) const;
  std::string Message() const;

 private:
  int code_ = MDB_SUCCESS;
};

inline MDB_val ToVal(std::string_view bytes) noexcept {
  return MDB_val{bytes.size(), const_cast<char*>(bytes.data())};
}
inline std::string_view ToView(const MDB_val& val) noexcept {
  return std::string_view(static_cast<const char*>(val.mv_data), val.mv_size);
}

class Env {
 public:
  Env() noexcept = default;
  Env(Env&& other) noexcept : env_(std::exchange(other.env_, nullptr)) {}
  Env& operator=(Env&& other) noexcept {
    if (this != &other) {
      Close();
      env_ = std::exchange(other.env_, nullptr);
    }
    return *this;
  }
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;
  ~Env() { Close(); }

  // mdb_env_create.
  static Rc Create(Env* out) noexcept;

  // REQUIRES: no txn or cursor of this env is still alive.
  void Close() noexcept {
    if (env_ != nullptr) mdb_env_close(std::exchange(env_, nullptr));
  }
  // Forgets the env without closing it: for an env whose state a contained fault left
  // unknown (detail/fault_containment.h), where closing could fault again.
  void Leak() noexcept { env_ = nullptr; }

  MDB_env* get() const noexcept { return env_; }
  explicit operator bool() const noexcept { return env_ != nullptr; }

 private:
  MDB_env* env_ = nullptr;
};

class ReadTxn {
 public:
  ReadTxn() noexcept = default;
  explicit ReadTxn(MDB_txn* adopt) noexcept : txn_(adopt) {}
  ReadTxn(ReadTxn&& other) noexcept : txn_(std::exchange(other.txn_, nullptr)) {}
  ReadTxn& operator=(ReadTxn&& other) noexcept {
    if (this != &other) {
      Abort();
      txn_ = std::exchange(other.txn_, nullptr);
    }
    return *this;
  }
  ReadTxn(const ReadTxn&) = delete;
  ReadTxn& operator=(const ReadTxn&) = delete;
  ~ReadTxn() { Abort(); }

  static Rc Begin(MDB_env* env, ReadTxn* out) noexcept;

  // Releases the snapshot, keeps the reader slot (mdb_txn_reset). REQUIRES: *this.
  void Reset() noexcept { mdb_txn_reset(txn_); }
  // Takes a fresh snapshot after Reset() (mdb_txn_renew). REQUIRES: *this, reset.
  Rc Renew() noexcept { return Rc(mdb_txn_renew(txn_)); }

  void Abort() noexcept {
    if (txn_ != nullptr) mdb_txn_abort(std::exchange(txn_, nullptr));
  }
  // Gives up ownership without aborting.
  MDB_txn* release() noexcept { return std::exchange(txn_, nullptr); }

  MDB_txn* get() const noexcept { return txn_; }
  explicit operator bool() const noexcept { return txn_ != nullptr; }

 private:
  MDB_txn* txn_ = nullptr;
};

class WriteTxn {
 public:
  WriteTxn() noexcept = default;
  WriteTxn(WriteTxn&& other) noexcept : txn_(std::exchange(other.txn_, nullptr)) {}
  WriteTxn& operator=(WriteTxn&& other) noexcept {
    if (this != &other) {
      Abort();
      txn_ = std::exchange(other.txn_, nullptr);
    }
    return *this;
  }
  WriteTxn(const WriteTxn&) = delete;
  WriteTxn& operator=(const WriteTxn&) = delete;
  ~WriteTxn() { Abort(); }

  // Blocks until this process holds the env's (cross-process) writer lock.
  static Rc Begin(MDB_env* env, WriteTxn* out) noexcept;

  // The handle is cleared first: after Commit() *this is empty whatever the outcome
  // (LMDB frees the txn on a failed commit as well).
  Rc Commit() noexcept {
    MDB_txn* txn = std::exchange(txn_, nullptr);
    return Rc(mdb_txn_commit(txn));
  }
  void Abort() noexcept {
    if (txn_ != nullptr) mdb_txn_abort(std::exchange(txn_, nullptr));
  }

  MDB_txn* get() const noexcept { return txn_; }
  explicit operator bool() const noexcept { return txn_ != nullptr; }

 private:
  MDB_txn* txn_ = nullptr;
};

class Cursor {
 public:
  Cursor() noexcept = default;
  Cursor(Cursor&& other) noexcept : cursor_(std::exchange(other.cursor_, nullptr)) {}
  Cursor& operator=(Cursor&& other) noexcept {
    if (this != &other) {
      Close();
      cursor_ = std::exchange(other.cursor_, nullptr);
    }
    return *this;
  }
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;
  ~Cursor() { Close(); }

  static Rc Open(MDB_txn* txn, MDB_dbi dbi, Cursor* out) noexcept;

  void Close() noexcept {
    if (cursor_ != nullptr) mdb_cursor_close(std::exchange(cursor_, nullptr));
  }

  // mdb_cursor_get; key and value views are valid until the txn ends or the next write.
  Rc Get(MDB_cursor_op op, std::string_view* key, std::string_view* value) noexcept;
  // Deletes the item under the cursor (mdb_cursor_del).
  Rc Del() noexcept { return Rc(mdb_cursor_del(cursor_, 0)); }

  MDB_cursor* get() const noexcept { return cursor_; }

 private:
  MDB_cursor* cursor_ = nullptr;
};

// Point operations on one DBI inside a txn.
// Get: the view is valid until the txn ends (or, in a write txn, until the next write).
Rc DbGet(MDB_txn* txn, MDB_dbi dbi, std::string_view key, std::string_view* value) noexcept;
Rc DbPut(MDB_txn* txn, MDB_dbi dbi, std::string_view key, std::string_view value,
         unsigned flags = 0) noexcept;
// MDB_RESERVE: LMDB makes room for `size` bytes and returns where to write them (valid until the
// next write in this txn).
Rc DbReserve(MDB_txn* txn, MDB_dbi dbi, std::string_view key, size_t size, char** out) noexcept;
Rc DbDel(MDB_txn* txn, MDB_dbi dbi, std::string_view key) noexcept;

}  // namespace folio::kv::detail
