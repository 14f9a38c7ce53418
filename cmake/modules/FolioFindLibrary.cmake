# folio_find_library(<target> HEADER <file> LIBRARY <name> PKG_CONFIG <module>)
#
# The body of a Find<Package>.cmake for a C library that ships no CMake package (LMDB, xxHash
# on Debian): finds its header and library, defines <target> as an imported target, and sets
# <Package>_FOUND. Its pkg-config file only hints where to look, when pkg-config is there: a
# consumer of folio's installed package needs no pkg-config.
include_guard(GLOBAL)
include(FindPackageHandleStandardArgs)

function(folio_find_library target)
  cmake_parse_arguments(ARG "" "HEADER;LIBRARY;PKG_CONFIG" "" ${ARGN})
  set(pkg ${CMAKE_FIND_PACKAGE_NAME})
  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(PC_${pkg} QUIET ${ARG_PKG_CONFIG})
  endif()
  find_path(${pkg}_INCLUDE_DIR ${ARG_HEADER}
            HINTS ${PC_${pkg}_INCLUDEDIR} ${PC_${pkg}_INCLUDE_DIRS})
  find_library(${pkg}_LIBRARY ${ARG_LIBRARY}
               HINTS ${PC_${pkg}_LIBDIR} ${PC_${pkg}_LIBRARY_DIRS})
  mark_as_advanced(${pkg}_INCLUDE_DIR ${pkg}_LIBRARY)
  find_package_handle_standard_args(${pkg} REQUIRED_VARS ${pkg}_LIBRARY ${pkg}_INCLUDE_DIR
                                    VERSION_VAR PC_${pkg}_VERSION)
  if(${pkg}_FOUND AND NOT TARGET ${target})
    add_library(${target} UNKNOWN IMPORTED)
    set_target_properties(${target} PROPERTIES
      IMPORTED_LOCATION "${${pkg}_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${${pkg}_INCLUDE_DIR}")
  endif()
  set(${pkg}_FOUND ${${pkg}_FOUND} PARENT_SCOPE)
  set(${pkg}_VERSION "${PC_${pkg}_VERSION}" PARENT_SCOPE)
endfunction()
