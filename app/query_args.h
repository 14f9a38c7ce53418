// Parsing the listing flags the CLI and the HTTP service share into a storage::Query.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "folio/base/status.h"
#include "folio/engine/engine.h"
#include "folio/storage/types.h"

namespace folio::app {

// `where` items are "field:op:value" (op one of eq ne lt lte gt gte in; `in` takes values
// separated by '|'), or "field=value" for eq. `facets` items are "field=value".
Status ParseWhere(const std::string& item, storage::Query& query);
Status ParseFacet(const std::string& item, storage::Query& query);
Status ParseStatus(const std::string& status, storage::Query& query);
// "author,category": reference fields whose documents are embedded (Query::include).
Status ParseInclude(const std::string& list, storage::Query& query);
Status ParseOrder(const std::string& order, storage::Query& query);
// A by-slug read's status: "published", "draft" or "any" (the published row, else the draft).
Result<Engine::SlugStatus> ParseSlugStatus(const std::string& status);

// A listing's HTTP query parameters, in order: status, locale, limit, cursor, sort, order,
// where.{field}[.{op}] (op defaults to eq; `in` takes values separated by ','), and
// facet.{key}. InvalidArgument names an unknown parameter or a bad value.
Status ParseListingParams(const std::vector<std::pair<std::string, std::string>>& params,
                          storage::Query& query);

}  // namespace folio::app
