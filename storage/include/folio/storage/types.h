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

// What a queryable field is, as SonicJS's `QueryableField.kind` says.
enum class FieldRole {
  kScalar,     // a q_* generated column: filters, sorts
  kFacet,      // one document_facets row per value (an array gives one per element)
  kReference,  // one document_references row per referenced root id
};
enum class RefStrength { kWeak, kStrong };  // a strong reference blocks deleting its target

// One entry of `document_types.queryable_fields`, in SonicJS's shape:
// {"name","path"?,"kind":"scalar"|"facet"|"reference","type"?,"column"?,"refStrength"?}.
struct QueryableField {
  std::string name;  // [A-Za-z_][A-Za-z0-9_]{0,63}
  FieldRole role = FieldRole::kScalar;
  std::string path{};  // "$.a" or "$.a.b" (keys of [A-Za-z0-9_]); empty means "$.<name>"
  std::optional<FieldKind> type{};  // scalars: the column's type; absent reads as text
  std::string column{};             // scalars: the q_* column; empty derives it as SonicJS does
  std::optional<RefStrength> ref_strength{};  // references; absent is weak

  std::string EffectivePath() const { return path.empty() ? "$." + name : path; }
  bool operator==(const QueryableField&) const = default;
};

// `document_types.settings` (SonicJS's DocumentTypeSettings). Unset keys take SonicJS's
// defaults; keys folio does not interpret (`pii`, `internal`, …) are kept in `other_json` and
// written back as they were.
struct TypeSettings {
  // true: every save makes a new version row, pruned to max_versions_per_root. false (the
  // default): a draft that is not published is updated in place, and a publish deletes the
  // superseded published row: at most a draft and a published row per root.
  std::optional<bool> versioning;
  std::optional<int64_t> max_versions_per_root;  // with versioning; unset: StoreOptions'
  // Documents live in one shared pool (tenant "__global__"), visible from every tenant.
  std::optional<bool> global;
  // Permissions granted by type when a document has no rule of its own for them:
  // principal ("public" or a role name) → permissions. Unset when the type gives none.
  std::optional<std::map<std::string, std::vector<std::string>>> base_grants;
  // "jsonSchema": a JSON Schema (draft 3, 4, 6 or 7; its text) every create, update and patch
  // must leave `data` matching. A folio key: SonicJS's own `schema` column keeps its meaning.
  std::optional<std::string> json_schema{};
  std::string other_json = "{}";  // the other keys, a JSON object

  bool Versioning() const { return versioning.value_or(false); }
  bool Global() const { return global.value_or(false); }
  bool operator==(const TypeSettings&) const = default;
};

// The tenant every document of a `global` type is stored under (SonicJS's GLOBAL_TENANT).
inline constexpr const char* kGlobalTenant = "__global__";

struct TypeDefinition {
  std::string id;            // [a-z0-9][a-z0-9_-]{0,63}, e.g. "blog-post"; shared by all tenants
  std::string display_name;  // defaults to id
  // The short form of the queryable fields, kept as a convenience: on registration each entry
  // not named in `queryable_fields` is added to it (a scalar of that kind, a facet). A
  // registered type returns both forms, consistent with each other.
  std::map<std::string, FieldKind> fields;         // scalars: name → kind (text when untyped)
  std::vector<std::string> facets;                 // facet names
  std::vector<QueryableField> queryable_fields{};  // the full form, in registration order
  TypeSettings settings{};
  std::string description{};
  int64_t schema_version = 0;  // set by the store: moves each time the stored schema changes

  // The queryable field `name`, or null.
  const QueryableField* Find(const std::string& name) const;
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
  std::optional<std::string> path;
  std::string parent_root_id;  // "" for a top-level document
  int64_t sort_order = 0;      // its place among its parent's children
  std::optional<std::string> created_by;
  std::optional<std::string> updated_by;

