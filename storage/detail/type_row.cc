#include "detail/type_row.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <set>

namespace folio::storage::detail {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

bool IsKeyChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// SonicJS's slug(): lower-case, each run of other characters one '_', no '_' at either end.
std::string Slug(const std::string& s) {
  std::string out;
  bool gap = false;
  for (char c : s) {
    const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if ((lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9')) {
      if (gap && !out.empty()) out.push_back('_');
      gap = false;
      out.push_back(lower);
    } else {
      gap = true;
    }
  }
  return out;
}

std::optional<FieldRole> ParseRole(std::string_view kind) {
  if (kind == "scalar") return FieldRole::kScalar;
  if (kind == "facet") return FieldRole::kFacet;
  if (kind == "reference") return FieldRole::kReference;
  return std::nullopt;
}

const std::set<std::string>& Permissions() {
  static const std::set<std::string> kPermissions = {"read",   "create",  "update",
                                                     "delete", "publish", "manage"};
  return kPermissions;
}

// Settings from `text`. Strict (a client's): a known key of the wrong type is an error.
// Lenient (a stored row's): such a key is dropped, and unreadable text is no settings.
Result<TypeSettings> ParseSettings(std::string_view text, bool strict) {
  TypeSettings settings;
  if (text.empty()) return settings;
  ordered_json parsed = ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_null() && !strict) return settings;
  if (parsed.is_discarded() || !parsed.is_object()) {
    if (!strict) return settings;
    return Status::InvalidArgument("settings must be a JSON object");
  }
  auto bad = [&](const std::string& what) -> Status {
    return Status::InvalidArgument("settings." + what);
  };
  ordered_json other = ordered_json::object();
  for (auto it = parsed.begin(); it != parsed.end(); ++it) {
    const std::string& key = it.key();
    const ordered_json& value = it.value();
    if (key == "versioning" || key == "global") {
      if (!value.is_boolean()) {
        if (strict) return bad(key + " must be true or false");
        continue;
      }
      (key == "versioning" ? settings.versioning : settings.global) = value.get<bool>();
    } else if (key == "maxVersionsPerRoot") {
      if (!value.is_number_integer() || value.get<int64_t>() < 1 ||
          value.get<int64_t>() > 1000000) {
        if (strict) return bad("maxVersionsPerRoot must be an integer from 1 to 1000000");
        continue;
      }
      settings.max_versions_per_root = value.get<int64_t>();
    } else if (key == "baseGrants") {
      if (!value.is_object()) {
        if (strict) return bad("baseGrants must map principals to lists of permissions");
        continue;
      }
      std::map<std::string, std::vector<std::string>> grants;
      for (auto g = value.begin(); g != value.end(); ++g) {
        if (!g.value().is_array()) {
          if (strict) return bad("baseGrants." + g.key() + " must be a list of permissions");
          continue;
        }
        std::vector<std::string>& list = grants[g.key()];
        for (const auto& p : g.value()) {
          if (p.is_string() && Permissions().count(p.get<std::string>()) != 0) {
            list.push_back(p.get<std::string>());
          } else if (strict) {
            return bad("baseGrants." + g.key() + " holds " + p.dump() +
                       ", not one of read, create, update, delete, publish, manage");
          }
        }
      }
      settings.base_grants = std::move(grants);
    } else if (key == "jsonSchema") {
      if (!value.is_object() && !value.is_boolean()) {
        if (strict) return bad("jsonSchema must be a JSON Schema: an object or a boolean");
        continue;
      }
      try {
        settings.json_schema = value.dump();
      } catch (const ordered_json::exception&) {
        if (strict) return bad("jsonSchema holds text that is not valid UTF-8");
      }
    } else {
      other[key] = value;
    }
  }
  try {
    settings.other_json = other.dump();
  } catch (const ordered_json::exception&) {  // invalid UTF-8 in a stored key or value
    if (strict) return bad("holds text that is not valid UTF-8");
    settings.other_json = "{}";
  }
  return settings;
}

ordered_json FieldJson(const QueryableField& f) {
  ordered_json out;
  out["name"] = f.name;
  if (!f.path.empty()) out["path"] = f.path;
  out["kind"] = FieldRoleName(f.role);
  if (f.type) out["type"] = FieldKindName(*f.type);
  if (!f.column.empty()) out["column"] = f.column;
  if (f.ref_strength)
    out["refStrength"] = *f.ref_strength == RefStrength::kStrong ? "strong" : "weak";
  return out;
}

ordered_json FieldsJson(const TypeDefinition& type) {
  ordered_json arr = ordered_json::array();
  for (const QueryableField& f : type.queryable_fields)
    arr.push_back(FieldJson(f));
  return arr;
}

ordered_json SettingsJson(const TypeSettings& s) {
  ordered_json out = ordered_json::parse(s.other_json, nullptr, /*allow_exceptions=*/false);
  if (out.is_discarded() || !out.is_object()) out = ordered_json::object();
  if (s.base_grants) {
    ordered_json grants = ordered_json::object();
    for (const auto& [principal, permissions] : *s.base_grants)
      grants[principal] = permissions;
    out["baseGrants"] = std::move(grants);
  }
  if (s.json_schema) {
    ordered_json schema = ordered_json::parse(*s.json_schema, nullptr, /*allow_exceptions=*/false);
    if (!schema.is_discarded()) out["jsonSchema"] = std::move(schema);
  }
  if (s.max_versions_per_root) out["maxVersionsPerRoot"] = *s.max_versions_per_root;
  if (s.global) out["global"] = *s.global;
  if (s.versioning) out["versioning"] = *s.versioning;
  return out;
}

}  // namespace

