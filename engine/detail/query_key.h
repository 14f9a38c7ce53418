// Cache keys. A key is 24 bytes: a 128-bit hash of everything that decides a page's bytes
// (the database's instance id, the query's tenant, type, locale, axis, filters, facets, sort,
// order, limit, cursor and principal) followed by the generation of the (tenant, type).
//
// The hash is computed field by field with length prefixes, without building a canonical
// string, so a lookup allocates nothing. Two equal queries give equal keys; queries that
// differ only in the order of their filters or roles give different keys (a lost hit, never a
// wrong page).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "folio/storage/types.h"

namespace folio::detail {

using CacheKey = std::array<char, 24>;

CacheKey PageKey(std::string_view instance_id, const storage::Query& query, uint64_t generation);
// The key of what selects a query's rows (PageKey without limit and cursor): pages of one
// listing share it, and with it one compiled ListingPredicate.
CacheKey PredicateKey(std::string_view instance_id, const storage::Query& query);
// A root's identity in the dependency index: a 64-bit hash of its id. Not of its tenant: a
// document of a global type is read from every tenant but changes under one (the shared
// pool), and root ids are unique across tenants (a root id is its first version's primary
// key). A collision only ever drops a page that did not need dropping.
uint64_t RootHash(std::string_view root_id);
CacheKey DocumentKey(std::string_view instance_id, std::string_view tenant,
                     std::string_view root_id, storage::Axis axis,
                     const storage::Principal& principal, uint64_t generation);

inline std::string_view KeyView(const CacheKey& key) {
  return {key.data(), key.size()};
}

}  // namespace folio::detail
