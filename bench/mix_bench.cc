// mix_bench: the engine under a query mix, each figure next to its baseline in the same run.
//
//   DirectPage/text      the direct SQLite page: DocumentStore::List, JSON assembled from text
//   DirectPage/nlohmann  the same rows with each row's `data` parsed by nlohmann::json and the
//                        page built as a json value and dumped (what a typical app does)
//   Mix/direct/...       the Zipf mix straight against DocumentStore (no cache): the baseline
//   Mix/engine/...       the same mix through the Engine, at several L1 sizes and thread counts:
//                        reads/s, p50/p90/p99 end-to-end latency, hit ratio per tier (EngineStats
//                        deltas over the measured window), peak RSS, L1 bytes, LMDB bytes
//   Publish/engine       a patch, then a publish, of a document listed on a hot page, then the
//                        first read of that page after it (a miss) and the second (an L1 hit)
//   Publish/store        the same writes and read straight against DocumentStore: the baseline
//
// The mix: --queries distinct queries (types × filters × facets × sorts × limits × keyset pages
// reached by cursor; a field sort only without filters, as SQLite has no index for the others),
// ranked by popularity (first pages first, shuffled within a depth) and drawn with a Zipf(--zipf)
// law; a --write_fraction of operations are writes through the same path (merge patches of
// published documents, each --publish_every-th followed by its publish; default 1: alternately
// a patch and its publish; 0: draft saves only), run by the reader threads themselves while the
// other threads read. Every run replays the same per-thread operation sequences, so the engine and
// the baseline see the same mix.
//
// Data (in $TMPDIR, reused by later runs with the same sizes):
//   folio_bench_storage_<N>.sqlite  N documents of ~1 KB in one type: storage_bench's and
//                                   engine_bench's file, seeded exactly as they seed it; the
//                                   DirectPage baselines read its first page;
//   folio_bench_mix_<N>x<K>.sqlite  N documents of ~1 KB over K types, with tags: the mix's file.
//                                   The mix writes into it (patches and publishes: the number of
//                                   published documents stays N).
// --prepare_only seeds both (with progress) and exits.
//
// Each Mix and Publish benchmark runs once (one iteration, manual time = the measured window);
// its figures are Google Benchmark counters, kept in the JSON output.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "direct_page.h"
#include "folio/engine/engine.h"
#include "folio/storage/document_store.h"
#include "folio/tools/seed.h"
#include "seed_file.h"

namespace {

using folio::Engine;
using folio::PageRef;
using folio::Result;
using folio::Tier;
using folio::storage::DocumentStore;
using folio::storage::Query;
using Clock = std::chrono::steady_clock;

// ---- Flags ---------------------------------------------------------------------------------

struct Config {
  int64_t docs = 100000;
  int types = 5;
  int queries = 10000;
  double zipf = 0.99;
  double write_fraction = 0.001;
  // Writes are merge patches, and every publish_every-th of them is followed by its publish
  // (1: patch, publish, patch, publish…, as an editor saving then publishing each change);
  // 0 publishes nothing (draft saves only).
  int publish_every = 1;
  std::vector<int> threads = {1, 2};
  std::vector<size_t> l1_sizes = {
      0, size_t{1} << 20, size_t{4} << 20, size_t{16} << 20, size_t{64} << 20, size_t{256} << 20};
  int sweep_threads = 1;  // threads for the L1-size sweep
  double warmup_seconds = 2;
  double measure_seconds = 5;
  int publish_rounds = 200;
  bool prepare_only = false;
};

Config& Cfg() {
  static Config config;
  return config;
}

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "mix_bench: %s\n", why.c_str());
  std::exit(1);
}

// "0", "512K", "16M", "1G", "1048576".
size_t ParseSize(const std::string& text) {
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || v < 0) Die("bad size '" + text + "'");
  double mult = 1;
  switch (*end) {
    case 'k':
    case 'K':
      mult = 1024;
      break;
    case 'm':
    case 'M':
      mult = 1024.0 * 1024;
      break;
    case 'g':
    case 'G':
      mult = 1024.0 * 1024 * 1024;
      break;
    case '\0':
      break;
    default:
      Die("bad size '" + text + "'");
  }
  return static_cast<size_t>(v * mult);
}

