// What the fuzz targets share: an oracle that stops the run with a message libFuzzer saves the
// input for, and a scratch directory for the databases they open once per process.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#include "folio/base/status.h"

// A broken property is a finding like a crash: abort() makes libFuzzer write the input out.
#define FUZZ_CHECK(cond, what)                                                                \
  do {                                                                                        \
    if (!(cond)) {                                                                            \
      std::fprintf(stderr, "FUZZ_CHECK failed at %s:%d: %s: %s\n", __FILE__, __LINE__, #cond, \
                   std::string(what).c_str());                                                \
      std::abort();                                                                           \
    }                                                                                         \
  } while (0)

namespace folio::fuzz {

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Statuses that mean the input was refused, not that folio broke: Internal, Corruption and
// IOError on an input folio wrote itself (or a well-formed foreign row) are bugs.
inline bool IsRefusal(const Status& s) {
  switch (s.code()) {
    case Status::Code::kNotFound:
    case Status::Code::kInvalidArgument:
    case Status::Code::kConflict:
    case Status::Code::kTooLarge:
    case Status::Code::kPermissionDenied:
      return true;
    default:
      return false;
  }
}

// A directory for this process's databases, removed at exit. On tmpfs when there is one: the
// stores fsync every commit, and the fuzzers commit thousands of times a second.
inline const std::filesystem::path& ScratchDir() {
  static const std::filesystem::path* dir = [] {
    std::filesystem::path base = "/dev/shm";
    if (const char* env = std::getenv("FOLIO_FUZZ_TMPDIR")) base = env;
    std::error_code ec;
    if (!std::filesystem::is_directory(base, ec)) base = std::filesystem::temp_directory_path();
    auto* path = new std::filesystem::path(base / ("folio-fuzz-" + std::to_string(::getpid())));
    std::filesystem::remove_all(*path, ec);
    std::filesystem::create_directories(*path);
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(ScratchDir(), ignored);
    });
    return path;
  }();
  return *dir;
}

}  // namespace folio::fuzz
