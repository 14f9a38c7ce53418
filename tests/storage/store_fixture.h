// Shared helpers for the storage tests: a temp dir per test, a store on a ManualClock, a raw
// sqlite3 handle on the same file (to check what was really written), and page walking.
#pragma once

#include "support/temp_dir.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "folio/base/clock.h"
#include "folio/base/status.h"
#include "folio/storage/document_store.h"

namespace folio::storage::testing {

using nlohmann::json;

inline Status StatusOf(const Status& s) {
  return s;
}
template <typename T>
Status StatusOf(const Result<T>& r) {
  return r.status();
}

#define FOLIO_EXPECT_OK(expr)                                           \
  do {                                                                  \
    auto folio_s_ = ::folio::storage::testing::StatusOf(expr);          \
    EXPECT_TRUE(folio_s_.ok()) << #expr << ": " << folio_s_.ToString(); \
  } while (0)
#define FOLIO_ASSERT_OK(expr)                                           \
  do {                                                                  \
    auto folio_s_ = ::folio::storage::testing::StatusOf(expr);          \
    ASSERT_TRUE(folio_s_.ok()) << #expr << ": " << folio_s_.ToString(); \
  } while (0)

// The value of `r`, or a thrown exception (GoogleTest reports it as a failure of the test).
template <typename T>
T Must(Result<T> r, const char* what = "operation") {
  if (!r.ok()) throw std::runtime_error(std::string(what) + " failed: " + r.status().ToString());
  return std::move(r).value();
}
inline void Must(const Status& s, const char* what = "operation") {
  if (!s.ok()) throw std::runtime_error(std::string(what) + " failed: " + s.ToString());
}

// Builds the optional fields of a write: Fields().Slug("a").ScheduledAt(100).
struct Fields {
  DocumentFields f;
  Fields& Slug(std::string v) {
    f.slug = std::move(v);
    return *this;
  }
  Fields& Title(std::string v) {
    f.title = std::move(v);
    return *this;
  }
  Fields& Locale(std::string v) {
    f.locale = std::move(v);
    return *this;
  }
  Fields& ScheduledAt(int64_t v) {
    f.scheduled_at = v;
    return *this;
  }
  Fields& ExpiresAt(int64_t v) {
    f.expires_at = v;
    return *this;
  }
  operator DocumentFields() const { return f; }  // NOLINT: implicit on purpose
};

using test::TempDir;

// A plain sqlite3 connection on the store's file, independent of the store's code.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      throw std::runtime_error("raw open failed: " + std::string(sqlite3_errmsg(db_)));
    }
    sqlite3_busy_timeout(db_, 5000);
  }
  ~RawDb() { sqlite3_close_v2(db_); }
  RawDb(const RawDb&) = delete;
  RawDb& operator=(const RawDb&) = delete;

  // Runs `sql` with text parameters bound to ?1, ?2, …; returns the result code, and the
  // error message in `error` when it failed.
  int Exec(const std::string& sql, const std::vector<std::string>& params = {},
           std::string* error = nullptr) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      if (error) *error = sqlite3_errmsg(db_);
      return rc;
    }
    Bind(stmt, params);
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    }
    if (rc != SQLITE_DONE && error) *error = sqlite3_errmsg(db_);
    sqlite3_finalize(stmt);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
  }

  // Every row of `sql`, each column as text ("NULL" for NULL).
  std::vector<std::vector<std::string>> Rows(const std::string& sql,
                                             const std::vector<std::string>& params = {}) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      throw std::runtime_error("raw prepare failed: " + std::string(sqlite3_errmsg(db_)) + " in " +
                               sql);
    }
    Bind(stmt, params);
    std::vector<std::vector<std::string>> rows;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      std::vector<std::string> row;
      for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
        row.emplace_back(sqlite3_column_type(stmt, i) == SQLITE_NULL ? "NULL" : text);
      }
      rows.push_back(std::move(row));
    }
    std::string err = sqlite3_errmsg(db_);
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) throw std::runtime_error("raw step failed: " + err + " in " + sql);
    return rows;
  }

  // The first column of every row.
  std::vector<std::string> Column(const std::string& sql,
                                  const std::vector<std::string>& params = {}) {
    std::vector<std::string> out;
    for (auto& row : Rows(sql, params))
      out.push_back(row.at(0));
    return out;
  }

  int64_t Int(const std::string& sql, const std::vector<std::string>& params = {}) {
    auto rows = Rows(sql, params);
    if (rows.empty()) throw std::runtime_error("no row from " + sql);
    return std::stoll(rows[0].at(0));
  }

  sqlite3* handle() const { return db_; }

 private:
  static void Bind(sqlite3_stmt* stmt, const std::vector<std::string>& params) {
    for (size_t i = 0; i < params.size(); ++i) {
      sqlite3_bind_text(stmt, static_cast<int>(i) + 1, params[i].c_str(), -1, SQLITE_TRANSIENT);
    }
  }

  sqlite3* db_ = nullptr;
};