std::vector<std::string> SplitCommas(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

std::string SizeName(size_t bytes) {
  if (bytes == 0) return "0";
  if (bytes % (size_t{1} << 30) == 0) return std::to_string(bytes >> 30) + "G";
  if (bytes % (size_t{1} << 20) == 0) return std::to_string(bytes >> 20) + "M";
  if (bytes % (size_t{1} << 10) == 0) return std::to_string(bytes >> 10) + "K";
  return std::to_string(bytes);
}

// Takes this binary's flags out of argv (the rest goes to Google Benchmark).
void ParseFlags(int* argc, char** argv) {
  Config& c = Cfg();
  if (const char* env = std::getenv("FOLIO_BENCH_DOCS")) c.docs = std::atoll(env);
  int out = 1;
  for (int i = 1; i < *argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* name) -> std::optional<std::string> {
      std::string prefix = std::string("--") + name + "=";
      if (arg.rfind(prefix, 0) == 0) return arg.substr(prefix.size());
      return std::nullopt;
    };
    if (auto v = value("docs")) {
      c.docs = std::atoll(v->c_str());
    } else if (auto v = value("types")) {
      c.types = std::atoi(v->c_str());
    } else if (auto v = value("queries")) {
      c.queries = std::atoi(v->c_str());
    } else if (auto v = value("zipf")) {
      c.zipf = std::atof(v->c_str());
    } else if (auto v = value("write_fraction")) {
      c.write_fraction = std::atof(v->c_str());
    } else if (auto v = value("publish_every")) {
      c.publish_every = std::atoi(v->c_str());
    } else if (auto v = value("threads")) {
      c.threads.clear();
      for (const auto& t : SplitCommas(*v))
        c.threads.push_back(std::atoi(t.c_str()));
    } else if (auto v = value("l1_sizes")) {
      c.l1_sizes.clear();
      for (const auto& s : SplitCommas(*v))
        c.l1_sizes.push_back(ParseSize(s));
    } else if (auto v = value("sweep_threads")) {
      c.sweep_threads = std::atoi(v->c_str());
    } else if (auto v = value("warmup_seconds")) {
      c.warmup_seconds = std::atof(v->c_str());
    } else if (auto v = value("measure_seconds")) {
      c.measure_seconds = std::atof(v->c_str());
    } else if (auto v = value("publish_rounds")) {
      c.publish_rounds = std::atoi(v->c_str());
    } else if (arg == "--prepare_only") {
      c.prepare_only = true;
    } else {
      argv[out++] = argv[i];
    }
  }
  *argc = out;
  if (c.docs < 20000) Die("--docs must be at least 20000 (storage_bench reads page 1000)");
  if (c.types < 1 || c.types > 64) Die("--types must be in 1..64");
  if (c.queries < 1) Die("--queries must be positive");
  if (c.zipf < 0) Die("--zipf must not be negative");
  if (c.write_fraction < 0 || c.write_fraction > 1) Die("--write_fraction must be in 0..1");
  if (c.publish_every < 0) Die("--publish_every must be 0 (never) or more");
  if (c.threads.empty() || c.l1_sizes.empty()) Die("--threads and --l1_sizes need values");
  for (int t : c.threads)
    if (t < 1 || t > 64) Die("--threads values must be in 1..64");
  std::sort(c.l1_sizes.begin(), c.l1_sizes.end());
  c.l1_sizes.erase(std::unique(c.l1_sizes.begin(), c.l1_sizes.end()), c.l1_sizes.end());
}

// ---- Data ----------------------------------------------------------------------------------

std::string StoragePath() {
  return (std::filesystem::temp_directory_path() /
          ("folio_bench_storage_" + std::to_string(Cfg().docs) + ".sqlite"))
      .string();
}

std::string MixPath() {
  return (std::filesystem::temp_directory_path() /
          ("folio_bench_mix_" + std::to_string(Cfg().docs) + "x" + std::to_string(Cfg().types) +
           ".sqlite"))
      .string();
}

// Seeds `path` with `docs` published documents of ~1 KB over `types` types unless its ".ready"
// marker exists; progress on stderr.
void SeedIfNeeded(const std::string& path, int64_t docs, int types) {
  if (std::filesystem::exists(path + ".ready")) {
    std::fprintf(stderr, "mix_bench: reusing %s\n", path.c_str());
    return;
  }
  for (const char* ext : {"", "-wal", "-shm"})
    std::filesystem::remove(path + ext);
  std::fprintf(stderr, "mix_bench: seeding %lld documents of ~1 KB over %d type(s) into %s\n",
               static_cast<long long>(docs), types, path.c_str());
  const auto start = Clock::now();
  const bool tty = isatty(STDERR_FILENO) != 0;
  int64_t last_line = 0;
  folio::tools::SeedOptions seed;
  seed.count = docs;
  seed.types = types;
  seed.body_bytes = 800;
  seed.on_progress = [&](int64_t done) {
    const double secs = std::chrono::duration<double>(Clock::now() - start).count();
    const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
    const double eta = rate > 0 ? static_cast<double>(docs - done) / rate : 0;
    if (tty) {
      std::fprintf(stderr, "\r  %lld/%lld documents, %.0f/s, %.0f s left   ",
                   static_cast<long long>(done), static_cast<long long>(docs), rate, eta);
    } else if (done == docs || done - last_line >= std::max<int64_t>(docs / 20, 1)) {
      std::fprintf(stderr, "  %lld/%lld documents (%d%%), %.0f/s, %.0f s left\n",
                   static_cast<long long>(done), static_cast<long long>(docs),
                   static_cast<int>(100 * done / docs), rate, eta);
      last_line = done;
    }
  };
  auto written = folio::bench::SeedFile(path, seed);  // closed (checkpointed) when it returns
  if (tty) std::fprintf(stderr, "\n");
  if (!written.ok()) Die(written.status().ToString());
  std::FILE* ready = std::fopen((path + ".ready").c_str(), "w");
  if (ready != nullptr) std::fclose(ready);
  std::fprintf(stderr, "mix_bench: seeded in %.1f s\n",
               std::chrono::duration<double>(Clock::now() - start).count());
}

std::unique_ptr<DocumentStore> OpenStore(const std::string& path) {
  folio::storage::StoreOptions options;
  options.path = path;
  options.create_if_missing = false;
  auto store = DocumentStore::Open(options);
  if (!store.ok()) Die("opening " + path + ": " + store.status().ToString());
  return std::move(*store);
}

