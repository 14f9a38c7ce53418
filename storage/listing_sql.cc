// Turning a Query into keyset SQL. Every value is bound; the only names in the SQL text are
// fixed columns, the q_* columns of registered fields and the registered type's id.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "detail/listing.h"
#include "detail/store_impl.h"
#include "folio/base/text_checks.h"

namespace folio::storage {
namespace detail {
namespace {

// Collects bound values and hands out their ?N placeholders.
class Binder {
 public:
  std::string Add(SqlValue v) {
    binds_.push_back(std::move(v));
    std::string placeholder(1, '?');  // built in two steps: GCC 12 misfires -Wrestrict on "?" + s
    placeholder += std::to_string(binds_.size());
    return placeholder;
  }
  std::vector<SqlValue> Take() { return std::move(binds_); }
  int next() const { return static_cast<int>(binds_.size()) + 1; }

 private:
  std::vector<SqlValue> binds_;
};

std::string Describe(const FilterValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return "'" + *s + "'";
  if (const auto* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&v)) return std::to_string(*d);
  return std::get<bool>(v) ? "true" : "false";
}

// Converts a filter value to what the field's column holds; text from a URL ("42", "true")
// is accepted for numeric kinds when it parses exactly.
Result<SqlValue> CoerceFilterValue(const FieldFilter& f, FieldKind kind, const FilterValue& v) {
  auto bad = [&](const char* what) {
    return Status::InvalidArgument("filter on '" + f.field + "': " + Describe(v) + " is not " +
                                   what);
  };
  switch (kind) {
    case FieldKind::kText:
      if (const auto* s = std::get_if<std::string>(&v)) return SqlValue(*s);
      return bad("text");
    case FieldKind::kNumber: {
      if (const auto* d = std::get_if<double>(&v)) return SqlValue(*d);
      if (const auto* i = std::get_if<int64_t>(&v)) return SqlValue(static_cast<double>(*i));
      if (const auto* s = std::get_if<std::string>(&v)) {
        double d = 0;
        auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), d);
        if (ec == std::errc() && p == s->data() + s->size() && std::isfinite(d)) return SqlValue(d);
      }
      return bad("a number");
    }
    case FieldKind::kInteger:
    case FieldKind::kDate: {
      if (const auto* i = std::get_if<int64_t>(&v)) return SqlValue(*i);
      if (const auto* s = std::get_if<std::string>(&v)) {
        int64_t i = 0;
        auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), i);
        if (ec == std::errc() && p == s->data() + s->size()) return SqlValue(i);
      }
      return bad(kind == FieldKind::kDate ? "a date in integer seconds" : "an integer");
    }
    case FieldKind::kBoolean: {
      if (const auto* b = std::get_if<bool>(&v)) return SqlValue(int64_t{*b ? 1 : 0});
      if (const auto* s = std::get_if<std::string>(&v)) {
        if (*s == "true" || *s == "1") return SqlValue(int64_t{1});
        if (*s == "false" || *s == "0") return SqlValue(int64_t{0});
      }
      if (const auto* i = std::get_if<int64_t>(&v); i && (*i == 0 || *i == 1)) return SqlValue(*i);
      return bad("a boolean");
    }
  }
  return bad("valid");
}

const char* Comparison(FilterOp op) {
  switch (op) {
    case FilterOp::kEq:
      return " = ";
    case FilterOp::kNe:
      return " <> ";
    case FilterOp::kLt:
      return " < ";
    case FilterOp::kLte:
      return " <= ";
    case FilterOp::kGt:
      return " > ";
    case FilterOp::kGte:
      return " >= ";
    case FilterOp::kIn:
      return " IN ";
  }
  return " = ";
}

}  // namespace

void BindSqlValue(Statement& stmt, int index, const SqlValue& value) {
  if (const auto* i = std::get_if<int64_t>(&value))
    stmt.BindInt(index, *i);
  else if (const auto* d = std::get_if<double>(&value))
    stmt.BindDouble(index, *d);
  else if (const auto* s = std::get_if<std::string>(&value))
    stmt.BindText(index, *s);
  else
    stmt.BindNull(index);
}

SqlValue FacetNumber(const std::string& value) {
  if (value.empty() || value.size() > 64 || std::isspace(static_cast<unsigned char>(value[0])))
    return SqlValue();
  char* end = nullptr;
  const double number = std::strtod(value.c_str(), &end);
  if (end != value.c_str() + value.size() || !std::isfinite(number)) return SqlValue();
  return number;
}