bool ValidFieldName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  if (!std::isalpha(static_cast<unsigned char>(name[0])) && name[0] != '_') return false;
  return std::all_of(name.begin(), name.end(), IsKeyChar);
}

bool ValidFieldPath(const std::string& path) {
  if (path.size() < 3 || path.size() > 200 || path[0] != '$') return false;
  bool key_started = false;
  for (size_t i = 1; i < path.size(); ++i) {
    if (path[i] == '.') {
      if (i > 1 && !key_started) return false;  // an empty key
      key_started = false;
    } else if (IsKeyChar(path[i]) && i > 1) {
      key_started = true;
    } else {
      return false;
    }
  }
  return path[1] == '.' && key_started;
}

bool ValidColumnName(const std::string& column) {
  if (column.size() < 3 || column.size() > 64 || column.compare(0, 2, "q_") != 0) return false;
  return std::all_of(column.begin(), column.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string DerivedColumnName(const std::string& type_id, const std::string& field) {
  const std::string type_slug = Slug(type_id);
  const std::string field_slug = Slug(field);
  std::string name = "q_" + type_slug;
  name += "_";
  name += field_slug;
  if (name.size() <= 60) return name;
  std::string short_name = "q_" + type_slug.substr(0, 20);
  short_name += "_";
  short_name += field_slug.substr(0, 20);
  return short_name;
}

const char* FieldRoleName(FieldRole role) {
  switch (role) {
    case FieldRole::kScalar:
      return "scalar";
    case FieldRole::kFacet:
      return "facet";
    case FieldRole::kReference:
      return "reference";
  }
  return "scalar";
}

Result<TypeDefinition> ParseTypeRow(const std::string& id, std::string_view display,
                                    std::string_view queryable, std::string_view settings) {
  TypeDefinition def;
  def.id = id;
  def.display_name = display.empty() ? id : std::string(display);
  json arr = json::parse(queryable, nullptr, /*allow_exceptions=*/false);
  if (arr.is_discarded() || !arr.is_array()) {
    return Status::Corruption("document_types." + id + ".queryable_fields is not a JSON array");
  }
  std::set<std::string> seen;
  for (const json& entry : arr) {
    QueryableField field;
    if (entry.is_string()) {
      field.name = entry.get<std::string>();
    } else if (entry.is_object() && entry.contains("name") && entry["name"].is_string()) {
      field.name = entry["name"].get<std::string>();
      auto text = [&](const char* key) -> std::optional<std::string> {
        auto it = entry.find(key);
        if (it == entry.end() || !it->is_string()) return std::nullopt;
        return it->get<std::string>();
      };
      auto type = text("type");
      if (auto kind = text("kind")) {
        auto role = ParseRole(*kind);
        if (!role) continue;
        field.role = *role;
        if (type) {
          field.type = ParseFieldKind(*type);
          if (!field.type) continue;
        }
      } else if (type && *type == "facet") {  // folio's format before SonicJS's
        field.role = FieldRole::kFacet;
      } else {
        field.type = type ? ParseFieldKind(*type).value_or(FieldKind::kText) : FieldKind::kText;
      }
      if (auto path = text("path")) {
        if (!ValidFieldPath(*path)) continue;
        if (*path != "$." + field.name) field.path = *path;
      }
      if (field.role == FieldRole::kScalar) {
        if (auto column = text("column")) {
          if (!ValidColumnName(*column)) continue;
          field.column = *column;
        }
      }
      if (field.role == FieldRole::kReference) {
        if (auto strength = text("refStrength"))
          field.ref_strength = *strength == "strong" ? RefStrength::kStrong : RefStrength::kWeak;
      }
    } else {
      continue;
    }
    if (!ValidFieldName(field.name)) continue;  // not ours to serve; never reaches SQL
    if (!seen.insert(field.name).second) continue;
    def.queryable_fields.push_back(std::move(field));
  }
  auto parsed_settings = ParseSettings(settings, /*strict=*/false);
  if (parsed_settings.ok()) def.settings = std::move(*parsed_settings);
  return def;
}

bool IsLegacyQueryableFields(std::string_view queryable) {
  json arr = json::parse(queryable, nullptr, /*allow_exceptions=*/false);
  if (arr.is_discarded() || !arr.is_array()) return false;
  return std::any_of(arr.begin(), arr.end(),
                     [](const json& e) { return !e.is_object() || !e.contains("kind"); });
}

std::string MergeJsonObjects(const std::string& base, const std::string& update) {
  ordered_json merged = ordered_json::parse(base, nullptr, /*allow_exceptions=*/false);
  if (merged.is_discarded() || !merged.is_object()) merged = ordered_json::object();
  ordered_json more = ordered_json::parse(update, nullptr, /*allow_exceptions=*/false);
  if (!more.is_discarded() && more.is_object()) {
    for (auto it = more.begin(); it != more.end(); ++it)
      merged[it.key()] = it.value();
  }
  return merged.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

Result<TypeSettings> ParseTypeSettings(std::string_view settings_json) {
  return ParseSettings(settings_json, /*strict=*/true);
}

std::string QueryableFieldsText(const TypeDefinition& type) {
  return FieldsJson(type).dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

std::string SettingsText(const TypeSettings& settings) {
  return SettingsJson(settings).dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

std::string SchemaText(const TypeDefinition& type) {
  ordered_json schema;
  schema["queryableFields"] = FieldsJson(type);
  schema["settings"] = SettingsJson(type.settings);
  return schema.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

}  // namespace folio::storage::detail