// A temp dir removed at exit, holding one engine data dir per benchmark.
const std::filesystem::path& TempRoot() {
  struct Root {
    std::filesystem::path path;
    Root() {
      std::string tmpl = (std::filesystem::temp_directory_path() / "folio_mix_bench_XXXXXX");
      if (::mkdtemp(tmpl.data()) == nullptr) Die("cannot create a temp dir");
      path = tmpl;
    }
    ~Root() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static Root root;
  return root.path;
}

// ---- Measuring -----------------------------------------------------------------------------

// Log-linear latency histogram: 16 sub-buckets per power of two (≤ 6.25% error), in ns.
class Histogram {
 public:
  void Record(uint64_t ns) {
    ++counts_[Index(ns)];
    ++n_;
  }
  void Merge(const Histogram& o) {
    for (size_t i = 0; i < counts_.size(); ++i)
      counts_[i] += o.counts_[i];
    n_ += o.n_;
  }
  uint64_t count() const { return n_; }
  // The midpoint of the bucket holding quantile q, in ns; 0 with no samples.
  double Quantile(double q) const {
    if (n_ == 0) return 0;
    const uint64_t rank = std::min<uint64_t>(n_ - 1, static_cast<uint64_t>(q * n_));
    uint64_t seen = 0;
    for (size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen > rank) return (Lower(i) + Lower(i + 1)) / 2.0;
    }
    return Lower(counts_.size());
  }

 private:
  static constexpr int kSub = 16;
  static size_t Index(uint64_t v) {
    if (v < kSub) return v;
    const int e = 63 - __builtin_clzll(v);  // ≥ 4
    const uint64_t sub = (v >> (e - 4)) & (kSub - 1);
    return std::min<size_t>(static_cast<size_t>((e - 3) * kSub + sub), kBuckets - 1);
  }
  static double Lower(size_t i) {
    if (i < kSub) return static_cast<double>(i);
    const size_t e = i / kSub + 3, sub = i % kSub;
    return std::ldexp(static_cast<double>(kSub + sub), static_cast<int>(e) - 4);
  }
  static constexpr size_t kBuckets = 60 * kSub;
  std::vector<uint64_t> counts_ = std::vector<uint64_t>(kBuckets);
  uint64_t n_ = 0;
};

uint64_t NanosSince(Clock::time_point t0) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count());
}

// Peak RSS since the last ResetPeakRss() (VmHWM), bytes.
void ResetPeakRss() {
  std::ofstream f("/proc/self/clear_refs");
  f << "5";
}
uint64_t ProcStatusBytes(const char* field) {
  std::ifstream f("/proc/self/status");
  std::string line;
  const std::string prefix = std::string(field) + ":";
  while (std::getline(f, line)) {
    if (line.rfind(prefix, 0) == 0)
      return std::strtoull(line.c_str() + prefix.size(), nullptr, 10) * 1024;
  }
  return 0;
}

uint64_t DiskBytes(const std::filesystem::path& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir, ec)) {
    struct stat st;
    if (::stat(entry.path().c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      total += static_cast<uint64_t>(st.st_blocks) * 512;
    }
  }
  return total;
}

// ---- Direct page baselines (the storage file, first page of 20, as engine_bench) ------------

constexpr int kPageSize = 20;

struct DirectFixture {
  std::unique_ptr<DocumentStore> store;
  sqlite3* raw = nullptr;
  std::string type;

  static DirectFixture& Get() {
    static DirectFixture f;
    return f;
  }

 private:
  DirectFixture() {
    const std::string path = StoragePath();
    store = OpenStore(path);
    type = folio::tools::SeedTypeIds(1).front();
    if (sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      Die("cannot open " + path + " read-only");
    }
  }
};

void BM_DirectPage_Text(benchmark::State& state) {
  DirectFixture& f = DirectFixture::Get();
  Query q;
  q.type = f.type;
  q.limit = kPageSize;
  folio::bench::RunDirectPage(state, *f.store, q, kPageSize,
                              "DocumentStore::List, page 1 of 20, JSON assembled from stored text");
}

