// Writes: create, update, patch, publish, unpublish, delete, restore, batches, permissions.
// Each runs in one transaction on the write connection; a failed write changes nothing.
#include <nlohmann/json.hpp>

#include <set>

#include "detail/data_schema.h"
#include "detail/field_values.h"
#include "detail/store_impl.h"
#include "detail/uuid.h"
#include "detail/write_permission.h"
#include "folio/base/text_checks.h"
#include "folio/storage/exact_json.h"

namespace folio::storage {
namespace {

using detail::Connection;
using nlohmann::json;

// Deeper JSON is refused before it is parsed: serializing it recurses once per level.
Status CheckDepth(std::string_view text, const char* what) {
  if (JsonNestingDepth(text) <= kMaxJsonDepth) return Status::Ok();
  return Status::InvalidArgument(std::string(what) + " nests JSON deeper than " +
                                 std::to_string(kMaxJsonDepth) + " levels");
}

// A document's data as it is stored (its text) and as it is read for checks and derived rows.
struct PreparedData {
  std::string text;
  json value;
};

// The JSON type a compact value's first byte starts, for messages.
const char* JsonTypeName(std::string_view compact) {
  switch (compact.empty() ? '\0' : compact.front()) {
    case '{':
      return "object";
    case '[':
      return "array";
    case '"':
      return "string";
    case 't':
    case 'f':
      return "boolean";
    case 'n':
      return "null";
    default:
      return "number";
  }
}

// `text` checked as one JSON object (CompactJson: UTF-8, no duplicate keys, depth-limited)
// and compacted, keeping every number, key order and string as the client wrote them.
Result<std::string> CompactObject(std::string_view text, const char* what) {
  FOLIO_RETURN_IF_ERROR(CheckDepth(text, what));
  auto compact = CompactJson(text, kMaxJsonDepth);
  if (!compact.ok()) {
    return Status::InvalidArgument(std::string(what) +
                                   " is not valid JSON: " + compact.status().message());
  }
  if (compact->empty() || compact->front() != '{') {
    return Status::InvalidArgument(std::string(what) + " must be a JSON object, not " +
                                   JsonTypeName(*compact));
  }
  return compact;
}

// Checks a document's data, already compact (a CompactObject or MergePatch result), against
// its type; returns what is stored and its parsed form, for the checks and the derived rows.
Result<PreparedData> CheckCompactData(std::string compact, const TypeInfo& type) {
  if (compact.size() > kMaxDataBytes) {
    return Status::TooLarge("data is " + std::to_string(compact.size()) + " bytes; the limit is " +
                            std::to_string(kMaxDataBytes) + " (1 MiB)");
  }
  // CompactJson admitted only what nlohmann reads (UTF-8, no lone surrogates), except a
  // number beyond a double's range (1e400), which the checks below cannot compare.
  json parsed;
  try {
    parsed = json::parse(compact);
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("data cannot be checked: ") + e.what());
  }
  FOLIO_RETURN_IF_ERROR(detail::CheckFieldValues(type.definition, parsed));
  if (type.data_schema) FOLIO_RETURN_IF_ERROR(type.data_schema->Validate(parsed));
  return PreparedData{std::move(compact), std::move(parsed)};
}

// A client's data as written: checked, compacted (the client's bytes, whitespace aside) and
// checked against its type.
Result<PreparedData> PrepareData(const std::string& text, const TypeInfo& type) {
  if (text.size() > kMaxDataBytes) {
    return Status::TooLarge("data is " + std::to_string(text.size()) + " bytes; the limit is " +
                            std::to_string(kMaxDataBytes) + " (1 MiB)");
  }
  auto compact = CompactObject(text, "data");
  if (!compact.ok()) return compact.status();
  return CheckCompactData(std::move(*compact), type);
}

// A merge patch (RFC 7396) over `stored`, the current draft's data, rewritten as text: every
// key the patch does not touch keeps its place and its bytes. The merged result is compact
// already, so it is checked against the type without being read again.
Result<PreparedData> PatchData(const std::string& patch_text, const std::string& stored,
                               const std::string& root_id, const TypeInfo& type) {
  if (patch_text.size() > kMaxDataBytes) {
    return Status::TooLarge("patch is over the 1 MiB limit");
  }
  auto patch = CompactObject(patch_text, "patch data");
  if (!patch.ok()) return patch.status();
  auto base = CompactObject(stored, "the stored data being patched");
  if (!base.ok()) {
    return Status::Corruption("stored data of '" + root_id +
                              "' cannot be patched: " + base.status().message());
  }
  auto merged = MergePatch(*base, *patch);
  if (!merged.ok()) return merged.status();
  return CheckCompactData(std::move(*merged), type);
}

Status ValidateWindow(const DocumentFields& f) {
  if (f.scheduled_at && f.expires_at && *f.expires_at <= *f.scheduled_at) {
    return Status::InvalidArgument("expires_at must be after scheduled_at");
  }
  return Status::Ok();
}

// Turns a constraint failure into a message a user can act on.
Status ExplainConstraint(Status s, const std::optional<std::string>& slug) {
  if (!s.IsConflict()) return s;
  if (s.message().find("documents.slug") != std::string::npos) {
    return Status::Conflict("slug '" + slug.value_or("") +
                            "' is already used by another document of this type, tenant and "
                            "locale");
  }
  return s;
}

class Writer {
 public:
  Writer(DocumentStore::Impl& impl, Connection& conn)
      : impl_(impl), conn_(conn), now_(impl.options.clock->NowSeconds()) {}

