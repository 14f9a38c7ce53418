// Reads of a document's past and of what refers to it: versions, one version, referrers.
#include <charconv>

#include "detail/store_impl.h"

namespace folio::storage {

namespace {

// The versions of (tenant, root) numbered below `before`, newest first, at most `limit`; the
// next page's cursor when more follow.
Result<VersionList> ReadVersions(DocumentStore::Impl& impl, const std::string& tenant,
                                 const std::string& root_id, int64_t before, int limit) {
  DocumentStore::Impl::ReadLease reader = impl.AcquireReader();
  auto txn = detail::ReadTransaction::Begin(*reader);
  if (!txn.ok()) return txn.status();
  auto stored_tenant = DocumentTenant(*reader, tenant, root_id, impl);
  if (!stored_tenant.ok()) return stored_tenant.status();
  auto stmt = reader->Prepare(std::string("SELECT ") + kDocumentColumns +
                              " FROM documents d WHERE d.tenant_id = ?1 AND d.root_id = ?2 AND "
                              "d.version_number < ?3 ORDER BY d.version_number DESC LIMIT ?4");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, *stored_tenant);
  stmt->BindText(2, root_id);
  stmt->BindInt(3, before);
  stmt->BindInt(4, limit + 1);
  VersionList out;
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    if (static_cast<int>(out.versions.size()) == limit) {
      out.next_cursor = std::to_string(out.versions.back().version);
      break;
    }
    out.versions.push_back(ReadDocumentRow(*stmt, 0));
  }
  return out;
}

}  // namespace

Result<VersionList> DocumentStore::ListVersions(const std::string& tenant,
                                                const std::string& root_id, int limit,
                                                const std::string& cursor) {
  if (limit < 1 || limit > kMaxLimit) {
    return Status::InvalidArgument("limit " + std::to_string(limit) + " is out of range 1..100");
  }
  // The cursor is the last version number listed: versions are numbered per root and never
  // renumbered, so it is a stable keyset position.
  int64_t before = INT64_MAX;
  if (!cursor.empty()) {
    auto [end, ec] = std::from_chars(cursor.data(), cursor.data() + cursor.size(), before);
    if (ec != std::errc() || end != cursor.data() + cursor.size() || before < 1) {
      return Status::InvalidArgument("cursor '" + cursor + "' is not a versions cursor");
    }
  }
  return ReadVersions(*impl_, tenant, root_id, before, limit);
}

Result<Document> DocumentStore::GetVersion(const std::string& tenant, const std::string& root_id,
                                           int64_t version) {
  if (version < 1 || version == INT64_MAX) {
    return Status::InvalidArgument("version " + std::to_string(version) +
                                   " is not a version number (1 or more)");
  }
  auto newest = ReadVersions(*impl_, tenant, root_id, version + 1, 1);
  if (!newest.ok()) return newest.status();
  if (newest->versions.empty() || newest->versions.front().version != version) {
    return Status::NotFound("document '" + root_id + "' has no version " + std::to_string(version) +
                            " (never made, or pruned)");
  }
  return std::move(newest->versions.front());
}

Result<std::vector<Referrer>> DocumentStore::ListReferrers(const std::string& tenant,
                                                           const std::string& root_id, int limit) {
  if (limit < 1 || limit > 1000) {
    return Status::InvalidArgument("limit " + std::to_string(limit) + " is out of range 1..1000");
  }
  Impl::ReadLease reader = impl_->AcquireReader();
  auto txn = detail::ReadTransaction::Begin(*reader);
  if (!txn.ok()) return txn.status();
  auto stored_tenant = DocumentTenant(*reader, tenant, root_id, *impl_);
  if (!stored_tenant.ok()) return stored_tenant.status();
  // Referrers of other tenants (a global document is referred to from anywhere) stay hidden.
  auto stmt = reader->Prepare(
      "SELECT r.from_root_id, r.from_document_id, d.type_id, r.field_name, r.ordinal, "
      "r.ref_strength, d.is_published, d.is_current_draft FROM document_references r "
      "JOIN documents d ON d.id = r.from_document_id WHERE r.to_root_id = ?1 AND "
      "r.tenant_id IN (?2, '" +
      std::string(kGlobalTenant) +
      "') AND d.deleted_at IS NULL AND "
      "(d.is_published = 1 OR d.is_current_draft = 1) "
      "ORDER BY r.from_root_id, d.is_published DESC, r.field_name, r.ordinal LIMIT ?3");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, root_id);
  stmt->BindText(2, tenant);
  stmt->BindInt(3, limit);
  std::vector<Referrer> out;
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    Referrer r;
    r.root_id = stmt->ColumnText(0);
    r.document_id = stmt->ColumnText(1);
    r.type = stmt->ColumnText(2);
    r.field = stmt->ColumnText(3);
    r.ordinal = stmt->ColumnInt(4);
    r.strength = stmt->ColumnText(5) == "strong" ? RefStrength::kStrong : RefStrength::kWeak;
    r.published = stmt->ColumnInt(6) != 0;
    r.current_draft = stmt->ColumnInt(7) != 0;
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace folio::storage
