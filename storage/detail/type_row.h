// Reading and writing a `document_types` row in SonicJS's format. The database may come from
// elsewhere (SonicJS, a D1 export, the sqlite3 shell), so parsing treats the stored text as
// untrusted: whatever it returns must be safe to turn into column names, JSON paths and SQL.
#pragma once

#include <string>
#include <string_view>

#include "folio/base/status.h"
#include "folio/storage/types.h"

namespace folio::storage::detail {

// 1-64 characters of [A-Za-z0-9_], not starting with a digit: the only field names that ever
// reach SQL text (as part of a q_* column name and a json_extract path).
bool ValidFieldName(const std::string& name);
// "$.key" or "$.key.key…", keys of [A-Za-z0-9_], at most 200 characters: safe inside a SQL
// string literal.
bool ValidFieldPath(const std::string& path);
// q_ and 1-62 more characters of [a-z0-9_]: never one of the documents table's own columns.
bool ValidColumnName(const std::string& column);

// The column SonicJS derives for a scalar field without an explicit `column`
// (resolveColumn in its document-scalar-schema.ts).
std::string DerivedColumnName(const std::string& type_id, const std::string& field);

// The definition in a row. `queryable` is SonicJS's array of
// {"name","path"?,"kind","type"?,"column"?,"refStrength"?}; also read leniently are folio's
// format before SonicJS's ({"name","type","column"}, "type":"facet" for facets) and a bare
// array of names (text scalars). Entries folio cannot serve (bad names, paths or columns,
// unknown kinds) are skipped; unreadable settings are taken as none. Corruption when
// `queryable` is not a JSON array.
Result<TypeDefinition> ParseTypeRow(const std::string& id, std::string_view display,
                                    std::string_view queryable, std::string_view settings = "{}");

// True when `queryable` holds an entry in folio's format before SonicJS's (no "kind").
bool IsLegacyQueryableFields(std::string_view queryable);

// Parses settings a client gave (strict: a wrong type of a known key is InvalidArgument).
Result<TypeSettings> ParseTypeSettings(std::string_view settings_json);

// The texts SonicJS's DocumentTypeRegistry writes: queryable_fields, settings and schema
// ({"queryableFields":[…],"settings":{…}}), keys in its order.
std::string QueryableFieldsText(const TypeDefinition& type);
std::string SettingsText(const TypeSettings& settings);
std::string SchemaText(const TypeDefinition& type);

const char* FieldRoleName(FieldRole role);  // "scalar", "facet", "reference"

// `base` with each key of `update` set to update's value (both JSON objects; an unreadable
// one counts as {}).
std::string MergeJsonObjects(const std::string& base, const std::string& update);

}  // namespace folio::storage::detail
