// Fuzzes the reading of `document_types` rows (storage/detail/type_row.cc). folio serves
// databases other programs write (SonicJS, D1 exports, the sqlite3 shell), and the field names
// it reads from queryable_fields become column names and JSON paths inside SQL text: this is
// the one place stored text turns into SQL, so it must admit only safe names.
//
// This target checks the parse alone (type_row_checks.h), fast enough for long runs;
// fuzz_foreign_type_db opens a real store on a database holding the same row.
#include <cstdint>

#include "type_row_checks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  (void)folio::fuzz::ParseAndCheckTypeRow(data, size);
  return 0;
}
