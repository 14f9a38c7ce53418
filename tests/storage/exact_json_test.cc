// Exact JSON: compaction keeps every lexeme, key order and escape as written; the lexer refuses
// what RFC 8259 refuses (with the byte offset); object slicing and RFC 7396 merge patches keep
// untouched members byte for byte. Property tests check the lexer and the merge against
// nlohmann::json on thousands of generated values.
#include "folio/storage/exact_json.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <iterator>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace folio::storage {
namespace {

using nlohmann::json;

constexpr size_t kDepth = 64;

std::string Compact(std::string_view text, size_t max_depth = kDepth) {
  auto r = CompactJson(text, max_depth);
  EXPECT_TRUE(r.ok()) << text << " -> " << r.status().ToString();
  return r.ok() ? *r : std::string("<error>");
}

// The message of the refusal of `text`.
std::string Refusal(std::string_view text, size_t max_depth = kDepth) {
  auto r = CompactJson(text, max_depth);
  EXPECT_FALSE(r.ok()) << text << " was accepted as " << (r.ok() ? *r : "");
  if (r.ok()) return "<accepted>";
  EXPECT_TRUE(r.status().IsInvalidArgument());
  return r.status().message();
}

std::string Merge(std::string_view target, std::string_view patch) {
  auto r = MergePatch(target, patch);
  EXPECT_TRUE(r.ok()) << target << " + " << patch << " -> " << r.status().ToString();
  return r.ok() ? *r : std::string("<error>");
}

// --- CompactJson: what is kept --------------------------------------------------------------

TEST(ExactJsonTest, NumbersADoubleCannotHoldRoundTrip) {
  for (std::string_view n : {"12345678901234567890123", "0.1000000000000000055511151231257827",
                             "1e2", "-0", "1E+400", "-0.0", "1e-400", "0e0", "1E007", "-1.50"}) {
    const std::string s(n);
    EXPECT_EQ(Compact(n), n);
    EXPECT_EQ(Compact(" \t" + s + "\r\n"), n);
    EXPECT_EQ(Compact("{ \"n\" : " + s + " }"), "{\"n\":" + s + "}");
    EXPECT_EQ(Compact("[ " + s + " , " + s + " ]"), "[" + s + "," + s + "]");
  }
  // What a parse-and-dump round trip would have stored instead.
  EXPECT_NE(json::parse("12345678901234567890123").dump(), "12345678901234567890123");
  EXPECT_NE(json::parse("1e2").dump(), "1e2");
}

TEST(ExactJsonTest, KeyOrderIsKept) {
  EXPECT_EQ(Compact(R"({"z": 1, "a": 2, "m": {"y": 1, "b": 2}, "A": 3})"),
            R"({"z":1,"a":2,"m":{"y":1,"b":2},"A":3})");
}

TEST(ExactJsonTest, EscapesAreKeptAsWritten) {
  EXPECT_EQ(Compact(R"("\u00e9")"), R"("\u00e9")");
  EXPECT_EQ(Compact(R"("\u00e9")").size(), 8u);  // six characters between the quotes
  EXPECT_EQ(Compact(R"("\u00E9")"), R"("\u00E9")");
  EXPECT_EQ(Compact(R"(["\/", "\"", "\\", "\b\f\n\r\t", "\ud83d\ude00", "\u0000"])"),
            R"(["\/","\"","\\","\b\f\n\r\t","\ud83d\ude00","\u0000"])");
  EXPECT_EQ(Compact("\"caf\xC3\xA9 \xF0\x9F\x98\x80\""), "\"caf\xC3\xA9 \xF0\x9F\x98\x80\"");
  EXPECT_EQ(Compact(R"({"\u0061b": "x"})"), R"({"\u0061b":"x"})");
}

TEST(ExactJsonTest, WhitespaceGoesOutsideStringsOnly) {
  EXPECT_EQ(Compact(" \r\n\t{ \"a b\" :\n[ 1 ,\t\"  x  y \" , { } , [ ] , true , null ] }\n "),
            R"({"a b":[1,"  x  y ",{},[],true,null]})");
  EXPECT_EQ(Compact("\"\x7F\""), "\"\x7F\"");  // DEL needs no escape (RFC 8259)
}

TEST(ExactJsonTest, ScalarsAtTheTopLevel) {
  EXPECT_EQ(Compact(" true "), "true");
  EXPECT_EQ(Compact("false"), "false");
  EXPECT_EQ(Compact("null"), "null");
  EXPECT_EQ(Compact("\"\""), "\"\"");
  EXPECT_EQ(Compact("0"), "0");
}

// --- CompactJson: what is refused -----------------------------------------------------------

struct Bad {
  std::string text;
  std::string message;
};

void ExpectRefusals(const std::vector<Bad>& cases) {
  for (const Bad& c : cases) {
    EXPECT_EQ(Refusal(c.text), c.message) << "input: " << c.text;
  }
}

TEST(ExactJsonTest, RefusesNumbersOutsideTheGrammar) {
  ExpectRefusals({
      {"01", "invalid JSON at byte 0: number has a leading zero"},
      {"-01", "invalid JSON at byte 0: number has a leading zero"},
      {"[01]", "invalid JSON at byte 1: number has a leading zero"},
      {"[1.]", "invalid JSON at byte 3: expected a digit after '.'"},
      {"1.e5", "invalid JSON at byte 2: expected a digit after '.'"},
      {".5", "invalid JSON at byte 0: expected a value, found '.'"},
      {"+1", "invalid JSON at byte 0: expected a value, found '+'"},
      {"NaN", "invalid JSON at byte 0: expected a value, found 'N'"},
      {"Infinity", "invalid JSON at byte 0: expected a value, found 'I'"},
      {"-Infinity", "invalid JSON at byte 1: expected a digit after '-'"},
      {"-", "invalid JSON at byte 1: expected a digit after '-'"},
      {R"({"a":-})", "invalid JSON at byte 6: expected a digit after '-'"},
      {"1e", "invalid JSON at byte 2: expected a digit in the exponent"},
      {"1e+", "invalid JSON at byte 3: expected a digit in the exponent"},
      {"[1E-]", "invalid JSON at byte 4: expected a digit in the exponent"},
      {"0x10", "invalid JSON at byte 1: unexpected 'x' after the JSON value"},
      {"1 2", "invalid JSON at byte 2: unexpected '2' after the JSON value"},
  });
}

