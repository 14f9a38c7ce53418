// Parsing the listing flags the CLI and the HTTP service share into a storage::Query.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "folio/base/status.h"
#include "folio/engine/engine.h"
#include "folio/storage/types.h"

namespace folio::app {

// One filter syntax for the CLI and HTTP: `in` takes its values separated by ',' ("\\," is a
// comma inside a value, "\\\\" a backslash): "a,b\\,c" is the two values "a" and "b,c".
std::vector<std::string> SplitInValues(std::string_view text);
// Adds the filter `field` `op` `value` to `query`. `written_as` is how the user wrote it —
// "--where 'views:zz:1'" or "'where.views.zz'" — so an error speaks the user's syntax.
Status AddFilter(std::string_view field, std::string_view op, std::string_view value,
                 const std::string& written_as, storage::Query& query);

// The CLI's --where items: "field:op:value" (op one of eq ne lt lte gt gte in) or
// "field=value" for eq. `facets` items are "field=value".
Status ParseWhere(const std::string& item, storage::Query& query);
Status ParseFacet(const std::string& item, storage::Query& query);
Status ParseStatus(const std::string& status, storage::Query& query);
// "author,category": reference fields whose documents are embedded (Query::include).
Status ParseInclude(const std::string& list, storage::Query& query);
Status ParseOrder(const std::string& order, storage::Query& query);
// A by-slug read's status: "published", "draft" or "any" (the published row, else the draft).
Result<Engine::SlugStatus> ParseSlugStatus(const std::string& status);

// A listing's HTTP query parameters, in order: status, locale, limit, cursor, sort, order,
// where.{field}[.{op}] (op defaults to eq; `in` as SplitInValues), and
// facet.{key}. InvalidArgument names an unknown parameter or a bad value.
Status ParseListingParams(const std::vector<std::pair<std::string, std::string>>& params,
                          storage::Query& query);

}  // namespace folio::app
