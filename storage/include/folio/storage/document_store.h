// DocumentStore: folio's source of truth, the SonicJS v3 document model in one SQLite file.
//
// It owns one write connection and a small pool of read connections, all in WAL mode, so reads
// run in parallel with each other and with the single writer. Every write is one SQLite
// transaction; every read of a page is one read transaction (a consistent snapshot).
//
// Listings are keyset-paginated: the opaque cursor carries the last row's sort key and id and
// a MAC over the query it belongs to, so a page deep in a listing costs what the first costs,
// and a cursor from another query, a truncated or edited one, is refused. Pages are assembled
// from the stored `data` text; it is never parsed and re-serialized on the read path.
//
// Thread-safety: every method may be called from any thread at once. Writes are serialized on
// the write connection; reads take a pooled connection (waiting when all are busy).
//
// Nothing from a request is ever spliced into SQL: field names are resolved against the
// registered types (whose names were validated when registered), and every value is bound.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "folio/base/clock.h"
#include "folio/base/status.h"
#include "folio/storage/changes.h"
#include "folio/storage/types.h"

namespace folio::storage {

struct StoreOptions {
  std::string path;               // the SQLite file; required
  bool create_if_missing = true;  // create the file (and apply migrations) when absent
  int read_connections = 4;       // size of the read pool; 1..64
  int busy_timeout_ms = 5000;     // how long a connection waits on another process's lock
  int keep_versions = 10;         // versions kept per document; 0 keeps all. Published and
                                  // current-draft rows are never pruned.
  // When a write returns, it survives a power loss (PRAGMA synchronous=FULL: the WAL is
  // fsynced at every commit). false is synchronous=NORMAL: a write survives a crash of the
  // process but the last commits may be lost to a power loss or an OS crash (the cache tiers
  // stay consistent either way: see DocumentStore::ListGenerations). Default true.
  bool durable_writes = true;
  const Clock* clock = nullptr;  // time for timestamps and schedule windows; default real
};

class DocumentStore {
 public:
  // Opens (creating when allowed), applies pending migrations, and re-ensures the generated
  // columns and indexes of every registered type.
  static Result<std::unique_ptr<DocumentStore>> Open(const StoreOptions& options);
  // Which bundled migrations the database at `path` has applied, and which are pending, without
  // applying any: a read-only connection reads its `migrations` table (a file without one has
  // all pending). NotFound when there is no file; Corruption when it is not a database.
  // Thread-safe (it shares nothing with an open store).
  static Result<std::vector<MigrationInfo>> ReadMigrationStatus(const std::string& path);
  ~DocumentStore();
  DocumentStore(const DocumentStore&) = delete;
  DocumentStore& operator=(const DocumentStore&) = delete;

  // ---- Schema ----
  // Registers a type, or adds new fields/facets to it. Idempotent. A field already registered
  // with another kind is a Conflict; an invalid id or field name is InvalidArgument.
  Result<TypeDefinition> RegisterType(const TypeDefinition& type);
  Result<TypeDefinition> GetType(const std::string& id) const;
  // The tenant the documents of type `type` live under when `tenant` asks: kGlobalTenant for
  // a global type (settings.global), else `tenant` (also for a type not registered).
  std::string StorageTenant(const std::string& type, const std::string& tenant) const;
  std::vector<TypeDefinition> ListTypes() const;
  Result<std::vector<MigrationInfo>> MigrationStatus();

  // ---- Writes (each one transaction) ----
  Result<WriteResult> Create(const CreateOp& op);
  Result<WriteResult> Update(const UpdateOp& op);
  Result<WriteResult> Patch(const PatchOp& op);
  Result<WriteResult> Apply(const LifecycleOp& op);
  Result<WriteResult> Write(const WriteOp& op);
  // All of `ops` in one transaction: all applied, or none (the first error is returned).
  Result<std::vector<WriteResult>> ApplyBatch(const std::vector<WriteOp>& ops);
  // Replaces / reads the permission rules of a document. With a `principal`, it needs the
  // `manage` permission on the document (its rules, then its type's baseGrants; deny wins),
  // else PermissionDenied; without one, the caller is an administrator.
  Status SetPermissions(const std::string& tenant, const std::string& root_id,
                        const std::vector<PermissionRule>& rules,
                        const std::optional<Principal>& principal = std::nullopt);
  Result<std::vector<PermissionRule>> GetPermissions(
      const std::string& tenant, const std::string& root_id,
      const std::optional<Principal>& principal = std::nullopt);

