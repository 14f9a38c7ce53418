// Reads: keyset pages, single documents, schedule boundaries, query plans.
#include <nlohmann/json.hpp>

#include <algorithm>

#include "detail/json_text.h"
#include "detail/listing.h"
#include "detail/row_match.h"
#include "detail/store_impl.h"

namespace folio::storage {
namespace {

using detail::AppendJsonInt;
using detail::AppendJsonOptionalInt;
using detail::AppendJsonString;

// A document's page fields, borrowed from wherever they live (a Document, or a SQLite row).
struct DocumentView {
  std::string_view id, root_id, type, tenant, locale, status, data;
  int64_t version, created_at, updated_at;
  std::optional<int64_t> published_at;
  std::optional<std::string_view> slug, title, path;
  std::string_view parent_root_id;
  int64_t sort_order;
  std::optional<int64_t> scheduled_at, expires_at;
  std::optional<std::string_view> created_by, updated_by;

  static void AppendOptionalString(std::string& out, const std::optional<std::string_view>& v) {
    if (v)
      AppendJsonString(out, *v);
    else
      out += "null";
  }

  void AppendJson(std::string& out) const {
    out += "{\"id\":";
    AppendJsonString(out, id);
    out += ",\"root_id\":";
    AppendJsonString(out, root_id);
    out += ",\"version\":";
    AppendJsonInt(out, version);
    out += ",\"type\":";
    AppendJsonString(out, type);
    out += ",\"tenant\":";
    AppendJsonString(out, tenant);
    out += ",\"locale\":";
    AppendJsonString(out, locale);
    out += ",\"status\":";
    AppendJsonString(out, status);
    out += ",\"slug\":";
    AppendOptionalString(out, slug);
    out += ",\"title\":";
    AppendOptionalString(out, title);
    out += ",\"path\":";
    AppendOptionalString(out, path);
    out += ",\"parent_root_id\":";
    AppendJsonString(out, parent_root_id);
    out += ",\"sort_order\":";
    AppendJsonInt(out, sort_order);
    out += ",\"data\":";
    out += data;  // stored text is a valid JSON object (checked on write and by the schema)
    out += ",\"created_at\":";
    AppendJsonInt(out, created_at);
    out += ",\"updated_at\":";
    AppendJsonInt(out, updated_at);
    out += ",\"published_at\":";
    AppendJsonOptionalInt(out, published_at);
    out += ",\"scheduled_at\":";
    AppendJsonOptionalInt(out, scheduled_at);
    out += ",\"expires_at\":";
    AppendJsonOptionalInt(out, expires_at);
    out += ",\"created_by\":";
    AppendOptionalString(out, created_by);
    out += ",\"updated_by\":";
    AppendOptionalString(out, updated_by);
    out += '}';
  }
};

std::optional<std::string_view> OptionalText(const detail::Statement& s, int col) {
  if (s.ColumnIsNull(col)) return std::nullopt;
  return s.ColumnText(col);
}

DocumentView ViewRow(const detail::Statement& s) {
  DocumentView v{s.ColumnText(0),     s.ColumnText(1),         s.ColumnText(3),
                 s.ColumnText(4),     s.ColumnText(5),         s.ColumnText(6),
                 s.ColumnText(9),     s.ColumnInt(2),          s.ColumnInt(12),
                 s.ColumnInt(13),     s.ColumnOptionalInt(14), OptionalText(s, 10),
                 OptionalText(s, 11), OptionalText(s, 18),     s.ColumnText(19),
                 s.ColumnInt(20),     s.ColumnOptionalInt(15), s.ColumnOptionalInt(16),
                 OptionalText(s, 21), OptionalText(s, 22)};
  return v;
}

constexpr int kSortValueColumn = 23;

Status BindAll(detail::Statement& stmt, const std::vector<detail::SqlValue>& binds) {
  for (size_t i = 0; i < binds.size(); ++i) {
    detail::BindSqlValue(stmt, static_cast<int>(i) + 1, binds[i]);
  }
  return Status::Ok();
}

// A listing ready to run: its SQL, the cursor's position, and the compiled query the SQL was
// built from (which the page's dependency is built from too).
struct ListingPlan {
  detail::ListingSql sql;
  std::optional<SortPosition> after;
  detail::CompiledQuery compiled;
};

// Resolves the type, verifies the cursor, and builds the listing's SQL.
Result<ListingPlan> PlanListing(DocumentStore::Impl& impl, const Query& query,
                                const std::string& query_key) {
  auto type = impl.FindType(query.type);
  if (!type.ok()) return type.status();
  ListingPlan plan;
  if (!query.cursor.empty()) {
    auto pos = detail::DecodeCursor(impl.cursor_secret, query_key, query.cursor);
    if (!pos.ok()) return pos.status();
    plan.after = std::move(*pos);
  }
  FOLIO_RETURN_IF_ERROR(detail::CheckLimit(query));
  auto compiled = detail::CompileQuery(query, **type);
  if (!compiled.ok()) return compiled.status();
  auto sql = detail::BuildListingSql(query, **type, *compiled, plan.after,
                                     impl.options.clock->NowSeconds());
  if (!sql.ok()) return sql.status();
  plan.sql = std::move(*sql);
  plan.compiled = std::move(*compiled);
  return plan;
}

}  // namespace

const char* const kDocumentColumns =
    "d.id, d.root_id, d.version_number, d.type_id, d.tenant_id, d.locale, d.status, "
    "d.is_current_draft, d.is_published, d.data, d.slug, d.title, d.created_at, d.updated_at, "
    "d.published_at, d.scheduled_at, d.expires_at, d.deleted_at, d.path, d.parent_root_id, "
    "d.sort_order, d.created_by, d.updated_by";

Document ReadDocumentRow(const detail::Statement& s, int c) {
  Document d;
  d.id = s.ColumnText(c + 0);
  d.root_id = s.ColumnText(c + 1);
  d.version = s.ColumnInt(c + 2);
  d.type = s.ColumnText(c + 3);
  d.tenant = s.ColumnText(c + 4);
  d.locale = s.ColumnText(c + 5);
  d.status = s.ColumnText(c + 6);
  d.is_current_draft = s.ColumnInt(c + 7) != 0;
  d.is_published = s.ColumnInt(c + 8) != 0;
  d.data = s.ColumnText(c + 9);
  if (!s.ColumnIsNull(c + 10)) d.slug = std::string(s.ColumnText(c + 10));
  if (!s.ColumnIsNull(c + 11)) d.title = std::string(s.ColumnText(c + 11));
  d.created_at = s.ColumnInt(c + 12);
  d.updated_at = s.ColumnInt(c + 13);
  d.published_at = s.ColumnOptionalInt(c + 14);
  d.scheduled_at = s.ColumnOptionalInt(c + 15);
  d.expires_at = s.ColumnOptionalInt(c + 16);
  d.deleted_at = s.ColumnOptionalInt(c + 17);
  if (!s.ColumnIsNull(c + 18)) d.path = std::string(s.ColumnText(c + 18));
  d.parent_root_id = s.ColumnText(c + 19);
  d.sort_order = s.ColumnInt(c + 20);
  if (!s.ColumnIsNull(c + 21)) d.created_by = std::string(s.ColumnText(c + 21));
  if (!s.ColumnIsNull(c + 22)) d.updated_by = std::string(s.ColumnText(c + 22));
  return d;
}

std::string Document::ToJson() const {
  std::string out;
  out.reserve(data.size() + 256);
  auto view = [](const std::optional<std::string>& v) -> std::optional<std::string_view> {
    if (!v) return std::nullopt;
    return std::string_view(*v);
  };
  DocumentView{id,           root_id,      type,        tenant,           locale,
               status,       data,         version,     created_at,       updated_at,
               published_at, view(slug),   view(title), view(path),       parent_root_id,
               sort_order,   scheduled_at, expires_at,  view(created_by), view(updated_by)}
      .AppendJson(out);
  return out;
}

std::string ReadPermissionClause(int user_param, int roles_param, int groups_param) {
  const std::string rules =
      "SELECT 1 FROM document_permissions p WHERE p.tenant_id = d.tenant_id AND p.root_id = "
      "d.root_id AND p.permission = 'read'";
  const std::string match =
      "(p.principal_type = 'public' OR (p.principal_type = 'user' AND p.principal_id = ?" +
      std::to_string(user_param) +
      ") OR (p.principal_type = 'role' AND p.principal_id IN (SELECT value FROM json_each(?" +
      std::to_string(roles_param) +
      "))) OR (p.principal_type = 'group' AND p.principal_id IN (SELECT value FROM json_each(?" +
      std::to_string(groups_param) + "))))";
  // No read rules: readable by whoever may read the listing. Otherwise an allow must match
  // and no deny may (deny wins).
  return "(NOT EXISTS (" + rules + ") OR (EXISTS (" + rules + " AND p.effect = 'allow' AND " +
         match + ") AND NOT EXISTS (" + rules + " AND p.effect = 'deny' AND " + match + ")))";
}

void BindPrincipal(detail::Statement& stmt, const Principal& p, int user_param, int roles_param,
                   int groups_param) {
  stmt.BindOptionalText(user_param, p.user_id);
  // Callers check the principal's text first (CheckPrincipalText).
  constexpr auto kReplace = nlohmann::json::error_handler_t::replace;
  stmt.BindText(roles_param, nlohmann::json(p.roles).dump(-1, ' ', false, kReplace));
  stmt.BindText(groups_param, nlohmann::json(p.groups).dump(-1, ' ', false, kReplace));
}

Result<Page> DocumentStore::List(const Query& query) {
  std::string documents;
  // Clamped: the limit is validated later, and a bad one must get its error, not a huge buffer.
  documents.reserve(static_cast<size_t>(std::clamp(query.limit, 1, kMaxLimit)) * 1024);
  auto page = ListInto(query, &documents);
  if (page.ok()) page->documents_json = std::move(documents);
  return page;
}

namespace {

// Appends to each listed document the documents its included reference fields name, read in
// the page's snapshot: "embedded":{"<field>":[{…},…],…}. A target is shown when it has a row
// on the listing's axis (inside its schedule window, for the published axis), is not
// deleted, lives in the listing's tenant or the global pool, and the listing's principal may
// read it. Every target root, shown or not, is a dependency of the page.
class Embedder {
 public:
  static Result<Embedder> Make(detail::Connection& conn, const Query& query,
                               const detail::CompiledQuery& compiled, int64_t now) {
    Embedder e(query, compiled, now);
    if (compiled.include.empty()) return e;
    auto refs = conn.Prepare(
        "SELECT field_name, to_root_id FROM document_references WHERE from_document_id = ?1 "
        "AND field_name IN (SELECT value FROM json_each(?2)) AND ordinal < ?3 "
        "ORDER BY field_name, ordinal");
    if (!refs.ok()) return refs.status();
    auto target = conn.Prepare(
        std::string("SELECT ") + kDocumentColumns +
        " FROM documents d WHERE d.root_id = ?1 AND d.tenant_id IN (?2, '" + kGlobalTenant +
        "') AND d.deleted_at IS NULL AND " +
        (query.axis == Axis::kPublished ? "d.is_published = 1" : "d.is_current_draft = 1") +
        " AND " + ReadPermissionClause(3, 4, 5));
    if (!target.ok()) return target.status();
    e.refs_.emplace(std::move(*refs));
    e.target_.emplace(std::move(*target));
    e.include_json_ = nlohmann::json(compiled.include).dump();
    return e;
  }

