// Fuzzes databases other programs wrote, through the type rows folio reads from them: each
// input writes a `document_types` row (type_row_checks.h: its id and queryable_fields text)
// into a small database, as a foreign program would, and opens a real DocumentStore
// on it. Properties: the parse's (type_row_checks.h); a store opens on any row ParseTypeRow
// accepts (and refuses the others with Corruption), serves the type with exactly the row's
// fields when MakeTypeInfo accepts it, and answers a listing sorted by any of them.
//
// Slow (a store open per input: each of its connections parses the whole schema):
// fuzz_type_row runs the parse alone, faster.
#include <sqlite3.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "detail/sqlite.h"
#include "sqlite_heap.h"
#include "type_row_checks.h"

namespace {

namespace fs = std::filesystem;
namespace storage = folio::storage;
namespace detail = folio::storage::detail;

// A database with type "post" and a few documents, made once, as the bytes of its file.
std::string MakeTemplateImage() {
  const fs::path path = folio::fuzz::ScratchDir() / "template.sqlite";
  storage::StoreOptions options;
  options.path = path.string();
  options.read_connections = 1;
  auto store = storage::DocumentStore::Open(options);
  FUZZ_CHECK(store.ok(), store.status().ToString());
  storage::TypeDefinition post{"post", "", {{"views", storage::FieldKind::kInteger}}, {"tags"}};
  FUZZ_CHECK((*store)->RegisterType(post).ok(), "RegisterType");
  for (const char* data : {R"({"views":3,"title":"a","tags":["x"]})", R"({"title":"b"})",
                           R"({"views":7,"score":1.5,"when":1700000000,"ok":true})"}) {
    auto w = (*store)->Create(storage::CreateOp{"default", "post", data, {}});
    FUZZ_CHECK(w.ok(), w.status().ToString());
    auto pub =
        (*store)->Apply({"default", w->document.root_id, storage::LifecycleAction::kPublish});
    FUZZ_CHECK(pub.ok(), pub.status().ToString());
  }
  store->reset();
  {
    // The store's last connection to close is a read-only one, which cannot checkpoint: fold
    // the WAL into the file here, so the file alone is the whole database.
    auto conn = detail::Connection::Open(path.string(), false, false, 1000);
    FUZZ_CHECK(conn.ok(), conn.status().ToString());
    // A string in the integer field, as another program may store it (folio refuses to).
    FUZZ_CHECK((*conn)
                   ->Exec("UPDATE documents SET data = json_set(data, '$.views', '7') WHERE "
                          "json_extract(data, '$.views') = 7")
                   .ok(),
               "odd value");
    FUZZ_CHECK((*conn)->Exec("PRAGMA wal_checkpoint(TRUNCATE)").ok(), "checkpoint");
  }
  std::ifstream in(path, std::ios::binary);
  std::string image((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  FUZZ_CHECK(image.size() > 100, "template file");
  return image;
}

// The foreign program: an in-memory copy of the template that each input's row is written to
// and removed from again. Opening a connection on a file costs a parse of the whole schema,
// as much as the store's own opens; this one stays open, and its writes leave the schema as is.
class ForeignWriter {
 public:
  ForeignWriter() {
    const std::string image = MakeTemplateImage();
    sqlite3* db = nullptr;
    FUZZ_CHECK(sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK,
               "opening :memory:");
    db_.reset(db);
    auto* bytes = static_cast<unsigned char*>(sqlite3_malloc64(image.size()));
    FUZZ_CHECK(bytes != nullptr, "sqlite3_malloc64");
    std::memcpy(bytes, image.data(), image.size());
    // An in-memory database has no WAL: bytes 18-19 say "rollback journal" while it is held.
    bytes[18] = bytes[19] = 1;
    FUZZ_CHECK(sqlite3_deserialize(
                   db, "main", bytes, image.size(), image.size(),
                   SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE) == SQLITE_OK,
               sqlite3_errmsg(db));
    Exec("SELECT queryable_fields FROM document_types WHERE id = 'post'", &post_queryable_);
  }

  // Writes `id`'s row with `queryable` and leaves the database's file image at `path` (a WAL
  // database, checkpointed, as a copy of a folio database is), then takes the row back out.
  void WriteFileWithRow(const std::string& id, const std::string& queryable, const fs::path& path) {
    const bool update = id == "post";
    Run(update ? "UPDATE document_types SET queryable_fields = ?2 WHERE id = ?1"
               : "INSERT INTO document_types(id, name, queryable_fields, created_at, updated_at) "
                 "VALUES (?1, ?1, ?2, 0, 0)",
        id, queryable);
    sqlite3_int64 size = 0;
    unsigned char* image = sqlite3_serialize(db_.get(), "main", &size, SQLITE_SERIALIZE_NOCOPY);
    FUZZ_CHECK(image != nullptr && size > 100, "sqlite3_serialize");
    // Written from SQLite's own buffer, around bytes 18-19: a copy of the image (250 KB) cost
    // about a sixth of each input under ASan.
    const char wal[2] = {2, 2};  // WAL, as the template's file was
    {
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out.write(reinterpret_cast<const char*>(image), 18);
      out.write(wal, 2);
      out.write(reinterpret_cast<const char*>(image) + 20, static_cast<std::streamsize>(size - 20));
      FUZZ_CHECK(out.good(), "writing " + path.string());
    }
    Run(update ? "UPDATE document_types SET queryable_fields = ?2 WHERE id = ?1"
               : "DELETE FROM document_types WHERE id = ?1 AND ?2 IS NOT NULL",
        id, update ? post_queryable_ : queryable);
  }

 private:
  struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close(db); }
  };
  struct Finalizer {
    void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
  };

  void Run(const char* sql, const std::string& first, const std::string& second) {
    sqlite3_stmt* raw = nullptr;
    FUZZ_CHECK(sqlite3_prepare_v2(db_.get(), sql, -1, &raw, nullptr) == SQLITE_OK,
               sqlite3_errmsg(db_.get()));
    std::unique_ptr<sqlite3_stmt, Finalizer> stmt(raw);
    sqlite3_bind_text(raw, 1, first.data(), static_cast<int>(first.size()), SQLITE_STATIC);
    sqlite3_bind_text(raw, 2, second.data(), static_cast<int>(second.size()), SQLITE_STATIC);
    FUZZ_CHECK(sqlite3_step(raw) == SQLITE_DONE, sqlite3_errmsg(db_.get()));
    FUZZ_CHECK(sqlite3_changes(db_.get()) == 1, std::string("one row changed by ") + sql);
  }

  void Exec(const char* sql, std::string* text) {
    sqlite3_stmt* raw = nullptr;
    FUZZ_CHECK(sqlite3_prepare_v2(db_.get(), sql, -1, &raw, nullptr) == SQLITE_OK,
               sqlite3_errmsg(db_.get()));
    std::unique_ptr<sqlite3_stmt, Finalizer> stmt(raw);
    FUZZ_CHECK(sqlite3_step(raw) == SQLITE_ROW, sql);
    const auto* value = reinterpret_cast<const char*>(sqlite3_column_text(raw, 0));
    *text = value == nullptr ? "" : value;
  }

  std::unique_ptr<sqlite3, Closer> db_;
  std::string post_queryable_;
};

// Writes the row as a foreign program would, then opens the file with folio.
// `expected` is the definition MakeTypeInfo made of the parsed row (set when servable).
void OpenWithRow(const std::string& id, const std::string& queryable,
                 const folio::Result<storage::TypeDefinition>& parsed, bool servable,
                 const std::optional<storage::TypeDefinition>& expected) {
  static ForeignWriter* writer = new ForeignWriter();
  const fs::path work = folio::fuzz::ScratchDir() / "work.sqlite";
  for (const char* suffix : {"-wal", "-shm"})
    fs::remove(work.string() + suffix);
  writer->WriteFileWithRow(id, queryable, work);
  storage::StoreOptions options;
  options.path = work.string();
  options.create_if_missing = false;
  options.read_connections = 1;
  auto store = storage::DocumentStore::Open(options);
  if (!parsed.ok()) {
    FUZZ_CHECK(!store.ok() && store.status().IsCorruption(),
               "opened a row ParseTypeRow refused: " + store.status().ToString());
    return;
  }
  FUZZ_CHECK(store.ok(), store.status().ToString());
  auto type = (*store)->GetType(id);
  if (!servable) {
    FUZZ_CHECK(!type.ok(), "serves a type MakeTypeInfo refused");
    return;
  }
  FUZZ_CHECK(type.ok(), type.status().ToString());
  FUZZ_CHECK(type->fields == expected->fields, "fields differ from the row's");
  FUZZ_CHECK(type->queryable_fields == expected->queryable_fields,
             "queryable fields differ from the row's");
  int sorts = 0;
  for (const auto& [field, kind] : type->fields) {
    if (++sorts > 3) break;
    storage::Query query;
    query.type = id;
    query.sort = field;
    auto page = (*store)->List(query);
    FUZZ_CHECK(page.ok(), "listing sorted by '" + field + "': " + page.status().ToString());
    FUZZ_CHECK(nlohmann::json::accept(page->documents_json), page->documents_json);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  folio::fuzz::InstallSqliteHeap();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const folio::fuzz::ParsedTypeRow row = folio::fuzz::ParseAndCheckTypeRow(data, size);
  OpenWithRow(row.id, row.queryable, row.parsed, row.servable, row.served);
  return 0;
}
