// What this folio binary is: its version and the libraries it runs on, for `folio --version`
// and the folio_build_info metric.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace folio::app {

// The project's version (CMake's PROJECT_VERSION), e.g. "0.1.0".
std::string_view FolioVersion();
// The SQLite library folio runs on (sqlite3_libversion()), e.g. "3.40.1".
std::string_view SqliteVersion();
// "folio 0.1.0 (SQLite 3.40.1, Boost 1.81)".
std::string VersionLine();

// The closest of `candidates` to `word` (Levenshtein distance at most 2, or a prefix of it),
// or "" when none is close: for "did you mean" hints.
std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace folio::app
