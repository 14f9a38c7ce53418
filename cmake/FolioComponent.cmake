# folio_add_component(<name> SOURCES <files…> [PUBLIC_DEPS <targets…>] [PRIVATE_DEPS <targets…>])
#
# Defines the library folio_<name> with alias folio::<name>: public headers under
# <name>/include/folio/<name>/ (installed), sources and detail/ private to the folder.
function(folio_add_component name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(folio_${name} STATIC ${ARG_SOURCES})
  add_library(folio::${name} ALIAS folio_${name})
  set_target_properties(folio_${name} PROPERTIES EXPORT_NAME ${name} OUTPUT_NAME folio_${name})
  target_include_directories(folio_${name}
    PUBLIC $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
           $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
    PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_compile_features(folio_${name} PUBLIC cxx_std_20)
  target_link_libraries(folio_${name}
    PUBLIC folio::base ${ARG_PUBLIC_DEPS}
    PRIVATE $<BUILD_INTERFACE:folio::options> ${ARG_PRIVATE_DEPS})
  install(TARGETS folio_${name} EXPORT folioTargets)
  install(DIRECTORY include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
endfunction()

# folio_add_test(<name> SOURCES <files…> LIBS <targets…>): a GoogleTest binary registered with ctest.
function(folio_add_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)  # support/
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} folio::options GTest::gtest GTest::gmock
                                        GTest::gtest_main)
  set(_folio_test_env "")
  if(FOLIO_SANITIZE)
    # kv/ leaks a damaged LMDB environment on purpose (tests/sanitizers/lsan.supp).
    set(_folio_test_env ENVIRONMENT
        "LSAN_OPTIONS=suppressions=${PROJECT_SOURCE_DIR}/tests/sanitizers/lsan.supp")
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60 PROPERTIES TIMEOUT 300 ${_folio_test_env})
endfunction()
