// expand_bench: a listing of 20 documents with two reference fields expanded (Query::include),
// uncached and cached, against the same page without expansion — all in one run, then the
// ratios on stderr (issue 12, "Measure").
//
// Data: a database of its own in a fresh temp dir (removed at exit), seeded through an Engine:
//   - 200 `person` documents ({"name","bio"}, ~270 bytes of data) — the authors;
//   - 20 `category` documents ({"name","description"}, ~130 bytes of data);
//   - 2,000 `post` documents ({"author","category","views","body"}, ~560 bytes of data),
//     registered in SonicJS's format with `author` and `category` as reference fields and
//     `views` an integer scalar, versioning on. Post i names person i % 200 and category
//     i % 20.
// All are published; no document has permission rules. The listing is the published posts,
// newest first (updated_at desc, ties by id), limit 20: 100 pages. Benchmarks read page 1
// (`first`) or rotate through pages 25, 50, 75 and 100 by their cursors (`deep`), each
// without include (`plain`), with include=author (`author`) and with include=author,category
// (`both`): each listing has its own cursors (include is part of the cursor's query key).
// A page names about 20 distinct authors and 20 distinct categories (page 1's counts are
// printed at start; ties on updated_at are ordered by UUID v7, not quite creation order).
// Repeats hardly matter to the cost: each reference is looked up on its own.
//
// Sources, each on the same SQLite file (each engine with a data dir of its own):
//   store      DocumentStore::List on a store of its own (the page straight from SQLite, no
//              engine);
//   uncached   an Engine with L1 capacity 0 and L2 off: every Query reads SQLite, through the
//              engine's whole miss path (key, coalescing, page encoding);
//   l1         an Engine with L1 on (256 MiB) and L2 off, warmed: every Query is an L1 hit;
//   l2         an Engine with L1 capacity 0 and L2 on, warmed and flushed: every Query is an L2
//              hit (LMDB get, checksum, copy out) — what a process with a cold L1 pays.
//
// FOLIO_BENCH_KEEP=1 keeps the temp dir (its path is printed at exit) for a look with sqlite3.
//
// Checks. Before anything is timed, every page each benchmark reads is read from the store and
// parsed: 20 documents, each a published post whose data names an author and a category;
// with include, each carries "embedded" with exactly the included fields, each an array of
// one document: the person or category its data names. Without include, no "embedded" key.
// The store and all three engines must answer byte-identical documents JSON, the warmed
// engines from the expected tier. Every timed read is then checked cheaply: no error, the
// expected tier, 20 documents and the page's JSON of the validated length — so an error path
// or a wrong page fails the benchmark instead of being measured.
//
// Summary (stderr, after the runs), in wall time and then in CPU time: per page set, the times
// (the median aggregate when repeated), the bytes, and the ratios b/a, d/c, b/d of the issue, where
// a and b are the uncached engine without and with include=author,category and c and d the same as
// L1 hits.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "folio/engine/engine.h"
#include "folio/storage/document_store.h"
#include "folio/storage/type_format.h"

namespace {

using folio::Engine;
using folio::PageRef;
using folio::Result;
using folio::Tier;
using folio::storage::Query;

constexpr int kPersons = 200;
constexpr int kCategories = 20;
constexpr int kPosts = 2000;
constexpr int kPageSize = 20;
constexpr int kDeepPages[] = {25, 50, 75, 100};  // 1-based page numbers

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "expand_bench: %s\n", why.c_str());
  std::exit(1);
}

template <typename T>
T Must(Result<T> r, const std::string& what) {
  if (!r.ok()) Die(what + ": " + r.status().ToString());
  return std::move(r).value();
}

std::string Filler(size_t n, int seed) {
  static const char kWords[] =
      "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt "
      "ut labore et dolore magna aliqua ut enim ad minim veniam quis nostrud exercitation ";
  std::string out;
  const size_t len = sizeof(kWords) - 1;
  for (size_t i = static_cast<size_t>(seed) % len; out.size() < n; i = (i + 1) % len)
    out.push_back(kWords[i]);
  return out;
}

