// A type's optional JSON Schema for its documents' `data` object: compiled once when the type is
// registered or loaded, then used to check every document written to the type. Private to
// storage/.
//
// The validator is valijson 1.0. Its parser has modes for drafts 3, 4 and 7, but its draft-3
// mode ignores "extends" and "disallow" and its draft-4 mode cannot express the guards below, so
// every schema is rewritten into draft-7 terms that keep its meaning (draft 6 is draft 7 without
// if/then/else; keywords a draft does not have are dropped as the unknown keywords they are
// there) and parsed in draft-7 mode. Later drafts (2019-09, 2020-12) are refused. The schema must
// be self-contained: a "$ref" to another document is refused rather than fetched.
//
// What valijson leaves unchecked: "format" other than date, time and date-time (RFC 3339; none
// in draft 3, whose formats differ), contentMediaType/contentEncoding, and "$id" (draft 6/7) as a
// base for "$ref"s. What folio does itself (schema_constraints.h), where valijson backtracks or
// is quadratic: "pattern" and (from draft 4) "patternProperties" are matched by RE2 (linear
// time, code points), so every pattern must compile in RE2 (no lookaround, no backreferences);
// "uniqueItems" is one pass over the items. "format" applies to strings only. A string longer
// than 1000 characters is not matched against a "pattern" but fails as "maxLength", and a
// property name that long fails as "patternProperties" if the schema has any (libstdc++'s
// std::regex, still used for draft 3's, recurses once per character). What is refused because
// valijson would recurse or loop through it: "$ref" cycles and chains of more than 64, a "$ref"
// or "id" over 1,024 bytes, documents nested deeper than 128. Failures are listed only for
// documents of up to 10,000 values (listing makes valijson record every failure).
//
// Thread-safety: a DataSchema is immutable once Compile has returned it; Check and Validate may
// run on any number of threads at once (each call uses its own valijson::Validator, whose regex
// cache is the only state valijson mutates while validating).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "folio/base/status.h"

namespace folio::storage::detail {

class DataSchema {
 private:
  struct Compiled;  // valijson's schema; kept out of this header (valijson is a private dep)
  struct Token {};  // only Compile constructs

 public:
  // Compiles `schema` for the draft its root "$schema" names (3, 4, 6 or 7; 7 when it names
  // none). InvalidArgument naming the problem and where it is when it is not a schema this
  // validator can enforce: not an object or boolean, a keyword of the wrong type, a "$ref" that
  // does not resolve inside the schema or that names another document, a cycle of "$ref"s, a
  // pattern std::regex or RE2 cannot compile, an unknown or unsupported "$schema", nesting deeper
  // than kMaxJsonDepth (128) levels. Never throws.
  static Result<std::shared_ptr<const DataSchema>> Compile(const nlohmann::json& schema);

  struct Failure {
    std::string pointer;  // RFC 6901 pointer into the document: "" (root), "/tags/0", "/a~1b"
    // The keyword that failed ("type", "required", "maximum", …), read from valijson's fixed
    // wording of each failure; for a subschema that fails without saying why (`false`,
    // propertyNames), the keyword that applied it ("properties", "items", …); "" if unknown.
    std::string rule;
    std::string message;  // valijson's description, without its final period
  };

  // The failures of `data` in the order valijson finds them, at most `max_failures` (at least
  // one for invalid data, so empty means valid). Duplicates are dropped, and so are valijson's
  // "the subschema for X failed" reports whose cause is listed; a failed anyOf/oneOf lists its
  // branches' failures and then its own. Never throws: if valijson itself fails, or `data`
  // nests deeper than kMaxJsonDepth levels (valijson recurses per level), that is a failure at
  // the root (fail closed).
  std::vector<Failure> Check(const nlohmann::json& data, size_t max_failures = 20) const;

  // Ok, or InvalidArgument "data does not match the type's JSON Schema: /views: <message>
  // (rule minimum); …" listing up to 5 failures ("(root)" for the root).
  Status Validate(const nlohmann::json& data) const;

  // 3, 4, 6 or 7.
  int draft() const { return draft_; }

  DataSchema(Token, int draft, std::unique_ptr<Compiled> compiled);
  ~DataSchema();
  DataSchema(const DataSchema&) = delete;
  DataSchema& operator=(const DataSchema&) = delete;

 private:
  const int draft_;
  const std::unique_ptr<const Compiled> compiled_;
};

// "(root)" for "", else `pointer`: how a failure's location reads in a message.
std::string DescribePointer(std::string_view pointer);

}  // namespace folio::storage::detail
