// The change log (migration 0007) and the root images its readers check pages against.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "detail/listing.h"
#include "detail/store_impl.h"
#include "detail/type_row.h"

namespace folio::storage {
namespace {

using detail::Connection;
using detail::Statement;

constexpr int64_t kAxisPublished = 1;  // folio_changes.axes bits (0007_change_log.sql)
constexpr int64_t kAxisDraft = 2;

// scheduled_at / expires_at as a listing compares them with now (an INTEGER): `col <= now`
// and `col > now`. The schema's INTEGER affinity keeps what folio writes an INTEGER; another
// program may leave a REAL or a TEXT there, which this maps to the int64 that compares the
// same with every int64 now: ceil for a REAL (x <= n iff ceil(x) <= n), and the largest
// int64 for a TEXT or BLOB (SQLite orders both after every number).
std::optional<int64_t> ReadTimeBound(const Statement& s, int col) {
  switch (s.ColumnType(col)) {
    case SQLITE_NULL:
      return std::nullopt;
    case SQLITE_INTEGER:
      return s.ColumnInt(col);
    case SQLITE_FLOAT: {
      const double r = std::ceil(s.ColumnDouble(col));
      if (r >= 9223372036854775808.0) return std::numeric_limits<int64_t>::max();
      if (r < -9223372036854775808.0) return std::numeric_limits<int64_t>::min();
      return static_cast<int64_t>(r);
    }
    default:
      return std::numeric_limits<int64_t>::max();
  }
}

// The registered type `id`: from the registry when it knows it, else from `conn`'s snapshot
// (another process may have registered it). Kept for this call only: replacing the shared
// registry from a snapshot that may predate a concurrent registration could drop fields it
// just added. (FindType cannot be used here: it borrows a second pooled reader, and a pool of
// one would deadlock.)
class TypeLookup {
 public:
  TypeLookup(DocumentStore::Impl& impl, Connection& conn) : impl_(impl), conn_(conn) {}

  // Null when the type is not registered (or not one folio can serve): no listing selects
  // its rows.
  Result<std::shared_ptr<const TypeInfo>> Find(const std::string& id) {
    {
      std::shared_lock lock(impl_.types_mu);
      auto it = impl_.types.find(id);
      if (it != impl_.types.end()) return it->second;
    }
    auto found = loaded_.find(id);
    if (found != loaded_.end()) return found->second;
    std::shared_ptr<const TypeInfo> info;
    auto stmt = conn_.Prepare(
        "SELECT coalesce(display_name, ''), coalesce(queryable_fields, '[]') "
        "FROM document_types WHERE id = ?1");
    if (!stmt.ok()) return stmt.status();
    stmt->BindText(1, id);
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (*row) {
      auto definition = detail::ParseTypeRow(id, stmt->ColumnText(0), stmt->ColumnText(1));
      if (definition.ok()) {
        auto made = MakeTypeInfo(*definition);
        if (made.ok()) info = std::make_shared<const TypeInfo>(std::move(*made));
      }
    }
    loaded_.emplace(id, info);
    return info;
  }

