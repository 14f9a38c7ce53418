# FindxxHash: xxHash (Debian: libxxhash-dev) as the imported target xxHash::xxHash.
include(${CMAKE_CURRENT_LIST_DIR}/FolioFindLibrary.cmake)
folio_find_library(xxHash::xxHash HEADER xxhash.h LIBRARY xxhash PKG_CONFIG libxxhash)
