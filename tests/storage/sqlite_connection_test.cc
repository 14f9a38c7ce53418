// storage/detail/sqlite: what opening a connection costs and checks. The store opens three per
// DocumentStore::Open (every CLI command, every engine), so a read-only open must not parse
// the schema it may never use.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>

#include "detail/sqlite.h"
#include "store_fixture.h"

namespace folio::storage::testing {
namespace {

// Bytes of heap the connection's parsed schema holds (0 until it has read the schema).
int SchemaBytes(detail::Connection& conn) {
  int current = 0;
  int high = 0;
  EXPECT_EQ(sqlite3_db_status(conn.handle(), SQLITE_DBSTATUS_SCHEMA_USED, &current, &high, 0),
            SQLITE_OK);
  return current;
}

class SqliteConnectionTest : public StoreTest {};

TEST_F(SqliteConnectionTest, ReadOnlyOpenParsesNoSchemaUntilItsFirstStatement) {
  auto reader = detail::Connection::Open(db_path(), /*read_only=*/true, /*create=*/false, 1000);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ(SchemaBytes(**reader), 0);
  // PRAGMA data_version (the store's change poll) reads the header, not the schema.
  auto version = (*reader)->Prepare("PRAGMA data_version");
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  ASSERT_TRUE(Must(version->Step()));
  EXPECT_EQ(SchemaBytes(**reader), 0);

  auto count = (*reader)->Prepare("SELECT count(*) FROM documents");
  ASSERT_TRUE(count.ok()) << count.status().ToString();
  ASSERT_TRUE(Must(count->Step()));
  EXPECT_GT(SchemaBytes(**reader), 0);
  // Read-only, still: the store's readers must never write.
  EXPECT_FALSE((*reader)->Exec("DELETE FROM documents").ok());
}

TEST_F(SqliteConnectionTest, ReadWriteOpenReadsTheSchemaAndRefusesAFileThatIsNoDatabase) {
  auto writer = detail::Connection::Open(db_path(), /*read_only=*/false, /*create=*/false, 1000);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  EXPECT_GT(SchemaBytes(**writer), 0);

  const std::string junk = db_path() + ".junk";
  std::ofstream(junk) << std::string(4096, 'x');
  auto refused = detail::Connection::Open(junk, /*read_only=*/false, /*create=*/false, 1000);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(refused.status().IsCorruption()) << refused.status().ToString();
  // A read-only open of it succeeds, and its first statement is what fails.
  auto reader = detail::Connection::Open(junk, /*read_only=*/true, /*create=*/false, 1000);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto stmt = (*reader)->Prepare("SELECT count(*) FROM documents");
  ASSERT_FALSE(stmt.ok());
  EXPECT_TRUE(stmt.status().IsCorruption()) << stmt.status().ToString();
  std::filesystem::remove(junk);
}

}  // namespace
}  // namespace folio::storage::testing
