// DocumentStore::Impl: the connections, the type registry and the cursor secret, shared by the
// .cc files that implement the store (document_store, type_registry, document_writes,
// document_reads).
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "detail/sqlite.h"
#include "folio/storage/document_store.h"

namespace folio::storage {

// A registered type with the SQL column each queryable field lives in.
namespace detail {
class DataSchema;
}

struct TypeInfo {
  TypeDefinition definition;
  std::map<std::string, std::string> columns;  // scalar field → its q_* column
  // settings.jsonSchema, compiled; null when the type has none. Shared, immutable.
  std::shared_ptr<const detail::DataSchema> data_schema;

  bool HasFacet(const std::string& name) const;
  // The queryable fields of one role, in registration order; pointers into `definition`.
  std::vector<const QueryableField*> Scalars() const;
  std::vector<const QueryableField*> WithRole(FieldRole role) const;

  // The type id as a SQL string literal, 'blog-post'. The per-type partial indexes name it so
  // in their WHERE, and a statement that binds it instead is re-compiled by SQLite on every
  // run (it checks the bound value against each partial index); so every statement filtering
  // on the type writes this. Safe in SQL text: MakeTypeInfo admits only [a-z0-9_-].
  std::string IdLiteral() const { return "'" + definition.id + "'"; }
};

class DocumentStore::Impl {
 public:
  // A read connection borrowed from the pool; returned when destroyed.
  class ReadLease {
   public:
    ReadLease(Impl* impl, std::unique_ptr<detail::Connection> conn)
        : impl_(impl), conn_(std::move(conn)) {}
    ~ReadLease();
    ReadLease(ReadLease&&) = default;
    detail::Connection& operator*() { return *conn_; }
    detail::Connection* operator->() { return conn_.get(); }

   private:
    Impl* impl_;
    std::unique_ptr<detail::Connection> conn_;
  };

  explicit Impl(StoreOptions opts) : options(std::move(opts)) {}

  ReadLease AcquireReader();

  // The registered type `id`; reloads the registry from the database once when it is not
  // known (another process may have registered it).
  Result<std::shared_ptr<const TypeInfo>> FindType(const std::string& id);
  Status ReloadTypes(detail::Connection& conn);
  // Rewrites the document_types rows folio wrote before it used SonicJS's format.
  // REQUIRES: called on the write connection, outside a transaction.
  Status UpgradeLegacyTypeRows(detail::Connection& conn);
  // Adds the generated columns and indexes of `type` that the schema lacks. Idempotent.
  // REQUIRES: called on the write connection inside a write transaction.
  static Status EnsureTypeColumns(detail::Connection& conn, const TypeInfo& type);

  const StoreOptions options;
  std::string cursor_secret;
  std::string instance_id;

  std::mutex data_version_mu;  // serializes use of `data_version_conn`
  std::unique_ptr<detail::Connection> data_version_conn;

  std::mutex write_mu;  // serializes use of `writer`
  std::unique_ptr<detail::Connection> writer;

  std::mutex pool_mu;
  std::condition_variable pool_cv;
  std::vector<std::unique_ptr<detail::Connection>> idle_readers;

  mutable std::shared_mutex types_mu;
  std::map<std::string, std::shared_ptr<const TypeInfo>> types;
  // Type rows ReloadTypes skipped, with MakeTypeInfo's reason (for FindType's answer).
  std::map<std::string, std::string> unservable_types;
};

// The tenant documents of `type` are stored under when `tenant` asks: the shared pool for a
// global type, else `tenant` itself.
inline std::string StorageTenant(const TypeInfo& type, const std::string& tenant) {
  return type.definition.settings.Global() ? std::string(kGlobalTenant) : tenant;
}

// InvalidArgument for a tenant no request may name: empty, or the global pool's (which holds
// the documents of global types, reached from every tenant, never named).
Status CheckRequestTenant(const std::string& tenant);
// Whether a row of (row_tenant, row_type) is visible to a request from `tenant`: its own
// tenant's rows, and the global pool's rows of types that are global now.
bool ReachableFrom(DocumentStore::Impl& impl, const std::string& row_tenant,
                   const std::string& row_type, const std::string& tenant);

// The tenant a document `root_id` (any version, deleted or not) asked for from `tenant` is
// stored under: `tenant`, or the shared pool for a document of a global type. NotFound when
// there is none.
Result<std::string> DocumentTenant(detail::Connection& conn, const std::string& tenant,
                                   const std::string& root_id, DocumentStore::Impl& impl);

// Builds TypeInfo (with column names) from a definition. Validates names.
Result<TypeInfo> MakeTypeInfo(const TypeDefinition& definition);

// Columns read for every page row and Get, in this order; see ReadDocumentRow.
extern const char* const kDocumentColumns;
Document ReadDocumentRow(const detail::Statement& stmt, int first_col);

// The SQL that restricts rows of `d` to those the principal bound at ?user, ?roles, ?groups
// (numbered parameters `user_param`, `roles_param` = JSON array, `groups_param` = JSON array)
// may read.
std::string ReadPermissionClause(int user_param, int roles_param, int groups_param);

// Appends the permission rules of (tenant, root) to *rules, in the order they were written;
// only those for `permission` when it is set.
Status ReadPermissionRules(detail::Connection& conn, const std::string& tenant,
                           const std::string& root_id, const std::optional<std::string>& permission,
                           std::vector<PermissionRule>* rules);
void BindPrincipal(detail::Statement& stmt, const Principal& p, int user_param, int roles_param,
                   int groups_param);

// The newest row of the change log, read on `conn` (inside the caller's read transaction
// when the position must agree with other reads).
Result<LogPosition> ReadChangeLogHead(detail::Connection& conn);

// Every row of folio_generations, read on `conn`.
Result<std::vector<TypeGeneration>> ReadGenerations(detail::Connection& conn);

// Moves both generations (redrawing their salts, migration 0006) of every (tenant, type) of
// `type` — or of every type when `type` is null — that has a generations row or a document.
// REQUIRES: called on the write connection inside a write transaction.
Status BumpGenerations(detail::Connection& conn, const std::string* type);

}  // namespace folio::storage
