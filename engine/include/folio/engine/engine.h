// folio::Engine: keyset-paginated document queries through three tiers — an in-process LRU
// (L1), a persistent LMDB cache shared by every folio process on the data dir (L2), and the
// SQLite document store (L3) — with writes that invalidate what they change.
//
// Reads. Query() and Get() look in L1, then L2 (filling L1 on a hit), then SQLite (filling
// both). Concurrent misses on the same page run one SQLite query; the others wait for it —
// the blocking forms on their own thread, the async forms parked on the read in progress,
// holding no engine thread.
//
// Consistency (docs/design.md §4). Invalidation is precise: a write drops only the cached
// pages and documents it changes. SQLite triggers log every change (root, tenant, type, axes)
// in the writing transaction, whoever writes. The engine applies that log in order: for each
// changed root it loads the root as it now stands and drops a cached page iff the root is
// one of the page's rows (the look-ahead row that decided next_cursor included), or its row
// now matches the page's query with its sort key inside the page's range — (cursor, last
// row] when another page follows, (cursor, end) otherwise — found through an index of
// cached pages per (tenant, type, axis) and per root, never a scan. A single document is
// dropped only by changes to its root. So:
//  - read-your-writes: a write through any folio process bumps the shared epoch in
//    <data_dir>/folio.epoch after it commits and applies the log before it returns; a query
//    that starts afterwards, in any process, sees the epoch move and applies the log first;
//  - no stale fill: every page and document carries the log position of the snapshot it was
//    read from, and enters L1 only if no change applied since touches it;
//  - L2 entries (shared by processes, kept across restarts) are served only when their read
//    position is in the retained log of this database's timeline and no change since
//    touches them: validity follows from committed state, so a crash between a commit and
//    any later step leaves nothing stale, and a database restored from a backup is never
//    answered for with pages of the lost timeline;
//  - writers outside folio are noticed by polling SQLite's data_version within
//    Options::external_write_bound_micros;
//  - generations remain the coarse fallback: a type registration or an import re-keys the
//    type's entries; a log this process cannot follow (pruned past it, or rolled back)
//    clears L1.
// A published page also expires at its type's next schedule boundary (scheduled_at /
// expires_at), and pages and documents are keyed by the reading principal.
//
// Faults. An L2 that is full, missing, corrupt or failing never fails a query: the engine
// answers from SQLite and counts the fault.
//
// Async. The Async* forms take any Asio completion token (a callback, use_future,
// use_awaitable) with the signature void(Result<T>). Other work than an L1 hit runs on the
// engine's own SQLite threads, never on the caller's. Completion goes through the handler's
// associated executor: a coroutine resumes on its own executor and a callback bound with
// asio::bind_executor runs there (both by post, never inside the initiating call); a plain
// callback runs at once on an L1 hit and on the engine thread otherwise.
//
// Thread-safety: every method may be called from any thread at once.
#pragma once

#include <array>
#include <atomic>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/system_executor.hpp>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "folio/base/status.h"
#include "folio/engine/options.h"
#include "folio/engine/page.h"
#include "folio/engine/stats.h"
#include "folio/storage/types.h"

namespace folio {

class Engine {
 public:
  // Opens the data dir: the SQLite store (migrated), L1, and L2 (an L2 that cannot be opened
  // is a counted fault, not an error: the engine runs without it).
  static Result<std::unique_ptr<Engine>> Open(const Options& options);
  // What MigrationStatus answers, for the database options.db_path names, without opening an
  // engine: nothing is applied, created or written (no L2, no epoch file), so it shows what
  // opening the database would apply. NotFound when the file does not exist.
  static Result<std::vector<storage::MigrationInfo>> ReadMigrationStatus(const Options& options);
  // Stops the background threads after flushing pending L2 fills.
  // REQUIRES: no call in progress, no async operation outstanding.
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // ---- Reads ----
  Result<PageRef> Query(const storage::Query& query);
  Result<DocumentRef> Get(const std::string& tenant, const std::string& root_id, storage::Axis axis,
                          const storage::Principal& principal = {});
  // As Get, with the documents its reference fields `include` name embedded (Query::include):
  // a one-row listing of the document's type (Query::root), cached and invalidated as
  // listings are, its embedded documents included. An unknown include is InvalidArgument.
  Result<DocumentRef> Get(const std::string& tenant, const std::string& root_id, storage::Axis axis,
                          const storage::Principal& principal,
                          const std::vector<std::string>& include);

