// The constraints folio adds to valijson, and the keywords SchemaWalk moves a schema's own to
// so that valijson builds them: "pattern" and "patternProperties" matched by RE2, in linear
// time, where valijson's std::regex backtracks; "uniqueItems" in one pass, where valijson
// compares every pair. Private to DataSchema (data_schema.cc).
//
// Thread-safety: a constraint, and the table it reads, does not change once DataSchema::Compile
// has returned; validating with one from many threads at once is safe.
#pragma once

#include <re2/re2.h>
#include <valijson/schema.hpp>

#include <memory>
#include <set>
#include <string>
#include <vector>

namespace valijson {
class SchemaParser;
}

namespace folio::storage::detail {

// The keyword each "pattern" is moved to (GuardRegexes), checked by LinearPattern. A schema's
// own use of the name is an unknown keyword, removed before.
inline constexpr const char* kLinearPatternKeyword = "x-folio-linear-pattern";

// The keyword "uniqueItems": true is moved to, checked by UniqueItems.
inline constexpr const char* kUniqueItemsKeyword = "x-folio-unique-items";

// Where SchemaWalk::MovePatternProperties moves a node's "patternProperties" (their schemas, as
// an array in the order of the table's patterns) and "additionalProperties", and the keyword
// whose value, an index into PatternPropertiesTable, makes a PatternProperties.
inline constexpr const char* kPatternPropertiesKeyword = "x-folio-pattern-properties";
inline constexpr const char* kPatternSchemasKeyword = "x-folio-pattern-schemas";
inline constexpr const char* kAdditionalSchemaKeyword = "x-folio-additional-schema";

// What PatternProperties checks at each node that had "patternProperties". The constraints are
// built (holding the table) while valijson parses; DataSchema::Compile fills the table after.
struct PatternPropertiesTable {
  enum class Additional { kAny, kNone, kSchema };
  struct Pattern {
    std::string source;
    std::shared_ptr<const re2::RE2> re;
    std::unique_ptr<valijson::Schema> schema;
  };
  struct Node {
    std::vector<Pattern> patterns;
    std::set<std::string> names;  // of the node's "properties"
    Additional additional = Additional::kAny;
    std::unique_ptr<valijson::Schema> additional_schema;  // for kSchema
  };
  std::vector<Node> nodes;
};

// The compiled pattern (JSON Schema's ECMA-262 dialect, as RE2 reads it), or nullptr with
// RE2's reason in *error and, in *unsupported, whether RE2 refused a construct it does not run
// (backreferences, lookaround, possessive or huge repeats) rather than a malformed pattern.
std::shared_ptr<const re2::RE2> CompileLinearPattern(const std::string& pattern,
                                                     std::string* error = nullptr,
                                                     bool* unsupported = nullptr);

// Adds the builders of folio's constraints to `parser` (which owns and deletes them). Those of
// kPatternPropertiesKeyword look up `table`, which the caller fills after parsing. It is not
// owned: it must outlive every schema parsed with these builders, its own included (so it
// cannot be held by them: DataSchema::Compiled holds it and the schemas).
void AddConstraintBuilders(valijson::SchemaParser* parser, const PatternPropertiesTable* table);

}  // namespace folio::storage::detail
