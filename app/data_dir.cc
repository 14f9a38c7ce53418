#include "data_dir.h"

#include <cstdlib>
#include <filesystem>

namespace folio::app {

DataDir ResolveDataDir(const std::string& data_dir, const std::string& db) {
  DataDir out;
  out.dir = data_dir;
  if (out.dir.empty()) {
    const char* env = std::getenv("FOLIO_DATA_DIR");
    out.dir = (env != nullptr && *env != '\0') ? env : "./folio-data";
  }
  out.db_path = db.empty() ? (std::filesystem::path(out.dir) / "folio.sqlite").string() : db;
  return out;
}

Status DataDir::Ensure() const {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create data dir '" + dir + "': " + ec.message());
  return Status::Ok();
}

}  // namespace folio::app