TEST(ExactJsonTest, RefusesBadLiterals) {
  ExpectRefusals({
      {"tru", "invalid JSON at byte 0: invalid literal (expected true, false or null)"},
      {"[nul]", "invalid JSON at byte 1: invalid literal (expected true, false or null)"},
      {"True", "invalid JSON at byte 0: expected a value, found 'T'"},
      {"truex", "invalid JSON at byte 4: unexpected 'x' after the JSON value"},
      {"[falsey]", "invalid JSON at byte 6: expected ',' or ']'"},
  });
}

TEST(ExactJsonTest, RefusesBrokenStructure) {
  ExpectRefusals({
      {"", "invalid JSON at byte 0: unexpected end of input (expected a value)"},
      {"   ", "invalid JSON at byte 3: unexpected end of input (expected a value)"},
      {"[1,]", "invalid JSON at byte 3: expected a value, found ']'"},
      {"[,1]", "invalid JSON at byte 1: expected a value, found ','"},
      {"[1 2]", "invalid JSON at byte 3: expected ',' or ']'"},
      {"[1}", "invalid JSON at byte 2: expected ',' or ']'"},
      {"[1", "invalid JSON at byte 2: unexpected end of input (expected ',' or ']')"},
      {"{", "invalid JSON at byte 1: unexpected end of input (expected a string key or '}')"},
      {"{1:2}", "invalid JSON at byte 1: expected a string key or '}'"},
      {"{'a':1}", "invalid JSON at byte 1: expected a string key or '}'"},
      {R"({"a":1,})", "invalid JSON at byte 7: expected a string key"},
      {R"({"a" 1})", "invalid JSON at byte 5: expected ':' after the key"},
      {R"({"a")", "invalid JSON at byte 4: unexpected end of input (expected ':' after the key)"},
      {R"({"a":})", "invalid JSON at byte 5: expected a value, found '}'"},
      {R"({"a":1)", "invalid JSON at byte 6: unexpected end of input (expected ',' or '}')"},
      {R"({"a":1])", "invalid JSON at byte 6: expected ',' or '}'"},
      {"{} x", "invalid JSON at byte 3: unexpected 'x' after the JSON value"},
      {"{}{}", "invalid JSON at byte 2: unexpected '{' after the JSON value"},
      {"/* c */ 1", "invalid JSON at byte 0: expected a value, found '/'"},
  });
}

TEST(ExactJsonTest, RefusesWhitespaceBeyondTheFourKinds) {
  ExpectRefusals({
      {"\f1", "invalid JSON at byte 0: expected a value, found byte 0x0C"},
      {"[1,\v2]", "invalid JSON at byte 3: expected a value, found byte 0x0B"},
      {"1\f", "invalid JSON at byte 1: unexpected byte 0x0C after the JSON value"},
      {"\xC2\xA0"
       "1",
       "invalid JSON at byte 0: expected a value, found byte 0xC2"},                    // NBSP
      {"\xEF\xBB\xBF{}", "invalid JSON at byte 0: expected a value, found byte 0xEF"},  // BOM
  });
}

