// Differential test: thousands of random writes and queries through an Engine; every page the
// engine serves (from whichever tier) must equal, byte for byte, what a separate DocumentStore
// opened on the same SQLite file answers to the same query at that moment.
//
// A ManualClock shared by both makes timestamps tie a lot (keyset ties on the sort key) and
// moves schedule windows (scheduled_at / expires_at) across boundaries between operations.
// L1 is small so pages are evicted and come back from L2. A second engine on the same data
// dir (what another folio process sees: its own L1, the shared L2 and epoch) reads and
// writes too, and another program rewrites documents' JSON with plain SQL; every page either
// engine answers must match the store after each of them.
//
// FOLIO_DIFFERENTIAL_OPS=<n> runs each seed for n operations instead (for long runs by hand).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "engine_test_util.h"
#include "folio/base/clock.h"
#include "folio/engine/engine.h"
#include "folio/storage/document_store.h"

namespace folio {
namespace {

using engine_testing::ComparePage;
using engine_testing::Must;
using engine_testing::TempDir;
using nlohmann::json;
using storage::FieldKind;

struct TypeSpec {
  std::string id;
  std::vector<std::pair<std::string, FieldKind>> fields;
  bool tags;
};

const std::vector<TypeSpec>& Types() {
  static const std::vector<TypeSpec> types = {
      {"post",
       {{"views", FieldKind::kInteger}, {"score", FieldKind::kNumber}, {"cat", FieldKind::kText}},
       true},
      {"page", {{"rank", FieldKind::kInteger}, {"cat", FieldKind::kText}}, true},
      {"note", {{"views", FieldKind::kInteger}}, false},
  };
  return types;
}

const char* const kTenants[] = {"default", "acme"};

struct DocRef {
  std::string tenant;
  std::string root_id;
  std::string type;
};

class Differential {
 public:
  Differential(uint32_t seed, bool l2_enabled, size_t l1_bytes)
      : rng_(seed), l2_enabled_(l2_enabled), l1_bytes_(l1_bytes) {}