  Result<WriteResult> Run(const WriteOp& op) {
    return std::visit(
        [this](const auto& o) -> Result<WriteResult> {
          FOLIO_RETURN_IF_ERROR(CheckRequestTenant(o.tenant));
          return Do(o);
        },
        op);
  }

 private:
  Result<WriteResult> Do(const CreateOp& op) {
    if (op.tenant.empty()) return Status::InvalidArgument("tenant is empty");
    auto type = impl_.FindType(op.type);
    if (!type.ok()) return type.status();
    const std::string tenant = StorageTenant(**type, op.tenant);
    FOLIO_RETURN_IF_ERROR(
        CheckAllowed(op.principal, **type, tenant, "", detail::WritePermission::kCreate));
    auto data = PrepareData(op.data, **type);
    if (!data.ok()) return data.status();
    FOLIO_RETURN_IF_ERROR(ValidateWindow(op.fields));
    std::string id = detail::NewUuidV7(impl_.options.clock->NowMicros() / 1000);
    auto stmt = conn_.Prepare(
        "INSERT INTO documents(id, root_id, type_id, type_version, version_number, "
        "is_current_draft, is_published, status, slug, title, scheduled_at, expires_at, "
        "tenant_id, locale, data, created_by, updated_by, owner_id, created_at, updated_at, "
        "parent_root_id, sort_order) "
        "VALUES (?1, ?1, ?2, ?12, 1, 1, 0, 'draft', ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?10, "
        "?11, ?11, ?13, ?14)");
    if (!stmt.ok()) return stmt.status();
    stmt->BindText(1, id);
    stmt->BindText(2, op.type);
    stmt->BindOptionalText(3, op.fields.slug);
    stmt->BindOptionalText(4, op.fields.title);
    stmt->BindOptionalInt(5, op.fields.scheduled_at);
    stmt->BindOptionalInt(6, op.fields.expires_at);
    stmt->BindText(7, tenant);
    stmt->BindText(8, op.fields.locale.value_or("default"));
    stmt->BindText(9, data->text);
    stmt->BindOptionalText(10, Actor(op.principal, op.fields));
    stmt->BindInt(11, now_);
    stmt->BindInt(12, std::max<int64_t>(1, (*type)->definition.schema_version));
    FOLIO_RETURN_IF_ERROR(CheckParent(tenant, "", op.fields.parent_root_id));
    stmt->BindText(13, op.fields.parent_root_id.value_or(""));
    stmt->BindInt(14, op.fields.sort_order.value_or(0));
    FOLIO_RETURN_IF_ERROR(ExplainConstraint(stmt->Run(), op.fields.slug));
    FOLIO_RETURN_IF_ERROR(WriteDerivedRows(id, id, tenant, **type, data->value));
    return Finish(tenant, id, /*published=*/false, true);
  }

  Result<WriteResult> Do(const UpdateOp& op) {
    return NewVersion(op.tenant, op.root_id, op.data, op.fields, op.principal, false);
  }
  Result<WriteResult> Do(const PatchOp& op) {
    return NewVersion(op.tenant, op.root_id, op.data, op.fields, op.principal, true);
  }

  Result<WriteResult> Do(const LifecycleOp& op) {
    switch (op.action) {
      case LifecycleAction::kPublish:
        return Publish(op.tenant, op.root_id, op.principal);
      case LifecycleAction::kUnpublish:
        return Unpublish(op.tenant, op.root_id, op.principal);
      case LifecycleAction::kDelete:
        return SetDeleted(op.tenant, op.root_id, true, op.principal);
      case LifecycleAction::kRestore:
        return SetDeleted(op.tenant, op.root_id, false, op.principal);
      case LifecycleAction::kRestoreVersion:
        return RestoreVersion(op.tenant, op.root_id, op.version, op.principal);
    }
    return Status::InvalidArgument("unknown lifecycle action");
  }

  // Refuses the write unless `principal` may do it on `root_id` ("" for a create) of
  // `tenant`; an unset principal is an administrator. Rules are read inside the write's
  // transaction, so a concurrent SetPermissions is either wholly before or after.
  Status CheckAllowed(const std::optional<Principal>& principal, const TypeInfo& type,
                      const std::string& tenant, const std::string& root_id,
                      detail::WritePermission permission) {
    if (!principal) return Status::Ok();
    std::vector<PermissionRule> rules;
    if (!root_id.empty()) {
      FOLIO_RETURN_IF_ERROR(ReadPermissionRules(
          conn_, tenant, root_id, std::string(detail::WritePermissionName(permission)), &rules));
    }
    return detail::CheckWriteAllowed(*principal, rules, permission, type.definition.settings,
                                     type.definition.id, root_id);
  }

  // Who the write records as created_by / updated_by: the principal's user, else the actor.
  static std::optional<std::string> Actor(const std::optional<Principal>& principal,
                                          const DocumentFields& fields) {
    if (principal) return principal->user_id;
    return fields.actor;
  }

