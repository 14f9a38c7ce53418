# The installed package, used as a user's project would use it: one staged install (the
# fixture package_install), then programs built against it from outside folio's build and run.
# Labelled `package`: a build that did not build every target cannot install (TSan's).
set(_folio_package_dir ${CMAKE_CURRENT_BINARY_DIR}/package)
# A sanitizer build installs instrumented archives: the programs must link the runtime too.
set(_folio_package_link_flags "")
if(FOLIO_SANITIZE)
  set(_folio_package_link_flags "-fsanitize=address,undefined")
elseif(FOLIO_TSAN)
  set(_folio_package_link_flags "-fsanitize=thread")
endif()
set(_folio_package_args
  -DPREFIX=${_folio_package_dir}/prefix -DLIBDIR=${CMAKE_INSTALL_LIBDIR}
  -DCXX=${CMAKE_CXX_COMPILER} "-DGENERATOR=${CMAKE_GENERATOR}"
  "-DLINK_FLAGS=${_folio_package_link_flags}")

add_test(NAME package_install
  COMMAND ${CMAKE_COMMAND} -DSTEP=install -DBUILD_DIR=${PROJECT_BINARY_DIR} ${_folio_package_args}
          -P ${CMAKE_CURRENT_LIST_DIR}/run_consumer.cmake)
set_tests_properties(package_install PROPERTIES
  FIXTURES_SETUP folio_package LABELS package TIMEOUT 300)

# folio_add_package_test(<name> STEP <cmake|pkgconfig> SOURCE <dir|file> TARGET <program>)
function(folio_add_package_test name)
  cmake_parse_arguments(ARG "" "STEP;SOURCE;TARGET" "" ${ARGN})
  add_test(NAME ${name}
    COMMAND ${CMAKE_COMMAND} -DSTEP=${ARG_STEP} "-DSOURCE=${ARG_SOURCE}" -DTARGET=${ARG_TARGET}
            -DWORK_DIR=${_folio_package_dir}/${name} ${_folio_package_args}
            -P ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/run_consumer.cmake)
  set_tests_properties(${name} PROPERTIES
    FIXTURES_REQUIRED folio_package LABELS package TIMEOUT 300)
endfunction()

folio_add_package_test(consumer_find_package
  STEP cmake SOURCE ${CMAKE_CURRENT_LIST_DIR} TARGET folio_consumer)
folio_add_package_test(consumer_pkgconfig
  STEP pkgconfig SOURCE ${CMAKE_CURRENT_LIST_DIR}/main.cc TARGET folio_consumer)
foreach(example IN ITEMS embed_sync embed_async)
  folio_add_package_test(example_${example}
    STEP cmake SOURCE ${PROJECT_SOURCE_DIR}/examples TARGET ${example})
endforeach()