  // ---- Reads ----
  // One page of a listing. Errors name what was wrong (unknown field, bad limit, bad cursor).
  // The page's rows and its `dependency` (its predicate, its range, the roots of its rows and
  // of the look-ahead row, and the change log's head) are read in one read transaction.
  Result<Page> List(const Query& query);
  // As List, but appends the page's JSON array to *documents_json (leaving the returned
  // Page's documents_json empty), so a caller can build a page in a buffer of its own
  // without copying it. On an error, *documents_json may hold a partial array.
  Result<Page> ListInto(const Query& query, std::string* documents_json);
  // The published row or the current draft of a document (NotFound when absent, deleted,
  // outside its schedule window for kPublished, of another tenant, or unreadable by
  // `principal`). On success, *read_at (when given) is the change log's head in the snapshot
  // the row was read from.
  Result<Document> Get(const std::string& tenant, const std::string& root_id, Axis axis,
                       const Principal& principal = {}, LogPosition* read_at = nullptr);
  // The versions of a document, newest first, `limit` (1..100) at a time; `cursor` is empty
  // or a previous page's next_cursor. NotFound when the document is not in `tenant`.
  Result<VersionList> ListVersions(const std::string& tenant, const std::string& root_id, int limit,
                                   const std::string& cursor);
  // Version `version` of a document (NotFound when it was pruned or never existed).
  Result<Document> GetVersion(const std::string& tenant, const std::string& root_id,
                              int64_t version);
  // The live documents (published or current-draft rows, not deleted) of `tenant` (or of the
  // global pool) whose reference fields name `root_id`, at most `limit` (1..1000) of them;
  // NotFound when the document is not in `tenant`.
  Result<std::vector<Referrer>> ListReferrers(const std::string& tenant, const std::string& root_id,
                                              int limit);
  // The earliest schedule boundary (scheduled_at or expires_at) of a published row of
  // (tenant, type) strictly after `after_seconds`; nullopt when there is none.
  Result<std::optional<int64_t>> NextScheduleBoundary(const std::string& tenant,
                                                      const std::string& type,
                                                      int64_t after_seconds);
  // The SQL and bound parameters List(query) would run, with EXPLAIN QUERY PLAN's lines.
  Result<std::vector<std::string>> ExplainList(const Query& query);
  // How many times SQLite re-compiled a cached statement of the idle read connections and the
  // writer. Stays flat in a healthy store: a statement whose plan depended on a bound value
  // would be re-compiled on every run (~75 µs with this schema's indexes).
  uint64_t StatementReprepares();

  // ---- Cache support (for the tiers above) ----
  // The invalidation generations of every (tenant, type) that has a row in folio_generations,
  // read in one transaction. They move only on coarse events (see TypeGeneration); per-root
  // changes are in the change log.
  Result<std::vector<TypeGeneration>> ListGenerations();

  // The change log (changes.h). Rows with seq > after.seq, in seq order, at most `limit` of
  // them, and the log's head, all from one snapshot. `continuous` is false when `after` is no
  // longer a row of the log (pruned, or the database went back in time: no row has its seq
  // and salt); `changes` is then empty, and the caller drops what it derived from the log and
  // starts over. The default LogPosition{} is the start of the log: reading from it is always
  // continuous and returns the oldest retained rows. The genesis row (axes 0) is never among
  // `changes`.
  Result<ChangeBatch> ReadChanges(LogPosition after, size_t limit);
  // What a reader following the log needs, in one read transaction: ReadChanges(after,
  // limit), plus what `parts` asks for — ListGenerations() and LoadRoots() of the roots the
  // changes name — from the same snapshot.
  Result<CatchUpBatch> ReadCatchUp(LogPosition after, size_t limit, const CatchUpParts& parts);
  // The newest row of the change log.
  Result<LogPosition> ChangeLogHead();
  // For each (tenant, root_id): the root's published and current-draft rows as a listing sees
  // them (RowImage: `fields` holds every registered field of the row's type as its q_* column
  // reads, `facets` the row's facet rows) and its `read` rules, all from one snapshot. A root
  // without a row on an axis gets `present == false` there. In the order asked.
  Result<std::vector<RootImage>> LoadRoots(
      const std::vector<std::pair<std::string, std::string>>& tenant_roots);
  // The predicate of `query`'s listing (everything but cursor and limit): validated as List
  // validates it (an unknown type is NotFound; an unknown field, facet or sort, or a value the
  // field's kind refuses, InvalidArgument), its values coerced as the listing's SQL binds them.
  Result<std::shared_ptr<const ListingPredicate>> CompilePredicate(const Query& query);
  // A number that changes whenever any connection, in this process or another, has committed
  // to the database since the previous call (SQLite's data_version, on a connection of its own).
  Result<int64_t> DataVersion();
  // A random id made once per database: cache keys carry it, so caches never answer for a
  // different database file.
  const std::string& instance_id() const;

  // ---- Dump and load ----
  // Writes the whole database as a SQL script (as `wrangler d1 export` and the sqlite3
  // shell's .dump do): the schema, then every row as an INSERT, then indexes and triggers,
  // in one transaction. Generated columns are left out of the INSERTs. `sink` receives the
  // text in pieces. Reads one consistent snapshot.
  Status ExportSql(const std::function<Status(std::string_view)>& sink);

  // Creates a new database at `path` from a script ExportSql (or the sqlite3 shell) wrote,
  // then gives it a fresh instance id and cursor secret: caches and cursors of the database
  // the dump came from never answer for the new one. Refuses an existing file. The new
  // database is then opened as usual (pending migrations applied).
  static Status ImportSql(const std::string& path, std::string_view script);

  // The options the store was opened with, defaults filled in.
  const StoreOptions& options() const;

  class Impl;  // the implementation, private to storage/'s .cc files

 private:
  explicit DocumentStore(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

}  // namespace folio::storage