  // The current-draft row of a document of `tenant`, deleted or not.
  Result<Document> CurrentDraftRow(const std::string& tenant, const std::string& root_id,
                                   const char* action) {
    // Documents of global types live in the shared pool, reachable from every tenant.
    auto stmt = conn_.Prepare(std::string("SELECT ") + kDocumentColumns +
                              " FROM documents d WHERE d.tenant_id IN (?1, '" + kGlobalTenant +
                              "') AND d.root_id = ?2 AND d.is_current_draft = 1");
    if (!stmt.ok()) return stmt.status();
    stmt->BindText(1, tenant);
    stmt->BindText(2, root_id);
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row || !ReachableFrom(impl_, std::string(stmt->ColumnText(4)),
                                std::string(stmt->ColumnText(3)), tenant)) {
      return Status::NotFound(std::string(action) + ": document '" + root_id +
                              "' not found in tenant '" + tenant + "'");
    }
    return ReadDocumentRow(*stmt, 0);
  }

  // The current draft of a live (undeleted) document of `tenant`.
  Result<Document> CurrentDraft(const std::string& tenant, const std::string& root_id,
                                const char* action) {
    auto d = CurrentDraftRow(tenant, root_id, action);
    if (d.ok() && d->deleted_at) {
      return Status::NotFound(std::string(action) + ": document '" + root_id +
                              "' is deleted; restore it first");
    }
    return d;
  }

  Result<WriteResult> NewVersion(const std::string& request_tenant, const std::string& root_id,
                                 const std::string& data_text, const DocumentFields& fields,
                                 const std::optional<Principal>& principal, bool merge) {
    if (fields.locale) {
      return Status::InvalidArgument("locale is set when a document is created; it cannot change");
    }
    auto current = CurrentDraft(request_tenant, root_id, merge ? "patch" : "update");
    if (!current.ok()) return current.status();
    const std::string& tenant = current->tenant;
    auto type = impl_.FindType(current->type);
    if (!type.ok()) return type.status();
    FOLIO_RETURN_IF_ERROR(
        CheckAllowed(principal, **type, tenant, root_id, detail::WritePermission::kUpdate));
    auto data = merge ? PatchData(data_text, current->data, root_id, **type)
                      : PrepareData(data_text, **type);
    if (!data.ok()) return data.status();
    DocumentFields window = fields;
    if ((fields.clear_scheduled_at && fields.scheduled_at) ||
        (fields.clear_expires_at && fields.expires_at)) {
      return Status::InvalidArgument("a schedule field is both set and cleared");
    }
    if (!window.scheduled_at && !fields.clear_scheduled_at) {
      window.scheduled_at = current->scheduled_at;
    }
    if (!window.expires_at && !fields.clear_expires_at) window.expires_at = current->expires_at;
    FOLIO_RETURN_IF_ERROR(ValidateWindow(window));

    const TypeInfo& info = **type;
    FOLIO_RETURN_IF_ERROR(CheckParent(tenant, root_id, fields.parent_root_id));
    // Versioning off (SonicJS's default) and the draft is not the published row: the draft
    // is updated in place, no history accumulates.
    if (!info.definition.settings.Versioning() && !current->is_published) {
      auto update = conn_.Prepare(
          "UPDATE documents SET data = ?2, slug = coalesce(?3, slug), title = coalesce(?4, "
          "title), scheduled_at = ?5, expires_at = ?6, updated_by = coalesce(?7, updated_by), "
          "type_version = ?8, updated_at = ?9, parent_root_id = coalesce(?10, parent_root_id), "
          "sort_order = coalesce(?11, sort_order) WHERE id = ?1");
      if (!update.ok()) return update.status();
      update->BindText(1, current->id);
      update->BindText(2, data->text);
      update->BindOptionalText(3, fields.slug);
      update->BindOptionalText(4, fields.title);
      update->BindOptionalInt(5, window.scheduled_at);
      update->BindOptionalInt(6, window.expires_at);
      update->BindOptionalText(7, Actor(principal, fields));
      update->BindInt(8, std::max<int64_t>(1, info.definition.schema_version));
      update->BindInt(9, now_);
      update->BindOptionalText(10, fields.parent_root_id);
      update->BindOptionalInt(11, fields.sort_order);
      FOLIO_RETURN_IF_ERROR(
          ExplainConstraint(update->Run(), fields.slug ? fields.slug : current->slug));
      FOLIO_RETURN_IF_ERROR(DeleteDerivedRows(current->id));
      FOLIO_RETURN_IF_ERROR(WriteDerivedRows(current->id, root_id, tenant, info, data->value));
      return Finish(tenant, root_id, /*published=*/false, true);
    }

    auto clear = conn_.Prepare("UPDATE documents SET is_current_draft = 0 WHERE id = ?1");
    if (!clear.ok()) return clear.status();
    clear->BindText(1, current->id);
    FOLIO_RETURN_IF_ERROR(clear->Run());
    // Only the current draft and the published row carry facets and references.
    if (!current->is_published) FOLIO_RETURN_IF_ERROR(DeleteDerivedRows(current->id));

    std::string id = detail::NewUuidV7(impl_.options.clock->NowMicros() / 1000);
    auto insert = conn_.Prepare(
        "INSERT INTO documents(id, root_id, type_id, type_version, version_of_id, version_number, "
        "is_current_draft, is_published, status, parent_root_id, slug, path, title, zone, "
        "sort_order, visible, published_at, scheduled_at, expires_at, deleted_at, tenant_id, "
        "locale, translation_group_id, data, metadata, owner_id, created_by, updated_by, "
        "created_at, updated_at) "
        "SELECT ?1, root_id, type_id, ?11, id, "
        "(SELECT max(version_number) + 1 FROM documents WHERE root_id = ?2), 1, 0, 'draft', "
        "coalesce(?12, parent_root_id), coalesce(?3, slug), path, coalesce(?4, title), zone, "
        "coalesce(?13, sort_order), "
        "visible, NULL, ?5, ?6, NULL, tenant_id, locale, translation_group_id, ?7, metadata, "
        "owner_id, created_by, coalesce(?8, updated_by), created_at, ?9 "
        "FROM documents WHERE id = ?10");
    if (!insert.ok()) return insert.status();
    insert->BindText(1, id);
    insert->BindText(2, root_id);
    insert->BindOptionalText(3, fields.slug);
    insert->BindOptionalText(4, fields.title);
    insert->BindOptionalInt(5, window.scheduled_at);
    insert->BindOptionalInt(6, window.expires_at);
    insert->BindText(7, data->text);
    insert->BindOptionalText(8, Actor(principal, fields));
    insert->BindInt(9, now_);
    insert->BindText(10, current->id);
    insert->BindInt(11, std::max<int64_t>(1, info.definition.schema_version));
    insert->BindOptionalText(12, fields.parent_root_id);
    insert->BindOptionalInt(13, fields.sort_order);
    FOLIO_RETURN_IF_ERROR(
        ExplainConstraint(insert->Run(), fields.slug ? fields.slug : current->slug));
    FOLIO_RETURN_IF_ERROR(WriteDerivedRows(id, root_id, tenant, info, data->value));
    FOLIO_RETURN_IF_ERROR(PruneVersions(root_id, info));
    return Finish(tenant, root_id, /*published=*/false, true);
  }