SqlValue ReadSqlValue(const Statement& stmt, int col) {
  switch (stmt.ColumnType(col)) {
    case SQLITE_INTEGER:
      return stmt.ColumnInt(col);
    case SQLITE_FLOAT:
      return stmt.ColumnDouble(col);
    case SQLITE_NULL:
      return std::monostate{};
    default:
      return std::string(stmt.ColumnText(col));
  }
}

namespace {

Status CheckText(std::string_view text, const char* what, std::string_view name = {}) {
  if (IsValidUtf8(text)) return Status::Ok();
  std::string message(what);
  if (!name.empty() && IsValidUtf8(name)) message += " '" + std::string(name) + "'";
  return Status::InvalidArgument(message + " is not valid UTF-8");
}

}  // namespace

Status CheckPrincipalText(const Principal& principal) {
  if (principal.user_id) FOLIO_RETURN_IF_ERROR(CheckText(*principal.user_id, "principal user"));
  for (const auto& role : principal.roles)
    FOLIO_RETURN_IF_ERROR(CheckText(role, "principal role"));
  for (const auto& group : principal.groups)
    FOLIO_RETURN_IF_ERROR(CheckText(group, "principal group"));
  return Status::Ok();
}

Status CheckQueryText(const Query& query) {
  FOLIO_RETURN_IF_ERROR(CheckText(query.tenant, "tenant"));
  FOLIO_RETURN_IF_ERROR(CheckRequestTenant(query.tenant));
  FOLIO_RETURN_IF_ERROR(CheckText(query.type, "type"));
  FOLIO_RETURN_IF_ERROR(CheckText(query.locale, "locale"));
  FOLIO_RETURN_IF_ERROR(CheckText(query.sort, "sort"));
  FOLIO_RETURN_IF_ERROR(CheckText(query.cursor, "cursor"));
  if (query.slug) FOLIO_RETURN_IF_ERROR(CheckText(*query.slug, "slug"));
  if (query.parent) FOLIO_RETURN_IF_ERROR(CheckText(*query.parent, "parent"));
  if (query.root) FOLIO_RETURN_IF_ERROR(CheckText(*query.root, "root"));
  for (const auto& name : query.include)
    FOLIO_RETURN_IF_ERROR(CheckText(name, "include"));
  for (const auto& f : query.filters) {
    FOLIO_RETURN_IF_ERROR(CheckText(f.field, "filter field"));
    for (const auto& v : f.values) {
      if (const auto* text = std::get_if<std::string>(&v)) {
        FOLIO_RETURN_IF_ERROR(CheckText(*text, "value of filter", f.field));
      }
    }
  }
  for (const auto& f : query.facets) {
    FOLIO_RETURN_IF_ERROR(CheckText(f.field, "facet"));
    FOLIO_RETURN_IF_ERROR(CheckText(f.value, "value of facet", f.field));
  }
  return CheckPrincipalText(query.principal);
}

Status CheckLimit(const Query& query) {
  if (query.limit < 1 || query.limit > kMaxLimit) {
    return Status::InvalidArgument("limit " + std::to_string(query.limit) + " is out of range 1.." +
                                   std::to_string(kMaxLimit));
  }
  return Status::Ok();
}

Result<CompiledQuery> CompileQuery(const Query& query, const TypeInfo& type) {
  CompiledQuery out;
  out.tenant = StorageTenant(type, query.tenant);
  out.filters.reserve(query.filters.size());
  for (const FieldFilter& f : query.filters) {
    auto col = type.columns.find(f.field);
    if (col == type.columns.end()) {
      return Status::InvalidArgument("unknown filter field '" + f.field + "' for type '" +
                                     query.type + "': filter on a registered field");
    }
    FieldKind kind = type.definition.fields.at(f.field);
    size_t want_min = 1, want_max = f.op == FilterOp::kIn ? 100 : 1;
    if (f.values.size() < want_min || f.values.size() > want_max) {
      return Status::InvalidArgument("filter on '" + f.field + "' with '" + FilterOpName(f.op) +
                                     "' takes " +
                                     (f.op == FilterOp::kIn ? "1 to 100 values" : "one value") +
                                     ", got " + std::to_string(f.values.size()));
    }
    CompiledFilter compiled{f.field, col->second, f.op, {}};
    compiled.values.reserve(f.values.size());
    for (const FilterValue& value : f.values) {
      auto v = CoerceFilterValue(f, kind, value);
      if (!v.ok()) return v.status();
      compiled.values.push_back(std::move(*v));
    }
    out.filters.push_back(std::move(compiled));
  }

  // A slug or parent filter is an equality on the row's own column, filed like a field's.
  if (query.slug) out.filters.push_back({kSlugField, "slug", FilterOp::kEq, {*query.slug}});
  if (query.parent) {
    out.filters.push_back({kParentField, "parent_root_id", FilterOp::kEq, {*query.parent}});
  }
  if (query.root) out.filters.push_back({kRootField, "root_id", FilterOp::kEq, {*query.root}});

  if (query.include.size() > kMaxIncludes) {
    return Status::InvalidArgument("include names " + std::to_string(query.include.size()) +
                                   " fields; at most " + std::to_string(kMaxIncludes));
  }
  for (const std::string& name : query.include) {
    const QueryableField* field = type.definition.Find(name);
    if (field == nullptr || field->role != FieldRole::kReference) {
      return Status::InvalidArgument("unknown include '" + name + "' for type '" + query.type +
                                     "': include names a reference field");
    }
    out.include.push_back(name);
  }
  std::sort(out.include.begin(), out.include.end());
  out.include.erase(std::unique(out.include.begin(), out.include.end()), out.include.end());

  for (const FacetFilter& f : query.facets) {
    if (!type.HasFacet(f.field)) {
      return Status::InvalidArgument("unknown facet '" + f.field + "' for type '" + query.type +
                                     "': filter on a registered facet");
    }
  }

  if (query.sort == "updated_at" || query.sort == "created_at" || query.sort == "sort_order") {
    out.sort_column = query.sort;
  } else {
    auto col = type.columns.find(query.sort);
    if (col == type.columns.end()) {
      return Status::InvalidArgument(
          "unknown sort field '" + query.sort + "' for type '" + query.type +
          "': sort by updated_at, created_at, sort_order or a registered field");
    }
    out.sort_field = query.sort;
    out.sort_column = col->second;
  }
  return out;
}

