// ParseWhere / ParseFacet / ParseStatus / ParseOrder: the listing flags the CLI and the HTTP
// service share.
#include "query_args.h"

#include <gtest/gtest.h>

#include <string>
#include <variant>

namespace folio::app {
namespace {

std::string Str(const storage::FilterValue& v) {
  return std::get<std::string>(v);
}

TEST(QueryArgsTest, WhereFieldOpValue) {
  storage::Query q;
  ASSERT_TRUE(ParseWhere("views:gt:5", q).ok());
  ASSERT_EQ(q.filters.size(), 1u);
  EXPECT_EQ(q.filters[0].field, "views");
  EXPECT_EQ(q.filters[0].op, storage::FilterOp::kGt);
  ASSERT_EQ(q.filters[0].values.size(), 1u);
  EXPECT_EQ(Str(q.filters[0].values[0]), "5");
  for (const char* op : {"eq", "ne", "lt", "lte", "gt", "gte"}) {
    storage::Query each;
    ASSERT_TRUE(ParseWhere(std::string("f:") + op + ":1", each).ok()) << op;
    EXPECT_STREQ(storage::FilterOpName(each.filters[0].op), op);
  }
}

TEST(QueryArgsTest, WhereEqualsShorthand) {
  storage::Query q;
  ASSERT_TRUE(ParseWhere("title=Hello: world", q).ok());
  ASSERT_EQ(q.filters.size(), 1u);
  EXPECT_EQ(q.filters[0].field, "title");
  EXPECT_EQ(q.filters[0].op, storage::FilterOp::kEq);
  EXPECT_EQ(Str(q.filters[0].values[0]), "Hello: world");
}

TEST(QueryArgsTest, WhereValueKeepsColonsAndEquals) {
  storage::Query q;
  ASSERT_TRUE(ParseWhere("url:eq:http://x/?a=b", q).ok());
  EXPECT_EQ(q.filters[0].field, "url");
  EXPECT_EQ(Str(q.filters[0].values[0]), "http://x/?a=b");
  storage::Query empty;
  ASSERT_TRUE(ParseWhere("title:eq:", empty).ok());
  EXPECT_EQ(Str(empty.filters[0].values[0]), "");
}

TEST(QueryArgsTest, InTakesCommaSeparatedValuesInTheCliAndOverHttp) {
  storage::Query cli, http;
  ASSERT_TRUE(ParseWhere("category:in:a,b,,c\\,d|e\\\\", cli).ok());
  ASSERT_TRUE(ParseListingParams({{"where.category.in", "a,b,,c\\,d|e\\\\"}}, http).ok());
  for (const storage::Query* q : {&cli, &http}) {
    ASSERT_EQ(q->filters.size(), 1u);
    EXPECT_EQ(q->filters[0].op, storage::FilterOp::kIn);
    ASSERT_EQ(q->filters[0].values.size(), 4u);
    EXPECT_EQ(Str(q->filters[0].values[0]), "a");
    EXPECT_EQ(Str(q->filters[0].values[1]), "b");
    EXPECT_EQ(Str(q->filters[0].values[2]), "");
    EXPECT_EQ(Str(q->filters[0].values[3]), "c,d|e\\");  // '|' is an ordinary character
  }
  EXPECT_EQ(SplitInValues("x"), std::vector<std::string>{"x"});
  EXPECT_EQ(SplitInValues(""), std::vector<std::string>{""});
  EXPECT_EQ(SplitInValues("a\\b"), std::vector<std::string>{"a\\b"});  // other escapes stay
}

TEST(QueryArgsTest, ErrorsSpeakTheSyntaxTheUserWrote) {
  storage::Query q;
  Status cli = ParseWhere("views:between:1", q);
  ASSERT_TRUE(cli.IsInvalidArgument());
  EXPECT_NE(cli.message().find("--where 'views:between:1'"), std::string::npos) << cli.message();
  Status http = ParseListingParams({{"where.views.between", "1"}}, q);
  ASSERT_TRUE(http.IsInvalidArgument());
  const std::string message = http.message();
  EXPECT_NE(message.find("'where.views.between'"), std::string::npos) << message;
  EXPECT_EQ(message.find("--where"), std::string::npos) << message;
  EXPECT_EQ(message.find(':'), message.find(": operator")) << "no CLI item syntax: " << message;
  Status no_field = ParseListingParams({{"where..gt", "1"}}, q);
  ASSERT_TRUE(no_field.IsInvalidArgument());
  EXPECT_NE(no_field.message().find("'where..gt' names no field"), std::string::npos)
      << no_field.message();
  EXPECT_TRUE(q.filters.empty());
}

TEST(QueryArgsTest, FiltersAccumulate) {
  storage::Query q;
  ASSERT_TRUE(ParseWhere("a=1", q).ok());
  ASSERT_TRUE(ParseWhere("b:lt:2", q).ok());
  ASSERT_EQ(q.filters.size(), 2u);
  EXPECT_EQ(q.filters[1].field, "b");
}

TEST(QueryArgsTest, WhereRejectsMalformed) {
  for (const char* bad : {"views", "views:gt", "views:between:1", ":eq:1", "=1", ":gt:"}) {
    storage::Query q;
    EXPECT_TRUE(ParseWhere(bad, q).IsInvalidArgument()) << bad;
    EXPECT_TRUE(q.filters.empty()) << bad;
  }
}

TEST(QueryArgsTest, Facet) {
  storage::Query q;
  ASSERT_TRUE(ParseFacet("tags=news", q).ok());
  ASSERT_TRUE(ParseFacet("tags=a=b", q).ok());
  ASSERT_EQ(q.facets.size(), 2u);
  EXPECT_EQ(q.facets[0].field, "tags");
  EXPECT_EQ(q.facets[0].value, "news");
  EXPECT_EQ(q.facets[1].value, "a=b");
  for (const char* bad : {"tags", "=news", ""}) {
    storage::Query b;
    EXPECT_TRUE(ParseFacet(bad, b).IsInvalidArgument()) << bad;
  }
}

TEST(QueryArgsTest, Status) {
  storage::Query q;
  ASSERT_TRUE(ParseStatus("draft", q).ok());
  EXPECT_EQ(q.axis, storage::Axis::kDraft);
  ASSERT_TRUE(ParseStatus("published", q).ok());
  EXPECT_EQ(q.axis, storage::Axis::kPublished);
  q.axis = storage::Axis::kDraft;
  ASSERT_TRUE(ParseStatus("", q).ok());
  EXPECT_EQ(q.axis, storage::Axis::kPublished);
  EXPECT_TRUE(ParseStatus("archived", q).IsInvalidArgument());
  EXPECT_TRUE(ParseStatus("Draft", q).IsInvalidArgument());
}

TEST(QueryArgsTest, Order) {
  storage::Query q;
  ASSERT_TRUE(ParseOrder("asc", q).ok());
  EXPECT_EQ(q.order, storage::SortOrder::kAsc);
  ASSERT_TRUE(ParseOrder("desc", q).ok());
  EXPECT_EQ(q.order, storage::SortOrder::kDesc);
  q.order = storage::SortOrder::kAsc;
  ASSERT_TRUE(ParseOrder("", q).ok());
  EXPECT_EQ(q.order, storage::SortOrder::kDesc);
  EXPECT_TRUE(ParseOrder("up", q).IsInvalidArgument());
}

}  // namespace
}  // namespace folio::app
