// The direct keyset page straight from SQLite, the baseline every tier above is measured
// against: the first page, a page 1000 pages deep by keyset, and the same depth by OFFSET.
//
// Data: FOLIO_BENCH_DOCS (default 100000) published documents of ~1 KB in one type, written
// through an Engine in batches of 500 that share a timestamp (so ties on updated_at are
// everywhere). The database is kept in $TMPDIR and reused by later runs with the same document
// count; this benchmark reads it with a DocumentStore of its own.
#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "folio/storage/document_store.h"
#include "folio/tools/seed.h"
#include "seed_file.h"

namespace {

using folio::storage::DocumentStore;

constexpr int kPageSize = 20;
constexpr int kDeepPage = 1000;

int64_t DocumentCount() {
  const char* env = std::getenv("FOLIO_BENCH_DOCS");
  return env != nullptr ? std::atoll(env) : 100000;
}

struct Fixture {
  std::unique_ptr<DocumentStore> store;
  sqlite3* raw = nullptr;
  std::string type;
  std::string deep_cursor;  // next_cursor of page kDeepPage - 1: opens page kDeepPage
  int64_t deep_updated_at = 0;
  std::string deep_id;

  static Fixture& Get() {
    static Fixture f;
    return f;
  }

 private:
  Fixture() {
    const int64_t docs = DocumentCount();
    auto path = std::filesystem::temp_directory_path() /
                ("folio_bench_storage_" + std::to_string(docs) + ".sqlite");
    const bool fresh = !std::filesystem::exists(path.string() + ".ready");
    if (fresh) {
      for (const char* ext : {"", "-wal", "-shm"})
        std::filesystem::remove(path.string() + ext);
    }
    type = folio::tools::SeedTypeIds(1).front();
    if (fresh) {
      std::fprintf(stderr, "seeding %lld documents of ~1 KB into %s …\n",
                   static_cast<long long>(docs), path.c_str());
      folio::tools::SeedOptions seed;
      seed.count = docs;
      seed.types = 1;
      seed.body_bytes = 800;
      auto written = folio::bench::SeedFile(path.string(), seed);
      if (!written.ok()) Die(written.status().ToString());
      std::FILE* ready = std::fopen((path.string() + ".ready").c_str(), "w");
      if (ready != nullptr) std::fclose(ready);
    }
    folio::storage::StoreOptions options;
    options.path = path.string();
    options.create_if_missing = false;
    auto opened = DocumentStore::Open(options);
    if (!opened.ok()) Die(opened.status().ToString());
    store = std::move(*opened);
    if (sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      Die("cannot open the database read-only");
    }
    // Walk to the deep page once, keeping its cursor and its predecessor's last row.
    folio::storage::Query q;
    q.type = type;
    q.limit = kPageSize;
    for (int page = 1; page < kDeepPage; ++page) {
      auto p = store->List(q);
      if (!p.ok() || !p->next_cursor) Die("the listing is shorter than the deep page");
      q.cursor = *p->next_cursor;
    }
    deep_cursor = q.cursor;
    sqlite3_stmt* s = nullptr;
    std::string sql =
        "SELECT updated_at, id FROM documents WHERE tenant_id = 'default' AND type_id = ?1 AND "
        "is_published = 1 AND deleted_at IS NULL ORDER BY updated_at DESC, id DESC LIMIT 1 "
        "OFFSET " +
        std::to_string(kPageSize * (kDeepPage - 1) - 1);
    sqlite3_prepare_v2(raw, sql.c_str(), -1, &s, nullptr);
    sqlite3_bind_text(s, 1, type.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(s) != SQLITE_ROW) Die("cannot find the deep row");
    deep_updated_at = sqlite3_column_int64(s, 0);
    deep_id = reinterpret_cast<const char*>(sqlite3_column_text(s, 1));
    sqlite3_finalize(s);
  }

  [[noreturn]] static void Die(const std::string& why) {
    std::fprintf(stderr, "storage_bench: %s\n", why.c_str());
    std::exit(1);
  }
};

// Through DocumentStore::List: statement cache, bound values, permission and schedule
// clauses, JSON assembled from stored text, the next cursor.
void BM_StorePage_First(benchmark::State& state) {
  Fixture& f = Fixture::Get();
  folio::storage::Query q;
  q.type = f.type;
  q.limit = kPageSize;
  for (auto _ : state) {
    auto page = f.store->List(q);
    benchmark::DoNotOptimize(page);
  }
  state.SetLabel("DocumentStore::List, page 1");
}
BENCHMARK(BM_StorePage_First)->Unit(benchmark::kMicrosecond);

void BM_StorePage_Deep(benchmark::State& state) {
  Fixture& f = Fixture::Get();
  folio::storage::Query q;
  q.type = f.type;
  q.limit = kPageSize;
  q.cursor = f.deep_cursor;
  for (auto _ : state) {
    auto page = f.store->List(q);
    benchmark::DoNotOptimize(page);
  }
  state.SetLabel("DocumentStore::List, page 1000 by keyset");
}
BENCHMARK(BM_StorePage_Deep)->Unit(benchmark::kMicrosecond);

// The same page in plain SQL with the rows' data concatenated, so keyset and OFFSET are
// compared on equal terms.
void RunRaw(benchmark::State& state, const std::string& sql, bool keyset) {
  Fixture& f = Fixture::Get();
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v3(f.raw, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
  std::string out;
  for (auto _ : state) {
    sqlite3_reset(s);
    sqlite3_bind_text(s, 1, f.type.c_str(), -1, SQLITE_STATIC);
    if (keyset) {
      sqlite3_bind_int64(s, 2, f.deep_updated_at);
      sqlite3_bind_text(s, 3, f.deep_id.c_str(), -1, SQLITE_STATIC);
    }
    out.clear();
    out.push_back('[');
    int rows = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
      if (rows++ > 0) out.push_back(',');
      out.append(reinterpret_cast<const char*>(sqlite3_column_text(s, 1)),
                 static_cast<size_t>(sqlite3_column_bytes(s, 1)));
    }
    out.push_back(']');
    if (rows != kPageSize) state.SkipWithError("short page");
    benchmark::DoNotOptimize(out);
  }
  sqlite3_finalize(s);
}

const char* const kRawSelect =
    "SELECT id, data, updated_at FROM documents WHERE tenant_id = 'default' AND type_id = ?1 "
    "AND is_published = 1 AND deleted_at IS NULL ";

void BM_RawPage_First(benchmark::State& state) {
  RunRaw(state, std::string(kRawSelect) + "ORDER BY updated_at DESC, id DESC LIMIT 20", false);
}
BENCHMARK(BM_RawPage_First)->Unit(benchmark::kMicrosecond);

void BM_RawPage_DeepKeyset(benchmark::State& state) {
  RunRaw(state,
         std::string(kRawSelect) +
             "AND (updated_at, id) < (?2, ?3) ORDER BY updated_at DESC, id DESC LIMIT 20",
         true);
}
BENCHMARK(BM_RawPage_DeepKeyset)->Unit(benchmark::kMicrosecond);

void BM_RawPage_DeepOffset(benchmark::State& state) {
  RunRaw(state,
         std::string(kRawSelect) + "ORDER BY updated_at DESC, id DESC LIMIT 20 OFFSET " +
             std::to_string(kPageSize * (kDeepPage - 1)),
         false);
}
BENCHMARK(BM_RawPage_DeepOffset)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