  // A document of `type` by its slug in `locale`: a one-row listing (Query::slug), cached and
  // invalidated as every listing is. kPublished reads the published row, kDraft the current
  // draft, kAny the published row else the current draft (SonicJS's getBySlug). NotFound
  // when no readable document has the slug.
  enum class SlugStatus { kPublished, kDraft, kAny };
  Result<DocumentRef> GetBySlug(const std::string& tenant, const std::string& type,
                                const std::string& slug, const std::string& locale,
                                SlugStatus status, const storage::Principal& principal = {},
                                const std::vector<std::string>& include = {});
  // A document's versions, one version, and the documents that reference it: read from the
  // store each time (uncached; DocumentStore documents them).
  Result<storage::VersionList> ListVersions(const std::string& tenant, const std::string& root_id,
                                            int limit, const std::string& cursor);
  Result<storage::Document> GetVersion(const std::string& tenant, const std::string& root_id,
                                       int64_t version);
  Result<std::vector<storage::Referrer>> ListReferrers(const std::string& tenant,
                                                       const std::string& root_id, int limit);

  // ---- Representations (for servers) ----
  // A form derived from a page's body — a content-coding such as "gzip" or "br" — made by
  // `derive` the first time it is asked for and kept in L1 beside the page, keyed by `form`
  // and the page's content tag: it is made once per fill, not once per request. Addressed by
  // content, it is never stale and needs no invalidation; the form of a page no longer served
  // is only evicted. Two first requests at once may both derive it (one result is kept).
  // `form` must name one derivation: the same name always derives the same bytes from the
  // same body (at most 30 characters). nullptr when `derive` returns nullopt (nothing is cached).
  std::shared_ptr<const std::string> DerivedForm(
      const PageRef& page, std::string_view form,
      const std::function<std::optional<std::string>(std::string_view body)>& derive);

  // ---- Writes (each returns after its commit and its invalidation) ----
  Result<storage::WriteResult> Write(const storage::WriteOp& op);
  Result<std::vector<storage::WriteResult>> WriteBatch(const std::vector<storage::WriteOp>& ops);
  Result<storage::TypeDefinition> RegisterType(const storage::TypeDefinition& type);
  // With a principal, both need `manage` on the document (DocumentStore::SetPermissions).
  Status SetPermissions(const std::string& tenant, const std::string& root_id,
                        const std::vector<storage::PermissionRule>& rules,
                        const std::optional<storage::Principal>& principal = std::nullopt);
  Result<std::vector<storage::PermissionRule>> GetPermissions(
      const std::string& tenant, const std::string& root_id,
      const std::optional<storage::Principal>& principal = std::nullopt);

  // ---- Administration (uncached: each call goes to the store) ----
  // The registered types, and one by id (NotFound when not registered): copies out of the
  // store's in-memory registry. GetType reads SQLite only for an id the registry does not
  // hold (another process may have registered it; that reloads every type), so ListTypes
  // shows another process's registrations once a GetType has missed.
  Result<storage::TypeDefinition> GetType(const std::string& id) const;
  std::vector<storage::TypeDefinition> ListTypes() const;
  // Every bundled migration, applied or pending, with its checksums. One read of the
  // migrations table, on the write connection: it waits for a write in progress.
  Result<std::vector<storage::MigrationInfo>> MigrationStatus();
  // SQLite's plan for `query`'s listing: EXPLAIN QUERY PLAN's lines for the statement its read
  // would run, with the same bound values. Validated as Query validates it; reads no row and
  // caches nothing; one pooled read connection for the call.
  Result<std::vector<std::string>> ExplainQuery(const storage::Query& query);
  // Writes the whole database as a SQL script, in pieces, to `sink` (DocumentStore::ExportSql
  // says what it holds). One read transaction, so writes go on and the dump is one snapshot;
  // it holds a pooled read connection until the dump ends. A sink error ends it, returned.
  Status ExportSql(const std::function<Status(std::string_view)>& sink);
  // Creates the database an Engine opened with `options` would serve (db_path, else
  // <data_dir>/folio.sqlite; the data dir is created when missing) from a script ExportSql or
  // the sqlite3 shell wrote; an existing file is a Conflict. The new database has an identity
  // of its own: no cache entry or cursor made for another database answers for it, an L2
  // left in the data dir included. Opens no Engine; call it with none open on that file.
  static Status ImportSql(const Options& options, std::string_view script);