// The same 20 rows by the same keyset index, each row an nlohmann object with its `data`
// parsed, the page {"data":[…],"meta":{"count":…,"next_cursor":…}} dumped.
void BM_DirectPage_Nlohmann(benchmark::State& state) {
  DirectFixture& f = DirectFixture::Get();
  sqlite3_stmt* s = nullptr;
  const char* sql =
      "SELECT id, root_id, version_number, type_id, tenant_id, locale, status, data, created_at, "
      "updated_at, published_at FROM documents WHERE tenant_id = 'default' AND type_id = ?1 AND "
      "is_published = 1 AND deleted_at IS NULL ORDER BY updated_at DESC, id DESC LIMIT 20";
  if (sqlite3_prepare_v3(f.raw, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK) {
    state.SkipWithError(sqlite3_errmsg(f.raw));
    return;
  }
  auto text = [&](int col) {
    return std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, col)),
                       static_cast<size_t>(sqlite3_column_bytes(s, col)));
  };
  size_t bytes = 0;
  for (auto _ : state) {
    sqlite3_reset(s);
    sqlite3_bind_text(s, 1, f.type.c_str(), -1, SQLITE_STATIC);
    nlohmann::json docs = nlohmann::json::array();
    std::string last_id;
    int64_t last_updated = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
      nlohmann::json d;
      d["id"] = text(0);
      d["root_id"] = text(1);
      d["version"] = sqlite3_column_int64(s, 2);
      d["type"] = text(3);
      d["tenant"] = text(4);
      d["locale"] = text(5);
      d["status"] = text(6);
      d["data"] = nlohmann::json::parse(
          reinterpret_cast<const char*>(sqlite3_column_text(s, 7)),
          reinterpret_cast<const char*>(sqlite3_column_text(s, 7)) + sqlite3_column_bytes(s, 7));
      d["created_at"] = sqlite3_column_int64(s, 8);
      d["updated_at"] = last_updated = sqlite3_column_int64(s, 9);
      if (sqlite3_column_type(s, 10) == SQLITE_NULL) {
        d["published_at"] = nullptr;
      } else {
        d["published_at"] = sqlite3_column_int64(s, 10);
      }
      last_id = text(0);
      docs.push_back(std::move(d));
    }
    if (docs.size() != static_cast<size_t>(kPageSize)) {
      state.SkipWithError("short page");
      break;
    }
    nlohmann::json page;
    page["meta"]["count"] = docs.size();
    page["meta"]["next_cursor"] = std::to_string(last_updated) + ":" + last_id;
    page["data"] = std::move(docs);
    std::string out = page.dump();
    bytes = out.size();
    benchmark::DoNotOptimize(out);
  }
  sqlite3_finalize(s);
  state.counters["page_bytes"] = static_cast<double>(bytes);
  state.SetLabel("same rows, each data parsed with nlohmann::json, page dumped");
}

// ---- The mix -------------------------------------------------------------------------------

struct WriteTarget {
  std::string type;
  std::string root_id;
};

struct MixFixture {
  std::string path;
  std::vector<Query> queries;               // by popularity rank
  std::vector<int> query_depth;             // 1 = first page
  std::vector<WriteTarget> write_pool;      // published documents the writes patch and publish
  std::vector<std::vector<int32_t>> plans;  // per thread: query index, or -1 for a write
  size_t distinct_first_pages = 0;

  static MixFixture& Get() {
    static MixFixture f;
    return f;
  }