// Walks every page of `query` (whose cursor must be empty); `next_limit` picks each page's
// limit. Fails the test on an error, an empty page that had a cursor, or a page longer than
// its limit.
template <typename LimitFn>
std::vector<json> WalkPages(DocumentStore& store, Query query, LimitFn next_limit,
                            int* pages = nullptr) {
  std::vector<json> out;
  int n = 0;
  for (;;) {
    query.limit = next_limit();
    auto page = store.List(query);
    if (!page.ok()) throw std::runtime_error("List failed: " + page.status().ToString());
    json docs = json::parse(page->documents_json);
    EXPECT_TRUE(docs.is_array());
    EXPECT_EQ(static_cast<int>(docs.size()), page->count);
    EXPECT_LE(page->count, query.limit);
    if (n > 0) {
      EXPECT_GT(page->count, 0) << "a cursor led to an empty page";
    }
    if (page->next_cursor) {
      EXPECT_EQ(page->count, query.limit) << "short page with a cursor";
    }
    ++n;
    for (auto& d : docs)
      out.push_back(std::move(d));
    if (!page->next_cursor) break;
    query.cursor = *page->next_cursor;
    if (n > 100000) throw std::runtime_error("pagination does not end");
  }
  if (pages) *pages = n;
  return out;
}

// A create or update as another program may make it (SonicJS, sqlite3): `data` may hold values
// folio's checks refuse ("42" in an integer field, 2^63 as a double). The store writes the
// document with each refused field set to null; then the raw connection puts `data` itself in
// the written row (the change-log triggers record that as any external write). For tests of
// how odd stored values are read. Op is CreateOp or UpdateOp.
template <typename Op>
Result<WriteResult> WriteAsForeignProgram(DocumentStore& store, RawDb& raw, const Op& given) {
  Op op = given;
  const std::string original = given.data;
  for (int attempt = 0; attempt < 16; ++attempt) {
    auto written = store.Write(op);
    const std::string prefix = "field '";
    if (written.ok()) {
      if (op.data != original) {
        std::string error;
        if (raw.Exec("UPDATE documents SET data = ?1 WHERE id = ?2",
                     {original, written->document.id}, &error) != SQLITE_OK) {
          return Status::Internal("raw update failed: " + error);
        }
        written->document.data = original;
      }
      return written;
    }
    const Status status = written.status();
    const std::string message = status.message();
    if (!status.IsInvalidArgument() || message.rfind(prefix, 0) != 0) return written;
    const std::string field =
        message.substr(prefix.size(), message.find('\'', prefix.size()) - prefix.size());
    json data = json::parse(op.data);
    data[field] = nullptr;
    op.data = data.dump();
  }
  return Status::Internal("too many refused fields");
}

// A document's data, parsed.
inline json DataOf(const Document& d) {
  return json::parse(d.data);
}

inline std::vector<json> ListAll(DocumentStore& store, Query query, int limit = 100) {
  return WalkPages(store, std::move(query), [limit] { return limit; });
}

// A field of every document (e.g. "root_id", "id").
inline std::vector<std::string> Field(const std::vector<json>& docs, const char* name) {
  std::vector<std::string> out;
  for (const auto& d : docs)
    out.push_back(d.at(name).get<std::string>());
  return out;
}