  // A new current draft whose data, slug, title and schedule are those of version `version`.
  Result<WriteResult> RestoreVersion(const std::string& request_tenant, const std::string& root_id,
                                     int64_t version, const std::optional<Principal>& principal) {
    auto current = CurrentDraft(request_tenant, root_id, "restore version");
    if (!current.ok()) return current.status();
    auto stmt = conn_.Prepare(std::string("SELECT ") + kDocumentColumns +
                              " FROM documents d WHERE d.root_id = ?1 AND d.version_number = ?2");
    if (!stmt.ok()) return stmt.status();
    stmt->BindText(1, root_id);
    stmt->BindInt(2, version);
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) {
      return Status::NotFound("document '" + root_id + "' has no version " +
                              std::to_string(version));
    }
    Document old = ReadDocumentRow(*stmt, 0);
    stmt->Reset();
    DocumentFields fields;
    fields.slug = old.slug;
    fields.title = old.title;
    fields.scheduled_at = old.scheduled_at;
    fields.expires_at = old.expires_at;
    return NewVersion(request_tenant, root_id, old.data, fields, principal, /*merge=*/false);
  }

  Result<WriteResult> Publish(const std::string& request_tenant, const std::string& root_id,
                              const std::optional<Principal>& principal) {
    auto draft = CurrentDraft(request_tenant, root_id, "publish");
    if (!draft.ok()) return draft.status();
    const std::string& tenant = draft->tenant;
    auto type = impl_.FindType(draft->type);
    if (!type.ok()) return type.status();
    FOLIO_RETURN_IF_ERROR(
        CheckAllowed(principal, **type, tenant, root_id, detail::WritePermission::kPublish));
    if (draft->is_published) return Finish(tenant, root_id, /*published=*/true, false);
    // The superseded published row: history with versioning on (without its derived rows),
    // gone with versioning off (SonicJS: at most a draft and a published row per root).
    std::optional<std::string> superseded;
    {
      auto find = conn_.Prepare("SELECT id FROM documents WHERE root_id = ?1 AND is_published = 1");
      if (!find.ok()) return find.status();
      find->BindText(1, root_id);
      auto row = find->Step();
      if (!row.ok()) return row.status();
      if (*row) superseded = std::string(find->ColumnText(0));
    }
    if (superseded) {
      if ((*type)->definition.settings.Versioning()) {
        auto retire = conn_.Prepare(
            "UPDATE documents SET is_published = 0, status = 'archived' WHERE id = ?1");
        if (!retire.ok()) return retire.status();
        retire->BindText(1, *superseded);
        FOLIO_RETURN_IF_ERROR(retire->Run());
        // Off both axes now, so dropping its derived rows is not a change a cache sees.
        FOLIO_RETURN_IF_ERROR(DeleteDerivedRows(*superseded));
      } else {  // its facets and references go with it (ON DELETE CASCADE)
        auto unlink =
            conn_.Prepare("UPDATE documents SET version_of_id = NULL WHERE version_of_id = ?1");
        if (!unlink.ok()) return unlink.status();
        unlink->BindText(1, *superseded);
        FOLIO_RETURN_IF_ERROR(unlink->Run());
        auto drop = conn_.Prepare("DELETE FROM documents WHERE id = ?1");
        if (!drop.ok()) return drop.status();
        drop->BindText(1, *superseded);
        FOLIO_RETURN_IF_ERROR(drop->Run());
      }
    }
    auto publish = conn_.Prepare(
        "UPDATE documents SET is_published = 1, status = 'published', published_at = ?2, "
        "updated_at = ?2 WHERE id = ?1");
    if (!publish.ok()) return publish.status();
    publish->BindText(1, draft->id);
    publish->BindInt(2, now_);
    FOLIO_RETURN_IF_ERROR(publish->Run());
    FOLIO_RETURN_IF_ERROR(PruneVersions(root_id, **type));
    return Finish(tenant, root_id, /*published=*/true, true);
  }

  Result<WriteResult> Unpublish(const std::string& request_tenant, const std::string& root_id,
                                const std::optional<Principal>& principal) {
    auto draft = CurrentDraft(request_tenant, root_id, "unpublish");
    if (!draft.ok()) return draft.status();
    const std::string& tenant = draft->tenant;
    auto type = impl_.FindType(draft->type);
    if (!type.ok()) return type.status();
    FOLIO_RETURN_IF_ERROR(
        CheckAllowed(principal, **type, tenant, root_id, detail::WritePermission::kPublish));
    std::optional<std::string> published;
    {
      auto find = conn_.Prepare("SELECT id FROM documents WHERE root_id = ?1 AND is_published = 1");
      if (!find.ok()) return find.status();
      find->BindText(1, root_id);
      auto row = find->Step();
      if (!row.ok()) return row.status();
      if (*row) published = std::string(find->ColumnText(0));
    }
    if (!published) return Finish(tenant, root_id, /*published=*/false, false);
    auto stmt = conn_.Prepare(
        "UPDATE documents SET is_published = 0, updated_at = ?2, status = CASE WHEN "
        "is_current_draft = 1 THEN 'draft' ELSE 'archived' END WHERE id = ?1");
    if (!stmt.ok()) return stmt.status();
    stmt->BindText(1, *published);
    stmt->BindInt(2, now_);
    FOLIO_RETURN_IF_ERROR(stmt->Run());
    if (*published != draft->id) FOLIO_RETURN_IF_ERROR(DeleteDerivedRows(*published));
    return Finish(tenant, root_id, /*published=*/false, true);
  }

  Result<WriteResult> SetDeleted(const std::string& request_tenant, const std::string& root_id,
                                 bool deleted, const std::optional<Principal>& principal) {
    auto draft = CurrentDraftRow(request_tenant, root_id, deleted ? "delete" : "restore");
    if (!draft.ok()) return draft.status();
    const std::string& tenant = draft->tenant;
    auto type = impl_.FindType(draft->type);
    if (!type.ok()) return type.status();
    FOLIO_RETURN_IF_ERROR(
        CheckAllowed(principal, **type, tenant, root_id, detail::WritePermission::kDelete));
    const std::optional<std::string>& slug = draft->slug;
    const bool is_deleted = draft->deleted_at.has_value();
    if (is_deleted == deleted) return Finish(tenant, root_id, false, false);
    if (deleted) FOLIO_RETURN_IF_ERROR(RefuseStrongReferrers(tenant, root_id));
    auto stmt =
        conn_.Prepare(deleted ? "UPDATE documents SET deleted_at = ?2 WHERE root_id = ?1"
                              : "UPDATE documents SET deleted_at = NULL WHERE root_id = ?1");
    if (!stmt.ok()) return stmt.status();
    stmt->BindText(1, root_id);
    if (deleted) stmt->BindInt(2, now_);
    FOLIO_RETURN_IF_ERROR(ExplainConstraint(stmt->Run(), slug));
    return Finish(tenant, root_id, false, true);
  }

  // Conflict naming the live documents that hold a strong reference to `root_id` (SonicJS's
  // "where used": references of published and current-draft rows of undeleted documents).
  Status RefuseStrongReferrers(const std::string& tenant, const std::string& root_id) {
    auto stmt = conn_.Prepare(
        "SELECT DISTINCT r.from_root_id, r.field_name, r.tenant_id FROM document_references r "
        "JOIN documents d ON d.id = r.from_document_id WHERE r.to_root_id = ?1 AND "
        "r.ref_strength = 'strong' AND r.from_root_id <> ?1 AND d.deleted_at IS NULL AND "
        "(d.is_published = 1 OR d.is_current_draft = 1) ORDER BY r.from_root_id, r.field_name");
    if (!stmt.ok()) return stmt.status();
    stmt->BindText(1, root_id);
    std::string named;
    size_t count = 0;
    size_t hidden = 0;
    for (;;) {
      auto row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      ++count;
      // Referrers of another tenant (possible for a global document) are counted, not named.
      if (stmt->ColumnText(2) != tenant && stmt->ColumnText(2) != kGlobalTenant) {
        ++hidden;
        continue;
      }
      if (count - hidden > 10) continue;
      if (!named.empty()) named += ", ";
      named += std::string(stmt->ColumnText(0)) + " (" + std::string(stmt->ColumnText(1)) + ")";
    }
    if (count == 0) return Status::Ok();
    std::string message = "document '" + root_id + "' is strongly referenced by " +
                          std::to_string(count) + " document" + (count == 1 ? "" : "s");
    if (!named.empty()) message += ": " + named;
    if (count - hidden > 10) message += ", …";
    if (hidden > 0) message += " (" + std::to_string(hidden) + " in other tenants)";
    return Status::Conflict(message + "; remove the references first");
  }

  // A parent is "" (top level) or another document of `tenant` (or of the global pool).
  Status CheckParent(const std::string& tenant, const std::string& self,
                     const std::optional<std::string>& parent) {
    if (!parent || parent->empty()) return Status::Ok();
    if (*parent == self) return Status::InvalidArgument("a document cannot be its own parent");
    auto found = DocumentTenant(conn_, tenant, *parent, impl_);
    if (found.status().IsNotFound()) {
      return Status::InvalidArgument("parent_root_id '" + *parent +
                                     "' is not a document of tenant '" + tenant + "'");
    }
    return found.status();
  }

  Status DeleteDerivedRows(const std::string& id) {
    for (const char* sql : {"DELETE FROM document_facets WHERE document_id = ?1",
                            "DELETE FROM document_references WHERE from_document_id = ?1"}) {
      auto stmt = conn_.Prepare(sql);
      if (!stmt.ok()) return stmt.status();
      stmt->BindText(1, id);
      FOLIO_RETURN_IF_ERROR(stmt->Run());
    }
    return Status::Ok();
  }

  // Writes the facet and reference rows of version `id` as SonicJS's DocumentProjection
  // derives them: the value at each field's path; an array gives one row per element with its
  // ordinal. Facet numbers go to value_number (value_text NULL), other scalars to value_text.
  Status WriteDerivedRows(const std::string& id, const std::string& root_id,
                          const std::string& tenant, const TypeInfo& type, const json& data) {
    const auto facets = type.WithRole(FieldRole::kFacet);
    const auto references = type.WithRole(FieldRole::kReference);
    if (facets.empty() && references.empty()) return Status::Ok();
    for (const QueryableField* field : facets) {
      FOLIO_RETURN_IF_ERROR(WriteFacetRows(id, root_id, tenant, type, *field, data));
    }
    for (const QueryableField* field : references) {
      FOLIO_RETURN_IF_ERROR(WriteReferenceRows(id, root_id, tenant, *field, data));
    }
    return Status::Ok();
  }

  Status WriteFacetRows(const std::string& id, const std::string& root_id,
                        const std::string& tenant, const TypeInfo& type,
                        const QueryableField& field, const json& data) {
    auto insert = conn_.Prepare(
        "INSERT INTO document_facets(id, tenant_id, document_id, root_id, type_id, field_name, "
        "ordinal, value_text, value_number, created_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
    if (!insert.ok()) return insert.status();
    int64_t ordinal = 0;
    for (const json* v : detail::ValuesAt(field, data)) {
      std::optional<std::string> text;
      std::optional<double> number;
      if (v->is_string())
        text = v->get<std::string>();
      else if (v->is_number())
        number = v->get<double>();
      else if (v->is_boolean())
        text = v->get<bool>() ? "true" : "false";
      else {
        ++ordinal;  // objects, arrays and nulls are not facet values; ordinals stay positions
        continue;
      }
      insert->BindText(1, detail::NewUuidV7(impl_.options.clock->NowMicros() / 1000));
      insert->BindText(2, tenant);
      insert->BindText(3, id);
      insert->BindText(4, root_id);
      insert->BindText(5, type.definition.id);
      insert->BindText(6, field.name);
      insert->BindInt(7, ordinal++);
      insert->BindOptionalText(8, text);
      if (number)
        insert->BindDouble(9, *number);
      else
        insert->BindNull(9);
      insert->BindInt(10, now_);
      FOLIO_RETURN_IF_ERROR(insert->Run());
      insert->Reset();
    }
    return Status::Ok();
  }

  // A reference names a live or deleted document (any version) of the writer's tenant, or of
  // the global pool; anything else is refused before a row is written.
  Status WriteReferenceRows(const std::string& id, const std::string& root_id,
                            const std::string& tenant, const QueryableField& field,
                            const json& data) {
    auto exists =
        conn_.Prepare("SELECT 1 FROM documents WHERE root_id = ?1 AND tenant_id IN (?2, '" +
                      std::string(kGlobalTenant) + "') LIMIT 1");
    if (!exists.ok()) return exists.status();
    auto insert = conn_.Prepare(
        "INSERT INTO document_references(id, tenant_id, from_root_id, from_document_id, "
        "field_name, ordinal, to_root_id, ref_strength, created_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    if (!insert.ok()) return insert.status();
    int64_t ordinal = 0;
    for (const json* v : detail::ValuesAt(field, data)) {
      if (!v->is_string() || v->get_ref<const std::string&>().empty()) {
        return Status::InvalidArgument("reference field '" + field.name +
                                       "' must hold document ids (strings), not " + v->dump());
      }
      const std::string& target = v->get_ref<const std::string&>();
      exists->BindText(1, target);
      exists->BindText(2, tenant);
      auto found = exists->Step();
      if (!found.ok()) return found.status();
      const bool present = *found;
      exists->Reset();
      if (!present && target != root_id) {
        return Status::InvalidArgument("reference field '" + field.name + "' names '" + target +
                                       "', which is not a document of tenant '" + tenant + "'");
      }
      insert->BindText(1, detail::NewUuidV7(impl_.options.clock->NowMicros() / 1000));
      insert->BindText(2, tenant);
      insert->BindText(3, root_id);
      insert->BindText(4, id);
      insert->BindText(5, field.name);
      insert->BindInt(6, ordinal++);
      insert->BindText(7, target);
      insert->BindText(8, field.ref_strength == RefStrength::kStrong ? "strong" : "weak");
      insert->BindInt(9, now_);
      FOLIO_RETURN_IF_ERROR(insert->Run());
      insert->Reset();
    }
    return Status::Ok();
  }

  // Drops the oldest versions beyond what the type keeps (its maxVersionsPerRoot, else the
  // store's keep_versions; 0 keeps all); the published and current-draft rows always stay.
  Status PruneVersions(const std::string& root_id, const TypeInfo& type) {
    const int64_t keep =
        type.definition.settings.max_versions_per_root.value_or(impl_.options.keep_versions);
    if (keep == 0) return Status::Ok();
    auto stmt = conn_.Prepare(
        "DELETE FROM documents WHERE root_id = ?1 AND is_current_draft = 0 AND is_published = 0 "
        "AND version_number <= (SELECT max(version_number) FROM documents WHERE root_id = ?1) - "
        "?2");
    if (!stmt.ok()) return stmt.status();
    stmt->BindText(1, root_id);
    stmt->BindInt(2, keep);
    return stmt->Run();
  }

  // The document as it now stands: its published row after a publish, else its current draft.
  Result<WriteResult> Finish(const std::string& tenant, const std::string& root_id, bool published,
                             bool changed) {
    auto stmt = conn_.Prepare(std::string("SELECT ") + kDocumentColumns +
                              " FROM documents d WHERE d.tenant_id = ?1 AND d.root_id = ?2 AND "
                              "(CASE WHEN ?3 THEN d.is_published ELSE d.is_current_draft END) = 1");
    if (!stmt.ok()) return stmt.status();
    stmt->BindText(1, tenant);
    stmt->BindText(2, root_id);
    stmt->BindInt(3, published ? 1 : 0);
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Internal("document '" + root_id + "' vanished inside its write");
    return WriteResult{ReadDocumentRow(*stmt, 0), changed};
  }

  DocumentStore::Impl& impl_;
  Connection& conn_;
  const int64_t now_;
};

}  // namespace

