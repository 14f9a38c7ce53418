# The installed package. Each component installs its headers and archive; this adds the
# exported targets with folioConfig.cmake (find_package(folio)) and folio.pc (pkg-config).
include(CMakePackageConfigHelpers)
set(_folio_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/folio)
install(TARGETS folio_options EXPORT folioTargets)
install(EXPORT folioTargets NAMESPACE folio:: DESTINATION ${_folio_cmake_dir})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/folioConfig.cmake.in
  ${PROJECT_BINARY_DIR}/folioConfig.cmake
  INSTALL_DESTINATION ${_folio_cmake_dir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/folioConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/folioConfig.cmake
  ${PROJECT_BINARY_DIR}/folioConfigVersion.cmake
  DESTINATION ${_folio_cmake_dir})
install(FILES
  ${CMAKE_CURRENT_LIST_DIR}/modules/FolioFindLibrary.cmake
  ${CMAKE_CURRENT_LIST_DIR}/modules/FindLMDB.cmake
  ${CMAKE_CURRENT_LIST_DIR}/modules/FindxxHash.cmake
  ${CMAKE_CURRENT_LIST_DIR}/modules/FindRE2.cmake
  DESTINATION ${_folio_cmake_dir}/modules)

# folio.pc finds its prefix from where it lies (${pcfiledir}), so an install staged with
# --prefix or DESTDIR points at its own headers and archives, not at the configured prefix.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(FOLIO_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
  set(FOLIO_PC_LIBDIR "${CMAKE_INSTALL_FULL_LIBDIR}")
  set(FOLIO_PC_INCLUDEDIR "${CMAKE_INSTALL_FULL_INCLUDEDIR}")
else()
  file(RELATIVE_PATH _folio_pc_up "/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/")
  string(REGEX REPLACE "/$" "" _folio_pc_up "${_folio_pc_up}")
  set(FOLIO_PC_PREFIX "\${pcfiledir}/${_folio_pc_up}")
  set(FOLIO_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
  set(FOLIO_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/folio.pc.in ${PROJECT_BINARY_DIR}/folio.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/folio.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
