// What the cache tiers above ask of the store: generations, change detection, identity. (The
// change log is in change_log.cc.)
#include "detail/store_impl.h"

namespace folio::storage {

Result<std::vector<TypeGeneration>> DocumentStore::ListGenerations() {
  Impl::ReadLease reader = impl_->AcquireReader();
  return ReadGenerations(*reader);
}

Result<std::vector<TypeGeneration>> ReadGenerations(detail::Connection& conn) {
  auto stmt = conn.Prepare(
      "SELECT tenant_id, type_id, published_generation, draft_generation, published_salt, "
      "draft_salt FROM folio_generations");
  if (!stmt.ok()) return stmt.status();
  std::vector<TypeGeneration> out;
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back(TypeGeneration{std::string(stmt->ColumnText(0)), std::string(stmt->ColumnText(1)),
                                 stmt->ColumnInt(2), stmt->ColumnInt(3), stmt->ColumnInt(4),
                                 stmt->ColumnInt(5)});
  }
  return out;
}

Result<int64_t> DocumentStore::DataVersion() {
  std::lock_guard lock(impl_->data_version_mu);
  auto stmt = impl_->data_version_conn->Prepare("PRAGMA data_version");
  if (!stmt.ok()) return stmt.status();
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::Internal("PRAGMA data_version returned no row");
  return stmt->ColumnInt(0);
}

Status BumpGenerations(detail::Connection& conn, const std::string* type) {
  // Every (tenant, type) with a document or a row, once each (UNION), so each moves by one;
  // 0006's triggers redraw the salts of what moved. A full scan of documents: this runs on a
  // registration that changes a type, or an import, never on a write.
  auto stmt = conn.Prepare(
      "INSERT INTO folio_generations(tenant_id, type_id, generation, published_generation, "
      "draft_generation) "
      "SELECT tenant_id, type_id, 1, 1, 1 FROM ("
      "SELECT tenant_id, type_id FROM documents WHERE ?1 IS NULL OR type_id = ?1 "
      "UNION SELECT tenant_id, type_id FROM folio_generations WHERE ?1 IS NULL OR type_id = ?1) "
      "WHERE true "
      "ON CONFLICT(tenant_id, type_id) DO UPDATE SET generation = generation + 1, "
      "published_generation = published_generation + 1, "
      "draft_generation = draft_generation + 1");
  if (!stmt.ok()) return stmt.status();
  if (type != nullptr)
    stmt->BindText(1, *type);
  else
    stmt->BindNull(1);
  return stmt->Run();
}

const std::string& DocumentStore::instance_id() const {
  return impl_->instance_id;
}

}  // namespace folio::storage