Result<ListingSql> BuildListingSql(const Query& query, const TypeInfo& type,
                                   const CompiledQuery& compiled,
                                   const std::optional<KeysetPosition>& after, int64_t now) {
  Binder b;
  std::string where;
  where += "d.tenant_id = " + b.Add(compiled.tenant);
  // The type as a literal (TypeInfo::IdLiteral), so the planner matches the per-type partial
  // indexes of the q_* columns without re-compiling the statement per run.
  where += " AND d.type_id = " + type.IdLiteral();
  // A read of one root finds it in whatever locale it is in.
  if (!query.root) where += " AND d.locale = " + b.Add(query.locale);
  // Literal flags, so the planner can match the partial keyset indexes.
  if (query.axis == Axis::kPublished) {
    where += " AND d.is_published = 1 AND d.deleted_at IS NULL";
    std::string t = b.Add(now);
    where += " AND (d.scheduled_at IS NULL OR d.scheduled_at <= " + t + ")";
    where += " AND (d.expires_at IS NULL OR d.expires_at > " + t + ")";
  } else {
    where += " AND d.is_current_draft = 1 AND d.deleted_at IS NULL";
  }

  // Under a time (or sort_order) sort, only an equality can seek the filter's index in sort
  // order; a range or an IN list there would sort every match on every page. Its column is
  // written as an expression (unary +) so the planner walks the sort's index instead and
  // filters as it goes. (The bound values were coerced to the column's kind, so dropping the
  // column's affinity from the comparison changes no result.)
  const bool walks_sort_index = compiled.sort_field.empty();
  for (const CompiledFilter& f : compiled.filters) {
    const bool unindexed = walks_sort_index && f.op != FilterOp::kEq;
    where +=
        std::string(" AND ") + (unindexed ? "+" : "") + "d.\"" + f.column + "\"" + Comparison(f.op);
    if (f.op == FilterOp::kIn) where += "(";
    for (size_t i = 0; i < f.values.size(); ++i) {
      if (i > 0) where += ", ";
      where += b.Add(f.values[i]);
    }
    if (f.op == FilterOp::kIn) where += ")";
  }

  for (const FacetFilter& f : query.facets) {
    where +=
        " AND EXISTS (SELECT 1 FROM document_facets f WHERE f.document_id = d.id"
        " AND f.field_name = " +
        b.Add(f.field) + " AND (f.value_text = " + b.Add(f.value) +
        " OR (f.value_text IS NULL AND f.value_number = " + b.Add(FacetNumber(f.value)) + ")))";
  }

  int user_param = b.next();
  b.Add(query.principal.user_id ? SqlValue(*query.principal.user_id) : SqlValue());
  int roles_param = b.next();
  b.Add(nlohmann::json(query.principal.roles)
            .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  int groups_param = b.next();
  b.Add(nlohmann::json(query.principal.groups)
            .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  where += " AND " + ReadPermissionClause(user_param, roles_param, groups_param);

  const bool nullable = !compiled.sort_field.empty();
  const std::string sort_col =
      nullable ? "d.\"" + compiled.sort_column + "\"" : "d." + compiled.sort_column;
  const bool desc = query.order == SortOrder::kDesc;
  const char* dir = desc ? " DESC" : " ASC";

  // The keyset predicate: rows strictly after `after` in (sort, id) order, where SQLite sorts
  // NULL before every value (first in ASC, last in DESC). Where the rows left are two index
  // ranges (the NULL block and the values), each is its own arm of a UNION ALL: an OR of the
  // two would keep the index from seeking, and a deep page would scan every row before it.
  std::string first_arm, second_arm;
  if (after) {
    std::string id = b.Add(after->id);
    const bool after_null = std::holds_alternative<std::monostate>(after->sort_value);
    if (after_null && !nullable) {
      return Status::InvalidArgument("cursor does not fit this query's sort");
    }
    const char* cmp = desc ? " < " : " > ";
    if (after_null) {
      std::string later_nulls = sort_col + " IS NULL AND d.id" + cmp + id;
      // ASC: the values all follow the NULLs. DESC: the values all came before them.
      if (desc) {
        where += " AND " + later_nulls;
      } else {
        first_arm = later_nulls;
        second_arm = sort_col + " IS NOT NULL";
      }
    } else {
      std::string v = b.Add(after->sort_value);
      std::string row = "(" + sort_col + ", d.id)" + cmp + "(" + v + ", " + id + ")";
      if (nullable && desc) {
        first_arm = row;
        second_arm = sort_col + " IS NULL";
      } else {
        where += " AND " + row;
      }
    }
  }

  ListingSql out;
  const std::string select = "SELECT " + std::string(kDocumentColumns) + ", " + sort_col +
                             " FROM documents d WHERE " + where;
  const std::string limit = b.Add(int64_t{query.limit} + 1);
  if (first_arm.empty()) {
    out.sql = select + " ORDER BY " + sort_col + dir + ", d.id" + dir + " LIMIT " + limit;
  } else {
    // Result column 24 (after kDocumentColumns' 23) is the sort value, 1 the id.
    out.sql = select + " AND " + first_arm + " UNION ALL " + select + " AND " + second_arm +
              " ORDER BY 24" + dir + ", 1" + dir + " LIMIT " + limit;
  }
  out.binds = b.Take();
  return out;
}

}  // namespace detail

std::optional<FilterOp> ParseFilterOp(std::string_view name) {
  if (name == "eq") return FilterOp::kEq;
  if (name == "ne") return FilterOp::kNe;
  if (name == "lt") return FilterOp::kLt;
  if (name == "lte") return FilterOp::kLte;
  if (name == "gt") return FilterOp::kGt;
  if (name == "gte") return FilterOp::kGte;
  if (name == "in") return FilterOp::kIn;
  return std::nullopt;
}

const char* FilterOpName(FilterOp op) {
  switch (op) {
    case FilterOp::kEq:
      return "eq";
    case FilterOp::kNe:
      return "ne";
    case FilterOp::kLt:
      return "lt";
    case FilterOp::kLte:
      return "lte";
    case FilterOp::kGt:
      return "gt";
    case FilterOp::kGte:
      return "gte";
    case FilterOp::kIn:
      return "in";
  }
  return "eq";
}

std::string Principal::CanonicalKey() const {
  if (anonymous()) return "public";
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
  };
  nlohmann::json j = {{"u", user_id ? nlohmann::json(*user_id) : nlohmann::json()},
                      {"r", sorted(roles)},
                      {"g", sorted(groups)}};
  // Callers check the text first (CheckQueryText); replacing bad bytes only keeps a stray
  // caller from throwing.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string Query::CanonicalKey() const {
  using nlohmann::json;
  json filters_json = json::array();
  for (const auto& f : filters) {
    json values = json::array();
    for (const auto& v : f.values) {
      std::visit([&](const auto& x) { values.push_back(x); }, v);
    }
    filters_json.push_back({f.field, FilterOpName(f.op), values});
  }
  json facets_json = json::array();
  for (const auto& f : facets)
    facets_json.push_back({f.field, f.value});
  // Filters are a conjunction: their order does not change the rows.
  std::sort(filters_json.begin(), filters_json.end());
  std::sort(facets_json.begin(), facets_json.end());
  json key = {tenant,
              type,
              locale,
              axis == Axis::kPublished ? "published" : "draft",
              filters_json,
              facets_json,
              sort,
              order == SortOrder::kDesc ? "desc" : "asc",
              principal.CanonicalKey()};
  if (slug) key.push_back({"slug", *slug});
  if (parent) key.push_back({"parent", *parent});
  if (root) key.push_back({"root", *root});
  if (!include.empty()) {
    std::vector<std::string> sorted = include;
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    key.push_back({"include", sorted});
  }
  return key.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace folio::storage
