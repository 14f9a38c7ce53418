# FindRE2: RE2 (Debian: libre2-dev), the linear-time regex engine, as the imported target
# RE2::RE2.
include(${CMAKE_CURRENT_LIST_DIR}/FolioFindLibrary.cmake)
folio_find_library(RE2::RE2 HEADER re2/re2.h LIBRARY re2 PKG_CONFIG re2)