// A test with its own temp dir, a ManualClock, and a store with one type registered:
//   "post": views integer, rank number, category text, flag boolean; facet "tags".
class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(OpenStore()); }
  void TearDown() override { store_.reset(); }

  virtual StoreOptions MakeOptions() {
    StoreOptions options;
    options.path = db_path();
    options.clock = &clock_;
    return options;
  }

  void OpenStore() {
    auto store = DocumentStore::Open(MakeOptions());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    ASSERT_TRUE(store_->RegisterType(PostType()).ok());
  }

  static TypeDefinition PostType() {
    TypeDefinition t;
    t.id = "post";
    t.fields = {{"views", FieldKind::kInteger},
                {"rank", FieldKind::kNumber},
                {"category", FieldKind::kText},
                {"flag", FieldKind::kBoolean}};
    t.facets = {"tags"};
    // Most suites here look at version rows: a new row per save (SonicJS's versioning on).
    t.settings.versioning = true;
    return t;
  }

  std::string db_path() const { return (dir_.path() / "folio.sqlite").string(); }
  int64_t now() const { return clock_.NowSeconds(); }

  RawDb& raw() {
    if (!raw_) raw_ = std::make_unique<RawDb>(db_path());
    return *raw_;
  }

  // Copies the database, as it stands, to `path` (SQLite's online backup: the copy holds what
  // the WAL holds too).
  void BackupTo(const std::string& path) {
    sqlite3* dest = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &dest), SQLITE_OK);
    sqlite3_backup* backup = sqlite3_backup_init(dest, "main", raw().handle(), "main");
    ASSERT_NE(backup, nullptr) << sqlite3_errmsg(dest);
    EXPECT_EQ(sqlite3_backup_step(backup, -1), SQLITE_DONE);
    EXPECT_EQ(sqlite3_backup_finish(backup), SQLITE_OK);
    sqlite3_close(dest);
  }
  // Puts a copy BackupTo made back in place of the database, as an operator restoring a
  // backup would (the store closed, its WAL gone with the rest), and reopens the store.
  void RestoreFrom(const std::string& path) {
    store_.reset();
    raw_.reset();
    for (const char* suffix : {"-wal", "-shm"})
      std::filesystem::remove(db_path() + suffix);
    std::filesystem::copy_file(path, db_path(), std::filesystem::copy_options::overwrite_existing);
    ASSERT_NO_FATAL_FAILURE(OpenStore());
  }

  // Creates a post draft and returns its root id.
  std::string Create(const json& data, const std::string& tenant = "default",
                     DocumentFields fields = {}) {
    return Must(store_->Create(CreateOp{tenant, "post", data.dump(), fields}), "Create")
        .document.root_id;
  }
  WriteResult Update(const std::string& root, const json& data,
                     const std::string& tenant = "default", DocumentFields fields = {}) {
    return Must(store_->Update(UpdateOp{tenant, root, data.dump(), fields}), "Update");
  }
  WriteResult Lifecycle(const std::string& root, LifecycleAction action,
                        const std::string& tenant = "default") {
    return Must(store_->Apply(LifecycleOp{tenant, root, action}), "Lifecycle");
  }
  WriteResult Publish(const std::string& root, const std::string& tenant = "default") {
    return Lifecycle(root, LifecycleAction::kPublish, tenant);
  }

  static Query PostQuery(Axis axis = Axis::kPublished, const std::string& tenant = "default") {
    Query q;
    q.type = "post";
    q.tenant = tenant;
    q.axis = axis;
    return q;
  }
  std::vector<std::string> RootIds(const Query& q) { return Field(ListAll(*store_, q), "root_id"); }

  // Every row of a root as "version|current|published|status|deleted?" in version order.
  std::vector<std::string> RowStates(const std::string& root) {
    return raw().Column(
        "SELECT version_number || '|' || is_current_draft || '|' || is_published || '|' || "
        "status || '|' || (deleted_at IS NOT NULL) FROM documents WHERE root_id = ?1 "
        "ORDER BY version_number",
        {root});
  }
  // A full snapshot of every table a write may touch, to check that a refused write changed
  // nothing.
  std::vector<std::vector<std::string>> Snapshot() {
    std::vector<std::vector<std::string>> all;
    for (const char* sql :
         {"SELECT * FROM documents ORDER BY id", "SELECT * FROM document_facets ORDER BY id",
          "SELECT * FROM document_references ORDER BY id",
          "SELECT * FROM document_permissions ORDER BY id",
          "SELECT * FROM document_types ORDER BY id"}) {
      for (auto& row : raw().Rows(sql))
        all.push_back(std::move(row));
      all.push_back({"--"});
    }
    // The cache-invalidation generations and the change log, where the schema has them: a
    // refused write bumps none and logs nothing.
    if (raw().Int("SELECT count(*) FROM sqlite_master WHERE name = 'folio_generations'") != 0) {
      for (auto& row : raw().Rows("SELECT * FROM folio_generations ORDER BY 1, 2")) {
        all.push_back(std::move(row));
      }
    }
    all.push_back({"--"});
    if (raw().Int("SELECT count(*) FROM sqlite_master WHERE name = 'folio_changes'") != 0) {
      for (auto& row : raw().Rows("SELECT * FROM folio_changes ORDER BY seq")) {
        all.push_back(std::move(row));
      }
    }
    return all;
  }

  TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<DocumentStore> store_;
  std::unique_ptr<RawDb> raw_;
};

}  // namespace folio::storage::testing
