#include "detail/field_values.h"

#include <cmath>
#include <string>

namespace folio::storage::detail {
namespace {

using nlohmann::json;

// Whether `v` is a whole number an INTEGER column holds exactly (1e2 and 5.0 are; 2^63 and
// 0.5 are not).
bool IsWholeInt64(const json& v) {
  if (v.is_number_integer()) {
    return !v.is_number_unsigned() || v.get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX);
  }
  if (!v.is_number_float()) return false;
  const double d = v.get<double>();
  return std::isfinite(d) && std::trunc(d) == d && d >= -9223372036854775808.0 &&
         d < 9223372036854775808.0;
}

bool Fits(FieldKind kind, const json& v) {
  switch (kind) {
    case FieldKind::kText:
      return v.is_string();
    case FieldKind::kNumber:
      return v.is_number() && std::isfinite(v.get<double>());
    case FieldKind::kInteger:
    case FieldKind::kDate:
      return IsWholeInt64(v);
    case FieldKind::kBoolean:
      return v.is_boolean();
  }
  return false;
}

const char* Expected(FieldKind kind) {
  switch (kind) {
    case FieldKind::kText:
      return "a string";
    case FieldKind::kNumber:
      return "a finite number";
    case FieldKind::kInteger:
      return "a whole number that fits 64 bits";
    case FieldKind::kDate:
      return "a date in whole seconds since the epoch";
    case FieldKind::kBoolean:
      return "true or false";
  }
  return "a value";
}

// The value as JSON, cut short: messages quote what the client sent, not all of it.
std::string Quote(const json& v) {
  std::string text = v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > 80) text = text.substr(0, 77) + "...";
  return text;
}

Status Refuse(const QueryableField& field, const char* role, const std::string& kind, const json& v,
              const std::string& expected) {
  return Status::InvalidArgument(std::string(role) + " '" + field.name + "' (" + kind +
                                 ") cannot hold " + Quote(v) + ": it must be " + expected +
                                 ", or null");
}

}  // namespace

const json* ValueAtPath(const QueryableField& field, const json& data) {
  const json* at = &data;
  const std::string path = field.EffectivePath();
  size_t start = 2;  // after "$."
  while (at != nullptr && start <= path.size()) {
    size_t end = path.find('.', start);
    if (end == std::string::npos) end = path.size();
    if (!at->is_object()) return nullptr;
    auto it = at->find(path.substr(start, end - start));
    at = it == at->end() ? nullptr : &*it;
    start = end + 1;
  }
  return at;
}

std::vector<const json*> ValuesAt(const QueryableField& field, const json& data) {
  std::vector<const json*> values;
  const json* at = ValueAtPath(field, data);
  if (at == nullptr || at->is_null()) return values;
  if (at->is_array()) {
    for (const json& v : *at)
      values.push_back(&v);
  } else {
    values.push_back(at);
  }
  return values;
}

Status CheckFieldValues(const TypeDefinition& type, const json& data) {
  for (const QueryableField& field : type.queryable_fields) {
    if (field.role == FieldRole::kScalar) {
      if (!field.type) continue;  // untyped: SonicJS stores whatever json_extract gives
      const json* v = ValueAtPath(field, data);
      if (v == nullptr || v->is_null() || Fits(*field.type, *v)) continue;
      return Refuse(field, "field", FieldKindName(*field.type), *v, Expected(*field.type));
    }
    if (field.role != FieldRole::kFacet) continue;
    const std::string kind =
        field.type ? std::string(FieldKindName(*field.type)) + " facet" : std::string("facet");
    const json* at = ValueAtPath(field, data);
    if (at == nullptr || at->is_null()) continue;
    const bool is_array = at->is_array();
    for (const json* v : ValuesAt(field, data)) {
      const bool scalar = v->is_string() || v->is_number() || v->is_boolean();
      if (!scalar) {
        return Refuse(field, "facet", kind, is_array ? *at : *v,
                      is_array ? "an array of strings, numbers or booleans"
                               : "a string, a number, a boolean or an array of them");
      }
      if (field.type && !Fits(*field.type, *v)) {
        return Refuse(field, "facet", kind, *v,
                      std::string(Expected(*field.type)) + " (or an array of them)");
      }
    }
  }
  return Status::Ok();
}

}  // namespace folio::storage::detail