 private:
  DocumentStore::Impl& impl_;
  Connection& conn_;
  std::map<std::string, std::shared_ptr<const TypeInfo>> loaded_;
};

// The q_* values and the facet rows of version `image->id` of type `type` (may be null).
Status LoadRowValues(Connection& conn, const TypeInfo* type, RowImage* image) {
  if (type != nullptr && !type->columns.empty()) {
    // Column names come from the registry, whose names MakeTypeInfo validated.
    std::string sql = "SELECT ";
    for (const auto& [field, column] : type->columns) {
      if (sql.size() > 7) sql += ", ";
      sql += "\"" + column + "\"";
    }
    sql += " FROM documents WHERE id = ?1";
    auto stmt = conn.Prepare(sql);
    if (!stmt.ok()) return stmt.status();
    stmt->BindText(1, image->id);
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (*row) {
      int col = 0;
      for (const auto& [field, column] : type->columns) {
        image->fields.emplace_back(field, detail::ReadSqlValue(*stmt, col++));
      }
    }
  }
  auto facets = conn.Prepare(
      "SELECT field_name, value_text, value_number FROM document_facets "
      "WHERE document_id = ?1");
  if (!facets.ok()) return facets.status();
  facets->BindText(1, image->id);
  for (;;) {
    auto row = facets->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    RowImage::Facet facet;
    facet.field = facets->ColumnText(0);
    if (!facets->ColumnIsNull(1)) {
      facet.text = std::string(facets->ColumnText(1));
    } else if (!facets->ColumnIsNull(2)) {
      facet.number = facets->ColumnDouble(2);
    }
    image->facets.push_back(std::move(facet));
  }
  return Status::Ok();
}

Status LoadRoot(Connection& conn, TypeLookup& types, RootImage* root) {
  struct Row {
    RowImage image;
    bool published, draft;
  };
  std::vector<Row> rows;  // at most two: the unique indexes allow one row per axis
  {
    auto stmt = conn.Prepare(
        "SELECT id, type_id, locale, deleted_at, scheduled_at, expires_at, created_at, "
        "updated_at, is_published = 1, is_current_draft = 1, slug, parent_root_id, sort_order "
        "FROM documents "
        "WHERE tenant_id = ?1 AND root_id = ?2 AND (is_published = 1 OR is_current_draft = 1)");
    if (!stmt.ok()) return stmt.status();
    stmt->BindText(1, root->tenant);
    stmt->BindText(2, root->root_id);
    for (;;) {
      auto row = stmt->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      Row r;
      r.image.present = true;
      r.image.id = stmt->ColumnText(0);
      r.image.type = stmt->ColumnText(1);
      r.image.locale = stmt->ColumnText(2);
      // Any non-NULL value fails the listing's `deleted_at IS NULL`.
      if (!stmt->ColumnIsNull(3)) r.image.deleted_at = stmt->ColumnInt(3);
      r.image.scheduled_at = ReadTimeBound(*stmt, 4);
      r.image.expires_at = ReadTimeBound(*stmt, 5);
      r.image.created_at = stmt->ColumnInt(6);
      r.image.updated_at = stmt->ColumnInt(7);
      r.published = stmt->ColumnInt(8) != 0;
      r.draft = stmt->ColumnInt(9) != 0;
      r.image.fields.emplace_back(detail::kSlugField, detail::ReadSqlValue(*stmt, 10));
      r.image.fields.emplace_back(detail::kParentField, detail::ReadSqlValue(*stmt, 11));
      r.image.fields.emplace_back(detail::kSortOrderField, detail::ReadSqlValue(*stmt, 12));
      r.image.fields.emplace_back(detail::kRootField, SqlValue(root->root_id));
      rows.push_back(std::move(r));
    }
  }
  for (Row& r : rows) {
    auto type = types.Find(r.image.type);
    if (!type.ok()) return type.status();
    FOLIO_RETURN_IF_ERROR(LoadRowValues(conn, type->get(), &r.image));
    if (r.published) root->published = r.image;
    if (r.draft) root->draft = std::move(r.image);
  }

  return ReadPermissionRules(conn, root->tenant, root->root_id, "read", &root->read_rules);
}

}  // namespace

Result<LogPosition> ReadChangeLogHead(Connection& conn) {
  auto stmt = conn.Prepare("SELECT seq, salt FROM folio_changes ORDER BY seq DESC LIMIT 1");
  if (!stmt.ok()) return stmt.status();
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  // Only another program can empty the log. Its head is then the start of the log, {0, 0}.
  if (!*row) return LogPosition{};
  return LogPosition{stmt->ColumnInt(0), stmt->ColumnInt(1)};
}

Result<LogPosition> DocumentStore::ChangeLogHead() {
  Impl::ReadLease reader = impl_->AcquireReader();
  return ReadChangeLogHead(*reader);
}

namespace {

// DocumentStore::ReadChanges on `conn`, inside the caller's read transaction.
Result<ChangeBatch> ReadChangesOn(Connection& conn, LogPosition after, size_t limit) {
  ChangeBatch batch;
  auto head = ReadChangeLogHead(conn);
  if (!head.ok()) return head.status();
  batch.head = *head;
  // The default position is the start of the log (a reader that knows nothing yet, so has
  // nothing a pruned row could have invalidated): always continuous. Any other position must
  // be a row of this timeline.
  if (after != LogPosition{}) {
    auto at = conn.Prepare("SELECT salt FROM folio_changes WHERE seq = ?1");
    if (!at.ok()) return at.status();
    at->BindInt(1, after.seq);
    auto row = at->Step();
    if (!row.ok()) return row.status();
    batch.continuous = *row && at->ColumnInt(0) == after.salt;
  }
  if (!batch.continuous || limit == 0) return batch;

  auto stmt = conn.Prepare(
      "SELECT seq, salt, tenant_id, type_id, root_id, axes FROM folio_changes "
      "WHERE seq > ?1 AND axes <> 0 ORDER BY seq LIMIT ?2");
  if (!stmt.ok()) return stmt.status();
  stmt->BindInt(1, after.seq);
  stmt->BindInt(2,
                static_cast<int64_t>(std::min<size_t>(limit, std::numeric_limits<int64_t>::max())));
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    Change c;
    c.position = LogPosition{stmt->ColumnInt(0), stmt->ColumnInt(1)};
    c.tenant = stmt->ColumnText(2);
    c.type = stmt->ColumnText(3);
    c.root_id = stmt->ColumnText(4);
    const int64_t axes = stmt->ColumnInt(5);
    c.published = (axes & kAxisPublished) != 0;
    c.draft = (axes & kAxisDraft) != 0;
    batch.changes.push_back(std::move(c));
  }
  return batch;
}

// DocumentStore::LoadRoots on `conn`, inside the caller's read transaction.
Status LoadRootsOn(DocumentStore::Impl& impl, Connection& conn,
                   const std::vector<std::pair<std::string, std::string>>& tenant_roots,
                   std::vector<RootImage>* out) {
  out->reserve(out->size() + tenant_roots.size());
  TypeLookup types(impl, conn);
  for (const auto& [tenant, root_id] : tenant_roots) {
    RootImage image;
    image.tenant = tenant;
    image.root_id = root_id;
    FOLIO_RETURN_IF_ERROR(LoadRoot(conn, types, &image));
    out->push_back(std::move(image));
  }
  return Status::Ok();
}

}  // namespace

