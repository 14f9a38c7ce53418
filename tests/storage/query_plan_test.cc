// EXPLAIN QUERY PLAN of the listings: each uses its keyset index, with no full scan of
// documents and no temp B-tree for the ORDER BY, on the first page and deep pages alike.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "store_fixture.h"

namespace folio::storage::testing {
namespace {

std::string Joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines)
    out += "  " + l + "\n";
  return out;
}

bool AnyStartsWith(const std::vector<std::string>& lines, const std::string& prefix) {
  for (const auto& l : lines) {
    if (l.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

class QueryPlanTest : public StoreTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StoreTest::SetUp());
    // A few hundred rows over two tenants, a second type and a second locale, with versions,
    // facets and permission rows, so the planner has real choices to make.
    TypeDefinition page;
    page.id = "page";
    page.fields = {{"views", FieldKind::kInteger}};
    FOLIO_ASSERT_OK(store_->RegisterType(page));
    std::mt19937 rng(5);
    for (int i = 0; i < 240; ++i) {
      if (i % 5 == 0) clock_.AdvanceSeconds(1);
      std::string tenant = i % 4 == 0 ? "other" : "default";
      json data = {{"views", static_cast<int64_t>(rng() % 50)},
                   {"category", std::string(1, static_cast<char>('a' + rng() % 5))},
                   {"tags", {std::string(1, static_cast<char>('x' + rng() % 3))}}};
      DocumentFields fields;
      if (i % 7 == 0) fields.locale = "fr";
      std::string root =
          Must(store_->Create(CreateOp{tenant, i % 6 == 0 ? "page" : "post", data.dump(), fields}))
              .document.root_id;
      if (i % 3 != 0) Publish(root, tenant);
      if (i % 4 == 1) Update(root, data, tenant);
      if (i % 10 == 0) {
        FOLIO_ASSERT_OK(
            store_->SetPermissions(tenant, root, {{"role", "editor", "read", "allow"}}));
      }
    }
  }

  // The plan of `q`, checked for the index and against full scans and temp B-trees. Also
  // checks the plan of a deep page (with a cursor) of the same query.
  void ExpectPlan(Query q, const std::string& index) {
    std::set<std::string> first_page_searches;
    for (int deep = 0; deep < 2; ++deep) {
      if (deep) {
        q.limit = 5;
        auto page = Must(store_->List(q));
        ASSERT_TRUE(page.next_cursor) << "need a second page to explain";
        q.cursor = *page.next_cursor;
      }
      auto plan = Must(store_->ExplainList(q));
      SCOPED_TRACE((deep ? "deep page plan:\n" : "first page plan:\n") + Joined(plan));
      EXPECT_TRUE(AnyStartsWith(plan, "SEARCH d USING INDEX " + index + " ") ||
                  AnyStartsWith(plan, "SEARCH d USING COVERING INDEX " + index + " "))
          << "expected index " << index;
      for (const auto& line : plan) {
        if (line.rfind("SEARCH d ", 0) == 0) {
          // Keyset: a deep page seeks to where the previous one ended, so each of its searches
          // of documents is narrower than the first page's.
          if (!deep) first_page_searches.insert(line);
          if (deep) {
            EXPECT_EQ(first_page_searches.count(line), 0u) << "deep page does not seek: " << line;
          }
        }
        EXPECT_EQ(line.find("TEMP B-TREE"), std::string::npos) << line;
        EXPECT_NE(line, "SCAN d") << "full scan of documents";
        EXPECT_EQ(line.rfind("SCAN d ", 0), std::string::npos) << "scan of documents: " << line;
        EXPECT_EQ(line.rfind("SCAN p", 0), std::string::npos) << "scan of permissions: " << line;
        EXPECT_EQ(line.rfind("SCAN f", 0), std::string::npos) << "scan of facets: " << line;
      }
    }
  }
};

TEST_F(QueryPlanTest, DefaultPublishedListingUsesThePublishedKeysetIndex) {
  ExpectPlan(PostQuery(Axis::kPublished), "idx_documents_published_keyset");
}

