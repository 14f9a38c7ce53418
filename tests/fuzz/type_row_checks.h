// What fuzz_type_row and fuzz_foreign_type_db share: the input format and the checks of
// storage/detail/type_row.cc's parse of a `document_types` row.
//
// Input: byte 0 picks the type id (bits 1-2; bit 0 is unused, kept so both targets read one
// corpus format); the rest is the queryable_fields text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "detail/store_impl.h"
#include "detail/type_row.h"
#include "folio/storage/document_store.h"
#include "fuzz_support.h"

namespace folio::fuzz {

// "post" is registered in fuzz_foreign_type_db's template database; the others are new rows,
// one with an id folio refuses.
inline constexpr const char* kTypeRowIds[] = {"post", "foreign", "Bad Id", "a-b"};

struct ParsedTypeRow {
  std::string id;
  std::string queryable;
  Result<storage::TypeDefinition> parsed = Status::Internal("not parsed");
  bool servable = false;                          // MakeTypeInfo accepted it
  std::optional<storage::TypeDefinition> served;  // MakeTypeInfo's definition, when servable
};

// Parses the input's row and checks: ParseTypeRow refuses only with Corruption; every name it
// returns is a valid field name; MakeTypeInfo refuses only with InvalidArgument or Conflict,
// and its columns are [a-z0-9_]. REQUIRES: size > 0.
inline ParsedTypeRow ParseAndCheckTypeRow(const uint8_t* data, size_t size) {
  namespace detail = storage::detail;
  ParsedTypeRow row;
  row.id = kTypeRowIds[(data[0] >> 1) & 3];
  row.queryable = std::string(AsText(data + 1, size - 1));
  row.parsed = detail::ParseTypeRow(row.id, "", row.queryable);
  if (!row.parsed.ok()) {
    FUZZ_CHECK(row.parsed.status().IsCorruption(), row.parsed.status().ToString());
    return row;
  }
  // Whatever reaches SQL text is safe there: names, paths, named columns.
  for (const auto& field : row.parsed->queryable_fields) {
    FUZZ_CHECK(detail::ValidFieldName(field.name), field.name);
    FUZZ_CHECK(field.path.empty() || detail::ValidFieldPath(field.path), field.path);
    FUZZ_CHECK(field.column.empty() || detail::ValidColumnName(field.column), field.column);
  }
  auto info = storage::MakeTypeInfo(*row.parsed);
  if (!info.ok()) {
    FUZZ_CHECK(info.status().IsInvalidArgument() || info.status().IsConflict(),
               info.status().ToString());
    return row;
  }
  row.servable = true;
  row.served = info->definition;
  for (const auto& [field, column] : info->columns) {
    for (const char c : column) {
      FUZZ_CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_', column);
    }
  }
  return row;
}

}  // namespace folio::fuzz