Result<ChangeBatch> DocumentStore::ReadChanges(LogPosition after, size_t limit) {
  Impl::ReadLease reader = impl_->AcquireReader();
  auto txn = detail::ReadTransaction::Begin(*reader);
  if (!txn.ok()) return txn.status();
  return ReadChangesOn(*reader, after, limit);
}

Result<CatchUpBatch> DocumentStore::ReadCatchUp(LogPosition after, size_t limit,
                                                const CatchUpParts& parts) {
  Impl::ReadLease reader = impl_->AcquireReader();
  auto txn = detail::ReadTransaction::Begin(*reader);
  if (!txn.ok()) return txn.status();
  CatchUpBatch out;
  if (parts.generations) {
    auto generations = ReadGenerations(*reader);
    if (!generations.ok()) return generations.status();
    out.generations = std::move(*generations);
  }
  auto changes = ReadChangesOn(*reader, after, limit);
  if (!changes.ok()) return changes.status();
  out.changes = std::move(*changes);
  if (parts.roots && !out.changes.changes.empty()) {
    std::vector<std::pair<std::string, std::string>> roots;
    std::set<std::pair<std::string, std::string>> seen;
    for (const Change& c : out.changes.changes) {
      if (seen.emplace(c.tenant, c.root_id).second) roots.emplace_back(c.tenant, c.root_id);
    }
    FOLIO_RETURN_IF_ERROR(LoadRootsOn(*impl_, *reader, roots, &out.roots));
  }
  return out;
}

Result<std::vector<RootImage>> DocumentStore::LoadRoots(
    const std::vector<std::pair<std::string, std::string>>& tenant_roots) {
  std::vector<RootImage> out;
  Impl::ReadLease reader = impl_->AcquireReader();
  auto txn = detail::ReadTransaction::Begin(*reader);
  if (!txn.ok()) return txn.status();
  FOLIO_RETURN_IF_ERROR(LoadRootsOn(*impl_, *reader, tenant_roots, &out));
  return out;
}

}  // namespace folio::storage