// The tenant a document `root_id` (any version, deleted or not) of `tenant` is stored under:
// `tenant`, or the shared pool for a document of a global type. NotFound when there is none.
Status CheckRequestTenant(const std::string& tenant) {
  if (tenant.empty()) return Status::InvalidArgument("tenant is empty");
  if (tenant == kGlobalTenant) {
    return Status::InvalidArgument(std::string("tenant '") + kGlobalTenant +
                                   "' is reserved: documents of global types are read and "
                                   "written from any other tenant");
  }
  return Status::Ok();
}

bool ReachableFrom(DocumentStore::Impl& impl, const std::string& row_tenant,
                   const std::string& row_type, const std::string& tenant) {
  if (row_tenant == tenant) return true;
  if (row_tenant != kGlobalTenant) return false;
  auto type = impl.FindType(row_type);
  return type.ok() && (*type)->definition.settings.Global();
}

Result<std::string> DocumentTenant(Connection& conn, const std::string& tenant,
                                   const std::string& root_id, DocumentStore::Impl& impl) {
  FOLIO_RETURN_IF_ERROR(CheckRequestTenant(tenant));
  auto exists =
      conn.Prepare("SELECT tenant_id, type_id FROM documents WHERE tenant_id IN (?1, '" +
                   std::string(kGlobalTenant) + "') AND root_id = ?2 ORDER BY tenant_id = ?1 DESC");
  if (!exists.ok()) return exists.status();
  exists->BindText(1, tenant);
  exists->BindText(2, root_id);
  for (;;) {
    auto row = exists->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    std::string row_tenant(exists->ColumnText(0));
    if (ReachableFrom(impl, row_tenant, std::string(exists->ColumnText(1)), tenant)) {
      return row_tenant;
    }
  }
  return Status::NotFound("document '" + root_id + "' not found in tenant '" + tenant + "'");
}

