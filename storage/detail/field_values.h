// The values a document's data gives its type's queryable fields, and whether they fit.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "folio/base/status.h"
#include "folio/storage/types.h"

namespace folio::storage::detail {

// The value at `field`'s path in `data` ("$.a.b"), or null when a step is missing or not an
// object.
const nlohmann::json* ValueAtPath(const QueryableField& field, const nlohmann::json& data);

// The values `field` takes in `data` as SonicJS's DocumentProjection reads them: an array's
// elements, a single value, or none for null or absent.
std::vector<const nlohmann::json*> ValuesAt(const QueryableField& field,
                                            const nlohmann::json& data);

// Checks that every typed scalar field of `type` holds a value of its declared type or null
// or nothing (text: a string; number: a finite number; integer and date: a whole number that
// fits 64 bits, a date in seconds; boolean: true or false), and that every facet holds
// scalars (strings, numbers, booleans), or an array of them, of its declared type if it has
// one. InvalidArgument names the field, its type and the value. Reference fields are
// checked where their rows are written. Thread-safe (a pure function).
Status CheckFieldValues(const TypeDefinition& type, const nlohmann::json& data);

}  // namespace folio::storage::detail