TEST_F(QueryPlanTest, AscendingOrderAvoidsATempBTree) {
  Query q = PostQuery(Axis::kPublished);
  q.order = SortOrder::kAsc;
  ExpectPlan(q, "idx_documents_published_keyset");
}

TEST_F(QueryPlanTest, CreatedAtSortUsesItsIndexBothWays) {
  for (SortOrder order : {SortOrder::kDesc, SortOrder::kAsc}) {
    Query q = PostQuery(Axis::kPublished);
    q.sort = "created_at";
    q.order = order;
    ExpectPlan(q, "idx_documents_published_created");
  }
}

TEST_F(QueryPlanTest, DraftListingsUseTheDraftIndexes) {
  Query q = PostQuery(Axis::kDraft);
  ExpectPlan(q, "idx_documents_draft_keyset");
  q.sort = "created_at";
  q.order = SortOrder::kAsc;
  ExpectPlan(q, "idx_documents_draft_created");
}

TEST_F(QueryPlanTest, EqFilterOnARegisteredFieldUsesItsIndexUnderEitherTimeSort) {
  for (auto [sort, index] : {std::pair{"updated_at", "idx_q_post_category"},
                             std::pair{"created_at", "idx_q_post_category_created"}}) {
    for (Axis axis : {Axis::kPublished, Axis::kDraft}) {
      for (SortOrder order : {SortOrder::kDesc, SortOrder::kAsc}) {
        Query q = PostQuery(axis);
        q.sort = sort;
        q.order = order;
        q.filters.push_back({"category", FilterOp::kEq, {FilterValue(std::string("b"))}});
        ExpectPlan(q, index);
      }
    }
  }
}

TEST_F(QueryPlanTest, SortByARegisteredFieldUsesItsSortIndex) {
  for (SortOrder order : {SortOrder::kDesc, SortOrder::kAsc}) {
    Query q = PostQuery(Axis::kPublished);
    q.sort = "views";
    q.order = order;
    ExpectPlan(q, "idx_q_post_views_sort");
  }
}

TEST_F(QueryPlanTest, CursorsInsideTheNullBlockStillSeek) {
  // A tenant whose documents mostly lack the sort field: a page boundary inside the NULLs
  // (first in ASC, last in DESC) must still seek, not scan from the start.
  for (int i = 0; i < 12; ++i) {
    Publish(Create(i < 3 ? json{{"views", i}} : json{{"other", i}}, "nulls"), "nulls");
  }
  for (SortOrder order : {SortOrder::kAsc, SortOrder::kDesc}) {
    Query q = PostQuery(Axis::kPublished, "nulls");
    q.sort = "views";
    q.order = order;
    q.limit = 5;  // ASC: 5 NULLs; DESC: 3 values then 2 NULLs
    auto page = Must(store_->List(q));
    ASSERT_TRUE(page.next_cursor);
    EXPECT_TRUE(json::parse(page.documents_json).back()["data"].contains("other"));
    ExpectPlan(q, "idx_q_post_views_sort");
    q.cursor = *page.next_cursor;
    auto plan = Must(store_->ExplainList(q));
    for (const auto& line : plan) {
      EXPECT_EQ(line.find("TEMP B-TREE"), std::string::npos) << Joined(plan);
      EXPECT_NE(line, "SEARCH d USING INDEX idx_q_post_views_sort (tenant_id=?)") << Joined(plan);
    }
    auto rest = ListAll(*store_, q);
    EXPECT_EQ(rest.size(), 7u);
  }
}

TEST_F(QueryPlanTest, FacetFilterAndPrincipalStayIndexed) {
  Query q = PostQuery(Axis::kPublished);
  q.facets.push_back({"tags", "x"});
  Principal p;
  p.user_id = "u1";
  p.roles = {"editor"};
  p.groups = {"g"};
  q.principal = p;
  ExpectPlan(q, "idx_documents_published_keyset");
  auto plan = Must(store_->ExplainList(q));
  EXPECT_TRUE(AnyStartsWith(plan, "SEARCH f USING COVERING INDEX idx_document_facets_document") ||
              AnyStartsWith(plan, "SEARCH f USING INDEX idx_document_facets_document"))
      << Joined(plan);
  EXPECT_TRUE(AnyStartsWith(plan, "SEARCH p USING")) << Joined(plan);
}

