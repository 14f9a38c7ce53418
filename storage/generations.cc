// What the cache tiers above ask of the store: generations, change detection, identity.
#include "detail/store_impl.h"

namespace folio::storage {

Result<std::vector<TypeGeneration>> DocumentStore::ListGenerations() {
  Impl::ReadLease reader = impl_->AcquireReader();
  auto stmt = reader->Prepare(
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

const std::string& DocumentStore::instance_id() const {
  return impl_->instance_id;
}

}  // namespace folio::storage
