// The change log and page dependencies: what the cache tiers above the store need to drop
// exactly the pages a write changes, and nothing else.
//
// Change log. SQLite triggers (migration 0007) append one row to `folio_changes` for every
// change to a document row, a facet row or a permission rule, in the writing transaction,
// whoever writes (folio, the sqlite3 shell, a Node app). A row names the root it changed, its
// tenant and type, and the axes (published, current draft) the change can reach. Each row
// draws a random salt, so a position (seq, salt) names one state of one timeline: after the
// database went back in time (a backup restored, commits lost to a power loss), the same seq
// comes back with another salt. The log is pruned by the triggers to its newest
// kChangeLogRetained rows; it is never empty (migration 0007 writes a first row).
//
// Page dependencies. A listing page holds every row that matches its query with a sort key
// inside its range: (cursor, last row] when another page follows, (cursor, end) otherwise. So
// a change to root r can alter the page iff r is one of its rows (the look-ahead row that
// decided next_cursor counts), or r's row on the page's axis, as it stands after the change,
// matches the query with its sort key inside that range. ListingPredicate and PageDependency
// evaluate that rule in C++ with SQLite's own comparison semantics (storage classes, numeric
// comparison across INTEGER and REAL, BINARY text, NULL), against a RootImage: the rows of
// one root as they stand now.
//
// All types here are immutable values once built; share them freely between threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "folio/storage/types.h"

namespace folio::storage {

// How many rows of the change log the triggers keep (the newest). Migration 0007's prune
// trigger writes the same number in SQL (it cannot read this one): change both together, in
// a new migration. The trigger prunes at every 256th row, so the log holds kChangeLogRetained
// to kChangeLogRetained + 255 rows.
inline constexpr int64_t kChangeLogRetained = 65536;

// A position in the change log: a seq and the salt drawn with it. Two positions are the same
// state of the database iff both are equal.
struct LogPosition {
  int64_t seq = 0;
  int64_t salt = 0;
  bool operator==(const LogPosition&) const = default;
};

// One row of the change log.
struct Change {
  LogPosition position;
  std::string tenant;
  std::string type;
  std::string root_id;
  bool published = false;  // the change can reach the published axis
  bool draft = false;      // … the current-draft axis
};

// What DocumentStore::ReadChanges found after a position.
struct ChangeBatch {
  // False when `after` is no longer in the log: it was pruned, or the database went back in
  // time (the seq is gone, or came back with another salt). The reader must then drop what
  // it cached from the log, as nothing tells it what changed. (`changes` is empty then.) The
  // default LogPosition{} is the start of the log, never discontinuous: a reader there knows
  // nothing yet, and reads the oldest retained rows.
  bool continuous = true;
  std::vector<Change> changes;  // in seq order, at most the limit asked for
  LogPosition head;             // the newest row of the log when read
};

// A value as SQLite holds it: NULL, INTEGER, REAL or TEXT.
using SqlValue = std::variant<std::monostate, int64_t, double, std::string>;

// A row's place in a listing's order: its sort value and its id.
struct SortPosition {
  SqlValue sort_value;
  std::string id;
};

// SQLite's order of two values: NULL < INTEGER/REAL (compared as numbers, exactly) < TEXT
// (compared bytewise, BINARY). Negative, zero or positive. A NaN REAL is taken for NULL, as
// SQLite takes it (it never stores one: binding NaN binds NULL).
int CompareSqlValues(const SqlValue& a, const SqlValue& b);

// One root's row on one axis as a listing sees it.
struct RowImage {
  bool present = false;  // false: the root has no row on this axis
  std::string id;        // the row's (version's) id
  std::string type;
  std::string locale;
  std::optional<int64_t> deleted_at;
  std::optional<int64_t> scheduled_at;
  std::optional<int64_t> expires_at;
  int64_t created_at = 0;
  int64_t updated_at = 0;
  // The value of each registered field of `type`, read from its q_* column (after SQLite
  // applied the column's affinity), by field name; and, under names no registered field can
  // have, the row's own columns a listing may filter or sort on: "$slug", "$parent"
  // (parent_root_id), "$sort_order" and "$root" (root_id).
  std::vector<std::pair<std::string, SqlValue>> fields;
  // The row's facet rows. SonicJS writes a number to value_number with value_text NULL.
  struct Facet {
    std::string field;                // field_name
    std::optional<std::string> text;  // value_text
    std::optional<double> number{};   // value_number, read only when value_text is NULL
    bool operator==(const Facet&) const = default;
  };
  std::vector<Facet> facets;
};

// A root's rows as they stand, on both axes, with its read rules (which apply to every
// version of the root).
struct RootImage {
  std::string tenant;
  std::string root_id;
  RowImage published;                      // the row with is_published = 1
  RowImage draft;                          // the row with is_current_draft = 1
  std::vector<PermissionRule> read_rules;  // permission = 'read'