  bool active() const { return refs_.has_value(); }
  bool cacheable() const { return cacheable_; }
  std::vector<std::string> TakeRoots() { return std::move(roots_); }

  // `out` ends with the document of version `id`; its closing brace makes room for the rest.
  Status Append(const std::string& id, std::string* out) {
    out->pop_back();
    out->append(",\"embedded\":{");
    refs_->BindText(1, id);
    refs_->BindText(2, include_json_);
    refs_->BindInt(3, kMaxEmbeddedPerField);
    size_t next = 0;  // the next include to open
    std::string open_field;
    bool first_in_field = true;
    auto open = [&](std::string_view field) {
      // Fields without references still get their (empty) list, in include order.
      while (next < compiled_.include.size() &&
             std::string_view(compiled_.include[next]) <= field) {
        if (next > 0) out->append("],");
        AppendJsonString(*out, compiled_.include[next]);
        out->append(":[");
        ++next;
      }
      open_field = field;
      first_in_field = true;
    };
    for (;;) {
      auto row = refs_->Step();
      if (!row.ok()) return row.status();
      if (!*row) break;
      const std::string field(refs_->ColumnText(0));
      if (field != open_field) open(field);
      std::string target(refs_->ColumnText(1));
      FOLIO_RETURN_IF_ERROR(AppendTarget(target, &first_in_field, out));
      roots_.push_back(std::move(target));
    }
    refs_->Reset();
    open("\xff");  // the rest, after every field name
    out->append("]}}");
    return Status::Ok();
  }