enum class Source { kStore, kUncached, kL1, kL2 };
enum class PageSet { kFirst, kDeep };
// What the listing embeds: nothing, include=author, include=author,category.
enum Include { kPlain, kAuthor, kBoth, kIncludes };
const char* const kIncludeNames[kIncludes] = {"plain", "author", "both"};

struct Fixture {
  std::filesystem::path root;
  std::string db_path;
  std::unique_ptr<folio::storage::DocumentStore> store;  // no engine
  std::unique_ptr<Engine> bare;                          // L1 off, L2 off
  std::unique_ptr<Engine> hot;                           // L1 on, L2 off
  std::unique_ptr<Engine> kv;                            // L1 off, L2 on

  // queries[include][set]: the pages a benchmark rotates through, and each page's validated
  // documents JSON length.
  std::vector<Query> queries[kIncludes][2];
  std::vector<size_t> expected_bytes[kIncludes][2];
  // On page 1: how many distinct authors and categories it embeds.
  std::pair<size_t, size_t> distinct_embedded[kIncludes] = {};

  static Fixture& Get() {
    static Fixture f;
    return f;
  }

  ~Fixture() {
    hot.reset();
    kv.reset();
    bare.reset();
    store.reset();
    if (std::getenv("FOLIO_BENCH_KEEP") != nullptr) {
      std::fprintf(stderr, "expand_bench: kept %s\n", root.c_str());
      return;
    }
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
  }

