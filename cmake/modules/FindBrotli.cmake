# FindBrotli: libbrotli's encoder and decoder (Debian: libbrotli-dev), which ship no CMake
# package, as the imported targets Brotli::encoder and Brotli::decoder.
include(FindPackageHandleStandardArgs)
find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(PC_Brotli QUIET libbrotlienc)
endif()
find_path(Brotli_INCLUDE_DIR brotli/encode.h HINTS ${PC_Brotli_INCLUDEDIR})
find_library(Brotli_ENCODER_LIBRARY brotlienc HINTS ${PC_Brotli_LIBDIR})
find_library(Brotli_DECODER_LIBRARY brotlidec HINTS ${PC_Brotli_LIBDIR})
mark_as_advanced(Brotli_INCLUDE_DIR Brotli_ENCODER_LIBRARY Brotli_DECODER_LIBRARY)
find_package_handle_standard_args(Brotli
  REQUIRED_VARS Brotli_ENCODER_LIBRARY Brotli_DECODER_LIBRARY Brotli_INCLUDE_DIR
  VERSION_VAR PC_Brotli_VERSION)
foreach(part encoder decoder)
  string(TOUPPER ${part} PART)
  if(Brotli_FOUND AND NOT TARGET Brotli::${part})
    add_library(Brotli::${part} UNKNOWN IMPORTED)
    set_target_properties(Brotli::${part} PROPERTIES
      IMPORTED_LOCATION "${Brotli_${PART}_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${Brotli_INCLUDE_DIR}")
  endif()
endforeach()