  // {"id","root_id","version","type","tenant","locale","status","slug","title","path",
  //  "parent_root_id","sort_order","data":{…},"created_at","updated_at","published_at",
  //  "scheduled_at","expires_at","created_by","updated_by"} (absent values null) — `data`
  // spliced in as stored. Listings write each document the same way.
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

// A keyset-paginated listing. Sort is `updated_at` (default), `created_at`, `sort_order` (a
// document's place among its parent's children) or a registered field; ties are broken by
// `id` in the same direction.
struct Query {
  std::string tenant = "default";
  std::string type;
  std::string locale = "default";
  Axis axis = Axis::kPublished;
  std::vector<FieldFilter> filters;
  std::vector<FacetFilter> facets;
  std::optional<std::string> slug;    // only documents with this slug (a by-slug read)
  std::optional<std::string> parent;  // only the children of this root ("": top level)
  std::optional<std::string> root{};  // only this document (a single read that embeds)
  // Reference fields whose documents each listed document embeds, as
  // "embedded":{"<field>":[{…},…]} (on the query's axis, readable by its principal, at most
  // kMaxEmbeddedPerField per field, in reference order). At most kMaxIncludes names.
  std::vector<std::string> include{};
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
inline constexpr size_t kMaxIncludes = 8;
inline constexpr int kMaxEmbeddedPerField = 20;
inline constexpr size_t kMaxDataBytes = 1 << 20;  // D1's row limit for a document's data

// One page of a listing.
struct Page {
  std::string documents_json;  // "[{…},{…}]": each document as Document::ToJson() writes it
  int count = 0;
  std::optional<std::string> next_cursor;  // absent on the last page
  // What the page depends on, read in the same snapshot as its rows (changes.h): the cache
  // tiers drop the page when a change-log entry's root Touches it. Immutable; shared.
  std::shared_ptr<const PageDependency> dependency;
  // False when the page embeds a published document whose schedule window opens or closes
  // later: no change-log entry marks that moment, so the page must not be cached.
  bool cacheable = true;
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
  // The document's parent ("" makes it top level; else a document of the same tenant) and
  // its place among the parent's children.
  std::optional<std::string> parent_root_id{};
  std::optional<int64_t> sort_order{};
  // Update and patch: remove the document's scheduled_at / expires_at (a JSON null), where an
  // unset field keeps it. Refused together with a value for the same field.
  bool clear_scheduled_at = false;
  bool clear_expires_at = false;
};

// Each op's `principal` is who makes the write. Unset: an administrator (the token holder),
// allowed everything. Set: the document's permission rules and its type's baseGrants must
// allow the write (create, update, delete or publish; deny wins, as SonicJS decides), else
// PermissionDenied and nothing is written; its user id is recorded as created_by /
// updated_by (in place of DocumentFields::actor).
struct CreateOp {
  std::string tenant = "default";
  std::string type;
  std::string data;  // a JSON object, at most kMaxDataBytes
  DocumentFields fields;
  std::optional<Principal> principal{};
};
struct UpdateOp {  // replaces data: a new current-draft version
  std::string tenant = "default";
  std::string root_id;
  std::string data;
  DocumentFields fields;
  std::optional<Principal> principal{};
};
struct PatchOp {  // RFC 7396 merge patch over the current draft's data: a new version
  std::string tenant = "default";
  std::string root_id;
  std::string data;
  DocumentFields fields;
  std::optional<Principal> principal{};
};
// kDelete refuses (Conflict, naming them) while live documents hold a strong reference to
// the document. kRestoreVersion makes a new current draft from version `version`'s data,
// slug, title and schedule.
enum class LifecycleAction { kPublish, kUnpublish, kDelete, kRestore, kRestoreVersion };
struct LifecycleOp {
  std::string tenant = "default";
  std::string root_id;
  LifecycleAction action = LifecycleAction::kPublish;
  int64_t version = 0;  // kRestoreVersion only
  // kPublish and kUnpublish need publish; kDelete and kRestore, delete; kRestoreVersion, update.
  std::optional<Principal> principal{};
};
using WriteOp = std::variant<CreateOp, UpdateOp, PatchOp, LifecycleOp>;

// What a write did, for the caches above: which (tenant, type) listings it may have changed.
struct WriteResult {
  Document document;    // the document as it now stands (current draft, or published row)
  bool changed = true;  // false for a no-op (publishing what is published, …)
};

// ---- Versions and references -------------------------------------------------------------

// A page of a document's versions, newest first.
struct VersionList {
  std::vector<Document> versions;
  std::optional<std::string> next_cursor;  // absent on the last page
};

// A live document that references another ("where used"): one per (referring row, field,
// position).
struct Referrer {
  std::string root_id;      // the referring document
  std::string document_id;  // its row (version) that holds the reference
  std::string type;
  std::string field;  // the reference field
  int64_t ordinal = 0;
  RefStrength strength = RefStrength::kWeak;
  bool published = false;      // the row is the published one
  bool current_draft = false;  // the row is the current draft
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
