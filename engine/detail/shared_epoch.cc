#include "detail/shared_epoch.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace folio::detail {
namespace {

constexpr size_t kFileSize = 4096;
static_assert(std::atomic<uint64_t>::is_always_lock_free,
              "a shared-memory counter must be lock-free to work across processes");

Status Errno(const std::string& what, const std::string& path) {
  return Status::IOError(what + " '" + path + "': " + std::strerror(errno));
}

}  // namespace

Result<std::unique_ptr<SharedEpoch>> SharedEpoch::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot open", path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    Status s = Errno("cannot stat", path);
    ::close(fd);
    return s;
  }
  // ftruncate zero-fills; concurrent openers racing here both set the same size.
  if (static_cast<size_t>(st.st_size) != kFileSize && ::ftruncate(fd, kFileSize) != 0) {
    Status s = Errno("cannot size", path);
    ::close(fd);
    return s;
  }
  void* map = ::mmap(nullptr, kFileSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ::close(fd);  // the mapping keeps the file
  if (map == MAP_FAILED) return Errno("cannot map", path);
  return std::unique_ptr<SharedEpoch>(new SharedEpoch(map, kFileSize));
}

SharedEpoch::SharedEpoch(void* map, size_t size)
    : map_(map), size_(size), counter_(static_cast<std::atomic<uint64_t>*>(map)) {}

SharedEpoch::~SharedEpoch() {
  ::munmap(map_, size_);
}

}  // namespace folio::detail
