// The keyset listing: its cursor format and the SQL it runs. Private to storage/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "detail/sqlite.h"
#include "folio/base/status.h"
#include "folio/storage/changes.h"
#include "folio/storage/types.h"

namespace folio::storage {

struct TypeInfo;

namespace detail {

// A value as SQLite stores it: NULL, INTEGER, REAL or TEXT (changes.h's, which the page
// dependencies share).
using SqlValue = storage::SqlValue;

void BindSqlValue(Statement& stmt, int index, const SqlValue& value);
SqlValue ReadSqlValue(const Statement& stmt, int col);
// A facet filter's value as the number a facet row's value_number is compared with: the
// value when all of it reads as a finite number ("5", "-2.5e3"), else NULL (matches nothing).
SqlValue FacetNumber(const std::string& value);

// The pseudo-fields of RowImage::fields for the documents columns a listing filters or sorts
// on (Query::slug, Query::parent, sort "sort_order"), and the column each reads.
inline constexpr const char* kSlugField = "$slug";
inline constexpr const char* kParentField = "$parent";
inline constexpr const char* kSortOrderField = "$sort_order";
inline constexpr const char* kRootField = "$root";

// Where the previous page ended: its last row's sort value and id.
using KeysetPosition = SortPosition;

// The cursor is base64url of: 8-byte MAC | 8-byte query hash | 1-byte value tag | 2-byte id
// length | id | value bytes. The MAC (XXH3-128 keyed by the database's secret) detects any
// edit; it is an integrity check, not a security boundary — a cursor's values are only ever
// bound as parameters, so a forged one could reach no row its query could not.
std::string EncodeCursor(const std::string& secret, const std::string& query_key,
                         const KeysetPosition& position);
// InvalidArgument naming the problem: not base64, truncated, altered, or from another query.
Result<KeysetPosition> DecodeCursor(const std::string& secret, const std::string& query_key,
                                    std::string_view cursor);

// InvalidArgument naming the first part of `query` (tenant, type, locale, a filter, a facet,
// the sort, the cursor, the principal) whose text is not valid UTF-8: such bytes cannot be
// stored, compared or serialized as JSON text, and must not reach either.
Status CheckQueryText(const Query& query);
Status CheckPrincipalText(const Principal& principal);

// One filter of a query, checked against its type, its values coerced to what the field's
// column holds (text from a URL, "42", becomes 42 for an integer field): the values the
// listing's SQL binds, and the ones ListingPredicate compares.
struct CompiledFilter {
  std::string field;
  std::string column;  // q_<type>_<field>
  FilterOp op = FilterOp::kEq;
  std::vector<SqlValue> values;
};

// The row-selecting part of a query checked against its type: filters, facets and sort.
struct CompiledQuery {
  std::string tenant;                // the tenant the rows are stored under (StorageTenant)
  std::vector<std::string> include;  // Query::include, checked, sorted, without repeats
  std::vector<CompiledFilter> filters;
  // The sort: "updated_at" or "created_at" (sort_field empty), or a registered field and its
  // q_* column (which may hold NULL).
  std::string sort_field;
  std::string sort_column;
};

// InvalidArgument naming the first thing of `query` that `type` refuses, in this order: a
// filter (unknown field, number of values, a value the field's kind refuses), a facet, the
// sort. Cursor, limit and principal are not looked at.
Result<CompiledQuery> CompileQuery(const Query& query, const TypeInfo& type);

// InvalidArgument when query.limit is outside 1..kMaxLimit.
Status CheckLimit(const Query& query);

struct ListingSql {
  std::string sql;
  std::vector<SqlValue> binds;  // bound to ?1, ?2, … in order
};

// Builds the SQL of `query` (whose limit the caller checked, compiled against `type` as
// `compiled`): the page's rows (kDocumentColumns, then the sort value) in listing order,
// limit + 1 of them so the caller knows whether another page follows.
Result<ListingSql> BuildListingSql(const Query& query, const TypeInfo& type,
                                   const CompiledQuery& compiled,
                                   const std::optional<KeysetPosition>& after, int64_t now);

}  // namespace detail
}  // namespace folio::storage
