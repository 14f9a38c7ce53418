#include "detail/schema_constraints.h"

// GCC 12 at -O3 reports a false -Wrestrict inside std::string::replace as inlined into
// valijson's JSON-pointer decoding (GCC bug 105329); nothing here overlaps.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/constraint_builder.hpp>
#include <valijson/constraints/concrete_constraints.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validation_visitor.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <new>
#include <regex>
#include <stdexcept>
#include <unordered_map>
#include <utility>

namespace folio::storage::detail {
namespace {

// `pattern` (ECMA-262, as JSON Schema has it) in RE2's syntax: "\\uXXXX" becomes "\\x{XXXX}".
// Everything else is written alike in both, or refused by RE2.
std::string Re2Syntax(const std::string& pattern) {
  std::string out;
  out.reserve(pattern.size());
  for (size_t at = 0; at < pattern.size(); ++at) {
    if (pattern[at] != '\\' || at + 1 == pattern.size()) {
      out += pattern[at];
      continue;
    }
    const bool unicode =
        pattern[at + 1] == 'u' && at + 6 <= pattern.size() &&
        std::all_of(pattern.begin() + static_cast<std::ptrdiff_t>(at) + 2,
                    pattern.begin() + static_cast<std::ptrdiff_t>(at) + 6,
                    [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
    if (unicode) {
      out.append("\\x{").append(pattern, at + 2, 4).append("}");
      at += 5;
    } else {
      out.append(pattern, at, 2);  // an escape pair, kept whole: "\\\\u0041" is not \u0041
      ++at;
    }
  }
  return out;
}

// A "pattern" matched by RE2, in time linear in the string, where valijson's std::regex
// backtracks: "^(a+)+$" against 24 a's and a '!' took 0.9 s there, and each more 'a' nearly
// doubles it, so one write of a hostile string to a type with such a pattern would hold a
// SQLite thread. RE2 also matches code points where std::regex matches bytes ("^.{3}$" accepts
// "été"). A pattern RE2 refuses (lookaround, backreferences) is refused with the schema:
// SchemaWalk::CheckRegex.
class LinearPattern : public valijson::constraints::PolyConstraint {
 public:
  explicit LinearPattern(std::shared_ptr<const re2::RE2> re) : re_(std::move(re)) {}

  bool validate(const valijson::adapters::Adapter& target, const std::vector<std::string>& context,
                valijson::ValidationResults* results) const override {
    if (!target.isString() || re2::RE2::PartialMatch(target.asString(), *re_)) return true;
    // valijson's wording for "pattern", which Summarize reads the rule from.
    if (results != nullptr) {
      results->pushError(context, "Failed to match regex specified by 'pattern' constraint.");
    }
    return false;
  }

 private:
  Constraint* cloneInto(void* at) const override { return new (at) LinearPattern(*this); }
  size_t sizeOf() const override { return sizeof(LinearPattern); }

  std::shared_ptr<const re2::RE2> re_;
};

// Makes a LinearPattern of each kLinearPatternKeyword while valijson parses the schema.
class LinearPatternBuilder : public valijson::ConstraintBuilder {
 public:
  valijson::constraints::Constraint* make(const valijson::adapters::Adapter& value) const override {
    auto re = CompileLinearPattern(value.asString());
    // SchemaWalk::CheckRegex refused the schema of a pattern RE2 does not compile.
    if (re == nullptr) throw std::runtime_error("RE2 refused a pattern it had accepted");
    return std::make_unique<LinearPattern>(std::move(re)).release();  // valijson deletes it
  }
};

// "uniqueItems" in one pass over the items, with one failure reported. valijson compares every pair
// of items and reports every equal pair: 3,000 equal items (a 6 KB body) took 10 s and 2 GiB, and
// 10,000 would have exhausted memory. Items are equal as valijson has it (strict types;
// numbers by their double value, so 1 and 1.0 are one item); each is encoded into a string
// equal for equal items only, and the first repeated encoding is the failure.
class UniqueItems : public valijson::constraints::PolyConstraint {
 public:
  bool validate(const valijson::adapters::Adapter& target, const std::vector<std::string>& context,
                valijson::ValidationResults* results) const override {
    if (!target.isArray()) return true;
    std::unordered_map<std::string, size_t> first_index;
    first_index.reserve(target.getArraySize());
    size_t index = 0;
    bool unique = true;
    target.applyToArray([&](const valijson::adapters::Adapter& item) {
      std::string key;
      Encode(item, &key);
      const auto [at, inserted] = first_index.emplace(std::move(key), index);
      if (!inserted) {
        unique = false;
        // valijson's wording, which Summarize reads the rule from.
        if (results != nullptr) {
          results->pushError(context, "Elements at indexes #" + std::to_string(at->second) +
                                          " and #" + std::to_string(index) +
                                          " violate uniqueness constraint.");
        }
        return false;  // stops the walk: one failure says enough
      }
      ++index;
      return true;
    });
    return unique;
  }

 private:
  // Prefix-free: a tag per kind, lengths before strings, object members sorted by name. The
  // document's depth is bounded (kMaxJsonDepth, checked before validation), so is recursion.
  static void Encode(const valijson::adapters::Adapter& v, std::string* out) {
    if (v.isNull()) {
      *out += 'z';
    } else if (v.isBool()) {
      *out += v.getBool() ? 't' : 'f';
    } else if (v.isNumber()) {
      double d = v.getNumber();
      if (d == 0) d = 0;  // -0 equals 0
      char text[32];
      std::snprintf(text, sizeof text, "n%.17g;", d);
      *out += text;
    } else if (v.isString()) {
      const std::string s = v.getString();
      out->append("s").append(std::to_string(s.size())).append(":").append(s);
    } else if (v.isArray()) {
      *out += '[';
      v.applyToArray([&](const valijson::adapters::Adapter& item) {
        Encode(item, out);
        return true;
      });
      *out += ']';
    } else if (v.isObject()) {
      std::vector<std::pair<std::string, std::string>> members;
      v.applyToObject([&](const std::string& name, const valijson::adapters::Adapter& value) {
        std::string encoded;
        Encode(value, &encoded);
        members.emplace_back(name, std::move(encoded));
        return true;
      });
      std::sort(members.begin(), members.end());
      *out += '{';
      for (const auto& [name, value] : members) {
        out->append(std::to_string(name.size())).append(":").append(name).append(value);
      }
      *out += '}';
    }
  }

  Constraint* cloneInto(void* at) const override { return new (at) UniqueItems(*this); }
  size_t sizeOf() const override { return sizeof(UniqueItems); }
};

class UniqueItemsBuilder : public valijson::ConstraintBuilder {
 public:
  valijson::constraints::Constraint* make(const valijson::adapters::Adapter&) const override {
    return std::make_unique<UniqueItems>().release();  // valijson deletes it
  }
};

// "patternProperties" (with the node's "additionalProperties", which depends on them) matched
// by RE2. valijson compiles a std::regex per pattern for every object it checks (330,000 empty
// objects under "items" took 11 s) and matches names with it, backtracking (a name against
// "^(a+)+$" can hold a thread for as long as its author likes). Results and messages are
// valijson's.
class PatternProperties : public valijson::constraints::PolyConstraint {
 public:
  // `table` outlives the constraint (see AddConstraintBuilders).
  PatternProperties(const PatternPropertiesTable* table, size_t index)
      : table_(table), index_(index) {}

  bool validate(const valijson::adapters::Adapter& target, const std::vector<std::string>& context,
                valijson::ValidationResults* results) const override {
    if (!target.isObject()) return true;
    if (index_ >= table_->nodes.size()) throw std::logic_error("patternProperties not compiled");
    const PatternPropertiesTable::Node& node = table_->nodes[index_];
    std::unordered_map<std::string, std::regex> unused_regexes;  // a valijson visitor needs one
    bool valid = true;
    target.applyToObject([&](const std::string& name, const valijson::adapters::Adapter& value) {
      bool matched = node.names.count(name) > 0;
      for (const PatternPropertiesTable::Pattern& pattern : node.patterns) {
        if (!re2::RE2::PartialMatch(name, *pattern.re)) continue;
        matched = true;
        if (Member(*pattern.schema, name, value, context, results, unused_regexes)) continue;
        valid = false;
        if (results == nullptr) return false;
        results->pushError(context, "Failed to validate against schema associated with pattern '" +
                                        pattern.source + "'.");
      }
      if (matched) return true;
      switch (node.additional) {
        case PatternPropertiesTable::Additional::kAny:
          return true;
        case PatternPropertiesTable::Additional::kNone:
          valid = false;
          if (results != nullptr) {
            results->pushError(context,
                               "Object contains a property that could not be validated using "
                               "'properties' or 'additionalProperties' constraints: '" +
                                   name + "'.");
          }
          return false;  // valijson names the first one only
        case PatternPropertiesTable::Additional::kSchema:
          if (Member(*node.additional_schema, name, value, context, results, unused_regexes)) {
            return true;
          }
          valid = false;
          if (results == nullptr) return false;
          results->pushError(context, "Failed to validate against additional properties schema");
          return true;
      }
      return true;
    });
    return valid;
  }

 private:
  // Validates the member `name` (`value`) of the object at `context` against `schema`.
  static bool Member(const valijson::Schema& schema, const std::string& name,
                     const valijson::adapters::Adapter& value,
                     const std::vector<std::string>& context, valijson::ValidationResults* results,
                     std::unordered_map<std::string, std::regex>& regexes) {
    // DataSchema::Check validates nlohmann documents only, so members are theirs.
    const auto* member = dynamic_cast<const valijson::adapters::NlohmannJsonAdapter*>(&value);
    if (member == nullptr) throw std::logic_error("patternProperties on a foreign adapter");
    std::vector<std::string> member_context = context;
    member_context.push_back("[" + name + "]");
    valijson::ValidationVisitor<valijson::adapters::NlohmannJsonAdapter> visitor(
        *member, std::move(member_context), true, results, regexes);
    return visitor.validateSchema(schema);
  }

  Constraint* cloneInto(void* at) const override { return new (at) PatternProperties(*this); }
  size_t sizeOf() const override { return sizeof(PatternProperties); }

  const PatternPropertiesTable* table_;  // not owned
  size_t index_;
};

class PatternPropertiesBuilder : public valijson::ConstraintBuilder {
 public:
  explicit PatternPropertiesBuilder(const PatternPropertiesTable* table) : table_(table) {}

  valijson::constraints::Constraint* make(const valijson::adapters::Adapter& value) const override {
    return std::make_unique<PatternProperties>(table_, static_cast<size_t>(value.asInteger()))
        .release();  // valijson deletes it
  }

 private:
  const PatternPropertiesTable* table_;  // not owned
};

}  // namespace

std::shared_ptr<const re2::RE2> CompileLinearPattern(const std::string& pattern, std::string* error,
                                                     bool* unsupported) {
  re2::RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_shared<const re2::RE2>(Re2Syntax(pattern), options);
  if (re->ok()) return re;
  if (error != nullptr) *error = re->error();
  if (unsupported != nullptr) {
    switch (re->error_code()) {
      case re2::RE2::ErrorBadEscape:
      case re2::RE2::ErrorRepeatSize:
      case re2::RE2::ErrorRepeatOp:
      case re2::RE2::ErrorBadPerlOp:
      case re2::RE2::ErrorBadNamedCapture:
      case re2::RE2::ErrorPatternTooLarge:
        *unsupported = true;
        break;
      default:
        *unsupported = false;
    }
  }
  return nullptr;
}

void AddConstraintBuilders(valijson::SchemaParser* parser, const PatternPropertiesTable* table) {
  parser->addConstraintBuilder(kLinearPatternKeyword,
                               std::make_unique<LinearPatternBuilder>().release());
  parser->addConstraintBuilder(kUniqueItemsKeyword,
                               std::make_unique<UniqueItemsBuilder>().release());
  parser->addConstraintBuilder(kPatternPropertiesKeyword,
                               std::make_unique<PatternPropertiesBuilder>(table).release());
}

}  // namespace folio::storage::detail
