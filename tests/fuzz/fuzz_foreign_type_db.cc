// Fuzzes databases other programs wrote, through the type rows folio reads from them: each
// input writes a `document_types` row (type_row_checks.h: its id and queryable_fields text)
// into a copy of a small database, as a foreign program would, and opens a real DocumentStore
// on it. Properties: the parse's (type_row_checks.h); a store opens on any row ParseTypeRow
// accepts (and refuses the others with Corruption), serves the type with exactly the row's
// fields when MakeTypeInfo accepts it, and answers a listing sorted by any of them.
//
// Slow (a file copy and a store open per input, ≈ 300 executions/s): fuzz_type_row runs the
// parse alone for long runs.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "detail/sqlite.h"
#include "type_row_checks.h"

namespace {

namespace fs = std::filesystem;
namespace storage = folio::storage;
namespace detail = folio::storage::detail;

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
  const folio::fuzz::ParsedTypeRow row = folio::fuzz::ParseAndCheckTypeRow(data, size);
  OpenWithRow(row.id, row.queryable, row.parsed, row.servable, row.served);
  return 0;
}
