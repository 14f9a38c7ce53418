#include "query_args.h"

#include <algorithm>
#include <charconv>

namespace folio::app {

std::vector<std::string> SplitInValues(std::string_view text) {
  std::vector<std::string> values(1);
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\\' && i + 1 < text.size() && (text[i + 1] == ',' || text[i + 1] == '\\')) {
      values.back().push_back(text[++i]);
    } else if (c == ',') {
      values.emplace_back();
    } else {
      values.back().push_back(c);
    }
  }
  return values;
}

Status AddFilter(std::string_view field, std::string_view op, std::string_view value,
                 const std::string& written_as, storage::Query& query) {
  if (field.empty()) return Status::InvalidArgument(written_as + " names no field");
  auto parsed = storage::ParseFilterOp(std::string(op));
  if (!parsed) {
    return Status::InvalidArgument(written_as + ": operator '" + std::string(op) +
                                   "' is not one of eq ne lt lte gt gte in");
  }
  storage::FieldFilter filter;
  filter.field = std::string(field);
  filter.op = *parsed;
  if (filter.op == storage::FilterOp::kIn) {
    for (std::string& v : SplitInValues(value))
      filter.values.emplace_back(std::move(v));
  } else {
    filter.values.emplace_back(std::string(value));
  }
  query.filters.push_back(std::move(filter));
  return Status::Ok();
}

Status ParseWhere(const std::string& item, storage::Query& query) {
  const std::string written_as = "--where '" + item + "'";
  size_t first = item.find(':');
  size_t eq = item.find('=');
  if (eq != std::string::npos && (first == std::string::npos || eq < first)) {
    return AddFilter(std::string_view(item).substr(0, eq), "eq",
                     std::string_view(item).substr(eq + 1), written_as, query);
  }
  size_t second = first == std::string::npos ? first : item.find(':', first + 1);
  if (second == std::string::npos) {
    return Status::InvalidArgument(written_as + " is not field:op:value or field=value");
  }
  const std::string_view text(item);
  return AddFilter(text.substr(0, first), text.substr(first + 1, second - first - 1),
                   text.substr(second + 1), written_as, query);
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
      const std::string_view rest = std::string_view(key).substr(6);
      const size_t dot = rest.find('.');
      const std::string_view op = dot == std::string_view::npos ? "eq" : rest.substr(dot + 1);
      FOLIO_RETURN_IF_ERROR(AddFilter(rest.substr(0, dot), op, value, "'" + key + "'", query));
    } else if (key.rfind("facet.", 0) == 0) {
      FOLIO_RETURN_IF_ERROR(ParseFacet(key.substr(6) + "=" + value, query));
    } else {
      return Status::InvalidArgument("unknown query parameter '" + key + "'");
    }
  }
  return Status::Ok();
}

}  // namespace folio::app