Result<std::vector<WriteResult>> DocumentStore::ApplyBatch(const std::vector<WriteOp>& ops) {
  std::lock_guard lock(impl_->write_mu);
  auto txn = detail::Transaction::Begin(*impl_->writer, /*immediate=*/true);
  if (!txn.ok()) return txn.status();
  Writer writer(*impl_, *impl_->writer);
  std::vector<WriteResult> results;
  results.reserve(ops.size());
  for (size_t i = 0; i < ops.size(); ++i) {
    auto r = writer.Run(ops[i]);
    if (!r.ok()) {
      if (ops.size() == 1) return r.status();
      return r.status().WithContext("batch operation " + std::to_string(i));
    }
    results.push_back(std::move(*r));
  }
  FOLIO_RETURN_IF_ERROR(txn->Commit());
  return results;
}

Result<WriteResult> DocumentStore::Write(const WriteOp& op) {
  auto results = ApplyBatch({op});
  if (!results.ok()) return results.status();
  return std::move(results->front());
}

Result<WriteResult> DocumentStore::Create(const CreateOp& op) {
  return Write(op);
}
Result<WriteResult> DocumentStore::Update(const UpdateOp& op) {
  return Write(op);
}
Result<WriteResult> DocumentStore::Patch(const PatchOp& op) {
  return Write(op);
}
Result<WriteResult> DocumentStore::Apply(const LifecycleOp& op) {
  return Write(op);
}

