#include "build_info.h"

#include <sqlite3.h>

#include <algorithm>
#include <boost/version.hpp>

namespace folio::app {

std::string_view FolioVersion() {
  return FOLIO_VERSION;
}

std::string_view SqliteVersion() {
  return sqlite3_libversion();
}

std::string VersionLine() {
  return "folio " + std::string(FolioVersion()) + " (SQLite " + std::string(SqliteVersion()) +
         ", Boost " + std::to_string(BOOST_VERSION / 100000) + "." +
         std::to_string(BOOST_VERSION / 100 % 1000) + ")";
}

namespace {

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string ClosestMatch(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_distance = 3;
  for (const std::string& c : candidates) {
    size_t d = EditDistance(word, c);
    if (!word.empty() && c.rfind(word, 0) == 0) d = std::min<size_t>(d, 1);
    if (d < best_distance) {
      best_distance = d;
      best = c;
    }
  }
  return best;
}

}  // namespace folio::app