 private:
  Fixture() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "folio_expand_bench_XXXXXX");
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) == nullptr) Die("cannot create a temp dir");
    root = buf.data();
    db_path = (root / "folio.sqlite").string();
    Seed();
    folio::storage::StoreOptions store_options;
    store_options.path = db_path;
    store_options.create_if_missing = false;
    store = Must(folio::storage::DocumentStore::Open(store_options), "open store");
    bare = OpenEngine("bare", 0, false);
    hot = OpenEngine("hot", size_t{256} << 20, false);
    kv = OpenEngine("kv", 0, true);
    for (int inc = 0; inc < kIncludes; ++inc)
      BuildQueries(static_cast<Include>(inc));
    Validate();
  }

  static Query Listing(Include include) {
    Query q;
    q.type = "post";
    q.limit = kPageSize;
    if (include == kAuthor) q.include = {"author"};
    if (include == kBoth) q.include = {"author", "category"};
    return q;
  }

  void Seed() {
    folio::Options options;
    options.data_dir = (root / "seed").string();
    options.db_path = db_path;
    options.l2_enabled = false;
    options.durable_writes = false;
    auto engine = Must(Engine::Open(options), "open seed engine");
    for (
        const char* json :
        {R"({"id":"person","queryableFields":[]})", R"({"id":"category","queryableFields":[]})",
         R"({"id":"post","queryableFields":[{"name":"author","kind":"reference"},)"
         R"({"name":"category","kind":"reference"},)"
         R"({"name":"views","kind":"scalar","type":"integer"}],"settings":{"versioning":true}})"}) {
      auto type = Must(folio::storage::ParseTypeJson(json), "parse type");
      Must(engine->RegisterType(type), "register " + type.id);
    }
    auto create = [&](const std::string& type, int n, auto data_of) {
      std::vector<folio::storage::WriteOp> batch;
      for (int i = 0; i < n; ++i) {
        folio::storage::DocumentFields fields;
        fields.title = type + " " + std::to_string(i);
        batch.push_back(folio::storage::CreateOp{"default", type, data_of(i), fields});
      }
      std::vector<std::string> roots;
      for (const auto& r : Must(engine->WriteBatch(batch), "create " + type))
        roots.push_back(r.document.root_id);
      batch.clear();
      for (const auto& id : roots) {
        batch.push_back(
            folio::storage::LifecycleOp{"default", id, folio::storage::LifecycleAction::kPublish});
      }
      Must(engine->WriteBatch(batch), "publish " + type);
      return roots;
    };
    const auto persons = create("person", kPersons, [](int i) {
      return nlohmann::json{{"name", "Author " + std::to_string(i)}, {"bio", Filler(240, i)}}
          .dump();
    });
    const auto categories = create("category", kCategories, [](int i) {
      return nlohmann::json{{"name", "Category " + std::to_string(i)},
                            {"description", Filler(100, i)}}
          .dump();
    });
    create("post", kPosts, [&](int i) {
      return nlohmann::json{{"author", persons[static_cast<size_t>(i % kPersons)]},
                            {"category", categories[static_cast<size_t>(i % kCategories)]},
                            {"views", i},
                            {"body", Filler(440, i)}}
          .dump();
    });
  }

  std::unique_ptr<Engine> OpenEngine(const std::string& name, size_t l1_bytes, bool l2) {
    folio::Options options;
    options.data_dir = (root / name).string();
    options.db_path = db_path;
    options.create_if_missing = false;
    options.l1_capacity_bytes = l1_bytes;
    options.l2_enabled = l2;
    return Must(Engine::Open(options), "open engine " + name);
  }

  void BuildQueries(Include include) {
    // Every page's query, walking the listing once.
    std::vector<Query> pages;
    Query q = Listing(include);
    for (;;) {
      pages.push_back(q);
      auto page = Must(store->List(q), "walk listing");
      if (!page.next_cursor) break;
      q.cursor = *page.next_cursor;
    }
    if (pages.size() != static_cast<size_t>(kPosts / kPageSize)) {
      Die("the listing has " + std::to_string(pages.size()) + " pages, expected " +
          std::to_string(kPosts / kPageSize));
    }
    queries[include][static_cast<int>(PageSet::kFirst)] = {pages.front()};
    for (int p : kDeepPages)
      queries[include][static_cast<int>(PageSet::kDeep)].push_back(
          pages[static_cast<size_t>(p - 1)]);
  }

  // Every page a benchmark reads: parsed and checked, and answered identically by the store,
  // the bare engine, the hot engine and the kv engine (which this warms: a second read must be
  // an L1 hit, and an L2 hit once the fills are written).
  void Validate() {
    for (int inc = 0; inc < kIncludes; ++inc) {
      for (int set = 0; set < 2; ++set) {
        for (const Query& q : queries[inc][set]) {
          auto page = Must(store->List(q), "store list");
          if (page.count != kPageSize) Die("a page has " + std::to_string(page.count) + " docs");
          if (!page.cacheable) Die("a page is not cacheable");
          CheckDocuments(page.documents_json, static_cast<Include>(inc));
          auto uncached = Must(bare->Query(q), "uncached query");
          auto first = Must(hot->Query(q), "hot warm-up");
          auto again = Must(hot->Query(q), "hot hit");
          auto kv_fill = Must(kv->Query(q), "kv warm-up");
          if (uncached.tier() != Tier::kDatabase || again.tier() != Tier::kMemory) {
            Die(std::string("tiers: uncached from ") + folio::TierName(uncached.tier()) +
                ", warmed from " + folio::TierName(again.tier()));
          }
          for (const PageRef* r : {&uncached, &first, &again, &kv_fill}) {
            if (r->documents_json() != page.documents_json || r->count() != kPageSize)
              Die("an engine's page differs from the store's");
          }
          expected_bytes[inc][set].push_back(page.documents_json.size());
          std::set<std::string> authors, categories;
          for (const auto& d : nlohmann::json::parse(page.documents_json)) {
            if (!d.contains("embedded")) continue;
            for (const auto& t : d["embedded"].value("author", nlohmann::json::array()))
              authors.insert(t.value("root_id", ""));
            for (const auto& t : d["embedded"].value("category", nlohmann::json::array()))
              categories.insert(t.value("root_id", ""));
          }
          if (set == 0) distinct_embedded[inc] = {authors.size(), categories.size()};
        }
      }
    }
    if (!kv->Stats().l2_available) Die("the kv engine has no L2");
    kv->FlushFills();
    for (int inc = 0; inc < kIncludes; ++inc) {
      for (int set = 0; set < 2; ++set) {
        for (size_t k = 0; k < queries[inc][set].size(); ++k) {
          auto hit = Must(kv->Query(queries[inc][set][k]), "kv hit");
          if (hit.tier() != Tier::kKv || hit.documents_json().size() != expected_bytes[inc][set][k])
            Die(std::string("kv engine: answered from ") + folio::TierName(hit.tier()));
        }
      }
    }
    for (int inc = 0; inc < kIncludes; ++inc) {
      std::fprintf(stderr,
                   "expand_bench: %-6s page 1: %zu bytes of documents JSON; embeds %zu distinct "
                   "authors, %zu distinct categories\n",
                   kIncludeNames[inc], expected_bytes[inc][0].front(), distinct_embedded[inc].first,
                   distinct_embedded[inc].second);
    }
  }

  static void CheckDocuments(const std::string& text, Include include) {
    const auto docs = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!docs.is_array() || docs.size() != static_cast<size_t>(kPageSize))
      Die("the page is not an array of 20 documents");
    for (const auto& d : docs) {
      if (d.value("type", "") != "post" || d.value("status", "") != "published")
        Die("a listed document is not a published post");
      const auto& data = d.at("data");
      if (include == kPlain) {
        if (d.contains("embedded")) Die("a page without include embeds");
        continue;
      }
      if (!d.contains("embedded") || !d["embedded"].is_object())
        Die("a listed document has no \"embedded\" object");
      const auto& embedded = d["embedded"];
      if (embedded.size() != (include == kBoth ? 2u : 1u))
        Die("\"embedded\" has other fields than the included ones: " + embedded.dump());
      for (const char* field : {"author", "category"}) {
        if (include == kAuthor && std::string(field) == "category") continue;
        const char* type = std::string(field) == "author" ? "person" : "category";
        if (!embedded.contains(field) || !embedded[field].is_array() ||
            embedded[field].size() != 1) {
          Die(std::string("embedded.") + field +
              " is not an array of one document: " + embedded.dump());
        }
        const auto& target = embedded[field][0];
        if (target.value("root_id", "") != data.value(field, "") ||
            target.value("type", "") != type || !target.contains("data")) {
          Die(std::string("embedded.") + field + " is not the referenced " + type);
        }
      }
    }
  }
};

