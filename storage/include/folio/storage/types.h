// The vocabulary of folio's document store: documents, types, queries, pages, writes.
//
// All of these are plain values: copyable, movable, no hidden sharing, not synchronized.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace folio::storage {

class PageDependency;  // changes.h

// ---- Types ---------------------------------------------------------------------------------

// How a queryable scalar field is stored in its `q_<type>_<field>` generated column.
enum class FieldKind {
  kText,     // TEXT
  kNumber,   // REAL
  kInteger,  // INTEGER
  kBoolean,  // INTEGER (0/1)
  kDate,     // INTEGER (seconds)
};

// "text", "number", "integer", "boolean", "date"; nullopt for anything else.
std::optional<FieldKind> ParseFieldKind(std::string_view name);
const char* FieldKindName(FieldKind kind);

struct TypeDefinition {
  std::string id;            // [a-z0-9][a-z0-9_-]{0,63}, e.g. "blog-post"; shared by all tenants
  std::string display_name;  // defaults to id
  std::map<std::string, FieldKind> fields;  // queryable scalars: name ([A-Za-z_][A-Za-z0-9_]*)
  std::vector<std::string> facets;          // multi-valued fields indexed in document_facets
};

// ---- Documents -----------------------------------------------------------------------------

// One stored row of `documents` (a version of a document).
struct Document {
  std::string id;       // this version's id (UUID v7)
  std::string root_id;  // the document's id across versions
  int64_t version = 0;
  std::string type;
  std::string tenant;
  std::string locale;
  std::string status;  // "draft" | "published" | "archived"
  bool is_current_draft = false;
  bool is_published = false;
  std::string data;  // the stored JSON object text, exactly as stored
  std::optional<std::string> slug;
  std::optional<std::string> title;
  int64_t created_at = 0;  // seconds
  int64_t updated_at = 0;  // seconds
  std::optional<int64_t> published_at;
  std::optional<int64_t> scheduled_at;
  std::optional<int64_t> expires_at;
  std::optional<int64_t> deleted_at;

  // {"id":…,"root_id":…,"version":…,"type":…,"tenant":…,"locale":…,"status":…,"data":{…},
  //  "created_at":…,"updated_at":…,"published_at":…|null} — `data` spliced in as stored.
  std::string ToJson() const;
};

// Which axis of a document a read looks at.
enum class Axis { kPublished, kDraft };

// Who is reading, for per-document permissions. The default principal is anonymous: it
// matches only `public` rules.
struct Principal {
  std::optional<std::string> user_id;
  std::vector<std::string> roles;
  std::vector<std::string> groups;

  bool anonymous() const { return !user_id && roles.empty() && groups.empty(); }
  // A canonical text form ("u:alice|r:editor,viewer|g:") — equal principals, equal text.
  std::string CanonicalKey() const;
};

// ---- Queries -------------------------------------------------------------------------------

enum class FilterOp { kEq, kNe, kLt, kLte, kGt, kGte, kIn };
std::optional<FilterOp> ParseFilterOp(std::string_view name);  // "eq", "ne", … "in"
const char* FilterOpName(FilterOp op);

// A filter value as the query gave it. Compared with the column's SQLite affinity, so
// "5" against an INTEGER column means 5.
using FilterValue = std::variant<std::string, int64_t, double, bool>;

struct FieldFilter {
  std::string field;  // a registered queryable field of the query's type
  FilterOp op = FilterOp::kEq;
  std::vector<FilterValue> values;  // exactly one, except for kIn (one or more, at most 100)
};

struct FacetFilter {
  std::string field;  // a registered facet of the query's type, e.g. "tags"
  std::string value;  // the document's facet values must contain it
};

enum class SortOrder { kDesc, kAsc };

