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
  EXPECT_EQ(ref.body(), R"({"data":[{"id":"a"}],"meta":{"count":1,"next_cursor":"abc"}})");
  EXPECT_EQ(ref.content_tag(), ContentTagOf(ref.body()));
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

TEST(PageCodecTest, TheContentTagNamesTheBodyAlone) {
  storage::Page page;
  page.documents_json = R"([{"id":"a"}])";
  page.count = 1;
  auto first = EncodePage(page, SampleTrailer());
  PageTrailer other = SampleTrailer();
  other.read_at = {43, 5};
  other.root_hashes = {7};
  // The same body read at another position, from another tier: the same tag.
  auto same_body = EncodePage(page, other);
  EXPECT_EQ(PageRef(first, Tier::kDatabase).content_tag(),
            PageRef(same_body, Tier::kMemory).content_tag());
  const std::string tag(PageRef(first, Tier::kKv).content_tag());
  EXPECT_EQ(tag.size(), 32u);
  EXPECT_EQ(tag.find_first_not_of("0123456789abcdef"), std::string::npos) << tag;
  // Any change of the body — a document, the count, the cursor — changes it.
  page.next_cursor = "c";
  EXPECT_NE(PageRef(EncodePage(page, other), Tier::kKv).content_tag(), tag);
  page.next_cursor.reset();
  page.documents_json = R"([{"id":"b"}])";
  EXPECT_NE(PageRef(EncodePage(page, other), Tier::kKv).content_tag(), tag);
}

TEST(PageCodecTest, AContentTagThatIsNotHexIsRefused) {
  storage::Page page;
  page.documents_json = "[]";
  std::string bytes = *EncodePage(page, SampleTrailer());
  ASSERT_TRUE(IsWellFormedPage(bytes));
  // A damaged tag must never reach an ETag header (a CR or LF would split the response).
  bytes[kPageHeaderBytes - kContentTagBytes + 3] = '\n';
  EXPECT_FALSE(IsWellFormedPage(bytes));
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