  void Run(int operations) {
    if (const char* env = std::getenv("FOLIO_DIFFERENTIAL_OPS")) operations = std::atoi(env);
    Options options;
    options.data_dir = dir_.str();
    options.clock = &clock_;
    options.l1_capacity_bytes = l1_bytes_;
    options.l1_shard_bits = 0;
    options.l2_enabled = l2_enabled_;
    options.l2_map_size_bytes = 64 << 20;
    options.external_write_bound_micros = 2'000;
    engine_ = Must(Engine::Open(options), "open engine");
    second_ = Must(Engine::Open(options), "open second engine");
    for (const TypeSpec& t : Types()) {
      storage::TypeDefinition def;
      def.id = t.id;
      for (const auto& [name, kind] : t.fields)
        def.fields[name] = kind;
      if (t.tags) def.facets = {"tags"};
      // "post" references other documents (embedded with include=); "note" keeps SonicJS's
      // default of no versioning (drafts edited in place), the others a version per save.
      if (t.id == "post") {
        def.queryable_fields.push_back(
            {"author", storage::FieldRole::kReference, "", {}, "", storage::RefStrength::kStrong});
        def.queryable_fields.push_back({"related", storage::FieldRole::kReference});
      }
      if (t.id != "note") def.settings.versioning = true;
      Must(engine_->RegisterType(def), "register type");
    }
    storage::StoreOptions store_options;
    store_options.path = (dir_.path() / "folio.sqlite").string();
    store_options.create_if_missing = false;
    store_options.clock = &clock_;
    direct_ = Must(storage::DocumentStore::Open(store_options), "open direct store");

    for (int i = 0; i < 24; ++i)
      query_pool_.push_back(RandomQuery());

    for (int step = 0; step < operations && !::testing::Test::HasFailure(); ++step) {
      if (Chance(0.12)) clock_.AdvanceSeconds(1);
      if (Chance(0.05)) clock_.AdvanceMicros(Uniform(1, 999'999));
      int roll = Uniform(0, 99);
      // Either engine may act; both must agree with the store after every step.
      Engine& engine = Chance(0.7) ? *engine_ : *second_;
      if (roll < 27) {
        DoWrite(step, engine);
      } else if (roll < 28) {
        DoExternalWrite(step);
      } else if (roll < 95) {
        DoQuery(step, engine);
      } else {
        DoGet(step, engine);
      }
    }
    EngineStats stats = engine_->Stats();
    std::printf(
        "differential: %d queries (%d compared pages), %d writes; memory hits %llu, kv hits "
        "%llu, database reads %llu\n",
        queries_, compared_pages_, writes_, static_cast<unsigned long long>(stats.memory.hits),
        static_cast<unsigned long long>(stats.kv.hits),
        static_cast<unsigned long long>(stats.database.hits));
    // The test is only worth something if the caches answered often.
    if (l1_bytes_ > 0) {
      EXPECT_GT(stats.memory.hits, 100u);
    }
    if (l2_enabled_) {
      EXPECT_GT(stats.kv.hits, 0u);
    }
    EXPECT_GT(external_writes_, 0);
    second_.reset();
    engine_.reset();
    direct_.reset();
  }

 private:
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[static_cast<size_t>(Uniform(0, static_cast<int>(v.size()) - 1))];
  }

  // A document of `tenant` to reference, or "" when there is none yet.
  std::string RandomRoot(const std::string& tenant) {
    for (int tries = 0; tries < 8 && !docs_.empty(); ++tries) {
      const DocRef& d = Pick(docs_);
      if (d.tenant == tenant) return d.root_id;
    }
    return "";
  }

  std::string RandomData(const std::string& tenant = "default") {
    json d = json::object();
    if (Chance(0.5)) {
      if (std::string author = RandomRoot(tenant); !author.empty()) d["author"] = author;
    }
    if (Chance(0.4)) {
      json related = json::array();
      for (int i = Uniform(1, 2); i > 0; --i) {
        if (std::string root = RandomRoot(tenant); !root.empty()) related.push_back(root);
      }
      d["related"] = related;
    }
    if (Chance(0.85)) d["views"] = Uniform(0, 5);
    if (Chance(0.85)) d["rank"] = Uniform(0, 4);
    if (Chance(0.8)) d["score"] = Uniform(0, 6) / 2.0;
    if (Chance(0.8)) d["cat"] = std::string(1, static_cast<char>('a' + Uniform(0, 2)));
    if (Chance(0.8)) {
      json tags = json::array();
      for (const char* t : {"x", "y", "z"}) {
        if (Chance(0.4)) tags.push_back(t);
      }
      d["tags"] = tags;
    }
    d["n"] = Uniform(0, 1'000'000);
    return d.dump();
  }

  storage::Principal RandomPrincipal() {
    storage::Principal p;
    switch (Uniform(0, 4)) {
      case 0:
      case 1:
        break;  // anonymous
      case 2:
        p.user_id = "alice";
        p.roles = {"editor"};
        break;
      case 3:
        p.user_id = "bob";
        p.groups = {"g1"};
        break;
      case 4:
        p.user_id = "carol";
        break;
    }
    return p;
  }

  storage::FilterValue RandomValue(FieldKind kind) {
    switch (kind) {
      case FieldKind::kText:
        return std::string(1, static_cast<char>('a' + Uniform(0, 3)));
      case FieldKind::kNumber:
        return Uniform(0, 6) / 2.0;
      default:
        if (Chance(0.15)) return std::to_string(Uniform(0, 5));  // "3" against an INTEGER
        return static_cast<int64_t>(Uniform(0, 5));
    }
  }

  storage::Query RandomQuery() {
    storage::Query q;
    q.tenant = kTenants[Uniform(0, 1)];
    const TypeSpec& type = Types()[static_cast<size_t>(Uniform(0, 2))];
    q.type = type.id;
    if (Chance(0.1)) q.locale = "fr";
    q.axis = Chance(0.7) ? storage::Axis::kPublished : storage::Axis::kDraft;
    int filters = Chance(0.5) ? 0 : (Chance(0.8) ? 1 : 2);
    static const storage::FilterOp kOps[] = {storage::FilterOp::kEq, storage::FilterOp::kNe,
                                             storage::FilterOp::kLt, storage::FilterOp::kGte,
                                             storage::FilterOp::kIn};
    for (int i = 0; i < filters; ++i) {
      const auto& [field, kind] = Pick(type.fields);
      storage::FieldFilter f;
      f.field = field;
      f.op = kOps[Uniform(0, 4)];
      int n = f.op == storage::FilterOp::kIn ? Uniform(1, 3) : 1;
      for (int j = 0; j < n; ++j)
        f.values.push_back(RandomValue(kind));
      q.filters.push_back(std::move(f));
    }
    if (type.tags && Chance(0.25)) {
      q.facets.push_back({"tags", std::string(1, static_cast<char>('x' + Uniform(0, 2)))});
    }
    int sort = Uniform(0, 2);
    q.sort = sort == 0 ? "updated_at" : sort == 1 ? "created_at" : Pick(type.fields).first;
    q.order = Chance(0.6) ? storage::SortOrder::kDesc : storage::SortOrder::kAsc;
    static const int kLimits[] = {1, 2, 3, 5, 20, 100};
    q.limit = kLimits[Uniform(0, 5)];
    q.principal = RandomPrincipal();
    // The model's listings: by slug, the children of a document, embedded references.
    if (Chance(0.08)) q.slug = "s" + std::to_string(Uniform(0, 3));
    if (Chance(0.08)) {
      q.parent = Chance(0.3) ? "" : RandomRoot(q.tenant);
      q.sort = "sort_order";
    }
    if (type.id == "post" && Chance(0.3)) {
      q.include = Chance(0.5) ? std::vector<std::string>{"author"}
                              : std::vector<std::string>{"related", "author"};
    }
    return q;
  }

  // Another program changes the JSON that q_* columns read, on every row of a root; both
  // engines' pollers must find it within the bound.
  void DoExternalWrite(int step) {
    if (docs_.empty()) return;
    const DocRef& d = Pick(docs_);
    ++external_writes_;
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_.path() / "folio.sqlite").c_str(), &db), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    const std::string sql = "UPDATE documents SET data = json_set(data, '$.views', " +
                            std::to_string(Uniform(0, 5)) + ", '$.cat', '" +
                            std::string(1, static_cast<char>('a' + Uniform(0, 2))) +
                            "') WHERE root_id = '" + d.root_id + "'";
    char* error = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    sqlite3_close(db);
    ASSERT_EQ(rc, SQLITE_OK) << "step " << step << ": " << (error ? error : "");
    // What the pollers do within the bound (engine_invalidation_test checks that they do),
    // done now so that the comparison after this step is exact.
    ASSERT_TRUE(engine_->Refresh().ok());
    ASSERT_TRUE(second_->Refresh().ok());
  }

