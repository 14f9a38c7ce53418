// Migrations, the schema they build, and type registration's schema changes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "store_fixture.h"

namespace folio::storage::testing {
namespace {

class MigrationsTest : public StoreTest {
 protected:
  void Reopen() {
    raw_.reset();
    store_.reset();
    auto store = DocumentStore::Open(MakeOptions());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }
  std::set<std::string> Columns(const std::string& table, bool with_hidden = false) {
    auto rows = raw().Column(std::string("SELECT name FROM ") +
                                 (with_hidden ? "pragma_table_xinfo(?1)" : "pragma_table_info(?1)"),
                             {table});
    return {rows.begin(), rows.end()};
  }
};

TEST_F(MigrationsTest, FreshDatabaseHasEveryMigrationApplied) {
  auto status = Must(store_->MigrationStatus());
  ASSERT_GE(status.size(), 3u);
  const std::vector<std::string> first = {"0001_core.sql", "0002_documents.sql",
                                          "0003_folio_meta.sql"};
  std::vector<std::string> files, checksums;
  for (size_t i = 0; i < status.size(); ++i) {
    if (i < first.size()) {
      EXPECT_EQ(status[i].filename, first[i]);
    }
    if (i > 0) {
      EXPECT_LT(status[i - 1].id, status[i].id) << "applied in order";
    }
    EXPECT_EQ(status[i].id, status[i].filename.substr(0, 4));
    EXPECT_TRUE(status[i].applied) << status[i].filename;
    EXPECT_TRUE(status[i].checksum_matches) << status[i].filename;
    EXPECT_FALSE(status[i].checksum.empty());
    EXPECT_FALSE(status[i].applied_at.empty());
    files.push_back(status[i].filename);
    checksums.push_back(status[i].checksum);
  }
  EXPECT_EQ(raw().Column("SELECT filename FROM migrations ORDER BY id"), files);
  EXPECT_EQ(raw().Column("SELECT checksum FROM migrations ORDER BY id"), checksums);
  EXPECT_EQ(raw().Column("PRAGMA journal_mode"), std::vector<std::string>{"wal"});
}

TEST_F(MigrationsTest, ReopeningIsANoOp) {
  std::string root = Create({{"views", 3}});
  Publish(root);
  auto status = Must(store_->MigrationStatus());
  auto migrations = raw().Rows("SELECT * FROM migrations ORDER BY id");
  auto schema = raw().Rows("SELECT type, name, sql FROM sqlite_master ORDER BY name");
  auto types = raw().Rows("SELECT * FROM document_types ORDER BY id");
  for (int i = 0; i < 3; ++i) {
    clock_.AdvanceSeconds(100);
    ASSERT_NO_FATAL_FAILURE(Reopen());
    auto again = Must(store_->MigrationStatus());
    ASSERT_EQ(again.size(), status.size());
    for (size_t m = 0; m < again.size(); ++m) {
      EXPECT_EQ(again[m].checksum, status[m].checksum);
      EXPECT_EQ(again[m].applied_at, status[m].applied_at);
      EXPECT_TRUE(again[m].applied);
      EXPECT_TRUE(again[m].checksum_matches);
    }
    EXPECT_EQ(raw().Rows("SELECT * FROM migrations ORDER BY id"), migrations);
    EXPECT_EQ(raw().Rows("SELECT type, name, sql FROM sqlite_master ORDER BY name"), schema);
    EXPECT_EQ(raw().Rows("SELECT * FROM document_types ORDER BY id"), types);
  }
  // The data and the type registry survive.
  EXPECT_EQ(Must(store_->Get("default", root, Axis::kPublished)).version, 1);
  auto post = Must(store_->GetType("post"));
  EXPECT_EQ(post.fields, PostType().fields);
  EXPECT_EQ(post.facets, PostType().facets);
  Query q = PostQuery();
  q.filters.push_back({"views", FilterOp::kEq, {FilterValue(int64_t{3})}});
  EXPECT_EQ(RootIds(q), std::vector<std::string>{root});
  // Cursors survive a reopen (the secret is stored in the database).
  Publish(Create({{"views", 3}}));
  q.limit = 1;
  auto page = Must(store_->List(q));
  ASSERT_TRUE(page.next_cursor);
  ASSERT_NO_FATAL_FAILURE(Reopen());
  q.cursor = *page.next_cursor;
  EXPECT_EQ(Must(store_->List(q)).count, 1);
}

TEST_F(MigrationsTest, EditedAppliedMigrationIsRefusedNamingTheFile) {
  const size_t count = Must(store_->MigrationStatus()).size();
  store_.reset();
  ASSERT_EQ(raw().Exec("UPDATE migrations SET checksum = 'deadbeef' WHERE filename = "
                       "'0002_documents.sql'"),
            SQLITE_OK);
  raw_.reset();
  auto reopened = DocumentStore::Open(MakeOptions());
  ASSERT_FALSE(reopened.ok());
  EXPECT_TRUE(reopened.status().IsCorruption()) << reopened.status().ToString();
  EXPECT_NE(reopened.status().message().find("0002_documents.sql"), std::string::npos)
      << reopened.status().message();
  EXPECT_NE(reopened.status().message().find("deadbeef"), std::string::npos);
  // Refused before anything ran: the tampered row is still there, nothing else changed.
  EXPECT_EQ(raw().Column("SELECT checksum FROM migrations WHERE id = '0002'"),
            std::vector<std::string>{"deadbeef"});
  EXPECT_EQ(raw().Int("SELECT count(*) FROM migrations"), static_cast<int64_t>(count));
}

TEST_F(MigrationsTest, MissingMigrationIsAppliedOnOpen) {
  // A database whose migrations table lacks 0003 (as if made by an older folio) gets it.
  store_.reset();
  ASSERT_EQ(raw().Exec("DELETE FROM migrations WHERE id = '0003'"), SQLITE_OK);
  raw_.reset();
  ASSERT_NO_FATAL_FAILURE(Reopen());
  auto status = Must(store_->MigrationStatus());
  ASSERT_GE(status.size(), 3u);
  EXPECT_EQ(status[2].filename, "0003_folio_meta.sql");
  for (const auto& m : status)
    EXPECT_TRUE(m.applied) << m.filename;
  EXPECT_EQ(raw().Int("SELECT count(*) FROM folio_meta WHERE key = 'cursor_secret'"), 1);
}

TEST_F(MigrationsTest, ReadMigrationStatusShowsWhatIsPendingAndAppliesNothing) {
  store_.reset();
  ASSERT_EQ(raw().Exec("DELETE FROM migrations WHERE id = '0003'"), SQLITE_OK);
  ASSERT_EQ(raw().Exec("UPDATE migrations SET checksum = 'deadbeef' WHERE id = '0002'"), SQLITE_OK);
  const auto before = raw().Rows("SELECT * FROM migrations ORDER BY id");
  raw_.reset();
  for (int round = 0; round < 2; ++round) {  // the second read sees what the first left
    auto status = Must(DocumentStore::ReadMigrationStatus(db_path()));
    ASSERT_GE(status.size(), 3u);
    for (const auto& m : status) {
      EXPECT_EQ(m.applied, m.id != "0003") << m.filename;
      // An edited migration is shown as such, not refused: Open is what refuses it.
      EXPECT_EQ(m.checksum_matches, m.id != "0002") << m.filename;
    }
  }
  EXPECT_EQ(raw().Rows("SELECT * FROM migrations ORDER BY id"), before);
}

TEST_F(MigrationsTest, ReadMigrationStatusOfAFileWithoutMigrationsHasAllPending) {
  const std::string other = db_path() + ".other";
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(other.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE notes(x)", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  auto status = Must(DocumentStore::ReadMigrationStatus(other));
  EXPECT_EQ(status.size(), Must(store_->MigrationStatus()).size());
  for (const auto& m : status)
    EXPECT_FALSE(m.applied) << m.filename;
  RawDb db(other);
  EXPECT_EQ(db.Int("SELECT count(*) FROM sqlite_master WHERE name = 'migrations'"), 0);

  auto missing = DocumentStore::ReadMigrationStatus(db_path() + ".none");
  EXPECT_TRUE(missing.status().IsNotFound()) << missing.status().ToString();
  EXPECT_FALSE(std::filesystem::exists(db_path() + ".none"));
  const std::string junk = db_path() + ".junk";
  std::ofstream(junk) << std::string(4096, 'x');
  auto refused = DocumentStore::ReadMigrationStatus(junk);
  EXPECT_TRUE(refused.status().IsCorruption()) << refused.status().ToString();
}

TEST_F(MigrationsTest, SchemaHasTheSonicJsTablesAndColumns) {
  const std::set<std::string> documents = {"id",
                                           "root_id",
                                           "type_id",
                                           "type_version",
                                           "version_of_id",
                                           "version_number",
                                           "is_current_draft",
                                           "is_published",
                                           "status",
                                           "parent_root_id",
                                           "slug",
                                           "path",
                                           "title",
                                           "zone",
                                           "sort_order",
                                           "visible",
                                           "published_at",
                                           "scheduled_at",
                                           "expires_at",
                                           "deleted_at",
                                           "tenant_id",
                                           "locale",
                                           "translation_group_id",
                                           "data",
                                           "metadata",
                                           "owner_id",
                                           "created_by",
                                           "updated_by",
                                           "created_at",
                                           "updated_at"};
  EXPECT_EQ(Columns("documents"), documents);
  EXPECT_EQ(Columns("document_types"),
            (std::set<std::string>{"id", "name", "display_name", "description", "schema",
                                   "queryable_fields", "settings", "plugin_id", "source",
                                   "schema_version", "is_system", "is_active", "is_auth",
                                   "created_at", "updated_at"}));
  EXPECT_EQ(
      Columns("document_references"),
      (std::set<std::string>{"id", "tenant_id", "from_root_id", "from_document_id", "field_name",
                             "ordinal", "to_root_id", "ref_strength", "created_at"}));
  EXPECT_EQ(
      Columns("document_facets"),
      (std::set<std::string>{"id", "tenant_id", "document_id", "root_id", "type_id", "field_name",
                             "ordinal", "value_text", "value_number", "created_at"}));
  EXPECT_EQ(
      Columns("document_permissions"),
      (std::set<std::string>{"id", "tenant_id", "root_id", "principal_type", "principal_id",
                             "permission", "effect", "inherited", "created_at", "created_by"}));
  for (const char* t :
       {"auth_user", "auth_session", "auth_account", "auth_verification", "migrations"}) {
    EXPECT_EQ(
        raw().Int("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1", {t}), 1)
        << t;
  }
  for (const char* index :
       {"ux_documents_current_draft", "ux_documents_published", "ux_documents_root_version",
        "ux_documents_slug", "idx_documents_published_keyset"}) {
    EXPECT_EQ(
        raw().Int("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?1", {index}),
        1)
        << index;
  }
  auto keyset = raw().Column(
      "SELECT sql FROM sqlite_master WHERE name = "
      "'idx_documents_published_keyset'")[0];
  EXPECT_NE(keyset.find("updated_at DESC, id DESC"), std::string::npos) << keyset;
  EXPECT_NE(keyset.find("is_published = 1 AND deleted_at IS NULL"), std::string::npos) << keyset;
  EXPECT_EQ(raw().Column("PRAGMA foreign_keys"), std::vector<std::string>{"0"})
      << "(raw connection default; the store's own connections turn it on)";
}

TEST_F(MigrationsTest, RegisterTypeIsIdempotentAndAddsFields) {
  auto row = [&] { return raw().Rows("SELECT * FROM document_types WHERE id = 'post'"); };
  auto before = row();
  auto schema = raw().Rows("SELECT name, sql FROM sqlite_master ORDER BY name");
  clock_.AdvanceSeconds(60);
  auto again = Must(store_->RegisterType(PostType()));
  EXPECT_EQ(again.fields, PostType().fields);
  EXPECT_EQ(row(), before) << "re-registering the same type changed its row";
  EXPECT_EQ(raw().Rows("SELECT name, sql FROM sqlite_master ORDER BY name"), schema);
  // A subset is not a removal.
  TypeDefinition subset;
  subset.id = "post";
  subset.fields = {{"views", FieldKind::kInteger}};
  auto merged = Must(store_->RegisterType(subset));
  EXPECT_EQ(merged.fields, PostType().fields);
  EXPECT_EQ(merged.facets, PostType().facets);
  EXPECT_EQ(row(), before);

  // Existing documents can be filtered on a field added later (the column is generated).
  std::string root = Create({{"stars", 4}, {"views", 1}});
  Publish(root);
  TypeDefinition more = PostType();
  more.fields["stars"] = FieldKind::kInteger;
  more.facets.push_back("labels");
  auto added = Must(store_->RegisterType(more));
  EXPECT_EQ(added.fields.count("stars"), 1u);
  EXPECT_EQ(added.facets, (std::vector<std::string>{"tags", "labels"}));  // registration order
  auto xinfo = raw().Rows(
      "SELECT name, type, hidden FROM pragma_table_xinfo('documents') WHERE name LIKE 'q_post_%' "
      "ORDER BY name");
  std::vector<std::vector<std::string>> expected_cols = {{"q_post_category", "TEXT", "2"},
                                                         {"q_post_flag", "INTEGER", "2"},
                                                         {"q_post_rank", "REAL", "2"},
                                                         {"q_post_stars", "INTEGER", "2"},
                                                         {"q_post_views", "INTEGER", "2"}};
  EXPECT_EQ(xinfo, expected_cols);  // hidden = 2: a VIRTUAL generated column
  EXPECT_EQ(raw().Int("SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = "
                      "'idx_q_post_stars'"),
            1);
  auto qf =
      json::parse(raw().Column("SELECT queryable_fields FROM document_types WHERE id = "
                               "'post'")[0]);
  bool listed = false;
  for (const auto& f : qf)
    listed |= f.value("name", "") == "stars";
  EXPECT_TRUE(listed) << qf.dump();
  EXPECT_NE(row(), before);

  Query q = PostQuery();
  q.filters.push_back({"stars", FilterOp::kGte, {FilterValue(int64_t{4})}});
  EXPECT_EQ(RootIds(q), std::vector<std::string>{root});
  // The registry survives a reopen with everything that was added.
  ASSERT_NO_FATAL_FAILURE(Reopen());
  auto loaded = Must(store_->GetType("post"));
  EXPECT_EQ(loaded.fields, added.fields);
  EXPECT_EQ(loaded.facets, added.facets);
  EXPECT_EQ(RootIds(q), std::vector<std::string>{root});
}

TEST_F(MigrationsTest, OpenReEnsuresGeneratedColumnIndexes) {
  store_.reset();
  ASSERT_EQ(raw().Exec("DROP INDEX idx_q_post_views"), SQLITE_OK);
  raw_.reset();
  ASSERT_NO_FATAL_FAILURE(Reopen());
  EXPECT_EQ(raw().Int("SELECT count(*) FROM sqlite_master WHERE name = 'idx_q_post_views'"), 1);
}

TEST_F(MigrationsTest, GeneratedColumnIndexesHoldOnlyTheirTypesLiveRows) {
  // Partial on the type: a write of one type does not touch the other types' indexes.
  EXPECT_EQ(raw().Column("SELECT sql FROM sqlite_master WHERE name = 'idx_q_post_views'"),
            std::vector<std::string>{"CREATE INDEX \"idx_q_post_views\" ON documents(tenant_id, "
                                     "\"q_post_views\", updated_at DESC, id DESC) WHERE type_id = "
                                     "'post' AND deleted_at IS NULL"});
  EXPECT_EQ(raw().Column("SELECT sql FROM sqlite_master WHERE name = 'idx_q_post_views_sort'"),
            std::vector<std::string>{"CREATE INDEX \"idx_q_post_views_sort\" ON "
                                     "documents(tenant_id, \"q_post_views\", id) WHERE type_id = "
                                     "'post' AND deleted_at IS NULL"});
}

TEST_F(MigrationsTest, OpenReplacesGeneratedColumnIndexesOfAnOlderShape) {
  // Databases written before the indexes became partial had them over every row.
  store_.reset();
  ASSERT_EQ(raw().Exec("DROP INDEX idx_q_post_views_sort"), SQLITE_OK);
  ASSERT_EQ(raw().Exec("CREATE INDEX idx_q_post_views_sort ON documents(tenant_id, type_id, "
                       "q_post_views, id)"),
            SQLITE_OK);
  raw_.reset();
  ASSERT_NO_FATAL_FAILURE(Reopen());
  auto sql = raw().Column("SELECT sql FROM sqlite_master WHERE name = 'idx_q_post_views_sort'");
  ASSERT_EQ(sql.size(), 1u);
  EXPECT_NE(sql[0].find("WHERE type_id = 'post'"), std::string::npos) << sql[0];
  EXPECT_EQ(sql[0].find("type_id, "), std::string::npos) << sql[0];
}

TEST_F(MigrationsTest, TypesRegisteredByAnotherProcessAreFound) {
  // Another store on the same file registers a type; this one finds it on first use.
  StoreOptions o = MakeOptions();
  auto second = Must(DocumentStore::Open(o));
  TypeDefinition page;
  page.id = "page";
  page.fields = {{"order", FieldKind::kInteger}};
  FOLIO_ASSERT_OK(second->RegisterType(page));
  auto created = Must(store_->Create(CreateOp{"default", "page", R"({"order":2})", {}}));
  Query q;
  q.type = "page";
  q.axis = Axis::kDraft;
  q.filters.push_back({"order", FilterOp::kEq, {FilterValue(int64_t{2})}});
  EXPECT_EQ(Field(ListAll(*store_, q), "root_id"),
            std::vector<std::string>{created.document.root_id});
}

TEST_F(MigrationsTest, OpenOptionsAreChecked) {
  StoreOptions o;
  EXPECT_TRUE(DocumentStore::Open(o).status().IsInvalidArgument());
  o.path = (dir_.path() / "absent.sqlite").string();
  o.create_if_missing = false;
  EXPECT_TRUE(DocumentStore::Open(o).status().IsNotFound());
  EXPECT_FALSE(std::filesystem::exists(o.path));
  o.create_if_missing = true;
  o.read_connections = 0;
  EXPECT_TRUE(DocumentStore::Open(o).status().IsInvalidArgument());
  o.read_connections = 2;
  o.keep_versions = -1;
  EXPECT_TRUE(DocumentStore::Open(o).status().IsInvalidArgument());
  // A file that is not a database is an error, not a crash.
  std::string junk = (dir_.path() / "junk.sqlite").string();
  {
    std::FILE* f = std::fopen(junk.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::string bytes(4096, 'x');
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
  }
  o.path = junk;
  o.keep_versions = 10;
  EXPECT_FALSE(DocumentStore::Open(o).ok());
}

}  // namespace
}  // namespace folio::storage::testing
