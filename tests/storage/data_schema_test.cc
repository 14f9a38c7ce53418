// DataSchema: a type's JSON Schema for `data`, compiled once and checked against each document;
// what Compile refuses and why, and where (pointer) and by which keyword (rule) a document fails.
#include "detail/data_schema.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace folio::storage::detail {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::shared_ptr<const DataSchema> MustCompile(const json& schema) {
  auto compiled = DataSchema::Compile(schema);
  if (!compiled.ok()) throw std::runtime_error("Compile failed: " + compiled.status().message());
  return *compiled;
}

// The message Compile refuses `schema` with ("<compiled>" if it does not).
std::string CompileError(const json& schema) {
  auto compiled = DataSchema::Compile(schema);
  if (compiled.ok()) return "<compiled>";
  EXPECT_TRUE(compiled.status().IsInvalidArgument()) << compiled.status().ToString();
  return compiled.status().message();
}

// "pointer rule" of each failure, e.g. {"/views minimum"}.
std::vector<std::string> Where(const DataSchema& schema, const json& data) {
  std::vector<std::string> out;
  for (const DataSchema::Failure& f : schema.Check(data))
    out.push_back(f.pointer + " " + f.rule);
  return out;
}

const json& ArticleSchema() {
  static const json schema = json::parse(R"({
    "type": "object",
    "required": ["title"],
    "properties": {
      "title": {"type": "string", "minLength": 1},
      "views": {"type": "integer", "minimum": 0, "maximum": 1000000},
      "status": {"enum": ["draft", "published"]},
      "slug": {"type": "string", "pattern": "^[a-z0-9-]+$"},
      "tags": {"type": "array", "items": {"type": "string"}},
      "author": {
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "string"}}
      },
      "meta": {
        "type": "object",
        "additionalProperties": false,
        "properties": {"a/b": {"type": "integer"}, "c~d": {"type": "integer"}}
      }
    }
  })");
  return schema;
}

json GoodArticle() {
  return json::parse(R"({
    "title": "Hello", "views": 12, "status": "draft", "slug": "hello-world",
    "tags": ["a", "b"], "author": {"name": "Ann"}, "meta": {"a/b": 1, "c~d": 2}
  })");
}

// A good article with `pointer` set to `value`.
json ArticleWith(const std::string& pointer, const json& value) {
  json data = GoodArticle();
  data[json::json_pointer(pointer)] = value;
  return data;
}

TEST(DataSchemaCompile, RefusesWhatIsNotASchema) {
  EXPECT_THAT(CompileError(5), HasSubstr("a schema must be a JSON object or boolean, not 5"));
  EXPECT_THAT(CompileError("string"), HasSubstr("not a string"));
  EXPECT_THAT(CompileError(json::array()), HasSubstr("not an array"));
  EXPECT_THAT(CompileError(json::parse(R"({"properties": {"a": 3}})")),
              HasSubstr("invalid JSON Schema at /properties/a: a schema must be"));
  // Booleans are schemas only from draft 6 on.
  EXPECT_THAT(CompileError(json::parse(R"({"$schema": "http://json-schema.org/draft-04/schema#",
                                            "properties": {"a": true}})")),
              HasSubstr("/properties/a: a schema must be a JSON object (draft 4)"));
}

TEST(DataSchemaCompile, RefusesKeywordsOfTheWrongType) {
  EXPECT_THAT(CompileError(json::parse(R"({"properties": {"n": {"minimum": "5"}}})")),
              HasSubstr("at /properties/n: \"minimum\" must be a number, not a string"));
  EXPECT_THAT(CompileError(json::parse(R"({"type": "strng"})")),
              HasSubstr("\"type\" must be a type name"));
  EXPECT_THAT(CompileError(json::parse(R"({"required": "title"})")),
              HasSubstr("\"required\" must be an array of strings"));
  EXPECT_THAT(CompileError(json::parse(R"({"allOf": {}})")),
              HasSubstr("\"allOf\" must be a non-empty array"));
  EXPECT_THAT(CompileError(json::parse(R"({"maxLength": -1})")),
              HasSubstr("\"maxLength\" must be a non-negative integer, not -1"));
  EXPECT_THAT(CompileError(json::parse(R"({"items": [{"type": "string"}, 7]})")),
              HasSubstr("at /items/1: a schema must be"));
  EXPECT_THAT(CompileError(json::parse(R"({"$ref": 7})")), HasSubstr("\"$ref\" must be a string"));
}