TEST(ExactJsonTest, RefusesBadStrings) {
  ExpectRefusals({
      {"\"abc", "invalid JSON at byte 0: unterminated string"},
      {"[1, \"\\", "invalid JSON at byte 4: unterminated string"},
      {"[\"a\tb\"]",
       "invalid JSON at byte 3: control character 0x09 in a string (it must be escaped)"},
      {"\"a\nb\"",
       "invalid JSON at byte 2: control character 0x0A in a string (it must be escaped)"},
      {std::string("\"\0\"", 3),
       "invalid JSON at byte 1: control character 0x00 in a string (it must be escaped)"},
      {"\"\x1F\"",
       "invalid JSON at byte 1: control character 0x1F in a string (it must be escaped)"},
      {R"("\x41")", "invalid JSON at byte 1: invalid escape: backslash before 'x'"},
      {R"("\U0041")", "invalid JSON at byte 1: invalid escape: backslash before 'U'"},
      {R"("\')", "invalid JSON at byte 1: invalid escape: backslash before '''"},
      {R"("ab\u12G4")", "invalid JSON at byte 3: \\u must be followed by 4 hex digits"},
      {R"("\u12")", "invalid JSON at byte 1: \\u must be followed by 4 hex digits"},
      {R"(["\u)", "invalid JSON at byte 2: \\u must be followed by 4 hex digits"},
  });
}

TEST(ExactJsonTest, RefusesMalformedUtf8) {
  const std::string kPrefix = "\"a";  // the bad sequence starts at byte 2
  struct Case {
    std::string bytes;
    std::string why;
  };
  const std::vector<Case> cases = {
      {"\xC0\x80", "overlong UTF-8 encoding (0xC0)"},
      {"\xC1\xBF", "overlong UTF-8 encoding (0xC1)"},
      {"\xE0\x80\x80", "overlong UTF-8 encoding (0xE0)"},
      {"\xE0\x9F\xBF", "overlong UTF-8 encoding (0xE0)"},
      {"\xF0\x80\x80\x80", "overlong UTF-8 encoding (0xF0)"},
      {"\xF0\x8F\xBF\xBF", "overlong UTF-8 encoding (0xF0)"},
      {"\xED\xA0\x80", "UTF-16 surrogate encoded in UTF-8 (0xED)"},
      {"\xED\xBF\xBF", "UTF-16 surrogate encoded in UTF-8 (0xED)"},
      {"\xF4\x90\x80\x80", "UTF-8 sequence encodes a code point above U+10FFFF (0xF4)"},
      {"\xF5\x80\x80\x80", "byte that never appears in UTF-8 (0xF5)"},
      {"\xFE", "byte that never appears in UTF-8 (0xFE)"},
      {"\xFF", "byte that never appears in UTF-8 (0xFF)"},
      {"\x80", "stray UTF-8 continuation byte (0x80)"},
      {"\xBF\xBF", "stray UTF-8 continuation byte (0xBF)"},
      {"\xC3", "truncated UTF-8 sequence (0xC3)"},
      {"\xC3(", "truncated UTF-8 sequence (0xC3)"},
      {"\xE2\x82", "truncated UTF-8 sequence (0xE2)"},
      {"\xF0\x9F\x98", "truncated UTF-8 sequence (0xF0)"},
      {"\xF0\x9F\x98\xC3\xA9", "truncated UTF-8 sequence (0xF0)"},
  };
  for (const Case& c : cases) {
    const std::string msg = "invalid JSON at byte 2: " + c.why + " in a string";
    EXPECT_EQ(Refusal(kPrefix + c.bytes + "\""), msg);
    EXPECT_FALSE(json::accept(kPrefix + c.bytes + "\"")) << "nlohmann agrees: " << c.why;
  }
  // Cut off by the end of the input, not by a quote.
  EXPECT_EQ(Refusal("\"a\xE2\x82"),
            "invalid JSON at byte 2: truncated UTF-8 sequence (0xE2) in a string");
  // The edges of each well-formed range are kept byte for byte.
  for (std::string ok : {"\xC2\x80", "\xDF\xBF", "\xE0\xA0\x80", "\xED\x9F\xBF", "\xEE\x80\x80",
                         "\xEF\xBF\xBF", "\xF0\x90\x80\x80", "\xF4\x8F\xBF\xBF"}) {
    EXPECT_EQ(Compact("[\"" + ok + "\"]"), "[\"" + ok + "\"]");
  }
}

// A lone surrogate escape decodes to no Unicode scalar value: refused, as nlohmann refuses it,
// so every accepted text decodes to valid UTF-8.
TEST(ExactJsonTest, RefusesLoneSurrogateEscapes) {
  const std::string high = " (a high surrogate must be followed by a \\uDC00-\\uDFFF escape)";
  const std::string low = " (a low surrogate must follow a high one)";
  ExpectRefusals({
      {R"("\uD800")", "invalid JSON at byte 1: lone surrogate escape \\uD800" + high},
      {R"("\udbff")", "invalid JSON at byte 1: lone surrogate escape \\udbff" + high},
      {R"("\uD800\u0041")", "invalid JSON at byte 1: lone surrogate escape \\uD800" + high},
      {R"("\uD800x")", "invalid JSON at byte 1: lone surrogate escape \\uD800" + high},
      {R"("\uD800\uD800")", "invalid JSON at byte 1: lone surrogate escape \\uD800" + high},
      {R"("\uD800\n")", "invalid JSON at byte 1: lone surrogate escape \\uD800" + high},
      {R"("\uDC00")", "invalid JSON at byte 1: lone surrogate escape \\uDC00" + low},
      {R"("ab\uDFFF")", "invalid JSON at byte 3: lone surrogate escape \\uDFFF" + low},
      {R"("\uD83D\uDE00\uDE00")", "invalid JSON at byte 13: lone surrogate escape \\uDE00" + low},
  });
  for (std::string_view lone : {R"("\uD800")", R"("\uDC00")", R"("\uD800\u0041")"}) {
    EXPECT_FALSE(json::accept(lone)) << lone;
  }
  EXPECT_EQ(Compact(R"("\uDBFF\uDFFF")"), R"("\uDBFF\uDFFF")");  // U+10FFFF
  EXPECT_EQ(Compact(R"("\ud83d\ude00")"), R"("\ud83d\ude00")");
}

TEST(ExactJsonTest, RefusesDuplicateKeys) {
  EXPECT_EQ(Refusal(R"({"a":1,"a":2})"), "key 'a' appears twice in one object (byte 7)");
  EXPECT_EQ(Refusal(R"({"a": 1, "\u0061": 2})"), "key 'a' appears twice in one object (byte 9)");
  EXPECT_EQ(Refusal("{\"\xC3\xA9\":1,\"\\u00e9\":2}"),
            "key '\xC3\xA9' appears twice in one object (byte 8)");
  EXPECT_EQ(Refusal("{\"\\ud83d\\ude00\":1,\"\xF0\x9F\x98\x80\":2}"),
            "key '\xF0\x9F\x98\x80' appears twice in one object (byte 18)");
  EXPECT_EQ(Refusal(R"({"\u0000":1,"\u0000":2})"),
            "key '\\u0000' appears twice in one object (byte 12)");
  const std::string nested = R"({"x":{"a":1,"b":{"a":2},"a":3}})";
  EXPECT_EQ(Refusal(nested), std::string("key 'a' appears twice in one object (byte ") +
                                 std::to_string(nested.rfind("\"a\"")) + ")");
  const std::string long_key(100, 'k');
  EXPECT_EQ(
      Refusal("{\"" + long_key + "\":1,\"" + long_key + "\":2}"),
      std::string("key '") + std::string(64, 'k') + "...' appears twice in one object (byte 106)");

  // The same key in different objects, or keys that differ after decoding, are fine.
  for (std::string_view ok :
       {R"({"a":{"a":1}})", R"([{"a":1},{"a":1}])", R"({"x":{"a":1},"y":{"a":2}})",
        R"({"a":1,"A":2,"a ":3,"\u0061\u0061":4})", R"({"x":{"a":1,"b":2},"y":{"b":1,"a":2}})"}) {
    EXPECT_EQ(Compact(ok), ok);
  }
}

TEST(ExactJsonTest, DepthLimit) {
  EXPECT_EQ(Compact("[[[1]]]", 3), "[[[1]]]");
  EXPECT_EQ(Refusal("[[[[1]]]]", 3), "JSON nests deeper than 3 levels (byte 3)");
  EXPECT_EQ(Refusal(R"({"a":[{"c":{}}]})", 3), "JSON nests deeper than 3 levels (byte 11)");
  EXPECT_EQ(Compact(R"({"a":[{"c":1}],"b":{"d":[]}})", 3), R"({"a":[{"c":1}],"b":{"d":[]}})");
  EXPECT_EQ(Compact("1", 0), "1");
  EXPECT_EQ(Refusal("[]", 0), "JSON nests deeper than 0 levels (byte 0)");
  EXPECT_EQ(Refusal("{}", 0), "JSON nests deeper than 0 levels (byte 0)");
}

TEST(ExactJsonTest, HostileNestingDoesNotCrash) {
  constexpr size_t kLevels = 200000;
  const std::string open(kLevels, '[');
  EXPECT_EQ(Refusal(open, 64), "JSON nests deeper than 64 levels (byte 64)");
  EXPECT_EQ(Refusal(open, SIZE_MAX),
            "invalid JSON at byte 200000: unexpected end of input (expected a value)");
  const std::string balanced = open + std::string(kLevels, ']');
  EXPECT_EQ(Compact(balanced, kLevels), balanced);
  EXPECT_EQ(Refusal(balanced, kLevels - 1).rfind("JSON nests deeper than 199999 levels", 0), 0u);

  std::string objects;
  for (size_t i = 0; i < kLevels / 2; ++i) {
    objects += "{\"a\" : ";
  }
  EXPECT_EQ(Refusal(objects, SIZE_MAX), std::string("invalid JSON at byte ") +
                                            std::to_string(objects.size()) +
                                            ": unexpected end of input (expected a value)");
  objects += "1";
  objects.append(kLevels / 2, '}');
  const std::string compact = Compact(objects, SIZE_MAX);
  EXPECT_EQ(compact.size(), objects.size() - 2 * kLevels / 2);
  EXPECT_EQ(FindMember(compact, "a")->substr(0, 5), "{\"a\":");
}

// Every function reads only the view it is given: a cut view of a longer buffer (whose next
// bytes would complete a token) answers as a copy of the cut would.
TEST(ExactJsonTest, ReadsOnlyTheViewGiven) {
  const std::vector<std::string> texts = {
      "[\"a\xE2\x82\xAC\xF0\x9F\x98\x80\", 12.5e+3, true, false, null]",
      R"({"k": "\ud83d\ude00\n", "n": -0.5E-7, "o": {"p": [1, {}]}})",
      R"(["\u00e9\"\\", 1234567890123456789012])",
  };
  for (const std::string& text : texts) {
    for (size_t len = 0; len <= text.size(); ++len) {
      const std::string_view view(text.data(), len);
      const std::string copy(view);
      auto a = CompactJson(view, kDepth);
      auto b = CompactJson(copy, kDepth);
      ASSERT_EQ(a.ok(), b.ok()) << copy;
      EXPECT_EQ(a.ok() ? *a : a.status().message(), b.ok() ? *b : b.status().message()) << copy;
      EXPECT_EQ(ObjectMembers(view).ok(), ObjectMembers(copy).ok()) << copy;
      EXPECT_EQ(FindMember(view, "n").has_value(), FindMember(copy, "n").has_value()) << copy;
    }
  }
}