void BM_Page(benchmark::State& state, Source source, Include include, PageSet set) {
  Fixture& f = Fixture::Get();
  const std::vector<Query>& qs = f.queries[include][static_cast<int>(set)];
  const std::vector<size_t>& want = f.expected_bytes[include][static_cast<int>(set)];
  size_t i = 0;
  double doc_bytes = 0, stored_bytes = 0;
  for (auto _ : state) {
    const size_t k = i++ % qs.size();
    if (source == Source::kStore) {
      auto page = f.store->List(qs[k]);
      if (!page.ok() || page->count != kPageSize || page->documents_json.size() != want[k]) {
        state.SkipWithError(page.ok() ? "wrong page" : page.status().ToString().c_str());
        break;
      }
      doc_bytes += static_cast<double>(page->documents_json.size());
      benchmark::DoNotOptimize(page);
    } else {
      Engine& engine = source == Source::kL1 ? *f.hot : source == Source::kL2 ? *f.kv : *f.bare;
      auto page = engine.Query(qs[k]);
      const Tier tier = source == Source::kL1   ? Tier::kMemory
                        : source == Source::kL2 ? Tier::kKv
                                                : Tier::kDatabase;
      if (!page.ok() || page->tier() != tier || page->count() != kPageSize ||
          page->documents_json().size() != want[k]) {
        state.SkipWithError(page.ok() ? "wrong page or tier" : page.status().ToString().c_str());
        break;
      }
      doc_bytes += static_cast<double>(page->documents_json().size());
      stored_bytes += static_cast<double>(page->bytes()->size());
      benchmark::DoNotOptimize(page);
    }
  }
  const double n = static_cast<double>(state.iterations());
  state.counters["page_bytes"] = n > 0 ? doc_bytes / n : 0;
  if (source != Source::kStore) state.counters["stored_bytes"] = n > 0 ? stored_bytes / n : 0;
  state.SetItemsProcessed(state.iterations());
}