 private:
  Embedder(const Query& query, const detail::CompiledQuery& compiled, int64_t now)
      : query_(query), compiled_(compiled), now_(now) {}

  Status AppendTarget(const std::string& root, bool* first, std::string* out) {
    target_->BindText(1, root);
    target_->BindText(2, compiled_.tenant);
    BindPrincipal(*target_, query_.principal, 3, 4, 5);
    auto row = target_->Step();
    if (!row.ok()) return row.status();
    if (*row) {
      const auto scheduled = target_->ColumnOptionalInt(15);
      const auto expires = target_->ColumnOptionalInt(16);
      bool shown = true;
      if (query_.axis == Axis::kPublished) {
        shown = (!scheduled || *scheduled <= now_) && (!expires || *expires > now_);
        // A window that opens or closes later changes the page with no write to mark it.
        if ((scheduled && *scheduled > now_) || (expires && *expires > now_)) cacheable_ = false;
      }
      if (shown) {
        if (!*first) out->push_back(',');
        *first = false;
        ViewRow(*target_).AppendJson(*out);
      }
    }
    target_->Reset();
    return Status::Ok();
  }

  const Query& query_;
  const detail::CompiledQuery& compiled_;
  const int64_t now_;
  std::optional<detail::Statement> refs_, target_;
  std::string include_json_;
  std::vector<std::string> roots_;
  bool cacheable_ = true;
};

}  // namespace

Result<Page> DocumentStore::ListInto(const Query& query, std::string* out) {
  FOLIO_RETURN_IF_ERROR(detail::CheckQueryText(query));
  std::string query_key = query.CanonicalKey();
  auto plan = PlanListing(*impl_, query, query_key);
  if (!plan.ok()) return plan.status();

  Impl::ReadLease reader = impl_->AcquireReader();
  // The rows and the change log's head from one snapshot: every change the page does not
  // show is after read_at, so a reader of the log from read_at sees it.
  auto txn = detail::ReadTransaction::Begin(*reader);
  if (!txn.ok()) return txn.status();
  auto head = ReadChangeLogHead(*reader);
  if (!head.ok()) return head.status();
  auto stmt = reader->Prepare(plan->sql.sql);
  if (!stmt.ok()) return stmt.status();
  FOLIO_RETURN_IF_ERROR(BindAll(*stmt, plan->sql.binds));

  auto embedder =
      Embedder::Make(*reader, query, plan->compiled, impl_->options.clock->NowSeconds());
  if (!embedder.ok()) return embedder.status();

  Page page;
  std::vector<std::string> roots;
  roots.reserve(static_cast<size_t>(query.limit) + 1);
  out->push_back('[');
  detail::KeysetPosition last;
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    roots.emplace_back(stmt->ColumnText(1));  // the look-ahead row's root counts too
    if (page.count == query.limit) {          // the extra row: another page follows
      page.next_cursor = detail::EncodeCursor(impl_->cursor_secret, query_key, last);
      break;
    }
    if (page.count > 0) out->push_back(',');
    ViewRow(*stmt).AppendJson(*out);
    if (embedder->active()) {
      FOLIO_RETURN_IF_ERROR(embedder->Append(std::string(stmt->ColumnText(0)), out));
    }
    ++page.count;
    last.id = stmt->ColumnText(0);
    last.sort_value = detail::ReadSqlValue(*stmt, kSortValueColumn);
  }
  out->push_back(']');