// --- ObjectMembers / FindMember -------------------------------------------------------------

const char kTricky[] =
    R"({"a": "}{\"", "b": {"c": "]}", "d": [1, {"e": "\\"}, "[{"]}, "\u0062c": 2, "e": [],)"
    R"( "f": {}, "g": "\u00e9", "h": null, "i": -1.5e3, "q\"k": "\"}"})";

TEST(ExactJsonTest, ObjectMembersSlicesValuesWithBracketsAndQuotesInStrings) {
  const std::string obj = Compact(kTricky);
  auto members = ObjectMembers(obj);
  ASSERT_TRUE(members.ok()) << members.status().ToString();
  struct Want {
    std::string key, key_text, value;
  };
  const std::vector<Want> want = {
      {"a", R"("a")", R"("}{\"")"},
      {"b", R"("b")", R"({"c":"]}","d":[1,{"e":"\\"},"[{"]})"},
      {"bc", R"("\u0062c")", "2"},
      {"e", R"("e")", "[]"},
      {"f", R"("f")", "{}"},
      {"g", R"("g")", R"("\u00e9")"},
      {"h", R"("h")", "null"},
      {"i", R"("i")", "-1.5e3"},
      {"q\"k", R"("q\"k")", R"("\"}")"},
  };
  ASSERT_EQ(members->size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ((*members)[i].key, want[i].key);
    EXPECT_EQ((*members)[i].key_text, want[i].key_text);
    EXPECT_EQ((*members)[i].value, want[i].value);
    EXPECT_EQ(FindMember(obj, want[i].key), want[i].value) << want[i].key;
  }
  EXPECT_EQ(FindMember(obj, "c"), std::nullopt);  // nested members are not the object's
  EXPECT_EQ(FindMember(obj, "z"), std::nullopt);
  EXPECT_EQ(FindMember(obj, "\\u0062c"), std::nullopt);  // keys are matched decoded

  // Nested objects are objects too.
  auto b = ObjectMembers(*FindMember(obj, "b"));
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->size(), 2u);
  EXPECT_EQ((*b)[1].value, R"([1,{"e":"\\"},"[{"])");
  EXPECT_EQ(FindMember(*FindMember(obj, "b"), "c"), R"("]}")");
}

