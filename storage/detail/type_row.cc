#include "detail/type_row.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

namespace folio::storage::detail {

using nlohmann::json;

bool ValidFieldName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  if (!std::isalpha(static_cast<unsigned char>(name[0])) && name[0] != '_') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

Result<TypeDefinition> ParseTypeRow(const std::string& id, std::string_view display,
                                    std::string_view queryable) {
  TypeDefinition def;
  def.id = id;
  def.display_name = display.empty() ? id : std::string(display);
  json arr = json::parse(queryable, nullptr, /*allow_exceptions=*/false);
  if (arr.is_discarded() || !arr.is_array()) {
    return Status::Corruption("document_types." + id + ".queryable_fields is not a JSON array");
  }
  for (const json& entry : arr) {
    std::string name;
    std::string kind = "text";
    if (entry.is_string()) {
      name = entry.get<std::string>();
    } else if (entry.is_object() && entry.contains("name") && entry["name"].is_string()) {
      name = entry["name"].get<std::string>();
      if (entry.contains("type") && entry["type"].is_string())
        kind = entry["type"].get<std::string>();
    } else {
      continue;
    }
    if (!ValidFieldName(name)) continue;  // not ours to serve; never reaches SQL
    if (kind == "facet") {
      def.facets.push_back(name);
    } else if (auto k = ParseFieldKind(kind)) {
      def.fields[name] = *k;
    } else {
      def.fields[name] = FieldKind::kText;
    }
  }
  return def;
}

}  // namespace folio::storage::detail