  // The page holds every matching row after the cursor, up to its last row when another page
  // follows, to the end otherwise.
  std::optional<SortPosition> through;
  if (page.next_cursor) through = std::move(last);
  page.dependency = std::make_shared<const PageDependency>(
      detail::MakeListingPredicate(query, std::move(query_key), plan->compiled),
      std::move(plan->after), std::move(through), std::move(roots), *head, embedder->TakeRoots());
  page.cacheable = embedder->cacheable();
  return page;
}

Result<Document> DocumentStore::Get(const std::string& tenant, const std::string& root_id,
                                    Axis axis, const Principal& principal, LogPosition* read_at) {
  FOLIO_RETURN_IF_ERROR(CheckRequestTenant(tenant));
  FOLIO_RETURN_IF_ERROR(detail::CheckPrincipalText(principal));
  std::string sql = std::string("SELECT ") + kDocumentColumns +
                    " FROM documents d WHERE d.tenant_id IN (?1, '" + kGlobalTenant +
                    "') AND d.root_id = ?2 AND "
                    "d.deleted_at IS NULL AND ";
  sql += axis == Axis::kPublished
             ? "d.is_published = 1 AND (d.scheduled_at IS NULL OR d.scheduled_at <= ?3) AND "
               "(d.expires_at IS NULL OR d.expires_at > ?3)"
             : "d.is_current_draft = 1";  // ?3 (now) goes unused
  sql += " AND " + ReadPermissionClause(4, 5, 6);

  Impl::ReadLease reader = impl_->AcquireReader();
  // Only a caller that asks for the log's head pays for the transaction that pairs it with
  // the row.
  std::optional<detail::ReadTransaction> txn;
  LogPosition head;
  if (read_at != nullptr) {
    auto begun = detail::ReadTransaction::Begin(*reader);
    if (!begun.ok()) return begun.status();
    txn.emplace(std::move(*begun));
    auto position = ReadChangeLogHead(*reader);
    if (!position.ok()) return position.status();
    head = *position;
  }
  auto stmt = reader->Prepare(sql);
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, tenant);
  stmt->BindText(2, root_id);
  stmt->BindInt(3, impl_->options.clock->NowSeconds());
  BindPrincipal(*stmt, principal, 4, 5, 6);
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row || !ReachableFrom(*impl_, std::string(stmt->ColumnText(4)),
                              std::string(stmt->ColumnText(3)), tenant)) {
    return Status::NotFound(std::string(axis == Axis::kPublished ? "published" : "draft") +
                            " document '" + root_id + "' not found in tenant '" + tenant + "'");
  }
  if (read_at != nullptr) *read_at = head;
  return ReadDocumentRow(*stmt, 0);
}

