#include "detail/data_schema.h"

#include "folio/base/text_checks.h"

// GCC 12 at -O3 reports a false -Wrestrict inside std::string::replace as inlined into
// valijson's JSON-pointer decoding (GCC bug 105329); nothing here overlaps.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include "detail/schema_constraints.h"

#include <re2/re2.h>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/constraint_builder.hpp>
#include <valijson/constraints/concrete_constraints.hpp>
#include <valijson/internal/uri.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <regex>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

namespace folio::storage::detail {

struct DataSchema::Compiled {
  // What valijson parsed (the caller's schema after SchemaWalk's edits). valijson copies what it
  // keeps, but the document stays alive with the schema so that no adapter can outlive it.
  nlohmann::json document;
  // The "patternProperties" folio checks itself, and the document their schemas were parsed
  // from (see DataSchema::Compile). Declared before `schema`, whose constraints point at the
  // table: it outlives them.
  nlohmann::json wrapped_document;
  PatternPropertiesTable pattern_properties;
  valijson::Schema schema;
  bool has_pattern_properties = false;  // see LongPropertyName
};

namespace {

using nlohmann::json;

constexpr const char* kSupportedDrafts = "supported drafts are 3, 4, 6 and 7";

// The longest string (in characters) matched against a "pattern" or "patternProperties", and
// against a "format"; see GuardRegexes. At 4 bytes a character, 1000 stay within a few MiB of
// stack for the patterns measured; no valid date, time or date-time is 256 long.
constexpr int kMaxPatternInput = 1000;
constexpr int kMaxFormatInput = 256;

// The most values (scalars, arrays and objects, nested) a document may hold for its failures
// to be listed; see DataSchema::Check.
constexpr size_t kMaxItemizedValues = 10'000;

// The most schemas "patternProperties" and their "additionalProperties" may hold in one type's
// schema, and the most bytes of schema parsed for them in all: each is parsed on its own, as a
// "$ref" into a copy of the whole schema (DataSchema::Compile), and one that refers back to the
// root takes all of it. 64 such over a 530 KB schema took 5.6 s and 755 MB.
constexpr size_t kMaxPatternSchemas = 64;
constexpr size_t kMaxPatternParseBytes = 4 << 20;

// Thrown through valijson by the fetch callback: the "$ref" names another document. valijson
// rethrows whatever its callback throws after freeing its own state.
struct RemoteRefRefused {
  std::string uri;
};

std::string EscapePointerToken(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

// Undoes EscapePointerToken: "~1" is "/", then "~0" is "~" (RFC 6901's order).
void UnescapePointerToken(std::string* token) {
  for (size_t p = 0; (p = token->find("~1", p)) != std::string::npos; ++p) {
    token->replace(p, 2, "/");
  }
  for (size_t p = 0; (p = token->find("~0", p)) != std::string::npos; ++p) {
    token->replace(p, 2, "~");
  }
}

// The unescaped tokens of an RFC 6901 pointer ("/a~1b/c" is "a/b", "c").
std::vector<std::string> PointerTokens(std::string_view pointer) {
  std::vector<std::string> tokens;
  size_t start = 1;
  while (start <= pointer.size() && !pointer.empty()) {
    size_t end = pointer.find('/', start);
    if (end == std::string_view::npos) end = pointer.size();
    std::string token(pointer.substr(start, end - start));
    UnescapePointerToken(&token);
    tokens.push_back(std::move(token));
    start = end + 1;
  }
  return tokens;
}

// A pointer as the fragment of a "$ref" valijson decodes (it decodes %-escapes after ~1 and ~0).
std::string AsRefFragment(std::string_view pointer) {
  std::string out;
  for (char c : pointer) {
    if (c == '%') {
      out += "%25";
    } else {
      out += c;
    }
  }
  return out;
}

// "a string", "an array", "null", "5": what a value is, for messages.
std::string Kind(const json& v) {
  if (v.is_number()) return v.dump();
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "a boolean";
  if (v.is_string()) return "a string";
  return v.is_array() ? "an array" : "an object";
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool IsUnsignedDecimal(std::string_view s) {
  return !s.empty() && s.size() <= 18 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The longest "$ref" or "id" a schema may hold. valijson matches them with std::regex (isUrn),
// which recurses once per character: 50,000 overflowed an 8 MiB stack (20,000 under ASan); and
// it resolves a "$ref"'s pointer recursing once per "/". Real references are far shorter.
constexpr size_t kMaxReferenceBytes = 1024;

// The longest chain of "$ref"s to "$ref"s. valijson follows one recursing once per hop, and
// SchemaWalk follows it again from each "$ref" on it: 4,000 hops took 22 s to compile.
constexpr size_t kMaxReferenceChain = 64;

// Whether valijson takes `uri` as naming another document rather than a place in the current
// one: valijson's own test, so that FollowRef can never disagree with it. A URN-like name its
// URN grammar refuses ("URN:x/y") is relative there, and its empty pointer names the root: taking
// it as remote let a root "$ref" to it reach valijson, which recursed until the stack overflowed.
// `uri` is at most kMaxReferenceBytes long (see above).
bool IsAbsoluteUri(const std::string& uri) {
  return valijson::internal::uri::isUriAbsolute(uri) || valijson::internal::uri::isUrn(uri);
}

std::string Where(const std::string& schema_pointer) {
  return "invalid JSON Schema at " + DescribePointer(schema_pointer) + ": ";
}

// The draft the root's "$schema" names; 7 when it names none.
Result<int> DraftOf(const json& schema) {
  if (!schema.is_object()) return 7;
  const auto it = schema.find("$schema");
  if (it == schema.end()) return 7;
  if (!it->is_string()) {
    return Status::InvalidArgument(
        std::string("invalid JSON Schema: \"$schema\" must be a string, not ") + Kind(*it));
  }
  const std::string uri = it->get<std::string>();
  std::string norm = uri;
  if (EndsWith(norm, "#")) norm.pop_back();
  if (StartsWith(norm, "https://")) norm.replace(0, 5, "http");
  if (norm == "http://json-schema.org/draft-03/schema") return 3;
  if (norm == "http://json-schema.org/draft-04/schema") return 4;
  if (norm == "http://json-schema.org/draft-06/schema") return 6;
  if (norm == "http://json-schema.org/draft-07/schema") return 7;
  constexpr std::string_view kLater = "http://json-schema.org/draft/";
  if (StartsWith(norm, kLater)) {
    const std::string name =
        norm.substr(kLater.size(), norm.find('/', kLater.size()) - kLater.size());
    return Status::InvalidArgument("unsupported JSON Schema draft " + name + " (\"$schema\" \"" +
                                   uri + "\"): the validator (valijson 1.0) predates it; " +
                                   kSupportedDrafts);
  }
  if (norm == "http://json-schema.org/schema") {
    return Status::InvalidArgument("\"$schema\" \"" + uri +
                                   "\" names no particular draft; name one: " + kSupportedDrafts +
                                   " (e.g. http://json-schema.org/draft-07/schema#)");
  }
  return Status::InvalidArgument("unknown \"$schema\" \"" + uri + "\"; " + kSupportedDrafts +
                                 " (http://json-schema.org/draft-0N/schema#)");
}

// Keywords of other drafts, which are unknown (so ignored) in `draft`, but which valijson's
// draft-7 parser would enforce or refuse. They are removed before valijson sees them.
const std::vector<const char*>& ForeignKeywords(int draft) {
  // And "format" in draft 3: its formats are not RFC 3339's, which valijson checks ("time" is
  // hh:mm:ss there).
  static const std::vector<const char*> k3 = {
      "allOf", "anyOf",    "oneOf",         "not", "multipleOf", "minProperties", "maxProperties",
      "const", "contains", "propertyNames", "if",  "then",       "else",          "format"};
  static const std::vector<const char*> k4 = {"divisibleBy", "const", "contains", "propertyNames",
                                              "if",          "then",  "else"};
  static const std::vector<const char*> k6 = {"divisibleBy", "if", "then", "else"};
  static const std::vector<const char*> k7 = {"divisibleBy"};
  switch (draft) {
    case 3:
      return k3;
    case 4:
      return k4;
    case 6:
      return k6;
    default:
      return k7;
  }
}

// Walks every place of a schema document that holds a schema (from the root, through the
// subschema keywords of its draft and through local "$ref"s), before valijson parses it:
//  - checks the shape of the keywords, so that a wrong one is reported with its location
//    (valijson's own messages name the keyword but not where it is);
//  - refuses what valijson would mishandle: a "$ref" that does not resolve, a cycle of "$ref"s
//    (valijson recurses until the stack overflows), a "pattern" std::regex cannot compile
//    (valijson would throw while validating);
//  - rewrites the schema for valijson's draft-7 parser, used for every draft: valijson's draft-4
//    parser cannot take the if/then of GuardRegexes, and its draft-3 one ignores "extends" and
//    "disallow". Keywords of other drafts are removed (ForeignKeywords); draft 3 and 4's boolean
//    exclusive bounds become draft 7's numeric ones (ToDraft7Bounds); draft 3's "required"
//    booleans, union types, "disallow", "extends" and "divisibleBy" become "required" lists,
//    anyOf, not, allOf and multipleOf (Draft3ToDraft7);
//  - guards what valijson checks with std::regex (GuardRegexes).
class SchemaWalk {
 public:
  SchemaWalk(json& root, int draft) : root_(root), draft_(draft) {}

  // Whether some schema of the document has "patternProperties" (valid after Run).
  bool has_pattern_properties() const { return has_pattern_properties_; }

  Status Run() {
    Enqueue(json::json_pointer(), std::nullopt);
    for (size_t i = 0; i < queue_.size(); ++i) {
      const Place place = queue_[i];            // a copy: Visit may grow queue_
      if (!root_.contains(place.at)) continue;  // a "$ref" into a removed keyword
      if (Status s = Visit(place); !s.ok()) return s;
    }
    if (draft_ == 3) {
      // Deepest first: Draft3ToDraft7 moves subschemas, which must already be rewritten.
      std::vector<std::string> places(seen_.begin(), seen_.end());
      auto depth = [](const std::string& p) { return std::count(p.begin(), p.end(), '/'); };
      std::stable_sort(
          places.begin(), places.end(),
          [&](const std::string& a, const std::string& b) { return depth(a) > depth(b); });
      for (const std::string& place : places) {
        const json::json_pointer at(place);
        if (root_.contains(at) && root_.at(at).is_object() && !root_.at(at).contains("$ref")) {
          Draft3ToDraft7(root_.at(at), place);
        }
      }
    }
    return MovePatternProperties();
  }

  // A node whose "patternProperties" MovePatternProperties moved, by its pointer before the move.
  struct PatternNode {
    std::string pointer;
    std::vector<std::string> patterns;  // in the order of kPatternSchemasKeyword's schemas
    std::set<std::string> names;        // of "properties"
    PatternPropertiesTable::Additional additional = PatternPropertiesTable::Additional::kAny;
  };
  const std::vector<PatternNode>& pattern_nodes() const { return pattern_nodes_; }
  // How many schemas they hold: their patterns', and an "additionalProperties" that is one.
  size_t pattern_schemas() const { return pattern_schemas_; }

  // The places of every "$ref", by their pointers before MovePatternProperties.
  const std::vector<std::string>& ref_places() const { return ref_places_; }

  // Where the node at `pointer` (as walked) is after MovePatternProperties.
  std::string MovedPointer(const std::string& pointer) const {
    std::string at;  // the original pointer walked so far
    json::json_pointer moved;
    const PatternNode* patterns_of = nullptr;  // set when the last token was its keyword
    for (const std::string& token : PointerTokens(pointer)) {
      const auto here = pattern_index_.find(at);
      if (patterns_of != nullptr) {
        const auto it =
            std::find(patterns_of->patterns.begin(), patterns_of->patterns.end(), token);
        moved /= static_cast<size_t>(it - patterns_of->patterns.begin());
        patterns_of = nullptr;
      } else if (here != pattern_index_.end() && token == "patternProperties") {
        moved /= kPatternSchemasKeyword;
        patterns_of = &pattern_nodes_[here->second];
      } else if (here != pattern_index_.end() && token == "additionalProperties") {
        moved /= kAdditionalSchemaKeyword;
      } else {
        moved /= token;
      }
      at += "/" + EscapePointerToken(token);
    }
    return moved.to_string();
  }

  // Moves each "patternProperties", with the node's "additionalProperties", where valijson does
  // not see them, for PatternProperties to check; deepest first, so that the pointers of the
  // nodes still to move stay valid. Their schemas are parsed on their own, each from a copy of
  // the document whose "$ref"s are re-rooted (DataSchema::Compile).
  Status MovePatternProperties() {
    if (pattern_places_.empty()) return Status::Ok();
    // First, so that the checks below stay bounded too.
    for (const std::string& place : pattern_places_) {
      const json& node = root_.at(json::json_pointer(place));
      const auto additional = node.find("additionalProperties");
      pattern_schemas_ += node.at("patternProperties").size() +
                          (additional != node.end() && !additional->is_boolean() ? 1 : 0);
      if (pattern_schemas_ > kMaxPatternSchemas) {
        return Status::InvalidArgument(
            Where(place) + "more than " + std::to_string(kMaxPatternSchemas) +
            " schemas in \"patternProperties\" (and their \"additionalProperties\") in all; "
            "folio parses each on its own");
      }
    }
    for (const std::string& place : ref_places_) {
      const json::json_pointer at(place);
      if (!root_.contains(at)) continue;
      const std::string ref = root_.at(at)["$ref"].get<std::string>();
      if (ref.empty() || ref.front() != '#') {
        return Status::InvalidArgument(
            Where(place) + "\"$ref\" \"" + ref +
            "\" names a document: in a schema with \"patternProperties\", folio takes "
            "fragments only (\"#/definitions/name\")");
      }
    }
    for (const std::string& target : ref_targets_) {
      for (const std::string& place : pattern_places_) {
        for (const char* keyword : {"patternProperties", "additionalProperties"}) {
          const std::string inside = place + "/" + keyword;
          if (target == inside || StartsWith(target, inside + "/")) {
            return Status::InvalidArgument(Where(target) + "a \"$ref\" into the \"" + keyword +
                                           "\" beside a \"patternProperties\" is not supported");
          }
        }
      }
    }
    std::vector<std::string> places = pattern_places_;
    auto depth = [](const std::string& p) { return std::count(p.begin(), p.end(), '/'); };
    std::stable_sort(places.begin(), places.end(), [&](const std::string& a, const std::string& b) {
      return depth(a) > depth(b);
    });
    for (const std::string& place : places) {
      // valijson skips empty tokens of a "$ref", so it could not be pointed at.
      if (place.find("//") != std::string::npos || (!place.empty() && place.back() == '/')) {
        return Status::InvalidArgument(Where(place) +
                                       "\"patternProperties\" under a property named \"\" is "
                                       "not supported");
      }
      json& node = root_.at(json::json_pointer(place));
      PatternNode moved{place, {}, {}, PatternPropertiesTable::Additional::kAny};
      json pattern_schemas = json::array();
      for (auto& [pattern, schema] : node["patternProperties"].items()) {
        moved.patterns.push_back(pattern);
        pattern_schemas.push_back(std::move(schema));
      }
      if (const auto it = node.find("properties"); it != node.end() && it->is_object()) {
        for (const auto& [name, unused] : it->items())
          moved.names.insert(name);
      }
      if (const auto it = node.find("additionalProperties"); it != node.end()) {
        if (it->is_boolean()) {
          moved.additional = it->get<bool>() ? PatternPropertiesTable::Additional::kAny
                                             : PatternPropertiesTable::Additional::kNone;
        } else {
          moved.additional = PatternPropertiesTable::Additional::kSchema;
          json additional = std::move(*it);
          node[kAdditionalSchemaKeyword] = std::move(additional);
        }
        node.erase("additionalProperties");
      }
      node.erase("patternProperties");
      node[kPatternSchemasKeyword] = std::move(pattern_schemas);
      node[kPatternPropertiesKeyword] = pattern_nodes_.size();
      pattern_index_[place] = pattern_nodes_.size();
      pattern_nodes_.push_back(std::move(moved));
    }
    return Status::Ok();
  }

 private:
  // A node to walk as a schema, and valijson's resolution scope there (from "id").
  struct Place {
    json::json_pointer at;
    std::optional<std::string> scope;
  };

  void Enqueue(const json::json_pointer& at, const std::optional<std::string>& scope) {
    if (seen_.insert(at.to_string()).second) queue_.push_back({at, scope});
  }

  Status Visit(const Place& place) {
    json& node = root_.at(place.at);
    const std::string where = place.at.to_string();
    if (!node.is_object()) {
      if (node.is_boolean() && draft_ >= 6) return Status::Ok();
      return Status::InvalidArgument(
          Where(where) +
          (draft_ >= 6
               ? "a schema must be a JSON object or boolean, not "
               : "a schema must be a JSON object (draft " + std::to_string(draft_) + "), not ") +
          Kind(node));
    }
    if (const auto ref = node.find("$ref"); ref != node.end()) {
      // Up to draft 7, a "$ref" replaces its whole object: siblings are ignored (by valijson too).
      if (!ref->is_string()) {
        return Status::InvalidArgument(Where(where) + "\"$ref\" must be a string, not " +
                                       Kind(*ref));
      }
      ref_places_.push_back(where);
      return FollowRef(where, ref->get<std::string>(), place.scope, place.at.empty());
    }
    for (const char* keyword : ForeignKeywords(draft_)) {
      node.erase(keyword);
    }
    // A schema's own use of folio's internal keywords is an unknown keyword.
    for (const char* keyword :
         {kPatternPropertiesKeyword, kPatternSchemasKeyword, kAdditionalSchemaKeyword}) {
      node.erase(keyword);
    }
    if (Status s = CheckKeywords(node, where); !s.ok()) return s;
    if (draft_ <= 4) {
      if (Status s = ToDraft7Bounds(node, where); !s.ok()) return s;
    }
    if (draft_ == 3) CollectDraft3Required(node, where);
    // valijson truncates a fractional value to an integer for an integer divisor (4.5 passed
    // "multipleOf": 2); its floating-point constraint has no such shortcut.
    for (const char* keyword : {"multipleOf", "divisibleBy"}) {
      if (node.contains(keyword) && !node[keyword].is_number_float()) {
        node[keyword] = node[keyword].get<double>();
      }
    }
    // valijson reads "id" (not draft 6's "$id") in every draft, and joins a relative one to the
    // scope by plain concatenation; mirrored so that FollowRef tells local "$ref"s as it does.
    std::optional<std::string> scope = place.scope;
    if (const auto id = node.find("id"); id != node.end() && id->is_string()) {
      const std::string value = id->get<std::string>();
      if (value.size() > kMaxReferenceBytes) {
        return Status::InvalidArgument(Where(where) + "\"id\" is " + std::to_string(value.size()) +
                                       " bytes long; folio takes at most " +
                                       std::to_string(kMaxReferenceBytes));
      }
      scope = !scope || IsAbsoluteUri(value) ? value : *scope + value;
    }
    if (const auto it = node.find("patternProperties"); it != node.end() && !it->empty()) {
      has_pattern_properties_ = true;
      // Draft 3's rewrite moves subschemas around (Draft3ToDraft7): its patternProperties stay
      // with valijson.
      if (draft_ != 3) pattern_places_.push_back(where);
    }
    EnqueueSubschemas(node, place.at, scope);
    GuardRegexes(node);               // after EnqueueSubschemas: the guards are not walked
    node.erase(kUniqueItemsKeyword);  // the schema's own use of it is an unknown keyword
    if (const auto unique = node.find("uniqueItems"); unique != node.end()) {
      if (unique->get<bool>()) node[kUniqueItemsKeyword] = true;  // CheckKeywords: a boolean
      node.erase("uniqueItems");
    }
    return Status::Ok();
  }

  Status CheckKeywords(const json& node, const std::string& where) const {
    auto bad = [&](const char* keyword, const std::string& expected) {
      const json& v = node.at(keyword);
      return Status::InvalidArgument(Where(where) + "\"" + keyword + "\" must be " + expected +
                                     ", not " + Kind(v));
    };
    auto is_non_negative_integer = [](const json& v) {
      if (v.is_number_unsigned()) return true;
      if (v.is_number_integer()) return v.get<int64_t>() >= 0;
      if (!v.is_number_float()) return false;
      const double d = v.get<double>();
      return std::isfinite(d) && d >= 0 && std::floor(d) == d;
    };
    auto is_string_array = [](const json& v) {
      return v.is_array() &&
             std::all_of(v.begin(), v.end(), [](const json& e) { return e.is_string(); });
    };
    for (const char* keyword : {"minimum", "maximum"}) {
      if (node.contains(keyword) && !node[keyword].is_number()) return bad(keyword, "a number");
    }
    for (const char* keyword : {"exclusiveMinimum", "exclusiveMaximum"}) {
      if (!node.contains(keyword)) continue;
      if (draft_ >= 6 && !node[keyword].is_number()) return bad(keyword, "a number");
      if (draft_ < 6 && !node[keyword].is_boolean()) return bad(keyword, "a boolean");
    }
    for (const char* keyword : {"multipleOf", "divisibleBy"}) {
      if (node.contains(keyword) &&
          !(node[keyword].is_number() && node[keyword].get<double>() > 0)) {
        return bad(keyword, "a number greater than 0");
      }
    }
    for (const char* keyword :
         {"minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"}) {
      if (node.contains(keyword) && !is_non_negative_integer(node[keyword])) {
        return bad(keyword, "a non-negative integer");
      }
    }
    for (const char* keyword : {"pattern", "format", "title", "description"}) {
      if (node.contains(keyword) && !node[keyword].is_string()) return bad(keyword, "a string");
    }
    if (node.contains("uniqueItems") && !node["uniqueItems"].is_boolean()) {
      return bad("uniqueItems", "a boolean");
    }
    if (node.contains("enum") &&
        !(node["enum"].is_array() && (draft_ >= 6 || !node["enum"].empty()))) {
      return bad("enum", draft_ >= 6 ? "an array" : "a non-empty array");
    }
    if (node.contains("required")) {
      const json& v = node["required"];
      if (draft_ == 3 && !v.is_boolean()) return bad("required", "a boolean (draft 3)");
      if (draft_ > 3 && !(is_string_array(v) && (draft_ >= 6 || !v.empty()))) {
        return bad("required",
                   draft_ >= 6 ? "an array of strings" : "a non-empty array of strings");
      }
    }
    for (const char* keyword : {"allOf", "anyOf", "oneOf"}) {
      if (node.contains(keyword) && !(node[keyword].is_array() && !node[keyword].empty())) {
        return bad(keyword, "a non-empty array of schemas");
      }
    }
    for (const char* keyword : {"properties", "patternProperties", "definitions", "dependencies"}) {
      if (node.contains(keyword) && !node[keyword].is_object()) return bad(keyword, "an object");
    }
    if (node.contains("dependencies")) {
      for (const auto& [name, v] : node["dependencies"].items()) {
        const bool ok = v.is_object() || is_string_array(v) || (draft_ == 3 && v.is_string()) ||
                        (draft_ >= 6 && v.is_boolean());
        if (!ok) {
          return Status::InvalidArgument(Where(where) + "\"dependencies\" of \"" + name +
                                         "\" must be a schema or an array of property names");
        }
      }
    }
    for (const char* keyword : {"additionalProperties", "additionalItems"}) {
      if (node.contains(keyword) && !node[keyword].is_object() && !node[keyword].is_boolean()) {
        return bad(keyword, "a schema or a boolean");
      }
    }
    if (draft_ == 3 && node.contains("extends")) {
      const json& v = node["extends"];
      if (!v.is_object() && !(v.is_array() && std::all_of(v.begin(), v.end(), [](const json& e) {
                                return e.is_object();
                              }))) {
        return bad("extends", "a schema or an array of schemas");
      }
    }
    for (const char* keyword : {"type", "disallow"}) {
      if (!node.contains(keyword) || (draft_ != 3 && keyword[0] == 'd')) continue;
      const json& v = node[keyword];
      auto known = [&](const json& name) {
        static const std::set<std::string> kNames = {"array",  "boolean", "integer", "null",
                                                     "number", "object",  "string"};
        if (draft_ == 3 && name.is_object()) return true;  // a draft-3 union type's schema
        if (!name.is_string()) return false;
        return kNames.count(name.get<std::string>()) > 0 || (draft_ == 3 && name == "any");
      };
      const bool ok = v.is_array() ? std::all_of(v.begin(), v.end(), known) : known(v);
      if (!ok) {
        return Status::InvalidArgument(
            Where(where) + "\"" + keyword +
            "\" must be a type name or an array of them (array, boolean, integer, null, number, " +
            "object, string" + (draft_ == 3 ? ", any, or a schema" : "") + "), not " + v.dump());
      }
    }
    if (node.contains("pattern")) {
      if (Status s = CheckRegex(node["pattern"].get<std::string>(), where, "\"pattern\"");
          !s.ok()) {
        return s;
      }
    }
    if (node.contains("patternProperties")) {
      for (const auto& [pattern, unused] : node["patternProperties"].items()) {
        if (Status s = CheckRegex(pattern, where, "\"patternProperties\" key"); !s.ok()) return s;
      }
    }
    return Status::Ok();
  }

  // Whether a run of more than 9 digits follows a backslash, a "{" or a "{n,": where std::regex's
  // compiler reads a backreference number or a repeat count into a long without checking for
  // overflow (UBSan: "^(a)\\4444444444444444444", found by fuzz_type_settings). RE2 takes
  // both for literals, so it cannot screen them.
  static bool HasOverlongNumber(std::string_view pattern) {
    constexpr size_t kMaxDigits = 9;
    auto digits_at = [&](size_t at) {
      size_t end = at;
      while (end < pattern.size() && pattern[end] >= '0' && pattern[end] <= '9')
        ++end;
      return end - at;
    };
    for (size_t at = 0; at < pattern.size(); ++at) {
      if (pattern[at] == '\\') {
        if (digits_at(at + 1) > kMaxDigits) return true;
        ++at;  // an escaped pair: \{ is no brace
      } else if (pattern[at] == '{') {
        const size_t low = digits_at(at + 1);
        if (low > kMaxDigits) return true;
        const size_t comma = at + 1 + low;
        if (comma < pattern.size() && pattern[comma] == ',' && digits_at(comma + 1) > kMaxDigits) {
          return true;
        }
      }
    }
    return false;
  }

  // A pattern must be ECMAScript (what std::regex accepts: JSON Schema's dialect, and valijson
  // still compiles draft 3's "patternProperties" keys with it), and RE2 must run it in linear
  // time ("pattern" and the other "patternProperties" run on RE2: LinearPattern,
  // PatternProperties). So lookaround and backreferences are refused.
  static Status CheckRegex(const std::string& pattern, const std::string& where, const char* what) {
    if (HasOverlongNumber(pattern)) {
      return Status::InvalidArgument(
          Where(where) + what + " \"" + pattern +
          "\" has a backreference or repeat count of more than 9 digits");
    }
    std::string error;
    bool unsupported = false;
    if (CompileLinearPattern(pattern, &error, &unsupported) == nullptr) {
      if (!unsupported) {
        return Status::InvalidArgument(Where(where) + what + " \"" + pattern +
                                       "\" is not a regular expression (RE2: " + error + ")");
      }
      return Status::InvalidArgument(Where(where) + what + " \"" + pattern +
                                     "\" cannot be matched in linear time (RE2: " + error +
                                     "); folio does not run lookaround or backreferences");
    }
    try {
      std::regex re(pattern);
    } catch (const std::regex_error& e) {
      return Status::InvalidArgument(Where(where) + what + " \"" + pattern +
                                     "\" is not a regular expression std::regex (ECMAScript) "
                                     "accepts: " +
                                     e.what());
    }
    return Status::Ok();
  }

  void EnqueueSubschemas(const json& node, const json::json_pointer& at,
                         const std::optional<std::string>& scope) {
    auto one = [&](const char* keyword) {
      const auto it = node.find(keyword);
      if (it != node.end()) Enqueue(at / keyword, scope);
    };
    auto each = [&](const char* keyword) {
      const auto it = node.find(keyword);
      if (it == node.end() || !it->is_array()) return;
      for (size_t i = 0; i < it->size(); ++i) {
        Enqueue(at / keyword / i, scope);
      }
    };
    auto each_value = [&](const char* keyword, bool only_objects) {
      const auto it = node.find(keyword);
      if (it == node.end() || !it->is_object()) return;
      for (const auto& [name, v] : it->items()) {
        if (!only_objects || v.is_object() || (draft_ >= 6 && v.is_boolean())) {
          Enqueue(at / keyword / name, scope);
        }
      }
    };
    for (const char* keyword : {"not", "contains", "propertyNames", "if", "then", "else"}) {
      one(keyword);
    }
    for (const char* keyword : {"additionalProperties", "additionalItems"}) {
      // `false` here means "no more" in every draft, not a boolean schema.
      if (node.contains(keyword) && node[keyword].is_object()) Enqueue(at / keyword, scope);
    }
    if (const auto items = node.find("items"); items != node.end()) {
      if (items->is_array()) {
        each("items");
      } else {
        one("items");
      }
    }
    for (const char* keyword : {"allOf", "anyOf", "oneOf"}) {
      each(keyword);
    }
    each_value("properties", false);
    each_value("patternProperties", false);
    each_value("definitions", false);
    each_value("dependencies", true);  // the others are lists of property names
    if (draft_ == 3) {
      for (const char* keyword : {"type", "disallow", "extends"}) {
        const auto it = node.find(keyword);
        if (it == node.end()) continue;
        if (it->is_object()) Enqueue(at / keyword, scope);
        for (size_t i = 0; it->is_array() && i < it->size(); ++i) {
          if ((*it)[i].is_object()) Enqueue(at / keyword / i, scope);
        }
      }
    }
  }

  // Draft 3 marks a property required in the property's own schema (through "$ref"s too); draft 7
  // lists it in the parent's "required". Collected while walking, set by Draft3ToDraft7, so that
  // no "required" changes before every parent has read it.
  void CollectDraft3Required(const json& node, const std::string& where) {
    const auto properties = node.find("properties");
    if (properties == node.end()) return;
    json names = json::array();
    for (const auto& [name, property] : properties->items()) {
      const json* target = &property;
      for (size_t hop = 0;
           hop < kMaxReferenceChain && target->is_object() && target->contains("$ref"); ++hop) {
        const json& ref = (*target)["$ref"];
        std::string problem;
        const auto at = ref.is_string() && StartsWith(ref.get<std::string>(), "#")
                            ? Resolve(ref.get<std::string>().substr(1), &problem)
                            : std::nullopt;
        if (!at) break;
        target = &root_.at(*at);
      }
      const auto required = target->is_object() ? target->find("required") : target->end();
      if (target->is_object() && required != target->end() && *required == true) {
        names.push_back(name);
      }
    }
    if (!names.empty()) draft3_required_[where] = std::move(names);
  }

  // Draft 3's keywords in draft 7's terms (see CollectDraft3Required). A single dependency name
  // becomes a list of one, a union type (names and schemas) becomes anyOf, "disallow" becomes not,
  // "extends" joins allOf: draft 3 has none of these (ForeignKeywords removed any), so nothing is
  // overwritten.
  void Draft3ToDraft7(json& node, const std::string& where) {
    if (const auto it = node.find("required"); it != node.end() && it->is_boolean()) {
      node.erase(it);
    }
    if (const auto it = draft3_required_.find(where); it != draft3_required_.end()) {
      node["required"] = it->second;
    }
    if (const auto it = node.find("dependencies"); it != node.end() && it->is_object()) {
      for (auto& [name, dependency] : it->items()) {
        if (dependency.is_string()) dependency = json::array({dependency});
      }
    }
    if (const auto it = node.find("divisibleBy"); it != node.end()) {
      node["multipleOf"] = *it;
      node.erase("divisibleBy");
    }
    // The schema a draft-3 type union stands for; nullopt for "any".
    auto union_schema = [](const json& value) -> std::optional<json> {
      json names = json::array();
      json alternatives = json::array();
      for (const json& e : value.is_array() ? value : json::array({value})) {
        if (e == "any") return std::nullopt;
        if (e.is_string()) {
          names.push_back(e);
        } else {
          alternatives.push_back(e);
        }
      }
      if (alternatives.empty()) return json{{"type", names}};
      if (!names.empty()) alternatives.insert(alternatives.begin(), json{{"type", names}});
      return json{{"anyOf", alternatives}};
    };
    if (const auto it = node.find("type"); it != node.end()) {
      const std::optional<json> allowed = union_schema(*it);
      node.erase("type");
      if (allowed) node.update(*allowed);
    }
    if (const auto it = node.find("disallow"); it != node.end()) {
      const std::optional<json> disallowed = union_schema(*it);
      node.erase("disallow");
      node["not"] = disallowed ? *disallowed : json::object();  // "any": nothing is allowed
    }
    if (const auto it = node.find("extends"); it != node.end()) {
      json bases = it->is_array() ? *it : json::array({*it});
      node.erase("extends");
      json& all_of = node["allOf"];
      if (!all_of.is_array()) all_of = json::array();
      for (json& base : bases)
        all_of.push_back(std::move(base));
    }
  }

  // Draft 4's "exclusiveMaximum": true turns "maximum" exclusive; draft 7 gives the bound itself.
  static Status ToDraft7Bounds(json& node, const std::string& where) {
    for (const auto& [bound, exclusive] :
         {std::pair<const char*, const char*>{"maximum", "exclusiveMaximum"},
          {"minimum", "exclusiveMinimum"}}) {
      if (!node.contains(exclusive)) continue;
      if (!node.contains(bound)) {
        return Status::InvalidArgument(Where(where) + "\"" + exclusive + "\" needs \"" + bound +
                                       "\" (drafts 3 and 4)");
      }
      if (node[exclusive].get<bool>()) {
        node[exclusive] = node[bound];
        node.erase(bound);
      } else {
        node.erase(exclusive);
      }
    }
    return Status::Ok();
  }

  // Moves the keywords valijson checks with std::regex under guards appended to "allOf" (which
  // leaves the node's own keywords, if/then/else included, as they are):
  //  - "format" (date, time, date-time) applies to strings only: valijson applied it to every
  //    type, so a null or a number failed it and an object or array made valijson throw;
  //  - a "pattern" is checked by LinearPattern (kLinearPatternKeyword), in linear time
  //    (CheckRegex has refused the schema of one RE2 cannot compile);
  //  - a string is matched against a "pattern" or "format" only up to a length: libstdc++'s
  //    std::regex recurses once per character, and a 12,000-character string overflowed an
  //    8 MiB stack (SIGSEGV). A longer one fails as "maxLength" instead. (Property names for
  //    "patternProperties" are checked by LongPropertyName, before valijson runs.)
  static void GuardRegexes(json& node) {
    json guards = json::array();
    if (const auto format = node.find("format"); format != node.end() && format->is_string()) {
      const std::string name = format->get<std::string>();
      if (name == "date" || name == "time" || name == "date-time") {
        node.erase("format");
        guards.push_back({{"if", {{"type", "string"}, {"maxLength", kMaxFormatInput}}},
                          {"then", {{"format", name}}},
                          {"else", {{"maxLength", kMaxFormatInput}}}});
      }
    }
    node.erase(kLinearPatternKeyword);
    if (const auto pattern = node.find("pattern"); pattern != node.end()) {
      guards.push_back({{"if", {{"maxLength", kMaxPatternInput}}},
                        {"then", {{kLinearPatternKeyword, *pattern}}},
                        {"else", {{"maxLength", kMaxPatternInput}}}});
      node.erase("pattern");
    }
    if (guards.empty()) return;
    json& all_of = node["allOf"];
    if (!all_of.is_array()) all_of = json::array();
    for (json& guard : guards)
      all_of.push_back(std::move(guard));
  }

  // Checks the "$ref" at `where` the way valijson resolves it (SchemaParser::makeOrReuseSchema;
  // resolveThenPopulateSchema for the root's): a local reference must resolve to a node of this
  // document, and a chain of local "$ref"s must reach a schema (valijson would recurse until the
  // stack overflows). A reference to another document is left to valijson, which asks the
  // fetch callback for it, and that refuses it.
  Status FollowRef(const std::string& where, const std::string& ref,
                   const std::optional<std::string>& scope, bool from_root) {
    std::vector<std::string> chain{where};
    std::string current = ref;
    while (true) {
      if (current.size() > kMaxReferenceBytes) {
        return Status::InvalidArgument(
            Where(chain.back()) + "\"$ref\" is " + std::to_string(current.size()) +
            " bytes long; folio takes at most " + std::to_string(kMaxReferenceBytes));
      }
      const size_t hash = current.find('#');
      const std::optional<std::string> document =
          hash == 0 ? std::nullopt : std::optional<std::string>(current.substr(0, hash));
      bool local;
      if (from_root) {
        local = !document || !IsAbsoluteUri(*document);
      } else {
        std::optional<std::string> resolved = document;
        if (scope) {
          resolved = !document ? *scope : IsAbsoluteUri(*document) ? *document : *scope + *document;
        }
        local = !resolved || (scope && *resolved == *scope);
      }
      if (!local) return Status::Ok();
      const std::string fragment = hash == std::string::npos ? "" : current.substr(hash + 1);
      std::string problem;
      const std::optional<json::json_pointer> target = Resolve(fragment, &problem);
      if (!target) {
        return Status::InvalidArgument(Where(chain.back()) + "\"$ref\" \"" + current + "\" " +
                                       problem);
      }
      Enqueue(*target, from_root ? std::nullopt : scope);
      ref_targets_.insert(target->to_string());
      const json& node = root_.at(*target);
      const auto next = node.is_object() ? node.find("$ref") : node.end();
      if (!node.is_object() || next == node.end() || !next->is_string()) return Status::Ok();
      const std::string target_where = target->to_string();
      if (std::find(chain.begin(), chain.end(), target_where) != chain.end()) {
        std::string path;
        for (const std::string& hop : chain) {
          path += DescribePointer(hop) + " -> ";
        }
        path += DescribePointer(target_where);
        return Status::InvalidArgument(Where(where) + "\"$ref\" \"" + ref +
                                       "\" starts a cycle of \"$ref\"s that never reaches a "
                                       "schema (" +
                                       path + ")");
      }
      if (chain.size() == kMaxReferenceChain) {
        return Status::InvalidArgument(
            Where(where) + "\"$ref\" \"" + ref + "\" starts a chain of more than " +
            std::to_string(kMaxReferenceChain) + " \"$ref\"s; folio follows at most that many");
      }
      chain.push_back(target_where);
      current = next->get<std::string>();
    }
  }

  // The node a "$ref" fragment names, decoded as valijson decodes it (~1, ~0, then %XX; empty
  // tokens skipped), or nullopt with `problem` set.
  std::optional<json::json_pointer> Resolve(const std::string& fragment,
                                            std::string* problem) const {
    json::json_pointer at;
    if (fragment.empty()) return at;
    if (fragment.front() != '/') {
      *problem =
          "is not supported: only JSON-pointer fragments (\"#/definitions/name\") can be "
          "resolved, not plain-name fragments";
      return std::nullopt;
    }
    const json* node = &root_;
    size_t start = 1;
    while (start <= fragment.size()) {
      size_t end = fragment.find('/', start);
      if (end == std::string::npos) end = fragment.size();
      std::string token = fragment.substr(start, end - start);
      start = end + 1;
      if (token.empty()) continue;
      UnescapePointerToken(&token);
      for (size_t p = 0; (p = token.find('%', p)) != std::string::npos; ++p) {
        if (p + 2 >= token.size() || !std::isxdigit(static_cast<unsigned char>(token[p + 1])) ||
            !std::isxdigit(static_cast<unsigned char>(token[p + 2]))) {
          *problem = "has a malformed %-escape";
          return std::nullopt;
        }
        token.replace(p, 3, 1, static_cast<char>(std::stoi(token.substr(p + 1, 2), nullptr, 16)));
      }
      if (node->is_array()) {
        if (!IsUnsignedDecimal(token) || std::stoull(token) >= node->size()) {
          *problem = "does not resolve within the schema (no element \"" + token + "\")";
          return std::nullopt;
        }
        const size_t index = std::stoull(token);
        node = &(*node)[index];
        at /= index;
      } else if (node->is_object() && node->contains(token)) {
        node = &(*node)[token];
        at /= token;
      } else {
        *problem = "does not resolve within the schema (no member \"" + token + "\")";
        return std::nullopt;
      }
    }
    return at;
  }

  json& root_;
  const int draft_;
  std::set<std::string> seen_;
  std::vector<Place> queue_;
  bool has_pattern_properties_ = false;
  std::vector<std::string> pattern_places_;  // nodes with "patternProperties", as walked
  std::vector<std::string> ref_places_;      // nodes with a "$ref", as walked
  std::set<std::string> ref_targets_;        // what each "$ref" resolved to, hop by hop
  std::vector<PatternNode> pattern_nodes_;   // by MovePatternProperties, in table order
  size_t pattern_schemas_ = 0;
  std::map<std::string, size_t> pattern_index_;
  // By pointer: the names CollectDraft3Required found.
  std::map<std::string, json> draft3_required_;
};

// The RFC 6901 pointer of the instance a valijson error context names. valijson 1.0's context
// is instance-only (no schema path is ever pushed; checked in validation_visitor.hpp): "<root>",
// then "[" + name + "]" for an object member and "[" + index + "]" for an array element. Both
// spell the same pointer token ("[0]" is "/0" whether a member "0" or an element), and the
// brackets are added without escaping, so the token is exactly what lies between the outer two,
// even for a name like "[x]" or "a]b".
std::string InstancePointer(const std::vector<std::string>& context) {
  std::string out;
  for (size_t i = 0; i < context.size(); ++i) {
    const std::string& element = context[i];
    if (i == 0 && element == "<root>") continue;
    const bool bracketed = element.size() >= 2 && element.front() == '[' && element.back() == ']';
    out += '/';
    out += EscapePointerToken(bracketed ? std::string_view(element).substr(1, element.size() - 2)
                                        : std::string_view(element));
  }
  return out;
}

// What one valijson error description says. valijson 1.0 reports failures only as text, each
// kind with a fixed wording (validation_visitor.hpp), so the keyword is recovered from that
// wording: exact for every message below, "" for any other.
//
// A "wrapper" only says that a subschema failed at `child` (the failing property, item or the
// value itself); the subschema's own failures are reported before it, so a wrapper is kept only
// when nothing else was reported at or below `child` (a `false` subschema reports nothing).
struct Classified {
  std::string rule;
  bool wrapper = false;
  std::string child;  // for a wrapper: the pointer its subschema was applied at
};

Classified Classify(const std::string& d, const std::string& pointer, int draft) {
  auto index_between = [&](std::string_view prefix, std::string_view suffix) -> std::string {
    if (!StartsWith(d, prefix) || !EndsWith(d, suffix)) return "";
    return d.substr(prefix.size(), d.size() - prefix.size() - suffix.size());
  };
  constexpr std::string_view kProperty =
      "Failed to validate against schema associated with property name '";
  if (StartsWith(d, kProperty) && EndsWith(d, "'.")) {
    return {"properties", true, pointer + "/" + EscapePointerToken(index_between(kProperty, "'."))};
  }
  if (std::string i = index_between("Failed to validate item #", " in array."); !i.empty()) {
    return {"items", true, pointer + "/" + i};
  }
  if (std::string i =
          index_between("Failed to validate item #", " against additional items schema.");
      !i.empty()) {
    return {"additionalItems", true, pointer + "/" + i};
  }
  // Pushed at the item's own context, unlike the others.
  if (!index_between("Failed to validate item #", " against corresponding item schema.").empty()) {
    return {"items", true, pointer};
  }
  struct Wrapper {
    std::string_view prefix;
    const char* rule;
  };
  const Wrapper wrappers[] = {
      {"Failed to validate against schema associated with pattern '", "patternProperties"},
      {"Failed to validate against additional properties schema", "additionalProperties"},
      // Kept only for allOf (draft 3's extends): anyOf and oneOf add their own failure.
      {"Failed to validate against child schema #", draft == 3 ? "extends" : "allOf"},
      {"Failed to validate against dependent schema", "dependencies"},
      {"Failed to validate against a conditional schema set by if-then-else", "if"},
  };
  for (const Wrapper& w : wrappers) {
    if (StartsWith(d, w.prefix)) return {w.rule, true, pointer};
  }
  struct Leaf {
    std::string_view prefix;
    const char* rule;
  };
  const char* exclusive_max = draft >= 6 ? "exclusiveMaximum" : "maximum";
  const char* exclusive_min = draft >= 6 ? "exclusiveMinimum" : "minimum";
  const char* multiple = draft == 3 ? "divisibleBy" : "multipleOf";
  const Leaf leaves[] = {
      {"Failed to validate against any schemas allowed by anyOf", draft == 3 ? "type" : "anyOf"},
      {"Failed to validate against any child schemas allowed by oneOf", "oneOf"},
      {"Failed to validate against exactly one child schema", "oneOf"},
      {"Failed to match expected value set by 'const'", "const"},
      {"Failed to any values against subschema in 'contains'", "contains"},
      {"Missing dependency '", "dependencies"},
      {"Failed to match against any enum values", "enum"},
      {"String should be a valid ", "format"},
      {"Array contains more items than allowed by items constraint", "additionalItems"},
      {"Cannot validate item #", "additionalItems"},
      {"Expected number less than or equal to ", "maximum"},
      {"Expected number less than ", exclusive_max},
      {"Expected number greater than or equal to ", "minimum"},
      {"Expected number greater than ", exclusive_min},
      {"Array should contain no more than ", "maxItems"},
      {"Array should contain no fewer than ", "minItems"},
      {"String should be no more than ", "maxLength"},
      {"String should be no fewer than ", "minLength"},
      {"Object should have no more than ", "maxProperties"},
      {"Object should have no fewer than ", "minProperties"},
      {"Value should be a multiple of ", multiple},
      {"Value could not be converted ", multiple},
      {"Target should not validate against schema specified in 'not'",
       draft == 3 ? "disallow" : "not"},
      {"Failed to match regex specified by 'pattern'", "pattern"},
      {"Object contains a property that could not be validated", "additionalProperties"},
      {"Missing required property '", "required"},
      {"Value type not permitted by 'type'", "type"},
      {"Elements at indexes #", "uniqueItems"},
  };
  for (const Leaf& leaf : leaves) {
    if (StartsWith(d, leaf.prefix)) return {leaf.rule, false, ""};
  }
  return {"", false, ""};
}

// Whether `v` nests arrays and objects more than `limit` deep. Iterative: it guards valijson and
// nlohmann::json's copy, which recurse once per level.
bool DeeperThan(const json& v, size_t limit) {
  std::vector<std::pair<const json*, size_t>> stack = {{&v, 0}};
  while (!stack.empty()) {
    const auto [node, depth] = stack.back();
    stack.pop_back();
    if (!node->is_structured()) continue;
    if (depth + 1 > limit) return true;
    for (const json& child : *node) {
      if (child.is_structured()) stack.push_back({&child, depth + 1});
    }
  }
  return false;
}

// Whether `v` holds more than `limit` values (itself, and every element and member, nested).
bool MoreValuesThan(const json& v, size_t limit) {
  size_t count = 0;
  std::vector<const json*> stack = {&v};
  while (!stack.empty()) {
    const json* node = stack.back();
    stack.pop_back();
    if (++count > limit) return true;
    if (!node->is_structured()) continue;
    for (const json& child : *node) {
      stack.push_back(&child);
    }
  }
  return false;
}

size_t Utf8Length(std::string_view s) {
  return static_cast<size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// A failure for the first property name of `data` longer than kMaxPatternInput characters: too
// long to match against draft 3's "patternProperties" (see GuardRegexes; valijson matches every
// name of an object that has them with std::regex), and kept for the others, which RE2 matches,
// so that one limit holds for every draft. Any object's names count, as telling which objects a
// schema's patternProperties apply to takes validating; no document needs such names.
std::optional<DataSchema::Failure> LongPropertyName(const json& data) {
  std::vector<std::pair<const json*, std::string>> stack = {{&data, ""}};
  while (!stack.empty()) {
    const auto [node, pointer] = std::move(stack.back());
    stack.pop_back();
    if (node->is_object()) {
      for (const auto& [name, value] : node->items()) {
        if (Utf8Length(name) > static_cast<size_t>(kMaxPatternInput)) {
          return DataSchema::Failure{pointer, "patternProperties",
                                     "Property name of " + std::to_string(Utf8Length(name)) +
                                         " characters is longer than the " +
                                         std::to_string(kMaxPatternInput) +
                                         " matched against 'patternProperties'"};
        }
        if (value.is_structured())
          stack.push_back({&value, pointer + "/" + EscapePointerToken(name)});
      }
    } else if (node->is_array()) {
      for (size_t i = 0; i < node->size(); ++i) {
        const json& value = (*node)[i];
        if (value.is_structured()) stack.push_back({&value, pointer + "/" + std::to_string(i)});
      }
    }
  }
  return std::nullopt;
}

bool AtOrBelow(const std::string& pointer, const std::string& base) {
  return pointer == base ||
         (StartsWith(pointer, base) && pointer.size() > base.size() && pointer[base.size()] == '/');
}

std::vector<DataSchema::Failure> Summarize(const valijson::ValidationResults& results, int draft,
                                           size_t max_failures) {
  struct Entry {
    DataSchema::Failure failure;
    bool wrapper;
  };
  std::vector<Entry> entries;
  for (const valijson::ValidationResults::Error& error : results) {
    const std::string pointer = InstancePointer(error.context);
    Classified c = Classify(error.description, pointer, draft);
    std::string message = error.description;
    if (EndsWith(message, ".")) message.pop_back();
    entries.push_back(
        {{c.wrapper ? c.child : pointer, std::move(c.rule), std::move(message)}, c.wrapper});
  }
  std::vector<DataSchema::Failure> out;
  std::vector<std::string> kept_wrappers;
  for (size_t i = 0; i < entries.size() && out.size() < max_failures; ++i) {
    const Entry& e = entries[i];
    if (e.wrapper) {
      const std::string& child = e.failure.pointer;
      const bool explained = std::any_of(entries.begin(), entries.end(),
                                         [&](const Entry& o) {
                                           return !o.wrapper && AtOrBelow(o.failure.pointer, child);
                                         }) ||
                             std::any_of(kept_wrappers.begin(), kept_wrappers.end(),
                                         [&](const std::string& p) { return AtOrBelow(p, child); });
      if (explained) continue;
      kept_wrappers.push_back(child);
    }
    const bool duplicate = std::any_of(out.begin(), out.end(), [&](const DataSchema::Failure& f) {
      return f.pointer == e.failure.pointer && f.rule == e.failure.rule &&
             f.message == e.failure.message;
    });
    if (!duplicate) out.push_back(e.failure);
  }
  return out;
}

}  // namespace

std::string DescribePointer(std::string_view pointer) {
  return pointer.empty() ? std::string("(root)") : std::string(pointer);
}

DataSchema::DataSchema(Token, int draft, std::unique_ptr<Compiled> compiled)
    : draft_(draft), compiled_(std::move(compiled)) {}

DataSchema::~DataSchema() = default;

Result<std::shared_ptr<const DataSchema>> DataSchema::Compile(const nlohmann::json& schema) {
  int draft = 7;
  try {
    Result<int> declared = DraftOf(schema);
    if (!declared.ok()) return declared.status();
    draft = *declared;
    if (DeeperThan(schema, kMaxJsonDepth)) {
      return Status::InvalidArgument("invalid JSON Schema: nested deeper than " +
                                     std::to_string(kMaxJsonDepth) + " levels");
    }
    auto compiled = std::make_unique<Compiled>();
    compiled->document = schema;
    SchemaWalk walk(compiled->document, draft);
    if (Status s = walk.Run(); !s.ok()) return s;
    compiled->has_pattern_properties = walk.has_pattern_properties();

    PatternPropertiesTable* table = &compiled->pattern_properties;
    auto parse = [table](const json& document, valijson::Schema* into) {
      valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);  // see SchemaWalk
      AddConstraintBuilders(&parser, table);
      const valijson::adapters::NlohmannJsonAdapter adapter(document);
      auto fetch = [](const std::string& uri) -> const json* { throw RemoteRefRefused{uri}; };
      auto free = [](const json*) {};
      parser.populateSchema(adapter, *into, fetch, free);
    };
    parse(compiled->document, &compiled->schema);

    // Each moved "patternProperties" schema (and "additionalProperties" beside them) is parsed
    // on its own, as the target of a "$ref" from a document that holds the whole schema under
    // /definitions/r, its "$ref"s re-rooted there: so they refer to what they did.
    if (!walk.pattern_nodes().empty()) {
      const size_t subschemas = walk.pattern_schemas();
      const size_t bytes = compiled->document.dump().size();
      if (subschemas * bytes > kMaxPatternParseBytes) {
        return Status::InvalidArgument(
            "invalid JSON Schema: its " + std::to_string(subschemas) +
            " schemas in \"patternProperties\" (and their \"additionalProperties\") are each "
            "parsed with the whole schema (" +
            std::to_string(bytes) + " bytes), more than " +
            std::to_string(kMaxPatternParseBytes >> 20) +
            " MiB in all: use fewer of them or a smaller schema");
      }
      json& wrapped = compiled->wrapped_document;
      wrapped = {{"definitions", {{"r", compiled->document}}}};
      const std::string root = "/definitions/r";
      for (const std::string& place : walk.ref_places()) {
        const json::json_pointer at(root + walk.MovedPointer(place));
        if (!wrapped.contains(at)) continue;  // under a removed keyword
        json& ref = wrapped.at(at)["$ref"];
        ref = "#" + root + ref.get<std::string>().substr(1);  // MovePatternProperties: all "#…"
      }
      auto parse_at = [&](const std::string& pointer) {
        wrapped["$ref"] = "#" + AsRefFragment(root + pointer);
        auto schema = std::make_unique<valijson::Schema>();
        parse(wrapped, schema.get());
        return schema;
      };
      for (const auto& moved : walk.pattern_nodes()) {
        const std::string node = walk.MovedPointer(moved.pointer);
        PatternPropertiesTable::Node& entry = table->nodes.emplace_back();
        for (size_t i = 0; i < moved.patterns.size(); ++i) {
          entry.patterns.push_back(
              {moved.patterns[i], CompileLinearPattern(moved.patterns[i]),
               parse_at(node + "/" + kPatternSchemasKeyword + "/" + std::to_string(i))});
          // SchemaWalk::CheckRegex refused the schema of a pattern RE2 does not compile.
          if (entry.patterns.back().re == nullptr) throw std::runtime_error("RE2 refused a key");
        }
        entry.names = moved.names;
        entry.additional = moved.additional;
        if (entry.additional == PatternPropertiesTable::Additional::kSchema) {
          entry.additional_schema = parse_at(node + "/" + kAdditionalSchemaKeyword);
        }
      }
      wrapped.erase("$ref");
    }
    return std::make_shared<const DataSchema>(Token{}, draft, std::move(compiled));
  } catch (const RemoteRefRefused& remote) {
    return Status::InvalidArgument("invalid JSON Schema: remote \"$ref\" to \"" + remote.uri +
                                   "\" is refused: a type's schema must be self-contained");
  } catch (const std::bad_alloc&) {
    return Status::Internal("out of memory compiling a JSON Schema");
  } catch (const std::exception& e) {
    return Status::InvalidArgument("invalid JSON Schema (draft " + std::to_string(draft) +
                                   "): " + e.what());
  } catch (...) {
    return Status::InvalidArgument("invalid JSON Schema (draft " + std::to_string(draft) +
                                   "): the validator refused it");
  }
}

std::vector<DataSchema::Failure> DataSchema::Check(const nlohmann::json& data,
                                                   size_t max_failures) const {
  max_failures = std::max<size_t>(max_failures, 1);
  try {
    if (DeeperThan(data, kMaxJsonDepth)) {
      return {{"", "",
               "the document is nested deeper than " + std::to_string(kMaxJsonDepth) + " levels"}};
    }
    if (compiled_->has_pattern_properties) {
      if (std::optional<Failure> f = LongPropertyName(data)) return {*f};
    }
    const valijson::adapters::NlohmannJsonAdapter target(data);
    // Per call: a Validator caches compiled regexes, the only state valijson mutates.
    valijson::Validator validator;
    // Most documents are valid, and valijson stops at the first failure when not collecting.
    if (validator.validate(compiled_->schema, target, nullptr)) return {};
    // Listing the failures takes a second pass in which valijson records every one, and each
    // costs about 800 bytes: 500,000 wrong items (a 1 MB body) took 2 s and 400 MB, 1.6 GB
    // under an anyOf. So larger documents are refused without the list.
    if (MoreValuesThan(data, kMaxItemizedValues)) {
      return {{"", "",
               "failures are listed only for documents of up to " +
                   std::to_string(kMaxItemizedValues) + " values, and this one holds more"}};
    }
    valijson::ValidationResults results;
    validator.validate(compiled_->schema, target, &results);
    std::vector<Failure> failures = Summarize(results, draft_, max_failures);
    if (failures.empty()) {
      // A `false` subschema, or propertyNames, fails without saying why.
      failures.push_back({"", "", "the value is not allowed by the schema"});
    }
    return failures;
  } catch (const std::exception& e) {
    return {{"", "", std::string("the validator failed: ") + e.what()}};
  } catch (...) {
    return {{"", "", "the validator failed"}};
  }
}

Status DataSchema::Validate(const nlohmann::json& data) const {
  constexpr size_t kListed = 5;
  const std::vector<Failure> failures = Check(data, 1000);
  if (failures.empty()) return Status::Ok();
  std::string msg = "data does not match the type's JSON Schema: ";
  for (size_t i = 0; i < failures.size() && i < kListed; ++i) {
    const Failure& f = failures[i];
    if (i > 0) msg += "; ";
    msg += DescribePointer(f.pointer) + ": " + f.message;
    if (!f.rule.empty()) msg += " (rule " + f.rule + ")";
  }
  if (failures.size() > kListed) {
    msg += "; and " + std::to_string(failures.size() - kListed) + " more";
  }
  return Status::InvalidArgument(std::move(msg));
}

}  // namespace folio::storage::detail
