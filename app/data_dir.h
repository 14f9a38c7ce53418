// Where the folio command keeps its data: --data-dir (default ./folio-data, env
// FOLIO_DATA_DIR) holds folio.sqlite and the LMDB tier; --db points at another SQLite file.
#pragma once

#include <string>

#include "folio/base/status.h"

namespace folio::app {

struct DataDir {
  std::string dir;      // the data directory
  std::string db_path;  // the SQLite file

  // Creates `dir` when missing. Errors name the path.
  Status Ensure() const;
};

// Resolves the flags: an empty `data_dir` means $FOLIO_DATA_DIR, else ./folio-data; an empty
// `db` means <dir>/folio.sqlite.
DataDir ResolveDataDir(const std::string& data_dir, const std::string& db);

}  // namespace folio::app
