#include "detail/migrations.h"

#include <xxhash.h>

#include <cstdio>
#include <map>
#include <string_view>

namespace folio::storage::detail {
namespace {

constexpr std::string_view kCreateMigrationsTable = R"sql(
CREATE TABLE IF NOT EXISTS migrations (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  filename TEXT NOT NULL,
  applied_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  checksum TEXT
))sql";

struct Applied {
  std::string checksum;
  std::string applied_at;
};

// The recorded migrations. `create`: make the table when it is missing (a write); else a
// database without one (a new file, another program's) has none applied.
Result<std::map<std::string, Applied>> ReadApplied(Connection& conn, bool create) {
  std::map<std::string, Applied> applied;
  if (create) {
    FOLIO_RETURN_IF_ERROR(conn.Exec(kCreateMigrationsTable));
  } else {
    auto exists =
        conn.Prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migrations'");
    if (!exists.ok()) return exists.status();
    auto row = exists->Step();
    if (!row.ok()) return row.status();
    if (!*row) return applied;
  }
  auto stmt = conn.Prepare("SELECT id, coalesce(checksum, ''), applied_at FROM migrations");
  if (!stmt.ok()) return stmt.status();
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    applied[std::string(stmt->ColumnText(0))] =
        Applied{std::string(stmt->ColumnText(1)), std::string(stmt->ColumnText(2))};
  }
  return applied;
}

}  // namespace

std::string MigrationChecksum(const Migration& m) {
  std::string_view sql(m.sql);
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx",
                static_cast<unsigned long long>(XXH3_64bits(sql.data(), sql.size())));
  return hex;
}

Result<std::vector<std::string>> ApplyMigrations(Connection& conn,
                                                 const std::vector<Migration>& migrations) {
  auto applied = ReadApplied(conn, /*create=*/true);
  if (!applied.ok()) return applied.status();
  for (const Migration& m : migrations) {
    auto it = applied->find(m.id);
    if (it == applied->end() || it->second.checksum.empty()) continue;
    std::string checksum = MigrationChecksum(m);
    if (it->second.checksum != checksum) {
      return Status::Corruption("migration " + std::string(m.filename) +
                                " was edited after it was applied (recorded checksum " +
                                it->second.checksum + ", now " + checksum +
                                "); add a new migration instead of changing an applied one");
    }
  }
  std::vector<std::string> done;
  for (const Migration& m : migrations) {
    if (applied->count(m.id) != 0) continue;
    auto txn = Transaction::Begin(conn, /*immediate=*/true);
    if (!txn.ok()) return txn.status();
    Status s = conn.Exec(m.sql);
    if (!s.ok()) {
      return Status(Status::InvalidArgument("migration " + std::string(m.filename) +
                                            " failed: " + s.message()));
    }
    auto insert = conn.Prepare(
        "INSERT INTO migrations(id, name, filename, checksum) VALUES (?1, ?2, ?3, ?4)");
    if (!insert.ok()) return insert.status();
    insert->BindText(1, m.id);
    insert->BindText(2, m.name);
    insert->BindText(3, m.filename);
    insert->BindText(4, MigrationChecksum(m));
    FOLIO_RETURN_IF_ERROR(insert->Run());
    FOLIO_RETURN_IF_ERROR(txn->Commit());
    done.emplace_back(m.id);
  }
  return done;
}

Result<std::vector<MigrationInfo>> ListMigrations(Connection& conn,
                                                  const std::vector<Migration>& migrations) {
  auto applied = ReadApplied(conn, /*create=*/false);
  if (!applied.ok()) return applied.status();
  std::vector<MigrationInfo> out;
  for (const Migration& m : migrations) {
    MigrationInfo info;
    info.id = m.id;
    info.filename = m.filename;
    info.checksum = MigrationChecksum(m);
    auto it = applied->find(m.id);
    if (it != applied->end()) {
      info.applied = true;
      info.applied_at = it->second.applied_at;
      info.checksum_matches = it->second.checksum.empty() || it->second.checksum == info.checksum;
    }
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace folio::storage::detail
