#include "folio/engine/engine.h"

#include <algorithm>
#include <array>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <set>
#include <thread>
#include <unordered_map>

#include "detail/counters.h"
#include "detail/freshness.h"
#include "detail/inflight.h"
#include "detail/l2_tier.h"
#include "detail/page_codec.h"
#include "detail/query_key.h"
#include "detail/shared_epoch.h"
#include "folio/cache/lru_cache.h"
#include "folio/storage/changes.h"
#include "folio/storage/document_store.h"

namespace folio {

using detail::CacheKey;
using detail::KeyView;
using Bytes = std::shared_ptr<const std::string>;

namespace {

int64_t SteadyNanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

constexpr uint64_t kMemoryLatencySampleMask = 63;  // time 1 in 64 L1 hits

// LMDB forbids opening one environment twice in a process: a second open finds no other
// process's lock and resets the lock file under the first, and closing either handle drops
// the other's locks. So the first Engine on a data dir claims its L2 for the process, and
// a second one opened meanwhile runs without L2.
class L2Claim {
 public:
  static std::unique_ptr<L2Claim> Take(const std::string& dir) {
    std::error_code ec;
    std::string key = std::filesystem::weakly_canonical(dir, ec).string();
    if (ec) key = dir;
    std::lock_guard lock(Mutex());
    if (!Claimed().insert(key).second) return nullptr;
    return std::unique_ptr<L2Claim>(new L2Claim(std::move(key)));
  }
  ~L2Claim() {
    std::lock_guard lock(Mutex());
    Claimed().erase(key_);
  }
  L2Claim(const L2Claim&) = delete;
  L2Claim& operator=(const L2Claim&) = delete;

 private:
  explicit L2Claim(std::string key) : key_(std::move(key)) {}
  static std::mutex& Mutex() {
    static std::mutex mu;
    return mu;
  }
  static std::set<std::string>& Claimed() {
    static std::set<std::string> claimed;
    return claimed;
  }
  std::string key_;
};

// Creates the data dir and fills in db_path: Open and ImportSql must agree on the file.
Status PrepareDataDir(Options& options) {
  if (options.data_dir.empty()) return Status::InvalidArgument("Options.data_dir is empty");
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) {
    return Status::IOError("cannot create data dir '" + options.data_dir + "': " + ec.message());
  }
  if (options.db_path.empty()) {
    options.db_path = (std::filesystem::path(options.data_dir) / "folio.sqlite").string();
  }
  return Status::Ok();
}

}  // namespace

class Engine::Impl {
 public:
  explicit Impl(Options opts) : options(std::move(opts)), pool(options.sqlite_threads) {}

  ~Impl() {
    {
      std::lock_guard lock(poller_mu);
      stopping = true;
    }
    poller_cv.notify_all();
    if (poller.joinable()) poller.join();
    pool.join();
    l2.reset();  // flushes pending fills
  }

  // The TTL to cache a page with now: page_ttl_micros, cut at `deadline_micros` (0 = none).
  // Negative when the deadline has passed (the page must not be cached).
  int64_t TtlUntil(int64_t deadline_micros) const {
    int64_t ttl = options.page_ttl_micros;
    if (deadline_micros == 0) return ttl;
    const int64_t until = deadline_micros - options.clock->NowMicros();
    if (until <= 0) return -1;
    return ttl == 0 ? until : std::min(ttl, until);
  }

