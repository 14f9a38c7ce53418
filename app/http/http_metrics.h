// Request counters by route and status, and the Prometheus text for GET /metrics.
// Thread-safe: Record() is lock-free; RenderPrometheus() reads the counters one by one.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

#include "folio/engine/stats.h"

namespace folio::app {

enum class Route : int {
  kListDocuments,
  kGetDocument,
  kRegisterType,
  kCreateDocument,
  kReplaceDocument,
  kPatchDocument,
  kPublish,
  kUnpublish,
  kRestore,
  kDeleteDocument,
  kGetPermissions,
  kSetPermissions,
  kHealth,
  kMetrics,
  kStats,
  kListTypes,
  kGetType,
  kGetBySlug,
  kListVersions,
  kGetVersion,
  kRestoreVersion,
  kListReferrers,
  kOpenApi,
  kUnmatched,
  kCount
};
const char* RouteName(Route route);

class HttpMetrics {
 public:
  void Record(Route route, unsigned status, uint64_t nanos);
  void ConnectionOpened() { open_connections_.fetch_add(1, std::memory_order_relaxed); }
  void ConnectionClosed() { open_connections_.fetch_sub(1, std::memory_order_relaxed); }
  void ConnectionRejected() { rejected_connections_.fetch_add(1, std::memory_order_relaxed); }
  void AcceptFailed() { accept_failures_.fetch_add(1, std::memory_order_relaxed); }
  uint64_t accept_failures() const { return accept_failures_.load(std::memory_order_relaxed); }
  uint64_t rejected_connections() const {
    return rejected_connections_.load(std::memory_order_relaxed);
  }
  int64_t open_connections() const { return open_connections_.load(std::memory_order_relaxed); }

  std::string RenderPrometheus(const EngineStats& engine) const;

 private:
  static constexpr std::array<unsigned, 15> kStatuses = {200, 201, 204, 400, 401, 404, 405, 408,
                                                         409, 413, 414, 431, 500, 503, 507};
  static constexpr size_t kOtherStatus = kStatuses.size();
  static constexpr size_t kRoutes = static_cast<size_t>(Route::kCount);

  std::array<std::array<std::atomic<uint64_t>, kStatuses.size() + 1>, kRoutes> requests_{};
  std::array<std::atomic<uint64_t>, LatencyHistogram::kBuckets> latency_{};
  std::atomic<uint64_t> latency_sum_{0};
  std::atomic<int64_t> open_connections_{0};
  std::atomic<uint64_t> rejected_connections_{0};
  std::atomic<uint64_t> accept_failures_{0};
};

}  // namespace folio::app
