#include "detail/freshness.h"

#include <algorithm>
#include <map>
#include <tuple>

namespace folio::detail {
namespace {

constexpr size_t kReadBatch = 1024;
// Changes of other scopes an L2 check steps over before it calls the entry a miss.
constexpr size_t kScanFactor = 16;
constexpr size_t kPredicateCacheLimit = 4096;

bool HasBoundaryAfter(const storage::RowImage& row, int64_t now_seconds) {
  return row.present && ((row.scheduled_at && *row.scheduled_at > now_seconds) ||
                         (row.expires_at && *row.expires_at > now_seconds));
}

}  // namespace

Freshness::Freshness(const Config& config) : config_(config) {}

void Freshness::TypeKeyInto(std::string& out, std::string_view tenant, std::string_view type) {
  out.assign(tenant);
  out.push_back('\x1f');
  out.append(type);
}

std::string Freshness::RootKey(std::string_view tenant, std::string_view root_id) {
  std::string key;
  key.reserve(tenant.size() + root_id.size() + 1);
  key.append(tenant);
  key.push_back('\x1f');
  key.append(root_id);
  return key;
}

Result<std::unique_ptr<Freshness>> Freshness::Open(const Config& config) {
  if (config.store == nullptr || config.l1 == nullptr || config.epoch == nullptr ||
      config.clock == nullptr) {
    return Status::InvalidArgument("Freshness needs a store, an L1, an epoch and a clock");
  }
  std::unique_ptr<Freshness> f(new Freshness(config));
  f->seen_epoch_.store(config.epoch->Load());
  // The generations, and the retained log, so that L2 entries read before this process
  // started can be checked.
  std::lock_guard catchup(f->catchup_mu_);
  FOLIO_RETURN_IF_ERROR(f->CatchUpLocked(/*opening=*/true));
  return f;
}

void Freshness::Sync() {
  if (config_.epoch->Load() == seen_epoch_.load(std::memory_order_acquire)) return;
  CatchUp();
}

void Freshness::CatchUp() {
  std::lock_guard catchup(catchup_mu_);
  const uint64_t epoch = config_.epoch->Load();
  if (epoch == seen_epoch_.load(std::memory_order_acquire)) return;  // another thread did it
  if (CatchUpLocked().ok()) seen_epoch_.store(epoch, std::memory_order_release);
}

void Freshness::AfterWrite() {
  config_.epoch->Bump();
  const uint64_t epoch = config_.epoch->Load();
  std::lock_guard catchup(catchup_mu_);
  if (CatchUpLocked().ok()) {
    // Only forward: a concurrent catch-up may already have acted on a later epoch.
    if (epoch > seen_epoch_.load(std::memory_order_acquire)) {
      seen_epoch_.store(epoch, std::memory_order_release);
    }
  } else {
    seen_epoch_.store(0, std::memory_order_release);  // the next reader tries again
  }
}

Status Freshness::OnDataVersionChanged() {
  std::lock_guard catchup(catchup_mu_);
  return CatchUpLocked();
}

Status Freshness::CatchUpLocked(bool opening) {
  bool load_images = !opening;
  bool generations_read = false;
  // One read transaction per batch: the generations (first batch only), the changes, and the
  // roots they name as they stand.
  for (;;) {
    storage::LogPosition from = applied();
    storage::CatchUpParts parts;
    parts.generations = !generations_read;
    parts.roots = load_images;
    auto read = config_.store->ReadCatchUp(from, kReadBatch, parts);
    if (!read.ok()) return read.status();
    if (!generations_read) {
      generations_read = true;
      if (generations_.Publish(read->generations) > 0 && !opening) invalidations_.Add();
    }
    const storage::ChangeBatch& batch = read->changes;
    if (!batch.continuous) {
      if (from.seq == 0) return Status::Corruption("the change log cannot be read from its start");
      // Pruned past us, or the database went back in time: nothing says what changed.
      std::lock_guard lock(mu_);
      ResetLocked();
      // Start again from the oldest retained row, so L2 entries of this timeline stay
      // checkable (an entry of the lost one names a position this timeline does not have).
      applied_ = storage::LogPosition{};
      applied_seq_.store(0, std::memory_order_release);
      load_images = false;  // nothing is cached any more
      continue;
    }
    // The roots as they stand at the batch's head, read before the lock.
    std::vector<storage::RootImage>& images = read->roots;
    const int64_t now = config_.clock->NowSeconds();
    {
      std::lock_guard lock(mu_);
      for (auto& image : images)
        RememberImageLocked(std::move(image));
      // One drop per (root, type): a write logs several rows for one root.
      struct Touch {
        uint64_t root_hash;
        bool published = false, draft = false;
      };
      std::map<std::tuple<std::string, std::string, std::string>, Touch> touched;
      for (const auto& c : batch.changes) {
        LoggedChange logged{c.position,          c.tenant,    c.type, c.root_id,
                            RootHash(c.root_id), c.published, c.draft};
        if (c.published)
          scope_last_change_[DependencyIndex::ScopeKey(c.tenant, c.type,
                                                       storage::Axis::kPublished)] = c.position.seq;
        if (c.draft)
          scope_last_change_[DependencyIndex::ScopeKey(c.tenant, c.type, storage::Axis::kDraft)] =
              c.position.seq;
        root_last_change_[c.root_id] = c.position.seq;
        auto& t = touched[{c.tenant, c.type, c.root_id}];
        t.root_hash = logged.root_hash;
        t.published |= c.published;
        t.draft |= c.draft;
        history_.push_back(std::move(logged));
      }
      while (history_.size() > config_.history_limit) {
        const LoggedChange& oldest = history_.front();
        auto it = root_last_change_.find(oldest.root_id);
        if (it != root_last_change_.end() && it->second <= oldest.position.seq) {
          root_last_change_.erase(it);
        }
        history_.pop_front();
      }
      size_t dropped = 0;
      std::string type_key;
      for (const auto& [what, t] : touched) {
        const auto& [tenant, type, root_id] = what;
        auto image = images_.find(RootKey(tenant, root_id));
        const storage::RootImage* root = image == images_.end() ? nullptr : &image->second;
        // A change can bring its type's next schedule boundary nearer only if the root now
        // has a boundary ahead (one it no longer has only makes a page expire early, which is
        // safe): only then is the type's boundary looked up again. Without an image (at
        // open), it is.
        if (t.published && (root == nullptr || HasBoundaryAfter(root->published, now))) {
          TypeKeyInto(type_key, tenant, type);
          std::lock_guard boundary_lock(boundary_mu_);
          ++type_changes_[type_key];
        }
        if (root == nullptr) continue;  // at open: nothing is cached yet
        dropped += index_.DropTouched(*root, t.root_hash, type, t.published, t.draft, now,
                                      [this](const DependencyIndex::Slot& slot) {
                                        config_.l1->Erase(KeyView(slot.key), slot.hash);
                                        dropped_.Add(slot.hash);
                                      });
      }
      invalidations_.Add(dropped);
      applied_ = batch.changes.size() < kReadBatch ? batch.head : batch.changes.back().position;
      applied_seq_.store(applied_.seq, std::memory_order_release);
      if (batch.changes.size() < kReadBatch) return Status::Ok();
    }
  }
}

void Freshness::ResetLocked() {
  config_.l1->Clear();
  index_.Clear();
  history_.clear();
  scope_last_change_.clear();
  root_last_change_.clear();
  images_.clear();
  image_order_.clear();
  {
    std::lock_guard boundary_lock(boundary_mu_);
    boundaries_.clear();
  }
  resets_.Add();
}

void Freshness::RememberImageLocked(storage::RootImage image) {
  std::string key = RootKey(image.tenant, image.root_id);
  auto [it, inserted] = images_.insert_or_assign(key, std::move(image));
  if (!inserted) return;
  image_order_.push_back(std::move(key));
  while (images_.size() > config_.image_limit && !image_order_.empty()) {
    images_.erase(image_order_.front());
    image_order_.pop_front();
  }
}

storage::LogPosition Freshness::applied() const {
  std::lock_guard lock(mu_);
  return applied_;
}

size_t Freshness::indexed_entries() const {
  std::lock_guard lock(mu_);
  return index_.size();
}

bool Freshness::KnownLocked(storage::LogPosition position) const {
  if (position == applied_) return true;
  auto it =
      std::lower_bound(history_.begin(), history_.end(), position.seq,
                       [](const LoggedChange& c, int64_t seq) { return c.position.seq < seq; });
  return it != history_.end() && it->position == position;
}

std::optional<std::vector<const Freshness::LoggedChange*>> Freshness::ChangesSinceLocked(
    storage::LogPosition since, const std::string& tenant, const std::string& type,
    storage::Axis axis, const std::vector<uint64_t>* roots, bool* touched) const {
  std::vector<const LoggedChange*> out;
  auto it =
      std::upper_bound(history_.begin(), history_.end(), since.seq,
                       [](int64_t seq, const LoggedChange& c) { return seq < c.position.seq; });
  size_t scanned = 0;
  for (; it != history_.end(); ++it) {
    if (++scanned > config_.check_limit * kScanFactor) return std::nullopt;
    const LoggedChange& c = *it;
    if (!(axis == storage::Axis::kPublished ? c.published : c.draft)) continue;
    // A root the page shows or embeds counts whatever its scope (an embedded document is of
    // another type, or of the global pool).
    if (roots != nullptr && std::find(roots->begin(), roots->end(), c.root_hash) != roots->end()) {
      *touched = true;
      return out;
    }
    if (c.tenant != tenant || c.type != type) continue;
    if (std::any_of(out.begin(), out.end(),
                    [&](const LoggedChange* o) { return o->root_hash == c.root_hash; })) {
      continue;
    }
    if (out.size() == config_.check_limit) return std::nullopt;
    out.push_back(&c);
  }
  return out;
}

bool Freshness::PageUntouchedLocked(
    const storage::ListingPredicate& predicate, const PageTrailer& trailer, int64_t now_seconds,
    std::vector<std::pair<std::string, std::string>>* missing) const {
  bool touched = false;
  auto changes = ChangesSinceLocked(trailer.read_at, predicate.tenant(), predicate.type(),
                                    predicate.axis(), &trailer.root_hashes, &touched);
  if (!changes || touched) return false;
  bool untouched = true;
  for (const LoggedChange* c : *changes) {
    if (std::find(trailer.root_hashes.begin(), trailer.root_hashes.end(), c->root_hash) !=
        trailer.root_hashes.end()) {
      return false;
    }
    auto image = images_.find(RootKey(c->tenant, c->root_id));
    if (image == images_.end()) {
      if (missing == nullptr) return false;
      missing->emplace_back(c->tenant, c->root_id);
      untouched = false;
      continue;
    }
    auto at = ListedNowOrLater(predicate, image->second, now_seconds);
    if (at && InPageRange(predicate, *at, trailer.after, trailer.through)) return false;
  }
  return untouched;
}

bool Freshness::AdmitPage(const DependencyIndex::Slot& slot, const CacheKey& predicate_key,
                          std::shared_ptr<const storage::ListingPredicate> predicate,
                          const PageTrailer& trailer, const std::function<void()>& insert) {
  const int64_t now = config_.clock->NowSeconds();
  std::lock_guard lock(mu_);
  // A page read at a position past what this process applied reflects those changes already;
  // when they are applied the index finds it (and may drop it, which only costs a refill).
  if (trailer.read_at.seq <= applied_.seq && trailer.read_at != applied_) {
    if (!KnownLocked(trailer.read_at)) return false;
    if (!PageUntouchedLocked(*predicate, trailer, now)) return false;
  }
  insert();
  dropped_.Forget(slot.hash);
  index_.AddPage(slot, predicate_key, std::move(predicate), trailer.after, trailer.through,
                 trailer.root_hashes);
  if (index_.size() > sweep_at_) {
    index_.Sweep([this](const DependencyIndex::Slot& s) {
      return config_.l1->Contains(KeyView(s.key), s.hash);
    });
    sweep_at_ = std::max<size_t>(4096, index_.size() * 2);
  }
  return true;
}

bool Freshness::AdmitDocument(const DependencyIndex::Slot& slot, const std::string& tenant,
                              const std::string& root_id, storage::Axis axis,
                              storage::LogPosition read_at, const std::function<void()>& insert) {
  std::lock_guard lock(mu_);
  if (read_at.seq <= applied_.seq && !RootUnchangedSinceLocked(tenant, root_id, read_at)) {
    return false;
  }
  insert();
  dropped_.Forget(slot.hash);
  index_.AddDocument(slot, RootHash(root_id), axis);
  return true;
}

bool Freshness::UntouchedSince(const std::string& tenant, const std::string& type,
                               storage::Axis axis, storage::LogPosition read_at,
                               storage::LogPosition* checked_at) const {
  // Built before the lock, into a buffer the thread reuses: no allocation once warm.
  thread_local std::string scope;
  DependencyIndex::ScopeKeyInto(scope, tenant, type, axis);
  std::lock_guard lock(mu_);
  *checked_at = applied_;
  if (read_at == applied_) return true;  // nothing applied since the read
  if (read_at.seq > applied_.seq || !KnownLocked(read_at)) return false;
  auto last = scope_last_change_.find(scope);
  return last == scope_last_change_.end() || last->second <= read_at.seq;
}

bool Freshness::CheckPage(const storage::ListingPredicate& predicate, const PageTrailer& trailer,
                          storage::LogPosition* checked_at) {
  const int64_t now = config_.clock->NowSeconds();
  std::vector<std::pair<std::string, std::string>> missing;
  int64_t applied_seq;
  {
    std::lock_guard lock(mu_);
    if (trailer.read_at.seq > applied_.seq || !KnownLocked(trailer.read_at)) return false;
    *checked_at = applied_;
    if (PageUntouchedLocked(predicate, trailer, now, &missing)) return true;
    if (missing.empty()) return false;  // touched
    applied_seq = applied_.seq;
  }
  // Roots changed before this process started (or whose images were evicted): load them as
  // they stand — at least as new as every change applied — and look again.
  auto loaded = config_.store->LoadRoots(missing);
  if (!loaded.ok()) return false;
  std::lock_guard lock(mu_);
  for (auto& image : *loaded) {
    // A catch-up that applied a change to the root meanwhile stored a newer image: keep it.
    const std::string key = RootKey(image.tenant, image.root_id);
    auto last = root_last_change_.find(image.root_id);
    if (last != root_last_change_.end() && last->second > applied_seq) continue;
    if (images_.count(key) == 0) RememberImageLocked(std::move(image));
  }
  if (trailer.read_at.seq > applied_.seq || !KnownLocked(trailer.read_at)) return false;
  *checked_at = applied_;
  return PageUntouchedLocked(predicate, trailer, now);
}

bool Freshness::CheckDocument(const std::string& tenant, const std::string& root_id,
                              storage::LogPosition read_at) const {
  std::lock_guard lock(mu_);
  return read_at.seq <= applied_.seq && RootUnchangedSinceLocked(tenant, root_id, read_at);
}

bool Freshness::RootUnchangedSinceLocked(const std::string& tenant, const std::string& root_id,
                                         storage::LogPosition read_at) const {
  if (read_at == applied_) return true;
  if (!KnownLocked(read_at)) return false;
  (void)tenant;  // by root alone: a global document changes under the shared pool's tenant
  auto last = root_last_change_.find(root_id);
  return last == root_last_change_.end() || last->second <= read_at.seq;
}

std::shared_ptr<const storage::ListingPredicate> Freshness::Predicate(const CacheKey& predicate_key,
                                                                      const storage::Query& query) {
  {
    std::lock_guard lock(mu_);
    auto it = predicates_.find(predicate_key);
    if (it != predicates_.end()) return it->second;
  }
  auto compiled = config_.store->CompilePredicate(query);
  if (!compiled.ok()) return nullptr;
  std::lock_guard lock(mu_);
  if (predicates_.size() >= kPredicateCacheLimit) predicates_.clear();
  predicates_.emplace(predicate_key, *compiled);
  return *compiled;
}

int64_t Freshness::PageDeadlineMicros(const std::string& tenant, const std::string& type,
                                      bool published, int64_t read_micros) {
  if (!published) return 0;
  const int64_t read_seconds = read_micros / 1'000'000;
  thread_local std::string key;  // reused: no allocation per page once warm
  TypeKeyInto(key, tenant, type);
  // Held across the lookup: a change applied meanwhile waits, then invalidates what we store.
  std::lock_guard lock(boundary_mu_);
  const uint64_t changes = type_changes_[key];
  auto it = boundaries_.find(key);
  if (it == boundaries_.end()) it = boundaries_.emplace(key, BoundaryEntry{}).first;
  BoundaryEntry& entry = it->second;
  // An entry answers for a read at t when it was computed for a time <= t, no change to the
  // type was applied since, and its boundary (if any) is still ahead of t: then it is also
  // the next boundary after t.
  const bool known = entry.known && entry.changes == changes && read_seconds >= entry.after &&
                     !(entry.boundary && *entry.boundary <= read_seconds);
  if (!known) {
    auto next = config_.store->NextScheduleBoundary(tenant, type, read_seconds);
    if (!next.ok()) return read_micros;  // unknown: the page is not cached
    entry = BoundaryEntry{true, changes, read_seconds, *next};
  }
  return entry.boundary ? *entry.boundary * 1'000'000 : 0;
}

}  // namespace folio::detail
