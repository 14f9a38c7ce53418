// Type registration: document_types rows, and the q_* generated columns and indexes of each
// registered type's queryable fields.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <set>

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

// Column names are case-insensitive in SQLite; lower-case them so a collision is visible.
std::string ColumnName(const std::string& type, const std::string& field) {
  std::string col = "q_";
  for (char c : type)
    col.push_back(c == '-' ? '_' : c);
  col.push_back('_');
  for (char c : field)
    col.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return col;
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

json QueryableFieldsJson(const TypeInfo& info) {
  json arr = json::array();
  for (const auto& [name, kind] : info.definition.fields) {
    arr.push_back(
        {{"name", name}, {"type", FieldKindName(kind)}, {"column", info.columns.at(name)}});
  }
  for (const auto& facet : info.definition.facets) {
    arr.push_back({{"name", facet}, {"type", "facet"}});
  }
  return arr;
}

// Column names fold '-' into '_', so two types can map different fields to one column
// ("blog" + "post_views" and "blog_post" + "views" are both q_blog_post_views). Sharing is
// harmless only when both read the same JSON path as the same kind; anything else would make
// one type's filters read the other's field.
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
    for (const auto& [field, column] : info.columns) {
      for (const auto& [other_field, other_column] : other->columns) {
        if (other_column != column) continue;
        FieldKind kind = info.definition.fields.at(field);
        FieldKind other_kind = other->definition.fields.at(other_field);
        if (other_field != field || other_kind != kind) {
          return Status::Conflict("field '" + field + "' of type '" + info.definition.id +
                                  "' would use column " + column + ", which field '" + other_field +
                                  "' (" + FieldKindName(other_kind) + ") of type '" + other_id +
                                  "' already uses");
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
  const auto& f = definition.facets;
  return std::find(f.begin(), f.end(), name) != f.end();
}

Result<TypeInfo> MakeTypeInfo(const TypeDefinition& definition) {
  if (!ValidTypeId(definition.id)) {
    return Status::InvalidArgument("type id '" + definition.id +
                                   "' is invalid: use 1-64 characters of a-z, 0-9, '-' and '_', "
                                   "starting with a letter or digit");
  }
  TypeInfo info;
  info.definition = definition;
  if (info.definition.display_name.empty()) info.definition.display_name = definition.id;
  std::map<std::string, std::string> column_owner;
  for (const auto& [name, kind] : definition.fields) {
    if (!ValidFieldName(name)) {
      return Status::InvalidArgument("field name '" + name + "' of type '" + definition.id +
                                     "' is invalid: use 1-64 characters of A-Z, a-z, 0-9 and "
                                     "'_', not starting with a digit");
    }
    std::string col = ColumnName(definition.id, name);
    auto [it, inserted] = column_owner.emplace(col, name);
    if (!inserted) {
      return Status::Conflict("fields '" + it->second + "' and '" + name + "' of type '" +
                              definition.id + "' differ only in case");
    }
    info.columns[name] = col;
  }
  std::set<std::string> facets;
  for (const auto& facet : definition.facets) {
    if (!ValidFieldName(facet)) {
      return Status::InvalidArgument("facet name '" + facet + "' of type '" + definition.id +
                                     "' is invalid");
    }
    if (definition.fields.count(facet) != 0) {
      return Status::Conflict("'" + facet + "' of type '" + definition.id +
                              "' cannot be both a field and a facet");
    }
    if (!facets.insert(facet).second) {
      return Status::InvalidArgument("facet '" + facet + "' is listed twice");
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
  for (const auto& [field, column] : type.columns) {
    FieldKind kind = type.definition.fields.at(field);
    // Names were validated by MakeTypeInfo, so they are safe inside SQL text.
    if (existing.count(column) == 0) {
      FOLIO_RETURN_IF_ERROR(
          conn.Exec("ALTER TABLE documents ADD COLUMN \"" + column + "\" " + SqlType(kind) +
                    " GENERATED ALWAYS AS (json_extract(data, '$." + field + "')) VIRTUAL"));
    }
    // Partial on the type (and on live rows): a row is entered only in its own type's
    // indexes, so a write costs the same whatever the number of types, and the column's
    // json_extract runs only for rows of this type. Statements name the type as the same
    // literal (TypeInfo::IdLiteral) so the planner can match the WHERE.
    const std::string rows = " WHERE type_id = " + type.IdLiteral() + " AND deleted_at IS NULL";
    FOLIO_RETURN_IF_ERROR(
        EnsureIndex(conn, "idx_" + column,
                    "documents(tenant_id, \"" + column + "\", updated_at DESC, id DESC)" + rows));
    // A filter on the field under either time sort seeks its rows in sort order; a sort by
    // the field seeks by (value, id).
    FOLIO_RETURN_IF_ERROR(
        EnsureIndex(conn, "idx_" + column + "_created",
                    "documents(tenant_id, \"" + column + "\", created_at DESC, id DESC)" + rows));
    FOLIO_RETURN_IF_ERROR(EnsureIndex(conn, "idx_" + column + "_sort",
                                      "documents(tenant_id, \"" + column + "\", id)" + rows));
  }
  return Status::Ok();
}

Status DocumentStore::Impl::ReloadTypes(Connection& conn) {
  auto stmt = conn.Prepare(
      "SELECT id, coalesce(display_name, ''), coalesce(queryable_fields, '[]') "
      "FROM document_types");
  if (!stmt.ok()) return stmt.status();
  std::map<std::string, std::shared_ptr<const TypeInfo>> loaded;
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    std::string id(stmt->ColumnText(0));
    auto def = ParseTypeRow(id, stmt->ColumnText(1), stmt->ColumnText(2));
    if (!def.ok()) return def.status();
    auto info = MakeTypeInfo(*def);
    // A type folio cannot name safely (made by another program) is skipped, not served.
    if (!info.ok()) continue;
    loaded[id] = std::make_shared<const TypeInfo>(std::move(*info));
  }
  std::unique_lock lock(types_mu);
  types = std::move(loaded);
  return Status::Ok();
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
  return Status::NotFound("unknown type '" + id + "': register it first");
}

Result<TypeDefinition> DocumentStore::RegisterType(const TypeDefinition& requested) {
  auto requested_info = MakeTypeInfo(requested);
  if (!requested_info.ok()) return requested_info.status();

  std::lock_guard lock(impl_->write_mu);
  Connection& conn = *impl_->writer;
  auto txn = detail::Transaction::Begin(conn, /*immediate=*/true);
  if (!txn.ok()) return txn.status();

  // Merge with what is registered: new fields and facets are added, nothing is removed.
  TypeDefinition merged = requested_info->definition;
  bool exists = false;
  std::string registered_fields;  // queryable_fields as stored, when the type exists
  {
    auto stmt = conn.Prepare(
        "SELECT coalesce(display_name, ''), coalesce(queryable_fields, '[]') FROM document_types "
        "WHERE id = ?1");
    if (!stmt.ok()) return stmt.status();
    stmt->BindText(1, requested.id);
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (*row) {
      exists = true;
      registered_fields = stmt->ColumnText(1);
      auto current = ParseTypeRow(requested.id, stmt->ColumnText(0), stmt->ColumnText(1));
      if (!current.ok()) return current.status();
      for (const auto& [name, kind] : current->fields) {
        auto it = merged.fields.find(name);
        if (it != merged.fields.end() && it->second != kind) {
          return Status::Conflict("field '" + name + "' of type '" + requested.id +
                                  "' is registered as " + FieldKindName(kind) + ", not " +
                                  FieldKindName(it->second));
        }
        merged.fields[name] = kind;
      }
      for (const auto& facet : current->facets) {
        if (std::find(merged.facets.begin(), merged.facets.end(), facet) == merged.facets.end())
          merged.facets.push_back(facet);
      }
      if (requested.display_name.empty()) merged.display_name = current->display_name;
    }
  }
  std::sort(merged.facets.begin(), merged.facets.end());
  auto info = MakeTypeInfo(merged);
  if (!info.ok()) return info.status();
  FOLIO_RETURN_IF_ERROR(CheckColumnsUnshared(conn, *info));

  int64_t now = impl_->options.clock->NowSeconds();
  auto upsert = conn.Prepare(
      "INSERT INTO document_types(id, name, display_name, queryable_fields, source, created_at, "
      "updated_at) VALUES (?1, ?1, ?2, ?3, 'code', ?4, ?4) "
      "ON CONFLICT(id) DO UPDATE SET display_name = excluded.display_name, "
      "queryable_fields = excluded.queryable_fields, "
      "updated_at = CASE WHEN queryable_fields IS excluded.queryable_fields "
      "AND display_name IS excluded.display_name THEN updated_at ELSE excluded.updated_at END");
  if (!upsert.ok()) return upsert.status();
  upsert->BindText(1, merged.id);
  upsert->BindText(2, info->definition.display_name);
  const std::string queryable_fields = QueryableFieldsJson(*info).dump();
  upsert->BindText(3, queryable_fields);
  upsert->BindInt(4, now);
  Status s = upsert->Run();
  if (!s.ok()) {
    if (s.IsConflict() && !exists) {
      return Status::Conflict("a type named '" + merged.id + "' exists under another id");
    }
    return s;
  }
  FOLIO_RETURN_IF_ERROR(Impl::EnsureTypeColumns(conn, *info));
  // A type that gained fields or facets is a coarse event for the caches above (what its
  // queries may ask changed): its generations move, in this transaction. A registration that
  // changes nothing moves nothing.
  if (!exists || registered_fields != queryable_fields) {
    FOLIO_RETURN_IF_ERROR(BumpGenerations(conn, &merged.id));
  }
  FOLIO_RETURN_IF_ERROR(txn->Commit());

  TypeDefinition result = info->definition;
  std::unique_lock types_lock(impl_->types_mu);
  impl_->types[merged.id] = std::make_shared<const TypeInfo>(std::move(*info));
  return result;
}

Result<TypeDefinition> DocumentStore::GetType(const std::string& id) const {
  auto info = impl_->FindType(id);
  if (!info.ok()) return info.status();
  return (*info)->definition;
}

std::vector<TypeDefinition> DocumentStore::ListTypes() const {
  std::shared_lock lock(impl_->types_mu);
  std::vector<TypeDefinition> out;
  for (const auto& [id, info] : impl_->types)
    out.push_back(info->definition);
  return out;
}

}  // namespace folio::storage
