// ParseRequestTarget: path segments and query parameters, percent-decoded.
#include "http/request_target.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace folio::app {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

TEST(RequestTargetTest, SplitsPathIntoSegments) {
  auto t = ParseRequestTarget("/v1/acme/types/blog-post/documents");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->segments,
            (std::vector<std::string>{"v1", "acme", "types", "blog-post", "documents"}));
  EXPECT_TRUE(t->params.empty());
}

TEST(RequestTargetTest, RootAndEmptySegmentsAreSkipped) {
  auto root = ParseRequestTarget("/");
  ASSERT_TRUE(root.ok());
  EXPECT_TRUE(root->segments.empty());
  auto t = ParseRequestTarget("//v1///stats/");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->segments, (std::vector<std::string>{"v1", "stats"}));
}

TEST(RequestTargetTest, ParsesQueryInOrderWithRepeatsAndBareKeys) {
  auto t = ParseRequestTarget("/x?limit=5&where.views.gt=3&&facet.tags=a&facet.tags=b&flag");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->segments, (std::vector<std::string>{"x"}));
  EXPECT_EQ(t->params, (Params{{"limit", "5"},
                               {"where.views.gt", "3"},
                               {"facet.tags", "a"},
                               {"facet.tags", "b"},
                               {"flag", ""}}));
  ASSERT_NE(t->Param("facet.tags"), nullptr);
  EXPECT_EQ(*t->Param("facet.tags"), "a");  // the first of repeated keys
  EXPECT_EQ(t->Param("missing"), nullptr);
  ASSERT_NE(t->Param("flag"), nullptr);
  EXPECT_EQ(*t->Param("flag"), "");
}

TEST(RequestTargetTest, EmptyQueryAfterQuestionMark) {
  auto t = ParseRequestTarget("/healthz?");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->segments, (std::vector<std::string>{"healthz"}));
  EXPECT_TRUE(t->params.empty());
}

TEST(RequestTargetTest, PercentDecodesSegmentsKeysAndValues) {
  auto t = ParseRequestTarget("/v1/a%20b/c%2Fd?k%3D=v%26w&x=%e2%82%AC");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ(t->segments, (std::vector<std::string>{"v1", "a b", "c/d"}));
  EXPECT_EQ(t->params, (Params{{"k=", "v&w"}, {"x", "\xe2\x82\xac"}}));
}

TEST(RequestTargetTest, PlusIsSpaceOnlyInTheQuery) {
  auto t = ParseRequestTarget("/a+b?q=c+d&e+f=1");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->segments, (std::vector<std::string>{"a+b"}));
  EXPECT_EQ(t->params, (Params{{"q", "c d"}, {"e f", "1"}}));
}

TEST(RequestTargetTest, ValueMayContainEquals) {
  auto t = ParseRequestTarget("/x?cursor=abc==&where.title=a=b");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->params, (Params{{"cursor", "abc=="}, {"where.title", "a=b"}}));
}

TEST(RequestTargetTest, RejectsBadEscapes) {
  for (const char* bad :
       {"/a%", "/a%4", "/a%zz", "/a%4g", "/x?k=%", "/x?k=%1", "/x?%gg=1", "/x?k=v%2"}) {
    auto t = ParseRequestTarget(bad);
    EXPECT_FALSE(t.ok()) << bad;
    if (!t.ok()) {
      EXPECT_TRUE(t.status().IsInvalidArgument()) << bad;
    }
  }
}

TEST(RequestTargetTest, EscapeAtTheVeryEndIsAccepted) {
  auto t = ParseRequestTarget("/a%41");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->segments, (std::vector<std::string>{"aA"}));
  auto q = ParseRequestTarget("/x?k=%41");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->params, (Params{{"k", "A"}}));
}

TEST(RequestTargetTest, RejectsTargetsThatAreNotAbsolutePaths) {
  for (const char* bad : {"", "*", "v1/stats", "http://example.com/v1/stats", "?a=b"}) {
    auto t = ParseRequestTarget(bad);
    EXPECT_FALSE(t.ok()) << bad;
  }
}

}  // namespace
}  // namespace folio::app