  void DoQuery(int step, Engine& engine) {
    storage::Query q;
    int roll = Uniform(0, 99);
    if (roll < 25 && !cursor_pool_.empty()) {
      q = Pick(cursor_pool_);  // a later page of an earlier listing, maybe after writes
    } else if (roll < 85) {
      q = Pick(query_pool_);
    } else {
      q = RandomQuery();
    }
    // Walk a few pages: page i+1 is asked right after page i.
    int pages = Chance(0.3) ? Uniform(2, 4) : 1;
    for (int i = 0; i < pages; ++i) {
      ++queries_;
      Result<PageRef> got = engine.Query(q);
      Result<storage::Page> want = direct_->List(q);
      std::string diff = ComparePage(got, want);
      ++compared_pages_;
      ASSERT_EQ(diff, "") << "step " << step << " page " << i << " query " << q.CanonicalKey()
                          << " limit " << q.limit << " cursor '" << q.cursor << "'";
      if (!got.ok() || !got->next_cursor()) break;
      q.cursor = std::string(*got->next_cursor());
      if (cursor_pool_.size() < 60) {
        cursor_pool_.push_back(q);
      } else {
        cursor_pool_[static_cast<size_t>(Uniform(0, 59))] = q;
      }
    }
  }

  void DoGet(int step, Engine& engine) {
    if (docs_.empty()) return;
    const DocRef& d = Pick(docs_);
    storage::Axis axis = Chance(0.5) ? storage::Axis::kPublished : storage::Axis::kDraft;
    storage::Principal p = RandomPrincipal();
    if (d.type == "post" && Chance(0.3)) {
      // A single read that embeds: the store's one-row listing of the root is the answer.
      auto got = engine.Get(d.tenant, d.root_id, axis, p, {"author", "related"});
      storage::Query q;
      q.tenant = d.tenant;
      q.type = d.type;
      q.axis = axis;
      q.principal = p;
      q.root = d.root_id;
      q.include = {"author", "related"};
      q.limit = 1;
      auto want = direct_->List(q);
      ASSERT_TRUE(want.ok()) << want.status().ToString();
      ASSERT_EQ(got.ok(), want->count == 1) << "step " << step << " get+include " << d.root_id
                                            << ": " << (got.ok() ? "ok" : got.status().ToString());
      if (got.ok()) {
        const std::string& docs = want->documents_json;
        ASSERT_EQ(got->json(), docs.substr(1, docs.size() - 2))
            << "step " << step << " get+include " << d.root_id;
      }
      return;
    }
    auto got = engine.Get(d.tenant, d.root_id, axis, p);
    auto want = direct_->Get(d.tenant, d.root_id, axis, p);
    ASSERT_EQ(got.ok(), want.ok()) << "step " << step << " get " << d.root_id << ": "
                                   << (got.ok() ? "ok" : got.status().ToString()) << " vs "
                                   << (want.ok() ? "ok" : want.status().ToString());
    if (got.ok()) {
      ASSERT_EQ(got->json(), want->ToJson()) << "step " << step << " get " << d.root_id;
    }
  }

