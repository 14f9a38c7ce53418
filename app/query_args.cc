#include "query_args.h"

#include <algorithm>
#include <charconv>

namespace folio::app {

Status ParseWhere(const std::string& item, storage::Query& query) {
  storage::FieldFilter filter;
  std::string value;
  size_t first = item.find(':');
  size_t eq = item.find('=');
  if (eq != std::string::npos && (first == std::string::npos || eq < first)) {
    filter.field = item.substr(0, eq);
    filter.op = storage::FilterOp::kEq;
    value = item.substr(eq + 1);
  } else {
    size_t second = first == std::string::npos ? first : item.find(':', first + 1);
    if (second == std::string::npos) {
      return Status::InvalidArgument("--where '" + item + "' is not field:op:value or field=value");
    }
    filter.field = item.substr(0, first);
    auto op = storage::ParseFilterOp(item.substr(first + 1, second - first - 1));
    if (!op) {
      return Status::InvalidArgument("--where '" + item +
                                     "': operator must be one of eq ne lt lte gt gte in");
    }
    filter.op = *op;
    value = item.substr(second + 1);
  }
  if (filter.field.empty()) return Status::InvalidArgument("--where '" + item + "' has no field");
  if (filter.op == storage::FilterOp::kIn) {
    size_t start = 0;
    for (;;) {
      size_t bar = value.find('|', start);
      filter.values.emplace_back(value.substr(start, bar - start));
      if (bar == std::string::npos) break;
      start = bar + 1;
    }
  } else {
    filter.values.emplace_back(value);
  }
  query.filters.push_back(std::move(filter));
  return Status::Ok();
}

Status ParseFacet(const std::string& item, storage::Query& query) {
  size_t eq = item.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Status::InvalidArgument("--facet '" + item + "' is not field=value");
  }
  query.facets.push_back({item.substr(0, eq), item.substr(eq + 1)});
  return Status::Ok();
}

Status ParseStatus(const std::string& status, storage::Query& query) {
  if (status.empty() || status == "published")
    query.axis = storage::Axis::kPublished;
  else if (status == "draft")
    query.axis = storage::Axis::kDraft;
  else
    return Status::InvalidArgument("status '" + status + "' is not published or draft");
  return Status::Ok();
}

Status ParseInclude(const std::string& list, storage::Query& query) {
  size_t start = 0;
  for (;;) {
    const size_t comma = list.find(',', start);
    std::string name = list.substr(start, comma - start);
    if (name.empty()) return Status::InvalidArgument("include '" + list + "' has an empty name");
    query.include.push_back(std::move(name));
    if (comma == std::string::npos) return Status::Ok();
    start = comma + 1;
  }
}

Result<Engine::SlugStatus> ParseSlugStatus(const std::string& status) {
  if (status == "published") return Engine::SlugStatus::kPublished;
  if (status == "draft") return Engine::SlugStatus::kDraft;
  if (status == "any") return Engine::SlugStatus::kAny;
  return Status::InvalidArgument("status '" + status + "' is not published, draft or any");
}

Status ParseOrder(const std::string& order, storage::Query& query) {
  if (order.empty() || order == "desc")
    query.order = storage::SortOrder::kDesc;
  else if (order == "asc")
    query.order = storage::SortOrder::kAsc;
  else
    return Status::InvalidArgument("order '" + order + "' is not asc or desc");
  return Status::Ok();
}

namespace {

Result<int> ParseLimit(const std::string& text) {
  int v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Status::InvalidArgument("limit '" + text + "' is not an integer");
  }
  return v;
}

}  // namespace

Status ParseListingParams(const std::vector<std::pair<std::string, std::string>>& params,
                          storage::Query& query) {
  for (const auto& [key, value] : params) {
    if (key == "status") {
      FOLIO_RETURN_IF_ERROR(ParseStatus(value, query));
    } else if (key == "locale") {
      query.locale = value;
    } else if (key == "limit") {
      auto limit = ParseLimit(value);
      if (!limit.ok()) return limit.status();
      query.limit = *limit;
    } else if (key == "cursor") {
      query.cursor = value;
    } else if (key == "sort") {
      query.sort = value;
    } else if (key == "parent") {
      query.parent = value;
    } else if (key == "include") {
      FOLIO_RETURN_IF_ERROR(ParseInclude(value, query));
    } else if (key == "order") {
      FOLIO_RETURN_IF_ERROR(ParseOrder(value, query));
    } else if (key.rfind("where.", 0) == 0) {
      const std::string rest = key.substr(6);
      const size_t dot = rest.find('.');
      const std::string field = rest.substr(0, dot);
      const std::string op = dot == std::string::npos ? "eq" : rest.substr(dot + 1);
      std::string item = field + ":" + op + ":" + value;
      if (op == "in") {  // HTTP separates `in` values with ','; the item syntax with '|'
        std::replace(item.begin() + static_cast<std::ptrdiff_t>(field.size() + op.size() + 2),
                     item.end(), ',', '|');
      }
      FOLIO_RETURN_IF_ERROR(ParseWhere(item, query));
    } else if (key.rfind("facet.", 0) == 0) {
      FOLIO_RETURN_IF_ERROR(ParseFacet(key.substr(6) + "=" + value, query));
    } else {
      return Status::InvalidArgument("unknown query parameter '" + key + "'");
    }
  }
  return Status::Ok();
}

}  // namespace folio::app
