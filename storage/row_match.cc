// ListingPredicate and PageDependency: the listing's WHERE and ORDER BY (BuildListingSql in
// listing_sql.cc, ReadPermissionClause in document_reads.cc) evaluated in C++ on a RootImage,
// with SQLite's semantics. Every value compared here is one SQLite produced (a q_* column
// after its affinity, a facet's value_text) or one the listing's SQL binds (CompileQuery's
// coerced filter values), so no affinity is left to apply: comparing them as SQLite compares
// values of those storage classes is the whole rule. The brute-force test (row_match_test.cc)
// holds this file to the SQL.
#include "detail/row_match.h"

#include <algorithm>
#include <cmath>

namespace folio::storage {
namespace {

bool IsNull(const SqlValue& v) {
  if (std::holds_alternative<std::monostate>(v)) return true;
  const double* d = std::get_if<double>(&v);
  return d != nullptr && std::isnan(*d);
}

// SQLite's order of storage classes: NULL, then the numbers, then TEXT.
int ClassRank(const SqlValue& v) {
  if (IsNull(v)) return 0;
  return std::holds_alternative<std::string>(v) ? 2 : 1;
}

template <typename T>
int ThreeWay(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

// i against r as numbers, exactly, as sqlite3IntFloatCompare does: converting either to the
// other's type could round (an int64 beyond 2^53 to double) or truncate (a double to int64).
int CompareIntReal(int64_t i, double r) {
  // Every int64 lies in [-2^63, 2^63), and both bounds are exact doubles.
  if (r < -9223372036854775808.0) return 1;
  if (r >= 9223372036854775808.0) return -1;
  const auto t = static_cast<int64_t>(r);  // r truncated toward zero; in range here
  if (i != t) return i < t ? -1 : 1;
  // i == trunc(r): r's fraction decides. When r has one, |r| < 2^52, so double(i) is exact;
  // when it has none, double(i) is r itself.
  return ThreeWay(static_cast<double>(i), r);
}

int CompareNumbers(const SqlValue& a, const SqlValue& b) {
  const int64_t* ai = std::get_if<int64_t>(&a);
  const int64_t* bi = std::get_if<int64_t>(&b);
  if (ai && bi) return ThreeWay(*ai, *bi);
  if (ai) return CompareIntReal(*ai, std::get<double>(b));
  if (bi) return -CompareIntReal(*bi, std::get<double>(a));
  return ThreeWay(std::get<double>(a), std::get<double>(b));
}

// `value OP operand(s)` as the listing's WHERE evaluates it: a NULL on either side makes the
// comparison NULL, which selects nothing (not even with <>); IN is true when some operand is
// equal, and otherwise NULL or false, which select nothing either.
bool FilterHolds(const SqlValue& value, FilterOp op, const std::vector<SqlValue>& operands) {
  if (IsNull(value)) return false;
  if (op == FilterOp::kIn) {
    return std::any_of(operands.begin(), operands.end(), [&](const SqlValue& v) {
      return !IsNull(v) && CompareSqlValues(value, v) == 0;
    });
  }
  if (operands.empty() || IsNull(operands.front())) return false;
  const int c = CompareSqlValues(value, operands.front());
  switch (op) {
    case FilterOp::kEq:
      return c == 0;
    case FilterOp::kNe:
      return c != 0;
    case FilterOp::kLt:
      return c < 0;
    case FilterOp::kLte:
      return c <= 0;
    case FilterOp::kGt:
      return c > 0;
    case FilterOp::kGte:
      return c >= 0;
    case FilterOp::kIn:
      break;
  }
  return true;  // unreachable; a wide answer is the safe one
}

const SqlValue& FieldValue(const RowImage& row, const std::string& field) {
  static const SqlValue kNull;
  for (const auto& [name, value] : row.fields) {
    if (name == field) return value;
  }
  // Not in the image: the type gained the field after the image was made. Such a row's
  // column reads NULL only if its data lacks the key; NULL is the best guess available.
  return kNull;
}

class CompiledPredicate final : public ListingPredicate {
 public:
  CompiledPredicate(const Query& query, std::string key, const detail::CompiledQuery& compiled)
      : key_(std::move(key)),
        tenant_(compiled.tenant),
        type_(query.type),
        locale_(query.locale),
        any_locale_(query.root.has_value()),
        axis_(query.axis),
        facets_(query.facets),
        user_(query.principal.user_id),
        roles_(query.principal.roles),
        groups_(query.principal.groups),
        sort_field_(compiled.sort_column == "sort_order" && compiled.sort_field.empty()
                        ? std::string(detail::kSortOrderField)
                        : compiled.sort_field),
        sort_(compiled.sort_field.empty()
                  ? (compiled.sort_column == "created_at"   ? Sort::kCreatedAt
                     : compiled.sort_column == "sort_order" ? Sort::kField
                                                            : Sort::kUpdatedAt)
                  : Sort::kField),
        desc_(query.order == SortOrder::kDesc) {
    filters_.reserve(compiled.filters.size());
    for (const detail::CompiledFilter& f : compiled.filters) {
      filters_.push_back({f.field, f.op, f.values});
    }
  }

  const std::string& key() const override { return key_; }
  const std::string& tenant() const override { return tenant_; }
  const std::string& type() const override { return type_; }
  Axis axis() const override { return axis_; }

  std::optional<SortPosition> Match(const RootImage& root, int64_t now) const override {
    if (root.tenant != tenant_) return std::nullopt;
    const RowImage& row = root.on(axis_);
    // d.type_id, d.locale, the axis flag (which row `row` is), d.deleted_at IS NULL.
    if (!row.present || row.type != type_ || (!any_locale_ && row.locale != locale_) ||
        row.deleted_at) {
      return std::nullopt;
    }
    if (axis_ == Axis::kPublished) {
      // (scheduled_at IS NULL OR scheduled_at <= now) AND (expires_at IS NULL OR expires_at >
      // now)
      if (row.scheduled_at && *row.scheduled_at > now) return std::nullopt;
      if (row.expires_at && *row.expires_at <= now) return std::nullopt;
    }
    for (const Filter& f : filters_) {
      if (!FilterHolds(FieldValue(row, f.field), f.op, f.values)) return std::nullopt;
    }
    for (const FacetFilter& f : facets_) {
      // EXISTS (… f.document_id = d.id AND f.field_name = ? AND (f.value_text = ? OR
      // (f.value_text IS NULL AND f.value_number = FacetNumber(?))))
      const SqlValue number = detail::FacetNumber(f.value);
      const bool found = std::any_of(row.facets.begin(), row.facets.end(), [&](const auto& facet) {
        if (facet.field != f.field) return false;
        if (facet.text) return *facet.text == f.value;
        return facet.number && std::holds_alternative<double>(number) &&
               *facet.number == std::get<double>(number);
      });
      if (!found) return std::nullopt;
    }
    if (!Readable(root.read_rules)) return std::nullopt;

    SortPosition position;
    position.id = row.id;
    switch (sort_) {
      case Sort::kUpdatedAt:
        position.sort_value = row.updated_at;
        break;
      case Sort::kCreatedAt:
        position.sort_value = row.created_at;
        break;
      case Sort::kField:
        position.sort_value = FieldValue(row, sort_field_);
        break;
    }
    return position;
  }

  std::optional<EqualityKey> IndexKey() const override {
    for (const Filter& f : filters_) {
      if (f.op == FilterOp::kEq || f.op == FilterOp::kIn)
        return EqualityKey{f.field, false, f.values};
    }
    if (!facets_.empty()) return EqualityKey{facets_.front().field, true, {facets_.front().value}};
    return std::nullopt;
  }

  // ORDER BY sort ASC|DESC, id ASC|DESC: SQLite puts NULL first in ASC, so last in DESC.
  bool After(const SortPosition& position, const SortPosition& bound) const override {
    int c = CompareSqlValues(position.sort_value, bound.sort_value);
    if (c == 0) c = ThreeWay(position.id.compare(bound.id), 0);
    return desc_ ? c < 0 : c > 0;
  }

 private:
  struct Filter {
    std::string field;
    FilterOp op;
    std::vector<SqlValue> values;
  };
  enum class Sort { kUpdatedAt, kCreatedAt, kField };

  // ReadPermissionClause: no read rule, readable; else an allow must match and no deny may.
  bool Readable(const std::vector<PermissionRule>& rules) const {
    bool any = false, allowed = false, denied = false;
    for (const PermissionRule& rule : rules) {
      if (rule.permission != "read") continue;
      any = true;
      if (!Names(rule)) continue;
      if (rule.effect == "allow") allowed = true;
      if (rule.effect == "deny") denied = true;
    }
    return !any || (allowed && !denied);
  }

  // Whether `rule` names the query's principal. 'token' rules name no listing's principal.
  bool Names(const PermissionRule& rule) const {
    auto contains = [&](const std::vector<std::string>& ids) {
      return std::find(ids.begin(), ids.end(), rule.principal_id) != ids.end();
    };
    if (rule.principal_type == "public") return true;
    if (rule.principal_type == "user") return user_ && *user_ == rule.principal_id;
    if (rule.principal_type == "role") return contains(roles_);
    if (rule.principal_type == "group") return contains(groups_);
    return false;
  }

  const std::string key_;
  const std::string tenant_;
  const std::string type_;
  const std::string locale_;
  const bool any_locale_;  // a root read: the listing has no locale condition
  const Axis axis_;
  std::vector<Filter> filters_;
  const std::vector<FacetFilter> facets_;
  const std::optional<std::string> user_;
  const std::vector<std::string> roles_;
  const std::vector<std::string> groups_;
  const std::string sort_field_;
  const Sort sort_;
  const bool desc_;
};

}  // namespace

int CompareSqlValues(const SqlValue& a, const SqlValue& b) {
  const int ra = ClassRank(a), rb = ClassRank(b);
  if (ra != rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 0:
      return 0;
    case 1:
      return CompareNumbers(a, b);
    default:
      // BINARY collation: memcmp, then the shorter first (char_traits<char> compares bytes
      // as unsigned char).
      return ThreeWay(std::get<std::string>(a).compare(std::get<std::string>(b)), 0);
  }
}

bool PageDependency::Touches(const RootImage& root, int64_t now_seconds) const {
  if (root.tenant == predicate_->tenant() &&
      std::find(roots_.begin(), roots_.end(), root.root_id) != roots_.end()) {
    return true;
  }
  if (std::find(embedded_roots_.begin(), embedded_roots_.end(), root.root_id) !=
      embedded_roots_.end()) {
    return true;
  }
  auto position = predicate_->Match(root, now_seconds);
  return position && InRange(*position);
}

namespace detail {

std::shared_ptr<const ListingPredicate> MakeListingPredicate(const Query& query, std::string key,
                                                             const CompiledQuery& compiled) {
  return std::make_shared<const CompiledPredicate>(query, std::move(key), compiled);
}

}  // namespace detail
}  // namespace folio::storage
