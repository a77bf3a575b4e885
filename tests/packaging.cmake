# SPDX-License-Identifier: MIT
# Packaging checks; plain ctest tests, no Criterion.

# The shared library exports exactly the BP_API functions of the public
# headers: no internal or kernel symbol leaks, and none is missing.
if(BP_BUILD_SHARED)
  set(BP_MPI_HEADER "")
  if(BP_WITH_MPI)
    set(BP_MPI_HEADER ${PROJECT_SOURCE_DIR}/include/backprop_mpi.h)
  endif()
  add_test(NAME exported_symbols
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/check_symbols.sh ${CMAKE_NM}
                   $<TARGET_FILE:backprop_shared>
                   ${PROJECT_SOURCE_DIR}/include/backprop.h
                   ${PROJECT_SOURCE_DIR}/include/backprop_kernels.h
                   ${BP_MPI_HEADER})
endif()

# The public headers compile on their own, as C11 and as C++, with every
# warning an error (a user's flags must not trip on them).
set(BP_HEADER_FLAGS -Wall -Wextra -pedantic -Werror -fsyntax-only -I${PROJECT_SOURCE_DIR}/include)
add_test(NAME public_headers_c11
         COMMAND ${CMAKE_C_COMPILER} -std=c11 ${BP_HEADER_FLAGS} -x c
                 ${CMAKE_CURRENT_SOURCE_DIR}/public_headers.inc)
# C++ is not a language of this project: the compiler is only looked for
# (a toolchain file's, if installed, else the host's: -fsyntax-only needs no
# target libraries).
find_program(BP_HEADER_CXX NAMES ${CMAKE_CXX_COMPILER} c++ g++ clang++)
if(BP_HEADER_CXX)
  foreach(std 11 17)
    add_test(NAME public_headers_cxx${std}
             COMMAND ${BP_HEADER_CXX} -std=c++${std} ${BP_HEADER_FLAGS} -x c++
                     ${CMAKE_CURRENT_SOURCE_DIR}/public_headers.inc)
  endforeach()
else()
  message(STATUS "No C++ compiler: the public-header C++ test is skipped (apt-get install g++)")
endif()

# One version everywhere: the CMake project version (read from backprop.h),
# BP_VERSION_STRING, bp_version() of the library as linked, and the CLI.
add_executable(check_version ${CMAKE_CURRENT_SOURCE_DIR}/check_version.c)
target_compile_definitions(check_version PRIVATE BP_EXPECTED_VERSION="${PROJECT_VERSION}")
target_link_libraries(check_version PRIVATE backprop::backprop)
add_test(NAME version_library COMMAND check_version)
add_test(NAME version_cli COMMAND ${CMAKE_CROSSCOMPILING_EMULATOR} $<TARGET_FILE:backprop> --version)
set_tests_properties(version_cli PROPERTIES PASS_REGULAR_EXPRESSION
                     "^backprop ${PROJECT_VERSION}\n$")

# The API reference (docs/Doxyfile.in): Doxygen fails on any warning, so an
# undocumented public function, parameter, type or macro fails this test.
# `cmake --build build --target docs` writes it to build/docs/html.
find_program(BP_DOXYGEN doxygen)
if(BP_DOXYGEN)
  set(BP_DOXYGEN_OUT ${PROJECT_BINARY_DIR}/docs)
  configure_file(${PROJECT_SOURCE_DIR}/docs/Doxyfile.in ${BP_DOXYGEN_OUT}/Doxyfile @ONLY)
  add_test(NAME doxygen_api_docs COMMAND ${BP_DOXYGEN} ${BP_DOXYGEN_OUT}/Doxyfile
           WORKING_DIRECTORY ${BP_DOXYGEN_OUT})
  add_custom_target(docs COMMAND ${BP_DOXYGEN} ${BP_DOXYGEN_OUT}/Doxyfile
                    WORKING_DIRECTORY ${BP_DOXYGEN_OUT} COMMENT "API reference in ${BP_DOXYGEN_OUT}/html")
else()
  message(STATUS "doxygen not found: the API-reference test is skipped (apt-get install doxygen)")
endif()
