#include "http/connection_limits.h"

#include <sys/resource.h>

#include <algorithm>

namespace folio::app {
namespace {

uint64_t SoftLimitOf(const rlimit& limit) {
  return limit.rlim_cur == RLIM_INFINITY ? UINT64_MAX : static_cast<uint64_t>(limit.rlim_cur);
}

}  // namespace

uint64_t FileDescriptorSoftLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  return SoftLimitOf(limit);
}

uint64_t RaiseFileDescriptorLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur == RLIM_INFINITY ? UINT64_MAX : static_cast<uint64_t>(limit.rlim_cur);
}

int EffectiveMaxConnections(int configured, uint64_t fd_soft_limit) {
  if (fd_soft_limit == 0 || configured < 1) return std::max(configured, 1);
  const uint64_t room =
      fd_soft_limit > kReservedFileDescriptors + 1 ? fd_soft_limit - kReservedFileDescriptors : 1;
  return static_cast<int>(std::min<uint64_t>(static_cast<uint64_t>(configured), room));
}

}  // namespace folio::app