TEST(DataSchemaCompile, RefusesUnresolvableAndCyclicRefs) {
  EXPECT_THAT(CompileError(json::parse(R"({"properties": {"a": {"$ref": "#/definitions/nope"}}})")),
              HasSubstr("at /properties/a: \"$ref\" \"#/definitions/nope\" does not resolve"));
  EXPECT_THAT(CompileError(json::parse(R"({"items": {"$ref": "#thing"}})")),
              HasSubstr("only JSON-pointer fragments"));
  // valijson itself would recurse until the stack overflows on these.
  EXPECT_THAT(CompileError(json::parse(R"({"$ref": "#"})")), HasSubstr("cycle"));
  EXPECT_THAT(CompileError(json::parse(R"({
                "definitions": {"a": {"$ref": "#/definitions/b"}, "b": {"$ref": "#/definitions/a"}},
                "properties": {"x": {"$ref": "#/definitions/a"}}})")),
              HasSubstr("cycle of \"$ref\"s that never reaches a schema"));
  // A ref back to a real schema is recursion, not a cycle.
  EXPECT_TRUE(DataSchema::Compile(json::parse(R"({
                "type": "object",
                "properties": {"children": {"type": "array", "items": {"$ref": "#"}}}})"))
                  .ok());
}

TEST(DataSchemaCompile, RefusesRemoteRefs) {
  EXPECT_THAT(CompileError(json::parse(
                  R"({"properties": {"a": {"$ref": "http://example.com/s.json#/x"}}})")),
              HasSubstr("remote \"$ref\" to \"http://example.com/s.json\" is refused"));
  EXPECT_THAT(CompileError(json::parse(R"({"items": {"$ref": "other.json#/definitions/a"}})")),
              HasSubstr("remote \"$ref\" to \"other.json\""));
}

// Found by fuzz_type_settings: a name that looks like a URN but that valijson's URN grammar
// refuses is relative, so a root "$ref" to it names the root itself. Taken as remote, it reached
// valijson, which recursed until the stack overflowed.
TEST(DataSchemaCompile, TellsUrnsAsValijsonDoes) {
  EXPECT_THAT(CompileError(json::parse(R"({
                "definitions": {"node": {"type": "object"}},
                "$ref": "URN:390maxVersionsPerRons/node"})")),
              HasSubstr("cycle of \"$ref\"s that never reaches a schema"));
  EXPECT_THAT(CompileError(json::parse(R"({"$ref": "urn:no-nss"})")), HasSubstr("cycle"));
  // A URN by valijson's grammar names another document, refused as such.
  EXPECT_THAT(CompileError(json::parse(R"({"$ref": "urn:example:types:post"})")),
              HasSubstr("remote \"$ref\" to \"urn:example:types:post\" is refused"));
  EXPECT_THAT(CompileError(json::parse(R"({"$ref": "URN:example:post#/definitions/a"})")),
              HasSubstr("remote \"$ref\" to \"URN:example:post\""));
  // Under an "id" that is no URN, a reference to the same name resolves against it as text
  // ("URN:a/bURN:a/b"): another document for valijson, and for folio.
  EXPECT_THAT(
      CompileError(json::parse(R"({"id": "URN:a/b", "properties": {"p": {"$ref": "URN:a/b"}}})")),
      HasSubstr("remote \"$ref\" to \"URN:a/bURN:a/b\""));
}

// valijson matches references with std::regex and resolves their pointers recursively, a stack
// frame for each character or "/": past some length either overflows the stack.
TEST(DataSchemaCompile, RefusesOverlongReferencesAndIds) {
  // Built with append: GCC 12 warns (-Wrestrict, falsely) on a literal + string here.
  std::string long_urn("urn:ab:");
  long_urn.append(50000, 'c');
  std::string slashes("#");
  slashes.append(5000, '/').append("definitions/a");
  std::string padded("#/definitions/a");
  padded.append(1024 - padded.size(), '/');
  const json definitions = {{"a", {{"type", "string"}}}};

  EXPECT_THAT(CompileError(json{{"$ref", long_urn}}),
              HasSubstr("at (root): \"$ref\" is 50007 bytes long; folio takes at most 1024"));
  EXPECT_THAT(CompileError(
                  json{{"definitions", definitions}, {"properties", {{"p", {{"$ref", slashes}}}}}}),
              HasSubstr("at /properties/p: \"$ref\" is 5014 bytes long"));
  EXPECT_THAT(CompileError(
                  json{{"id", "http://example.com/"}, {"properties", {{"p", {{"id", long_urn}}}}}}),
              HasSubstr("at /properties/p: \"id\" is 50007 bytes long; folio takes at most 1024"));
  // At the limit, a reference still resolves.
  EXPECT_TRUE(DataSchema::Compile(
                  json{{"definitions", definitions}, {"properties", {{"p", {{"$ref", padded}}}}}})
                  .ok());
}

// A schema whose `hops` definitions each refer to the next, the last one a schema, and whose
// property "p" refers to the first: a chain of hops + 1 "$ref"s.
json RefChain(int hops) {
  json definitions = json::object();
  for (int i = 0; i <= hops; ++i) {
    std::string name("d");
    name += std::to_string(i);
    std::string next("#/definitions/d");
    next += std::to_string(i + 1);
    definitions[name] = i == hops ? json{{"type", "string"}} : json{{"$ref", next}};
  }
  return {{"definitions", definitions}, {"properties", {{"p", {{"$ref", "#/definitions/d0"}}}}}};
}

// valijson follows a chain of "$ref"s recursing once per hop, and the walk followed it from each
// "$ref" on it again: 4,000 hops (150 KB) took 22 s to compile, 20,000 far longer.
TEST(DataSchemaCompile, RefusesOverlongChainsOfRefs) {
  auto at_limit = DataSchema::Compile(RefChain(63));
  ASSERT_TRUE(at_limit.ok()) << at_limit.status().ToString();
  EXPECT_FALSE((*at_limit)->Validate(json{{"p", 1}}).ok());
  EXPECT_TRUE((*at_limit)->Validate(json{{"p", "x"}}).ok());
  EXPECT_THAT(CompileError(RefChain(64)),
              HasSubstr("at /properties/p: \"$ref\" \"#/definitions/d0\" starts a chain of "
                        "more than 64 \"$ref\"s"));
  EXPECT_THAT(CompileError(RefChain(20'000)), HasSubstr("chain of more than 64"));
}

TEST(DataSchemaCompile, RefusesUnknownOrUnsupportedDrafts) {
  EXPECT_THAT(
      CompileError(json::parse(R"({"$schema": "http://example.com/mine#"})")),
      HasSubstr(
          "unknown \"$schema\" \"http://example.com/mine#\"; supported drafts are 3, 4, 6 and 7"));
  EXPECT_THAT(
      CompileError(json::parse(R"({"$schema": "https://json-schema.org/draft/2020-12/schema"})")),
      HasSubstr("unsupported JSON Schema draft 2020-12"));
  EXPECT_THAT(CompileError(json::parse(R"({"$schema": "http://json-schema.org/schema#"})")),
              HasSubstr("names no particular draft"));
  EXPECT_THAT(CompileError(json::parse(R"({"$schema": 7})")),
              HasSubstr("\"$schema\" must be a string"));
}

TEST(DataSchemaCompile, RefusesWhatValijsonWouldMishandle) {
  EXPECT_THAT(CompileError(json::parse(R"({"properties": {"s": {"pattern": "(unclosed"}}})")),
              HasSubstr("at /properties/s: \"pattern\" \"(unclosed\" is not a regular expression"));
  EXPECT_THAT(CompileError(json::parse(R"({"patternProperties": {"[a-": {}}})")),
              HasSubstr("\"patternProperties\" key \"[a-\""));
}

TEST(DataSchemaCompile, DraftComesFromSchemaUri) {
  auto draft_of = [](const std::string& uri) {
    return MustCompile(json{{"$schema", uri}, {"type", "object"}})->draft();
  };
  EXPECT_EQ(draft_of("http://json-schema.org/draft-03/schema#"), 3);
  EXPECT_EQ(draft_of("http://json-schema.org/draft-04/schema#"), 4);
  EXPECT_EQ(draft_of("http://json-schema.org/draft-06/schema#"), 6);
  EXPECT_EQ(draft_of("http://json-schema.org/draft-07/schema#"), 7);
  EXPECT_EQ(draft_of("https://json-schema.org/draft-04/schema"), 4);
  EXPECT_EQ(MustCompile(json{{"type", "object"}})->draft(), 7);
  EXPECT_EQ(MustCompile(true)->draft(), 7);
}

TEST(DataSchemaCompile, DraftDecidesTheRules) {
  const json v4 = json::parse(R"({"$schema": "http://json-schema.org/draft-04/schema#",
                                  "maximum": 10, "exclusiveMaximum": true})");
  EXPECT_THAT(Where(*MustCompile(v4), 10), ::testing::ElementsAre(" maximum"));
  EXPECT_TRUE(MustCompile(v4)->Check(9.5).empty());
  // The same keyword is a number in draft 7 (and a boolean one is refused).
  EXPECT_THAT(Where(*MustCompile(json::parse(R"({"exclusiveMaximum": 10})")), 10),
              ::testing::ElementsAre(" exclusiveMaximum"));
  EXPECT_THAT(CompileError(json::parse(R"({"maximum": 10, "exclusiveMaximum": true})")),
              HasSubstr("\"exclusiveMaximum\" must be a number, not a boolean"));
  // if/then/else are draft 7: unknown (ignored) keywords in draft 6.
  const json conditional = json::parse(R"({"if": {"type": "string"}, "then": {"minLength": 3}})");
  json v6 = conditional;
  v6["$schema"] = "http://json-schema.org/draft-06/schema#";
  EXPECT_THAT(Where(*MustCompile(conditional), "ab"), ::testing::ElementsAre(" minLength"));
  EXPECT_TRUE(MustCompile(v6)->Check("ab").empty());
  // Draft 3: "required" is a boolean of the property's schema; extends, disallow, union types.
  const json v3 = json::parse(R"({"$schema": "http://json-schema.org/draft-03/schema#",
                                  "properties": {"id": {"required": true},
                                                 "n": {"type": ["null", {"minimum": 1}]},
                                                 "s": {"disallow": "integer"}},
                                  "extends": {"maxProperties": 3}})");
  const auto draft3 = MustCompile(v3);
  EXPECT_THAT(Where(*draft3, json::object()), ::testing::ElementsAre(" required"));
  EXPECT_TRUE(draft3->Check(json::parse(R"({"id": 1, "n": null, "s": "x"})")).empty());
  EXPECT_THAT(Where(*draft3, json::parse(R"({"id": 1, "s": 5})")),
              ::testing::ElementsAre("/s disallow"));
  EXPECT_THAT(Where(*draft3, json::parse(R"({"id": 1, "n": 0})")), ::testing::Contains("/n type"));
}

TEST(DataSchemaValidate, AcceptsGoodData) {
  const auto schema = MustCompile(ArticleSchema());
  EXPECT_TRUE(schema->Validate(GoodArticle()).ok()) << schema->Validate(GoodArticle()).message();
  EXPECT_TRUE(schema->Check(json::parse(R"({"title": "only the required one"})")).empty());
}

TEST(DataSchemaValidate, PointsAtTheFailureAndNamesTheRule) {
  const auto schema = MustCompile(ArticleSchema());
  struct Case {
    std::string pointer;
    json value;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"/views", "many", "/views type"},
      {"/views", -1, "/views minimum"},
      {"/views", 1000001, "/views maximum"},
      {"/title", "", "/title minLength"},
      {"/status", "archived", "/status enum"},
      {"/slug", "Not A Slug", "/slug pattern"},
      {"/author/name", 5, "/author/name type"},
      {"/tags/1", 2, "/tags/1 type"},
      {"/meta/a~1b", "x", "/meta/a~1b type"},
      {"/meta/c~0d", "x", "/meta/c~0d type"},
      {"/meta/extra", 1, "/meta additionalProperties"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(Where(*schema, ArticleWith(c.pointer, c.value)), ::testing::ElementsAre(c.expected))
        << c.pointer << " = " << c.value.dump();
  }
  json no_title = GoodArticle();
  no_title.erase("title");
  EXPECT_THAT(Where(*schema, no_title), ::testing::ElementsAre(" required"));
  EXPECT_THAT(schema->Check(no_title).at(0).message, HasSubstr("'title'"));
  EXPECT_THAT(Where(*schema, ArticleWith("/author", json::object())),
              ::testing::ElementsAre("/author required"));
  EXPECT_THAT(schema->Check(ArticleWith("/meta/extra", 1)).at(0).message, HasSubstr("'extra'"));
  EXPECT_THAT(Where(*schema, json::array()), ::testing::ElementsAre(" type"));
}

TEST(DataSchemaValidate, ReportsEveryFailureUpToTheLimit) {
  const auto schema = MustCompile(ArticleSchema());
  json bad = GoodArticle();
  bad["views"] = -5;
  bad["tags"] = json::array({1, "ok", 3});
  bad["status"] = "gone";
  EXPECT_THAT(Where(*schema, bad), ::testing::UnorderedElementsAre("/views minimum", "/status enum",
                                                                   "/tags/0 type", "/tags/2 type"));
  EXPECT_EQ(schema->Check(bad, 2).size(), 2u);
  EXPECT_EQ(schema->Check(bad, 0).size(), 1u);  // never empty for invalid data
}

TEST(DataSchemaValidate, MessageListsUpToFiveFailures) {
  const auto schema = MustCompile(ArticleSchema());
  const Status one = schema->Validate(ArticleWith("/views", -1));
  EXPECT_TRUE(one.IsInvalidArgument());
  EXPECT_THAT(one.message(), StartsWith("data does not match the type's JSON Schema: /views: "));
  EXPECT_THAT(one.message(), HasSubstr("(rule minimum)"));
  EXPECT_THAT(schema->Validate(json::object()).message(),
              HasSubstr("JSON Schema: (root): Missing required property 'title' (rule required)"));

  const auto strict = MustCompile(json::parse(R"({"additionalProperties": {"type": "string"}})"));
  json many = json::object();
  for (int i = 0; i < 7; ++i) {
    many[std::string(1, 'k').append(std::to_string(i))] = i;  // not "k" + …: GCC 12 -Wrestrict
  }
  const std::string message = strict->Validate(many).message();
  EXPECT_THAT(message, HasSubstr("/k4: "));
  EXPECT_THAT(message, ::testing::Not(HasSubstr("/k5: ")));
  EXPECT_THAT(message, ::testing::EndsWith("; and 2 more"));
}

TEST(DataSchemaValidate, PointersFromValijsonsBracketedPath) {
  // valijson writes both a member "0" and an element 0 as "[0]", and does not escape brackets.
  const auto schema = MustCompile(json::parse(R"({
    "properties": {
      "0": {"type": "string"},
      "[x]": {"type": "string"},
      "a]b": {"type": "string"},
      "matrix": {"items": {"items": {"type": "integer"}}}
    }})"));
  EXPECT_THAT(Where(*schema, json::parse(R"({"0": 1})")), ::testing::ElementsAre("/0 type"));
  EXPECT_THAT(Where(*schema, json::parse(R"({"[x]": 1})")), ::testing::ElementsAre("/[x] type"));
  EXPECT_THAT(Where(*schema, json::parse(R"({"a]b": 1})")), ::testing::ElementsAre("/a]b type"));
  EXPECT_THAT(Where(*schema, json::parse(R"({"matrix": [[1], [2, "3"]]})")),
              ::testing::ElementsAre("/matrix/1/1 type"));
}

TEST(DataSchemaValidate, FollowsLocalRefs) {
  const auto schema = MustCompile(json::parse(R"({
    "definitions": {"tag": {"type": "string"}},
    "properties": {
      "tags": {"items": {"$ref": "#/definitions/tag"}},
      "children": {"items": {"$ref": "#"}}
    }})"));
  EXPECT_THAT(Where(*schema, json::parse(R"({"tags": ["a", 1]})")),
              ::testing::ElementsAre("/tags/1 type"));
  EXPECT_THAT(Where(*schema, json::parse(R"({"children": [{"children": [{"tags": [2]}]}]})")),
              ::testing::ElementsAre("/children/0/children/0/tags/0 type"));
}

TEST(DataSchemaValidate, BooleanSchemas) {
  const auto anything = MustCompile(true);
  EXPECT_TRUE(anything->Check(json::parse(R"({"a": [1, null]})")).empty());
  const auto nothing = MustCompile(false);
  EXPECT_THAT(Where(*nothing, json::object()), ::testing::ElementsAre(" "));
  EXPECT_FALSE(nothing->Validate(1).ok());
  const auto no_secret = MustCompile(json::parse(R"({"properties": {"secret": false}})"));
  EXPECT_TRUE(no_secret->Check(json::parse(R"({"public": 1})")).empty());
  EXPECT_THAT(Where(*no_secret, json::parse(R"({"secret": 1})")),
              ::testing::ElementsAre("/secret properties"));
}

TEST(DataSchemaValidate, CombinatorsNameTheirKeyword) {
  const auto schema = MustCompile(json::parse(R"({
    "properties": {
      "id": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
      "kind": {"not": {"const": "secret"}},
      "n": {"allOf": [{"minimum": 1}, {"multipleOf": 2}]}
    }})"));
  EXPECT_THAT(Where(*schema, json::parse(R"({"id": true})")),
              ::testing::ElementsAre("/id type", "/id anyOf"));  // both branches' "type", once
  EXPECT_THAT(Where(*schema, json::parse(R"({"kind": "secret"})")),
              ::testing::ElementsAre("/kind not"));
  EXPECT_THAT(Where(*schema, json::parse(R"({"n": 3})")), ::testing::ElementsAre("/n multipleOf"));
}

TEST(DataSchemaValidate, FormatAppliesToStringsOnly) {
  // valijson alone applies "format" to every type: it refused null and threw on an object.
  const auto schema = MustCompile(json::parse(R"({
    "properties": {"at": {"type": ["string", "null", "object"], "format": "date-time"}}})"));
  EXPECT_TRUE(schema->Check(json::parse(R"({"at": "2024-05-01T10:00:00Z"})")).empty());
  EXPECT_TRUE(schema->Check(json::parse(R"({"at": null})")).empty());
  EXPECT_TRUE(schema->Check(json::parse(R"({"at": {"tz": "UTC"}})")).empty());
  EXPECT_THAT(Where(*schema, json::parse(R"({"at": "yesterday"})")),
              ::testing::ElementsAre("/at format"));
}

TEST(DataSchemaValidate, LongStringsAreNotMatchedAgainstPatterns) {
  // std::regex recursed once per character: 100,000 of them overflowed the stack (SIGSEGV). So
  // did a property name matched against patternProperties.
  const auto schema = MustCompile(json::parse(R"({
    "properties": {
      "slug": {"type": "string", "pattern": "^[a-z-]+$"},
      "at": {"format": "date-time"}
    },
    "patternProperties": {"^x-": {"type": "integer"}}})"));
  const std::string long_slug(100000, 'a');
  EXPECT_THAT(Where(*schema, json{{"slug", long_slug}}), ::testing::ElementsAre("/slug maxLength"));
  EXPECT_TRUE(schema->Check(json{{"slug", std::string(1000, 'a')}}).empty());
  EXPECT_THAT(Where(*schema, json{{"slug", std::string(1000, 'A')}}),
              ::testing::ElementsAre("/slug pattern"));
  EXPECT_THAT(Where(*schema, json{{"at", std::string(100000, '1')}}),
              ::testing::ElementsAre("/at maxLength"));
  EXPECT_THAT(Where(*schema, json{{"nested", {{std::string(100000, 'x'), 1}}}}),
              ::testing::ElementsAre("/nested patternProperties"));
  EXPECT_TRUE(schema->Check(json{{"x-count", 1}}).empty());
}

TEST(DataSchemaValidate, UniqueItemsIsNotQuadraticAndFailsOnce) {
  // valijson compared every pair and reported every equal one: 3,000 equal items took 10 s and
  // 2 GiB.
  const auto schema = MustCompile(json::parse(R"({"properties": {"a": {"uniqueItems": true}}})"));
  // 9,000 equal items: 40 million pairs for valijson, and under the listing bound.
  json same = json::array();
  for (int i = 0; i < 9'000; ++i)
    same.push_back(7);
  json distinct = json::array();
  for (int i = 0; i < 100'000; ++i)
    distinct.push_back(i);
  const auto failures = schema->Check(json{{"a", same}});
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].pointer, "/a");
  EXPECT_EQ(failures[0].rule, "uniqueItems");
  EXPECT_THAT(failures[0].message, HasSubstr("#0 and #1"));
  EXPECT_TRUE(schema->Check(json{{"a", distinct}}).empty());
  EXPECT_TRUE(schema->Check(json{{"a", "not an array"}}).empty());

  // Equal as JSON Schema (and valijson) has it: numbers by value, members in any order.
  for (const char* items :
       {R"([1, 1.0])", R"([0, -0.0])", R"([{"a": 1, "b": [2]}, {"b": [2], "a": 1}])",
        R"([[1, "x"], [1, "x"]])", R"(["é", "é"])", R"([null, null])"}) {
    EXPECT_THAT(Where(*schema, json{{"a", json::parse(items)}}),
                ::testing::ElementsAre("/a uniqueItems"))
        << items;
  }
  for (const char* items :
       {R"([1, "1"])", R"([true, 1])", R"([null, "null", false, 0, "", [], {}])",
        R"(["ab", "a", "b"])", R"([["a", "b"], ["ab"]])", R"([{"a": "b"}, {"ab": ""}])",
        R"([1, 1.5])"}) {
    EXPECT_TRUE(schema->Check(json{{"a", json::parse(items)}}).empty()) << items;
  }
  // "uniqueItems": false checks nothing, and the internal keyword cannot be named by a schema.
  EXPECT_TRUE(MustCompile(json::parse(R"({"uniqueItems": false})"))->Check(json{1, 1}).empty());
  EXPECT_TRUE(
      MustCompile(json::parse(R"({"x-folio-unique-items": true})"))->Check(json{1, 1}).empty());
}

TEST(DataSchemaValidate, ListsFailuresOnlyForDocumentsOfBoundedSize) {
  // Listing takes a pass in which valijson records every failure: 500,000 wrong items (1 MB)
  // took 2 s and 400 MB.
  const auto schema =
      MustCompile(json::parse(R"({"properties": {"a": {"items": {"type": "string"}}}})"));
  json items = json::array();
  for (int i = 0; i < 9'998; ++i)
    items.push_back(i);
  // 10,000 values: the document, its member "a", and 9,998 items.
  const auto listed = schema->Check(json{{"a", items}}, 20'000);
  EXPECT_EQ(listed.size(), 9'998u);
  EXPECT_EQ(listed.back().pointer, "/a/9997");
  items.push_back(1);
  const auto refused = schema->Check(json{{"a", items}});
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].pointer, "");
  EXPECT_THAT(refused[0].message, HasSubstr("failures are listed only for documents of up to 10000 "
                                            "values, and this one holds more"));
  // A valid document of any size passes: the bound is on listing, not on validating.
  for (json& item : items)
    item = "s";
  EXPECT_TRUE(schema->Check(json{{"a", items}}).empty());
}

TEST(DataSchemaValidate, PatternPropertiesRunOnRe2) {
  // std::regex backtracks through 2^40 ways to split these a's before it fails the name.
  const auto schema = MustCompile(json::parse(R"({
    "patternProperties": {"^(a+)+$": {"type": "integer"}}, "additionalProperties": false})"));
  EXPECT_THAT(Where(*schema, json{{std::string(40, 'a') + "!", 1}}),
              ::testing::ElementsAre(" additionalProperties"));
  EXPECT_TRUE(schema->Check(json{{std::string(40, 'a'), 1}}).empty());
  EXPECT_THAT(Where(*schema, json{{"aaaa", "x"}}), ::testing::ElementsAre("/aaaa type"));
}

// (A failure inside a property's schema is listed alone, as valijson's wrapping failure for the
// pattern adds nothing: Summarize.)
TEST(DataSchemaValidate, PatternPropertiesKeepTheirMeaning) {
  const auto schema = MustCompile(json::parse(R"({
    "definitions": {"count": {"type": "integer"}},
    "properties": {"p": {"type": "string"}, "x-named": {"type": "string"}},
    "patternProperties": {"^x-": {"$ref": "#/definitions/count"}, "y$": {"minimum": 5}},
    "additionalProperties": {"type": "boolean"}})"));
  EXPECT_TRUE(
      schema->Check(json::parse(R"({"p": "s", "x-1": 1, "x-y": 7, "other": true})")).empty());
  EXPECT_THAT(Where(*schema, json::parse(R"({"x-y": 3})")), ::testing::ElementsAre("/x-y minimum"));
  EXPECT_THAT(Where(*schema, json::parse(R"({"x-1": "one"})")),
              ::testing::ElementsAre("/x-1 type"));
  EXPECT_THAT(Where(*schema, json::parse(R"({"other": 1})")),
              ::testing::ElementsAre("/other type"));
  EXPECT_THAT(Where(*schema, json::parse(R"({"p": 5})")), ::testing::ElementsAre("/p type"));
  // A named property matching a pattern must satisfy both.
  EXPECT_THAT(Where(*schema, json::parse(R"({"x-named": "s"})")),
              ::testing::ElementsAre("/x-named type"));

  // Pattern schemas that refer back to the root, and patternProperties inside them.
  const auto tree = MustCompile(json::parse(R"({
    "type": "object",
    "patternProperties": {"^n": {"$ref": "#"}, "^leaf$": {"patternProperties": {"^v": {"type": "number"}}}},
    "additionalProperties": false})"));
  EXPECT_TRUE(tree->Check(json::parse(R"({"n1": {"n2": {"leaf": {"v1": 1}}}})")).empty());
  EXPECT_THAT(Where(*tree, json::parse(R"({"n1": {"n2": {"bad": 1}}})")),
              ::testing::ElementsAre("/n1/n2 additionalProperties"));
  EXPECT_THAT(Where(*tree, json::parse(R"({"n1": {"leaf": {"v1": "one"}}})")),
              ::testing::ElementsAre("/n1/leaf/v1 type"));
  EXPECT_THAT(Where(*tree, json::parse(R"("not an object")")), ::testing::ElementsAre(" type"));
}

TEST(DataSchemaCompile, RefusesWhatPatternPropertiesCannotBeMovedWith) {
  EXPECT_THAT(CompileError(json::parse(R"({
                "patternProperties": {"^a": {"type": "string"}},
                "properties": {"b": {"$ref": "#/patternProperties/^a"}}})")),
              HasSubstr("a \"$ref\" into the \"patternProperties\" beside a "
                        "\"patternProperties\" is not supported"));
  EXPECT_THAT(CompileError(json::parse(R"({
                "id": "http://example.com/s.json",
                "patternProperties": {"^a": {}},
                "properties": {"b": {"$ref": "http://example.com/s.json#/properties/c"}, "c": {}}})")),
              HasSubstr("names a document: in a schema with \"patternProperties\""));
  json many = json::object();
  for (int i = 0; i < 65; ++i)
    many["^p" + std::to_string(i)] = json::object();
  EXPECT_THAT(CompileError(json{{"patternProperties", many}}),
              HasSubstr("more than 64 schemas in \"patternProperties\""));
  many.erase("^p64");
  EXPECT_TRUE(DataSchema::Compile(json{{"patternProperties", many}}).ok());
  // Each is parsed with the whole schema: 64 over 530 KB took 5.6 s and 755 MB.
  json big = {{"patternProperties", many}, {"description", std::string(70'000, 'd')}};
  EXPECT_THAT(CompileError(big), HasSubstr("its 64 schemas in \"patternProperties\" (and their "
                                           "\"additionalProperties\") are each parsed with the "
                                           "whole schema"));
}

TEST(DataSchemaValidate, PatternsRunInLinearTime) {
  // Nested quantifiers: std::regex backtracks through every way to split the a's (about 2^n
  // steps; 24 a's took 0.9 s, so 64 would not finish). RE2 answers at once.
  const auto schema = MustCompile(json::parse(R"js({
    "properties": {"t": {"type": "string", "pattern": "^(a+)+$"},
                   "email": {"pattern": "^([a-zA-Z0-9_.-])+@(([a-zA-Z0-9-])+\\.)+([a-zA-Z0-9]{2,4})+$"}}})js"));
  EXPECT_THAT(Where(*schema, json{{"t", std::string(64, 'a') + "!"}}),
              ::testing::ElementsAre("/t pattern"));
  EXPECT_TRUE(schema->Check(json{{"t", std::string(64, 'a')}}).empty());
  EXPECT_THAT(Where(*schema, json{{"email", std::string(64, 'a') + "@" + std::string(64, 'b')}}),
              ::testing::ElementsAre("/email pattern"));
  EXPECT_TRUE(schema->Check(json{{"email", "ann@example.org"}}).empty());
}

TEST(DataSchemaValidate, PatternsMatchCharactersAndTheirUnicodeEscapes) {
  // (A custom delimiter: the patterns hold ")\"".)
  const auto schema = MustCompile(json::parse(R"js({
    "properties": {
      "three": {"pattern": "^.{3}$"},
      "e": {"pattern": "^\\u00e9+$"},
      "literal": {"pattern": "^\\\\u0041$"},
      "x-folio-linear-pattern": {"x-folio-linear-pattern": "^never$"}
    }})js"));
  // Characters, not bytes: "été" is 5 bytes.
  EXPECT_TRUE(schema->Check(json{{"three", "\xc3\xa9t\xc3\xa9"}}).empty());
  EXPECT_THAT(Where(*schema, json{{"three", "\xc3\xa9t"}}),
              ::testing::ElementsAre("/three pattern"));
  // ECMAScript's \uXXXX (RE2 writes \x{XXXX}); an escaped backslash before a 'u' stays one.
  EXPECT_TRUE(schema->Check(json{{"e", "\xc3\xa9\xc3\xa9"}}).empty());
  EXPECT_THAT(Where(*schema, json{{"e", "e"}}), ::testing::ElementsAre("/e pattern"));
  EXPECT_TRUE(schema->Check(json{{"literal", "\\u0041"}}).empty());
  EXPECT_THAT(Where(*schema, json{{"literal", "A"}}), ::testing::ElementsAre("/literal pattern"));
  // A schema's own use of folio's keyword is an unknown keyword: ignored.
  EXPECT_TRUE(schema->Check(json{{"x-folio-linear-pattern", "anything"}}).empty());
  // Not a string: a pattern does not apply.
  EXPECT_TRUE(schema->Check(json{{"three", 12345}}).empty());
}

TEST(DataSchemaCompile, RefusesPatternsThatCannotRunInLinearTime) {
  // Lookaround and backreferences (std::regex backtracks through them), and what std::regex
  // takes for a quantified quantifier.
  for (const char* pattern : {"^(?=.*[0-9])", "^(ab)\\1$", "^(a)++$"}) {
    EXPECT_THAT(CompileError(json{{"properties", {{"p", {{"pattern", pattern}}}}}}),
                HasSubstr("at /properties/p: \"pattern\" \"" + std::string(pattern) +
                          "\" cannot be matched in linear time (RE2: "))
        << pattern;
  }
  EXPECT_THAT(CompileError(json{{"patternProperties", {{"^(?!x-)", json::object()}}}}),
              HasSubstr("\"patternProperties\" key \"^(?!x-)\" cannot be matched in linear time"));
  // std::regex's compiler overflows a signed integer reading these numbers (UBSan in the
  // sanitizer build fails this test if they reach it), and RE2 takes them for literals.
  for (const char* pattern : {"^(a)\\4444444444444444444", "a{99999999999999999999}",
                              "a{2,12345678901}", "[\\1234567890]"}) {
    for (const json& schema : {json{{"properties", {{"p", {{"pattern", pattern}}}}}},
                               json{{"patternProperties", {{pattern, json::object()}}}}}) {
      EXPECT_THAT(CompileError(schema),
                  HasSubstr("\" has a backreference or repeat count of more than 9 digits"))
          << pattern;
    }
  }
  // Long numbers elsewhere are literals, and an escaped brace or backslash starts no count.
  for (const char* pattern :
       {"^12345678901234567890$", "a{3}1234567890123", "\\{12345678901\\}", "\\\\12345678901"}) {
    EXPECT_TRUE(DataSchema::Compile(json{{"properties", {{"p", {{"pattern", pattern}}}}}}).ok())
        << pattern;
  }
}

TEST(DataSchemaValidate, RefusesNestingValijsonWouldRecurseThrough) {
  // valijson recurses per level: 20,000 nested arrays against this schema overflowed the stack.
  const auto schema = MustCompile(json::parse(R"({"items": {"$ref": "#"}})"));
  json deep = json::array();
  for (int i = 0; i < 20000; ++i)
    deep = json::array({std::move(deep)});
  EXPECT_THAT(schema->Check(deep).at(0).message, HasSubstr("nested deeper than 128 levels"));
  json shallow = json::array();
  for (int i = 0; i < 100; ++i)
    shallow = json::array({std::move(shallow)});
  EXPECT_TRUE(schema->Check(shallow).empty());
  json deep_schema = json::object();
  for (int i = 0; i < 200; ++i)
    deep_schema = json{{"items", std::move(deep_schema)}};
  EXPECT_THAT(CompileError(deep_schema), HasSubstr("nested deeper than 128 levels"));
}

TEST(DataSchemaValidate, IntegerMultipleOfRefusesFractions) {
  // valijson alone truncates 4.5 to 4 for an integer divisor, and accepted it.
  const auto schema = MustCompile(json::parse(R"({"multipleOf": 2})"));
  EXPECT_THAT(Where(*schema, 4.5), ::testing::ElementsAre(" multipleOf"));
  EXPECT_THAT(Where(*schema, 5), ::testing::ElementsAre(" multipleOf"));
  EXPECT_TRUE(schema->Check(4).empty());
  EXPECT_TRUE(schema->Check(-8.0).empty());
  EXPECT_TRUE(schema->Check("not a number").empty());
}

TEST(DataSchemaValidate, SameResultsFromFourThreads) {
  const auto schema = MustCompile(ArticleSchema());
  const std::vector<json> docs = {GoodArticle(), ArticleWith("/slug", "Bad Slug"),
                                  ArticleWith("/tags/1", 2), ArticleWith("/views", -1),
                                  json::object()};
  std::vector<std::string> expected;
  for (const json& doc : docs)
    expected.push_back(schema->Validate(doc).ToString());
  EXPECT_EQ(expected[0], "ok");

  std::vector<std::vector<std::string>> seen(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 200; ++round) {
        for (const json& doc : docs)
          seen[t].push_back(schema->Validate(doc).ToString());
      }
    });
  }
  for (std::thread& thread : threads)
    thread.join();
  for (int t = 0; t < 4; ++t) {
    ASSERT_EQ(seen[t].size(), 200 * docs.size());
    for (size_t i = 0; i < seen[t].size(); ++i) {
      ASSERT_EQ(seen[t][i], expected[i % docs.size()]) << "thread " << t << ", call " << i;
    }
  }
}

}  // namespace
}  // namespace folio::storage::detail
