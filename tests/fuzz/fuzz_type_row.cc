// Fuzzes the reading of `document_types` rows (storage/detail/type_row.cc). folio serves
// databases other programs write (SonicJS, D1 exports, the sqlite3 shell), and the field names
// it reads from queryable_fields become column names and JSON paths inside SQL text: this is
// the one place stored text turns into SQL, so it must admit only safe names.
//
// Input: byte 0 picks the type id (bits 1-2) and, when even, also opens a real DocumentStore on
// a copy of a small database whose row carries the text (slower, so for half the inputs); the
// rest is the queryable_fields text.
// Properties: ParseTypeRow refuses only with Corruption; every name it returns is a valid
// field name; MakeTypeInfo's columns are [a-z0-9_]; a store opens on any row ParseTypeRow
// accepts, serves the type with those fields, and answers a listing sorted by any of them.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "detail/sqlite.h"
#include "detail/store_impl.h"
#include "detail/type_row.h"
#include "folio/storage/document_store.h"
#include "fuzz_support.h"

namespace {

namespace fs = std::filesystem;
namespace storage = folio::storage;
namespace detail = folio::storage::detail;

// "post" is registered in the template; the others are new rows, one with an id folio refuses.
constexpr const char* kIds[] = {"post", "foreign", "Bad Id", "a-b"};

// A database with type "post" and a few documents, made once; each input opens a copy.
const fs::path& Template() {
  static const fs::path* path = [] {
    auto* p = new fs::path(folio::fuzz::ScratchDir() / "template.sqlite");
    storage::StoreOptions options;
    options.path = p->string();
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
    // The store's last connection to close is a read-only one, which cannot checkpoint: fold
    // the WAL into the file here, so a copy of the file alone is the whole database.
    auto conn = detail::Connection::Open(p->string(), false, false, 1000);
    FUZZ_CHECK(conn.ok(), conn.status().ToString());
    // A string in the integer field, as another program may store it (folio refuses to).
    FUZZ_CHECK((*conn)
                   ->Exec("UPDATE documents SET data = json_set(data, '$.views', '7') WHERE "
                          "json_extract(data, '$.views') = 7")
                   .ok(),
               "odd value");
    FUZZ_CHECK((*conn)->Exec("PRAGMA wal_checkpoint(TRUNCATE)").ok(), "checkpoint");
    return p;
  }();
  return *path;
}

// Writes the row as a foreign program would, then opens the copy with folio.
// `expected` is the definition MakeTypeInfo made of the parsed row (set when servable).
void OpenWithRow(const std::string& id, const std::string& queryable,
                 const folio::Result<storage::TypeDefinition>& parsed, bool servable,
                 const std::optional<storage::TypeDefinition>& expected) {
  const fs::path work = folio::fuzz::ScratchDir() / "work.sqlite";
  for (const char* suffix : {"", "-wal", "-shm"})
    fs::remove(work.string() + suffix);
  fs::copy_file(Template(), work);
  {
    auto conn = detail::Connection::Open(work.string(), false, false, 1000);
    FUZZ_CHECK(conn.ok(), conn.status().ToString());
    auto stmt = (*conn)->Prepare(
        id == "post" ? "UPDATE document_types SET queryable_fields = ?2 WHERE id = ?1"
                     : "INSERT INTO document_types(id, name, queryable_fields, created_at, "
                       "updated_at) VALUES (?1, ?1, ?2, 0, 0)");
    FUZZ_CHECK(stmt.ok(), stmt.status().ToString());
    stmt->BindText(1, id);
    stmt->BindText(2, queryable);
    FUZZ_CHECK(stmt->Run().ok(), "writing the row");
  }
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

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t flags = data[0];
  const std::string id = kIds[(flags >> 1) & 3];
  const std::string queryable(folio::fuzz::AsText(data + 1, size - 1));

  auto parsed = detail::ParseTypeRow(id, "", queryable);
  bool servable = false;
  std::optional<storage::TypeDefinition> served;
  if (parsed.ok()) {
    // Whatever reaches SQL text is safe there: names, paths, named columns.
    for (const auto& field : parsed->queryable_fields) {
      FUZZ_CHECK(detail::ValidFieldName(field.name), field.name);
      FUZZ_CHECK(field.path.empty() || detail::ValidFieldPath(field.path), field.path);
      FUZZ_CHECK(field.column.empty() || detail::ValidColumnName(field.column), field.column);
    }
    auto info = storage::MakeTypeInfo(*parsed);
    if (info.ok()) {
      servable = true;
      served = info->definition;
      for (const auto& [field, column] : info->columns) {
        for (const char c : column) {
          FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_', column);
        }
      }
    } else {
      FUZZ_CHECK(info.status().IsInvalidArgument() || info.status().IsConflict(),
                 info.status().ToString());
    }
  } else {
    FUZZ_CHECK(parsed.status().IsCorruption(), parsed.status().ToString());
  }
  if ((flags & 1) == 0) OpenWithRow(id, queryable, parsed, servable, served);
  return 0;
}
