#include "detail/sqlite.h"

#include <cerrno>
#include <string>

namespace folio::storage::detail {

Status SqliteStatus(sqlite3* db, int rc, std::string_view what) {
  if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) return Status::Ok();
  std::string msg(what);
  msg += ": ";
  msg += (db != nullptr) ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      return Status::Conflict(std::move(msg));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Busy(std::move(msg));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Corruption(std::move(msg));
    case SQLITE_TOOBIG:
      return Status::TooLarge(std::move(msg));
    case SQLITE_FULL:
      return Status::NoSpace(std::move(msg));
    case SQLITE_IOERR:
      // A write that ran out of disk can surface as an I/O error of the write or the fsync.
      if (db != nullptr && sqlite3_system_errno(db) == ENOSPC) {
        return Status::NoSpace(std::move(msg));
      }
      return Status::IOError(std::move(msg));
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
      return Status::IOError(std::move(msg));
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
      return Status::Internal(std::move(msg));
    default:
      return Status::IOError(std::move(msg));
  }
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& path, bool read_only,
                                                     bool create, int busy_timeout_ms) {
  int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  flags |= read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (create && !read_only) flags |= SQLITE_OPEN_CREATE;
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  std::unique_ptr<Connection> conn(new Connection(raw));  // owns raw even when open failed
  if (rc != SQLITE_OK) return SqliteStatus(raw, rc, "opening database '" + path + "'");
  sqlite3_busy_timeout(raw, busy_timeout_ms);
  sqlite3_extended_result_codes(raw, 1);
  FOLIO_RETURN_IF_ERROR(conn->Exec("PRAGMA foreign_keys=ON; PRAGMA temp_store=MEMORY;"));
  if (read_only) {
    // No pragma that reads the schema: a reader parses it on its first statement, and the
    // store's data_version connection, which runs no other, never does. (Parsing the schema
    // is most of what opening a connection costs, and a store opens three.)
    return conn;
  }
  // A file that is not a database fails here, on the first read of its header.
  FOLIO_RETURN_IF_ERROR(conn->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"));
  return conn;
}

Connection::~Connection() {
  statements_.clear();
  sqlite3_close_v2(db_);
}

Status Connection::Exec(std::string_view sql) {
  std::string text(sql);
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return SqliteStatus(db_, rc, "executing SQL");
  return Status::Ok();
}

Result<Statement> Connection::Prepare(std::string_view sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return SqliteStatus(db_, rc, "preparing statement");
    it = statements_.emplace(std::string(sql), std::unique_ptr<sqlite3_stmt, StmtDeleter>(stmt))
             .first;
  }
  return Statement(db_, it->second.get());
}

uint64_t Connection::StatementReprepares() const {
  uint64_t total = 0;
  for (const auto& [sql, stmt] : statements_) {
    total += static_cast<uint64_t>(
        sqlite3_stmt_status(stmt.get(), SQLITE_STMTSTATUS_REPREPARE, /*resetFlg=*/0));
  }
  return total;
}

void Connection::ClearStatementCache() {
  statements_.clear();
}

void Statement::BindText(int index, std::string_view value) {
  sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}
void Statement::BindInt(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
}
void Statement::BindDouble(int index, double value) {
  sqlite3_bind_double(stmt_, index, value);
}
void Statement::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
}
void Statement::BindOptionalInt(int index, const std::optional<int64_t>& value) {
  if (value)
    BindInt(index, *value);
  else
    BindNull(index);
}
void Statement::BindOptionalText(int index, const std::optional<std::string>& value) {
  if (value)
    BindText(index, *value);
  else
    BindNull(index);
}

Result<bool> Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqliteStatus(db_, rc, "running statement");
}

Status Statement::Run() {
  for (;;) {
    Result<bool> row = Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();
  }
}

Result<Transaction> Transaction::Begin(Connection& conn, bool immediate) {
  FOLIO_RETURN_IF_ERROR(conn.Exec(immediate ? "BEGIN IMMEDIATE" : "BEGIN"));
  return Transaction(&conn);
}

Transaction::~Transaction() {
  if (conn_ != nullptr) (void)conn_->Exec("ROLLBACK");
}

Status Transaction::Commit() {
  Connection* conn = conn_;
  conn_ = nullptr;
  Status s = conn->Exec("COMMIT");
  if (!s.ok()) (void)conn->Exec("ROLLBACK");
  return s;
}

Result<ReadTransaction> ReadTransaction::Begin(Connection& conn) {
  auto begin = conn.Prepare("BEGIN");
  if (!begin.ok()) return begin.status();
  FOLIO_RETURN_IF_ERROR(begin->Run());
  return ReadTransaction(&conn);
}

ReadTransaction::~ReadTransaction() {
  if (conn_ == nullptr) return;
  // A read transaction has nothing to keep: if COMMIT fails, ROLLBACK ends it just as well,
  // and the connection goes back to the pool outside any transaction either way.
  auto commit = conn_->Prepare("COMMIT");
  if (commit.ok() && commit->Run().ok()) return;
  if (sqlite3_get_autocommit(conn_->handle()) == 0) (void)conn_->Exec("ROLLBACK");
}

}  // namespace folio::storage::detail
