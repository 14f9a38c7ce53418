// redis_bench: an L2 hit through the engine (L1 disabled) next to a Redis GET of the same bytes
// over loopback (hiredis, one connection, one request at a time), in the same process and run.
//
// Pages: the first 64 pages of 20 (page 1, then pages 2..64 by keyset cursor) of the storage
// file that storage_bench, engine_bench and mix_bench share ($TMPDIR/folio_bench_storage_<N>
// .sqlite, N = FOLIO_BENCH_DOCS, default 100000; run mix_bench --prepare_only or engine_bench
// once to seed it). Each page's stored bytes, exactly as the engine returns them from L2, are
// SET into Redis under its own key; both benchmarks rotate through the 64 pages.
//
// Redis: --redis_port=P (or FOLIO_REDIS_PORT; default 6379) on 127.0.0.1. bench/run.sh starts a
// redis-server of its own on a free port (no persistence) and stops it afterwards. Without a
// reachable server (or with --redis_port=0) the Redis benchmark is not registered and a message
// says why; the L2 hit is still measured.
#include <benchmark/benchmark.h>
#include <hiredis/hiredis.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "folio/engine/engine.h"
#include "folio/storage/document_store.h"
#include "folio/tools/seed.h"

namespace {

using folio::Engine;
using folio::Tier;
using folio::storage::Query;

constexpr int kPageSize = 20;
constexpr int kPages = 64;

int g_redis_port = 6379;

[[noreturn]] void Die(const std::string& why) {
  std::fprintf(stderr, "redis_bench: %s\n", why.c_str());
  std::exit(1);
}

struct Fixture {
  std::filesystem::path root;
  std::unique_ptr<Engine> kv_only;  // L1 off, L2 on
  std::vector<Query> pages;
  std::vector<std::string> bytes;  // each page's stored bytes, as an L2 hit returns them
  redisContext* redis = nullptr;
  std::string redis_error;

  static Fixture& Get() {
    static Fixture f;
    return f;
  }

  ~Fixture() {
    if (redis != nullptr) {
      for (int i = 0; i < kPages; ++i) {
        auto* r = static_cast<redisReply*>(redisCommand(redis, "DEL folio:bench:page:%d", i));
        if (r != nullptr) freeReplyObject(r);
      }
      redisFree(redis);
    }
    kv_only.reset();
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
  }