 private:
  MixFixture() : path(MixPath()) {
    const Config& c = Cfg();
    auto store = OpenStore(path);
    const std::vector<std::string> types = folio::tools::SeedTypeIds(c.types);

    // Every first page: type × filter × sort × limit.
    struct Shape {
      std::vector<folio::storage::FieldFilter> filters;
      std::vector<folio::storage::FacetFilter> facets;
    };
    std::vector<Shape> shapes;
    shapes.push_back({});
    for (const char* cat : {"alpha", "beta", "gamma", "delta"})
      shapes.push_back({{{"category", folio::storage::FilterOp::kEq, {std::string(cat)}}}, {}});
    shapes.push_back({{{"featured", folio::storage::FilterOp::kEq, {true}}}, {}});
    for (const char* tag : {"news", "guide", "tech", "food", "travel", "sale", "new", "featured"})
      shapes.push_back({{}, {{"tags", tag}}});
    shapes.push_back({{{"category", folio::storage::FilterOp::kEq, {std::string("alpha")}}},
                      {{"tags", "news"}}});
    const std::pair<const char*, folio::storage::SortOrder> sorts[] = {
        {"updated_at", folio::storage::SortOrder::kDesc},
        {"created_at", folio::storage::SortOrder::kDesc},
        {"views", folio::storage::SortOrder::kDesc}};
    const int limits[] = {10, 20, 50};
    std::vector<Query> firsts;
    for (const auto& type : types) {
      for (const auto& shape : shapes) {
        for (const auto& [sort, order] : sorts) {
          // A field sort under a filter or facet has no index to walk: SQLite sorts every
          // matching row for each page (10-25 ms at 20,000 documents a type). Such pages are left
          // out of the mix; field sorts are listed unfiltered.
          if (std::string(sort) == "views" && (!shape.filters.empty() || !shape.facets.empty())) {
            continue;
          }
          for (int limit : limits) {
            Query q;
            q.type = type;
            q.filters = shape.filters;
            q.facets = shape.facets;
            q.sort = sort;
            q.order = order;
            q.limit = limit;
            firsts.push_back(std::move(q));
          }
        }
      }
    }
    distinct_first_pages = firsts.size();
    const int depth =
        static_cast<int>((static_cast<size_t>(c.queries) + firsts.size() - 1) / firsts.size());
    std::fprintf(stderr,
                 "mix_bench: %d distinct queries: %zu first pages (%d types x %zu filters x "
                 "sorts by updated_at, created_at (and views unfiltered) x 3 limits), keyset "
                 "pages down to depth %d\n",
                 c.queries, firsts.size(), c.types, shapes.size(), depth);
    // Walk each listing `depth` pages deep: by_depth[d] holds the pages at depth d + 1.
    // The direct cost of each kind of query is printed, from the walk's own reads.
    std::vector<std::vector<Query>> by_depth(static_cast<size_t>(depth));
    std::map<std::string, std::pair<double, int>> cost;  // kind -> (total µs, reads)
    for (const Query& first : firsts) {
      Query q = first;
      std::string kind = q.filters.empty() ? "" : q.filters.front().field + "=";
      if (!q.facets.empty()) kind += (kind.empty() ? "" : "+") + q.facets.front().field + "=";
      kind = (kind.empty() ? "no filter" : kind) + ", sort " + q.sort;
      for (int d = 0; d < depth; ++d) {
        by_depth[static_cast<size_t>(d)].push_back(q);
        if (d + 1 == depth) break;
        const auto t0 = Clock::now();
        auto page = store->List(q);
        auto& [total, n] = cost[kind];
        total += static_cast<double>(NanosSince(t0)) / 1000;
        ++n;
        if (!page.ok()) Die("listing for the mix: " + page.status().ToString());
        if (!page->next_cursor) break;
        q.cursor = *page->next_cursor;
      }
    }
    std::fprintf(stderr,
                 "mix_bench: direct cost of a page by kind of query (mean over the walk):\n");
    for (const auto& [kind, c] : cost) {
      std::fprintf(stderr, "  %-40s %9.1f us  (%d reads)\n", kind.c_str(),
                   c.first / std::max(1, c.second), c.second);
    }
    std::mt19937_64 rng(7);
    for (int d = 0; d < depth && queries.size() < static_cast<size_t>(c.queries); ++d) {
      auto& level = by_depth[static_cast<size_t>(d)];
      std::shuffle(level.begin(), level.end(), rng);
      for (auto& q : level) {
        if (queries.size() == static_cast<size_t>(c.queries)) break;
        queries.push_back(std::move(q));
        query_depth.push_back(d + 1);
      }
    }
    if (queries.size() < static_cast<size_t>(c.queries)) {
      std::fprintf(stderr, "mix_bench: only %zu distinct queries exist at this size\n",
                   queries.size());
    }

    // Writes patch and publish documents spread over every type.
    sqlite3* raw = nullptr;
    if (sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      Die("cannot open " + path);
    }
    for (const auto& type : types) {
      sqlite3_stmt* s = nullptr;
      sqlite3_prepare_v2(
          raw,
          "SELECT root_id FROM documents WHERE tenant_id = 'default' AND type_id = "
          "?1 AND is_published = 1 AND deleted_at IS NULL ORDER BY root_id LIMIT 256",
          -1, &s, nullptr);
      sqlite3_bind_text(s, 1, type.c_str(), -1, SQLITE_TRANSIENT);
      while (sqlite3_step(s) == SQLITE_ROW) {
        write_pool.push_back({type, reinterpret_cast<const char*>(sqlite3_column_text(s, 0))});
      }
      sqlite3_finalize(s);
    }
    sqlite3_close(raw);
    if (write_pool.empty()) Die("no published documents to write");
    std::shuffle(write_pool.begin(), write_pool.end(), rng);

    // Zipf over ranks, then each thread's operation plan.
    std::vector<double> cdf(queries.size());
    double sum = 0;
    for (size_t r = 0; r < queries.size(); ++r) {
      sum += 1.0 / std::pow(static_cast<double>(r + 1), c.zipf);
      cdf[r] = sum;
    }
    const int max_threads =
        std::max(*std::max_element(c.threads.begin(), c.threads.end()), c.sweep_threads);
    constexpr size_t kPlan = size_t{1} << 20;
    for (int t = 0; t < max_threads; ++t) {
      std::mt19937_64 r(1000 + static_cast<uint64_t>(t));
      std::uniform_real_distribution<double> u(0, 1);
      std::vector<int32_t> plan(kPlan);
      for (auto& op : plan) {
        if (c.write_fraction > 0 && u(r) < c.write_fraction) {
          op = -1;
        } else {
          const double x = u(r) * sum;
          op = static_cast<int32_t>(std::lower_bound(cdf.begin(), cdf.end(), x) - cdf.begin());
          op = std::min<int32_t>(op, static_cast<int32_t>(queries.size()) - 1);
        }
      }
      plans.push_back(std::move(plan));
    }
    // What share of reads the top ranks take, for the report.
    double top1 = 0;
    const size_t one_percent = std::max<size_t>(1, queries.size() / 100);
    top1 = cdf[one_percent - 1] / sum;
    benchmark::AddCustomContext("mix_top1pct_share", std::to_string(top1));
    std::fprintf(stderr, "mix_bench: the top 1%% of queries draws %.1f%% of reads\n", 100 * top1);
  }
};

// What a mix run does for reads and writes: through the engine or straight to the store.
struct MixTarget {
  Engine* engine = nullptr;
  DocumentStore* store = nullptr;

  bool Read(const Query& q) const {
    if (engine != nullptr) return engine->Query(q).ok();
    return store->List(q).ok();
  }
  bool Write(const folio::storage::WriteOp& op) const {
    if (engine != nullptr) return engine->Write(op).ok();
    return store->Write(op).ok();
  }
};

struct MixResult {
  Histogram reads, writes;
  uint64_t errors = 0;
  double seconds = 0;
};

