// write_bench: what issue 13's checks cost a write — creates and updates with and without a
// type's JSON Schema, and updates with and without a principal whose rights are checked — all
// through Engine::Write, in one run.
//
// Data: a database of its own in a fresh temp dir (removed at exit), SQLite synchronous=NORMAL
// (durable_writes off), so the fsync per commit does not hide the checks' CPU cost; L1 and L2 on
// with their defaults (a write drops what it touches; nothing is cached here to drop).
// Two types with the same 20-property documents (~700 bytes of data: strings, integers,
// numbers, booleans, an enum, a pattern-checked email, a tag array, a nested object) and the
// same four typed queryable fields:
//   plain   no JSON Schema;
//   schema  settings.jsonSchema describing all 20 properties (types, required, bounds,
//           minLength/maxLength, enum, pattern, array items, a nested object,
//           additionalProperties false) — what a CMS would write for such a type.
// Both types grant role `editor` update through baseGrants.
//
// Benchmarks (items_per_second is writes per second):
//   BM_Create/<plain|schema>          a new document per iteration;
//   BM_Update/<plain|schema>          a full replacement of one of 256 documents, round robin
//                                     (versioning off: the draft is updated in place);
//   BM_UpdateAs/<admin|principal>     the same update on `plain` without a principal (an
//                                     administrator, no check) and as user:u1,role:editor (its
//                                     document's two rules are read and decided, then the
//                                     type's grant allows it).
// Every write is checked: a failed write fails the benchmark.
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "folio/engine/engine.h"
#include "folio/storage/type_format.h"

namespace {

using folio::Engine;
using nlohmann::json;
namespace storage = folio::storage;

constexpr int kDocuments = 256;

const char* kFields = R"([
  {"name": "views", "kind": "scalar", "type": "integer"},
  {"name": "rating", "kind": "scalar", "type": "number"},
  {"name": "featured", "kind": "scalar", "type": "boolean"},
  {"name": "status", "kind": "scalar", "type": "text"},
  {"name": "tags", "kind": "facet"}
])";

const char* kSchema = R"({
  "type": "object",
  "required": ["title", "slug", "views", "status", "author"],
  "additionalProperties": false,
  "properties": {
    "title": {"type": "string", "minLength": 1, "maxLength": 200},
    "slug": {"type": "string", "pattern": "^[a-z0-9-]+$"},
    "summary": {"type": "string", "maxLength": 500},
    "body": {"type": "string"},
    "views": {"type": "integer", "minimum": 0},
    "rating": {"type": "number", "minimum": 0, "maximum": 5},
    "featured": {"type": "boolean"},
    "status": {"enum": ["draft", "review", "live"]},
    "email": {"type": "string", "pattern": "^[^@]+@[^@]+$"},
    "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 20},
    "author": {"type": "object", "required": ["name"],
               "properties": {"name": {"type": "string"}, "id": {"type": "string"}}},
    "word_count": {"type": "integer", "minimum": 0},
    "reading_minutes": {"type": "number", "minimum": 0},
    "language": {"type": "string", "minLength": 2, "maxLength": 5},
    "canonical_url": {"type": "string"},
    "image": {"type": "string"},
    "image_alt": {"type": "string"},
    "comments_open": {"type": "boolean"},
    "priority": {"type": "integer", "minimum": 1, "maximum": 10},
    "series": {"type": ["string", "null"]}
  }
})";

std::string Data(int i) {
  json d = {{"title", "Article number " + std::to_string(i)},
            {"slug", "article-" + std::to_string(i)},
            {"summary", std::string(120, 's')},
            {"body", std::string(240, 'b')},
            {"views", i * 7},
            {"rating", 3.5},
            {"featured", i % 2 == 0},
            {"status", "live"},
            {"email", "writer@example.com"},
            {"tags", {"news", "tech", "cms"}},
            {"author", {{"name", "Ann"}, {"id", "a1"}}},
            {"word_count", 900},
            {"reading_minutes", 4.5},
            {"language", "en"},
            {"canonical_url", "https://example.com/a/" + std::to_string(i)},
            {"image", "https://example.com/i.png"},
            {"image_alt", "an image"},
            {"comments_open", true},
            {"priority", 5},
            {"series", nullptr}};
  return d.dump();
}

