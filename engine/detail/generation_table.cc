#include "detail/generation_table.h"

namespace folio::detail {
namespace {

std::atomic<uint64_t> next_table_id{1};

constexpr char kPublishedSeparator = '\x1f';
constexpr char kDraftSeparator = '\x1d';
constexpr char kTenantSuffix = '\x1e';

void AppendKey(std::string& out, std::string_view tenant, char separator, std::string_view type) {
  out.assign(tenant);
  out.push_back(separator);
  out.append(type);
}

// What one thread last saw of one table.
struct ThreadView {
  uint64_t table_id = 0;
  uint64_t version = 0;
  std::shared_ptr<const void> snapshot;  // type-erased: Snapshot is private to the table
  std::string key_buffer;                // reused for lookups: no allocation once warm
};
thread_local ThreadView tls_view;

}  // namespace

GenerationTable::GenerationTable()
    : id_(next_table_id.fetch_add(1)), current_(std::make_shared<const Snapshot>()) {}

uint64_t GenerationTable::Get(std::string_view tenant, std::string_view type,
                              storage::Axis axis) const {
  return Find(tenant, axis == storage::Axis::kPublished ? kPublishedSeparator : kDraftSeparator,
              type);
}

uint64_t GenerationTable::GetTenant(std::string_view tenant) const {
  return Find(tenant, kTenantSuffix, {});
}

uint64_t GenerationTable::Find(std::string_view tenant, char separator,
                               std::string_view type) const {
  ThreadView& view = tls_view;
  uint64_t version = version_.load(std::memory_order_acquire);
  if (view.table_id != id_ || view.version != version || view.snapshot == nullptr) {
    std::lock_guard lock(mu_);
    view.table_id = id_;
    view.version = current_->version;
    view.snapshot = current_;
  }
  const auto* snapshot = static_cast<const Snapshot*>(view.snapshot.get());
  AppendKey(view.key_buffer, tenant, separator, type);
  auto it = snapshot->generations.find(view.key_buffer);
  return it == snapshot->generations.end() ? 0 : it->second;
}

uint64_t SaltedGeneration(int64_t generation, int64_t salt) {
  // A counter and a random salt: any injective-enough mix will do, since the salt alone
  // already makes a repeat after a rollback a 2^-64 event.
  return static_cast<uint64_t>(generation) * 0x9E3779B97F4A7C15ull ^ static_cast<uint64_t>(salt);
}

size_t GenerationTable::Publish(const std::vector<storage::TypeGeneration>& rows) {
  auto next = std::make_shared<Snapshot>();
  std::string key;
  for (const auto& row : rows) {
    const uint64_t published = SaltedGeneration(row.published, row.published_salt);
    const uint64_t draft = SaltedGeneration(row.draft, row.draft_salt);
    AppendKey(key, row.tenant, kPublishedSeparator, row.type);
    next->generations[key] = published;
    AppendKey(key, row.tenant, kDraftSeparator, row.type);
    next->generations[key] = draft;
    AppendKey(key, row.tenant, kTenantSuffix, {});
    next->generations[key] += published + draft;
  }
  std::lock_guard lock(mu_);
  size_t changed = 0;
  // Count (tenant, type, axis) generations; the tenant sums move with them and are not counted.
  auto is_sum = [](const std::string& k) { return !k.empty() && k.back() == kTenantSuffix; };
  for (const auto& [k, gen] : next->generations) {
    auto it = current_->generations.find(k);
    if (!is_sum(k) && (it == current_->generations.end() || it->second != gen)) ++changed;
  }
  for (const auto& [k, gen] : current_->generations) {
    if (!is_sum(k) && next->generations.count(k) == 0) ++changed;  // a database swapped
  }
  if (changed == 0) return 0;
  next->version = current_->version + 1;
  current_ = std::move(next);
  version_.store(current_->version, std::memory_order_release);
  return changed;
}

}  // namespace folio::detail
