// A property test of keyset pagination: random documents with many equal timestamps and sort
// values (and NULLs, and values of the wrong type), walked page by page with random limits,
// for every sort and direction, with and without filters, compared with a brute-force
// ordering from raw SQL on the same file and filters evaluated on the parsed data in the test.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

#include "store_fixture.h"

namespace folio::storage::testing {
namespace {

struct Scope {
  std::string tenant, type, locale;
};

struct FilterCase {
  std::string name;
  std::vector<FieldFilter> filters;
  std::vector<FacetFilter> facets;
  // The same condition, evaluated on the document's data.
  std::function<bool(const json&)> matches;
};

bool HasTag(const json& d, const std::string& tag) {
  auto it = d.find("tags");
  if (it == d.end() || !it->is_array()) return false;
  for (const auto& t : *it) {
    if (t.is_string() && t.get<std::string>() == tag) return true;
  }
  return false;
}

bool IntField(const json& d, const char* name, int64_t* out) {
  auto it = d.find(name);
  if (it == d.end() || !it->is_number_integer()) return false;
  *out = it->get<int64_t>();
  return true;
}

class PaginationPropertyTest : public ::testing::TestWithParam<uint32_t> {
 protected:
  void SetUp() override {
    StoreOptions options;
    options.path = (dir_.path() / "folio.sqlite").string();
    options.clock = &clock_;
    options.keep_versions = 3;
    auto store = DocumentStore::Open(options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    TypeDefinition article;
    article.id = "article";
    article.fields = {{"rank", FieldKind::kInteger},
                      {"category", FieldKind::kText},
                      {"score", FieldKind::kNumber}};
    article.facets = {"tags"};
    FOLIO_ASSERT_OK(store_->RegisterType(article));
    TypeDefinition note;
    note.id = "note";
    note.fields = {{"rank", FieldKind::kInteger}, {"label", FieldKind::kText}};
    note.facets = {"tags"};
    FOLIO_ASSERT_OK(store_->RegisterType(note));
    raw_ = std::make_unique<RawDb>(options.path);
  }
  void TearDown() override {
    raw_.reset();
    store_.reset();
  }

  json RandomData(const std::string& type) {
    json d = json::object();
    d["title"] = "doc " + std::to_string(rng_() % 1000);
    auto pct = [&] { return static_cast<int>(rng_() % 100); };
    if (type == "article") {
      if (pct() >= 15) d["rank"] = static_cast<int64_t>(rng_() % 12);
      int c = pct();
      if (c < 10)
        d["category"] = nullptr;  // explicit null: NULL like a missing key
      else if (c >= 20)
        d["category"] = std::vector<const char*>{"alpha", "beta", "gamma", "delta"}[rng_() % 4];
      if (pct() >= 30) d["score"] = std::vector<double>{0.5, 1.0, 2.25, -3.0}[rng_() % 4];
    } else {
      // Values of every JSON type in an integer column: the keyset must follow SQLite's order
      // across NULL < INTEGER/REAL < TEXT < BLOB.
      switch (rng_() % 9) {
        case 0:
          break;
        case 1:
          d["rank"] = nullptr;
          break;
        case 2:
          d["rank"] = "abc";
          break;
        case 3:
          d["rank"] = "7";
          break;
        case 4:
          d["rank"] = 3.5;
          break;
        case 5:
          d["rank"] = true;
          break;
        case 6:
          d["rank"] = json::array({1});
          break;
        default:
          d["rank"] = static_cast<int64_t>(rng_() % 5);
          break;
      }
      if (pct() >= 25) d["label"] = std::string(1, static_cast<char>('a' + rng_() % 3));
    }
    json tags = json::array();
    for (const char* t : {"x", "y", "z"}) {
      if (pct() < 40) tags.push_back(t);
    }
    d["tags"] = tags;
    return d;
  }

  void Populate() {
    const int n = 300 + static_cast<int>(rng_() % 301);
    std::vector<std::pair<std::string, std::string>> roots;  // (tenant, root)
    for (int i = 0; i < n; ++i) {
      if (rng_() % 100 < 12) clock_.AdvanceSeconds(1);  // most timestamps are shared
      std::string tenant = rng_() % 100 < 75 ? "t1" : "t2";
      std::string type = rng_() % 100 < 70 ? "article" : "note";
      DocumentFields fields;
      if (rng_() % 100 < 15) fields.locale = "fr";
      auto created = Must(WriteAsForeignProgram(
          *store_, *raw_, CreateOp{tenant, type, RandomData(type).dump(), fields}));
      roots.emplace_back(tenant, created.document.root_id);
      if (rng_() % 100 < 70) {
        Must(store_->Apply(
            LifecycleOp{tenant, created.document.root_id, LifecycleAction::kPublish}));
      }
      types_[created.document.root_id] = type;
    }
    // A second round: updates (some republished), unpublishes and deletes, so the two axes
    // differ and timestamps move for some documents only.
    for (const auto& [tenant, root] : roots) {
      int p = static_cast<int>(rng_() % 100);
      if (rng_() % 100 < 10) clock_.AdvanceSeconds(1);
      if (p < 30) {
        Must(WriteAsForeignProgram(*store_, *raw_,
                                   UpdateOp{tenant, root, RandomData(types_[root]).dump(), {}}));
        if (rng_() % 2) Must(store_->Apply(LifecycleOp{tenant, root, LifecycleAction::kPublish}));
      } else if (p < 35) {
        Must(store_->Apply(LifecycleOp{tenant, root, LifecycleAction::kUnpublish}));
      } else if (p < 40) {
        Must(store_->Apply(LifecycleOp{tenant, root, LifecycleAction::kDelete}));
      } else if (p < 45) {
        Must(store_->Patch(PatchOp{tenant, root, R"({"rank":null})", {}}));
      }
    }
  }

  // The expected ids, in order: raw SQL orders the rows (ties by id), the test filters them.
  std::vector<std::string> Expected(const Scope& scope, Axis axis, const std::string& sort_column,
                                    SortOrder order, const FilterCase& filter) {
    const char* dir = order == SortOrder::kDesc ? "DESC" : "ASC";
    std::string sql =
        "SELECT id, data FROM documents WHERE tenant_id = ?1 AND type_id = ?2 AND "
        "locale = ?3 AND deleted_at IS NULL AND ";
    sql += axis == Axis::kPublished ? "is_published = 1" : "is_current_draft = 1";
    sql += " ORDER BY " + sort_column + " " + dir + ", id " + dir;
    std::vector<std::string> out;
    for (const auto& row : raw_->Rows(sql, {scope.tenant, scope.type, scope.locale})) {
      if (filter.matches(json::parse(row[1]))) out.push_back(row[0]);
    }
    return out;
  }

  std::vector<FilterCase> Filters(const std::string& type) {
    std::vector<FilterCase> out;
    out.push_back({"none", {}, {}, [](const json&) { return true; }});
    out.push_back({"facet x", {}, {{"tags", "x"}}, [](const json& d) { return HasTag(d, "x"); }});
    if (type == "article") {
      out.push_back({"rank >= 5",
                     {{"rank", FilterOp::kGte, {FilterValue(int64_t{5})}}},
                     {},
                     [](const json& d) {
                       int64_t v;
                       return IntField(d, "rank", &v) && v >= 5;
                     }});
      out.push_back({"category = beta",
                     {{"category", FilterOp::kEq, {FilterValue(std::string("beta"))}}},
                     {},
                     [](const json& d) {
                       auto it = d.find("category");
                       return it != d.end() && it->is_string() && *it == "beta";
                     }});
      out.push_back(
          {"rank in (1,3,9) and facet y",
           {{"rank",
             FilterOp::kIn,
             {FilterValue(int64_t{1}), FilterValue(int64_t{3}), FilterValue(int64_t{9})}}},
           {{"tags", "y"}},
           [](const json& d) {
             int64_t v;
             return IntField(d, "rank", &v) && (v == 1 || v == 3 || v == 9) && HasTag(d, "y");
           }});
    }
    return out;
  }

  TempDir dir_;
  ManualClock clock_;
  std::unique_ptr<DocumentStore> store_;
  std::unique_ptr<RawDb> raw_;
  std::mt19937 rng_{GetParam()};
  std::map<std::string, std::string> types_;
};

TEST_P(PaginationPropertyTest, EveryWalkVisitsEachMatchOnceInOrder) {
  ASSERT_NO_FATAL_FAILURE(Populate());
  const std::vector<Scope> scopes = {{"t1", "article", "default"},
                                     {"t2", "article", "default"},
                                     {"t1", "article", "fr"},
                                     {"t1", "note", "default"}};
  int walks = 0;
  size_t longest = 0;
  for (const Scope& scope : scopes) {
    std::vector<std::pair<std::string, std::string>> sorts = {{"updated_at", "updated_at"},
                                                              {"created_at", "created_at"}};
    if (scope.type == "article") {
      sorts.push_back({"rank", "q_article_rank"});
      sorts.push_back({"category", "q_article_category"});
      sorts.push_back({"score", "q_article_score"});
    } else {
      sorts.push_back({"rank", "q_note_rank"});
      sorts.push_back({"label", "q_note_label"});
    }
    for (Axis axis : {Axis::kPublished, Axis::kDraft}) {
      for (const auto& [sort, column] : sorts) {
        for (SortOrder order : {SortOrder::kDesc, SortOrder::kAsc}) {
          for (const FilterCase& filter : Filters(scope.type)) {
            SCOPED_TRACE(scope.tenant + "/" + scope.type + "/" + scope.locale + " " +
                         (axis == Axis::kPublished ? "published" : "draft") + " sort " + sort +
                         (order == SortOrder::kDesc ? " desc" : " asc") + " filter " + filter.name);
            Query q;
            q.tenant = scope.tenant;
            q.type = scope.type;
            q.locale = scope.locale;
            q.axis = axis;
            q.sort = sort;
            q.order = order;
            q.filters = filter.filters;
            q.facets = filter.facets;
            std::uniform_int_distribution<int> limit(1, 100);
            // Mostly small pages, so walks cross many ties; sometimes large ones.
            auto next_limit = [&] { return rng_() % 4 == 0 ? limit(rng_) : 1 + limit(rng_) % 9; };
            auto got = Field(WalkPages(*store_, q, next_limit), "id");
            auto expected = Expected(scope, axis, column, order, filter);
            ASSERT_EQ(got, expected);
            EXPECT_EQ(std::set<std::string>(got.begin(), got.end()).size(), got.size());
            longest = std::max(longest, got.size());
            ++walks;
          }
        }
      }
    }
  }
  EXPECT_GT(longest, 100u);  // the data really spans many pages
  RecordProperty("walks", walks);
}

TEST_P(PaginationPropertyTest, TimestampTiesAcrossEveryPageSize) {
  // Every document shares one timestamp: order is by id alone, and every limit must work.
  const int n = 40 + static_cast<int>(GetParam() % 20);
  std::vector<std::string> roots;
  for (int i = 0; i < n; ++i) {
    auto r = Must(store_->Create(CreateOp{"t1", "article", R"({"rank":1})", {}}));
    Must(store_->Apply(LifecycleOp{"t1", r.document.root_id, LifecycleAction::kPublish}));
  }
  for (SortOrder order : {SortOrder::kDesc, SortOrder::kAsc}) {
    Query q;
    q.tenant = "t1";
    q.type = "article";
    q.order = order;
    FilterCase all{"none", {}, {}, [](const json&) { return true; }};
    auto expected =
        Expected({"t1", "article", "default"}, Axis::kPublished, "updated_at", order, all);
    ASSERT_EQ(static_cast<int>(expected.size()), n);
    for (int limit = 1; limit <= n + 1; ++limit) {
      int pages = 0;
      auto got = Field(WalkPages(
                           *store_, q, [limit] { return limit; }, &pages),
                       "id");
      ASSERT_EQ(got, expected) << "limit " << limit;
      EXPECT_EQ(pages, (n + limit - 1) / limit) << "limit " << limit;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, PaginationPropertyTest,
                         ::testing::Values(1u, 7u, 42u, 2024u, 99991u));

}  // namespace
}  // namespace folio::storage::testing