TEST(ExactJsonTest, ObjectMembersOfOtherShapes) {
  auto empty = ObjectMembers("{}");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  for (std::string_view not_object : {"[1]", "\"{}\"", "1", "null", "", "  "}) {
    auto r = ObjectMembers(not_object);
    ASSERT_FALSE(r.ok()) << not_object;
    EXPECT_TRUE(r.status().IsInvalidArgument());
    EXPECT_NE(r.status().message().find("not a JSON object"), std::string::npos);
    EXPECT_EQ(FindMember(not_object, "a"), std::nullopt);
  }
  // Whitespace between tokens is tolerated.
  auto spaced = ObjectMembers(" { \"a\" : 1 , \"b\" : [ 1 , 2 ] } ");
  ASSERT_TRUE(spaced.ok());
  ASSERT_EQ(spaced->size(), 2u);
  EXPECT_EQ((*spaced)[1].value, "[ 1 , 2 ]");
  auto trailing = ObjectMembers(R"({"a":1}x)");
  ASSERT_FALSE(trailing.ok());
  EXPECT_EQ(trailing.status().message(),
            "malformed JSON object at byte 7: unexpected data after the object");
  auto bad_key = ObjectMembers(R"({"a":1,"\q":2})");
  ASSERT_FALSE(bad_key.ok());
  EXPECT_EQ(bad_key.status().message(),
            "malformed JSON object at byte 8: invalid escape: backslash before 'q'");
}

// The readers assume CompactJson's output but must survive anything: every cut and thousands
// of random corruptions of a tricky object. (Run under FOLIO_SANITIZE to check the bounds.)
TEST(ExactJsonTest, ReadersSurviveMalformedInput) {
  const std::string obj = Compact(kTricky);
  for (size_t len = 0; len < obj.size(); ++len) {
    const std::string_view cut(obj.data(), len);
    EXPECT_FALSE(ObjectMembers(cut).ok()) << cut;
    (void)FindMember(cut, "i");
    (void)FindMember(cut, "zz");
    if (len > 0) {
      EXPECT_FALSE(MergePatch(cut, obj).ok()) << cut;
      EXPECT_FALSE(MergePatch(obj, cut).ok()) << cut;
    }
  }
  std::mt19937_64 rng(7);
  const std::string alphabet = "{}[]\":,\\ x0e-\x80";
  for (int i = 0; i < 5000; ++i) {
    std::string bad = obj;
    for (int k = 0; k < 3; ++k) {
      const size_t at = rng() % bad.size();
      switch (rng() % 3) {
        case 0:
          bad[at] = alphabet[rng() % alphabet.size()];
          break;
        case 1:
          bad.insert(bad.begin() + static_cast<std::ptrdiff_t>(at),
                     alphabet[rng() % alphabet.size()]);
          break;
        default:
          bad.erase(at, 1);
          break;
      }
    }
    auto members = ObjectMembers(bad);
    if (members.ok()) {
      for (const JsonMember& m : *members) {
        EXPECT_GE(m.value.data(), bad.data());
        EXPECT_LE(m.value.data() + m.value.size(), bad.data() + bad.size());
      }
    }
    (void)FindMember(bad, "i");
    (void)MergePatch(bad, obj);
    (void)MergePatch(obj, bad);
  }
}

// --- MergePatch -----------------------------------------------------------------------------