Result<std::optional<int64_t>> DocumentStore::NextScheduleBoundary(const std::string& tenant,
                                                                   const std::string& type,
                                                                   int64_t after_seconds) {
  // The type as a literal (TypeInfo::IdLiteral), as in the listings.
  auto info = impl_->FindType(type);
  if (!info.ok()) {
    if (info.status().IsNotFound()) return std::optional<int64_t>();  // no documents of it
    return info.status();
  }
  const std::string type_is = "type_id = " + (*info)->IdLiteral();
  Impl::ReadLease reader = impl_->AcquireReader();
  auto stmt = reader->Prepare(
      "SELECT min(b) FROM (SELECT min(scheduled_at) AS b FROM documents WHERE tenant_id = ?1 AND " +
      type_is +
      " AND is_published = 1 AND scheduled_at IS NOT NULL AND scheduled_at > ?2 "
      "UNION ALL SELECT min(expires_at) FROM documents WHERE tenant_id = ?1 AND " +
      type_is + " AND is_published = 1 AND expires_at IS NOT NULL AND expires_at > ?2)");
  if (!stmt.ok()) return stmt.status();
  stmt->BindText(1, storage::StorageTenant(**info, tenant));
  stmt->BindInt(2, after_seconds);
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  return stmt->ColumnOptionalInt(0);
}

uint64_t DocumentStore::StatementReprepares() {
  uint64_t total = 0;
  {
    std::lock_guard lock(impl_->pool_mu);
    for (const auto& conn : impl_->idle_readers)
      total += conn->StatementReprepares();
  }
  std::lock_guard lock(impl_->write_mu);
  return total + impl_->writer->StatementReprepares();
}

Result<std::vector<std::string>> DocumentStore::ExplainList(const Query& query) {
  FOLIO_RETURN_IF_ERROR(detail::CheckQueryText(query));
  auto plan = PlanListing(*impl_, query, query.CanonicalKey());
  if (!plan.ok()) return plan.status();
  Impl::ReadLease reader = impl_->AcquireReader();
  auto stmt = reader->Prepare("EXPLAIN QUERY PLAN " + plan->sql.sql);
  if (!stmt.ok()) return stmt.status();
  FOLIO_RETURN_IF_ERROR(BindAll(*stmt, plan->sql.binds));
  std::vector<std::string> lines;
  for (;;) {
    auto row = stmt->Step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    lines.emplace_back(stmt->ColumnText(3));
  }
  return lines;
}

Result<std::shared_ptr<const ListingPredicate>> DocumentStore::CompilePredicate(
    const Query& query) {
  FOLIO_RETURN_IF_ERROR(detail::CheckQueryText(query));
  auto type = impl_->FindType(query.type);
  if (!type.ok()) return type.status();
  auto compiled = detail::CompileQuery(query, **type);
  if (!compiled.ok()) return compiled.status();
  return detail::MakeListingPredicate(query, query.CanonicalKey(), *compiled);
}

}  // namespace folio::storage
