# ctest driver for the tests of the installed package (package_tests.cmake), one STEP a run:
#   install:   installs folio from BUILD_DIR into PREFIX, afresh;
#   cmake:     builds TARGET of the project in SOURCE (find_package(folio) from PREFIX);
#   pkgconfig: compiles the file SOURCE into TARGET with `pkg-config --cflags --libs folio`;
# the last two then run TARGET on a fresh data dir, WORK_DIR/data. CXX and GENERATOR are the
# main build's; LINK_FLAGS link the runtime a sanitizer build's archives need.
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  message(STATUS "${out}")
  set(out "${out}" PARENT_SCOPE)
endfunction()

if(STEP STREQUAL "install")
  file(REMOVE_RECURSE "${PREFIX}")
  run(${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${PREFIX}")
  return()
endif()

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
if(STEP STREQUAL "cmake")
  run(${CMAKE_COMMAND} -S "${SOURCE}" -B "${WORK_DIR}/build" -G "${GENERATOR}"
      "-DCMAKE_PREFIX_PATH=${PREFIX}" -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_COMPILER=${CXX}"
      "-DCMAKE_EXE_LINKER_FLAGS=${LINK_FLAGS}")
  run(${CMAKE_COMMAND} --build "${WORK_DIR}/build" --target "${TARGET}")
  set(program "${WORK_DIR}/build/${TARGET}")
elseif(STEP STREQUAL "pkgconfig")
  find_program(PKG_CONFIG NAMES pkg-config pkgconf REQUIRED)
  set(ENV{PKG_CONFIG_PATH} "${PREFIX}/${LIBDIR}/pkgconfig:$ENV{PKG_CONFIG_PATH}")
  run(${PKG_CONFIG} --cflags --libs folio)
  separate_arguments(flags UNIX_COMMAND "${out}")
  separate_arguments(link_flags UNIX_COMMAND "${LINK_FLAGS}")
  set(program "${WORK_DIR}/${TARGET}")
  # The source before the libraries: a static archive serves only what is already undefined.
  run("${CXX}" -std=c++20 -O2 "${SOURCE}" -o "${program}" ${flags} ${link_flags})
else()
  message(FATAL_ERROR "unknown STEP '${STEP}'")
endif()
run("${program}" "${WORK_DIR}/data")