// RFC 7396 appendix A, every example; the results are the RFC's text exactly.
TEST(ExactJsonTest, MergePatchRfc7396AppendixA) {
  struct Example {
    std::string target, patch, result;
  };
  const std::vector<Example> examples = {
      {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
      {R"({"a":"b"})", R"({"a":null})", R"({})"},
      {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
      {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
      {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
      {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
      {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
      {R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
      {R"({"a":"b"})", R"(["c"])", R"(["c"])"},
      {R"({"a":"foo"})", "null", "null"},
      {R"({"a":"foo"})", R"("bar")", R"("bar")"},
      {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
      {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
      {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
  };
  for (const Example& e : examples) {
    EXPECT_EQ(Merge(e.target, e.patch), e.result) << e.target << " + " << e.patch;
    json expected = json::parse(e.target);
    expected.merge_patch(json::parse(e.patch));
    EXPECT_EQ(json::parse(Merge(e.target, e.patch)), expected);
  }
}

TEST(ExactJsonTest, MergePatchKeepsUntouchedMembersByteForByte) {
  const std::string target = Compact(R"({"z": 1e2, "big": 12345678901234567890123,
      "a": {"x": 1.50, "y": 2, "keep": "\u00e9"}, "m": "\u00e9", "n": -0})");
  const std::string patch = Compact(R"({"a": {"y": 3, "new": 1E+400}, "q": [1.0], "m": null})");
  EXPECT_EQ(Merge(target, patch),
            R"({"z":1e2,"big":12345678901234567890123,)"
            R"("a":{"x":1.50,"y":3,"keep":"\u00e9","new":1E+400},"n":-0,"q":[1.0]})");
}

TEST(ExactJsonTest, MergePatchPlacesAndMatchesKeys) {
  // A replaced value keeps its key's place; new keys follow in the patch's order.
  EXPECT_EQ(Merge(R"({"a":1,"b":2,"c":3})", R"({"y":1,"b":[0],"x":2})"),
            R"({"a":1,"b":[0],"c":3,"y":1,"x":2})");
  // Keys match after decoding; the target keeps its key text, a new key has the patch's.
  EXPECT_EQ(Merge(R"({"a":1,"b":2})", R"({"\u0061":3,"\u0063":4})"), R"({"a":3,"b":2,"\u0063":4})");
  EXPECT_EQ(Merge(R"({"\u0061":{"x":1}})", R"({"a":{"y":2}})"), R"({"\u0061":{"x":1,"y":2}})");
  EXPECT_EQ(Merge(R"({"\u0061":1,"b":2})", R"({"a":null})"), R"({"b":2})");
}

TEST(ExactJsonTest, MergePatchNestedNullsAndNonObjects) {
  // Nested merge keeps the nested target's order and text.
  EXPECT_EQ(
      Merge(R"({"o":{"p":1.0,"q":{"r":2e0,"s":3}},"t":0})", R"({"o":{"q":{"s":null,"u":4}}})"),
      R"({"o":{"p":1.0,"q":{"r":2e0,"u":4}},"t":0})");
  // An object patch value over a non-object (or absent) target value merges into {}: its nulls
  // are dropped, at every level.
  EXPECT_EQ(Merge(R"({"a":1})", R"({"a":{"b":null,"c":{"d":null,"e":1}}})"),
            R"({"a":{"c":{"e":1}}})");
  EXPECT_EQ(Merge(R"({"a":[1]})", R"({"a":{}})"), R"({"a":{}})");
  EXPECT_EQ(Merge("{}", R"({"a":{"b":null}})"), R"({"a":{}})");
  // Null removes, and removing what is absent changes nothing.
  EXPECT_EQ(Merge(R"({"a":1,"b":{"c":1}})", R"({"b":null,"x":null})"), R"({"a":1})");
  EXPECT_EQ(Merge(R"({"a":1})", "{}"), R"({"a":1})");
  // A patch that is not an object replaces the target; a target that is not one counts as {}.
  for (std::string_view patch : {"[1,2]", "3", "\"s\"", "null", "true", "1e2"}) {
    EXPECT_EQ(Merge(R"({"a":1})", patch), patch);
  }
  EXPECT_EQ(Merge("[1]", R"({"a":1})"), R"({"a":1})");
  EXPECT_EQ(Merge("\"x\"", R"({"a":null})"), "{}");
}

TEST(ExactJsonTest, MergePatchOnLargeAndDeepObjects) {
  // Targets with many keys are looked up through an index; the result must not change.
  std::string target = "{", expected = "{";
  for (int i = 0; i < 40; ++i) {
    const std::string key = std::string("\"k") + std::to_string(i) + "\":";
    const std::string value = i == 5 ? "[5]" : std::to_string(i) + ".0";
    target += (i ? "," : "") + key + std::to_string(i) + ".0";
    if (i != 20) expected += (expected.size() > 1 ? "," : "") + key + value;
  }
  target += "}";
  expected += ",\"z\":1}";
  EXPECT_EQ(Merge(target, R"({"k5":[5],"k20":null,"z":1})"), expected);

  // A patch nested thousands deep merges without recursion on the C++ stack.
  constexpr int kLevels = 5000;
  std::string deep;
  for (int i = 0; i < kLevels; ++i) {
    deep += "{\"a\":";
  }
  deep += "1";
  deep.append(kLevels, '}');
  EXPECT_EQ(Merge("{}", deep), deep);
  EXPECT_EQ(Merge(deep, deep), deep);
}

TEST(ExactJsonTest, MergePatchRefusesMalformedInput) {
  auto bad_target = MergePatch(R"({"a":)", R"({"b":1})");
  ASSERT_FALSE(bad_target.ok());
  EXPECT_TRUE(bad_target.status().IsInvalidArgument());
  EXPECT_EQ(bad_target.status().message().rfind("merge patch target: malformed JSON object", 0), 0u)
      << bad_target.status().message();
  auto bad_patch = MergePatch("{}", R"({"a"})");
  ASSERT_FALSE(bad_patch.ok());
  EXPECT_EQ(bad_patch.status().message().rfind("merge patch: malformed JSON object", 0), 0u)
      << bad_patch.status().message();
}

// --- Properties against nlohmann::json ------------------------------------------------------

// Random JSON text with lexemes nlohmann would not write: long integers, exponents with
// leading zeros, escapes of any character, surrogate pairs, raw multi-byte UTF-8.
class JsonGenerator {
 public:
  explicit JsonGenerator(uint64_t seed) : rng_(seed) {}

  // Keys drawn from a few names (written in various ways) so that merges meet the same keys.
  void set_few_keys(bool few) { few_keys_ = few; }
  // How likely a value in an object is null.
  void set_null_chance(double p) { null_chance_ = p; }

  std::string Value(int depth) {
    std::string out;
    AppendValue(depth, &out);
    return out;
  }

  std::string Object(int depth) {
    std::string out;
    AppendObject(depth, &out);
    return out;
  }

  size_t Below(size_t n) { return static_cast<size_t>(rng_() % n); }
  bool Chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

 private:
  void AppendValue(int depth, std::string* out) {
    // The top level is a container: the interesting cases are nested.
    const size_t kind = depth == 0 ? 5 + Below(2) : Below(depth >= 5 ? 5 : 7);
    switch (kind) {
      case 0:
        *out += Chance(0.5) ? "true" : Chance(0.5) ? "false" : "null";
        break;
      case 1:
      case 2:
        AppendNumber(out);
        break;
      case 3:
      case 4:
        AppendString(RandomText(), out);
        break;
      case 5: {
        out->push_back('[');
        const size_t n = Below(5);
        for (size_t i = 0; i < n; ++i) {
          if (i > 0) out->push_back(',');
          AppendValue(depth + 1, out);
        }
        out->push_back(']');
        break;
      }
      default:
        AppendObject(depth + 1, out);
        break;
    }
  }

  void AppendObject(int depth, std::string* out) {
    out->push_back('{');
    std::set<std::u32string> seen;
    const size_t n = Below(6);
    for (size_t i = 0; i < n; ++i) {
      std::u32string key;
      if (few_keys_) {
        static const std::u32string kNames[] = {U"a", U"b", U"c", U"d", U"\u00e9", U"\U0001F600"};
        key = kNames[Below(std::size(kNames))];
      } else {
        key = RandomText();
      }
      if (!seen.insert(key).second) continue;
      if (seen.size() > 1) out->push_back(',');
      AppendString(key, out);
      out->push_back(':');
      if (Chance(null_chance_)) {
        *out += "null";
      } else {
        AppendValue(depth, out);
      }
    }
    out->push_back('}');
  }

  void AppendDigits(size_t n, std::string* out) {
    for (size_t i = 0; i < n; ++i) {
      out->push_back(static_cast<char>('0' + Below(10)));
    }
  }

  void AppendNumber(std::string* out) {
    if (Chance(0.3)) out->push_back('-');
    if (Chance(0.2)) {
      out->push_back('0');
    } else {
      out->push_back(static_cast<char>('1' + Below(9)));
      AppendDigits(Below(25), out);  // up to 25 digits: beyond int64 and double precision
    }
    if (Chance(0.4)) {
      out->push_back('.');
      AppendDigits(1 + Below(25), out);
    }
    if (Chance(0.3)) {
      out->push_back(Chance(0.5) ? 'e' : 'E');
      if (Chance(0.6)) out->push_back(Chance(0.5) ? '+' : '-');
      // Leading zeros are allowed in an exponent; the value stays finite for nlohmann.
      if (Chance(0.2)) out->push_back('0');
      *out += std::to_string(Below(250));
    }
  }

  std::u32string RandomText() {
    std::u32string s;
    const size_t n = Below(8);
    for (size_t i = 0; i < n; ++i) {
      switch (Below(6)) {
        case 0:
          s.push_back(static_cast<char32_t>(Below(0x20)));  // control: must be escaped
          break;
        case 1:
          s.push_back(U"\"\\/ {}[]:,"[Below(10)]);
          break;
        case 2:
          s.push_back(static_cast<char32_t>(0x80 + Below(0x800 - 0x80)));
          break;
        case 3: {
          char32_t c = static_cast<char32_t>(0x800 + Below(0x10000 - 0x800));
          if (c >= 0xD800 && c <= 0xDFFF) c = 0xE9;
          s.push_back(c);
          break;
        }
        case 4:
          s.push_back(static_cast<char32_t>(0x10000 + Below(0x110000 - 0x10000)));
          break;
        default:
          s.push_back(static_cast<char32_t>(0x20 + Below(0x7F - 0x20)));
          break;
      }
    }
    return s;
  }

  void AppendHex4(uint32_t v, std::string* out) {
    const char* digits = Chance(0.5) ? "0123456789abcdef" : "0123456789ABCDEF";
    *out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) {
      out->push_back(digits[(v >> shift) & 0xF]);
    }
  }

  void AppendString(const std::u32string& text, std::string* out) {
    out->push_back('"');
    for (const char32_t c : text) {
      const bool must_escape = c < 0x20 || c == '"' || c == '\\';
      if (!must_escape && Chance(0.7)) {
        AppendRaw(c, out);
      } else if (c == '"' || c == '\\' || c == '/' || c == '\n' || c == '\t' || c == '\b' ||
                 c == '\f' || c == '\r') {
        if (Chance(0.5)) {
          AppendHex4(c, out);
        } else {
          static const std::u32string kFrom = U"\"\\/\n\t\b\f\r";
          static const char kTo[] = "\"\\/ntbfr";
          out->push_back('\\');
          out->push_back(kTo[kFrom.find(c)]);
        }
      } else if (c >= 0x10000) {
        const uint32_t v = c - 0x10000;
        AppendHex4(0xD800 + (v >> 10), out);
        AppendHex4(0xDC00 + (v & 0x3FF), out);
      } else {
        AppendHex4(c, out);
      }
    }
    out->push_back('"');
  }

  static void AppendRaw(char32_t c, std::string* out) {
    if (c < 0x80) {
      out->push_back(static_cast<char>(c));
    } else if (c < 0x800) {
      out->push_back(static_cast<char>(0xC0 | (c >> 6)));
      out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | (c >> 12)));
      out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | (c >> 18)));
      out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }

  std::mt19937_64 rng_;
  bool few_keys_ = false;
  double null_chance_ = 0.1;
};

// `compact` with random whitespace around every structural character (outside strings).
std::string Spaced(const std::string& compact, JsonGenerator& gen) {
  static const char* const kSpace[] = {"", " ", "\n", "\t", "\r\n", "  \n\t "};
  std::string out = kSpace[gen.Below(6)];
  bool in_string = false, escaped = false;
  for (const char c : compact) {
    if (in_string) {
      out.push_back(c);
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    const bool structural = c == '{' || c == '}' || c == '[' || c == ']' || c == ',' || c == ':';
    if (structural) out += kSpace[gen.Below(6)];
    out.push_back(c);
    if (structural) out += kSpace[gen.Below(6)];
    if (c == '"') in_string = true;
  }
  out += kSpace[gen.Below(6)];
  return out;
}

constexpr int kPropertyRuns = 3000;

TEST(ExactJsonProperty, CompactOfSpacedTextIsTheOriginal) {
  for (int seed = 0; seed < kPropertyRuns; ++seed) {
    JsonGenerator gen(seed);
    const std::string original = gen.Value(0);
    const std::string spaced = Spaced(original, gen);
    auto compact = CompactJson(spaced, kDepth);
    ASSERT_TRUE(compact.ok()) << "seed " << seed << ": " << compact.status().ToString() << "\n"
                              << spaced;
    EXPECT_EQ(*compact, original) << "seed " << seed;
    const json parsed = json::parse(original);
    EXPECT_EQ(json::parse(*compact), parsed) << "seed " << seed;
    // nlohmann's own pretty printing (other lexemes, other escapes) compacts to the same value.
    const std::string pretty = parsed.dump(2);
    auto from_pretty = CompactJson(pretty, kDepth);
    ASSERT_TRUE(from_pretty.ok()) << "seed " << seed << ": " << from_pretty.status().ToString();
    EXPECT_EQ(json::parse(*from_pretty), parsed) << "seed " << seed;
    // Idempotent.
    auto again = CompactJson(*compact, kDepth);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *compact) << "seed " << seed;
  }
}

// Corrupted texts: CompactJson accepts exactly what nlohmann accepts, except what nlohmann
// lets through (duplicate keys) or refuses for its own reasons (a float that overflows).
TEST(ExactJsonProperty, AcceptsWhatNlohmannAccepts) {
  const std::string alphabet =
      "{}[]\",:\\ \t\n\x0c"
      "0123456789.eE-+tfnul\"/bu\x80\xC3\xED\xF4\xFF";
  int accepted = 0, refused = 0;
  for (int seed = 0; seed < kPropertyRuns; ++seed) {
    JsonGenerator gen(100000 + seed);
    std::string text = Spaced(gen.Value(0), gen);
    const size_t edits = 1 + gen.Below(3);
    for (size_t k = 0; k < edits && !text.empty(); ++k) {
      const size_t at = gen.Below(text.size());
      const char c = alphabet[gen.Below(alphabet.size())];
      switch (gen.Below(3)) {
        case 0:
          text[at] = c;
          break;
        case 1:
          text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c);
          break;
        default:
          text.erase(at, 1);
          break;
      }
    }
    auto ours = CompactJson(text, 1000);
    json theirs = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!ours.ok() && ours.status().message().find("appears twice") != std::string::npos) {
      continue;
    }
    if (ours.ok() && theirs.is_discarded()) {
      try {
        const json overflowing = json::parse(text);
      } catch (const json::out_of_range&) {
        continue;  // "number overflow": valid JSON nlohmann cannot hold
      } catch (const json::exception&) {
      }
    }
    ASSERT_EQ(ours.ok(), !theirs.is_discarded())
        << "seed " << seed << ": " << (ours.ok() ? "accepted" : ours.status().message()) << "\n"
        << text;
    if (ours.ok()) {
      ++accepted;
      EXPECT_EQ(json::parse(*ours), theirs) << "seed " << seed;
      auto again = CompactJson(*ours, 1000);
      ASSERT_TRUE(again.ok());
      EXPECT_EQ(*again, *ours);
    } else {
      ++refused;
      EXPECT_EQ(ours.status().message().rfind("invalid JSON at byte ", 0), 0u)
          << ours.status().message();
    }
  }
  // Both outcomes are exercised.
  EXPECT_GT(accepted, kPropertyRuns / 20);
  EXPECT_GT(refused, kPropertyRuns / 4);
}

TEST(ExactJsonProperty, MergePatchAgreesWithNlohmann) {
  for (int seed = 0; seed < kPropertyRuns; ++seed) {
    JsonGenerator gen(200000 + seed);
    gen.set_few_keys(true);
    gen.set_null_chance(0.05);
    const std::string target = gen.Chance(0.05) ? gen.Value(0) : gen.Object(0);
    gen.set_null_chance(0.3);
    const std::string patch = gen.Chance(0.05) ? gen.Value(0) : gen.Object(0);
    ASSERT_EQ(Compact(target), target) << "seed " << seed;
    ASSERT_EQ(Compact(patch), patch) << "seed " << seed;

    auto merged = MergePatch(target, patch);
    ASSERT_TRUE(merged.ok()) << "seed " << seed << ": " << merged.status().ToString();
    // The result is itself compact, valid JSON...
    EXPECT_EQ(Compact(*merged), *merged) << "seed " << seed;
    // ...with the value RFC 7396 (as nlohmann implements it) gives.
    json expected = json::parse(target);
    expected.merge_patch(json::parse(patch));
    EXPECT_EQ(json::parse(*merged), expected) << "seed " << seed << "\n" << target << "\n" << patch;

    // Members the patch does not name keep their text, and their order.
    if (target.front() != '{' || patch.front() != '{') continue;
    auto target_members = ObjectMembers(target);
    ASSERT_TRUE(target_members.ok());
    size_t last_offset = 0;
    for (const JsonMember& m : *target_members) {
      if (FindMember(patch, m.key)) continue;
      auto kept = FindMember(*merged, m.key);
      ASSERT_TRUE(kept.has_value()) << "seed " << seed << " key " << m.key;
      EXPECT_EQ(*kept, m.value) << "seed " << seed;
      const size_t offset = static_cast<size_t>(kept->data() - merged->data());
      EXPECT_GE(offset, last_offset) << "seed " << seed;
      last_offset = offset;
    }
  }
}

}  // namespace
}  // namespace folio::storage
