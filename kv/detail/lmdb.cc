#include "detail/lmdb.h"

namespace folio::kv::detail {

bool Rc::corrupt() const noexcept {
  switch (code_) {
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_PANIC:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
    case MDB_INCOMPATIBLE:
      return true;
    default:
      return false;
  }
}

std::string Rc::Message() const {
  return mdb_strerror(code_);
}

Status Rc::ToStatus(std::string_view op) const {
  std::string msg = "lmdb ";
  msg += op;
  msg += ": ";
  msg += mdb_strerror(code_);
  if (not_found()) return Status::NotFound(std::move(msg));
  if (corrupt()) return Status::Corruption(std::move(msg));
  switch (code_) {
    case MDB_READERS_FULL:
    case MDB_MAP_FULL:
    case MDB_TXN_FULL:
      return Status::Busy(std::move(msg));
    case MDB_MAP_RESIZED:
      return Status::Unavailable(std::move(msg));
    case MDB_BAD_TXN:
    case MDB_BAD_VALSIZE:
    case MDB_BAD_DBI:
    case MDB_BAD_RSLOT:
    case EINVAL:
      return Status::Internal(std::move(msg));
    default:
      return Status::IOError(std::move(msg));
  }
}

Rc Env::Create(Env* out) noexcept {
  MDB_env* env = nullptr;
  Rc rc(mdb_env_create(&env));
  if (rc.ok()) {
    out->Close();
    out->env_ = env;
  }
  return rc;
}

Rc ReadTxn::Begin(MDB_env* env, ReadTxn* out) noexcept {
  MDB_txn* txn = nullptr;
  Rc rc(mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn));
  if (rc.ok()) *out = ReadTxn(txn);
  return rc;
}

Rc WriteTxn::Begin(MDB_env* env, WriteTxn* out) noexcept {
  MDB_txn* txn = nullptr;
  Rc rc(mdb_txn_begin(env, nullptr, 0, &txn));
  if (rc.ok()) {
    out->Abort();
    out->txn_ = txn;
  }
  return rc;
}

Rc Cursor::Open(MDB_txn* txn, MDB_dbi dbi, Cursor* out) noexcept {
  MDB_cursor* cursor = nullptr;
  Rc rc(mdb_cursor_open(txn, dbi, &cursor));
  if (rc.ok()) {
    out->Close();
    out->cursor_ = cursor;
  }
  return rc;
}

Rc Cursor::Get(MDB_cursor_op op, std::string_view* key, std::string_view* value) noexcept {
  MDB_val k{0, nullptr};
  MDB_val v{0, nullptr};
  if (key != nullptr && (op == MDB_SET || op == MDB_SET_KEY || op == MDB_SET_RANGE)) {
    k = ToVal(*key);
  }
  Rc rc(mdb_cursor_get(cursor_, &k, &v, op));
  if (rc.ok()) {
    if (key != nullptr) *key = ToView(k);
    if (value != nullptr) *value = ToView(v);
  }
  return rc;
}

Rc DbGet(MDB_txn* txn, MDB_dbi dbi, std::string_view key, std::string_view* value) noexcept {
  MDB_val k = ToVal(key);
  MDB_val v{0, nullptr};
  Rc rc(mdb_get(txn, dbi, &k, &v));
  if (rc.ok()) *value = ToView(v);
  return rc;
}

Rc DbPut(MDB_txn* txn, MDB_dbi dbi, std::string_view key, std::string_view value,
         unsigned flags) noexcept {
  MDB_val k = ToVal(key);
  MDB_val v = ToVal(value);
  return Rc(mdb_put(txn, dbi, &k, &v, flags));
}

Rc DbReserve(MDB_txn* txn, MDB_dbi dbi, std::string_view key, size_t size, char** out) noexcept {
  MDB_val k = ToVal(key);
  MDB_val v{size, nullptr};
  Rc rc(mdb_put(txn, dbi, &k, &v, MDB_RESERVE));
  if (rc.ok()) *out = static_cast<char*>(v.mv_data);
  return rc;
}

Rc DbDel(MDB_txn* txn, MDB_dbi dbi, std::string_view key) noexcept {
  MDB_val k = ToVal(key);
  return Rc(mdb_del(txn, dbi, &k, nullptr));
}

}  // namespace folio::kv::detail
