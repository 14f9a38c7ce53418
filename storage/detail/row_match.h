// The listing predicate in C++ (row_match.cc): what ListingPredicate promises, built from the
// same compiled query the listing's SQL is built from. Private to storage/.
#pragma once

#include <memory>
#include <string>

#include "detail/listing.h"
#include "folio/storage/changes.h"

namespace folio::storage::detail {

// The predicate of `query`, whose Query::CanonicalKey() is `key` and which CompileQuery
// compiled as `compiled` against the query's type. Cursor and limit are not looked at.
std::shared_ptr<const ListingPredicate> MakeListingPredicate(const Query& query, std::string key,
                                                             const CompiledQuery& compiled);

}  // namespace folio::storage::detail
