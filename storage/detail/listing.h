// The keyset listing: its cursor format and the SQL it runs. Private to storage/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "detail/sqlite.h"
#include "folio/base/status.h"
#include "folio/storage/types.h"

namespace folio::storage {

struct TypeInfo;

namespace detail {

// A value as SQLite stores it: NULL, INTEGER, REAL or TEXT.
using SqlValue = std::variant<std::monostate, int64_t, double, std::string>;

void BindSqlValue(Statement& stmt, int index, const SqlValue& value);
SqlValue ReadSqlValue(const Statement& stmt, int col);

// Where the previous page ended: its last row's sort value and id.
struct KeysetPosition {
  SqlValue sort_value;
  std::string id;
};

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

struct ListingSql {
  std::string sql;
  std::vector<SqlValue> binds;  // bound to ?1, ?2, … in order
};

// Validates `query` against `type` (fields, operators, values, limit) and builds its SQL: the
// page's rows (kDocumentColumns, then the sort value) in listing order, limit + 1 of them so
// the caller knows whether another page follows.
Result<ListingSql> BuildListingSql(const Query& query, const TypeInfo& type,
                                   const std::optional<KeysetPosition>& after, int64_t now);

}  // namespace detail
}  // namespace folio::storage
