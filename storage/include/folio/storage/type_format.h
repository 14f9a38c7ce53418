// A type definition as JSON: what `POST /v1/types` and `folio types add --json` accept and what
// they, `GET /v1/types` and `folio types list` answer.
//
// The accepted form is SonicJS's DocumentType — {"id", "displayName", "description",
// "queryableFields": [{"name","path"?,"kind","type"?,"column"?,"refStrength"?}…],
// "settings": {"versioning","maxVersionsPerRoot","global","baseGrants",…}} — and folio's short
// form beside or instead of it: "fields": {"views": "integer", …}, "facets": ["tags", …]. A body
// in the short form alone (no "queryableFields", no "settings") is reported through
// `short_form`: the HTTP service and the CLI register a new type given that way with
// settings {"versioning": true} (a new version per save, as folio always kept them).
#pragma once

#include <string>
#include <string_view>

#include "folio/base/status.h"
#include "folio/storage/types.h"

namespace folio::storage {

// InvalidArgument naming the first thing that is wrong (an unknown key, a kind, a type, a
// setting). Names, paths and columns are checked later, by RegisterType.
Result<TypeDefinition> ParseTypeJson(std::string_view text, bool* short_form = nullptr);

// {"id","name","display_name","description","schema_version","queryableFields":[…],
//  "settings":{…},"fields":{…},"facets":[…],"references":[…]} — queryableFields and settings
// exactly as document_types stores them.
std::string TypeJson(const TypeDefinition& type);

}  // namespace folio::storage
