# Finds folio's library dependencies. Used by the build and, installed, by folioConfig.cmake,
# so a consumer of the installed package resolves the same imported targets.
include(CMakeFindDependencyMacro)
find_package(PkgConfig REQUIRED)

find_package(SQLite3 REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(Threads REQUIRED)

if(NOT TARGET folio_dep::lmdb)
  pkg_check_modules(FOLIO_LMDB REQUIRED IMPORTED_TARGET GLOBAL lmdb)
  add_library(folio_dep::lmdb ALIAS PkgConfig::FOLIO_LMDB)
endif()
if(NOT TARGET folio_dep::xxhash)
  pkg_check_modules(FOLIO_XXHASH REQUIRED IMPORTED_TARGET GLOBAL libxxhash)
  add_library(folio_dep::xxhash ALIAS PkgConfig::FOLIO_XXHASH)
endif()