// Runs the mix on `threads` threads: a pass over every query, a warm-up, then the measured
// window; `at_start` runs right
// before measuring starts (the engine's stats snapshot).
MixResult RunMix(const MixTarget& target, int threads, const std::function<void()>& at_start) {
  const Config& c = Cfg();
  MixFixture& f = MixFixture::Get();
  // Every distinct query once, least popular first, so the warm-up starts from caches holding
  // what fits (the most popular last, most recently used).
  for (size_t i = f.queries.size(); i-- > 0;)
    target.Read(f.queries[i]);
  std::atomic<int> phase{0};  // 0 warm-up, 1 measuring, 2 stop
  std::vector<MixResult> per_thread(static_cast<size_t>(threads));
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      const std::vector<int32_t>& plan = f.plans[static_cast<size_t>(t)];
      const size_t mask = plan.size() - 1;
      MixResult& out = per_thread[static_cast<size_t>(t)];
      uint64_t writes = 0;
      size_t i = 0;
      for (;;) {
        const int p = phase.load(std::memory_order_relaxed);
        if (p == 2) break;
        const int32_t op = plan[i++ & mask];
        const auto t0 = Clock::now();
        bool ok;
        if (op >= 0) {
          ok = target.Read(f.queries[static_cast<size_t>(op)]);
        } else {
          // Patch a published document; after every publish_every-th patch, publish it.
          const uint64_t cycle = c.publish_every == 0 ? 1 : uint64_t(c.publish_every) + 1;
          const WriteTarget& w =
              f.write_pool[(static_cast<size_t>(t) * 7919 + writes / cycle) % f.write_pool.size()];
          if (c.publish_every == 0 || writes % cycle != cycle - 1) {
            folio::storage::PatchOp patch;
            patch.root_id = w.root_id;
            patch.data = "{\"views\":" + std::to_string(writes * 31 % 10000) + "}";
            ok = target.Write(patch);
          } else {
            ok = target.Write(folio::storage::LifecycleOp{
                "default", w.root_id, folio::storage::LifecycleAction::kPublish});
          }
          ++writes;
        }
        const uint64_t ns = NanosSince(t0);
        if (p == 1) {
          (op >= 0 ? out.reads : out.writes).Record(ns);
          if (!ok) ++out.errors;
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(c.warmup_seconds));
  return [&] {
    MixResult total;
    if (at_start) at_start();
    const auto start = Clock::now();
    phase.store(1);
    std::this_thread::sleep_for(std::chrono::duration<double>(c.measure_seconds));
    phase.store(2);
    total.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    for (auto& w : workers)
      w.join();
    for (const auto& r : per_thread) {
      total.reads.Merge(r.reads);
      total.writes.Merge(r.writes);
      total.errors += r.errors;
    }
    return total;
  }();
}

void SetMixCounters(benchmark::State& state, const MixResult& r, int threads) {
  const Config& c = Cfg();
  state.SetIterationTime(r.seconds);
  state.counters["threads"] = threads;
  state.counters["reads"] = static_cast<double>(r.reads.count());
  state.counters["writes"] = static_cast<double>(r.writes.count());
  state.counters["errors"] = static_cast<double>(r.errors);
  state.counters["reads_per_s"] = static_cast<double>(r.reads.count()) / r.seconds;
  state.counters["ops_per_s"] = static_cast<double>(r.reads.count() + r.writes.count()) / r.seconds;
  state.counters["read_p50_us"] = r.reads.Quantile(0.50) / 1000;
  state.counters["read_p90_us"] = r.reads.Quantile(0.90) / 1000;
  state.counters["read_p99_us"] = r.reads.Quantile(0.99) / 1000;
  state.counters["write_p50_us"] = r.writes.Quantile(0.50) / 1000;
  state.counters["write_p99_us"] = r.writes.Quantile(0.99) / 1000;
  state.counters["zipf_s"] = c.zipf;
  state.counters["distinct_queries"] = static_cast<double>(MixFixture::Get().queries.size());
  state.counters["write_fraction"] = c.write_fraction;
  state.counters["publish_every"] = c.publish_every;
  if (r.errors > 0) state.SkipWithError("some operations of the mix failed");
}

void BM_MixDirect(benchmark::State& state, int threads) {
  MixFixture::Get();
  auto store = OpenStore(MixFixture::Get().path);
  for (auto _ : state) {
    ::malloc_trim(0);
    ResetPeakRss();
    MixResult r = RunMix(MixTarget{nullptr, store.get()}, threads, nullptr);
    SetMixCounters(state, r, threads);
    state.counters["peak_rss_bytes"] = static_cast<double>(ProcStatusBytes("VmHWM"));
  }
  state.SetLabel("DocumentStore directly, no cache");
}

void BM_MixEngine(benchmark::State& state, size_t l1_bytes, int threads) {
  MixFixture& f = MixFixture::Get();
  static int serial = 0;
  const std::filesystem::path dir = TempRoot() / ("mix_" + std::to_string(serial++));
  for (auto _ : state) {
    ::malloc_trim(0);  // give back what earlier runs freed, so RSS figures are this run's
    const uint64_t rss_before = ProcStatusBytes("VmRSS");
    ResetPeakRss();
    folio::Options options;
    options.data_dir = dir.string();
    options.db_path = f.path;
    options.create_if_missing = false;
    options.l1_capacity_bytes = l1_bytes;
    auto engine = Engine::Open(options);
    if (!engine.ok()) {
      state.SkipWithError(engine.status().ToString().c_str());
      break;
    }
    // Stats are cumulative: the warm-up is taken out by a snapshot when measuring starts, so
    // hit ratios cover the measured window (up to the operations in flight at each edge).
    std::optional<folio::EngineStats> at_start;
    MixResult r =
        RunMix(MixTarget{engine->get(), nullptr}, threads, [&] { at_start = (*engine)->Stats(); });
    const folio::EngineStats end = (*engine)->Stats();
    (*engine)->FlushFills();
    SetMixCounters(state, r, threads);
    const folio::EngineStats& s0 = *at_start;
    const double answered = static_cast<double>(
        (end.memory.hits - s0.memory.hits) + (end.kv.hits - s0.kv.hits) +
        (end.database.hits - s0.database.hits) + (end.coalesced_misses - s0.coalesced_misses));
    auto share = [&](uint64_t a, uint64_t b) {
      return answered > 0 ? static_cast<double>(a - b) / answered : 0.0;
    };
    state.counters["l1_capacity_bytes"] = static_cast<double>(l1_bytes);
    state.counters["l1_hit_ratio"] = share(end.memory.hits, s0.memory.hits);
    state.counters["l2_hit_ratio"] = share(end.kv.hits, s0.kv.hits);
    state.counters["db_ratio"] = share(end.database.hits, s0.database.hits);
    state.counters["coalesced_ratio"] = share(end.coalesced_misses, s0.coalesced_misses);
    state.counters["invalidations"] = static_cast<double>(end.invalidations - s0.invalidations);
    state.counters["l2_fills_dropped"] =
        static_cast<double>(end.l2_fills_dropped - s0.l2_fills_dropped);
    state.counters["l1_bytes"] = static_cast<double>(end.l1_bytes);
    state.counters["l1_entries"] = static_cast<double>(end.l1_entries);
    state.counters["l2_bytes"] = static_cast<double>(end.l2_bytes);
    state.counters["l2_entries"] = static_cast<double>(end.l2_entries);
    state.counters["lmdb_disk_bytes"] = static_cast<double>(DiskBytes(dir / "kv"));
    state.counters["peak_rss_bytes"] = static_cast<double>(ProcStatusBytes("VmHWM"));
    state.counters["rss_before_bytes"] = static_cast<double>(rss_before);
    engine->reset();
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  state.SetLabel("Engine, L1 " + SizeName(l1_bytes) + ", L2 on");
}

// ---- Publish, and the first read after it --------------------------------------------------

// Marks the instants the engine reaches its read steps, so the first read after a publish is
// split into: before the SQLite read (L1 miss, L2 lookup and its validity check), the SQLite
// read, and after it (page finish, admission, fills).
class PhaseHooks : public folio::EngineHooks {
 public:
  void BeforeDatabaseRead() override { before_read = Clock::now(); }
  void BeforeFill() override { before_fill = Clock::now(); }
  Clock::time_point before_read{}, before_fill{};
};

// The hot page: the first page (updated_at desc, 20) of the mix's first type; the document
// written is one of that type, so the publish moves it to the top of the hot page.
void BM_Publish(benchmark::State& state, bool through_engine) {
  MixFixture& f = MixFixture::Get();
  const std::string type = folio::tools::SeedTypeIds(1).front();
  std::vector<std::string> roots;
  for (const auto& w : f.write_pool)
    if (w.type == type) roots.push_back(w.root_id);
  std::unique_ptr<Engine> engine;
  std::unique_ptr<DocumentStore> store;
  const std::filesystem::path dir =
      TempRoot() / (through_engine ? "publish_engine" : "publish_store");
  auto hooks = std::make_unique<PhaseHooks>();
  if (through_engine) {
    folio::Options options;
    options.hooks = hooks.get();
    options.data_dir = dir.string();
    options.db_path = f.path;
    options.create_if_missing = false;
    auto opened = Engine::Open(options);
    if (!opened.ok()) {
      state.SkipWithError(opened.status().ToString().c_str());
      return;
    }
    engine = std::move(*opened);
  } else {
    store = OpenStore(f.path);
  }
  Query hot;
  hot.type = type;
  hot.limit = kPageSize;
  // Reads the hot page; whether it shows `marker` (nullopt: the read failed). Neither side
  // copies the page: the engine's is looked at where it lies, the store's where it was built.
  auto read = [&](Tier* tier, const std::string& marker) -> std::optional<bool> {
    if (engine) {
      auto page = engine->Query(hot);
      if (!page.ok()) return std::nullopt;
      *tier = page->tier();
      return page->documents_json().find(marker) != std::string_view::npos;
    }
    auto page = store->List(hot);
    if (!page.ok()) return std::nullopt;
    *tier = Tier::kDatabase;
    return page->documents_json.find(marker) != std::string::npos;
  };
  auto write = [&](const folio::storage::WriteOp& op) {
    return engine ? engine->Write(op).ok() : store->Write(op).ok();
  };
  Histogram patch_h, publish_h, first_h, second_h, above_h, sqlite_h, fill_h;
  uint64_t not_visible = 0, first_not_db = 0, second_not_l1 = 0, round = 0;
  for (auto _ : state) {
    const std::string& root = roots[round % roots.size()];
    const std::string marker = "\"views\":" + std::to_string(2000000 + round);
    ++round;
    Tier tier = Tier::kDatabase;
    auto t0 = Clock::now();
    bool ok = write(folio::storage::PatchOp{"default", root, "{" + marker + "}", {}});
    patch_h.Record(NanosSince(t0));
    // Warm the hot page (after the patch's invalidation) so the publish has a cached page to
    // invalidate.
    ok = ok && read(&tier, marker) && read(&tier, marker);
    t0 = Clock::now();
    ok = ok && write(folio::storage::LifecycleOp{"default", root,
                                                 folio::storage::LifecycleAction::kPublish});
    publish_h.Record(NanosSince(t0));
    t0 = Clock::now();
    const std::optional<bool> first = read(&tier, marker);
    first_h.Record(NanosSince(t0));
    const Clock::time_point t1 = Clock::now();
    if (tier != Tier::kDatabase) ++first_not_db;
    if (engine && tier == Tier::kDatabase) {
      auto ns = [](Clock::time_point a, Clock::time_point b) {
        return static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count());
      };
      above_h.Record(ns(t0, hooks->before_read));
      sqlite_h.Record(ns(hooks->before_read, hooks->before_fill));
      fill_h.Record(ns(hooks->before_fill, t1));
    }
    t0 = Clock::now();
    const std::optional<bool> second = read(&tier, marker);
    second_h.Record(NanosSince(t0));
    if (engine && tier != Tier::kMemory) ++second_not_l1;
    if (!ok || !first || !second) {
      state.SkipWithError("a write or read failed");
      break;
    }
    if (!*first) ++not_visible;
  }
  state.counters["patch_p50_us"] = patch_h.Quantile(0.5) / 1000;
  state.counters["patch_p99_us"] = patch_h.Quantile(0.99) / 1000;
  state.counters["publish_p50_us"] = publish_h.Quantile(0.5) / 1000;
  state.counters["publish_p99_us"] = publish_h.Quantile(0.99) / 1000;
  state.counters["first_read_p50_us"] = first_h.Quantile(0.5) / 1000;
  state.counters["first_read_p99_us"] = first_h.Quantile(0.99) / 1000;
  if (engine) {
    state.counters["first_read_above_sqlite_p50_us"] = above_h.Quantile(0.5) / 1000;
    state.counters["first_read_sqlite_p50_us"] = sqlite_h.Quantile(0.5) / 1000;
    state.counters["first_read_fill_p50_us"] = fill_h.Quantile(0.5) / 1000;
  }
  state.counters["second_read_p50_us"] = second_h.Quantile(0.5) / 1000;
  state.counters["second_read_p99_us"] = second_h.Quantile(0.99) / 1000;
  state.counters["stale_first_reads"] = static_cast<double>(not_visible);
  state.counters["first_read_not_from_db"] = static_cast<double>(first_not_db);
  state.counters["second_read_not_from_l1"] = static_cast<double>(second_not_l1);
  state.SetLabel(through_engine ? "Engine: patch, publish, first and second read of the hot page"
                                : "DocumentStore directly: patch, publish, read of the page");
  engine.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

void RegisterAll() {
  const Config& c = Cfg();
  benchmark::RegisterBenchmark("DirectPage/text", BM_DirectPage_Text)
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("DirectPage/nlohmann", BM_DirectPage_Nlohmann)
      ->Unit(benchmark::kMicrosecond);
  auto once = [](benchmark::internal::Benchmark* b) {
    b->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);
  };
  for (int t : c.threads) {
    once(benchmark::RegisterBenchmark(("Mix/direct/threads:" + std::to_string(t)).c_str(),
                                      [t](benchmark::State& s) { BM_MixDirect(s, t); }));
  }
  const size_t biggest = c.l1_sizes.back();
  for (int t : c.threads) {
    once(benchmark::RegisterBenchmark(
        ("Mix/engine/l1:" + SizeName(biggest) + "/threads:" + std::to_string(t)).c_str(),
        [biggest, t](benchmark::State& s) { BM_MixEngine(s, biggest, t); }));
  }
  for (size_t l1 : c.l1_sizes) {
    const int t = c.sweep_threads;
    if (l1 == biggest && std::find(c.threads.begin(), c.threads.end(), t) != c.threads.end()) {
      continue;  // already measured above
    }
    once(benchmark::RegisterBenchmark(
        ("Mix/engine/l1:" + SizeName(l1) + "/threads:" + std::to_string(t)).c_str(),
        [l1, t](benchmark::State& s) { BM_MixEngine(s, l1, t); }));
  }
  for (bool engine : {false, true}) {
    benchmark::RegisterBenchmark(engine ? "Publish/engine" : "Publish/store",
                                 [engine](benchmark::State& s) { BM_Publish(s, engine); })
        ->Iterations(c.publish_rounds)
        ->Unit(benchmark::kMicrosecond);
  }
}

}  // namespace

int main(int argc, char** argv) {
  ParseFlags(&argc, argv);
  const Config& c = Cfg();
  // Both files first, so nothing is timed while seeding.
  SeedIfNeeded(StoragePath(), c.docs, 1);
  SeedIfNeeded(MixPath(), c.docs, c.types);
  if (c.prepare_only) return 0;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("docs", std::to_string(c.docs));
  benchmark::AddCustomContext("types", std::to_string(c.types));
  benchmark::AddCustomContext("zipf_s", std::to_string(c.zipf));
  benchmark::AddCustomContext("write_fraction", std::to_string(c.write_fraction));
  benchmark::AddCustomContext("distinct_queries", std::to_string(c.queries));
  benchmark::AddCustomContext("warmup_seconds", std::to_string(c.warmup_seconds));
  benchmark::AddCustomContext("measure_seconds", std::to_string(c.measure_seconds));
  MixFixture::Get();  // build the query set before anything is timed
  RegisterAll();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