  // Step 2 of a read below L1: L2. A hit is served only when nothing applied since it was
  // read touches it (Freshness::UntouchedSince, then CheckPage); it then fills L1.
  std::optional<PageRef> LookupKv(const storage::Query& query, const Lookup& lookup) {
    if (!l2) return std::nullopt;
    if (freshness->DroppedForChange(lookup.hash)) {
      kv_skipped.Add();
      return std::nullopt;
    }
    const int64_t start = SteadyNanos();
    Bytes bytes;
    switch (l2->Get(lookup.key, &detail::IsWellFormedPage, &bytes)) {
      case detail::L2Tier::Outcome::kHit:
        break;
      case detail::L2Tier::Outcome::kMiss:
        kv_misses.Add();
        return std::nullopt;
      case detail::L2Tier::Outcome::kFault:
        return std::nullopt;  // counted by the tier
    }
    storage::LogPosition checked_at;
    // Documents of a global type change under the shared pool's tenant, whoever reads them.
    const std::string scope_tenant = store->StorageTenant(query.type, query.tenant);
    // The fast check looks at the listing's own scope only: a page that embeds documents
    // (of other types, or of the global pool) goes through CheckPage, which looks at its roots
    // in every scope.
    bool fresh =
        query.include.empty() && freshness->UntouchedSince(scope_tenant, query.type, query.axis,
                                                           detail::PageReadAt(*bytes), &checked_at);
    const bool fill_l1 = l1->capacity() > 0;
    detail::PageTrailer trailer;
    std::shared_ptr<const storage::ListingPredicate> predicate;
    detail::CacheKey predicate_key{};
    if (!fresh || fill_l1) {
      predicate_key = detail::PredicateKey(store->instance_id(), query);
      predicate = freshness->Predicate(predicate_key, query);
      if (predicate == nullptr || !detail::DecodeTrailer(*bytes, &trailer)) {
        kv_stale.Add();
        return std::nullopt;
      }
      if (!fresh) fresh = freshness->CheckPage(*predicate, trailer, &checked_at);
    }
    if (!fresh) {
      kv_stale.Add();
      return std::nullopt;
    }
    kv_hits.Add();
    if (fill_l1) {
      // Valid at checked_at as at its read: admitted as read there, so the admission checks
      // only what was applied since, not the changes just checked again.
      trailer.read_at = checked_at;
      // The L2 entry is live, so no boundary passed since its read: the next one after now
      // bounds it.
      const int64_t ttl = TtlUntil(freshness->PageDeadlineMicros(
          scope_tenant, query.type, IsPublished(query), options.clock->NowMicros()));
      if (ttl >= 0 && freshness->AdmitPage(
                          {lookup.key, lookup.hash}, predicate_key, std::move(predicate), trailer,
                          [&] { l1->Insert(KeyView(lookup.key), lookup.hash, bytes, ttl); })) {
        memory_fills.Add();
      }
    }
    kv_latency.Record(static_cast<uint64_t>(SteadyNanos() - start));
    return PageRef(std::move(bytes), Tier::kKv);
  }

