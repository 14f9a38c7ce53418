#include "folio/storage/type_format.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <set>

#include "detail/type_row.h"

namespace folio::storage {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

Status Bad(const std::string& what) {
  return Status::InvalidArgument(what);
}

Result<QueryableField> ParseField(const json& entry, size_t index) {
  const std::string where = "queryableFields[" + std::to_string(index) + "]";
  if (!entry.is_object()) return Bad(where + " must be an object");
  QueryableField field;
  bool has_kind = false;
  static const std::set<std::string> kKeys = {"name", "kind",   "type",
                                              "path", "column", "refStrength"};
  for (const auto& [key, value] : entry.items()) {
    if (kKeys.count(key) == 0) return Bad(where + " has an unknown key '" + key + "'");
    if (!value.is_string()) return Bad(where + "." + key + " must be a string");
    const std::optional<std::string> got = value.get<std::string>();
    if (key == "name") {
      field.name = *got;
    } else if (key == "kind") {
      has_kind = true;
      if (*got == "scalar") {
        field.role = FieldRole::kScalar;
      } else if (*got == "facet") {
        field.role = FieldRole::kFacet;
      } else if (*got == "reference") {
        field.role = FieldRole::kReference;
      } else {
        return Bad(where + ".kind '" + *got + "' is not scalar, facet or reference");
      }
    } else if (key == "type") {
      static const std::set<std::string> kTypes = {"text", "number", "integer", "boolean", "date"};
      if (kTypes.count(*got) == 0) {
        return Bad(where + ".type '" + *got + "' is not text, number, integer, boolean or date");
      }
      field.type = ParseFieldKind(*got);
    } else if (key == "path") {
      field.path = *got;
    } else if (key == "column") {
      field.column = *got;
    } else if (key == "refStrength") {
      if (*got != "strong" && *got != "weak") {
        return Bad(where + ".refStrength '" + *got + "' is not strong or weak");
      }
      field.ref_strength = *got == "strong" ? RefStrength::kStrong : RefStrength::kWeak;
    }
  }
  if (field.name.empty()) return Bad(where + " needs a \"name\"");
  if (!has_kind) return Bad(where + " ('" + field.name + "') needs a \"kind\"");
  return field;
}

}  // namespace

Result<TypeDefinition> ParseTypeJson(std::string_view text, bool* short_form) {
  json body = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) return Bad("a type must be a JSON object");
  TypeDefinition def;
  bool full_form = false;
  for (const auto& [key, value] : body.items()) {
    if (key == "id" || key == "name" || key == "displayName" || key == "display_name" ||
        key == "description") {
      if (!value.is_string()) return Bad("\"" + key + "\" must be a string");
      const std::string s = value.get<std::string>();
      if (key == "id") def.id = s;
      if (key == "displayName" || key == "display_name") def.display_name = s;
      if (key == "description") def.description = s;
    } else if (key == "queryableFields") {
      full_form = true;
      if (!value.is_array()) return Bad("\"queryableFields\" must be an array");
      for (size_t i = 0; i < value.size(); ++i) {
        auto field = ParseField(value[i], i);
        if (!field.ok()) return field.status();
        def.queryable_fields.push_back(std::move(*field));
      }
    } else if (key == "settings") {
      full_form = true;
      auto settings =
          detail::ParseTypeSettings(value.dump(-1, ' ', false, json::error_handler_t::replace));
      if (!settings.ok()) return settings.status();
      def.settings = std::move(*settings);
    } else if (key == "fields") {
      if (!value.is_object()) return Bad("\"fields\" must be an object of name: type");
      for (const auto& [name, kind] : value.items()) {
        auto k = kind.is_string() ? ParseFieldKind(kind.get<std::string>()) : std::nullopt;
        if (!k) {
          return Bad("field '" + name + "': type must be text, number, integer, boolean or date");
        }
        def.fields[name] = *k;
      }
    } else if (key == "facets") {
      if (!value.is_array()) return Bad("\"facets\" must be an array of names");
      for (const auto& f : value) {
        if (!f.is_string()) return Bad("\"facets\" must be an array of names");
        def.facets.push_back(f.get<std::string>());
      }
    } else if (key == "schema" || key == "isAuth" || key == "pluginId" || key == "source" ||
               key == "schema_version" || key == "references") {
      // SonicJS's own keys of a PluginDocumentType that folio does not keep, and what
      // TypeJson derives (so its output registers again): accepted, unused.
    } else {
      return Bad("a type has no key '" + key + "'");
    }
  }
  if (def.id.empty()) return Bad("a type needs a string \"id\"");
  if (body.contains("name") && body["name"] != def.id) {
    return Bad("\"name\" must equal \"id\" ('" + def.id + "')");
  }
  if (short_form != nullptr) *short_form = !full_form;
  return def;
}

std::string TypeJson(const TypeDefinition& type) {
  ordered_json out;
  out["id"] = type.id;
  out["name"] = type.id;
  out["display_name"] = type.display_name;
  out["description"] = type.description;
  out["schema_version"] = type.schema_version;
  out["queryableFields"] = ordered_json::parse(detail::QueryableFieldsText(type));
  out["settings"] = ordered_json::parse(detail::SettingsText(type.settings));
  ordered_json fields = ordered_json::object();
  for (const auto& [name, kind] : type.fields)
    fields[name] = FieldKindName(kind);
  out["fields"] = std::move(fields);
  out["facets"] = type.facets;
  ordered_json references = ordered_json::array();
  for (const QueryableField& f : type.queryable_fields) {
    if (f.role == FieldRole::kReference) references.push_back(f.name);
  }
  out["references"] = std::move(references);
  return out.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

}  // namespace folio::storage
