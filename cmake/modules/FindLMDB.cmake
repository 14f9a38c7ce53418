# FindLMDB: LMDB (Debian: liblmdb-dev) as the imported target LMDB::LMDB.
include(${CMAKE_CURRENT_LIST_DIR}/FolioFindLibrary.cmake)
folio_find_library(LMDB::LMDB HEADER lmdb.h LIBRARY lmdb PKG_CONFIG lmdb)
