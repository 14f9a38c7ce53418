// Content codings and validators (app/http/content_coding.h): what Accept-Encoding selects,
// coded bytes that decode to the body exactly, entity tags per coding, If-None-Match.
#include "http/content_coding.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "support/decode.h"

namespace folio::app {
namespace {

using C = ContentCoding;

TEST(ContentCodingTest, AcceptEncodingPicksTheBestCodingFolioMakes) {
  struct Case {
    const char* header;
    C want;
  };
  const Case cases[] = {
      {"", C::kIdentity},
      {"gzip", C::kGzip},
      {"br", C::kBrotli},
      {"gzip, deflate, br", C::kBrotli},  // a browser's: br wins the tie
      {"GZIP", C::kGzip},                 // codings are case-insensitive
      {"x-gzip", C::kGzip},
      {"deflate", C::kIdentity},  // nothing folio makes
      {"br;q=0.5, gzip", C::kGzip},
      {"br;q=0.8, gzip;q=0.9", C::kGzip},
      {"br;q=1.000, gzip;q=1", C::kBrotli},
      {"gzip;q=0", C::kIdentity},
      {"gzip;q=0.001", C::kGzip},  // unnamed identity yields to any acceptable coding
      {"identity, gzip;q=0.5", C::kIdentity},
      {"identity;q=0.4, gzip;q=0.5", C::kGzip},
      {"*", C::kBrotli},
      {"*;q=0.5, identity", C::kIdentity},
      {"br;q=0, *", C::kGzip},
      {"*;q=0", C::kIdentity},  // refuses everything: identity is still what can be sent
      {"  gzip ; q=0.7 ,, br ; q=0.6 ", C::kGzip},
      {"br;q=2", C::kIdentity},       // a qvalue above 1 does not parse: the element is ignored
      {"br;q=0.5x, gzip", C::kGzip},  // likewise
      {"br;level=9", C::kBrotli},     // other parameters do not matter
      {",,,", C::kIdentity},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(NegotiateCoding(c.header), c.want) << "Accept-Encoding: " << c.header;
  }
}

std::string JsonLikeBody(size_t documents, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string body = "{\"data\":[";
  for (size_t i = 0; i < documents; ++i) {
    if (i) body += ',';
    body += "{\"id\":\"" + std::to_string(rng()) + "\",\"title\":\"post " + std::to_string(i) +
            "\",\"views\":" + std::to_string(rng() % 1000) + "}";
  }
  return body + "],\"meta\":{\"count\":" + std::to_string(documents) + ",\"next_cursor\":null}}";
}

TEST(ContentCodingTest, CodedBytesDecodeToTheBodyExactly) {
  std::mt19937 rng(7);
  std::vector<std::string> bodies = {"", "x", JsonLikeBody(1, 1), JsonLikeBody(100, 2),
                                     JsonLikeBody(2000, 3)};
  std::string binary(70000, '\0');  // incompressible bytes, and every byte value
  for (char& c : binary)
    c = static_cast<char>(rng());
  bodies.push_back(binary);
  for (const std::string& body : bodies) {
    auto gz = GzipBytes(body);
    ASSERT_TRUE(gz.has_value());
    EXPECT_EQ(test::Gunzip(*gz), body) << body.size();
    auto br = BrotliBytes(body);
    ASSERT_TRUE(br.has_value());
    EXPECT_EQ(test::Unbrotli(*br), body) << body.size();
    EXPECT_EQ(CodedBytes(C::kGzip, body), gz);
    EXPECT_EQ(CodedBytes(C::kBrotli, body), br);
    EXPECT_EQ(CodedBytes(C::kIdentity, body), body);
  }
  // What coding is for: a 100-document page shrinks several times.
  const std::string page = JsonLikeBody(100, 9);
  EXPECT_LT(GzipBytes(page)->size() * 2, page.size());
  EXPECT_LT(BrotliBytes(page)->size() * 2, page.size());
}

// '"' + text + '"', built by appending (GCC 12 warns falsely on literal + string here).
std::string Quoted(std::string_view text) {
  std::string out = "\"";
  out.append(text);
  out.push_back('"');
  return out;
}

TEST(ContentCodingTest, EntityTagsNameTheCoding) {
  const std::string tag = "0123456789abcdef0123456789abcdef";
  EXPECT_EQ(EntityTag(tag, C::kIdentity), Quoted(tag));
  EXPECT_EQ(EntityTag(tag, C::kGzip), Quoted(tag + "-gzip"));
  EXPECT_EQ(EntityTag(tag, C::kBrotli), Quoted(tag + "-br"));
}

TEST(ContentCodingTest, IfNoneMatchMatchesTheContentInAnyCoding) {
  const std::string tag = "0123456789abcdef0123456789abcdef";
  const std::string other = "ffffffffffffffffffffffffffffffff";
  for (C coding : {C::kIdentity, C::kGzip, C::kBrotli}) {
    const std::string etag = EntityTag(tag, coding);
    EXPECT_TRUE(IfNoneMatchMatches(etag, tag)) << etag;
    EXPECT_TRUE(IfNoneMatchMatches(std::string("W/").append(etag), tag)) << etag;
    EXPECT_TRUE(IfNoneMatchMatches(Quoted(other).append(", ").append(etag), tag)) << etag;
    EXPECT_FALSE(IfNoneMatchMatches(etag, other)) << etag;
  }
  EXPECT_TRUE(IfNoneMatchMatches("*", tag));
  EXPECT_TRUE(IfNoneMatchMatches(" * ", tag));
  EXPECT_FALSE(IfNoneMatchMatches("", tag));
  EXPECT_FALSE(IfNoneMatchMatches(Quoted(tag + "-deflate"), tag));
  EXPECT_FALSE(IfNoneMatchMatches(Quoted(tag.substr(1)), tag));
  EXPECT_FALSE(IfNoneMatchMatches(Quoted(tag + "x"), tag));
  EXPECT_FALSE(IfNoneMatchMatches(tag, tag)) << "unquoted is malformed";
  EXPECT_FALSE(IfNoneMatchMatches(Quoted(tag).append(", garbage"), tag)) << "a malformed list";
  EXPECT_FALSE(IfNoneMatchMatches("\"", tag));
}

}  // namespace
}  // namespace folio::app