  // ---- Async forms ----
  // The L1 lookup runs in this call, whatever the token: a hit completes with the page found
  // now (a deferred token, such as use_awaitable, completes with it when awaited) and copies
  // nothing of `query`; a miss takes a copy of `query` and its key to the engine's threads.
  template <typename CompletionToken>
  auto AsyncQuery(const storage::Query& query, CompletionToken&& token) {
    const Lookup lookup = PrepareLookup(query);
    std::optional<PageRef> hit = LookupMemory(lookup);
    std::optional<storage::Query> below;
    if (!hit) below.emplace(query);
    return boost::asio::async_initiate<CompletionToken, void(Result<PageRef>)>(
        [this](auto handler, Lookup l, std::optional<PageRef> h, std::optional<storage::Query> q) {
          // this-> spelled out: clang 14 takes a member call in a generic lambda for an
          // unused capture of `this` otherwise (-Wunused-lambda-capture).
          if (h) {
            this->Complete(std::move(handler), Result<PageRef>(std::move(*h)));
            return;
          }
          this->RunQueryOffThread(std::move(handler), std::move(*q), l);
        },
        token, lookup, std::move(hit), std::move(below));
  }

  template <typename CompletionToken>
  auto AsyncGet(std::string tenant, std::string root_id, storage::Axis axis,
                storage::Principal principal, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(Result<DocumentRef>)>(
        [this](auto handler, std::string t, std::string r, storage::Axis a, storage::Principal p) {
          this->RunOffThread(std::move(handler), [this, t = std::move(t), r = std::move(r), a,
                                                  p = std::move(p)]() { return Get(t, r, a, p); });
        },
        token, std::move(tenant), std::move(root_id), axis, std::move(principal));
  }

  template <typename CompletionToken>
  auto AsyncWrite(storage::WriteOp op, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(Result<storage::WriteResult>)>(
        [this](auto handler, storage::WriteOp o) {
          this->RunOffThread(std::move(handler), [this, o = std::move(o)]() { return Write(o); });
        },
        token, std::move(op));
  }

  // Runs `fn` (any blocking call on this engine) on the engine's threads and completes with
  // its result. For the calls without a dedicated async form.
  template <typename R, typename CompletionToken>
  auto AsyncRun(std::function<R()> fn, CompletionToken&& token) {
    return boost::asio::async_initiate<CompletionToken, void(R)>(
        [this](auto handler, std::function<R()> f) {
          this->RunOffThread(std::move(handler), std::move(f));
        },
        token, std::move(fn));
  }

  // Applies every change committed before the call, by any writer: what the background poller
  // does every external_write_bound_micros / 2. For a caller that knows another program just
  // wrote and wants it reflected now.
  Status Refresh();

  // ---- Introspection ----
  EngineStats Stats() const;
  // Waits until every queued L2 fill is written. For tests and shutdown.
  void FlushFills();
  const Options& options() const;

  // The cache key of a query, computed once; what the async forms pass between threads.
  struct Lookup {
    std::array<char, 24> key;  // 128-bit query hash + 64-bit generation (coarse fallback)
    uint64_t hash;             // of `key`, for the L1 shard and table
    // The change-log position this process had applied when the lookup was made: misses
    // share one SQLite read only with readers that started at the same position, so a
    // reader that starts after a write never waits for a read that began before it.
    int64_t applied_seq;
  };

