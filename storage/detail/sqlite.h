// RAII over the SQLite C API, private to storage/.
//
// Connection owns a sqlite3* and its cache of prepared statements; Statement borrows a cached
// sqlite3_stmt* and resets it (clearing bindings) when it goes out of scope; Transaction rolls
// back in its destructor unless committed; ReadTransaction holds one snapshot for the reads
// made while it lives. Nothing here is thread-safe: a Connection is used by one thread at a
// time (the pool in document_store.cc hands them out).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "folio/base/status.h"

namespace folio::storage::detail {

// Converts a SQLite result code into a Status whose message names `what` was being done.
Status SqliteStatus(sqlite3* db, int rc, std::string_view what);

class Statement;

class Connection {
 public:
  // Opens `path` (creating it when `create`), in WAL mode with foreign keys on and a busy
  // timeout, read-only when `read_only`. A read-write open reads the file's header and schema
  // (a file that is not a database fails here); a read-only open reads nothing until its first
  // statement.
  static Result<std::unique_ptr<Connection>> Open(const std::string& path, bool read_only,
                                                  bool create, int busy_timeout_ms);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs SQL that returns no rows (may hold several statements). Only for fixed SQL text.
  Status Exec(std::string_view sql);

  // A prepared statement for `sql`, compiled once per connection and cached by its text.
  Result<Statement> Prepare(std::string_view sql);

  // How many times SQLite re-compiled the cached statements since they were prepared (a
  // statement whose plan depends on a bound value is re-compiled whenever it is re-bound).
  uint64_t StatementReprepares() const;

  // Drops the statement cache (needed after a schema change on another connection would
  // otherwise make SQLite re-prepare every statement on first use; harmless either way).
  void ClearStatementCache();

  sqlite3* handle() const { return db_; }
  int64_t changes() const { return sqlite3_changes64(db_); }

 private:
  explicit Connection(sqlite3* db) : db_(db) {}

  struct StmtDeleter {
    void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
  };
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  sqlite3* db_;
  std::unordered_map<std::string, std::unique_ptr<sqlite3_stmt, StmtDeleter>, StringHash,
                     std::equal_to<>>
      statements_;
};

// A borrowed, cached prepared statement. Bind with 1-based indexes, then Step().
class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement() { Release(); }
  Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) {
    other.stmt_ = nullptr;
  }
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;

  void BindText(int index, std::string_view value);
  void BindInt(int index, int64_t value);
  void BindDouble(int index, double value);
  void BindNull(int index);
  void BindOptionalInt(int index, const std::optional<int64_t>& value);
  void BindOptionalText(int index, const std::optional<std::string>& value);

  // Advances: true with a row, false when done; an error becomes a Status in `status`.
  Result<bool> Step();
  // Steps to completion, for statements that return no rows.
  Status Run();

  int64_t ColumnInt(int col) const { return sqlite3_column_int64(stmt_, col); }
  double ColumnDouble(int col) const { return sqlite3_column_double(stmt_, col); }
  bool ColumnIsNull(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  int ColumnType(int col) const { return sqlite3_column_type(stmt_, col); }
  // A view into SQLite's buffer, valid until the next Step() or the statement's release.
  std::string_view ColumnText(int col) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p ? std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string_view();
  }
  std::optional<int64_t> ColumnOptionalInt(int col) const {
    if (ColumnIsNull(col)) return std::nullopt;
    return ColumnInt(col);
  }

  // Makes the statement ready to bind and run again.
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  sqlite3_stmt* handle() const { return stmt_; }

 private:
  void Release() {
    if (stmt_ != nullptr) {
      Reset();
      stmt_ = nullptr;
    }
  }

  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

// BEGIN IMMEDIATE … COMMIT; rolls back in the destructor unless Commit() succeeded.
class Transaction {
 public:
  static Result<Transaction> Begin(Connection& conn, bool immediate);
  ~Transaction();
  Transaction(Transaction&& other) noexcept : conn_(other.conn_) { other.conn_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;

  Status Commit();

 private:
  explicit Transaction(Connection* conn) : conn_(conn) {}
  Connection* conn_;
};

// A deferred BEGIN … COMMIT around reads, so they all see one snapshot (in WAL mode the
// snapshot is taken by the first read after BEGIN and kept until the end). BEGIN and COMMIT
// run as cached prepared statements: the pair costs a few microseconds. Ends in the
// destructor; declare it before the Statements it covers, so they are reset first.
class ReadTransaction {
 public:
  static Result<ReadTransaction> Begin(Connection& conn);
  ~ReadTransaction();
  ReadTransaction(ReadTransaction&& other) noexcept : conn_(other.conn_) { other.conn_ = nullptr; }
  ReadTransaction& operator=(ReadTransaction&&) = delete;

 private:
  explicit ReadTransaction(Connection* conn) : conn_(conn) {}
  Connection* conn_;
};

}  // namespace folio::storage::detail