// Registered in main() as BM_Page/<store|uncached|l1>/<plain|author|both>/<first|deep>.
void RegisterAll() {
  const std::pair<const char*, Source> sources[] = {{"store", Source::kStore},
                                                    {"uncached", Source::kUncached},
                                                    {"l1", Source::kL1},
                                                    {"l2", Source::kL2}};
  for (const auto& [source_name, source] : sources) {
    for (const PageSet set : {PageSet::kFirst, PageSet::kDeep}) {
      for (const Include include : {kPlain, kAuthor, kBoth}) {
        const std::string name = std::string("BM_Page/") + source_name + "/" +
                                 kIncludeNames[include] + "/" +
                                 (set == PageSet::kFirst ? "first" : "deep");
        benchmark::RegisterBenchmark(name.c_str(), BM_Page, source, include, set)
            ->Unit(source == Source::kL1 ? benchmark::kNanosecond : benchmark::kMicrosecond);
      }
    }
  }
}

// ---- Summary -------------------------------------------------------------------------------

struct Measured {
  double real_ns = 0;
  double cpu_ns = 0;
  std::map<std::string, double> counters;
};

// Per benchmark name: the median aggregate when there are repetitions, else the single run.
std::map<std::string, Measured>& Results() {
  static std::map<std::string, Measured> results;
  return results;
}

class CapturingReporter : public benchmark::ConsoleReporter {
 public:
  using benchmark::ConsoleReporter::ConsoleReporter;
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& run : runs) {
      if (run.error_occurred || run.iterations == 0) continue;
      const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      if (run.run_type == Run::RT_Iteration && run.repetitions <= 1) {
        Record(run.benchmark_name(), run);
      } else if (median) {
        Record(run.run_name.str(), run);
      }
    }
    benchmark::ConsoleReporter::ReportRuns(runs);
  }

 private:
  static void Record(const std::string& name, const Run& run) {
    Measured m;
    m.real_ns = run.real_accumulated_time * 1e9 / static_cast<double>(run.iterations);
    m.cpu_ns = run.cpu_accumulated_time * 1e9 / static_cast<double>(run.iterations);
    for (const auto& [counter, value] : run.counters)
      m.counters[counter] = value.value;
    Results()[name] = m;
  }
};

// The wall time of BM_Page/<name>, or its CPU time when `cpu`.
std::optional<double> TimeOf(const std::string& name, bool cpu) {
  auto it = Results().find("BM_Page/" + name);
  if (it == Results().end()) return std::nullopt;
  return cpu ? it->second.cpu_ns : it->second.real_ns;
}

std::optional<double> BytesOf(const std::string& name) {
  auto it = Results().find("BM_Page/" + name);
  if (it == Results().end()) return std::nullopt;
  auto c = it->second.counters.find("page_bytes");
  if (c == it->second.counters.end()) return std::nullopt;
  return c->second;
}

std::optional<double> Ratio(std::optional<double> num, std::optional<double> den) {
  if (!num || !den || *den <= 0) return std::nullopt;
  return *num / *den;
}

std::string Format(std::optional<double> v, const char* fmt) {
  if (!v) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, *v);
  return buf;
}

std::optional<double> Micros(std::optional<double> ns) {
  if (!ns) return std::nullopt;
  return *ns / 1e3;
}

