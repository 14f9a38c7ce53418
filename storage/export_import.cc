// SQL dumps: ExportSql writes one, ImportSql loads one into a new database.
#include <filesystem>
#include <set>

#include "detail/store_impl.h"

namespace folio::storage {

using detail::Connection;

namespace {

Status ForEachRow(Connection& conn, const std::string& sql,
                  const std::function<Status(const detail::Statement&)>& fn) {
  auto stmt = conn.Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();
    FOLIO_RETURN_IF_ERROR(fn(*stmt));
  }
}

std::string QuoteIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

}  // namespace

Status DocumentStore::ExportSql(const std::function<Status(std::string_view)>& sink) {
  Impl::ReadLease reader = impl_->AcquireReader();
  Connection& conn = *reader;
  // One read transaction: the dump is a snapshot even while writers carry on.
  FOLIO_RETURN_IF_ERROR(conn.Exec("BEGIN"));
  struct EndRead {
    Connection& conn;
    ~EndRead() { (void)conn.Exec("COMMIT"); }
  } end_read{conn};

  FOLIO_RETURN_IF_ERROR(sink("PRAGMA foreign_keys=OFF;\nBEGIN TRANSACTION;\n"));
  std::vector<std::string> tables;
  FOLIO_RETURN_IF_ERROR(ForEachRow(
      conn,
      "SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
      "AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY rowid",
      [&](const detail::Statement& row) {
        tables.emplace_back(row.ColumnText(0));
        std::string ddl(row.ColumnText(1));
        ddl += ";\n";
        return sink(ddl);
      }));
  for (const std::string& table : tables) {
    // Stored columns only: generated (hidden 2 or 3) columns are recomputed on load.
    std::vector<std::string> columns;
    FOLIO_RETURN_IF_ERROR(ForEachRow(
        conn,
        "SELECT name FROM pragma_table_xinfo(" + QuoteIdentifier(table) + ") WHERE hidden = 0",
        [&](const detail::Statement& row) {
          columns.emplace_back(row.ColumnText(0));
          return Status::Ok();
        }));
    if (columns.empty()) continue;
    std::string column_list, quoted_values;
    for (size_t i = 0; i < columns.size(); ++i) {
      if (i > 0) {
        column_list += ",";
        quoted_values += " || ',' || ";
      }
      column_list += QuoteIdentifier(columns[i]);
      quoted_values += "quote(" + QuoteIdentifier(columns[i]) + ")";
    }
    const std::string prefix =
        "INSERT INTO " + QuoteIdentifier(table) + "(" + column_list + ") VALUES(";
    FOLIO_RETURN_IF_ERROR(ForEachRow(conn,
                                     "SELECT " + quoted_values + " FROM " + QuoteIdentifier(table),
                                     [&](const detail::Statement& row) {
                                       std::string line = prefix;
                                       line += row.ColumnText(0);
                                       line += ");\n";
                                       return sink(line);
                                     }));
  }
  FOLIO_RETURN_IF_ERROR(ForEachRow(
      conn,
      "SELECT sql FROM sqlite_schema WHERE type IN ('index', 'trigger', 'view') AND sql IS NOT "
      "NULL AND name NOT LIKE 'sqlite_%' ORDER BY CASE type WHEN 'index' THEN 0 WHEN 'view' "
      "THEN 1 ELSE 2 END, rowid",
      [&](const detail::Statement& row) {
        std::string ddl(row.ColumnText(0));
        ddl += ";\n";
        return sink(ddl);
      }));
  return sink("COMMIT;\n");
}

Status DocumentStore::ImportSql(const std::string& path, std::string_view script) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    return Status::Conflict("'" + path + "' already exists: import loads into a new database");
  }
  {
    auto conn = Connection::Open(path, /*read_only=*/false, /*create=*/true, 5000);
    if (!conn.ok()) return conn.status();
    Status s = (*conn)->Exec(script);
    if (!s.ok()) {
      (*conn).reset();
      for (const char* ext : {"", "-wal", "-shm"})
        std::filesystem::remove(path + ext, ec);
      return Status::InvalidArgument("the dump does not load: " + s.message());
    }
    // A fresh identity: nothing cached or paginated for the source database applies here.
    s = (*conn)->Exec(
        "CREATE TABLE IF NOT EXISTS folio_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "INSERT OR REPLACE INTO folio_meta(key, value) VALUES "
        "('instance_id', lower(hex(randomblob(16)))), "
        "('cursor_secret', lower(hex(randomblob(16))));");
    if (!s.ok()) return s;
  }
  StoreOptions options;
  options.path = path;
  options.create_if_missing = false;
  auto store = Open(options);
  if (!store.ok()) return store.status();
  // A load replaces what every listing reads without one trigger firing (the dump creates its
  // triggers after its rows): every generation moves, once the migrations ran.
  Impl& impl = *(*store)->impl_;
  std::lock_guard lock(impl.write_mu);
  auto txn = detail::Transaction::Begin(*impl.writer, /*immediate=*/true);
  if (!txn.ok()) return txn.status();
  FOLIO_RETURN_IF_ERROR(BumpGenerations(*impl.writer, nullptr));
  return txn->Commit();
}

}  // namespace folio::storage