namespace {

// Refuses a principal without `manage` on document `root_id` of `stored_tenant`.
Status CheckManage(Connection& conn, DocumentStore::Impl& impl, const std::string& stored_tenant,
                   const std::string& root_id, const std::optional<Principal>& principal) {
  if (!principal) return Status::Ok();
  auto stmt =
      conn.Prepare("SELECT type_id FROM documents WHERE tenant_id = ?1 AND root_id = ?2 LIMIT 1");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, stored_tenant);
  stmt->BindText(2, root_id);
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::NotFound("document '" + root_id + "' not found");
  auto type = impl.FindType(std::string(stmt->ColumnText(0)));
  if (!type.ok()) return type.status();
  std::vector<PermissionRule> rules;
  FOLIO_RETURN_IF_ERROR(ReadPermissionRules(conn, stored_tenant, root_id, "manage", &rules));
  return detail::CheckWriteAllowed(*principal, rules, detail::WritePermission::kManage,
                                   (*type)->definition.settings, (*type)->definition.id, root_id);
}

}  // namespace

Status DocumentStore::SetPermissions(const std::string& tenant, const std::string& root_id,
                                     const std::vector<PermissionRule>& rules,
                                     const std::optional<Principal>& principal) {
  static const std::set<std::string> kTypes = {"user", "role", "group", "public", "token"};
  static const std::set<std::string> kPermissions = {"read",   "create",  "update",
                                                     "delete", "publish", "manage"};
  for (size_t i = 0; i < rules.size(); ++i) {
    const PermissionRule& r = rules[i];
    std::string where = "rule " + std::to_string(i) + ": ";
    if (kTypes.count(r.principal_type) == 0) {
      return Status::InvalidArgument(where + "principal_type '" + r.principal_type +
                                     "' is not one of user, role, group, public, token");
    }
    if (r.principal_type != "public" && r.principal_id.empty()) {
      return Status::InvalidArgument(where + "principal_id is required for " + r.principal_type);
    }
    if (kPermissions.count(r.permission) == 0) {
      return Status::InvalidArgument(where + "permission '" + r.permission +
                                     "' is not one of read, create, update, delete, publish, "
                                     "manage");
    }
    if (r.effect != "allow" && r.effect != "deny") {
      return Status::InvalidArgument(where + "effect '" + r.effect + "' is not allow or deny");
    }
  }
  std::lock_guard lock(impl_->write_mu);
  Connection& conn = *impl_->writer;
  auto txn = detail::Transaction::Begin(conn, /*immediate=*/true);
  if (!txn.ok()) return txn.status();
  auto stored_tenant = DocumentTenant(conn, tenant, root_id, *impl_);
  if (!stored_tenant.ok()) return stored_tenant.status();
  FOLIO_RETURN_IF_ERROR(CheckManage(conn, *impl_, *stored_tenant, root_id, principal));
  {
    auto del =
        conn.Prepare("DELETE FROM document_permissions WHERE tenant_id = ?1 AND root_id = ?2");
    if (!del.ok()) return del.status();
    del->BindText(1, *stored_tenant);
    del->BindText(2, root_id);
    FOLIO_RETURN_IF_ERROR(del->Run());
  }
  const int64_t now = impl_->options.clock->NowSeconds();
  for (const PermissionRule& r : rules) {
    auto ins = conn.Prepare(
        "INSERT INTO document_permissions(id, tenant_id, root_id, principal_type, principal_id, "
        "permission, effect, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    if (!ins.ok()) return ins.status();
    ins->BindText(1, detail::NewUuidV7(impl_->options.clock->NowMicros() / 1000));
    ins->BindText(2, *stored_tenant);
    ins->BindText(3, root_id);
    ins->BindText(4, r.principal_type);
    ins->BindText(5, r.principal_id);
    ins->BindText(6, r.permission);
    ins->BindText(7, r.effect);
    ins->BindInt(8, now);
    FOLIO_RETURN_IF_ERROR(ins->Run());
  }
  return txn->Commit();
}

Result<std::vector<PermissionRule>> DocumentStore::GetPermissions(
    const std::string& tenant, const std::string& root_id,
    const std::optional<Principal>& principal) {
  Impl::ReadLease reader = impl_->AcquireReader();
  auto stored_tenant = DocumentTenant(*reader, tenant, root_id, *impl_);
  if (!stored_tenant.ok()) return stored_tenant.status();
  FOLIO_RETURN_IF_ERROR(CheckManage(*reader, *impl_, *stored_tenant, root_id, principal));
  std::vector<PermissionRule> rules;
  FOLIO_RETURN_IF_ERROR(
      ReadPermissionRules(*reader, *stored_tenant, root_id, std::nullopt, &rules));
  return rules;
}

Status ReadPermissionRules(detail::Connection& conn, const std::string& tenant,
                           const std::string& root_id, const std::optional<std::string>& permission,
                           std::vector<PermissionRule>* rules) {
  auto stmt = conn.Prepare(
      "SELECT principal_type, principal_id, permission, effect FROM document_permissions "
      "WHERE tenant_id = ?1 AND root_id = ?2 AND (?3 IS NULL OR permission = ?3) "
      "ORDER BY created_at, id");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, tenant);
  stmt->BindText(2, root_id);
  stmt->BindOptionalText(3, permission);
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Ok();
    rules->push_back(
        PermissionRule{std::string(stmt->ColumnText(0)), std::string(stmt->ColumnText(1)),
                       std::string(stmt->ColumnText(2)), std::string(stmt->ColumnText(3))});
  }
}

}  // namespace folio::storage
