// Type registration: document_types rows, and the q_* generated columns and indexes of each
// registered type's queryable fields.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <set>

#include "detail/data_schema.h"
#include "detail/store_impl.h"
#include "detail/type_row.h"

namespace folio::storage {
namespace {

using detail::Connection;
using detail::ParseTypeRow;
using detail::ValidFieldName;
using nlohmann::json;

bool ValidTypeId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  if (!std::islower(static_cast<unsigned char>(id[0])) &&
      !std::isdigit(static_cast<unsigned char>(id[0])))
    return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

const char* SqlType(FieldKind kind) {
  switch (kind) {
    case FieldKind::kText:
      return "TEXT";
    case FieldKind::kNumber:
      return "REAL";
    case FieldKind::kInteger:
    case FieldKind::kBoolean:
    case FieldKind::kDate:
      return "INTEGER";
  }
  return "TEXT";
}

// Two types may name one column (SonicJS lets a type give its columns explicitly, and derived
// names fold case and punctuation). Sharing is harmless only when both read the same JSON path
// as the same kind; anything else would make one type's filters read the other's field.
Status CheckColumnsUnshared(Connection& conn, const TypeInfo& info) {
  auto stmt = conn.Prepare(
      "SELECT id, coalesce(display_name, ''), coalesce(queryable_fields, '[]') "
      "FROM document_types WHERE id <> ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, info.definition.id);
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    std::string other_id(stmt->ColumnText(0));
    auto def = ParseTypeRow(other_id, stmt->ColumnText(1), stmt->ColumnText(2));
    if (!def.ok()) continue;
    auto other = MakeTypeInfo(*def);
    if (!other.ok()) continue;
    for (const QueryableField* field : info.Scalars()) {
      for (const QueryableField* other_field : other->Scalars()) {
        if (other_field->column != field->column) continue;
        const FieldKind kind = field->type.value_or(FieldKind::kText);
        const FieldKind other_kind = other_field->type.value_or(FieldKind::kText);
        if (other_field->EffectivePath() != field->EffectivePath() || other_kind != kind) {
          return Status::Conflict("field '" + field->name + "' of type '" + info.definition.id +
                                  "' would use column " + field->column + ", which field '" +
                                  other_field->name + "' (" + FieldKindName(other_kind) +
                                  ", path " + other_field->EffectivePath() + ") of type '" +
                                  other_id + "' already uses");
        }
      }
    }
  }
  return Status::Ok();
}

// Creates index `name` as `definition`, replacing an index of that name defined otherwise
// (databases written before the q_* indexes became partial).
Status EnsureIndex(Connection& conn, const std::string& name, const std::string& definition) {
  const std::string wanted = "CREATE INDEX \"" + name + "\" ON " + definition;
  bool exists = false;
  {
    auto stmt = conn.Prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?1");
    if (!stmt.ok()) return stmt.status();
    stmt->BindText(1, name);
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (*row && stmt->ColumnText(0) == wanted) return Status::Ok();
    exists = *row;
  }
  if (exists) FOLIO_RETURN_IF_ERROR(conn.Exec("DROP INDEX \"" + name + "\""));
  return conn.Exec(wanted);
}

}  // namespace

std::optional<FieldKind> ParseFieldKind(std::string_view name) {
  if (name == "text" || name == "string") return FieldKind::kText;
  if (name == "number" || name == "real") return FieldKind::kNumber;
  if (name == "integer" || name == "int") return FieldKind::kInteger;
  if (name == "boolean" || name == "bool") return FieldKind::kBoolean;
  if (name == "date" || name == "datetime") return FieldKind::kDate;
  return std::nullopt;
}

const char* FieldKindName(FieldKind kind) {
  switch (kind) {
    case FieldKind::kText:
      return "text";
    case FieldKind::kNumber:
      return "number";
    case FieldKind::kInteger:
      return "integer";
    case FieldKind::kBoolean:
      return "boolean";
    case FieldKind::kDate:
      return "date";
  }
  return "text";
}

bool TypeInfo::HasFacet(const std::string& name) const {
  const QueryableField* f = definition.Find(name);
  return f != nullptr && f->role == FieldRole::kFacet;
}

std::vector<const QueryableField*> TypeInfo::Scalars() const {
  return WithRole(FieldRole::kScalar);
}

std::vector<const QueryableField*> TypeInfo::WithRole(FieldRole role) const {
  std::vector<const QueryableField*> out;
  for (const QueryableField& f : definition.queryable_fields) {
    if (f.role == role) out.push_back(&f);
  }
  return out;
}

const QueryableField* TypeDefinition::Find(const std::string& name) const {
  for (const QueryableField& f : queryable_fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

Result<TypeInfo> MakeTypeInfo(const TypeDefinition& definition) {
  if (!ValidTypeId(definition.id)) {
    return Status::InvalidArgument("type id '" + definition.id +
                                   "' is invalid: use 1-64 characters of a-z, 0-9, '-' and '_', "
                                   "starting with a letter or digit");
  }
  TypeInfo info;
  info.definition = definition;
  TypeDefinition& def = info.definition;
  if (def.display_name.empty()) def.display_name = definition.id;
  if (def.settings.json_schema) {
    auto schema = nlohmann::json::parse(*def.settings.json_schema, nullptr,
                                        /*allow_exceptions=*/false);
    if (schema.is_discarded()) {
      return Status::InvalidArgument("settings.jsonSchema of type '" + def.id +
                                     "' is not valid JSON");
    }
    auto compiled = detail::DataSchema::Compile(schema);
    if (!compiled.ok()) {
      return Status::InvalidArgument(
          "settings.jsonSchema of type '" + def.id +
          "' is not a valid JSON Schema: " + compiled.status().message());
    }
    info.data_schema = std::move(*compiled);
  }

  // The short form joins the full one.
  auto add_short = [&](const std::string& name, FieldRole role,
                       std::optional<FieldKind> kind) -> Status {
    if (const QueryableField* f = def.Find(name)) {
      if (f->role != role) {
        return Status::Conflict("'" + name + "' of type '" + def.id + "' cannot be both a " +
                                detail::FieldRoleName(f->role) + " field and a " +
                                detail::FieldRoleName(role));
      }
      if (kind && f->type.value_or(FieldKind::kText) != *kind) {
        return Status::Conflict("field '" + name + "' of type '" + def.id + "' is given as " +
                                FieldKindName(f->type.value_or(FieldKind::kText)) + " and as " +
                                FieldKindName(*kind));
      }
      return Status::Ok();
    }
    QueryableField f;
    f.name = name;
    f.role = role;
    f.type = kind;
    def.queryable_fields.push_back(std::move(f));
    return Status::Ok();
  };
  for (const auto& [name, kind] : definition.fields) {
    FOLIO_RETURN_IF_ERROR(add_short(name, FieldRole::kScalar, kind));
  }
  for (const auto& facet : definition.facets) {
    if (definition.fields.count(facet) != 0) {
      return Status::Conflict("'" + facet + "' of type '" + def.id +
                              "' cannot be both a field and a facet");
    }
    FOLIO_RETURN_IF_ERROR(add_short(facet, FieldRole::kFacet, std::nullopt));
  }

  std::set<std::string> names;
  std::map<std::string, std::string> column_owner;
  def.fields.clear();
  def.facets.clear();
  for (QueryableField& f : def.queryable_fields) {
    const char* role = detail::FieldRoleName(f.role);
    if (!ValidFieldName(f.name)) {
      const char* what = f.role == FieldRole::kScalar ? "field" : role;
      return Status::InvalidArgument(std::string(what) + " name '" + f.name + "' of type '" +
                                     def.id +
                                     "' is invalid: use 1-64 characters of A-Z, a-z, 0-9 and "
                                     "'_', not starting with a digit");
    }
    if (!names.insert(f.name).second) {
      return Status::InvalidArgument("'" + f.name + "' is listed twice in type '" + def.id + "'");
    }
    if (!f.path.empty() && !detail::ValidFieldPath(f.path)) {
      return Status::InvalidArgument("path '" + f.path + "' of field '" + f.name +
                                     "' is invalid: use $.key or $.key.key…, keys of A-Z, a-z, "
                                     "0-9 and '_'");
    }
    if (f.path == "$." + f.name) f.path.clear();
    if (f.role != FieldRole::kScalar) {
      if (!f.column.empty()) {
        return Status::InvalidArgument("field '" + f.name + "' is a " + role +
                                       ": only scalar fields have a column");
      }
      if (f.type && f.role == FieldRole::kReference) {
        return Status::InvalidArgument("reference field '" + f.name + "' has no type");
      }
    }
    if (f.ref_strength && f.role != FieldRole::kReference) {
      return Status::InvalidArgument("field '" + f.name +
                                     "' has a refStrength but is not a reference");
    }
    switch (f.role) {
      case FieldRole::kScalar: {
        if (f.column.empty()) {
          f.column = detail::DerivedColumnName(def.id, f.name);
        } else if (!detail::ValidColumnName(f.column)) {
          return Status::InvalidArgument("column '" + f.column + "' of field '" + f.name +
                                         "' is invalid: use q_ and up to 62 characters of "
                                         "a-z, 0-9 and '_'");
        }
        auto [it, inserted] = column_owner.emplace(f.column, f.name);
        if (!inserted) {
          return Status::Conflict("fields '" + it->second + "' and '" + f.name + "' of type '" +
                                  def.id + "' would share column " + f.column);
        }
        info.columns[f.name] = f.column;
        def.fields[f.name] = f.type.value_or(FieldKind::kText);
        break;
      }
      case FieldRole::kFacet:
        def.facets.push_back(f.name);
        break;
      case FieldRole::kReference:
        break;
    }
  }
  return info;
}

Status DocumentStore::Impl::EnsureTypeColumns(Connection& conn, const TypeInfo& type) {
  std::set<std::string> existing;
  {
    auto stmt = conn.Prepare("SELECT lower(name) FROM pragma_table_xinfo('documents')");
    if (!stmt.ok()) return stmt.status();
    for (;;) {
      auto row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      existing.emplace(stmt->ColumnText(0));
    }
  }
  for (const QueryableField* field : type.Scalars()) {
    const std::string& column = field->column;
    const FieldKind kind = field->type.value_or(FieldKind::kText);
    // Names and paths were validated by MakeTypeInfo, so they are safe inside SQL text.
    if (existing.count(column) == 0) {
      FOLIO_RETURN_IF_ERROR(conn.Exec("ALTER TABLE documents ADD COLUMN \"" + column + "\" " +
                                      SqlType(kind) + " GENERATED ALWAYS AS (json_extract(data, '" +
                                      field->EffectivePath() + "')) VIRTUAL"));
      existing.insert(column);
    }
    // A column another type may share (SonicJS lets a type name its columns) gets indexes
    // named after this type too, so the types' partial indexes do not replace each other.
    std::string index = "idx_" + column;
    if (column.rfind(detail::DerivedColumnName(type.definition.id, ""), 0) != 0) {
      index += "_t_" + detail::DerivedColumnName(type.definition.id, "").substr(2);
    }
    // Partial on the type (and on live rows): a row is entered only in its own type's
    // indexes, so a write costs the same whatever the number of types, and the column's
    // json_extract runs only for rows of this type. Statements name the type as the same
    // literal (TypeInfo::IdLiteral) so the planner can match the WHERE.
    const std::string rows = " WHERE type_id = " + type.IdLiteral() + " AND deleted_at IS NULL";
    FOLIO_RETURN_IF_ERROR(EnsureIndex(
        conn, index, "documents(tenant_id, \"" + column + "\", updated_at DESC, id DESC)" + rows));
    // A filter on the field under either time sort seeks its rows in sort order; a sort by
    // the field seeks by (value, id).
    FOLIO_RETURN_IF_ERROR(
        EnsureIndex(conn, index + "_created",
                    "documents(tenant_id, \"" + column + "\", created_at DESC, id DESC)" + rows));
    FOLIO_RETURN_IF_ERROR(
        EnsureIndex(conn, index + "_sort", "documents(tenant_id, \"" + column + "\", id)" + rows));
  }
  return Status::Ok();
}

namespace {

// The columns ReadTypeRow reads, first in a SELECT from document_types.
constexpr const char* kTypeRowColumns =
    "SELECT id, coalesce(display_name, ''), coalesce(queryable_fields, '[]'), "
    "coalesce(settings, '{}'), coalesce(description, ''), schema_version";

// The definition in the current row of a statement that selected kTypeRowColumns.
Result<TypeDefinition> ReadTypeRow(const detail::Statement& stmt) {
  auto def = ParseTypeRow(std::string(stmt.ColumnText(0)), stmt.ColumnText(1), stmt.ColumnText(2),
                          stmt.ColumnText(3));
  if (!def.ok()) return def.status();
  def->description = stmt.ColumnText(4);
  def->schema_version = stmt.ColumnInt(5);
  return def;
}

}  // namespace

Status DocumentStore::Impl::ReloadTypes(Connection& conn) {
  auto stmt = conn.Prepare(std::string(kTypeRowColumns) + " FROM document_types");
  if (!stmt.ok()) return stmt.status();
  std::map<std::string, std::shared_ptr<const TypeInfo>> loaded;
  std::map<std::string, std::string> refused;
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    auto def = ReadTypeRow(*stmt);
    if (!def.ok()) return def.status();
    auto info = MakeTypeInfo(*def);
    // A type folio cannot name safely (made by another program), or whose schema this build
    // cannot run, is skipped, not served; FindType says why.
    if (!info.ok()) {
      refused[def->id] = info.status().message();
      continue;
    }
    loaded[def->id] = std::make_shared<const TypeInfo>(std::move(*info));
  }
  std::unique_lock lock(types_mu);
  types = std::move(loaded);
  unservable_types = std::move(refused);
  return Status::Ok();
}

Status DocumentStore::Impl::UpgradeLegacyTypeRows(Connection& conn) {
  auto txn = detail::Transaction::Begin(conn, /*immediate=*/true);
  if (!txn.ok()) return txn.status();
  std::vector<TypeInfo> legacy;
  {
    auto stmt = conn.Prepare(std::string(kTypeRowColumns) +
                             ", settings IS NULL OR settings IN ('', '{}') FROM document_types");
    if (!stmt.ok()) return stmt.status();
    for (;;) {
      auto row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      if (!detail::IsLegacyQueryableFields(stmt->ColumnText(2))) continue;
      auto def = ReadTypeRow(*stmt);
      if (!def.ok()) continue;
      // What folio did before types had settings: a new version per save, keep_versions kept.
      if (stmt->ColumnInt(6) != 0) {
        def->settings.versioning = true;
        if (options.keep_versions > 0) def->settings.max_versions_per_root = options.keep_versions;
      }
      auto info = MakeTypeInfo(*def);
      if (info.ok()) legacy.push_back(std::move(*info));
    }
  }
  for (const TypeInfo& info : legacy) {
    auto update = conn.Prepare(
        "UPDATE document_types SET queryable_fields = ?2, settings = ?3, schema = ?4 WHERE id = "
        "?1");
    if (!update.ok()) return update.status();
    update->BindText(1, info.definition.id);
    update->BindText(2, detail::QueryableFieldsText(info.definition));
    update->BindText(3, detail::SettingsText(info.definition.settings));
    update->BindText(4, detail::SchemaText(info.definition));
    FOLIO_RETURN_IF_ERROR(update->Run());
  }
  return txn->Commit();
}

Result<std::shared_ptr<const TypeInfo>> DocumentStore::Impl::FindType(const std::string& id) {
  {
    std::shared_lock lock(types_mu);
    auto it = types.find(id);
    if (it != types.end()) return it->second;
  }
  {
    ReadLease reader = AcquireReader();
    FOLIO_RETURN_IF_ERROR(ReloadTypes(*reader));
  }
  std::shared_lock lock(types_mu);
  auto it = types.find(id);
  if (it != types.end()) return it->second;
  if (auto refused = unservable_types.find(id); refused != unservable_types.end()) {
    return Status::NotFound("type '" + id + "' is stored but not served: " + refused->second +
                            " (register it again with settings that fix this)");
  }
  return Status::NotFound("unknown type '" + id + "': register it first");
}

namespace {

// `current` with what `requested` adds: new fields are appended, nothing is removed; a field
// registered again must keep its role, type and path (and column, when the request names
// one). Settings, display name and description are replaced when the request gives them.
Result<TypeDefinition> MergeDefinitions(const TypeDefinition& current,
                                        const TypeDefinition& requested) {
  TypeDefinition merged = current;
  merged.fields.clear();
  merged.facets.clear();
  for (const QueryableField& f : requested.queryable_fields) {
    const QueryableField* had = current.Find(f.name);
    if (had == nullptr) {
      merged.queryable_fields.push_back(f);
      continue;
    }
    const FieldKind kind = f.type.value_or(FieldKind::kText);
    const FieldKind had_kind = had->type.value_or(FieldKind::kText);
    std::string differs;
    if (had->role != f.role) {
      differs = std::string("a ") + detail::FieldRoleName(had->role) + ", not a " +
                detail::FieldRoleName(f.role);
    } else if (f.role == FieldRole::kScalar && had_kind != kind) {
      differs = std::string(FieldKindName(had_kind)) + ", not " + FieldKindName(kind);
    } else if (had->EffectivePath() != f.EffectivePath()) {
      differs = "at path " + had->EffectivePath() + ", not " + f.EffectivePath();
    } else if (!f.column.empty() && had->column != f.column) {
      differs = "in column " + had->column + ", not " + f.column;
    }
    if (!differs.empty()) {
      return Status::Conflict("field '" + f.name + "' of type '" + requested.id +
                              "' is registered as " + differs);
    }
  }
  // Settings merge key by key: a key the request gives replaces the registered one.
  const TypeSettings& asked = requested.settings;
  TypeSettings& kept = merged.settings;
  if (asked.versioning) kept.versioning = asked.versioning;
  if (asked.max_versions_per_root) kept.max_versions_per_root = asked.max_versions_per_root;
  if (asked.global) kept.global = asked.global;
  if (asked.base_grants) kept.base_grants = asked.base_grants;
  if (asked.json_schema) kept.json_schema = asked.json_schema;
  kept.other_json = detail::MergeJsonObjects(kept.other_json, asked.other_json);
  if (!requested.display_name.empty()) merged.display_name = requested.display_name;
  if (!requested.description.empty()) merged.description = requested.description;
  return merged;
}

}  // namespace

Result<TypeDefinition> DocumentStore::RegisterType(const TypeDefinition& requested) {
  auto requested_info = MakeTypeInfo(requested);
  if (!requested_info.ok()) return requested_info.status();
  if (requested_info->definition.settings.base_grants) {
    for (const auto& [principal, permissions] : *requested_info->definition.settings.base_grants) {
      if (principal.empty()) return Status::InvalidArgument("settings.baseGrants has an empty key");
    }
  }

  std::lock_guard lock(impl_->write_mu);
  Connection& conn = *impl_->writer;
  auto txn = detail::Transaction::Begin(conn, /*immediate=*/true);
  if (!txn.ok()) return txn.status();

  TypeDefinition merged = requested_info->definition;
  merged.schema_version = 0;
  std::string stored_schema;
  bool exists = false;
  {
    auto stmt = conn.Prepare(std::string(kTypeRowColumns) +
                             ", coalesce(schema, '{}') FROM document_types WHERE id = ?1");
    if (!stmt.ok()) return stmt.status();
    stmt->BindText(1, requested.id);
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (*row) {
      exists = true;
      stored_schema = stmt->ColumnText(6);
      auto current = ReadTypeRow(*stmt);
      if (!current.ok()) return current.status();
      // A schema the request gives replaces the stored one unread, so a stored schema this
      // build cannot compile (an earlier build accepted it) does not block its replacement.
      if (requested_info->definition.settings.json_schema) current->settings.json_schema.reset();
      auto current_info = MakeTypeInfo(*current);
      if (!current_info.ok()) return current_info.status();
      auto combined = MergeDefinitions(current_info->definition, requested_info->definition);
      if (!combined.ok()) return combined.status();
      merged = std::move(*combined);
    }
  }
  auto info = MakeTypeInfo(merged);
  if (!info.ok()) return info.status();
  FOLIO_RETURN_IF_ERROR(CheckColumnsUnshared(conn, *info));

  const std::string queryable_fields = detail::QueryableFieldsText(info->definition);
  const std::string schema = detail::SchemaText(info->definition);
  // SonicJS moves schema_version (stamped on each document as type_version) when the schema
  // text changes.
  if (!exists) {
    info->definition.schema_version = 1;
  } else if (schema != stored_schema) {
    info->definition.schema_version = merged.schema_version + 1;
  }
  int64_t now = impl_->options.clock->NowSeconds();
  auto upsert = conn.Prepare(
      "INSERT INTO document_types(id, name, display_name, description, schema, queryable_fields, "
      "settings, source, schema_version, created_at, updated_at) "
      "VALUES (?1, ?1, ?2, ?3, ?4, ?5, ?6, 'code', ?7, ?8, ?8) "
      "ON CONFLICT(id) DO UPDATE SET display_name = excluded.display_name, "
      "description = excluded.description, schema = excluded.schema, "
      "queryable_fields = excluded.queryable_fields, settings = excluded.settings, "
      "schema_version = excluded.schema_version, "
      "updated_at = CASE WHEN schema IS excluded.schema AND display_name IS "
      "excluded.display_name AND description IS excluded.description THEN updated_at ELSE "
      "excluded.updated_at END");
  if (!upsert.ok()) return upsert.status();
  upsert->BindText(1, merged.id);
  upsert->BindText(2, info->definition.display_name);
  if (info->definition.description.empty())
    upsert->BindNull(3);
  else
    upsert->BindText(3, info->definition.description);
  upsert->BindText(4, schema);
  upsert->BindText(5, queryable_fields);
  upsert->BindText(6, detail::SettingsText(info->definition.settings));
  upsert->BindInt(7, info->definition.schema_version);
  upsert->BindInt(8, now);
  Status s = upsert->Run();
  if (!s.ok()) {
    if (s.IsConflict() && !exists) {
      return Status::Conflict("a type named '" + merged.id + "' exists under another id");
    }
    return s;
  }
  FOLIO_RETURN_IF_ERROR(Impl::EnsureTypeColumns(conn, *info));
  // A type whose schema changed is a coarse event for the caches above (what its queries may
  // ask, where its documents live, who reads them): its generations move, in this transaction.
  if (!exists || schema != stored_schema) {
    FOLIO_RETURN_IF_ERROR(BumpGenerations(conn, &merged.id));
  }
  FOLIO_RETURN_IF_ERROR(txn->Commit());

  TypeDefinition result = info->definition;
  std::unique_lock types_lock(impl_->types_mu);
  impl_->types[merged.id] = std::make_shared<const TypeInfo>(std::move(*info));
  impl_->unservable_types.erase(merged.id);
  return result;
}

Result<TypeDefinition> DocumentStore::GetType(const std::string& id) const {
  auto info = impl_->FindType(id);
  if (!info.ok()) return info.status();
  return (*info)->definition;
}

std::string DocumentStore::StorageTenant(const std::string& type, const std::string& tenant) const {
  std::shared_lock lock(impl_->types_mu);
  auto it = impl_->types.find(type);
  if (it == impl_->types.end()) return tenant;
  return storage::StorageTenant(*it->second, tenant);
}

std::vector<TypeDefinition> DocumentStore::ListTypes() const {
  std::shared_lock lock(impl_->types_mu);
  std::vector<TypeDefinition> out;
  for (const auto& [id, info] : impl_->types)
    out.push_back(info->definition);
  return out;
}

}  // namespace folio::storage