  // Step 3: the leader's SQLite read, and the fills it admits.
  Result<PageRef> ReadDatabase(const storage::Query& query, const Lookup& lookup,
                               const std::shared_ptr<detail::InflightReads::Flight>& flight,
                               int64_t start) {
    // A reader that missed L1 just before the previous leader filled it, and joined just
    // after that leader finished, leads a new flight: L1 has the page now, so no second read.
    if (cache::Value filled = l1->Lookup(KeyView(lookup.key), lookup.hash)) {
      inflight.Finish(flight, filled);
      coalesced.Add();
      return PageRef(std::move(filled), Tier::kMemory);
    }
    // Taken before the read: the page reflects no schedule boundary after this instant.
    const int64_t read_micros = options.clock->NowMicros();
    if (options.hooks) options.hooks->BeforeDatabaseRead();
    // The page is built in its final buffer, sized from the pages read so far.
    auto buffer = std::make_shared<std::string>();
    const size_t per_doc = bytes_per_document.load(std::memory_order_relaxed);
    buffer->reserve(detail::kPageHeaderBytes + 1024 +
                    per_doc * static_cast<size_t>(std::clamp(query.limit, 1, storage::kMaxLimit)) *
                        9 / 8);
    const size_t docs_at = detail::BeginPage(*buffer);
    auto page = store->ListInto(query, buffer.get());
    if (!page.ok()) {
      inflight.Finish(flight, page.status());
      return page.status();
    }
    database_reads.Add();
    if (page->count > 0) {
      const size_t measured = (buffer->size() - docs_at) / static_cast<size_t>(page->count);
      bytes_per_document.store((per_doc * 7 + measured) / 8, std::memory_order_relaxed);
    }
    const detail::PageTrailer trailer = detail::TrailerFor(*page->dependency);
    detail::FinishPage(*buffer, docs_at, *page, trailer);
    Bytes bytes = std::move(buffer);
    const int64_t deadline = freshness->PageDeadlineMicros(
        page->dependency->predicate().tenant(), query.type, IsPublished(query), read_micros);
    if (options.hooks) options.hooks->BeforeFill();
    // The TTL is measured from the fill, so it is computed at the fill (a reader may have been
    // descheduled since its read); a page whose deadline passed is not cached at all.
    const int64_t ttl = TtlUntil(deadline);
    // A page that embeds a document whose schedule window moves later is served, not cached.
    if (ttl >= 0 && page->cacheable) {
      bool admitted = true;
      if (l1->capacity() > 0) {
        admitted = freshness->AdmitPage(
            {lookup.key, lookup.hash}, detail::PredicateKey(store->instance_id(), query),
            page->dependency->shared_predicate(), trailer,
            [&] { l1->Insert(KeyView(lookup.key), lookup.hash, bytes, ttl); });
        if (admitted) memory_fills.Add();
      }
      // A page a change already touched is kept out of L2 too (it would only be refused).
      if (!admitted) {
        stale_fills.Add();
      } else if (l2) {
        l2->EnqueueFill(lookup.key, bytes, ttl);
      }
    }
    inflight.Finish(flight, bytes);
    database_latency.Record(static_cast<uint64_t>(SteadyNanos() - start));
    return PageRef(std::move(bytes), Tier::kDatabase);
  }

  static bool IsPublished(const storage::Query& query) {
    return query.axis == storage::Axis::kPublished;
  }

  void PollLoop() {
    const auto interval =
        std::chrono::microseconds(std::max<int64_t>(1000, options.external_write_bound_micros / 2));
    int64_t last_version = -1;
    int maintain_countdown = 0;
    std::unique_lock lock(poller_mu);
    while (!stopping) {
      poller_cv.wait_for(lock, interval, [this] { return stopping; });
      if (stopping) break;
      lock.unlock();
      auto version = store->DataVersion();
      if (version.ok() && *version != last_version) {
        const bool first = last_version == -1;
        last_version = *version;
        (void)freshness->OnDataVersionChanged();
        if (!first) external_changes.Add();  // counted once applied
      }
      if (l2 && --maintain_countdown <= 0) {
        l2->Maintain();
        maintain_countdown = 20;
      }
      lock.lock();
    }
  }

  const Options options;
  std::unique_ptr<storage::DocumentStore> store;
  std::unique_ptr<cache::LruCache> l1;
  std::unique_ptr<L2Claim> l2_claim;  // outlives l2 (~Impl resets l2 first)
  std::unique_ptr<detail::L2Tier> l2;
  std::unique_ptr<detail::SharedEpoch> shared_epoch;
  std::unique_ptr<detail::Freshness> freshness;
  detail::InflightReads inflight;
  boost::asio::thread_pool pool;

  // A running average of a listed document's JSON size: how much room a new page gets.
  std::atomic<size_t> bytes_per_document{1024};

  std::mutex poller_mu;
  std::condition_variable poller_cv;
  bool stopping = false;
  std::thread poller;

  detail::StripedCounter memory_hits, memory_misses, memory_fills;
  detail::StripedCounter kv_hits, kv_misses, kv_stale, kv_skipped;
  detail::StripedCounter database_reads, coalesced, writes, stale_fills, external_changes,
      derived_forms;
  detail::StripedHistogram memory_latency;
  detail::AtomicHistogram kv_latency, database_latency;
};