 private:
  class Impl;
  explicit Engine(std::unique_ptr<Impl> impl);

  Lookup PrepareLookup(const storage::Query& query);
  // The only document of `query`'s page (limit 1), or NotFound(`not_found`).
  Result<DocumentRef> GetOne(storage::Query query, const std::string& not_found);
  std::optional<PageRef> LookupMemory(const Lookup& lookup);
  Result<PageRef> QueryBelowMemory(const storage::Query& query, const Lookup& lookup);
  // As QueryBelowMemory, completing through `done`; a miss that joins another's read in
  // progress parks `done` on it and returns at once (the reader calls it).
  void QueryBelowMemoryAsync(const storage::Query& query, const Lookup& lookup,
                             std::function<void(Result<PageRef>)> done);
  void AfterWrite();
  void Post(std::function<void()> work);

  // A plain callback (no executor of its own) runs right here; a handler with an executor
  // (a coroutine, a bound strand) is posted to it, never resumed inside the initiating call.
  template <typename Handler, typename R>
  static void Complete(Handler&& handler, R&& result) {
    auto ex = boost::asio::get_associated_executor(handler);
    if constexpr (std::is_same_v<decltype(ex), boost::asio::system_executor>) {
      std::forward<Handler>(handler)(std::forward<R>(result));
    } else {
      boost::asio::post(
          ex, [h = std::forward<Handler>(handler), r = std::forward<R>(result)]() mutable {
            std::move(h)(std::move(r));
          });
    }
  }

  // Runs fn() on the engine's threads, then completes `handler` with its result through the
  // handler's executor, keeping that executor's work count up meanwhile. An exception out of
  // fn() (a bug, or a throwing library a caller's fn reached) completes the handler with an
  // Internal status instead of ending the engine's thread.
  template <typename Handler, typename Fn>
  void RunOffThread(Handler handler, Fn fn) {
    auto work = boost::asio::make_work_guard(boost::asio::get_associated_executor(handler));
    auto shared = std::make_shared<Handler>(std::move(handler));
    Post([shared, work = std::move(work), fn = std::move(fn)]() mutable {
      using R = decltype(fn());
      std::optional<R> result;
      try {
        result.emplace(fn());
      } catch (const std::exception& e) {
        result.emplace(Status::Internal(std::string("unexpected exception: ") + e.what()));
      } catch (...) {
        result.emplace(Status::Internal("unexpected exception"));
      }
      Complete(std::move(*shared), std::move(*result));
      work.reset();
    });
  }

  // The async query below L1: runs on the engine's threads and completes `handler` when the
  // page is known — possibly later, from the thread of another query's SQLite read.
  template <typename Handler>
  void RunQueryOffThread(Handler handler, storage::Query query, Lookup lookup) {
    auto work = boost::asio::make_work_guard(boost::asio::get_associated_executor(handler));
    using Work = decltype(work);
    struct Pending {
      Pending(Handler h, Work w) : handler(std::move(h)), work(std::move(w)) {}
      Handler handler;
      Work work;
      std::atomic<bool> completed{false};
    };
    auto pending = std::make_shared<Pending>(std::move(handler), std::move(work));
    Post([this, pending, query = std::move(query), lookup]() {
      auto done = [pending](Result<PageRef> result) {
        if (pending->completed.exchange(true)) return;  // once, even after an exception
        Complete(std::move(pending->handler), std::move(result));
        pending->work.reset();
      };
      try {
        QueryBelowMemoryAsync(query, lookup, done);
      } catch (const std::exception& e) {
        done(Status::Internal(std::string("unexpected exception: ") + e.what()));
      } catch (...) {
        done(Status::Internal("unexpected exception"));
      }
    });
  }

  std::unique_ptr<Impl> impl_;
};

}  // namespace folio