struct Fixture {
  std::filesystem::path dir;
  std::unique_ptr<Engine> engine;
  std::vector<std::string> plain_roots, schema_roots;

  Fixture() {
    dir = std::filesystem::temp_directory_path() /
          ("folio_write_bench_" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    folio::Options options;
    options.data_dir = dir.string();
    options.durable_writes = false;
    auto opened = Engine::Open(options);
    if (!opened.ok()) Die("open", opened.status());
    engine = std::move(*opened);
    Register("plain", "");
    Register("schema", std::string(",\"jsonSchema\":") + kSchema);
    for (int i = 0; i < kDocuments; ++i) {
      plain_roots.push_back(Create("plain", i));
      schema_roots.push_back(Create("schema", i));
    }
    // Two rules on every plain document: the check reads them and decides.
    for (const std::string& root : plain_roots) {
      folio::Status s = engine->SetPermissions(
          "default", root,
          {{"user", "u2", "update", "deny"}, {"role", "viewer", "update", "allow"}});
      if (!s.ok()) Die("permissions", s);
    }
  }
  ~Fixture() {
    engine.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  [[noreturn]] static void Die(const char* what, const folio::Status& s) {
    std::fprintf(stderr, "write_bench: %s failed: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }

  void Register(const std::string& id, const std::string& schema_setting) {
    auto def = storage::ParseTypeJson("{\"id\":\"" + id + "\",\"queryableFields\":" + kFields +
                                      ",\"settings\":{\"baseGrants\":{\"editor\":[\"update\"]}" +
                                      schema_setting + "}}");
    if (!def.ok()) Die("type", def.status());
    auto r = engine->RegisterType(*def);
    if (!r.ok()) Die("register", r.status());
  }

  std::string Create(const std::string& type, int i) {
    auto r = engine->Write(storage::CreateOp{"default", type, Data(i), {}});
    if (!r.ok()) Die("create", r.status());
    return r->document.root_id;
  }
};

Fixture& TheFixture() {
  static Fixture fixture;
  return fixture;
}

void Run(benchmark::State& state, const storage::WriteOp& op) {
  auto r = TheFixture().engine->Write(op);
  if (!r.ok()) state.SkipWithError(r.status().ToString().c_str());
}

void BM_Create(benchmark::State& state, const char* type) {
  Fixture& f = TheFixture();
  int i = 0;
  const std::string data = Data(1);
  for (auto _ : state) {
    Run(state, storage::CreateOp{"default", type, data, {}});
    ++i;
  }
  (void)f;
  state.SetItemsProcessed(i);
}

void BM_Update(benchmark::State& state, bool schema) {
  Fixture& f = TheFixture();
  const auto& roots = schema ? f.schema_roots : f.plain_roots;
  int i = 0;
  for (auto _ : state) {
    Run(state, storage::UpdateOp{"default", roots[i % kDocuments], Data(i), {}});
    ++i;
  }
  state.SetItemsProcessed(i);
}

void BM_UpdateAs(benchmark::State& state, bool principal) {
  Fixture& f = TheFixture();
  storage::Principal editor;
  editor.user_id = "u1";
  editor.roles = {"editor"};
  int i = 0;
  for (auto _ : state) {
    storage::UpdateOp op{"default", f.plain_roots[i % kDocuments], Data(i), {}};
    if (principal) op.principal = editor;
    Run(state, op);
    ++i;
  }
  state.SetItemsProcessed(i);
}

}  // namespace

BENCHMARK_CAPTURE(BM_Create, plain, "plain");
BENCHMARK_CAPTURE(BM_Create, schema, "schema");
BENCHMARK_CAPTURE(BM_Update, plain, false);
BENCHMARK_CAPTURE(BM_Update, schema, true);
BENCHMARK_CAPTURE(BM_UpdateAs, admin, false);
BENCHMARK_CAPTURE(BM_UpdateAs, principal, true);

BENCHMARK_MAIN();