Result<std::unique_ptr<Engine>> Engine::Open(const Options& given) {
  Options options = given;
  if (options.clock == nullptr) options.clock = Clock::Real();
  if (options.data_dir.empty()) return Status::InvalidArgument("Options.data_dir is empty");
  if (options.sqlite_threads < 1 || options.sqlite_threads > 256) {
    return Status::InvalidArgument("sqlite_threads must be in 1..256");
  }
  if (options.external_write_bound_micros <= 0) {
    return Status::InvalidArgument("external_write_bound_micros must be positive");
  }
  FOLIO_RETURN_IF_ERROR(PrepareDataDir(options));

  auto impl = std::make_unique<Impl>(options);
  storage::StoreOptions store_options;
  store_options.path = options.db_path;
  store_options.create_if_missing = options.create_if_missing;
  store_options.read_connections = options.read_connections;
  store_options.keep_versions = options.keep_versions;
  store_options.durable_writes = options.durable_writes;
  store_options.clock = options.clock;
  auto store = storage::DocumentStore::Open(store_options);
  if (!store.ok()) return store.status();
  impl->store = std::move(*store);

  cache::LruOptions l1_options;
  l1_options.capacity_bytes = options.l1_capacity_bytes;
  l1_options.shard_bits = options.l1_shard_bits;
  l1_options.clock = options.clock;
  l1_options.thread_front = options.l1_thread_front;
  auto l1 = cache::LruCache::Open(l1_options);
  if (!l1.ok()) return l1.status();
  impl->l1 = std::move(*l1);

  auto epoch =
      detail::SharedEpoch::Open((std::filesystem::path(options.data_dir) / "folio.epoch").string());
  if (!epoch.ok()) return epoch.status();
  impl->shared_epoch = std::move(*epoch);

  const std::string l2_dir = (std::filesystem::path(options.data_dir) / "kv").string();
  if (options.l2_enabled) impl->l2_claim = L2Claim::Take(l2_dir);
  if (impl->l2_claim != nullptr) {
    detail::L2Tier::Config config;
    config.dir = l2_dir;
    config.map_size_bytes = options.l2_map_size_bytes;
    config.durable_commits = options.l2_durable_commits;
    config.verify_checksums = options.l2_verify_checksums;
    config.queue_limit = options.l2_fill_queue_limit;
    config.clock = options.clock;
    impl->l2 = std::make_unique<detail::L2Tier>(config);
  }

  detail::Freshness::Config freshness;
  freshness.store = impl->store.get();
  freshness.l1 = impl->l1.get();
  freshness.epoch = impl->shared_epoch.get();
  freshness.clock = options.clock;
  auto opened = detail::Freshness::Open(freshness);
  if (!opened.ok()) return opened.status();
  impl->freshness = std::move(*opened);
  Impl* raw = impl.get();
  impl->poller = std::thread([raw] { raw->PollLoop(); });
  return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

Engine::Engine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Engine::~Engine() = default;

const Options& Engine::options() const {
  return impl_->options;
}

Engine::Lookup Engine::PrepareLookup(const storage::Query& query) {
  impl_->freshness->Sync();
  Lookup lookup;
  lookup.key = detail::PageKey(impl_->store->instance_id(), query,
                               impl_->freshness->Generation(query.tenant, query.type, query.axis));
  lookup.hash = cache::LruCache::HashKey(KeyView(lookup.key));
  lookup.applied_seq = impl_->freshness->applied_seq();
  return lookup;
}

std::optional<PageRef> Engine::LookupMemory(const Lookup& lookup) {
  Impl& impl = *impl_;
  thread_local uint64_t sample_tick = 0;
  const bool sample = (++sample_tick & kMemoryLatencySampleMask) == 0;
  const int64_t start = sample ? SteadyNanos() : 0;
  cache::Value hit = impl.l1->Lookup(KeyView(lookup.key), lookup.hash);
  if (hit == nullptr) {
    impl.memory_misses.Add();
    return std::nullopt;
  }
  impl.memory_hits.Add();
  if (sample) impl.memory_latency.Record(static_cast<uint64_t>(SteadyNanos() - start));
  return PageRef(std::move(hit), Tier::kMemory);
}

std::shared_ptr<const std::string> Engine::DerivedForm(
    const PageRef& page, std::string_view form,
    const std::function<std::optional<std::string>(std::string_view body)>& derive) {
  Impl& impl = *impl_;
  // 'F' + form + ':' + tag: never 24 bytes long, so never a page's or a document's key. Built
  // on the stack: a hit allocates nothing.
  std::array<char, 64> buffer;
  const std::string_view tag = page.content_tag();
  if (form.size() + 2 + tag.size() > buffer.size()) return nullptr;  // no such form is made here
  char* end = buffer.data();
  *end++ = 'F';
  end = std::copy(form.begin(), form.end(), end);
  *end++ = ':';
  end = std::copy(tag.begin(), tag.end(), end);
  const std::string_view key(buffer.data(), static_cast<size_t>(end - buffer.data()));
  if (cache::Value hit = impl.l1->Lookup(key)) return hit;
  std::optional<std::string> made = derive(page.body());
  if (!made) return nullptr;
  impl.derived_forms.Add();
  auto bytes = std::make_shared<const std::string>(std::move(*made));
  impl.l1->Insert(key, bytes);
  return bytes;
}

Result<PageRef> Engine::Query(const storage::Query& query) {
  Lookup lookup = PrepareLookup(query);
  if (std::optional<PageRef> hit = LookupMemory(lookup)) return std::move(*hit);
  return QueryBelowMemory(query, lookup);
}

Result<PageRef> Engine::QueryBelowMemory(const storage::Query& query, const Lookup& lookup) {
  Impl& impl = *impl_;
  const int64_t start = SteadyNanos();
  if (std::optional<PageRef> hit = impl.LookupKv(query, lookup)) return std::move(*hit);
  auto [flight, leader] = impl.inflight.Join(lookup.key, lookup.applied_seq);
  if (!leader) {
    impl.coalesced.Add();
    auto shared = flight->Wait();
    if (!shared.ok()) return shared.status();
    return PageRef(std::move(*shared), Tier::kDatabase);
  }
  return impl.ReadDatabase(query, lookup, flight, start);
}

void Engine::QueryBelowMemoryAsync(const storage::Query& query, const Lookup& lookup,
                                   std::function<void(Result<PageRef>)> done) {
  Impl& impl = *impl_;
  const int64_t start = SteadyNanos();
  if (std::optional<PageRef> hit = impl.LookupKv(query, lookup)) {
    done(std::move(*hit));
    return;
  }
  auto [flight, leader] = impl.inflight.Join(lookup.key, lookup.applied_seq);
  if (!leader) {
    // Parked on the flight: this engine thread goes on to other work at once.
    impl.coalesced.Add();
    flight->Park([done = std::move(done)](const Result<Bytes>& shared) {
      if (!shared.ok()) {
        done(shared.status());
      } else {
        done(PageRef(*shared, Tier::kDatabase));
      }
    });
    return;
  }
  done(impl.ReadDatabase(query, lookup, flight, start));
}

Result<DocumentRef> Engine::Get(const std::string& tenant, const std::string& root_id,
                                storage::Axis axis, const storage::Principal& principal) {
  Impl& impl = *impl_;
  impl.freshness->Sync();
  CacheKey key = detail::DocumentKey(impl.store->instance_id(), tenant, root_id, axis, principal,
                                     impl.freshness->TenantGeneration(tenant));
  uint64_t hash = cache::LruCache::HashKey(KeyView(key));
  if (cache::Value hit = impl.l1->Lookup(KeyView(key), hash)) {
    impl.memory_hits.Add();
    return DocumentRef(std::move(hit), Tier::kMemory);
  }
  impl.memory_misses.Add();
  // A document's TTL: page_ttl_micros, cut at a published document's expiry.
  auto ttl_until = [&](int64_t valid_until_micros) { return impl.TtlUntil(valid_until_micros); };
  if (impl.l2 && impl.freshness->DroppedForChange(hash)) {
    impl.kv_skipped.Add();
  } else if (impl.l2) {
    Bytes bytes;
    if (impl.l2->Get(key, &detail::IsWellFormedDocument, &bytes) == detail::L2Tier::Outcome::kHit) {
      const int64_t ttl = ttl_until(detail::DocumentValidUntilMicros(*bytes));
      if (ttl >= 0 &&
          impl.freshness->CheckDocument(tenant, root_id, detail::DocumentReadAt(*bytes))) {
        impl.kv_hits.Add();
        if (impl.freshness->AdmitDocument(
                {key, hash}, tenant, root_id, axis, detail::DocumentReadAt(*bytes),
                [&] { impl.l1->Insert(KeyView(key), hash, bytes, ttl); })) {
          impl.memory_fills.Add();
        }
        return DocumentRef(std::move(bytes), Tier::kKv);
      }
      impl.kv_stale.Add();
    } else {
      impl.kv_misses.Add();
    }
  }
  storage::LogPosition read_at;
  auto doc = impl.store->Get(tenant, root_id, axis, principal, &read_at);
  if (!doc.ok()) return doc.status();
  impl.database_reads.Add();
  const int64_t valid_until =
      axis == storage::Axis::kPublished && doc->expires_at ? *doc->expires_at * 1'000'000 : 0;
  Bytes bytes = detail::EncodeDocument(doc->ToJson(), read_at, valid_until);
  const int64_t ttl = ttl_until(valid_until);
  if (ttl >= 0) {
    if (impl.freshness->AdmitDocument({key, hash}, tenant, root_id, axis, read_at,
                                      [&] { impl.l1->Insert(KeyView(key), hash, bytes, ttl); })) {
      impl.memory_fills.Add();
      if (impl.l2) impl.l2->EnqueueFill(key, bytes, ttl);
    } else {
      impl.stale_fills.Add();
    }
  }
  return DocumentRef(std::move(bytes), Tier::kDatabase);
}

namespace {

// The one document of a one-row page (its documents are "[{…}]"), sharing the page's bytes.
DocumentRef OnlyDocument(const PageRef& page) {
  const std::string_view docs = page.documents_json();
  const size_t offset = static_cast<size_t>(docs.data() - page.bytes()->data()) + 1;
  return DocumentRef(page.bytes(), page.tier(), offset, docs.size() - 2);
}

// The "type" of a document as Document::ToJson writes it: after "id", "root_id" and
// "version", a type id ([a-z0-9_-], never escaped).
std::optional<std::string> DocumentType(std::string_view json) {
  constexpr std::string_view kKey = ",\"type\":\"";
  const size_t at = json.find(kKey);
  if (at == std::string_view::npos) return std::nullopt;
  const size_t start = at + kKey.size();
  const size_t end = json.find('"', start);
  if (end == std::string_view::npos) return std::nullopt;
  return std::string(json.substr(start, end - start));
}

}  // namespace

Result<DocumentRef> Engine::Get(const std::string& tenant, const std::string& root_id,
                                storage::Axis axis, const storage::Principal& principal,
                                const std::vector<std::string>& include) {
  if (include.empty()) return Get(tenant, root_id, axis, principal);
  // The document (cached) names its type; the embedding read is then a one-row listing of
  // that type, cached and invalidated as every listing is (its embedded roots included).
  auto plain = Get(tenant, root_id, axis, principal);
  if (!plain.ok()) return plain.status();
  auto type = DocumentType(plain->json());
  if (!type) return Status::Internal("a cached document without a type");
  storage::Query query;
  query.tenant = tenant;
  query.type = *type;
  query.axis = axis;
  query.principal = principal;
  query.include = include;
  query.limit = 1;
  query.root = root_id;  // a root read matches the document whatever its locale
  return GetOne(query, "document '" + root_id + "' not found");
}

Result<DocumentRef> Engine::GetOne(storage::Query query, const std::string& not_found) {
  auto page = Query(query);
  if (!page.ok()) return page.status();
  if (page->count() == 0) return Status::NotFound(not_found);
  return OnlyDocument(*page);
}

Result<DocumentRef> Engine::GetBySlug(const std::string& tenant, const std::string& type,
                                      const std::string& slug, const std::string& locale,
                                      SlugStatus status, const storage::Principal& principal,
                                      const std::vector<std::string>& include) {
  storage::Query query;
  query.tenant = tenant;
  query.type = type;
  query.locale = locale;
  query.slug = slug;
  query.principal = principal;
  query.include = include;
  query.limit = 1;
  for (storage::Axis axis : {storage::Axis::kPublished, storage::Axis::kDraft}) {
    const bool wanted = axis == storage::Axis::kPublished ? status != SlugStatus::kDraft
                                                          : status != SlugStatus::kPublished;
    if (!wanted) continue;
    query.axis = axis;
    auto page = Query(query);
    if (!page.ok()) return page.status();
    if (page->count() > 0) return OnlyDocument(*page);
  }
  return Status::NotFound("no document of type '" + type + "' with slug '" + slug +
                          "' in locale '" + locale + "'");
}

Result<storage::VersionList> Engine::ListVersions(const std::string& tenant,
                                                  const std::string& root_id, int limit,
                                                  const std::string& cursor) {
  return impl_->store->ListVersions(tenant, root_id, limit, cursor);
}

Result<storage::Document> Engine::GetVersion(const std::string& tenant, const std::string& root_id,
                                             int64_t version) {
  return impl_->store->GetVersion(tenant, root_id, version);
}

Result<std::vector<storage::Referrer>> Engine::ListReferrers(const std::string& tenant,
                                                             const std::string& root_id,
                                                             int limit) {
  return impl_->store->ListReferrers(tenant, root_id, limit);
}

Result<storage::WriteResult> Engine::Write(const storage::WriteOp& op) {
  auto result = impl_->store->Write(op);
  if (result.ok() && result->changed) AfterWrite();
  return result;
}

Result<std::vector<storage::WriteResult>> Engine::WriteBatch(
    const std::vector<storage::WriteOp>& ops) {
  auto results = impl_->store->ApplyBatch(ops);
  if (results.ok()) AfterWrite();
  return results;
}

Result<storage::TypeDefinition> Engine::RegisterType(const storage::TypeDefinition& type) {
  auto registered = impl_->store->RegisterType(type);
  // A registration that changed the type moved its generations: every process re-keys.
  if (registered.ok()) impl_->freshness->AfterWrite();
  return registered;
}

void Engine::AfterWrite() {
  if (impl_->options.hooks) impl_->options.hooks->AfterCommit();
  impl_->writes.Add();
  impl_->freshness->AfterWrite();
}

Status Engine::SetPermissions(const std::string& tenant, const std::string& root_id,
                              const std::vector<storage::PermissionRule>& rules,
                              const std::optional<storage::Principal>& principal) {
  Status s = impl_->store->SetPermissions(tenant, root_id, rules, principal);
  if (s.ok()) AfterWrite();
  return s;
}

Result<std::vector<storage::PermissionRule>> Engine::GetPermissions(
    const std::string& tenant, const std::string& root_id,
    const std::optional<storage::Principal>& principal) {
  return impl_->store->GetPermissions(tenant, root_id, principal);
}

Result<storage::TypeDefinition> Engine::GetType(const std::string& id) const {
  return impl_->store->GetType(id);
}

std::vector<storage::TypeDefinition> Engine::ListTypes() const {
  return impl_->store->ListTypes();
}

Result<std::vector<storage::MigrationInfo>> Engine::ReadMigrationStatus(const Options& options) {
  // Creates nothing, the data dir included: only resolves the file Open would serve.
  const std::string path = options.db_path.empty()
                               ? (std::filesystem::path(options.data_dir) / "folio.sqlite").string()
                               : options.db_path;
  return storage::DocumentStore::ReadMigrationStatus(path);
}

Result<std::vector<storage::MigrationInfo>> Engine::MigrationStatus() {
  return impl_->store->MigrationStatus();
}

Result<std::vector<std::string>> Engine::ExplainQuery(const storage::Query& query) {
  return impl_->store->ExplainList(query);
}

Status Engine::ExportSql(const std::function<Status(std::string_view)>& sink) {
  return impl_->store->ExportSql(sink);
}

Status Engine::ImportSql(const Options& given, std::string_view script) {
  Options options = given;
  FOLIO_RETURN_IF_ERROR(PrepareDataDir(options));
  return storage::DocumentStore::ImportSql(options.db_path, script);
}

Status Engine::Refresh() {
  return impl_->freshness->OnDataVersionChanged();
}

void Engine::Post(std::function<void()> work) {
  boost::asio::post(impl_->pool, std::move(work));
}

void Engine::FlushFills() {
  if (impl_->l2) impl_->l2->Flush();
}

EngineStats Engine::Stats() const {
  const Impl& impl = *impl_;
  EngineStats s;
  s.memory.hits = impl.memory_hits.Sum();
  s.memory.misses = impl.memory_misses.Sum();
  s.memory.fills = impl.memory_fills.Sum();
  s.memory.latency = impl.memory_latency.Snapshot();
  s.kv.hits = impl.kv_hits.Sum();
  s.kv.misses = impl.kv_misses.Sum();
  s.kv.latency = impl.kv_latency.Snapshot();
  s.database.hits = impl.database_reads.Sum();
  s.database.latency = impl.database_latency.Snapshot();
  s.coalesced_misses = impl.coalesced.Sum();
  s.derived_forms = impl.derived_forms.Sum();
  s.writes = impl.writes.Sum();
  s.invalidations = impl.freshness->invalidations();
  s.stale_fills = impl.stale_fills.Sum();
  s.kv_stale = impl.kv_stale.Sum();
  s.kv_skipped = impl.kv_skipped.Sum();
  s.freshness_resets = impl.freshness->resets();
  s.external_changes = impl.external_changes.Sum();
  cache::LruStats l1 = impl.l1->GetStats();
  s.l1_bytes = l1.bytes_in_use;
  s.l1_entries = l1.entries;
  s.l1_capacity_bytes = impl.l1->capacity();
  s.l1_evictions = l1.evictions;
  if (impl.l2) {
    s.kv.fills = impl.l2->fills();
    s.l2_fills_dropped = impl.l2->dropped_fills();
    s.l2_faults = impl.l2->faults();
    s.l2_faults_by_kind = impl.l2->FaultsByKind();
    if (auto kv = impl.l2->KvStatsSnapshot()) {
      s.l2_available = true;
      s.l2_bytes = kv->map_bytes_used;
      s.l2_entries = kv->entries;
      s.l2_map_size_bytes = kv->map_size_bytes;
      s.l2_evictions = kv->evictions;
    }
  }
  return s;
}

uint64_t LatencyHistogram::QuantileUpperBoundNanos(double q) const {
  if (samples == 0) return 0;
  auto rank = static_cast<uint64_t>(q * static_cast<double>(samples));
  uint64_t seen = 0;
  for (int i = 0; i < kBuckets; ++i) {
    seen += counts[i];
    if (seen > rank || i == kBuckets - 1) return i == 0 ? 1 : (uint64_t{1} << i);
  }
  return 0;
}

}  // namespace folio