// A keyset-paginated listing. Sort is `updated_at` (default), `created_at`, or a registered
// field; ties are broken by `id` in the same direction.
struct Query {
  std::string tenant = "default";
  std::string type;
  std::string locale = "default";
  Axis axis = Axis::kPublished;
  std::vector<FieldFilter> filters;
  std::vector<FacetFilter> facets;
  std::string sort = "updated_at";
  SortOrder order = SortOrder::kDesc;
  int limit = 20;      // 1..100
  std::string cursor;  // empty for the first page; else the previous page's next_cursor
  Principal principal;

  // A canonical text form of everything that selects rows (not limit, not cursor): two queries
  // with the same key list the same documents in the same order. Cursors are bound to it.
  std::string CanonicalKey() const;
};

inline constexpr int kMaxLimit = 100;
inline constexpr size_t kMaxDataBytes = 1 << 20;  // D1's row limit for a document's data

// One page of a listing.
struct Page {
  std::string documents_json;  // "[{…},{…}]": each document as Document::ToJson() writes it
  int count = 0;
  std::optional<std::string> next_cursor;  // absent on the last page
  // What the page depends on, read in the same snapshot as its rows (changes.h): the cache
  // tiers drop the page when a change-log entry's root Touches it. Immutable; shared.
  std::shared_ptr<const PageDependency> dependency;
};

// ---- Writes --------------------------------------------------------------------------------

// Optional columns a create/update/patch may set besides data. Unset means "keep" on update.
struct DocumentFields {
  std::optional<std::string> slug;
  std::optional<std::string> title;
  std::optional<std::string> locale;  // create only; defaults to "default"
  std::optional<int64_t> scheduled_at;
  std::optional<int64_t> expires_at;
  std::optional<std::string> actor;  // written to created_by / updated_by
};

struct CreateOp {
  std::string tenant = "default";
  std::string type;
  std::string data;  // a JSON object, at most kMaxDataBytes
  DocumentFields fields;
};
struct UpdateOp {  // replaces data: a new current-draft version
  std::string tenant = "default";
  std::string root_id;
  std::string data;
  DocumentFields fields;
};
struct PatchOp {  // RFC 7396 merge patch over the current draft's data: a new version
  std::string tenant = "default";
  std::string root_id;
  std::string data;
  DocumentFields fields;
};
enum class LifecycleAction { kPublish, kUnpublish, kDelete, kRestore };
struct LifecycleOp {
  std::string tenant = "default";
  std::string root_id;
  LifecycleAction action = LifecycleAction::kPublish;
};
using WriteOp = std::variant<CreateOp, UpdateOp, PatchOp, LifecycleOp>;

// What a write did, for the caches above: which (tenant, type) listings it may have changed.
struct WriteResult {
  Document document;    // the document as it now stands (current draft, or published row)
  bool changed = true;  // false for a no-op (publishing what is published, …)
};

// ---- Permissions ---------------------------------------------------------------------------

struct PermissionRule {
  std::string principal_type;  // user | role | group | public | token
  std::string principal_id;    // empty for public
  std::string permission;      // read | create | update | delete | publish | manage
  std::string effect;          // allow | deny
};

// ---- Cache support -------------------------------------------------------------------------

// The invalidation generations of (tenant, type). Since migration 0007 they move only on coarse
// events: a type registration that changes the type (both axes of every (tenant, type) of it),
// an import (every generation), the upgrade to 0007 itself. Per-document changes are in the
// change log instead (changes.h). Each axis's salt is redrawn at random with every move of its
// generation (migration 0006), so (generation, salt) never repeats, even after the database
// went back in time. A (tenant, type) without a row has generation 0 and salt 0.
struct TypeGeneration {
  std::string tenant;
  std::string type;
  int64_t published = 0;
  int64_t draft = 0;
  int64_t published_salt = 0;
  int64_t draft_salt = 0;
};

// ---- Migrations ----------------------------------------------------------------------------

struct MigrationInfo {
  std::string id;
  std::string filename;
  std::string checksum;
  bool applied = false;
  std::string applied_at;
  bool checksum_matches = true;
};

}  // namespace folio::storage
