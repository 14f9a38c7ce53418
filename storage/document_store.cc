// Opening the store: connections, migrations, the type registry, the read pool.
#include "folio/storage/document_store.h"

#include <filesystem>

#include "detail/migrations.h"
#include "detail/store_impl.h"

namespace folio::storage {

using detail::Connection;

DocumentStore::Impl::ReadLease::~ReadLease() {
  if (conn_ == nullptr) return;
  {
    std::lock_guard lock(impl_->pool_mu);
    impl_->idle_readers.push_back(std::move(conn_));
  }
  impl_->pool_cv.notify_one();
}

DocumentStore::Impl::ReadLease DocumentStore::Impl::AcquireReader() {
  std::unique_lock lock(pool_mu);
  pool_cv.wait(lock, [&] { return !idle_readers.empty(); });
  std::unique_ptr<Connection> conn = std::move(idle_readers.back());
  idle_readers.pop_back();
  return ReadLease(this, std::move(conn));
}

DocumentStore::DocumentStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DocumentStore::~DocumentStore() = default;

const StoreOptions& DocumentStore::options() const {
  return impl_->options;
}

Result<std::unique_ptr<DocumentStore>> DocumentStore::Open(const StoreOptions& given) {
  StoreOptions options = given;
  if (options.path.empty()) return Status::InvalidArgument("StoreOptions.path is empty");
  if (options.read_connections < 1 || options.read_connections > 64) {
    return Status::InvalidArgument("read_connections " + std::to_string(options.read_connections) +
                                   " is out of range 1..64");
  }
  if (options.keep_versions < 0) {
    return Status::InvalidArgument("keep_versions must be 0 (keep all) or more");
  }
  if (options.clock == nullptr) options.clock = Clock::Real();

  std::error_code ec;
  bool exists = std::filesystem::exists(options.path, ec);
  if (!exists && !options.create_if_missing) {
    return Status::NotFound("database '" + options.path + "' does not exist");
  }

  auto impl = std::make_unique<Impl>(options);
  auto writer = Connection::Open(impl->options.path, /*read_only=*/false,
                                 impl->options.create_if_missing, impl->options.busy_timeout_ms);
  if (!writer.ok()) return writer.status();
  impl->writer = std::move(*writer);
  FOLIO_RETURN_IF_ERROR(impl->writer->Exec(
      impl->options.durable_writes ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"));

  auto applied = detail::ApplyMigrations(*impl->writer, detail::BundledMigrations());
  if (!applied.ok()) return applied.status();

  for (auto [key, target] : {std::pair{"cursor_secret", &impl->cursor_secret},
                             std::pair{"instance_id", &impl->instance_id}}) {
    auto stmt = impl->writer->Prepare("SELECT value FROM folio_meta WHERE key = ?1");
    if (!stmt.ok()) return stmt.status();
    stmt->BindText(1, key);
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) return Status::Corruption(std::string("folio_meta has no ") + key);
    *target = std::string(stmt->ColumnText(0));
  }

  FOLIO_RETURN_IF_ERROR(impl->UpgradeLegacyTypeRows(*impl->writer));
  FOLIO_RETURN_IF_ERROR(impl->ReloadTypes(*impl->writer));
  {
    // Re-ensure every registered type's generated columns (a database copied from elsewhere
    // may lack them).
    auto txn = detail::Transaction::Begin(*impl->writer, /*immediate=*/true);
    if (!txn.ok()) return txn.status();
    std::shared_lock lock(impl->types_mu);
    for (const auto& [id, info] : impl->types) {
      FOLIO_RETURN_IF_ERROR(Impl::EnsureTypeColumns(*impl->writer, *info));
    }
    FOLIO_RETURN_IF_ERROR(txn->Commit());
  }

  auto version_conn = Connection::Open(impl->options.path, /*read_only=*/true, /*create=*/false,
                                       impl->options.busy_timeout_ms);
  if (!version_conn.ok()) return version_conn.status();
  impl->data_version_conn = std::move(*version_conn);

  for (int i = 0; i < impl->options.read_connections; ++i) {
    auto reader = Connection::Open(impl->options.path, /*read_only=*/true, /*create=*/false,
                                   impl->options.busy_timeout_ms);
    if (!reader.ok()) return reader.status();
    impl->idle_readers.push_back(std::move(*reader));
  }
  return std::unique_ptr<DocumentStore>(new DocumentStore(std::move(impl)));
}

Result<std::vector<MigrationInfo>> DocumentStore::ReadMigrationStatus(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return Status::NotFound("database '" + path + "' does not exist");
  }
  auto conn =
      Connection::Open(path, /*read_only=*/true, /*create=*/false, /*busy_timeout_ms=*/5000);
  if (!conn.ok()) return conn.status();
  return detail::ListMigrations(**conn, detail::BundledMigrations());
}

Result<std::vector<MigrationInfo>> DocumentStore::MigrationStatus() {
  std::lock_guard lock(impl_->write_mu);
  return detail::ListMigrations(*impl_->writer, detail::BundledMigrations());
}

}  // namespace folio::storage
