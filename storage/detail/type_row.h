// Reading a `document_types` row. folio writes queryable_fields itself, but the database may
// come from elsewhere (SonicJS, a D1 export, the sqlite3 shell), so this parses untrusted
// stored text: whatever it returns must be safe to turn into column names and SQL.
#pragma once

#include <string>
#include <string_view>

#include "folio/base/status.h"
#include "folio/storage/types.h"

namespace folio::storage::detail {

// 1-64 characters of [A-Za-z0-9_], not starting with a digit: the only field names that ever
// reach SQL text (as part of a q_* column name and a json_extract path).
bool ValidFieldName(const std::string& name);

// The definition in a row: queryable_fields as folio writes it ([{"name","type","column"}…]),
// or leniently as other writers might (an array of names, taken as text fields). Entries
// folio cannot serve (bad names, neither string nor object) are skipped. Corruption when
// `queryable` is not a JSON array.
Result<TypeDefinition> ParseTypeRow(const std::string& id, std::string_view display,
                                    std::string_view queryable);

}  // namespace folio::storage::detail