TEST_F(QueryPlanTest, RangeAndInFiltersUnderATimeSortWalkTheTimeIndex) {
  // The filter's own index cannot give time order: a range or an IN list would sort every
  // match on every page. The time index walks in order and filters as it goes.
  for (auto [sort, index] : {std::pair{"updated_at", "idx_documents_published_keyset"},
                             std::pair{"created_at", "idx_documents_published_created"}}) {
    for (FilterOp op : {FilterOp::kGte, FilterOp::kLt, FilterOp::kNe, FilterOp::kIn}) {
      Query q = PostQuery(Axis::kPublished);
      q.sort = sort;
      std::vector<FilterValue> values;
      for (int64_t v = 10; v < (op == FilterOp::kIn ? 40 : 11); ++v)
        values.emplace_back(v);
      q.filters.push_back({"views", op, std::move(values)});
      ExpectPlan(q, index);
    }
  }
}

TEST_F(QueryPlanTest, SlugChildrenAndRootReadsSeek) {
  for (int i = 0; i < 8; ++i) {
    DocumentFields f = Fields().Slug("s" + std::to_string(i));
    Publish(Create({{"views", i}}, "default", f));
  }
  const std::string parent = Create({{"views", 0}});
  Publish(parent);
  for (int i = 0; i < 8; ++i) {
    DocumentFields child;
    child.parent_root_id = parent;
    child.sort_order = i;
    Publish(Create({{"views", i}}, "default", child));
  }
  for (Axis axis : {Axis::kPublished, Axis::kDraft}) {
    Query slug = PostQuery(axis);
    slug.slug = "s3";
    auto plan = Must(store_->ExplainList(slug));
    const std::string index =
        axis == Axis::kPublished ? "idx_documents_published_slug" : "idx_documents_draft_slug";
    EXPECT_TRUE(AnyStartsWith(plan, "SEARCH d USING INDEX " + index)) << Joined(plan);
    Query kids = PostQuery(axis);
    kids.parent = parent;
    kids.sort = "sort_order";
    for (SortOrder order : {SortOrder::kAsc, SortOrder::kDesc}) {
      kids.order = order;
      ExpectPlan(kids, axis == Axis::kPublished ? "idx_documents_published_children"
                                                : "idx_documents_draft_children");
    }
    Query root = PostQuery(axis);
    root.root = parent;
    plan = Must(store_->ExplainList(root));
    for (const auto& line : plan) {
      EXPECT_EQ(line.rfind("SCAN d", 0), std::string::npos) << Joined(plan);
      EXPECT_EQ(line.find("TEMP B-TREE"), std::string::npos) << Joined(plan);
    }
  }
}

TEST_F(QueryPlanTest, PlansHoldAfterAnalyze) {
  // With statistics the planner must still pick the keyset indexes.
  ASSERT_EQ(raw().Exec("ANALYZE"), SQLITE_OK);
  store_.reset();
  raw_.reset();
  ASSERT_NO_FATAL_FAILURE(OpenStore());
  ExpectPlan(PostQuery(Axis::kPublished), "idx_documents_published_keyset");
  Query created = PostQuery(Axis::kPublished);
  created.sort = "created_at";
  ExpectPlan(created, "idx_documents_published_created");
  Query eq = PostQuery(Axis::kPublished);
  eq.filters.push_back({"category", FilterOp::kEq, {FilterValue(std::string("b"))}});
  ExpectPlan(eq, "idx_q_post_category");
}

TEST_F(QueryPlanTest, ExplainListRefusesWhatListRefuses) {
  Query q = PostQuery();
  q.filters.push_back({"nope", FilterOp::kEq, {FilterValue(int64_t{1})}});
  EXPECT_TRUE(store_->ExplainList(q).status().IsInvalidArgument());
}

}  // namespace
}  // namespace folio::storage::testing