  const RowImage& on(Axis axis) const { return axis == Axis::kPublished ? published : draft; }
};

// What DocumentStore::ReadCatchUp reads besides the changes.
struct CatchUpParts {
  bool generations = false;  // every TypeGeneration
  bool roots = false;        // the roots the changes name, as they stand
};

// What a reader following the log needs, from one snapshot (DocumentStore::ReadCatchUp).
struct CatchUpBatch {
  std::vector<TypeGeneration> generations;  // when asked
  ChangeBatch changes;
  // When asked: each (tenant, root) of `changes` once, in the order of its first change, as it
  // stands in the snapshot the changes were read from: at `changes.head`, which is past the
  // last change returned when the limit cut the batch.
  std::vector<RootImage> roots;
};

// The row-selecting part of one listing query (everything but cursor and limit), compiled
// against its type: shared by every page of that query.
class ListingPredicate {
 public:
  virtual ~ListingPredicate() = default;
  // Query::CanonicalKey() of the query: equal keys, equal predicates.
  virtual const std::string& key() const = 0;
  virtual const std::string& tenant() const = 0;
  virtual const std::string& type() const = 0;
  virtual Axis axis() const = 0;
  // Where `root`'s row on this predicate's axis stands in the listing, when it is listed at
  // `now_seconds` (tenant, type, locale, axis, not deleted, inside its schedule window,
  // readable by the query's principal, every filter and facet); nullopt when it is not.
  virtual std::optional<SortPosition> Match(const RootImage& root, int64_t now_seconds) const = 0;
  // True when `position` is strictly after `bound` in this listing's order.
  virtual bool After(const SortPosition& position, const SortPosition& bound) const = 0;

  // A necessary condition of Match, for indexing listings by value: a row matches only if
  // its value of `field` (a registered field's q_* value; or, when `facet`, one of its facet
  // values of that name) compares equal (CompareSqlValues) to one of `values`. The first eq /
  // in filter, else the first facet filter; nullopt when the query has neither.
  struct EqualityKey {
    std::string field;
    bool facet = false;
    std::vector<SqlValue> values;
  };
  virtual std::optional<EqualityKey> IndexKey() const = 0;
};

// What one cached listing page depends on. Built by DocumentStore::ListInto.
class PageDependency {
 public:
  PageDependency(std::shared_ptr<const ListingPredicate> predicate,
                 std::optional<SortPosition> after, std::optional<SortPosition> through,
                 std::vector<std::string> roots, LogPosition read_at,
                 std::vector<std::string> embedded_roots = {})
      : predicate_(std::move(predicate)),
        after_(std::move(after)),
        through_(std::move(through)),
        roots_(std::move(roots)),
        embedded_roots_(std::move(embedded_roots)),
        read_at_(read_at) {}

  const ListingPredicate& predicate() const { return *predicate_; }
  const std::shared_ptr<const ListingPredicate>& shared_predicate() const { return predicate_; }
  // The roots of the page's rows, and of the look-ahead row when one was read.
  const std::vector<std::string>& roots() const { return roots_; }
  // The roots the page's rows reference through its included fields, shown or not (a change
  // can make one readable): any change to one touches the page, whatever its tenant.
  const std::vector<std::string>& embedded_roots() const { return embedded_roots_; }
  // The cursor's position (exclusive); none on a first page.
  const std::optional<SortPosition>& after() const { return after_; }
  // The last row (inclusive) when a next page follows; none: the range runs to the end.
  const std::optional<SortPosition>& through() const { return through_; }
  // The change log's newest row in the snapshot the page was read from.
  LogPosition read_at() const { return read_at_; }
  // True when a row at `position` (one Match returned) falls inside the page's range.
  bool InRange(const SortPosition& position) const {
    if (after_ && !predicate_->After(position, *after_)) return false;
    if (through_ && predicate_->After(position, *through_)) return false;
    return true;
  }
  // The whole rule: true when `root`, as it stands now, can make this page differ from what
  // was read.
  bool Touches(const RootImage& root, int64_t now_seconds) const;

 private:
  std::shared_ptr<const ListingPredicate> predicate_;
  std::optional<SortPosition> after_;    // the cursor's position (exclusive); none: the start
  std::optional<SortPosition> through_;  // the last row (inclusive) when a next page follows
  std::vector<std::string> roots_;
  std::vector<std::string> embedded_roots_;
  LogPosition read_at_;
};

}  // namespace folio::storage
