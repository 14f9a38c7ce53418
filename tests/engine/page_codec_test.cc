// The cached page and document formats (engine/detail/page_codec.h): what goes in comes out,
// the served bytes never include the trailer, and damaged bytes are refused.
#include "detail/page_codec.h"

#include <gtest/gtest.h>

#include "folio/engine/page.h"

namespace folio::detail {
namespace {

PageTrailer SampleTrailer() {
  PageTrailer t;
  t.read_at = {42, -7};
  t.after = storage::SortPosition{std::string("m\0n", 3), "id-1"};
  t.through = storage::SortPosition{2.5, "id-9"};
  t.root_hashes = {1, 2, 0xffffffffffffffffull};
  return t;
}

TEST(PageCodecTest, ATrailerRoundTripsAndStaysOutOfTheBody) {
  storage::Page page;
  page.documents_json = R"([{"id":"a"}])";
  page.count = 1;
  page.next_cursor = "abc";
  auto bytes = EncodePage(page, SampleTrailer());
  ASSERT_TRUE(IsWellFormedPage(*bytes));
  PageRef ref(bytes, Tier::kKv);
  EXPECT_EQ(ref.documents_json(), page.documents_json);
  EXPECT_EQ(ref.next_cursor(), "abc");
  EXPECT_EQ(ref.body_prefix(),
            R"({"data":[{"id":"a"}],"meta":{"count":1,"next_cursor":"abc","cache":)");
  PageTrailer back;
  ASSERT_TRUE(DecodeTrailer(*bytes, &back));
  EXPECT_EQ(back.read_at, (storage::LogPosition{42, -7}));
  EXPECT_EQ(PageReadAt(*bytes), (storage::LogPosition{42, -7}));
  ASSERT_TRUE(back.after && back.through);
  EXPECT_EQ(std::get<std::string>(back.after->sort_value), std::string("m\0n", 3));
  EXPECT_EQ(back.after->id, "id-1");
  EXPECT_EQ(std::get<double>(back.through->sort_value), 2.5);
  EXPECT_EQ(back.root_hashes, SampleTrailer().root_hashes);
}

TEST(PageCodecTest, EveryTruncationIsRefused) {
  storage::Page page;
  page.documents_json = "[]";
  auto bytes = EncodePage(page, SampleTrailer());
  for (size_t n = 0; n < bytes->size(); ++n) {
    EXPECT_FALSE(IsWellFormedPage(std::string_view(*bytes).substr(0, n))) << n;
  }
  std::string longer = *bytes + "x";
  EXPECT_FALSE(IsWellFormedPage(longer));
}

TEST(PageCodecTest, DocumentsCarryTheirReadPositionAndExpiry) {
  auto bytes = EncodeDocument(R"({"id":"d"})", {9, 8}, 123);
  ASSERT_TRUE(IsWellFormedDocument(*bytes));
  EXPECT_EQ(DocumentRef(bytes, Tier::kKv).json(), R"({"id":"d"})");
  EXPECT_EQ(DocumentReadAt(*bytes), (storage::LogPosition{9, 8}));
  EXPECT_EQ(DocumentValidUntilMicros(*bytes), 123);
  EXPECT_FALSE(IsWellFormedDocument(std::string_view(*bytes).substr(0, bytes->size() - 1)));
  EXPECT_FALSE(IsWellFormedPage(*bytes));
}

}  // namespace
}  // namespace folio::detail
