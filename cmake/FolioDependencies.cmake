# Finds folio's library dependencies for the build (engine/ finds Boost). The installed
# folioConfig.cmake finds the same ones with find_dependency, for the imported targets the
# exported link interfaces name: keep the two lists in step (tests/consumer fails otherwise).
list(APPEND CMAKE_MODULE_PATH ${CMAKE_CURRENT_LIST_DIR}/modules)  # FindLMDB, FindxxHash, FindRE2

find_package(SQLite3 REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(Threads REQUIRED)
find_package(LMDB REQUIRED)
find_package(xxHash REQUIRED)
find_package(RE2 REQUIRED)

# The components name these, not the Find modules' targets (which the export records).
add_library(folio_dep::lmdb ALIAS LMDB::LMDB)
add_library(folio_dep::xxhash ALIAS xxHash::xxHash)
add_library(folio_dep::re2 ALIAS RE2::RE2)