void PrintSummary(bool cpu) {
  std::fprintf(stderr,
               "\nexpand_bench summary: %d posts, %d persons, %d categories; pages of %d; %s "
               "time per page (the median of the repetitions when repeated)\n",
               kPosts, kPersons, kCategories, kPageSize, cpu ? "CPU" : "wall");
  for (const char* set : {"first", "deep"}) {
    const std::string s = set;
    auto time = [&](const char* source, const char* include) {
      return TimeOf(std::string(source) + "/" + include + "/" + s, cpu);
    };
    std::fprintf(stderr, "\n  pages: %s (%s time)\n", set, cpu ? "CPU" : "wall");
    std::fprintf(stderr, "    %-40s %12s %12s %12s\n", "", "plain", "author", "both");
    const std::pair<const char*, const char*> rows[] = {
        {"store", "DocumentStore::List (us)"},
        {"uncached", "engine, L1 0, L2 off: a, -, b (us)"},
        {"l1", "engine, L1 hit: c, -, d (us)"},
        {"l2", "engine, L2 hit, L1 off (us)"}};
    for (const auto& [source, what] : rows) {
      std::fprintf(stderr, "    %-40s %12s %12s %12s\n", what,
                   Format(Micros(time(source, "plain")), "%.3f").c_str(),
                   Format(Micros(time(source, "author")), "%.3f").c_str(),
                   Format(Micros(time(source, "both")), "%.3f").c_str());
    }
    std::fprintf(stderr, "    %-40s %12s %12s %12s\n", "documents JSON per page (bytes)",
                 Format(BytesOf("store/plain/" + s), "%.0f").c_str(),
                 Format(BytesOf("store/author/" + s), "%.0f").c_str(),
                 Format(BytesOf("store/both/" + s), "%.0f").c_str());
    const auto a = time("uncached", "plain"), b = time("uncached", "both");
    const auto c = time("l1", "plain"), d = time("l1", "both");
    const auto a_store = time("store", "plain"), b_store = time("store", "both");
    const auto author = time("uncached", "author");
    auto row = [](const char* what, std::optional<double> v, const char* fmt) {
      std::fprintf(stderr, "      %-62s %10s\n", what, Format(v, fmt).c_str());
    };
    std::fprintf(stderr, "    ratios\n");
    row("b/a  expansion on an uncached engine read", Ratio(b, a), "%.2fx");
    row("     the same on DocumentStore::List", Ratio(b_store, a_store), "%.2fx");
    row("     include=author only / plain (uncached engine)", Ratio(author, a), "%.2fx");
    row("d/c  expansion on an L1 hit", Ratio(d, c), "%.2fx");
    row("b/d  uncached expanded page / cached expanded page", Ratio(b, d), "%.0fx");
    row("a/c  uncached plain page / cached plain page", Ratio(a, c), "%.0fx");
    row("a/d  uncached plain page / cached expanded page", Ratio(a, d), "%.0fx");
    row("L2 hit: both / plain", Ratio(time("l2", "both"), time("l2", "plain")), "%.2fx");
    row("bytes: both / plain", Ratio(BytesOf("store/both/" + s), BytesOf("store/plain/" + s)),
        "%.2fx");
    if (a && b) {
      row("uncached cost per embedded document, (b - a) / 40 (us)",
          std::optional((*b - *a) / 1e3 / (2.0 * kPageSize)), "%.2f");
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  Fixture::Get();  // seed, validate and warm before anything is timed
  RegisterAll();
  CapturingReporter reporter(isatty(STDOUT_FILENO) ? benchmark::ConsoleReporter::OO_ColorTabular
                                                   : benchmark::ConsoleReporter::OO_Tabular);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  // Wall time first (what a caller waits); CPU time (the benchmark thread's own) is steadier
  // when other processes share the cores.
  PrintSummary(false);
  PrintSummary(true);
  benchmark::Shutdown();
  return 0;
}
