// Schema migrations: SQL compiled into the binary, applied in order, each recorded in the
// `migrations` table (SonicJS's layout) with a checksum of its text.
#pragma once

#include <string>
#include <vector>

#include "detail/sqlite.h"
#include "folio/storage/types.h"

namespace folio::storage::detail {

struct Migration {
  const char* id;        // "0002"
  const char* name;      // "documents"
  const char* filename;  // "0002_documents.sql"
  const char* sql;
};

// The migrations built from storage/migrations/*.sql (generated source).
const std::vector<Migration>& BundledMigrations();

// Hex of a 64-bit XXH3 of the migration's SQL text.
std::string MigrationChecksum(const Migration& m);

// Applies every migration of `migrations` that `conn` has not recorded, each in its own
// transaction. Refuses (Corruption, naming the file) when an applied migration's recorded
// checksum differs from its text, before applying anything. Returns the ids applied.
Result<std::vector<std::string>> ApplyMigrations(Connection& conn,
                                                 const std::vector<Migration>& migrations);

// What is applied and what is pending, in order. Reads only (a database without a
// `migrations` table has every migration pending), so `conn` may be read-only.
Result<std::vector<MigrationInfo>> ListMigrations(Connection& conn,
                                                  const std::vector<Migration>& migrations);

}  // namespace folio::storage::detail