  void DoWrite(int step, Engine& engine) {
    ++writes_;
    int roll = Uniform(0, 99);
    if (roll < 20 || docs_.size() < 5) {
      storage::CreateOp op;
      op.tenant = kTenants[Uniform(0, 1)];
      op.type = Types()[static_cast<size_t>(Uniform(0, 2))].id;
      op.data = RandomData(op.tenant);
      if (Chance(0.1)) op.fields.locale = "fr";
      if (Chance(0.3)) op.fields.slug = "s" + std::to_string(Uniform(0, 3));
      if (Chance(0.3)) {
        op.fields.parent_root_id = RandomRoot(op.tenant);
        op.fields.sort_order = Uniform(0, 4);
      }
      const int64_t now = clock_.NowSeconds();
      if (Chance(0.1)) op.fields.scheduled_at = now + Uniform(-1, 3);
      if (Chance(0.1)) op.fields.expires_at = now + Uniform(4, 8);
      auto r = engine.Write(op);
      // A slug another current draft of the type holds is a Conflict: nothing written.
      if (!r.ok() && r.status().IsConflict() && op.fields.slug) return;
      ASSERT_TRUE(r.ok()) << "step " << step << ": " << r.status().ToString();
      docs_.push_back({op.tenant, r->document.root_id, op.type});
      return;
    }
    const DocRef& d = Pick(docs_);
    Status s;
    if (roll < 30) {
      storage::UpdateOp op{d.tenant, d.root_id, RandomData(d.tenant), {}};
      if (Chance(0.2)) op.fields.sort_order = Uniform(0, 4);
      s = engine.Write(op).status();
    } else if (roll < 45) {
      json patch = json::object();
      switch (Uniform(0, 3)) {
        case 0:
          patch["views"] = Uniform(0, 5);
          break;
        case 1:
          patch["cat"] = nullptr;
          break;
        case 2:
          patch["tags"] = json::array({std::string(1, static_cast<char>('x' + Uniform(0, 2)))});
          break;
        case 3:
          patch["rank"] = Uniform(0, 4);
          break;
      }
      storage::PatchOp op{d.tenant, d.root_id, patch.dump(), {}};
      s = engine.Write(op).status();
    } else if (roll < 88) {
      static const storage::LifecycleAction kActions[] = {
          storage::LifecycleAction::kPublish,   storage::LifecycleAction::kPublish,
          storage::LifecycleAction::kPublish,   storage::LifecycleAction::kPublish,
          storage::LifecycleAction::kUnpublish, storage::LifecycleAction::kDelete,
          storage::LifecycleAction::kRestore};
      storage::LifecycleOp op{d.tenant, d.root_id, kActions[Uniform(0, 6)]};
      s = engine.Write(op).status();
    } else {
      std::vector<storage::PermissionRule> rules;
      if (Chance(0.5)) rules.push_back({"role", "editor", "read", "allow"});
      if (Chance(0.3)) rules.push_back({"user", "bob", "read", "deny"});
      if (Chance(0.3)) rules.push_back({"group", "g1", "read", "allow"});
      if (Chance(0.3)) rules.push_back({"public", "", "read", "allow"});
      if (Chance(0.2)) rules.push_back({"user", "carol", "read", "allow"});
      s = engine.SetPermissions(d.tenant, d.root_id, rules);
    }
    // Lifecycle moves that do not apply (restore of a live document, …) may fail; what
    // matters is that the queries afterwards agree with the store.
    (void)s;
  }

  TempDir dir_;
  ManualClock clock_;
  std::mt19937 rng_;
  bool l2_enabled_;
  size_t l1_bytes_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<Engine> second_;
  std::unique_ptr<storage::DocumentStore> direct_;
  std::vector<storage::Query> query_pool_;
  std::vector<storage::Query> cursor_pool_;
  std::vector<DocRef> docs_;
  int queries_ = 0, compared_pages_ = 0, writes_ = 0, external_writes_ = 0;
};

// 20,000 operations in CI over these seeds and configurations; more by hand with
// FOLIO_DIFFERENTIAL_OPS.
class EngineDifferentialSeeds : public ::testing::TestWithParam<uint32_t> {};

TEST_P(EngineDifferentialSeeds, RandomOperationsMatchTheStore) {
  Differential d(GetParam(), /*l2_enabled=*/true, /*l1_bytes=*/24 << 10);
  d.Run(4000);
}

INSTANTIATE_TEST_SUITE_P(Seeds, EngineDifferentialSeeds,
                         ::testing::Values(20240611u, 1u, 77u, 4242u));

TEST(EngineDifferentialTest, RandomOperationsMatchTheStoreWithoutL1) {
  // Every query goes to L2 or SQLite: L2 answers and fills are what is compared.
  Differential d(7, /*l2_enabled=*/true, /*l1_bytes=*/0);
  d.Run(2000);
}

TEST(EngineDifferentialTest, RandomOperationsMatchTheStoreWithoutL2) {
  Differential d(99, /*l2_enabled=*/false, /*l1_bytes=*/16 << 20);
  d.Run(2000);
}

}  // namespace
}  // namespace folio