 private:
  Fixture() {
    const char* env = std::getenv("FOLIO_BENCH_DOCS");
    const long long docs = env != nullptr ? std::atoll(env) : 100000;
    const auto db = std::filesystem::temp_directory_path() /
                    ("folio_bench_storage_" + std::to_string(docs) + ".sqlite");
    if (!std::filesystem::exists(db.string() + ".ready")) {
      Die(db.string() + " is not seeded; run mix_bench --prepare_only (or engine_bench) first");
    }
    std::string tmpl = (std::filesystem::temp_directory_path() / "folio_redis_bench_XXXXXX");
    if (::mkdtemp(tmpl.data()) == nullptr) Die("cannot create a temp dir");
    root = tmpl;

    folio::Options options;
    options.data_dir = (root / "kv_only").string();
    options.db_path = db.string();
    options.create_if_missing = false;
    options.l1_capacity_bytes = 0;
    auto engine = Engine::Open(options);
    if (!engine.ok()) Die(engine.status().ToString());
    kv_only = std::move(*engine);

    Query q;
    q.type = folio::tools::SeedTypeIds(1).front();
    q.limit = kPageSize;
    for (int i = 0; i < kPages; ++i) {
      auto page = kv_only->Query(q);
      if (!page.ok()) Die(page.status().ToString());
      pages.push_back(q);
      bytes.push_back(*page->bytes());
      if (!page->next_cursor()) Die("the listing has fewer than 64 pages");
      q.cursor = std::string(*page->next_cursor());
    }
    kv_only->FlushFills();
    for (const Query& p : pages) {
      auto page = kv_only->Query(p);
      if (!page.ok() || page->tier() != Tier::kKv) Die("a warmed page was not an L2 hit");
    }
    std::fprintf(stderr, "redis_bench: %d pages, page 1 is %zu bytes\n", kPages, bytes[0].size());

    if (g_redis_port == 0) {
      redis_error = "no redis-server was started (--redis_port=0)";
      return;
    }
    struct timeval timeout = {2, 0};
    redis = redisConnectWithTimeout("127.0.0.1", g_redis_port, timeout);
    if (redis == nullptr || redis->err != 0) {
      redis_error = "no redis-server on 127.0.0.1:" + std::to_string(g_redis_port) + " (" +
                    (redis != nullptr ? redis->errstr : "out of memory") + ")";
      if (redis != nullptr) redisFree(redis);
      redis = nullptr;
      return;
    }
    for (int i = 0; i < kPages; ++i) {
      const std::string& b = bytes[static_cast<size_t>(i)];
      auto* r = static_cast<redisReply*>(
          redisCommand(redis, "SET folio:bench:page:%d %b", i, b.data(), b.size()));
      if (r == nullptr || r->type == REDIS_REPLY_ERROR) {
        redis_error = std::string("SET failed: ") + (r != nullptr ? r->str : redis->errstr);
        if (r != nullptr) freeReplyObject(r);
        redisFree(redis);
        redis = nullptr;
        return;
      }
      freeReplyObject(r);
    }
  }
};

void BM_L2Hit(benchmark::State& state) {
  Fixture& f = Fixture::Get();
  size_t i = 0;
  size_t bytes = 0;
  for (auto _ : state) {
    auto page = f.kv_only->Query(f.pages[i++ % kPages]);
    if (!page.ok() || page->tier() != Tier::kKv) {
      state.SkipWithError("not an L2 hit");
      break;
    }
    bytes = page->bytes()->size();
    benchmark::DoNotOptimize(page);
  }
  state.counters["page_bytes"] = static_cast<double>(bytes);
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("Engine::Query, L1 off: LMDB get, copy out");
}

void BM_RedisGet(benchmark::State& state) {
  Fixture& f = Fixture::Get();
  size_t i = 0;
  size_t bytes = 0;
  for (auto _ : state) {
    const size_t k = i++ % kPages;
    auto* r = static_cast<redisReply*>(redisCommand(f.redis, "GET folio:bench:page:%d", k));
    if (r == nullptr || r->type != REDIS_REPLY_STRING || r->len != f.bytes[k].size()) {
      if (r != nullptr) freeReplyObject(r);
      state.SkipWithError("Redis GET failed or returned other bytes");
      break;
    }
    bytes = r->len;
    benchmark::DoNotOptimize(r->str);
    freeReplyObject(r);
  }
  state.counters["page_bytes"] = static_cast<double>(bytes);
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("hiredis GET of the same bytes, 127.0.0.1");
}

}  // namespace

int main(int argc, char** argv) {
  if (const char* env = std::getenv("FOLIO_REDIS_PORT")) g_redis_port = std::atoi(env);
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--redis_port=", 13) == 0) {
      g_redis_port = std::atoi(argv[i] + 13);
    } else {
      argv[out++] = argv[i];
    }
  }
  argc = out;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  Fixture& f = Fixture::Get();
  benchmark::RegisterBenchmark("L2Hit", BM_L2Hit)->Unit(benchmark::kMicrosecond);
  if (f.redis != nullptr) {
    benchmark::RegisterBenchmark("RedisGet", BM_RedisGet)->Unit(benchmark::kMicrosecond);
  } else {
    std::fprintf(stderr, "redis_bench: %s: the Redis GET baseline is skipped\n",
                 f.redis_error.c_str());
    benchmark::AddCustomContext("redis_skipped", f.redis_error);
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
